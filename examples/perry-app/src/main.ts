// A Perry program: `tally` is an installed native binding (Rust), `./lib/label` a module of the project.
import { weigh, count } from "tally";
import { label } from "./lib/label";

console.log(label("weigh(6)", weigh(6)));
console.log(label("count", count(3, 4)));
