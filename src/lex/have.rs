//! HAVE_* macro gating (SPEC §5): which macros a C source's top-level guard needs, and which the flags define.

use crate::base::files;
use std::collections::BTreeSet;

/// Only the first 64 KiB are read for the header area.
const HEADER_CAP: usize = 64 * 1024;

/// Sources up to this size are read whole; larger ones only in their header area and their tail.
const WHOLE_CAP: u64 = 1 << 20;

/// The `HAVE_*` macros the top-level guard of the source at `path` requires, reading only a regular file, and of a
/// large one only its first 64 KiB and as much of its end as it takes to find its last directive (a 1 GB source
/// costs two small reads, a FIFO or a device is an error, never a hang).
pub fn required_macros_in(path: &camino::Utf8Path) -> std::io::Result<Vec<String>> {
    required_macros_with_meta(&mut files::Folder::default(), path).map(|(_, macros)| macros)
}

/// [`required_macros_in`] and the metadata of the file it read (one open, one `fstat`; a small file is read in one
/// `read` of its size, not a second one to see its end).
pub fn required_macros_with_meta(
    folder: &mut files::Folder,
    path: &camino::Utf8Path,
) -> std::io::Result<(std::fs::Metadata, Vec<String>)> {
    let (mut f, meta) = folder.open_regular_meta(path)?;
    let size = meta.len();
    if size <= WHOLE_CAP {
        use std::io::Read;
        let mut bytes = vec![0u8; size as usize];
        let mut filled = 0;
        while filled < bytes.len() {
            match f.read(&mut bytes[filled..])? {
                0 => break,
                n => filled += n,
            }
        }
        bytes.truncate(filled);
        return Ok((meta, required_macros(&String::from_utf8_lossy(&bytes))));
    }
    large_file_macros(f, size).map(|m| (meta, m))
}

/// The guard of a source over [`WHOLE_CAP`]: its header area, and its end when the guard wraps the file.
fn large_file_macros(mut f: std::fs::File, size: u64) -> std::io::Result<Vec<String>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut head = vec![0u8; HEADER_CAP];
    let n = f.read(&mut head)?;
    head.truncate(n);
    let head = String::from_utf8_lossy(&head).into_owned();
    let Some((macros, negative, _)) = first_guard(&head) else { return Ok(Vec::new()) };
    if negative {
        return Ok(macros);
    }
    // a wrapping guard counts when the file's last directive is an `#endif` (a large file's nesting is not read)
    let mut end = size;
    let mut carry: Vec<u8> = Vec::new();
    while end > 0 {
        let start = end.saturating_sub(HEADER_CAP as u64);
        let mut chunk = vec![0u8; (end - start) as usize];
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&carry);
        // whole lines only: the part before the first newline may continue in the previous chunk
        let cut = if start == 0 { 0 } else { chunk.iter().position(|b| *b == b'\n').map_or(chunk.len(), |i| i + 1) };
        let text = String::from_utf8_lossy(&chunk[cut..]).into_owned();
        if let Some(last) = directives(&text).last() {
            return Ok(if last.text.starts_with("endif") { macros } else { Vec::new() });
        }
        carry = chunk[..cut].to_vec();
        end = start;
    }
    Ok(Vec::new())
}

/// The first conditional of the header area that names `HAVE_*` macros: (macros, negative, its directive index).
fn first_guard(text: &str) -> Option<(Vec<String>, bool, usize)> {
    let directives = directives(&text[..floor_char_boundary(text, HEADER_CAP)]);
    let header_end = header_area_end(text);
    for (n, d) in directives.iter().enumerate() {
        if d.offset >= header_end {
            break;
        }
        let Some((kind, cond)) = conditional(&d.text) else {
            continue;
        };
        let macros = have_macros(cond);
        if macros.is_empty() {
            continue; // include guards and other macros never gate
        }
        let negative = kind == "ifndef" || (kind == "if" && cond.contains('!'));
        return Some((macros, negative, n));
    }
    None
}

/// The `HAVE_*` macros the source's top-level guard requires (empty: not gated).
pub fn required_macros(text: &str) -> Vec<String> {
    // a text that never spells `HAVE_` has no gate (comments become spaces and continuations join with one: neither
    // makes the word), and most sources are such: no directives, no comment stripping
    if !text.contains("HAVE_") {
        return Vec::new();
    }
    let Some((macros, negative, n)) = first_guard(text) else { return Vec::new() };
    if negative || matching_endif_is_last(&directives(text), n) {
        macros
    } else {
        Vec::new()
    }
}

/// Whether `macro_name` is defined by `flags` (`-DX`, `-DX=v`, `-D X`), unless a later `-U` undefines it.
pub fn defined_macros(flags: &[String]) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    let mut it = flags.iter().peekable();
    while let Some(f) = it.next() {
        let (define, rest) = if let Some(r) = f.strip_prefix("-D") {
            (true, r)
        } else if let Some(r) = f.strip_prefix("-U") {
            (false, r)
        } else {
            continue;
        };
        let word = if rest.is_empty() { it.next().map(String::as_str).unwrap_or("") } else { rest };
        let name = word.split('=').next().unwrap_or("").to_string();
        if name.is_empty() {
            continue;
        }
        if define {
            set.insert(name);
        } else {
            set.remove(&name);
        }
    }
    set
}

struct Directive {
    offset: usize,
    text: String,
}

/// Every preprocessor directive with comments removed and continuations joined.
fn directives(text: &str) -> Vec<Directive> {
    let clean = strip_comments(text);
    let mut out = Vec::new();
    let mut offset = 0;
    let mut lines = clean.split_inclusive('\n');
    while let Some(line) = lines.next() {
        let start = offset;
        offset += line.len();
        let t = line.trim_start();
        if !t.starts_with('#') {
            continue;
        }
        let mut joined = t.trim_end().to_string();
        while joined.ends_with('\\') {
            joined.pop();
            match lines.next() {
                Some(l) => {
                    offset += l.len();
                    joined.push(' ');
                    joined.push_str(l.trim());
                }
                None => break,
            }
        }
        out.push(Directive { offset: start, text: joined[1..].trim().to_string() });
    }
    out
}

/// Replaces comments with spaces (keeping newlines and offsets), leaving string literals alone.
fn strip_comments(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' | b'\'' => {
                let q = b[i];
                i += 1;
                while i < b.len() && b[i] != q && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    out[i] = b' ';
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = text[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
                for c in &mut out[i..end] {
                    if *c != b'\n' {
                        *c = b' ';
                    }
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// Byte offset where the header area (blank lines, comments, preprocessor lines) ends.
fn header_area_end(text: &str) -> usize {
    let head = &text[..floor_char_boundary(text, HEADER_CAP)];
    let clean = strip_comments(head);
    let mut offset = 0;
    let mut continued = false;
    for line in clean.split_inclusive('\n') {
        let t = line.trim();
        let is_directive = continued || t.starts_with('#');
        continued = is_directive && t.ends_with('\\');
        if !(t.is_empty() || is_directive) {
            return offset;
        }
        offset += line.len();
    }
    offset
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `(kind, condition)` for `#if`, `#ifdef`, `#ifndef`.
fn conditional(d: &str) -> Option<(&str, &str)> {
    let kind_len = d.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(d.len());
    let kind = &d[..kind_len];
    matches!(kind, "if" | "ifdef" | "ifndef").then(|| (kind, d[kind_len..].trim()))
}

fn have_macros(cond: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in cond.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        let is_have = word.strip_prefix("HAVE_").is_some_and(|r| {
            !r.is_empty() && r.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        });
        if is_have && !out.iter().any(|m| m == word) {
            out.push(word.to_string());
        }
    }
    out
}

fn matching_endif_is_last(ds: &[Directive], open: usize) -> bool {
    let mut depth = 0usize;
    for (n, d) in ds.iter().enumerate().skip(open) {
        if conditional(&d.text).is_some() {
            depth += 1;
        } else if d.text.starts_with("endif") {
            depth -= 1;
            if depth == 0 {
                return n == ds.len() - 1;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(src: &str) -> Vec<String> {
        required_macros(src)
    }

    /// The shortcut for a text without the word `HAVE_` gives what the whole lexer gives: a macro split by a
    /// continuation or a comment is not one, and neither is any other guard.
    #[test]
    fn a_text_that_never_spells_have_has_no_gate() {
        for text in [
            "#ifndef HA\\\nVE_X\n#error no\n#endif\nint f;\n",
            "#ifdef HA/* */VE_X\nint f;\n#endif\n",
            "#if !defined(HAS_X)\n#error no\n#endif\n",
            "#ifndef P0_H\n#define P0_H\n#endif\n",
            "",
        ] {
            assert!(!text.contains("HAVE_"));
            assert_eq!(first_guard(text), None, "{text:?}");
            assert!(req(text).is_empty(), "{text:?}");
        }
        // spelled in a comment only: the whole lexer runs, and finds no gate either
        assert!(req("// HAVE_X\n#ifdef P\n#endif\nint f;\n").is_empty());
    }

    #[test]
    fn ifndef_with_error_gates() {
        assert_eq!(
            req("#ifndef HAVE_SQLITE\n#error need sqlite\n#endif\n#include <sqlite3.h>\nint f(void){return 0;}\n"),
            ["HAVE_SQLITE"]
        );
    }

    #[test]
    fn negated_defined_forms_gate() {
        assert_eq!(req("#if !defined(HAVE_LIBPQ)\n#error x\n#endif\nint f;"), ["HAVE_LIBPQ"]);
        assert_eq!(req("#if !defined HAVE_LIBPQ\n#error x\n#endif\nint f;"), ["HAVE_LIBPQ"]);
    }

    #[test]
    fn positive_guard_gates_only_when_it_wraps_the_file() {
        let wraps = "#ifdef HAVE_MYSQL\n#include <mysql.h>\nint f(void){return 1;}\n#endif\n";
        assert_eq!(req(wraps), ["HAVE_MYSQL"]);
        assert_eq!(req("#if defined(HAVE_MYSQL)\nint f;\n#endif /* HAVE_MYSQL */\n"), ["HAVE_MYSQL"]);
        assert_eq!(req("#if HAVE_MYSQL\nint f;\n#endif\n"), ["HAVE_MYSQL"]);
        let partial = "#ifdef HAVE_MYSQL\n#include <mysql.h>\n#endif\nint f(void){return 1;}\n#ifdef X\n#endif\n";
        assert!(req(partial).is_empty());
    }

    #[test]
    fn include_guards_never_gate_but_a_later_have_guard_does() {
        assert!(req("#ifndef DB_H\n#define DB_H\nint f(void);\n#endif\n").is_empty());
        assert_eq!(req("// driver\n/* multi\n line */\n#ifndef X_H\n#define X_H\n#ifndef HAVE_PG\n#error no\n#endif\nint f;\n#endif\n"), ["HAVE_PG"]);
    }

    #[test]
    fn conjunctions_need_all_macros() {
        assert_eq!(req("#if !defined(HAVE_A) || !defined(HAVE_B)\n#error\n#endif\nint x;"), ["HAVE_A", "HAVE_B"]);
        assert_eq!(req("#if defined(HAVE_A) && defined(HAVE_B)\nint x;\n#endif\n"), ["HAVE_A", "HAVE_B"]);
    }

    #[test]
    fn a_guard_after_code_is_not_a_gate() {
        assert!(req("int x;\n#ifndef HAVE_A\n#error\n#endif\n").is_empty());
        assert!(req("#include <stdio.h>\n// c\nint main(void){\n#ifndef HAVE_A\n#endif\n}").is_empty());
    }

    #[test]
    fn commented_out_guards_do_not_count() {
        assert!(req("// #ifndef HAVE_A\n/* #ifndef HAVE_B */\nint x;").is_empty());
    }

    #[test]
    fn flags_define_and_undefine() {
        let f = |v: &[&str]| defined_macros(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert!(f(&["-DHAVE_A"]).contains("HAVE_A"));
        assert!(f(&["-DHAVE_A=1"]).contains("HAVE_A"));
        assert!(f(&["-D", "HAVE_A"]).contains("HAVE_A"));
        assert!(!f(&["-DHAVE_A", "-UHAVE_A"]).contains("HAVE_A"));
        assert!(!f(&["-DHAVE_A", "-U", "HAVE_A"]).contains("HAVE_A"));
        assert!(f(&["-UHAVE_A", "-DHAVE_A"]).contains("HAVE_A"));
    }
}
