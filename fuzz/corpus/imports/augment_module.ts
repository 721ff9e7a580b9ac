// A module file: every `declare module "x"` is an augmentation of x (a type-level reference).
import { z } from "zod";

declare module "zod/v4" {
  interface ZodType {
    openapi(): this;
  }
}

declare global {
  interface Window { x: number }
}

namespace inner {
  declare module "nested-in-namespace" {}
}

export const schema = z.string();
