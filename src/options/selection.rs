//! The feature selection (SPEC §4): `enabled`, or exactly an explicit list (`--features`, `VEX_NATIVE_FEATURES`, …).

use crate::base::diag::Diagnostic;
use crate::model::Package;
use anyhow::Result;

/// A feature selection and where it came from (`--features`, `VEX_NATIVE_FEATURES`, `VEX_DB_FEATURES`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub list: Option<(Vec<String>, String)>,
    pub all: bool,
}

impl Selection {
    pub fn parse(list: Option<(&str, &str)>, all: bool) -> Selection {
        let list = list.map(|(s, from)| {
            let items = s.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
            (items, from.to_string())
        });
        Selection { list, all }
    }

    /// Fails when a listed feature is declared by no package in scope.
    pub fn check(&self, packages: &[&Package]) -> Result<()> {
        let Some((items, from)) = &self.list else {
            return Ok(());
        };
        let declared = |pkg: Option<&str>, feat: &str| {
            packages.iter().any(|p| {
                pkg.is_none_or(|n| n == p.name)
                    && p.native.as_ref().is_some_and(|n| n.features.iter().any(|f| f.name == feat))
            })
        };
        for item in items {
            let (pkg, feat) = match item.rsplit_once('/') {
                Some((p, f)) => (Some(p), f),
                None => (None, item.as_str()),
            };
            if !declared(pkg, feat) {
                let available: Vec<String> = packages
                    .iter()
                    .flat_map(|p| {
                        p.native.iter().flat_map(|n| n.features.iter().map(|f| format!("{}/{}", p.name, f.name)))
                    })
                    .collect();
                let available = if available.is_empty() { "none".to_string() } else { available.join(", ") };
                return Err(Diagnostic::error(format!(
                    "feature `{item}` (from {from}) is not declared by any package"
                ))
                .with_note(format!("available features: {available}"))
                .into_err());
            }
        }
        Ok(())
    }

    /// Whether `feature` of `package` is active, and why, for explain.
    pub fn is_active(&self, package: &str, feature: &str, enabled: bool) -> (bool, String) {
        if let Some((items, from)) = &self.list {
            let hit = items
                .iter()
                .any(|i| i == feature || i.rsplit_once('/').is_some_and(|(p, f)| p == package && f == feature));
            let why =
                if hit { format!("selected by {from}") } else { format!("not listed in {from} (enabled is ignored)") };
            return (hit, why);
        }
        if self.all {
            return (true, "--all-features".to_string());
        }
        if enabled {
            (true, "enabled in the manifest".to_string())
        } else {
            (false, "not enabled".to_string())
        }
    }
}
