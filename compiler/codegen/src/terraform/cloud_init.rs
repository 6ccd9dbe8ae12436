//! The cloud-init document of a Compose host: what the machine does on its first boot.
//!
//! It installs Docker Engine and the Compose plugin from Docker's own apt repository, enables
//! both at boot (so CHT comes back after a power failure or a restart: every CHT service has
//! `restart: always`, which only helps if Docker itself starts), formats and mounts the data
//! disks where CHT's installation guide puts the data, lays out the CHT directories, and installs
//! the small health job the cloud's alarms read. The document is typed YAML printed by
//! [`crate::yaml`], with the `#cloud-config` line cloud-init requires first.

use crate::doc::{Document, Map, Node, Seq};
use crate::yaml;

/// Docker's apt repository signing key (docs.docker.com/engine/install/ubuntu).
const DOCKER_KEY_FINGERPRINT: &str = "9DC858229FC7DD38854AE2D88D81803C0EBFCD88";

/// A data disk to format on first use and mount at every boot.
pub(crate) struct DataDisk {
    /// The device path, stable across reboots (`/dev/disk/by-id/...`), or a placeholder the
    /// module replaces with it.
    pub(crate) device: String,
    pub(crate) mount_point: String,
    /// The file system label, at most 16 characters.
    pub(crate) label: String,
}

/// What the health job checks and where it reports.
pub(crate) enum Health {
    /// Publishes CloudWatch metrics (`Hostplan/CHT`) with the AWS CLI and the instance's role.
    CloudWatch {
        region: String,
        environment: String,
        disk_paths: Vec<String>,
        /// The domain nginx serves, when nginx holds the certificate.
        certificate_domain: Option<String>,
        /// Seconds since the last backup within which a success must be logged.
        backup_window_secs: Option<u64>,
    },
    /// Writes the backup outcome to syslog, which the Google Cloud Ops Agent ships to Cloud
    /// Logging; disks and the certificate are measured by the agent and the uptime check.
    CloudLogging { backup_window_secs: Option<u64> },
}

/// What the first boot of a host does.
pub(crate) struct HostInit {
    pub(crate) disks: Vec<DataDisk>,
    /// Directories owned by the `ubuntu` user, parents first.
    pub(crate) directories: Vec<String>,
    pub(crate) health: Option<Health>,
    /// Installs the Google Cloud Ops Agent (metrics and logs of the VM).
    pub(crate) ops_agent: bool,
    /// Extra commands after Docker runs, as argument vectors (quoted for the shell here).
    pub(crate) commands: Vec<Vec<String>>,
    /// A sentence for the document's first comment.
    pub(crate) about: String,
}

/// The document, starting with `#cloud-config`.
pub(crate) fn render(init: &HostInit) -> String {
    let mut root = Map::new();
    root.insert("package_update", true);
    root.insert("package_upgrade", true);
    root.insert_commented(
        "apt",
        Map::new().with(
            "sources",
            Map::new().with(
                "docker",
                Map::new()
                    .with(
                        "source",
                        "deb [arch=amd64 signed-by=$KEY_FILE] https://download.docker.com/linux/ubuntu $RELEASE stable",
                    )
                    .with("keyid", DOCKER_KEY_FINGERPRINT),
            ),
        ),
        "Docker's own repository: CHT needs Docker Engine with the Compose v2 plugin.",
    );
    let mut packages: Vec<&str> = vec![
        "docker-ce",
        "docker-ce-cli",
        "containerd.io",
        "docker-compose-plugin",
        "git",
    ];
    if matches!(init.health, Some(Health::CloudWatch { .. })) {
        packages.push("openssl");
    }
    root.insert("packages", packages.into_iter().collect::<Seq>());
    let mut files = Seq::new();
    if !init.disks.is_empty() {
        files.push(file(
            "/usr/local/sbin/hostplan-data-disks",
            "0755",
            &data_disk_script(&init.disks),
        ));
    }
    if let Some(health) = &init.health {
        files.push(file(
            "/usr/local/sbin/hostplan-health",
            "0755",
            &health_script(health),
        ));
        files.push(file(
            "/etc/systemd/system/hostplan-health.service",
            "0644",
            "[Unit]\nDescription=Report CHT's health figures to the cloud's monitoring\nAfter=docker.service network-online.target\nWants=network-online.target\n\n[Service]\nType=oneshot\nExecStart=/usr/local/sbin/hostplan-health\n",
        ));
        files.push(file(
            "/etc/systemd/system/hostplan-health.timer",
            "0644",
            "[Unit]\nDescription=Report CHT's health figures every five minutes\n\n[Timer]\nOnBootSec=5min\nOnUnitActiveSec=5min\n\n[Install]\nWantedBy=timers.target\n",
        ));
    }
    if !files.is_empty() {
        root.insert("write_files", files);
    }
    let mut commands = Seq::new();
    if !init.disks.is_empty() {
        commands.push_commented(
            argv(&["/usr/local/sbin/hostplan-data-disks"]),
            "The data disks first, so that no container ever writes to the root disk in their place.",
        );
    }
    commands.push_commented(
        argv(&["systemctl", "enable", "--now", "containerd.service", "docker.service"]),
        "Power failures: Docker, and with it every CHT container (restart: always), starts at boot.",
    );
    if !init.directories.is_empty() {
        let mut install = vec![
            "install", "-d", "-o", "ubuntu", "-g", "ubuntu", "-m", "0750",
        ];
        install.extend(init.directories.iter().map(String::as_str));
        commands.push_commented(
            argv(&install),
            "The layout of CHT's Docker installation guide.",
        );
    }
    if init.ops_agent {
        commands.push_commented(
            argv(&[
                "sh",
                "-c",
                "curl -fsSL -o /tmp/add-google-cloud-ops-agent-repo.sh https://dl.google.com/cloudagents/add-google-cloud-ops-agent-repo.sh && bash /tmp/add-google-cloud-ops-agent-repo.sh --also-install",
            ]),
            "The Ops Agent reports disk use and ships syslog, which the alert policies read.",
        );
    }
    if matches!(init.health, Some(Health::CloudWatch { .. })) {
        commands.push_commented(
            argv(&["snap", "install", "aws-cli", "--classic"]),
            "The health job publishes its figures with the AWS CLI.",
        );
    }
    if init.health.is_some() {
        commands.push(argv(&["systemctl", "daemon-reload"]));
        commands.push(argv(&[
            "systemctl",
            "enable",
            "--now",
            "hostplan-health.timer",
        ]));
    }
    for command in &init.commands {
        let words: Vec<&str> = command.iter().map(String::as_str).collect();
        commands.push(argv(&words));
    }
    root.insert("runcmd", commands);
    let doc = Document::new(Node::Map(root)).with_header(init.about.as_str());
    format!("#cloud-config\n{}", yaml::document(&doc))
}

/// A command line for `runcmd`, whose string entries cloud-init runs with `sh`: words that
/// need it are quoted.
fn argv(args: &[&str]) -> Node {
    let words: Vec<String> = args
        .iter()
        .map(|word| {
            let plain = !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c));
            if plain {
                word.to_string()
            } else {
                sh(word)
            }
        })
        .collect();
    Node::Str(words.join(" "))
}

fn file(path: &str, permissions: &str, content: &str) -> Map {
    Map::new()
        .with("path", path)
        .with("owner", "root:root")
        .with("permissions", permissions)
        .with("content", content)
}

/// Quotes a word for a POSIX shell.
fn sh(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// Formats each data disk on first use (never again: a disk with a file system is kept as it
/// is) and mounts it through `/etc/fstab`, so it comes back after a reboot; `nofail` lets the
/// host boot for repair if a disk is missing.
fn data_disk_script(disks: &[DataDisk]) -> String {
    let mut out = String::from(
        "#!/bin/sh\n# Formats the data disks on first use and mounts them at every boot.\nset -eu\nmount_disk() {\n  device=\"$1\"; target=\"$2\"; label=\"$3\"\n  tries=0\n  while [ ! -e \"$device\" ] && [ \"$tries\" -lt 60 ]; do sleep 5; tries=$((tries + 1)); done\n  if [ ! -e \"$device\" ]; then echo \"data disk $device is not attached\" >&2; return 1; fi\n  if ! blkid \"$device\" >/dev/null 2>&1; then mkfs.ext4 -L \"$label\" \"$device\"; fi\n  mkdir -p \"$target\"\n  if ! grep -q \"^LABEL=$label \" /etc/fstab; then echo \"LABEL=$label $target ext4 defaults,nofail,discard 0 2\" >> /etc/fstab; fi\n  mountpoint -q \"$target\" || mount \"$target\"\n}\n",
    );
    for disk in disks {
        out.push_str(&format!(
            "mount_disk {} {} {}\n",
            sh(&disk.device),
            sh(&disk.mount_point),
            sh(&disk.label)
        ));
    }
    out
}

/// The backup container logs `backup done` or `backup FAILED` after every run; the last of
/// them within the window says whether the latest backup worked, and none at all means no
/// backup ran in time.
fn backup_check(window_secs: u64) -> String {
    format!(
        "last=$(docker logs --since {window_secs}s cht-backup-1 2>&1 | grep -E '^backup (done|FAILED)' | tail -n 1)\n"
    )
}

fn health_script(health: &Health) -> String {
    match health {
        Health::CloudWatch {
            region,
            environment,
            disk_paths,
            certificate_domain,
            backup_window_secs,
        } => {
            let mut out = format!(
                "#!/bin/sh\n# Publishes the figures this environment's CloudWatch alarms watch: disk use, days until\n# the TLS certificate expires, and whether the latest backup worked.\nset -u\nput() {{\n  aws cloudwatch put-metric-data --region {} --namespace Hostplan/CHT --metric-name \"$1\" --dimensions \"Environment={}$2\" --value \"$3\"\n}}\n",
                sh(region),
                environment.replace(['"', '\\', '$', '`', ','], "_")
            );
            out.push_str("for path in");
            for path in disk_paths {
                out.push(' ');
                out.push_str(&sh(path));
            }
            out.push_str("; do\n  used=$(df --output=pcent \"$path\" | tail -n 1 | tr -dc '0-9')\n  if [ -n \"$used\" ]; then put DiskUsedPercent \",Path=$path\" \"$used\"; fi\ndone\n");
            if let Some(domain) = certificate_domain {
                out.push_str(&format!(
                    "end=$(echo | timeout 10 openssl s_client -connect 127.0.0.1:443 -servername {} 2>/dev/null | openssl x509 -noout -enddate 2>/dev/null | cut -d= -f2)\nif [ -n \"$end\" ]; then put CertificateDaysToExpiry '' $(( ($(date -d \"$end\" +%s) - $(date +%s)) / 86400 )); fi\n",
                    sh(domain)
                ));
            }
            if let Some(window) = backup_window_secs {
                out.push_str(&backup_check(*window));
                out.push_str("if [ \"$last\" = 'backup done' ]; then put BackupSucceeded '' 1; else put BackupSucceeded '' 0; fi\n");
            }
            out
        }
        Health::CloudLogging { backup_window_secs } => {
            let mut out = String::from(
                "#!/bin/sh\n# Writes whether the latest backup worked to syslog, which the Ops Agent ships to Cloud\n# Logging, where an alert policy watches for failures.\nset -u\n",
            );
            if let Some(window) = backup_window_secs {
                out.push_str(&backup_check(*window));
                out.push_str("if [ \"$last\" = 'backup done' ]; then logger -t hostplan-backup 'backup ok'; else logger -p user.err -t hostplan-backup 'backup FAILED or missing'; fi\n");
            }
            out
        }
    }
}

/// The first-boot script of the CHT Watchdog host: Docker at boot, and CHT Watchdog checked out
/// at the release the resource model names. `ops_agent` installs Google's Ops Agent.
pub(crate) fn watchdog_host(env: &hostplan_core::ir::Environment, ops_agent: bool) -> String {
    let version = env
        .monitoring
        .as_ref()
        .map(|it| it.watchdog_version.clone())
        .unwrap_or_default();
    render(&HostInit {
        disks: Vec::new(),
        directories: Vec::new(),
        health: None,
        ops_agent,
        commands: vec![vec![
            "git".to_string(),
            "clone".to_string(),
            "--branch".to_string(),
            version.clone(),
            "https://github.com/medic/cht-watchdog.git".to_string(),
            "/home/ubuntu/cht-watchdog".to_string(),
        ]],
        about: format!(
            "First boot of the CHT Watchdog host of {}: Docker at boot and CHT Watchdog {version}, which runs apart from the instance it watches.",
            env.name
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::{render, sh, DataDisk, Health, HostInit};

    #[test]
    fn starts_with_the_cloud_config_line_and_enables_docker() {
        let text = render(&HostInit {
            disks: vec![DataDisk {
                device: "/dev/disk/by-id/google-couchdb-data".to_string(),
                mount_point: "/home/ubuntu/cht/couchdb".to_string(),
                label: "couchdb-data".to_string(),
            }],
            directories: vec!["/home/ubuntu/cht".to_string()],
            health: Some(Health::CloudLogging {
                backup_window_secs: Some(90_000),
            }),
            ops_agent: true,
            commands: Vec::new(),
            about: "CHT host".to_string(),
        });
        assert!(text.starts_with("#cloud-config\n# CHT host\n"), "{text}");
        assert!(
            text.contains("- systemctl enable --now containerd.service docker.service\n"),
            "{text}"
        );
        assert!(text.contains("mount_disk '/dev/disk/by-id/google-couchdb-data' '/home/ubuntu/cht/couchdb' 'couchdb-data'"), "{text}");
        assert!(text.contains("--since 90000s"), "{text}");
    }

    #[test]
    fn quotes_shell_words() {
        assert_eq!(sh("a b"), "'a b'");
        assert_eq!(sh("it's"), "'it'\\''s'");
    }
}
