//! The SARIF output of `hostplan check --format sarif` is valid against the official SARIF
//! 2.1.0 schema, and carries what code-scanning services show: each rule's help and where
//! to read it, relative file paths, and allowed findings as suppressed results.

mod common;

use serde_json::Value;

use common::{examples, fixture, hostplan};

/// The schema errors of a log, through the shared validator (SARIF 2.1.0, draft-04).
fn validate(log: &Value) -> Vec<String> {
    hostplan_tests::validate::validate_sarif(log)
        .err()
        .unwrap_or_default()
}

fn sarif(plan: &std::path::Path) -> (i32, Value) {
    let run = hostplan(&["check", "--format", "sarif", &plan.to_string_lossy()]);
    assert!(run.stderr.is_empty(), "stderr: {}", run.stderr);
    match serde_json::from_str(&run.stdout) {
        Ok(value) => (run.code, value),
        Err(error) => panic!("not JSON ({error}): {}", run.stdout),
    }
}

#[test]
fn sarif_of_a_plan_with_findings_is_valid() {
    let (code, log) = sarif(&fixture("canary/plan.hplan"));
    assert_eq!(code, 1, "the fixture has errors");
    let errors = validate(&log);
    assert!(errors.is_empty(), "{errors:#?}");
    let results = log["runs"][0]["results"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0);
    assert!(10 < results, "only {results} results");
}

#[test]
fn the_validator_rejects_an_invalid_log() {
    // Guards the test above: a log missing its version and with a bad level must fail.
    let (_, mut log) = sarif(&fixture("canary/plan.hplan"));
    if let Some(object) = log.as_object_mut() {
        object.remove("version");
    }
    log["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(2 <= validate(&log).len());
}

#[test]
fn sarif_of_every_example_is_valid() {
    for plan in examples() {
        let (code, log) = sarif(&plan);
        assert_eq!(code, 0, "{} has errors", plan.display());
        let errors = validate(&log);
        assert!(errors.is_empty(), "{}: {errors:#?}", plan.display());
    }
}

#[test]
fn rules_carry_their_help_and_explain_page() {
    let (_, log) = sarif(&fixture("canary/plan.hplan"));
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let r0101 = rules
        .iter()
        .find(|it| it["id"] == "R0101")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(r0101["name"], "missing-backup");
    let markdown = r0101["help"]["markdown"].as_str().unwrap_or("");
    assert!(markdown.contains("## How to fix"), "{markdown}");
    assert!(
        markdown.contains("Hosting guide question: Backups"),
        "{markdown}"
    );
    assert!(markdown.contains("hostplan explain R0101"), "{markdown}");
    let text = r0101["help"]["text"].as_str().unwrap_or("");
    assert!(
        !text.contains("```") && text.contains("How to fix"),
        "{text}"
    );
    // Results point at their rule by index.
    for result in log["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let index = result["ruleIndex"].as_u64().unwrap_or(u64::MAX) as usize;
        assert_eq!(
            rules.get(index).map(|it| it["id"].clone()),
            Some(result["ruleId"].clone())
        );
    }
}

#[test]
fn locations_are_relative_to_where_hostplan_runs() {
    let (_, log) = sarif(&fixture("canary/plan.hplan"));
    let result = log["runs"][0]["results"]
        .as_array()
        .and_then(|it| it.iter().find(|r| r["ruleId"] == "R0101"))
        .cloned()
        .unwrap_or(Value::Null);
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "fixtures/canary/plan.hplan"
    );
    assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(location["region"]["startLine"], 43);
    assert_eq!(location["region"]["startColumn"], 1);
    assert!(result["relatedLocations"]
        .as_array()
        .is_some_and(|it| !it.is_empty()));
}

#[test]
fn allowed_findings_are_suppressed_results_with_their_reason() {
    let national = common::root().join("examples/national/plan.hplan");
    let (_, log) = sarif(&national);
    let results = log["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let suppressed: Vec<(String, String)> = results
        .iter()
        .filter_map(|it| {
            let suppression = it["suppressions"].get(0)?;
            Some((
                it["ruleId"].as_str()?.to_string(),
                suppression["justification"].as_str()?.to_string(),
            ))
        })
        .collect();
    assert!(
        suppressed.iter().any(
            |(code, reason)| code == "R0102" && reason.starts_with("UAT holds anonymized data")
        ),
        "{suppressed:?}"
    );
    assert_eq!(
        suppressed.len(),
        results.len(),
        "the national example has only allowed findings"
    );
}
