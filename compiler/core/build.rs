//! Parses the standard library when the crate is compiled and embeds the trees in the compact
//! form of `hostplan_syntax::snapshot`, so that a process that checks a plan loads them instead
//! of parsing 65 KB of source again (half of a national build's analysis; see
//! `modules::stdlib_module`).

use std::path::PathBuf;

const MODULES: [&str; 4] = ["aws", "cht", "gcp", "policies"];

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for name in MODULES {
        let path = format!("../../stdlib/{name}.hplan");
        println!("cargo:rerun-if-changed={path}");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("cannot read the standard library's {path}: {error}"));
        let parse = hostplan_syntax::parse(hostplan_diagnostics::FileId(0), &text);
        // A module with syntax errors gets no snapshot: it is parsed at run time, like a plan.
        let bytes = if parse.diagnostics.is_empty() {
            hostplan_syntax::snapshot::encode(&parse.file)
        } else {
            Vec::new()
        };
        let target = out.join(format!("{name}.ast"));
        std::fs::write(&target, bytes)
            .unwrap_or_else(|error| panic!("cannot write {}: {error}", target.display()));
    }
}
