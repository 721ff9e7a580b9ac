//! The tidy test that keeps the layering docs/ARCHITECTURE.md describes: floors, no circles, `use` lines only.
//!
//! It reads `src/` as text: every `crate::` reference (`use crate::{…}` groups expanded, `super::` resolved, a child
//! module named by a `use` line), with comments, strings and `#[cfg(test)]` tails left out. Each module belongs to
//! one part (`FLOORS`); a part may import only the parts its row names. It fails, with `path:line`, on a reference
//! its row does not allow, on a circle between files, on an inline `crate::` path, on a file without a `//!` first
//! line, and on a folder or top-level file the code map does not name.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Each part, lowest floor first, and the parts it may import. Its own part is always allowed (without circles).
const FLOORS: &[(&str, &[&str])] = &[
    ("base", &[]),
    ("model", &["base"]),
    ("lex", &["base", "model"]),
    ("protocol", &["base", "model", "lex"]),
    ("options", &["base", "model", "lex", "protocol"]),
    ("toolchain", &["base", "options"]),
    ("load", &["base", "model", "lex", "protocol", "options", "toolchain"]),
    ("resolve", &["base", "model", "lex", "protocol", "options", "toolchain", "load"]),
    ("select", &["base", "model", "lex", "protocol", "options", "toolchain", "load", "resolve"]),
    ("plan", &["base", "model", "lex", "protocol", "options", "toolchain", "load", "resolve", "select"]),
    ("emit", &["base", "model", "lex", "protocol", "options", "toolchain", "plan"]),
    // what ninja runs at build time: never a stage, emit or report
    ("edges", &["base", "model", "lex", "protocol"]),
    ("pipeline", &["base", "model", "lex", "protocol", "options", "toolchain", "load", "resolve", "select", "plan"]),
    (
        "report",
        &["base", "model", "lex", "protocol", "options", "toolchain", "load", "resolve", "select", "plan", "pipeline"],
    ),
    // the roof: the crate root, the binary and the commands beside gen
    ("lib", ALL),
    ("main", ALL),
    ("validate", ALL),
    ("init", ALL),
    ("fuzzing", ALL),
    ("watch", ALL),
];

const ALL: &[&str] = &[
    "base",
    "model",
    "lex",
    "protocol",
    "options",
    "toolchain",
    "load",
    "resolve",
    "select",
    "plan",
    "emit",
    "edges",
    "pipeline",
    "report",
    "lib",
    "validate",
    "init",
    "fuzzing",
    "watch",
];

/// Known exceptions, `(from module, to module, why)`. The list may only shrink: an entry that no longer occurs fails.
const ALLOWED: &[(&str, &str, &str)] = &[];

struct Reference {
    file: String,
    line: usize,
    from: String,
    to: String,
}

struct Source {
    /// `base::diag`, `lib` for lib.rs, `main` for main.rs.
    module: String,
    file: String,
    text: String,
    /// The code before any `#[cfg(test)]`, with comments and the insides of strings and chars blanked out.
    code: String,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

fn module_of(rel: &Path) -> String {
    let parts: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
    let mut m: Vec<String> = parts[..parts.len() - 1].to_vec();
    let stem = rel.file_stem().unwrap().to_string_lossy().into_owned();
    if stem != "mod" {
        m.push(stem);
    }
    m.join("::")
}

/// Comments, strings and chars blanked out (newlines kept, so line numbers hold).
fn blank(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let keep_lines = |s: &[char]| s.iter().map(|&ch| if ch == '\n' { '\n' } else { ' ' }).collect::<String>();
    while i < c.len() {
        if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            let end = c[i..].iter().position(|&ch| ch == '\n').map_or(c.len(), |p| i + p);
            out.push_str(&keep_lines(&c[i..end]));
            i = end;
        } else if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            let start = i;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push_str(&keep_lines(&c[start..i]));
        } else if c[i] == 'r'
            && (c.get(i + 1) == Some(&'"') || c.get(i + 1) == Some(&'#'))
            && !ident(c.get(i.wrapping_sub(1)))
        {
            let hashes = c[i + 1..].iter().take_while(|&&ch| ch == '#').count();
            if c.get(i + 1 + hashes) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            let close: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
            let body_start = i + 2 + hashes;
            let rest: String = c[body_start..].iter().collect();
            let end = rest.find(&close).map_or(c.len(), |p| body_start + rest[..p].chars().count() + close.len());
            out.push_str(&keep_lines(&c[i..end]));
            i = end;
        } else if c[i] == '"' {
            let start = i;
            i += 1;
            while i < c.len() && c[i] != '"' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i = (i + 1).min(c.len());
            out.push_str(&keep_lines(&c[start..i]));
        } else if c[i] == '\'' {
            // a char literal ('x', '\n', '\u{..}'), else a lifetime
            if c.get(i + 1) == Some(&'\\') {
                let end = c[i + 2..].iter().position(|&ch| ch == '\'').map_or(c.len(), |p| i + 3 + p);
                out.push_str(&keep_lines(&c[i..end]));
                i = end;
            } else if c.get(i + 2) == Some(&'\'') {
                out.push_str("   ");
                i += 3;
            } else {
                out.push('\'');
                i += 1;
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn ident(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

/// `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e` (`self` in a group is the prefix itself; `as` renames dropped).
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap().trim().trim_end_matches("::").to_string();
        return vec![path];
    };
    let prefix = tree[..open].trim().trim_end_matches("::").to_string();
    let inner = &tree[open + 1..tree.rfind('}').unwrap()];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, ch) in inner.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    let mut out = Vec::new();
    for p in parts.into_iter().map(str::trim).filter(|p| !p.is_empty()) {
        for sub in expand(p) {
            out.push(if sub == "self" { prefix.clone() } else { format!("{prefix}::{sub}") });
        }
    }
    out
}

/// The module a path names: its longest prefix that is a module of the crate.
fn target(path: &[&str], modules: &BTreeSet<String>) -> Option<String> {
    (1..=path.len()).rev().map(|n| path[..n].join("::")).find(|m| modules.contains(m))
}

/// `crate::…`, `super::…` (from `module`), `self::…` or a child's name, as a path from the crate root.
fn absolute(path: &str, module: &str, is_folder_face: bool, modules: &BTreeSet<String>) -> Option<Vec<String>> {
    let mut segs: Vec<&str> = path.split("::").map(str::trim).collect();
    // `super` is the module's parent: a file's folder, or a folder's own parent for its mod.rs
    let mut base: Vec<&str> = if module.is_empty() { vec![] } else { module.split("::").collect() };
    let first = segs[0];
    let mut abs: Vec<String> = match first {
        "crate" | "ninjabind" => {
            segs.remove(0);
            vec![]
        }
        "super" => {
            while segs.first() == Some(&"super") {
                segs.remove(0);
                base.pop();
            }
            base.iter().map(|s| s.to_string()).collect()
        }
        "self" => {
            segs.remove(0);
            base.iter().map(|s| s.to_string()).collect()
        }
        _ => {
            // a child module named directly (`use ninja::NinjaWriter;` in emit/mod.rs)
            if !is_folder_face && !module.is_empty() {
                return None;
            }
            let candidate = base.iter().copied().chain([first]).collect::<Vec<_>>().join("::");
            if !modules.contains(&candidate) {
                return None;
            }
            base.iter().map(|s| s.to_string()).collect()
        }
    };
    abs.extend(segs.iter().map(|s| s.to_string()));
    Some(abs)
}

fn part_of(module: &str) -> &str {
    match module {
        "" => "lib",
        m => m.split("::").next().unwrap(),
    }
}

fn line_at(code: &str, offset: usize) -> usize {
    code[..offset].matches('\n').count() + 1
}

fn load() -> (PathBuf, Vec<Source>) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let sources = files
        .iter()
        .map(|f| {
            let rel = f.strip_prefix(&src).unwrap();
            let text = fs::read_to_string(f).unwrap();
            let module = match rel.to_str().unwrap() {
                "lib.rs" => String::new(),
                _ => module_of(rel),
            };
            let live = match text.find("#[cfg(test)]") {
                Some(i) => &text[..i],
                None => &text[..],
            };
            Source { module, file: format!("src/{}", rel.display()), code: blank(live), text }
        })
        .collect();
    (root, sources)
}

fn references(sources: &[Source]) -> (Vec<Reference>, Vec<String>) {
    let modules: BTreeSet<String> = sources.iter().map(|s| s.module.clone()).collect();
    let mut refs = Vec::new();
    let mut inline = Vec::new();
    for s in sources {
        let face = s.file.ends_with("mod.rs") || s.file == "src/lib.rs" || s.file == "src/main.rs";
        let mut in_use = vec![false; s.code.len()];
        let bytes = s.code.as_bytes();
        let mut at = 0;
        while let Some(p) = s.code[at..].find("use ") {
            let i = at + p;
            at = i + 4;
            let starts_statement = s.code[..i].trim_end().ends_with([';', '{', '}', ']'])
                || s.code[..i].trim().is_empty()
                || s.code[..i].trim_end().ends_with("pub")
                || s.code[..i].trim_end().ends_with(")");
            if (i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')) || !starts_statement {
                continue;
            }
            let Some(end) = s.code[i..].find(';').map(|e| i + e) else { continue };
            in_use[i..end].iter_mut().for_each(|b| *b = true);
            let line = line_at(&s.code, i);
            for path in expand(&s.code[i + 4..end]) {
                let module = if s.file == "src/main.rs" { "" } else { s.module.as_str() };
                let Some(abs) = absolute(&path, module, face, &modules) else { continue };
                let abs: Vec<&str> = abs.iter().map(String::as_str).collect();
                if let Some(to) = target(&abs, &modules) {
                    refs.push(Reference { file: s.file.clone(), line, from: s.module.clone(), to });
                }
            }
        }
        // inline paths: `crate::` (or `ninjabind::` in main.rs) and `super::` outside `use` lines
        for needle in ["crate::", "ninjabind::", "super::"] {
            let mut at = 0;
            while let Some(p) = s.code[at..].find(needle) {
                let i = at + p;
                at = i + needle.len();
                if in_use[i]
                    || (i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_' || bytes[i - 1] == b':'))
                {
                    continue;
                }
                if needle == "ninjabind::" && s.file != "src/main.rs" {
                    continue;
                }
                let end = s.code[i..]
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                    .map_or(s.code.len(), |e| i + e);
                let path = s.code[i..end].trim_end_matches(':');
                let line = line_at(&s.code, i);
                if needle != "super::" {
                    inline.push(format!(
                        "{}:{line}: inline path `{path}`: name it in a `use` line at the top — see docs/ARCHITECTURE.md",
                        s.file
                    ));
                }
                let module = if s.file == "src/main.rs" { "" } else { s.module.as_str() };
                if let Some(abs) = absolute(path, module, face, &modules) {
                    let abs: Vec<&str> = abs.iter().map(String::as_str).collect();
                    if let Some(to) = target(&abs, &modules) {
                        refs.push(Reference { file: s.file.clone(), line, from: s.module.clone(), to });
                    }
                }
            }
        }
    }
    (refs, inline)
}

#[test]
fn every_reference_goes_down_a_floor_or_stays_on_its_own() {
    let (_, sources) = load();
    let (refs, _) = references(&sources);
    let floors: BTreeMap<&str, &[&str]> = FLOORS.iter().copied().collect();
    let mut used = BTreeSet::new();
    let mut failures = Vec::new();
    for r in &refs {
        let (from, to) = (if r.file == "src/main.rs" { "main" } else { part_of(&r.from) }, part_of(&r.to));
        if from == to && r.file != "src/main.rs" {
            continue;
        }
        let Some(allowed) = floors.get(from) else {
            failures.push(format!(
                "{}:{}: `{}` is in no floor of FLOORS — see docs/ARCHITECTURE.md",
                r.file, r.line, r.from
            ));
            continue;
        };
        if allowed.contains(&to) || (from == "main" && to != "main") {
            continue;
        }
        if let Some(a) = ALLOWED.iter().find(|(f, t, _)| *f == r.from && *t == r.to) {
            used.insert(a.0.to_string() + "->" + a.1);
            continue;
        }
        failures.push(format!(
            "{}:{}: {} imports {} — see docs/ARCHITECTURE.md",
            r.file,
            r.line,
            if r.from.is_empty() { "lib" } else { &r.from },
            r.to
        ));
    }
    for (f, t, why) in ALLOWED {
        if !used.contains(&format!("{f}->{t}")) {
            failures.push(format!("ALLOWED lists {f} -> {t} ({why}), which no longer occurs: remove the entry"));
        }
    }
    failures.dedup();
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n"));
}

#[test]
fn no_circle_between_files() {
    let (_, sources) = load();
    let (refs, _) = references(&sources);
    // a child naming its folder's mod.rs (the folder's face: its shared types) is not a circle
    let is_ancestor = |a: &str, of: &str| a.is_empty() || of.starts_with(&format!("{a}::"));
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in refs.iter().filter(|r| r.from != r.to && !is_ancestor(&r.to, &r.from) && r.file != "src/main.rs") {
        graph.entry(r.from.as_str()).or_default().insert(r.to.as_str());
    }
    let mut failures = Vec::new();
    for start in graph.keys() {
        // a path back to `start`, depth first
        let mut stack = vec![(*start, vec![*start])];
        let mut seen = BTreeSet::new();
        while let Some((m, path)) = stack.pop() {
            for next in graph.get(m).into_iter().flatten() {
                if next == start {
                    let circle = path.iter().chain([start]).map(|m| m.to_string()).collect::<Vec<_>>().join(" -> ");
                    failures.push(circle);
                } else if seen.insert(*next) {
                    stack.push((next, path.iter().copied().chain([*next]).collect()));
                }
            }
        }
    }
    failures.sort();
    failures.dedup();
    assert!(failures.is_empty(), "circles between files (see docs/ARCHITECTURE.md):\n{}\n", failures.join("\n"));
}

#[test]
fn cross_module_references_are_use_lines() {
    let (_, sources) = load();
    let (_, inline) = references(&sources);
    assert!(inline.is_empty(), "\n{}\n{} inline paths\n", inline.join("\n"), inline.len());
}

#[test]
fn every_file_opens_with_a_doc_line() {
    let (_, sources) = load();
    let missing: Vec<String> = sources
        .iter()
        .filter(|s| !s.text.starts_with("//! "))
        .map(|s| format!("{}:1: no `//!` first line saying what the file is for", s.file))
        .collect();
    assert!(missing.is_empty(), "\n{}\n", missing.join("\n"));
}

#[test]
fn the_code_map_names_every_folder_and_top_level_file() {
    let (root, sources) = load();
    let map = fs::read_to_string(root.join("docs/ARCHITECTURE.md")).expect("docs/ARCHITECTURE.md");
    let mut names: BTreeSet<String> = BTreeSet::new();
    for s in &sources {
        let rel = s.file.strip_prefix("src/").unwrap();
        names.insert(match rel.split_once('/') {
            Some((dir, _)) => format!("`src/{dir}/`"),
            None => format!("`src/{rel}`"),
        });
    }
    let missing: Vec<&String> = names.iter().filter(|n| !map.contains(n.as_str())).collect();
    assert!(missing.is_empty(), "docs/ARCHITECTURE.md's code map does not name {missing:?}");
    // and every part of FLOORS is a folder or file that exists
    for (part, _) in FLOORS {
        assert!(
            sources.iter().any(|s| part_of(&s.module) == *part || (*part == "main" && s.file == "src/main.rs")),
            "FLOORS names `{part}`, which is no module"
        );
    }
}

#[test]
fn the_reader_finds_what_it_should() {
    // the checker itself: a group expanded, super resolved, strings and comments ignored
    assert_eq!(expand("crate::a::{b, c::{d, self}}"), ["crate::a::b", "crate::a::c::d", "crate::a::c"]);
    assert_eq!(expand("crate::x::Y as Z"), ["crate::x::Y"]);
    let blanked = blank("let s = \"crate::a\"; // crate::b\nlet c = '\"'; x::<'a>();");
    assert!(!blanked.contains("crate::"), "{blanked}");
    assert!(blanked.contains("x::<'a>()"));
    let modules: BTreeSet<String> = ["plan", "plan::gate", "emit", "emit::ninja"].map(String::from).into();
    assert_eq!(absolute("super::gate::Wrapper", "plan::link", false, &modules).unwrap(), ["plan", "gate", "Wrapper"]);
    assert_eq!(absolute("ninja::NinjaWriter", "emit", true, &modules).unwrap(), ["emit", "ninja", "NinjaWriter"]);
    assert_eq!(absolute("serde::Serialize", "emit", true, &modules), None);
}
