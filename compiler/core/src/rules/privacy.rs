//! Privacy: real patient data stays in environments protected like production (R0112) and
//! out of development, test and staging (R0113).

use hostplan_diagnostics::{codes, Label};

use crate::model::{DataClass, EnvKind, Environment};
use crate::rules::{Check, Ctx, Finding, RULES};

/// The rules a policy must pass to be production-grade for real data: the ones that protect
/// the data itself (backups, their copies and encryption, someone hearing alerts, reachable
/// certificates, encrypted disks, restricted admin access).
const PRODUCTION_GRADE: &[&str] = &[
    "R0101", "R0102", "R0103", "R0104", "R0105", "R0106", "R0109", "R0110", "R0111", "R0121",
];

/// R0112: real data in a non-production environment whose policy is weaker than production's.
pub(crate) fn real_data_weak_policy(
    ctx: &Ctx<'_>,
    idx: usize,
    environment: &Environment,
    out: &mut Vec<Finding>,
) -> bool {
    if environment.data != DataClass::Real {
        return false;
    }
    // In production the individual rules already report every shortfall as an error.
    if environment.kind == EnvKind::Production {
        return true;
    }
    // Hold the environment to production's standard by checking it as if it were one.
    let mut as_production = environment.clone();
    as_production.kind = EnvKind::Production;
    let mut shortfalls: Vec<(&'static str, Finding)> = Vec::new();
    for rule in RULES
        .iter()
        .filter(|it| PRODUCTION_GRADE.contains(&it.code.code))
    {
        let allowed = environment
            .allows
            .iter()
            .any(|it| it.code.eq_ignore_ascii_case(rule.code.code));
        let Check::Environment(check) = rule.check else {
            continue;
        };
        if allowed {
            continue;
        }
        let mut found = Vec::new();
        check(ctx, idx, &as_production, &mut found);
        shortfalls.extend(found.into_iter().map(|it| (rule.code.code, it)));
    }
    if shortfalls.is_empty() {
        return true;
    }
    let codes: Vec<&str> = shortfalls.iter().map(|(code, _)| *code).collect();
    let mut finding = Finding::new(
        idx,
        environment,
        format!(
            "`{}` holds real patient data under a policy weaker than production's",
            environment.name
        ),
        format!("fails {}", dedup(&codes).join(", ")),
    )
    .with_secondary(ctx.environment_label(
        environment,
        "data",
        "real patient data is declared here",
    ));
    for (code, shortfall) in shortfalls {
        let span = shortfall
            .secondary
            .first()
            .map(|it| it.span)
            .unwrap_or(shortfall.primary.span);
        finding =
            finding.with_secondary(Label::new(span, format!("{code}: {}", shortfall.message)));
    }
    out.push(
        finding
            .with_help("use a policy that extends `policies.production`, or hold `anonymized` data here")
            .with_note("each shortfall is explained by `hostplan explain CODE`; an `allow` of that rule here removes it from this list"),
    );
    true
}

/// R0113: a non-production environment holds real data.
pub(crate) fn real_data_outside_production(
    ctx: &Ctx<'_>,
    idx: usize,
    environment: &Environment,
    out: &mut Vec<Finding>,
) -> bool {
    if environment.data != DataClass::Real {
        return false;
    }
    if environment.kind == EnvKind::Production {
        return true;
    }
    out.push(
        Finding::new(
            idx,
            environment,
            format!("{} environment `{}` holds real patient data", environment.kind.name(), environment.name),
            "non-production environments hold synthetic or anonymized data",
        )
        .with_secondary(ctx.environment_label(environment, "data", "`data = real` is set here"))
        .with_secondary(ctx.environment_label(environment, "kind", &format!("but the environment is `{}`", environment.kind.name())))
        .with_help(format!(
            "use `data = anonymized` or `data = synthetic`; for an upgrade rehearsal on a production copy, `allow {} {{ reason = \"...\" }}` and a production-grade policy",
            codes::R0113.code
        )),
    );
    true
}

fn dedup<'a>(codes: &[&'a str]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for code in codes {
        if !out.contains(code) {
            out.push(code);
        }
    }
    out
}
