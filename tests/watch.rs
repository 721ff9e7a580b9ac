//! `ninjabind watch --run` end to end: the first build and the program's output, an edit seen and rebuilt with its
//! new output, a failing edit that keeps watching, and Ctrl-C (SIGINT) stopping it and the program it started.

mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Lines from the watcher's stdout and stderr, as they come.
fn lines_of(child: &mut std::process::Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    let tx2 = tx.clone();
    std::thread::spawn(move || BufReader::new(out).lines().map_while(Result::ok).for_each(|l| drop(tx.send(l))));
    std::thread::spawn(move || BufReader::new(err).lines().map_while(Result::ok).for_each(|l| drop(tx2.send(l))));
    rx
}

/// Waits (at most 60 s) for a line containing `want`; returns every line read until then.
#[track_caller]
fn wait_for(rx: &mpsc::Receiver<String>, want: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(200)) {
            let done = l.contains(want);
            seen.push(l);
            if done {
                return seen;
            }
        }
    }
    panic!("no line with `{want}` in 60 s; saw:\n{}", seen.join("\n"));
}

#[test]
fn watch_rebuilds_on_an_edit_restarts_the_program_keeps_watching_after_a_failure_and_stops_on_ctrl_c() {
    let (_t, p) = example("hello-c");
    ok(ninjabind(&p, &["gen"]));
    let mut child = clean_command(EXE)
        .current_dir(&p)
        .args(["watch", "--run"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines_of(&mut child);
    wait_for(&rx, "watch: watching");
    let first = wait_for(&rx, "watch: start:");
    assert!(first.last().unwrap().ends_with(", ok"), "{first:?}");
    wait_for(&rx, "hello from sqlite");

    // an edit of a source: rebuilt, named in the status line, and the program started again with the new text
    tick();
    let main = p.join("src/main.c");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, text.replace("GREETING", "\"hello from the watcher\"")).unwrap();
    let rebuilt = wait_for(&rx, "hello from the watcher");
    assert!(rebuilt.iter().any(|l| l.starts_with("watch: src/main.c: ") && l.ends_with(", ok")), "{rebuilt:?}");

    // a broken source: the build fails, the watcher says so and keeps watching
    tick();
    std::fs::write(&main, "int main(void) { return }\n").unwrap();
    let failed = wait_for(&rx, "FAILED (watching on)");
    assert!(failed.last().unwrap().starts_with("watch: src/main.c: "), "{failed:?}");
    std::fs::write(&main, text.replace("GREETING", "\"fixed\"")).unwrap();
    wait_for(&rx, "fixed");

    // Ctrl-C: the watcher stops and exits 0
    // SAFETY: a signal to our own child, by its pid
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    wait_for(&rx, "watch: stopped");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "the watcher did not exit after SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}
