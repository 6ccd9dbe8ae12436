//! The `hostplan` binary: a thin wrapper over `hostplan_cli::run`.
//!
//! The binary defines the C `main` itself (`no_main`) instead of letting the standard library
//! wrap `fn main`. The wrapper's start-up work is measurable in a command that runs for a few
//! milliseconds: it reads `/proc/self/maps` to find the main thread's stack guard, maps an
//! alternate signal stack for the main thread and for every thread started later, and polls
//! the standard streams. What it gives is a message on stack overflow instead of a plain
//! segmentation fault; the parser and the checker bound their recursion, so an overflow is a
//! bug either way. Everything else the wrapper does is done here: `SIGPIPE` is ignored, so a
//! closed pipe is an error the command reports rather than a silent kill, and a panic ends the
//! process with exit code 101 after the hook's report.

#![no_main]
#![allow(unsafe_code)]

use std::io::Write;

use hostplan_cli::Io;

// Compact for short commands, mimalloc for the language server (see `hostplan_alloc`).
#[global_allocator]
static GLOBAL: hostplan_alloc::Allocator = hostplan_alloc::Allocator;

/// The process's entry point, called by the C library with the command line (which
/// `std::env::args` reads on its own).
#[unsafe(no_mangle)]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    // SAFETY: setting a signal's disposition to ignored, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    // The C library's allocator serves only the C library itself here (the list of a thread's
    // thread-local destructors, for one), but by default it gives every new thread an arena of
    // its own: a 128 MiB reservation, trimmed and made writable, on the way into the first
    // work of each thread the build starts. One arena for all threads is plenty.
    // SAFETY: a plain setting of the C library's allocator, before any other thread exists.
    #[cfg(target_env = "gnu")]
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
    std::panic::set_hook(Box::new(|info| {
        eprintln!(
            "internal compiler error: this is a bug in hostplan {}, not in your plan\n{info}\nplease report it with the plan that caused it",
            env!("CARGO_PKG_VERSION")
        );
    }));
    let code = std::panic::catch_unwind(|| {
        let mut io = hostplan_cli::StdIo::default();
        match arguments() {
            Ok(args) => hostplan_cli::run(&args, &mut io),
            Err(message) => {
                let _ = writeln!(io.stderr(), "error: {message}");
                hostplan_cli::exit::USAGE
            }
        }
    })
    .unwrap_or(101);
    // What the command printed to standard output may still be in the standard library's
    // buffer; standard error is not buffered, and files are written with system calls.
    let _ = std::io::stdout().flush();
    // The process ends without the C library's exit handlers (`_exit` rather than `exit`):
    // they only free memory, mimalloc's heaps and thread-locals, which the kernel reclaims at
    // once anyway (about 30 µs of a national build in one alternating measurement).
    // SAFETY: ends the process; nothing is left to run or flush.
    unsafe { libc::_exit(code) }
}

/// The command line as text. Plans, output directories and environment names are UTF-8 in
/// every part of the compiler (paths are shown in diagnostics and written into generated
/// files), so an argument that is not is a usage error, named with its bytes made readable.
/// The program's own path only names it in messages, so it is taken as it can be read.
fn arguments() -> Result<Vec<String>, String> {
    std::env::args_os()
        .enumerate()
        .map(|(position, arg)| {
            if position == 0 {
                return Ok(arg.to_string_lossy().into_owned());
            }
            arg.into_string().map_err(|arg| {
                format!(
                    "argument {position} is not valid UTF-8: `{}`",
                    arg.to_string_lossy()
                )
            })
        })
        .collect()
}
