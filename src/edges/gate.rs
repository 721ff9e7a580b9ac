//! `ninjabind edge gate`: runs an edge's command only when the content of its inputs, its outputs or its key changed.

use super::cache::Cache;
use super::have_gate;
use super::shared_hashes::SharedHashes;
use crate::base::escape::split_rsp_words;
use crate::base::files::read_regular_text;
use crate::base::hash::{stat, Stat};
use crate::base::write::write_cache;
use crate::protocol::depfile;
use crate::protocol::gate::{content_key, Entry, GateArgs, Kind, Record};
use crate::protocol::runlog::{Decision, Timer};
use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The file's stat and content hash; a recorded entry with the same size+mtime+inode is trusted without reading.
fn current(path: &Utf8Path, recorded: Option<&Entry>, shared: &mut SharedHashes) -> Option<(Stat, String)> {
    let st = stat(path)?;
    if let Some(e) = recorded.filter(|e| e.stat == st) {
        return Some((st, e.hash.clone()));
    }
    Some((st, shared.hash(path, &st).ok()?))
}

fn write_atomic(path: &Utf8Path, text: &str) -> Result<()> {
    write_cache(path, text.as_bytes()).map(|_| ())
}

/// Whether every recorded file still has its recorded content; returns the entries with fresh stats.
fn still_fresh(rec: &Record, a: &GateArgs, shared: &mut SharedHashes) -> Option<Vec<Entry>> {
    let recorded_in: Vec<&Utf8PathBuf> = rec.entries.iter().filter(|e| e.kind == Kind::In).map(|e| &e.path).collect();
    let recorded_out: Vec<&Utf8PathBuf> = rec.entries.iter().filter(|e| e.kind == Kind::Out).map(|e| &e.path).collect();
    // an output list's files follow the declared outputs; the list's own hash vouches for which they are
    let declared_out =
        if a.out_rsp.is_some() { &recorded_out[..a.outputs.len().min(recorded_out.len())] } else { &recorded_out[..] };
    if recorded_in != a.inputs.iter().collect::<Vec<_>>() || declared_out != a.outputs.iter().collect::<Vec<_>>() {
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
    let timer = Timer::start();
    let a = &match a.clone().completed() {
        Ok(a) => a,
        Err(e) => return super::fail_at("build.ninja", Err(anyhow::anyhow!(e))),
    };
    let listed = with_listed_files(a);
    // the first output, the one ninja's log and ours name the edge by, may come from an output list
    let first = match &listed {
        Ok(l) => l.outputs.first(),
        Err(_) => a.outputs.first(),
    };
    let first = first.or(a.out_list.as_ref()).map_or("build.ninja", |o| o.as_str()).to_string();
    let result = listed.and_then(|a| gate(&a));
    let decision = match &result {
        Ok((0, d)) => *d,
        _ => Decision::Failed,
    };
    timer.finish(decision, &first);
    super::fail_at(&first, result.map(|(code, _)| code))
}

/// `a` with the inputs of its `--in-list` file and its `--in-rsp` files appended to its `--in`s, and the outputs of
/// its `--out-list` to its `--out`s (copied only when there is a list).
fn with_listed_files(a: &GateArgs) -> Result<std::borrow::Cow<'_, GateArgs>> {
    if a.in_list.is_none() && a.in_rsps.is_empty() && a.out_list.is_none() {
        return Ok(std::borrow::Cow::Borrowed(a));
    }
    let mut a = a.clone();
    let listed = |list: &Utf8Path| -> Result<Vec<Utf8PathBuf>> {
        let text = read_regular_text(list, 1 << 30)
            .with_context(|| format!("cannot read the file list {list}; `ninjabind gen` writes it"))?;
        Ok(text.lines().filter(|l| !l.is_empty()).map(Utf8PathBuf::from).collect())
    };
    if let Some(list) = &a.in_list {
        a.inputs.extend(listed(list)?);
    }
    if let Some(list) = &a.out_list {
        a.outputs.extend(listed(list)?);
    }
    for r in a.in_rsps.clone() {
        a.inputs.extend(rsp_paths(&r)?);
    }
    Ok(std::borrow::Cow::Owned(a))
}

/// The paths a response file written by an edge names, one word each.
fn rsp_paths(rsp: &Utf8Path) -> Result<Vec<Utf8PathBuf>> {
    let text = read_regular_text(rsp, RECORD_LIMIT)
        .with_context(|| format!("cannot read {rsp}, the list of files the edge that writes it produced"))?;
    Ok(split_rsp_words(&text).into_iter().map(Utf8PathBuf::from).collect())
}

/// The recorded run still holds (same key, every file the same content): the depfile and the record's stats are
/// brought up to date and the command is not run.
fn skip(a: &GateArgs, rec: &Record, shared: &mut SharedHashes) -> Result<bool> {
    let Some(entries) = still_fresh(rec, a, shared) else { return Ok(false) };
    if let Some(d) = &a.depfile {
        write_atomic(d, &ninja_depfile(a, deps_of(&entries), false))?;
    }
    let fresh = Record { key: rec.key.clone(), gated: rec.gated.clone(), entries };
    if fresh != *rec {
        write_atomic(&a.record, &fresh.render())?;
    }
    Ok(true)
}

fn gate(a: &GateArgs) -> Result<(i32, Decision)> {
    let env: Vec<(String, String)> = a.env.iter().map(|k| (k.clone(), std::env::var(k).unwrap_or_default())).collect();
    let rsp = match &a.rsp {
        Some(f) => Some(read_regular_text(f, 1 << 30).with_context(|| format!("cannot read the response file {f}"))?),
        None => None,
    };
    let key = content_key(&a.rule, &env, &a.command, &a.unkeyed, rsp.as_deref(), &a.tool_id).to_string();
    let old = read_regular_text(&a.record, RECORD_LIMIT).ok().and_then(|t| Record::parse(&t));
    let mut shared = SharedHashes::for_output(a.outputs.first().map_or("build.ninja", |o| o.as_str()));
    if let Some(rec) = old.as_ref().filter(|r| r.key == key) {
        if skip(a, rec, &mut shared)? {
            return Ok((0, Decision::Skipped));
        }
    }
    // no record may claim outputs while the command rewrites them
    let _ = std::fs::remove_file(&a.record);
    // the previous record's entries by path text: one lookup per input, not a scan of the record
    let previous: HashMap<&str, &Entry> =
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
    // each output as it was before the command rewrote it: hash and mtime, when the record still vouches for it
    let was = |o: &Utf8Path| {
        let e = previous.get(o.as_str()).filter(|e| e.kind == Kind::Out)?;
        let st = stat(o).filter(|st| *st == e.stat)?;
        Some((e.hash.clone(), UNIX_EPOCH + Duration::from_nanos(st.mtime_ns as u64)))
    };
    let before: Vec<Option<(String, SystemTime)>> = a.outputs.iter().map(|o| was(o)).collect();
    let listed_before: HashMap<Utf8PathBuf, (String, SystemTime)> = match &a.out_rsp {
        Some(_) => old
            .iter()
            .flat_map(|r| r.entries.iter().filter(|e| e.kind == Kind::Out && !a.outputs.contains(&e.path)))
            .filter_map(|e| Some((e.path.clone(), was(&e.path)?)))
            .collect(),
        None => HashMap::new(),
    };
    // a compile edge decides its source's HAVE_* gate first: read here, where the content gate reads it anyway
    let gated = match (&a.have_target, a.inputs.first()) {
        (Some(_), Some(source)) => have_gate::missing_macros(source, &a.command)?,
        _ => Vec::new(),
    };
    // the shared cache, asked before the command runs (a staged copy is the project's own file: not stored)
    let cache = match (gated.is_empty(), a.rule.as_str()) {
        (true, r) if r != "stage" => a.outputs.first().and_then(|o| Cache::open(o.as_str())),
        _ => None,
    };
    let first_name = cache.as_ref().map(|c| c.first_name(&a.rule, &key_words(a, &env, rsp.as_deref()), &entries));
    if let (Some(c), Some(name)) = (&cache, &first_name) {
        let mut local = |p: &Utf8Path| {
            let (st, hash) = current(p, by_path(p), &mut shared)?;
            Some(Entry { kind: Kind::Dep, stat: st, hash, path: p.to_owned() })
        };
        let list_dir = a.out_rsp.as_ref().and_then(|r| r.parent()).map(Utf8Path::to_owned);
        let allowed = |p: &Utf8Path| {
            let inside = p.is_relative() && !p.components().any(|c| c.as_str() == "..");
            inside && (a.outputs.iter().any(|o| o == p) || list_dir.as_ref().is_some_and(|d| p.starts_with(d)))
        };
        if let Some(fetched) = c.fetch(name, &mut local, &allowed) {
            // the consumers of a fetched archive find its hash: the cache checked it, nobody reads it again
            for o in fetched.iter().filter(|e| e.kind == Kind::Out) {
                shared.vouch(&o.path, &o.stat, &o.hash);
            }
            entries.extend(fetched);
            if let Some(d) = &a.depfile {
                write_atomic(d, &ninja_depfile(a, deps_of(&entries), false))?;
            }
            write_atomic(&a.record, &Record { key, gated, entries }.render())?;
            return Ok((0, Decision::Fetched));
        }
    }
    if let (false, Some(target)) = (gated.is_empty(), &a.have_target) {
        have_gate::gate_out(&a.outputs[0], a.depfile.as_ref(), target)?;
    } else {
        let status = std::process::Command::new(&a.command[0])
            .args(&a.command[1..])
            .status()
            .with_context(|| format!("cannot run {}", a.command[0]))?;
        if !status.success() {
            let _ = std::fs::remove_file(&a.record);
            return Ok((status.code().unwrap_or(1), Decision::Failed));
        }
    }
    // inputs saved while the command ran: the outputs may hold either version, so no record may vouch for them
    let mut changed: Vec<Utf8PathBuf> =
        entries.iter().filter(|e| stat(&e.path) != Some(e.stat)).map(|e| e.path.clone()).collect();
    if let Some(d) = &a.depfile {
        record_discovered(a, d, &previous, started, &mut entries, &mut changed, &mut shared)?;
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
    let identical = record_outputs(a, before, listed_before, &mut entries, &mut shared)?;
    let decision = match (gated.is_empty(), identical == a.outputs.len()) {
        (false, _) => Decision::GatedOut,
        (true, true) => Decision::CutOff,
        (true, false) => Decision::Ran,
    };
    if let (Some(c), Some(name)) = (&cache, &first_name) {
        c.store(name, &entries);
    }
    write_atomic(&a.record, &Record { key, gated, entries }.render())?;
    Ok((0, decision))
}

/// The words that make the edge's key (its command less the unkeyed words, the environment it reads, its response
/// file, its tool): the shared cache's first name is made of them, with this build's absolute paths taken out.
fn key_words(a: &GateArgs, env: &[(String, String)], rsp: Option<&str>) -> Vec<String> {
    let mut words: Vec<String> =
        a.command.iter().enumerate().filter(|(i, _)| !a.unkeyed.contains(i)).map(|(_, w)| w.clone()).collect();
    words.extend(env.iter().map(|(k, v)| format!("{k}={v}")));
    words.extend(rsp.map(str::to_string));
    words.push(a.tool_id.clone());
    words
}

/// The inputs the command's depfile names beyond its own: recorded with their hashes, or, when saved while it ran,
/// kept in `changed`; the depfile is rewritten in a form ninja reads back exactly.
fn record_discovered(
    a: &GateArgs,
    d: &Utf8Path,
    previous: &HashMap<&str, &Entry>,
    started: u128,
    entries: &mut Vec<Entry>,
    changed: &mut Vec<Utf8PathBuf>,
    shared: &mut SharedHashes,
) -> Result<()> {
    let discovered = read_regular_text(d, RECORD_LIMIT).map(|t| depfile::parse(&t)).unwrap_or_default();
    for dep in discovered {
        let p = Utf8PathBuf::from(dep);
        if a.inputs.contains(&p) || a.outputs.contains(&p) {
            continue;
        }
        let Some(st) = stat(&p) else { continue };
        let hash = match previous.get(p.as_str()).filter(|e| e.stat == st) {
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
    write_atomic(d, &ninja_depfile(a, deps_of(entries).chain(changed_deps), true))?;
    Ok(())
}

/// Each output's stat and hash; one byte-identical to its last run gets its old mtime back, so restat prunes
/// everything downstream. Returns how many were identical.
fn record_outputs(
    a: &GateArgs,
    before: Vec<Option<(String, SystemTime)>>,
    mut listed_before: HashMap<Utf8PathBuf, (String, SystemTime)>,
    entries: &mut Vec<Entry>,
    shared: &mut SharedHashes,
) -> Result<usize> {
    // the files an output list names first: the list is unchanged only when each of them is
    let mut listed = Vec::new();
    let mut all_listed_identical = true;
    if let Some(list) = &a.out_rsp {
        for o in rsp_paths(list)?.into_iter().filter(|o| !a.outputs.contains(o)) {
            let prev = listed_before.remove(&o);
            let (entry, same) = output_entry(&o, prev, shared)?;
            all_listed_identical &= same;
            listed.push(entry);
        }
    }
    let mut identical = 0;
    for (o, prev) in a.outputs.iter().zip(before) {
        let prev = prev.filter(|_| all_listed_identical || a.out_rsp.as_ref() != Some(o));
        let (entry, same) = output_entry(o, prev, shared)?;
        identical += usize::from(same);
        entries.push(entry);
    }
    entries.extend(listed);
    Ok(identical)
}

/// An output's record entry; one byte-identical to `prev` gets its old mtime back, so restat prunes everything
/// downstream (the `bool`).
fn output_entry(o: &Utf8Path, prev: Option<(String, SystemTime)>, shared: &mut SharedHashes) -> Result<(Entry, bool)> {
    let st = stat(o).with_context(|| format!("the command did not write {o} as a regular file"))?;
    let h = shared.hash(o, &st).with_context(|| format!("the command did not write {o} as a regular file"))?;
    let (st, same) = match prev.filter(|(old_hash, _)| *old_hash == h) {
        Some((_, old_mtime)) => {
            set_mtime(o, old_mtime)?;
            (stat(o).with_context(|| format!("cannot stat {o}"))?, true)
        }
        None => (st, false),
    };
    Ok((Entry { kind: Kind::Out, stat: st, hash: h, path: o.to_owned() }, same))
}
