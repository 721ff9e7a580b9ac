//! `ninjabind edge unzstd`: unpacks a zstd-compressed archive the Perry compiler ships (`lib/libperry_runtime.a.zst`).

use crate::base::files::open_regular;
use crate::base::write::write_output;
use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use std::io::Read;

#[derive(clap::Args, Debug)]
pub struct UnzstdArgs {
    #[arg(long)]
    pub out: Utf8PathBuf,
    /// The compressed file.
    pub input: Utf8PathBuf,
}

/// Streams the decompressed content of `input` into `out` (`write_output`: left as it was when it already holds those
/// bytes) and returns whether `out` changed. A file that is not zstd, or is cut short, is an error naming it.
/// Streamed, not held: Perry's stdlib archive is 125 MB unpacked; held whole and fsynced, its edge took 0.42-0.45 s
/// and 272 MB, streamed 0.18-0.20 s and 14 MB.
pub fn unpack_to(input: &Utf8Path, out: &Utf8Path) -> Result<bool> {
    let file = open_regular(input).with_context(|| format!("cannot read {input}"))?;
    let mut bad_input = None;
    let written = write_output(out, |w| {
        let mut d = zstd::stream::read::Decoder::new(file).inspect_err(|e| bad_input = Some(e.to_string()))?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = d.read(&mut buf).inspect_err(|e| bad_input = Some(e.to_string()))?;
            if n == 0 {
                return Ok(());
            }
            w.write_all(&buf[..n])?;
        }
    });
    match bad_input {
        Some(e) => anyhow::bail!("{input} is not a complete zstd file: {e}"),
        None => written,
    }
}

pub fn run(a: &UnzstdArgs) -> Result<i32> {
    super::fail_at(a.input.as_str(), unpack_to(&a.input, &a.out).map(|_| 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpacks_and_names_what_is_not_zstd_or_cut_short() {
        let dir = tempfile::tempdir().unwrap();
        let d = Utf8PathBuf::from_path_buf(dir.path().to_owned()).unwrap();
        let body: Vec<u8> = (0..200_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        let packed = zstd::stream::encode_all(&body[..], 3).unwrap();
        std::fs::write(d.join("a.zst"), &packed).unwrap();
        let out = d.join("a.a");
        assert!(unpack_to(&d.join("a.zst"), &out).unwrap());
        assert_eq!(std::fs::read(&out).unwrap(), body);
        // the same bytes again: the file is left as it was (restat)
        let before = std::fs::metadata(&out).unwrap().modified().unwrap();
        assert!(!unpack_to(&d.join("a.zst"), &out).unwrap());
        assert_eq!(std::fs::metadata(&out).unwrap().modified().unwrap(), before);
        // a bad input leaves the previous output and no temp file beside it
        std::fs::write(d.join("cut.zst"), &packed[..packed.len() / 2]).unwrap();
        let e = format!("{:#}", unpack_to(&d.join("cut.zst"), &out).unwrap_err());
        assert!(e.contains("cut.zst is not a complete zstd file"), "{e}");
        std::fs::write(d.join("text.zst"), b"!<arch>\nnot compressed").unwrap();
        let e = format!("{:#}", unpack_to(&d.join("text.zst"), &out).unwrap_err());
        assert!(e.contains("text.zst is not a complete zstd file"), "{e}");
        assert_eq!(std::fs::read(&out).unwrap(), body);
        let names: Vec<_> = std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 4, "{names:?}");
    }
}
