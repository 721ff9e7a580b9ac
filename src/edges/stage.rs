//! `ninjabind edge stage`: copies a binding's resource or shader output beside the program, writing only when the
//! bytes differ and keeping the file's permission bits.

use anyhow::{Context, Result};
use camino::Utf8PathBuf;

#[derive(clap::Args, Debug)]
pub struct StageArgs {
    #[arg(long)]
    pub out: Utf8PathBuf,
    /// The file the binding ships.
    pub input: Utf8PathBuf,
}

pub fn run(a: &StageArgs) -> Result<i32> {
    super::fail_at(a.input.as_str(), stage(a).map(|_| 0))
}

fn stage(a: &StageArgs) -> Result<()> {
    super::copy_if_changed(&a.input, &a.out)?;
    let mode = std::fs::metadata(&a.input).with_context(|| format!("cannot read {}", a.input))?.permissions();
    std::fs::set_permissions(&a.out, mode).with_context(|| format!("cannot set the permissions of {}", a.out))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn copies_bytes_and_permissions_and_leaves_an_unchanged_copy_alone() {
        let dir = tempfile::tempdir().unwrap();
        let d = Utf8PathBuf::from_path_buf(dir.path().to_owned()).unwrap();
        std::fs::write(d.join("tool.sh"), b"#!/bin/sh\necho hi\n").unwrap();
        std::fs::set_permissions(d.join("tool.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let a = StageArgs { out: d.join("out/deep/tool.sh"), input: d.join("tool.sh") };
        assert_eq!(run(&a).unwrap(), 0);
        assert_eq!(std::fs::read(&a.out).unwrap(), b"#!/bin/sh\necho hi\n");
        assert_eq!(std::fs::metadata(&a.out).unwrap().permissions().mode() & 0o777, 0o755);
        let before = std::fs::metadata(&a.out).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(run(&a).unwrap(), 0);
        assert_eq!(
            std::fs::metadata(&a.out).unwrap().modified().unwrap(),
            before,
            "an unchanged copy is not rewritten"
        );
        let missing = StageArgs { out: d.join("x"), input: d.join("nope") };
        assert_eq!(run(&missing).unwrap(), 1);
    }
}
