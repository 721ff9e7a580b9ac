//! The shared cache (`--cache file:/PATH` and `redis://`, with a real redis-server on loopback): a build on "machine A"
//! fills it; a fresh clone at
//! another path with an empty build folder fetches every edge's outputs and runs no command (counted with
//! `ninjabind stats`), and its program prints the same. A corrupted blob is refused and the edge runs; turning the
//! cache on or off rebuilds nothing; a pull-request build (`--cache-mode read`) stores nothing; a URL this
//! ninjabind cannot use is an error at gen.

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn stats(dir: &Path) -> Value {
    serde_json::from_str(&ok(ninjabind(dir, &["stats", "--format", "json"]))).unwrap()
}

/// A fresh clone of an example at `<tmp>/<where>/<name>`: another absolute path for each.
fn clone_at(t: &Path, place: &str, name: &str) -> PathBuf {
    let p = t.join(place).join(name);
    copy_dir(&repo().join("examples").join(name), &p);
    p
}

fn store_files(store: &Path) -> usize {
    walk(store).len()
}

fn walk(d: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

#[test]
fn a_fresh_clone_at_another_path_fetches_the_c_build_and_runs_nothing() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    let url = format!("file:{}", store.display());
    let a = clone_at(t.path(), "machine-a", "hello-c");
    ok(ninjabind(&a, &["gen", "--cache", &url]));
    ok(ninja(&a, &[]));
    let built = stats(&a);
    assert_eq!(built["total"]["ran"], 3, "{built:#}");
    let printed = run_program(&a.join("build/bin/hello-c"));

    let b = clone_at(t.path(), "ci/runner-2/work", "hello-c");
    ok(ninjabind(&b, &["gen", "--cache", &url]));
    let explain = ok(ninjabind(&b, &["explain"]));
    assert!(explain.contains(&format!("shared cache: {url} (readwrite;")), "{explain}");
    let out = ok(ninja(&b, &[]));
    let fetched = stats(&b);
    assert_eq!(fetched["total"]["fetched"], 3, "{fetched:#}\n{out}");
    assert_eq!(fetched["total"]["ran"].as_u64().unwrap() + fetched["total"]["cut_off"].as_u64().unwrap(), 0);
    assert_eq!(run_program(&b.join("build/bin/hello-c")), printed);
    assert!(ok(ninja(&b, &["-n"])).contains("no work to do"));
    // off and on again: no command changes, nothing rebuilds
    ok(ninjabind(&b, &["gen", "--cache", ""]));
    assert!(ok(ninja(&b, &[])).contains("no work to do"));

    // a corrupted blob: refused with a warning, the edge runs, the program is right
    let before = store_files(&store);
    let blobs = walk(&store.join("b"));
    let link_blob = blobs.iter().max_by_key(|p| std::fs::metadata(p).unwrap().len()).unwrap();
    let mut bytes = std::fs::read(link_blob).unwrap();
    bytes[100] ^= 0xff;
    std::fs::write(link_blob, bytes).unwrap();
    let c = clone_at(t.path(), "machine-c", "hello-c");
    ok(ninjabind(&c, &["gen", "--cache", &url, "--cache-mode", "read"]));
    let out = ok(ninja(&c, &[]));
    assert!(out.contains("fails its SHA-256: ignored"), "{out}");
    let s = stats(&c);
    assert_eq!((s["total"]["fetched"].as_u64(), s["total"]["ran"].as_u64()), (Some(2), Some(1)), "{s:#}");
    assert_eq!(run_program(&c.join("build/bin/hello-c")), printed);
    // a read-only build stored nothing, not even the blob it had to make again
    assert_eq!(store_files(&store), before);
}

#[test]
fn a_fresh_clone_fetches_the_real_perry_build_and_runs_no_compiler_cargo_or_link() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    let url = format!("file:{}", store.display());
    let perry = perry();
    let env = [("PERRY", perry.to_str().unwrap())];
    let a = clone_at(t.path(), "a", "perry-app");
    ok(ninjabind_with_env(&a, &["gen", "--cache", &url], &env));
    ok(ninja(&a, &[]));
    let printed = run_program(&a.join("build/bin/perry-app"));
    let b = clone_at(t.path(), "elsewhere/b", "perry-app");
    ok(ninjabind_with_env(&b, &["gen", "--cache", &url], &env));
    let out = ok(ninja(&b, &[]));
    let s = stats(&b);
    for kind in ["perry", "cargo", "link", "unzstd"] {
        let k = &s["by_kind"][kind];
        assert_eq!(k["ran"].as_u64().unwrap_or(0) + k["cut_off"].as_u64().unwrap_or(0), 0, "{kind} ran:\n{s:#}\n{out}");
        assert!(k["fetched"].as_u64().unwrap_or(0) >= 1, "{kind} not fetched:\n{s:#}");
    }
    assert_eq!(run_program(&b.join("build/bin/perry-app")), printed);
    assert!(ok(ninja(&b, &["-n"])).contains("no work to do"));
    // an edit after the fetch builds as without a cache: the module Perry compiles, its objects, the link
    edit(&b.join("src/lib/label.ts"), "\" = \"", "\" is \"");
    ok(ninja(&b, &[]));
    assert!(run_program(&b.join("build/bin/perry-app")).contains("weigh(6) is 42"));
}

/// A small C program whose one source includes `pick.h`, which includes `y.h` or `z.h`: the same command and source
/// (one first key) with two discovered header sets.
fn picking_project(d: &Path, side: &str) {
    std::fs::create_dir_all(d.join("src")).unwrap();
    std::fs::create_dir_all(d.join("include")).unwrap();
    let manifest =
        r#"{"name": "pick", "version": "0.1.0", "native": {"sources": ["src/main.c"], "include_dirs": ["include"]}}"#;
    std::fs::write(d.join("vex.json"), manifest).unwrap();
    std::fs::write(
        d.join("src/main.c"),
        "#include <stdio.h>\n#include \"pick.h\"\nint main(void) { puts(SIDE); return 0; }\n",
    )
    .unwrap();
    std::fs::write(d.join("include/pick.h"), format!("#include \"{side}.h\"\n")).unwrap();
    std::fs::write(d.join("include/y.h"), "#define SIDE \"from y\"\n").unwrap();
    std::fs::write(d.join("include/z.h"), "#define SIDE \"from z\"\n").unwrap();
}

/// A first entry keeps several discovered lists, as ccache's manifest does: machine A builds with one header set, then
/// with the other; a fresh clone in the first state fetches its compile (with only the latest list kept, it missed
/// and compiled).
#[test]
fn a_header_set_that_changes_back_and_forth_is_fetched_either_way() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    let url = format!("file:{}", store.display());
    let a = t.path().join("machine-a/pick");
    picking_project(&a, "y");
    ok(ninjabind(&a, &["gen", "--cache", &url]));
    ok(ninja(&a, &[]));
    assert_eq!(run_program(&a.join("build/bin/pick")).trim(), "from y");
    std::fs::write(a.join("include/pick.h"), "#include \"z.h\"\n").unwrap();
    ok(ninja(&a, &[]));
    assert_eq!(run_program(&a.join("build/bin/pick")).trim(), "from z");

    for (side, place) in [("y", "elsewhere/b"), ("z", "elsewhere/c")] {
        let b = t.path().join(place).join("pick");
        picking_project(&b, side);
        ok(ninjabind(&b, &["gen", "--cache", &url]));
        let out = ok(ninja(&b, &[]));
        let s = stats(&b);
        let cc = &s["by_kind"]["cc"];
        assert_eq!((cc["fetched"].as_u64(), cc["ran"].as_u64().unwrap_or(0)), (Some(1), 0), "{side}: {s:#}\n{out}");
        assert_eq!(s["total"]["ran"].as_u64(), Some(0), "{side}: {s:#}");
        assert_eq!(run_program(&b.join("build/bin/pick")).trim(), format!("from {side}"));
    }
}

#[test]
fn a_store_url_this_ninjabind_cannot_use_is_an_error_at_gen() {
    let (_t, p) = example("hello-c");
    ok(ninjabind(&p, &["gen"]));
    let before = std::fs::read(p.join("build.ninja")).unwrap();
    for (url, says) in [
        ("https://127.0.0.1/cache", "`https://` stores are not supported by this ninjabind yet (no TLS)"),
        ("redis://127.0.0.1:sixty", "`sixty` in `redis://127.0.0.1:sixty` is not a port"),
        ("ftp://host/x", "unknown store `ftp:`"),
        ("file:relative/dir", "names no absolute folder"),
    ] {
        let e = fails(ninjabind(&p, &["gen", "--cache", url]));
        assert!(e.contains("--cache (or NINJABIND_CACHE, or `cache` in ninjabind.toml)") && e.contains(says), "{e}");
        assert_eq!(std::fs::read(p.join("build.ninja")).unwrap(), before, "build.ninja kept");
    }
}

/// A real redis-server on loopback (tests/common/daemon.rs), stopped (by pid) when dropped; the store URL.
fn redis_store(dir: &Path) -> (common::daemon::Daemon, String) {
    let port = common::daemon::free_port("127.0.0.1");
    (common::daemon::redis_server(dir, port), format!("redis://127.0.0.1:{port}/3"))
}

/// hello-c built on "machine A" with the cache at `url`, then a fresh clone at another path: every edge fetched,
/// none run, the same program. Returns what the program prints.
fn fill_then_fetch(t: &Path, url: &str) -> String {
    let a = clone_at(t, "machine-a", "hello-c");
    ok(ninjabind(&a, &["gen", "--cache", url]));
    let out = ok(ninja(&a, &[]));
    assert!(!out.contains("warning: the shared cache"), "{out}");
    let printed = run_program(&a.join("build/bin/hello-c"));
    let b = clone_at(t, "runner/b", "hello-c");
    ok(ninjabind(&b, &["gen", "--cache", url]));
    let out = ok(ninja(&b, &[]));
    let s = stats(&b);
    assert_eq!((s["total"]["fetched"].as_u64(), s["total"]["ran"].as_u64()), (Some(3), Some(0)), "{s:#}\n{out}");
    assert_eq!(run_program(&b.join("build/bin/hello-c")), printed);
    printed
}

#[test]
fn a_fresh_clone_fetches_from_redis_and_a_store_that_goes_down_is_one_warning() {
    let t = tempfile::tempdir().unwrap();
    let (server, url) = redis_store(t.path());
    let printed = fill_then_fetch(t.path(), &url);

    // one blob overwritten in Redis itself: streamed, refused by its SHA-256, that edge runs; the connection stays in
    // step, so the other edges are still fetched
    let cli = |args: &[&str]| {
        let out = Command::new("redis-cli").args(["-u", &url]).args(args).output().expect("redis-cli");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let blobs = cli(&["--scan", "--pattern", "ninjabind:b:*"]);
    let blob = blobs.lines().next().expect("a blob in Redis");
    assert_eq!(cli(&["SET", blob, "not what was stored"]).trim(), "OK");
    let d = clone_at(t.path(), "machine-d", "hello-c");
    ok(ninjabind(&d, &["gen", "--cache", &url]));
    let out = ok(ninja(&d, &[]));
    assert_eq!(out.matches("fails its SHA-256").count(), 1, "{out}");
    let s = stats(&d);
    assert_eq!((s["total"]["fetched"].as_u64(), s["total"]["ran"].as_u64()), (Some(2), Some(1)), "{s:#}\n{out}");
    assert_eq!(run_program(&d.join("build/bin/hello-c")), printed);

    // the store stops: one warning for the build, every edge runs, the program is right
    drop(server);
    let c = clone_at(t.path(), "machine-c", "hello-c");
    ok(ninjabind(&c, &["gen", "--cache", &url]));
    let out = ok(ninja(&c, &[]));
    assert_eq!(out.matches("warning: the shared cache").count(), 1, "{out}");
    assert!(out.contains(&format!("the shared cache {url} cannot be read")), "{out}");
    assert_eq!(stats(&c)["total"]["ran"], 3);
    assert_eq!(run_program(&c.join("build/bin/hello-c")), printed);
}

/// A blob past Redis's piece size (1 MiB) is read as `GETRANGE` pieces, never one `GET` (Redis copies a value whole
/// into a reply buffer of its own first): an object of 3 MiB of data is fetched from Redis whole, nothing runs and the
/// program prints the same; that blob changed inside Redis (one byte, the same length) is refused by its SHA-256 and
/// only its edge runs.
#[test]
fn a_large_blob_comes_from_redis_in_pieces_and_a_changed_one_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let (_server, url) = redis_store(t.path());
    let with_big_object = |place: &str| {
        let p = clone_at(t.path(), place, "hello-c");
        std::fs::write(p.join("src/big.c"), "const unsigned char big_table[3 << 20] = {1, 2, 3};\n").unwrap();
        let m = std::fs::read_to_string(p.join("vex.json")).unwrap();
        std::fs::write(p.join("vex.json"), m.replace(r#""src/query.c"]"#, r#""src/query.c", "src/big.c"]"#)).unwrap();
        ok(ninjabind(&p, &["gen", "--cache", &url]));
        p
    };
    let cli = |args: &[&str]| {
        let out = Command::new("redis-cli").args(["-u", &url]).args(args).output().expect("redis-cli");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let getranges = || {
        let info = cli(&["INFO", "commandstats"]);
        let line = info.lines().find(|l| l.starts_with("cmdstat_getrange:")).unwrap_or("cmdstat_getrange:calls=0,");
        line["cmdstat_getrange:calls=".len()..].split(',').next().unwrap().parse::<u64>().unwrap()
    };
    let a = with_big_object("machine-a");
    ok(ninja(&a, &[]));
    let printed = run_program(&a.join("build/bin/hello-c"));
    let b = with_big_object("runner/b");
    let out = ok(ninja(&b, &[]));
    let s = stats(&b);
    assert_eq!((s["total"]["fetched"].as_u64(), s["total"]["ran"].as_u64()), (Some(4), Some(0)), "{s:#}\n{out}");
    assert_eq!(run_program(&b.join("build/bin/hello-c")), printed);
    assert!(getranges() >= 3, "the 3 MiB object was not read in 1 MiB pieces ({} GETRANGE)", getranges());
    assert_eq!(std::fs::read(b.join("build/obj/hello-c/src/big.c.o")).unwrap().len() as u64 >> 20, 3);

    // the large blob changed in place, its length kept: streamed in pieces, refused, its compile runs
    let big = cli(&["--scan", "--pattern", "ninjabind:b:*"])
        .lines()
        .find(|k| cli(&["STRLEN", k]).trim().parse::<u64>().unwrap() > 1 << 20)
        .expect("a blob past 1 MiB")
        .to_string();
    assert_eq!(cli(&["SETRANGE", &big, "1500000", "X"]).trim().parse::<u64>().unwrap() >> 20, 3);
    let d = with_big_object("machine-d");
    let out = ok(ninja(&d, &[]));
    assert_eq!(out.matches("fails its SHA-256").count(), 1, "{out}");
    let s = stats(&d);
    assert_eq!((s["total"]["fetched"].as_u64(), s["total"]["ran"].as_u64()), (Some(3), Some(1)), "{s:#}\n{out}");
    assert_eq!(run_program(&d.join("build/bin/hello-c")), printed);
}

/// A real nginx on loopback serving `dir/www` with its WebDAV module's PUT (as ccache's `http://` remote storage
/// docs set it up), stopped (by pid) when dropped; the store URL.
fn nginx_store(dir: &Path) -> (common::daemon::Daemon, String) {
    use common::daemon::{free_port, Daemon};
    let port = free_port("127.0.0.1");
    for d in ["www/cache", "tmp", "logs"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    let conf = format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/logs/error.log;\nevents {{}}\nhttp {{\n  access_log off;\n  client_body_temp_path {d}/tmp;\n  client_max_body_size 1g;\n  server {{\n    listen 127.0.0.1:{port};\n    root {d}/www;\n    location /cache/ {{ dav_methods PUT; create_full_put_path on; }}\n  }}\n}}\n",
        d = dir.display()
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let log = dir.join("logs/nginx.out");
    let mut cmd = std::process::Command::new("nginx");
    cmd.arg("-c").arg(dir.join("nginx.conf")).arg("-p").arg(dir);
    let mut d = Daemon::start("nginx", cmd, &log);
    d.wait_for_port(format!("127.0.0.1:{port}").parse().unwrap(), &log);
    (d, format!("http://127.0.0.1:{port}/cache"))
}

#[test]
fn a_fresh_clone_fetches_from_an_http_store() {
    let t = tempfile::tempdir().unwrap();
    let (_server, url) = nginx_store(&t.path().join("nginx"));
    fill_then_fetch(t.path(), &url);
    // the blobs are nginx's files, named by their SHA-256
    assert!(walk(&t.path().join("nginx/www/cache/b")).len() >= 3);
}

/// The cache named by the environment or by ninjabind.toml, as by `--cache`; a `write` build reads nothing.
#[test]
fn the_cache_from_the_environment_or_ninjabind_toml_and_a_write_only_build() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    let url = format!("file:{}", store.display());
    let a = clone_at(t.path(), "a", "hello-c");
    ok(ninjabind_with_env(&a, &["gen"], &[("NINJABIND_CACHE", &url)]));
    assert!(ok(ninjabind(&a, &["explain"])).contains(&format!("shared cache: {url} (readwrite;")));
    ok(ninja(&a, &[]));
    assert_eq!(stats(&a)["total"]["ran"], 3);
    // warm now, but a write-only build runs every command and fetches nothing
    let b = clone_at(t.path(), "b", "hello-c");
    std::fs::write(b.join("ninjabind.toml"), format!("cache = \"{url}\"\n")).unwrap();
    ok(ninjabind(&b, &["gen", "--cache-mode", "write"]));
    assert!(ok(ninjabind(&b, &["explain"])).contains(&format!("shared cache: {url} (write;")));
    ok(ninja(&b, &[]));
    let s = stats(&b);
    assert_eq!((s["total"]["ran"].as_u64(), s["total"]["fetched"].as_u64()), (Some(3), Some(0)), "{s:#}");
}
