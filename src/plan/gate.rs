//! Wraps every edge but regen, scan and phony in the hash gate, with a content key over everything that shapes its output.

use super::{Command, Plan, RuleKind};
use crate::edges::gate::{hex, FORMAT};
use anyhow::Result;
use camino::Utf8PathBuf;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// What a tool says of itself (`cc --version`, `rustc -vV`): part of the key, so a new compiler rebuilds.
fn identity(argv0: &str, flag: &str) -> String {
    std::process::Command::new(argv0)
        .arg(flag)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_else(|_| format!("{argv0}: unavailable"))
}

pub fn wrap(p: &mut Plan, exe: &str, cc: &str, cxx: &str, rustc: &str) -> Result<()> {
    let mut identities: BTreeMap<RuleKind, String> = BTreeMap::new();
    for e in &mut p.edges {
        if !matches!(
            e.rule,
            RuleKind::Cc
                | RuleKind::Cxx
                | RuleKind::Cargo
                | RuleKind::Symdiff
                | RuleKind::Symcheck
                | RuleKind::NativeLibs
                | RuleKind::Link
        ) {
            continue;
        }
        let Some(inner) = e.command.take() else { continue };
        let id = identities
            .entry(e.rule)
            .or_insert_with(|| match e.rule {
                RuleKind::Cc | RuleKind::Link => identity(cc, "--version"),
                RuleKind::Cxx => identity(cxx, "--version"),
                RuleKind::Cargo => identity(rustc, "-vV"),
                _ => String::new(),
            })
            .clone();
        let mut h = Sha256::new();
        h.update(format!("ninjabind-gate {FORMAT}\0{}\0", e.rule.name()));
        for (k, v) in &inner.env {
            h.update(format!("env {k}={v}\0"));
        }
        for (i, a) in inner.argv.iter().enumerate() {
            if !e.unkeyed.contains(&i) {
                h.update(format!("arg {a}\0"));
            }
        }
        for (k, v) in &e.vars {
            if *k == "rspfile_content" {
                h.update(format!("rsp {v}\0"));
            }
        }
        h.update(format!("tool {id}"));
        let key = hex(&h.finalize());
        let record = Utf8PathBuf::from(format!("{}.nbh", e.outputs[0]));
        let mut argv = vec![
            exe.to_string(),
            "edge".into(),
            "gate".into(),
            "--key".into(),
            key.clone(),
            "--record".into(),
            record.to_string(),
        ];
        if let Some((_, d)) = e.vars.iter().find(|(k, _)| *k == "depfile") {
            argv.extend(["--depfile".into(), d.clone()]);
        }
        if let Some(d) = &e.products {
            argv.extend(["--products".into(), d.to_string()]);
        }
        for i in e.inputs.iter().chain(&e.implicit_inputs) {
            argv.extend(["--in".into(), i.to_string()]);
        }
        for o in e.outputs.iter().chain(&e.implicit_outputs) {
            argv.extend(["--out".into(), o.to_string()]);
        }
        argv.push("--".into());
        argv.extend(inner.argv);
        e.command = Some(Command { env: inner.env, argv });
        e.key = Some(key);
    }
    Ok(())
}
