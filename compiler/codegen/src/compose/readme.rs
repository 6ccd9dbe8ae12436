//! The environment's `README.md`: how to apply it, step by step, from the resource model.
//! Human text, so it is a Handlebars template filled with data the model decides.

use handlebars::Handlebars;
use hostplan_core::ir::{
    self, AlertCondition, BackupTarget, Environment, Group, HostRole, SettingValue, TlsMode,
    VolumeKind,
};
use serde_json::{json, Value};

use crate::compose::env_file::how_to_create;
use crate::{header, EmitOptions};

const TEMPLATE: &str = include_str!("README.md.hbs");

/// Renders the README; `files` are the environment's other outputs, relative to its directory.
pub fn render(
    program: &ir::Program,
    env: &Environment,
    files: &[String],
    options: &EmitOptions,
) -> String {
    let mut handlebars = Handlebars::new();
    handlebars.set_strict_mode(true);
    handlebars.register_escape_fn(handlebars::no_escape);
    let data = data(program, env, files, options);
    match handlebars.render_template(TEMPLATE, &data) {
        Ok(mut text) => {
            // Handlebars leaves the blank lines of skipped sections; Markdown needs at most one.
            while text.contains("\n\n\n") {
                text = text.replace("\n\n\n", "\n\n");
            }
            if !text.ends_with('\n') {
                text.push('\n');
            }
            text
        }
        // The template is part of the binary and tested, so this is a bug in hostplan;
        // say so in the file rather than write nothing.
        Err(error) => format!(
            "{}\nThis README could not be generated ({error}); this is a bug in hostplan.\n",
            header::html_comment(&options.plan_path)
        ),
    }
}

fn data(
    program: &ir::Program,
    env: &Environment,
    files: &[String],
    options: &EmitOptions,
) -> Value {
    let graph = hostplan_core::graph::build(program, Some(&env.name));
    let cht_services: Vec<&ir::Service> = env
        .services
        .iter()
        .filter(|it| it.host == HostRole::Cht)
        .collect();
    let containers: Vec<String> = cht_services
        .iter()
        .map(|it| {
            if it.group == Group::UpgradeService {
                format!("upgrade-service-{}-1", it.name)
            } else {
                format!("cht-{}-1", it.name)
            }
        })
        .collect();
    let start_order: Vec<&str> = graph
        .start_order(&env.name)
        .into_iter()
        .filter(|name| cht_services.iter().any(|it| it.name == *name))
        .collect();
    let files: Vec<Value> = files
        .iter()
        .map(|path| json!({ "path": path, "what": describe_file(env, path) }))
        .collect();
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
    let mut secrets = Vec::new();
    let mut operator_secrets = Vec::new();
    let mut required = Vec::new();
    for setting in env.settings.iter().filter(|it| it.host == HostRole::Cht) {
        match &setting.value {
            SettingValue::Secret(secret) => {
                let how = env.secret(secret.slot).map(how_to_create).unwrap_or_default();
                secrets.push(json!({ "variable": setting.name, "how": format!("secret `{}`: {how}", secret.secret) }));
            }
            SettingValue::OperatorSecret { how } => operator_secrets.push(json!({ "variable": setting.name, "how": how.trim_end_matches('.') })),
            SettingValue::Create { how } => required.push(json!({ "variable": setting.name, "how": how.trim_end_matches('.') })),
            SettingValue::HostPath { example } => required.push(json!({ "variable": setting.name, "how": format!("keep `{example}` or set the path you chose") })),
            SettingValue::Default(_) | SettingValue::Set { .. } => {}
        }
    }
    let hosts: Vec<Value> = env
        .infrastructure
        .hosts
        .iter()
        .map(|it| {
            json!({
                "name": if it.role == HostRole::Monitoring { format!("{} (monitoring, a separate host)", it.name) } else { it.name.clone() },
                "count": it.count,
                "cpu": ir::trim_float(it.millicpu as f64 / 1000.0),
                "memory": ir::trim_float(it.memory_mib as f64 / 1024.0),
                "disk": it.root_disk_gib,
            })
        })
        .collect();
    let disks: Vec<Value> = env
        .infrastructure
        .disks
        .iter()
        .map(|it| json!({ "volume": it.volume, "size": it.size_gib, "encrypted": it.encrypted }))
        .collect();
    let backup = env.backup.as_ref();
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
    let contact_points = env
        .alerting
        .as_ref()
        .is_some_and(|it| !it.email.is_empty() || !it.webhook.is_empty());
    json!({
        "header": header::html_comment(&options.plan_path).trim_end(),
        "env": env.name,
        "version": env.release.version,
        "plan": program.plan.name,
        "owner": program.plan.owner,
        "host_root": hostplan_core::lower::HOST_ROOT,
        "kind": env.kind.name(),
        "data": env.data.name(),
        "url": env.url(),
        "domain": env.domain,
        "policy": env.policy,
        "couchdb": if env.couchdb_nodes > 1 { format!("a cluster of {} nodes on this host (`{}`)", env.couchdb_nodes, env.couchdb_file().file_name()) } else { "one node (`cht-couchdb.yml`)".to_string() },
        "couchdb_file": env.couchdb_file().file_name(),
        "tls": match env.tls.mode {
            TlsMode::Acme => format!("Let's Encrypt (certbot), renewed {} days before expiry", env.tls.renew_before_days),
            TlsMode::OwnCert => "your own certificate, copied into the `cht-ssl` volume".to_string(),
            TlsMode::SelfSigned => "self-signed (development only)".to_string(),
            TlsMode::Managed => "terminated by the cloud load balancer in front of the host".to_string(),
        },
        "backup_summary": match backup {
            Some(it) => format!("every {}, kept {}, {}{}", duration(it.every_secs), duration(it.keep_secs), if it.encrypted { "encrypted" } else { "encrypted by restic" }, if it.offsite { ", offsite" } else { "" }),
            None => "none".to_string(),
        },
        "monitoring_summary": match &env.monitoring { Some(it) => format!("CHT Watchdog {} on a separate host", it.watchdog_version), None => "none".to_string() },
        "analytics_summary": if env.analytics.is_some() { "CHT Sync into PostgreSQL (`compose/hostplan-cht-sync.yml`)" } else { "none" },
        "restart": env.restart.compose(),
        "start_on_boot": env.start_on_boot,
        "update_window": env.update_window,
        "files": files,
        "hosts": hosts,
        "disks": disks,
        "sizing": env.sizing.source.describe(),
        "encryption": env.security.encryption_at_rest,
        "data_dirs": data_dirs,
        "secrets": secrets,
        "operator_secrets": operator_secrets,
        "required": required,
        "containers": containers,
        "start_order": start_order,
        "acme": env.tls.mode == TlsMode::Acme,
        "own_cert": env.tls.mode == TlsMode::OwnCert,
        "self_signed": env.tls.mode == TlsMode::SelfSigned,
        "renew_days": env.tls.renew_before_days,
        "backup": backup.is_some(),
        "backup_what": backup.map(|it| format!("{} and the stack's identity settings", it.volumes.iter().map(|it| format!("`{it}`")).collect::<Vec<_>>().join(", "))).unwrap_or_default(),
        "backup_every": backup.map(|it| duration(it.every_secs)).unwrap_or_default(),
        "backup_keep": backup.map(|it| duration(it.keep_secs)).unwrap_or_default(),
        "backup_target": backup.map(|it| match &it.target {
            BackupTarget::LocalVolume { volume } => format!("The copies stay on this host, in the volume `{volume}`: they protect against mistakes and corruption, not against losing the host."),
            BackupTarget::Bucket { provider, region, bucket } => format!("The copies go to the {provider} bucket `{bucket}` in `{region}`; create it (versioned, not public) before the first backup."),
            BackupTarget::OperatorProvided { example } => format!("The copies go to the repository in `RESTIC_REPOSITORY`, which must be on another site (for example `{example}`)."),
        }).unwrap_or_default(),
        "backup_alert": env.alerting.as_ref().is_some_and(|it| it.on.contains(&AlertCondition::BackupFailed)),
        "monitoring": env.monitoring.is_some(),
        "watchdog_version": env.monitoring.as_ref().map(|it| it.watchdog_version.clone()).unwrap_or_default(),
        "contact_points": contact_points,
        "uncovered_alerts": uncovered,
        "admin_from": env.security.admin_from,
        "operators": env.operators.iter().map(|it| json!({ "name": match &it.email { Some(email) => format!("{} ({email})", it.name), None => it.name.clone() }, "role": it.role.name() })).collect::<Vec<_>>(),
        "suppressions": env.suppressions.iter().map(|it| json!({ "code": it.code, "reason": it.reason })).collect::<Vec<_>>(),
    })
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
    if secs % 86_400 == 0 && secs >= 2 * 86_400 {
        plural(secs / 86_400, "day")
    } else if secs % 3600 == 0 {
        plural(secs / 3600, "hour")
    } else {
        plural(secs.div_ceil(60), "minute")
    }
}
