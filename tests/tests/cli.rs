//! The command line, run in-process: exit codes, output streams and formats.

use hostplan_tests::{hostplan, repo_root};

fn path(relative: &str) -> String {
    repo_root().join(relative).display().to_string()
}

fn write_plan(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let file = dir.path().join(name);
    std::fs::write(&file, text).expect("write plan");
    file.display().to_string()
}

const BROKEN: &str = r#"import "std/cht"
import "std/policies"
plan "p" { cht = "5.2.0", owner = "MoH" }
population { people = 1_000, workflows = 1 }
users { role chw { count = 10 } }
secret couchdb_admin = generate(words = 7)
secret couchdb_secret = generate(words = 7)
policy nightly extends policies.development {
  backup { every = 24h, retension = 35d }
}
environment dev { kind = development, target = compose, infra = local, domain = "localhost", data = synthetic, policy = nightly }
"#;

#[test]
fn check_passes_on_every_example() {
    for entry in walkdir::WalkDir::new(repo_root().join("examples"))
        .into_iter()
        .filter_map(Result::ok)
    {
        if entry.file_name() != "plan.hplan" {
            continue;
        }
        let (code, stdout, stderr) = hostplan(&["check", &entry.path().display().to_string()]);
        assert_eq!(code, 0, "{}: {stderr}", entry.path().display());
        assert!(stdout.is_empty());
        assert!(stderr.starts_with("ok: plan"), "{stderr}");
    }
}

#[test]
fn check_reports_errors_with_location_code_and_help() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plan = write_plan(&dir, "plan.hplan", BROKEN);
    let (code, stdout, stderr) = hostplan(&["check", &plan]);
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("error[E2103]: unknown field `retension` in `backup`"),
        "{stderr}"
    );
    assert!(stderr.contains("plan.hplan:9:25"), "{stderr}");
    assert!(stderr.contains("see `hostplan explain E2103`"), "{stderr}");
    assert!(stderr.ends_with("1 error\n"), "{stderr}");
}

#[test]
fn check_json_is_a_versioned_document_on_stdout() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plan = write_plan(&dir, "plan.hplan", BROKEN);
    let (code, stdout, stderr) = hostplan(&["check", "--format", "json", &plan]);
    assert_eq!(code, 1);
    assert!(stderr.is_empty(), "{stderr}");
    let value: serde_json::Value = serde_json::from_str(&stdout).expect("valid JSON");
    assert_eq!(value["version"], 1);
    assert_eq!(value["summary"]["errors"], 1);
    let first = &value["diagnostics"][0];
    assert_eq!(first["code"], "E2103");
    assert_eq!(first["name"], "unknown-field");
    assert_eq!(first["file"], "plan.hplan");
    assert_eq!(first["start"]["line"], 9);
    assert_eq!(first["start"]["column"], 25);
    assert_eq!(first["end"]["column"], 34);
    assert_eq!(first["value"], "retension");
}

#[test]
fn usage_and_io_errors_exit_with_two() {
    let (code, _, stderr) = hostplan(&["check", &path("examples/does-not-exist.hplan")]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read"), "{stderr}");
    let (code, _, stderr) = hostplan(&["frobnicate"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unrecognized subcommand"), "{stderr}");
}

#[test]
fn explain_prints_a_page_or_lists_codes() {
    let (code, stdout, _) = hostplan(&["explain", "E2103"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("# E2103 unknown-field"));
    assert!(stdout.contains("## How to fix"));
    let (code, stdout, _) = hostplan(&["explain", "unknown-field"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("# E2103"));
    let (code, stdout, _) = hostplan(&["explain"]);
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().count(), hostplan_diagnostics::CODES.len());
    let (code, _, stderr) = hostplan(&["explain", "E9999"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no diagnostic code"));
}

#[test]
fn every_code_has_a_page_with_the_fixed_sections() {
    for info in hostplan_diagnostics::CODES {
        for section in ["## What it means", "## Example", "## How to fix"] {
            assert!(info.doc.contains(section), "{} lacks {section}", info.code);
        }
        assert!(
            info.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-'),
            "{} name {}",
            info.code,
            info.name
        );
    }
}

#[test]
fn fmt_check_reports_and_fmt_rewrites() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plan = write_plan(&dir, "plan.hplan", "plan \"p\" {cht=\"5.2.0\"}\n");
    let (code, stdout, _) = hostplan(&["fmt", "--check", &plan]);
    assert_eq!(code, 1);
    assert!(stdout.starts_with("would reformat"));
    let (code, _, _) = hostplan(&["fmt", &plan]);
    assert_eq!(code, 0);
    assert_eq!(
        std::fs::read_to_string(&plan).expect("read"),
        "plan \"p\" { cht = \"5.2.0\" }\n"
    );
    let (code, _, _) = hostplan(&["fmt", "--check", dir.path().to_str().expect("utf-8 path")]);
    assert_eq!(code, 0);
}

#[test]
fn fmt_refuses_files_with_syntax_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = "plan \"p\" {\n  cht = \n";
    let plan = write_plan(&dir, "plan.hplan", text);
    let (code, _, stderr) = hostplan(&["fmt", &plan]);
    assert_eq!(code, 1);
    assert!(stderr.contains("error[E0006]"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&plan).expect("read"), text);
}

#[test]
fn build_writes_the_estimate_reports_beside_the_environments() {
    let out = tempfile::tempdir().expect("temp dir");
    let out_dir = out.path().join("out");
    let (code, _, stderr) = hostplan(&[
        "build",
        &path("examples/national/plan.hplan"),
        "--out",
        out_dir.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let json_text = std::fs::read_to_string(out_dir.join("estimate.json")).expect("estimate.json");
    let json: serde_json::Value = serde_json::from_str(&json_text).expect("valid JSON");
    let schema = hostplan_codegen::report::json::schema();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .expect("the report schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|it| it.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(json["generated"]
        .as_str()
        .is_some_and(|it| it.starts_with("Generated by hostplan from ")));
    let environments: Vec<&str> = json["environments"]
        .as_array()
        .expect("environments")
        .iter()
        .filter_map(|it| it["name"].as_str())
        .collect();
    assert_eq!(environments, ["dev", "uat", "production"]);
    let markdown = std::fs::read_to_string(out_dir.join("estimate.md")).expect("estimate.md");
    assert!(markdown.starts_with("<!-- Generated by hostplan from "));
    assert!(markdown.contains("# Capacity and cost estimate: moh-national"));
    let html = std::fs::read_to_string(out_dir.join("estimate.html")).expect("estimate.html");
    assert!(html.starts_with("<!-- Generated by hostplan from "));
    assert!(
        html.contains("<svg") && !html.contains("<script"),
        "charts are inline SVG and need no script"
    );
}
