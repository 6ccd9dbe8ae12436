//! The diagnostic options of `hostplan check`: `--format human|json|sarif|github`,
//! `--deny warnings` and `--explain-policy`.

mod common;

use common::{fixture, hostplan, root};

fn path(plan: &std::path::Path) -> String {
    plan.to_string_lossy().into_owned()
}

#[test]
fn deny_warnings_turns_warnings_into_errors() {
    let plan = path(&fixture("warnings/plan.hplan"));
    let lenient = hostplan(&["check", &plan]);
    assert_eq!(lenient.code, 0, "{}", lenient.stderr);
    assert!(
        lenient.stderr.contains("warning[R0105]"),
        "{}",
        lenient.stderr
    );
    let strict = hostplan(&["check", "--deny", "warnings", &plan]);
    assert_eq!(strict.code, 1);
    assert!(strict.stderr.contains("error[R0105]"), "{}", strict.stderr);
    assert!(
        strict
            .stderr
            .contains("an error because of `--deny warnings`"),
        "{}",
        strict.stderr
    );
    assert!(!strict.stderr.contains("warning["), "{}", strict.stderr);
}

#[test]
fn github_format_prints_workflow_annotations() {
    let plan = path(&fixture("warnings/plan.hplan"));
    let run = hostplan(&["check", "--format", "github", &plan]);
    assert_eq!(run.code, 0);
    let line = run
        .stdout
        .lines()
        .find(|it| it.contains("title=R0105"))
        .unwrap_or_default();
    assert!(
        line.starts_with("::warning file=fixtures/warnings/plan.hplan,line=25,col=1,endLine=25,endColumn=16,title=R0105 missing-alert-channel::nobody receives alerts from `uat`"),
        "{line}"
    );
    // Multi-line messages are escaped onto the one line the runner reads.
    assert!(
        line.contains("%0Ahelp: add a channel to the policy"),
        "{line}"
    );
    assert!(
        !run.stdout.lines().any(|it| !it.starts_with("::")),
        "{}",
        run.stdout
    );
    let denied = hostplan(&["check", "--format", "github", "--deny", "warnings", &plan]);
    assert_eq!(denied.code, 1);
    assert!(
        denied.stdout.lines().all(|it| it.starts_with("::error ")),
        "{}",
        denied.stdout
    );
}

#[test]
fn json_keeps_allowed_findings_with_their_reason() {
    let national = path(&root().join("examples/national/plan.hplan"));
    let run = hostplan(&["check", "--format", "json", &national]);
    assert_eq!(run.code, 0);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_default();
    assert_eq!(value["diagnostics"].as_array().map(Vec::len), Some(0));
    let suppressed = value["suppressed"].as_array().cloned().unwrap_or_default();
    let codes: Vec<(&str, &str)> = suppressed
        .iter()
        .filter_map(|it| Some((it["code"].as_str()?, it["environment"].as_str()?)))
        .collect();
    assert_eq!(
        codes,
        vec![("R0102", "uat"), ("R0120", "uat"), ("R0120", "production")]
    );
    assert!(suppressed.iter().all(|it| it["reason"]
        .as_str()
        .is_some_and(|reason| !reason.is_empty())));
}

#[test]
fn explain_policy_shows_the_effective_policy_and_rules() {
    let national = path(&root().join("examples/national/plan.hplan"));
    let run = hostplan(&["check", "--explain-policy", &national]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = run.stdout;
    assert!(
        text.contains("environment uat (test, anonymized data): rules are warnings\n  policy uat_policy, extends policies.baseline\n"),
        "{text}"
    );
    assert!(text.contains("environment production (production, real data): rules are errors\n  policy hardened, extends policies.production < policies.baseline\n"), "{text}");
    // The parts say where they were set, across `extends`, and which rules they satisfy.
    let offsite = text
        .lines()
        .find(|it| it.trim_start().starts_with("backup.offsite ") && it.contains("plan.hplan:"))
        .unwrap_or_default();
    assert!(offsite.ends_with("R0102"), "{offsite}");
    let inherited = text
        .lines()
        .find(|it| it.contains("backup.offsite") && it.contains("std/policies.hplan:65"))
        .unwrap_or_default();
    assert!(inherited.contains("false"), "{text}");
    assert!(
        text.contains("allowed  R0102  onsite-only-backup"),
        "{text}"
    );
    assert!(
        text.contains("Disaster Recovery: \"UAT holds anonymized data"),
        "{text}"
    );
    assert!(text.contains("silent  R0101  missing-backup"), "{text}");
}

#[test]
fn explain_policy_as_json() {
    let national = path(&root().join("examples/national/plan.hplan"));
    let run = hostplan(&["check", "--explain-policy", "--format", "json", &national]);
    assert_eq!(run.code, 0);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_default();
    let production = &value["policy"]["environments"][2];
    assert_eq!(production["environment"], "production");
    assert_eq!(production["level"], "error");
    let r0120 = production["rules"]
        .as_array()
        .and_then(|it| it.iter().find(|r| r["code"] == "R0120"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(r0120["status"], "allowed");
    assert_eq!(value["diagnostics"].as_array().map(Vec::len), Some(0));
}

#[test]
fn explain_policy_cannot_go_into_sarif() {
    let national = path(&root().join("examples/national/plan.hplan"));
    let run = hostplan(&["check", "--explain-policy", "--format", "sarif", &national]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
}

#[test]
fn explain_prints_a_rule_page_with_its_guide_question() {
    let run = hostplan(&["explain", "R0102"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.starts_with("# R0102 onsite-only-backup\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "Hosting guide question: Disaster Recovery: \"What happens if there is a flood"
        ),
        "{}",
        run.stdout
    );
    let by_name = hostplan(&["explain", "unused-allow"]);
    assert!(
        by_name.stdout.starts_with("# W0003 unused-allow\n"),
        "{}",
        by_name.stdout
    );
}
