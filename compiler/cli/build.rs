//! Links the unwinder statically on Linux with glibc, as `gcc -static-libgcc` does.
//!
//! The standard library unwinds panics with libgcc's unwinder, and on `*-linux-gnu` links it
//! as the shared `libgcc_s.so.1`. Loading that library is a measurable part of a command that
//! runs for a few milliseconds: the dynamic loader opens and maps it, and its constructor
//! reads the processor's features with a dozen `cpuid` instructions, each an exit to the
//! hypervisor on a virtual machine (`hostplan --version` and `hostplan check` about 0.12 to
//! 0.15 ms sooner without it; compiler/notes/decisions.md). Named here, the static archive
//! comes before `-lgcc_s` on the linker's command line and provides the unwinder, so the
//! linker, which links shared libraries only as needed, leaves `libgcc_s` out.
//!
//! The archive ships with GCC. Where the C compiler does not have it (a toolchain built on
//! compiler-rt, say), nothing is added and the shared library is used as before.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let linux_gnu = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu");
    // A statically linked build (`cargo release-static`) links the archive already.
    let crt_static = std::env::var("CARGO_CFG_TARGET_FEATURE")
        .is_ok_and(|features| features.split(',').any(|it| it == "crt-static"));
    if !linux_gnu || crt_static {
        return;
    }
    let found = Command::new(c_compiler())
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .ok()
        .filter(|it| it.status.success())
        .and_then(|it| String::from_utf8(it.stdout).ok())
        .is_some_and(|path| Path::new(path.trim()).is_absolute());
    if found {
        // Not bundled into the crate's rlib: the linker finds the archive in the C
        // compiler's own directories when the binary is linked.
        println!("cargo:rustc-link-lib=static:-bundle=gcc_eh");
    }
}

/// The C compiler for the target, named as the `cc` crate reads it (`CC_<target>`,
/// `TARGET_CC`, `CC`), so that a cross build asks the cross compiler; `cc` otherwise.
fn c_compiler() -> String {
    let target = std::env::var("TARGET").unwrap_or_default();
    let names = [
        format!("CC_{target}"),
        format!("CC_{}", target.replace('-', "_")),
        "TARGET_CC".to_string(),
        "CC".to_string(),
    ];
    for name in &names {
        println!("cargo:rerun-if-env-changed={name}");
    }
    names
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|it| !it.is_empty()))
        .unwrap_or_else(|| "cc".to_string())
}
