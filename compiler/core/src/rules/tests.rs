//! One failing and one passing case per rule. Each failing case is checked in every kind of
//! environment, asserting the code, the severity the kind gives it, and the text under the
//! primary and secondary labels; the passing case asserts that the rule passes.
//!
//! Every case edits one clean plan: environment `subject` (the one under test, whose kind
//! each case varies) and environment `companion` (a staging environment declared first, so
//! that findings about two environments belong to `subject`).

use std::sync::Arc;

use hostplan_diagnostics::{Diagnostic, Severity};

use crate::modules::ParseCache;
use crate::rules::{Level, Status};
use crate::{analyze, Analysis, MemoryLoader};

const BASE: &str = r#"import "std/cht"
import "std/aws"
import "std/policies"

plan "rules" {
  cht     = "5.2.0"
  owner   = "Test"
  horizon = 1y
}

population {
  people    = 10_000
  workflows = 2
}

users {
  role chw { count = 100, sync = offline }
}

secret couchdb_admin  = generate(words = 7)
secret couchdb_secret = generate(words = 7)
secret grafana_admin  = generate(words = 7)

policy companion_policy extends policies.production {
  alerting { email = ["ops@example.org"] }
  admin_from    = ["10.0.0.0/8"]
  update_window = "Sat 02:00-04:00"
}

policy subject_policy {
  tls { mode = acme, renew_before = 30d }
  backup { every = 24h, keep = 35d, offsite = true, encrypted = true }
  alerting {
    email = ["ops@example.org"]
    on    = [downtime(5m), disk_used(80%), cert_expiry(14d), backup_failed]
  }
  encryption    = at_rest
  admin_from    = ["10.0.0.0/8"]
  restart       = always
  start_on_boot = true
  update_window = "Sun 02:00-04:00"
}

environment companion {
  kind   = staging
  target = compose
  infra  = aws { region = "af-south-1" }
  domain = "staging.example.org"
  data   = anonymized
  policy = companion_policy
}

environment subject {
  kind   = KIND
  target = compose
  infra  = aws { region = "af-south-1" }
  domain = "subject.example.org"
  data   = anonymized
  policy = subject_policy
}

operator ops { role = admin, access = [companion, subject] }
"#;

/// The kinds each failing case runs in, in the order of [`Case::levels`].
const KINDS: [&str; 5] = [
    "production",
    "test",
    "staging",
    "development",
    "development\n  strict = true",
];

/// Severities by kind for rules whose severity follows the environment's kind.
const BY_KIND: [Option<Severity>; 5] = [
    Some(Severity::Error),
    Some(Severity::Warning),
    Some(Severity::Warning),
    None,
    Some(Severity::Warning),
];

/// Severities for findings about `subject` and the staging `companion`: the stricter of the two.
const PAIR: [Option<Severity>; 5] = [
    Some(Severity::Error),
    Some(Severity::Warning),
    Some(Severity::Warning),
    Some(Severity::Warning),
    Some(Severity::Warning),
];

/// Severities for privacy rules, which fire only outside production and are always errors.
const PRIVACY: [Option<Severity>; 5] = [
    None,
    Some(Severity::Error),
    Some(Severity::Error),
    Some(Severity::Error),
    Some(Severity::Error),
];

struct Case {
    code: &'static str,
    /// Replacements that make the rule fire.
    failing: &'static [(&'static str, &'static str)],
    /// Replacements under which the rule applies and passes (often none: the base plan).
    passing: &'static [(&'static str, &'static str)],
    /// The text under the primary label.
    primary: &'static str,
    /// The beginnings of the texts under the secondary labels, in order.
    secondary: &'static [&'static str],
    levels: [Option<Severity>; 5],
}

const CASES: &[Case] = &[
    Case {
        code: "R0101",
        failing: &[("  backup { every = 24h, keep = 35d, offsite = true, encrypted = true }\n", ""), (", backup_failed]", "]")],
        passing: &[],
        primary: "environment subject",
        secondary: &["subject_policy"],
        levels: BY_KIND,
    },
    Case {
        code: "R0102",
        failing: &[("offsite = true, encrypted", "offsite = false, encrypted")],
        passing: &[],
        primary: "environment subject",
        secondary: &["offsite = false"],
        levels: BY_KIND,
    },
    Case {
        code: "R0103",
        failing: &[("encrypted = true", "encrypted = false")],
        passing: &[],
        primary: "environment subject",
        secondary: &["encrypted = false"],
        levels: BY_KIND,
    },
    Case {
        code: "R0104",
        failing: &[("every = 24h", "every = 48h")],
        passing: &[],
        primary: "environment subject",
        secondary: &["every = 48h"],
        levels: BY_KIND,
    },
    Case {
        code: "R0105",
        failing: &[("    email = [\"ops@example.org\"]\n", "")],
        passing: &[],
        primary: "environment subject",
        secondary: &["alerting {"],
        levels: BY_KIND,
    },
    Case {
        code: "R0106",
        failing: &[("on    = [downtime(5m), disk_used(80%), cert_expiry(14d), backup_failed]", "on = [downtime(45m), disk_used(80%)]")],
        passing: &[],
        primary: "environment subject",
        secondary: &["on = [downtime(45m), disk_used(80%)]"],
        levels: BY_KIND,
    },
    Case {
        code: "R0107",
        failing: &[("restart       = always", "restart = never")],
        passing: &[],
        primary: "environment subject",
        secondary: &["restart = never"],
        levels: BY_KIND,
    },
    Case {
        code: "R0108",
        failing: &[("start_on_boot = true", "start_on_boot = false")],
        passing: &[],
        primary: "environment subject",
        secondary: &["start_on_boot = false"],
        levels: BY_KIND,
    },
    Case {
        code: "R0109",
        failing: &[("tls { mode = acme, renew_before = 30d }", "tls { mode = own_cert }")],
        passing: &[],
        primary: "environment subject",
        secondary: &["mode = own_cert"],
        levels: BY_KIND,
    },
    Case {
        code: "R0110",
        failing: &[("tls { mode = acme, renew_before = 30d }", "tls { mode = self_signed }")],
        passing: &[],
        primary: "environment subject",
        secondary: &["mode = self_signed"],
        levels: BY_KIND,
    },
    Case {
        code: "R0111",
        failing: &[("encryption    = at_rest", "encryption = none")],
        passing: &[],
        primary: "environment subject",
        secondary: &["encryption = none"],
        levels: BY_KIND,
    },
    Case {
        code: "R0112",
        failing: &[
            ("data   = anonymized\n  policy = subject_policy", "data   = real\n  policy = subject_policy\n  allow R0113 { reason = \"rehearsal\" }"),
            ("encryption    = at_rest", "encryption = none"),
        ],
        passing: &[("data   = anonymized\n  policy = subject_policy", "data   = real\n  policy = subject_policy\n  allow R0113 { reason = \"rehearsal\" }")],
        primary: "environment subject",
        secondary: &["data   = real", "encryption = none"],
        levels: PRIVACY,
    },
    Case {
        code: "R0113",
        failing: &[("data   = anonymized\n  policy = subject_policy", "data   = real\n  policy = subject_policy")],
        passing: &[("data   = anonymized\n  policy = subject_policy", "data   = real\n  policy = subject_policy")],
        primary: "environment subject",
        secondary: &["data   = real", "kind   = "],
        levels: PRIVACY,
    },
    Case {
        code: "R0114",
        failing: &[
            ("secret grafana_admin", "secret shared = env(\"SHARED_PASSWORD\")\nsecret grafana_admin"),
            ("policy = companion_policy\n", "policy = companion_policy\n  secrets { couchdb_admin = shared }\n"),
            ("policy = subject_policy\n", "policy = subject_policy\n  secrets { couchdb_admin = shared }\n"),
        ],
        passing: &[],
        primary: "environment subject",
        secondary: &["shared", "shared"],
        levels: PAIR,
    },
    Case {
        code: "R0115",
        failing: &[
            ("policy = companion_policy\n", "policy = companion_policy\n  couchdb { volume = \"vol-1\" }\n"),
            ("policy = subject_policy\n", "policy = subject_policy\n  couchdb { volume = \"vol-1\" }\n"),
        ],
        passing: &[],
        primary: "environment subject",
        secondary: &["volume = \"vol-1\"", "volume = \"vol-1\""],
        levels: PAIR,
    },
    Case {
        code: "R0116",
        failing: &[
            ("target = compose", "target = kubernetes(eks)"),
            ("target = compose", "target = kubernetes(eks)"),
            ("policy = companion_policy\n", "policy = companion_policy\n  namespace = \"cht\"\n"),
            ("policy = subject_policy\n", "policy = subject_policy\n  namespace = \"cht\"\n"),
        ],
        passing: &[("target = compose", "target = kubernetes(eks)"), ("target = compose", "target = kubernetes(eks)")],
        primary: "environment subject",
        secondary: &["namespace = \"cht\"", "namespace = \"cht\""],
        levels: PAIR,
    },
    Case {
        code: "R0117",
        failing: &[("domain = \"subject.example.org\"", "domain = \"staging.example.org\"")],
        passing: &[],
        primary: "environment subject",
        secondary: &["domain = \"staging.example.org\"", "domain = \"staging.example.org\""],
        levels: PAIR,
    },
    Case {
        code: "R0118",
        failing: &[
            ("encrypted = true }", "encrypted = true, location = \"s3://backups\" }"),
            ("update_window = \"Sat 02:00-04:00\"", "update_window = \"Sat 02:00-04:00\"\n  backup { location = \"s3://backups\" }"),
        ],
        passing: &[("encrypted = true }", "encrypted = true, location = \"s3://backups/subject\" }")],
        primary: "environment subject",
        secondary: &["location = \"s3://backups\"", "location = \"s3://backups\""],
        levels: PAIR,
    },
    Case {
        code: "R0119",
        failing: &[("policy = subject_policy\n", "policy = subject_policy\n  couchdb { disk = 1GiB }\n")],
        passing: &[("policy = subject_policy\n", "policy = subject_policy\n  couchdb { disk = 10GiB }\n")],
        primary: "environment subject",
        secondary: &["disk = 1GiB", "population"],
        levels: BY_KIND,
    },
    Case {
        code: "R0120",
        // The estimate sizes test and development environments for a share of the users and
        // people, so the case exceeds the limit by far in every kind.
        failing: &[("count = 100", "count = 2"), ("people    = 10_000", "people    = 1_000_000")],
        passing: &[],
        primary: "environment subject",
        secondary: &["population", "role chw"],
        levels: BY_KIND,
    },
    Case {
        code: "R0121",
        failing: &[("  admin_from    = [\"10.0.0.0/8\"]\n  restart", "  restart")],
        passing: &[],
        primary: "environment subject",
        secondary: &["subject_policy"],
        levels: BY_KIND,
    },
    Case {
        code: "R0122",
        failing: &[
            ("cht     = \"5.2.0\"", "cht     = \"9.9.9\""),
            (
                "secret couchdb_admin",
                "release \"9.9.9\" {\n  layout  = open\n  couchdb = \"3.5.2\"\n}\n\nlayout open {\n  upgrade_service_image = \"example/upgrade:1\"\n  service couchdb {\n    file  = couchdb\n    role  = couchdb\n    image = \"example/couchdb\"\n    ports = [\"5984:5984\"]\n  }\n}\n\nsecret couchdb_admin",
            ),
        ],
        passing: &[],
        primary: "environment subject",
        secondary: &["\"9.9.9\""],
        levels: BY_KIND,
    },
    Case {
        code: "R0123",
        failing: &[(
            "infra  = aws { region = \"af-south-1\" }\n  domain = \"subject",
            "infra  = onprem { nodes = 1, cpu = 8, memory = 16GiB, disk = 500GiB }\n  monitor = watchdog\n  domain = \"subject",
        )],
        passing: &[(
            "infra  = aws { region = \"af-south-1\" }\n  domain = \"subject",
            "infra  = onprem { nodes = 2, cpu = 8, memory = 16GiB, disk = 500GiB }\n  monitor = watchdog\n  domain = \"subject",
        )],
        primary: "environment subject",
        secondary: &["monitor = watchdog", "infra  = onprem"],
        levels: BY_KIND,
    },
    Case {
        code: "R0124",
        failing: &[("kind   = staging", "kind   = development")],
        passing: &[],
        primary: "environment subject",
        secondary: &["kind   = production"],
        // Only production environments need a test environment beside them; in the other
        // kinds the subject itself (or nothing) is the test environment.
        levels: [Some(Severity::Error), None, None, None, None],
    },
    Case {
        code: "R0125",
        failing: &[("operator ops { role = admin, access = [companion, subject] }", "operator ops { role = admin, access = [companion] }\noperator watcher { role = viewer, access = [subject] }")],
        passing: &[],
        primary: "environment subject",
        secondary: &["watcher"],
        levels: BY_KIND,
    },
    Case {
        code: "R0126",
        failing: &[("  update_window = \"Sun 02:00-04:00\"\n", "")],
        passing: &[],
        primary: "environment subject",
        secondary: &["subject_policy"],
        levels: BY_KIND,
    },
];

fn analyze_text(text: &str) -> Analysis {
    let loader = MemoryLoader {
        files: vec![("plan.hplan".to_string(), Arc::from(text))],
    };
    match analyze(&loader, "plan.hplan", &mut ParseCache::default()) {
        Ok(analysis) => analysis,
        Err(error) => panic!("cannot analyze: {error}"),
    }
}

fn plan_text(kind: &str, edits: &[(&str, &str)]) -> String {
    let mut text = BASE.replace("KIND", kind);
    for (from, to) in edits {
        assert!(
            text.contains(from),
            "the edit target `{from}` is not in the plan"
        );
        text = text.replacen(from, to, 1);
    }
    text
}

/// The diagnostics of a code whose primary label is on `subject`.
fn subject_diagnostics<'a>(analysis: &'a Analysis, code: &str) -> Vec<&'a Diagnostic> {
    analysis
        .diagnostics
        .iter()
        .filter(|it| {
            it.code.code == code
                && analysis.workspace.sources.slice(it.primary.span) == "environment subject"
        })
        .collect()
}

fn subject_status(analysis: &Analysis, code: &str) -> Option<Status> {
    let report = analysis.rules.as_ref()?;
    let environment = report.environments.iter().find(|it| it.name == "subject")?;
    environment
        .outcomes
        .iter()
        .find(|it| it.rule.code.code == code)
        .map(|it| it.status.clone())
}

/// Errors that are not hosting-guide rules mean the case's plan is broken, not the rule.
fn assert_no_plan_errors(analysis: &Analysis, case: &str) {
    let broken: Vec<String> = analysis
        .diagnostics
        .iter()
        .filter(|it| it.is_error() && !it.code.code.starts_with('R'))
        .map(|it| format!("{} {}", it.code.code, it.message))
        .collect();
    assert!(
        broken.is_empty(),
        "{case}: the plan itself has errors: {broken:?}"
    );
}

#[test]
fn base_plan_passes_every_rule_in_every_kind() {
    for kind in KINDS {
        let analysis = analyze_text(&plan_text(kind, &[]));
        assert_no_plan_errors(&analysis, kind);
        let findings: Vec<String> = analysis
            .diagnostics
            .iter()
            .map(|it| format!("{} {}", it.code.code, it.message))
            .collect();
        assert!(findings.is_empty(), "kind {kind}: {findings:?}");
        let report = analysis.rules.as_ref().map(|it| it.environments.len());
        assert_eq!(report, Some(2));
    }
}

#[test]
fn every_rule_has_a_case() {
    let covered: Vec<&str> = CASES.iter().map(|it| it.code).collect();
    for rule in crate::rules::RULES {
        assert!(
            covered.contains(&rule.code.code),
            "{} has no test case",
            rule.code.code
        );
    }
}

#[test]
fn failing_cases_report_code_severity_and_spans_per_kind() {
    for case in CASES {
        for (kind, expected) in KINDS.iter().zip(case.levels) {
            let analysis = analyze_text(&plan_text(kind, case.failing));
            let context = format!("{} in {}", case.code, kind.replace('\n', " "));
            assert_no_plan_errors(&analysis, &context);
            let found = subject_diagnostics(&analysis, case.code);
            match expected {
                None => {
                    assert!(
                        found.is_empty(),
                        "{context}: expected nothing, got {:?}",
                        found.iter().map(|it| &it.message).collect::<Vec<_>>()
                    );
                    continue;
                }
                Some(_) => {
                    assert_eq!(
                        found.len(),
                        1,
                        "{context}: expected one finding, got {:?}",
                        analysis
                            .diagnostics
                            .iter()
                            .map(|it| (it.code.code, &it.message))
                            .collect::<Vec<_>>()
                    );
                }
            }
            let Some(diagnostic) = found.first() else {
                continue;
            };
            let sources = &analysis.workspace.sources;
            assert_eq!(Some(diagnostic.severity), expected, "{context}: severity");
            assert_eq!(
                sources.slice(diagnostic.primary.span),
                case.primary,
                "{context}: primary label"
            );
            let secondary: Vec<&str> = diagnostic
                .secondary
                .iter()
                .map(|it| sources.slice(it.span))
                .collect();
            assert_eq!(
                secondary.len(),
                case.secondary.len(),
                "{context}: secondary labels {secondary:?}"
            );
            for (actual, prefix) in secondary.iter().zip(case.secondary) {
                assert!(
                    actual.starts_with(prefix),
                    "{context}: secondary label on `{actual}`, expected `{prefix}...`"
                );
            }
            assert!(
                diagnostic
                    .notes
                    .iter()
                    .any(|it| it.starts_with("hosting guide, \"")),
                "{context}: names the guide question"
            );
            assert!(
                matches!(
                    subject_status(&analysis, case.code),
                    Some(Status::Failed { .. })
                ),
                "{context}: report status"
            );
        }
    }
}

#[test]
fn development_findings_are_silent_but_reported_in_the_policy_view() {
    let case = CASES.iter().find(|it| it.code == "R0102");
    let Some(case) = case else {
        panic!("no R0102 case")
    };
    let analysis = analyze_text(&plan_text("development", case.failing));
    assert!(subject_diagnostics(&analysis, "R0102").is_empty());
    assert_eq!(
        subject_status(&analysis, "R0102"),
        Some(Status::Failed {
            level: Level::Silent,
            findings: 1
        })
    );
}

#[test]
fn passing_cases_pass() {
    for case in CASES {
        // Real data outside production is R0112's subject; everywhere else production is the
        // kind where every rule applies.
        let kind = if case.code == "R0112" {
            "staging"
        } else {
            "production"
        };
        let analysis = analyze_text(&plan_text(kind, case.passing));
        let context = format!("{} passing in {kind}", case.code);
        assert_no_plan_errors(&analysis, &context);
        assert!(
            subject_diagnostics(&analysis, case.code).is_empty(),
            "{context}: {:?}",
            analysis
                .diagnostics
                .iter()
                .map(|it| &it.message)
                .collect::<Vec<_>>()
        );
        assert_eq!(
            subject_status(&analysis, case.code),
            Some(Status::Passed),
            "{context}"
        );
    }
}

#[test]
fn an_allow_suppresses_a_finding_and_keeps_its_reason() {
    let analysis = analyze_text(&plan_text(
        "production",
        &[
            ("offsite = true, encrypted", "offsite = false, encrypted"),
            (
                "policy = subject_policy\n",
                "policy = subject_policy\n  allow R0102 { reason = \"copies go to the ministry's second site by tape\" }\n",
            ),
        ],
    ));
    assert!(subject_diagnostics(&analysis, "R0102").is_empty());
    assert!(
        analysis.diagnostics.is_empty(),
        "{:?}",
        analysis
            .diagnostics
            .iter()
            .map(|it| &it.message)
            .collect::<Vec<_>>()
    );
    let reason = Some("copies go to the ministry's second site by tape".to_string());
    assert_eq!(
        subject_status(&analysis, "R0102"),
        Some(Status::Allowed {
            reason: reason.clone()
        })
    );
    let suppressed = analysis.rules.as_ref().map(|it| {
        it.suppressed
            .iter()
            .map(|s| {
                (
                    s.diagnostic.code.code,
                    s.environment.clone(),
                    s.reason.clone(),
                )
            })
            .collect::<Vec<_>>()
    });
    assert_eq!(
        suppressed,
        Some(vec![("R0102", "subject".to_string(), reason)])
    );
}

#[test]
fn an_allow_without_reason_still_suppresses_but_warns() {
    let analysis = analyze_text(&plan_text(
        "production",
        &[
            ("offsite = true, encrypted", "offsite = false, encrypted"),
            (
                "policy = subject_policy\n",
                "policy = subject_policy\n  allow R0102 {}\n",
            ),
        ],
    ));
    let codes: Vec<(&str, Severity, &str)> = analysis
        .diagnostics
        .iter()
        .map(|it| {
            (
                it.code.code,
                it.severity,
                analysis.workspace.sources.slice(it.primary.span),
            )
        })
        .collect();
    assert_eq!(codes, vec![("W0002", Severity::Warning, "allow R0102")]);
    assert_eq!(
        subject_status(&analysis, "R0102"),
        Some(Status::Allowed { reason: None })
    );
}

#[test]
fn an_allow_that_suppresses_nothing_warns() {
    let analysis = analyze_text(&plan_text(
        "production",
        &[(
            "policy = subject_policy\n",
            "policy = subject_policy\n  allow R0102 { reason = \"offsite copy pending\" }\n",
        )],
    ));
    let codes: Vec<(&str, Severity, &str)> = analysis
        .diagnostics
        .iter()
        .map(|it| {
            (
                it.code.code,
                it.severity,
                analysis.workspace.sources.slice(it.primary.span),
            )
        })
        .collect();
    assert_eq!(codes, vec![("W0003", Severity::Warning, "allow R0102")]);
}

#[test]
fn an_allow_of_a_silent_finding_is_not_unused() {
    let analysis = analyze_text(&plan_text(
        "development",
        &[
            ("offsite = true, encrypted", "offsite = false, encrypted"),
            (
                "policy = subject_policy\n",
                "policy = subject_policy\n  allow R0102 { reason = \"a laptop\" }\n",
            ),
        ],
    ));
    assert!(
        analysis.diagnostics.is_empty(),
        "{:?}",
        analysis
            .diagnostics
            .iter()
            .map(|it| &it.message)
            .collect::<Vec<_>>()
    );
}

#[test]
fn an_allow_in_either_environment_suppresses_a_shared_domain() {
    let analysis = analyze_text(&plan_text(
        "production",
        &[
            ("domain = \"subject.example.org\"", "domain = \"staging.example.org\""),
            (
                "policy = companion_policy\n",
                "policy = companion_policy\n  allow R0117 { reason = \"staging answers only on the VPN during the cut-over\" }\n",
            ),
        ],
    ));
    assert!(
        analysis.diagnostics.is_empty(),
        "{:?}",
        analysis
            .diagnostics
            .iter()
            .map(|it| &it.message)
            .collect::<Vec<_>>()
    );
}

#[test]
fn every_rule_doc_names_its_guide_question() {
    for rule in crate::rules::RULES {
        let line = format!(
            "Hosting guide question: {}: \"{}\"",
            rule.question.title(),
            rule.question.text()
        );
        assert!(
            rule.code.doc.contains(&line),
            "{} does not name its question",
            rule.code.code
        );
        for section in ["## What it means", "## Example", "## How to fix"] {
            assert!(
                rule.code.doc.contains(section),
                "{} lacks `{section}`",
                rule.code.code
            );
        }
    }
}

#[test]
fn projection_without_growth_is_the_official_calculator() {
    // The calculator's defaults: 100,000 people, 10 workflows, 1,000 users, 1 year give
    // 1,137,000 medic documents and 7 GB of CouchDB data (domain notes, section 3.2).
    let text = plan_text(
        "production",
        &[
            (
                "people    = 10_000\n  workflows = 2",
                "people    = 100_000\n  workflows = 10",
            ),
            ("count = 100", "count = 1_000"),
        ],
    );
    let analysis = analyze_text(&text);
    let Some(plan) = &analysis.plan else {
        panic!("no model")
    };
    let projection = crate::rules::project(plan);
    assert_eq!(projection.medic_docs, 1_137_000.0);
    assert_eq!(projection.db_gb(1.0), 7.0);
    assert_eq!(projection.data_volume_gb(1.0, 1), 42.0);
}
