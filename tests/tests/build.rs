//! `hostplan build` and `hostplan graph` through the command line, in-process: same bytes on
//! every run, stale files removed, foreign files kept, and a failed build leaving the previous
//! output as it was.

use std::fs;
use std::path::{Path, PathBuf};

use hostplan_cli::Io;

#[derive(Default)]
struct TestIo {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Io for TestIo {
    fn stdout(&mut self) -> &mut dyn std::io::Write {
        &mut self.stdout
    }
    fn stderr(&mut self) -> &mut dyn std::io::Write {
        &mut self.stderr
    }
}

/// Streams of a process that ends with its command, as the `hostplan` binary's do: the command
/// then leaves what it built for the end of the process to free (in a test, it leaks).
#[derive(Default)]
struct EndingIo(TestIo);

impl Io for EndingIo {
    fn stdout(&mut self) -> &mut dyn std::io::Write {
        self.0.stdout()
    }
    fn stderr(&mut self) -> &mut dyn std::io::Write {
        self.0.stderr()
    }
    fn process_ends(&self) -> bool {
        true
    }
}

fn run(args: &[&str]) -> (i32, String, String) {
    let mut io = TestIo::default();
    let code = run_in(&mut io, args);
    (
        code,
        String::from_utf8_lossy(&io.stdout).into_owned(),
        String::from_utf8_lossy(&io.stderr).into_owned(),
    )
}

fn run_in(io: &mut dyn Io, args: &[&str]) -> i32 {
    let mut argv = vec!["hostplan".to_string()];
    argv.extend(args.iter().map(|it| it.to_string()));
    hostplan_cli::run(&argv, io)
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name)
        .join("plan.hplan")
        .to_string_lossy()
        .into_owned()
}

/// Every file under `dir`, relative, with its bytes, sorted.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|it| it.file_type().is_file())
        .map(|it| {
            (
                it.path()
                    .strip_prefix(dir)
                    .unwrap_or(it.path())
                    .to_string_lossy()
                    .into_owned(),
                fs::read(it.path()).unwrap_or_default(),
            )
        })
        .collect();
    out.sort();
    out
}

fn out_dir(temp: &tempfile::TempDir) -> PathBuf {
    temp.path().join("out")
}

#[test]
fn building_twice_gives_identical_bytes() {
    let first = tempfile::tempdir().expect("temp dir");
    let second = tempfile::tempdir().expect("temp dir");
    for temp in [&first, &second] {
        let (code, _, stderr) = run(&[
            "build",
            &example("clinic"),
            "--out",
            &out_dir(temp).to_string_lossy(),
        ]);
        assert_eq!(code, 0, "{stderr}");
    }
    let a = snapshot(&out_dir(&first));
    assert!(a.len() > 10);
    assert_eq!(a, snapshot(&out_dir(&second)));
    // Building again over the same directory changes nothing.
    let (code, _, stderr) = run(&[
        "build",
        &example("clinic"),
        "--out",
        &out_dir(&first).to_string_lossy(),
    ]);
    assert_eq!(code, 0);
    assert!(
        stderr.contains("(0 changed, 21 unchanged, 0 removed)"),
        "{stderr}"
    );
    assert_eq!(snapshot(&out_dir(&first)), a);
}

#[test]
fn a_build_that_leaves_its_memory_to_the_end_of_the_process_writes_the_same_bytes() {
    // The `hostplan` binary does not free the trees and files it built (the process ends right
    // after); nothing it writes may depend on that.
    let freed = tempfile::tempdir().expect("temp dir");
    let left = tempfile::tempdir().expect("temp dir");
    let national = example("national");
    let (code, _, stderr) = run(&[
        "build",
        &national,
        "--out",
        &out_dir(&freed).to_string_lossy(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let mut io = EndingIo::default();
    let code = run_in(
        &mut io,
        &[
            "build",
            &national,
            "--out",
            &out_dir(&left).to_string_lossy(),
        ],
    );
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&io.0.stderr));
    let written = snapshot(&out_dir(&freed));
    assert!(written.len() > 40, "{} files", written.len());
    assert_eq!(snapshot(&out_dir(&left)), written);
}

#[test]
fn stale_outputs_are_removed_and_foreign_files_kept() {
    let temp = tempfile::tempdir().expect("temp dir");
    let out = out_dir(&temp);
    let plan_dir = temp.path().join("plan");
    fs::create_dir_all(&plan_dir).expect("mkdir");
    let text = fs::read_to_string(example("clinic")).expect("example");
    let plan = plan_dir.join("plan.hplan");
    fs::write(&plan, &text).expect("write plan");
    let (code, _, stderr) = run(&[
        "build",
        &plan.to_string_lossy(),
        "--out",
        &out.to_string_lossy(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    // The operator's own files: a filled-in .env beside the generated example, and notes.
    fs::write(
        out.join("production/upgrade-service/.env"),
        "COUCHDB_PASSWORD=kept\n",
    )
    .expect("write");
    fs::write(out.join("NOTES.md"), "mine\n").expect("write");
    // Production loses its monitoring and analytics: their files must go.
    let smaller = text
        .replace("  monitor   = watchdog\n", "")
        .replace("  analytics = cht_sync\n", "")
        .replace(
            "  secrets { postgres = analytics_db, grafana_admin = grafana_password }\n",
            "",
        );
    let smaller = smaller
        .replace("secret analytics_db     = generate(length = 32)\n", "")
        .replace("secret grafana_password = generate(words = 7)\n", "");
    fs::write(&plan, smaller).expect("write plan");
    let (code, _, stderr) = run(&[
        "build",
        &plan.to_string_lossy(),
        "--out",
        &out.to_string_lossy(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !out.join("production/watchdog").exists(),
        "the Watchdog folder is gone"
    );
    assert!(!out
        .join("production/compose/hostplan-cht-sync.yml")
        .exists());
    assert_eq!(
        fs::read_to_string(out.join("production/upgrade-service/.env"))
            .ok()
            .as_deref(),
        Some("COUCHDB_PASSWORD=kept\n")
    );
    assert_eq!(
        fs::read_to_string(out.join("NOTES.md")).ok().as_deref(),
        Some("mine\n")
    );
    let manifest = fs::read_to_string(out.join(".hostplan-manifest")).expect("manifest");
    assert!(
        !manifest.contains("NOTES.md") && !manifest.contains("watchdog"),
        "{manifest}"
    );
    // Nothing is left beside the output directory.
    let siblings: Vec<String> = fs::read_dir(temp.path())
        .expect("read")
        .filter_map(Result::ok)
        .map(|it| it.file_name().to_string_lossy().into_owned())
        .collect();
    let mut siblings = siblings;
    siblings.sort();
    assert_eq!(siblings, ["out", "plan"]);
}

#[test]
fn a_build_that_fails_half_way_leaves_the_previous_output_as_it_was() {
    let temp = tempfile::tempdir().expect("temp dir");
    let out = out_dir(&temp);
    let (code, _, _) = run(&[
        "build",
        &example("national"),
        "--out",
        &out.to_string_lossy(),
    ]);
    assert_eq!(code, 0);
    let before = snapshot(&out);
    // A plan that now also writes `clinic`'s environments, where a file the build does not own
    // is in the way: writing stops half-way, after the first files are staged.
    fs::create_dir_all(out.join("training")).expect("mkdir");
    fs::write(out.join("training/README.md"), "the operator's own notes\n").expect("write");
    let mut before_with_foreign = before.clone();
    before_with_foreign.push((
        "training/README.md".to_string(),
        b"the operator's own notes\n".to_vec(),
    ));
    before_with_foreign.sort();
    let (code, _, stderr) = run(&["build", &example("clinic"), "--out", &out.to_string_lossy()]);
    assert_eq!(code, 2, "an I/O failure is exit 2: {stderr}");
    assert!(
        stderr.contains("previous build did not write it") && stderr.contains("unchanged"),
        "{stderr}"
    );
    assert_eq!(
        snapshot(&out),
        before_with_foreign,
        "the previous output is intact"
    );
    let siblings = fs::read_dir(temp.path()).expect("read").count();
    assert_eq!(siblings, 1, "no staging directory is left behind");
}

#[test]
fn building_one_environment_keeps_the_others() {
    let temp = tempfile::tempdir().expect("temp dir");
    let out = out_dir(&temp);
    let (code, _, _) = run(&["build", &example("clinic"), "--out", &out.to_string_lossy()]);
    assert_eq!(code, 0);
    let before = snapshot(&out);
    let (code, _, stderr) = run(&[
        "build",
        &example("clinic"),
        "--out",
        &out.to_string_lossy(),
        "--env",
        "training",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(snapshot(&out), before);
    let (code, _, stderr) = run(&[
        "build",
        &example("clinic"),
        "--out",
        &out.to_string_lossy(),
        "--env",
        "nope",
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no environment `nope`; its environments are: training, production"),
        "{stderr}"
    );
}

#[test]
fn a_plan_with_errors_writes_nothing() {
    let temp = tempfile::tempdir().expect("temp dir");
    let plan = temp.path().join("plan.hplan");
    fs::write(&plan, "plan \"x\" { cht = \"9.9.9\", owner = \"o\" }\n").expect("write");
    let out = temp.path().join("out");
    let (code, _, stderr) = run(&[
        "build",
        &plan.to_string_lossy(),
        "--out",
        &out.to_string_lossy(),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(!out.exists());
}

#[test]
fn the_output_directory_may_not_contain_the_plan() {
    let temp = tempfile::tempdir().expect("temp dir");
    let plan = temp.path().join("plan.hplan");
    fs::write(
        &plan,
        fs::read_to_string(example("clinic")).expect("example"),
    )
    .expect("write");
    let (code, _, stderr) = run(&[
        "build",
        &plan.to_string_lossy(),
        "--out",
        &temp.path().to_string_lossy(),
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("contains the plan"), "{stderr}");
}

#[test]
fn graph_prints_dot_mermaid_and_json() {
    let (code, dot, stderr) = run(&["graph", &example("national"), "--format", "dot"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(dot.starts_with("digraph \"moh-national\" {"));
    assert!(
        dot.contains(
            "\"dev/service/nginx\" -> \"dev/service/api\" [label=\"requests\", style=bold];"
        ),
        "{dot}"
    );
    let (code, mermaid, _) = run(&[
        "graph",
        &example("national"),
        "--format",
        "mermaid",
        "--env",
        "dev",
    ]);
    assert_eq!(code, 0);
    assert!(mermaid.starts_with("flowchart LR\n") && mermaid.contains("==>|requests|"));
    assert!(!mermaid.contains("production"));
    let (code, json, _) = run(&["graph", &example("national"), "--format", "json"]);
    assert_eq!(code, 0);
    let value: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(value["cycles"], serde_json::json!([]));
    let edges = value["edges"].as_array().cloned().unwrap_or_default();
    for (from, to) in [("nginx", "api"), ("api", "haproxy"), ("haproxy", "couchdb")] {
        let edge = serde_json::json!({ "from": format!("dev/service/{from}"), "to": format!("dev/service/{to}"), "kind": "requests" });
        assert!(edges.contains(&edge), "{from} -> {to}");
    }
    let (again, _, _) = (
        run(&["graph", &example("national"), "--format", "json"]).1,
        0,
        0,
    );
    assert_eq!(json, again, "the same graph on every run");
}
