//! HAVE_* gates as explain shows them: read on demand from the sources (gen never reads them; each compile edge
//! decides its own at build time, SPEC §5) and, after a build, what each compile decided (its gate record).

use crate::base::files::read_regular_text;
use crate::lex::have;
use crate::pipeline::Generated;
use crate::plan::compile::is_cxx;
use crate::plan::gate::record_of;
use crate::plan::RuleKind;
use crate::protocol::gate::Record;
use camino::{Utf8Path, Utf8PathBuf};
use std::collections::HashMap;

/// What the last build's compile edge decided for a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decided {
    Compiled,
    /// Gated out, lacking these macros.
    GatedOut(Vec<String>),
}

/// A source's gate: what its guard needs that its flags lack now (empty: it compiles), and what the last build did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GateView {
    pub missing: Vec<String>,
    /// An unreadable source: the compile edge will fail naming it.
    pub unreadable: bool,
    pub last_build: Option<Decided>,
}

/// Every selected source's gate, by its absolute path.
pub fn views(g: &Generated) -> HashMap<Utf8PathBuf, GateView> {
    let l = &g.settings.layout;
    // each compile edge's gate record, by its source as build.ninja names it
    let records: HashMap<&Utf8Path, Utf8PathBuf> = g
        .plan
        .edges
        .iter()
        .filter(|e| matches!(e.rule, RuleKind::Cc | RuleKind::Cxx))
        .filter_map(|e| Some((e.inputs.first()?.as_path(), record_of(e))))
        .collect();
    let mut out = HashMap::new();
    for sp in &g.selected.packages {
        let flags = |driver: &[String]| have::defined_macros(&[driver, &sp.config.cflags[..]].concat());
        let (cc, cxx) = (flags(&g.toolchain.cc), flags(&g.toolchain.cxx));
        for src in &sp.config.sources {
            let abs = &src.path.abs;
            let defined = if is_cxx(abs) { &cxx } else { &cc };
            let (missing, unreadable) = match have::required_macros_in(abs) {
                Ok(required) => (required.into_iter().filter(|m| !defined.contains(m)).collect(), false),
                Err(_) => (vec![], true),
            };
            let rel = l.rel(abs);
            let last_build = records.get(rel.as_path()).and_then(|r| last_decision(&l.ninja_dir.join(r)));
            out.insert(abs.clone(), GateView { missing, unreadable, last_build });
        }
    }
    out
}

/// What a compile's gate record says it decided; `None` before a build.
fn last_decision(record: &Utf8Path) -> Option<Decided> {
    let text = read_regular_text(record, 64 << 20).ok()?;
    let rec = Record::parse(&text)?;
    Some(if rec.gated.is_empty() { Decided::Compiled } else { Decided::GatedOut(rec.gated) })
}
