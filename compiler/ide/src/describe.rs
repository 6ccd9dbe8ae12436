//! Plain-language summaries of the plan model, shared by hover and inlay hints.
//!
//! They read the model that `analyze` built, so what the editor shows is what the backends
//! will use: a policy after its `extends` chain, an environment with every default applied.

use hostplan_core::model::{
    AlertCondition, Alerting, Backup, Environment, Infra, Policy, Restart, Target, Tls, TlsMode,
};

/// One short line on where and how an environment runs, for inlay hints.
pub(crate) fn environment_topology(env: &Environment) -> String {
    let nodes = match env.couchdb_nodes {
        1 => "1 CouchDB node".to_string(),
        n => format!("{n} CouchDB nodes"),
    };
    format!(
        "{} on {} · {nodes}",
        target(env.target),
        infra_short(&env.infra)
    )
}

/// Markdown bullet lines describing an environment with its defaults applied.
pub(crate) fn environment_lines(env: &Environment) -> Vec<String> {
    let mut lines = vec![
        format!(
            "- kind: `{}`; data: `{}`; serves {} of the users",
            env.kind.name(),
            data_class(env),
            percent(env.scale)
        ),
        format!("- target: {}", target_long(env.target)),
        format!("- infrastructure: {}", infra_long(&env.infra)),
        format!("- domain: `{}`", env.domain),
    ];
    if matches!(env.target, Target::Kubernetes(_)) {
        lines.push(format!("- namespace: `{}`", env.namespace));
    }
    let disk = match env.couchdb_disk {
        Some(bytes) => format!("{} per node", size(bytes as f64)),
        None => "sized by the capacity estimate".to_string(),
    };
    let topology = match env.couchdb_nodes {
        1 => "a single node".to_string(),
        n => format!("a {n}-node cluster"),
    };
    lines.push(format!("- CouchDB: {topology}, data volume {disk}"));
    lines.push(format!(
        "- monitoring: {}; analytics: {}",
        if env.monitor_watchdog {
            "CHT Watchdog on a separate host"
        } else {
            "none"
        },
        if env.analytics_cht_sync {
            "CHT Sync to PostgreSQL"
        } else {
            "none"
        }
    ));
    if !env.secrets.is_empty() {
        let bindings: Vec<String> = env
            .secrets
            .iter()
            .map(|it| format!("`{}` ← `{}`", it.slot.name(), it.secret))
            .collect();
        lines.push(format!("- credentials: {}", bindings.join(", ")));
    }
    for allow in &env.allows {
        match &allow.reason {
            Some(reason) => lines.push(format!("- allows rule `{}`: {reason}", allow.code)),
            None => lines.push(format!("- allows rule `{}`, without a reason", allow.code)),
        }
    }
    lines
}

/// Markdown bullet lines describing a policy after `extends`.
pub(crate) fn policy_lines(policy: &Policy) -> Vec<String> {
    let mut lines = Vec::new();
    lines.push(match &policy.tls {
        Some(tls) => format!("- TLS: {}", tls_text(tls)),
        None => "- TLS: not set".to_string(),
    });
    lines.push(match &policy.backup {
        Some(backup) => format!("- backups: {}", backup_text(backup)),
        None => "- backups: none".to_string(),
    });
    lines.push(match &policy.alerting {
        Some(alerting) => format!("- alerting: {}", alerting_text(alerting)),
        None => "- alerting: none".to_string(),
    });
    lines.push(format!(
        "- encryption at rest: {}",
        if policy.encryption_at_rest {
            "yes"
        } else {
            "no"
        }
    ));
    lines.push(match policy.admin_from.as_slice() {
        [] => "- admin endpoints: reachable from anywhere".to_string(),
        ranges => format!(
            "- admin endpoints: only from {}",
            ranges
                .iter()
                .map(|it| format!("`{it}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    });
    let restart = match policy.restart {
        Restart::Always => "always",
        Restart::UnlessStopped => "unless stopped",
        Restart::OnFailure => "on failure",
        Restart::Never => "never",
    };
    lines.push(format!(
        "- restart: {restart}; container runtime starts on boot: {}",
        if policy.start_on_boot { "yes" } else { "no" }
    ));
    if let Some(window) = &policy.update_window {
        lines.push(format!("- update window: `{window}`"));
    }
    lines
}

/// The `extends` chain of a policy, such as `policies.production → policies.baseline`.
pub(crate) fn extends_chain(policy: &Policy) -> Option<String> {
    if policy.extends.is_empty() {
        return None;
    }
    Some(
        policy
            .extends
            .iter()
            .map(|it| format!("`{it}`"))
            .collect::<Vec<_>>()
            .join(" → "),
    )
}

fn tls_text(tls: &Tls) -> String {
    let mode = match tls.mode {
        TlsMode::Acme => "ACME certificates",
        TlsMode::Managed => "certificates managed by the cloud",
        TlsMode::OwnCert => "your own certificate, renewed by hand",
        TlsMode::SelfSigned => "self-signed certificate",
    };
    match tls.mode {
        TlsMode::Acme | TlsMode::Managed => format!(
            "{mode}, renewed {} before expiry",
            days(tls.renew_before_days)
        ),
        TlsMode::OwnCert | TlsMode::SelfSigned => mode.to_string(),
    }
}

fn backup_text(backup: &Backup) -> String {
    let mut text = format!(
        "every {}, kept {}",
        hours(backup.every_hours),
        days(backup.keep_days)
    );
    if backup.offsite {
        text.push_str(", offsite");
        if let Some(region) = &backup.offsite_region {
            text.push_str(&format!(" (`{region}`)"));
        }
    } else {
        text.push_str(", on site only");
    }
    text.push_str(if backup.encrypted {
        ", encrypted"
    } else {
        ", not encrypted"
    });
    text
}

fn alerting_text(alerting: &Alerting) -> String {
    let channels: Vec<String> = alerting
        .email
        .iter()
        .chain(&alerting.webhook)
        .map(|it| format!("`{it}`"))
        .collect();
    let conditions: Vec<String> = alerting.on.iter().map(condition_text).collect();
    let to = if channels.is_empty() {
        "no channel".to_string()
    } else {
        channels.join(", ")
    };
    let on = if conditions.is_empty() {
        "no condition".to_string()
    } else {
        conditions.join(", ")
    };
    format!("to {to}, on {on}")
}

fn condition_text(condition: &AlertCondition) -> String {
    match condition {
        AlertCondition::Downtime { minutes } => format!("`downtime({})`", minutes_text(*minutes)),
        AlertCondition::DiskUsed { fraction } => format!("`disk_used({})`", percent(*fraction)),
        AlertCondition::CertExpiry { days: value } => format!("`cert_expiry({})`", days(*value)),
        AlertCondition::BackupFailed => "`backup_failed`".to_string(),
        AlertCondition::ReplicationLimit => "`replication_limit`".to_string(),
    }
}

fn target(target: Target) -> String {
    match target {
        Target::Compose => "compose".to_string(),
        Target::Kubernetes(distribution) => format!("kubernetes({})", distribution.name()),
    }
}

fn target_long(target: Target) -> String {
    match target {
        Target::Compose => {
            "Docker Compose on one host, with CHT's official Compose files".to_string()
        }
        Target::Kubernetes(distribution) => format!(
            "Kubernetes (`{}`), objects named as in CHT's Helm chart",
            distribution.name()
        ),
    }
}

fn infra_short(infra: &Infra) -> String {
    match infra {
        Infra::Local => "local".to_string(),
        Infra::Aws { region, .. } => format!("aws {region}"),
        Infra::Gcp { region, .. } => format!("gcp {region}"),
        Infra::OnPrem { nodes, .. } => format!("onprem ×{nodes}"),
    }
}

fn infra_long(infra: &Infra) -> String {
    match infra {
        Infra::Local => "a local machine; no infrastructure is created".to_string(),
        Infra::Aws { region, vpc, zones } => {
            let network = match vpc {
                Some(vpc) => format!("existing VPC `{vpc}`"),
                None => format!("a new VPC over {zones} availability zones"),
            };
            format!("AWS, region `{region}`, {network}")
        }
        Infra::Gcp { region, project } => {
            format!("Google Cloud, region `{region}`, project `{project}`")
        }
        Infra::OnPrem {
            nodes,
            cpu,
            memory,
            disk,
        } => format!(
            "on premises: {nodes} machines of {cpu} cores, {} memory and {} disk",
            size(*memory as f64),
            size(*disk as f64)
        ),
    }
}

fn data_class(env: &Environment) -> &'static str {
    match env.data {
        hostplan_core::model::DataClass::Synthetic => "synthetic",
        hostplan_core::model::DataClass::Anonymized => "anonymized",
        hostplan_core::model::DataClass::Real => "real",
    }
}

/// A number without a trailing `.0`, with at most two decimals.
pub(crate) fn number(value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 {
        return format!("{}", rounded as i64);
    }
    let text = format!("{rounded:.2}");
    text.trim_end_matches('0').to_string()
}

fn percent(fraction: f64) -> String {
    format!("{}%", number(fraction * 100.0))
}

fn minutes_text(minutes: f64) -> String {
    if minutes >= 60.0 && (minutes / 60.0).fract() == 0.0 {
        return format!("{}h", number(minutes / 60.0));
    }
    format!("{}m", number(minutes))
}

fn hours(value: f64) -> String {
    if value >= 24.0 && (value / 24.0).fract() == 0.0 {
        return days(value / 24.0);
    }
    format!("{}h", number(value))
}

fn days(value: f64) -> String {
    if value >= 365.0 && (value / 365.0).fract() == 0.0 {
        return format!("{}y", number(value / 365.0));
    }
    format!("{}d", number(value))
}

/// A size in bytes with the largest binary unit that keeps it at one or more.
pub(crate) fn size(bytes: f64) -> String {
    const UNITS: [(&str, f64); 4] = [
        ("TiB", 1_099_511_627_776.0),
        ("GiB", 1_073_741_824.0),
        ("MiB", 1_048_576.0),
        ("KiB", 1024.0),
    ];
    for (unit, factor) in UNITS {
        if bytes >= factor {
            return format!("{}{unit}", number(bytes / factor));
        }
    }
    format!("{}B", number(bytes))
}
