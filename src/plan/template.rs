//! Compile edges that differ only in their paths share one rule: its command names `$in` and `$out`, and each edge
//! is one `build` line — what a person writing build.ninja by hand does (issue 10: the graph was 7x that size).

use super::{Edge, RuleKind};
use crate::base::escape::{is_plain, ninja_value, shell_word};
use crate::base::hash::FastMap;
use std::hash::BuildHasher;

/// A rule shared by edges: its name (`cc_3`), kind and command (ninja-escaped, with `$in`/`$out`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub name: String,
    pub kind: RuleKind,
    pub command: String,
}

/// One command word with the edge's paths replaced by `$in`/`$out`.
#[cfg(test)]
fn word(w: &str, input: &str, output: &str) -> String {
    let mut out = String::new();
    push_word(&mut out, w, input, output);
    out
}

/// Appends one command word to `out`, the edge's paths replaced by `$in`/`$out`.
fn push_word(out: &mut String, w: &str, input: &str, output: &str) {
    if w == input {
        return out.push_str("$in");
    }
    if w == output {
        return out.push_str("$out");
    }
    for suffix in [".d", ".nbh"] {
        if w.strip_suffix(suffix) == Some(output) {
            out.push_str("$out");
            return out.push_str(suffix);
        }
    }
    // a literal: quoted for the shell, then `$` escaped for ninja (a plain word holds no `$` and no space)
    match is_plain(w) {
        true => out.push_str(w),
        false => out.push_str(&ninja_value(&shell_word(w))),
    }
}

/// Moves every C and C++ compile with one input, one output, no implicit paths and no per-edge environment into a
/// shared rule. ninja rewrites `./x` as `x` in a `build` line, so an edge whose path it would change keeps its own
/// command (`./-DEVIL.c` must stay `./-DEVIL.c` on the compiler's command line).
#[derive(Default)]
pub struct Sharer {
    /// The templates by a hash of their kind and command (compared whole on a hit: the command is held once, in its
    /// template — as the index's key too it was 0.3 MB at 1,000 packages)
    index: FastMap<u64, Vec<usize>>,
    pub templates: Vec<Template>,
}

impl Sharer {
    pub fn share(&mut self, e: &mut Edge) {
        if !matches!(e.rule, RuleKind::Cc | RuleKind::Cxx)
            || e.inputs.len() != 1
            || e.outputs.len() != 1
            || !e.more().implicit_inputs.is_empty()
            || !e.more().implicit_outputs.is_empty()
        {
            return;
        }
        let Some(cmd) = &e.command else { return };
        let (input, output) = (e.inputs[0].as_str(), e.outputs[0].as_str());
        let depfile_is_out_d =
            e.more().vars.iter().all(|(k, v)| *k == "depfile" && v.strip_suffix(".d") == Some(output));
        if !cmd.env.is_empty() || input.starts_with("./") || output.starts_with("./") || !depfile_is_out_d {
            return;
        }
        let mut command = String::with_capacity(cmd.argv.iter().map(|w| w.len() + 3).sum());
        for (i, w) in cmd.argv.iter().enumerate() {
            if i > 0 {
                command.push(' ');
            }
            push_word(&mut command, w, input, output);
        }
        let hash = self.index.hasher().hash_one((e.rule, command.as_str()));
        let same = self.index.get(&hash).and_then(|ns| {
            ns.iter().copied().find(|&n| self.templates[n].kind == e.rule && self.templates[n].command == command)
        });
        let n = match same {
            Some(n) => n,
            // a new rule: its command moved into it (not copied once per edge as a map key)
            None => {
                let n = self.templates.len();
                self.templates.push(Template { name: format!("{}_{n}", e.rule.name()), kind: e.rule, command });
                self.index.entry(hash).or_default().push(n);
                n
            }
        };
        e.template = Some(n as u32);
        // the shared rule carries the command and the depfile from here on (20,000 copies of the command were most of
        // a plan's memory)
        e.command = None;
        e.clear_vars();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_variables_and_the_rest_stays_quoted() {
        assert_eq!(word("src/a b.c", "src/a b.c", "o.o"), "$in");
        assert_eq!(word("o.o.d", "x.c", "o.o"), "$out.d");
        assert_eq!(word("-DX=\"$HOME\"", "x.c", "o.o"), "'-DX=\"$$HOME\"'");
        assert_eq!(word("-O2", "x.c", "o.o"), "-O2");
    }
}
