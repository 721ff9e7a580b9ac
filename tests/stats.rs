//! End-to-end: `ninjabind stats` after a clean build, a touch of every file, and a build folder restored onto a fresh clone.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;

fn stats(dir: &Path) -> Value {
    let o = ninjabind(dir, &["stats", "--format", "json"]);
    assert!(o.status.success(), "{}", text(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn n(v: &Value, kind: &str, field: &str) -> u64 {
    v["by_kind"][kind][field].as_u64().unwrap_or_else(|| panic!("no {kind}.{field}: {v:#}"))
}

fn touch_all(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let ty = e.file_type().unwrap();
        if e.file_name() == "build" {
            continue;
        }
        if ty.is_dir() {
            touch_all(&e.path());
        } else if ty.is_file() {
            touch(&e.path());
        }
    }
}

#[test]
fn stats_says_what_ran_and_what_the_gate_skipped() {
    let (t, p) = example("hello-perry");
    ok(ninjabind(&p, &["gen"]));
    ok(ninja(&p, &[]));
    // clean: every command ran, nothing skipped
    let clean = stats(&p);
    assert_eq!(clean["total"]["skipped"], 0, "{clean:#}");
    for (kind, edges) in [("cc", 1), ("cargo", 2), ("symdiff", 2), ("symcheck", 1), ("nativelibs", 1), ("link", 1)] {
        assert_eq!(n(&clean, kind, "edges"), edges, "{kind}: {clean:#}");
        assert_eq!(n(&clean, kind, "ran"), edges, "{kind}: {clean:#}");
    }
    let slowest: Vec<f64> =
        clean["slowest"].as_array().unwrap().iter().map(|e| e["seconds"].as_f64().unwrap()).collect();
    assert!(!slowest.is_empty() && slowest.len() <= 10 && slowest.windows(2).all(|w| w[0] >= w[1]), "{clean:#}");
    let human = ok(ninjabind(&p, &["stats"]));
    // a run with nothing to do leaves no trace: stats asks ninja, and says the build is up to date
    assert_eq!(clean["pending"], 0, "{clean:#}");
    assert!(ok(ninja(&p, &[])).contains("no work to do"));
    assert!(human.starts_with("up to date: `ninja` has no work to do\nlast run that did work, "), "{human}");
    assert!(human.lines().nth(1).unwrap().contains(" s ago: 8 edges, "), "{human}");
    assert!(human.contains("  skipped by the content gate: 0\n"), "{human}");
    assert!(human.lines().any(|l| l.contains(" link ") && l.contains("build/bin/hello-perry (ran)")), "{human}");

    // touch every file: ninja re-runs the edges, the gate runs no command
    tick();
    touch_all(&p);
    ok(ninja(&p, &[]));
    let touched = stats(&p);
    assert_eq!(touched["total"]["ran"], 0, "{touched:#}");
    assert_eq!(n(&touched, "cc", "skipped"), 1, "{touched:#}");
    assert_eq!(n(&touched, "cargo", "skipped"), 2, "{touched:#}");
    let human = ok(ninjabind(&p, &["stats"]));
    assert!(human.contains("  commands run: "), "{human}");

    // a fresh clone with the build folder restored (new mtimes and inodes, same content)
    let cache = t.path().join("cache");
    assert!(std::process::Command::new("cp").arg("-a").arg(p.join("build")).arg(&cache).status().unwrap().success());
    tick();
    let (_t2, clone) = example("hello-perry");
    assert!(std::process::Command::new("cp")
        .arg("-a")
        .arg(&cache)
        .arg(clone.join("build"))
        .status()
        .unwrap()
        .success());
    ok(ninjabind(&clone, &["gen"]));
    ok(ninja(&clone, &[]));
    let restored = stats(&clone);
    assert_eq!(restored["total"]["ran"], 0, "{restored:#}");
    assert_eq!(n(&restored, "cc", "skipped"), 1, "{restored:#}");
    assert_eq!(n(&restored, "cargo", "skipped"), 2, "{restored:#}");
    assert_eq!(run_program(&clone.join("build/bin/hello-perry")), "answer=42 wave=0.841 nanoid_size=21\n");

    // an edit not yet built: the next ninja's work, then the last run
    edit(&p.join("host/main.c"), "int main", "int  main");
    let human = ok(ninjabind(&p, &["stats"]));
    assert!(human.starts_with("out of date: the next `ninja` runs "), "{human}");
    assert!(stats(&p)["pending"].as_u64().unwrap() >= 1, "{human}");
}

#[test]
fn stats_before_any_build_is_a_clear_error() {
    let (_t, p) = example("hello-c");
    let err = fails(ninjabind(&p, &["stats"]));
    assert!(err.contains("no build.ninja in .: run `ninjabind gen` and `ninja` first"), "{err}");
    ok(ninjabind(&p, &["gen"]));
    let err = fails(ninjabind(&p, &["stats"]));
    assert!(err.contains(".ninjabind_log: run `ninja` first"), "{err}");
}

#[test]
fn stats_reads_an_out_of_tree_build_and_gen_moves_a_long_log_aside() {
    let (_t, p) = example("hello-c");
    ok(ninjabind(&p, &["gen", "-B", "../out"]));
    let out = p.parent().unwrap().join("out");
    ok(ninja(&out, &[]));
    let o = ninjabind(&p, &["stats", "-C", "../out", "--format", "json"]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["by_kind"]["cc"]["ran"], 2, "{v:#}");
    // the log only grows: past 4 MiB the next gen moves it aside, keeping one old copy
    let log = out.join(".ninjabind_log");
    std::fs::write(&log, "x".repeat(5 << 20)).unwrap();
    ok(ninjabind(&p, &["gen", "-B", "../out"]));
    assert!(!log.exists() && out.join(".ninjabind_log.old").is_file());
}
