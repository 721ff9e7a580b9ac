//! `ninjabind edge cargo`: runs `cargo rustc` for one binding, then copies its archive and native-libs list only when their bytes changed.

use anyhow::{bail, Context, Result};
use camino::Utf8PathBuf;

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
    #[arg(long)]
    pub offline: bool,
    #[arg(long)]
    pub rustc_wrapper: Option<String>,
    /// The cargo recorded at gen time (`CARGO`), else `cargo`.
    #[arg(long)]
    pub cargo: Option<String>,
}

pub fn run(a: &CargoArgs) -> Result<i32> {
    let cwd = crate::layout::current_dir()?;
    let release = a.target_dir.join(&a.target).join("release");
    let built = release.join(format!("lib{}.a", a.lib));
    let nsl_tmp = release.join(format!("lib{}.nsl", a.lib));
    let cargo = a.cargo.clone().unwrap_or_else(|| "cargo".to_string());
    let mut cmd = std::process::Command::new(&cargo);
    cmd.args(["rustc", "--release", "--lib", "--crate-type", "staticlib", "--manifest-path"])
        .arg(&a.manifest_path)
        .args(["--target", &a.target]);
    if let Some(f) = &a.features {
        cmd.args(["--features", f]);
    }
    if a.offline {
        cmd.arg("--offline");
    }
    cmd.arg("--").arg(format!("--print=native-static-libs={}", cwd.join(&nsl_tmp)));
    cmd.env("CARGO_TARGET_DIR", &a.target_dir).env("CARGO_BUILD_DEP_INFO_BASEDIR", &cwd);
    if let Some(w) = &a.rustc_wrapper {
        cmd.env("RUSTC_WRAPPER", w);
    }
    let status = cmd.status().with_context(|| format!("cannot run {cargo}"))?;
    if !status.success() {
        return Ok(status.code().unwrap_or(1));
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
