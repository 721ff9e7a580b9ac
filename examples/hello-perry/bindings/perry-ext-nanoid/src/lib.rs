//! A well-known binding as Perry ships it in its install (`perry-ext-nanoid`).

#[no_mangle]
pub extern "C" fn js_nanoid_size() -> i64 {
    21
}
