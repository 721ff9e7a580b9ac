//! The tools the graph calls: the C/C++ drivers from the `cc` crate, nm, cargo, and the target triple.

use crate::base::target::{host_triple, is_apple};
use crate::options::{Lto, Settings};
use anyhow::{Context, Result};

#[derive(Debug, Clone)]
pub struct Toolchain {
    pub target: String,
    /// The C compiler and the `cc` crate's flags for this target (CFLAGS included).
    pub cc: Vec<String>,
    /// The C++ compiler and its flags (CXXFLAGS included).
    pub cxx: Vec<String>,
    pub cc_is_clang: bool,
    /// LDFLAGS, which the `cc` crate does not read.
    pub ldflags: Vec<String>,
    /// Flags for C objects and the link when LTO is on, and why.
    pub lto_flags: Vec<String>,
    pub lto_reason: String,
    /// The nm for symbol checks: `--nm`/`NM`, else the compiler's own (`gcc-nm`/`llvm-nm`) under LTO.
    pub nm: String,
    /// The nm for Rust archives: `--nm`/`NM`, else binutils `nm` (an older `llvm-nm` cannot read rustc's newer bitcode).
    pub archive_nm: String,
}

/// The C (or C++) driver and the `cc` crate's flags for `target`, and whether it is clang.
pub fn compiler(cpp: bool, target: &str, host: &str, opt_level: u8) -> Result<(Vec<String>, bool)> {
    let t = cc::Build::new()
        .cpp(cpp)
        .target(target)
        .host(host)
        .opt_level(opt_level.into())
        .debug(false)
        .cargo_metadata(false)
        .cargo_warnings(false)
        .try_get_compiler()
        .with_context(|| format!("cannot find a {} compiler for {target}", if cpp { "C++" } else { "C" }))?;
    let mut argv = vec![t.path().to_string_lossy().into_owned()];
    argv.extend(t.args().iter().map(|a| a.to_string_lossy().into_owned()));
    Ok((argv, t.is_like_clang()))
}

impl Toolchain {
    pub fn detect(s: &Settings) -> Result<Toolchain> {
        let host = host_triple();
        let target = s.target.clone().unwrap_or_else(|| host.clone());
        let (cc, cc_is_clang) = compiler(false, &target, &host, s.opt_level)?;
        let (cxx, _) = compiler(true, &target, &host, s.opt_level)?;
        let ldflags =
            s.env.get("LDFLAGS").map(|v| v.split_whitespace().map(str::to_string).collect()).unwrap_or_default();
        let (lto_flags, lto_reason) = match s.lto {
            Lto::Off => (vec![], "off".to_string()),
            Lto::Full => (vec!["-flto".to_string()], "full: -flto".to_string()),
            Lto::Thin if cc_is_clang => (vec!["-flto=thin".to_string()], "thin: clang's -flto=thin".to_string()),
            Lto::Thin => (
                vec!["-flto=auto".to_string()],
                "thin requested; gcc has no ThinLTO (it rejects -flto=thin), so gcc's parallel -flto=auto".to_string(),
            ),
        };
        let nm = match (&s.nm, s.lto) {
            (Some(nm), _) => nm.clone(),
            (None, Lto::Off) => "nm".to_string(),
            (None, _) if cc_is_clang => "llvm-nm".to_string(),
            (None, _) => "gcc-nm".to_string(),
        };
        let archive_nm = s.nm.clone().unwrap_or_else(|| "nm".to_string());
        Ok(Toolchain { target, cc, cxx, cc_is_clang, ldflags, lto_flags, lto_reason, nm, archive_nm })
    }

    pub fn is_gnu_ld(&self) -> bool {
        !is_apple(&self.target) && !self.target.contains("msvc")
    }
}
