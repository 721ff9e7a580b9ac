//! The `ninjabind` command line: parses arguments, calls the library, prints diagnostics, sets the exit code.

use clap::{Parser, Subcommand};
use ninjabind::options::GenArgs;
use ninjabind::report::diagnostic::{Diagnostic, Diagnostics};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "ninjabind",
    version,
    about = "Turns a project's native bindings and feature blocks into a Ninja build"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write build.ninja (and compile_commands.json, ninjabind-graph.json) for the project.
    Gen(GenArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut diags = Diagnostics::default();
    let result = match &cli.command {
        Command::Gen(args) => ninjabind::gen(args, &mut diags).map(|_| ()),
    };
    for d in &diags.items {
        eprintln!("{d}\n");
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            match e.downcast_ref::<Diagnostic>() {
                Some(d) => eprintln!("{d}"),
                None => eprintln!("error: {e:#}"),
            }
            ExitCode::from(1)
        }
    }
}
