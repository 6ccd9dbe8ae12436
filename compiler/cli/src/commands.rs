//! The subcommands.

use std::io::Write;
use std::path::Path;

use hostplan_core::modules::ParseCache;
use hostplan_core::Analysis;
use hostplan_diagnostics::{render, Diagnostic, Sources};

use crate::fs::{split_plan_path, FsLoader};
use crate::{exit, DiagnosticFormat, Io};

/// Analyses a plan, printing an I/O error and returning `Err(exit code)` when the entry file
/// cannot be read.
pub(crate) fn analyze(plan: &Path, io: &mut dyn Io) -> Result<Analysis, i32> {
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

/// Prints diagnostics in the chosen format; human output goes to stderr, machine output to
/// stdout.
pub(crate) fn print_diagnostics(
    diagnostics: &[Diagnostic],
    sources: &Sources,
    format: DiagnosticFormat,
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
            let value = render::json(diagnostics, sources);
            let text = serde_json::to_string_pretty(&value).unwrap_or_default();
            let _ = writeln!(io.stdout(), "{text}");
        }
    }
}

pub(crate) fn check(plan: &Path, format: DiagnosticFormat, io: &mut dyn Io) -> i32 {
    let analysis = match analyze(plan, io) {
        Ok(it) => it,
        Err(code) => return code,
    };
    print_diagnostics(
        &analysis.diagnostics,
        &analysis.workspace.sources,
        format,
        io,
    );
    if analysis.has_errors() {
        return exit::PLAN_ERRORS;
    }
    if format == DiagnosticFormat::Human {
        if let Some(plan) = &analysis.plan {
            let _ = writeln!(
                io.stderr(),
                "ok: plan `{}` with {} environments",
                plan.name,
                plan.environments.len()
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
                    reason: allow.reason.clone(),
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
