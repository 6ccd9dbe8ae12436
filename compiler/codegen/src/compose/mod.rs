//! The Docker Compose backend.
//!
//! For an environment whose target is `compose` it writes, under `ENV/`:
//!
//! - `compose/cht-core.yml` and `compose/cht-couchdb.yml` (or `cht-couchdb-clustered.yml`):
//!   the official files of the plan's CHT release, under the names the CHT upgrade service
//!   overwrites on upgrade, with the services, images, variables, ports, volumes, networks,
//!   dependencies, restart policy and logging of the release. The plan never changes them:
//!   what it decides reaches them through `.env`.
//! - `compose/hostplan-*.yml`: what the plan adds (ACME certificates, backups, CHT Sync), in
//!   files of their own, which upgrades leave alone and the upgrade service starts with the rest.
//! - `upgrade-service/docker-compose.yml`: CHT's upgrade service, passing on the variables of
//!   the added services too.
//! - `watchdog/`: CHT Watchdog's settings, for its own host.
//! - `.env.example` and `README.md`.

pub(crate) mod env_file;
mod readme;

use hostplan_core::ir::{
    self, ComposeFile, EnvValue, Environment, Group, HostRole, MountSource, Service,
};

use crate::doc::{Comment, Document, Map, Node, Seq};
use crate::{header, yaml, EmitOptions, OutputFile};

/// The file name of each group of services the plan adds, in `compose/`.
pub fn extra_file_name(group: Group) -> Option<&'static str> {
    match group {
        Group::Certificates => Some("hostplan-certbot.yml"),
        Group::Backup => Some("hostplan-backup.yml"),
        Group::Analytics => Some("hostplan-cht-sync.yml"),
        Group::Official(_) | Group::Monitoring | Group::UpgradeService => None,
    }
}

/// Appends the files of one Compose environment.
pub fn emit(
    program: &ir::Program,
    env: &Environment,
    options: &EmitOptions,
    files: &mut Vec<OutputFile>,
) {
    let prefix = &env.name;
    // This environment's files start here (other backends, such as Terraform, may have
    // written some just before); the README lists them without scanning the files of every
    // environment before it.
    let own_prefix = format!("{prefix}/");
    let first = files
        .iter()
        .rposition(|it| !it.path.starts_with(&own_prefix))
        .map_or(0, |it| it + 1);
    for file in [ComposeFile::Core, env.couchdb_file()] {
        let note = format!(
            "CHT {}'s official {}, as the release publishes it. The CHT upgrade service replaces this file on upgrade,\nso it must not be edited: settings go in upgrade-service/.env, additions in the other files of this directory.",
            env.release.version,
            file.file_name()
        );
        let doc = compose_document(env, Group::Official(file), &note, options);
        files.push(OutputFile {
            path: format!("{prefix}/compose/{}", file.file_name()),
            contents: yaml::document(&doc),
        });
        options.release(doc);
    }
    for group in [Group::Certificates, Group::Backup, Group::Analytics] {
        let Some(name) = extra_file_name(group) else {
            continue;
        };
        if env.services_in(group).next().is_none() {
            continue;
        }
        let note = format!(
            "What the plan adds to CHT: {}. The CHT upgrade service starts this file with the official ones\nand leaves it alone on upgrade.",
            group.describe()
        );
        let doc = compose_document(env, group, &note, options);
        files.push(OutputFile {
            path: format!("{prefix}/compose/{name}"),
            contents: yaml::document(&doc),
        });
        options.release(doc);
    }
    if env.services_in(Group::UpgradeService).next().is_some() {
        let note = "CHT's upgrade service (medic/cht-upgrade-service), which installs, starts and upgrades the files of ../compose.\nBeyond the official file, it passes on the variables of the services the plan adds, so Compose can fill them in.";
        let doc = compose_document(env, Group::UpgradeService, note, options);
        files.push(OutputFile {
            path: format!("{prefix}/upgrade-service/docker-compose.yml"),
            contents: yaml::document(&doc),
        });
        options.release(doc);
    }
    if let Some(monitoring) = &env.monitoring {
        watchdog_files(env, monitoring, options, files);
    }
    files.push(OutputFile {
        path: format!("{prefix}/.env.example"),
        contents: env_file::render(env, HostRole::Cht, options),
    });
    let own: Vec<String> = files
        .get(first..)
        .unwrap_or_default()
        .iter()
        .filter_map(|it| {
            it.path
                .strip_prefix(&format!("{prefix}/"))
                .map(str::to_string)
        })
        .collect();
    files.push(OutputFile {
        path: format!("{prefix}/README.md"),
        contents: readme::render(program, env, &own, options),
    });
}

/// One Compose file: the services of a group with the networks and volumes they use.
pub fn compose_document(
    env: &Environment,
    group: Group,
    note: &str,
    options: &EmitOptions,
) -> Document {
    let mut services = Map::new();
    let mut networks: Vec<&str> = Vec::new();
    let mut volumes: Vec<&str> = Vec::new();
    for service in env.services_in(group) {
        services.insert_commented(
            service.name.clone(),
            service_node(service, group),
            service.doc.as_str(),
        );
        for network in &service.networks {
            if !networks.contains(&network.as_str()) {
                networks.push(network);
            }
        }
        for mount in &service.mounts {
            if let MountSource::Volume(name) = &mount.source {
                if !volumes.contains(&name.as_str()) {
                    volumes.push(name);
                }
            }
        }
    }
    let mut root = Map::new().with("services", services);
    let mut network_map = Map::new();
    for name in networks {
        let node = match env.networks.iter().find(|it| it.name == name) {
            Some(network) if network.runtime_name.text() != network.name => {
                Node::Map(Map::new().with("name", network.runtime_name.text()))
            }
            _ => Node::Map(Map::new()),
        };
        network_map.insert(name.to_string(), node);
    }
    if !network_map.is_empty() {
        root.insert("networks", network_map);
    }
    let mut volume_map = Map::new();
    for name in volumes {
        let comment = env.volume(name).map(volume_comment).unwrap_or_default();
        volume_map.insert_commented(name.to_string(), Map::new(), comment);
    }
    if !volume_map.is_empty() {
        root.insert("volumes", volume_map);
    }
    let mut head = Comment::new(&header::text(&options.plan_path));
    head.push(note);
    Document {
        header: head,
        root: Node::Map(root),
    }
}

fn volume_comment(volume: &ir::Volume) -> String {
    let what = match volume.purpose {
        ir::VolumePurpose::CouchdbData { .. } => "CouchDB data",
        ir::VolumePurpose::CouchdbCredentials => {
            "CouchDB's local.d: admin hash, secret and uuid; keep it"
        }
        ir::VolumePurpose::TlsCertificates => "nginx's certificate and private key",
        ir::VolumePurpose::AcmeState => "certbot's account and certificates, so renewals renew",
        ir::VolumePurpose::BackupRepository => "the local backup repository",
        ir::VolumePurpose::PostgresData => "CHT Sync's PostgreSQL data",
        ir::VolumePurpose::PrometheusData => "Prometheus data",
        ir::VolumePurpose::GrafanaData => "Grafana data",
    };
    match volume.size_gib {
        Some(size) => format!("{what} ({size} GiB)"),
        None => what.to_string(),
    }
}

/// A service, in the key order of CHT's files.
fn service_node(service: &Service, group: Group) -> Map {
    let mut map = Map::new().with("image", service.image.to_string());
    map.insert("restart", service.restart.compose());
    if let Some(hostname) = &service.hostname {
        map.insert("hostname", hostname.as_str());
    }
    if !service.entrypoint.is_empty() {
        map.insert(
            "entrypoint",
            service
                .entrypoint
                .iter()
                .map(|it| it.text())
                .collect::<Seq>(),
        );
    }
    if !service.command.is_empty() {
        map.insert(
            "command",
            service.command.iter().map(|it| it.text()).collect::<Seq>(),
        );
    }
    if !service.depends_on.is_empty() {
        map.insert(
            "depends_on",
            service
                .depends_on
                .iter()
                .map(String::as_str)
                .collect::<Seq>(),
        );
    }
    if !service.expose.is_empty() {
        map.insert(
            "expose",
            service.expose.iter().map(|it| it.text()).collect::<Seq>(),
        );
    }
    if !service.ports.is_empty() {
        map.insert(
            "ports",
            service
                .ports
                .iter()
                .map(|it| format!("{}:{}", it.host.text(), it.container))
                .collect::<Seq>(),
        );
    }
    if !service.mounts.is_empty() {
        let mounts: Seq = service
            .mounts
            .iter()
            .map(|mount| {
                let source = match &mount.source {
                    MountSource::Volume(name) => name.clone(),
                    MountSource::HostPath { path, .. } => path.text().to_string(),
                };
                let mode = if mount.read_only { ":ro" } else { "" };
                format!("{source}:{}{mode}", mount.target.text())
            })
            .collect();
        map.insert("volumes", mounts);
    }
    if !service.env.is_empty() {
        let env: Seq = service
            .env
            .iter()
            .map(|var| match &var.value {
                EnvValue::Literal(value) => format!("{}={}", var.name, value.replace('$', "$$")),
                EnvValue::Secret(secret) => format!("{}={}", var.name, secret.template.text()),
                EnvValue::Template(template) => format!("{}={}", var.name, template.text()),
                EnvValue::PassThrough => var.name.clone(),
            })
            .collect();
        map.insert("environment", env);
    }
    if let Some(logging) = &service.logging {
        let options: Map = logging
            .options
            .iter()
            .map(|(key, value)| (key.clone(), Node::from(value.text())))
            .collect();
        map.insert(
            "logging",
            Map::new()
                .with("driver", logging.driver.as_str())
                .with("options", options),
        );
    }
    if !service.networks.is_empty() {
        map.insert(
            "networks",
            service.networks.iter().map(String::as_str).collect::<Seq>(),
        );
    }
    let limits = limits(service, group);
    if !limits.is_empty() {
        map.insert("deploy", Map::new().with("resources", limits));
    }
    map
}

/// `deploy.resources`: in the official files only what the release itself sets (HAProxy's
/// memory limit), elsewhere the sized requests and limits.
fn limits(service: &Service, group: Group) -> Map {
    let mut resources = Map::new();
    if let Group::Official(_) = group {
        if let Some(mib) = service.release_memory_limit_mib {
            resources.insert("limits", Map::new().with("memory", memory(mib)));
        }
        return resources;
    }
    let sized = &service.resources;
    let mut limits = Map::new();
    if let Some(milli) = sized.cpu_limit_millicpu {
        limits.insert("cpus", cpus(milli));
    }
    if let Some(mib) = sized.memory_limit_mib {
        limits.insert("memory", memory(mib));
    }
    let mut reservations = Map::new();
    if let Some(milli) = sized.cpu_request_millicpu {
        reservations.insert("cpus", cpus(milli));
    }
    if let Some(mib) = sized.memory_request_mib {
        reservations.insert("memory", memory(mib));
    }
    if !limits.is_empty() {
        resources.insert("limits", limits);
    }
    if !reservations.is_empty() {
        resources.insert("reservations", reservations);
    }
    resources
}

/// Docker's memory spelling: `1G` for whole GiB, `512M` otherwise.
fn memory(mib: u64) -> String {
    if mib.checked_rem(1024) == Some(0) {
        format!("{}G", mib / 1024)
    } else {
        format!("{mib}M")
    }
}

fn cpus(millicpu: u64) -> String {
    ir::trim_float(millicpu as f64 / 1000.0)
}

/// CHT Watchdog's files, for its own host: the instances it watches, its settings and, when
/// the policy names alert channels, Grafana contact points that send every alert there.
pub(crate) fn watchdog_files(
    env: &Environment,
    monitoring: &ir::Monitoring,
    options: &EmitOptions,
    files: &mut Vec<OutputFile>,
) {
    let prefix = format!("{}/watchdog", env.name);
    let targets: Seq = monitoring.targets.iter().map(String::as_str).collect();
    let instances = Seq::new().with_commented(
        Map::new().with("targets", targets),
        format!("The CHT instance of environment `{}`.", env.name),
    );
    let mut head = Comment::new(&header::text(&options.plan_path));
    head.push("The CHT instances CHT Watchdog scrapes; replaces cht-instances.yml of the Watchdog checkout.");
    files.push(OutputFile {
        path: format!("{prefix}/cht-instances.yml"),
        contents: yaml::document(&Document {
            header: head,
            root: Node::Seq(instances),
        }),
    });
    files.push(OutputFile {
        path: format!("{prefix}/.env.example"),
        contents: env_file::render(env, HostRole::Monitoring, options),
    });
    let Some(alerting) = env
        .alerting
        .as_ref()
        .filter(|it| !it.email.is_empty() || !it.webhook.is_empty())
    else {
        return;
    };
    let mut receivers = Seq::new();
    if !alerting.email.is_empty() {
        receivers.push(
            Map::new()
                .with("uid", "hostplan-email")
                .with("type", "email")
                .with(
                    "settings",
                    Map::new()
                        .with("addresses", alerting.email.join(";"))
                        .with("singleEmail", false),
                ),
        );
    }
    for (idx, url) in alerting.webhook.iter().enumerate() {
        receivers.push(
            Map::new()
                .with("uid", format!("hostplan-webhook-{}", idx + 1))
                .with("type", "webhook")
                .with(
                    "settings",
                    Map::new()
                        .with("url", url.as_str())
                        .with("httpMethod", "POST"),
                ),
        );
    }
    let root = Map::new()
        .with("apiVersion", 1)
        .with(
            "contactPoints",
            Seq::new().with(
                Map::new()
                    .with("orgId", 1)
                    .with("name", "hostplan")
                    .with("receivers", receivers),
            ),
        )
        .with_commented(
            "policies",
            Seq::new().with(
                Map::new()
                    .with("orgId", 1)
                    .with("receiver", "hostplan")
                    .with(
                        "group_by",
                        Seq::new().with("grafana_folder").with("alertname"),
                    ),
            ),
            "Every alert of the organisation goes to the plan's channels.",
        );
    let mut head = Comment::new(&header::text(&options.plan_path));
    head.push("Grafana alerting contact points for the plan's alert channels (Grafana file provisioning).");
    files.push(OutputFile {
        path: format!("{prefix}/grafana/provisioning/alerting/hostplan-contact-points.yml"),
        contents: yaml::document(&Document {
            header: head,
            root: Node::Map(root),
        }),
    });
}
