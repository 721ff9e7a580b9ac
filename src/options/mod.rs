//! Gen options: the command line, then the environment, then `ninjabind.toml`, then defaults — and their replay.

mod args;
mod project_file;
mod selection;
mod settings;

pub use args::{Effective, GenArgs, Linker, Lto, Progress};
pub use project_file::check_project_file;
pub use selection::Selection;
pub use settings::Settings;

use std::collections::BTreeMap;

/// Every environment variable gen reads; those set are recorded and replayed, the rest unset on replay.
pub const ENV_READ: &[&str] = &[
    "AR",
    "CARGO",
    "CC",
    "CFLAGS",
    "CXX",
    "CXXFLAGS",
    "LDFLAGS",
    "LLC",
    "NINJABIND_CACHE",
    "NM",
    "PERRY",
    "PERRY_BINDINGS_ROOT",
    "PERRY_DEBUG_SYMBOLS",
    "PERRY_DXC",
    "PERRY_FFI_VERSION",
    "PERRY_GLSLC",
    "PERRY_LLVM_CLANG",
    "PERRY_LOCK_FROZEN",
    "PERRY_XCRUN",
    "PKG_CONFIG",
    "PKG_CONFIG_PATH",
    "RUSTC",
    "RUSTFLAGS",
    "VEX",
    "VEX_DB_FEATURES",
    "VEX_NATIVE_FEATURES",
    "VEX_STDLIB",
];

/// The current values of [`ENV_READ`].
pub fn read_env() -> BTreeMap<String, String> {
    ENV_READ.iter().filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v))).collect()
}
