//! docs/GUIDE.md cannot rot: every ```sh test=<example>``` block runs in a fresh copy of that example.

mod common;
use common::*;

/// (example, first line number, script) of every tested block.
fn blocks(guide: &str) -> Vec<(String, usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, usize, String)> = None;
    for (i, line) in guide.lines().enumerate() {
        match &mut current {
            None => {
                if let Some(example) = line.strip_prefix("```sh test=") {
                    current = Some((example.trim().to_string(), i + 2, String::new()));
                }
            }
            Some(_) if line.starts_with("```") => out.push(current.take().unwrap()),
            Some((_, _, script)) => {
                script.push_str(line);
                script.push('\n');
            }
        }
    }
    assert!(current.is_none(), "an unclosed block");
    out
}

#[test]
fn every_tested_shell_block_of_the_guide_passes() {
    let guide = std::fs::read_to_string(repo().join("docs/GUIDE.md")).unwrap();
    let blocks = blocks(&guide);
    assert!(blocks.len() >= 10, "{} tested blocks", blocks.len());
    let bin = std::path::Path::new(EXE).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    for (example, line, script) in &blocks {
        let (_t, p) = self::example(example);
        if example == "perry-app" {
            // what the guide's `npm install @perryts/perry-linux-x64` does: the compiler setup installed, in node_modules
            let installed = repo().join("target/perry/node_modules/@perryts/perry-linux-x64");
            assert!(installed.is_dir(), "{} is missing: run scripts/setup.sh", installed.display());
            std::fs::create_dir_all(p.join("node_modules/@perryts")).unwrap();
            std::os::unix::fs::symlink(installed, p.join("node_modules/@perryts/perry-linux-x64")).unwrap();
        }
        let o = clean_command("bash")
            .current_dir(&p)
            .args(["--norc", "--noprofile", "-euo", "pipefail", "-c", script])
            .env("PATH", &path)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "docs/GUIDE.md:{line} (in examples/{example}) failed:\n{script}\n---\n{}",
            text(&o)
        );
    }
}
