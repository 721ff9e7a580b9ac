//! Stage 2, resolve: from the root manifest to every package in scope.

pub mod imports;
pub mod vex;

use crate::layout::Layout;
use crate::load::{vex_json, LoadCtx};
use crate::model::{Origin, Package};
use crate::report::diagnostic::Diagnostic;
use anyhow::Result;
use camino::Utf8PathBuf;

pub struct Resolved {
    /// The root package first.
    pub packages: Vec<Package>,
    /// Every manifest read, for the regeneration edge.
    pub manifests: Vec<Utf8PathBuf>,
}

pub fn resolve(ctx: &mut LoadCtx, layout: &Layout) -> Result<Resolved> {
    let vex = layout.project.join("vex.json");
    if !vex.is_file() {
        return Err(Diagnostic::error(format!(
            "no vex.json or package.json in {}",
            layout.display(&layout.project)
        ))
        .with_help("run ninjabind in a project folder, or point at one with -C DIR")
        .into_err());
    }
    let root = vex_json::load(ctx, &vex, &layout.display(&vex), Origin::Root)?;
    let mut packages = vec![root.clone()];
    vex::add_dependencies(ctx, layout, &root, &mut packages)?;
    let manifests = packages.iter().map(|p| p.manifest.clone()).collect();
    Ok(Resolved {
        packages,
        manifests,
    })
}
