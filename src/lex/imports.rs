//! The import scanner (SPEC §3.1): a small lexer over JS/TS/Vex that skips comments, strings, templates and regexes.

use crate::base::escape::NOT_IN_PATHS;
use crate::base::hash::FastSet;
use crate::model::Import;
use camino::{Utf8Path, Utf8PathBuf};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Punct(char),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    offset: usize,
}

/// How far `import … from "x"` may reach for its `from` (tokens), and so how many tokens the scan keeps in memory.
const FROM_REACH: usize = 4096;

/// Tokens of the file, lexed on demand and kept only while the scan may still look at them: memory stays bounded
/// whatever the file's size (a 50 MB bundle held every token at once, ~30 bytes per input byte).
struct Window<'a> {
    lexer: Lexer<'a>,
    buf: std::collections::VecDeque<Token>,
    /// The absolute index of `buf[0]`.
    base: usize,
}

impl Window<'_> {
    fn get(&mut self, i: usize) -> Option<&Token> {
        if i < self.base {
            return None;
        }
        while self.base + self.buf.len() <= i {
            let t = self.lexer.next()?;
            self.buf.push_back(t);
        }
        self.buf.get(i - self.base)
    }
    fn ident(&mut self, i: usize, s: &str) -> bool {
        matches!(self.get(i), Some(Token { tok: Tok::Ident(x), .. }) if x == s)
    }
    fn punct(&mut self, i: usize, c: char) -> bool {
        matches!(self.get(i), Some(Token { tok: Tok::Punct(x), .. }) if *x == c)
    }
    fn string(&mut self, i: usize) -> Option<(String, usize)> {
        match self.get(i) {
            Some(Token { tok: Tok::Str(s), offset }) => Some((s.clone(), *offset)),
            _ => None,
        }
    }
    fn after_dot(&mut self, i: usize) -> bool {
        i > 0 && self.punct(i - 1, '.')
    }
    /// Forgets tokens before `i - 1` (the scan looks one token back at most).
    fn advance_to(&mut self, i: usize) {
        while self.base + 1 < i && !self.buf.is_empty() {
            self.buf.pop_front();
            self.base += 1;
        }
    }
    /// For `import … from "x"` / `export … from "x"`: the string after `from`, stopping at a statement end.
    fn find_from(&mut self, start: usize) -> Option<(String, usize)> {
        let mut depth = 0i32;
        for i in start..start + FROM_REACH {
            let t = self.get(i)?.tok.clone();
            match t {
                Tok::Punct('{') => depth += 1,
                Tok::Punct('}') => depth -= 1,
                Tok::Punct(';') | Tok::Punct('(') | Tok::Punct('=') if depth == 0 => return None,
                Tok::Ident(f) if f == "from" && depth == 0 => {
                    if let Some(s) = self.string(i + 1) {
                        return Some(s);
                    }
                }
                Tok::Ident(k)
                    if depth == 0
                        && i > start
                        && matches!(
                            k.as_str(),
                            "import" | "export" | "const" | "let" | "var" | "function" | "class"
                        ) =>
                {
                    return None
                }
                _ => {}
            }
        }
        None
    }
}

/// Imports found in `text` (a file at `file`), in source order; module augmentations last, as TypeScript lists them.
pub fn scan(file: &Utf8Path, text: &str) -> Vec<Import> {
    let mut w = Window { lexer: Lexer::new(text), buf: Default::default(), base: 0 };
    // (specifier and its byte offset, type-only); lines and columns are computed at the end, in one pass
    let mut found: Vec<((String, usize), bool)> = Vec::new();
    // `declare module "x"` with its brace depth: in a module file every one is an augmentation (a type-level
    // reference to "x"); in a script only nested ones are — TypeScript's preProcessFile reads them so
    let mut ambient: Vec<((String, usize), usize)> = Vec::new();
    let mut is_module = false;
    let mut depth = 0usize;
    let mut i = 0;
    while w.get(i).is_some() {
        w.advance_to(i);
        let before = found.len();
        if w.punct(i, '{') {
            depth += 1;
        } else if w.punct(i, '}') {
            depth = depth.saturating_sub(1);
        } else if w.ident(i, "declare") && w.ident(i + 1, "module") && w.string(i + 2).is_some() && !w.after_dot(i) {
            ambient.extend(w.string(i + 2).map(|s| (s, depth)));
            i += 3;
            continue;
        } else if w.ident(i, "require") && w.punct(i + 1, '(') {
            // `x.require("m")` counts, as in TypeScript's preProcessFile (Node's `module.require`); `x.import(…)` does not
            if let Some(s) = w.string(i + 2) {
                found.push((s, false));
            }
        } else if w.after_dot(i) {
        } else if w.ident(i, "import") {
            if w.punct(i + 1, '(') {
                if let Some(s) = w.string(i + 2) {
                    found.push((s, false));
                }
            } else if let Some(s) = w.string(i + 1) {
                found.push((s, false));
            } else if !w.punct(i + 1, '.') {
                let type_only = w.ident(i + 1, "type")
                    && !(w.ident(i + 2, "from") && w.string(i + 3).is_some())
                    && !w.punct(i + 2, '=');
                if let Some(s) = w.find_from(i + 1) {
                    found.push((s, type_only));
                }
            }
        } else if w.ident(i, "export") {
            is_module |= depth == 0;
            let mut j = i + 1;
            let type_only = w.ident(j, "type");
            if type_only {
                j += 1;
            }
            if w.punct(j, '*') || w.punct(j, '{') {
                if let Some(s) = w.find_from(j) {
                    found.push((s, type_only));
                }
            }
        }
        is_module |= depth == 0 && found.len() > before;
        i += 1;
    }
    found.extend(ambient.into_iter().filter(|(_, d)| is_module || *d > 0).map(|(s, _)| (s, true)));
    let positions = line_cols(text, found.iter().map(|((_, o), _)| *o));
    found
        .into_iter()
        .zip(positions)
        .map(|(((specifier, _), type_only), (line, column))| Import {
            file: file.to_owned(),
            line,
            column,
            specifier,
            type_only,
        })
        .collect()
}

/// 1-based line and column (in characters) of each byte offset, in one pass over the text however many there are.
fn line_cols(text: &str, offsets: impl Iterator<Item = usize>) -> Vec<(usize, usize)> {
    let mut order: Vec<(usize, usize)> = offsets.enumerate().map(|(k, o)| (o, k)).collect();
    let mut out = vec![(0, 0); order.len()];
    order.sort_unstable();
    let (mut pos, mut line, mut col) = (0usize, 1usize, 1usize);
    for (offset, k) in order {
        for c in text[pos..offset].chars() {
            if c == '\n' {
                line += 1;
                col = 1;
            } else {
                col += 1;
            }
        }
        pos = offset;
        out[k] = (line, col);
    }
    out
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

/// Tokens with comments, template text and regex bodies dropped; strings kept (for specifiers). Works on bytes:
/// every delimiter is ASCII, and a non-ASCII character is decoded only where an identifier or a space may be.
struct Lexer<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    /// brace depth at which each open template's `${` started
    templates: Vec<i32>,
    depth: i32,
    prev: Option<Tok>,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        Lexer { text, b: text.as_bytes(), i: 0, templates: Vec::new(), depth: 0, prev: None }
    }

    /// The character at byte `i` and its length.
    fn char_at(&self, i: usize) -> Option<(char, usize)> {
        let c = *self.b.get(i)?;
        if c < 0x80 {
            return Some((c as char, 1));
        }
        self.text.get(i..)?.chars().next().map(|c| (c, c.len_utf8()))
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.b.get(i).copied()
    }

    fn emit(&mut self, tok: Tok, offset: usize) -> Token {
        self.prev = Some(tok.clone());
        Token { tok, offset }
    }

    /// Skips template text from `i` to the closing backtick, or into a `${` (recording the depth to come back at).
    fn skip_template(&mut self, mut i: usize) -> usize {
        while i < self.b.len() {
            match self.b[i] {
                b'\\' => i += 2,
                b'`' => return i + 1,
                b'$' if self.at(i + 1) == Some(b'{') => {
                    self.templates.push(self.depth);
                    return i + 2;
                }
                _ => i += 1,
            }
        }
        i
    }
}

impl Iterator for Lexer<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        loop {
            let off = self.i;
            let (c, len) = self.char_at(off)?;
            match c {
                c if c.is_whitespace() => self.i += len,
                '/' if self.at(off + 1) == Some(b'/') => {
                    self.i = self.b[off..].iter().position(|&x| x == b'\n').map_or(self.b.len(), |p| off + p);
                }
                '/' if self.at(off + 1) == Some(b'*') => {
                    self.i = self.text[off + 2..].find("*/").map_or(self.b.len(), |p| off + 2 + p + 2);
                }
                '/' if regex_allowed(self.prev.as_ref()) => {
                    let mut i = off + 1;
                    let mut class = false;
                    while i < self.b.len() && self.b[i] != b'\n' {
                        match self.b[i] {
                            b'\\' => i += 1,
                            b'[' => class = true,
                            b']' => class = false,
                            b'/' if !class => break,
                            _ => {}
                        }
                        i += 1;
                    }
                    i += 1;
                    while let Some((_, l)) = self.char_at(i).filter(|(f, _)| f.is_alphanumeric()) {
                        i += l;
                    }
                    self.i = i;
                    return Some(self.emit(Tok::Ident("<regex>".into()), off));
                }
                '"' | '\'' => {
                    let q = c as u8;
                    let mut s = String::new();
                    let mut i = off + 1;
                    let mut run = i;
                    while i < self.b.len() && self.b[i] != q && self.b[i] != b'\n' {
                        if self.b[i] == b'\\' {
                            s.push_str(&self.text[run..i]);
                            i += 1;
                            if let Some((e, l)) = self.char_at(i) {
                                s.push(e);
                                i += l;
                            }
                            run = i;
                        } else {
                            i += 1;
                        }
                    }
                    s.push_str(self.text.get(run..i.min(self.b.len())).unwrap_or(""));
                    self.i = i + 1;
                    return Some(self.emit(Tok::Str(s), off));
                }
                '`' => {
                    self.i = self.skip_template(off + 1);
                    return Some(self.emit(Tok::Ident("<template>".into()), off));
                }
                '}' if self.templates.last() == Some(&self.depth) => {
                    self.templates.pop();
                    self.i = self.skip_template(off + 1);
                }
                c if is_ident_start(c) => {
                    let mut i = off;
                    while let Some((_, l)) = self.char_at(i).filter(|(d, _)| is_ident_start(*d) || d.is_ascii_digit()) {
                        i += l;
                    }
                    self.i = i;
                    return Some(self.emit(Tok::Ident(self.text[off..i].to_string()), off));
                }
                c if c.is_ascii_digit() => {
                    let mut i = off;
                    while let Some((_, l)) =
                        self.char_at(i).filter(|(d, _)| d.is_alphanumeric() || *d == '.' || *d == '_')
                    {
                        i += l;
                    }
                    self.i = i;
                    return Some(self.emit(Tok::Ident("<number>".into()), off));
                }
                c => {
                    if c == '{' {
                        self.depth += 1;
                    } else if c == '}' {
                        self.depth -= 1;
                    }
                    self.i = off + len;
                    return Some(self.emit(Tok::Punct(c), off));
                }
            }
        }
    }
}

/// A `/` starts a regex after an operator, an opening bracket, a keyword, or at the start.
fn regex_allowed(prev: Option<&Tok>) -> bool {
    match prev {
        None => true,
        Some(Tok::Punct(c)) => !matches!(c, ')' | ']' | '}'),
        Some(Tok::Ident(w)) => matches!(
            w.as_str(),
            "return"
                | "typeof"
                | "instanceof"
                | "in"
                | "of"
                | "new"
                | "delete"
                | "void"
                | "throw"
                | "case"
                | "do"
                | "else"
                | "yield"
                | "await"
        ),
        Some(Tok::Str(_)) => false,
    }
}

/// What the scan walked: the files to scan, the folders it read (for ninja to watch), and what it had to skip.
#[derive(Debug, Default)]
pub struct Walked {
    pub files: Vec<Utf8PathBuf>,
    pub dirs: Vec<Utf8PathBuf>,
    /// Entries left out, with the reason, for a warning.
    pub skipped: Vec<(Utf8PathBuf, &'static str)>,
    /// Sources and folders whose names build.ninja cannot carry (a newline, carriage return, tab or `|`): gen
    /// would watch them, so each is an error.
    pub unnamable: Vec<Utf8PathBuf>,
    /// Every other plain file the walk listed (or a link to one): which of a manifest's C sources exist is read from
    /// the listing the walk made anyway, not asked of the kernel one stat each.
    pub listed: Listed,
}

/// Plain files a folder listing named, by a 64-bit hash of their path: `has` is true for a path listed as a plain file
/// (or a link to one). A path not here may still exist (a folder the walk skips): ask the kernel.
#[derive(Debug, Default)]
pub struct Listed {
    hashes: FastSet<u64>,
    path: String,
}

impl Listed {
    fn key(path: &str) -> u64 {
        use std::hash::BuildHasher;
        foldhash::fast::FixedState::with_seed(0x6e62_6c69_7374).hash_one(path)
    }

    fn note(&mut self, dir: &Utf8Path, name: &str) {
        // one buffer for every path: 20,000 names cost no allocation each
        self.path.clear();
        self.path.push_str(dir.as_str());
        if !self.path.ends_with('/') {
            self.path.push('/');
        }
        self.path.push_str(name);
        let key = Listed::key(&self.path);
        self.hashes.insert(key);
    }

    /// Whether the listing named `path` as a plain file (the same spelling: the walk's folders joined with names).
    pub fn has(&self, path: &Utf8Path) -> bool {
        self.hashes.contains(&Listed::key(path.as_str()))
    }
}

/// Source files to scan under `root`: skips node_modules, vex_modules, dot-folders and `skip` (the build folder).
/// Symlinks are followed (a linked folder once, so a loop ends); a name that is not UTF-8 is reported, not dropped.
/// With `list`, every other plain file is noted in [`Walked::listed`] (gen's; the scan edge needs only the sources).
pub fn source_files(root: &Utf8Path, exts: &[&str], skip: &[Utf8PathBuf], list: bool) -> Walked {
    let mut w = Walked::default();
    let mut seen = FastSet::default();
    let inside = std::fs::canonicalize(root).unwrap_or_else(|_| root.as_std_path().to_owned());
    let mut walker = Walker { exts, skip, inside: &inside, w: &mut w, seen: &mut seen, list };
    walker.walk(root, inside.clone(), true);
    w.files.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
    w.dirs.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
    w
}

/// A file the walk scans: one of `exts`, not a declaration file.
fn is_source(name: &str, exts: &[&str]) -> bool {
    let is_decl = [".d.ts", ".d.mts", ".d.cts"].iter().any(|d| name.ends_with(d));
    !is_decl && exts.iter().any(|x| name.ends_with(x))
}

/// Names whose presence makes a folder another build's (meson's, cmake's, another ninjabind build folder): it is
/// never scanned nor watched, so building one does not re-run the other's scan.
const BUILD_FOLDER_MARKERS: [&str; 5] =
    ["build.ninja", "CMakeCache.txt", "meson-private", "ninjabind-graph.json", ".ninja_log"];

/// Walks `dir`, whose canonical path is `canonical` (known without a syscall for a plain subfolder; asked of the
/// kernel only through a symlink). Types come from the directory listing; only links are stat'ed.
struct Walker<'a> {
    exts: &'a [&'a str],
    skip: &'a [Utf8PathBuf],
    /// The project's canonical path: links out of it are not followed.
    inside: &'a std::path::Path,
    w: &'a mut Walked,
    seen: &'a mut FastSet<std::path::PathBuf>,
    list: bool,
}

impl Walker<'_> {
    fn walk(&mut self, dir: &Utf8Path, canonical: std::path::PathBuf, top: bool) {
        let (exts, skip, inside) = (self.exts, self.skip, self.inside);
        // a folder reached twice (through a link, or a link loop) is read once
        if !self.seen.insert(canonical.clone()) {
            return;
        }
        let Ok(rd) = std::fs::read_dir(dir) else {
            // said, like a link out of the project: an import in there would go unseen
            self.w.skipped.push((dir.to_owned(), "the folder cannot be read"));
            return;
        };
        let mut entries: Vec<(String, std::fs::FileType)> = Vec::new();
        let mut marked = false;
        for e in rd.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            let raw = e.file_name();
            let Some(name) = raw.to_str() else {
                self.w.skipped.push((dir.join(raw.to_string_lossy().as_ref()), "its name is not UTF-8"));
                continue;
            };
            // a plain file that is not a source (20,000 C files beside the manifests) goes no further: no copy of
            // its name, no path
            if ft.is_file() && !is_source(name, exts) {
                marked |= BUILD_FOLDER_MARKERS.contains(&name);
                if self.list {
                    self.w.listed.note(dir, name);
                }
                continue;
            }
            if name.contains(NOT_IN_PATHS) && !name.starts_with('.') {
                self.w.unnamable.push(dir.join(name));
                continue;
            }
            entries.push((name.to_owned(), ft));
        }
        if !top && (marked || entries.iter().any(|(n, _)| BUILD_FOLDER_MARKERS.contains(&n.as_str()))) {
            return;
        }
        self.w.dirs.push(dir.to_owned());
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, ft) in entries {
            let path = dir.join(&name);
            // through a symlink to what it names; a dangling link is nothing to scan
            let (is_dir, is_file) = if ft.is_symlink() {
                match std::fs::metadata(&path) {
                    Ok(m) => (m.is_dir(), m.is_file()),
                    Err(_) => continue,
                }
            } else {
                (ft.is_dir(), ft.is_file())
            };
            if is_dir {
                if name.starts_with('.')
                    || name == "node_modules"
                    || name == "vex_modules"
                    || name == "target"
                    || skip.contains(&path)
                {
                    continue;
                }
                let child = if ft.is_symlink() {
                    let Ok(c) = std::fs::canonicalize(&path) else { continue };
                    if !c.starts_with(inside) {
                        // a link to a folder elsewhere (`/`, a home folder) would make the scan unbounded
                        self.w.skipped.push((path.clone(), "a link to a folder outside the project"));
                        continue;
                    }
                    c
                } else {
                    canonical.join(&name)
                };
                self.walk(&path, child, false);
            } else if is_file && is_source(&name, exts) {
                self.w.files.push(path);
            } else if is_file && self.list {
                self.w.listed.note(dir, &name);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The walk's listing names plain files and links to them, as their paths are spelt by joining the walk's
    /// folders; not folders, FIFOs, dangling links, sources (the walk keeps those), what is in a folder it skips, or
    /// a file made after it (those are asked of the kernel).
    #[test]
    fn the_listing_names_the_plain_files_the_walk_saw() {
        // a/x.c, b/x.c, a FIFO a/fifo, a link a/link.c to b/x.c
        let (_t, root) = crate::base::files::two_folders();
        for f in ["a/deep/y.c", "a/node_modules/m/z.c", "a/.hidden/h.c", "a/main.vx"] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "").unwrap();
        }
        std::fs::create_dir_all(root.join("a/folder.c")).unwrap();
        std::os::unix::fs::symlink(root.join("a/gone.c"), root.join("a/dangling.c")).unwrap();
        let w = source_files(&root.join("a"), &[".vx"], &[], true);
        let has = |f: &str| w.listed.has(&root.join(f));
        assert!(has("a/x.c") && has("a/deep/y.c") && has("a/link.c"));
        let not_listed = ["a/node_modules/m/z.c", "a/.hidden/h.c", "a/folder.c", "a/fifo", "a/dangling.c", "a/main.vx"];
        for not in not_listed.into_iter().chain(["a/new.c"]) {
            assert!(!has(not), "{not}");
        }
        assert_eq!(w.files, vec![root.join("a/main.vx")]);
        // the scan edge's walk lists nothing
        assert!(!source_files(&root.join("a"), &[".vx"], &[], false).listed.has(&root.join("a/x.c")));
    }

    fn specs(src: &str) -> Vec<(String, usize, usize, bool)> {
        scan("m.ts".into(), src).into_iter().map(|i| (i.specifier, i.line, i.column, i.type_only)).collect()
    }

    fn names(src: &str) -> Vec<String> {
        specs(src).into_iter().map(|s| s.0).collect()
    }

    #[test]
    fn every_import_form() {
        let src = r#"import a from "a";
import { b, c as d } from 'b';
import * as e from "e";
import "side";
export * from "re1";
export { x } from "re2";
const m = await import("dyn");
const r = require("req");
import f = require("eq");
import g, { h } from "@scope/pkg/sub";
"#;
        assert_eq!(names(src), ["a", "b", "e", "side", "re1", "re2", "dyn", "req", "eq", "@scope/pkg/sub"]);
    }

    #[test]
    fn records_line_and_column_of_the_specifier() {
        assert_eq!(specs("\n  import x from \"mysql2\";"), [("mysql2".to_string(), 2, 17, false)]);
    }

    #[test]
    fn comments_strings_and_templates_hide_imports() {
        let src = r#"// import a from "no1";
/* import b from "no2"; */
const s = "import c from 'no3'";
const t = `import d from "no4" ${ require("yes1") } and ${ `nested ${ import("yes2") }` } import("no5")`;
const re = /import("no6")/g;
const div = a / b; import e from "yes3";
"#;
        assert_eq!(names(src), ["yes1", "yes2", "yes3"]);
    }

    #[test]
    fn module_augmentations_are_type_only_references_in_modules_and_when_nested() {
        let module = "import { z } from \"zod\";\ndeclare module \"zod/v4\" { interface ZodType {} }\n";
        let got: Vec<(String, bool)> = specs(module).into_iter().map(|s| (s.0, s.3)).collect();
        assert_eq!(got, [("zod".to_string(), false), ("zod/v4".to_string(), true)]);
        let script = "declare module \"ambient\" {}\nnamespace n { declare module \"inner\" {} }\n";
        let got: Vec<(String, bool)> = specs(script).into_iter().map(|s| (s.0, s.3)).collect();
        assert_eq!(got, [("inner".to_string(), true)]);
    }

    #[test]
    fn type_only_imports_are_marked() {
        let src = r#"import type { T } from "t1";
import type U from "t2";
export type { V } from "t3";
import type from "notype";
import { type W, X } from "mixed";
"#;
        let got: Vec<(String, bool)> = specs(src).into_iter().map(|s| (s.0, s.3)).collect();
        let want = [("t1", true), ("t2", true), ("t3", true), ("notype", false), ("mixed", false)];
        assert_eq!(got, want.map(|(a, b)| (a.to_string(), b)));
    }

    #[test]
    fn member_imports_and_import_meta_are_not_imports_but_member_requires_are() {
        assert_eq!(names("module.require('x'); x.import('y'); const u = import.meta.url;"), ["x"]);
        assert!(names("export const from = 1; export default function f() {}").is_empty());
    }

    #[test]
    fn multiline_imports() {
        assert_eq!(specs("import {\n  a,\n  b,\n} from\n  \"multi\";"), [("multi".to_string(), 5, 3, false)]);
    }
}
