//! The environment's `README.md`: how to apply it, step by step, from the resource model.
//!
//! The text is written directly rather than through a Handlebars template: the README is
//! built on every `hostplan build`, and compiling a template of this size costs Handlebars'
//! parser about a millisecond in a fresh process, a fifth of the whole build's time budget.
//! Each section is a function over the model, so what the README says stays as plain to read
//! as a template.

use std::fmt::Write;

use hostplan_core::ir::{
    self, AlertCondition, BackupTarget, Environment, Group, HostRole, SettingValue, TlsMode,
    VolumeKind,
};

use crate::compose::env_file::how_to_create;
use crate::{header, EmitOptions};

/// Renders the README; `files` are the environment's other outputs, relative to its directory.
pub fn render(
    program: &ir::Program,
    env: &Environment,
    files: &[String],
    options: &EmitOptions,
) -> String {
    let mut out = String::with_capacity(8 * 1024);
    out.push_str(&header::html_comment(&options.plan_path));
    summary(&mut out, program, env);
    files_section(&mut out, env, files);
    host_section(&mut out, env);
    deploy_section(&mut out, program, env);
    backup_section(&mut out, env);
    monitoring_section(&mut out, env);
    upgrades_section(&mut out, env);
    access_sections(&mut out, env);
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

fn summary(out: &mut String, program: &ir::Program, env: &Environment) {
    let _ = writeln!(
        out,
        "# Environment `{}`: CHT {} on Docker Compose\n",
        env.name, env.release.version
    );
    let _ = writeln!(
        out,
        "Plan `{}` ({}). This directory holds everything needed to run this environment on one Docker host.",
        program.plan.name, program.plan.owner
    );
    let _ = writeln!(
        out,
        "It is laid out like the host directory `{}` of CHT's Docker installation guide, and every value below comes from the plan.\n",
        hostplan_core::lower::HOST_ROOT
    );
    let couchdb = if env.couchdb_nodes > 1 {
        format!(
            "a cluster of {} nodes on this host (`{}`)",
            env.couchdb_nodes,
            env.couchdb_file().file_name()
        )
    } else {
        "one node (`cht-couchdb.yml`)".to_string()
    };
    let tls = match env.tls.mode {
        TlsMode::Acme => format!(
            "Let's Encrypt (certbot), renewed {} days before expiry",
            env.tls.renew_before_days
        ),
        TlsMode::OwnCert => "your own certificate, copied into the `cht-ssl` volume".to_string(),
        TlsMode::SelfSigned => "self-signed (development only)".to_string(),
        TlsMode::Managed => {
            "terminated by the cloud load balancer in front of the host".to_string()
        }
    };
    let backups = match &env.backup {
        Some(it) => format!(
            "every {}, kept {}, encrypted{}",
            duration(it.every_secs),
            duration(it.keep_secs),
            if it.offsite { ", offsite" } else { "" }
        ),
        None => "none".to_string(),
    };
    let monitoring = match &env.monitoring {
        Some(it) => format!("CHT Watchdog {} on a separate host", it.watchdog_version),
        None => "none".to_string(),
    };
    let analytics = if env.analytics.is_some() {
        "CHT Sync into PostgreSQL (`compose/hostplan-cht-sync.yml`)"
    } else {
        "none"
    };
    let restart = format!(
        "`{}`{}",
        env.restart.compose(),
        if env.start_on_boot {
            ", and Docker starts when the host boots"
        } else {
            ""
        }
    );
    out.push_str("| | |\n| --- | --- |\n");
    let mut rows: Vec<(&str, String)> = vec![
        ("kind", env.kind.name().to_string()),
        ("data", env.data.name().to_string()),
        ("address", env.url()),
        ("policy", format!("`{}`", env.policy)),
        ("CouchDB", couchdb),
        ("TLS certificates", tls),
        ("backups", backups),
        ("monitoring", monitoring),
        ("analytics", analytics.to_string()),
        ("restart", restart),
    ];
    if let Some(window) = &env.update_window {
        rows.push(("upgrade window", window.clone()));
    }
    for (key, value) in rows {
        let _ = writeln!(out, "| {key} | {value} |");
    }
    out.push('\n');
}

fn files_section(out: &mut String, env: &Environment, files: &[String]) {
    out.push_str("## Files\n\n| file | what it is |\n| --- | --- |\n");
    for path in files {
        let _ = writeln!(out, "| `{path}` | {} |", describe_file(env, path));
    }
    out.push('\n');
}

fn host_section(out: &mut String, env: &Environment) {
    out.push_str("## Host\n\n");
    for host in &env.infrastructure.hosts {
        let name = if host.role == HostRole::Monitoring {
            format!("{} (monitoring, a separate host)", host.name)
        } else {
            host.name.clone()
        };
        let _ = writeln!(
            out,
            "- **{name}**: {} × {} CPU, {} GiB RAM, {} GiB disk.",
            host.count,
            ir::trim_float(host.millicpu as f64 / 1000.0),
            ir::trim_float(host.memory_mib as f64 / 1024.0),
            host.root_disk_gib
        );
    }
    for disk in &env.infrastructure.disks {
        let _ = writeln!(
            out,
            "- Data: `{}` needs {} GiB{}.",
            disk.volume,
            disk.size_gib,
            if disk.encrypted {
                ", on an encrypted disk"
            } else {
                ""
            }
        );
    }
    let _ = writeln!(out, "\nSizes are {}.", env.sizing.source.describe());
    if env.security.encryption_at_rest {
        let _ = writeln!(
            out,
            "The plan requires encryption at rest: put the CouchDB data directory{} on an encrypted disk (for example LUKS, or an encrypted cloud volume).",
            if env.backup.is_some() { " and the backups" } else { "" }
        );
    }
    let reach = if env.domain == "localhost" {
        "and nothing open to the network: the instance answers on this machine only".to_string()
    } else {
        format!(
            "a DNS record for `{}` pointing at it, and only ports 80 and 443 open to the Internet",
            env.domain
        )
    };
    let _ = writeln!(
        out,
        "The host needs Docker Engine with the Compose v2 plugin (`docker compose`; the old `docker-compose` is not supported by CHT), {reach}.\n"
    );
}

fn deploy_section(out: &mut String, program: &ir::Program, env: &Environment) {
    let root = hostplan_core::lower::HOST_ROOT;
    out.push_str("## Deploy, step by step\n\n");
    let _ = writeln!(
        out,
        "1. Copy this directory to the host as `{root}`:\n   `rsync -a ./ HOST:{root}/`"
    );
    if env.start_on_boot {
        out.push_str("1. Make Docker start when the host boots, so CHT comes back after a power failure:\n   `sudo systemctl enable --now docker`\n");
    }
    let data_dirs: Vec<String> = env
        .volumes
        .iter()
        .filter(|it| it.host == HostRole::Cht)
        .filter_map(|volume| match &volume.kind {
            VolumeKind::HostDirectory { variable, .. } => {
                match env.setting(variable).map(|it| &it.value) {
                    Some(SettingValue::HostPath { example }) => Some(example.clone()),
                    _ => None,
                }
            }
            VolumeKind::Managed => None,
        })
        .collect();
    if !data_dirs.is_empty() {
        let _ = writeln!(
            out,
            "1. Create the data directories:\n   `sudo mkdir -p {}`",
            data_dirs.join(" ")
        );
    }
    out.push_str("1. Create the settings file from the example, readable only by its owner:\n   `cp .env.example upgrade-service/.env && chmod 600 upgrade-service/.env`\n");
    out.push_str("1. Fill in `upgrade-service/.env`:\n");
    let mut lines = Vec::new();
    let mut others = Vec::new();
    for setting in env.settings.iter().filter(|it| it.host == HostRole::Cht) {
        match &setting.value {
            SettingValue::Secret(secret) => {
                let how = env
                    .secret(secret.slot)
                    .map(how_to_create)
                    .unwrap_or_default();
                lines.push(format!(
                    "`{}`: secret `{}`: {how}",
                    setting.name, secret.secret
                ));
            }
            SettingValue::OperatorSecret { how } | SettingValue::Create { how } => {
                others.push(format!("`{}`: {}", setting.name, how.trim_end_matches('.')))
            }
            SettingValue::HostPath { example } => others.push(format!(
                "`{}`: keep `{example}` or set the path you chose",
                setting.name
            )),
            SettingValue::Default(_) | SettingValue::Set { .. } => {}
        }
    }
    for line in lines.iter().chain(others.iter()) {
        let _ = writeln!(out, "   - {line}.");
    }
    out.push_str("   Keep a copy of the filled-in file in the team's password manager: a restore needs the same password, secret and uuid.\n");
    let _ = writeln!(out, "1. Start the CHT upgrade service; it starts every file in `compose/`:\n   `cd {root}/upgrade-service && docker compose up --detach`");
    let cht_services: Vec<&ir::Service> = env
        .services
        .iter()
        .filter(|it| it.host == HostRole::Cht)
        .collect();
    let containers: Vec<String> = cht_services
        .iter()
        .map(|it| {
            if it.group == Group::UpgradeService {
                format!("`upgrade-service-{}-1`", it.name)
            } else {
                format!("`cht-{}-1`", it.name)
            }
        })
        .collect();
    let graph = hostplan_core::graph::build(program, Some(&env.name));
    let order: Vec<&str> = graph
        .start_order(&env.name)
        .into_iter()
        .filter(|name| cht_services.iter().any(|it| it.name == *name))
        .collect();
    let _ = writeln!(
        out,
        "1. Check that these containers run (`docker ps`): {}.",
        containers.join(", ")
    );
    let _ = writeln!(out, "   They start in this order: {}.", order.join(", "));
    match env.tls.mode {
        TlsMode::Acme => {
            let _ = writeln!(
                out,
                "1. certbot asks Let's Encrypt for a certificate for `{}` within a minute of starting and renews it {} days before it expires; nginx picks up a new certificate at its weekly reload. It retries every five minutes until nginx answers for the domain; follow it with `docker logs -f cht-certbot-1`.",
                env.domain, env.tls.renew_before_days
            );
        }
        TlsMode::OwnCert => out.push_str(
            "1. Copy your certificate (full chain) and key into the `cht-ssl` volume, then restart nginx:\n   `docker run --rm -v cht_cht-ssl:/ssl -v \"$PWD\":/in alpine cp /in/cert.pem /in/key.pem /ssl/ && docker restart cht-nginx-1`\n   Renew it yourself before it expires.\n",
        ),
        TlsMode::SelfSigned => out.push_str("1. nginx uses a self-signed certificate: browsers and phones will warn. This is for development only.\n"),
        TlsMode::Managed => out.push_str("1. Point the cloud load balancer, which holds the managed certificate, at ports 80 and 443 of this host.\n"),
    }
    let _ = writeln!(
        out,
        "1. Open {} and log in as the CouchDB admin (`COUCHDB_USER`, default `admin`).\n",
        env.url()
    );
}

fn backup_section(out: &mut String, env: &Environment) {
    let Some(backup) = &env.backup else { return };
    let volumes: Vec<String> = backup.volumes.iter().map(|it| format!("`{it}`")).collect();
    let _ = writeln!(
        out,
        "## Backups\n\nThe `backup` service (restic) copies {} and the stack's identity settings every {} and keeps each copy for {}, encrypted with `RESTIC_PASSWORD`.",
        volumes.join(", "),
        duration(backup.every_secs),
        duration(backup.keep_secs)
    );
    let target = match &backup.target {
        BackupTarget::LocalVolume { volume } => {
            format!("The copies stay on this host, in the volume `{volume}`: they protect against mistakes and corruption, not against losing the host.")
        }
        BackupTarget::Bucket {
            provider,
            region,
            bucket,
        } => {
            format!("The copies go to the {provider} bucket `{bucket}` in `{region}`; create it (versioned, not public) before the first backup.")
        }
        BackupTarget::OperatorProvided { example } => {
            format!("The copies go to the repository in `RESTIC_REPOSITORY`, which must be on another site (for example `{example}`).")
        }
    };
    let _ = writeln!(out, "{target}");
    out.push_str("A backup is not working until a restore has been tested: restore into a scratch directory now and then with\n");
    out.push_str("`docker compose -p cht --env-file upgrade-service/.env -f compose/hostplan-backup.yml run --rm -v /tmp/restore:/restore --entrypoint restic backup restore latest --target /restore`\n");
    out.push_str("and compare it with the live data. To restore for real, stop CHT, restore the CouchDB data directory and `local.d`, put the restored `cht.env` values back in `upgrade-service/.env`, and start again.\n");
    if env
        .alerting
        .as_ref()
        .is_some_and(|it| it.on.contains(&AlertCondition::BackupFailed))
    {
        out.push_str("The plan asks for an alert when a backup fails: the backup service reports failures in its log (`docker logs cht-backup-1`) but Hostplan does not yet route that to an alert channel.\n");
    }
    out.push('\n');
}

fn monitoring_section(out: &mut String, env: &Environment) {
    let Some(monitoring) = &env.monitoring else {
        return;
    };
    let contact_points = env
        .alerting
        .as_ref()
        .is_some_and(|it| !it.email.is_empty() || !it.webhook.is_empty());
    out.push_str("## Monitoring\n\nCHT Watchdog must run on another host than the instance it watches. On the monitoring host:\n\n");
    let _ = writeln!(
        out,
        "1. `git clone --branch {} https://github.com/medic/cht-watchdog.git && cd cht-watchdog`",
        monitoring.watchdog_version
    );
    let _ = writeln!(
        out,
        "1. Copy `watchdog/cht-instances.yml` over the checkout's `cht-instances.yml`{}.",
        if contact_points {
            ", and `watchdog/grafana/provisioning/alerting/hostplan-contact-points.yml` into `grafana/provisioning/alerting/`"
        } else {
            ""
        }
    );
    out.push_str(
        "1. `cp watchdog/.env.example .env`, fill it in, then `docker compose up --detach`.\n",
    );
    out.push_str("1. Put Grafana behind a TLS reverse proxy; it listens on 127.0.0.1 only.\n\n");
    if contact_points {
        out.push_str("Alerts go to the plan's channels; e-mail needs the `[smtp]` section of Watchdog's `grafana/grafana.ini`.\n");
    }
    let uncovered: Vec<String> = env
        .alerting
        .iter()
        .flat_map(|it| it.on.iter())
        .filter(|it| {
            matches!(
                it,
                AlertCondition::DiskUsed { .. }
                    | AlertCondition::CertExpiry { .. }
                    | AlertCondition::BackupFailed
            )
        })
        .map(AlertCondition::describe)
        .collect();
    if !uncovered.is_empty() {
        let _ = writeln!(
            out,
            "Watchdog's rules do not cover these conditions of the plan: {}. Watch them with the host's own tools until Hostplan generates rules for them.",
            uncovered.join("; ")
        );
    }
    out.push('\n');
}

fn upgrades_section(out: &mut String, env: &Environment) {
    let _ = writeln!(
        out,
        "## Upgrades\n\nUpgrade CHT from the admin app (Upgrades page): the upgrade service replaces `compose/cht-core.yml` and `compose/{}` and restarts the stack, keeping the other files of `compose/`.",
        env.couchdb_file().file_name()
    );
    out.push_str("Before upgrading, update the upgrade service itself (`docker compose pull && docker compose up --detach` in `upgrade-service/`), make sure the CouchDB disk has free space for up to five times the data (view re-indexing), and take a backup.\n");
    out.push_str("After an upgrade through the admin app, change `cht` in the plan to the new release so the next build matches what runs.\n\n");
}

fn access_sections(out: &mut String, env: &Environment) {
    if !env.security.admin_from.is_empty() {
        let ranges: Vec<String> = env
            .security
            .admin_from
            .iter()
            .map(|it| format!("`{it}`"))
            .collect();
        let _ = writeln!(
            out,
            "## Access\n\nThe plan allows admin endpoints (`/_utils/`, `/admin/`) only from {}. CHT's nginx does not filter by address, so enforce this in front of the host (firewall or reverse proxy).\n",
            ranges.join(", ")
        );
    }
    if !env.operators.is_empty() {
        out.push_str("## Operators\n\n| operator | role |\n| --- | --- |\n");
        for operator in &env.operators {
            let name = match &operator.email {
                Some(email) => format!("{} ({email})", operator.name),
                None => operator.name.clone(),
            };
            let _ = writeln!(out, "| {name} | {} |", operator.role.name());
        }
        out.push('\n');
    }
    if !env.suppressions.is_empty() {
        out.push_str("## Rules allowed to fail here\n\n| rule | reason |\n| --- | --- |\n");
        for suppression in &env.suppressions {
            let _ = writeln!(
                out,
                "| {} | {} |",
                suppression.code,
                suppression.reason.replace('|', "\\|")
            );
        }
        out.push('\n');
    }
}

fn describe_file(env: &Environment, path: &str) -> String {
    let file_name = path.rsplit('/').next().unwrap_or(path);
    match file_name {
        "cht-core.yml" => format!("CHT {}'s official file: nginx, api, sentinel, haproxy{}. Replaced by upgrades; never edit it.", env.release.version, if env.release.major < 5 { ", healthcheck" } else { "" }),
        "cht-couchdb.yml" => "CHT's official single-node CouchDB file. Replaced by upgrades; never edit it.".to_string(),
        "cht-couchdb-clustered.yml" => "CHT's official three-node CouchDB file. Replaced by upgrades; never edit it.".to_string(),
        "hostplan-certbot.yml" => "certbot, which obtains and renews the Let's Encrypt certificate.".to_string(),
        "hostplan-backup.yml" => "The scheduled, encrypted backups (restic).".to_string(),
        "hostplan-cht-sync.yml" => "CHT Sync and its PostgreSQL, for analytics.".to_string(),
        "docker-compose.yml" => "CHT's upgrade service, which starts and upgrades everything in `compose/`.".to_string(),
        "cht-instances.yml" => "The instance CHT Watchdog watches (monitoring host).".to_string(),
        "hostplan-contact-points.yml" => "Where Watchdog's alerts go (monitoring host).".to_string(),
        ".env.example" if path.starts_with("watchdog/") => "Every setting of CHT Watchdog (monitoring host).".to_string(),
        ".env.example" => "Every setting the stack reads, with its meaning; secrets say how to create them.".to_string(),
        _ => crate::terraform::describe_file(path).unwrap_or_default(),
    }
}

/// `24 hours`, `35 days`, `90 minutes`.
fn duration(secs: u64) -> String {
    let plural = |n: u64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    if secs.checked_rem(86_400) == Some(0) && secs >= 2 * 86_400 {
        plural(secs / 86_400, "day")
    } else if secs.checked_rem(3600) == Some(0) {
        plural(secs / 3600, "hour")
    } else {
        plural(secs.div_ceil(60), "minute")
    }
}
