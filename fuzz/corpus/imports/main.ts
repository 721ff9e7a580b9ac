// A Perry program: the host compiler turns these calls into calls of the bindings' js_* symbols.
import { answer, wave } from "greeter";          // layer (a): installed binding in node_modules
import { nanoid } from "nanoid";                 // layer (c): well-known binding from the bindings root
import leftPad from "left-pad";                  // layer (b): a JS-only package
import type { Options } from "./lib/options";    // type-only: erased, never resolved
import { readFileSync } from "node:fs";          // builtin: the host's runtime

const opts: Options = { width: 8 };
console.log(leftPad(String(answer(6)), opts.width), wave(0), nanoid());
void readFileSync;
