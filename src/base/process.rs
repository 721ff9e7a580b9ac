//! Running another tool from gen with a time limit: a probe that never answers is killed, and gen fails naming the
//! command and the limit instead of hanging (`perry --version`, `perry native list`, the compiler probes).

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The limit of every probe: `NINJABIND_PROBE_TIMEOUT` seconds, else 60 (a cold `perry native list` takes 30 ms, a
/// compiler probe well under a second; a minute is a hang).
pub fn probe_limit() -> Duration {
    let secs = std::env::var("NINJABIND_PROBE_TIMEOUT").ok().and_then(|v| v.parse::<f64>().ok());
    Duration::from_secs_f64(secs.filter(|s| s.is_finite() && *s > 0.0).unwrap_or(60.0))
}

/// Why a probe gave no output.
#[derive(Debug)]
pub enum ProbeError {
    /// It could not be started.
    Start(std::io::Error),
    /// It ran past the limit and was killed.
    TimedOut(Duration),
}

impl std::fmt::Display for ProbeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProbeError::Start(e) => write!(f, "{e}"),
            ProbeError::TimedOut(d) => {
                write!(
                    f,
                    "did not finish within {} s and was stopped (NINJABIND_PROBE_TIMEOUT sets the limit)",
                    d.as_secs_f64()
                )
            }
        }
    }
}

/// `cmd`'s output, as [`Command::output`] gives it, unless it runs past `limit`: then it is killed (and waited for)
/// and the answer is [`ProbeError::TimedOut`]. Its stdin is empty.
pub fn output_within(cmd: &mut Command, limit: Duration) -> Result<Output, ProbeError> {
    let mut child =
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(ProbeError::Start)?;
    // both pipes drained on their own threads, so a chatty child never blocks on a full pipe
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
    let err = drain(child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < limit => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ProbeError::TimedOut(limit));
            }
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    Ok(Output { status, stdout, stderr })
}

/// Kills (SIGKILL) every child process this process has now, found in `/proc/self/task/*/children` (Linux; elsewhere
/// nothing): for a probe run by a library that keeps its child to itself (the `pkg-config` crate).
pub fn kill_children() {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return };
    for t in tasks.flatten() {
        let Ok(list) = std::fs::read_to_string(t.path().join("children")) else { continue };
        for pid in list.split_whitespace().filter_map(|p| p.parse::<libc::pid_t>().ok()) {
            // SAFETY: kill takes a pid and a signal number; no memory is passed
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_past_its_limit_is_stopped_and_one_within_it_answers() {
        let started = Instant::now();
        let e = output_within(Command::new("sleep").arg("30"), Duration::from_millis(200)).unwrap_err();
        assert!(matches!(e, ProbeError::TimedOut(_)), "{e}");
        assert!(started.elapsed() < Duration::from_secs(5), "the sleep was not stopped");
        assert!(e.to_string().contains("did not finish within 0.2 s"), "{e}");
        let o =
            output_within(Command::new("sh").args(["-c", "echo out; echo err >&2"]), Duration::from_secs(10)).unwrap();
        assert_eq!((o.stdout.as_slice(), o.stderr.as_slice()), (&b"out\n"[..], &b"err\n"[..]));
        assert!(matches!(
            output_within(&mut Command::new("/nonexistent/tool"), Duration::from_secs(1)),
            Err(ProbeError::Start(_))
        ));
    }
}
