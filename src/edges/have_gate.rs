//! HAVE_* gates decided where the source is read anyway, in its compile edge (SPEC §5): the guard in the source's
//! header area against the command's own `-D`/`-U` flags; a source gated out gets a valid empty object, no compiler.

use crate::base::write::write_cache;
use crate::lex::have;
use crate::protocol::depfile;
use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use object::{Architecture, BinaryFormat, Endianness};

/// The macros the guard of `source` needs that `command` does not define; empty: compile it.
pub fn missing_macros(source: &Utf8Path, command: &[String]) -> Result<Vec<String>> {
    let required = have::required_macros_in(source).with_context(|| format!("cannot read {source}"))?;
    if required.is_empty() {
        return Ok(required);
    }
    let defined = have::defined_macros(command);
    Ok(required.into_iter().filter(|m| !defined.contains(m)).collect())
}

/// An object file with nothing in it, in the format and for the architecture of `triple`: what the link reads for
/// a source gated out, so the link's inputs stay the same whichever way a gate goes.
pub fn empty_object(triple: &str) -> Result<Vec<u8>> {
    let arch_name = triple.split('-').next().unwrap_or("");
    let (arch, endian) = match arch_name {
        "x86_64" | "amd64" => (Architecture::X86_64, Endianness::Little),
        "i386" | "i486" | "i586" | "i686" | "x86" => (Architecture::I386, Endianness::Little),
        "aarch64" | "arm64" => (Architecture::Aarch64, Endianness::Little),
        a if a.starts_with("arm") || a.starts_with("thumb") => (Architecture::Arm, Endianness::Little),
        "riscv64" | "riscv64gc" => (Architecture::Riscv64, Endianness::Little),
        "powerpc64le" => (Architecture::PowerPc64, Endianness::Little),
        "powerpc64" => (Architecture::PowerPc64, Endianness::Big),
        "s390x" => (Architecture::S390x, Endianness::Big),
        "loongarch64" => (Architecture::LoongArch64, Endianness::Little),
        _ => bail!("no empty object can be written for target {triple}: define the macro the source needs, or leave the source out of the manifest"),
    };
    let format = if triple.contains("-apple-") {
        BinaryFormat::MachO
    } else if triple.contains("-windows") {
        BinaryFormat::Coff
    } else {
        BinaryFormat::Elf
    };
    let obj = object::write::Object::new(format, arch, endian);
    obj.write().map_err(|e| anyhow::anyhow!("cannot write an empty object for {triple}: {e}"))
}

/// Writes the empty object for a gated-out source (atomically) and a depfile naming nothing, as a compiler would
/// have left one.
pub fn gate_out(output: &Utf8Path, depfile: Option<&Utf8PathBuf>, triple: &str) -> Result<()> {
    write_cache(output, &empty_object(triple)?)?;
    if let Some(d) = depfile {
        write_cache(d, depfile::render(output.as_str(), &[]).as_bytes())?;
    }
    Ok(())
}

/// `ninjabind edge have`: the gate decision without the content gate (`gen --no-gate`): a source gated out gets
/// its empty object, any other runs its compile command.
#[derive(clap::Args, Debug)]
pub struct HaveArgs {
    /// The target the empty object is written for.
    #[arg(long)]
    pub target: String,
    #[arg(long)]
    pub source: Utf8PathBuf,
    #[arg(long)]
    pub out: Utf8PathBuf,
    #[arg(long)]
    pub depfile: Option<Utf8PathBuf>,
    #[arg(last = true, required = true)]
    pub command: Vec<String>,
}

pub fn run(a: &HaveArgs) -> Result<i32> {
    super::fail_at(
        a.source.as_str(),
        (|| {
            if !missing_macros(&a.source, &a.command)?.is_empty() {
                gate_out(&a.out, a.depfile.as_ref(), &a.target)?;
                return Ok(0);
            }
            let status = std::process::Command::new(&a.command[0])
                .args(&a.command[1..])
                .status()
                .with_context(|| format!("cannot run {}", a.command[0]))?;
            Ok(status.code().unwrap_or(1))
        })(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_objects_are_objects_of_their_target() {
        let elf = empty_object("x86_64-unknown-linux-gnu").unwrap();
        assert_eq!(&elf[..4], b"\x7fELF");
        assert_eq!(elf[4], 2, "64-bit");
        assert_eq!(u16::from_le_bytes([elf[16], elf[17]]), 1, "relocatable");
        assert_eq!(u16::from_le_bytes([elf[18], elf[19]]), 62, "x86-64");
        let macho = empty_object("aarch64-apple-darwin").unwrap();
        assert_eq!(&macho[..4], &[0xcf, 0xfa, 0xed, 0xfe]);
        assert!(empty_object("wasm32-unknown-unknown").unwrap_err().to_string().contains("wasm32-unknown-unknown"));
    }

    #[test]
    fn a_guard_is_decided_by_the_commands_own_flags() {
        let dir = tempfile::tempdir().unwrap();
        let src = Utf8PathBuf::from_path_buf(dir.path().join("pg.c")).unwrap();
        std::fs::write(&src, "#ifndef HAVE_LIBPQ\n#error needs libpq\n#endif\nint f(void) { return 1; }\n").unwrap();
        let cmd = |flags: &[&str]| -> Vec<String> {
            ["cc"].iter().chain(flags).chain(&["-c", "pg.c"]).map(|s| s.to_string()).collect()
        };
        assert_eq!(missing_macros(&src, &cmd(&["-O2"])).unwrap(), ["HAVE_LIBPQ"]);
        assert!(missing_macros(&src, &cmd(&["-DHAVE_LIBPQ"])).unwrap().is_empty());
        assert!(missing_macros(&src, &cmd(&["-D", "HAVE_LIBPQ=1"])).unwrap().is_empty());
        assert_eq!(missing_macros(&src, &cmd(&["-DHAVE_LIBPQ", "-UHAVE_LIBPQ"])).unwrap(), ["HAVE_LIBPQ"]);
        let gone = Utf8PathBuf::from_path_buf(dir.path().join("gone.c")).unwrap();
        assert!(format!("{:#}", missing_macros(&gone, &cmd(&[])).unwrap_err()).contains("cannot read"));
    }
}
