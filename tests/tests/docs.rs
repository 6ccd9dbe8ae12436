//! `docs/rules.md` is generated from the rule registry and the code registry; this test
//! fails when the committed page is stale. Regenerate it with
//! `HOSTPLAN_BLESS=1 cargo test -p hostplan-tests --test docs`.

use hostplan_core::rules::{SeverityRule, RULES};
use hostplan_diagnostics::codes;

const INTRO: &str = "# Hosting-guide rules

<!-- Generated from the rule registry (`compiler/core/src/rules/mod.rs`) and the code registry (`compiler/diagnostics/src/codes.rs`) by `tests/tests/docs.rs`; do not edit by hand. -->

Every plan is checked against the questions of CHT's hosting guide.
Each rule has a stable code, a name that reads as the problem, the guide question it answers, and the page below, which `hostplan explain CODE` prints.

## Severity

A rule's findings take their severity from the kind of environment they concern:

| environment kind | severity |
| --- | --- |
| `production` | error |
| `test`, `staging` | warning |
| `development` | silent: shown only by `hostplan check --explain-policy` |

`strict = true` in an environment holds it to the next stricter level: silent findings of a development environment become warnings, warnings of a test or staging environment become errors.
A finding about two environments (segregation) takes the stricter of the two.
The privacy rules R0112 and R0113 fire only on real patient data and are errors in every kind of environment.
`hostplan check --deny warnings` turns every warning into an error, for CI.

## Suppressions

A rule can be allowed in one environment, with a written reason:

```hplan
environment uat {
  ...
  allow R0102 { reason = \"UAT holds anonymized data re-imported from production exports\" }
}
```

The reason is shown by `--explain-policy`, kept in the JSON output (`suppressed`) and in SARIF (an accepted in-source suppression with the reason as its justification), and listed in the estimate report and the environment's README.
An `allow` without a reason still suppresses the rule but is warning W0002; an `allow` that suppresses nothing is warning W0003.
A finding about two environments is suppressed by an `allow` in either.

## Rules

";

fn generate() -> String {
    let mut out = String::from(INTRO);
    out.push_str("| code | name | guide question | severity |\n| --- | --- | --- | --- |\n");
    for rule in RULES {
        let severity = match rule.severity {
            SeverityRule::ByKind => "by kind",
            SeverityRule::Always => "always an error",
        };
        out.push_str(&format!(
            "| [{code}](#{anchor}) | `{name}` | {question} | {severity} |\n",
            code = rule.code.code,
            anchor = rule.code.code.to_lowercase(),
            name = rule.code.name,
            question = rule.question.title()
        ));
    }
    let pages = RULES
        .iter()
        .map(|it| it.code)
        .chain([&codes::W0002, &codes::W0003]);
    for code in pages {
        out.push_str(&format!(
            "\n<a id=\"{}\"></a>\n\n## {} `{}`\n\n",
            code.code.to_lowercase(),
            code.code,
            code.name
        ));
        let mut summary = code.summary.to_string();
        if let Some(first) = summary.get(..1) {
            summary = format!(
                "{}{}.",
                first.to_uppercase(),
                summary.get(1..).unwrap_or("")
            );
        }
        out.push_str(&summary);
        out.push_str("\n\n");
        for line in code.doc.lines() {
            if let Some(heading) = line.strip_prefix("## ") {
                out.push_str(&format!("### {heading}\n"));
            } else {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

#[test]
fn rules_reference_is_up_to_date() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/rules.md");
    let generated = generate();
    if std::env::var_os("HOSTPLAN_BLESS").is_some() {
        if let Err(error) = std::fs::write(&path, &generated) {
            panic!("cannot write {}: {error}", path.display());
        }
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/rules.md is stale: run `HOSTPLAN_BLESS=1 cargo test -p hostplan-tests --test docs`"
    );
}
