//! `ninjabind edge stage`: copies a binding's resource or shader output beside the program, writing only when the
//! bytes differ and keeping the file's permission bits; a resource folder is one edge copying all its files.

use crate::base::files::read_regular_text;
use crate::base::write::Batch;
use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

#[derive(clap::Args, Debug)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["input", "pairs"]))]
pub struct StageArgs {
    #[arg(long, requires = "input")]
    pub out: Option<Utf8PathBuf>,
    /// The file the binding ships.
    pub input: Option<Utf8PathBuf>,
    /// A file gen writes for a resource folder: one `FROM<tab>TO` line per file it stages.
    #[arg(long, conflicts_with = "input")]
    pub pairs: Option<Utf8PathBuf>,
}

pub fn run(a: &StageArgs) -> Result<i32> {
    match (&a.pairs, &a.input, &a.out) {
        (Some(list), _, _) => stage_pairs(list),
        (None, Some(input), Some(out)) => finish(stage(&[(input.clone(), out.clone())])),
        _ => bail!("`ninjabind edge stage` takes `--out OUT INPUT` or `--pairs FILE`"),
    }
}

fn stage_pairs(list: &Utf8Path) -> Result<i32> {
    let text = match read_regular_text(list, 1 << 30) {
        Ok(t) => t,
        Err(e) => {
            let e = anyhow::anyhow!("cannot read the list `ninjabind gen` writes: {e}");
            return super::fail_at(list.as_str(), Err(e));
        }
    };
    let mut pairs = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.is_empty()) {
        let Some((from, to)) = line.split_once('\t') else {
            return super::fail_at(list.as_str(), Err(anyhow::anyhow!("line {} is not `FROM<tab>TO`", n + 1)));
        };
        pairs.push((Utf8PathBuf::from(from), Utf8PathBuf::from(to)));
    }
    finish(stage(&pairs))
}

/// Exit 0, or the failure printed at the file it concerns.
fn finish(staged: std::result::Result<(), (Utf8PathBuf, anyhow::Error)>) -> Result<i32> {
    match staged {
        Ok(()) => Ok(0),
        Err((file, e)) => super::fail_at(file.as_str(), Err(e)),
    }
}

/// Copies each pair whose bytes differ, in one process: 5,000 files one process each took 22 s where `cp -r` takes
/// 1 s. A staged file is rebuilt from its source whenever the gate finds it changed, so the copies are not fsynced
/// (as `cp` does not); the rename still replaces each whole. On failure, the file it concerns.
fn stage(pairs: &[(Utf8PathBuf, Utf8PathBuf)]) -> std::result::Result<(), (Utf8PathBuf, anyhow::Error)> {
    let mut batch = Batch::unsynced();
    let mut modes = Vec::with_capacity(pairs.len());
    let mut made: Option<&Utf8Path> = None;
    for (from, to) in pairs {
        let at = |e: anyhow::Error| (from.clone(), e);
        let bytes = std::fs::read(from).map_err(|e| at(anyhow::anyhow!("cannot read {from}: {e}")))?;
        let mode = std::fs::metadata(from).with_context(|| format!("cannot read {from}")).map_err(at)?.permissions();
        if std::fs::symlink_metadata(to).is_err() {
            // a file not there yet is written in place, as `cp` does (no temp file and rename): the gate removed the
            // edge's record before running it, so a copy cut short is staged again by the next build
            let dir = to.parent().filter(|d| !d.as_str().is_empty());
            if let Some(dir) = dir.filter(|d| made != Some(*d)) {
                std::fs::create_dir_all(dir).with_context(|| format!("cannot create {dir}")).map_err(at)?;
                made = Some(dir);
            }
            std::fs::write(to, &bytes).with_context(|| format!("cannot write {to}")).map_err(at)?;
        } else {
            batch.stage(to, &bytes).map_err(at)?;
        }
        modes.push(mode);
    }
    batch.commit().map_err(|e| (pairs[0].0.clone(), e))?;
    for ((from, to), mode) in pairs.iter().zip(modes) {
        let now = std::fs::metadata(to).map(|m| m.permissions());
        if now.as_ref().ok() != Some(&mode) {
            std::fs::set_permissions(to, mode)
                .with_context(|| format!("cannot set the permissions of {to}"))
                .map_err(|e| (from.clone(), e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn one(out: &Utf8Path, input: &Utf8Path) -> StageArgs {
        StageArgs { out: Some(out.into()), input: Some(input.into()), pairs: None }
    }

    #[test]
    fn copies_bytes_and_permissions_and_leaves_an_unchanged_copy_alone() {
        let dir = tempfile::tempdir().unwrap();
        let d = Utf8PathBuf::from_path_buf(dir.path().to_owned()).unwrap();
        std::fs::write(d.join("tool.sh"), b"#!/bin/sh\necho hi\n").unwrap();
        std::fs::set_permissions(d.join("tool.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let out = d.join("out/deep/tool.sh");
        let a = one(&out, &d.join("tool.sh"));
        assert_eq!(run(&a).unwrap(), 0);
        assert_eq!(std::fs::read(&out).unwrap(), b"#!/bin/sh\necho hi\n");
        assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o755);
        let before = std::fs::metadata(&out).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(run(&a).unwrap(), 0);
        assert_eq!(std::fs::metadata(&out).unwrap().modified().unwrap(), before, "an unchanged copy is not rewritten");
        assert_eq!(run(&one(&d.join("x"), &d.join("nope"))).unwrap(), 1);
    }

    #[test]
    fn a_pairs_list_stages_each_file_and_rewrites_only_the_changed_one() {
        let dir = tempfile::tempdir().unwrap();
        let d = Utf8PathBuf::from_path_buf(dir.path().to_owned()).unwrap();
        let mut list = String::new();
        for i in 0..20 {
            std::fs::write(d.join(format!("r{i}.txt")), format!("resource {i}\n")).unwrap();
            list.push_str(&format!("{d}/r{i}.txt\t{d}/out/res/sub{}/r{i}.txt\n", i % 3));
        }
        std::fs::write(d.join("pairs"), &list).unwrap();
        let a = StageArgs { out: None, input: None, pairs: Some(d.join("pairs")) };
        assert_eq!(run(&a).unwrap(), 0);
        assert_eq!(std::fs::read_to_string(d.join("out/res/sub2/r5.txt")).unwrap(), "resource 5\n");
        let mtime = |i: usize| std::fs::metadata(d.join(format!("out/res/sub{}/r{i}.txt", i % 3))).unwrap().modified();
        let before: Vec<_> = (0..20).map(|i| mtime(i).unwrap()).collect();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(d.join("r7.txt"), "edited\n").unwrap();
        assert_eq!(run(&a).unwrap(), 0);
        let rewritten: Vec<usize> = (0..20).filter(|&i| mtime(i).unwrap() != before[i]).collect();
        assert_eq!(rewritten, vec![7], "only the edited file is written again");
        assert_eq!(std::fs::read_to_string(d.join("out/res/sub1/r7.txt")).unwrap(), "edited\n");
        std::fs::remove_file(d.join("r3.txt")).unwrap();
        assert_eq!(run(&a).unwrap(), 1, "a source gone fails the edge");
        std::fs::write(d.join("bad"), "no tab here\n").unwrap();
        assert_eq!(run(&StageArgs { out: None, input: None, pairs: Some(d.join("bad")) }).unwrap(), 1);
    }
}
