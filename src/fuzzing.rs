//! Fuzz target bodies (`fuzz/` runs them under libFuzzer; `tests/fuzz_smoke.rs` runs each briefly in the suite): any input, no panic, and the round trips hold.

use crate::base::diag;
use crate::edges::symdiff;
use crate::lex::have;
use crate::lex::imports::scan;
use crate::load;
use crate::load::package_json;
use crate::load::vex_json;
use crate::load::well_known;
use crate::model;
use crate::options;
use crate::protocol::depfile;
use crate::protocol::gate;
use camino::{Utf8Path, Utf8PathBuf};

/// A folder of this process's own for manifests the loaders read from disk.
fn scratch() -> Utf8PathBuf {
    let dir = std::env::temp_dir().join(format!("ninjabind-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    Utf8PathBuf::from_path_buf(dir).unwrap_or_else(|_| Utf8PathBuf::from("/tmp"))
}

/// vex.json and package.json loaders (a root, an installed binding), from any bytes.
pub fn manifests(data: &[u8]) {
    let dir = scratch();
    let version = semver::Version::new(0, 5, 0);
    let host = package_json::Host { ffi_version: &version, target: "x86_64-unknown-linux-gnu" };
    let mut diags = diag::Diagnostics::default();
    for (name, origin) in [("vex.json", model::Origin::Root), ("package.json", model::Origin::Installed)] {
        let path = dir.join(name);
        if std::fs::write(&path, data).is_err() {
            return;
        }
        let mut ctx = load::LoadCtx { strict_manifests: data.first().is_some_and(|b| b & 1 == 1), diags: &mut diags };
        let _ = if name == "vex.json" {
            vex_json::load(&mut ctx, &host, &path, Utf8Path::new(name), origin)
        } else {
            package_json::load(&mut ctx, &host, &path, Utf8Path::new(name), origin)
        };
        // every diagnostic renders, with and without colour
        for d in &diags.items {
            let _ = d.render(true);
        }
    }
}

/// ninjabind.toml and the well-known table, from any text.
pub fn tomls(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = options::check_project_file(&text);
    if let Ok(t) = well_known::Table::parse(&text, "wk.toml", None) {
        for k in t.entries.keys() {
            let _ = t.lookup(k, k);
        }
    }
}

/// The import lexer, as TypeScript and as Vex.
pub fn imports(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for file in ["m.ts", "m.vx"] {
        for i in scan(Utf8Path::new(file), &text) {
            assert!(i.line >= 1 && i.column >= 1, "{i:?}");
        }
    }
}

/// The HAVE_* scanner, on text and on a file (the bounded reader).
pub fn have_guards(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let macros = have::required_macros(&text);
    assert!(macros.iter().all(|m| m.starts_with("HAVE_")), "{macros:?}");
    let path = scratch().join("src.c");
    if std::fs::write(&path, data).is_ok() {
        assert_eq!(have::required_macros_in(&path).ok(), Some(macros));
    }
}

/// The depfile parser; a depfile written by `render` reads back to the same list.
pub fn depfiles(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let deps = depfile::parse(&text);
    let representable: Vec<String> = deps
        .into_iter()
        .filter(|d| depfile::representable(d) && !d.ends_with('\\') && !d.ends_with(':') && !d.contains(": "))
        .collect();
    let again = depfile::parse(&depfile::render("out.o", &representable));
    assert_eq!(again, representable);
}

/// The gate's record parser; a parsed record renders and parses back to itself.
pub fn gate_records(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Some(r) = gate::Record::parse(&text) {
        assert_eq!(gate::Record::parse(&r.render()).as_ref(), Some(&r));
    }
}

/// `nm -gP` output.
pub fn nm_output(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for macho in [false, true] {
        let syms = symdiff::defined_globals(&text, macho);
        assert!(syms.iter().all(|s| !s.is_empty() && !s.contains(char::is_whitespace)), "{syms:?}");
    }
}

/// A fuzz target's body.
pub type Target = fn(&[u8]);

/// Every target by name, for the smoke test and the fuzz crate.
pub const TARGETS: [(&str, Target); 7] = [
    ("manifests", manifests),
    ("tomls", tomls),
    ("imports", imports),
    ("have_guards", have_guards),
    ("depfiles", depfiles),
    ("gate_records", gate_records),
    ("nm_output", nm_output),
];
