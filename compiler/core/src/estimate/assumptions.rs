//! The assumption registry: every constant the estimate uses, with its unit, allowed range, source and meaning.
//!
//! A plan may override any assumption by name in its `assumptions { ... }` block.
//! The language checker validates those blocks against [`registry`], and the language reference lists it.
//! The estimate reads values only through [`Assumptions::get`], so every number in a report can name the keys it came from.

use std::collections::BTreeMap;
use std::fmt;

/// What the checker, the reports and the language reference need to know about one assumption.
#[derive(Debug, PartialEq)]
pub struct AssumptionDef {
    /// The typed key the estimate uses internally.
    pub key: AssumptionKey,
    /// The name a plan writes in its `assumptions` block (snake_case).
    pub name: &'static str,
    /// The value used when the plan does not override it.
    pub default: f64,
    /// The unit of the value, for humans.
    pub unit: &'static str,
    /// The smallest value an override may take.
    pub min: f64,
    /// The largest value an override may take.
    pub max: f64,
    /// A short citation of where the default comes from.
    pub source: &'static str,
    /// One sentence saying what the assumption means.
    pub doc: &'static str,
}

/// Where the calculator's constants come from.
const CALC: &str = "CHT docs, hosting/cht/costs; cost-calculator.js";
/// Where the official minimum host sizes come from.
const REQ: &str = "CHT docs, hosting/cht/requirements";
/// Marks a choice Hostplan made where CHT publishes no figure.
const HOSTPLAN: &str = "Hostplan assumption";

// The macro keeps the enum, the ordered table and the per-key lookup in one list, so they cannot drift apart.
macro_rules! registry {
    ($( $variant:ident {
        name: $name:literal,
        default: $default:expr,
        unit: $unit:literal,
        range: $min:expr, $max:expr,
        source: $source:expr,
        doc: $doc:literal $(,)?
    } )*) => {
        /// The key of one assumption; see [`registry`] for the list with documentation.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum AssumptionKey {
            $( #[doc = $doc] $variant, )*
        }

        const DEFS: &[AssumptionDef] = &[
            $( AssumptionDef {
                key: AssumptionKey::$variant,
                name: $name,
                default: $default,
                unit: $unit,
                min: $min,
                max: $max,
                source: $source,
                doc: $doc,
            }, )*
        ];

        impl AssumptionKey {
            /// The registry entry of this key.
            pub fn def(self) -> &'static AssumptionDef {
                match self {
                    $( AssumptionKey::$variant => &AssumptionDef {
                        key: AssumptionKey::$variant,
                        name: $name,
                        default: $default,
                        unit: $unit,
                        min: $min,
                        max: $max,
                        source: $source,
                        doc: $doc,
                    }, )*
                }
            }
        }
    };
}

registry! {
    PlacesPerPerson {
        name: "places_per_person", default: 0.36, unit: "places/person", range: 0.0, 10.0,
        source: CALC,
        doc: "Places (households and areas) created per person served.",
    }
    DocsPerPersonWorkflowYear {
        name: "docs_per_person_workflow_year", default: 1.0, unit: "docs/person/workflow/year", range: 0.0, 1000.0,
        source: CALC,
        doc: "Reports each person generates per workflow per year.",
    }
    MedicDocsPerGb {
        name: "medic_docs_per_gb", default: 186_089.0, unit: "docs/GB", range: 1.0, 1.0e9,
        source: CALC,
        doc: "Medic documents per GB of total CouchDB disk, all databases and view indexes included (about 5.4 KB per document).",
    }
    DocsPerUserBaseline {
        name: "docs_per_user_baseline", default: 8_717.0, unit: "docs/user", range: 1.0, 1.0e9,
        source: CALC,
        doc: "Medic documents per user above which the CPU need grows with documents per user, not only with users.",
    }
    DbOverprovisionFactor {
        name: "db_overprovision_factor", default: 5.0, unit: "x CouchDB data", range: 1.0, 10.0,
        source: "CHT docs, hosting/cht/costs and hosting/cht/requirements",
        doc: "Free CouchDB disk kept on top of the data, as a multiple of it: CHT upgrades can need up to 5x the CouchDB disk while views re-index.",
    }
    RootVolumeGb {
        name: "root_volume_gb", default: 50.0, unit: "GB", range: 0.0, 1.0e6,
        source: CALC,
        doc: "Root volume of each CHT host or node, for the operating system and images.",
    }
    UsersPerCpu {
        name: "users_per_cpu", default: 288.0, unit: "users/CPU", range: 1.0, 1.0e6,
        source: CALC,
        doc: "Active users one CPU serves, measured over 14 days and scaled to a 50% utilisation target.",
    }
    RamGbPerCpu {
        name: "ram_gb_per_cpu", default: 2.0, unit: "GB/CPU", range: 0.125, 1024.0,
        source: CALC,
        doc: "Memory per CPU, as on compute-optimised instances; Hostplan reads these GB as GiB, the unit instances are sold in.",
    }
    DiskUsdPerGbMonth {
        name: "disk_usd_per_gb_month", default: 0.08, unit: "USD/GB-month", range: 0.0, 1.0e6,
        source: CALC,
        doc: "The calculator's block storage price ($0.96 per GB-year, EBS gp3).",
    }
    ComputeUsdPerCpuMonth {
        name: "compute_usd_per_cpu_month", default: 20.85, unit: "USD/CPU-month", range: 0.0, 1.0e6,
        source: CALC,
        doc: "The calculator's compute price: average AWS compute-optimised Linux reserved instance, us-east-1.",
    }
    CalculatorCpuUtilizationPercent {
        name: "calculator_cpu_utilization_percent", default: 50.0, unit: "%", range: 1.0, 100.0,
        source: CALC,
        doc: "CPU utilisation at which users_per_cpu was measured.",
    }
    TargetUtilizationPercent {
        name: "target_utilization_percent", default: 70.0, unit: "%", range: 1.0, 100.0,
        source: HOSTPLAN,
        doc: "CPU utilisation Hostplan sizes hosts and nodes for; users_per_cpu is rescaled from the calculator's utilisation to this one.",
    }
    MinHostVcpu {
        name: "min_host_vcpu", default: 2.0, unit: "vCPU", range: 0.0, 1024.0,
        source: REQ,
        doc: "Smallest CPU size of the host or nodes running CHT (the app developer minimum).",
    }
    MinHostMemoryGib {
        name: "min_host_memory_gib", default: 4.0, unit: "GiB", range: 0.0, 16384.0,
        source: REQ,
        doc: "Smallest memory of the host or nodes running CHT (the app developer minimum).",
    }
    HoursPerMonth {
        name: "hours_per_month", default: 730.0, unit: "hours", range: 1.0, 744.0,
        source: "Hostplan assumption (8,760 hours a year / 12, as cloud providers bill)",
        doc: "Hours in a billing month, used to turn hourly prices into monthly ones.",
    }
    OfflineDocsLimit {
        name: "offline_docs_limit", default: 10_000.0, unit: "docs/user", range: 1.0, 1.0e9,
        source: "CHT docs, releases/3_7_0 and hosting/cht/multi-tenant",
        doc: "Recommended maximum number of documents replicated to one offline user.",
    }
    ComposeLogMibPerFile {
        name: "compose_log_mib_per_file", default: 50.0, unit: "MiB", range: 0.0, 1.0e6,
        source: "CHT compose files, LOG_MAX_SIZE 50m",
        doc: "Size of one rotated log file of a Docker container.",
    }
    ComposeLogFilesPerContainer {
        name: "compose_log_files_per_container", default: 20.0, unit: "files", range: 0.0, 1.0e4,
        source: "CHT compose files, LOG_MAX_FILES 20",
        doc: "Rotated log files Docker keeps per container.",
    }
    KubernetesLogMibPerFile {
        name: "kubernetes_log_mib_per_file", default: 10.0, unit: "MiB", range: 0.0, 1.0e6,
        source: "Kubernetes kubelet default containerLogMaxSize 10Mi",
        doc: "Size of one rotated log file of a Kubernetes container.",
    }
    KubernetesLogFilesPerContainer {
        name: "kubernetes_log_files_per_container", default: 5.0, unit: "files", range: 0.0, 1.0e4,
        source: "Kubernetes kubelet default containerLogMaxFiles 5",
        doc: "Rotated log files the kubelet keeps per container.",
    }
    BackupChangePercentPerDay {
        name: "backup_change_percent_per_day", default: 10.0, unit: "%/day", range: 0.0, 100.0,
        source: HOSTPLAN,
        doc: "Share of the CouchDB data that each day of snapshot-style backups stores again; CouchDB appends and compaction rewrites files, so it is larger than the new data.",
    }
    WatchdogVcpu {
        name: "watchdog_vcpu", default: 2.0, unit: "vCPU", range: 0.0, 1024.0,
        source: HOSTPLAN,
        doc: "CPU of the separate CHT Watchdog host (Prometheus, Grafana, json-exporter).",
    }
    WatchdogMemoryGib {
        name: "watchdog_memory_gib", default: 4.0, unit: "GiB", range: 0.0, 16384.0,
        source: HOSTPLAN,
        doc: "Memory of the separate CHT Watchdog host.",
    }
    AuxRootDiskGib {
        name: "aux_root_disk_gib", default: 20.0, unit: "GiB", range: 0.0, 1.0e6,
        source: "CHT docs, hosting/cht/requirements (control-plane node 20 GB)",
        doc: "Root disk of the hosts that do not run CHT itself: Watchdog, CHT Sync and Kubernetes control plane.",
    }
    PrometheusRetentionDays {
        name: "prometheus_retention_days", default: 60.0, unit: "days", range: 0.0, 3650.0,
        source: "CHT Watchdog, PROMETHEUS_RETENTION_TIME 60d",
        doc: "Days of metrics Prometheus keeps on the Watchdog host.",
    }
    PrometheusScrapeIntervalSeconds {
        name: "prometheus_scrape_interval_seconds", default: 300.0, unit: "s", range: 1.0, 86_400.0,
        source: "CHT Watchdog, prometheus.yml scrape_interval 5m",
        doc: "Seconds between two Prometheus scrapes of a CHT instance.",
    }
    PrometheusSeriesPerInstance {
        name: "prometheus_series_per_instance", default: 2_000.0, unit: "series", range: 0.0, 1.0e9,
        source: HOSTPLAN,
        doc: "Time series Prometheus stores per monitored CHT instance.",
    }
    PrometheusBytesPerSample {
        name: "prometheus_bytes_per_sample", default: 2.0, unit: "bytes", range: 0.0, 1024.0,
        source: "Prometheus docs, storage (1 to 2 bytes per sample)",
        doc: "Compressed size of one stored sample.",
    }
    PrometheusOverheadFactor {
        name: "prometheus_overhead_factor", default: 2.0, unit: "x samples", range: 1.0, 100.0,
        source: HOSTPLAN,
        doc: "Prometheus disk as a multiple of its compressed samples, for the write-ahead log and compaction.",
    }
    SyncPostgresKibPerDoc {
        name: "sync_postgres_kib_per_doc", default: 5.0, unit: "KiB/doc", range: 0.0, 1.0e6,
        source: "Hostplan assumption; measure it as CHT docs advise (sync 10%, multiply by 10)",
        doc: "PostgreSQL disk per synced CouchDB document: the raw jsonb row plus the dbt models built from it.",
    }
    SyncIndexOverheadPercent {
        name: "sync_index_overhead_percent", default: 20.0, unit: "%", range: 0.0, 1000.0,
        source: "CHT docs, hosting/analytics/building-dbt-models",
        doc: "PostgreSQL disk added for indexes, on top of the table data.",
    }
    SyncVcpu {
        name: "sync_vcpu", default: 2.0, unit: "vCPU", range: 0.0, 1024.0,
        source: "CHT Sync Helm chart limits (couch2pg 0.5, dbt 0.5, PostgreSQL 1 CPU)",
        doc: "CPU of CHT Sync: couch2pg, dbt and PostgreSQL together.",
    }
    SyncMemoryGib {
        name: "sync_memory_gib", default: 4.0, unit: "GiB", range: 0.0, 16384.0,
        source: "CHT Sync Helm chart limits (couch2pg 1, dbt 1, PostgreSQL 2 GiB)",
        doc: "Memory of CHT Sync: couch2pg, dbt and PostgreSQL together.",
    }
    ControlPlaneVcpu {
        name: "control_plane_vcpu", default: 2.0, unit: "vCPU", range: 0.0, 1024.0,
        source: REQ,
        doc: "CPU of the control-plane node of a self-managed Kubernetes cluster such as K3s.",
    }
    ControlPlaneMemoryGib {
        name: "control_plane_memory_gib", default: 2.0, unit: "GiB", range: 0.0, 16384.0,
        source: REQ,
        doc: "Memory of the control-plane node of a self-managed Kubernetes cluster such as K3s.",
    }
    CpuLimitFactor {
        name: "cpu_limit_factor", default: 2.0, unit: "x request", range: 1.0, 100.0,
        source: HOSTPLAN,
        doc: "CPU limit of each CHT container as a multiple of its request, so bursts such as view indexing are not throttled at once.",
    }
    MemoryLimitFactor {
        name: "memory_limit_factor", default: 1.5, unit: "x request", range: 1.0, 100.0,
        source: HOSTPLAN,
        doc: "Memory limit of each CHT container as a multiple of its request.",
    }
    CpuShareCouchdb {
        name: "cpu_share_couchdb", default: 50.0, unit: "%", range: 0.0, 100.0,
        source: HOSTPLAN,
        doc: "Share of the CHT CPU estimate given to CouchDB, split over its nodes.",
    }
    CpuShareNouveau {
        name: "cpu_share_nouveau", default: 10.0, unit: "%", range: 0.0, 100.0,
        source: HOSTPLAN,
        doc: "Share of the CHT CPU estimate given to Nouveau (CHT 5 and later).",
    }
    CpuShareApi {
        name: "cpu_share_api", default: 20.0, unit: "%", range: 0.0, 100.0,
        source: HOSTPLAN,
        doc: "Share of the CHT CPU estimate given to API.",
    }
    CpuShareSentinel {
        name: "cpu_share_sentinel", default: 10.0, unit: "%", range: 0.0, 100.0,
        source: HOSTPLAN,
        doc: "Share of the CHT CPU estimate given to Sentinel.",
    }
    CpuShareHaproxy {
        name: "cpu_share_haproxy", default: 5.0, unit: "%", range: 0.0, 100.0,
        source: HOSTPLAN,
        doc: "Share of the CHT CPU estimate given to HAProxy.",
    }
    CpuShareNginx {
        name: "cpu_share_nginx", default: 5.0, unit: "%", range: 0.0, 100.0,
        source: HOSTPLAN,
        doc: "Share of the CHT CPU estimate given to nginx (Docker Compose only).",
    }
    MemoryShareCouchdb {
        name: "memory_share_couchdb", default: 45.0, unit: "%", range: 0.0, 100.0,
        source: HOSTPLAN,
        doc: "Share of the CHT memory estimate given to CouchDB, split over its nodes.",
    }
    MemoryShareNouveau {
        name: "memory_share_nouveau", default: 20.0, unit: "%", range: 0.0, 100.0,
        source: HOSTPLAN,
        doc: "Share of the CHT memory estimate given to Nouveau, a Java process (CHT 5 and later).",
    }
    MemoryShareApi {
        name: "memory_share_api", default: 15.0, unit: "%", range: 0.0, 100.0,
        source: HOSTPLAN,
        doc: "Share of the CHT memory estimate given to API.",
    }
    MemoryShareSentinel {
        name: "memory_share_sentinel", default: 10.0, unit: "%", range: 0.0, 100.0,
        source: HOSTPLAN,
        doc: "Share of the CHT memory estimate given to Sentinel.",
    }
    MemoryShareHaproxy {
        name: "memory_share_haproxy", default: 5.0, unit: "%", range: 0.0, 100.0,
        source: HOSTPLAN,
        doc: "Share of the CHT memory estimate given to HAProxy.",
    }
    MemoryShareNginx {
        name: "memory_share_nginx", default: 5.0, unit: "%", range: 0.0, 100.0,
        source: HOSTPLAN,
        doc: "Share of the CHT memory estimate given to nginx (Docker Compose only).",
    }
    VolumeStepGib {
        name: "volume_step_gib", default: 10.0, unit: "GiB", range: 1.0, 1.0e6,
        source: HOSTPLAN,
        doc: "Volumes (CouchDB, PostgreSQL) are rounded up to a multiple of this size.",
    }
}

/// Every assumption in a fixed order: the order reports list them in.
pub fn registry() -> &'static [AssumptionDef] {
    DEFS
}

impl AssumptionKey {
    /// The name a plan writes in its `assumptions` block.
    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// Finds a key by the name a plan writes; names are matched exactly.
    pub fn from_name(name: &str) -> Option<AssumptionKey> {
        DEFS.iter().find(|def| def.name == name).map(|def| def.key)
    }
}

/// Checks one `name = value` line of a plan's `assumptions` block, so the checker can report it at its span.
pub fn check_override(name: &str, value: f64) -> Result<AssumptionKey, RejectReason> {
    let Some(key) = AssumptionKey::from_name(name) else {
        return Err(RejectReason::UnknownKey);
    };
    if !value.is_finite() {
        return Err(RejectReason::NotFinite);
    }
    let def = key.def();
    let in_range = def.min <= value && value <= def.max;
    if !in_range {
        return Err(RejectReason::OutOfRange {
            min: def.min,
            max: def.max,
        });
    }
    Ok(key)
}

impl fmt::Display for AssumptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The effective assumptions of one estimate: the registry defaults with the plan's valid overrides applied.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Assumptions {
    // Only overridden values are stored; a `BTreeMap` keeps any iteration in key order.
    overrides: BTreeMap<AssumptionKey, f64>,
}

/// An override the estimate did not apply, returned so the caller can report it at the plan's source location.
#[derive(Clone, Debug, PartialEq)]
pub struct RejectedOverride {
    /// The name as the plan wrote it.
    pub name: String,
    /// The value as the plan wrote it.
    pub value: f64,
    /// Why it was not applied.
    pub reason: RejectReason,
}

/// Why an override was not applied.
#[derive(Clone, Debug, PartialEq)]
pub enum RejectReason {
    /// No assumption has this name.
    UnknownKey,
    /// The value is NaN or infinite.
    NotFinite,
    /// The value lies outside the assumption's allowed range.
    OutOfRange {
        /// The smallest allowed value.
        min: f64,
        /// The largest allowed value.
        max: f64,
    },
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RejectReason::UnknownKey => f.write_str("unknown assumption"),
            RejectReason::NotFinite => f.write_str("value is not a finite number"),
            RejectReason::OutOfRange { min, max } => {
                write!(f, "value outside the allowed range {min} to {max}")
            }
        }
    }
}

/// One assumption as a report lists it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AssumptionEntry {
    /// The registry entry.
    pub def: &'static AssumptionDef,
    /// The value the estimate used.
    pub value: f64,
    /// Whether the plan overrode the default.
    pub overridden: bool,
}

impl Assumptions {
    /// Applies the plan's overrides to the defaults; overrides that cannot be applied are returned, in input order.
    ///
    /// When a name appears twice, the later value wins, as it would in a block read top to bottom.
    pub fn with_overrides(overrides: &[(String, f64)]) -> (Assumptions, Vec<RejectedOverride>) {
        let mut res = Assumptions::default();
        let mut rejected = Vec::new();
        for (name, value) in overrides {
            match check_override(name, *value) {
                Ok(key) => {
                    res.overrides.insert(key, *value);
                }
                Err(reason) => rejected.push(RejectedOverride {
                    name: name.clone(),
                    value: *value,
                    reason,
                }),
            }
        }
        (res, rejected)
    }

    /// The value the estimate uses for `key`.
    pub fn get(&self, key: AssumptionKey) -> f64 {
        match self.overrides.get(&key) {
            Some(value) => *value,
            None => key.def().default,
        }
    }

    /// Whether the plan overrode `key`.
    pub fn is_overridden(&self, key: AssumptionKey) -> bool {
        self.overrides.contains_key(&key)
    }

    /// Every assumption in registry order, with the value used and whether it was overridden.
    pub fn entries(&self) -> Vec<AssumptionEntry> {
        DEFS.iter()
            .map(|def| AssumptionEntry {
                def,
                value: self.get(def.key),
                overridden: self.is_overridden(def.key),
            })
            .collect()
    }
}
