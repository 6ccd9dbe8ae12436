//! Shared helpers for the cross-crate test suites.

pub mod suite;
pub mod validate;

use std::path::PathBuf;

/// The repository's root directory.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// Captured standard streams for running the command line in-process.
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

/// Runs `hostplan ARGS` in-process from the repository root; returns the exit code,
/// stdout and stderr.
pub fn hostplan(args: &[&str]) -> (i32, String, String) {
    let mut io = TestIo::default();
    let mut argv = vec!["hostplan".to_string()];
    argv.extend(args.iter().map(|it| it.to_string()));
    let code = hostplan_cli::run(&argv, &mut io);
    (
        code,
        String::from_utf8_lossy(&io.stdout).into_owned(),
        String::from_utf8_lossy(&io.stderr).into_owned(),
    )
}
