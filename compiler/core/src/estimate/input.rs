//! The estimate's input: plain data the checker builds from a checked plan.
//!
//! These types carry no source spans and no serde: the checker keeps the mapping from plan text to these values,
//! and reports of rejected overrides and findings name environments and keys so it can point back at the plan.

/// Everything the estimate needs to know about one plan.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanInput {
    /// The plan's name, shown in reports.
    pub plan_name: String,
    /// The major CHT release the plan deploys; 5 and later run Nouveau beside CouchDB.
    pub cht_major: u32,
    /// The planning horizon in years; storage and compute are sized for its last year.
    pub horizon_years: u32,
    /// People served by the programme in the first year.
    pub population: u64,
    /// Care workflows (ANC, PNC, iCCM, ...).
    pub workflows: u64,
    /// Yearly population growth in percent, compounding.
    pub growth_percent: f64,
    /// CHT users by role.
    pub roles: Vec<RoleInput>,
    /// The plan's environments, in plan order.
    pub environments: Vec<EnvInput>,
    /// Price tables of the cloud providers the plan may use.
    pub catalogue: Vec<ProviderPrices>,
    /// The plan's `assumptions { ... }` block as name and value pairs, in plan order.
    pub overrides: Vec<(String, f64)>,
}

/// One user role of the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleInput {
    /// The role's name (`chw`, `supervisor`, ...).
    pub name: String,
    /// Users with this role at full scale.
    pub count: u64,
    /// Whether these users replicate documents to their device (`sync = offline`).
    pub offline: bool,
}

/// One environment of the plan.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvInput {
    /// The environment's name.
    pub name: String,
    /// What the environment is for.
    pub kind: EnvKind,
    /// Share of the plan's users and population this environment serves, in percent (100 for production).
    pub scale_percent: f64,
    /// CouchDB nodes: 1, or 3 for a cluster.
    pub couchdb_nodes: u32,
    /// How CHT is deployed.
    pub target: Target,
    /// Where it runs.
    pub infra: Infra,
    /// The backup policy, if the environment has one.
    pub backup: Option<BackupInput>,
    /// Whether CHT Watchdog monitors this environment from a separate host.
    pub monitor_watchdog: bool,
    /// Whether CHT Sync copies this environment's data to PostgreSQL.
    pub analytics_cht_sync: bool,
}

/// What an environment is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EnvKind {
    /// A developer's environment.
    Development,
    /// Testing, such as UAT.
    Test,
    /// A copy of production used before releases.
    Staging,
    /// The environment real users use.
    Production,
}

impl EnvKind {
    /// The plan keyword of this kind.
    pub fn name(self) -> &'static str {
        match self {
            EnvKind::Development => "development",
            EnvKind::Test => "test",
            EnvKind::Staging => "staging",
            EnvKind::Production => "production",
        }
    }
}

/// How CHT is deployed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Docker Compose on one host.
    Compose,
    /// A Kubernetes cluster.
    Kubernetes {
        /// Which Kubernetes.
        distribution: Distribution,
    },
}

impl Target {
    /// A short description, as `compose` or `kubernetes (eks)`.
    pub fn describe(&self) -> String {
        match self {
            Target::Compose => "compose".to_owned(),
            Target::Kubernetes { distribution } => format!("kubernetes ({})", distribution.name()),
        }
    }
}

/// A Kubernetes distribution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Distribution {
    /// K3s, self-managed.
    K3s,
    /// Amazon EKS, with a managed control plane.
    Eks,
    /// Google GKE, with a managed control plane.
    Gke,
    /// Azure AKS, with a managed control plane.
    Aks,
    /// Any other cluster, treated as self-managed.
    Other(String),
}

impl Distribution {
    /// The distribution's name as a plan writes it.
    pub fn name(&self) -> &str {
        match self {
            Distribution::K3s => "k3s",
            Distribution::Eks => "eks",
            Distribution::Gke => "gke",
            Distribution::Aks => "aks",
            Distribution::Other(name) => name,
        }
    }

    /// Whether the cloud provider runs the control plane for an hourly fee.
    pub fn is_managed(&self) -> bool {
        matches!(
            self,
            Distribution::Eks | Distribution::Gke | Distribution::Aks
        )
    }
}

/// Where an environment runs.
#[derive(Clone, Debug, PartialEq)]
pub enum Infra {
    /// A developer's own machine.
    Local,
    /// Machines the programme owns.
    OnPrem {
        /// Machines provided.
        nodes: u32,
        /// CPU cores per machine.
        cpu: u32,
        /// Memory per machine, in GiB.
        memory_gib: u64,
        /// Disk per machine, in GiB.
        disk_gib: u64,
    },
    /// A cloud provider.
    Cloud {
        /// The provider's name, matched against [`ProviderPrices::provider`].
        provider: String,
        /// The region, shown in reports.
        region: String,
        /// Regional price relative to the price table, in percent (100 when the table is for this region);
        /// it scales every price of the table: instances, storage and the managed control plane.
        price_factor_percent: f64,
    },
}

impl Infra {
    /// A short description, as `local`, `on-premises (3 x 8 CPU, 16 GiB, 500 GiB)` or `aws af-south-1`.
    pub fn describe(&self) -> String {
        match self {
            Infra::Local => "local".to_owned(),
            Infra::OnPrem {
                nodes,
                cpu,
                memory_gib,
                disk_gib,
            } => {
                format!("on-premises ({nodes} x {cpu} CPU, {memory_gib} GiB, {disk_gib} GiB disk)")
            }
            Infra::Cloud {
                provider, region, ..
            } => format!("{provider} {region}"),
        }
    }
}

/// A backup policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackupInput {
    /// Hours between two backups.
    pub every_hours: u32,
    /// Days each backup is kept.
    pub keep_days: u32,
    /// Whether a copy of the backups is kept at another site, region or provider.
    pub offsite: bool,
}

/// The price table of one cloud provider.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderPrices {
    /// The provider's name (`aws`, `gcp`, ...).
    pub provider: String,
    /// When the prices were taken, shown in reports.
    pub prices_date: String,
    /// Where the prices were taken from, shown in reports.
    pub prices_source: String,
    /// Instance types on offer.
    ///
    /// List only types fit for sustained load: the choice compares list prices, so burstable types
    /// (AWS `t3`, GCP `e2-micro`), whose list price assumes mostly idle CPUs, would look cheaper than they are.
    pub instances: Vec<InstanceOffer>,
    /// Block storage price per GiB-month, in US dollars.
    pub block_storage_gib_month: f64,
    /// Object storage price per GiB-month, in US dollars (backups).
    pub object_storage_gib_month: f64,
    /// Managed Kubernetes control-plane price per cluster-hour, in US dollars.
    pub kubernetes_cluster_hourly: f64,
}

/// One instance type.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceOffer {
    /// The provider's name for it (`c6i.xlarge`).
    pub name: String,
    /// Virtual CPUs.
    pub vcpu: u32,
    /// Memory in GiB.
    pub memory_gib: f64,
    /// On-demand price per hour, in US dollars.
    pub hourly_usd: f64,
}
