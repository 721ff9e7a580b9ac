//! `ninjabind init`: scaffolds a binding package from `templates/` that `validate` passes as generated, shaped as
//! `perry native init` shapes one (`src/index.ts` declares the `js_*` symbols and wraps them), so real Perry compiles it.

use crate::base::diag::Diagnostic;
use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Kind {
    /// A Rust crate built as a static archive.
    #[default]
    Rust,
    /// C sources compiled with the binding (a `native` block, no crate).
    C,
}

const RUST: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../templates/rust/Cargo.toml")),
    ("src/lib.rs", include_str!("../templates/rust/src/lib.rs")),
    ("package.json", include_str!("../templates/rust/package.json")),
    ("src/index.ts", include_str!("../templates/rust/src/index.ts")),
    (".gitignore", include_str!("../templates/rust/gitignore")),
];
const C: &[(&str, &str)] = &[
    ("package.json", include_str!("../templates/c/package.json")),
    ("src/{{lib}}.c", include_str!("../templates/c/src/lib.c")),
    ("src/index.ts", include_str!("../templates/c/src/index.ts")),
    (".gitignore", include_str!("../templates/c/gitignore")),
];

/// What to do after `init`: install the package into the host and allow it, as Perry requires.
pub fn next_steps(name: &str, dir: &Utf8Path) -> String {
    let allow = serde_json::json!({ "perry": { "allow": { "nativeLibrary": [name] } } });
    let shown = if dir.is_absolute() || dir.starts_with("..") { dir.to_string() } else { format!("./{dir}") };
    format!(
        "created binding `{name}` in {dir}; check it with `ninjabind validate {dir}`\n\
         next, in the program's folder:\n  1. npm install {shown}    (a path relative to that folder)\n  \
         2. allow it in the program's package.json (Perry links no native code it does not allow):\n     {}\n\
         then `import {{ hello }} from \"{name}\"` and `ninjabind gen && ninja`",
        allow
    )
}

/// Writes the package `name` into `dir` (default: `./<name without scope>`); returns the folder.
pub fn init(name: &str, dir: Option<&Utf8Path>, kind: Kind) -> Result<Utf8PathBuf> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let scope_ok = name.strip_prefix('@').map_or(!name.contains('/'), |r| r.split('/').count() == 2);
    let chars_ok =
        |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-._".contains(c));
    if !scope_ok
        || !name.trim_start_matches('@').split('/').all(chars_ok)
        || !base.starts_with(|c: char| c.is_ascii_lowercase())
    {
        return Err(Diagnostic::error(format!("`{name}` is not a package name ninjabind can scaffold"))
            .with_help(
                "use lowercase letters, digits, `-`, `_` and `.`, starting with a letter, optionally under an @scope/",
            )
            .into_err());
    }
    let lib: String = base.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    let dir = match dir {
        Some(d) => d.to_owned(),
        None => Utf8PathBuf::from(base),
    };
    if dir.exists() && dir.read_dir().map(|mut d| d.next().is_some()).unwrap_or(true) {
        return Err(Diagnostic::error(format!("{dir} already exists and is not empty")).into_err());
    }
    let fill = |s: &str| {
        s.replace("{{name}}", name).replace("{{crate}}", base).replace("{{lib}}", &lib).replace("{{abi}}", "0.5")
    };
    for (path, content) in if kind == Kind::Rust { RUST } else { C } {
        let target = dir.join(fill(path));
        std::fs::create_dir_all(target.parent().expect("a file in a folder"))
            .with_context(|| format!("cannot create {dir}"))?;
        std::fs::write(&target, fill(content)).with_context(|| format!("cannot write {target}"))?;
    }
    Ok(dir)
}
