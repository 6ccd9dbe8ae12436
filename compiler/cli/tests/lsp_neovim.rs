//! End to end: Neovim, headless, runs the real `hostplan lsp` through the configuration in
//! `editors/nvim` on an example plan with an error, and reports the diagnostic it received.
//!
//! The test needs `nvim` on `PATH` (`.ci/run` installs it). Without it the test says so on
//! stderr and passes, except under CI (`CI` set), where a missing `nvim` is a failure.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn neovim_shows_the_servers_diagnostic_with_code_and_range() {
    if Command::new("nvim")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_err()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "nvim is not installed, but CI must run this test: install neovim"
        );
        eprintln!("SKIPPED neovim_shows_the_servers_diagnostic_with_code_and_range: nvim is not installed (apt-get install -y neovim)");
        return;
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let example = std::fs::read_to_string(repo.join("examples/national/plan.hplan")).unwrap();
    // A typo on a line with non-ASCII text before it: the server sends UTF-16 columns, and
    // Neovim turns them into byte columns.
    let needle = "  owner   = \"Ministry of Health, Digital Health Unit\"";
    assert!(
        example.contains(needle),
        "the example changed; update this test"
    );
    let broken = example.replacen(
        needle,
        "  owner   = \"Ministère de la Santé 😀\", horizn = 5y",
        1,
    );
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.hplan");
    std::fs::write(&plan, &broken).unwrap();
    let out = dir.path().join("diagnostics.txt");

    let mut child = Command::new("nvim")
        .args(["--headless", "--clean", "-n", "-c"])
        .arg(format!(
            "luafile {}",
            repo.join("editors/nvim/test/e2e.lua").display()
        ))
        .env("HOSTPLAN_BIN", env!("CARGO_BIN_EXE_hostplan"))
        .env("HOSTPLAN_PLAN", &plan)
        .env("HOSTPLAN_OUT", &out)
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("neovim did not finish in 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let report = std::fs::read_to_string(&out).unwrap_or_else(|_| "no report".to_string());
    let line = broken.lines().position(|it| it.contains("horizn")).unwrap();
    let column = broken.lines().nth(line).unwrap().find("horizn").unwrap();
    assert_eq!(
        report.trim_end(),
        format!("E2103 {line}:{column}-{line}:{}", column + "horizn".len())
    );
}
