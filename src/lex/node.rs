//! Node's module rules: built-in module names, package names of specifiers, and the nearest node_modules lookup.

use crate::base::files::read_regular_text;
use camino::{Utf8Path, Utf8PathBuf};

/// `require("module").builtinModules` of Node 20, without the `_`-prefixed internals.
pub const BUILTINS: &[&str] = &[
    "assert",
    "async_hooks",
    "buffer",
    "child_process",
    "cluster",
    "console",
    "constants",
    "crypto",
    "dgram",
    "diagnostics_channel",
    "dns",
    "domain",
    "events",
    "fs",
    "http",
    "http2",
    "https",
    "inspector",
    "module",
    "net",
    "os",
    "path",
    "perf_hooks",
    "process",
    "punycode",
    "querystring",
    "readline",
    "repl",
    "stream",
    "string_decoder",
    "sys",
    "timers",
    "tls",
    "trace_events",
    "tty",
    "url",
    "util",
    "v8",
    "vm",
    "wasi",
    "worker_threads",
    "zlib",
];

pub fn is_relative(spec: &str) -> bool {
    spec.starts_with("./") || spec.starts_with("../") || spec == "." || spec == ".." || spec.starts_with('/')
}

/// The package a bare specifier names: `name` or `@scope/name`, `node:` kept.
pub fn package_name(spec: &str) -> String {
    let mut parts = spec.splitn(3, '/');
    let first = parts.next().unwrap_or("");
    if first.starts_with('@') {
        match parts.next() {
            Some(second) => format!("{first}/{second}"),
            None => first.to_string(),
        }
    } else {
        first.to_string()
    }
}

pub fn is_builtin(spec: &str) -> bool {
    spec.starts_with("node:") || BUILTINS.contains(&package_name(spec).as_str())
}

/// Node's rule: from the importing file's folder up to the filesystem root, the nearest
/// `node_modules/<pkg>/package.json`. Returns it, plus every node_modules folder passed on the way.
pub fn nearest_package(from_dir: &Utf8Path, pkg: &str) -> (Option<Utf8PathBuf>, Vec<Utf8PathBuf>) {
    let mut seen = Vec::new();
    for dir in from_dir.ancestors() {
        if dir.file_name() == Some("node_modules") {
            continue;
        }
        let nm = dir.join("node_modules");
        if nm.is_dir() {
            seen.push(nm.clone());
            let manifest = nm.join(pkg).join("package.json");
            if manifest.is_file() {
                return (Some(manifest), seen);
            }
        }
    }
    (None, seen)
}

/// Whether a package.json declares `perry.nativeLibrary` (a byte order mark skipped, as npm does). One that cannot be
/// read or parsed says no: gen's loader reports its error, with its position, when it loads the package.
pub fn declares_native_library(manifest: &Utf8Path) -> bool {
    let Ok(text) = read_regular_text(manifest, 16 << 20) else { return false };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let doc: Option<serde_json::Value> = serde_json::from_str(text).ok();
    doc.is_some_and(|v| v.get("perry").and_then(|p| p.get("nativeLibrary")).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names() {
        assert_eq!(package_name("mysql2/promise"), "mysql2");
        assert_eq!(package_name("@perryts/tursodb/sub/x"), "@perryts/tursodb");
        assert_eq!(package_name("lodash"), "lodash");
    }

    #[test]
    fn builtins() {
        assert!(is_builtin("fs/promises"));
        assert!(is_builtin("node:anything"));
        assert!(!is_builtin("mysql2"));
    }
}
