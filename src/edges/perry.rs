//! `ninjabind edge perry`: runs `perry compile --no-link`, then learns what it compiled from Perry's own record —
//! the modules (a depfile, so ninja re-runs it when one changes) and the objects it wrote (the list the link reads).

use crate::base::diag::Span;
use crate::base::escape::rsp_word;
use crate::base::files::read_regular;
use crate::base::layout;
use crate::base::write::write_cache;
use crate::edges::nm_memo;
use crate::protocol::depfile;
use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

#[derive(clap::Args, Debug)]
pub struct PerryArgs {
    /// Where the objects the link reads are kept between runs.
    #[arg(long)]
    pub objects: Utf8PathBuf,
    /// The folder the command's `-o` points into: emptied before it runs, its objects moved to `--objects` after.
    #[arg(long)]
    pub next: Utf8PathBuf,
    /// The list of objects written (a response file, one object per line): the link reads it.
    #[arg(long)]
    pub list: Utf8PathBuf,
    #[arg(long)]
    pub depfile: Utf8PathBuf,
    /// Perry's record of the modules it compiled (`<cache-dir>/audit.json`).
    #[arg(long)]
    pub audit: Utf8PathBuf,
    /// The project folder: modules inside it are named relative to the folder ninja runs in.
    #[arg(long)]
    pub project: Utf8PathBuf,
    /// What the compiler says of itself, for messages.
    #[arg(long)]
    pub compiler: String,
    #[arg(last = true, required = true)]
    pub command: Vec<String>,
}

/// The source of every module an `audit.json` (format 1) records.
pub fn audited_modules(text: &[u8], audit: &Utf8Path, compiler: &str) -> Result<Vec<Utf8PathBuf>> {
    let unknown = || {
        format!("{audit} is not the record of compiled modules this ninjabind reads (audit.json format 1, as {compiler} writes it): a newer compiler may have changed it")
    };
    let doc: serde_json::Value = serde_json::from_slice(text).with_context(unknown)?;
    if doc.get("version").and_then(|v| v.as_u64()) != Some(1) {
        bail!("{}", unknown());
    }
    let Some(modules) = doc.get("modules").and_then(|m| m.as_array()) else { bail!("{}", unknown()) };
    let mut sources = Vec::with_capacity(modules.len());
    for m in modules {
        let Some(source) = m.get("source").and_then(|s| s.as_str()) else { bail!("{}", unknown()) };
        sources.push(Utf8PathBuf::from(source));
    }
    sources.sort();
    sources.dedup();
    Ok(sources)
}

/// The `.o` files directly in `dir`, sorted by name.
fn objects_in(dir: &Utf8Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in dir.read_dir_utf8().with_context(|| format!("cannot list {dir}"))? {
        let entry = entry.with_context(|| format!("cannot list {dir}"))?;
        if entry.file_type().is_ok_and(|t| t.is_file()) && entry.file_name().ends_with(".o") {
            names.push(entry.file_name().to_string());
        }
    }
    names.sort();
    Ok(names)
}

/// Every file directly in `dir` removed (it is the edge's own scratch folder), the folder made when missing.
fn empty_folder(dir: &Utf8Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {dir}"))?;
    for entry in dir.read_dir_utf8().with_context(|| format!("cannot list {dir}"))? {
        let path = entry.with_context(|| format!("cannot list {dir}"))?.into_path();
        if !path.is_dir() {
            std::fs::remove_file(&path).with_context(|| format!("cannot remove {path}"))?;
        }
    }
    Ok(())
}

/// A module as the depfile names it: relative to the folder ninja runs in when it is inside the project (so a
/// build folder restored at another path still matches), else absolute.
fn dep_path(source: &Utf8Path, project: &Utf8Path, cwd: &Utf8Path) -> String {
    if source.starts_with(project) {
        layout::relative(cwd, source).to_string()
    } else {
        source.to_string()
    }
}

/// Perry's `Failed to parse /abs/m.ts: Parse error: Error { error: (105..106, TS1109) }` as `m.ts:4:11: error: …`
/// (the path from the folder ninja runs in, line and column from the byte offset), for problem matchers.
fn parse_error_location(line: &str, cwd: &Utf8Path) -> Option<String> {
    let rest = line.split_once("Failed to parse ")?.1;
    let (path, err) = rest.split_once(": Parse error: ")?;
    let inner = err.split_once("error: (")?.1;
    let (range, code) = inner.split_once(", ")?;
    // swc's byte positions, which Perry prints, count from 1 (0.5.1520: a `;` at byte 104 is reported as 105..106)
    let start: usize = range.split_once("..")?.0.trim().parse::<usize>().ok()?.saturating_sub(1);
    let code = code.split(')').next()?.trim();
    let path = Utf8Path::new(path);
    let text = std::fs::read_to_string(path).ok()?;
    let at = Span::at_offset(path, &text, start, 1);
    let shown = if path.starts_with(cwd) { layout::relative(cwd, path) } else { path.to_owned() };
    Some(format!("{shown}:{}:{}: error: Perry cannot parse this module ({code})", at.line, at.column))
}

pub fn run(a: &PerryArgs) -> Result<i32> {
    super::fail_at(a.list.as_str(), compile(a))
}

fn compile(a: &PerryArgs) -> Result<i32> {
    empty_folder(&a.next)?;
    // a record left by an earlier run must not pass for this one's
    let _ = std::fs::remove_file(&a.audit);
    // Perry's `nm` is the memo (nm_memo.rs): its runtime archives' symbols are read once, not at every edit
    let memo = nm_memo::install(&a.objects.parent().unwrap_or(Utf8Path::new(".")).join("nm-memo")).unwrap_or_default();
    let out = std::process::Command::new(&a.command[0])
        .args(&a.command[1..])
        .envs(memo)
        .output()
        .with_context(|| format!("cannot run {}", a.command[0]))?;
    let said = |all: bool| {
        // on success only what Perry warns about reaches ninja's output: its progress lines are noise there
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        for line in text.lines().filter(|l| all || l.to_ascii_lowercase().contains("warning")) {
            eprintln!("{line}");
        }
    };
    let cwd = layout::current_dir()?;
    if !out.status.success() {
        // the objects of the last good run stay where the link reads them; a parse error Perry gives as byte
        // offsets is said first in the shape editors jump to
        let text = String::from_utf8_lossy(&out.stderr);
        for line in text.lines().filter_map(|l| parse_error_location(l, &cwd)) {
            eprintln!("{line}");
        }
        said(true);
        return Ok(out.status.code().unwrap_or(1));
    }
    said(false);
    let record = read_regular(&a.audit, 256 << 20).with_context(|| {
        format!("{} wrote no record of the modules it compiled ({}); this edge reads the audit.json Perry 0.5.1520 writes into its cache folder", a.compiler, a.audit)
    })?;
    let modules = audited_modules(&record, &a.audit, &a.compiler)?;
    let names = objects_in(&a.next)?;
    if names.is_empty() {
        bail!("{} wrote no object into {}", a.compiler, a.next);
    }
    std::fs::create_dir_all(&a.objects).with_context(|| format!("cannot create {}", a.objects))?;
    for stale in objects_in(&a.objects)?.into_iter().filter(|n| !names.contains(n)) {
        let p = a.objects.join(stale);
        std::fs::remove_file(&p).with_context(|| format!("cannot remove {p}"))?;
    }
    let mut list = String::new();
    for n in &names {
        let to = a.objects.join(n);
        std::fs::rename(a.next.join(n), &to).with_context(|| format!("cannot move {n} into {}", a.objects))?;
        list.push_str(&rsp_word(to.as_str()));
        list.push('\n');
    }
    let project = layout::canonical(&cwd.join(&a.project))?;
    let deps: Vec<String> = modules.iter().map(|m| dep_path(m, &project, &cwd)).collect();
    write_cache(&a.depfile, depfile::render(a.list.as_str(), &deps).as_bytes())?;
    // rewritten even when the same: the gate keeps its old mtime only when every object it names is unchanged
    std::fs::write(&a.list, list).with_context(|| format!("cannot write {}", a.list))?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_perrys_record_and_names_what_it_does_not_know() {
        let audit = Utf8Path::new("build/host/perry-cache/audit.json");
        let text = br#"{"version":1,"modules":[{"source":"/p/src/main.ts","package":null,"stdlib":{}},
            {"source":"/p/node_modules/x/index.js","package":"x","stdlib":{"fs":["readFileSync"]}}]}"#;
        let m = audited_modules(text, audit, "perry 0.5.1520").unwrap();
        assert_eq!(m, [Utf8PathBuf::from("/p/node_modules/x/index.js"), "/p/src/main.ts".into()]);
        for bad in [
            &br#"{"version":2,"modules":[]}"#[..],
            br#"{"version":1}"#,
            b"not json",
            br#"{"version":1,"modules":[{}]}"#,
        ] {
            let e = format!("{:#}", audited_modules(bad, audit, "perry 9.9").unwrap_err());
            assert!(
                e.contains("build/host/perry-cache/audit.json is not the record") && e.contains("perry 9.9"),
                "{e}"
            );
        }
    }

    #[test]
    fn perrys_parse_errors_get_a_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8PathBuf::from_path_buf(dir.path().to_owned()).unwrap();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("src/m.ts"), "const a = 1;\nconst x = ;\n").unwrap();
        let line = format!("Error: Failed to parse {root}/src/m.ts: Parse error: Error {{ error: (24..25, TS1109) }}");
        assert_eq!(
            parse_error_location(&line, &root).as_deref(),
            Some("src/m.ts:2:11: error: Perry cannot parse this module (TS1109)")
        );
        assert_eq!(parse_error_location("Error: something else", &root), None);
    }

    #[test]
    fn modules_inside_the_project_are_relative_to_ninjas_folder() {
        let (project, cwd) = (Utf8Path::new("/w/app"), Utf8Path::new("/w/out"));
        assert_eq!(dep_path("/w/app/src/main.ts".into(), project, cwd), "../app/src/main.ts");
        assert_eq!(dep_path("/w/pkgs/rsq/src/index.ts".into(), project, cwd), "/w/pkgs/rsq/src/index.ts");
        assert_eq!(dep_path("/w/app/src/a.ts".into(), project, project), "src/a.ts");
    }
}
