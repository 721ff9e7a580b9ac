//! Real daemons for the scale-out tests (distccd, iceccd, redis-server): loopback only, bounded waits, stopped by pid.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A daemon this test started, in its own process group; dropping it stops the group (SIGTERM, then SIGKILL) and reaps it.
pub struct Daemon {
    pub name: String,
    child: Child,
}

impl Daemon {
    /// Starts `cmd` with stdout and stderr appended to `log`, in a new process group led by the daemon's own pid.
    pub fn start(name: &str, mut cmd: Command, log: &Path) -> Daemon {
        use std::os::unix::process::CommandExt;
        let out = std::fs::File::options().create(true).append(true).open(log).unwrap();
        cmd.stdin(Stdio::null()).stdout(out.try_clone().unwrap()).stderr(out).process_group(0);
        let child = cmd.spawn().unwrap_or_else(|e| panic!("{name} did not start ({e}); scripts/setup.sh installs it"));
        Daemon { name: name.to_string(), child }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (at most 10 s) until something accepts connections on `addr`; panics with the log if the daemon died first.
    pub fn wait_for_port(&mut self, addr: SocketAddr, log: &Path) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited ({status}) before listening on {addr}:\n{}", self.name, read(log));
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("{} did not listen on {addr} within 10 s:\n{}", self.name, read(log));
    }

    fn signal_group(&self, sig: libc::c_int) {
        // the group's id is the daemon's pid (process_group(0)); its forked workers are in it too
        unsafe { libc::kill(-(self.pid() as libc::pid_t), sig) };
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.signal_group(libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                self.signal_group(libc::SIGKILL); // workers that outlived their parent
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.signal_group(libc::SIGKILL);
        let _ = self.child.wait();
    }
}

/// A TCP port free on `ip` right now (the kernel's pick), for a daemon to listen on.
pub fn free_port(ip: &str) -> u16 {
    TcpListener::bind((ip, 0)).unwrap().local_addr().unwrap().port()
}

pub fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// Fails with the setup hint when a tool the test needs is not installed.
#[track_caller]
pub fn need(program: &str) {
    let found = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|d| d.join(program).is_file()))
        .unwrap_or(false);
    assert!(found, "`{program}` is not on PATH: scripts/setup.sh installs what the tests need");
}

/// Whether this test runs as root (daemons that drop privileges are then given an unprivileged user).
pub fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

/// A real redis-server on 127.0.0.1:`port`, nothing saved to disk, its files in `dir`.
pub fn redis_server(dir: &Path, port: u16) -> Daemon {
    let log = dir.join("redis.log");
    let mut cmd = Command::new("redis-server");
    cmd.args(["--bind", "127.0.0.1", "--port", &port.to_string(), "--save", "", "--appendonly", "no"])
        .args(["--daemonize", "no", "--protected-mode", "yes"])
        .arg("--dir")
        .arg(dir);
    let mut d = Daemon::start("redis-server", cmd, &log);
    d.wait_for_port(format!("127.0.0.1:{port}").parse().unwrap(), &log);
    d
}
