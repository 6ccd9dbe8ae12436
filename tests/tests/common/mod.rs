//! Helpers shared by the command-line suites: an in-memory [`hostplan_cli::Io`] and paths.

#![allow(
    dead_code,
    reason = "each suite uses a different subset of the helpers"
)]

use std::path::PathBuf;

/// Captures what a command writes.
#[derive(Default)]
pub struct TestIo {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl hostplan_cli::Io for TestIo {
    fn stdout(&mut self) -> &mut dyn std::io::Write {
        &mut self.stdout
    }
    fn stderr(&mut self) -> &mut dyn std::io::Write {
        &mut self.stderr
    }
}

/// The result of one command.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `hostplan ARGS...` in-process.
pub fn hostplan(args: &[&str]) -> Run {
    let mut argv = vec!["hostplan".to_string()];
    argv.extend(args.iter().map(|it| it.to_string()));
    let mut io = TestIo::default();
    let code = hostplan_cli::run(&argv, &mut io);
    Run {
        code,
        stdout: String::from_utf8_lossy(&io.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&io.stderr).into_owned(),
    }
}

/// The repository's root directory.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every example plan, `examples/*/plan.hplan`, sorted.
pub fn examples() -> Vec<PathBuf> {
    let mut plans: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|it| it.path().join("plan.hplan"))
                .filter(|it| it.is_file())
                .collect()
        })
        .unwrap_or_default();
    plans.sort();
    plans
}

/// A fixture under `tests/fixtures/`.
pub fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path)
}
