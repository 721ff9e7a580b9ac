//! {{name}}: a Perry native binding. Every `js_*` function here is declared in package.json's
//! `perry.nativeLibrary.functions`; `ninjabind validate` checks the two agree.

/// Called from TypeScript as `hello(x)`.
#[no_mangle]
pub extern "C" fn js_{{lib}}_hello(x: i64) -> i64 {
    x + 1
}

/// Called from TypeScript as `version()`.
#[no_mangle]
pub extern "C" fn js_{{lib}}_version() -> f64 {
    0.1
}
