//! Secrets never leak: every secret that a plan reads from the environment is set to a unique
//! canary value, and no output, diagnostic or log of any command may contain one.
//!
//! The canaries are set in this process's environment, which is what `hostplan` would see
//! when a deploy script runs it; this file holds a single test so that no other test runs
//! while the environment is changed. `build` is covered as soon as the command exists: its
//! output directory is searched file by file.

mod common;

use std::path::{Path, PathBuf};

use hostplan_core::model::SecretSource;

use common::{examples, fixture, hostplan};

/// The plans searched: every example, and a fixture whose findings are about its secrets.
fn plans() -> Vec<PathBuf> {
    let mut plans = examples();
    plans.push(fixture("canary/plan.hplan"));
    plans
}

/// The environment variables the plan's secrets read.
fn secret_variables(plan: &Path) -> Vec<String> {
    let root = plan.parent().map(Path::to_path_buf).unwrap_or_default();
    let name = plan
        .file_name()
        .map(|it| it.to_string_lossy().into_owned())
        .unwrap_or_default();
    let loader = hostplan_cli::FsLoader { root };
    let analysis = match hostplan_core::analyze(
        &loader,
        &name,
        &mut hostplan_core::modules::ParseCache::default(),
    ) {
        Ok(it) => it,
        Err(error) => panic!("cannot read {}: {error}", plan.display()),
    };
    let Some(model) = analysis.plan else {
        panic!("{} has no model", plan.display())
    };
    model
        .secrets
        .iter()
        .filter_map(|it| match &it.source {
            SecretSource::Env(name) => Some(name.clone()),
            _ => None,
        })
        .collect()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|it| it.file_type().is_file())
        .map(|it| it.into_path())
        .collect()
}

#[test]
fn no_canary_appears_in_any_output() {
    // `build --help` succeeds once the command exists, and is a usage error before.
    let has_build = hostplan(&["build", "--help"]).code == 0;
    let mut searched = 0;
    for plan in plans() {
        let variables = secret_variables(&plan);
        assert!(
            !variables.is_empty(),
            "{} reads no secret from the environment",
            plan.display()
        );
        let canaries: Vec<(String, String)> = variables
            .iter()
            .enumerate()
            .map(|(idx, name)| {
                (
                    name.clone(),
                    format!("canary-{idx}-7f3e9b1c-{}", name.to_lowercase()),
                )
            })
            .collect();
        for (name, value) in &canaries {
            std::env::set_var(name, value);
        }
        let path = plan.to_string_lossy().into_owned();
        let mut outputs: Vec<(String, String)> = Vec::new();
        for format in ["human", "json", "sarif", "github"] {
            let run = hostplan(&["check", "--format", format, &path]);
            outputs.push((format!("check --format {format} (stdout)"), run.stdout));
            outputs.push((format!("check --format {format} (stderr)"), run.stderr));
        }
        let extras: [&[&str]; 3] = [
            &["--explain-policy", "--format", "human"],
            &["--explain-policy", "--format", "json"],
            &["--deny", "warnings", "--format", "github"],
        ];
        for extra in extras {
            let mut args = vec!["check"];
            args.extend(extra.iter().copied());
            args.push(&path);
            let run = hostplan(&args);
            outputs.push((
                format!("check {}", extra.join(" ")),
                format!("{}{}", run.stdout, run.stderr),
            ));
        }
        if has_build {
            let out = match tempfile::tempdir() {
                Ok(it) => it,
                Err(error) => panic!("no temporary directory: {error}"),
            };
            let out_path = out.path().to_string_lossy().into_owned();
            let run = hostplan(&["build", &path, "--out", &out_path]);
            outputs.push((
                "build (stdout and stderr)".to_string(),
                format!("{}{}", run.stdout, run.stderr),
            ));
            for file in files_under(out.path()) {
                let bytes = std::fs::read(&file).unwrap_or_default();
                outputs.push((
                    format!("build output {}", file.display()),
                    String::from_utf8_lossy(&bytes).into_owned(),
                ));
            }
        }
        for (what, text) in &outputs {
            searched += 1;
            for (name, value) in &canaries {
                assert!(
                    !text.contains(value.as_str()),
                    "{}: the value of `{name}` leaked into {what}",
                    plan.display()
                );
            }
        }
        // Where the fixture's findings are about a secret, they name it by reference.
        if plan.starts_with(fixture("")) {
            let name = "$CANARY_ADMIN_PASSWORD";
            assert!(
                outputs.iter().any(|(_, text)| text.contains(name)),
                "{}: no output refers to `{name}`",
                plan.display()
            );
        }
        for (name, _) in &canaries {
            std::env::remove_var(name);
        }
    }
    assert!(20 < searched, "only {searched} outputs searched");
}
