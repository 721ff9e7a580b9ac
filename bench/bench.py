#!/usr/bin/env python3
"""ninjabind benchmarks (SPEC §9): synthetic projects, every figure a ratio taken in one run.

Usage: bench/bench.py [--packages 1000] [--sources 20] [--small-packages 20] [--small-sources 10] [--bindings 3]
Needs a release build (cargo build --release) and ninja on PATH.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXE = REPO / "target" / "release" / "ninjabind"
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in (
    "CC", "CFLAGS", "CXX", "CXXFLAGS", "LDFLAGS", "RUSTFLAGS", "VEX_NATIVE_FEATURES", "VEX_DB_FEATURES")}


def write(path: Path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def generate(root: Path, packages: int, sources: int, bindings: int):
    """A Vex app depending on `packages` path packages of `sources` C files each, plus `bindings` Rust crates."""
    deps = {f"p{i}": {"path": f"pkgs/p{i}"} for i in range(packages)}
    deps.update({f"b{k}": {"path": f"bindings/b{k}"} for k in range(bindings)})
    import json
    write(root / "vex.json", json.dumps({"name": "app", "version": "0.1.0", "dependencies": deps,
                                         "native": {"sources": ["main.c"]}}, indent=1))
    calls = "".join(f"  extern long js_b{k}_f(void); s += js_b{k}_f();\n" for k in range(bindings))
    write(root / "main.c", "#include <stdio.h>\nint main(void) {\n  long s = 0;\n" + calls + '  printf("%ld\\n", s);\n  return 0;\n}\n')
    for i in range(packages):
        p = root / "pkgs" / f"p{i}"
        srcs = [f"src/f{j}.c" for j in range(sources)]
        write(p / "vex.json", json.dumps({"name": f"p{i}", "version": "0.1.0", "native": {
            "sources": srcs, "include_dirs": ["include"], "cflags": [f"-DPKG={i}"],
            "features": {"fast": {"enabled": True, "cflags": ["-DHAVE_FAST"], "sources": ["src/fast.c"]},
                         "slow": {"enabled": False, "sources": ["src/slow.c"]}}}}, indent=1))
        write(p / "include" / f"p{i}.h", f"#ifndef P{i}_H\n#define P{i}_H\nint p{i}_f0(void);\n#endif\n")
        for j in range(sources):
            write(p / "src" / f"f{j}.c", f'#include "p{i}.h"\nint p{i}_f{j}(void) {{ return PKG + {j}; }}\n')
        write(p / "src" / "fast.c", f"#ifndef HAVE_FAST\n#error fast\n#endif\nint p{i}_fast(void) {{ return 1; }}\n")
        write(p / "src" / "slow.c", f"int p{i}_slow(void) {{ return 2; }}\n")
    for k in range(bindings):
        b = root / "bindings" / f"b{k}"
        write(b / "vex.json", json.dumps({"name": f"b{k}", "version": "0.1.0", "nativeLibrary": {
            "abiVersion": "0.5", "functions": [{"name": f"js_b{k}_f", "returns": "i64"}],
            "targets": {"linux": {"crate": ".", "lib": f"b{k}"}}}}))
        write(b / "Cargo.toml", f'[package]\nname = "b{k}"\nversion = "0.1.0"\nedition = "2021"\n\n'
                                f'[lib]\ncrate-type = ["staticlib"]\n\n[workspace]\n')
        write(b / "src" / "lib.rs", f'#[no_mangle]\npub extern "C" fn js_b{k}_f() -> i64 {{ {k} }}\n')
        subprocess.run(["cargo", "generate-lockfile", "-q"], cwd=b, check=True)


def run(cmd, cwd):
    """Wall time and peak RSS (KiB) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=CLEAN_ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{out.decode(errors='replace')}")
    return elapsed, usage.ru_maxrss


def touch_all(root: Path):
    now = time.time()
    for p in root.rglob("*"):
        if p.is_file() and "build" not in p.relative_to(root).parts and "target" not in p.parts:
            os.utime(p, (now, now))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--packages", type=int, default=1000)
    ap.add_argument("--sources", type=int, default=20)
    ap.add_argument("--small-packages", type=int, default=20)
    ap.add_argument("--small-sources", type=int, default=10)
    ap.add_argument("--bindings", type=int, default=3)
    a = ap.parse_args()
    if not EXE.exists():
        sys.exit("build first: cargo build --release")
    tmp = Path(tempfile.mkdtemp(prefix="ninjabind-bench-"))
    rows = []

    def row(name, value, note=""):
        rows.append((name, value, note))
        print(f"{name:<58} {value:>12}  {note}", flush=True)

    # 1. gen at scale
    big = tmp / "big"
    generate(big, a.packages, a.sources, 0)
    t_gen, rss = run([EXE, "gen"], big)
    t_regen, _ = run([EXE, "gen"], big)
    t_n, _ = run(["ninja", "-n"], big)
    total = a.packages * (a.sources + 1) + 1
    row(f"gen, {a.packages} packages / {total} sources (s)", f"{t_gen:.2f}", f"peak RSS {rss / 1024:.0f} MiB")
    row("no-op gen / first gen", f"{t_regen / t_gen:.2f}", "nothing changed: nothing rewritten")
    row("gen / ninja -n (ninja loading the same graph)", f"{t_gen / t_n:.2f}")

    # 2. builds of a small project, gated and ungated, in one run
    results = {}
    for gated in (True, False):
        name = "gated" if gated else "ungated"
        p = tmp / name
        generate(p, a.small_packages, a.small_sources, a.bindings)
        run([EXE, "gen"] + ([] if gated else ["--no-gate"]), p)
        clean, _ = run(["ninja"], p)
        noop, _ = run(["ninja"], p)
        time.sleep(0.05)
        touch_all(p)
        touched, _ = run(["ninja"], p)
        results[name] = dict(clean=clean, noop=noop, touched=touched, path=p)
    g, u = results["gated"], results["ungated"]
    row("clean build, gated (s)", f"{g['clean']:.2f}", f"ungated {u['clean']:.2f}")
    row("gate overhead on a clean build: gated / ungated", f"{g['clean'] / u['clean']:.2f}")
    row("ninja no-op: gated / ungated", f"{g['noop'] / u['noop']:.2f}", f"{g['noop'] * 1000:.0f} ms vs {u['noop'] * 1000:.0f} ms")
    row("touch everything, then ninja: gated / clean build", f"{g['touched'] / g['clean']:.2f}",
        f"ungated: {u['touched'] / u['clean']:.2f}")

    # 3. CI: a fresh clone (new mtimes, new inodes) with the build folder restored from a cache
    clone = tmp / "clone"
    generate(clone, a.small_packages, a.small_sources, a.bindings)
    shutil.copytree(g["path"] / "build", clone / "build", symlinks=True, copy_function=shutil.copy2)
    run([EXE, "gen"], clone)
    restored, _ = run(["ninja"], clone)
    row("restored-cache fresh clone / clean build", f"{restored / g['clean']:.2f}")

    # 4. the Perry way: cargo build --release per binding, serially, on every build
    start = time.perf_counter()
    for k in range(a.bindings):
        run(["cargo", "build", "--release", "--quiet"], g["path"] / "bindings" / f"b{k}")
    perry = time.perf_counter() - start
    noop, _ = run(["ninja"], g["path"])
    row(f"Perry's per-build cargo checks ({a.bindings} bindings) / ninja no-op", f"{perry / noop:.1f}",
        f"{perry * 1000:.0f} ms vs {noop * 1000:.0f} ms")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
