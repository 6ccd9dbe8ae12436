//! The policy report: per environment, the effective policy after `extends`, where each part
//! was set, and which rules each part satisfies. `hostplan check --explain-policy` prints it;
//! the estimate report and the READMEs can list an environment's suppressions from it.

use hostplan_diagnostics::Span;

use crate::model::{AlertCondition, DataClass, Environment, Plan, Restart, TlsMode};
use crate::rules::backup::trim;
use crate::rules::{AllowReport, Level, Outcome, Rule, RuleReport, Status};

/// One environment's effective policy and the rules' verdict on it.
#[derive(Clone, Debug)]
pub struct PolicyView {
    pub environment: String,
    pub kind: &'static str,
    pub data: &'static str,
    /// The level of the environment's rules.
    pub level: Level,
    pub strict: bool,
    /// The policy's qualified name, and the chain it extends, nearest first.
    pub policy: String,
    pub extends: Vec<String>,
    pub parts: Vec<PolicyPart>,
    /// One per rule, in code order.
    pub outcomes: Vec<Outcome>,
    pub allows: Vec<AllowReport>,
}

/// One field of an effective policy.
#[derive(Clone, Debug)]
pub struct PolicyPart {
    /// `backup.offsite`, `encryption`, ...
    pub key: &'static str,
    /// The value as a plan would write it; webhooks show only their host, since their paths
    /// often carry tokens.
    pub value: String,
    /// Where it was set, or `None` for a default.
    pub set_at: Option<Span>,
    /// The rules that read this part and pass in this environment.
    pub satisfies: Vec<&'static Rule>,
}

/// Builds the policy view of every environment, in declaration order.
pub fn policy_views(plan: &Plan, report: &RuleReport) -> Vec<PolicyView> {
    plan.environments
        .iter()
        .zip(&report.environments)
        .map(|(environment, verdict)| {
            let parts = parts(environment)
                .into_iter()
                .map(|(key, value)| {
                    // An empty list or an absent block contributes nothing to a passing rule.
                    let contributes = value != "[]" && value != "none";
                    let satisfies = verdict
                        .outcomes
                        .iter()
                        .filter(|it| {
                            contributes
                                && it.status == Status::Passed
                                && it.rule.reads.contains(&key)
                        })
                        .map(|it| it.rule)
                        .collect();
                    PolicyPart {
                        key,
                        value,
                        set_at: environment.policy.spans.get(key).copied(),
                        satisfies,
                    }
                })
                .collect();
            PolicyView {
                environment: environment.name.clone(),
                kind: environment.kind.name(),
                data: match environment.data {
                    DataClass::Synthetic => "synthetic",
                    DataClass::Anonymized => "anonymized",
                    DataClass::Real => "real",
                },
                level: verdict.level,
                strict: environment.strict,
                policy: environment.policy.qualified.clone(),
                extends: environment.policy.extends.clone(),
                parts,
                outcomes: verdict.outcomes.clone(),
                allows: verdict.allows.clone(),
            }
        })
        .collect()
}

fn parts(environment: &Environment) -> Vec<(&'static str, String)> {
    let policy = &environment.policy;
    let mut out = Vec::new();
    match &policy.tls {
        Some(tls) => {
            let mode = match tls.mode {
                TlsMode::Acme => "acme",
                TlsMode::Managed => "managed",
                TlsMode::OwnCert => "own_cert",
                TlsMode::SelfSigned => "self_signed",
            };
            out.push(("tls.mode", mode.to_string()));
            out.push(("tls.renew_before", duration_days(tls.renew_before_days)));
            if let Some(email) = &tls.email {
                out.push(("tls.email", quoted(email)));
            }
        }
        None => out.push(("tls", "none".to_string())),
    }
    match &policy.backup {
        Some(backup) => {
            out.push(("backup.every", duration_hours(backup.every_hours)));
            out.push(("backup.keep", duration_days(backup.keep_days)));
            out.push(("backup.offsite", backup.offsite.to_string()));
            if let Some(region) = &backup.offsite_region {
                out.push(("backup.offsite_region", quoted(region)));
            }
            out.push(("backup.encrypted", backup.encrypted.to_string()));
            if let Some(location) = &backup.location {
                out.push(("backup.location", quoted(location)));
            }
        }
        None => out.push(("backup", "none".to_string())),
    }
    match &policy.alerting {
        Some(alerting) => {
            out.push((
                "alerting.email",
                list(alerting.email.iter().map(|it| quoted(it))),
            ));
            out.push((
                "alerting.webhook",
                list(alerting.webhook.iter().map(|it| quoted(&redact_url(it)))),
            ));
            out.push(("alerting.on", list(alerting.on.iter().map(condition))));
        }
        None => out.push(("alerting", "none".to_string())),
    }
    out.push((
        "encryption",
        if policy.encryption_at_rest {
            "at_rest"
        } else {
            "none"
        }
        .to_string(),
    ));
    out.push((
        "admin_from",
        list(policy.admin_from.iter().map(|it| quoted(it))),
    ));
    out.push((
        "restart",
        match policy.restart {
            Restart::Always => "always",
            Restart::UnlessStopped => "unless_stopped",
            Restart::OnFailure => "on_failure",
            Restart::Never => "never",
        }
        .to_string(),
    ));
    out.push(("start_on_boot", policy.start_on_boot.to_string()));
    out.push((
        "update_window",
        policy
            .update_window
            .as_deref()
            .map(quoted)
            .unwrap_or_else(|| "none".to_string()),
    ));
    out
}

fn condition(condition: &AlertCondition) -> String {
    match condition {
        AlertCondition::Downtime { minutes } => format!("downtime({}m)", trim(*minutes)),
        AlertCondition::DiskUsed { fraction } => format!("disk_used({}%)", trim(fraction * 100.0)),
        AlertCondition::CertExpiry { days } => format!("cert_expiry({}d)", trim(*days)),
        AlertCondition::BackupFailed => "backup_failed".to_string(),
        AlertCondition::ReplicationLimit => "replication_limit".to_string(),
    }
}

fn list(items: impl Iterator<Item = String>) -> String {
    format!("[{}]", items.collect::<Vec<_>>().join(", "))
}

fn quoted(text: &str) -> String {
    format!("{text:?}")
}

fn duration_hours(value: f64) -> String {
    if value % 24.0 == 0.0 {
        format!("{}d", trim(value / 24.0))
    } else {
        format!("{}h", trim(value))
    }
}

fn duration_days(value: f64) -> String {
    format!("{}d", trim(value))
}

/// Keeps a URL's scheme and host: webhook paths and queries often carry access tokens.
fn redact_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map(|(_, it)| it).unwrap_or(host);
    if host.len() + scheme.len() + 3 < url.len() {
        format!("{scheme}://{host}/…")
    } else {
        format!("{scheme}://{host}")
    }
}

/// A sentence per suppression, for reports and READMEs: "R0102 (onsite-only-backup, Disaster
/// Recovery) is allowed: REASON".
pub fn suppression_lines(allows: &[AllowReport]) -> Vec<String> {
    allows
        .iter()
        .map(|it| {
            format!(
                "{} ({}, hosting guide \"{}\") is allowed: {}",
                it.rule.code.code,
                it.rule.code.name,
                it.rule.question.title(),
                it.reason.as_deref().unwrap_or("no reason given")
            )
        })
        .collect()
}
