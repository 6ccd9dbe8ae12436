//! The subcommands.

use std::io::Write;
use std::path::Path;

use hostplan_core::modules::ParseCache;
use hostplan_core::Analysis;
use hostplan_diagnostics::render::{self, sarif, Artifacts};
use hostplan_diagnostics::{Diagnostic, FileId, Severity, Sources};

use crate::fs::{split_plan_path, FsLoader};
use crate::{exit, Deny, DiagnosticArgs, DiagnosticFormat, Io};

/// Analyses a plan, printing an I/O error and returning `Err(exit code)` when the entry file
/// cannot be read.
pub(crate) fn analyze(plan: &Path, io: &mut dyn Io) -> Result<Analysis, i32> {
    analyze_then_use(plan, 0, io)
}

/// [`analyze`], for a command that goes on to use about `memory` bytes in all (a build).
pub(crate) fn analyze_then_use(
    plan: &Path,
    memory: usize,
    io: &mut dyn Io,
) -> Result<Analysis, i32> {
    if io.process_ends() && memory > 0 {
        start_helper(memory);
    }
    let (root, name) = split_plan_path(plan);
    let loader = FsLoader { root };
    match hostplan_core::analyze(&loader, &name, &mut ParseCache::default()) {
        Ok(analysis) => Ok(analysis),
        Err(error) => {
            let _ = writeln!(
                io.stderr(),
                "error: cannot read `{}`: {error}",
                plan.display()
            );
            Err(exit::USAGE)
        }
    }
}

/// Has the other core do, while this one analyses the plan, what the command needs later:
/// detecting the processor's features, counting the cores the generation may use (which reads
/// the control group's CPU quota, a dozen system calls), then having the kernel back the
/// `memory` the command will use (see `hostplan_alloc::populate`). Only for a process that
/// ends with the command: the thread is left to finish on its own, or to end with the process.
fn start_helper(memory: usize) {
    let _ = std::thread::Builder::new()
        .name("helper".to_string())
        // The thread makes a few system calls and allocates almost nothing.
        .stack_size(64 << 10)
        .spawn(move || {
            // The processor's features, which the hashing of the outputs (BLAKE3) asks for:
            // detecting them takes a dozen `cpuid` instructions, each a few microseconds on a
            // virtual machine, which are better spent here than on a thread that generates.
            #[cfg(target_arch = "x86_64")]
            let _ = std::arch::is_x86_feature_detected!("avx2");
            crate::parallel::threads();
            hostplan_alloc::populate(memory)
        });
}

/// Prints diagnostics in the chosen format; human output goes to stderr, machine output to
/// stdout.
pub(crate) fn print_diagnostics(
    diagnostics: &[Diagnostic],
    sources: &Sources,
    format: DiagnosticFormat,
    io: &mut dyn Io,
) {
    print(
        diagnostics,
        &[],
        sources,
        &Artifacts::default(),
        format,
        None,
        io,
    );
}

/// Prints an analysis's diagnostics as `args` asks, with `--deny warnings` applied, and
/// returns whether any is an error. Allowed findings are kept in the machine formats that
/// can say so (JSON's `suppressed`, SARIF's suppressions).
pub(crate) fn report(
    analysis: &Analysis,
    plan: &Path,
    args: &DiagnosticArgs,
    policy: Option<serde_json::Value>,
    io: &mut dyn Io,
) -> bool {
    let diagnostics = deny(&analysis.diagnostics, &args.deny);
    let embedded: Vec<FileId> = analysis
        .workspace
        .modules
        .iter()
        .filter(|it| it.is_std)
        .map(|it| it.file)
        .collect();
    let base = plan_base(plan);
    let artifacts = Artifacts {
        base: &base,
        embedded: &embedded,
    };
    let suppressed: Vec<&hostplan_core::rules::Suppressed> = analysis
        .rules
        .iter()
        .flat_map(|it| &it.suppressed)
        .collect();
    print(
        &diagnostics,
        &suppressed,
        &analysis.workspace.sources,
        &artifacts,
        args.format,
        policy,
        io,
    );
    diagnostics.iter().any(Diagnostic::is_error)
}

fn print(
    diagnostics: &[Diagnostic],
    suppressed: &[&hostplan_core::rules::Suppressed],
    sources: &Sources,
    artifacts: &Artifacts<'_>,
    format: DiagnosticFormat,
    policy: Option<serde_json::Value>,
    io: &mut dyn Io,
) {
    match format {
        DiagnosticFormat::Human => {
            let color = io.color();
            let text = render::human(diagnostics, sources, color);
            let _ = io.stderr().write_all(text.as_bytes());
            if let Some(summary) = render::summary(diagnostics) {
                let _ = writeln!(io.stderr(), "{summary}");
            }
        }
        DiagnosticFormat::Json => {
            let mut value = render::json(diagnostics, sources);
            let allowed: Vec<Diagnostic> =
                suppressed.iter().map(|it| it.diagnostic.clone()).collect();
            let mut items = match render::json(&allowed, sources)
                .get_mut("diagnostics")
                .map(serde_json::Value::take)
            {
                Some(serde_json::Value::Array(items)) => items,
                _ => Vec::new(),
            };
            for (item, it) in items.iter_mut().zip(suppressed) {
                if let serde_json::Value::Object(item) = item {
                    item.insert("environment".into(), serde_json::json!(it.environment));
                    item.insert("reason".into(), serde_json::json!(it.reason));
                }
            }
            if let serde_json::Value::Object(object) = &mut value {
                object.insert("suppressed".into(), serde_json::Value::Array(items));
                if let Some(policy) = policy {
                    object.insert("policy".into(), policy);
                }
            }
            let text = serde_json::to_string_pretty(&value).unwrap_or_default();
            let _ = writeln!(io.stdout(), "{text}");
        }
        DiagnosticFormat::Sarif => {
            let allowed: Vec<sarif::Suppressed<'_>> = suppressed
                .iter()
                .map(|it| sarif::Suppressed {
                    diagnostic: &it.diagnostic,
                    justification: it.reason.as_deref(),
                })
                .collect();
            let tool = sarif::Tool {
                name: "hostplan",
                version: env!("CARGO_PKG_VERSION"),
            };
            let value = sarif::render(diagnostics, &allowed, sources, artifacts, &tool);
            let text = serde_json::to_string_pretty(&value).unwrap_or_default();
            let _ = writeln!(io.stdout(), "{text}");
        }
        DiagnosticFormat::Github => {
            let text = render::github::render(diagnostics, sources, artifacts);
            let _ = io.stdout().write_all(text.as_bytes());
        }
    }
}

/// Applies `--deny warnings`: warnings become errors, and say why.
fn deny(diagnostics: &[Diagnostic], deny: &[Deny]) -> Vec<Diagnostic> {
    let mut out = diagnostics.to_vec();
    if deny.contains(&Deny::Warnings) {
        for diagnostic in &mut out {
            if diagnostic.severity == Severity::Warning {
                diagnostic.severity = Severity::Error;
                diagnostic
                    .notes
                    .push("an error because of `--deny warnings`".to_string());
            }
        }
    }
    out
}

/// The plan's directory as machine formats should name it: relative to the current
/// directory, with `/`, and empty for the current directory itself.
fn plan_base(plan: &Path) -> String {
    let dir = plan.parent().unwrap_or(Path::new(""));
    let relative = if dir.is_absolute() {
        match std::env::current_dir() {
            Ok(cwd) => dir
                .strip_prefix(&cwd)
                .map(Path::to_path_buf)
                .unwrap_or_else(|_| dir.to_path_buf()),
            Err(_) => dir.to_path_buf(),
        }
    } else {
        dir.to_path_buf()
    };
    relative
        .components()
        .map(|it| it.as_os_str().to_string_lossy().into_owned())
        .filter(|it| it != ".")
        .collect::<Vec<_>>()
        .join("/")
}

pub(crate) fn check(
    plan: &Path,
    args: &DiagnosticArgs,
    explain_policy: bool,
    io: &mut dyn Io,
) -> i32 {
    if explain_policy && matches!(args.format, DiagnosticFormat::Sarif) {
        let _ = writeln!(io.stderr(), "error: `--explain-policy` prints text or, with `--format json`, JSON; it cannot be part of a SARIF log");
        return exit::USAGE;
    }
    let analysis = match analyze(plan, io) {
        Ok(it) => it,
        Err(code) => return code,
    };
    let code = check_analysed(&analysis, plan, args, explain_policy, io);
    release(analysis, io);
    code
}

/// Frees `value` unless the process ends right after the command: the kernel then takes back
/// all of the process's memory at once, and freeing an analysis block by block was 5% of the
/// work of a `hostplan check` of the national example.
pub(crate) fn release<T>(value: T, io: &dyn Io) {
    if io.process_ends() {
        std::mem::forget(value);
    }
}

/// The rest of [`check`], once the plan is analysed.
fn check_analysed(
    analysis: &Analysis,
    plan: &Path,
    args: &DiagnosticArgs,
    explain_policy: bool,
    io: &mut dyn Io,
) -> i32 {
    let views = match (&analysis.plan, &analysis.rules) {
        (Some(model), Some(rules)) if explain_policy => {
            Some(hostplan_core::rules::report::policy_views(model, rules))
        }
        _ => None,
    };
    let sources = &analysis.workspace.sources;
    let policy_json = match (&views, args.format) {
        (Some(views), DiagnosticFormat::Json) => Some(crate::policy::json(views, sources)),
        _ => None,
    };
    if let (Some(views), DiagnosticFormat::Human | DiagnosticFormat::Github) = (&views, args.format)
    {
        let _ = io
            .stdout()
            .write_all(crate::policy::text(views, sources).as_bytes());
    }
    if explain_policy && views.is_none() {
        let _ = writeln!(
            io.stderr(),
            "note: the plan has no model to explain: fix the errors below first"
        );
    }
    let has_errors = report(analysis, plan, args, policy_json, io);
    if has_errors {
        return exit::PLAN_ERRORS;
    }
    if args.format == DiagnosticFormat::Human {
        if let Some(plan) = &analysis.plan {
            let count = plan.environments.len();
            let _ = writeln!(
                io.stderr(),
                "ok: plan `{}` with {count} environment{}",
                plan.name,
                if count == 1 { "" } else { "s" }
            );
        }
    }
    exit::OK
}

pub(crate) fn estimate(plan: &Path, format: crate::EstimateFormat, io: &mut dyn Io) -> i32 {
    let analysis = match analyze(plan, io) {
        Ok(it) => it,
        Err(code) => return code,
    };
    if analysis.has_errors() {
        print_diagnostics(
            &analysis.diagnostics,
            &analysis.workspace.sources,
            DiagnosticFormat::Human,
            io,
        );
        return exit::PLAN_ERRORS;
    }
    let (Some(model), Some(estimate)) = (&analysis.plan, &analysis.estimate) else {
        return exit::PLAN_ERRORS;
    };
    let input = hostplan_codegen::report::ReportInput {
        estimate,
        suppressions: suppressions(model),
    };
    let text = match format {
        crate::EstimateFormat::Text => hostplan_codegen::report::text::render(&input),
        crate::EstimateFormat::Markdown => hostplan_codegen::report::markdown::render(&input),
        crate::EstimateFormat::Json => hostplan_codegen::report::json::render(&input),
        crate::EstimateFormat::Html => hostplan_codegen::report::html::render(&input),
    };
    let _ = io.stdout().write_all(text.as_bytes());
    exit::OK
}

/// The plan's rule suppressions with their reasons, for reports.
pub(crate) fn suppressions(
    model: &hostplan_core::model::Plan,
) -> Vec<hostplan_codegen::report::Suppression> {
    model
        .environments
        .iter()
        .flat_map(|env| {
            env.allows
                .iter()
                .map(|allow| hostplan_codegen::report::Suppression {
                    environment: env.name.clone(),
                    code: allow.code.clone(),
                    // An `allow` without a reason is warning W0002; the report says so plainly.
                    reason: allow
                        .reason
                        .clone()
                        .unwrap_or_else(|| "no reason given".to_string()),
                })
        })
        .collect()
}

pub(crate) fn fmt(path: &Path, check_only: bool, io: &mut dyn Io) -> i32 {
    let mut files = Vec::new();
    if path.is_dir() {
        for entry in walkdir::WalkDir::new(path)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
        {
            if entry.file_type().is_file()
                && entry.path().extension().is_some_and(|it| it == "hplan")
            {
                files.push(entry.path().to_path_buf());
            }
        }
    } else {
        files.push(path.to_path_buf());
    }
    let mut status = exit::OK;
    for file in files {
        let text = match std::fs::read_to_string(&file) {
            Ok(it) => it,
            Err(error) => {
                let _ = writeln!(
                    io.stderr(),
                    "error: cannot read `{}`: {error}",
                    file.display()
                );
                return exit::USAGE;
            }
        };
        let mut sources = Sources::default();
        let id = sources.add(file.display().to_string(), text.as_str().into());
        let parse = hostplan_syntax::parse(id, &text);
        if parse.has_errors() {
            // Formatting a file with syntax errors could move or drop text; report instead.
            print_diagnostics(&parse.diagnostics, &sources, DiagnosticFormat::Human, io);
            status = exit::PLAN_ERRORS;
            continue;
        }
        let formatted = hostplan_syntax::format(&parse.file, &text);
        if formatted == text {
            continue;
        }
        if check_only {
            let _ = writeln!(io.stdout(), "would reformat {}", file.display());
            status = exit::PLAN_ERRORS;
            continue;
        }
        if let Err(error) = write_atomically(&file, &formatted) {
            let _ = writeln!(
                io.stderr(),
                "error: cannot write `{}`: {error}",
                file.display()
            );
            return exit::USAGE;
        }
        let _ = writeln!(io.stdout(), "formatted {}", file.display());
    }
    status
}

/// Replaces a file through a temporary file in the same directory, so an interrupted write
/// never leaves half a file.
pub(crate) fn write_atomically(path: &Path, contents: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|it| !it.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(contents.as_bytes())?;
    temp.persist(path).map_err(|it| it.error)?;
    Ok(())
}

pub(crate) fn explain(code: Option<&str>, io: &mut dyn Io) -> i32 {
    let Some(code) = code else {
        for info in hostplan_diagnostics::CODES {
            let _ = writeln!(
                io.stdout(),
                "{}  {:<28} {}",
                info.code,
                info.name,
                info.summary
            );
        }
        return exit::OK;
    };
    match hostplan_diagnostics::lookup(code) {
        Some(info) => {
            let _ = writeln!(
                io.stdout(),
                "# {} {}\n\n{}.\n\n{}",
                info.code,
                info.name,
                capitalize(info.summary),
                info.doc
            );
            exit::OK
        }
        None => {
            let _ = writeln!(
                io.stderr(),
                "error: no diagnostic code `{code}`; `hostplan explain` lists them"
            );
            exit::USAGE
        }
    }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Runs the language server on the process's stdin and stdout; the server writes nothing
/// else to stdout, so this command writes only to stderr.
pub(crate) fn lsp(io: &mut dyn Io) -> i32 {
    // The server runs for hours and its memory comes and goes with every edit, which the
    // short commands' allocator, never returning memory, does not suit.
    hostplan_alloc::long_running();
    match hostplan_lsp::run_stdio() {
        Ok(()) => exit::OK,
        Err(error) => {
            let _ = writeln!(io.stderr(), "error: the language server stopped: {error}");
            exit::USAGE
        }
    }
}
