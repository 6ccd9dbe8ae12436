//! The resource model: what every backend reads.
//!
//! Lowering ([`crate::lower`]) turns a checked [`crate::model::Plan`] into a [`Program`]: per
//! environment, the concrete services of the plan's CHT release, the volumes, networks and
//! settings they need, secret references (never values), TLS, backups, monitoring, analytics,
//! the infrastructure underneath, the operators and the rules the plan suppressed.
//! The Docker Compose, Kubernetes and Terraform backends read only this model, never the
//! syntax tree or the plan model, so that each decision (which image, which port, which file)
//! is made once, here, and every backend agrees on it.
//!
//! Everything is plain data in a defined order: lists keep the order of the official CHT files
//! and of the plan, so printing them needs no sorting and gives the same bytes on every run.
//! The dependency graph over these resources is built by [`crate::graph`].

use std::fmt;

/// A whole plan, lowered.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub plan: PlanInfo,
    /// In the order the plan declares them.
    pub environments: Vec<Environment>,
}

impl Program {
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().find(|it| it.name == name)
    }
}

/// What the plan says about itself.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanInfo {
    pub name: String,
    pub owner: String,
    /// The entry file as the loader named it (relative to the plan's directory).
    pub entry: String,
    pub horizon_years: f64,
}

/// One deployment of CHT.
#[derive(Clone, Debug, PartialEq)]
pub struct Environment {
    pub name: String,
    pub kind: EnvKind,
    pub target: Target,
    /// The host name users reach.
    pub domain: String,
    pub data: DataClass,
    /// The Kubernetes namespace, and the Compose project's prefix for names that must not clash.
    pub namespace: String,
    /// The qualified name of the policy the environment follows, e.g. `policies.production`.
    pub policy: String,
    pub release: Release,
    pub couchdb_nodes: u32,
    /// Every container, CHT's own first in the order of the official files, then what the
    /// plan adds (certificates, backups, analytics, monitoring), then the upgrade service.
    pub services: Vec<Service>,
    pub volumes: Vec<Volume>,
    pub networks: Vec<Network>,
    /// Every variable the stack reads, with what this environment gives it.
    pub settings: Vec<Setting>,
    /// The credentials the environment needs, each bound to one of the plan's secrets.
    pub secrets: Vec<SecretBinding>,
    pub tls: Tls,
    pub backup: Option<Backup>,
    pub monitoring: Option<Monitoring>,
    pub analytics: Option<Analytics>,
    pub alerting: Option<Alerting>,
    pub security: Security,
    pub restart: Restart,
    /// Whether the container runtime must start when the host boots.
    pub start_on_boot: bool,
    pub update_window: Option<String>,
    pub infrastructure: Infrastructure,
    pub sizing: Sizing,
    pub operators: Vec<OperatorAccess>,
    pub suppressions: Vec<Suppression>,
}

impl Environment {
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|it| it.name == name)
    }

    pub fn services_in(&self, group: Group) -> impl Iterator<Item = &Service> {
        self.services.iter().filter(move |it| it.group == group)
    }

    pub fn volume(&self, name: &str) -> Option<&Volume> {
        self.volumes.iter().find(|it| it.name == name)
    }

    pub fn setting(&self, name: &str) -> Option<&Setting> {
        self.settings.iter().find(|it| it.name == name)
    }

    pub fn secret(&self, slot: SecretSlot) -> Option<&SecretBinding> {
        self.secrets.iter().find(|it| it.slot == slot)
    }

    /// The official CouchDB file this environment uses.
    pub fn couchdb_file(&self) -> ComposeFile {
        if self.couchdb_nodes > 1 {
            ComposeFile::CouchdbClustered
        } else {
            ComposeFile::Couchdb
        }
    }

    /// The public URL of the instance.
    pub fn url(&self) -> String {
        format!("https://{}", self.domain)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EnvKind {
    Development,
    Test,
    Staging,
    Production,
}

impl EnvKind {
    pub fn name(self) -> &'static str {
        match self {
            EnvKind::Development => "development",
            EnvKind::Test => "test",
            EnvKind::Staging => "staging",
            EnvKind::Production => "production",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Distribution {
    K3s,
    Eks,
    Gke,
    Aks,
    Generic,
}

impl Distribution {
    pub fn name(self) -> &'static str {
        match self {
            Distribution::K3s => "k3s",
            Distribution::Eks => "eks",
            Distribution::Gke => "gke",
            Distribution::Aks => "aks",
            Distribution::Generic => "generic",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    Compose,
    Kubernetes(Distribution),
}

impl Target {
    pub fn describe(self) -> String {
        match self {
            Target::Compose => "compose".to_string(),
            Target::Kubernetes(distribution) => format!("kubernetes({})", distribution.name()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DataClass {
    Synthetic,
    Anonymized,
    Real,
}

impl DataClass {
    pub fn name(self) -> &'static str {
        match self {
            DataClass::Synthetic => "synthetic",
            DataClass::Anonymized => "anonymized",
            DataClass::Real => "real",
        }
    }
}

/// The CHT release an environment runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Release {
    pub version: String,
    /// `4` or `5`.
    pub major: u32,
    /// The catalogue layout (`v4`, `v5`).
    pub layout: String,
    pub couchdb: String,
}

/// The official CHT Compose files, whose names the CHT upgrade service overwrites on upgrade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ComposeFile {
    Core,
    Couchdb,
    CouchdbClustered,
}

impl ComposeFile {
    pub fn file_name(self) -> &'static str {
        match self {
            ComposeFile::Core => "cht-core.yml",
            ComposeFile::Couchdb => "cht-couchdb.yml",
            ComposeFile::CouchdbClustered => "cht-couchdb-clustered.yml",
        }
    }
}

/// Which unit of deployment a service belongs to. The Compose backend writes one file per
/// group; Kubernetes and Terraform use it to name and place objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// A service of an official CHT file, reproduced from the release catalogue.
    Official(ComposeFile),
    /// ACME certificates (certbot).
    Certificates,
    /// Scheduled backups.
    Backup,
    /// CHT Sync and its PostgreSQL.
    Analytics,
    /// CHT Watchdog, on its own host.
    Monitoring,
    /// The CHT upgrade service (Docker only).
    UpgradeService,
}

impl Group {
    pub fn describe(self) -> &'static str {
        match self {
            Group::Official(ComposeFile::Core) => "CHT core services",
            Group::Official(ComposeFile::Couchdb) => "CouchDB (single node)",
            Group::Official(ComposeFile::CouchdbClustered) => "CouchDB (three-node cluster)",
            Group::Certificates => "TLS certificates (ACME)",
            Group::Backup => "backups",
            Group::Analytics => "analytics (CHT Sync)",
            Group::Monitoring => "monitoring (CHT Watchdog)",
            Group::UpgradeService => "CHT upgrade service",
        }
    }
}

/// What a service is, independent of how a backend names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    Api,
    Sentinel,
    Nginx,
    Haproxy,
    Healthcheck,
    Couchdb,
    Nouveau,
    UpgradeService,
    Certbot,
    Backup,
    Couch2pg,
    Dbt,
    Postgres,
    Prometheus,
    Grafana,
    JsonExporter,
}

impl Component {
    pub fn name(self) -> &'static str {
        match self {
            Component::Api => "api",
            Component::Sentinel => "sentinel",
            Component::Nginx => "nginx",
            Component::Haproxy => "haproxy",
            Component::Healthcheck => "healthcheck",
            Component::Couchdb => "couchdb",
            Component::Nouveau => "nouveau",
            Component::UpgradeService => "upgrade-service",
            Component::Certbot => "certbot",
            Component::Backup => "backup",
            Component::Couch2pg => "couch2pg",
            Component::Dbt => "dbt",
            Component::Postgres => "postgres",
            Component::Prometheus => "prometheus",
            Component::Grafana => "grafana",
            Component::JsonExporter => "json-exporter",
        }
    }
}

/// Where a service runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HostRole {
    /// The CHT host (Compose) or the CHT cluster (Kubernetes).
    Cht,
    /// The separate monitoring host: CHT Watchdog must not run where the instance it watches runs.
    Monitoring,
}

impl HostRole {
    pub fn name(self) -> &'static str {
        match self {
            HostRole::Cht => "cht",
            HostRole::Monitoring => "monitoring",
        }
    }
}

/// A container image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    pub repository: String,
    pub tag: String,
}

impl fmt::Display for Image {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.repository, self.tag)
    }
}

/// One container.
#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    /// The service name (Compose service, Kubernetes workload base name); unique within the
    /// environment.
    pub name: String,
    pub component: Component,
    pub group: Group,
    pub host: HostRole,
    pub image: Image,
    pub hostname: Option<String>,
    /// Replaces the image's entrypoint when not empty.
    pub entrypoint: Vec<Template>,
    /// Replaces the image's command when not empty; templates, because some commands take
    /// settings of the stack (Prometheus' retention).
    pub command: Vec<Template>,
    pub env: Vec<EnvVar>,
    /// Ports reachable by the other services, as written in the official files
    /// (Compose templates such as `${HAPROXY_PORT:-5984}`).
    pub expose: Vec<Template>,
    /// Ports published on the host.
    pub ports: Vec<PortMapping>,
    /// The container port other services reach, for Kubernetes Services; `None` when the
    /// service listens on nothing.
    pub port: Option<u16>,
    pub mounts: Vec<Mount>,
    /// Services that must start first (Compose `depends_on`), by name, in the official order.
    pub depends_on: Vec<String>,
    /// Services this one sends requests to, by name: the request path, which is wider than
    /// the start order (HAProxy routes to CouchDB without waiting for it).
    pub connects_to: Vec<String>,
    pub networks: Vec<String>,
    pub restart: Restart,
    pub logging: Option<Logging>,
    pub resources: Resources,
    /// The memory limit the official CHT file itself sets (HAProxy's 1 GiB), which the
    /// Compose backend must reproduce and must not replace with sized figures.
    pub release_memory_limit_mib: Option<u64>,
    /// One sentence saying what the service does, for comments and READMEs.
    pub doc: String,
}

/// An environment variable of a container.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvVar {
    pub name: String,
    pub value: EnvValue,
}

/// The value of a container's environment variable.
#[derive(Clone, Debug, PartialEq)]
pub enum EnvValue {
    /// A fixed value.
    Literal(String),
    /// Exactly one secret and nothing else: the variable of the stack that carries it, and
    /// the secret bound to it. Never a value.
    Secret(SecretRef),
    /// A Compose-style template mixing text and variables of the stack
    /// (`http://${COUCHDB_USER:-admin}:${COUCHDB_PASSWORD}@haproxy:5984/medic`).
    Template(Template),
    /// Compose's bare `- NAME`: the variable of the same name from the environment of
    /// whoever starts the container, unset when that has none.
    PassThrough,
}

/// A reference to a secret: which credential, through which variable of the stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretRef {
    pub slot: SecretSlot,
    /// The variable of the stack (`COUCHDB_PASSWORD`).
    pub variable: String,
    /// The plan's secret bound to the slot in this environment.
    pub secret: String,
    /// The interpolation as the official file writes it, e.g. `${COUCHDB_PASSWORD:?COUCHDB_PASSWORD must be set}`.
    pub template: Template,
}

/// The credentials an environment binds to the plan's secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecretSlot {
    CouchdbAdmin,
    CouchdbSecret,
    Postgres,
    GrafanaAdmin,
}

impl SecretSlot {
    pub fn name(self) -> &'static str {
        match self {
            SecretSlot::CouchdbAdmin => "couchdb_admin",
            SecretSlot::CouchdbSecret => "couchdb_secret",
            SecretSlot::Postgres => "postgres",
            SecretSlot::GrafanaAdmin => "grafana_admin",
        }
    }

    /// The variable that carries the credential in Docker deployments.
    pub fn variable(self) -> &'static str {
        match self {
            SecretSlot::CouchdbAdmin => "COUCHDB_PASSWORD",
            SecretSlot::CouchdbSecret => "COUCHDB_SECRET",
            SecretSlot::Postgres => "POSTGRES_PASSWORD",
            SecretSlot::GrafanaAdmin => "GRAFANA_ADMIN_PASSWORD",
        }
    }
}

/// A credential of the environment, bound to one of the plan's secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretBinding {
    pub slot: SecretSlot,
    /// The plan's secret.
    pub secret: String,
    pub source: SecretSource,
    /// Whether values of this secret are certain to be URL-safe.
    pub url_safe: Option<bool>,
}

/// Where a secret's value comes from at deploy time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretSource {
    /// An environment variable on the deploying machine.
    Env(String),
    /// A file outside the repository.
    File(String),
    /// Generated once on the first deploy.
    Generate {
        words: Option<u64>,
        length: Option<u64>,
        symbols: bool,
    },
    /// An external secret store.
    External { store: String, key: String },
}

/// A Compose-style interpolation string: text with `${VAR}`, `${VAR:-default}`,
/// `${VAR:?message}` and the other Compose forms.
///
/// The text is kept exactly as written, so printing it back reproduces the official files;
/// [`Template::parts`] gives the structure for backends that must resolve it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    text: String,
    parts: Vec<TemplatePart>,
}

/// A piece of a [`Template`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplatePart {
    /// Text, with `$$` already turned into `$`.
    Text(String),
    /// A variable reference.
    Var(VarRef),
}

/// `${name<op><arg>}` or `$name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarRef {
    pub name: String,
    pub op: VarOp,
    /// The default, alternative or error message; empty for [`VarOp::Plain`].
    pub arg: String,
}

/// The operator of a variable reference, as Compose defines them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarOp {
    /// `${VAR}` or `$VAR`.
    Plain,
    /// `${VAR:-default}`: the default when unset or empty.
    DefaultIfEmpty,
    /// `${VAR-default}`: the default when unset.
    DefaultIfUnset,
    /// `${VAR:?message}`: an error when unset or empty.
    RequiredNonEmpty,
    /// `${VAR?message}`: an error when unset.
    Required,
    /// `${VAR:+alternative}`: the alternative when set and not empty.
    AltIfNonEmpty,
    /// `${VAR+alternative}`: the alternative when set.
    AltIfSet,
}

impl Template {
    /// Parses Compose interpolation. Text that is not a well-formed reference (a lone `$`,
    /// an unclosed `${`) is kept as text, as Compose would reject it rather than guess.
    pub fn parse(text: &str) -> Template {
        Template {
            text: text.to_string(),
            parts: crate::interpolation::parse(text),
        }
    }

    /// A template without variables; `$` is escaped as `$$`.
    pub fn literal(text: &str) -> Template {
        Template {
            text: text.replace('$', "$$"),
            parts: vec![TemplatePart::Text(text.to_string())],
        }
    }

    /// The text as written, with Compose syntax.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn parts(&self) -> &[TemplatePart] {
        &self.parts
    }

    /// The variables referenced, in order, each once.
    pub fn variables(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for part in &self.parts {
            if let TemplatePart::Var(var) = part {
                if !out.contains(&var.name.as_str()) {
                    out.push(&var.name);
                }
            }
        }
        out
    }

    /// The single variable reference when the template is exactly one reference.
    pub fn as_single_var(&self) -> Option<&VarRef> {
        match self.parts.as_slice() {
            [TemplatePart::Var(var)] => Some(var),
            _ => None,
        }
    }

    /// The value Compose computes when no variable is set (defaults applied; a required
    /// variable gives `None`).
    pub fn resolve_defaults(&self) -> Option<String> {
        self.resolve(&|_| None)
    }

    /// The value Compose computes with the given variables.
    pub fn resolve(&self, lookup: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TemplatePart::Text(text) => out.push_str(text),
                TemplatePart::Var(var) => {
                    let value = lookup(&var.name);
                    let empty = value.as_deref().is_none_or(str::is_empty);
                    let resolved = match var.op {
                        VarOp::Plain => value.unwrap_or_default(),
                        VarOp::DefaultIfEmpty if empty => var.arg.clone(),
                        VarOp::DefaultIfUnset if value.is_none() => var.arg.clone(),
                        VarOp::RequiredNonEmpty if empty => return None,
                        VarOp::Required if value.is_none() => return None,
                        VarOp::AltIfNonEmpty if !empty => var.arg.clone(),
                        VarOp::AltIfSet if value.is_some() => var.arg.clone(),
                        VarOp::AltIfNonEmpty | VarOp::AltIfSet => String::new(),
                        _ => value.unwrap_or_default(),
                    };
                    out.push_str(&resolved);
                }
            }
        }
        Some(out)
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A port published on the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortMapping {
    /// The host side, possibly with a bind address (`${NGINX_HTTP_PORT:-80}`, `127.0.0.1:3000`).
    pub host: Template,
    pub container: u16,
    /// Whether the port is reachable from outside the host.
    pub public: bool,
}

/// A mount into a container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub source: MountSource,
    /// The path inside the container (a template in the official files).
    pub target: Template,
    pub read_only: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MountSource {
    /// A volume of [`Environment::volumes`], by name.
    Volume(String),
    /// A path of the host, as a template over the stack's variables
    /// (`${COUCHDB_DATA:-./srv}`), and the volume of [`Environment::volumes`] it holds, when it
    /// is storage rather than a socket or a configuration directory.
    HostPath {
        path: Template,
        volume: Option<String>,
    },
}

impl MountSource {
    /// The name of the storage volume the mount uses, if any.
    pub fn volume(&self) -> Option<&str> {
        match self {
            MountSource::Volume(name) => Some(name),
            MountSource::HostPath { volume, .. } => volume.as_deref(),
        }
    }
}

/// When containers restart on their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Restart {
    Always,
    UnlessStopped,
    OnFailure,
    Never,
}

impl Restart {
    /// The Compose spelling.
    pub fn compose(self) -> &'static str {
        match self {
            Restart::Always => "always",
            Restart::UnlessStopped => "unless-stopped",
            Restart::OnFailure => "on-failure",
            Restart::Never => "no",
        }
    }
}

/// Container log handling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logging {
    pub driver: String,
    /// Options in the official order, values as templates.
    pub options: Vec<(String, Template)>,
}

/// Resource requests and limits of one container. `None` leaves the figure unset, as CHT's
/// own files and charts do for everything but HAProxy's memory limit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    pub cpu_request_millicpu: Option<u64>,
    pub cpu_limit_millicpu: Option<u64>,
    pub memory_request_mib: Option<u64>,
    pub memory_limit_mib: Option<u64>,
}

/// Storage a service keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Volume {
    /// The name services mount it by (Compose volume key, Kubernetes claim base name).
    pub name: String,
    pub kind: VolumeKind,
    pub purpose: VolumePurpose,
    pub host: HostRole,
    /// The provisioned size, when Hostplan decides it (data volumes); `None` for small
    /// volumes that live on the host's root disk.
    pub size_gib: Option<u64>,
    pub encrypted: bool,
    /// Whether the scheduled backup copies it.
    pub backed_up: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VolumeKind {
    /// A volume the container runtime manages (Compose named volume, a PersistentVolumeClaim).
    Managed,
    /// A directory of the host, whose path the given variable of the stack holds.
    HostDirectory { variable: String, default: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VolumePurpose {
    /// CouchDB's data directory of one node (1-based).
    CouchdbData {
        node: u32,
    },
    /// CouchDB's `local.d`: admin hash, secret and uuid.
    CouchdbCredentials,
    /// nginx's certificate and key.
    TlsCertificates,
    /// certbot's account and certificate state (`/etc/letsencrypt`).
    AcmeState,
    /// The local backup repository.
    BackupRepository,
    PostgresData,
    PrometheusData,
    GrafanaData,
}

/// A container network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Network {
    /// The key services join it by.
    pub name: String,
    /// The real network name, as a template (`${CHT_NETWORK:-cht-net}`).
    pub runtime_name: Template,
    pub host: HostRole,
}

/// A variable the stack reads (a line of `.env`).
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    pub name: String,
    /// What it means.
    pub doc: String,
    pub value: SettingValue,
    /// The services that read it.
    pub used_by: Vec<String>,
    /// Whether the CHT upgrade service passes it on when it starts the stack; a variable it
    /// does not pass on always takes its default in a stack the upgrade service started.
    pub passed_by_upgrade_service: bool,
    pub host: HostRole,
}

/// What an environment gives a variable of the stack.
#[derive(Clone, Debug, PartialEq)]
pub enum SettingValue {
    /// The plan does not set it; the official default applies (`None`: there is none).
    Default(Option<String>),
    /// The plan decides the value; the official default, when there is one, is kept for
    /// the record.
    Set {
        value: String,
        default: Option<String>,
    },
    /// A path on the host that the operator chooses; the example follows CHT's installation guide.
    HostPath { example: String },
    /// A value the operator must create once and keep stable, such as CouchDB's uuid.
    Create { how: String },
    /// A secret of the plan.
    Secret(SecretRef),
    /// A credential that is not one of the plan's secrets (backup encryption key, object
    /// storage keys); the operator creates or obtains it as described.
    OperatorSecret { how: String },
}

/// How certificates are obtained.
#[derive(Clone, Debug, PartialEq)]
pub struct Tls {
    pub mode: TlsMode,
    /// Renew this many days before expiry (ACME).
    pub renew_before_days: u32,
    /// The ACME account's e-mail.
    pub email: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TlsMode {
    Acme,
    Managed,
    OwnCert,
    SelfSigned,
}

impl TlsMode {
    pub fn name(self) -> &'static str {
        match self {
            TlsMode::Acme => "acme",
            TlsMode::Managed => "managed",
            TlsMode::OwnCert => "own_cert",
            TlsMode::SelfSigned => "self_signed",
        }
    }
}

/// Scheduled backups.
#[derive(Clone, Debug, PartialEq)]
pub struct Backup {
    /// Seconds between two backups.
    pub every_secs: u64,
    /// Seconds each backup is kept.
    pub keep_secs: u64,
    pub encrypted: bool,
    pub offsite: bool,
    pub target: BackupTarget,
    /// The volumes copied, by name.
    pub volumes: Vec<String>,
    /// Whether the stack's settings (`.env`: password, secret, uuid) are copied too; CHT's
    /// backup guide lists them beside the data because a restore needs both.
    pub includes_settings: bool,
}

/// Where backups go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackupTarget {
    /// A volume on the same host: protects against mistakes and corruption, not disk loss.
    LocalVolume { volume: String },
    /// A bucket Hostplan names, on the environment's cloud.
    Bucket {
        provider: String,
        region: String,
        bucket: String,
    },
    /// A repository the operator provides (another site, SFTP, a REST server), given at
    /// deploy time.
    OperatorProvided { example: String },
}

/// CHT Watchdog.
#[derive(Clone, Debug, PartialEq)]
pub struct Monitoring {
    /// The Watchdog release the outputs are written for.
    pub watchdog_version: String,
    /// The CHT instances it watches.
    pub targets: Vec<String>,
    pub prometheus_retention_days: u32,
    pub grafana_admin: Option<SecretRef>,
}

/// CHT Sync into PostgreSQL.
#[derive(Clone, Debug, PartialEq)]
pub struct Analytics {
    /// The CouchDB databases copied.
    pub databases: Vec<String>,
    pub postgres_db: String,
    pub postgres_schema: String,
    pub postgres_password: Option<SecretRef>,
}

/// Where alerts go and what raises them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Alerting {
    pub email: Vec<String>,
    pub webhook: Vec<String>,
    pub on: Vec<AlertCondition>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum AlertCondition {
    Downtime { minutes: f64 },
    DiskUsed { percent: f64 },
    CertExpiry { days: f64 },
    BackupFailed,
    ReplicationLimit,
}

impl AlertCondition {
    pub fn describe(&self) -> String {
        match self {
            AlertCondition::Downtime { minutes } => {
                format!("the instance is down for {} minutes", trim_float(*minutes))
            }
            AlertCondition::DiskUsed { percent } => {
                format!("a data disk is more than {}% full", trim_float(*percent))
            }
            AlertCondition::CertExpiry { days } => format!(
                "the TLS certificate expires within {} days",
                trim_float(*days)
            ),
            AlertCondition::BackupFailed => "a scheduled backup fails".to_string(),
            AlertCondition::ReplicationLimit => {
                "users exceed the replication limit of about 10,000 documents".to_string()
            }
        }
    }
}

/// Prints a float without a needless `.0` (`5`, `2.5`).
pub fn trim_float(value: f64) -> String {
    let rounded = (value * 1000.0).round() / 1000.0;
    if rounded.fract() == 0.0 && rounded.abs() < 1e15 {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded}")
    }
}

/// Security settings that backends enforce.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Security {
    /// Disks and backups holding data are encrypted.
    pub encryption_at_rest: bool,
    /// CIDR ranges that may reach admin endpoints; empty means no restriction.
    pub admin_from: Vec<String>,
}

/// The machines, disks and cloud resources an environment needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Infrastructure {
    pub provider: Provider,
    pub hosts: Vec<Host>,
    pub disks: Vec<Disk>,
    /// What the cloud must provide beyond hosts and disks, on `aws` and `gcp` only; filled by
    /// [`crate::provision`], which reads the estimate and the plan's policy.
    pub cloud: Option<Cloud>,
}

/// The facts a cloud backend (Terraform) needs beyond the hosts and disks: the instance type of
/// every host, and where the backups go.
#[derive(Clone, Debug, PartialEq)]
pub struct Cloud {
    /// One per host of [`Infrastructure::hosts`], in the same order.
    pub machines: Vec<Machine>,
    /// The backup storage, when the policy asks for backups.
    pub backup: Option<CloudBackup>,
    /// The price table the instance types were chosen from, as "aws prices of 2025-01-01".
    pub prices: Option<String>,
}

impl Cloud {
    pub fn machine(&self, purpose: HostPurpose) -> Option<&Machine> {
        self.machines.iter().find(|it| it.purpose == purpose)
    }
}

/// What a host or group of nodes is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HostPurpose {
    /// The one Docker Compose host running CHT.
    ChtHost,
    /// Kubernetes nodes reserved for CouchDB (and Nouveau), one per CouchDB node.
    Couchdb,
    /// Kubernetes nodes for API, Sentinel and HAProxy.
    Services,
    /// The control plane of a self-managed cluster.
    ControlPlane,
    /// CHT Sync: couch2pg, dbt and PostgreSQL.
    ChtSync,
    /// CHT Watchdog, on its own host.
    Watchdog,
}

/// The instance type chosen for a host, from the capacity estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct Machine {
    /// The host of [`Infrastructure::hosts`] it is for.
    pub host: String,
    pub purpose: HostPurpose,
    /// `None` when no instance type of the price table is large enough.
    pub instance: Option<InstanceType>,
    /// What each node needs, as "32.46 vCPU / 70.33 GiB".
    pub need: String,
    /// A sentence for the reader when the host does more than the estimate sized it for.
    pub note: Option<String>,
}

/// A provider's instance type and why the estimate chose it.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceType {
    pub name: String,
    pub vcpu: u32,
    pub memory_mib: u64,
    /// One sentence from the estimate: what it covers and what the next smaller type lacks.
    pub reason: String,
}

/// Where the backups of a cloud environment go.
#[derive(Clone, Debug, PartialEq)]
pub struct CloudBackup {
    /// Seconds between two backups.
    pub every_secs: u64,
    /// Seconds each backup is kept.
    pub keep_secs: u64,
    pub encrypted: bool,
    /// The backup bucket, named as the Compose backup container expects it.
    pub bucket: String,
    /// The region the bucket is in: the environment's, or the offsite region when the Compose
    /// backup container writes straight there.
    pub bucket_region: String,
    /// Where the offsite copy goes, when the policy asks for one.
    pub offsite: Option<OffsiteRegion>,
    /// The bucket the offsite copy is replicated into, when the bucket itself is not offsite.
    pub replica_bucket: String,
}

impl CloudBackup {
    /// Seconds rounded up to whole days, for lifecycle rules and snapshot retention.
    pub fn keep_days(&self) -> u64 {
        self.keep_secs.div_ceil(86_400).max(1)
    }
}

/// The region of the offsite copy of the backups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OffsiteRegion {
    /// The region the policy names (`offsite_region`).
    Plan(String),
    /// The policy names none; Hostplan chose the nearest region at another site.
    Partner(String),
    /// The policy names none and Hostplan knows no partner: the operator chooses at deploy time.
    Ask,
}

impl OffsiteRegion {
    pub fn region(&self) -> Option<&str> {
        match self {
            OffsiteRegion::Plan(region) | OffsiteRegion::Partner(region) => Some(region),
            OffsiteRegion::Ask => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Provider {
    /// A developer's machine.
    Local,
    Aws {
        region: String,
        vpc: Option<String>,
        zones: u64,
    },
    Gcp {
        region: String,
        project: String,
    },
    /// Hardware on premises, as provided.
    OnPrem {
        nodes: u64,
        cpu: u64,
        memory_bytes: u64,
        disk_bytes: u64,
    },
}

impl Provider {
    pub fn name(&self) -> &'static str {
        match self {
            Provider::Local => "local",
            Provider::Aws { .. } => "aws",
            Provider::Gcp { .. } => "gcp",
            Provider::OnPrem { .. } => "onprem",
        }
    }

    pub fn region(&self) -> Option<&str> {
        match self {
            Provider::Aws { region, .. } | Provider::Gcp { region, .. } => Some(region),
            _ => None,
        }
    }
}

/// A machine, or a group of identical machines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Host {
    pub name: String,
    pub role: HostRole,
    pub count: u32,
    pub millicpu: u64,
    pub memory_mib: u64,
    pub root_disk_gib: u64,
}

/// A data disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disk {
    pub name: String,
    pub host: String,
    /// The volume it holds.
    pub volume: String,
    pub size_gib: u64,
    pub encrypted: bool,
}

/// The sizing input of an environment: how big hosts, containers and volumes are.
///
/// Lowering takes it as an input so that its source can change without touching the
/// backends. Until the capacity estimate (`crate::estimate`) is merged, lowering fills it
/// with CHT's published minimums ([`SizingSource::OfficialMinimum`]); the estimate will
/// provide the same fields from the plan's population, users and horizon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sizing {
    pub source: SizingSource,
    pub hosts: Vec<HostSizing>,
    /// Per-service figures; a service not listed gets no requests or limits.
    pub services: Vec<ServiceSizing>,
    /// The data volume of each CouchDB node.
    pub couchdb_volume_gib: u64,
    pub postgres_volume_gib: Option<u64>,
    pub prometheus_volume_gib: Option<u64>,
    /// The local backup repository, when backups stay on the host.
    pub backup_volume_gib: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizingSource {
    /// CHT's published minimum requirements (docs: hosting/cht/requirements).
    OfficialMinimum,
    /// The plan's capacity estimate.
    Estimate,
}

impl SizingSource {
    pub fn describe(self) -> &'static str {
        match self {
            SizingSource::OfficialMinimum => "CHT's published minimum requirements",
            SizingSource::Estimate => "the plan's capacity estimate",
        }
    }
}

/// The size of one kind of host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostSizing {
    pub name: String,
    pub role: HostRole,
    pub count: u32,
    pub millicpu: u64,
    pub memory_mib: u64,
    pub root_disk_gib: u64,
}

/// Requests and limits of one component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceSizing {
    pub component: Component,
    pub resources: Resources,
}

/// An operator's role in one environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorAccess {
    pub name: String,
    pub role: OperatorRole,
    pub email: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OperatorRole {
    Admin,
    Deployer,
    Viewer,
}

impl OperatorRole {
    pub fn name(self) -> &'static str {
        match self {
            OperatorRole::Admin => "admin",
            OperatorRole::Deployer => "deployer",
            OperatorRole::Viewer => "viewer",
        }
    }
}

/// A hosting-guide rule the plan allows to fail here, with its reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    pub code: String,
    pub reason: String,
}
