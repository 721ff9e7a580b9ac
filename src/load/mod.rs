//! Stage 1, load: manifests (vex.json, package.json), the well-known table and ninjabind.toml into the model.

pub mod fields;
pub mod json;
pub mod native;
pub mod package_json;
pub mod perry_toml;
pub mod staging;
pub mod vex_json;
pub mod well_known;

use crate::base::diag;
use crate::base::diag::{Diagnostic, Diagnostics};
use anyhow::Result;

/// What loading needs besides the files: how strict to be and where warnings go.
pub struct LoadCtx<'a> {
    pub strict_manifests: bool,
    pub diags: &'a mut Diagnostics,
}

impl LoadCtx<'_> {
    /// A warning about a manifest's shape, or an error under `--strict-manifests`.
    pub fn manifest_warning(&mut self, d: Diagnostic) -> Result<()> {
        if self.strict_manifests {
            let mut d = d;
            d.level = diag::Level::Error;
            d.notes.retain(|n| !n.contains("--strict-manifests"));
            return Err(d.with_note("an error because of --strict-manifests").into_err());
        }
        self.diags.push(d);
        Ok(())
    }
}
