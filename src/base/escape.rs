//! Every escaping context, each in exactly one function: ninja paths, ninja values, `/bin/sh` words, response-file words, depfile paths, JSON strings.

/// A path in a `build` line: `$`, space and `:` are special to ninja.
pub fn ninja_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_ninja_path(&mut out, s);
    out
}

/// [`ninja_path`] appended to `out` (a path without `$`, space or `:` as it stands).
pub fn push_ninja_path(out: &mut String, s: &str) {
    if !s.bytes().any(|b| matches!(b, b'$' | b' ' | b':')) {
        return out.push_str(s);
    }
    for c in s.chars() {
        match c {
            '$' => out.push_str("$$"),
            ' ' => out.push_str("$ "),
            ':' => out.push_str("$:"),
            c => out.push(c),
        }
    }
}

/// A variable's value: only `$` is special (ninja strips leading spaces, so escape one there).
pub fn ninja_value(s: &str) -> String {
    let escaped = s.replace('$', "$$");
    match escaped.strip_prefix(' ') {
        Some(rest) => format!("$ {rest}"),
        None => escaped,
    }
}

/// The bytes a shell word may hold unquoted: ASCII letters, digits and `_@%+=:,./-`.
const PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let extra = b"_@%+=:,./-";
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
};

/// The characters no path in build.ninja may hold: a newline or carriage return ends its line, a tab breaks
/// `.ninja_log` (tab-separated: ninja would rebuild it for ever), and ninja has no escape for `|`.
pub const NOT_IN_PATHS: [char; 4] = ['\n', '\r', '\t', '|'];

/// Whether `s` is a shell word as it stands (a table lookup per byte: gen asks it of every word of 20,000 commands).
pub fn is_plain(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| PLAIN[b as usize])
}

/// One word for `/bin/sh -c`, which is how ninja runs commands: single-quoted unless plainly safe.
pub fn shell_word(s: &str) -> String {
    if is_plain(s) {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

pub fn shell_command(argv: &[String]) -> String {
    argv.iter().map(|a| shell_word(a)).collect::<Vec<_>>().join(" ")
}

/// Splits what [`shell_command`] wrote back into words (plain words and single-quoted runs).
pub fn split_shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    cur.push(q);
                }
            }
            '\\' => {
                in_word = true;
                cur.extend(chars.next());
            }
            ' ' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// One word in a gcc/clang `@file`: whitespace, quotes and backslash are escaped with a backslash.
pub fn rsp_word(s: &str) -> String {
    if s.is_empty() {
        return "\"\"".to_string();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_whitespace() || matches!(c, '\'' | '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The words of a response file [`rsp_words`] wrote (a backslash takes the next character as it is).
pub fn split_rsp_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur: Option<String> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => cur.get_or_insert_with(String::new).extend(chars.next()),
            '"' if cur.is_none() && chars.as_str().starts_with('"') => {
                chars.next();
                cur = Some(String::new());
            }
            c if c.is_whitespace() => words.extend(cur.take()),
            c => cur.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(cur);
    words
}

pub fn rsp_words(args: &[String]) -> String {
    args.iter().map(|a| rsp_word(a)).collect::<Vec<_>>().join(" ")
}

/// `s` as a JSON string (quoted, escaped as serde_json escapes), appended to `out`: for the JSON files gen writes by
/// hand.
pub fn push_json(out: &mut Vec<u8>, s: &str) {
    // writing into memory cannot fail
    let _ = serde_json::to_writer(&mut *out, s);
}

/// A path in a Makefile-style depfile that ninja reads: `\ `, `\#` and `$$`.
pub fn depfile_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            ' ' => out.push_str("\\ "),
            '#' => out.push_str("\\#"),
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ninja_paths() {
        assert_eq!(ninja_path("a b:c$d"), "a$ b$:c$$d");
        assert_eq!(ninja_path("src/ünï.c"), "src/ünï.c");
    }

    #[test]
    fn ninja_values() {
        assert_eq!(ninja_value("echo $HOME"), "echo $$HOME");
        assert_eq!(ninja_value(" x"), "$ x");
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell_word("-DX=1"), "-DX=1");
        assert_eq!(shell_word("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word("a;b`c`"), "'a;b`c`'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("-DGREETING=\"hi\""), "'-DGREETING=\"hi\"'");
    }

    #[test]
    fn shell_words_split_back() {
        let words: Vec<String> = ["-C", ".", "--launcher=ccache -x", "it's", "", "$(x)"].map(String::from).to_vec();
        assert_eq!(split_shell_words(&shell_command(&words)), words);
    }

    #[test]
    fn rsp_words_follow_gcc() {
        assert_eq!(rsp_word("a b"), r"a\ b");
        assert_eq!(rsp_word(r#"q"x'\"#), r#"q\"x\'\\"#);
    }

    #[test]
    fn rsp_words_split_back() {
        let words: Vec<String> = ["build/host/obj/main.o", "a b\tc", "q\"x'\\", "", "ü.o"].map(String::from).to_vec();
        let one_per_line: String = words.iter().map(|w| rsp_word(w) + "\n").collect();
        assert_eq!(split_rsp_words(&one_per_line), words);
        assert_eq!(split_rsp_words(&rsp_words(&words)), words);
    }

    #[test]
    fn depfile_paths() {
        assert_eq!(depfile_path("a b/$x#1"), r"a\ b/$$x\#1");
    }
}
