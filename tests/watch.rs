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

/// Issue 35 item 2, with the real Perry compiler: arguments after `--` reach the program (as `perry dev` forwards
/// them); a save rebuilds and restarts it with them; a broken save stops the old program, the error stays on screen
/// with the module's line and column, and a fix starts it again; each build opens with one line naming the user's
/// changed file, never gen's or an editor's scratch files.
#[test]
fn watch_run_passes_arguments_stops_the_old_program_on_a_failed_build_and_names_only_the_users_files() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("args-app");
    write_tree(
        &p,
        &[
            ("package.json", r#"{ "name": "args-app" }"#),
            // a program that keeps running, as a server does, printing its arguments first
            (
                "src/main.ts",
                "const args = process.argv.slice(2);\nconsole.log(\"v1 args: \" + args.join(\",\"));\nsetInterval(() => {}, 1000);\n",
            ),
        ],
    );
    let perry = perry();
    ok(ninjabind_with_env(&p, &["gen"], &[("PERRY", perry.to_str().unwrap())]));
    let mut child = clean_command(EXE)
        .current_dir(&p)
        .args(["watch", "--run", "--", "--port", "3000"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines_of(&mut child);
    wait_for(&rx, "v1 args: --port,3000");
    let program = p.join("build/bin/args-app");
    // processes whose argv[0] is the program, from /proc
    let running = || {
        let me = program.to_str().unwrap().as_bytes().to_vec();
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_str().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit())))
            .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
            .filter(|c| c.split(|b| *b == 0).next() == Some(&me[..]))
            .count()
    };
    assert_eq!(running(), 1);

    // a save: rebuilt, restarted with the same arguments; an editor's scratch file beside it is no change
    tick();
    let main = p.join("src/main.ts");
    std::fs::write(p.join("src/.main.ts.swp"), "scratch").unwrap();
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, text.replace("v1 args", "v2 args")).unwrap();
    let seen = wait_for(&rx, "v2 args: --port,3000");
    let opened: Vec<&String> = seen.iter().filter(|l| l.ends_with("changed, building")).collect();
    assert_eq!(opened, [&"watch: src/main.ts changed, building".to_string()], "{seen:?}");
    assert_eq!(running(), 1, "the old program was stopped");

    // a broken save: the old program stops, the error names the module's line and column
    tick();
    std::fs::write(&main, "const x = ;\n").unwrap();
    let mut failed = wait_for(&rx, "the program is stopped until a build succeeds");
    // ninja's output (the watcher's stderr) and its status lines (stdout) come through two pipes, in either order
    if !failed.iter().any(|l| l.contains("src/main.ts:1:11: error:")) {
        failed.extend(wait_for(&rx, "src/main.ts:1:11: error:"));
    }
    assert!(failed.iter().any(|l| l.contains("FAILED (watching on)")), "{failed:?}");
    assert_eq!(running(), 0, "no old program runs after a failed build");
    tick();
    std::fs::write(&main, text.replace("v1 args", "v3 args")).unwrap();
    wait_for(&rx, "v3 args: --port,3000");

    // SAFETY: a signal to our own child, by its pid
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    wait_for(&rx, "watch: stopped");
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the watcher did not exit after SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(running(), 0, "the program it started is stopped with it");
}
