// The TypeScript surface of {{name}}; each function maps to a js_{{lib}}_* symbol.
export declare function hello(x: number): number;
export declare function version(): number;
