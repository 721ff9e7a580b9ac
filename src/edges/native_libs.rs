//! `ninjabind edge native-libs`: the system libraries every Rust archive needs, one list, each kept at its last occurrence.

use crate::base::write;
use anyhow::{Context, Result};
use camino::Utf8PathBuf;

#[derive(clap::Args, Debug)]
pub struct NativeLibsArgs {
    #[arg(long)]
    pub out: Utf8PathBuf,
    /// The lists rustc wrote (`--print native-static-libs=…`), in link order.
    pub lists: Vec<Utf8PathBuf>,
}

/// Keeps the last occurrence of each word: a later archive may need a library an earlier one named.
pub fn merge(lists: &[String]) -> Vec<String> {
    let words: Vec<&str> = lists.iter().flat_map(|l| l.split_whitespace()).collect();
    let mut out: Vec<String> = Vec::new();
    for w in words.iter().rev() {
        if !out.iter().any(|o| o == w) {
            out.push(w.to_string());
        }
    }
    out.reverse();
    out
}

pub fn run(a: &NativeLibsArgs) -> Result<i32> {
    let lists: Vec<String> = a
        .lists
        .iter()
        .map(|l| std::fs::read_to_string(l).with_context(|| format!("cannot read {l}")))
        .collect::<Result<_>>()?;
    let mut text = merge(&lists).join(" ");
    text.push('\n');
    write::write_if_changed(&a.out, text.as_bytes())?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_last_occurrences_in_order() {
        let lists = ["-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc".to_string(), "-lz -lgcc_s -lm -lc".to_string()];
        assert_eq!(merge(&lists), ["-lutil", "-lrt", "-lpthread", "-ldl", "-lz", "-lgcc_s", "-lm", "-lc"]);
    }
}
