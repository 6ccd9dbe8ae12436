//! No input makes the front end panic, and every diagnostic points inside its file.
//!
//! The inputs are the examples and the standard library, truncated at many points and
//! corrupted in deterministic ways (bytes replaced, lines dropped or repeated, brackets and
//! quotes inserted).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use hostplan_core::modules::ParseCache;
use hostplan_core::MemoryLoader;
use hostplan_diagnostics::FileId;

fn inputs() -> Vec<(String, String)> {
    let root = hostplan_tests::repo_root();
    let mut files = Vec::new();
    for dir in ["examples", "stdlib"] {
        for entry in walkdir::WalkDir::new(root.join(dir))
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
        {
            if entry.path().extension().is_some_and(|it| it == "hplan") {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                files.push((entry.path().display().to_string(), text));
            }
        }
    }
    assert!(
        files.len() >= 5,
        "expected the examples and the standard library, found {}",
        files.len()
    );
    files
}

/// A small deterministic pseudo-random sequence, so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn variants(text: &str, seed: u64) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let step = (bytes.len() / 120).max(1);
    for cut in (0..bytes.len()).step_by(step) {
        out.push(String::from_utf8_lossy(&bytes[..cut]).into_owned());
    }
    let mut rng = Lcg(seed);
    let inserts = [
        "{", "}", "[", "]", "(", ")", "\"", "=", ",", ".", "#", "\\", "é", "😀", "\n", "$", "5GiB",
        "extends", "import",
    ];
    for _ in 0..150 {
        let mut mutated = bytes.to_vec();
        let at = (rng.next() as usize) % mutated.len().max(1);
        match rng.next() % 4 {
            0 => {
                if let Some(byte) = mutated.get_mut(at) {
                    *byte = (rng.next() % 128) as u8;
                }
            }
            1 => {
                let insert = inserts[(rng.next() as usize) % inserts.len()];
                mutated.splice(at..at, insert.bytes());
            }
            2 => {
                let end = (at + (rng.next() as usize % 40)).min(mutated.len());
                mutated.drain(at..end);
            }
            _ => {
                let lines: Vec<&str> = text.lines().collect();
                let line = (rng.next() as usize) % lines.len().max(1);
                let mut copy: Vec<&str> = lines.clone();
                if let Some(it) = lines.get(line) {
                    copy.insert(line, it);
                }
                mutated = copy.join("\n").into_bytes();
            }
        }
        out.push(String::from_utf8_lossy(&mutated).into_owned());
    }
    out
}

#[test]
fn truncated_and_corrupted_plans_never_panic() {
    let mut failures = Vec::new();
    for (idx, (path, text)) in inputs().into_iter().enumerate() {
        for (variant_idx, variant) in variants(&text, idx as u64 + 1).into_iter().enumerate() {
            let result = catch_unwind(AssertUnwindSafe(|| {
                let parse = hostplan_syntax::parse(FileId(0), &variant);
                for diagnostic in &parse.diagnostics {
                    let range = diagnostic.primary.span.range;
                    assert!(
                        range.end as usize <= variant.len(),
                        "span {range:?} past the end"
                    );
                    assert!(
                        variant.is_char_boundary(range.start as usize)
                            && variant.is_char_boundary(range.end as usize)
                    );
                }
                if !parse.has_errors() {
                    let formatted = hostplan_syntax::format(&parse.file, &variant);
                    let again = hostplan_syntax::parse(FileId(0), &formatted);
                    assert!(
                        !again.has_errors(),
                        "formatting produced a file with syntax errors"
                    );
                }
                let loader = MemoryLoader {
                    files: vec![("plan.hplan".to_string(), Arc::from(variant.as_str()))],
                };
                let analysis =
                    hostplan_core::analyze(&loader, "plan.hplan", &mut ParseCache::default());
                if let Ok(analysis) = analysis {
                    for diagnostic in &analysis.diagnostics {
                        let span = diagnostic.primary.span;
                        let len = analysis.workspace.sources.text(span.file).len();
                        assert!(
                            span.range.end as usize <= len,
                            "diagnostic span past the end of its file"
                        );
                    }
                    let _ = hostplan_diagnostics::render::human(
                        &analysis.diagnostics,
                        &analysis.workspace.sources,
                        false,
                    );
                }
            }));
            if result.is_err() {
                failures.push(format!("{path} variant {variant_idx}"));
            }
        }
    }
    assert!(failures.is_empty(), "panics on: {failures:?}");
}
