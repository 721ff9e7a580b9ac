//! End-to-end with real daemons on loopback: distcc fan-out, and a shared Redis cache for CI (ccache and sccache).

mod common;
use common::daemon::*;
use common::*;
use std::path::Path;
use std::process::Command;

/// The builds of this file's tests, one at a time: icecream's scheduler sends no job to a node whose CPUs are busy,
/// and both of its daemons share this machine's CPUs with the other tests' builds.
static BUILDS: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    BUILDS.lock().unwrap_or_else(|e| e.into_inner())
}

/// The share of this machine's CPU time that was idle over `ms` milliseconds (from /proc/stat).
fn idle_share(ms: u64) -> f64 {
    let sample = || -> (u64, u64) {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let cpu: Vec<u64> =
            stat.lines().next().unwrap_or("").split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
        // idle and iowait, against every field
        (cpu.iter().take(8).sum(), cpu.get(3).copied().unwrap_or(0) + cpu.get(4).copied().unwrap_or(0))
    };
    let (t0, i0) = sample();
    std::thread::sleep(std::time::Duration::from_millis(ms));
    let (t1, i1) = sample();
    (i1 - i0) as f64 / (t1 - t0).max(1) as f64
}

fn distccd(ip: &str, port: u16, log: &Path) -> Daemon {
    let mut cmd = Command::new("distccd");
    cmd.args(["--no-detach", "--daemon", "--log-stderr", "--log-level", "info", "--allow", "127.0.0.0/8"]).args([
        "--listen",
        ip,
        "--port",
        &port.to_string(),
        "--jobs",
        "4",
    ]);
    if is_root() {
        cmd.args(["--user", "distccd"]); // distccd refuses to compile as root; Debian's package makes this user
    }
    let mut d = Daemon::start(&format!("distccd on {ip}"), cmd, log);
    d.wait_for_port(format!("{ip}:{port}").parse().unwrap(), log);
    d
}

/// Compiles a daemon's log says it finished.
fn served(log: &Path) -> usize {
    read(log).lines().filter(|l| l.contains("COMPILE_OK")).count()
}

#[test]
fn distcc_fans_compiles_out_to_two_daemons() {
    let _one = one_at_a_time();
    need("distcc");
    need("distccd");
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("app");
    let n = 24;
    many_c_sources(&p, n);
    let (ip_a, ip_b) = ("127.0.0.2", "127.0.0.3");
    let (port_a, port_b) = (free_port(ip_a), free_port(ip_b));
    let (log_a, log_b) = (t.path().join("distccd-a.log"), t.path().join("distccd-b.log"));
    let _a = distccd(ip_a, port_a, &log_a);
    let _b = distccd(ip_b, port_b, &log_b);

    ok(ninjabind(&p, &["gen", "--launcher", "distcc"]));
    let state = t.path().join("distcc-state");
    std::fs::create_dir_all(&state).unwrap();
    // --randomize spreads the jobs over both hosts; no fallback, so a compile that did not leave fails the build
    let hosts = format!("--randomize {ip_a}:{port_a}/4 {ip_b}:{port_b}/4");
    let out = clean_command("ninja")
        .current_dir(&p)
        .args(["-j", "16"])
        .env("DISTCC_HOSTS", &hosts)
        .env("DISTCC_DIR", &state)
        .env("DISTCC_FALLBACK", "0")
        .env("DISTCC_BACKOFF_PERIOD", "0")
        .output()
        .unwrap();
    let out = ok(out);
    let (a, b) = (served(&log_a), served(&log_b));
    eprintln!("distccd on {ip_a} served {a} compiles, on {ip_b} {b}");
    assert!(a > 0 && b > 0, "both daemons compile: {a} and {b}\n{out}\n{}\n{}", read(&log_a), read(&log_b));
    assert_eq!(a + b, n + 1, "every compile left the machine: {a} + {b}\n{out}");
    assert_eq!(run_program(&p.join("build/bin/app")), format!("{}\n", n * (n - 1) / 2));
}

/// An sccache server of this test's own (foreground, its own port), storing in Redis.
fn sccache_server(dir: &Path, port: u16, redis: &str) -> Daemon {
    let log = dir.join(format!("sccache-{port}.log"));
    let mut cmd = Command::new("sccache");
    cmd.env("SCCACHE_START_SERVER", "1")
        .env("SCCACHE_NO_DAEMON", "1")
        .env("SCCACHE_SERVER_PORT", port.to_string())
        .env("SCCACHE_IDLE_TIMEOUT", "0")
        .env("SCCACHE_REDIS_ENDPOINT", redis)
        .env("SCCACHE_DIR", dir.join(format!("sccache-{port}")));
    let mut d = Daemon::start("sccache", cmd, &log);
    d.wait_for_port(format!("127.0.0.1:{port}").parse().unwrap(), &log);
    d
}

/// `ninjabind gen` with ccache and sccache, then `ninja`, as one CI runner would: its own ccache folder, its own sccache server.
fn ci_build(t: &Path, p: &Path, run: &str, redis: &str) -> (String, String, serde_json::Value) {
    let ccache_dir = t.join(format!("ccache-{run}"));
    let port = free_port("127.0.0.1");
    let _server = sccache_server(t, port, redis);
    let env = [
        ("CCACHE_DIR", ccache_dir.to_str().unwrap().to_string()),
        ("CCACHE_REMOTE_STORAGE", redis.to_string()),
        ("CCACHE_REMOTE_ONLY", "true".to_string()),
        ("CCACHE_BASEDIR", p.to_str().unwrap().to_string()),
        ("SCCACHE_SERVER_PORT", port.to_string()),
    ];
    ok(ninjabind(p, &["gen", "--launcher", "ccache", "--rustc-wrapper", "sccache"]));
    let out = ok(clean_command("ninja").current_dir(p).envs(env.iter().map(|(k, v)| (k, v))).output().unwrap());
    let ccache = ok(Command::new("ccache").arg("--print-stats").env("CCACHE_DIR", &ccache_dir).output().unwrap());
    let stats = Command::new("sccache")
        .args(["--show-stats", "--stats-format", "json"])
        .env("SCCACHE_SERVER_PORT", port.to_string())
        .output()
        .unwrap();
    let stats = serde_json::from_slice(&stats.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&stats)));
    (out, ccache, stats)
}

fn ccache_stat(stats: &str, key: &str) -> u64 {
    stats.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix('\t')?.trim().parse().ok()).unwrap_or(0)
}

#[test]
fn a_fresh_ci_runner_gets_every_compile_from_a_shared_redis_cache() {
    let _one = one_at_a_time();
    need("redis-server");
    need("ccache");
    need("sccache");
    let t = tempfile::tempdir().unwrap();
    let t = t.path();
    let port = free_port("127.0.0.1");
    let _redis = redis_server(t, port);
    let redis = format!("redis://127.0.0.1:{port}");
    let src = repo().join("examples/hello-perry");
    let p = t.join("ci/hello-perry");
    copy_dir(&src, &p);
    let (out1, cc1, rs1) = ci_build(t, &p, "first", &redis);
    assert_eq!(run_program(&p.join("build/bin/hello-perry")), "answer=42 wave=0.841 nanoid_size=21\n", "{out1}");
    assert!(ccache_stat(&cc1, "remote_storage_miss") >= 1, "{cc1}");
    // a fresh runner: the checkout at the same path (sccache hashes rustc's working folder), nothing else kept
    std::fs::remove_dir_all(&p).unwrap();
    copy_dir(&src, &p);
    let (out2, cc2, rs2) = ci_build(t, &p, "second", &redis);
    assert_eq!(run_program(&p.join("build/bin/hello-perry")), "answer=42 wave=0.841 nanoid_size=21\n", "{out2}");
    let c_compiles = ran(&out2).iter().filter(|l| l.starts_with("CC ")).count();
    assert!(c_compiles >= 1, "{out2}");
    assert_eq!(
        ccache_stat(&cc2, "remote_storage_hit") as usize,
        c_compiles,
        "every C compile a remote hit:\n{cc2}\n{out2}"
    );
    assert_eq!(ccache_stat(&cc2, "remote_storage_miss"), 0, "{cc2}");
    let count = |v: &serde_json::Value, field: &str| -> u64 {
        v["stats"][field]["counts"].as_object().map(|m| m.values().filter_map(|n| n.as_u64()).sum()).unwrap_or(0)
    };
    // two bindings (greeter, perry-ext-nanoid), each compiled as the archive and as the rlib the library probe reads
    assert_eq!(count(&rs1, "cache_misses"), 4, "{rs1:#}");
    assert_eq!(count(&rs2, "cache_misses"), 0, "{rs2:#}");
    assert_eq!(count(&rs2, "cache_hits"), 4, "every crate compile is a hit, the bindings' own included: {rs2:#}");
    // what sccache does not cache is only cargo asking rustc about itself (`rustc -vV`, `rustc - --print=…`)
    let not_cached: Vec<&String> = rs2["stats"]["not_cached"].as_object().unwrap().keys().collect();
    assert!(not_cached.iter().all(|k| *k == "-" || *k == "missing input"), "{rs2:#}");
}

/// Runs `args` in the network and mount namespaces held by the process `pid`; panics with its output on failure.
fn in_namespaces(pid: u32, args: &[&str]) {
    let o = Command::new("nsenter").args(["-t", &pid.to_string(), "-n", "-m"]).args(args).output().unwrap();
    assert!(o.status.success(), "nsenter -t {pid} {args:?}: {}", text(&o));
}

/// A process holding a new network and mount namespace (nothing in it reaches the host's network; its mounts stay
/// in it), with its own tmpfs on /run so each iceccd has its own `/var/run/icecc` socket.
fn namespace_holder(name: &str, log: &Path) -> Daemon {
    let mut cmd = Command::new("unshare");
    cmd.args(["--net", "--mount", "--propagation", "private", "sleep", "600"]);
    let d = Daemon::start(name, cmd, log);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    // unshare has made the namespaces once the pid's network namespace is no longer this one
    while std::fs::read_link(format!("/proc/{}/ns/net", d.pid())).ok() == std::fs::read_link("/proc/self/ns/net").ok() {
        assert!(std::time::Instant::now() < deadline, "{name} made no network namespace:\n{}", read(log));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    in_namespaces(d.pid(), &["mount", "-t", "tmpfs", "tmpfs", "/run"]);
    in_namespaces(d.pid(), &["ip", "link", "set", "lo", "up"]);
    d
}

/// Lines of the scheduler's log that end a job compiled by `node`.
fn scheduler_ended(log: &Path, node: &str) -> usize {
    read(log)
        .lines()
        .filter(|l| l.contains(" END ") && l.contains("status=0") && l.ends_with(&format!("server={node}")))
        .count()
}

#[test]
fn icecream_fans_compiles_out_to_two_daemons_in_their_own_network_namespaces() {
    let _one = one_at_a_time();
    for tool in ["icecc", "iceccd", "icecc-scheduler", "unshare", "nsenter", "ip"] {
        need(tool);
    }
    assert!(is_root(), "network namespaces need root (CI and scripts/setup.sh machines run the suite as root)");
    let t = tempfile::tempdir().unwrap();
    let logs = |n: &str| t.path().join(n);
    // two namespaces joined by a veth pair made inside them (the pair never exists in the host's namespace):
    // A holds the scheduler, the first daemon and the build; B the second daemon
    let a = namespace_holder("namespace A", &logs("holder-a.log"));
    let b = namespace_holder("namespace B", &logs("holder-b.log"));
    let b_pid = b.pid().to_string();
    in_namespaces(a.pid(), &["ip", "link", "add", "vA", "type", "veth", "peer", "name", "vB", "netns", &b_pid]);
    in_namespaces(a.pid(), &["ip", "addr", "add", "10.77.0.1/24", "dev", "vA"]);
    in_namespaces(a.pid(), &["ip", "link", "set", "vA", "up"]);
    in_namespaces(b.pid(), &["ip", "addr", "add", "10.77.0.2/24", "dev", "vB"]);
    in_namespaces(b.pid(), &["ip", "link", "set", "vB", "up"]);

    // nsenter execs the daemon (no fork without a pid namespace): each Daemon's pid is the daemon's own
    let sched_log = logs("scheduler.log");
    let mut cmd = Command::new("nsenter");
    cmd.args(["-t", &a.pid().to_string(), "-n", "-m", "icecc-scheduler", "-vvv"]);
    let _scheduler = Daemon::start("icecc-scheduler", cmd, &sched_log);
    let iceccd = |holder: &Daemon, node: &str, jobs: &str| {
        let mut cmd = Command::new("nsenter");
        cmd.args(["-t", &holder.pid().to_string(), "-n", "-m", "iceccd", "-s", "10.77.0.1", "-N", node, "-m", jobs]);
        // the environment folder on the namespace's tmpfs: iceccd chowns it to its user
        cmd.args(["-b", "/run/icecc-envs", "-vvv"]);
        Daemon::start(&format!("iceccd {node}"), cmd, &logs(&format!("iceccd-{node}.log")))
    };
    // one slot on the build's own node, four on the other: the scheduler must send work across
    let _daemon_a = iceccd(&a, "nodeA", "1");
    let _daemon_b = iceccd(&b, "nodeB", "4");
    // iceccd looks for its scheduler every few seconds: wait (bounded) until both have logged in
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !["login nodeA", "login nodeB"].iter().all(|l| read(&sched_log).contains(l)) {
        assert!(std::time::Instant::now() < deadline, "the daemons did not log in within 60 s:\n{}", read(&sched_log));
        std::thread::sleep(std::time::Duration::from_millis(200));
    }

    // the remote daemon needs the toolchain's tarball before its first job: on a busy machine the local one can take
    // a whole first build meanwhile, so up to three builds (fresh projects) run until one is shared
    let n = 24;
    let (mut before_a, mut before_b) = (0, 0);
    let mut splits = Vec::new();
    for round in 0..3 {
        // the scheduler skips a node whose CPUs are busy, and nodeB's are this machine's: wait (at most 30 s) for
        // them to be half idle
        let calm = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while idle_share(500) < 0.5 && std::time::Instant::now() < calm {}
        let p = t.path().join(format!("app{round}"));
        many_c_sources(&p, n);
        ok(ninjabind(&p, &["gen", "--launcher", "icecc"]));
        // the build runs in namespace A, where icecc finds its daemon's socket
        let out = clean_command("nsenter")
            .args(["-t", &a.pid().to_string(), "-n", "-m", &format!("--wd={}", p.display()), "ninja", "-j", "8"])
            .output()
            .unwrap();
        let out = ok(out);
        let (ended_a, ended_b) = (scheduler_ended(&sched_log, "nodeA"), scheduler_ended(&sched_log, "nodeB"));
        let (on_a, on_b) = (ended_a - before_a, ended_b - before_b);
        (before_a, before_b) = (ended_a, ended_b);
        eprintln!("build {round}: the scheduler gave {on_a} compiles to nodeA and {on_b} to nodeB");
        assert_eq!(on_a + on_b, n + 1, "every compile went through the scheduler\n{out}");
        assert_eq!(run_program(&p.join("build/bin/app")), format!("{}\n", n * (n - 1) / 2));
        splits.push((on_a, on_b));
        if on_a > 0 && on_b > 0 {
            return;
        }
    }
    panic!(
        "no build was shared by both daemons: {splits:?}\n{}\nnodeB:\n{}",
        read(&sched_log),
        read(&logs("iceccd-nodeB.log"))
    );
}
