//! The gate's protocol: the argv gen writes into build.ninja and `ninjabind edge gate` parses, its record file, and
//! the content key both sides compute.

use crate::base::hash::{hex_into, Stat};
use camino::Utf8PathBuf;
use sha2::{Digest, Sha256};

/// The record format's version: part of every key, so a format change rebuilds, a new ninjabind does not.
pub const FORMAT: u32 = 1;

#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct GateArgs {
    /// The edge's kind (`cc`, `cargo`, …), part of its key.
    #[arg(long)]
    pub rule: String,
    /// A hash of what the tool says of itself (`cc --version`): a new compiler rebuilds.
    #[arg(long, default_value = "")]
    pub tool_id: String,
    /// Indices of command words left out of the key (a launcher, a rustc wrapper), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub unkeyed: Vec<usize>,
    /// Environment variables the command reads, part of the key (their values as this process sees them).
    #[arg(long = "env")]
    pub env: Vec<String>,
    /// The response file ninja wrote for the command: its content is part of the key.
    #[arg(long)]
    pub rsp: Option<Utf8PathBuf>,
    /// Where the record is kept; a compile edge's is beside its object (`<object>.nbh`) when not given.
    #[arg(long, default_value = "")]
    pub record: Utf8PathBuf,
    /// The depfile the command writes (read right after it, rewritten from the record on a skip).
    #[arg(long)]
    pub depfile: Option<Utf8PathBuf>,
    #[arg(long = "in")]
    pub inputs: Vec<Utf8PathBuf>,
    /// A file gen wrote listing more inputs, one per line: a link of 20,000 objects would not fit in the one
    /// argument `/bin/sh -c` gets (128 KiB on Linux).
    #[arg(long)]
    pub in_list: Option<Utf8PathBuf>,
    /// Response files other edges write (the Perry host's object list): their words are more inputs.
    #[arg(long = "in-rsp")]
    pub in_rsps: Vec<Utf8PathBuf>,
    #[arg(long = "out")]
    pub outputs: Vec<Utf8PathBuf>,
    /// A file gen wrote listing more outputs, one per line (a resource folder of 5,000 files staged by one edge).
    #[arg(long)]
    pub out_list: Option<Utf8PathBuf>,
    /// One of the outputs, a response file the command writes naming more outputs (objects whose names the tool
    /// chose): each is hashed and checked like a declared output, and the list counts as unchanged only when every
    /// file it names is.
    #[arg(long)]
    pub out_rsp: Option<Utf8PathBuf>,
    /// A folder the command writes files into that its depfile then names (cargo's target folder, where build
    /// scripts generate sources): those are its products, not inputs saved while it ran.
    #[arg(long)]
    pub products: Option<Utf8PathBuf>,
    /// A compile edge: its first input is the source whose HAVE_* gate is decided against the command's own
    /// `-D`/`-U` flags; gated out, the edge writes an empty object for this target instead of compiling.
    #[arg(long)]
    pub have_target: Option<String>,
    #[arg(last = true, required = true)]
    pub command: Vec<String>,
}

impl GateArgs {
    /// Parses the words after `ninjabind edge` (`gate --rule …`), describing only the gate's own arguments to clap.
    pub fn parse_words<T: Into<std::ffi::OsString> + Clone>(
        words: impl IntoIterator<Item = T>,
    ) -> Result<GateArgs, clap::Error> {
        use clap::{Args, FromArgMatches};
        let cmd = GateArgs::augment_args(clap::Command::new("ninjabind edge gate"));
        cmd.try_get_matches_from(words).and_then(|m| GateArgs::from_arg_matches(&m))
    }

    /// A compile edge's gate is written without the paths its command names already (ninja expands every `$out` and
    /// `$in` of 21,000 commands on each no-op, to compare them with its log): the source and the object are the
    /// command's `-c SRC -o OBJ`, the depfile its `-MF DEP`, the record beside the object. This fills them in.
    pub fn completed(mut self) -> Result<GateArgs, String> {
        let compile = self.have_target.is_some() && self.inputs.is_empty() && self.outputs.is_empty();
        if compile && self.in_list.is_none() && self.out_list.is_none() {
            let Some((dep, src, obj)) = compile_paths(&self.command) else {
                return Err(
                    "a compile edge's gate without --in and --out needs a command ending in `-MF DEP -c SRC -o OBJ`"
                        .into(),
                );
            };
            let (dep, src, obj) = (dep.into(), src.into(), obj.into());
            self.inputs = vec![src];
            self.outputs = vec![obj];
            self.depfile.get_or_insert(dep);
        }
        if self.record.as_str().is_empty() {
            match self.outputs.first() {
                Some(o) => self.record = format!("{o}.nbh").into(),
                None => return Err("the gate needs --record, or an --out to keep its record beside".into()),
            }
        }
        Ok(self)
    }

    /// The words of `ninjabind edge gate` that `clap` parses back into these arguments; `exe` is ninjabind itself.
    pub fn to_argv(&self, exe: &str) -> Vec<String> {
        let mut argv = vec![exe.to_string(), "edge".into(), "gate".into(), "--rule".into(), self.rule.clone()];
        argv.extend(["--tool-id".into(), self.tool_id.clone()]);
        if !self.unkeyed.is_empty() {
            let list: Vec<String> = self.unkeyed.iter().map(|i| i.to_string()).collect();
            argv.extend(["--unkeyed".into(), list.join(",")]);
        }
        for k in &self.env {
            argv.extend(["--env".into(), k.clone()]);
        }
        if let Some(f) = &self.rsp {
            argv.extend(["--rsp".into(), f.to_string()]);
        }
        if !self.record.as_str().is_empty() {
            argv.extend(["--record".into(), self.record.to_string()]);
        }
        if let Some(d) = &self.depfile {
            argv.extend(["--depfile".into(), d.to_string()]);
        }
        if let Some(d) = &self.products {
            argv.extend(["--products".into(), d.to_string()]);
        }
        if let Some(list) = &self.in_list {
            argv.extend(["--in-list".into(), list.to_string()]);
        }
        for i in &self.inputs {
            argv.extend(["--in".into(), i.to_string()]);
        }
        for r in &self.in_rsps {
            argv.extend(["--in-rsp".into(), r.to_string()]);
        }
        if let Some(list) = &self.out_list {
            argv.extend(["--out-list".into(), list.to_string()]);
        }
        for o in &self.outputs {
            argv.extend(["--out".into(), o.to_string()]);
        }
        if let Some(r) = &self.out_rsp {
            argv.extend(["--out-rsp".into(), r.to_string()]);
        }
        if let Some(t) = &self.have_target {
            argv.extend(["--have-target".into(), t.clone()]);
        }
        argv.push("--".into());
        argv.extend(self.command.iter().cloned());
        argv
    }
}

/// The depfile, source and object a compile's command names at its end, as gen writes it (`CompileEntry::tail`:
/// `… -MF DEP -c SRC -o OBJ`); `None` for a command of another shape.
pub fn compile_paths(command: &[String]) -> Option<(&str, &str, &str)> {
    match command {
        [.., mf, dep, c, src, o, obj] if mf == "-MF" && c == "-c" && o == "-o" => Some((dep, src, obj)),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    In,
    Dep,
    Out,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: Kind,
    pub stat: Stat,
    pub hash: String,
    pub path: Utf8PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Record {
    pub key: String,
    /// A compile gated out: the HAVE_* macros its source's guard needs that its flags lack (empty: compiled).
    pub gated: Vec<String>,
    pub entries: Vec<Entry>,
}

impl Record {
    pub fn render(&self) -> String {
        let mut s = format!("ninjabind-gate {FORMAT}\nkey {}\n", self.key);
        if !self.gated.is_empty() {
            s.push_str(&format!("gated {}\n", self.gated.join(" ")));
        }
        for e in &self.entries {
            let kind = match e.kind {
                Kind::In => "in",
                Kind::Dep => "dep",
                Kind::Out => "out",
            };
            s.push_str(&format!("{kind} {} {} {} {} {}\n", e.stat.size, e.stat.mtime_ns, e.stat.inode, e.hash, e.path));
        }
        s
    }

    pub fn parse(text: &str) -> Option<Record> {
        // split on `\n` only: `lines()` would also eat a `\r` that ends a path (found by fuzzing)
        let mut lines = text.strip_suffix('\n').unwrap_or(text).split('\n');
        if lines.next()? != format!("ninjabind-gate {FORMAT}") {
            return None;
        }
        let key = lines.next()?.strip_prefix("key ")?.to_string();
        let mut entries = Vec::new();
        let mut gated = Vec::new();
        for l in lines {
            if let Some(macros) = l.strip_prefix("gated ").filter(|_| entries.is_empty() && gated.is_empty()) {
                gated = macros.split(' ').map(str::to_string).collect();
                continue;
            }
            let f: Vec<&str> = l.splitn(6, ' ').collect();
            if f.len() != 6 {
                return None;
            }
            let kind = match f[0] {
                "in" => Kind::In,
                "dep" => Kind::Dep,
                "out" => Kind::Out,
                _ => return None,
            };
            let stat = Stat { size: f[1].parse().ok()?, mtime_ns: f[2].parse().ok()?, inode: f[3].parse().ok()? };
            entries.push(Entry { kind, stat, hash: f[4].to_string(), path: f[5].into() });
        }
        Some(Record { key, gated, entries })
    }
}

/// The content key of an edge: everything that shapes its outputs besides its inputs' content — its kind, the
/// environment it reads, its command words (but a launcher's), its response file, its tool. gen computes it for
/// explain; the gate computes it from what ninja actually runs, so build.ninja need not carry it.
pub fn content_key(
    rule: &str,
    env: &[(String, String)],
    argv: &[String],
    unkeyed: &[usize],
    rsp: Option<&str>,
    tool_id: &str,
) -> Key {
    let mut h = KeyHasher::new(rule, env);
    for (i, a) in argv.iter().enumerate() {
        if !unkeyed.contains(&i) {
            h.arg(a);
        }
    }
    h.finish(rsp, tool_id)
}

/// [`content_key`] part by part, in its order: a prefix shared by many edges (a package's compile flags) is hashed
/// once and the hasher cloned for each edge.
#[derive(Clone)]
pub struct KeyHasher(Sha256);

impl KeyHasher {
    pub fn new(rule: &str, env: &[(String, String)]) -> KeyHasher {
        // the same bytes as one `format!` per part, without a String per command word (gen keys 20,000 edges)
        let mut h = Sha256::new();
        h.update(format!("ninjabind-gate {FORMAT}\0{rule}\0"));
        for (k, v) in env {
            for part in ["env ", k.as_str(), "=", v.as_str(), "\0"] {
                h.update(part);
            }
        }
        KeyHasher(h)
    }

    /// One keyed command word.
    pub fn arg(&mut self, a: &str) {
        for part in ["arg ", a, "\0"] {
            self.0.update(part);
        }
    }

    /// One keyed command word given in pieces (`out`, `.d`): the same bytes as the word.
    pub fn arg_parts(&mut self, parts: &[&str]) {
        self.0.update("arg ");
        for p in parts {
            self.0.update(p);
        }
        self.0.update("\0");
    }

    pub fn finish(mut self, rsp: Option<&str>, tool_id: &str) -> Key {
        if let Some(r) = rsp {
            for part in ["rsp ", r, "\0"] {
                self.0.update(part);
            }
        }
        self.0.update("tool ");
        self.0.update(tool_id);
        Key(self.0.finalize().into())
    }
}

/// A content key: the SHA-256 of what shapes an edge's output, written as its 64 hex digits. Held as its bytes by
/// the plan (as text it was an allocation of 64 bytes per edge, 1.3 MB of gen's peak at 21,000 sources).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key([u8; 32]);

impl Key {
    /// The 64 hex digits.
    pub fn digits(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        hex_into(&self.0, &mut out);
        out
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // hex digits are ASCII
        f.write_str(std::str::from_utf8(&self.digits()).unwrap_or_default())
    }
}

impl serde::Serialize for Key {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::hash::hex;

    #[test]
    fn the_key_of_a_command_is_pinned() {
        // recorded before the key was hashed part by part: a change here rebuilds every user's tree
        let env = vec![("CC".to_string(), "gcc".to_string())];
        let argv: Vec<String> = ["ccache", "cc", "-c", "a.c", "-o", "a.o"].iter().map(|s| s.to_string()).collect();
        let key = content_key("cc", &env, &argv, &[0], Some("@x"), "0123abcd");
        let mut h = Sha256::new();
        h.update(format!(
            "ninjabind-gate {FORMAT}\0cc\0env CC=gcc\0arg cc\0arg -c\0arg a.c\0arg -o\0arg a.o\0rsp @x\0tool 0123abcd"
        ));
        let want: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(key.to_string(), want);
        assert_eq!(hex(&[0, 15, 16, 255]), "000f10ff");
    }

    fn one_dep(path: &str) -> Record {
        Record {
            key: "abc".into(),
            gated: vec![],
            entries: vec![Entry {
                kind: Kind::Dep,
                stat: Stat { size: 3, mtime_ns: 1_700_000_000_123_456_789, inode: 42 },
                hash: "00ff".into(),
                path: path.into(),
            }],
        }
    }

    /// A compile's gate written without its paths reads them from its command; one whose command does not end in
    /// them, or any gate without a record or an output, is refused; paths given stay as given.
    #[test]
    fn a_compile_gate_takes_its_paths_from_its_command() {
        let words = |ws: &[&str]| ws.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        let terse = GateArgs {
            rule: "cc".into(),
            have_target: Some("x86_64-unknown-linux-gnu".into()),
            command: words(&["ccache", "cc", "-O2", "-MD", "-MF", "o/a.c.o.d", "-c", "./-a.c", "-o", "o/a.c.o"]),
            ..GateArgs::default()
        };
        let argv = terse.to_argv("/bin/ninjabind");
        assert!(!argv.iter().any(|w| ["--record", "--in", "--out", "--depfile"].contains(&w.as_str())), "{argv:?}");
        let read = GateArgs::parse_words(&argv[2..]).unwrap().completed().unwrap();
        assert_eq!(read.inputs, vec![Utf8PathBuf::from("./-a.c")]);
        assert_eq!(read.outputs, vec![Utf8PathBuf::from("o/a.c.o")]);
        assert_eq!(read.depfile, Some(Utf8PathBuf::from("o/a.c.o.d")));
        assert_eq!(read.record, Utf8PathBuf::from("o/a.c.o.nbh"));
        let cut = GateArgs { command: words(&["cc", "-c", "a.c"]), ..terse.clone() };
        assert!(cut.completed().unwrap_err().contains("-MF DEP -c SRC -o OBJ"));
        let nothing = GateArgs { rule: "cargo".into(), command: words(&["cargo"]), ..GateArgs::default() };
        assert!(nothing.completed().unwrap_err().contains("--record"));
        let given =
            GateArgs { record: "r.nbh".into(), inputs: vec!["x.c".into()], outputs: vec!["x.o".into()], ..terse };
        let kept = given.clone().completed().unwrap();
        assert_eq!(kept, GateArgs { depfile: None, ..given });
    }

    /// What gen writes, clap reads back as the same arguments: a flag renamed on one side fails here, not under ninja.
    #[test]
    fn argv_round_trips_through_clap() {
        let full = GateArgs {
            rule: "link".into(),
            tool_id: "0123".into(),
            unkeyed: vec![0, 2],
            env: vec!["CC".into(), "CFLAGS".into()],
            rsp: Some("bin/app.rsp".into()),
            record: "bin/app.nbh".into(),
            depfile: Some("bin/app.d".into()),
            inputs: vec!["a b.o".into(), "c.o".into()],
            in_list: Some("bin/app.inputs".into()),
            in_rsps: vec!["host/objects.rsp".into()],
            outputs: vec!["bin/app".into(), "bin/app.map".into()],
            out_list: Some("bin/app.outputs".into()),
            out_rsp: Some("bin/app.map".into()),
            have_target: Some("x86_64-unknown-linux-gnu".into()),
            products: Some("target".into()),
            command: vec!["cc".into(), "--".into(), "-o".into(), "bin/app".into()],
        };
        let least = GateArgs { record: "x.nbh".into(), command: vec!["true".into()], ..GateArgs::default() };
        for a in [full, least] {
            let argv = a.to_argv("ninjabind");
            let back = GateArgs::parse_words(argv[2..].iter().cloned()).expect("clap parses what gen writes");
            assert_eq!(back, a);
        }
    }

    #[test]
    fn record_round_trips_paths_with_spaces() {
        let r = one_dep("dir with space/a b.h");
        assert_eq!(Record::parse(&r.render()), Some(r));
        assert_eq!(Record::parse("ninjabind-gate 0\nkey x\n"), None);
        let cr = one_dep("a\r");
        assert_eq!(Record::parse(&cr.render()), Some(cr), "a path ending in a carriage return");
    }
}
