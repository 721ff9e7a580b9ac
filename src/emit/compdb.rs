//! compile_commands.json for clangd and IDEs: plain compiler commands (no gate, no launcher), absolute `directory`.

use crate::plan::{CompileEntry, Plan};
use camino::Utf8Path;
use serde::Serialize;

/// One entry, borrowed from the plan (a `serde_json::Value` per entry copied every argument once more).
#[derive(Serialize)]
struct Entry<'a> {
    directory: &'a Utf8Path,
    file: &'a Utf8Path,
    output: &'a Utf8Path,
    arguments: Arguments<'a>,
}

/// The package's shared flags, then the source's own words: written as one array, never copied into one (the words
/// are made as each entry is written, not for all 20,000 entries first).
struct Arguments<'a> {
    flags: &'a [String],
    file: &'a Utf8Path,
    output: &'a Utf8Path,
}

impl Serialize for Arguments<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let tail = CompileEntry::tail(self.file.as_str(), self.output.as_str());
        s.collect_seq(self.flags.iter().chain(&tail))
    }
}

/// Writes compile_commands.json for `plan` to `w`.
pub fn write(plan: &Plan, ninja_dir: &Utf8Path, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let entries: Vec<Entry> = plan
        .compdb
        .iter()
        .map(|e| Entry {
            directory: ninja_dir,
            file: &e.file,
            output: &e.output,
            arguments: Arguments { flags: &e.flags, file: &e.file, output: &e.output },
        })
        .collect();
    serde_json::to_writer_pretty(&mut *w, &entries)?;
    w.write_all(b"\n")
}
