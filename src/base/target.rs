//! Facts about target triples: the host's, and which are Apple's.

/// Whether `triple` is an Apple target (frameworks, `@loader_path`, Mach-O's leading `_`).
pub fn is_apple(triple: &str) -> bool {
    triple.contains("apple")
}

/// The host triple this ninjabind was built for.
pub fn host_triple() -> String {
    let arch = std::env::consts::ARCH;
    match std::env::consts::OS {
        "linux" if cfg!(target_env = "musl") => format!("{arch}-unknown-linux-musl"),
        "linux" => format!("{arch}-unknown-linux-gnu"),
        "macos" => format!("{arch}-apple-darwin"),
        "windows" => format!("{arch}-pc-windows-msvc"),
        os => format!("{arch}-unknown-{os}"),
    }
}
