//! A JSON manifest with its text kept, so any JSON path can be turned back into file:line:col.

use crate::base::diag::{Diagnostic, Place, PlaceText, Span};
use crate::base::files;
use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use serde_json::Value;
use std::fmt;

/// Manifests above this size are refused before parsing (SPEC §8: a 50 MB manifest).
pub const MAX_MANIFEST_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A path into a JSON document, displayed as `native.features.sqlite.cflags[2]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JPath(pub Vec<Seg>);

impl JPath {
    pub fn key(&self, k: &str) -> JPath {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_string()));
        p
    }
    pub fn index(&self, i: usize) -> JPath {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }
}

impl fmt::Display for JPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if n == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

#[derive(Debug)]
pub struct JsonDoc {
    pub path: Utf8PathBuf,
    pub text: String,
    pub value: Value,
    /// Each object's members as spans looked them up (by the object's offset): the quoted key's byte range and the
    /// value's offset. Listed once per object, not once per path through it (a manifest's spans walked it eight times).
    members: std::cell::RefCell<std::collections::HashMap<usize, std::rc::Rc<[Member]>>>,
    /// The text again, shared by the [`Place`]s handed out (made on the first).
    shared: std::cell::OnceCell<std::sync::Arc<PlaceText>>,
}

/// One member of an object in the text: its quoted key's bytes `start..end` and its value's offset.
#[derive(Debug, Clone, Copy)]
struct Member {
    start: usize,
    end: usize,
    value: usize,
}

impl JsonDoc {
    /// Reads and parses `path`; a syntax error points at its line and column.
    pub fn read(path: &Utf8Path, display: &Utf8Path) -> Result<JsonDoc> {
        let len = std::fs::metadata(path).with_context(|| format!("cannot read {display}"))?.len();
        if len > MAX_MANIFEST_BYTES {
            return Err(Diagnostic::error(format!(
                "{display} is {len} bytes, larger than the {MAX_MANIFEST_BYTES}-byte limit for a manifest"
            ))
            .into_err());
        }
        // regular files only (a FIFO never blocks), UTF-8 only (a non-UTF-8 byte is an error, not a guess)
        let bytes = files::read_regular(path, MAX_MANIFEST_BYTES).with_context(|| format!("cannot read {display}"))?;
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                return Err(Diagnostic::error(format!("{display} is not UTF-8: an invalid byte at offset {at}"))
                    .with_span(Span::at_offset(display, &text, at.min(text.len()), 1))
                    .into_err());
            }
        };
        // a UTF-8 byte order mark is skipped, as npm and node do
        let text = match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_string(),
            None => text,
        };
        Self::parse(display, text)
    }

    pub fn parse(display: &Utf8Path, text: String) -> Result<JsonDoc> {
        match serde_json::from_str::<Value>(&text) {
            Ok(value) => Ok(JsonDoc {
                path: display.to_owned(),
                text,
                value,
                members: Default::default(),
                shared: Default::default(),
            }),
            Err(e) => {
                let offset = line_col_to_offset(&text, e.line(), e.column());
                let msg = e.to_string();
                let msg = msg.rsplit_once(" at line ").map_or(msg.as_str(), |(m, _)| m);
                Err(Diagnostic::error(format!("{display} is not valid JSON: {msg}"))
                    .with_span(Span::at_offset(display, &text, offset, 1))
                    .into_err())
            }
        }
    }

    /// The span of the value at `path` (its key's value), or of the document when it is not found.
    pub fn span(&self, path: &JPath) -> Span {
        let offset = self.locate(&path.0).unwrap_or(0);
        let len = value_len(self.text.as_bytes(), offset).clamp(1, 60);
        Span::at_offset(&self.path, &self.text, offset, len)
    }

    /// The spans of every element of the array at `path`, in order, found in one pass over the text (a span per
    /// call re-read the document from its start: 1,000 dependencies cost a million line counts).
    pub fn element_spans(&self, path: &JPath) -> Vec<Span> {
        self.spans_at(&self.element_offsets(path))
    }

    /// [`JsonDoc::span`] as a [`Place`]: its line is counted only if a message needs it.
    pub fn place(&self, path: &JPath) -> Place {
        self.place_at(self.locate(&path.0).unwrap_or(0))
    }

    /// [`JsonDoc::element_spans`] as [`Place`]s.
    pub fn element_places(&self, path: &JPath) -> Vec<Place> {
        self.element_offsets(path).into_iter().map(|o| self.place_at(o)).collect()
    }

    fn place_at(&self, offset: usize) -> Place {
        let len = value_len(self.text.as_bytes(), offset).clamp(1, 60);
        let text = self
            .shared
            .get_or_init(|| std::sync::Arc::new(PlaceText { file: self.path.clone(), text: self.text.clone() }));
        Place::new(text.clone(), offset, len)
    }

    /// The offset of every element of the array at `path`, in order.
    fn element_offsets(&self, path: &JPath) -> Vec<usize> {
        let b = self.text.as_bytes();
        let Some(mut i) = self.locate(&path.0).filter(|&i| b.get(i) == Some(&b'[')) else { return vec![] };
        let mut offsets = Vec::new();
        i = skip_ws(b, i + 1);
        while i < b.len() && b[i] != b']' {
            offsets.push(i);
            i = skip_ws(b, skip_value(b, i));
            if b.get(i) != Some(&b',') {
                break;
            }
            i = skip_ws(b, i + 1);
        }
        offsets
    }

    /// For each element of the array at `path`, the span of its member `key`'s value (`None` where the element is no
    /// object or lacks it), found in one pass: 10,000 `functions[]` entries, each looked up from the document's start,
    /// were quadratic.
    pub fn element_member_spans(&self, path: &JPath, key: &str) -> Vec<Option<Span>> {
        let b = self.text.as_bytes();
        let Some(mut i) = self.locate(&path.0).filter(|&i| b.get(i) == Some(&b'[')) else { return vec![] };
        let mut found: Vec<Option<usize>> = Vec::new();
        i = skip_ws(b, i + 1);
        while i < b.len() && b[i] != b']' {
            found.push(member_offset(b, i, key));
            i = skip_ws(b, skip_value(b, i));
            if b.get(i) != Some(&b',') {
                break;
            }
            i = skip_ws(b, i + 1);
        }
        let offsets: Vec<usize> = found.iter().flatten().copied().collect();
        let mut spans = self.spans_at(&offsets).into_iter();
        found.iter().map(|o| o.and_then(|_| spans.next())).collect()
    }

    /// The span of each member's value of the object at `path`, by key (the last of duplicate keys, as serde_json
    /// keeps), found in one pass.
    pub fn member_spans(&self, path: &JPath) -> std::collections::HashMap<String, Span> {
        let b = self.text.as_bytes();
        let Some(mut i) = self.locate(&path.0).filter(|&i| b.get(i) == Some(&b'{')) else { return Default::default() };
        let mut members: Vec<(String, usize)> = Vec::new();
        i += 1;
        loop {
            i = skip_ws(b, i);
            if b.get(i) != Some(&b'"') {
                break;
            }
            let end = skip_string(b, i);
            let Ok(key) = serde_json::from_slice::<String>(&b[i..end]) else { break };
            i = skip_ws(b, skip_ws(b, end) + 1); // past ':'
            members.push((key, i));
            i = skip_ws(b, skip_value(b, i));
            if b.get(i) == Some(&b',') {
                i += 1;
            }
        }
        let offsets: Vec<usize> = members.iter().map(|(_, o)| *o).collect();
        members.into_iter().map(|(k, _)| k).zip(self.spans_at(&offsets)).collect()
    }

    /// Spans at ascending byte offsets, counting lines once from the start to the last.
    fn spans_at(&self, offsets: &[usize]) -> Vec<Span> {
        let (text, b) = (&self.text, self.text.as_bytes());
        // line, column and line start carried from one offset to the next (they come in order): on a one-line
        // manifest, counting each column from the line's start was quadratic
        let (mut line, mut line_start, mut at, mut column) = (1, 0, 0, 1);
        // the current line's end, found once per line (not once per span: a one-line file was quadratic again)
        let mut line_end: Option<usize> = None;
        offsets
            .iter()
            .map(|&offset| {
                let offset = offset.max(at).min(text.len());
                for (k, c) in b[at..offset].iter().enumerate() {
                    if *c == b'\n' {
                        line += 1;
                        line_start = at + k + 1;
                        column = 1;
                        line_end = None;
                    } else if *c & 0xC0 != 0x80 {
                        column += 1;
                    }
                }
                at = offset;
                let line_end =
                    *line_end.get_or_insert_with(|| text[offset..].find('\n').map_or(text.len(), |i| offset + i));
                let line_text = text[line_start..line_end].trim_end_matches('\r');
                let len = value_len(b, offset).clamp(1, 60);
                Span::in_line(&self.path, line, column, len, line_text, offset - line_start)
            })
            .collect()
    }

    pub fn error(&self, path: &JPath, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(message).with_span(self.span(path))
    }

    pub fn warning(&self, path: &JPath, message: impl Into<String>) -> Diagnostic {
        Diagnostic::warning(message).with_span(self.span(path))
    }

    pub fn note(&self, path: &JPath, message: impl Into<String>) -> Diagnostic {
        Diagnostic::note(message).with_span(self.span(path))
    }
}

fn line_col_to_offset(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (n, l) in text.split_inclusive('\n').enumerate() {
        if n + 1 == line {
            // serde_json counts columns in bytes
            let mut at = column.saturating_sub(1).min(l.len());
            while !l.is_char_boundary(at) {
                at -= 1;
            }
            return offset + at;
        }
        offset += l.len();
    }
    text.len()
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// End of the string literal that starts at `i` (which holds `"`).
fn skip_string(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

#[cfg(test)]
thread_local! {
    /// How many values were skipped over: the work spans cost, counted by tests (never timed).
    pub static SKIPPED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn skip_value(b: &[u8], i: usize) -> usize {
    #[cfg(test)]
    SKIPPED.with(|c| c.set(c.get() + 1));
    match b.get(i) {
        Some(b'"') => skip_string(b, i),
        Some(b'{') | Some(b'[') => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = skip_string(b, j);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return j + 1;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            b.len()
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']') && !b[j].is_ascii_whitespace() {
                j += 1;
            }
            j
        }
    }
}

fn value_len(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b'{') | Some(b'[') => 1,
        Some(_) => skip_value(b, i) - i,
        None => 1,
    }
}

/// The offset of member `key`'s value in the object at `i` (the last of duplicate keys, as serde_json keeps).
fn member_offset(b: &[u8], mut i: usize, key: &str) -> Option<usize> {
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    let mut found = None;
    loop {
        i = skip_ws(b, i);
        if b.get(i) != Some(&b'"') {
            return found;
        }
        let end = skip_string(b, i);
        let is_key = key_is(&b[i..end], key)?;
        i = skip_ws(b, skip_ws(b, end) + 1); // past ':'
        if is_key {
            found = Some(i);
        }
        i = skip_ws(b, skip_value(b, i));
        if b.get(i) == Some(&b',') {
            i += 1;
        }
    }
}

/// Whether the quoted JSON string `quoted` is `key`: by its bytes when it has no escape (no String per key read),
/// else decoded; `None` when it cannot be decoded.
fn key_is(quoted: &[u8], key: &str) -> Option<bool> {
    let raw = quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or_default();
    if !raw.contains(&b'\\') && quoted.len() >= 2 && quoted.ends_with(b"\"") {
        return Some(raw == key.as_bytes());
    }
    serde_json::from_slice::<String>(quoted).ok().map(|k| k == key)
}

impl JsonDoc {
    /// Byte offset of the value at `path` in the (valid) text: the last of duplicate keys, as serde_json keeps.
    fn locate(&self, path: &[Seg]) -> Option<usize> {
        let b = self.text.as_bytes();
        let mut i = skip_ws(b, 0);
        for seg in path {
            match seg {
                Seg::Key(k) => {
                    let members = self.members_at(i)?;
                    i = members.iter().rev().find(|m| key_is(&b[m.start..m.end], k) == Some(true))?.value;
                }
                Seg::Index(n) => i = element(b, i, *n)?,
            }
        }
        Some(i)
    }

    /// The members of the object at offset `i`, listed on first use; `None` when no object starts there.
    fn members_at(&self, i: usize) -> Option<std::rc::Rc<[Member]>> {
        let b = self.text.as_bytes();
        if b.get(i) != Some(&b'{') {
            return None;
        }
        if let Some(m) = self.members.borrow().get(&i) {
            return Some(m.clone());
        }
        let mut list = Vec::new();
        let mut j = i + 1;
        loop {
            j = skip_ws(b, j);
            if b.get(j) != Some(&b'"') {
                break;
            }
            let end = skip_string(b, j);
            let value = skip_ws(b, skip_ws(b, end) + 1); // past ':'
            list.push(Member { start: j, end, value });
            j = skip_ws(b, skip_value(b, value));
            if b.get(j) == Some(&b',') {
                j += 1;
            }
        }
        let list: std::rc::Rc<[Member]> = list.into();
        self.members.borrow_mut().insert(i, list.clone());
        Some(list)
    }
}

/// The offset of element `n` of the array at offset `i`; `None` when no array starts there or it is shorter.
fn element(b: &[u8], i: usize, n: usize) -> Option<usize> {
    if b.get(i) != Some(&b'[') {
        return None;
    }
    let mut i = skip_ws(b, i + 1);
    for _ in 0..n {
        i = skip_ws(b, skip_value(b, i));
        if b.get(i) != Some(&b',') {
            return None;
        }
        i = skip_ws(b, i + 1);
    }
    Some(i)
}

/// Byte offset of the value at `path` in a valid JSON text (the last of duplicate keys, as serde_json keeps), walked
/// from the start: what [`JsonDoc::locate`] finds, kept to check it against.
#[cfg(test)]
fn locate(b: &[u8], path: &[Seg]) -> Option<usize> {
    let mut i = skip_ws(b, 0);
    for seg in path {
        match seg {
            Seg::Key(k) => i = member_offset(b, i, k)?,
            Seg::Index(n) => i = element(b, i, *n)?,
        }
    }
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span_of(text: &str, path: JPath) -> (usize, usize) {
        let doc = JsonDoc::parse("m.json".into(), text.to_string()).unwrap();
        let s = doc.span(&path);
        (s.line, s.column)
    }

    #[test]
    fn listed_members_find_what_the_walk_from_the_start_finds() {
        let text =
            "{\"a\": {\"b\": [1, {\"c\": 2, \"c\": 3}], \"d\\u0065\": 5, \"b\": [7]}, \"e\": {}, \"a\": {\"z\": 1}}";
        let doc = JsonDoc::parse("m.json".into(), text.to_string()).unwrap();
        let top = JPath::default();
        let paths = [
            top.key("a"),
            top.key("a").key("z"),
            top.key("a").key("b"),
            top.key("e"),
            top.key("e").key("x"),
            top.key("nope"),
            top.key("a").key("z").key("deeper"),
            top.index(0),
        ];
        for p in paths {
            assert_eq!(doc.locate(&p.0), locate(text.as_bytes(), &p.0), "{p}");
        }
        let nested = "{\"a\": {\"b\": [1, {\"c\": 2, \"c\": 3}], \"d\\u0065\": 5}}";
        let doc = JsonDoc::parse("n.json".into(), nested.to_string()).unwrap();
        for p in [top.key("a").key("b").index(1).key("c"), top.key("a").key("de"), top.key("a").key("b").index(2)] {
            assert_eq!(doc.locate(&p.0), locate(nested.as_bytes(), &p.0), "{p}");
        }
    }

    #[test]
    fn locates_nested_keys_and_indices() {
        let text = "{\n  \"a\": {\"b\": [1, \"x\", {\"c\": true}]},\n  \"d\": 4\n}";
        assert_eq!(span_of(text, JPath::default().key("d")), (3, 8));
        assert_eq!(span_of(text, JPath::default().key("a").key("b").index(1)), (2, 18));
        assert_eq!(span_of(text, JPath::default().key("a").key("b").index(2).key("c")), (2, 29));
    }

    #[test]
    fn spans_found_in_one_pass_are_the_spans_found_one_by_one() {
        let text = "{\n  \"deps\": {\"a\": \"1\",\n   \"b\": {\"path\": \"x\"}, \"a\": \"2\"},\n  \"s\": [\"x.c\",\n \"é.c\", 3, [1], {}]\n}";
        let doc = JsonDoc::parse("m.json".into(), text.to_string()).unwrap();
        let s = JPath::default().key("s");
        let one_by_one: Vec<Span> = (0..5).map(|i| doc.span(&s.index(i))).collect();
        assert_eq!(doc.element_spans(&s), one_by_one);
        let d = JPath::default().key("deps");
        let objects = JPath::default().key("o");
        let text2 = "{\"o\": [{\"name\": \"a\"},\n 3, {\"x\": 1, \"name\": \"b\"}, {}]}";
        let doc2 = JsonDoc::parse("f.json".into(), text2.to_string()).unwrap();
        let names: Vec<Option<Span>> =
            (0..4).map(|i| [0, 2].contains(&i).then(|| doc2.span(&objects.index(i).key("name")))).collect();
        assert_eq!(doc2.element_member_spans(&objects, "name"), names);
        let members = doc.member_spans(&d);
        assert_eq!(members.len(), 2);
        for k in ["a", "b"] {
            assert_eq!(members[k], doc.span(&d.key(k)), "{k}");
        }
        assert!(doc.element_spans(&d).is_empty() && doc.member_spans(&s).is_empty());
    }

    #[test]
    fn keys_inside_strings_do_not_confuse_the_locator() {
        let text = r#"{"x": "\"d\": 1 }", "d": [2]}"#;
        assert_eq!(span_of(text, JPath::default().key("d").index(0)), (1, 27));
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let err = JsonDoc::parse("vex.json".into(), "{\n  \"name\": \"x\",\n}\n".into()).unwrap_err();
        let d = err.downcast_ref::<Diagnostic>().unwrap();
        let span = d.span.as_ref().unwrap();
        assert_eq!((span.line, span.column), (3, 1));
        assert!(d.message.starts_with("vex.json is not valid JSON: trailing comma"), "{}", d.message);
    }

    #[test]
    fn paths_display_like_javascript() {
        let p = JPath::default().key("functions").index(3).key("params").index(1);
        assert_eq!(p.to_string(), "functions[3].params[1]");
    }

    /// A place gives the span the eager lookup gives: elements on one line and on several, a multi-byte character
    /// before one, CRLF line ends, an element that is an object, a missing path (the document's start).
    #[test]
    fn places_give_the_spans_the_eager_lookup_gives() {
        let text = "{\r\n  \"é\": 1, \"sources\": [\"a.c\", \"b.c\",\r\n    \"c.c\", {\"x\": [1]},\n \"d.c\"]\n}";
        let doc = JsonDoc::parse("m.json".into(), text.to_string()).unwrap();
        let top = JPath::default();
        let places: Vec<Span> = doc.element_places(&top.key("sources")).iter().map(Place::span).collect();
        assert_eq!(places.len(), 5);
        assert_eq!(places, doc.element_spans(&top.key("sources")));
        for path in [top.key("sources").index(2), top.key("é"), top.key("missing")] {
            assert_eq!(doc.place(&path).span(), doc.span(&path), "{path:?}");
        }
        assert_eq!((places[2].line, places[2].column), (3, 5));
    }
}
