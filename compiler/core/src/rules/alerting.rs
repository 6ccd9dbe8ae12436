//! Alerting: R0105 and R0106.

use crate::model::{AlertCondition, Environment};
use crate::rules::backup::{days, trim};
use crate::rules::{Ctx, Finding};

/// The longest outage before an alert; CHT Watchdog's own "API Server Down" rule waits this long.
const MAX_DOWNTIME_MINUTES: f64 = 30.0;

/// The fullest a disk may get before an alert: upgrades need several times the data size free.
const MAX_DISK_USED: f64 = 0.9;

/// The least warning before a certificate expires.
const MIN_CERT_EXPIRY_DAYS: f64 = 7.0;

/// R0105: nobody receives alerts.
pub(crate) fn missing_alert_channel(
    ctx: &Ctx<'_>,
    idx: usize,
    environment: &Environment,
    out: &mut Vec<Finding>,
) -> bool {
    let has_channel = environment
        .policy
        .alerting
        .as_ref()
        .is_some_and(|it| !it.email.is_empty() || !it.webhook.is_empty());
    if has_channel {
        return true;
    }
    let (key, label) = match &environment.policy.alerting {
        Some(_) => (
            "alerting",
            "alerts are set here, without `email` or `webhook`",
        ),
        None => ("alerting", "the policy has no `alerting` block"),
    };
    out.push(
        Finding::new(
            idx,
            environment,
            format!("nobody receives alerts from `{}`", environment.name),
            "downtime here goes unnoticed until users complain",
        )
        .with_secondary(ctx.policy_label(environment, key, label))
        .with_help("add a channel to the policy: `alerting { email = [\"ops@example.org\"] }` (the preset's conditions are kept)"),
    );
    true
}

/// R0106: the alert conditions miss downtime, disk, certificate expiry or failed backups, or
/// set them too loosely.
pub(crate) fn missing_alert_condition(
    ctx: &Ctx<'_>,
    idx: usize,
    environment: &Environment,
    out: &mut Vec<Finding>,
) -> bool {
    let conditions: &[AlertCondition] = match &environment.policy.alerting {
        Some(alerting) => &alerting.on,
        None => &[],
    };
    let mut missing = Vec::new();
    let mut weak = Vec::new();
    match conditions.iter().find_map(|it| match it {
        AlertCondition::Downtime { minutes } => Some(*minutes),
        _ => None,
    }) {
        None => missing.push("downtime(5m)"),
        Some(minutes) if MAX_DOWNTIME_MINUTES < minutes => weak.push(format!(
            "`downtime` waits {} minutes (at most {})",
            trim(minutes),
            trim(MAX_DOWNTIME_MINUTES)
        )),
        Some(_) => (),
    }
    match conditions.iter().find_map(|it| match it {
        AlertCondition::DiskUsed { fraction } => Some(*fraction),
        _ => None,
    }) {
        None => missing.push("disk_used(80%)"),
        Some(fraction) if MAX_DISK_USED < fraction => weak.push(format!(
            "`disk_used` fires at {}% (at most {}%)",
            trim(fraction * 100.0),
            trim(MAX_DISK_USED * 100.0)
        )),
        Some(_) => (),
    }
    match conditions.iter().find_map(|it| match it {
        AlertCondition::CertExpiry { days } => Some(*days),
        _ => None,
    }) {
        None => missing.push("cert_expiry(14d)"),
        Some(value) if value < MIN_CERT_EXPIRY_DAYS => weak.push(format!(
            "`cert_expiry` warns {} ahead (at least {})",
            days(value),
            days(MIN_CERT_EXPIRY_DAYS)
        )),
        Some(_) => (),
    }
    if environment.policy.backup.is_some() && !conditions.contains(&AlertCondition::BackupFailed) {
        missing.push("backup_failed");
    }
    if missing.is_empty() && weak.is_empty() {
        return true;
    }
    let mut what = Vec::new();
    if !missing.is_empty() {
        what.push(format!(
            "no alert on {}",
            missing
                .iter()
                .map(|it| format!("`{}`", it.split('(').next().unwrap_or(it)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    what.extend(weak);
    let mut finding = Finding::new(
        idx,
        environment,
        format!(
            "alerts of `{}` miss conditions the hosting guide needs",
            environment.name
        ),
        what.join("; "),
    )
    .with_secondary(ctx.policy_label(
        environment,
        "alerting.on",
        if conditions.is_empty() {
            "no alert conditions are set"
        } else {
            "the alert conditions are set here"
        },
    ));
    finding = if missing.is_empty() {
        finding.with_help(
            "tighten the thresholds: `downtime(5m)`, `disk_used(80%)`, `cert_expiry(14d)`",
        )
    } else {
        finding.with_help(format!(
            "add {} to `alerting {{ on = [...] }}` (lists replace the parent's on `extends`)",
            missing.join(", ")
        ))
    };
    out.push(finding);
    true
}
