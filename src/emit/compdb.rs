//! compile_commands.json for clangd and IDEs: plain compiler commands (no gate, no launcher), absolute `directory`.

use crate::base::escape::push_json;
use crate::base::hash::FastMap;
use crate::plan::{CompileEntry, Plan};
use camino::Utf8Path;

/// Writes compile_commands.json for `plan` to `w`, byte for byte as serde_json's pretty printer writes the list of
/// entries, written by hand: a package's flags are escaped once for all its sources (20,000 entries of 20 words
/// each were escaped word by word through a `dyn Write`).
pub fn write(plan: &Plan, ninja_dir: &Utf8Path, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    if plan.compdb.is_empty() {
        return w.write_all(b"[]\n");
    }
    let mut directory = Vec::new();
    push_json(&mut directory, ninja_dir.as_str());
    // each package's flags as the `arguments` lines they open, by the address of the shared list
    let mut flags_text: FastMap<*const String, Vec<u8>> = FastMap::default();
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
    buf.extend_from_slice(b"[");
    for (i, e) in plan.compdb.iter().enumerate() {
        buf.extend_from_slice(if i == 0 { b"\n  {\n    \"directory\": " } else { b",\n  {\n    \"directory\": " });
        buf.extend_from_slice(&directory);
        let (file, output) = e.paths(plan);
        buf.extend_from_slice(b",\n    \"file\": ");
        push_json(&mut buf, file);
        buf.extend_from_slice(b",\n    \"output\": ");
        push_json(&mut buf, output);
        buf.extend_from_slice(b",\n    \"arguments\": [");
        let flags = flags_text.entry(e.flags.as_ptr()).or_insert_with(|| {
            let mut t = Vec::new();
            for f in e.flags.iter() {
                t.extend_from_slice(b"\n      ");
                push_json(&mut t, f);
                t.push(b',');
            }
            t
        });
        buf.extend_from_slice(flags);
        for (j, word) in CompileEntry::tail(file, output).iter().enumerate() {
            buf.extend_from_slice(if j == 0 { b"\n      " } else { b",\n      " });
            push_json(&mut buf, word);
        }
        buf.extend_from_slice(b"\n    ]\n  }");
        if buf.len() >= 1 << 16 {
            w.write_all(&buf)?;
            buf.clear();
        }
    }
    buf.extend_from_slice(b"\n]\n");
    w.write_all(&buf)?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::CompileEntry;
    use serde::Serialize;

    /// What serde_json's pretty printer writes for the same entries (how this file was written before).
    #[derive(Serialize)]
    struct Entry<'a> {
        directory: &'a str,
        file: &'a str,
        output: &'a str,
        arguments: Vec<String>,
    }

    #[test]
    fn the_hand_written_json_is_serde_jsons_pretty_json() {
        let flags: std::sync::Arc<[String]> =
            ["cc", "-DX=\"a b\"", "-I/é/ü", "tab\there", "back\\slash"].map(String::from).into();
        let other: std::sync::Arc<[String]> = ["c++"].map(String::from).into();
        for n in [0, 1, 3] {
            let mut plan = Plan::default();
            for i in 0..n {
                let flags = if i == 1 { other.clone() } else { flags.clone() };
                let mut e = crate::plan::Edge::new(crate::plan::RuleKind::Cc, vec![format!("o/{i}.o").into()]);
                e.inputs = vec![format!("src/\"{i}\".c").into()];
                plan.compdb.push(CompileEntry { edge: plan.edges.len(), flags });
                plan.edges.push(e);
            }
            let dir = Utf8Path::new("/w/p \"q\"");
            let mut ours = Vec::new();
            write(&plan, dir, &mut ours).unwrap();
            let entries: Vec<Entry> = plan
                .compdb
                .iter()
                .map(|e| {
                    let (file, output) = e.paths(&plan);
                    Entry {
                        directory: dir.as_str(),
                        file,
                        output,
                        arguments: e.flags.iter().cloned().chain(CompileEntry::tail(file, output)).collect(),
                    }
                })
                .collect();
            let mut theirs = serde_json::to_vec_pretty(&entries).unwrap();
            theirs.push(b'\n');
            assert_eq!(String::from_utf8(ours).unwrap(), String::from_utf8(theirs).unwrap(), "{n} entries");
        }
    }
}
