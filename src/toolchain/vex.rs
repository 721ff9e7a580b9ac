//! The Vex compiler: found where the user said or on `PATH`, asked what it is (`--version`, whether `compile`
//! takes `--emit-llvm`) and what it links a program with (the runtime arguments it prints when it links), with the
//! stdlib it reads and the LLVM `llc` that turns its IR into an object. Nothing here predicts what it compiles.

use super::newest_llvm_tool;
use crate::base::diag::Diagnostic;
use crate::base::files::{in_scratch_dir, is_executable, on_path};
use crate::base::layout;
use crate::base::process::{output_within, probe_limit, ProbeError};
use anyhow::Result;
use camino::{Utf8Path, Utf8PathBuf};
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct Vex {
    pub exe: Utf8PathBuf,
    /// `vex --version` (`vex 0.2.0`): the same for every build of one version, so the compiler file itself is an
    /// input of the host edge (its content hash is part of what the gate checks).
    pub version: String,
    /// The folder the compiler reads as `vex-libs/std`.
    pub stdlib: Utf8PathBuf,
    /// The runtime's link arguments as the compiler prints them when it links (`-L<dir> -lvex_runtime -lpthread`).
    pub runtime_args: Vec<String>,
    /// The archive those arguments name: an input of the link, so a rebuilt runtime relinks.
    pub runtime: Option<Utf8PathBuf>,
    /// LLVM's `llc`, which turns the compiler's IR into a position-independent object.
    pub llc: Utf8PathBuf,
}

/// Where gen looked for the Vex compiler, in order, and what it found (for `explain`).
#[derive(Debug, Clone, Default)]
pub struct VexSearch {
    pub found: Option<Vex>,
    pub searched: Vec<String>,
}

/// The words of `text` between the compiler's `CLI received linker args: '` and the closing quote.
fn printed_link_args(text: &str) -> Option<Vec<String>> {
    let start = text.find("CLI received linker args: '")? + "CLI received linker args: '".len();
    let end = text[start..].find('\'')? + start;
    Some(text[start..end].split_whitespace().map(str::to_string).collect())
}

/// The archive `-L<dir> … -l<name>` names: the first `lib<name>.a` in one of the folders.
fn named_archive(args: &[String]) -> Option<Utf8PathBuf> {
    let dirs: Vec<&str> = args.iter().filter_map(|a| a.strip_prefix("-L")).collect();
    args.iter()
        .filter_map(|a| a.strip_prefix("-l"))
        .flat_map(|name| dirs.iter().map(move |d| Utf8Path::new(d).join(format!("lib{name}.a"))))
        .find(|p| p.is_file())
}

/// Compiles a one-line program in a folder of its own and reads the runtime arguments the compiler prints as it
/// links (its link may fail after that on a system whose clang makes PIE programs: only the words are wanted).
fn runtime_args(exe: &Utf8Path) -> Result<Vec<String>> {
    in_scratch_dir("vex-probe", |dir| -> Result<Vec<String>> {
        std::fs::write(dir.join("probe.vx"), "fn main(): i32 {\n    return 0;\n}\n")?;
        let mut cmd = std::process::Command::new(exe);
        cmd.args(["compile", "probe.vx", "-o", "probe"]).current_dir(dir);
        let out = output_within(&mut cmd, probe_limit())
            .map_err(|e| Diagnostic::error(format!("`{exe} compile` {e}")).into_err())?;
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        printed_link_args(&text).ok_or_else(|| {
            Diagnostic::error(format!(
                "the Vex compiler {exe} did not print the runtime's link arguments (`CLI received linker args: '…'`) while linking a one-line program"
            ))
            .with_note(text.lines().rev().take(3).collect::<Vec<_>>().join(" | "))
            .with_help("ninjabind links the program with the runtime the compiler was built with; use a compiler that names it, or leave --vex out")
            .into_err()
        })
    })?
}

/// LLVM's `llc`: `LLC`, else the newest `/usr/lib/llvm-N/bin/llc`, else `llc` on `PATH`.
fn find_llc(env: &BTreeMap<String, String>) -> Option<Utf8PathBuf> {
    if let Some(l) = env.get("LLC") {
        return Some(Utf8PathBuf::from(l));
    }
    newest_llvm_tool("llc").or_else(|| on_path("llc"))
}

/// Finds the Vex compiler: the one asked for (`--vex`, `VEX`, ninjabind.toml: an error when it is not one), else
/// `vex` on `PATH`. `stdlib` is what the user named (`--stdlib`, `VEX_STDLIB`): else the `vex-libs/std` beside the
/// compiler. Found, it must write LLVM IR, print its runtime's link arguments, and have an `llc` beside it.
pub fn find_vex(
    asked: Option<&Utf8Path>,
    stdlib: &[Utf8PathBuf],
    env: &BTreeMap<String, String>,
    display: impl Fn(&Utf8Path) -> String,
) -> Result<VexSearch> {
    let mut search = VexSearch::default();
    let candidates: Vec<Utf8PathBuf> = match asked {
        Some(p) if !is_executable(p) => {
            return Err(Diagnostic::error(format!(
                "the Vex compiler {} (from --vex, VEX or ninjabind.toml) is not an executable file",
                display(p)
            ))
            .with_help(
                "build it (its repository's `cargo build --release -p vex-cli`), or leave --vex out to search PATH",
            )
            .into_err());
        }
        Some(p) => vec![p.to_owned()],
        None => {
            let path = std::env::var("PATH").unwrap_or_default();
            path.split(':').filter(|d| !d.is_empty()).map(|d| Utf8Path::new(d).join("vex")).collect()
        }
    };
    for c in candidates {
        search.searched.push(display(&c));
        if !is_executable(&c) {
            continue;
        }
        let exe = layout::canonical(&c).unwrap_or(c);
        let version = match output_within(std::process::Command::new(&exe).arg("--version"), probe_limit()) {
            Ok(o) if o.status.success() => {
                super::printable(String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or("").trim())
            }
            Err(e @ ProbeError::TimedOut(_)) => {
                return Err(Diagnostic::error(format!("`{exe} --version` {e}")).into_err());
            }
            _ if asked.is_none() => continue,
            _ => return Err(Diagnostic::error(format!("`{exe} --version` failed: is it the Vex compiler?")).into_err()),
        };
        let help = output_within(std::process::Command::new(&exe).args(["compile", "--help"]), probe_limit())
            .map_err(|e| Diagnostic::error(format!("`{exe} compile --help` {e}")).into_err())?;
        if !String::from_utf8_lossy(&help.stdout).contains("--emit-llvm") {
            return Err(Diagnostic::error(format!(
                "the Vex compiler {exe} ({version}) has no `compile --emit-llvm`, which ninjabind builds the program from"
            ))
            .with_help("use a compiler whose `vex compile --help` lists --emit-llvm, or leave --vex out")
            .into_err());
        }
        let beside: Vec<Utf8PathBuf> = exe.ancestors().skip(1).take(2).map(|d| d.join("vex-libs/std")).collect();
        let std_dir = match stdlib.first() {
            Some(s) => s.clone(),
            None => beside.iter().find(|d| d.is_dir()).cloned().ok_or_else(|| {
                let looked: Vec<String> = beside.iter().map(|d| d.to_string()).collect();
                Diagnostic::error(format!("the Vex compiler {exe} has no stdlib beside it"))
                    .with_note(format!("looked at {}", looked.join(", ")))
                    .with_help("name it with --stdlib DIR or VEX_STDLIB")
                    .into_err()
            })?,
        };
        let runtime_args = runtime_args(&exe)?;
        let runtime = named_archive(&runtime_args);
        let llc = find_llc(env).ok_or_else(|| {
            Diagnostic::error(format!("{version} writes LLVM IR, and no LLVM `llc` was found to make it an object"))
                .with_note("looked at LLC, /usr/lib/llvm-*/bin/llc and PATH")
                .with_help("install the LLVM the compiler was built with (`apt-get install llvm-19`), or name one with LLC=PATH")
                .into_err()
        })?;
        search.found = Some(Vex { exe, version, stdlib: std_dir, runtime_args, runtime, llc });
        break;
    }
    Ok(search)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_link_arguments_and_the_archive_they_name() {
        let text = "   🔗 Linking executable...\ncargo:warning=CLI received linker args: '-L/x/out -lvex_runtime -lpthread'\nmore";
        assert_eq!(printed_link_args(text).unwrap(), ["-L/x/out", "-lvex_runtime", "-lpthread"]);
        assert!(printed_link_args("nothing here").is_none());
        let dir = tempfile::tempdir().unwrap();
        let d = Utf8Path::from_path(dir.path()).unwrap();
        std::fs::write(d.join("libvex_runtime.a"), b"!<arch>\n").unwrap();
        let args = vec![format!("-L{d}"), "-lvex_runtime".into(), "-lpthread".into()];
        assert_eq!(named_archive(&args), Some(d.join("libvex_runtime.a")));
    }
}
