//! `ninjabind stats`: what the last `ninja` run did — edges run, skipped by the content gate, cut off early — by kind, slowest first.

use crate::base::files;
use crate::base::layout;
use crate::base::process::{output_within, probe_limit};
use crate::protocol::runlog::{self, Decision, Line};
use anyhow::{Context, Result};
use camino::Utf8Path;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

/// The first output of every `build` statement in build.ninja, unescaped, with its rule.
pub fn rules_by_output(ninja: &str) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for line in ninja.lines() {
        let Some(rest) = line.strip_prefix("build ") else { continue };
        // ninja path escapes: `$ `, `$:`, `$$`; the first unescaped space or colon ends the first output
        let mut output = String::new();
        let mut chars = rest.char_indices();
        let mut end = rest.len();
        while let Some((i, c)) = chars.next() {
            match c {
                '$' => {
                    if let Some((_, e)) = chars.next() {
                        output.push(e);
                    }
                }
                ' ' | ':' | '|' => {
                    end = i;
                    break;
                }
                c => output.push(c),
            }
        }
        let Some(colon) = rest[end..].find(": ").map(|c| end + c + 2) else { continue };
        let rule = rest[colon..].split(' ').next().unwrap_or("");
        // a shared compile rule (`cc_3`) is of its kind
        let rule = rule.split_once('_').map_or(rule, |(kind, n)| if n.parse::<usize>().is_ok() { kind } else { rule });
        let rule = rule.to_string();
        map.insert(output, rule);
    }
    map
}

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Counts {
    pub edges: usize,
    pub ran: usize,
    pub cut_off: usize,
    pub skipped: usize,
    pub failed: usize,
    pub raced: usize,
    /// Compiles whose HAVE_* gate their flags do not satisfy: decided, no compiler run.
    pub gated_out: usize,
    /// Outputs fetched from the shared cache: no command ran.
    pub fetched: usize,
    pub seconds: f64,
}

impl Counts {
    fn add(&mut self, l: &Line) {
        self.edges += 1;
        match l.decision {
            Decision::Ran => self.ran += 1,
            Decision::CutOff => self.cut_off += 1,
            Decision::Skipped => self.skipped += 1,
            Decision::Failed => self.failed += 1,
            Decision::Raced => self.raced += 1,
            Decision::GatedOut => self.gated_out += 1,
            Decision::Fetched => self.fetched += 1,
        }
        self.seconds += l.duration_ms as f64 / 1000.0;
    }

    /// Commands that ran (changed an output, cut off, failed or raced).
    pub fn executed(&self) -> usize {
        self.ran + self.cut_off + self.failed + self.raced
    }
}

#[derive(Debug, Default)]
pub struct Stats {
    pub total: Counts,
    pub by_kind: BTreeMap<String, Counts>,
    /// (output, kind, line), slowest first, at most ten.
    pub slowest: Vec<(String, String, Line)>,
    /// How many edges the next `ninja` would run (`ninja -n`): 0 after a run with nothing to do, which leaves no
    /// trace of its own. `None` when ninja could not be asked.
    pub pending: Option<usize>,
    /// When the last run that did work ended (ms since the epoch).
    pub ended_ms: u128,
}

/// The last run recorded in `dir` (the folder holding build.ninja).
pub fn read(dir: &Utf8Path) -> Result<Stats> {
    let ninja_file = dir.join("build.ninja");
    let ninja = files::read_regular_text(&ninja_file, 1 << 30)
        .with_context(|| format!("no build.ninja in {dir}: run `ninjabind gen` and `ninja` first"))?;
    // the log sits beside ninja's .ninja_log, in build.ninja's `builddir`
    let builddir = ninja.lines().find_map(|l| l.strip_prefix("builddir = ")).unwrap_or(".");
    let log_file = layout::normalize(&dir.join(builddir).join(runlog::FILE));
    let log = files::read_regular_text(&log_file, runlog::LIMIT * 4)
        .with_context(|| format!("no {log_file}: run `ninja` first"))?;
    let rules = rules_by_output(&ninja);
    let run = runlog::last_run(&log);
    let mut s = Stats::default();
    let mut timed = Vec::new();
    for l in run {
        let kind = rules.get(&l.output).cloned().unwrap_or_else(|| "unknown".to_string());
        s.total.add(&l);
        s.by_kind.entry(kind.clone()).or_default().add(&l);
        timed.push((l.output.clone(), kind, l));
    }
    s.ended_ms = timed.iter().map(|(_, _, l)| l.start_ms + l.duration_ms).max().unwrap_or(0);
    timed.sort_by(|a, b| b.2.duration_ms.cmp(&a.2.duration_ms).then_with(|| a.0.cmp(&b.0)));
    timed.truncate(10);
    s.slowest = timed;
    s.pending = pending(dir);
    Ok(s)
}

/// The edges `ninja -n` would run in `dir` now (its `[k/N]` lines), or `None` when ninja cannot say.
fn pending(dir: &Utf8Path) -> Option<usize> {
    let mut cmd = std::process::Command::new("ninja");
    cmd.arg("-C").arg(dir).arg("-n").stdin(std::process::Stdio::null());
    let out = output_within(&mut cmd, probe_limit()).ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Some(text.lines().filter(|l| l.starts_with('[') && !l.contains("] Regenerating build.ninja")).count())
}

/// `3 s`, `4 min`, `2 h`, `5 days`: how long ago `ms` (since the epoch) was.
fn ago(ms: u128) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
    let s = now.saturating_sub(ms) / 1000;
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        7200..=172_799 => format!("{} h", s / 3600),
        _ => format!("{} days", s / 86_400),
    }
}

pub fn json(s: &Stats) -> Value {
    json!({
        "schema": 1,
        "total": s.total,
        "by_kind": s.by_kind,
        "pending": s.pending,
        "slowest": s.slowest.iter().map(|(o, k, l)| json!({
            "output": o, "rule": k, "decision": l.decision, "seconds": l.duration_ms as f64 / 1000.0,
        })).collect::<Vec<_>>(),
    })
}

pub fn human(s: &Stats) -> String {
    let mut o = String::new();
    let t = &s.total;
    match s.pending {
        Some(0) => {
            let _ = writeln!(o, "up to date: `ninja` has no work to do");
            let _ = write!(o, "last run that did work, {} ago: ", ago(s.ended_ms));
        }
        Some(n) => {
            let _ = writeln!(o, "out of date: the next `ninja` runs {n} edges");
            let _ = write!(o, "last ninja run, {} ago: ", ago(s.ended_ms));
        }
        None => o.push_str("last ninja run: "),
    }
    let _ = writeln!(o, "{} edges, {:.2} s of edge time", t.edges, t.seconds);
    let _ = writeln!(
        o,
        "  commands run: {} ({} changed an output, {} cut off early: outputs byte-identical)",
        t.executed(),
        t.ran,
        t.cut_off
    );
    let _ = writeln!(o, "  skipped by the content gate: {}", t.skipped);
    if t.fetched > 0 {
        let _ = writeln!(o, "  fetched from the shared cache (no command run): {}", t.fetched);
    }
    if t.gated_out > 0 {
        let _ = writeln!(o, "  gated out (HAVE_* guard unmet, an empty object, no compiler): {}", t.gated_out);
    }
    if t.failed + t.raced > 0 {
        let _ = writeln!(o, "  failed: {}, inputs changed while running: {}", t.failed, t.raced);
    }
    let _ = writeln!(o, "by kind:");
    for (k, c) in &s.by_kind {
        let _ = writeln!(
            o,
            "  {k:<10} {:>6} edges  {:>6} run  {:>6} skipped  {:>8.2} s",
            c.edges,
            c.executed(),
            c.skipped,
            c.seconds
        );
    }
    let _ = writeln!(o, "slowest:");
    for (out, kind, l) in &s.slowest {
        let _ = writeln!(o, "  {:>8.2} s  {kind:<10} {out} ({})", l.duration_ms as f64 / 1000.0, l.decision.name());
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_first_output_and_rule_of_each_build_line() {
        let n = "rule cc\nbuild build/obj/a$ b.c.o: cc_12 a$ b.c\nbuild x.a | x.nsl: cargo | Cargo.toml\nbuild c$:d.o: cc c.c\n";
        let m = rules_by_output(n);
        assert_eq!(m["build/obj/a b.c.o"], "cc");
        assert_eq!(m["x.a"], "cargo");
        assert_eq!(m["c:d.o"], "cc");
    }
}
