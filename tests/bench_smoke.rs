//! bench/bench.py keeps working: its smoke run (tiny sizes, no anchors) prints every figure. Figures are measured
//! by `bench/bench.py --quick` and the full run, never asserted here.

mod common;
use common::*;

#[test]
fn the_bench_runs_end_to_end_and_reports_every_figure() {
    let t = tempfile::tempdir().unwrap();
    let json = t.path().join("figures.json");
    let o = clean_command("python3")
        .arg(repo().join("bench/bench.py"))
        .args(["--smoke", "--exe", EXE, "--json"])
        .arg(&json)
        .output()
        .unwrap();
    let out = ok(o);
    let figures: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let names: Vec<&str> = figures.iter().map(|f| f["figure"].as_str().unwrap()).collect();
    for want in [
        "gen (s)",
        "gen's floor (bench/floor.c, the reads gen must do) (s)",
        "ninja regenerating after one manifest edit (s)",
        "after one C body edit, what runs before the first compile (s)",
        "clean build: gated / ungated (median of 3, interleaved)",
        "touch every file, then ninja / clean build",
        "build folder restored on a fresh clone, then ninja / clean build",
        "real C: touch every file, then ninja / clean build",
        "real C: build folder restored on a fresh clone, then ninja / clean build",
        "memory to scan .ts: bytes per input byte",
        "real Perry: perry compile with nothing changed / our ninja no-op",
        "real Perry, one TS edit: ours / perry compile",
        "real Perry, one binding (Rust) edit: ours / perry compile",
        "real Perry (52 modules, compilePackages): perry compile with nothing changed / our ninja no-op",
        "real Perry (52 modules, compilePackages), one TS edit: ours / perry compile",
        "real Perry (52 modules, compilePackages), one binding (Rust) edit: ours / perry compile",
        "restage after one edited resource file (ms)",
        "real C: fresh clone elsewhere, warm shared cache / clean build",
        "real C (redis store): fresh clone elsewhere, warm shared cache / clean build",
        "real C (http store): fresh clone elsewhere, warm shared cache / clean build",
        "real Perry: fresh clone elsewhere, warm shared cache / clean build",
        "real Perry: clean build with a cold shared cache / without one",
        "real Vex: vex compile with nothing changed / our ninja no-op",
        "real Vex, one .vx edit: ours / vex compile",
        "real Vex, one native C edit: ours / vex compile",
    ] {
        assert!(names.contains(&want), "`{want}` missing:\n{out}");
    }
    assert!(names.iter().any(|n| n.starts_with("real C (zlib, ")), "the real-code clean build row is missing:\n{out}");
    assert!(names.iter().any(|n| n.starts_with("stage a resource folder of ")), "the staging row is missing:\n{out}");
    // the regeneration's note says how many paths ninja stat'ed, from `ninja -d stats`
    let regen = figures.iter().find(|f| f["figure"] == "ninja regenerating after one manifest edit (s)").unwrap();
    let stats: u64 =
        regen["note"].as_str().unwrap().split_whitespace().nth(2).and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!(stats > 0, "no stat count in {regen}");
    for f in &figures {
        let v = f["value"].as_str().unwrap().trim_end_matches('x');
        assert!(v.parse::<f64>().is_ok_and(|x| x.is_finite() && x >= 0.0), "{f}");
    }
}
