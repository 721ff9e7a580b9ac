//! `ninjabind edge link`: writes the program's compiled objects into a thin archive (GNU `ar`'s `T` format: names
//! and sizes, no copies), then runs the link, which takes the archive whole (`--whole-archive`). The same objects in
//! the same order reach the linker; mold 1.10 links 21,001 of them in 5–6 s named one by one and in 0.4 s through
//! one archive, as the Linux kernel links vmlinux from thin archives. The sizes are known only once the objects are
//! built, so the archive is written here, at build time, not by gen.

use crate::base::layout;
use crate::base::write::write_cache;
use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

#[derive(clap::Args, Debug)]
pub struct LinkArgs {
    /// The thin archive written before the link runs.
    #[arg(long)]
    pub thin_archive: Utf8PathBuf,
    /// A file gen wrote naming its members, one object per line, in link order.
    #[arg(long)]
    pub members: Utf8PathBuf,
    #[arg(last = true, required = true)]
    pub command: Vec<String>,
}

/// One header of GNU `ar`'s format: name 16, date 12, uid 6, gid 6, mode 8, size 10, then "`\n".
fn header(name: &str, mode: &str, size: u64) -> String {
    format!("{name:<16}{:<12}{:<6}{:<6}{mode:<8}{size:<10}`\n", "0", "0", "0")
}

/// The bytes of a thin archive at `archive` whose members are `members` with their sizes (all paths absolute), the
/// members named relative to the archive's folder, as `ar rcTS` (deterministic, no symbol index) writes them.
pub fn thin_archive(archive: &Utf8Path, members: &[(Utf8PathBuf, u64)]) -> Vec<u8> {
    let dir = archive.parent().unwrap_or(Utf8Path::new("/"));
    let mut names = String::new();
    let mut offsets = Vec::with_capacity(members.len());
    for (m, _) in members {
        offsets.push(names.len());
        names.push_str(layout::relative(dir, m).as_str());
        names.push_str("/\n");
    }
    // the long-name table is the one member a thin archive holds, padded to an even length
    if names.len() % 2 == 1 {
        names.push('\n');
    }
    let mut out = String::from("!<thin>\n");
    out.push_str(&format!("{:<48}{:<10}`\n", "//", names.len()));
    out.push_str(&names);
    for ((_, size), at) in members.iter().zip(offsets) {
        out.push_str(&header(&format!("/{at}"), "644", *size));
    }
    out.into_bytes()
}

pub fn run(a: &LinkArgs) -> Result<i32> {
    // a member that cannot be read fails the edge at the archive, before any linker runs
    let written = super::fail_at(a.thin_archive.as_str(), write_archive(a).map(|()| 0))?;
    if written != 0 {
        return Ok(written);
    }
    let status = std::process::Command::new(&a.command[0])
        .args(&a.command[1..])
        .status()
        .with_context(|| format!("cannot run {}", a.command[0]))?;
    Ok(status.code().unwrap_or(1))
}

fn write_archive(a: &LinkArgs) -> Result<()> {
    let text = std::fs::read_to_string(&a.members).with_context(|| format!("cannot read {}", a.members))?;
    let cwd = layout::current_dir()?;
    let mut members = Vec::new();
    for m in text.lines().filter(|l| !l.is_empty()) {
        let size = std::fs::metadata(m).with_context(|| format!("cannot read {m}, an object of the link"))?.len();
        members.push((cwd.join(m), size));
    }
    write_cache(&a.thin_archive, &thin_archive(&cwd.join(&a.thin_archive), &members))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GNU ar writes the same bytes (`ar rcTS`: thin, no index; Debian's ar is deterministic by default): members in
    /// folders beside and below the archive, a short name and long ones, an odd-length name table.
    #[test]
    fn the_archive_is_the_one_gnu_ar_writes() {
        let dir = tempfile::tempdir().unwrap();
        let d = Utf8PathBuf::try_from(dir.path().to_path_buf()).unwrap();
        std::fs::create_dir_all(d.join("obj/pkg/src")).unwrap();
        std::fs::create_dir_all(d.join("bin")).unwrap();
        let names = ["obj/pkg/src/a_long_object_name.c.o", "obj/b.o", "obj/pkg/src/c.o"];
        for (i, n) in names.iter().enumerate() {
            std::fs::write(d.join(n), vec![b'x'; 100 + i * 7]).unwrap();
        }
        let ar = std::process::Command::new("ar")
            .current_dir(&d)
            .args(["rcTS", "bin/by-ar.a"])
            .args(names)
            .status()
            .unwrap();
        assert!(ar.success());
        let members: Vec<(Utf8PathBuf, u64)> =
            names.iter().map(|n| (d.join(n), std::fs::metadata(d.join(n)).unwrap().len())).collect();
        let ours = thin_archive(&d.join("bin/ours.a"), &members);
        let theirs = std::fs::read(d.join("bin/by-ar.a")).unwrap();
        assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs));
    }

    /// The edge writes the archive, then runs the link; an object that is not there fails it before the link runs.
    #[test]
    fn a_missing_object_fails_the_edge_before_the_link_runs() {
        let dir = tempfile::tempdir().unwrap();
        let d = Utf8PathBuf::try_from(dir.path().to_path_buf()).unwrap();
        std::fs::write(d.join("a.o"), b"object").unwrap();
        std::fs::write(d.join("members"), format!("{}\n", d.join("a.o"))).unwrap();
        let marker = d.join("linked");
        let args = |members: &str| LinkArgs {
            thin_archive: d.join("app.objects.a"),
            members: d.join(members),
            command: vec!["touch".into(), marker.to_string()],
        };
        assert_eq!(run(&args("members")).unwrap(), 0);
        assert!(std::fs::read(d.join("app.objects.a")).unwrap().starts_with(b"!<thin>\n"));
        assert!(marker.exists(), "the link ran");
        std::fs::remove_file(&marker).unwrap();
        std::fs::write(d.join("gone"), format!("{}\n", d.join("missing.o"))).unwrap();
        assert_eq!(run(&args("gone")).unwrap(), 1);
        assert!(!marker.exists(), "no link after a member that cannot be read");
    }
}
