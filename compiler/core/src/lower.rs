//! Lowering: from the checked plan model to the resource model ([`crate::ir`]).
//!
//! Per environment, lowering takes the services of the plan's CHT release from the standard
//! library catalogue (the services of `cht-core.yml` and of the CouchDB file the topology
//! needs), derives their volumes and network, adds what the plan asks for beyond them
//! (ACME certificates, backups, CHT Sync, CHT Watchdog, the Docker upgrade service), decides
//! every variable of the stack, and describes the infrastructure underneath.
//!
//! Services specific to Docker (certbot, the backup container, the upgrade service) are added
//! only for Compose targets: on Kubernetes the same policies become cert-manager, volume
//! snapshots and the like, which the Kubernetes backend derives from [`ir::Tls`] and
//! [`ir::Backup`]. CHT's own services, CHT Sync and CHT Watchdog are the same everywhere.
//!
//! Sizes come from an [`ir::Sizing`] per environment. Until the capacity estimate is merged,
//! [`lower`] uses [`official_minimum`], CHT's published minimum requirements; the estimate
//! will be plugged in through [`lower_with_sizing`] without changing any backend.

use hostplan_diagnostics::{codes, Diagnostic, Label};

use crate::ir::{
    self, Component, ComposeFile, EnvValue, EnvVar, Group, HostRole, Image, Mount, MountSource,
    PortMapping, SecretRef, Setting, SettingValue, Template, Volume, VolumeKind, VolumePurpose,
};
use crate::model;

/// The Compose network every CHT service joins; its real name is `${CHT_NETWORK:-cht-net}`.
pub const CHT_NETWORK: &str = "cht-net";

/// The CHT Watchdog release the monitoring outputs are written for: medic/cht-watchdog at
/// 1c52c10 (1.23.1 and four commits), whose files the reference data holds.
pub const WATCHDOG_VERSION: &str = "1.23.1";

/// certbot's image. Pinned so that two builds, or two hosts, run the same certbot.
pub const CERTBOT_IMAGE: (&str, &str) = ("certbot/certbot", "v2.11.0");

/// restic's official image, for encrypted, deduplicated backups to a local path, S3, GCS or
/// SFTP (restic encrypts every repository).
pub const RESTIC_IMAGE: (&str, &str) = ("restic/restic", "0.17.3");

/// Where the example host paths live: the layout of CHT's Docker installation guide.
pub const HOST_ROOT: &str = "/home/ubuntu/cht";

/// Lowers a plan with CHT's published minimum sizes (see [`official_minimum`]).
pub fn lower(plan: &model::Plan) -> (ir::Program, Vec<Diagnostic>) {
    lower_with_sizing(plan, &official_minimum)
}

/// Lowers a plan, asking `sizing` for the size of each environment.
pub fn lower_with_sizing(
    plan: &model::Plan,
    sizing: &dyn Fn(&model::Environment) -> ir::Sizing,
) -> (ir::Program, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    check_catalogue(plan, &mut diagnostics);
    let environments = plan
        .environments
        .iter()
        .map(|env| lower_environment(plan, env, sizing(env)))
        .collect();
    let program = ir::Program {
        plan: ir::PlanInfo {
            name: plan.name.clone(),
            owner: plan.owner.clone(),
            entry: plan.entry_path.clone(),
            horizon_years: plan.horizon_years,
        },
        environments,
    };
    (program, diagnostics)
}

/// CHT's published minimum requirements (docs: hosting/cht/requirements; the project's CHT
/// hosting notes, section 3.1), used as the sizing input until the capacity estimate lands.
///
/// - Docker, development: 2 CPU, 4 GB RAM, 8 GB SSD ("app developer").
/// - Docker, anything hosted: 4 CPU, 8 GB RAM, 100 GB SSD ("production Docker").
/// - Kubernetes: three workers of 8 CPU, 16 GB RAM and 50 GB SSD, and for self-managed
///   clusters (k3s, generic) one control-plane node of 2 CPU, 2 GB RAM and 20 GB SSD.
///
/// CouchDB's data volume per node is the Docker disk figure (8 or 100 GiB), which is what
/// CHT states one instance needs; gigabytes are read as GiB, which rounds in the safe
/// direction. CHT's charts set no requests or limits, so no service gets any here (HAProxy's
/// 1 GiB limit comes from the release itself). CHT documents no minimum for the Watchdog host;
/// it gets the smallest documented Docker host. CHT Sync's PostgreSQL volume follows the example
/// host of CHT's couch2pg guide (50 GB). Prometheus keeps its data on the Watchdog host's disk.
pub fn official_minimum(env: &model::Environment) -> ir::Sizing {
    let development = env.kind == model::EnvKind::Development;
    let (cpu, memory_gib, disk_gib) = if development { (2, 4, 8) } else { (4, 8, 100) };
    let mut hosts = Vec::new();
    match env.target {
        model::Target::Compose => {
            hosts.push(ir::HostSizing {
                name: "cht".to_string(),
                role: HostRole::Cht,
                count: 1,
                millicpu: cpu * 1000,
                memory_mib: memory_gib * 1024,
                root_disk_gib: disk_gib,
            });
        }
        model::Target::Kubernetes(distribution) => {
            let self_managed = matches!(
                distribution,
                model::Distribution::K3s | model::Distribution::Generic
            );
            if self_managed {
                hosts.push(ir::HostSizing {
                    name: "control-plane".to_string(),
                    role: HostRole::Cht,
                    count: 1,
                    millicpu: 2000,
                    memory_mib: 2048,
                    root_disk_gib: 20,
                });
            }
            hosts.push(ir::HostSizing {
                name: "workers".to_string(),
                role: HostRole::Cht,
                count: 3,
                millicpu: 8000,
                memory_mib: 16 * 1024,
                root_disk_gib: 50,
            });
        }
    }
    if env.monitor_watchdog {
        hosts.push(ir::HostSizing {
            name: "watchdog".to_string(),
            role: HostRole::Monitoring,
            count: 1,
            millicpu: 2000,
            memory_mib: 4096,
            root_disk_gib: 8,
        });
    }
    let local_backup = env.policy.backup.as_ref().is_some_and(|it| !it.offsite)
        && matches!(env.infra, model::Infra::Local | model::Infra::OnPrem { .. });
    ir::Sizing {
        source: ir::SizingSource::OfficialMinimum,
        hosts,
        services: Vec::new(),
        couchdb_volume_gib: env.couchdb_disk.map(bytes_to_gib).unwrap_or(disk_gib),
        postgres_volume_gib: env.analytics_cht_sync.then_some(50),
        prometheus_volume_gib: None,
        backup_volume_gib: local_backup
            .then_some(env.couchdb_disk.map(bytes_to_gib).unwrap_or(disk_gib)),
    }
}

fn bytes_to_gib(bytes: u64) -> u64 {
    bytes.div_ceil(1 << 30)
}

/// Reports catalogue data that would give a broken graph: a `depends_on` naming no service of
/// its release, or services that wait for each other in a cycle. The catalogue is plan data
/// (a plan may declare a release of its own), so these are plan diagnostics.
pub fn check_catalogue(plan: &model::Plan, diagnostics: &mut Vec<Diagnostic>) {
    let layout = &plan.release.layout;
    // A core service is checked against both CouchDB files; its missing dependency is one
    // mistake and is reported once.
    let mut reported: Vec<(&str, &str)> = Vec::new();
    for file in [ComposeFile::Couchdb, ComposeFile::CouchdbClustered] {
        let services: Vec<&model::Service> = layout
            .services
            .iter()
            .filter(|it| it.file == model::ComposeFile::Core || to_ir_file(it.file) == file)
            .collect();
        for service in &services {
            for dependency in &service.depends_on {
                let key = (service.name.as_str(), dependency.as_str());
                if !services.iter().any(|it| it.name == *dependency) && !reported.contains(&key) {
                    reported.push(key);
                    diagnostics.push(
                        Diagnostic::error(
                            &codes::E3001,
                            format!("service `{}` of layout `{}` waits for `{dependency}`, which is not in {}", service.name, layout.name, file.file_name()),
                            Label::new(plan.spans.cht, format!("the release `{}` uses layout `{}`", plan.release.version, layout.name)),
                        )
                        .with_value(dependency.clone())
                        .with_help("fix the layout's `depends_on` so it names services of `cht-core.yml` or of the CouchDB file"),
                    );
                }
            }
        }
        let mut visiting = Vec::new();
        let mut done = Vec::new();
        for service in &services {
            if let Some(cycle) = find_cycle(&service.name, &services, &mut visiting, &mut done) {
                diagnostics.push(
                    Diagnostic::error(
                        &codes::E3002,
                        format!(
                            "services of layout `{}` wait for each other: {}",
                            layout.name,
                            cycle.join(" -> ")
                        ),
                        Label::new(
                            plan.spans.cht,
                            format!(
                                "the release `{}` uses layout `{}`",
                                plan.release.version, layout.name
                            ),
                        ),
                    )
                    .with_help("remove one `depends_on` of the cycle; no service can start first"),
                );
                return;
            }
        }
    }
}

fn find_cycle(
    name: &str,
    services: &[&model::Service],
    visiting: &mut Vec<String>,
    done: &mut Vec<String>,
) -> Option<Vec<String>> {
    if done.iter().any(|it| it == name) {
        return None;
    }
    if let Some(start) = visiting.iter().position(|it| it == name) {
        let mut cycle: Vec<String> = visiting.get(start..).unwrap_or_default().to_vec();
        cycle.push(name.to_string());
        return Some(cycle);
    }
    visiting.push(name.to_string());
    let dependencies: Vec<String> = services
        .iter()
        .filter(|it| it.name == name)
        .flat_map(|it| it.depends_on.clone())
        .collect();
    for dependency in dependencies {
        if let Some(cycle) = find_cycle(&dependency, services, visiting, done) {
            return Some(cycle);
        }
    }
    visiting.pop();
    done.push(name.to_string());
    None
}

fn lower_environment(
    plan: &model::Plan,
    env: &model::Environment,
    sizing: ir::Sizing,
) -> ir::Environment {
    let mut ctx = EnvCtx::new(plan, env, sizing);
    ctx.official_services();
    ctx.official_volumes();
    if ctx.compose() {
        if ctx.tls.mode == ir::TlsMode::Acme {
            ctx.certbot();
        }
        if env.policy.backup.is_some() {
            ctx.backup_service();
        }
    } else if env.policy.backup.is_some() {
        ctx.scheduled_backup();
    }
    if env.analytics_cht_sync {
        ctx.analytics_services();
    }
    if env.monitor_watchdog {
        ctx.monitoring_services();
    }
    if ctx.compose() {
        ctx.upgrade_service();
    }
    ctx.settings();
    ctx.finish()
}

/// The state of one environment's lowering.
struct EnvCtx<'a> {
    plan: &'a model::Plan,
    env: &'a model::Environment,
    sizing: ir::Sizing,
    tls: ir::Tls,
    secrets: Vec<ir::SecretBinding>,
    services: Vec<ir::Service>,
    volumes: Vec<Volume>,
    networks: Vec<ir::Network>,
    settings: Vec<Setting>,
    backup: Option<ir::Backup>,
    /// Variables read only by the services Hostplan adds, which the upgrade service must pass
    /// on so that Compose can fill them in; in the order they were added.
    extra_variables: Vec<Setting>,
}

impl<'a> EnvCtx<'a> {
    fn new(plan: &'a model::Plan, env: &'a model::Environment, sizing: ir::Sizing) -> EnvCtx<'a> {
        let tls = match &env.policy.tls {
            Some(tls) => ir::Tls {
                mode: match tls.mode {
                    model::TlsMode::Acme => ir::TlsMode::Acme,
                    model::TlsMode::Managed => ir::TlsMode::Managed,
                    model::TlsMode::OwnCert => ir::TlsMode::OwnCert,
                    model::TlsMode::SelfSigned => ir::TlsMode::SelfSigned,
                },
                renew_before_days: tls.renew_before_days.round().clamp(1.0, 365.0) as u32,
                email: tls.email.clone(),
            },
            None => ir::Tls {
                mode: ir::TlsMode::SelfSigned,
                renew_before_days: 30,
                email: None,
            },
        };
        let secrets = env
            .secrets
            .iter()
            .map(|binding| {
                let secret = plan.secrets.iter().find(|it| it.name == binding.secret);
                ir::SecretBinding {
                    slot: to_ir_slot(binding.slot),
                    secret: binding.secret.clone(),
                    source: match secret.map(|it| &it.source) {
                        Some(model::SecretSource::Env(name)) => ir::SecretSource::Env(name.clone()),
                        Some(model::SecretSource::File(path)) => {
                            ir::SecretSource::File(path.clone())
                        }
                        Some(model::SecretSource::External { store, key }) => {
                            ir::SecretSource::External {
                                store: store.clone(),
                                key: key.clone(),
                            }
                        }
                        Some(model::SecretSource::Generate {
                            words,
                            length,
                            symbols,
                        }) => ir::SecretSource::Generate {
                            words: *words,
                            length: *length,
                            symbols: *symbols,
                        },
                        None => ir::SecretSource::Generate {
                            words: Some(7),
                            length: None,
                            symbols: false,
                        },
                    },
                    url_safe: secret.and_then(|it| it.source.url_safe()),
                }
            })
            .collect();
        let networks = vec![ir::Network {
            name: CHT_NETWORK.to_string(),
            runtime_name: Template::parse("${CHT_NETWORK:-cht-net}"),
            host: HostRole::Cht,
        }];
        EnvCtx {
            plan,
            env,
            sizing,
            tls,
            secrets,
            services: Vec::new(),
            volumes: Vec::new(),
            networks,
            settings: Vec::new(),
            backup: None,
            extra_variables: Vec::new(),
        }
    }

    fn compose(&self) -> bool {
        self.env.target == model::Target::Compose
    }

    fn couchdb_file(&self) -> ComposeFile {
        if self.env.couchdb_nodes > 1 {
            ComposeFile::CouchdbClustered
        } else {
            ComposeFile::Couchdb
        }
    }

    fn restart(&self) -> ir::Restart {
        match self.env.policy.restart {
            model::Restart::Always => ir::Restart::Always,
            model::Restart::UnlessStopped => ir::Restart::UnlessStopped,
            model::Restart::OnFailure => ir::Restart::OnFailure,
            model::Restart::Never => ir::Restart::Never,
        }
    }

    fn encrypted(&self) -> bool {
        self.env.policy.encryption_at_rest
    }

    /// A reference to the secret bound to `slot`, through `variable`, written as `template`.
    fn secret_ref(
        &self,
        slot: ir::SecretSlot,
        variable: &str,
        template: Template,
    ) -> Option<SecretRef> {
        let binding = self.secrets.iter().find(|it| it.slot == slot)?;
        Some(SecretRef {
            slot,
            variable: variable.to_string(),
            secret: binding.secret.clone(),
            template,
        })
    }

    /// The catalogue variable's secret slot, if it has one.
    fn variable_slot(&self, name: &str) -> Option<ir::SecretSlot> {
        self.plan
            .release
            .layout
            .variables
            .iter()
            .find(|it| it.name == name)
            .and_then(|it| it.secret)
            .map(to_ir_slot)
    }

    /// Turns a `NAME=value` line of an official file into a typed variable.
    fn env_line(&self, line: &str) -> EnvVar {
        let (name, value) = match line.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (line, None),
        };
        let Some(value) = value else {
            return EnvVar {
                name: name.to_string(),
                value: EnvValue::PassThrough,
            };
        };
        let template = Template::parse(value);
        if template.variables().is_empty() {
            return EnvVar {
                name: name.to_string(),
                value: EnvValue::Literal(template.resolve_defaults().unwrap_or_default()),
            };
        }
        if let Some(var) = template.as_single_var() {
            if let Some(slot) = self.variable_slot(&var.name) {
                if let Some(secret) = self.secret_ref(slot, &var.name.clone(), template.clone()) {
                    return EnvVar {
                        name: name.to_string(),
                        value: EnvValue::Secret(secret),
                    };
                }
            }
        }
        EnvVar {
            name: name.to_string(),
            value: EnvValue::Template(template),
        }
    }

    fn sized(&self, component: Component) -> ir::Resources {
        self.sizing
            .services
            .iter()
            .find(|it| it.component == component)
            .map(|it| it.resources.clone())
            .unwrap_or_default()
    }

    fn official_services(&mut self) {
        let couchdb_file = self.couchdb_file();
        let release = &self.plan.release;
        let in_use: Vec<&model::Service> = release
            .layout
            .services
            .iter()
            .filter(|it| it.file == model::ComposeFile::Core || to_ir_file(it.file) == couchdb_file)
            .collect();
        let couchdb_names: Vec<String> = in_use
            .iter()
            .filter(|it| it.role == model::ServiceRole::Couchdb)
            .map(|it| it.name.clone())
            .collect();
        let has = |role: model::ServiceRole| {
            in_use
                .iter()
                .find(|it| it.role == role)
                .map(|it| it.name.clone())
        };
        let api = has(model::ServiceRole::Api);
        let haproxy = has(model::ServiceRole::Haproxy);
        let healthcheck = has(model::ServiceRole::Healthcheck);
        let nouveau = has(model::ServiceRole::Nouveau);
        for service in &in_use {
            let component = match service.role {
                model::ServiceRole::Api => Component::Api,
                model::ServiceRole::Sentinel => Component::Sentinel,
                model::ServiceRole::Nginx => Component::Nginx,
                model::ServiceRole::Haproxy => Component::Haproxy,
                model::ServiceRole::Healthcheck => Component::Healthcheck,
                model::ServiceRole::Couchdb => Component::Couchdb,
                model::ServiceRole::Nouveau => Component::Nouveau,
            };
            // The request path of CHT's architecture documentation: nginx -> api -> haproxy ->
            // couchdb; sentinel -> haproxy and api; haproxy asks the healthcheck agent about
            // the nodes; healthcheck reads CouchDB's membership; CouchDB 3.5 with Nouveau sends
            // search requests to nouveau.
            let connects_to: Vec<String> = match service.role {
                model::ServiceRole::Nginx => api.iter().cloned().collect(),
                model::ServiceRole::Api => haproxy.iter().cloned().collect(),
                model::ServiceRole::Sentinel => haproxy.iter().chain(api.iter()).cloned().collect(),
                model::ServiceRole::Haproxy => couchdb_names
                    .iter()
                    .chain(healthcheck.iter())
                    .cloned()
                    .collect(),
                model::ServiceRole::Healthcheck => couchdb_names.clone(),
                model::ServiceRole::Couchdb => nouveau.iter().cloned().collect(),
                model::ServiceRole::Nouveau => Vec::new(),
            };
            let mounts = service.volumes.iter().map(|it| self.mount(it)).collect();
            let ports = service
                .ports
                .iter()
                .map(|it| {
                    let (host, container) = split_last_colon(it);
                    PortMapping {
                        host: Template::parse(host),
                        container: container.parse().unwrap_or(0),
                        public: true,
                    }
                })
                .collect();
            let memory_limit = service.memory_limit.map(|it| it.div_ceil(1 << 20));
            let mut resources = self.sized(component);
            if resources.memory_limit_mib.is_none() {
                resources.memory_limit_mib = memory_limit;
            }
            self.services.push(ir::Service {
                name: service.name.clone(),
                component,
                group: Group::Official(to_ir_file(service.file)),
                host: HostRole::Cht,
                image: Image {
                    repository: service.image.clone(),
                    tag: release.version.clone(),
                },
                hostname: service.hostname.clone(),
                entrypoint: Vec::new(),
                command: Vec::new(),
                env: service.env.iter().map(|it| self.env_line(it)).collect(),
                expose: service
                    .expose
                    .iter()
                    .map(|it| Template::parse(it))
                    .collect(),
                ports,
                port: service.port,
                mounts,
                depends_on: service.depends_on.clone(),
                connects_to,
                networks: vec![CHT_NETWORK.to_string()],
                // The official files hard-code `restart: always`, and Hostplan never edits them.
                restart: ir::Restart::Always,
                logging: Some(official_logging()),
                resources,
                release_memory_limit_mib: memory_limit,
                doc: component_doc(component).to_string(),
            });
        }
    }

    /// Parses a `source:target[:mode]` line of an official file.
    fn mount(&self, line: &str) -> Mount {
        let pieces = split_colons(line);
        let (source, target, mode) = match pieces.as_slice() {
            [source, target, mode] => (*source, *target, Some(*mode)),
            [source, target] => (*source, *target, None),
            _ => (line, "", None),
        };
        let source_template = Template::parse(source);
        let named = !source.starts_with(['$', '/', '.', '~']);
        let source = if named {
            MountSource::Volume(source.to_string())
        } else {
            let volume = source_template
                .variables()
                .first()
                .map(|it| host_dir_volume(it));
            MountSource::HostPath {
                path: source_template,
                volume,
            }
        };
        Mount {
            source,
            target: Template::parse(target),
            read_only: mode == Some("ro"),
        }
    }

    /// Declares the volumes the official services mount.
    fn official_volumes(&mut self) {
        let mut seen: Vec<(String, Option<String>)> = Vec::new();
        for service in &self.services {
            for mount in &service.mounts {
                match &mount.source {
                    MountSource::Volume(name) => seen.push((name.clone(), None)),
                    MountSource::HostPath {
                        path,
                        volume: Some(volume),
                    } => {
                        let variable = path.variables().first().map(|it| it.to_string());
                        seen.push((volume.clone(), variable));
                    }
                    MountSource::HostPath { volume: None, .. } => {}
                }
            }
        }
        for (name, variable) in seen {
            if self.volumes.iter().any(|it| it.name == name) {
                continue;
            }
            let volume = match variable {
                Some(variable) => {
                    let node = variable
                        .strip_prefix("DB")
                        .and_then(|it| it.strip_suffix("_DATA"))
                        .and_then(|it| it.parse().ok())
                        .unwrap_or(1);
                    let default = self
                        .plan
                        .release
                        .layout
                        .variables
                        .iter()
                        .find(|it| it.name == variable)
                        .and_then(|it| it.default.clone())
                        .unwrap_or_default();
                    Volume {
                        name,
                        kind: VolumeKind::HostDirectory { variable, default },
                        purpose: VolumePurpose::CouchdbData { node },
                        host: HostRole::Cht,
                        size_gib: Some(self.sizing.couchdb_volume_gib),
                        encrypted: self.encrypted(),
                        backed_up: self.env.policy.backup.is_some(),
                    }
                }
                None => {
                    let purpose = if name.contains("ssl") {
                        VolumePurpose::TlsCertificates
                    } else {
                        VolumePurpose::CouchdbCredentials
                    };
                    Volume {
                        name,
                        kind: VolumeKind::Managed,
                        purpose,
                        host: HostRole::Cht,
                        size_gib: None,
                        encrypted: self.encrypted(),
                        // local.d holds the admin hash, secret and uuid that a restore needs.
                        backed_up: self.env.policy.backup.is_some()
                            && purpose == VolumePurpose::CouchdbCredentials,
                    }
                }
            };
            self.volumes.push(volume);
        }
    }

    fn service_named(&self, component: Component) -> Option<String> {
        self.services
            .iter()
            .find(|it| it.component == component)
            .map(|it| it.name.clone())
    }

    fn extra_service(
        &self,
        name: &str,
        component: Component,
        group: Group,
        image: (&str, &str),
    ) -> ir::Service {
        ir::Service {
            name: name.to_string(),
            component,
            group,
            host: HostRole::Cht,
            image: Image {
                repository: image.0.to_string(),
                tag: image.1.to_string(),
            },
            hostname: None,
            entrypoint: Vec::new(),
            command: Vec::new(),
            env: Vec::new(),
            expose: Vec::new(),
            ports: Vec::new(),
            port: None,
            mounts: Vec::new(),
            depends_on: Vec::new(),
            connects_to: Vec::new(),
            networks: vec![CHT_NETWORK.to_string()],
            restart: self.restart(),
            logging: Some(official_logging()),
            resources: self.sized(component),
            release_memory_limit_mib: None,
            doc: component_doc(component).to_string(),
        }
    }

    /// certbot in a loop beside nginx: CHT's nginx in `AUTO_GENERATE` mode serves the ACME
    /// webroot from the `cht-ssl` volume and ships the deploy hook that copies a new
    /// certificate into place (CHT docs: hosting/cht/docker/adding-tls-certificates). Unlike
    /// the documented one-shot compose file, certbot's own state (`/etc/letsencrypt`) is kept
    /// in a volume, so renewals renew instead of issuing a new certificate each time, and the
    /// loop replaces the host cron job.
    fn certbot(&mut self) {
        let Some(nginx) = self.service_named(Component::Nginx) else {
            return;
        };
        let ssl_volume = self
            .services
            .iter()
            .filter(|it| it.component == Component::Nginx)
            .flat_map(|it| it.mounts.iter())
            .find_map(|it| match &it.source {
                MountSource::Volume(name) => Some(name.clone()),
                MountSource::HostPath { .. } => None,
            })
            .unwrap_or_else(|| "cht-ssl".to_string());
        let domain = &self.env.domain;
        let account = match &self.tls.email {
            Some(email) => format!("--email {}", shell_quote(email)),
            None => "--register-unsafely-without-email".to_string(),
        };
        let renewal_conf = format!("/etc/letsencrypt/renewal/{domain}.conf");
        let script = [
            "trap exit TERM".to_string(),
            "while :; do".to_string(),
            format!(
                "  if ! certbot certonly --webroot -w /etc/nginx/private/certbot/ --deploy-hook /etc/nginx/private/deploy.sh --domain {} --key-type rsa --agree-tos --non-interactive --keep-until-expiring {account}; then sleep 300 & wait $!; continue; fi",
                shell_quote(domain)
            ),
            format!(
                "  [ -f {conf} ] && sed -i 's/^#* *renew_before_expiry *=.*/renew_before_expiry = {days} days/' {conf}",
                conf = shell_quote(&renewal_conf),
                days = self.tls.renew_before_days
            ),
            "  sleep 12h & wait $!".to_string(),
            "done".to_string(),
        ]
        .join("\n");
        let mut service = self.extra_service(
            "certbot",
            Component::Certbot,
            Group::Certificates,
            CERTBOT_IMAGE,
        );
        service.entrypoint = vec![Template::literal("/bin/sh"), Template::literal("-c")];
        service.command = vec![Template::literal(&script)];
        service.mounts = vec![
            Mount {
                source: MountSource::Volume(ssl_volume),
                target: Template::parse("/etc/nginx/private/"),
                read_only: false,
            },
            Mount {
                source: MountSource::Volume("certbot-state".to_string()),
                target: Template::parse("/etc/letsencrypt"),
                read_only: false,
            },
        ];
        // nginx lives in cht-core.yml; a `depends_on` across files would make this file
        // invalid on its own, so certbot retries until nginx serves the webroot instead.
        service.connects_to = vec![nginx];
        self.services.push(service);
        self.volumes.push(Volume {
            name: "certbot-state".to_string(),
            kind: VolumeKind::Managed,
            purpose: VolumePurpose::AcmeState,
            host: HostRole::Cht,
            size_gib: None,
            encrypted: self.encrypted(),
            backed_up: false,
        });
    }

    /// A restic container that backs up CouchDB's data, `local.d` and the stack's identity
    /// settings on the plan's schedule. CouchDB writes its files append-only, so copying them
    /// while it runs gives a consistent backup (CouchDB's backup documentation).
    fn backup_service(&mut self) {
        let Some(policy) = &self.env.policy.backup else {
            return;
        };
        let every_secs = (policy.every_hours * 3600.0).round().max(60.0) as u64;
        let keep_secs = (policy.keep_days * 86_400.0).round().max(3600.0) as u64;
        let target = self.backup_target(policy);
        let data_volumes: Vec<Volume> = self
            .volumes
            .iter()
            .filter(|it| it.backed_up)
            .cloned()
            .collect();
        let mut service =
            self.extra_service("backup", Component::Backup, Group::Backup, RESTIC_IMAGE);
        let mut mounts = Vec::new();
        let mut paths = Vec::new();
        for volume in &data_volumes {
            let target_path = format!("/backup/{}", volume.name);
            let source = match &volume.kind {
                VolumeKind::HostDirectory { variable, default } => MountSource::HostPath {
                    path: Template::parse(&format!("${{{variable}:-{default}}}")),
                    volume: Some(volume.name.clone()),
                },
                VolumeKind::Managed => MountSource::Volume(volume.name.clone()),
            };
            mounts.push(Mount {
                source,
                target: Template::literal(&target_path),
                read_only: true,
            });
            paths.push(target_path);
        }
        let mut env = Vec::new();
        match &target {
            ir::BackupTarget::LocalVolume { volume } => {
                mounts.push(Mount {
                    source: MountSource::Volume(volume.clone()),
                    target: Template::parse("/repository"),
                    read_only: false,
                });
                env.push(EnvVar {
                    name: "RESTIC_REPOSITORY".to_string(),
                    value: EnvValue::Literal("/repository".to_string()),
                });
            }
            ir::BackupTarget::Bucket {
                provider,
                region,
                bucket,
            } => {
                let repository = match provider.as_str() {
                    "gcp" => format!("gs:{bucket}:/"),
                    _ => format!("s3:s3.{region}.amazonaws.com/{bucket}"),
                };
                env.push(EnvVar {
                    name: "RESTIC_REPOSITORY".to_string(),
                    value: EnvValue::Literal(repository),
                });
                if provider == "aws" {
                    for (name, how) in [
                        ("AWS_ACCESS_KEY_ID", format!("Access key of an IAM user that may read and write the bucket `{bucket}`; leave it empty on an EC2 host whose instance profile allows that.")),
                        ("AWS_SECRET_ACCESS_KEY", "Secret key of that IAM user; leave it empty with an instance profile.".to_string()),
                    ] {
                        env.push(EnvVar { name: name.to_string(), value: EnvValue::Template(Template::parse(&format!("${{{name}:-}}"))) });
                        self.extra_variable(name, &how, SettingValue::OperatorSecret { how: how.clone() }, "backup");
                    }
                }
            }
            ir::BackupTarget::OperatorProvided { example } => {
                env.push(EnvVar {
                    name: "RESTIC_REPOSITORY".to_string(),
                    value: EnvValue::Template(Template::parse(
                        "${RESTIC_REPOSITORY:?RESTIC_REPOSITORY must be set}",
                    )),
                });
                let how = format!("The restic repository the backups go to, on another site (for example `{example}`); restic reads its credentials from the variables its documentation names for that kind of repository.");
                self.extra_variable(
                    "RESTIC_REPOSITORY",
                    "Where the backups go: a restic repository URL.",
                    SettingValue::Create { how },
                    "backup",
                );
            }
        }
        env.push(EnvVar {
            name: "RESTIC_PASSWORD".to_string(),
            value: EnvValue::Template(Template::parse(
                "${RESTIC_PASSWORD:?RESTIC_PASSWORD must be set}",
            )),
        });
        self.extra_variable(
            "RESTIC_PASSWORD",
            "Key that encrypts the backups (restic encrypts every repository); without it no backup can be restored, so keep a copy away from this host.",
            SettingValue::OperatorSecret { how: "7 random words joined by dashes, created once and stored in the team's password manager".to_string() },
            "backup",
        );
        // The identity settings a restore needs beside the data (CHT backup guide: back up
        // the CouchDB directory and the .env); they reach the container as the CouchDB
        // services get them and are written into the backup, which is encrypted.
        let identity = [
            "COUCHDB_USER",
            "COUCHDB_PASSWORD",
            "COUCHDB_SECRET",
            "COUCHDB_UUID",
        ];
        for name in identity {
            // The user has the official default; the others must be set.
            let text = if name == "COUCHDB_USER" {
                "${COUCHDB_USER:-admin}".to_string()
            } else {
                format!("${{{name}}}")
            };
            let template = Template::parse(&text);
            let value = match self
                .variable_slot(name)
                .and_then(|slot| self.secret_ref(slot, name, template.clone()))
            {
                Some(secret) => EnvValue::Secret(secret),
                None => EnvValue::Template(template),
            };
            env.push(EnvVar {
                name: name.to_string(),
                value,
            });
        }
        env.push(EnvVar {
            name: "CHT_VERSION".to_string(),
            value: EnvValue::Literal(self.plan.release.version.clone()),
        });
        let keep = restic_duration(keep_secs);
        let script = [
            "set -u".to_string(),
            "restic cat config >/dev/null 2>&1 || restic init".to_string(),
            "while :; do".to_string(),
            "  mkdir -p /backup/settings".to_string(),
            "  env | grep -E '^(COUCHDB_USER|COUCHDB_PASSWORD|COUCHDB_SECRET|COUCHDB_UUID|CHT_VERSION)=' > /backup/settings/cht.env".to_string(),
            format!(
                "  if restic backup --host {host} --tag cht {paths} /backup/settings && restic forget --host {host} --keep-within {keep} --prune; then echo \"backup done\"; else echo \"backup FAILED\" >&2; fi",
                host = shell_quote(&self.env.name),
                paths = paths.join(" ")
            ),
            "  rm -f /backup/settings/cht.env".to_string(),
            format!("  sleep {every_secs} & wait $!"),
            "done".to_string(),
        ]
        .join("\n");
        service.entrypoint = vec![Template::literal("/bin/sh"), Template::literal("-c")];
        service.command = vec![Template::literal(&script)];
        service.mounts = mounts;
        service.env = env;
        self.services.push(service);
        if let ir::BackupTarget::LocalVolume { volume } = &target {
            self.volumes.push(Volume {
                name: volume.clone(),
                kind: VolumeKind::Managed,
                purpose: VolumePurpose::BackupRepository,
                host: HostRole::Cht,
                size_gib: self.sizing.backup_volume_gib,
                encrypted: self.encrypted(),
                backed_up: false,
            });
        }
        self.backup = Some(ir::Backup {
            every_secs,
            keep_secs,
            encrypted: policy.encrypted,
            offsite: policy.offsite,
            target,
            volumes: data_volumes.iter().map(|it| it.name.clone()).collect(),
            includes_settings: true,
        });
    }

    /// The backup of a Kubernetes environment: the same schedule, retention, target and
    /// volumes as on Compose, without a container, since the Kubernetes backend writes the
    /// backup as a CronJob from [`ir::Backup`].
    fn scheduled_backup(&mut self) {
        let Some(policy) = &self.env.policy.backup else {
            return;
        };
        let target = self.backup_target(policy);
        if let ir::BackupTarget::LocalVolume { volume } = &target {
            self.volumes.push(Volume {
                name: volume.clone(),
                kind: VolumeKind::Managed,
                purpose: VolumePurpose::BackupRepository,
                host: HostRole::Cht,
                size_gib: self.sizing.backup_volume_gib,
                encrypted: self.encrypted(),
                backed_up: false,
            });
        }
        self.backup = Some(ir::Backup {
            every_secs: (policy.every_hours * 3600.0).round().max(60.0) as u64,
            keep_secs: (policy.keep_days * 86_400.0).round().max(3600.0) as u64,
            encrypted: policy.encrypted,
            offsite: policy.offsite,
            target,
            volumes: self
                .volumes
                .iter()
                .filter(|it| it.backed_up)
                .map(|it| it.name.clone())
                .collect(),
            includes_settings: true,
        });
    }

    fn backup_target(&self, policy: &model::Backup) -> ir::BackupTarget {
        let bucket = bucket_name(&self.plan.name, &self.env.name);
        match &self.env.infra {
            model::Infra::Aws { region, .. } => match (&policy.offsite_region, policy.offsite) {
                (Some(offsite), true) => ir::BackupTarget::Bucket {
                    provider: "aws".to_string(),
                    region: offsite.clone(),
                    bucket,
                },
                (None, true) => ir::BackupTarget::OperatorProvided {
                    example: format!("s3:s3.<another region>.amazonaws.com/{bucket}"),
                },
                (_, false) => ir::BackupTarget::Bucket {
                    provider: "aws".to_string(),
                    region: region.clone(),
                    bucket,
                },
            },
            model::Infra::Gcp { region, .. } => match (&policy.offsite_region, policy.offsite) {
                (Some(offsite), true) => ir::BackupTarget::Bucket {
                    provider: "gcp".to_string(),
                    region: offsite.clone(),
                    bucket,
                },
                (None, true) => ir::BackupTarget::OperatorProvided {
                    example: format!("gs:{bucket}:/ (a bucket in another region)"),
                },
                (_, false) => ir::BackupTarget::Bucket {
                    provider: "gcp".to_string(),
                    region: region.clone(),
                    bucket,
                },
            },
            model::Infra::Local | model::Infra::OnPrem { .. } => {
                if policy.offsite {
                    ir::BackupTarget::OperatorProvided {
                        example: format!(
                            "sftp:backup@backup.example.org:/srv/restic/{}",
                            self.env.name
                        ),
                    }
                } else {
                    ir::BackupTarget::LocalVolume {
                        volume: "backups".to_string(),
                    }
                }
            }
        }
    }

    /// CHT Sync (couch2pg and dbt) and its PostgreSQL, as in medic/cht-sync's compose file
    /// and Helm chart at 074d96c: couch2pg streams CouchDB's changes into PostgreSQL, dbt
    /// builds the analytics models. couch2pg reads CouchDB through HAProxy on the CHT network,
    /// so no traffic leaves the host.
    fn analytics_services(&mut self) {
        let haproxy = self
            .service_named(Component::Haproxy)
            .unwrap_or_else(|| "haproxy".to_string());
        let postgres_secret = self.secret_ref(
            ir::SecretSlot::Postgres,
            "POSTGRES_PASSWORD",
            Template::parse("${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"),
        );
        let postgres_env = |ctx: &EnvCtx<'_>| -> Vec<EnvVar> {
            let password = match &postgres_secret {
                Some(secret) => EnvValue::Secret(secret.clone()),
                None => EnvValue::Template(Template::parse(
                    "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}",
                )),
            };
            let _ = ctx;
            vec![
                EnvVar {
                    name: "POSTGRES_HOST".to_string(),
                    value: EnvValue::Literal("postgres".to_string()),
                },
                EnvVar {
                    name: "POSTGRES_PORT".to_string(),
                    value: EnvValue::Literal("5432".to_string()),
                },
                EnvVar {
                    name: "POSTGRES_USER".to_string(),
                    value: EnvValue::Literal("cht_sync".to_string()),
                },
                EnvVar {
                    name: "POSTGRES_PASSWORD".to_string(),
                    value: password,
                },
                EnvVar {
                    name: "POSTGRES_DB".to_string(),
                    value: EnvValue::Literal("cht_sync".to_string()),
                },
                EnvVar {
                    name: "POSTGRES_SCHEMA".to_string(),
                    value: EnvValue::Literal("v1".to_string()),
                },
                EnvVar {
                    name: "POSTGRES_TABLE".to_string(),
                    value: EnvValue::Literal("couchdb".to_string()),
                },
            ]
        };
        let mut postgres = self.extra_service(
            "postgres",
            Component::Postgres,
            Group::Analytics,
            ("postgres", "16"),
        );
        postgres.env = vec![
            EnvVar {
                name: "POSTGRES_USER".to_string(),
                value: EnvValue::Literal("cht_sync".to_string()),
            },
            EnvVar {
                name: "POSTGRES_PASSWORD".to_string(),
                value: match &postgres_secret {
                    Some(secret) => EnvValue::Secret(secret.clone()),
                    None => EnvValue::Template(Template::parse(
                        "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}",
                    )),
                },
            },
            EnvVar {
                name: "POSTGRES_DB".to_string(),
                value: EnvValue::Literal("cht_sync".to_string()),
            },
        ];
        postgres.port = Some(5432);
        postgres.mounts = vec![Mount {
            source: MountSource::Volume("postgres-data".to_string()),
            target: Template::parse("/var/lib/postgresql/data"),
            read_only: false,
        }];
        let mut couch2pg = self.extra_service(
            "couch2pg",
            Component::Couch2pg,
            Group::Analytics,
            ("medicmobile/cht-sync-couch2pg", "latest"),
        );
        let mut env = postgres_env(self);
        env.push(self.env_line("COUCHDB_USER=${COUCHDB_USER:-admin}"));
        env.push(
            self.env_line("COUCHDB_PASSWORD=${COUCHDB_PASSWORD:?COUCHDB_PASSWORD must be set}"),
        );
        env.push(EnvVar {
            name: "COUCHDB_HOST".to_string(),
            value: EnvValue::Literal(haproxy.clone()),
        });
        env.push(EnvVar {
            name: "COUCHDB_PORT".to_string(),
            value: EnvValue::Literal("5984".to_string()),
        });
        env.push(EnvVar {
            name: "COUCHDB_SECURE".to_string(),
            value: EnvValue::Literal("false".to_string()),
        });
        env.push(EnvVar {
            name: "COUCHDB_DBS".to_string(),
            value: EnvValue::Literal("medic".to_string()),
        });
        couch2pg.env = env;
        // HAProxy is in cht-core.yml; only dependencies inside this file are `depends_on`.
        couch2pg.depends_on = vec!["postgres".to_string()];
        couch2pg.connects_to = vec!["postgres".to_string(), haproxy];
        let mut dbt = self.extra_service(
            "dbt",
            Component::Dbt,
            Group::Analytics,
            ("medicmobile/dataemon", "latest"),
        );
        let mut env = postgres_env(self);
        env.push(EnvVar {
            name: "CHT_PIPELINE_BRANCH_URL".to_string(),
            value: EnvValue::Literal("https://github.com/medic/cht-pipeline.git#main".to_string()),
        });
        env.push(EnvVar {
            name: "DATAEMON_INTERVAL".to_string(),
            value: EnvValue::Literal("5".to_string()),
        });
        env.push(EnvVar {
            name: "DBT_THREAD_COUNT".to_string(),
            value: EnvValue::Literal("1".to_string()),
        });
        env.push(EnvVar {
            name: "DBT_BATCH_SIZE".to_string(),
            value: EnvValue::Literal("100000".to_string()),
        });
        dbt.env = env;
        dbt.depends_on = vec!["postgres".to_string()];
        dbt.connects_to = vec!["postgres".to_string()];
        self.services.push(postgres);
        self.services.push(couch2pg);
        self.services.push(dbt);
        self.volumes.push(Volume {
            name: "postgres-data".to_string(),
            kind: VolumeKind::Managed,
            purpose: VolumePurpose::PostgresData,
            host: HostRole::Cht,
            size_gib: self.sizing.postgres_volume_gib,
            encrypted: self.encrypted(),
            backed_up: false,
        });
        if self.compose() && postgres_secret.is_some() {
            self.extra_variable(
                "POSTGRES_PASSWORD",
                "Password of CHT Sync's PostgreSQL user `cht_sync`.",
                SettingValue::Default(None),
                "postgres",
            );
        }
    }

    /// CHT Watchdog's services, as in medic/cht-watchdog's docker-compose.yml at 1c52c10:
    /// Prometheus, Grafana and the JSON exporter, on their own host and network, with Grafana
    /// and Prometheus bound to 127.0.0.1 (Watchdog's production guide puts a TLS proxy in front).
    fn monitoring_services(&mut self) {
        let logging = official_logging();
        let grafana_secret = self.secret_ref(
            ir::SecretSlot::GrafanaAdmin,
            "GRAFANA_ADMIN_PASSWORD",
            Template::parse("${GRAFANA_ADMIN_PASSWORD:-password}"),
        );
        let base = |name: &str, component: Component, image: (&str, &str)| {
            let mut service = self.extra_service(name, component, Group::Monitoring, image);
            service.host = HostRole::Monitoring;
            service.networks = vec!["cht-watchdog-net".to_string()];
            service.restart = ir::Restart::Always;
            service.logging = Some(logging.clone());
            service
        };
        let mut prometheus = base(
            "prometheus",
            Component::Prometheus,
            ("prom/prometheus", "v3.9.1"),
        );
        prometheus.port = Some(9090);
        prometheus.ports = vec![PortMapping {
            host: Template::parse("${PROMETHEUS_BIND:-127.0.0.1}:${PROMETHEUS_PORT:-9090}"),
            container: 9090,
            public: false,
        }];
        prometheus.command = [
            "--config.file=/etc/prometheus/prometheus.yml",
            "--storage.tsdb.path=/prometheus",
            "--storage.tsdb.retention.time=${PROMETHEUS_RETENTION_TIME:-60d}",
            "--storage.tsdb.retention.size=${PROMETHEUS_RETENTION_SIZE:-0}",
            "--web.console.libraries=/usr/share/prometheus/console_libraries",
            "--web.console.templates=/usr/share/prometheus/consoles",
        ]
        .iter()
        .map(|it| Template::parse(it))
        .collect();
        prometheus.mounts = vec![Mount {
            source: MountSource::Volume("prometheus-data".to_string()),
            target: Template::parse("/prometheus"),
            read_only: false,
        }];
        prometheus.connects_to = vec!["json-exporter".to_string()];
        let mut grafana = base(
            "grafana",
            Component::Grafana,
            ("grafana/grafana-oss", "12.3.3"),
        );
        grafana.port = Some(3000);
        grafana.ports = vec![PortMapping {
            host: Template::parse("${GRAFANA_BIND:-127.0.0.1}:${GRAFANA_PORT:-3000}"),
            container: 3000,
            public: false,
        }];
        grafana.mounts = vec![Mount {
            source: MountSource::Volume("grafana-data".to_string()),
            target: Template::parse("/var/lib/grafana"),
            read_only: false,
        }];
        grafana.env = vec![
            EnvVar {
                name: "GF_SECURITY_ADMIN_USER".to_string(),
                value: EnvValue::Template(Template::parse("${GRAFANA_ADMIN_USER:-medic}")),
            },
            EnvVar {
                name: "GF_SECURITY_ADMIN_PASSWORD".to_string(),
                value: match &grafana_secret {
                    Some(secret) => EnvValue::Secret(secret.clone()),
                    None => {
                        EnvValue::Template(Template::parse("${GRAFANA_ADMIN_PASSWORD:-password}"))
                    }
                },
            },
            EnvVar {
                name: "GF_USERS_ALLOW_SIGN_UP".to_string(),
                value: EnvValue::Literal("false".to_string()),
            },
            EnvVar {
                name: "GF_INSTALL_PLUGINS".to_string(),
                value: EnvValue::Template(Template::parse(
                    "${GRAFANA_PLUGINS:-grafana-discourse-datasource}",
                )),
            },
        ];
        grafana.depends_on = vec!["prometheus".to_string()];
        grafana.connects_to = vec!["prometheus".to_string()];
        let mut exporter = base(
            "json-exporter",
            Component::JsonExporter,
            ("prometheuscommunity/json-exporter", "v0.7.0"),
        );
        exporter.port = Some(7979);
        if let Some(nginx) = self
            .service_named(Component::Nginx)
            .filter(|_| self.compose())
        {
            // The exporter scrapes CHT's monitoring API through its public address.
            exporter.connects_to = vec![nginx];
        }
        self.services.push(prometheus);
        self.services.push(grafana);
        self.services.push(exporter);
        for (name, purpose, size) in [
            (
                "prometheus-data",
                VolumePurpose::PrometheusData,
                self.sizing.prometheus_volume_gib,
            ),
            ("grafana-data", VolumePurpose::GrafanaData, None),
        ] {
            self.volumes.push(Volume {
                name: name.to_string(),
                kind: VolumeKind::Managed,
                purpose,
                host: HostRole::Monitoring,
                size_gib: size,
                encrypted: self.encrypted(),
                backed_up: false,
            });
        }
        self.networks.push(ir::Network {
            name: "cht-watchdog-net".to_string(),
            runtime_name: Template::parse("cht-watchdog-net"),
            host: HostRole::Monitoring,
        });
        let monitoring_settings: [(&str, &str, SettingValue); 5] = [
            ("GRAFANA_ADMIN_USER", "Name of Grafana's admin.", SettingValue::Default(Some("medic".to_string()))),
            (
                "GRAFANA_ADMIN_PASSWORD",
                "Password of Grafana's admin.",
                match &grafana_secret {
                    Some(secret) => SettingValue::Secret(secret.clone()),
                    None => SettingValue::OperatorSecret { how: "7 random words joined by dashes".to_string() },
                },
            ),
            ("GRAFANA_BIND", "Address Grafana listens on; keep 127.0.0.1 and put a TLS proxy in front (Watchdog's production guide).", SettingValue::Default(Some("127.0.0.1".to_string()))),
            (
                "PROMETHEUS_RETENTION_TIME",
                "How long Prometheus keeps metrics.",
                SettingValue::Set { value: "60d".to_string(), default: Some("60d".to_string()) },
            ),
            (
                "PROMETHEUS_RETENTION_SIZE",
                "Largest size of Prometheus' data; 0 means no limit.",
                match self.sizing.prometheus_volume_gib {
                    Some(gib) => SettingValue::Set { value: format!("{}GB", gib.saturating_mul(9) / 10), default: Some("0".to_string()) },
                    None => SettingValue::Default(Some("0".to_string())),
                },
            ),
        ];
        for (name, doc, value) in monitoring_settings {
            self.settings.push(Setting {
                name: name.to_string(),
                doc: doc.to_string(),
                value,
                used_by: vec![if name.starts_with("GRAFANA") {
                    "grafana"
                } else {
                    "prometheus"
                }
                .to_string()],
                passed_by_upgrade_service: false,
                host: HostRole::Monitoring,
            });
        }
    }

    /// The CHT upgrade service, as in medic/cht-upgrade-service's docker-compose.yml at
    /// 7ba6a90, plus the variables of the services Hostplan adds: it starts every file of
    /// the compose directory, and Compose can only fill in the variables it passes on.
    fn upgrade_service(&mut self) {
        let image = &self.plan.release.layout.upgrade_service_image;
        let (repository, tag) = match image.rsplit_once(':') {
            Some((repository, tag)) if !tag.contains('/') => {
                (repository.to_string(), tag.to_string())
            }
            _ => (image.clone(), "latest".to_string()),
        };
        let mut env: Vec<EnvVar> = UPGRADE_SERVICE_ENV
            .iter()
            .map(|it| self.env_line(it))
            .collect();
        let mut extra: Vec<String> = Vec::new();
        for setting in &self.extra_variables {
            if !extra.contains(&setting.name) && !env.iter().any(|it| it.name == setting.name) {
                extra.push(setting.name.clone());
            }
        }
        for name in extra {
            env.push(EnvVar {
                name,
                value: EnvValue::PassThrough,
            });
        }
        let mut service = self.extra_service(
            "cht-upgrade-service",
            Component::UpgradeService,
            Group::UpgradeService,
            ("", ""),
        );
        service.image = Image { repository, tag };
        service.restart = ir::Restart::Always;
        service.logging = None;
        service.env = env;
        service.port = Some(5008);
        service.mounts = vec![
            Mount {
                source: MountSource::HostPath {
                    path: Template::parse("${DOCKER_HOST:-/var/run/docker.sock}"),
                    volume: None,
                },
                target: Template::parse("/var/run/docker.sock"),
                read_only: false,
            },
            Mount {
                source: MountSource::HostPath {
                    path: Template::parse("${DOCKER_CONFIG_PATH}"),
                    volume: None,
                },
                target: Template::parse("/config"),
                read_only: false,
            },
            Mount {
                source: MountSource::HostPath {
                    path: Template::parse("${CHT_COMPOSE_PATH}"),
                    volume: None,
                },
                target: Template::parse("/docker-compose"),
                read_only: false,
            },
        ];
        // The API shows the Upgrade button only when the upgrade service answers.
        if let Some(api) = self.service_named(Component::Api) {
            self.services
                .iter_mut()
                .filter(|it| it.name == api)
                .for_each(|it| it.connects_to.push("cht-upgrade-service".to_string()));
        }
        self.services.push(service);
    }

    fn extra_variable(&mut self, name: &str, doc: &str, value: SettingValue, used_by: &str) {
        if self.extra_variables.iter().any(|it| it.name == name) {
            return;
        }
        self.extra_variables.push(Setting {
            name: name.to_string(),
            doc: doc.to_string(),
            value,
            used_by: vec![used_by.to_string()],
            passed_by_upgrade_service: self.compose(),
            host: HostRole::Cht,
        });
    }

    /// Every variable of the catalogue that a service of this environment reads, with what
    /// the plan gives it, then the variables of the services Hostplan adds.
    fn settings(&mut self) {
        let names: Vec<String> = self.services.iter().map(|it| it.name.clone()).collect();
        let labels: Vec<&str> = self
            .plan
            .release
            .layout
            .services
            .iter()
            .filter(|it| {
                it.file == model::ComposeFile::Core || to_ir_file(it.file) == self.couchdb_file()
            })
            .map(|it| it.label.as_str())
            .collect();
        let compose = self.compose();
        let mut out = Vec::new();
        for variable in &self.plan.release.layout.variables {
            let read_by_service = variable
                .used_by
                .iter()
                .any(|it| labels.contains(&it.as_str()));
            // Variables only the upgrade service reads (its paths, the project name) belong
            // to every Compose environment; those of services of the other CouchDB topology
            // do not belong to this one.
            let only_upgrade_service = variable
                .used_by
                .iter()
                .all(|it| it == "cht-upgrade-service")
                && !variable.used_by.is_empty();
            let wanted = read_by_service || (compose && only_upgrade_service);
            if !wanted {
                continue;
            }
            let used_by: Vec<String> = variable
                .used_by
                .iter()
                .filter_map(|label| {
                    if label == "cht-upgrade-service" {
                        return compose.then(|| label.clone());
                    }
                    self.plan
                        .release
                        .layout
                        .services
                        .iter()
                        .find(|it| it.label == *label && labels.contains(&label.as_str()))
                        .map(|it| it.name.clone())
                })
                .filter(|it| names.contains(it))
                .fold(Vec::new(), |mut acc, it| {
                    if !acc.contains(&it) {
                        acc.push(it);
                    }
                    acc
                });
            let value = self.setting_value(variable);
            out.push(Setting {
                name: variable.name.clone(),
                doc: variable.doc.clone(),
                value,
                used_by,
                passed_by_upgrade_service: variable
                    .used_by
                    .iter()
                    .any(|it| it == "cht-upgrade-service"),
                host: HostRole::Cht,
            });
        }
        out.append(&mut self.extra_variables.clone());
        // Monitoring settings were added while lowering Watchdog; they go last.
        out.append(&mut self.settings);
        self.settings = out;
    }

    fn setting_value(&self, variable: &model::Variable) -> SettingValue {
        let default = variable.default.clone();
        let set = |value: String| SettingValue::Set {
            value,
            default: variable.default.clone(),
        };
        if let Some(slot) = variable.secret {
            let template = Template::parse(&format!("${{{}}}", variable.name));
            if let Some(secret) = self.secret_ref(to_ir_slot(slot), &variable.name, template) {
                return SettingValue::Secret(secret);
            }
        }
        match variable.name.as_str() {
            "COUCHDB_UUID" => SettingValue::Create {
                how: "create it once with `uuidgen` and never change it: clients' replication checkpoints depend on it".to_string(),
            },
            "COUCHDB_DATA" => SettingValue::HostPath { example: format!("{HOST_ROOT}/couchdb") },
            "DB1_DATA" | "DB2_DATA" | "DB3_DATA" => {
                let node = variable.name.get(2..3).unwrap_or("1");
                SettingValue::HostPath { example: format!("{HOST_ROOT}/couchdb-{node}") }
            }
            "CHT_COMPOSE_PATH" => SettingValue::HostPath { example: format!("{HOST_ROOT}/compose") },
            "DOCKER_CONFIG_PATH" => SettingValue::HostPath { example: format!("{HOST_ROOT}/upgrade-service") },
            "COUCHDB_SERVERS" if self.env.couchdb_nodes > 1 => {
                let nodes: Vec<String> = self.services.iter().filter(|it| it.component == Component::Couchdb).map(|it| it.name.clone()).collect();
                set(nodes.join(","))
            }
            "CERTIFICATE_MODE" => match self.tls.mode {
                ir::TlsMode::Acme => set("AUTO_GENERATE".to_string()),
                ir::TlsMode::OwnCert => set("OWN_CERT".to_string()),
                ir::TlsMode::SelfSigned | ir::TlsMode::Managed => set("SELF_SIGNED".to_string()),
            },
            "COMMON_NAME" => set(self.env.domain.clone()),
            "EMAIL" => match &self.tls.email {
                Some(email) => set(email.clone()),
                None => SettingValue::Default(default),
            },
            _ => SettingValue::Default(default),
        }
    }

    fn finish(self) -> ir::Environment {
        let env = self.env;
        let plan = self.plan;
        let infrastructure = infrastructure(env, &self.sizing, &self.volumes);
        ir::Environment {
            name: env.name.clone(),
            kind: match env.kind {
                model::EnvKind::Development => ir::EnvKind::Development,
                model::EnvKind::Test => ir::EnvKind::Test,
                model::EnvKind::Staging => ir::EnvKind::Staging,
                model::EnvKind::Production => ir::EnvKind::Production,
            },
            target: match env.target {
                model::Target::Compose => ir::Target::Compose,
                model::Target::Kubernetes(distribution) => {
                    ir::Target::Kubernetes(match distribution {
                        model::Distribution::K3s => ir::Distribution::K3s,
                        model::Distribution::Eks => ir::Distribution::Eks,
                        model::Distribution::Gke => ir::Distribution::Gke,
                        model::Distribution::Aks => ir::Distribution::Aks,
                        model::Distribution::Generic => ir::Distribution::Generic,
                    })
                }
            },
            domain: env.domain.clone(),
            data: match env.data {
                model::DataClass::Synthetic => ir::DataClass::Synthetic,
                model::DataClass::Anonymized => ir::DataClass::Anonymized,
                model::DataClass::Real => ir::DataClass::Real,
            },
            namespace: env.namespace.clone(),
            policy: env.policy.qualified.clone(),
            release: ir::Release {
                version: plan.release.version.clone(),
                major: plan.release.major(),
                layout: plan.release.layout.name.clone(),
                couchdb: plan.release.couchdb.clone(),
            },
            couchdb_nodes: u32::try_from(env.couchdb_nodes).unwrap_or(u32::MAX),
            monitoring: env.monitor_watchdog.then(|| ir::Monitoring {
                watchdog_version: WATCHDOG_VERSION.to_string(),
                targets: vec![format!("https://{}", env.domain)],
                prometheus_retention_days: 60,
                grafana_admin: self.secret_ref(
                    ir::SecretSlot::GrafanaAdmin,
                    "GRAFANA_ADMIN_PASSWORD",
                    Template::parse("${GRAFANA_ADMIN_PASSWORD}"),
                ),
            }),
            analytics: env.analytics_cht_sync.then(|| ir::Analytics {
                databases: vec!["medic".to_string()],
                postgres_db: "cht_sync".to_string(),
                postgres_schema: "v1".to_string(),
                postgres_password: self.secret_ref(
                    ir::SecretSlot::Postgres,
                    "POSTGRES_PASSWORD",
                    Template::parse("${POSTGRES_PASSWORD}"),
                ),
            }),
            alerting: env.policy.alerting.as_ref().map(|alerting| ir::Alerting {
                email: alerting.email.clone(),
                webhook: alerting.webhook.clone(),
                on: alerting
                    .on
                    .iter()
                    .map(|it| match it {
                        model::AlertCondition::Downtime { minutes } => {
                            ir::AlertCondition::Downtime { minutes: *minutes }
                        }
                        model::AlertCondition::DiskUsed { fraction } => {
                            ir::AlertCondition::DiskUsed {
                                percent: fraction * 100.0,
                            }
                        }
                        model::AlertCondition::CertExpiry { days } => {
                            ir::AlertCondition::CertExpiry { days: *days }
                        }
                        model::AlertCondition::BackupFailed => ir::AlertCondition::BackupFailed,
                        model::AlertCondition::ReplicationLimit => {
                            ir::AlertCondition::ReplicationLimit
                        }
                    })
                    .collect(),
            }),
            security: ir::Security {
                encryption_at_rest: env.policy.encryption_at_rest,
                admin_from: env.policy.admin_from.clone(),
            },
            restart: self.restart(),
            start_on_boot: env.policy.start_on_boot,
            update_window: env.policy.update_window.clone(),
            operators: plan
                .operators
                .iter()
                .filter(|it| it.access.contains(&env.name))
                .map(|it| ir::OperatorAccess {
                    name: it.name.clone(),
                    role: match it.role {
                        model::OperatorRole::Admin => ir::OperatorRole::Admin,
                        model::OperatorRole::Deployer => ir::OperatorRole::Deployer,
                        model::OperatorRole::Viewer => ir::OperatorRole::Viewer,
                    },
                    email: it.email.clone(),
                })
                .collect(),
            suppressions: env
                .allows
                .iter()
                .map(|it| ir::Suppression {
                    code: it.code.clone(),
                    reason: it
                        .reason
                        .clone()
                        .unwrap_or_else(|| "no reason given".to_string()),
                })
                .collect(),
            infrastructure,
            tls: self.tls,
            backup: self.backup,
            secrets: self.secrets,
            services: self.services,
            volumes: self.volumes,
            networks: self.networks,
            settings: self.settings,
            sizing: self.sizing,
        }
    }
}

/// The environment list of the official upgrade service file (medic/cht-upgrade-service
/// docker-compose.yml at 7ba6a90), in its order.
const UPGRADE_SERVICE_ENV: &[&str] = &[
    "COUCHDB_USER",
    "COUCHDB_PASSWORD",
    "COUCHDB_SECRET",
    "COUCHDB_UUID",
    "COUCHDB_DATA",
    "COUCHDB_SERVERS",
    "CLUSTER_PEER_IPS",
    "SVC_NAME",
    "SVC1_NAME",
    "SVC2_NAME",
    "SVC3_NAME",
    "COUCHDB_LOG_LEVEL",
    "MARKET_URL_READ",
    "BUILDS_SERVER",
    "NGINX_HTTP_PORT",
    "NGINX_HTTPS_PORT",
    "CERTIFICATE_MODE",
    "SSL_VOLUME_MOUNT_PATH",
    "SSL_CERT_FILE_PATH",
    "SSL_KEY_FILE_PATH",
    "COMMON_NAME",
    "EMAIL",
    "COUNTRY",
    "STATE",
    "LOCALITY",
    "ORGANISATION",
    "DEPARTMENT",
    "DOCKER_CONFIG=/config",
    "CHT_COMPOSE_PROJECT_NAME=${CHT_COMPOSE_PROJECT_NAME:-cht}",
    "CHT_NETWORK=${CHT_NETWORK:-cht-net}",
    "DOCKER_CONFIG_PATH",
    "CHT_COMPOSE_PATH",
    "HEALTHCHECK_LOG_LEVEL",
    "DB1_DATA",
    "DB2_DATA",
    "DB3_DATA",
];

/// The logging of every official service: Docker's `local` driver with rotation.
fn official_logging() -> ir::Logging {
    ir::Logging {
        driver: "local".to_string(),
        options: vec![
            (
                "max-size".to_string(),
                Template::parse("${LOG_MAX_SIZE:-50m}"),
            ),
            (
                "max-file".to_string(),
                Template::parse("${LOG_MAX_FILES:-20}"),
            ),
        ],
    }
}

fn component_doc(component: Component) -> &'static str {
    match component {
        Component::Api => "The CHT API: authentication, replication and the web apps; proxies to CouchDB through HAProxy.",
        Component::Sentinel => "Background processing of every change to the medic database (transitions, schedules, purging).",
        Component::Nginx => "Terminates TLS and publishes ports 80 and 443; the only service reachable from outside the host.",
        Component::Haproxy => "Balances requests over the CouchDB nodes and keeps an audit log of every CouchDB request.",
        Component::Healthcheck => "Tells HAProxy whether each CouchDB node is up.",
        Component::Couchdb => "CouchDB, where all CHT data lives.",
        Component::Nouveau => "Full-text search for CouchDB (Lucene), used by search and replication in CHT 5.",
        Component::UpgradeService => "Installs and upgrades CHT by rewriting the official Compose files and starting every file of the compose directory.",
        Component::Certbot => "Obtains and renews the TLS certificate from Let's Encrypt through nginx's ACME webroot.",
        Component::Backup => "Takes encrypted backups of CouchDB's data and credentials on the plan's schedule.",
        Component::Couch2pg => "CHT Sync: copies CouchDB changes into PostgreSQL.",
        Component::Dbt => "CHT Sync: builds the analytics models in PostgreSQL with dbt.",
        Component::Postgres => "PostgreSQL for CHT Sync's analytics data.",
        Component::Prometheus => "CHT Watchdog: collects CHT's metrics.",
        Component::Grafana => "CHT Watchdog: dashboards and alerts.",
        Component::JsonExporter => "CHT Watchdog: turns CHT's monitoring API into Prometheus metrics.",
    }
}

fn infrastructure(
    env: &model::Environment,
    sizing: &ir::Sizing,
    volumes: &[Volume],
) -> ir::Infrastructure {
    let provider = match &env.infra {
        model::Infra::Local => ir::Provider::Local,
        model::Infra::Aws { region, vpc, zones } => ir::Provider::Aws {
            region: region.clone(),
            vpc: vpc.clone(),
            zones: *zones,
        },
        model::Infra::Gcp { region, project } => ir::Provider::Gcp {
            region: region.clone(),
            project: project.clone(),
        },
        model::Infra::OnPrem {
            nodes,
            cpu,
            memory,
            disk,
        } => ir::Provider::OnPrem {
            nodes: *nodes,
            cpu: *cpu,
            memory_bytes: *memory,
            disk_bytes: *disk,
        },
    };
    let hosts: Vec<ir::Host> = sizing
        .hosts
        .iter()
        .map(|it| ir::Host {
            name: it.name.clone(),
            role: it.role,
            count: it.count,
            millicpu: it.millicpu,
            memory_mib: it.memory_mib,
            root_disk_gib: it.root_disk_gib,
        })
        .collect();
    let host_for = |role: HostRole| {
        hosts
            .iter()
            .rev()
            .find(|it| it.role == role)
            .map(|it| it.name.clone())
            .unwrap_or_default()
    };
    let disks = volumes
        .iter()
        .filter_map(|volume| {
            let size_gib = volume.size_gib?;
            Some(ir::Disk {
                name: format!("{}-disk", volume.name),
                host: host_for(volume.host),
                volume: volume.name.clone(),
                size_gib,
                encrypted: volume.encrypted,
            })
        })
        .collect();
    ir::Infrastructure {
        provider,
        hosts,
        disks,
        cloud: None,
    }
}

fn to_ir_file(file: model::ComposeFile) -> ComposeFile {
    match file {
        model::ComposeFile::Core => ComposeFile::Core,
        model::ComposeFile::Couchdb => ComposeFile::Couchdb,
        model::ComposeFile::CouchdbClustered => ComposeFile::CouchdbClustered,
    }
}

fn to_ir_slot(slot: model::SecretSlot) -> ir::SecretSlot {
    match slot {
        model::SecretSlot::CouchdbAdmin => ir::SecretSlot::CouchdbAdmin,
        model::SecretSlot::CouchdbSecret => ir::SecretSlot::CouchdbSecret,
        model::SecretSlot::Postgres => ir::SecretSlot::Postgres,
        model::SecretSlot::GrafanaAdmin => ir::SecretSlot::GrafanaAdmin,
    }
}

/// The storage volume a host directory variable stands for: `COUCHDB_DATA` is `couchdb-data`.
fn host_dir_volume(variable: &str) -> String {
    variable.to_ascii_lowercase().replace('_', "-")
}

/// Splits at the colons that are not inside `${...}`.
fn split_colons(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let bytes = text.as_bytes();
    for (idx, c) in text.char_indices() {
        match c {
            '{' if idx > 0 && bytes.get(idx - 1) == Some(&b'$') => depth += 1,
            '}' if depth > 0 => depth -= 1,
            ':' if depth == 0 => {
                out.push(text.get(start..idx).unwrap_or_default());
                start = idx + 1;
            }
            _ => {}
        }
    }
    out.push(text.get(start..).unwrap_or_default());
    out
}

/// `${NGINX_HTTP_PORT:-80}:80` into the host side and the container port.
fn split_last_colon(text: &str) -> (&str, &str) {
    let pieces = split_colons(text);
    match pieces.split_last() {
        Some((last, _)) if pieces.len() > 1 => (
            text.get(..text.len() - last.len() - 1).unwrap_or_default(),
            last,
        ),
        _ => ("", text),
    }
}

/// Quotes a word for a POSIX shell when it needs it.
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// A restic duration (`35d`, `36h`) covering at least `secs`.
fn restic_duration(secs: u64) -> String {
    if secs.checked_rem(86_400) == Some(0) {
        format!("{}d", secs / 86_400)
    } else {
        format!("{}h", secs.div_ceil(3600))
    }
}

/// A bucket name that S3 and GCS accept: lowercase letters, digits and dashes, at most 63.
pub fn bucket_name(plan: &str, env: &str) -> String {
    let raw = format!("{plan}-{env}-backups").to_ascii_lowercase();
    let mut out = String::new();
    for c in raw.chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '-' };
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    let trimmed: String = out.trim_matches('-').chars().take(63).collect();
    trimmed.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::{bucket_name, restic_duration, shell_quote, split_colons, split_last_colon};

    #[test]
    fn splits_mounts_and_ports_outside_interpolation() {
        assert_eq!(
            split_colons("${COUCHDB_DATA:-./srv}:/opt/couchdb/data"),
            ["${COUCHDB_DATA:-./srv}", "/opt/couchdb/data"]
        );
        assert_eq!(
            split_colons("cht-ssl:${SSL_VOLUME_MOUNT_PATH:-/etc/nginx/private/}"),
            ["cht-ssl", "${SSL_VOLUME_MOUNT_PATH:-/etc/nginx/private/}"]
        );
        assert_eq!(split_colons("a:b:ro"), ["a", "b", "ro"]);
        assert_eq!(
            split_last_colon("${NGINX_HTTP_PORT:-80}:80"),
            ("${NGINX_HTTP_PORT:-80}", "80")
        );
        assert_eq!(
            split_last_colon("${A:-127.0.0.1}:${B:-3000}:3000"),
            ("${A:-127.0.0.1}:${B:-3000}", "3000")
        );
        assert_eq!(split_last_colon("5984"), ("", "5984"));
    }

    #[test]
    fn names_and_quotes() {
        assert_eq!(
            bucket_name("moh-national", "production"),
            "moh-national-production-backups"
        );
        assert_eq!(bucket_name("My Plan!!", "dev_1"), "my-plan-dev-1-backups");
        assert_eq!(shell_quote("cht.example.org"), "cht.example.org");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(restic_duration(35 * 86_400), "35d");
        assert_eq!(restic_duration(90 * 60), "2h");
    }
}
