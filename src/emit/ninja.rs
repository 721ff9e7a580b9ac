//! The ninja syntax writer: statements only, every string escaped for its context by `escape`.

use crate::base::escape::{ninja_path, ninja_value, push_ninja_path};
use camino::Utf8PathBuf;
use std::fmt::Write;

/// Writes statements into `sink` in 64 KiB pieces: build.ninja (3 MB at 20,000 sources) is never held whole.
pub struct NinjaWriter<'a> {
    out: String,
    sink: &'a mut dyn std::io::Write,
}

impl<'a> NinjaWriter<'a> {
    pub fn new(sink: &'a mut dyn std::io::Write) -> NinjaWriter<'a> {
        NinjaWriter { out: String::with_capacity(1 << 17), sink }
    }

    /// Hands the text so far to the sink once it is a piece's worth (called after each statement).
    fn piece(&mut self) -> std::io::Result<()> {
        if self.out.len() >= 1 << 16 {
            self.sink.write_all(self.out.as_bytes())?;
            self.out.clear();
        }
        Ok(())
    }

    pub fn comment(&mut self, text: &str) -> std::io::Result<()> {
        for line in text.lines() {
            let _ = writeln!(self.out, "# {line}");
        }
        self.piece()
    }

    pub fn newline(&mut self) {
        self.out.push('\n');
    }

    pub fn variable(&mut self, name: &str, value: &str) {
        let _ = writeln!(self.out, "{name} = {}", ninja_value(value));
    }

    fn indented(&mut self, name: &str, value: &str) {
        let _ = writeln!(self.out, "  {name} = {}", ninja_value(value));
    }

    /// A rule whose values are written raw: they may reference `$out`, `$cmd` and friends.
    pub fn rule(&mut self, name: &str, vars: &[(&str, &str)]) {
        let _ = writeln!(self.out, "rule {name}");
        for (k, v) in vars {
            let _ = writeln!(self.out, "  {k} = {v}");
        }
        self.newline();
    }

    pub fn pool(&mut self, name: &str, depth: usize) {
        let _ = writeln!(self.out, "pool {name}\n  depth = {depth}\n");
    }

    #[allow(clippy::too_many_arguments)]
    pub fn build(
        &mut self,
        outputs: &[Utf8PathBuf],
        implicit_outputs: &[Utf8PathBuf],
        rule: &str,
        inputs: &[Utf8PathBuf],
        implicit: &[Utf8PathBuf],
        order_only: &[Utf8PathBuf],
        vars: &[(&str, String)],
    ) -> std::io::Result<()> {
        // written straight into the text: a path list each, then the line (the build lines are most of the file)
        self.out.push_str("build ");
        self.paths("", outputs)?;
        self.paths(" | ", implicit_outputs)?;
        self.out.push_str(": ");
        self.out.push_str(rule);
        self.paths(" ", inputs)?;
        self.paths(" | ", implicit)?;
        self.paths(" || ", order_only)?;
        self.newline();
        for (k, v) in vars {
            self.indented(k, v);
        }
        self.piece()
    }

    /// A list of paths, after `sep` when there are any; handed on in pieces as it goes (the link's and the scan
    /// edge's lists are 0.6 MB each at 21,000 sources: the text grew to hold them whole).
    fn paths(&mut self, sep: &str, ps: &[Utf8PathBuf]) -> std::io::Result<()> {
        if !ps.is_empty() {
            self.out.push_str(sep);
        }
        for (i, p) in ps.iter().enumerate() {
            if i > 0 {
                self.out.push(' ');
                self.piece()?;
            }
            push_ninja_path(&mut self.out, p.as_str());
        }
        Ok(())
    }

    pub fn defaults(&mut self, targets: &[Utf8PathBuf]) {
        let t: Vec<String> = targets.iter().map(|p| ninja_path(p.as_str())).collect();
        let _ = writeln!(self.out, "default {}", t.join(" "));
    }

    /// Hands the rest of the text to the sink.
    pub fn finish(self) -> std::io::Result<()> {
        self.sink.write_all(self.out.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A build line longer than a piece reaches the sink whole and in order, however it was cut.
    #[test]
    fn a_long_build_line_is_written_whole() {
        let inputs: Vec<Utf8PathBuf> = (0..5000).map(|i| Utf8PathBuf::from(format!("obj/p{i}/a b.o"))).collect();
        let mut sink = Vec::new();
        let mut w = NinjaWriter::new(&mut sink);
        w.build(&["bin/app".into()], &[], "link", &inputs, &inputs[..2], &[], &[("x", "1".into())]).unwrap();
        w.finish().unwrap();
        let text = String::from_utf8(sink).unwrap();
        let listed: Vec<String> = (0..5000).map(|i| format!("obj/p{i}/a$ b.o")).collect();
        let want = format!("build bin/app: link {} | obj/p0/a$ b.o obj/p1/a$ b.o\n  x = 1\n", listed.join(" "));
        assert!(text.len() > 1 << 16, "longer than a piece: {}", text.len());
        assert_eq!(text, want);
    }
}
