//! The `ninjabind` command line: parses arguments, calls the library, prints diagnostics, sets the exit code.

use camino::{Utf8Path, Utf8PathBuf};
use clap::{Parser, Subcommand, ValueEnum};
use ninjabind::base::color;
use ninjabind::base::color::ColorChoice;
use ninjabind::base::diag;
use ninjabind::base::diag::{Diagnostic, Diagnostics};
use ninjabind::base::layout;
use ninjabind::edges;
use ninjabind::init;
use ninjabind::lex::scan_cache;
use ninjabind::load::well_known;
use ninjabind::options;
use ninjabind::options::{Effective, GenArgs};
use ninjabind::plan;
use ninjabind::protocol::gate::GateArgs;
use ninjabind::protocol::header;
use ninjabind::report::dot;
use ninjabind::report::explain;
use ninjabind::report::list;
use ninjabind::report::stats;
use ninjabind::toolchain;
use ninjabind::validate;
use ninjabind::watch;
use ninjabind::{build_plan, gen};
use std::process::ExitCode;

/// glibc's malloc and free were 37% of a 20,000-source gen's samples (`perf record`); mimalloc's are a fraction.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "ninjabind",
    version,
    about = "Turns a project's native bindings and feature blocks into a Ninja build",
    after_long_help = "Build edges run `ninjabind edge cargo|symdiff|symcheck …`; see `ninjabind edge --help`."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Colour diagnostics: auto (on a terminal, unless NO_COLOR; CLICOLOR_FORCE forces), always, never.
    #[arg(long, global = true, value_enum, default_value_t, value_name = "WHEN")]
    color: ColorChoice,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
enum Format {
    #[default]
    Human,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
enum GraphFormat {
    #[default]
    Dot,
    Svg,
}

#[derive(Subcommand)]
enum Command {
    /// Write build.ninja (and compile_commands.json, ninjabind-graph.json) for the project.
    Gen(GenArgs),
    /// Show what gen would do — imports and their layers, features, pkg-config, gated sources, edges — writing nothing.
    Explain {
        #[command(flatten)]
        args: GenArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// List the well-known bindings table (npm name → crate, lib).
    List {
        /// A table replacing the bundled one.
        #[arg(long, value_name = "FILE")]
        well_known: Option<camino::Utf8PathBuf>,
        /// The Perry compiler whose table to list (env PERRY; else the one `gen` would find from here).
        #[arg(long, value_name = "PATH")]
        perry: Option<camino::Utf8PathBuf>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Check one binding package: build it, then diff its declared functions against its symbols.
    Validate {
        /// The package folder (holding package.json).
        #[arg(default_value = ".")]
        dir: camino::Utf8PathBuf,
        /// Do not run cargo; check the archive already built.
        #[arg(long)]
        no_build: bool,
        /// Undeclared exported js_* symbols fail the check.
        #[arg(long)]
        strict_symbols: bool,
        /// The nm to use (env NM).
        #[arg(long)]
        nm: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Scaffold a binding package that `validate` passes as generated.
    Init {
        /// The package name (`demo`, `@scope/demo`).
        name: String,
        /// Where to write it (default: ./<name>).
        #[arg(long)]
        dir: Option<camino::Utf8PathBuf>,
        #[arg(long, value_enum, default_value_t)]
        kind: init::Kind,
    },
    /// Draw the build: packages, features (skipped ones dashed), sources (gated-out ones grey), archives, symbol checks, the program.
    ///
    /// `--format svg` renders through Graphviz's `dot` when it is installed, else prints the dot text with a warning.
    Graph {
        #[command(flatten)]
        args: GenArgs,
        #[arg(long, value_enum, default_value_t)]
        format: GraphFormat,
    },
    /// Report what the last `ninja` run did: edges run, skipped by the content gate, cut off early, time by kind, slowest.
    Stats {
        /// The folder holding build.ninja.
        #[arg(short = 'C', long = "directory", default_value = ".", value_name = "DIR")]
        dir: camino::Utf8PathBuf,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Run ninja on every change of the project's files, one status line per build (`--run`: restart the program).
    Watch {
        /// The folder holding build.ninja.
        #[arg(short = 'C', long = "directory", default_value = ".", value_name = "DIR")]
        dir: camino::Utf8PathBuf,
        /// Restart the built program after each successful build.
        #[arg(long)]
        run: bool,
        /// Arguments for the program, after `--` (`watch --run -- --port 3000`), as `perry dev` takes them.
        #[arg(last = true, requires = "run", value_name = "ARGS")]
        args: Vec<String>,
    },
    /// Print a completion script for SHELL (bash, zsh, fish, elvish, powershell) on stdout.
    ///
    /// bash: `source <(ninjabind completions bash)`; zsh: `ninjabind completions zsh > ~/.zfunc/_ninjabind`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on stdout: `ninjabind man > ninjabind.1; man -l ninjabind.1`.
    Man,
    /// The commands build edges run (the cargo wrapper, the symbol diff, symcheck).
    ///
    /// `ninjabind edge cargo` runs `cargo rustc` for one binding and copies its archive into the
    /// build folder only when its bytes changed; `edge symdiff` checks a binding's declared
    /// functions against `nm -gP`; `edge symcheck` fails when two bindings export one symbol.
    #[command(hide = true, subcommand)]
    Edge(EdgeCommand),
}

#[derive(Subcommand)]
enum EdgeCommand {
    /// Build one binding with `cargo rustc` and copy its archive into the build folder when its bytes changed.
    Cargo(edges::cargo::CargoArgs),
    /// Check a binding's declared functions against the symbols its archive and objects define.
    Symdiff(edges::symdiff::SymdiffArgs),
    /// Fail when two bindings export one `js_*` symbol.
    Symcheck(edges::symdiff::SymcheckArgs),
    /// Re-read the imports; touch the stamp only when they changed, so ninja regenerates only then.
    Scan(edges::scan::ScanArgs),
    /// Run an edge's command only when its key or the content of its inputs or outputs changed.
    Gate(GateArgs),
    /// Merge the system libraries every Rust archive needs into one list, each at its last occurrence.
    NativeLibs(edges::native_libs::NativeLibsArgs),
    /// List the `js_*` symbols the Perry runtime archives define.
    RuntimeSyms(edges::symdiff::RuntimeSymsArgs),
    /// Check a prebuilt archive against its SHA-256 in perry.lock.
    Lock(edges::lock::LockArgs),
    /// Decide a source's HAVE_* gate against its compile command, then compile it or write an empty object.
    Have(edges::have_gate::HaveArgs),
    /// Run `perry compile --no-link`, then learn the modules and objects it compiled from its own record.
    Perry(edges::perry::PerryArgs),
    /// The Vex compiler on the program: its IR made an object by llc, its modules learnt from what it prints.
    Vex(edges::vex::VexArgs),
    /// Unpack a zstd-compressed archive the Perry compiler ships.
    Unzstd(edges::unzstd::UnzstdArgs),
    /// Copy a binding's resource or shader output beside the program.
    Stage(edges::stage::StageArgs),
    /// Write the program's objects into a thin archive, then run the link that takes it whole.
    Link(edges::thin_archive::LinkArgs),
}

/// A spinner on a terminal's stderr once work passes ~200 ms; nothing on a pipe or with `--progress never`.
struct Progress {
    bar: indicatif::ProgressBar,
    done: std::sync::Arc<std::sync::Mutex<bool>>,
}

impl Progress {
    fn start(mode: options::Progress, message: &'static str) -> Progress {
        use std::io::IsTerminal;
        let bar = indicatif::ProgressBar::hidden();
        let done = std::sync::Arc::new(std::sync::Mutex::new(false));
        let terminal = std::io::stderr().is_terminal();
        let (show, delay) = match mode {
            options::Progress::Never => (false, 0),
            options::Progress::Always => (true, 0),
            options::Progress::Auto => (terminal, 200),
        };
        if show {
            let (bar, done) = (bar.clone(), done.clone());
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(delay));
                let finished = done.lock().unwrap_or_else(|e| e.into_inner());
                if !*finished {
                    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} ninjabind: {msg} ({elapsed})")
                    {
                        bar.set_style(style);
                    }
                    bar.set_draw_target(if terminal {
                        indicatif::ProgressDrawTarget::stderr()
                    } else {
                        // a log (CI): plain lines, once a second, no cursor movement
                        indicatif::ProgressDrawTarget::term_like_with_hz(Box::new(PlainStderr), 1)
                    });
                    bar.set_message(message);
                    bar.enable_steady_tick(std::time::Duration::from_millis(100));
                }
            });
        }
        Progress { bar, done }
    }

    fn finish(self) {
        let mut finished = self.done.lock().unwrap_or_else(|e| e.into_inner());
        *finished = true;
        self.bar.finish_and_clear();
    }
}

/// stderr that is not a terminal, for `--progress always`: each redraw a line of its own.
#[derive(Debug)]
struct PlainStderr;

impl indicatif::TermLike for PlainStderr {
    fn width(&self) -> u16 {
        100
    }
    fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn write_line(&self, s: &str) -> std::io::Result<()> {
        use std::io::Write;
        if s.is_empty() {
            return Ok(());
        }
        writeln!(std::io::stderr(), "{s}")
    }
    fn write_str(&self, s: &str) -> std::io::Result<()> {
        self.write_line(s)
    }
    fn clear_line(&self) -> std::io::Result<()> {
        Ok(())
    }
    fn flush(&self) -> std::io::Result<()> {
        use std::io::Write;
        std::io::stderr().flush()
    }
}

/// The options to generate with; the environment they were recorded with becomes this process's (the `cc` and
/// `pkg-config` crates read it themselves). The one place the process environment changes.
fn effective(args: &GenArgs, diags: &mut Diagnostics) -> Effective {
    let eff = args.effective(diags);
    for k in &eff.unset {
        std::env::remove_var(k);
    }
    for (k, v) in &eff.env {
        std::env::set_var(k, v);
    }
    eff
}

/// The table `list` shows: `--well-known`, else the table of the Perry compiler `gen` would find from here, else the
/// bundled one.
fn well_known_table(file: Option<&Utf8Path>, perry: Option<&Utf8Path>) -> anyhow::Result<well_known::Table> {
    if file.is_some() {
        return well_known::Table::load(file, None);
    }
    let cwd = layout::current_dir()?;
    // in a generated project, the compiler gen recorded (as `explain` there uses it), before a search from here
    let recorded = || -> Option<Utf8PathBuf> {
        let rec = header::parse(&std::fs::read_to_string(cwd.join("build.ninja")).ok()?)?;
        let option = rec.options.iter().find_map(|o| o.strip_prefix("--perry=")).map(Utf8PathBuf::from);
        option.or_else(|| rec.env.get("PERRY").map(Utf8PathBuf::from))
    };
    let asked = perry
        .map(|p| cwd.join(p))
        .or_else(|| std::env::var("PERRY").ok().map(|p| cwd.join(p)))
        .or_else(|| recorded().map(|p| cwd.join(p)));
    match toolchain::search_perry(asked.as_deref(), &cwd, |p| p.to_string())?.found {
        Some(c) => well_known::Table::from_compiler_list(&c.native_list(None)?, &c.version),
        None => well_known::Table::load(None, None),
    }
}

/// `ninjabind gen`: plans, writes, and with `-v` says what it wrote and read.
fn run_gen(args: &GenArgs, diags: &mut Diagnostics) -> anyhow::Result<i32> {
    let progress = Progress::start(args.progress, "scanning imports, probing pkg-config, planning the graph");
    let result = gen(&effective(args, diags), diags);
    progress.finish();
    let (g, written) = result?;
    if args.quiet {
        diags.items.retain(|d| d.level == diag::Level::Error);
    }
    if args.verbose {
        let l = &g.settings.layout;
        let count = |k: plan::RuleKind| g.plan.edges.iter().filter(|e| e.rule == k).count();
        use ninjabind::plan::RuleKind as R;
        eprintln!(
            "{} {}: {} packages, {} compiles, {} cargo builds, {} symbol checks, {}",
            if written.ninja_changed { "wrote" } else { "unchanged" },
            l.display(&l.ninja_file()),
            g.selected.packages.len(),
            count(R::Cc) + count(R::Cxx),
            count(R::Cargo),
            count(R::Symdiff),
            g.plan.program.as_ref().map_or("no link edge".to_string(), |p| format!("program {p}"))
        );
        eprintln!(
            "scanned {} files for imports: {} read, {} unchanged since {}",
            g.scan.read + g.scan.reused,
            g.scan.read,
            g.scan.reused,
            l.display(&l.out.join(scan_cache::FILE))
        );
    }
    if g.plan.link_rsp.is_some() && !args.quiet {
        let rsp = g.settings.layout.out_path("link.rsp");
        diags.push(Diagnostic::note(format!(
            "no program of its own to link: wrote {rsp}, the arguments a host compiler appends to its link (`cc … @{rsp}`)"
        )));
    }
    Ok(0)
}

/// `ninjabind graph`: the dot text, or SVG through Graphviz when it is there.
fn run_graph(args: &GenArgs, format: GraphFormat, diags: &mut Diagnostics) -> anyhow::Result<i32> {
    let g = build_plan(&effective(args, diags), diags)?;
    let dot = dot::render(&g);
    if format == GraphFormat::Svg {
        match dot::svg(&dot) {
            Ok(svg) => {
                use std::io::Write;
                std::io::stdout().write_all(&svg)?;
                return Ok(0);
            }
            Err(why) => diags.push(
                Diagnostic::warning(format!("{why}: printed the dot text instead"))
                    .with_help("install Graphviz (`apt-get install graphviz`) for SVG"),
            ),
        }
    }
    print!("{dot}");
    Ok(0)
}

/// Shell completions, without the hidden `edge` commands, which build edges run and people do not type.
fn completions(shell: clap_complete::Shell) -> anyhow::Result<i32> {
    let full = <Cli as clap::CommandFactory>::command();
    let mut cmd = clap::Command::new("ninjabind")
        .args(full.get_arguments().cloned())
        .subcommands(full.get_subcommands().filter(|c| !c.is_hide_set()).cloned());
    clap_complete::generate(shell, &mut cmd, "ninjabind", &mut std::io::stdout());
    Ok(0)
}

/// What ninja runs at build time.
fn run_edge(e: &EdgeCommand) -> anyhow::Result<i32> {
    match e {
        EdgeCommand::Cargo(a) => edges::cargo::run(a),
        EdgeCommand::Symdiff(a) => edges::symdiff::run(a),
        EdgeCommand::Symcheck(a) => edges::symdiff::symcheck(a),
        EdgeCommand::Scan(a) => edges::scan::run(a),
        EdgeCommand::Gate(a) => edges::gate::run(a),
        EdgeCommand::NativeLibs(a) => edges::native_libs::run(a),
        EdgeCommand::Unzstd(a) => edges::unzstd::run(a),
        EdgeCommand::Link(a) => edges::thin_archive::run(a),
        EdgeCommand::Perry(a) => edges::perry::run(a),
        EdgeCommand::Vex(a) => edges::vex::run(a),
        EdgeCommand::Have(a) => edges::have_gate::run(a),
        EdgeCommand::Lock(a) => edges::lock::run(a),
        EdgeCommand::RuntimeSyms(a) => edges::symdiff::runtime_syms(a),
        EdgeCommand::Stage(a) => edges::stage::run(a),
    }
}

fn run(command: &Command, diags: &mut Diagnostics) -> anyhow::Result<i32> {
    match command {
        Command::Gen(args) => run_gen(args, diags),
        Command::Explain { args, format } => {
            let mode = if *format == Format::Json { options::Progress::Never } else { args.progress };
            let progress = Progress::start(mode, "scanning imports, probing pkg-config, planning the graph");
            let g = build_plan(&effective(args, diags), diags);
            progress.finish();
            let g = g?;
            match format {
                Format::Human => print!("{}", explain::human(&g)),
                Format::Json => print!("{}", explain::graph_json(&g)),
            }
            Ok(0)
        }
        Command::List { well_known, perry, format } => {
            let table = well_known_table(well_known.as_deref(), perry.as_deref())?;
            print!("{}", list::render(&table, *format == Format::Json));
            Ok(0)
        }
        Command::Validate { dir, no_build, strict_symbols, nm, format } => {
            let o = validate::Options { dir, build: !no_build, strict_symbols: *strict_symbols, nm: nm.clone() };
            let v = validate::validate(&o, diags)?;
            match format {
                Format::Human => print!("{}", validate::human(&v)),
                Format::Json => println!("{}", serde_json::to_string_pretty(&v)?),
            }
            Ok(if v.ok { 0 } else { 1 })
        }
        Command::Init { name, dir, kind } => {
            let d = init::init(name, dir.as_deref(), *kind)?;
            println!("{}", init::next_steps(name, &d));
            Ok(0)
        }
        Command::Graph { args, format } => run_graph(args, *format, diags),
        Command::Watch { dir, run, args } => {
            watch::watch(&watch::Options { dir: dir.clone(), run: *run, args: args.clone() })
        }
        Command::Stats { dir, format } => {
            let s = stats::read(dir)?;
            match format {
                Format::Human => print!("{}", stats::human(&s)),
                Format::Json => println!("{}", serde_json::to_string_pretty(&stats::json(&s))?),
            }
            Ok(0)
        }
        Command::Completions { shell } => completions(*shell),
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut page)?;
            // one page holds every command: its list names them as commands (`ninjabind gen`), not as pages
            // (`ninjabind-gen(1)`) that no one ships
            let page = String::from_utf8_lossy(&page);
            for line in page.lines() {
                match line.strip_prefix("ninjabind\\-").and_then(|l| l.strip_suffix("(1)")) {
                    Some(sub) => println!("\\fBninjabind {sub}\\fR"),
                    None => println!("{line}"),
                }
            }
            Ok(0)
        }
        Command::Edge(e) => run_edge(e),
    }
}

/// `ninjabind edge gate …` runs once per edge — 20,000 times in a clean build of 20,000 sources — so only its own
/// arguments are described to clap, not the whole command tree (building every subcommand's options was ~8% of a
/// gate run's samples under `perf record`). Anything else, `--help` included, takes the full parser.
fn parse() -> Cli {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.len() > 3 && args[1] == "edge" && args[2] == "gate" && !args.iter().any(|a| a == "--help" || a == "-h") {
        let parsed = GateArgs::parse_words(args[2..].iter().cloned()).unwrap_or_else(|e| e.exit());
        return Cli { command: Command::Edge(EdgeCommand::Gate(parsed)), color: ColorChoice::default() };
    }
    Cli::parse()
}

fn main() -> ExitCode {
    // started as `nm` through the link the Perry edge puts on Perry's PATH: the memo of nm (edges/nm_memo.rs)
    if edges::nm_memo::invoked_as_nm() {
        let code = edges::nm_memo::main(std::env::args_os().skip(1).collect());
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    // gen's compiler probes, in a process of their own (see `toolchain::probe_in_child`); any other first word, UTF-8
    // or not, is clap's
    let mut words = std::env::args_os().skip(1);
    if words.next().is_some_and(|w| w == toolchain::PROBE_COMMAND) {
        let rest: Vec<String> = words.map(|w| w.to_string_lossy().into_owned()).collect();
        return ExitCode::from(toolchain::probe_main(&rest) as u8);
    }
    toolchain::probe_in_child();
    let cli = parse();
    if !matches!(cli.command, Command::Edge(_)) {
        // a closed stdout (`ninjabind stats | head -2`) ends the command quietly, as it ends `ls` (exit 141, SIGPIPE's
        // status): Rust ignores SIGPIPE, so `print!` panics there. SIGPIPE itself stays ignored: writing into a
        // child that stopped reading (`dot`) must be an error to report, not the end of this process.
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // (`print!`'s message, or a writer's own, as clap_complete's "failed to write completion file")
            let msg = info.payload().downcast_ref::<String>().map(String::as_str).unwrap_or_default();
            if msg.contains("Broken pipe") || msg.contains("BrokenPipe") {
                std::process::exit(141);
            }
            default(info);
        }));
    }
    let mut diags = Diagnostics::default();
    let result = run(&cli.command, &mut diags);
    let color = color::stderr_colored(cli.color);
    for d in &diags.items {
        eprintln!("{}\n", d.render(color));
    }
    match result {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(e) => {
            match e.downcast_ref::<Diagnostic>() {
                Some(d) => eprintln!("{}", d.render(color)),
                None => eprintln!("{}", Diagnostic::error(format!("{e:#}")).render(color)),
            }
            ExitCode::from(1)
        }
    }
}
