//! The commands that produce outputs: `hostplan build` and `hostplan graph`.

use std::path::Path;

use hostplan_core::Analysis;
use hostplan_diagnostics::Diagnostic;

use crate::commands::{analyze, analyze_then_use, print_diagnostics};
use crate::{exit, DiagnosticFormat, Io};

/// The memory a build is given ahead of use: two huge pages, what a plan of a few environments
/// such as the national example takes (2.5 to 3 MiB).
const BUILD_MEMORY: usize = 4 << 20;

/// `hostplan build`: checks the plan, lowers it, runs the backends and writes the outputs.
pub(crate) fn build(
    plan_path: &Path,
    out: &Path,
    env: Option<&str>,
    format: DiagnosticFormat,
    io: &mut dyn Io,
) -> i32 {
    let analysis = match analyze_then_use(plan_path, BUILD_MEMORY, io) {
        Ok(it) => it,
        Err(code) => return code,
    };
    let Some((program, diagnostics)) = lowered(&analysis, format, io) else {
        return exit::PLAN_ERRORS;
    };
    let _ = diagnostics;
    if let Some(name) = env {
        if program.environment(name).is_none() {
            return unknown_environment(&program, name, io);
        }
    }
    if let Err(message) = check_output_dir(plan_path, out) {
        let _ = writeln!(io.stderr(), "error: {message}");
        return exit::USAGE;
    }
    let prefixes: Option<Vec<String>> = env.map(|name| vec![format!("{name}/")]);
    let target = match crate::build::Target::prepare(out, prefixes.as_deref()) {
        Ok(it) => it,
        Err(error) => return write_failed(&error, out, io),
    };
    // Each file is hashed for the manifest, and compared with the previous build's, on the
    // thread that generated it.
    let outputs: Vec<crate::build::Output> = generate_with(
        &analysis,
        &program,
        &plan_display_path(plan_path, out),
        env,
        io.process_ends(),
        |it| target.output(it.path, it.contents),
    )
    .into_iter()
    .flatten()
    .collect();
    let written = target.write(&outputs);
    // The analysis, the resource model and the files are tens of thousands of allocations.
    crate::commands::release((analysis, program, outputs), io);
    match written {
        Ok(summary) => {
            // One write: the standard error stream is unbuffered.
            let message = format!(
                "built {} files into `{}` ({} changed, {} unchanged, {} removed)\n",
                summary.written + summary.unchanged,
                out.display(),
                summary.written,
                summary.unchanged,
                summary.removed.len()
            );
            let _ = io.stderr().write_all(message.as_bytes());
            exit::OK
        }
        Err(error) => write_failed(&error, out, io),
    }
}

/// Reports a failure to write the outputs, which left the previous ones as they were.
fn write_failed(error: &crate::build::Error, out: &Path, io: &mut dyn Io) -> i32 {
    let _ = writeln!(
        io.stderr(),
        "error: {error}\nthe previous contents of `{}` are unchanged",
        out.display()
    );
    exit::USAGE
}

/// Every file `hostplan build` writes for an analysed and lowered plan, in memory: each
/// environment's outputs (only `env`'s when given) and, for the whole plan, the estimate reports.
/// `plan_path` is the plan as the generated files name it.
///
/// Environments and reports are independent, so they are generated on all cores; the files
/// come out in the same order as one after the other: the environments in plan order, then
/// the reports.
pub fn generate(
    analysis: &Analysis,
    program: &hostplan_core::ir::Program,
    plan_path: &str,
    env: Option<&str>,
) -> Vec<hostplan_codegen::OutputFile> {
    generate_with(analysis, program, plan_path, env, false, |it| it)
        .into_iter()
        .flatten()
        .collect()
}

/// One independent piece of a build's outputs.
enum Job<'a> {
    Report(Report),
    Environment(&'a hostplan_core::ir::Environment),
}

/// [`generate`], with `finish` applied to each file on the thread that made it (the build
/// hashes them there); the files of each job in order, jobs in output order.
fn generate_with<T: Send>(
    analysis: &Analysis,
    program: &hostplan_core::ir::Program,
    plan_path: &str,
    env: Option<&str>,
    process_ends: bool,
    finish: impl Fn(hostplan_codegen::OutputFile) -> T + Sync,
) -> Vec<Vec<T>> {
    let options = hostplan_codegen::EmitOptions {
        plan_path: plan_path.to_string(),
        process_ends,
    };
    let environments = program
        .environments
        .iter()
        .filter(|it| env.is_none_or(|name| name == it.name));
    let mut jobs: Vec<Job> = environments.map(Job::Environment).collect();
    let reports = report_input(analysis).filter(|_| env.is_none());
    if reports.is_some() {
        jobs.extend(REPORTS.map(Job::Report));
    }
    // The threads take the jobs in this order: the largest first, so that no large job is
    // left to run alone at the end. Each job keeps its place in the output.
    let mut order: Vec<(usize, &Job)> = jobs.iter().enumerate().collect();
    order.sort_by_key(|(place, job)| (std::cmp::Reverse(job.weight()), *place));
    let done = crate::parallel::map(&order, |(_, job)| match job {
        Job::Environment(env) => hostplan_codegen::emit_environment(program, env, &options)
            .into_iter()
            .map(&finish)
            .collect(),
        Job::Report(report) => reports
            .as_ref()
            .map(|input| finish(report_file(*report, input, plan_path)))
            .into_iter()
            .collect(),
    });
    let mut placed: Vec<(usize, Vec<T>)> =
        order.iter().map(|(place, _)| *place).zip(done).collect();
    placed.sort_unstable_by_key(|(place, _)| *place);
    placed.into_iter().map(|(_, files)| files).collect()
}

impl Job<'_> {
    /// A rough rank of how long the job takes, from what the backends write: an environment
    /// with Terraform and Kubernetes manifests, one with Terraform, then one of Kubernetes
    /// manifests and each estimate report, then a Compose environment.
    fn weight(&self) -> u8 {
        match self {
            Job::Report(_) => 3,
            Job::Environment(env) => {
                let terraform = u8::from(env.infrastructure.cloud.is_some());
                let kubernetes = u8::from(matches!(
                    env.target,
                    hostplan_core::ir::Target::Kubernetes(_)
                ));
                2 + 2 * terraform + kubernetes
            }
        }
    }
}

/// `hostplan graph`: prints the dependency graph of the plan's resources.
pub(crate) fn graph(
    plan_path: &Path,
    env: Option<&str>,
    format: crate::GraphFormat,
    io: &mut dyn Io,
) -> i32 {
    let format = match format {
        crate::GraphFormat::Dot => hostplan_core::graph::Format::Dot,
        crate::GraphFormat::Mermaid => hostplan_core::graph::Format::Mermaid,
        crate::GraphFormat::Json => hostplan_core::graph::Format::Json,
    };
    let analysis = match analyze(plan_path, io) {
        Ok(it) => it,
        Err(code) => return code,
    };
    let Some((program, _)) = lowered(&analysis, DiagnosticFormat::Human, io) else {
        return exit::PLAN_ERRORS;
    };
    if let Some(name) = env {
        if program.environment(name).is_none() {
            return unknown_environment(&program, name, io);
        }
    }
    let graph = hostplan_core::graph::build(&program, env);
    let _ = io.stdout().write_all(graph.render(format).as_bytes());
    let cycles = graph.cycles();
    if !cycles.is_empty() {
        for cycle in cycles {
            let _ = writeln!(
                io.stderr(),
                "error: these resources need each other, so none can come first: {}",
                cycle.join(", ")
            );
        }
        return exit::PLAN_ERRORS;
    }
    exit::OK
}

/// Checks and lowers a plan, printing its diagnostics; `None` when it has errors.
fn lowered(
    analysis: &Analysis,
    format: DiagnosticFormat,
    io: &mut dyn Io,
) -> Option<(hostplan_core::ir::Program, Vec<Diagnostic>)> {
    let mut diagnostics = analysis.diagnostics.clone();
    let lowered = analysis
        .plan
        .as_ref()
        .filter(|_| !analysis.has_errors())
        .map(|plan| hostplan_core::provision::lower(plan, analysis.estimate.as_ref()));
    if let Some((_, lower_diagnostics)) = &lowered {
        diagnostics.extend(lower_diagnostics.iter().cloned());
        hostplan_diagnostics::sort_and_dedup(&mut diagnostics);
    }
    if !diagnostics.is_empty() || format == DiagnosticFormat::Json {
        print_diagnostics(&diagnostics, &analysis.workspace.sources, format, io);
    }
    if diagnostics.iter().any(Diagnostic::is_error) {
        return None;
    }
    lowered
}

fn unknown_environment(program: &hostplan_core::ir::Program, name: &str, io: &mut dyn Io) -> i32 {
    let names: Vec<&str> = program
        .environments
        .iter()
        .map(|it| it.name.as_str())
        .collect();
    let _ = writeln!(
        io.stderr(),
        "error: the plan has no environment `{name}`; its environments are: {}",
        names.join(", ")
    );
    exit::USAGE
}

/// Refuses output directories whose replacement would pull the ground from under the user:
/// the file system root, the current directory or one of its ancestors, or the plan's own
/// directory.
fn check_output_dir(plan: &Path, out: &Path) -> Result<(), String> {
    let absolute = |path: &Path| -> Option<std::path::PathBuf> {
        let joined = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir().ok()?.join(path)
        };
        Some(normalize(&joined))
    };
    let Some(out_abs) = absolute(out) else {
        return Ok(());
    };
    if out_abs.parent().is_none() {
        return Err(format!("`{}` is the root of the file system; choose a directory for the outputs, such as `--out out`", out.display()));
    }
    if let Some(cwd) = std::env::current_dir().ok().map(|it| normalize(&it)) {
        if cwd.starts_with(&out_abs) {
            return Err(format!("`{}` contains the current directory; the build replaces its output directory, so choose a subdirectory such as `--out out`", out.display()));
        }
    }
    if let Some(plan_dir) = absolute(plan).and_then(|it| it.parent().map(Path::to_path_buf)) {
        if plan_dir.starts_with(&out_abs) {
            return Err(format!("`{}` contains the plan; choose a directory for the outputs only, such as `--out out`", out.display()));
        }
    }
    Ok(())
}

/// Removes `.` and resolves `..` lexically.
fn normalize(path: &Path) -> std::path::PathBuf {
    let mut out = std::path::PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The plan as generated files name it: its path relative to the output directory, with `/`,
/// so the header is the same wherever the build runs from; the bare file name when no
/// relative path exists.
fn plan_display_path(plan: &Path, out: &Path) -> String {
    let file_name = plan
        .file_name()
        .map(|it| it.to_string_lossy().into_owned())
        .unwrap_or_default();
    let absolute = |path: &Path| -> Option<std::path::PathBuf> {
        let joined = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir().ok()?.join(path)
        };
        Some(normalize(&joined))
    };
    let (Some(plan_abs), Some(out_abs)) = (absolute(plan), absolute(out)) else {
        return file_name;
    };
    let plan_parts: Vec<_> = plan_abs.components().collect();
    let out_parts: Vec<_> = out_abs.components().collect();
    let common = plan_parts
        .iter()
        .zip(out_parts.iter())
        .take_while(|(a, b)| a == b)
        .count();
    if common == 0 {
        return file_name;
    }
    let mut parts: Vec<String> = vec!["..".to_string(); out_parts.len().saturating_sub(common)];
    parts.extend(
        plan_parts
            .iter()
            .skip(common)
            .map(|it| it.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// The estimate of the whole plan as `estimate.json`, `estimate.md` and `estimate.html`, at the
/// top of the output directory. A build of one environment leaves them as they are.
pub fn estimate_files(analysis: &Analysis, plan_path: &str) -> Vec<hostplan_codegen::OutputFile> {
    let Some(input) = report_input(analysis) else {
        return Vec::new();
    };
    REPORTS
        .into_iter()
        .map(|report| report_file(report, &input, plan_path))
        .collect()
}

/// The estimate reports a build writes.
#[derive(Clone, Copy)]
enum Report {
    Json,
    Markdown,
    Html,
}

/// Every estimate report, in the order of the build's output.
const REPORTS: [Report; 3] = [Report::Json, Report::Markdown, Report::Html];

fn report_input(analysis: &Analysis) -> Option<hostplan_codegen::report::ReportInput<'_>> {
    let (Some(model), Some(estimate)) = (&analysis.plan, &analysis.estimate) else {
        return None;
    };
    Some(hostplan_codegen::report::ReportInput {
        estimate,
        suppressions: crate::commands::suppressions(model),
    })
}

fn report_file(
    report: Report,
    input: &hostplan_codegen::report::ReportInput,
    plan_path: &str,
) -> hostplan_codegen::OutputFile {
    let (path, contents) = match report {
        Report::Json => (
            "estimate.json",
            hostplan_codegen::report::json::render_generated(
                input,
                Some(&hostplan_codegen::header::text(plan_path)),
            ),
        ),
        Report::Markdown => (
            "estimate.md",
            format!(
                "{}{}",
                hostplan_codegen::header::html_comment(plan_path),
                hostplan_codegen::report::markdown::render(input)
            ),
        ),
        Report::Html => (
            "estimate.html",
            format!(
                "{}{}",
                hostplan_codegen::header::html_comment(plan_path),
                hostplan_codegen::report::html::render(input)
            ),
        ),
    };
    hostplan_codegen::OutputFile {
        path: path.to_string(),
        contents,
    }
}
