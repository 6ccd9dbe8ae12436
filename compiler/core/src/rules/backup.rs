//! Backups and disaster recovery: R0101 to R0104.

use crate::model::Environment;
use crate::rules::{Ctx, Finding};

/// The longest interval between backups: at most a day of field work is lost.
pub(crate) const MAX_BACKUP_INTERVAL_HOURS: f64 = 24.0;

/// The shortest retention: a problem noticed after a weekend or a holiday can still be undone.
pub(crate) const MIN_BACKUP_RETENTION_DAYS: f64 = 7.0;

/// R0101: the policy takes no backups.
pub(crate) fn missing_backup(
    ctx: &Ctx<'_>,
    idx: usize,
    environment: &Environment,
    out: &mut Vec<Finding>,
) -> bool {
    if environment.policy.backup.is_some() {
        return true;
    }
    out.push(
        Finding::new(idx, environment, format!("`{}` keeps no backups", environment.name), "a failed disk loses all data here")
            .with_secondary(ctx.policy_label(environment, "backup", "the policy has no `backup` block"))
            .with_help(
                "add `backup { every = 24h, keep = 35d, offsite = true, encrypted = true }` to the policy, or use `policies.production`",
            ),
    );
    true
}

/// R0102: no backup copy leaves the site.
pub(crate) fn onsite_only_backup(
    ctx: &Ctx<'_>,
    idx: usize,
    environment: &Environment,
    out: &mut Vec<Finding>,
) -> bool {
    let Some(backup) = &environment.policy.backup else {
        return false;
    };
    if backup.offsite {
        return true;
    }
    out.push(
        Finding::new(
            idx,
            environment,
            format!("`{}` keeps no offsite backup", environment.name),
            "a flood or fire at the site destroys the data and its backups together",
        )
        .with_secondary(ctx.policy_label(environment, "backup.offsite", "backups are set here, all on the same site"))
        .with_help(
            "add `offsite = true` to the `backup` block (with `offsite_region` naming another region), or a `location` on another site",
        ),
    );
    true
}

/// R0103: backups are not encrypted.
pub(crate) fn unencrypted_backup(
    ctx: &Ctx<'_>,
    idx: usize,
    environment: &Environment,
    out: &mut Vec<Finding>,
) -> bool {
    let Some(backup) = &environment.policy.backup else {
        return false;
    };
    if backup.encrypted {
        return true;
    }
    out.push(
        Finding::new(
            idx,
            environment,
            format!("`{}` keeps unencrypted backups", environment.name),
            "whoever reads a backup copy reads every record and the admin credentials",
        )
        .with_secondary(ctx.policy_label(
            environment,
            "backup.encrypted",
            "backups are set here, without `encrypted = true`",
        ))
        .with_help(
            "add `encrypted = true` to the `backup` block, and keep the key outside the backup",
        ),
    );
    true
}

/// R0104: backups run less than daily or are kept less than a week.
pub(crate) fn sparse_backup_schedule(
    ctx: &Ctx<'_>,
    idx: usize,
    environment: &Environment,
    out: &mut Vec<Finding>,
) -> bool {
    let Some(backup) = &environment.policy.backup else {
        return false;
    };
    if MAX_BACKUP_INTERVAL_HOURS < backup.every_hours {
        out.push(
            Finding::new(
                idx,
                environment,
                format!(
                    "`{}` backs up only every {}",
                    environment.name,
                    hours(backup.every_hours)
                ),
                "a failure here can lose more than a day of field work",
            )
            .with_secondary(ctx.policy_label(
                environment,
                "backup.every",
                "the interval is set here",
            ))
            .with_help("back up at least daily: `every = 24h` (CHT's own example uses `4h`)"),
        );
    }
    if backup.keep_days < MIN_BACKUP_RETENTION_DAYS {
        out.push(
            Finding::new(
                idx,
                environment,
                format!(
                    "`{}` keeps backups only {}",
                    environment.name,
                    days(backup.keep_days)
                ),
                "a problem noticed after a weekend may no longer be restorable",
            )
            .with_secondary(ctx.policy_label(
                environment,
                "backup.keep",
                "the retention is set here",
            ))
            .with_help("keep backups at least a week: `keep = 7d` (production presets keep `35d`)"),
        );
    }
    true
}

pub(crate) fn hours(value: f64) -> String {
    if value % 24.0 == 0.0 {
        days(value / 24.0)
    } else {
        format!("{} hours", trim(value))
    }
}

pub(crate) fn days(value: f64) -> String {
    if value == 1.0 {
        "1 day".to_string()
    } else {
        format!("{} days", trim(value))
    }
}

/// A number without a trailing `.0`, rounded to two decimals.
pub(crate) fn trim(value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded}")
    }
}
