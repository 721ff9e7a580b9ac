// The TypeScript surface of {{name}}: each `js_*` symbol package.json declares in `perry.nativeLibrary.functions`,
// declared here and wrapped. Perry generates the call from functions[], keyed by the symbol the wrapper calls.
declare function js_{{lib}}_hello(x: number): number;

/** `hello(x)` is x + 1, computed in C. */
export function hello(x: number): number {
  return js_{{lib}}_hello(x);
}
