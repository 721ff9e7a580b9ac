//! `ninjabind edge unzstd`: unpacks a zstd-compressed archive the Perry compiler ships (`lib/libperry_runtime.a.zst`).

use crate::base::files::open_regular;
use crate::base::write::write_if_changed;
use anyhow::{Context, Result};
use camino::Utf8PathBuf;
use std::io::Read;

#[derive(clap::Args, Debug)]
pub struct UnzstdArgs {
    #[arg(long)]
    pub out: Utf8PathBuf,
    /// The compressed file.
    pub input: Utf8PathBuf,
}

/// The whole decompressed content of `input`; a file that is not zstd, or is cut short, is an error naming it.
pub fn unpack(input: &Utf8PathBuf) -> Result<Vec<u8>> {
    let file = open_regular(input).with_context(|| format!("cannot read {input}"))?;
    let mut out = Vec::new();
    zstd::stream::read::Decoder::new(file)
        .and_then(|mut d| d.read_to_end(&mut out))
        .with_context(|| format!("{input} is not a complete zstd file"))?;
    Ok(out)
}

pub fn run(a: &UnzstdArgs) -> Result<i32> {
    super::fail_at(a.input.as_str(), unpack(&a.input).and_then(|bytes| write_if_changed(&a.out, &bytes)).map(|_| 0))
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
        assert_eq!(unpack(&d.join("a.zst")).unwrap(), body);
        std::fs::write(d.join("cut.zst"), &packed[..packed.len() / 2]).unwrap();
        let e = format!("{:#}", unpack(&d.join("cut.zst")).unwrap_err());
        assert!(e.contains("cut.zst is not a complete zstd file"), "{e}");
        std::fs::write(d.join("text.zst"), b"!<arch>\nnot compressed").unwrap();
        let e = format!("{:#}", unpack(&d.join("text.zst")).unwrap_err());
        assert!(e.contains("text.zst is not a complete zstd file"), "{e}");
    }
}
