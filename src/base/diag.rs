//! Diagnostics in rustc's shape: `error: …`, ` --> file:line:col`, the source line with a caret, `help:`.

use camino::{Utf8Path, Utf8PathBuf};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Note,
}

/// A place in a file: 1-based line and column (in characters), with the part of the line's text shown for the
/// caret and the caret's 1-based character column in that text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub file: Utf8PathBuf,
    pub line: usize,
    pub column: usize,
    pub len: usize,
    pub text: Option<String>,
    pub caret: usize,
}

/// How many characters of a long line are kept before and after a span.
const BEFORE: usize = 60;
const AFTER: usize = 100;

impl Span {
    /// The span of the byte offset `offset` in `source`, `len` characters wide.
    pub fn at_offset(file: &Utf8Path, source: &str, offset: usize, len: usize) -> Span {
        let mut offset = offset.min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &source[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = source[line_start..offset].chars().count() + 1;
        let line_end = source[offset..].find('\n').map_or(source.len(), |i| offset + i);
        let text = source[line_start..line_end].trim_end_matches('\r');
        Span::in_line(file, line, column, len, text, offset - line_start)
    }

    /// The span at byte `byte` (character column `column`) of the line `text`, `len` characters wide. Only ~160
    /// characters around it are kept, `…` marking a cut: each of a 10,000-function one-line manifest's spans held a
    /// copy of its whole 669 KB line (6.6 GB).
    pub fn in_line(file: &Utf8Path, line: usize, column: usize, len: usize, text: &str, byte: usize) -> Span {
        let len = len.max(1);
        let mut byte = byte.min(text.len());
        while !text.is_char_boundary(byte) {
            byte -= 1;
        }
        let start = text[..byte].char_indices().rev().take(BEFORE).last().map_or(byte, |(i, _)| i);
        let end = text[byte..].char_indices().nth(len + AFTER).map_or(text.len(), |(i, _)| byte + i);
        let mut shown = String::with_capacity(end - start + 6);
        if start > 0 {
            shown.push('…');
        }
        shown.push_str(&text[start..end]);
        if end < text.len() {
            shown.push('…');
        }
        let caret = text[start..byte].chars().count() + 1 + usize::from(start > 0);
        Span { file: file.to_owned(), line, column, len, text: Some(shown), caret }
    }
}

/// A file's text, shared by the [`Place`]s in it.
#[derive(Debug)]
pub struct PlaceText {
    pub file: Utf8PathBuf,
    pub text: String,
}

/// A span whose line, column and line text are worked out only when a message needs them: a manifest's 20,000
/// sources each held a [`Span`] (three allocations and a line count) for errors that almost never come.
#[derive(Debug, Clone)]
pub struct Place {
    text: std::sync::Arc<PlaceText>,
    offset: usize,
    len: usize,
}

impl Place {
    pub fn new(text: std::sync::Arc<PlaceText>, offset: usize, len: usize) -> Place {
        Place { text, offset, len }
    }

    /// The span, as [`Span::at_offset`] gives it.
    pub fn span(&self) -> Span {
        Span::at_offset(&self.text.file, &self.text.text, self.offset, self.len)
    }

    /// The JSON string that starts here, decoded; `None` where no string starts.
    pub fn json_string(&self) -> Option<String> {
        let mut de = serde_json::Deserializer::from_str(self.text.text.get(self.offset..)?);
        <String as serde::Deserialize>::deserialize(&mut de).ok()
    }
}

/// Two places are equal when their spans are.
impl PartialEq for Place {
    fn eq(&self, other: &Place) -> bool {
        self.span() == other.span()
    }
}

impl Eq for Place {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub level: Level,
    pub message: String,
    pub span: Option<Span>,
    pub notes: Vec<String>,
    pub help: Vec<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic { level: Level::Error, message: message.into(), span: None, notes: vec![], help: vec![] }
    }
    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic { level: Level::Warning, ..Diagnostic::error(message) }
    }
    pub fn note(message: impl Into<String>) -> Self {
        Diagnostic { level: Level::Note, ..Diagnostic::error(message) }
    }
    pub fn with_span(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }
    /// This diagnostic as an error value for `?`.
    pub fn into_err(self) -> anyhow::Error {
        anyhow::Error::new(self)
    }
}

impl Diagnostic {
    /// The text rustc would print, with rustc's colours when `color` (bold red `error`, blue gutter, …).
    pub fn render(&self, color: bool) -> String {
        let paint =
            |codes: &str, text: &str| if color { format!("\x1b[{codes}m{text}\x1b[0m") } else { text.to_string() };
        let (level, tone) = match self.level {
            Level::Error => ("error", "1;31"),
            Level::Warning => ("warning", "1;33"),
            Level::Note => ("note", "1;32"),
        };
        let blue = "1;34";
        let mut o = format!("{}{}", paint(tone, level), paint("1", &format!(": {}", self.message)));
        if let Some(span) = &self.span {
            let gutter = span.line.to_string().len();
            let pad = " ".repeat(gutter);
            o.push_str(&format!("\n{pad}{} {}:{}:{}", paint(blue, "-->"), span.file, span.line, span.column));
            if let Some(text) = &span.text {
                let caret_pad: String = text
                    .chars()
                    .take(span.caret.saturating_sub(1))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let bar = paint(blue, &format!("{pad} |"));
                let number = paint(blue, &format!("{} |", span.line));
                o.push_str(&format!(
                    "\n{bar}\n{number} {text}\n{bar} {caret_pad}{}",
                    paint(tone, &"^".repeat(span.len))
                ));
            }
        }
        for note in &self.notes {
            o.push_str(&format!("\n  {} {note}", paint("1", "= note:")));
        }
        for help in &self.help {
            o.push_str(&format!("\n{} {help}", paint("1;36", "help:")));
        }
        o
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl std::error::Error for Diagnostic {}

/// Warnings and notes gathered while the stages run; errors travel as `Err` instead.
#[derive(Debug, Default)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        if !self.items.contains(&d) {
            self.items.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_is_cut_to_a_window_around_the_caret() {
        let line = format!("{}X{}", "a".repeat(10_000), "b".repeat(10_000));
        let d = Diagnostic::error("here").with_span(Span::in_line("f.json".into(), 1, 10_001, 1, &line, 10_000));
        let shown = d.to_string();
        assert!(shown.len() < 600, "{}", shown.len());
        let lines: Vec<&str> = shown.lines().collect();
        let (code, caret) = (lines[3].trim_start_matches("1 | "), lines[4].trim_start_matches("  | "));
        assert!(code.starts_with('…') && code.ends_with('…'), "{code}");
        assert_eq!(code.chars().nth(caret.chars().count() - 1), Some('X'), "{code}\n{caret}");
    }

    #[test]
    fn renders_caret_under_the_column() {
        let src = "{\n  \"name\": 3\n}\n";
        let d = Diagnostic::error("expected a string").with_span(Span::at_offset("vex.json".into(), src, 12, 1));
        assert_eq!(
            d.to_string(),
            "error: expected a string\n --> vex.json:2:11\n  |\n2 |   \"name\": 3\n  |           ^"
        );
    }
}
