#!/usr/bin/env python3
"""ninjabind benchmarks (SPEC §9; issues 9 and 10): every figure is a ratio of two things measured in one run.

Usage:
  bench/bench.py            full run: 1000 packages x 20 C sources (20,001 sources); tens of minutes on 2 cores
  bench/bench.py --quick    the same figures at 100 x 20 (2,101 sources); about 2 minutes on 2 cores
  bench/bench.py --smoke    tiny sizes, no anchors: checks the bench itself works (the test suite runs this)
Options: --exe PATH (default target/release/ninjabind), --no-anchors, --json FILE (the figures as JSON).

The generator writes one synthetic project in five forms: ninjabind manifests (vex.json), GN (BUILD.gn with a gcc
toolchain(): Chromium's generator, the yardstick for gen), meson.build, CMakeLists.txt and a hand-minimal build.ninja
(one cc rule per package with `deps = gcc`, `$in`/`$out`). gn, meson and cmake are installed when missing (apt, pip)
unless --no-anchors. Beside GN, `bench/floor.c` (built with cc) gives gen's floor: it only lists the folders and
reads the files gen must (SPEC §5, §6.1), on every core, and writes nothing. The gate is also measured on real C:
zstd, Lua and zlib from their crates.io source packages, fetched by `cargo fetch` (--smoke: zlib alone).
"""
import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in (
    "CC", "CFLAGS", "CXX", "CXXFLAGS", "LDFLAGS", "RUSTFLAGS", "VEX_NATIVE_FEATURES", "VEX_DB_FEATURES")}


def write(path: Path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def generate(root: Path, packages: int, sources: int, bindings: int, anchors: bool):
    """A Vex app depending on `packages` path packages of `sources` C files each (plus a gated `fast.c` and a
    disabled `slow.c`), and `bindings` Rust crates; with `anchors`, the same build for meson, cmake and by hand."""
    deps = {f"p{i}": {"path": f"pkgs/p{i}"} for i in range(packages)}
    deps.update({f"b{k}": {"path": f"bindings/b{k}"} for k in range(bindings)})
    write(root / "vex.json", json.dumps({"name": "app", "version": "0.1.0", "dependencies": deps,
                                         "native": {"sources": ["main.c"]}}, indent=1))
    calls = "".join(f"  extern long js_b{k}_f(void); s += js_b{k}_f();\n" for k in range(bindings))
    write(root / "main.c", "#include <stdio.h>\nint main(void) {\n  long s = 0;\n" + calls +
          '  printf("%ld\\n", s);\n  return 0;\n}\n')
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
    if not anchors:
        return
    # meson: one static library per package, the program linking them all
    ms = ["project('app', 'c')", "libs = []"]
    for i in range(packages):
        files = ", ".join(f"'pkgs/p{i}/src/f{j}.c'" for j in range(sources))
        ms.append(f"libs += static_library('p{i}', [{files}, 'pkgs/p{i}/src/fast.c'], "
                  f"c_args: ['-DPKG={i}', '-DHAVE_FAST'], include_directories: include_directories('pkgs/p{i}/include'))")
    ms.append("executable('app', 'main.c', link_with: libs)")
    # the same program ninjabind links (every object in it): the fair anchor for a one-edit rebuild
    ms.append("executable('app_whole', 'main.c', link_whole: libs)")
    write(root / "meson.build", "\n".join(ms) + "\n")
    cm = ["cmake_minimum_required(VERSION 3.16)", "project(app C)"]
    for i in range(packages):
        files = " ".join(f"pkgs/p{i}/src/f{j}.c" for j in range(sources))
        cm += [f"add_library(p{i} STATIC {files} pkgs/p{i}/src/fast.c)",
               f"target_compile_definitions(p{i} PRIVATE PKG={i} HAVE_FAST)",
               f"target_include_directories(p{i} PRIVATE pkgs/p{i}/include)"]
    cm += ["add_executable(app main.c)", "target_link_libraries(app " + " ".join(f"p{i}" for i in range(packages)) + ")"]
    write(root / "CMakeLists.txt", "\n".join(cm) + "\n")
    write_gn(root, packages, sources)
    # hand-minimal: what a person would write for this build
    hm = ["builddir = hb", "rule link", "  command = cc @$out.rsp -o $out", "  rspfile = $out.rsp",
          "  rspfile_content = $in"]
    objs = []
    for i in range(packages):
        hm += [f"rule cc{i}", f"  command = cc -DPKG={i} -DHAVE_FAST -I../pkgs/p{i}/include -MD -MF $out.d -c $in -o $out",
               "  deps = gcc", "  depfile = $out.d"]
        for f in [f"f{j}" for j in range(sources)] + ["fast"]:
            hm.append(f"build p{i}/{f}.o: cc{i} ../pkgs/p{i}/src/{f}.c")
            objs.append(f"p{i}/{f}.o")
    hm += ["rule cc", "  command = cc -MD -MF $out.d -c $in -o $out", "  deps = gcc", "  depfile = $out.d",
           "build main.o: cc ../main.c", "build app: link main.o " + " ".join(objs)]
    write(root / "hb" / "build.ninja", "\n".join(hm) + "\n")


def write_gn(root: Path, packages: int, sources: int):
    """The GN form (Chromium's generator, Debian's generate-ninja): `.gn`, a BUILDCONFIG.gn, a gcc `toolchain()`
    and one BUILD.gn with a `static_library` per package and the executable."""
    write(root / ".gn", 'buildconfig = "//gn/BUILDCONFIG.gn"\n')
    write(root / "gn" / "BUILDCONFIG.gn", 'set_default_toolchain("//gn/toolchain:gcc")\n')
    write(root / "gn" / "toolchain" / "BUILD.gn", """toolchain("gcc") {
  tool("cc") {
    depfile = "{{output}}.d"
    command = "cc -MMD -MF $depfile {{defines}} {{include_dirs}} {{cflags}} {{cflags_c}} -c {{source}} -o {{output}}"
    depsformat = "gcc"
    description = "CC {{output}}"
    outputs = [ "{{source_out_dir}}/{{target_output_name}}.{{source_name_part}}.o" ]
  }
  tool("alink") {
    command = "rm -f {{output}} && ar rcs {{output}} {{inputs}}"
    description = "AR {{output}}"
    outputs = [ "{{target_out_dir}}/{{target_output_name}}{{output_extension}}" ]
    default_output_extension = ".a"
    output_prefix = "lib"
  }
  tool("link") {
    rspfile = "{{output}}.rsp"
    rspfile_content = "{{inputs}}"
    command = "cc -o {{output}} -Wl,--start-group @$rspfile -Wl,--end-group {{libs}}"
    description = "LINK {{output}}"
    outputs = [ "{{root_out_dir}}/{{target_output_name}}{{output_extension}}" ]
  }
  tool("stamp") {
    command = "touch {{output}}"
  }
  tool("copy") {
    command = "cp -af {{source}} {{output}}"
  }
}
""")
    gn = []
    for i in range(packages):
        files = ", ".join(f'"pkgs/p{i}/src/f{j}.c"' for j in range(sources))
        gn.append(f'static_library("p{i}") {{\n  sources = [ {files}, "pkgs/p{i}/src/fast.c" ]\n'
                  f'  defines = [ "PKG={i}", "HAVE_FAST" ]\n  include_dirs = [ "pkgs/p{i}/include" ]\n}}')
    deps = ", ".join(f'":p{i}"' for i in range(packages))
    gn.append(f'executable("app") {{\n  sources = [ "main.c" ]\n  deps = [ {deps} ]\n}}')
    write(root / "BUILD.gn", "\n".join(gn) + "\n")


# zstd, Lua and zlib as the crates.io source packages ship them (fetched by cargo into its registry)
REAL_CRATES = {"zstd-sys": "=2.0.15", "lua-src": "=547.0.0", "libz-sys": "=1.1.33"}


def fetch_real_sources(tmp: Path) -> dict:
    """The registry folder holding the real C packages, fetched by `cargo fetch` (a no-op when they are there)."""
    p = tmp / "fetch"
    deps = "".join(f'{k} = {{ version = "{v}", default-features = false }}\n' for k, v in REAL_CRATES.items())
    write(p / "Cargo.toml", f'[package]\nname = "fetch"\nversion = "0.0.0"\nedition = "2021"\n\n[dependencies]\n{deps}')
    write(p / "src" / "lib.rs", "")
    subprocess.run(["cargo", "fetch", "-q"], cwd=p, check=True)
    meta = json.loads(subprocess.run(["cargo", "metadata", "--format-version", "1", "-q"], cwd=p, check=True,
                                     capture_output=True).stdout)
    return {pk["name"]: Path(pk["manifest_path"]).parent for pk in meta["packages"] if pk["name"] in REAL_CRATES}


def generate_real(root: Path, crates: dict, only=None):
    """A Vex app linking zstd 1.5.7, Lua 5.4.7 and zlib 1.3 from their crates' sources, copied into the project (as a
    checkout would hold them), each a package at -O2 without LTO. Returns the number of C sources."""
    trees = {"zstd": crates["zstd-sys"] / "zstd" / "lib", "lua": crates["lua-src"] / "lua-5.4.7",
             "zlib": crates["libz-sys"] / "src" / "zlib"}
    trees = {k: v for k, v in trees.items() if only is None or k in only}
    for name, src in trees.items():
        # copied with new mtimes, as a checkout has them (copy2 would keep the registry's old ones)
        shutil.copytree(src, root / "third_party" / name, ignore=shutil.ignore_patterns("contrib", "*.S", "dll"),
                        copy_function=shutil.copy)
    zstd = root / "third_party" / "zstd"
    pkgs = {
        "zstd": ([f"{d}/{f.name}" for d in ("common", "compress", "decompress") for f in sorted((zstd / d).glob("*.c"))]
                 if "zstd" in trees else [],
                 [".", "common"], ["-O2", "-DZSTD_DISABLE_ASM", "-DZSTD_MULTITHREAD=0"], []),
        "lua": ([f.name for f in sorted((root / "third_party" / "lua").glob("*.c"))
                 if f.name not in ("lua.c", "luac.c", "onelua.c")], ["."], ["-O2", "-DLUA_USE_POSIX"], ["m"]),
        "zlib": ([f.name for f in sorted((root / "third_party" / "zlib").glob("*.c"))], ["."],
                 ["-O2", "-DHAVE_UNISTD_H"], []),
    }
    pkgs = {k: v for k, v in pkgs.items() if k in trees}
    for name, (srcs, incs, cflags, libs) in pkgs.items():
        write(root / "third_party" / name / "vex.json", json.dumps({"name": name, "version": "1.0.0", "native": {
            "sources": srcs, "include_dirs": incs, "cflags": cflags, "libraries": libs}}, indent=1))
    write(root / "vex.json", json.dumps({
        "name": "real", "version": "0.1.0", "dependencies": {n: {"path": f"third_party/{n}"} for n in pkgs},
        "native": {"sources": ["main.c"], "include_dirs": [f"third_party/{n}" for n in pkgs], "cflags": ["-O2"]}},
        indent=1))
    head = ["#include <stdio.h>"] + [f'#include "{h}"' for n, hs in (("zstd", ["zstd.h"]), ("zlib", ["zlib.h"]),
                                                                      ("lua", ["lua.h", "lauxlib.h", "lualib.h"]))
                                     if n in pkgs for h in hs]
    body = ["int main(void) {"]
    if "lua" in pkgs:
        body += ["  lua_State *L = luaL_newstate();", "  luaL_openlibs(L);", '  luaL_dostring(L, "x = 6 * 7");',
                 '  lua_getglobal(L, "x");', '  printf("lua %d\\n", (int)lua_tointeger(L, -1));', "  lua_close(L);"]
    if "zstd" in pkgs:
        body.append('  printf("zstd %u\\n", ZSTD_versionNumber());')
    body += ['  printf("zlib %s\\n", zlibVersion());', "  return 0;", "}"]
    write(root / "main.c", "\n".join(head + body) + "\n")
    return sum(len(v[0]) for v in pkgs.values()) + 1


def commands_run(exe, cwd):
    """What the last ninja run ran, from `ninjabind stats`: "N compiles and links (+ the scan)", the gate's
    cut-offs counted as run."""
    out = subprocess.run([str(exe), "stats", "--format", "json"], cwd=cwd, env=CLEAN_ENV, capture_output=True,
                         check=True).stdout
    kinds = json.loads(out)["by_kind"]
    ran = {k: v.get("ran", 0) + v.get("cut_off", 0) for k, v in kinds.items()}
    builds = sum(n for k, n in ran.items() if k not in ("scan", "regen"))
    rest = [f"{k} {n}" for k, n in sorted(ran.items()) if k in ("scan", "regen") and n]
    return f"{builds} compiles and links ran" + (f" (and {', '.join(rest)})" if rest else "")


TIME = shutil.which("time") and Path("/usr/bin/time").exists()


def run(cmd, cwd, env=None, rss=False):
    """Wall time and peak RSS (KiB) of one command (see `run_usage`)."""
    elapsed, rss, _, _ = run_usage(cmd, cwd, env, rss)
    return elapsed, rss


def run_usage(cmd, cwd, env=None, rss=False):
    """Wall time, peak RSS (KiB), CPU time (user + system, with the command's children) and output (stdout and stderr)
    of one command. With
    `rss`, the RSS comes from /usr/bin/time when there is one (on Linux a child's ru_maxrss includes this script's own
    size when it forked, which hid everything below it); only then, so the timings of short commands carry no extra
    process."""
    start = time.perf_counter()
    argv = [str(c) for c in cmd]
    if TIME and rss:
        argv = ["/usr/bin/time", "-f", "NINJABIND_BENCH_RSS %M"] + argv
    proc = subprocess.Popen(argv, cwd=cwd, env=env or CLEAN_ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        sys.exit(f"failed in {cwd}: {' '.join(map(str, cmd))}\n{out.decode(errors='replace')[-3000:]}")
    rss, text = usage.ru_maxrss, out.decode(errors="replace")
    for line in text.splitlines():
        if line.startswith("NINJABIND_BENCH_RSS "):
            rss = int(line.split()[1])
    return elapsed, rss, usage.ru_utime + usage.ru_stime, text


def build_floor(tmp: Path):
    """bench/floor.c built with cc: the file-system work gen cannot skip, and nothing else (None without a cc)."""
    if shutil.which("cc") is None:
        return None
    exe = tmp / "floor"
    subprocess.run(["cc", "-O2", "-pthread", "-o", str(exe), str(REPO / "bench" / "floor.c")], check=True)
    return exe


def ninja_stats(text: str):
    """What `ninja -d stats` printed: (how many paths ninja stat'ed, in how many seconds), summed over its loads."""
    count, ms = 0, 0.0
    for line in text.splitlines():
        if line.startswith("node stat"):
            words = line.split()
            count, ms = count + int(words[2]), ms + float(words[4])
    return count, ms / 1000


def touch_all(root: Path):
    now = time.time()
    for p in root.rglob("*"):
        parts = p.relative_to(root).parts
        if p.is_file() and not {"build", "target", "mb", "cb", "hb"} & set(parts):
            os.utime(p, (now, now))


def edit_body(path: Path, n: int):
    text = path.read_text()
    path.write_text(text.replace("return PKG", f"return {n} + PKG", 1) if "return PKG" in text else text + f"/* {n} */\n")


def ensure_anchors():
    if shutil.which("meson") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "meson"], check=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    for tool, package in (("cmake", "cmake"), ("gn", "generate-ninja")):
        if shutil.which(tool) is None:
            subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", package], check=True)


def many_modules(d: Path, n: int = 48):
    """examples/perry-app with n more modules of its own and three npm packages compiled through compilePackages."""
    shutil.copytree(REPO / "examples" / "perry-app", d, ignore=shutil.ignore_patterns("build", "build.ninja"))
    installed = REPO / "target" / "npm" / "compile-packages" / "node_modules"
    if not installed.is_dir():
        sys.exit(f"{installed} is missing: run scripts/setup.sh")
    for pkg in ("clsx", "mitt", "tiny-invariant"):
        shutil.copytree(installed / pkg, d / "node_modules" / pkg)
    pkgs = '["clsx", "mitt", "tiny-invariant"]'
    write(d / "package.json", '{ "name": "perry-app", "version": "0.1.0", "perry": { "entry": "src/main.ts", '
          f'"compilePackages": {pkgs}, "allow": {{ "nativeLibrary": ["tally"], "compilePackages": {pkgs} }} }} }}')
    for i in range(n):
        write(d / "src" / f"m{i}.ts", f"export function f{i}(x: number): number {{ return x * {i} + 1; }}\n")
    imports = "".join(f'import {{ f{i} }} from "./m{i}";\n' for i in range(n))
    calls = " + ".join(f"f{i}(2)" for i in range(n))
    main = (d / "src" / "main.ts").read_text()
    write(d / "src" / "main.ts", imports + 'import { clsx } from "clsx";\nimport mitt from "mitt";\n'
          'import invariant from "tiny-invariant";\n' + main
          + f'invariant(true, "x");\nmitt();\nconsole.log(clsx("a", "b") + " " + ({calls}));\n')


def edit_rows(row, title: str, tool: str, edits: dict, theirs, ours, rounds: int = 3):
    """Each edit made on both sides (the compiler's own build `theirs` = (folder, command, env, program), our `ninja`
    in `ours` = (folder, program)), timed, one row per edit with medians of `rounds` (odd: the edit is made, undone and
    made again, the two sides interleaved); then both programs must print the same."""
    (t_dir, t_cmd, t_env, t_prog), (o_dir, o_prog) = theirs, ours
    for what, (f, old, new_text) in edits.items():
        times = {"theirs": [], "ours": []}
        for i in range(rounds):
            a, b = (old, new_text) if i % 2 == 0 else (new_text, old)
            for name, d, cmd, e in (("theirs", t_dir, t_cmd, t_env), ("ours", o_dir, ["ninja"], None)):
                src = d / f
                src.write_text(src.read_text().replace(a, b))
                times[name].append(run(cmd, d, env=e)[0])
        o, t = statistics.median(times["ours"]), statistics.median(times["theirs"])
        row(f"{title}, {what}: ours / {tool}", f"{o / t:.2f}", f"{o:.2f} s vs {t:.2f} s (medians of {rounds})")
    programs = [subprocess.run([d / p], capture_output=True, text=True).stdout
                for d, p in ((t_dir, t_prog), (o_dir, o_prog))]
    if programs[0] != programs[1]:
        sys.exit(f"{title}: the programs differ: {programs!r}")


def perry_rows(row, exe, perry_exe, base: Path, label: str, make, ts_edit, rounds: int):
    """`perry compile` on every build against our graph (gen once, then ninja): a no-op, one TS edit, one binding
    (Rust) edit, each in its own copy of the project that `make` writes."""
    theirs, ours = Path(f"{base}-theirs"), Path(f"{base}-ours")
    for d in (theirs, ours):
        make(d)
    perry_build = [perry_exe, "compile", "src/main.ts", "-o", "app", "--cache-dir", theirs / "perry-cache"]
    run(perry_build, theirs)
    run([exe, "gen"], ours, env={**CLEAN_ENV, "PERRY": str(perry_exe)})
    run(["ninja"], ours)
    t_p_noop, _ = run(perry_build, theirs)
    t_o_noop, _ = run(["ninja"], ours)
    row(f"real Perry{label}: perry compile with nothing changed / our ninja no-op", f"{t_p_noop / t_o_noop:.0f}x",
        f"{t_p_noop * 1000:.0f} ms vs {t_o_noop * 1000:.0f} ms")
    edits = {"one TS edit": ts_edit, "one binding (Rust) edit": ("node_modules/tally/src/lib.rs", "x * 7.0", "x * 9.0")}
    edit_rows(row, f"real Perry{label}", "perry compile", edits, (theirs, perry_build, None, "app"),
              (ours, Path("build") / "bin" / "perry-app"), rounds)


def vex_rows(row, exe, base: Path):
    """`vex compile` (the real compiler, built by setup.sh) on every build against our graph on examples/vex-app: a
    no-op, one .vx edit, one edit of the program's own native C; each side in its own copy. `vex compile`'s clang is
    given -no-pie (its object is not position-independent; Debian's clang links PIE by default)."""
    vex = REPO / "target" / "vex" / "bin" / "vex"
    if not vex.exists():
        sys.exit(f"{vex} is missing: run scripts/setup.sh")
    theirs, ours, wrap = Path(f"{base}-theirs"), Path(f"{base}-ours"), Path(f"{base}-bin")
    for d in (theirs, ours):
        shutil.copytree(REPO / "examples" / "vex-app", d, ignore=shutil.ignore_patterns("build", "build.ninja"))
    (theirs / "vex-libs").mkdir()
    (theirs / "vex-libs" / "std").symlink_to(REPO / "target" / "vex" / "vex-libs" / "std")
    write(wrap / "clang", "#!/bin/sh\nexec /usr/bin/clang -no-pie \"$@\"\n")
    (wrap / "clang").chmod(0o755)
    env = {**CLEAN_ENV, "PATH": f"{wrap}:{CLEAN_ENV.get('PATH', '')}"}
    vex_build = [vex, "compile", "src/main.vx", "-o", "prog"]
    run(vex_build, theirs, env=env)
    run([exe, "gen"], ours, env={**CLEAN_ENV, "VEX": str(vex)})
    run(["ninja"], ours)
    times = {"theirs": [], "ours": []}
    for _ in range(3):
        times["theirs"].append(run(vex_build, theirs, env=env)[0])
        times["ours"].append(run(["ninja"], ours)[0])
    t_v, t_o = statistics.median(times["theirs"]), statistics.median(times["ours"])
    row("real Vex: vex compile with nothing changed / our ninja no-op", f"{t_v / t_o:.0f}x",
        f"{t_v * 1000:.0f} ms vs {t_o * 1000:.0f} ms (medians of 3)")
    edits = {"one .vx edit": ("src/main.vx", '"args: "', '"argc: "'),
             "one native C edit": ("native/app.c", "x * 6", "x * 6 + 0")}
    edit_rows(row, "real Vex", "vex compile", edits, (theirs, vex_build, env, "prog"),
              (ours, Path("build") / "bin" / "vex-app"))


def save_to_output(cmd, d: Path, env, edits, ready: str, limit=300, start=None):
    """Seconds from each save in `edits` (file, old, new, the line the new program prints) to that line on the
    watcher's output; `cmd` runs in its own session and is stopped with it. `ready`: the first program's line.
    `None` when a save's line does not come within `limit` seconds. With `start` (a save made before the watcher
    started) the seconds from it to `ready` instead."""
    import queue
    import signal
    import threading
    proc = subprocess.Popen([str(c) for c in cmd], cwd=d, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(l) for l in proc.stdout], daemon=True).start()

    def wait_for(text, limit):
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline:
            try:
                if text in lines.get(timeout=1):
                    return True
            except queue.Empty:
                pass
        return False
    try:
        if not wait_for(ready, 300):
            if start is not None:
                return None
            sys.exit(f"{cmd[0]}: no `{ready}` within 300 s")
        if start is not None:
            return time.perf_counter() - start
        took = []
        for f, old, new_text, expect in edits:
            time.sleep(1.0)
            while not lines.empty():
                lines.get()
            src = d / f
            start = time.perf_counter()
            src.write_text(src.read_text().replace(old, new_text))
            if not wait_for(expect, limit):
                return None
            took.append(time.perf_counter() - start)
        return took
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()


def restart_to_output(cmd, d: Path, env, edits, limit=300):
    """Seconds from each save in `edits` (file, old, new, the line the new program prints) to that line when the
    watcher is started again right after the save: what a `perry dev` user does for a change it does not rebuild."""
    took = []
    for f, old, new_text, expect in edits:
        src = d / f
        start = time.perf_counter()
        src.write_text(src.read_text().replace(old, new_text))
        one = save_to_output(cmd, d, env, [], expect, limit, start=start)
        if one is None:
            return None
        took.append(one)
    return took


def loop_rows(row, exe, perry_exe, base: Path):
    """The edit loop: a save to the new program's output, `ninjabind watch --run` against `perry dev` on
    examples/perry-app, four saves of one TS line and four of one binding (Rust) line, each side in its own copy."""
    ts = [("src/lib/label.ts", '" = "', '" is "', "weigh(6) is 42"), ("src/lib/label.ts", '" is "', '" = "', "weigh(6) = 42")]
    rs = [("node_modules/tally/src/lib.rs", "x * 7.0", "x * 9.0", "weigh(6) = 54"),
          ("node_modules/tally/src/lib.rs", "x * 9.0", "x * 7.0", "weigh(6) = 42")]
    results = {}
    for name in ("ours", "perry dev"):
        d = Path(f"{base}-{name.replace(' ', '-')}")
        shutil.copytree(REPO / "examples" / "perry-app", d, ignore=shutil.ignore_patterns("build", "build.ninja"))
        env = {**CLEAN_ENV, "PERRY": str(perry_exe)}
        if name == "ours":
            run([exe, "gen"], d, env=env)
            cmd = [exe, "watch", "--run"]
        else:
            cmd = [perry_exe, "dev", "src/main.ts", "--watch", "node_modules/tally"]
        # an even number of saves each: the project ends as it began
        results[name] = (save_to_output(cmd, d, env, ts + ts, "weigh(6) = 42"),
                         save_to_output(cmd, d, env, rs + rs, "weigh(6) = 42", limit=60))
        if name == "perry dev" and results[name][1] is None:
            # perry dev ignores node_modules and .rs files (its dev.rs: IGNORED_DIRS, TRIGGER_EXTS); its user
            # restarts it after such a save, so that is the loop to beat
            results["perry dev restarted"] = (None, restart_to_output(cmd, d, env, rs + rs))
    for i, what in enumerate(("one TS line", "one binding (Rust) line")):
        ours, theirs = results["ours"][i], results["perry dev"][i]
        if ours is None:
            sys.exit(f"watch --run missed a save of {what}")
        o = statistics.median(ours)
        if theirs is None:
            restarted = results.get("perry dev restarted", (None, None))[i]
            if restarted is None:
                row(f"save of {what} -> new output: watch --run / perry dev", "n/a",
                    f"{o:.2f} s vs never: perry dev printed no new output within 60 s of the save")
                continue
            p = statistics.median(restarted)
            row(f"save of {what} -> new output: watch --run / perry dev restarted", f"{o / p:.2f}",
                f"{o:.2f} s vs {p:.2f} s (medians of 4; perry dev does not rebuild on this save, so it is "
                "restarted after it, as its user would)")
            continue
        p = statistics.median(theirs)
        row(f"save of {what} -> new output: watch --run / perry dev", f"{o / p:.2f}",
            f"{o:.2f} s vs {p:.2f} s (medians of 4)")


def c_edit_rows(row, big: Path, total: int, rounds: int = 3):
    """One C body edit, the same program on both sides (meson's `app_whole` links every object with `link_whole`),
    both already built: `rounds` edits, each a new body so both compile and link, the two sides interleaved."""
    src = big / "pkgs" / "p2" / "src" / "f2.c"
    times = {"ours": [], "meson": []}
    for i in range(rounds):
        text = src.read_text()
        src.write_text(re.sub(r"return (\d+ \+ )?PKG", f"return {1000 + i} + PKG", text, count=1))
        times["ours"].append(run(["ninja"], big)[0])
        times["meson"].append(run(["ninja", "-C", "mb", "app_whole"], big)[0])
    o, m = statistics.median(times["ours"]), statistics.median(times["meson"])
    row(f"one C body edit, same program: ours / meson link_whole ({total} sources)", f"{o / m:.2f}",
        f"{o * 1000:.0f} ms vs {m * 1000:.0f} ms (medians of {rounds}, interleaved)")


def edit_loop_rows(row, exe, perry_exe: Path, tmp: Path, loop: bool, rounds: int = 3):
    """The edit loop's rows (issue 35): `ninja` after an edit against `perry compile` on examples/perry-app and on a
    52-module project, then (`loop`) a save to the new output, `watch --run` against `perry dev`."""
    perry_rows(row, exe, perry_exe, tmp / "perry-app", "", lambda d: shutil.copytree(
        REPO / "examples" / "perry-app", d, ignore=shutil.ignore_patterns("build", "build.ninja")),
        ("src/lib/label.ts", '" = "', '" is "'), rounds)
    # >= 50 modules, three real npm packages compiled through perry.compilePackages (installed by setup.sh)
    perry_rows(row, exe, perry_exe, tmp / "perry-many", " (52 modules, compilePackages)", many_modules,
               ("src/m7.ts", "* 7", "* 8"), rounds)
    if loop:
        loop_rows(row, exe, perry_exe, tmp / "loop")


def start_store(kind: str, d: Path):
    """A store for the shared cache in `d`: a folder, or a real redis-server or nginx (WebDAV PUT) on loopback, started
    here and stopped by `stop_store`. Returns (process or None, URL)."""
    d.mkdir(parents=True, exist_ok=True)
    if kind == "file":
        return None, f"file:{d / 'store'}"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    if kind == "redis":
        argv = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                "--dir", str(d)]
        url = f"redis://127.0.0.1:{port}/1"
    else:
        for sub_dir in ("www/cache", "tmp", "logs"):
            (d / sub_dir).mkdir(parents=True, exist_ok=True)
        write(d / "nginx.conf", f"daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/logs/error.log;\n"
              f"events {{}}\nhttp {{ access_log off; client_body_temp_path {d}/tmp; client_max_body_size 1g;\n"
              f"  server {{ listen 127.0.0.1:{port}; root {d}/www;\n"
              f"    location /cache/ {{ dav_methods PUT; create_full_put_path on; }} }} }}\n")
        argv = ["nginx", "-c", str(d / "nginx.conf"), "-p", str(d)]
        url = f"http://127.0.0.1:{port}/cache"
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, url
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit(f"{argv[0]} did not listen on 127.0.0.1:{port}")


def stop_store(proc):
    if proc is not None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cache_rows(row, exe, tmp: Path, make, label: str, program: str, env=None, store="file", rounds=3):
    """The shared cache (a folder, Redis or nginx): a clean build with a cold cache against one without any, then a
    fresh clone at another path with an empty build folder and the warm cache against the clean build; commands run
    counted. `rounds` interleaved rounds (none, cold, warm; each round a new empty store), medians."""
    env = {**CLEAN_ENV, **(env or {})}
    if store != "file":
        label = f"{label} ({store} store)"
    times = {"none": [], "cold": [], "warm": []}
    cpus = {"none": [], "cold": [], "warm": []}
    for r in range(rounds):
        server, url = start_store(store, tmp / f"{program}-{store}-store-{r}")
        for name, cache in (("none", []), ("cold", ["--cache", url]), ("warm", ["--cache", url])):
            d = tmp / f"{program}-cache-{name}" / "deeper" / program
            shutil.rmtree(d.parent.parent, ignore_errors=True)
            d.parent.mkdir(parents=True)
            make(d)
            run([exe, "gen", *cache], d, env=env)
            t, _, cpu, _ = run_usage(["ninja"], d)
            times[name].append(t)
            cpus[name].append(cpu)
            if name == "warm":
                said = commands_run(exe, d)
        stop_store(server)
    none, cold, warm = (statistics.median(times[k]) for k in ("none", "cold", "warm"))
    how = f"median of {rounds}, interleaved" if rounds > 1 else "one run"
    cpu_cold, cpu_none = statistics.median(cpus["cold"]), statistics.median(cpus["none"])
    row(f"{label}: clean build with a cold shared cache / without one", f"{cold / none:.3f}",
        f"{cold:.2f} s vs {none:.2f} s ({how}; goal <= 1.05); CPU {cpu_cold:.2f} s vs {cpu_none:.2f} s "
        f"({cpu_cold / cpu_none:.3f})")
    row(f"{label}: fresh clone elsewhere, warm shared cache / clean build", f"{warm / none:.3f}",
        f"{warm:.2f} s vs {none:.2f} s ({how}), last: {said} (goal <= 0.10, 0 commands)")


NOOP_ROUNDS = 7


def noops(d: Path, variants: list) -> list:
    """`ninja` with each of `variants` (extra arguments) in `d`, after one run each, in NOOP_ROUNDS interleaved rounds:
    each variant's median wall time."""
    for v in variants:
        run(["ninja", *v], d)
    times = [[] for _ in variants]
    for _ in range(NOOP_ROUNDS):
        for i, v in enumerate(variants):
            times[i].append(run(["ninja", *v], d)[0])
    return [statistics.median(t) for t in times]


def gen_rows(row, exe, big: Path, floor, rounds: int):
    """gen beside GN on the generated project `big`, `rounds` interleaved rounds, medians: cold gen (wall, CPU), gen's
    floor, peak RSS, and regeneration after one manifest edit against GN's after one BUILD.gn edit (each round makes
    the edit or undoes it)."""
    runs = {"ours": [], "gn": [], "floor": [], "regen": [], "regen_gn": []}
    m, g = big / "pkgs" / "p0" / "vex.json", big / "BUILD.gn"
    texts = m.read_text(), g.read_text()
    for r in range(rounds):
        shutil.rmtree(big / "build", ignore_errors=True)
        (big / "build.ninja").unlink(missing_ok=True)
        runs["ours"].append(run_usage([exe, "gen"], big, rss=True))
        if floor:
            runs["floor"].append(run_usage([floor, big, big / "build", os.cpu_count() or 1], big))
        shutil.rmtree(big / "out", ignore_errors=True)
        runs["gn"].append(run_usage(["gn", "gen", "out"], big, rss=True))
        run(["ninja", "-n"], big)
        run(["ninja", "-n", "-C", "out"], big)
        for edit in range(2):
            on = (r + edit) % 2 == 0
            m.write_text(texts[0].replace('"-DPKG=0"', '"-DPKG=0", "-DEDITED"') if on else texts[0])
            runs["regen"].append(run_usage(["ninja", "build.ninja"], big))
            g.write_text(texts[1].replace('"PKG=0"', '"PKG=0", "EDITED"', 1) if on else texts[1])
            runs["regen_gn"].append(run_usage(["ninja", "-C", "out", "build.ninja"], big))
    m.write_text(texts[0])
    g.write_text(texts[1])
    med = lambda k, i: statistics.median(x[i] for x in runs[k])  # noqa: E731
    how = f"medians of {rounds}, interleaved"
    row("cold gen: ninjabind gen / gn gen", f"{med('ours', 0) / med('gn', 0):.2f}x",
        f"{med('ours', 0):.3f} s vs {med('gn', 0):.3f} s, {how} (goal <= 0.8)")
    row("cold gen CPU time (user + system): ours / GN", f"{med('ours', 2) / med('gn', 2):.2f}x",
        f"{med('ours', 2):.3f} s vs {med('gn', 2):.3f} s")
    if runs["floor"]:
        row("gen's floor (bench/floor.c, the reads gen must do) / gn gen", f"{med('floor', 0) / med('gn', 0):.2f}x",
            f"{med('floor', 0):.3f} s vs {med('gn', 0):.3f} s, CPU {med('floor', 2):.3f} s")
    row("gen peak RSS: ours / GN", f"{med('ours', 1) / med('gn', 1):.2f}x",
        f"{med('ours', 1) / 1024:.0f} MiB vs {med('gn', 1) / 1024:.0f} MiB (goal <= 1.5)")
    row("regeneration after one manifest edit: ours / GN's after one BUILD.gn edit",
        f"{med('regen', 0) / med('regen_gn', 0):.2f}x",
        f"{med('regen', 0):.3f} s vs {med('regen_gn', 0):.3f} s, {2 * rounds} edits each, interleaved (goal <= 0.8)")


def stage_rows(row, exe, perry_exe, d: Path, files: int):
    """Staging a binding's resource folder of `files` files beside the program against `cp -r` of the same folder,
    then one edited file; only the staging edges run (`ninja` given the outputs of rule `stage`)."""
    shutil.copytree(REPO / "tests" / "fixtures" / "manifest-v1", d)
    gfx = d / "node_modules" / "gfx"
    (gfx / "prebuilt").mkdir()
    run(["cc", "-c", "vk/gfx_vk.c", "-o", "vk/gfx_vk.o"], gfx)
    run(["ar", "rcs", "prebuilt/libgfx_vk.a", "vk/gfx_vk.o"], gfx)
    bulk = gfx / "res" / "maps" / "bulk"
    for i in range(files):
        write(bulk / f"d{i % 20}" / f"tile{i:05}.txt", f"tile {i}\n" * 40)
    run([exe, "gen"], d, env={**CLEAN_ENV, "PERRY": str(perry_exe)})
    targets = subprocess.run(["ninja", "-t", "targets", "rule", "stage"], cwd=d, capture_output=True, text=True,
                             check=True).stdout.split()
    t_stage, _ = run(["ninja", *targets], d)
    t_cp, _ = run(["cp", "-r", bulk, d / "cp-copy"], d)
    row(f"stage a resource folder of {files} files / cp -r", f"{t_stage / t_cp:.2f}",
        f"{t_stage:.2f} s vs {t_cp:.2f} s (goal <= 2)")
    edited = bulk / "d3" / "tile00003.txt"
    edited.write_text("edited\n")
    t_one, _, _, out = run_usage(["ninja", *targets], d)
    row("restage after one edited resource file (ms)", f"{t_one * 1000:.0f}", out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--no-anchors", action="store_true")
    ap.add_argument("--exe", default=str(REPO / "target" / "release" / "ninjabind"))
    ap.add_argument("--json")
    ap.add_argument("--cache-only", type=int, metavar="ROUNDS",
                    help="only the shared cache's rows (real C and real Perry, each store), in ROUNDS rounds")
    ap.add_argument("--c-edit-only", action="store_true",
                    help="only the one-C-edit row against meson's link_whole, at the run's size (builds both first)")
    ap.add_argument("--gen-only", type=int, metavar="ROUNDS",
                    help="only gen beside GN at the run's size: cold gen, CPU, peak RSS, regeneration, in ROUNDS "
                         "interleaved rounds")
    ap.add_argument("--loop-only", type=int, metavar="ROUNDS",
                    help="only the edit loop's rows (ninja after an edit / perry compile, watch --run / perry dev)")
    a = ap.parse_args()
    exe = Path(a.exe).resolve()
    if not exe.exists():
        sys.exit("build first: cargo build --release")
    packages, sources = (1000, 20) if not (a.quick or a.smoke) else ((100, 20) if a.quick else (4, 3))
    small = (20, 10) if not a.smoke else (3, 2)
    bindings, many_bindings = (3, 30) if not a.smoke else (1, 2)
    ts_sizes = [5000, 10000, 20000, 40000] if not (a.quick or a.smoke) else ([5000, 10000, 20000] if a.quick else [200, 400])
    anchors = not (a.no_anchors or a.smoke)
    # three interleaved rounds in the full run; --quick keeps to one (nine real-C builds per store otherwise)
    cache_rounds = 3 if not (a.quick or a.smoke) else 1
    if anchors:
        ensure_anchors()
    tmp = Path(tempfile.mkdtemp(prefix="ninjabind-bench-"))
    figures = []

    def row(name, value, note=""):
        figures.append({"figure": name, "value": value, "note": note})
        print(f"{name:<66} {value:>10}  {note}", flush=True)

    perry_exe = REPO / "target" / "perry" / "node_modules" / "@perryts" / "perry-linux-x64" / "bin" / "perry"
    if a.c_edit_only:
        big = tmp / "big"
        generate(big, packages, sources, 0, True)
        run([exe, "gen"], big)
        run(["ninja"], big)
        run(["meson", "setup", "mb"], big, env={**CLEAN_ENV, "CC": "cc"})
        run(["ninja", "-C", "mb", "app_whole"], big)
        c_edit_rows(row, big, packages * (sources + 1) + 1)
        shutil.rmtree(tmp, ignore_errors=True)
        return
    if a.gen_only:
        big = tmp / "big"
        generate(big, packages, sources, 0, True)
        gen_rows(row, exe, big, build_floor(tmp), a.gen_only)
        shutil.rmtree(tmp, ignore_errors=True)
        return
    if a.loop_only:
        edit_loop_rows(row, exe, perry_exe, tmp, loop=True, rounds=a.loop_only)
        shutil.rmtree(tmp, ignore_errors=True)
        return
    if a.cache_only:
        crates = fetch_real_sources(tmp)
        for store in ("file", "redis", "http"):
            cache_rows(row, exe, tmp, lambda d: generate_real(d, crates, None), "real C", "real", store=store,
                       rounds=a.cache_only)
            cache_rows(row, exe, tmp, lambda d: shutil.copytree(REPO / "examples" / "perry-app", d,
                       ignore=shutil.ignore_patterns("build", "build.ninja")), "real Perry", "perry-app",
                       {"PERRY": str(perry_exe)}, store=store, rounds=a.cache_only)
        shutil.rmtree(tmp, ignore_errors=True)
        return

    total = packages * (sources + 1) + 1
    print(f"# {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, {packages} packages x {sources} C sources "
          f"({total} compiled sources); ratios from one run unless noted", flush=True)

    # gen at scale, against the anchors
    big = tmp / "big"
    generate(big, packages, sources, 0, anchors)
    # cold gens, ours and GN's interleaved, medians of 3: GN's wall time swings with this machine's cost of creating
    # files (it creates one per target), so its CPU time is given beside it
    # the floor reads the list of sources and manifests each gen of ours wrote, so it runs after it
    floor = build_floor(tmp)
    ours_runs, gn_runs, floor_runs = [], [], []
    for _ in range(3):
        shutil.rmtree(big / "build", ignore_errors=True)
        (big / "build.ninja").unlink(missing_ok=True)
        ours_runs.append(run_usage([exe, "gen"], big, rss=True))
        if floor:
            floor_runs.append(run_usage([floor, big, big / "build", os.cpu_count() or 1], big))
        if anchors:
            # GN (Chromium's generator) is the yardstick: the fastest generator users know
            shutil.rmtree(big / "out", ignore_errors=True)
            gn_runs.append(run_usage(["gn", "gen", "out"], big, rss=True))
    med = lambda runs, i: statistics.median(r[i] for r in runs)  # noqa: E731
    t_gen, rss, cpu = med(ours_runs, 0), med(ours_runs, 1), med(ours_runs, 2)
    ours = (big / "build.ninja").stat().st_size
    hand = (big / "hb" / "build.ninja").stat().st_size if anchors else None
    if anchors:
        t_gn, rss_gn, cpu_gn = med(gn_runs, 0), med(gn_runs, 1), med(gn_runs, 2)
        row("cold gen: ninjabind gen / gn gen", f"{t_gen / t_gn:.1f}x",
            f"{t_gen:.2f} s vs {t_gn:.2f} s, medians of 3 (goal <= 1.0)")
        row("cold gen CPU time (user + system): ours / GN", f"{cpu / cpu_gn:.1f}x", f"{cpu:.2f} s vs {cpu_gn:.2f} s")
        if floor_runs:
            t_floor, cpu_floor = med(floor_runs, 0), med(floor_runs, 2)
            row("gen's floor (bench/floor.c, the reads gen must do) / gn gen", f"{t_floor / t_gn:.2f}x",
                f"{t_floor:.2f} s vs {t_gn:.2f} s, CPU {cpu_floor:.2f} s; ours is {t_gen / t_floor:.1f}x the floor")
        # /usr/bin/time's peak is the largest process of the tree: at a small size that is gen's C++ compiler probe
        # (the `cc` crate runs `c++ -E`, cc1plus near 19 MiB), not gen itself
        _, rss_probe = run(["c++", "-E", "-x", "c++", "/dev/null"], big, rss=True)
        probe_note = f"; the largest process is the C++ compiler probe ({rss_probe / 1024:.0f} MiB)" \
            if rss <= rss_probe * 1.05 else ""
        row("gen peak RSS: ours / GN", f"{rss / rss_gn:.1f}x",
            f"{rss / 1024:.0f} MiB vs {rss_gn / 1024:.0f} MiB (goal <= 2.0{probe_note})")
        # CC set: meson would otherwise wrap every compile in a ccache or sccache it finds on PATH
        t_meson, rss_meson = run(["meson", "setup", "mb"], big, env={**CLEAN_ENV, "CC": "cc"}, rss=True)
        t_cmake, rss_cmake = run(["cmake", "-G", "Ninja", "-S", ".", "-B", "cb"], big, rss=True)
        row("cold gen: ours / meson setup (cmake in the note)", f"{t_gen / t_meson:.2f}",
            f"{t_gen:.2f} s vs {t_meson:.2f} s; cmake {t_cmake:.2f} s ({t_gen / t_cmake:.2f})")
        row("gen peak RSS: ours / meson (cmake in the note)", f"{rss / rss_meson:.2f}",
            f"{rss / 1024:.0f} MiB vs {rss_meson / 1024:.0f} MiB; cmake {rss_cmake / 1024:.0f} MiB")
        meson_bytes = (big / "mb" / "build.ninja").stat().st_size
        cmake_bytes = sum(f.stat().st_size for f in [big / "cb" / "build.ninja", big / "cb" / "CMakeFiles" / "rules.ninja"])
        gn_bytes = sum(f.stat().st_size for f in (big / "out").rglob("*.ninja"))
        row("build.ninja bytes / hand-minimal", f"{ours / hand:.2f}",
            f"{ours / 1e6:.1f} MB vs {hand / 1e6:.1f} MB (GN {gn_bytes / hand:.2f}, meson {meson_bytes / hand:.2f}, "
            f"cmake {cmake_bytes / hand:.2f})")
    else:
        row("gen (s)", f"{t_gen:.2f}", f"peak RSS {rss / 1024:.0f} MiB, build.ninja {ours / 1e6:.2f} MB")
        if floor_runs:
            row("gen's floor (bench/floor.c, the reads gen must do) (s)",
                f"{med(floor_runs, 0):.2f}", f"ours is {t_gen / med(floor_runs, 0):.1f}x the floor")
    # regeneration after one manifest edit (GN: one BUILD.gn edit), and what runs before the first compile after one
    # C body edit (ours: the scan edge; GN reads no sources); neither needs a built tree
    m = big / "pkgs" / "p0" / "vex.json"
    m.write_text(m.read_text().replace('"-DPKG=0"', '"-DPKG=0", "-DEDITED"'))
    # `-d stats`: how many paths ninja stat'ed (the scan edge watches every scanned source and folder, SPEC §6.1)
    t_regen, _, _, regen_out = run_usage(["ninja", "-d", "stats", "build.ninja"], big)
    stats = ninja_stats(regen_out)
    edit_body(big / "pkgs" / "p0" / "src" / "f0.c", 1)
    t_scan, _ = run(["ninja", "build.ninja"], big)
    if anchors:
        g = big / "BUILD.gn"
        g.write_text(g.read_text().replace('"PKG=0"', '"PKG=0", "EDITED"', 1))
        t_regen_gn, _, _, regen_gn_out = run_usage(["ninja", "-d", "stats", "-C", "out", "build.ninja"], big)
        stats_gn = ninja_stats(regen_gn_out)
        row("regeneration after one manifest edit: ours / GN's after one BUILD.gn edit", f"{t_regen / t_regen_gn:.1f}x",
            f"{t_regen:.2f} s vs {t_regen_gn:.2f} s (goal <= 1.0); ninja stat'ed {stats[0]} paths in {stats[1]:.2f} s "
            f"(GN's graph: {stats_gn[0]} in {stats_gn[1]:.2f} s)")
        run(["ninja", "-C", "out", "build.ninja"], big)
        # milliseconds each: one more body edit per round, both sides, medians of NOOP_ROUNDS interleaved
        scans = {"ours": [], "gn": []}
        for r in range(NOOP_ROUNDS):
            edit_body(big / "pkgs" / "p0" / "src" / "f0.c", 2 + r)
            scans["ours"].append(run(["ninja", "build.ninja"], big)[0])
            scans["gn"].append(run(["ninja", "-C", "out", "build.ninja"], big)[0])
        t_scan, t_scan_gn = statistics.median(scans["ours"]), statistics.median(scans["gn"])
        row("after one C body edit, what runs before the first compile: ours / GN's", f"{t_scan / t_scan_gn:.1f}x",
            f"{t_scan:.3f} s vs {t_scan_gn:.3f} s, medians of {NOOP_ROUNDS} interleaved (ours: the scan edge re-reads "
            "changed import-bearing files only; GN reads none)")
    else:
        row("ninja regenerating after one manifest edit (s)", f"{t_regen:.2f}",
            f"ninja stat'ed {stats[0]} paths in {stats[1]:.2f} s")
        row("after one C body edit, what runs before the first compile (s)", f"{t_scan:.2f}")

    # builds: ours gated and ungated, the hand-minimal graph, meson's
    t_build, _ = run(["ninja"], big)
    if anchors:
        run(["ninja", "-C", "hb"], big)
        # no-ops in interleaved rounds, medians: one no-op right after a 4-minute build is the machine's writeback
        # as much as ninja (1.77 in one run, 1.07 by CPU time in 15 rounds afterwards)
        t_noop, t_noop_hand = noops(big, [[], ["-C", "hb"]])
        row(f"ninja no-op: ours / hand-minimal ({total} sources)", f"{t_noop / t_noop_hand:.2f}",
            f"{t_noop * 1000:.0f} ms vs {t_noop_hand * 1000:.0f} ms, medians of {NOOP_ROUNDS} interleaved "
            "(goal <= 1.05)")
        run(["ninja", "-C", "mb"], big)
        edit_body(big / "pkgs" / "p1" / "src" / "f1.c", 2)
        t_edit_ours, _ = run(["ninja"], big)
        t_edit_meson, _ = run(["ninja", "-C", "mb", "app"], big)
        row(f"one C body edit, ninja wall: ours / meson's ({total} sources)", f"{t_edit_ours / t_edit_meson:.2f}",
            f"{t_edit_ours * 1000:.0f} ms vs {t_edit_meson * 1000:.0f} ms (meson's program links archives "
            "nothing pulls from; ours holds every object)")
        # the same program on both sides: meson with link_whole links every object too
        c_edit_rows(row, big, total)
    ungated = tmp / "big-ungated"
    shutil.copytree(big, ungated, ignore=shutil.ignore_patterns("build", "build.ninja", ".ninja_*", "mb", "cb", "hb"))
    run([exe, "gen", "--no-gate"], ungated)
    run(["ninja"], ungated)
    t_noop, t_noop_u = noops(big, [[], ["-C", str(ungated)]])
    row(f"ninja no-op: gated / ungated ({total} sources)", f"{t_noop / t_noop_u:.2f}",
        f"{t_noop * 1000:.0f} ms vs {t_noop_u * 1000:.0f} ms (clean build {t_build:.1f} s)")

    # the gate on a small project: clean builds gated and ungated, median of 3, interleaved
    cleans = {"gated": [], "ungated": []}
    last = {}
    for _ in range(3):
        for name in ("gated", "ungated"):
            p = tmp / f"small-{name}"
            shutil.rmtree(p, ignore_errors=True)
            generate(p, small[0], small[1], bindings, False)
            run([exe, "gen"] + ([] if name == "gated" else ["--no-gate"]), p)
            t, _ = run(["ninja"], p)
            cleans[name].append(t)
            last[name] = p
    g, u = statistics.median(cleans["gated"]), statistics.median(cleans["ungated"])
    row("clean build: gated / ungated (median of 3, interleaved)", f"{g / u:.2f}", f"{g:.2f} s vs {u:.2f} s")
    time.sleep(0.05)
    touch_all(last["gated"])
    t_touch, _ = run(["ninja"], last["gated"])
    row("touch every file, then ninja / clean build", f"{t_touch / g:.2f}", f"{t_touch:.2f} s")
    clone = tmp / "clone"
    generate(clone, small[0], small[1], bindings, False)
    shutil.copytree(last["gated"] / "build", clone / "build", symlinks=True, copy_function=shutil.copy2)
    run([exe, "gen"], clone)
    t_restored, _ = run(["ninja"], clone)
    row("build folder restored on a fresh clone, then ninja / clean build", f"{t_restored / g:.2f}", f"{t_restored:.2f} s")

    # the gate on real C: zstd, Lua and zlib from their crates.io source packages (--smoke: zlib alone)
    crates = fetch_real_sources(tmp)
    only = ["zlib"] if a.smoke else None
    real_runs = 3 if not (a.quick or a.smoke) else 1
    cleans = {"gated": [], "ungated": []}
    for _ in range(real_runs):
        for name in ("gated", "ungated"):
            p = tmp / f"real-{name}"
            shutil.rmtree(p, ignore_errors=True)
            n_real = generate_real(p, crates, only)
            run([exe, "gen"] + ([] if name == "gated" else ["--no-gate"]), p)
            t, _ = run(["ninja"], p)
            cleans[name].append(t)
    said = subprocess.run([tmp / "real-gated" / "build" / "bin" / "real"], capture_output=True, text=True).stdout
    if "zlib 1." not in said:
        sys.exit(f"the real-code program did not run: {said!r}")
    said = ", ".join(said.split("\n")).strip(", ")
    g, u = statistics.median(cleans["gated"]), statistics.median(cleans["ungated"])
    what = "zlib" if only else "zstd + Lua + zlib"
    row(f"real C ({what}, {n_real} sources, -O2): clean build gated / ungated", f"{g / u:.3f}",
        f"{g:.1f} s vs {u:.1f} s (median of {real_runs}); the program says: {said.strip()}")
    time.sleep(0.05)
    touch_all(tmp / "real-gated")
    t_touch, _ = run(["ninja"], tmp / "real-gated")
    row("real C: touch every file, then ninja / clean build", f"{t_touch / g:.3f}",
        f"{t_touch:.2f} s, {commands_run(exe, tmp / 'real-gated')}")
    clone = tmp / "real-clone"
    generate_real(clone, crates, only)
    shutil.copytree(tmp / "real-gated" / "build", clone / "build", symlinks=True, copy_function=shutil.copy2)
    run([exe, "gen"], clone)
    t_restored, _ = run(["ninja"], clone)
    row("real C: build folder restored on a fresh clone, then ninja / clean build", f"{t_restored / g:.3f}",
        f"{t_restored:.2f} s, {commands_run(exe, clone)}")

    for store in ("file", "redis", "http"):
        cache_rows(row, exe, tmp, lambda d: generate_real(d, crates, only), "real C", "real", store=store,
                   rounds=cache_rounds)

    # the Perry way: cargo build --release per binding, serially, on every build
    perry = tmp / "perry"
    generate(perry, 2, 2, many_bindings, False)
    run([exe, "gen"], perry)
    run(["ninja"], perry)
    t_noop_p, _ = run(["ninja"], perry)
    start = time.perf_counter()
    for k in range(many_bindings):
        run(["cargo", "build", "--release", "--quiet"], perry / "bindings" / f"b{k}")
    t_perry = time.perf_counter() - start
    row(f"Perry's per-build cargo checks / our ninja no-op ({many_bindings} bindings)", f"{t_perry / t_noop_p:.0f}x",
        f"{t_perry * 1000:.0f} ms vs {t_noop_p * 1000:.0f} ms")

    # the real Perry compiler (installed by scripts/setup.sh) beside us on examples/perry-app: `perry compile` on
    # every build against our graph (gen once, then ninja)
    if not perry_exe.exists():
        sys.exit(f"{perry_exe} is missing: run scripts/setup.sh")
    edit_loop_rows(row, exe, perry_exe, tmp, loop=not a.smoke)
    stage_rows(row, exe, perry_exe, tmp / "stage", 5000 if not a.smoke else 200)
    cache_rows(row, exe, tmp, lambda d: shutil.copytree(REPO / "examples" / "perry-app", d, ignore=shutil.ignore_patterns(
        "build", "build.ninja")), "real Perry", "perry-app", {"PERRY": str(perry_exe)}, rounds=cache_rounds)
    vex_rows(row, exe, tmp / "vex-app")

    # one .ts file with n imports: time and memory per input byte
    times = []
    for n in ts_sizes:
        p = tmp / f"ts{n}"
        write(p / "package.json", '{ "name": "ts", "version": "1.0.0" }')
        write(p / "src" / "main.ts", "".join(f'import x{i} from "./m{i}";\n' for i in range(n)))
        t, _ = run([exe, "gen"], p)
        times.append(t)
    growth = times[-1] / times[-2]
    row(f".ts file with {ts_sizes[-1]} imports (s); time x{ts_sizes[-1] // ts_sizes[-2]} imports", f"{times[-1]:.2f}",
        f"{growth:.1f}x the time of {ts_sizes[-2]} (linear: 2.0x)")
    bundle = tmp / "bundle"
    write(bundle / "package.json", '{ "name": "b", "version": "1.0.0" }')
    size_mb = 20 if not a.smoke else 1
    line = 'const v = "some string"; function f(a, b) { return a + b * 3; } // comment\n'
    # written a line at a time: a child's peak RSS on Linux includes this process's size when it forked it
    (bundle / "src").mkdir(parents=True, exist_ok=True)
    with open(bundle / "src" / "bundle.ts", "w") as f:
        for _ in range(size_mb * 1_000_000 // len(line)):
            f.write(line)
    empty = tmp / "empty"
    write(empty / "package.json", '{ "name": "e", "version": "1.0.0" }')
    write(empty / "src" / "main.ts", "export {};\n")
    _, base_rss = run([exe, "gen"], empty, rss=True)
    _, rss_b = run([exe, "gen"], bundle, rss=True)
    nbytes = (bundle / "src" / "bundle.ts").stat().st_size
    # (a 1 MB smoke bundle can peak below the empty project's noise: never a negative figure)
    row("memory to scan .ts: bytes per input byte", f"{max(rss_b - base_rss, 0) * 1024 / nbytes:.1f}",
        f"{nbytes / 1e6:.0f} MB bundle: peak RSS {rss_b / 1024:.0f} MiB")
    # a binding manifest written on one line (as JSON.stringify and json.dump write it) with n more functions, against
    # the same project with its 2: time and peak RSS (issue 38: 6.6 GB and 5.5 s at n = 10,000 before)
    n_fns = 10_000 if not a.smoke else 500
    two, many = tmp / "fns-two", tmp / "fns-many"
    for d in (two, many):
        shutil.copytree(REPO / "examples" / "hello-perry", d, ignore=shutil.ignore_patterns("build", "build.ninja"))
    manifest = many / "node_modules" / "greeter" / "package.json"
    doc = json.loads(manifest.read_text())
    doc["perry"]["nativeLibrary"]["functions"] += [
        {"name": f"js_greeter_x{i}", "params": ["f64"], "returns": "f64"} for i in range(n_fns)]
    manifest.write_text(json.dumps(doc))
    t_two, rss_two = run([exe, "gen", "--fresh"], two, rss=True)
    t_many, rss_many = run([exe, "gen", "--fresh"], many, rss=True)
    row(f"one-line manifest, {n_fns} more functions / its 2: gen time", f"{t_many / t_two:.1f}x",
        f"{t_many:.2f} s vs {t_two:.2f} s; peak RSS {rss_many / 1024:.0f} vs {rss_two / 1024:.0f} MiB "
        f"({rss_many / rss_two:.1f}x; goal <= 2x each)")
    if a.json:
        Path(a.json).write_text(json.dumps(figures, indent=1) + "\n")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
