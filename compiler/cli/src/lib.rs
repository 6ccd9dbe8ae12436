//! The `hostplan` command line as a library: [`run`] takes the arguments and an [`Io`] and
//! returns the exit code, so tests drive it in-process.
//!
//! Exit codes: 0 when there are no errors, 1 when the plan has errors (or `--check` finds
//! something out of date), 2 for usage and I/O errors.

mod build;
mod commands;
mod fs;
mod outputs;
mod parallel;
mod policy;

use std::io::Write;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use fs::FsLoader;
pub use outputs::{estimate_files, generate};

/// Where the command line reads and writes. The real one is the process's streams; tests
/// capture them.
pub trait Io {
    fn stdout(&mut self) -> &mut dyn Write;
    fn stderr(&mut self) -> &mut dyn Write;
    /// Whether stderr is a terminal that shows colours.
    fn color(&self) -> bool {
        false
    }
    /// Whether the process ends when the command returns: a command may then leave large values
    /// it built unfreed, since the operating system takes the memory back at once. False for
    /// callers that run commands in-process, such as tests.
    fn process_ends(&self) -> bool {
        false
    }
}

/// The process's own streams, for the `hostplan` binary, which ends after one command.
pub struct StdIo {
    stdout: std::io::Stdout,
    stderr: std::io::Stderr,
    color: bool,
}

impl Default for StdIo {
    fn default() -> StdIo {
        use std::io::IsTerminal;
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        StdIo {
            stdout: std::io::stdout(),
            stderr: std::io::stderr(),
            color,
        }
    }
}

impl Io for StdIo {
    fn stdout(&mut self) -> &mut dyn Write {
        &mut self.stdout
    }
    fn stderr(&mut self) -> &mut dyn Write {
        &mut self.stderr
    }
    fn color(&self) -> bool {
        self.color
    }
    fn process_ends(&self) -> bool {
        true
    }
}

/// Exit codes, as documented in the README.
pub mod exit {
    pub const OK: i32 = 0;
    pub const PLAN_ERRORS: i32 = 1;
    pub const USAGE: i32 = 2;
}

#[derive(Parser, Debug)]
#[command(
    name = "hostplan",
    version,
    about = "A compiler for hosting plans of the Community Health Toolkit"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// How diagnostics are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiagnosticFormat {
    /// For people, with source excerpts.
    Human,
    /// One JSON document (see docs/diagnostics-json.md).
    Json,
    /// A SARIF 2.1.0 log, for code-scanning services.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=...,line=...::`), shown as annotations.
    Github,
}

/// What `--deny` turns into errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Deny {
    /// Every warning, as CI usually wants.
    Warnings,
}

/// How a command reports diagnostics: shared by every command that analyses a plan.
#[derive(Args, Clone, Debug)]
pub struct DiagnosticArgs {
    /// How to print diagnostics: `human` on stderr, the others on stdout.
    #[arg(long, value_enum, default_value = "human")]
    pub format: DiagnosticFormat,
    /// Report warnings as errors and fail on them (`--deny warnings`).
    #[arg(long, value_enum, value_name = "WHAT")]
    pub deny: Vec<Deny>,
}

/// The formats of the estimate report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EstimateFormat {
    /// A table for the terminal, at most 100 columns wide.
    Text,
    Markdown,
    /// The documented JSON (see `hostplan_codegen::report::json::schema`).
    Json,
    Html,
}

/// How `hostplan graph` prints the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// A Mermaid flowchart.
    Mermaid,
    /// Nodes, edges, creation order and cycles as JSON.
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check a plan and report its diagnostics.
    Check {
        /// The plan file.
        plan: std::path::PathBuf,
        #[command(flatten)]
        diagnostics: DiagnosticArgs,
        /// Also print, per environment, the effective policy after `extends` and the
        /// hosting-guide rules each part satisfies (text, or JSON with `--format json`).
        #[arg(long)]
        explain_policy: bool,
    },
    /// Format plan files in the canonical layout.
    Fmt {
        /// A plan file or a directory of plan files.
        path: std::path::PathBuf,
        /// Do not write; exit with 1 if any file is not formatted.
        #[arg(long)]
        check: bool,
    },
    /// Estimate a plan's capacity and cost, per environment and over its horizon.
    Estimate {
        /// The plan file.
        plan: std::path::PathBuf,
        /// The report's format; `html` is one self-contained page with SVG charts.
        #[arg(long, value_enum, default_value = "text")]
        format: EstimateFormat,
    },
    /// Write every environment's outputs (Compose files, settings, READMEs) into a directory.
    Build {
        /// The plan file.
        plan: std::path::PathBuf,
        /// The output directory; the build replaces what it wrote there before and leaves other files alone.
        #[arg(long)]
        out: std::path::PathBuf,
        /// Build only this environment; the outputs of the others stay as they are.
        #[arg(long)]
        env: Option<String>,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value = "human")]
        format: DiagnosticFormat,
    },
    /// Print the dependency graph of the plan's resources.
    Graph {
        /// The plan file.
        plan: std::path::PathBuf,
        /// Only this environment.
        #[arg(long)]
        env: Option<String>,
        /// The output format.
        #[arg(long, value_enum, default_value = "dot")]
        format: GraphFormat,
    },
    /// Explain a diagnostic code, or list all codes.
    Explain {
        /// A code (`E2103`) or name (`unknown-field`); lists every code when omitted.
        code: Option<String>,
    },
    /// Run the language server over stdin and stdout, for editors.
    Lsp {
        /// Talk over stdin and stdout: the only transport, accepted because editor clients
        /// (VS Code's among them) pass it.
        #[arg(long)]
        stdio: bool,
    },
}

/// Runs the command line. Never panics on user input; returns the exit code.
pub fn run(args: &[String], io: &mut dyn Io) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let rendered = error.render().to_string();
            let stream = if error.use_stderr() {
                io.stderr()
            } else {
                io.stdout()
            };
            let _ = stream.write_all(rendered.as_bytes());
            return code;
        }
    };
    match cli.command {
        Command::Check {
            plan,
            diagnostics,
            explain_policy,
        } => commands::check(&plan, &diagnostics, explain_policy, io),
        Command::Fmt { path, check } => commands::fmt(&path, check, io),
        Command::Estimate { plan, format } => commands::estimate(&plan, format, io),
        Command::Build {
            plan,
            out,
            env,
            format,
        } => outputs::build(&plan, &out, env.as_deref(), format, io),
        Command::Graph { plan, env, format } => outputs::graph(&plan, env.as_deref(), format, io),
        Command::Explain { code } => commands::explain(code.as_deref(), io),
        Command::Lsp { stdio: _ } => commands::lsp(io),
    }
}
