//! Whether diagnostics are coloured: `--color auto|always|never`, then `NO_COLOR`, `CLICOLOR_FORCE`, then a terminal.

use std::io::IsTerminal;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE colours a pipe too.
    #[default]
    Auto,
    Always,
    Never,
}

/// The flag wins; then `NO_COLOR` (set and not empty) turns colour off, `CLICOLOR_FORCE` (set and not `0`) on;
/// else colour only when stderr is a terminal other than `TERM=dumb`.
pub fn stderr_colored(choice: ColorChoice) -> bool {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if var("NO_COLOR").is_some() => false,
        ColorChoice::Auto if var("CLICOLOR_FORCE").is_some_and(|v| v != "0") => true,
        ColorChoice::Auto => std::io::stderr().is_terminal() && var("TERM").is_none_or(|t| t != "dumb"),
    }
}
