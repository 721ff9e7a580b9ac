//! `ninjabind edge gate`: runs an edge's command only when the content of its inputs, its outputs or its key changed.

use super::depfile;
use super::shared_hashes::SharedHashes;
use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The record format's version: part of every key, so a format change rebuilds, a new ninjabind does not.
pub const FORMAT: u32 = 1;

#[derive(clap::Args, Debug, Clone)]
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
    #[arg(long)]
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
    #[arg(long = "out")]
    pub outputs: Vec<Utf8PathBuf>,
    /// A folder the command writes files into that its depfile then names (cargo's target folder, where build
    /// scripts generate sources): those are its products, not inputs saved while it ran.
    #[arg(long)]
    pub products: Option<Utf8PathBuf>,
    #[arg(last = true, required = true)]
    pub command: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub size: u64,
    pub mtime_ns: u128,
    pub inode: u64,
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
    pub entries: Vec<Entry>,
}

impl Record {
    pub fn render(&self) -> String {
        let mut s = format!("ninjabind-gate {FORMAT}\nkey {}\n", self.key);
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
        for l in lines {
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
        Some(Record { key, entries })
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
) -> String {
    // the same bytes as one `format!` per part, without a String per command word (gen keys 20,000 edges)
    let mut h = Sha256::new();
    h.update(format!("ninjabind-gate {FORMAT}\0{rule}\0"));
    for (k, v) in env {
        for part in ["env ", k.as_str(), "=", v.as_str(), "\0"] {
            h.update(part);
        }
    }
    for (i, a) in argv.iter().enumerate() {
        if !unkeyed.contains(&i) {
            for part in ["arg ", a.as_str(), "\0"] {
                h.update(part);
            }
        }
    }
    if let Some(r) = rsp {
        for part in ["rsp ", r, "\0"] {
            h.update(part);
        }
    }
    h.update("tool ");
    h.update(tool_id);
    hex(&h.finalize())
}

/// A file's size, mtime and inode; `None` for anything but a regular file (or a link to one), which is never trusted.
pub fn stat(path: &Utf8Path) -> Option<Stat> {
    let m = std::fs::metadata(path).ok().filter(|m| m.is_file())?;
    let mtime_ns = m.modified().ok()?.duration_since(UNIX_EPOCH).ok()?.as_nanos();
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&m);
    #[cfg(not(unix))]
    let inode = 0;
    Some(Stat { size: m.len(), mtime_ns, inode })
}

/// The sha256 of a regular file, streamed; a FIFO or a device is an error, never a hang.
pub fn hash_file(path: &Utf8Path) -> std::io::Result<String> {
    let mut f = crate::files::open_regular(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// The file's stat and content hash; a recorded entry with the same size+mtime+inode is trusted without reading.
fn current(path: &Utf8Path, recorded: Option<&Entry>, shared: &mut SharedHashes) -> Option<(Stat, String)> {
    let st = stat(path)?;
    if let Some(e) = recorded.filter(|e| e.stat == st) {
        return Some((st, e.hash.clone()));
    }
    Some((st, shared.hash(path, &st).ok()?))
}

fn write_atomic(path: &Utf8Path, text: &str) -> Result<()> {
    crate::emit::write::write_cache(path, text.as_bytes()).map(|_| ())
}

/// Whether every recorded file still has its recorded content; returns the entries with fresh stats.
fn still_fresh(rec: &Record, a: &GateArgs, shared: &mut SharedHashes) -> Option<Vec<Entry>> {
    let recorded_in: Vec<&Utf8PathBuf> = rec.entries.iter().filter(|e| e.kind == Kind::In).map(|e| &e.path).collect();
    let recorded_out: Vec<&Utf8PathBuf> = rec.entries.iter().filter(|e| e.kind == Kind::Out).map(|e| &e.path).collect();
    if recorded_in != a.inputs.iter().collect::<Vec<_>>() || recorded_out != a.outputs.iter().collect::<Vec<_>>() {
        return None;
    }
    let mut updated = Vec::with_capacity(rec.entries.len());
    for e in &rec.entries {
        let (st, h) = current(&e.path, Some(e), shared)?;
        if h != e.hash {
            return None;
        }
        updated.push(Entry { stat: st, ..e.clone() });
    }
    Some(updated)
}

/// The depfile ninja reads: the discovered inputs it can represent. Any it cannot (a quote in the name) is
/// replaced by a path that never exists, which keeps the edge dirty, so ninja runs the gate on every build
/// and the gate checks that input's content itself.
fn ninja_depfile<'p>(a: &GateArgs, discovered: impl Iterator<Item = &'p Utf8Path>, warn: bool) -> String {
    let mut deps = Vec::new();
    let mut untracked = false;
    for p in discovered {
        if depfile::representable(p.as_str()) {
            deps.push(p.to_string());
        } else {
            untracked = true;
            if warn {
                let why = "ninja cannot track it (a quote or shell punctuation in its name): the gate checks its content on every build";
                eprintln!("{}", super::located(p.as_str(), None, "warning", why));
            }
        }
    }
    if untracked {
        deps.push(format!("{}.untrackable", a.record));
    }
    depfile::render(a.outputs.first().map_or("out", |o| o.as_str()), &deps)
}

fn deps_of(entries: &[Entry]) -> impl Iterator<Item = &Utf8Path> {
    entries.iter().filter(|e| e.kind == Kind::Dep).map(|e| e.path.as_path())
}

/// A record is an edge's list of inputs: kilobytes. Anything larger is not one of ours.
const RECORD_LIMIT: u64 = 64 << 20;

/// Now, on the clock the kernel stamps mtimes with (`CLOCK_REALTIME_COARSE`): a file written after this moment
/// has an mtime at or past it. Reading that clock costs no I/O (a marker file cost ~0.3 ms per edge here).
/// Filesystems with coarser timestamps than the kernel's (FAT, 1 s) can miss an edit in the same second.
fn filesystem_now() -> u128 {
    #[cfg(target_os = "linux")]
    {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: clock_gettime writes one timespec through a valid pointer to a local
        if unsafe { libc::clock_gettime(libc::CLOCK_REALTIME_COARSE, &mut ts) } == 0 {
            return ts.tv_sec as u128 * 1_000_000_000 + ts.tv_nsec as u128;
        }
    }
    // elsewhere, the system clock less a generous tick
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    now.saturating_sub(Duration::from_millis(50)).as_nanos()
}

fn set_mtime(path: &Utf8Path, t: SystemTime) -> Result<()> {
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(t))
        .with_context(|| format!("cannot set the mtime of {path}"))
}

/// A gate failure is printed at the edge's first output.
pub fn run(a: &GateArgs) -> Result<i32> {
    use super::runlog::{Decision, Timer};
    let timer = Timer::start();
    let first = a.outputs.first().map_or("build.ninja", |o| o.as_str());
    let result = with_listed_inputs(a).and_then(|a| gate(&a));
    let decision = match &result {
        Ok((0, d)) => *d,
        _ => Decision::Failed,
    };
    timer.finish(decision, first);
    super::fail_at(first, result.map(|(code, _)| code))
}

/// `a` with the inputs of its `--in-list` file appended to its `--in`s (copied only when there is a list).
fn with_listed_inputs(a: &GateArgs) -> Result<std::borrow::Cow<'_, GateArgs>> {
    let Some(list) = &a.in_list else { return Ok(std::borrow::Cow::Borrowed(a)) };
    let text = crate::files::read_regular_text(list, 1 << 30)
        .with_context(|| format!("cannot read the input list {list}; `ninjabind gen` writes it"))?;
    let mut a = a.clone();
    a.inputs.extend(text.lines().filter(|l| !l.is_empty()).map(Utf8PathBuf::from));
    Ok(std::borrow::Cow::Owned(a))
}

fn gate(a: &GateArgs) -> Result<(i32, super::runlog::Decision)> {
    use super::runlog::Decision;
    let env: Vec<(String, String)> = a.env.iter().map(|k| (k.clone(), std::env::var(k).unwrap_or_default())).collect();
    let rsp = match &a.rsp {
        Some(f) => Some(
            crate::files::read_regular_text(f, 1 << 30)
                .with_context(|| format!("cannot read the response file {f}"))?,
        ),
        None => None,
    };
    let key = content_key(&a.rule, &env, &a.command, &a.unkeyed, rsp.as_deref(), &a.tool_id);
    let old = crate::files::read_regular_text(&a.record, RECORD_LIMIT).ok().and_then(|t| Record::parse(&t));
    let mut shared = SharedHashes::for_output(a.outputs.first().map_or("build.ninja", |o| o.as_str()));
    if let Some(rec) = old.as_ref().filter(|r| r.key == key) {
        if let Some(entries) = still_fresh(rec, a, &mut shared) {
            if let Some(d) = &a.depfile {
                write_atomic(d, &ninja_depfile(a, deps_of(&entries), false))?;
            }
            let fresh = Record { key: key.clone(), entries };
            if fresh != *rec {
                write_atomic(&a.record, &fresh.render())?;
            }
            return Ok((0, Decision::Skipped));
        }
    }
    // no record may claim outputs while the command rewrites them
    let _ = std::fs::remove_file(&a.record);
    // the previous record's entries by path text: one lookup per input, not a scan of the record
    let previous: std::collections::HashMap<&str, &Entry> =
        old.iter().flat_map(|r| r.entries.iter().map(|e| (e.path.as_str(), e))).collect();
    let by_path = |p: &Utf8Path| previous.get(p.as_str()).copied();
    let started = filesystem_now();
    // the inputs as the command will read them: hashed before it runs, re-checked after
    let mut entries = Vec::new();
    for p in &a.inputs {
        if let Some((st, h)) = current(p, by_path(p), &mut shared) {
            entries.push(Entry { kind: Kind::In, stat: st, hash: h, path: p.clone() });
        }
    }
    let before: Vec<Option<(String, SystemTime)>> = a
        .outputs
        .iter()
        .map(|o| {
            let e = previous.get(o.as_str()).filter(|e| e.kind == Kind::Out)?;
            let st = stat(o).filter(|st| *st == e.stat)?;
            Some((e.hash.clone(), UNIX_EPOCH + Duration::from_nanos(st.mtime_ns as u64)))
        })
        .collect();
    let status = std::process::Command::new(&a.command[0])
        .args(&a.command[1..])
        .status()
        .with_context(|| format!("cannot run {}", a.command[0]))?;
    if !status.success() {
        let _ = std::fs::remove_file(&a.record);
        return Ok((status.code().unwrap_or(1), Decision::Failed));
    }
    // inputs saved while the command ran: the outputs may hold either version, so no record may vouch for them
    let mut changed: Vec<Utf8PathBuf> =
        entries.iter().filter(|e| stat(&e.path) != Some(e.stat)).map(|e| e.path.clone()).collect();
    if let Some(d) = &a.depfile {
        let discovered =
            crate::files::read_regular_text(d, RECORD_LIMIT).map(|t| depfile::parse(&t)).unwrap_or_default();
        for dep in discovered {
            let p = Utf8PathBuf::from(dep);
            if a.inputs.contains(&p) || a.outputs.contains(&p) {
                continue;
            }
            let Some(st) = stat(&p) else { continue };
            let hash = match by_path(&p).filter(|e| e.stat == st) {
                // unchanged since a run before this one began
                Some(e) => e.hash.clone(),
                None if st.mtime_ns >= started && !a.products.as_ref().is_some_and(|d| p.starts_with(d)) => {
                    changed.push(p);
                    continue;
                }
                None => match shared.hash(&p, &st) {
                    Ok(h) => h,
                    Err(_) => continue,
                },
            };
            entries.push(Entry { kind: Kind::Dep, stat: st, hash, path: p });
        }
        // rewritten in a form ninja reads back exactly (gcc writes quotes ninja cannot parse)
        let changed_deps = changed.iter().filter(|p| !a.inputs.contains(p)).map(|p| p.as_path());
        write_atomic(d, &ninja_depfile(a, deps_of(&entries).chain(changed_deps), true))?;
    }
    if !changed.is_empty() {
        for p in &changed {
            let why = format!("changed while `{}` was being built: the next build builds it again", a.outputs[0]);
            eprintln!("{}", super::located(p.as_str(), None, "warning", &why));
        }
        // older than the edit, so ninja sees the edge dirty next time; with no record, the gate runs the command
        let stamp = UNIX_EPOCH + Duration::from_nanos(started.saturating_sub(1) as u64);
        for o in &a.outputs {
            if stat(o).is_some() {
                set_mtime(o, stamp)?;
            }
        }
        return Ok((0, Decision::Raced));
    }
    let mut identical = 0;
    for (o, prev) in a.outputs.iter().zip(before) {
        let st = stat(o).with_context(|| format!("the command did not write {o} as a regular file"))?;
        let h = shared.hash(o, &st).with_context(|| format!("the command did not write {o} as a regular file"))?;
        let st = match prev.filter(|(old_hash, _)| *old_hash == h) {
            Some((_, old_mtime)) => {
                // byte-identical: put the old mtime back so restat prunes everything downstream
                set_mtime(o, old_mtime)?;
                identical += 1;
                stat(o).with_context(|| format!("cannot stat {o}"))?
            }
            None => st,
        };
        entries.push(Entry { kind: Kind::Out, stat: st, hash: h, path: o.clone() });
    }
    write_atomic(&a.record, &Record { key, entries }.render())?;
    Ok((0, if identical == a.outputs.len() { Decision::CutOff } else { Decision::Ran }))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(key, want);
        assert_eq!(hex(&[0, 15, 16, 255]), "000f10ff");
    }

    fn one_dep(path: &str) -> Record {
        Record {
            key: "abc".into(),
            entries: vec![Entry {
                kind: Kind::Dep,
                stat: Stat { size: 3, mtime_ns: 1_700_000_000_123_456_789, inode: 42 },
                hash: "00ff".into(),
                path: path.into(),
            }],
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
