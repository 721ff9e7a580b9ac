/abs/target/release/libx.a: src/lib.rs src/more.rs

src/lib.rs:
