//! The edges' run log (`.ninjabind_log` beside ninja's `.ninja_log`): one line per edge run — which ninja run, what the gate decided, how long.
//!
//! ninja's own `.ninja_log` has no run boundary and no notion of a skipped command, so each edge appends
//! `1 <ninja pid> <start unix ms> <duration ms> <decision> <output>` with one `write` (atomic for a short line
//! under O_APPEND); `ninjabind stats` reads the last run back. Logging never fails an edge.

use std::io::Write;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub const FILE: &str = ".ninjabind_log";

/// Past this size `gen` starts the log afresh.
pub const LIMIT: u64 = 4 << 20;

/// What an edge did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The command ran and changed an output.
    Ran,
    /// The command ran and every output came out byte-identical: restat pruned what depends on it.
    CutOff,
    /// The content gate found inputs, outputs and key unchanged: the command never ran.
    Skipped,
    /// The command failed.
    Failed,
    /// An input changed while the command ran: no record, built again next time.
    Raced,
    /// A compile whose source's HAVE_* gate its flags do not satisfy: no compiler ran, an empty object was written.
    GatedOut,
    /// The outputs came from the shared cache (`--cache`): the command never ran.
    Fetched,
}

impl Decision {
    pub fn name(self) -> &'static str {
        match self {
            Decision::Ran => "ran",
            Decision::CutOff => "cut_off",
            Decision::Skipped => "skipped",
            Decision::Failed => "failed",
            Decision::Raced => "raced",
            Decision::GatedOut => "gated_out",
            Decision::Fetched => "fetched",
        }
    }
    fn parse(s: &str) -> Option<Decision> {
        [
            Decision::Ran,
            Decision::CutOff,
            Decision::Skipped,
            Decision::Failed,
            Decision::Raced,
            Decision::GatedOut,
            Decision::Fetched,
        ]
        .into_iter()
        .find(|d| d.name() == s)
    }
}

/// One edge run as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub ninja_pid: u32,
    pub start_ms: u128,
    pub duration_ms: u128,
    pub decision: Decision,
    pub output: String,
}

impl Line {
    pub fn parse(l: &str) -> Option<Line> {
        let f: Vec<&str> = l.splitn(6, ' ').collect();
        if f.len() != 6 || f[0] != "1" {
            return None;
        }
        Some(Line {
            ninja_pid: f[1].parse().ok()?,
            start_ms: f[2].parse().ok()?,
            duration_ms: f[3].parse().ok()?,
            decision: Decision::parse(f[4])?,
            output: f[5].to_string(),
        })
    }
}

/// A clock started when an edge starts; `finish` appends its line.
pub struct Timer {
    wall: SystemTime,
    start: Instant,
}

impl Timer {
    pub fn start() -> Timer {
        Timer { wall: SystemTime::now(), start: Instant::now() }
    }

    pub fn finish(&self, decision: Decision, output: &str) {
        let start_ms = self.wall.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        let line =
            format!("1 {} {start_ms} {} {} {output}\n", ninja_pid(), self.start.elapsed().as_millis(), decision.name());
        let Some(log) = beside_ninja_log(output, FILE) else { return };
        if let Ok(mut f) = std::fs::File::options().create(true).append(true).open(log) {
            let _ = f.write_all(line.as_bytes());
        }
    }
}

/// The file `name` in the nearest folder above `output` holding ninja's `.ninja_log` (ninja's `builddir`; a relative
/// output's last ancestor is the current folder) or the lock gen leaves there (ninja opens its log only when the
/// first edge finishes: the first edge of a fresh build folder would otherwise go unlogged). `None` outside a
/// build: an edge run by hand leaves no file behind.
pub fn beside_ninja_log(output: &str, name: &str) -> Option<camino::Utf8PathBuf> {
    let out = camino::Utf8Path::new(output);
    let marks = |d: &camino::Utf8Path| d.join(".ninja_log").is_file() || d.join(GEN_LOCK).is_file();
    out.ancestors().skip(1).find(|d| marks(d)).map(|d| d.join(name))
}

/// The lock file gen holds while it writes, in the outputs root (which is ninja's `builddir`).
pub const GEN_LOCK: &str = ".ninjabind-gen.lock";

/// The ninja process this edge runs under: the nearest ancestor named `ninja` (ninja runs `/bin/sh -c`, which may
/// or may not exec), else the parent. Every edge of one `ninja` invocation shares it, a regeneration included.
pub fn ninja_pid() -> u32 {
    let mut pid = std::os::unix::process::parent_id();
    for _ in 0..3 {
        let Some((name, parent)) = proc_stat(pid) else { break };
        if name == "ninja" {
            return pid;
        }
        pid = parent;
    }
    std::os::unix::process::parent_id()
}

/// `(comm, ppid)` from `/proc/<pid>/stat` (Linux); `None` elsewhere.
fn proc_stat(pid: u32) -> Option<(String, u32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let name = text[open + 1..close].to_string();
    let ppid = text[close + 1..].split_whitespace().nth(1)?.parse().ok()?;
    Some((name, ppid))
}

/// The lines of the last ninja run in `text`: the longest tail sharing the last line's ninja pid.
pub fn last_run(text: &str) -> Vec<Line> {
    let lines: Vec<Line> = text.lines().filter_map(Line::parse).collect();
    let Some(pid) = lines.last().map(|l| l.ninja_pid) else { return vec![] };
    let from = lines.iter().rposition(|l| l.ninja_pid != pid).map_or(0, |i| i + 1);
    lines[from..].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_run_is_the_tail_with_one_ninja_pid() {
        let text = "1 10 5 1 ran a.o\n1 20 9 2 skipped a.o\nnot a line\n1 20 9 3 cut_off b o.o\n";
        let run = last_run(text);
        assert_eq!(run.len(), 2);
        assert_eq!(run[1].output, "b o.o");
        assert_eq!(run[1].decision, Decision::CutOff);
        assert!(last_run("").is_empty());
    }
}
