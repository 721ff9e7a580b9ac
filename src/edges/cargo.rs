//! `ninjabind edge cargo`: runs `cargo rustc` for one binding, then copies its archive and native-libs list only when their bytes changed.

use crate::base::layout;
use crate::base::write;
use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

#[derive(clap::Args, Debug)]
pub struct CargoArgs {
    #[arg(long)]
    pub manifest_path: Utf8PathBuf,
    #[arg(long)]
    pub lib: String,
    #[arg(long)]
    pub target: String,
    #[arg(long)]
    pub target_dir: Utf8PathBuf,
    #[arg(long)]
    pub out: Utf8PathBuf,
    #[arg(long)]
    pub nsl: Utf8PathBuf,
    #[arg(long)]
    pub features: Option<String>,
    /// perry.toml's `default-features = false` for this binding.
    #[arg(long)]
    pub no_default_features: bool,
    #[arg(long)]
    pub offline: bool,
    #[arg(long)]
    pub rustc_wrapper: Option<String>,
    /// The cargo recorded at gen time (`CARGO`), else `cargo`.
    #[arg(long)]
    pub cargo: Option<String>,
}

/// Failures after cargo's own (a missing list, a failed copy, the probe) are printed at the crate's Cargo.toml.
pub fn run(a: &CargoArgs) -> Result<i32> {
    super::fail_at(a.manifest_path.as_str(), build(a))
}

fn build(a: &CargoArgs) -> Result<i32> {
    let cwd = layout::current_dir()?;
    let release = a.target_dir.join(&a.target).join("release");
    let built = release.join(format!("lib{}.a", a.lib));
    let nsl_tmp = cwd.join(release.join(format!("lib{}.nsl", a.lib)));
    if a.rustc_wrapper.is_none() {
        let status = cargo(a, &cwd, "staticlib", Some(&nsl_tmp))?;
        if !status.success() {
            return Ok(status.code().unwrap_or(1));
        }
    } else {
        // A caching wrapper (sccache) calls any rustc line with `--print` "not a compilation" and never caches it:
        // the archive and an rlib are built without it, each cacheable, and a probe crate linking the rlib
        // prints the list (the rlib's metadata holds every native library of the crate and its dependencies).
        // Two runs rather than `--crate-type staticlib,rlib`: with an rlib beside it cargo drops `-C lto`.
        for kind in ["staticlib", "rlib"] {
            let status = cargo(a, &cwd, kind, None)?;
            if !status.success() {
                return Ok(status.code().unwrap_or(1));
            }
        }
        probe_native_libs(a, &release, &nsl_tmp)?;
    }
    if !nsl_tmp.is_file() {
        bail!(
            "rustc did not write {nsl_tmp} (its build was fresh but the list is gone); remove {} and build again",
            a.target_dir
        );
    }
    super::copy_if_changed(&built, &a.out)?;
    super::copy_if_changed(&nsl_tmp, &a.nsl)?;
    Ok(0)
}

/// `cargo rustc --release --lib --crate-type KIND …`, with `--print=native-static-libs=FILE` when `print` is given.
fn cargo(a: &CargoArgs, cwd: &Utf8Path, kind: &str, print: Option<&Utf8Path>) -> Result<std::process::ExitStatus> {
    let program = a.cargo.as_deref().unwrap_or("cargo");
    let mut cmd = std::process::Command::new(program);
    cmd.args(["rustc", "--release", "--lib", "--crate-type", kind, "--manifest-path"])
        .arg(&a.manifest_path)
        .args(["--target", &a.target]);
    if let Some(f) = &a.features {
        cmd.args(["--features", f]);
    }
    if a.no_default_features {
        cmd.arg("--no-default-features");
    }
    if a.offline {
        cmd.arg("--offline");
    }
    if let Some(file) = print {
        cmd.arg("--").arg(format!("--print=native-static-libs={file}"));
    }
    cmd.env("CARGO_TARGET_DIR", &a.target_dir).env("CARGO_BUILD_DEP_INFO_BASEDIR", cwd);
    if let Some(w) = &a.rustc_wrapper {
        cmd.env("RUSTC_WRAPPER", w);
    }
    let mut child =
        cmd.stderr(std::process::Stdio::piped()).spawn().with_context(|| format!("cannot run {program}"))?;
    // what cargo says, passed on as it comes, but rustc's note about the list we asked for (printed on every build)
    // and with its ` --> src/lib.rs:8:1` made relative to the folder ninja runs in, where an editor opens it
    let crate_dir = a.manifest_path.parent().map(|d| d.to_owned()).unwrap_or_default();
    if let Some(err) = child.stderr.take() {
        use std::io::BufRead;
        let mut skip_blank = false;
        for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
            if line.starts_with("note: native artifacts to link against have been written to") {
                skip_blank = true;
                continue;
            }
            if std::mem::take(&mut skip_blank) && line.is_empty() {
                continue;
            }
            eprintln!("{}", relative_location(&line, &crate_dir));
        }
    }
    child.wait().with_context(|| format!("cannot run {program}"))
}

/// A rustc location line (`  --> src/lib.rs:8:1`) with its crate-relative path put under `crate_dir`; any other
/// line as it is.
fn relative_location(line: &str, crate_dir: &Utf8Path) -> String {
    let Some((indent, rest)) = line.split_once("--> ") else { return line.to_string() };
    if !indent.trim().is_empty() || rest.starts_with('/') || crate_dir.as_str().is_empty() || crate_dir == "." {
        return line.to_string();
    }
    format!("{indent}--> {}", crate_dir.join(rest))
}

/// Links a one-line crate against the binding's rlib into a scratch archive only to have rustc print the native
/// libraries a static archive of the binding needs. `-C panic=abort` links whichever strategy the profile chose.
fn probe_native_libs(a: &CargoArgs, release: &Utf8Path, nsl: &Utf8Path) -> Result<()> {
    let dir = release.join("ninjabind-probe");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {dir}"))?;
    let source = dir.join(format!("{}.rs", a.lib));
    write::write_if_changed(&source, format!("extern crate {};\n", a.lib).as_bytes())?;
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let mut cmd = std::process::Command::new(&rustc);
    cmd.args(["--crate-type", "staticlib", "--crate-name", "ninjabind_probe", "-C", "panic=abort", "--target"])
        .arg(&a.target)
        .arg(format!("-Ldependency={release}/deps"))
        .arg(format!("--extern={}={release}/lib{}.rlib", a.lib, a.lib))
        .arg(format!("--emit=link={dir}/lib{}-probe.a", a.lib))
        .arg(format!("--print=native-static-libs={nsl}"))
        .args(std::env::var("RUSTFLAGS").unwrap_or_default().split_whitespace())
        .arg(&source);
    let out = cmd.output().with_context(|| format!("cannot run {rustc}"))?;
    if !out.status.success() {
        bail!(
            "the probe for {}'s native libraries failed:\n{}",
            a.lib,
            String::from_utf8_lossy(&out.stderr).trim_end()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustc_locations_are_made_relative_to_ninjas_folder() {
        let dir = Utf8Path::new("node_modules/rsq");
        assert_eq!(relative_location("  --> src/lib.rs:8:1", dir), "  --> node_modules/rsq/src/lib.rs:8:1");
        assert_eq!(relative_location("   --> /abs/x.rs:1:1", dir), "   --> /abs/x.rs:1:1");
        assert_eq!(relative_location("error: x --> y", dir), "error: x --> y");
        assert_eq!(relative_location("  --> src/lib.rs:8:1", Utf8Path::new(".")), "  --> src/lib.rs:8:1");
    }
}
