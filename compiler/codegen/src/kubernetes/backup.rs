//! The scheduled backup: per CouchDB node a CronJob that copies the node's data and
//! `local.d`, with the credentials a restore needs, into an encrypted restic repository at
//! the plan's backup target, then forgets copies older than the plan's retention.
//!
//! CouchDB writes its files append-only, so copying them while it runs gives a consistent
//! backup (CouchDB's backup documentation), as the Compose backend's backup does. The job
//! mounts the node's volume read-only; the volume is ReadWriteOnce, so the job runs on the
//! machine where that CouchDB node runs (pod affinity).

use hostplan_core::ir::{self, BackupTarget, Component, Environment, Provider};
use hostplan_core::lower::RESTIC_IMAGE;
use hostplan_core::sizing::BACKUP_RESOURCES;

use crate::doc::{Map, Seq};
use crate::kubernetes::meta::{
    self, container_security, env_secret, env_value, mount, object, pod_labels, pod_security,
    scratch_volume, Identity, BACKUP_SECRET, CREDENTIALS_SECRET, SERVICE_LABEL,
};
use crate::kubernetes::workloads::{couch_nodes, CouchNode, COUCHDB_UID};
use crate::kubernetes::Object;

/// The service account the backup runs as, which cloud identity (EKS Pod Identity, GKE
/// Workload Identity) grants access to the bucket.
pub(crate) const SERVICE_ACCOUNT: &str = "cht-backup";

/// A cron schedule at least as frequent as the plan's interval, its real interval in
/// seconds, and a note when cron cannot express the plan's interval exactly. Daily and
/// longer intervals run at 01:00 UTC.
pub(crate) fn schedule(every_secs: u64) -> (String, u64, Option<String>) {
    let minutes = every_secs.div_ceil(60).max(1);
    let largest_divisor = |of: u64, at_most: u64| {
        (1..=at_most.min(of))
            .rev()
            .find(|it| of.checked_rem(*it) == Some(0))
            .unwrap_or(1)
    };
    let (cron, actual) = if minutes < 60 {
        let step = largest_divisor(60, minutes);
        (format!("*/{step} * * * *"), step * 60)
    } else if minutes < 24 * 60 {
        let step = largest_divisor(24, minutes / 60);
        if step == 1 {
            ("0 * * * *".to_string(), 3600)
        } else {
            (format!("0 */{step} * * *"), step * 3600)
        }
    } else {
        let days = minutes / (24 * 60);
        match days {
            1 => ("0 1 * * *".to_string(), 86_400),
            7 => ("0 1 * * 0".to_string(), 7 * 86_400),
            _ => {
                let step = days.min(28);
                (format!("0 1 */{step} * *"), step * 86_400)
            }
        }
    };
    // A step over the days of the month starts again on the 1st, so a run can come sooner
    // than the step at the end of a month (never later).
    let day_of_month_step = 86_400 < actual && actual != 7 * 86_400;
    let note = (actual != every_secs || day_of_month_step).then(|| {
        format!(
            "cron cannot run every {} exactly, so the backup runs every {}{}",
            describe(every_secs),
            describe(actual),
            if day_of_month_step {
                " of the month, restarting on the 1st"
            } else {
                ""
            }
        )
    });
    (cron, actual, note)
}

/// `35d` or `36h`: restic's duration covering at least `secs`.
fn restic_duration(secs: u64) -> String {
    if secs.checked_rem(86_400) == Some(0) {
        format!("{}d", secs / 86_400)
    } else {
        format!("{}h", secs.div_ceil(3600))
    }
}

/// `24 hours`, `35 days`, `15 minutes`.
pub(crate) fn describe(secs: u64) -> String {
    let plural = |n: u64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    if secs.checked_rem(86_400) == Some(0) && 2 * 86_400 <= secs {
        plural(secs / 86_400, "day")
    } else if secs.checked_rem(3600) == Some(0) {
        plural(secs / 3600, "hour")
    } else {
        plural(secs.div_ceil(60), "minute")
    }
}

/// The restic repository and the variables that locate it, when the plan decides them.
pub(crate) fn repository(env: &Environment, target: &BackupTarget) -> Vec<(String, String)> {
    match target {
        BackupTarget::LocalVolume { .. } => {
            vec![("RESTIC_REPOSITORY".to_string(), "/repository".to_string())]
        }
        BackupTarget::Bucket {
            provider,
            region,
            bucket,
        } => match provider.as_str() {
            "gcp" => {
                let mut out = vec![("RESTIC_REPOSITORY".to_string(), format!("gs:{bucket}:/"))];
                if let Provider::Gcp { project, .. } = &env.infrastructure.provider {
                    out.push(("GOOGLE_PROJECT_ID".to_string(), project.clone()));
                }
                out
            }
            _ => vec![(
                "RESTIC_REPOSITORY".to_string(),
                format!("s3:s3.{region}.amazonaws.com/{bucket}"),
            )],
        },
        // The repository is on another site the operator provides: its URL and credentials
        // come from the backup Secret.
        BackupTarget::OperatorProvided { .. } => Vec::new(),
    }
}

/// The service account and one CronJob per CouchDB node; nothing without a backup policy.
pub(crate) fn objects(env: &Environment) -> Vec<Object> {
    let Some(backup) = &env.backup else {
        return Vec::new();
    };
    let comment = match &backup.target {
        BackupTarget::Bucket { .. } => "The backup's identity, to which the cloud grants access to the backup bucket (see the README); it has no rights in the cluster.",
        BackupTarget::LocalVolume { .. } | BackupTarget::OperatorProvided { .. } => "The backup's own identity; it has no rights in the cluster.",
    };
    let mut out = vec![Object::new(
        object(env, "v1", "ServiceAccount", SERVICE_ACCOUNT, Map::new())
            .with("automountServiceAccountToken", false),
        comment,
    )];
    let (cron, actual, note) = schedule(backup.every_secs);
    for node in couch_nodes(env) {
        out.push(cron_job(env, backup, &node, &cron, actual, note.as_deref()));
    }
    out
}

fn cron_job(
    env: &Environment,
    backup: &ir::Backup,
    node: &CouchNode<'_>,
    cron: &str,
    actual_secs: u64,
    note: Option<&str>,
) -> Object {
    let name = if node.clustered {
        format!("couchdb-backup-{}", node.number)
    } else {
        "couchdb-backup".to_string()
    };
    let host = if node.clustered {
        format!("{}-couchdb-{}", env.name, node.number)
    } else {
        env.name.clone()
    };
    let keep = restic_duration(backup.keep_secs);
    let script = [
        "set -eu".to_string(),
        "umask 077".to_string(),
        "printf 'COUCHDB_USER=%s\\nCOUCHDB_PASSWORD=%s\\nCOUCHDB_SECRET=%s\\nCOUCHDB_UUID=%s\\nCHT_VERSION=%s\\n' \"$COUCHDB_USER\" \"$COUCHDB_PASSWORD\" \"$COUCHDB_SECRET\" \"$COUCHDB_UUID\" \"$CHT_VERSION\" > /backup/settings/cht.env".to_string(),
        "restic cat config >/dev/null 2>&1 || restic init".to_string(),
        format!("restic backup --host '{host}' --tag cht /backup/data /backup/local.d /backup/settings"),
        format!("restic forget --host '{host}' --keep-within {keep} --prune"),
    ]
    .join("\n");
    let mut vars: Vec<Map> = repository(env, &backup.target)
        .iter()
        .map(|(name, value)| env_value(name, value))
        .collect();
    vars.push(env_value("RESTIC_CACHE_DIR", "/cache"));
    vars.push(env_value("HOME", "/tmp"));
    for key in [
        "COUCHDB_USER",
        "COUCHDB_PASSWORD",
        "COUCHDB_SECRET",
        "COUCHDB_UUID",
    ] {
        vars.push(env_secret(key, CREDENTIALS_SECRET, key));
    }
    vars.push(env_value("CHT_VERSION", &env.release.version));
    let resources = env
        .sizing
        .services
        .iter()
        .find(|it| it.component == Component::Backup)
        .map(|it| it.resources.clone())
        .unwrap_or(BACKUP_RESOURCES);
    let mut mounts = vec![
        mount("couchdb-data", "/backup/data", Some("data"), true),
        mount("couchdb-data", "/backup/local.d", Some("local.d"), true),
        mount("settings", "/backup/settings", None, false),
        mount("cache", "/cache", None, false),
        mount("tmp", "/tmp", None, false),
    ];
    let mut volumes = vec![
        Map::new().with("name", "couchdb-data").with(
            "persistentVolumeClaim",
            Map::new()
                .with("claimName", node.claim())
                .with("readOnly", true),
        ),
        Map::new().with("name", "settings").with(
            "emptyDir",
            Map::new().with("medium", "Memory").with("sizeLimit", "1Mi"),
        ),
        scratch_volume("cache", 2048),
        scratch_volume("tmp", 256),
    ];
    if let BackupTarget::LocalVolume { .. } = &backup.target {
        mounts.push(mount("repository", "/repository", None, false));
        volumes.push(Map::new().with("name", "repository").with(
            "persistentVolumeClaim",
            Map::new().with("claimName", "couchdb-backups"),
        ));
    }
    let container = Map::new()
        .with("name", "restic")
        .with("image", format!("{}:{}", RESTIC_IMAGE.0, RESTIC_IMAGE.1))
        .with("imagePullPolicy", "IfNotPresent")
        .with(
            "command",
            Seq::new().with("/bin/sh").with("-c").with(script.as_str()),
        )
        .with(
            "envFrom",
            Seq::new().with(Map::new().with("secretRef", Map::new().with("name", BACKUP_SECRET))),
        )
        .with("env", vars.into_iter().collect::<Seq>())
        .with("resources", meta::resources(&resources, &BACKUP_RESOURCES))
        // restic runs as CouchDB's user, which can read every file of the volume, on a
        // read-only image; the credentials it writes into the backup live in memory only.
        .with(
            "securityContext",
            container_security(Identity {
                user: Some((COUCHDB_UID, COUCHDB_UID)),
                writes_image: false,
            }),
        )
        .with("volumeMounts", mounts.into_iter().collect::<Seq>());
    let affinity = Map::new().with(
        "podAffinity",
        Map::new().with(
            "requiredDuringSchedulingIgnoredDuringExecution",
            Seq::new().with(
                Map::new()
                    .with(
                        "labelSelector",
                        Map::new().with(
                            "matchLabels",
                            Map::new().with(SERVICE_LABEL, node.selector()),
                        ),
                    )
                    .with("topologyKey", "kubernetes.io/hostname"),
            ),
        ),
    );
    let labels = pod_labels(env, "app.kubernetes.io/name", "backup", "backup");
    let pod = Map::new()
        .with("metadata", Map::new().with("labels", labels.clone()))
        .with(
            "spec",
            Map::new()
                .with("serviceAccountName", SERVICE_ACCOUNT)
                .with("automountServiceAccountToken", false)
                .with("enableServiceLinks", false)
                .with("securityContext", pod_security(None))
                .with("affinity", affinity)
                .with("restartPolicy", "Never")
                .with("containers", Seq::new().with(container))
                .with("volumes", volumes.into_iter().collect::<Seq>()),
        );
    // A run may take at most the interval (so runs never pile up), between one and 24 hours.
    let deadline = actual_secs.clamp(3600, 86_400);
    let map = object(env, "batch/v1", "CronJob", &name, Map::new()).with(
        "spec",
        Map::new()
            .with("schedule", cron)
            .with("timeZone", "Etc/UTC")
            .with("concurrencyPolicy", "Forbid")
            .with("startingDeadlineSeconds", 3600)
            .with("successfulJobsHistoryLimit", 3)
            .with("failedJobsHistoryLimit", 3)
            .with(
                "jobTemplate",
                Map::new().with(
                    "spec",
                    Map::new()
                        .with("backoffLimit", 2)
                        .with("activeDeadlineSeconds", meta::int(deadline))
                        .with("template", pod),
                ),
            ),
    );
    let what = if node.clustered {
        format!("CouchDB node {}", node.number)
    } else {
        "CouchDB".to_string()
    };
    let mut comment = format!(
        "Backs up {what}'s data and local.d with the credentials a restore needs, every {}, and keeps each copy for {} (the plan's policy); restic encrypts the repository with RESTIC_PASSWORD.",
        describe(actual_secs),
        describe(backup.keep_secs)
    );
    if let Some(note) = note {
        comment.push_str(&format!(" Note: {note}."));
    }
    Object::new(map, comment)
}
