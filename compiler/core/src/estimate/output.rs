//! The estimate's result: what reports print and what backends size their outputs from.
//!
//! Everything is plain data in input order, with integers wherever a value is shown, so reports are byte-stable.
//! Fractional CPU is held in milli-CPUs and memory in MiB; storage is in whole GiB.
//! The calculator's "GB" are read as GiB, the unit cloud providers bill block storage in (they call it GB-month).

use std::fmt;

use crate::estimate::{
    assumptions::{AssumptionKey, Assumptions, RejectedOverride},
    input::{EnvKind, Infra, RoleInput, Target},
    money::Money,
    official::{CalculatorInput, OfficialResult},
};

/// The estimate of a whole plan.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanEstimate {
    /// The plan's name.
    pub plan_name: String,
    /// The major CHT release.
    pub cht_major: u32,
    /// The horizon the estimate used, after clamping to 1 to 50 years.
    pub horizon_years: u32,
    /// People served in the first year.
    pub population: u64,
    /// Care workflows.
    pub workflows: u64,
    /// Yearly population growth in percent, as used (NaN becomes 0, below -100 becomes -100).
    pub growth_percent: f64,
    /// The plan's roles at full scale.
    pub roles: Vec<RoleInput>,
    /// The assumptions used, with the plan's overrides.
    pub assumptions: Assumptions,
    /// Overrides that were not applied.
    pub rejected_overrides: Vec<RejectedOverride>,
    /// The calculator's inputs for the whole plan: all users, the first year's population, the horizon as age.
    pub official_input: CalculatorInput,
    /// CHT's official calculator on those inputs, for comparison: it knows no growth, backups, monitoring or analytics.
    pub official: OfficialResult,
    /// One estimate per environment, in plan order.
    pub environments: Vec<EnvironmentEstimate>,
    /// Everything worth a human's attention, in environment order.
    pub findings: Vec<Finding>,
    /// The price tables the cloud environments used, in first-use order.
    pub price_tables: Vec<PriceTable>,
    /// The monthly cost of all priced environments, or `None` when no environment could be priced.
    pub monthly_total: Option<Money>,
}

/// The estimate of one environment, sized for the peak of the horizon.
///
/// What the backends read:
/// - Docker Compose: [`ServiceResources`] limits in Compose notation, the CouchDB volume per node
///   ([`EnvironmentEstimate::couchdb_volume_gib`]) and the CHT host's root disk.
/// - Kubernetes: [`ServiceResources`] requests and limits in Kubernetes notation, the CouchDB PVC size per node,
///   the PostgreSQL PVC size ([`EnvironmentEstimate::postgres_volume_gib`]) and the node groups.
/// - Terraform: [`NodeGroup`]s with their instance type, node count and root disk, the CouchDB and PostgreSQL
///   volume sizes, and the Watchdog host ([`EnvironmentEstimate::node_group`] with [`NodeRole::Watchdog`]).
#[derive(Clone, Debug, PartialEq)]
pub struct EnvironmentEstimate {
    /// The environment's name.
    pub name: String,
    /// What it is for.
    pub kind: EnvKind,
    /// How CHT is deployed.
    pub target: Target,
    /// Where it runs.
    pub infra: Infra,
    /// The share of users and population served, in basis points (10,000 is 100%).
    pub scale_basis_points: u64,
    /// CouchDB nodes, at least 1.
    pub couchdb_nodes: u32,
    /// Users served (all roles, scaled).
    pub users: u64,
    /// Per role: users served and documents each replicates.
    pub roles: Vec<RoleLoad>,
    /// Year by year, from year 1 to the horizon.
    pub years: Vec<YearEstimate>,
    /// CPU and memory of CHT itself.
    pub compute: ComputeEstimate,
    /// Disk of every kind.
    pub storage: StorageEstimate,
    /// Requests and limits per CHT container.
    pub services: Vec<ServiceResources>,
    /// The hosts or node groups to run, with the chosen instance types on cloud infrastructure.
    pub node_groups: Vec<NodeGroup>,
    /// Hardware to provide, compared with what the plan provides (on-premises and local infrastructure).
    pub hardware: Option<HardwareCheck>,
    /// Each part of the estimate on its own line, with its cost on cloud infrastructure.
    pub line_items: Vec<LineItem>,
    /// The price table used, on cloud infrastructure whose provider is in the catalogue.
    pub prices: Option<PriceTable>,
    /// The monthly cost (the sum of the line items), or `None` when the environment is not priced.
    pub monthly_cost: Option<Money>,
}

impl EnvironmentEstimate {
    /// The CouchDB volume of each node in GiB: what a Compose bind mount, a PVC or a Terraform volume should hold.
    pub fn couchdb_volume_gib(&self) -> u64 {
        self.storage.couchdb_volume_gib
    }

    /// The PostgreSQL volume of CHT Sync in GiB, when the environment has analytics.
    pub fn postgres_volume_gib(&self) -> Option<u64> {
        self.storage.postgres_volume_gib
    }

    /// The node group with this role, if the environment has one.
    pub fn node_group(&self, role: NodeRole) -> Option<&NodeGroup> {
        self.node_groups.iter().find(|group| group.role == role)
    }

    /// The requests and limits of one CHT service, if the environment runs it.
    pub fn service(&self, service: Service) -> Option<&ServiceResources> {
        self.services.iter().find(|it| it.service == service)
    }
}

/// One year of an environment's growth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YearEstimate {
    /// 1 for the first year.
    pub year: u32,
    /// People served that year.
    pub population: u64,
    /// Places that year.
    pub places: u64,
    /// Contacts: users, people and places.
    pub contacts: u64,
    /// Records created during that year.
    pub records_in_year: u64,
    /// Medic documents at the end of the year: contacts plus all records so far.
    pub medic_docs: u64,
    /// CouchDB data, GiB.
    pub couchdb_data_gib: u64,
    /// Upgrade headroom on top of the data, GiB.
    pub upgrade_headroom_gib: u64,
    /// CHT Sync PostgreSQL data with indexes, GiB (0 without analytics).
    pub postgres_gib: u64,
    /// The storage that grows with the data: CouchDB data, headroom and PostgreSQL, GiB.
    pub storage_gib: u64,
}

/// Documents an offline role replicates per user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleLoad {
    /// The role's name.
    pub name: String,
    /// Users of the role in this environment.
    pub users: u64,
    /// Whether the role replicates documents.
    pub offline: bool,
    /// Documents each user replicates at the peak, for offline roles: the medic documents divided by the role's users.
    pub docs_per_user: Option<u64>,
}

/// CPU and memory of CHT itself (without Watchdog, CHT Sync or a control plane).
#[derive(Clone, Debug, PartialEq)]
pub struct ComputeEstimate {
    /// Medic documents per user at the peak.
    pub docs_per_user: u64,
    /// The calculator's CPU scaling factor `f` at the peak.
    pub cpu_factor: f64,
    /// CPUs as the calculator counts them (at its 50% utilisation), for comparison.
    pub calculator_cpus: u64,
    /// The busy CPU the users cause, in milli-CPUs.
    pub load_millicpu: u64,
    /// CPU to provide so the load runs at the target utilisation, in milli-CPUs (at least the minimum host).
    pub required_millicpu: u64,
    /// Memory to provide, in MiB: memory per CPU times the required CPU (at least the minimum host).
    pub required_memory_mib: u64,
}

/// Disk of every kind, at the peak of the horizon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageEstimate {
    /// CouchDB data, GiB.
    pub couchdb_data_gib: u64,
    /// Free CouchDB disk kept for upgrades, GiB.
    pub upgrade_headroom_gib: u64,
    /// CouchDB volume per node, GiB: data and headroom split over the nodes, rounded up to the volume step.
    pub couchdb_volume_gib: u64,
    /// Container logs of CHT's containers, GiB.
    pub logs_gib: u64,
    /// CHT containers whose logs are counted.
    pub containers: u64,
    /// Backups, when the environment has a backup policy.
    pub backup: Option<BackupEstimate>,
    /// CHT Sync PostgreSQL data with indexes, GiB.
    pub postgres_gib: Option<u64>,
    /// CHT Sync PostgreSQL volume, GiB, rounded up to the volume step.
    pub postgres_volume_gib: Option<u64>,
    /// Prometheus data on the Watchdog host, GiB.
    pub prometheus_gib: Option<u64>,
}

/// Backup storage under the snapshot model.
///
/// Each backup is a snapshot-style copy (EBS snapshots, borg archives): the first retained copy is full,
/// and each further copy stores only what changed since the previous one.
/// Copies kept = ceil(keep days x 24 / interval hours); each later copy adds
/// min(100%, backup_change_percent_per_day x interval hours / 24) of the data.
/// An offsite copy duplicates the whole set at another site or region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupEstimate {
    /// Hours between two backups.
    pub every_hours: u32,
    /// Days each backup is kept.
    pub keep_days: u32,
    /// Copies retained at any time.
    pub copies: u64,
    /// Share of the data each later copy adds, in basis points.
    pub change_per_copy_basis_points: u64,
    /// Data backed up: the CouchDB data, GiB.
    pub data_gib: u64,
    /// Storage of the retained copies, GiB.
    pub backup_gib: u64,
    /// Storage of the offsite copy, GiB (0 without one).
    pub offsite_gib: u64,
}

/// A CHT container that gets resource requests and limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    /// CouchDB; on a cluster, the figures are per node.
    Couchdb,
    /// Nouveau, the full-text search beside CouchDB (CHT 5 and later).
    Nouveau,
    /// CHT API.
    Api,
    /// CHT Sentinel.
    Sentinel,
    /// HAProxy in front of CouchDB.
    Haproxy,
    /// nginx, on Docker Compose only (an ingress replaces it on Kubernetes).
    Nginx,
}

impl Service {
    /// The service's name as CHT's Compose files and Helm charts spell it.
    pub fn name(self) -> &'static str {
        match self {
            Service::Couchdb => "couchdb",
            Service::Nouveau => "nouveau",
            Service::Api => "api",
            Service::Sentinel => "sentinel",
            Service::Haproxy => "haproxy",
            Service::Nginx => "nginx",
        }
    }
}

/// Requests and limits of one CHT container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceResources {
    /// Which container.
    pub service: Service,
    /// How many of it run (CouchDB nodes; 1 otherwise).
    pub replicas: u32,
    /// CPU request, milli-CPUs (Kubernetes `m`).
    pub cpu_request_millicpu: u64,
    /// CPU limit, milli-CPUs.
    pub cpu_limit_millicpu: u64,
    /// Memory request, MiB (Kubernetes `Mi`).
    pub memory_request_mib: u64,
    /// Memory limit, MiB.
    pub memory_limit_mib: u64,
    /// The assumptions the figures come from.
    pub assumptions: Vec<AssumptionKey>,
}

impl ServiceResources {
    /// The CPU request in Kubernetes notation, as `1310m`.
    pub fn cpu_request_kubernetes(&self) -> String {
        format!("{}m", self.cpu_request_millicpu)
    }

    /// The CPU limit in Kubernetes notation, as `2620m`.
    pub fn cpu_limit_kubernetes(&self) -> String {
        format!("{}m", self.cpu_limit_millicpu)
    }

    /// The memory request in Kubernetes notation, as `2416Mi`.
    pub fn memory_request_kubernetes(&self) -> String {
        format!("{}Mi", self.memory_request_mib)
    }

    /// The memory limit in Kubernetes notation, as `3632Mi`.
    pub fn memory_limit_kubernetes(&self) -> String {
        format!("{}Mi", self.memory_limit_mib)
    }

    /// The CPU limit as Docker Compose's `cpus`, a decimal number of CPUs, as `2.62`.
    pub fn cpu_limit_compose(&self) -> String {
        // Milli-CPUs are multiples of 10, so two decimals are exact.
        format!(
            "{}.{:02}",
            self.cpu_limit_millicpu / 1000,
            self.cpu_limit_millicpu % 1000 / 10
        )
    }

    /// The memory limit as Docker Compose's `memory`, as `3632m` (Docker reads `m` as MiB).
    pub fn memory_limit_compose(&self) -> String {
        format!("{}m", self.memory_limit_mib)
    }

    /// The memory request as Docker Compose's `deploy.resources.reservations.memory`, as `2416m`.
    pub fn memory_request_compose(&self) -> String {
        format!("{}m", self.memory_request_mib)
    }
}

/// What a host or node group runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeRole {
    /// The one Docker Compose host running all of CHT.
    ChtHost,
    /// Kubernetes nodes dedicated to CouchDB (and Nouveau), one per CouchDB node.
    Couchdb,
    /// Kubernetes nodes for API, Sentinel and HAProxy.
    Services,
    /// The control-plane node of a self-managed cluster.
    ControlPlane,
    /// CHT Sync: couch2pg, dbt and PostgreSQL (a host on Compose, a node group on Kubernetes).
    ChtSync,
    /// The separate CHT Watchdog host.
    Watchdog,
}

impl NodeRole {
    /// A short human name.
    pub fn label(self) -> &'static str {
        match self {
            NodeRole::ChtHost => "CHT host",
            NodeRole::Couchdb => "CouchDB nodes",
            NodeRole::Services => "CHT services nodes",
            NodeRole::ControlPlane => "Control-plane node",
            NodeRole::ChtSync => "CHT Sync",
            NodeRole::Watchdog => "Watchdog host",
        }
    }

    /// What one node of the group is called.
    pub fn singular(self) -> &'static str {
        match self {
            NodeRole::ChtHost => "CHT host",
            NodeRole::Couchdb => "CouchDB node",
            NodeRole::Services => "CHT services node",
            NodeRole::ControlPlane => "control-plane node",
            NodeRole::ChtSync => "CHT Sync host",
            NodeRole::Watchdog => "Watchdog host",
        }
    }

    /// A stable machine name, for JSON and backends.
    pub fn id(self) -> &'static str {
        match self {
            NodeRole::ChtHost => "cht-host",
            NodeRole::Couchdb => "couchdb",
            NodeRole::Services => "services",
            NodeRole::ControlPlane => "control-plane",
            NodeRole::ChtSync => "cht-sync",
            NodeRole::Watchdog => "watchdog",
        }
    }
}

/// A host or a group of identical nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeGroup {
    /// What it runs.
    pub role: NodeRole,
    /// Nodes in the group: fixed for CouchDB and single hosts, chosen with the instance type for CHT services.
    pub nodes: u32,
    /// CPU each node must provide, milli-CPUs.
    pub millicpu_per_node: u64,
    /// Memory each node must provide, MiB.
    pub memory_mib_per_node: u64,
    /// Root disk of each node, GiB: the root volume plus the container logs kept on it.
    pub root_disk_gib_per_node: u64,
    /// Whether the CPU comes from the users' load at the target utilisation, or is a fixed size.
    pub sized_by_load: bool,
    /// The chosen instance type, on cloud infrastructure with a price table.
    pub instance: Option<InstanceChoice>,
}

/// The instance type chosen for a node group, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceChoice {
    /// The provider's name for it.
    pub name: String,
    /// Its vCPUs.
    pub vcpu: u32,
    /// Its memory, MiB.
    pub memory_mib: u64,
    /// Nodes of this type.
    pub nodes: u32,
    /// Price per node-hour, with the region's price factor.
    pub hourly: Money,
    /// One sentence saying why, as "c6i.xlarge: 4 vCPU, 8 GiB covers ...".
    pub reason: String,
}

/// Hardware to provide for an environment not priced by a cloud.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HardwareCheck {
    /// What the environment's own machines must provide (everything except separate hosts).
    pub required: Hardware,
    /// What the plan's on-premises block provides, or `None` on local infrastructure.
    pub provided: Option<Hardware>,
    /// Required minus provided, per dimension, never negative; `None` when nothing is provided to compare with.
    pub shortfall: Option<Hardware>,
    /// Single units that do not fit one machine, as sentences.
    pub misfits: Vec<String>,
    /// Hosts that must be separate from the environment's machines (Watchdog), with their size.
    pub separate_hosts: Vec<(NodeRole, Hardware)>,
    /// Backup storage to provide off the environment's machines, GiB.
    pub backup_storage_gib: u64,
}

/// A quantity of hardware.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hardware {
    /// Separate machines.
    pub machines: u64,
    /// CPU cores.
    pub cores: u64,
    /// Memory, GiB.
    pub memory_gib: u64,
    /// Disk, GiB.
    pub disk_gib: u64,
}

impl Hardware {
    /// Whether every dimension is zero.
    pub fn is_zero(&self) -> bool {
        *self == Hardware::default()
    }
}

/// One part of an environment's estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct LineItem {
    /// A stable identifier within the environment, as `couchdb-data`.
    pub id: &'static str,
    /// A short human name.
    pub label: String,
    /// Which part of the cost it belongs to, for charts.
    pub component: Component,
    /// How much of the unit.
    pub quantity: u64,
    /// The unit of the quantity.
    pub unit: QuantityUnit,
    /// The monthly price of one unit, with the region's price factor, when priced.
    pub unit_price: Option<Money>,
    /// Quantity times unit price, rounded half up to cents, when priced.
    pub monthly: Option<Money>,
    /// How the quantity was computed, with the numbers.
    pub detail: String,
    /// The assumptions the quantity depends on.
    pub assumptions: Vec<AssumptionKey>,
}

/// The unit of a line item's quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QuantityUnit {
    /// GiB of storage kept for a month.
    GibMonth,
    /// Node-hours of an instance type in a month.
    NodeHours,
    /// Hours of a managed Kubernetes control plane in a month.
    ClusterHours,
    /// vCPUs to provide (unpriced environments).
    Vcpu,
    /// GiB of storage to provide (unpriced environments).
    Gib,
}

impl QuantityUnit {
    /// The unit as printed after a quantity.
    pub fn label(self) -> &'static str {
        match self {
            QuantityUnit::GibMonth => "GiB-month",
            QuantityUnit::NodeHours => "node-hours",
            QuantityUnit::ClusterHours => "cluster-hours",
            QuantityUnit::Vcpu => "vCPU",
            QuantityUnit::Gib => "GiB",
        }
    }
}

/// The part of the cost a line item belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    /// CPU and memory of CHT.
    Compute,
    /// CouchDB volumes, headroom, root volumes and logs.
    Storage,
    /// Backups and their offsite copy.
    Backup,
    /// The Watchdog host.
    Monitoring,
    /// CHT Sync and its PostgreSQL.
    Analytics,
    /// A managed Kubernetes control plane.
    Platform,
}

impl Component {
    /// Every component, in chart order.
    pub const ALL: [Component; 6] = [
        Component::Compute,
        Component::Storage,
        Component::Backup,
        Component::Monitoring,
        Component::Analytics,
        Component::Platform,
    ];

    /// A short human name.
    pub fn label(self) -> &'static str {
        match self {
            Component::Compute => "Compute",
            Component::Storage => "Storage",
            Component::Backup => "Backups",
            Component::Monitoring => "Monitoring",
            Component::Analytics => "Analytics",
            Component::Platform => "Platform",
        }
    }

    /// A stable machine name, for JSON.
    pub fn id(self) -> &'static str {
        match self {
            Component::Compute => "compute",
            Component::Storage => "storage",
            Component::Backup => "backup",
            Component::Monitoring => "monitoring",
            Component::Analytics => "analytics",
            Component::Platform => "platform",
        }
    }
}

/// A price table as reports cite it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceTable {
    /// The provider.
    pub provider: String,
    /// When the prices were taken.
    pub prices_date: String,
    /// Where the prices were taken from.
    pub prices_source: String,
}

/// Something in the estimate worth a human's attention.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// How much it matters.
    pub severity: Severity,
    /// A stable kebab-case code, as `offline-docs-over-limit`.
    pub code: &'static str,
    /// The environment it concerns, or `None` for the whole plan.
    pub environment: Option<String>,
    /// One or two sentences.
    pub message: String,
    /// The assumptions behind it.
    pub assumptions: Vec<AssumptionKey>,
}

/// How much a finding matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Background a reader should know.
    Info,
    /// Something the plan should change or justify.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
        })
    }
}
