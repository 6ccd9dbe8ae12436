//! Runs every case of `tests/suite/check` and checks that every diagnostic code of the
//! front end is triggered by at least one case.

use std::collections::BTreeSet;

use hostplan_tests::suite::{parse_case, run_case};

fn cases() -> Vec<(String, String)> {
    let dir = hostplan_tests::repo_root().join("tests/suite/check");
    let mut cases: Vec<(String, String)> = walkdir::WalkDir::new(&dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|it| it.path().extension().is_some_and(|ext| ext == "hplan"))
        .map(|it| {
            let name = it
                .path()
                .strip_prefix(&dir)
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            (name, std::fs::read_to_string(it.path()).unwrap_or_default())
        })
        .collect();
    cases.sort();
    cases
}

#[test]
fn every_case_reports_exactly_its_expected_diagnostics() {
    let mut failures = Vec::new();
    let all = cases();
    assert!(
        all.len() > 30,
        "the suite should hold a case per code, found {}",
        all.len()
    );
    for (name, text) in &all {
        let case = parse_case(text);
        let actual = run_case(&case);
        if actual != case.expected {
            let show = |items: &[hostplan_tests::suite::Expectation]| {
                items
                    .iter()
                    .map(|it| format!("    {it}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            failures.push(format!(
                "{name}\n  expected:\n{}\n  actual:\n{}",
                show(&case.expected),
                show(&actual)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_front_end_code_is_triggered_by_a_case() {
    let mut triggered = BTreeSet::new();
    for (_, text) in cases() {
        for expectation in parse_case(&text).expected {
            triggered.insert(expectation.code);
        }
    }
    let missing: Vec<&str> = hostplan_diagnostics::CODES
        .iter()
        .map(|it| it.code)
        .filter(|code| code.starts_with('E') || code.starts_with('W'))
        .filter(|code| !triggered.contains(*code))
        .collect();
    assert!(missing.is_empty(), "no case triggers {missing:?}");
}
