//! Makefile-style depfiles as gcc and cargo write them: parse the prerequisites, and write one back.

use crate::base::escape;

/// All prerequisites of all rules in `text`, in order, deduplicated; `\ `, `\#`, `$$` and continuations handled.
pub fn parse(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_prereqs = false;
    let mut chars = text.chars().peekable();
    let flush = |word: &mut String, in_prereqs: bool, out: &mut Vec<String>| {
        if !word.is_empty() {
            if in_prereqs && !out.contains(word) {
                out.push(word.clone());
            }
            word.clear();
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some('\n') => {
                    chars.next();
                    flush(&mut word, in_prereqs, &mut out);
                }
                Some('\r') => {
                    chars.next();
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    flush(&mut word, in_prereqs, &mut out);
                }
                Some(' ') | Some('#') | Some('\\') => word.push(chars.next().expect("peeked")),
                _ => word.push('\\'),
            },
            '$' if chars.peek() == Some(&'$') => {
                chars.next();
                word.push('$');
            }
            ':' if !in_prereqs && matches!(chars.peek(), None | Some(' ') | Some('\t') | Some('\n') | Some('\r')) => {
                word.clear();
                in_prereqs = true;
            }
            ' ' | '\t' => flush(&mut word, in_prereqs, &mut out),
            '\n' | '\r' => {
                flush(&mut word, in_prereqs, &mut out);
                in_prereqs = false;
            }
            c => word.push(c),
        }
    }
    flush(&mut word, in_prereqs, &mut out);
    out
}

/// Whether ninja's depfile reader can read `path` back: it has no escape for quotes and shell punctuation, and a
/// backslash means one thing to it before a space and another elsewhere (a run of them did not read back the same:
/// found by fuzzing), so such a path takes the gate's own route.
pub fn representable(path: &str) -> bool {
    path.chars().all(|c| c.is_alphanumeric() || !c.is_ascii() || "+,/_:.~(){}%=@[]!-$# ".contains(c))
}

/// A depfile naming `target` and `deps`, escaped for ninja's depfile reader.
pub fn render(target: &str, deps: &[String]) -> String {
    let esc = |s: &str| escape::depfile_path(s);
    let mut s = format!("{}:", esc(target));
    for d in deps {
        s.push_str(" \\\n  ");
        s.push_str(&esc(d));
    }
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backslash_in_a_path_is_left_to_the_gate() {
        assert!(!representable("sr\\\\c/a.c"));
        assert!(representable("src/a b#c$.h"));
    }

    #[test]
    fn gcc_style_with_continuations() {
        let d = "build/obj/a.c.o: src/a.c include/a.h \\\n  /usr/include/stdio.h\n";
        assert_eq!(parse(d), ["src/a.c", "include/a.h", "/usr/include/stdio.h"]);
    }

    #[test]
    fn escaped_spaces_hashes_and_dollars() {
        assert_eq!(parse("o.o: my\\ file.c a\\#b.h $$x.h\n"), ["my file.c", "a#b.h", "$x.h"]);
    }

    #[test]
    fn cargo_dep_info_with_several_rules() {
        let d = "build/cargo/t/release/libg.a: src/lib.rs src/m.rs\n\nsrc/lib.rs:\nsrc/m.rs:\n";
        assert_eq!(parse(d), ["src/lib.rs", "src/m.rs"]);
    }

    #[test]
    fn windows_drive_colons_are_not_rule_separators() {
        assert_eq!(parse("o.o: C:/x/a.c\n"), ["C:/x/a.c"]);
    }

    #[test]
    fn quotes_cannot_be_represented() {
        assert!(representable("src/a b$c#d:e.c"));
        assert!(representable("src/ünï.c"));
        assert!(!representable("src/h'i.c"));
        assert!(!representable("src/a\"b.c"));
    }

    #[test]
    fn round_trips() {
        let deps = vec!["a b.c".to_string(), "x$y.h".to_string(), "plain.h".to_string()];
        assert_eq!(parse(&render("out.o", &deps)), deps);
    }
}
