//! The `hostplan` process's entry point, which the binary defines itself (see `src/main.rs`):
//! what the standard library's wrapper did for a `fn main` still holds.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;

fn hostplan() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hostplan"))
}

#[test]
fn the_command_line_reaches_the_commands() {
    let out = hostplan().arg("--version").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("hostplan {}\n", env!("CARGO_PKG_VERSION"))
    );
    let out = hostplan().args(["explain", "E2103"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("E2103"));
    let out = hostplan().arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_closed_output_pipe_does_not_kill_the_process() {
    // `SIGPIPE` is ignored, as the standard library's wrapper ignores it: writing to a pipe
    // whose reader has gone is an error the command sees, not a signal that ends it.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let status = hostplan().arg("explain").stdout(writer).status().unwrap();
    assert_eq!(status.signal(), None, "{status}");
    assert!(status.code().is_some(), "{status}");
}

#[test]
fn an_argument_that_is_not_utf8_is_a_usage_error_not_a_crash() {
    let plan = std::ffi::OsStr::from_bytes(b"plan-\xff.hplan");
    let out = hostplan().arg("check").arg(plan).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("argument 2 is not valid UTF-8: `plan-\u{fffd}.hplan`"),
        "{stderr}"
    );
    assert!(!stderr.contains("internal compiler error"), "{stderr}");
}
