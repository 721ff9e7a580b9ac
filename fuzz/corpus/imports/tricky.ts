// Imports in every shape real TypeScript code uses, and look-alikes that are not imports.
import defaultExport from "module-a";
import * as ns from 'module-b';
import { a, b as c } from "@scope/pkg";
import d, { e } from "@scope/pkg/sub/path";
import "side-effect";
import type { T } from "types-only";
import { type U, V } from "mixed-types";
import x = require("legacy-require");
export * from "re-export-all";
export { f } from "./local-re-export";
export type { G } from "type-re-export";
import {
  multi,
  line,
} from "multi-line";

// import fake from "in-a-comment";
/* import fake2 from "in-a-block-comment"; */
const s1 = "import fake3 from 'in-a-string'";
const s2 = 'require("in-a-single-quoted-string")';
const tpl = `import fake4 from "in-a-template" ${await import("dynamic-in-template")} done`;
const re = /import\("in-a-regex"\)/g;
const ratio = total / count; const lazy = import("dynamic-after-division");
const cjs = require("cjs-require");
module.require("member-require-counts-as-in-typescript");
const meta = import.meta.url;

export async function load() {
  const m = await import("dynamic-in-function");
  return m;
}

export default class Thing {}
