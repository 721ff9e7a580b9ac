//! pkg-config probes through the `pkg-config` crate: each distinct name once, in parallel.

use crate::base::process::{kill_children, probe_limit};
use std::collections::BTreeMap;

/// What one pkg-config name gave: flags to merge, or the tool's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub include_dirs: Vec<String>,
    pub defines: Vec<String>,
    pub link_dirs: Vec<String>,
    pub libs: Vec<String>,
}

pub type Probes = BTreeMap<String, Result<Probe, String>>;

/// Every name probed, in parallel; `Err(name)` names one still unanswered at the probe limit (every child gen still
/// had running is then killed: gen fails anyway).
pub fn probe_all(names: impl IntoIterator<Item = String>) -> Result<Probes, String> {
    let names: std::collections::BTreeSet<String> = names.into_iter().collect();
    let deadline = std::time::Instant::now() + probe_limit();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        for n in &names {
            let tx = tx.clone();
            s.spawn(move || {
                let r = std::panic::catch_unwind(|| probe(n));
                let _ = tx.send((n.clone(), r.unwrap_or_else(|_| Err("pkg-config probe panicked".to_string()))));
            });
        }
        drop(tx);
        let mut got = Probes::new();
        while got.len() < names.len() {
            match rx.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())) {
                Ok((n, r)) => {
                    got.insert(n, r);
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    // the crate runs pkg-config itself and gives no handle on it: stop the children we have, so the
                    // probe threads return and nothing is left running
                    kill_children();
                    return Err(names.iter().find(|n| !got.contains_key(*n)).cloned().unwrap_or_default());
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        Ok(got)
    })
}

fn probe(name: &str) -> Result<Probe, String> {
    let lib = pkg_config::Config::new()
        .cargo_metadata(false)
        .env_metadata(false)
        .print_system_libs(false)
        .print_system_cflags(false)
        .probe(name)
        .map_err(|e| first_lines(&e.to_string()))?;
    let mut defines: Vec<String> = lib
        .defines
        .iter()
        .map(|(k, v)| match v {
            Some(v) => format!("-D{k}={v}"),
            None => format!("-D{k}"),
        })
        .collect();
    defines.sort();
    let path = |p: &std::path::PathBuf| p.to_string_lossy().into_owned();
    Ok(Probe {
        include_dirs: lib.include_paths.iter().map(path).collect(),
        defines,
        link_dirs: lib.link_paths.iter().map(path).collect(),
        libs: lib.libs.clone(),
    })
}

/// pkg-config's own message without the crate's long advice.
fn first_lines(msg: &str) -> String {
    let lines: Vec<&str> = msg.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    lines.iter().find(|l| l.contains("was not found") || l.contains("No package")).map_or_else(
        || lines.iter().take(3).cloned().collect::<Vec<_>>().join(" "),
        |l| l.trim_start_matches("--stderr--").trim().to_string(),
    )
}
