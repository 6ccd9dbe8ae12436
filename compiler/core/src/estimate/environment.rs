//! The estimate of one environment: growth, compute, services, node groups, prices, hardware and line items.
//!
//! The model, step by step (each step names its assumptions in the line items it produces):
//!
//! 1. **Scale.** An environment at scale `s` serves `s` of the plan's users and of its population,
//!    rounded up, so a small test environment never rounds down to nothing.
//! 2. **Growth.** Year `y` serves `population x (1 + growth)^(y-1)` people (rounded down).
//!    Each year adds `workflows x population_y x docs_per_person_workflow_year` records, which accumulate.
//!    Contacts are the users, that year's people and their places; users stay as the plan states them.
//!    CouchDB data, headroom and PostgreSQL follow the calculator's ratios year by year.
//!    With 0% growth the last year reproduces the calculator exactly.
//! 3. **Compute at the peak.** The calculator's unrounded CPUs (`users x f / users_per_cpu`) were measured at
//!    its 50% utilisation, so the busy CPU is that times 50%; the CPU to provide is the busy CPU divided by the
//!    target utilisation, and memory is `ram_gb_per_cpu` per provided CPU; both are at least the minimum host.
//! 4. **Services.** The CHT CPU and memory are split over the containers by the `cpu_share_*` and
//!    `memory_share_*` assumptions, renormalised over the containers present: no nginx on Kubernetes
//!    (an ingress replaces it), no Nouveau before CHT 5. CouchDB's share is split over its nodes.
//! 5. **Node groups.** Docker Compose runs CHT on one host. Kubernetes runs dedicated CouchDB nodes
//!    (one per CouchDB node, each with its CouchDB share, plus Nouveau as on CHT 5.2, where node 1 carries it)
//!    and a scalable group for API, Sentinel and HAProxy; a self-managed cluster adds a control-plane node,
//!    a managed one pays the provider's cluster fee. CHT Sync and CHT Watchdog get their own host or group,
//!    Watchdog always outside the environment's machines, as CHT requires.
//! 6. **Storage.** The CouchDB volume holds the data and the upgrade headroom, split over the nodes and rounded
//!    up to the volume step. Root disks hold the root volume and the container logs of the containers on them.
//!    Backups follow the snapshot model of [`BackupEstimate`](crate::estimate::output::BackupEstimate).
//! 7. **Offline users.** Each offline role is assumed to cover the whole population, split evenly among its
//!    users, so a user of a role with `n` users replicates about `medic_docs / n` documents. This is stricter than
//!    dividing by all offline users: a supervisor replicates the whole area of their health workers.

use crate::estimate::{
    assumptions::{AssumptionKey, Assumptions},
    format,
    input::{EnvInput, EnvKind, Infra, PlanInput, ProviderPrices, Target},
    instance::{self, Need, Offer},
    money::Money,
    numbers,
    output::{
        BackupEstimate, Component, ComputeEstimate, EnvironmentEstimate, Finding, Hardware,
        HardwareCheck, LineItem, NodeGroup, NodeRole, PriceTable, QuantityUnit, RoleLoad, Service,
        ServiceResources, Severity, StorageEstimate, YearEstimate,
    },
};

/// CPU request above which a single-process Node.js service (API, Sentinel) gets a finding.
const SINGLE_PROCESS_MILLICPU: u64 = 2_000;

/// Scales above 10,000% are rejected as typing mistakes.
const MAX_SCALE_BASIS_POINTS: u64 = 1_000_000;

/// Plan-wide values every environment reads.
pub(crate) struct Ctx<'a> {
    pub(crate) assumptions: &'a Assumptions,
    pub(crate) plan: &'a PlanInput,
    pub(crate) horizon_years: u32,
    pub(crate) growth_percent: f64,
    pub(crate) total_users: u64,
    pub(crate) catalogue: &'a [Catalogue],
}

/// A provider's price table with its prices checked and converted to exact money.
pub(crate) struct Catalogue {
    pub(crate) table: PriceTable,
    pub(crate) offers: Vec<Offer>,
    pub(crate) block_gib_month: Option<Money>,
    pub(crate) object_gib_month: Option<Money>,
    pub(crate) cluster_hourly: Option<Money>,
}

/// Checks every price table once; unusable offers and prices become findings instead of failing the estimate.
pub(crate) fn validate_catalogue(
    catalogue: &[ProviderPrices],
    findings: &mut Vec<Finding>,
) -> Vec<Catalogue> {
    let mut res = Vec::new();
    for prices in catalogue {
        let mut offers = Vec::new();
        let mut invalid = Vec::new();
        for offer in &prices.instances {
            let memory_mib = if offer.memory_gib.is_finite() && 0.0 < offer.memory_gib {
                numbers::floor_u64(offer.memory_gib * 1024.0 + 0.5)
            } else {
                0
            };
            match Money::from_dollars(offer.hourly_usd) {
                Some(hourly) if 0 < offer.vcpu && 0 < memory_mib => offers.push(Offer {
                    name: offer.name.clone(),
                    vcpu: offer.vcpu,
                    memory_mib,
                    hourly,
                }),
                _ => invalid.push(offer.name.clone()),
            }
        }
        let mut price = |name: &str, value: f64| {
            let res = Money::from_dollars(value);
            if res.is_none() {
                invalid.push(name.to_owned());
            }
            res
        };
        let block_gib_month = price("block storage", prices.block_storage_gib_month);
        let object_gib_month = price("object storage", prices.object_storage_gib_month);
        let cluster_hourly = price("Kubernetes cluster", prices.kubernetes_cluster_hourly);
        if !invalid.is_empty() {
            findings.push(Finding {
                severity: Severity::Warning,
                code: "invalid-price",
                environment: None,
                message: format!(
                    "The {} price table has unusable entries (no vCPU, no memory, or a negative or non-finite price), which were left out: {}.",
                    prices.provider,
                    invalid.join(", ")
                ),
                assumptions: Vec::new(),
            });
        }
        res.push(Catalogue {
            table: PriceTable {
                provider: prices.provider.clone(),
                prices_date: prices.prices_date.clone(),
                prices_source: prices.prices_source.clone(),
            },
            offers,
            block_gib_month,
            object_gib_month,
            cluster_hourly,
        });
    }
    res
}

/// Estimates one environment, appending its findings.
pub(crate) fn estimate_environment(
    ctx: &Ctx<'_>,
    env: &EnvInput,
    findings: &mut Vec<Finding>,
) -> EnvironmentEstimate {
    let mut out = Findings {
        env: &env.name,
        findings,
    };
    let get = |key| ctx.assumptions.get(key);

    let scale_basis_points = match numbers::percent_to_basis_points(env.scale_percent) {
        Some(bp) if bp <= MAX_SCALE_BASIS_POINTS => bp,
        _ => {
            out.push(
                Severity::Warning,
                "scale-invalid",
                format!(
                    "The scale {}% is not between 0% and 10,000%; the environment was estimated at 100%.",
                    env.scale_percent
                ),
                Vec::new(),
            );
            10_000
        }
    };
    let couchdb_nodes = env.couchdb_nodes.max(1);
    let users = numbers::scale_up(ctx.total_users, scale_basis_points);
    let population = numbers::scale_up(ctx.plan.population, scale_basis_points);

    let years = grow(ctx, users, population, env.analytics_cht_sync);
    let peak = |field: fn(&YearEstimate) -> u64| years.iter().map(field).max().unwrap_or(0);
    let peak_docs = peak(|it| it.medic_docs);
    let couchdb_data_gib = peak(|it| it.couchdb_data_gib);
    let upgrade_headroom_gib = peak(|it| it.upgrade_headroom_gib);
    let postgres_gib = peak(|it| it.postgres_gib);

    let compute = compute(ctx.assumptions, users, peak_docs);
    let roles = role_loads(ctx, scale_basis_points, peak_docs);
    for role in &roles {
        let limit = numbers::ceil_u64(get(AssumptionKey::OfflineDocsLimit));
        let Some(docs) = role.docs_per_user else {
            continue;
        };
        if limit < docs {
            // Development environments hold synthetic data at a tiny scale, so there the limit only informs.
            let severity = match env.kind {
                EnvKind::Development => Severity::Info,
                EnvKind::Test | EnvKind::Staging | EnvKind::Production => Severity::Warning,
            };
            out.push(
                severity,
                "offline-docs-over-limit",
                format!(
                    "Each offline \"{}\" user would replicate about {} documents by year {} (the role's share of {} medic documents), above CHT's limit of about {}; narrow replication_depth, purge old reports or split the role's area.",
                    role.name,
                    format::int(docs),
                    ctx.horizon_years,
                    format::int(peak_docs),
                    format::int(limit)
                ),
                vec![
                    AssumptionKey::OfflineDocsLimit,
                    AssumptionKey::PlacesPerPerson,
                    AssumptionKey::DocsPerPersonWorkflowYear,
                ],
            );
        }
    }

    let services = split_services(
        ctx.assumptions,
        &env.target,
        ctx.plan.cht_major,
        couchdb_nodes,
        &compute,
    );

    for service in services
        .iter()
        .filter(|it| matches!(it.service, Service::Api | Service::Sentinel))
    {
        // API and Sentinel are single Node.js processes, which run their JavaScript on one core.
        if SINGLE_PROCESS_MILLICPU < service.cpu_request_millicpu {
            out.push(
                Severity::Info,
                "single-process-cpu",
                format!(
                    "{} gets a CPU request of {} vCPU, but it runs as one Node.js process, which executes its JavaScript on one core; consider lowering its CPU share and giving CouchDB more.",
                    service.service.name(),
                    format::vcpu(service.cpu_request_millicpu)
                ),
                vec![AssumptionKey::CpuShareApi, AssumptionKey::CpuShareSentinel],
            );
        }
    }

    let volume_step = numbers::ceil_u64(get(AssumptionKey::VolumeStepGib)).max(1);
    let couchdb_volume_gib = numbers::round_up_to(
        numbers::ceil_div(
            couchdb_data_gib.saturating_add(upgrade_headroom_gib),
            u64::from(couchdb_nodes),
        ),
        volume_step,
    );
    let postgres_volume_gib = env
        .analytics_cht_sync
        .then(|| numbers::round_up_to(postgres_gib.max(1), volume_step));
    let prometheus_gib = env
        .monitor_watchdog
        .then(|| prometheus_gib(ctx.assumptions));
    let backup = env.backup.and_then(|policy| {
        if policy.every_hours == 0 {
            out.push(
                Severity::Warning,
                "backup-interval-invalid",
                "The backup interval is zero hours; backup storage was not estimated.".to_owned(),
                Vec::new(),
            );
            return None;
        }
        Some(backup_estimate(
            ctx.assumptions,
            policy.every_hours,
            policy.keep_days,
            policy.offsite,
            couchdb_data_gib,
        ))
    });

    let prices = match &env.infra {
        Infra::Cloud {
            provider,
            price_factor_percent,
            ..
        } => {
            let factor = match numbers::percent_to_basis_points(*price_factor_percent) {
                Some(bp) => bp,
                None => {
                    out.push(
                        Severity::Warning,
                        "price-factor-invalid",
                        format!(
                            "The price factor {price_factor_percent}% is not a non-negative number; prices were used as listed."
                        ),
                        Vec::new(),
                    );
                    10_000
                }
            };
            let found = ctx
                .catalogue
                .iter()
                .find(|it| it.table.provider.eq_ignore_ascii_case(provider));
            if found.is_none() {
                out.push(
                    Severity::Warning,
                    "provider-not-in-catalogue",
                    format!(
                        "No price table for the provider \"{provider}\"; the environment is sized but not priced."
                    ),
                    Vec::new(),
                );
            }
            found.map(|catalogue| Prices::new(catalogue, factor))
        }
        Infra::Local | Infra::OnPrem { .. } => None,
    };

    let layout = Layout {
        assumptions: ctx.assumptions,
        env,
        cht_major: ctx.plan.cht_major,
        couchdb_nodes,
        compute: &compute,
        services: &services,
        prometheus_gib: prometheus_gib.unwrap_or(0),
    };
    let mut plans = layout.node_groups();
    match &prices {
        Some(prices) => choose_instances(ctx.assumptions, &mut plans, prices, &mut out),
        None => {
            if let Infra::OnPrem {
                cpu, memory_gib, ..
            } = &env.infra
            {
                spread_services_on_prem(&mut plans, *cpu, *memory_gib);
            }
        }
    }

    let storage = StorageEstimate {
        couchdb_data_gib,
        upgrade_headroom_gib,
        couchdb_volume_gib,
        logs_gib: plans
            .iter()
            .filter(|it| it.is_cht())
            .map(GroupPlan::logs_total)
            .sum(),
        containers: plans
            .iter()
            .filter(|it| it.is_cht())
            .map(GroupPlan::containers_total)
            .sum(),
        backup,
        postgres_gib: env.analytics_cht_sync.then_some(postgres_gib),
        postgres_volume_gib,
        prometheus_gib,
    };

    let peak_year = ctx.horizon_years;
    let items = LineItems {
        assumptions: ctx.assumptions,
        env,
        prices: prices.as_ref(),
        couchdb_nodes,
        peak_year,
        peak_docs,
        storage: &storage,
        plans: &plans,
    };
    let line_items = items.build();

    let monthly_cost = match &prices {
        Some(_) => {
            let all_priced = line_items.iter().all(|it| it.monthly.is_some());
            if all_priced {
                Some(
                    line_items
                        .iter()
                        .filter_map(|it| it.monthly)
                        .fold(Money::ZERO, Money::saturating_add),
                )
            } else {
                out.push(
                    Severity::Warning,
                    "cost-incomplete",
                    "Some line items have no price (no instance type fits, or the price table lacks a price), so no monthly total is given.".to_owned(),
                    Vec::new(),
                );
                None
            }
        }
        None => None,
    };

    let hardware = match &env.infra {
        Infra::Cloud { .. } => None,
        Infra::Local => Some(hardware_check(
            &plans,
            couchdb_nodes,
            &env.target,
            &storage,
            None,
        )),
        Infra::OnPrem {
            nodes,
            cpu,
            memory_gib,
            disk_gib,
        } => {
            let provided = OnPremNode {
                nodes: *nodes,
                cpu: *cpu,
                memory_gib: *memory_gib,
                disk_gib: *disk_gib,
            };
            let check =
                hardware_check(&plans, couchdb_nodes, &env.target, &storage, Some(provided));
            let short = check.shortfall.is_some_and(|it| !it.is_zero());
            if short || !check.misfits.is_empty() {
                out.push(
                    Severity::Warning,
                    "onprem-shortfall",
                    shortfall_message(&check),
                    vec![
                        AssumptionKey::TargetUtilizationPercent,
                        AssumptionKey::DbOverprovisionFactor,
                    ],
                );
            }
            Some(check)
        }
    };

    EnvironmentEstimate {
        name: env.name.clone(),
        kind: env.kind,
        target: env.target.clone(),
        infra: env.infra.clone(),
        scale_basis_points,
        couchdb_nodes,
        users,
        roles,
        years,
        compute,
        storage,
        services,
        node_groups: plans.into_iter().map(|it| it.group).collect(),
        hardware,
        line_items,
        prices: prices.map(|it| it.table),
        monthly_cost,
    }
}

/// Appends findings for one environment.
struct Findings<'a> {
    env: &'a str,
    findings: &'a mut Vec<Finding>,
}

impl Findings<'_> {
    fn push(
        &mut self,
        severity: Severity,
        code: &'static str,
        message: String,
        assumptions: Vec<AssumptionKey>,
    ) {
        self.findings.push(Finding {
            severity,
            code,
            environment: Some(self.env.to_owned()),
            message,
            assumptions,
        });
    }
}

fn grow(ctx: &Ctx<'_>, users: u64, population: u64, analytics: bool) -> Vec<YearEstimate> {
    let get = |key| ctx.assumptions.get(key);
    let growth = 1.0 + ctx.growth_percent / 100.0;
    let mut factor = 1.0_f64;
    let mut records = 0_u64;
    let mut res = Vec::new();
    for year in 1..=ctx.horizon_years {
        let population = if year == 1 {
            population
        } else {
            factor *= growth;
            numbers::floor_u64(population as f64 * factor)
        };
        let records_in_year = numbers::floor_u64(
            ctx.plan.workflows as f64
                * population as f64
                * get(AssumptionKey::DocsPerPersonWorkflowYear),
        );
        records = records.saturating_add(records_in_year);
        let places = numbers::floor_u64(population as f64 * get(AssumptionKey::PlacesPerPerson));
        let contacts = users.saturating_add(population).saturating_add(places);
        let medic_docs = contacts.saturating_add(records);
        let couchdb_data_gib = numbers::ceil_u64(numbers::div(
            medic_docs as f64,
            get(AssumptionKey::MedicDocsPerGb),
        ))
        .max(1);
        let upgrade_headroom_gib =
            numbers::ceil_u64(couchdb_data_gib as f64 * get(AssumptionKey::DbOverprovisionFactor));
        let postgres_gib = if analytics {
            let kib = medic_docs as f64
                * get(AssumptionKey::SyncPostgresKibPerDoc)
                * (1.0 + get(AssumptionKey::SyncIndexOverheadPercent) / 100.0);
            numbers::ceil_u64(kib / 1_048_576.0)
        } else {
            0
        };
        res.push(YearEstimate {
            year,
            population,
            places,
            contacts,
            records_in_year,
            medic_docs,
            couchdb_data_gib,
            upgrade_headroom_gib,
            postgres_gib,
            storage_gib: couchdb_data_gib
                .saturating_add(upgrade_headroom_gib)
                .saturating_add(postgres_gib),
        });
    }
    res
}

fn compute(assumptions: &Assumptions, users: u64, peak_docs: u64) -> ComputeEstimate {
    let get = |key| assumptions.get(key);
    let docs_per_user = numbers::div(peak_docs as f64, users as f64);
    let cpu_factor = numbers::div(docs_per_user, get(AssumptionKey::DocsPerUserBaseline)).max(1.0);
    let calculator_cpus_exact =
        numbers::div(users as f64 * cpu_factor, get(AssumptionKey::UsersPerCpu));
    let load = calculator_cpus_exact * get(AssumptionKey::CalculatorCpuUtilizationPercent) / 100.0;
    let required_vcpu = numbers::div(load, get(AssumptionKey::TargetUtilizationPercent) / 100.0)
        .max(get(AssumptionKey::MinHostVcpu));
    let required_memory_gib =
        (required_vcpu * get(AssumptionKey::RamGbPerCpu)).max(get(AssumptionKey::MinHostMemoryGib));
    ComputeEstimate {
        docs_per_user: numbers::floor_u64(docs_per_user),
        cpu_factor,
        calculator_cpus: numbers::ceil_u64(calculator_cpus_exact).max(1),
        load_millicpu: numbers::ceil_u64(load * 1000.0),
        required_millicpu: numbers::ceil_u64(required_vcpu * 1000.0),
        required_memory_mib: numbers::ceil_u64(required_memory_gib * 1024.0),
    }
}

/// The assumptions behind [`ComputeEstimate::required_millicpu`] and its memory.
const COMPUTE_KEYS: &[AssumptionKey] = &[
    AssumptionKey::UsersPerCpu,
    AssumptionKey::DocsPerUserBaseline,
    AssumptionKey::CalculatorCpuUtilizationPercent,
    AssumptionKey::TargetUtilizationPercent,
    AssumptionKey::RamGbPerCpu,
    AssumptionKey::MinHostVcpu,
    AssumptionKey::MinHostMemoryGib,
];

fn role_loads(ctx: &Ctx<'_>, scale_basis_points: u64, peak_docs: u64) -> Vec<RoleLoad> {
    ctx.plan
        .roles
        .iter()
        .map(|role| {
            let users = numbers::scale_up(role.count, scale_basis_points);
            let docs_per_user =
                (role.offline && 0 < users).then(|| numbers::ceil_div(peak_docs, users));
            RoleLoad {
                name: role.name.clone(),
                users,
                offline: role.offline,
                docs_per_user,
            }
        })
        .collect()
}

fn share_keys(service: Service) -> (AssumptionKey, AssumptionKey) {
    match service {
        Service::Couchdb => (
            AssumptionKey::CpuShareCouchdb,
            AssumptionKey::MemoryShareCouchdb,
        ),
        Service::Nouveau => (
            AssumptionKey::CpuShareNouveau,
            AssumptionKey::MemoryShareNouveau,
        ),
        Service::Api => (AssumptionKey::CpuShareApi, AssumptionKey::MemoryShareApi),
        Service::Sentinel => (
            AssumptionKey::CpuShareSentinel,
            AssumptionKey::MemoryShareSentinel,
        ),
        Service::Haproxy => (
            AssumptionKey::CpuShareHaproxy,
            AssumptionKey::MemoryShareHaproxy,
        ),
        Service::Nginx => (
            AssumptionKey::CpuShareNginx,
            AssumptionKey::MemoryShareNginx,
        ),
    }
}

/// Requests are rounded up to 10 milli-CPUs and 16 MiB, with floors of 50m and 64Mi, so no container gets a
/// request too small to start.
fn split_services(
    assumptions: &Assumptions,
    target: &Target,
    cht_major: u32,
    couchdb_nodes: u32,
    compute: &ComputeEstimate,
) -> Vec<ServiceResources> {
    let get = |key| assumptions.get(key);
    let mut present = vec![Service::Couchdb];
    if 5 <= cht_major {
        present.push(Service::Nouveau);
    }
    present.extend([Service::Api, Service::Sentinel, Service::Haproxy]);
    if matches!(target, Target::Compose) {
        present.push(Service::Nginx);
    }
    let total = |pick: fn((AssumptionKey, AssumptionKey)) -> AssumptionKey| -> f64 {
        present.iter().map(|it| get(pick(share_keys(*it)))).sum()
    };
    let cpu_total = total(|keys| keys.0);
    let memory_total = total(|keys| keys.1);
    let even = 1.0 / present.len() as f64;
    let share = |value: f64, total: f64| if 0.0 < total { value / total } else { even };

    present
        .iter()
        .map(|service| {
            let (cpu_key, memory_key) = share_keys(*service);
            let replicas = if *service == Service::Couchdb {
                couchdb_nodes
            } else {
                1
            };
            let cpu = compute.required_millicpu as f64 * share(get(cpu_key), cpu_total)
                / f64::from(replicas);
            let memory = compute.required_memory_mib as f64 * share(get(memory_key), memory_total)
                / f64::from(replicas);
            let cpu_request = numbers::round_up_to(numbers::ceil_u64(cpu), 10).max(50);
            let memory_request = numbers::round_up_to(numbers::ceil_u64(memory), 16).max(64);
            let mut keys = COMPUTE_KEYS.to_vec();
            keys.extend([
                cpu_key,
                memory_key,
                AssumptionKey::CpuLimitFactor,
                AssumptionKey::MemoryLimitFactor,
            ]);
            ServiceResources {
                service: *service,
                replicas,
                cpu_request_millicpu: cpu_request,
                cpu_limit_millicpu: numbers::round_up_to(
                    numbers::ceil_u64(cpu_request as f64 * get(AssumptionKey::CpuLimitFactor)),
                    10,
                ),
                memory_request_mib: memory_request,
                memory_limit_mib: numbers::round_up_to(
                    numbers::ceil_u64(
                        memory_request as f64 * get(AssumptionKey::MemoryLimitFactor),
                    ),
                    16,
                ),
                assumptions: keys,
            }
        })
        .collect()
}

fn backup_estimate(
    assumptions: &Assumptions,
    every_hours: u32,
    keep_days: u32,
    offsite: bool,
    data_gib: u64,
) -> BackupEstimate {
    let copies = numbers::ceil_div(u64::from(keep_days) * 24, u64::from(every_hours)).max(1);
    let per_day =
        numbers::percent_to_basis_points(assumptions.get(AssumptionKey::BackupChangePercentPerDay))
            .unwrap_or(0);
    let change_per_copy_basis_points =
        ((u128::from(per_day) * u128::from(every_hours) + 12) / 24).min(10_000) as u64;
    let increments =
        u128::from(copies - 1) * u128::from(data_gib) * u128::from(change_per_copy_basis_points);
    let increments_gib = u64::try_from(increments.div_ceil(10_000)).unwrap_or(u64::MAX);
    let backup_gib = data_gib.saturating_add(increments_gib);
    BackupEstimate {
        every_hours,
        keep_days,
        copies,
        change_per_copy_basis_points,
        data_gib,
        backup_gib,
        offsite_gib: if offsite { backup_gib } else { 0 },
    }
}

fn prometheus_gib(assumptions: &Assumptions) -> u64 {
    let get = |key| assumptions.get(key);
    let samples_per_day = numbers::div(
        86_400.0,
        get(AssumptionKey::PrometheusScrapeIntervalSeconds),
    );
    let bytes = get(AssumptionKey::PrometheusSeriesPerInstance)
        * samples_per_day
        * get(AssumptionKey::PrometheusRetentionDays)
        * get(AssumptionKey::PrometheusBytesPerSample)
        * get(AssumptionKey::PrometheusOverheadFactor);
    numbers::ceil_u64(bytes / 1_073_741_824.0).max(1)
}

/// The assumptions behind the Prometheus disk.
const PROMETHEUS_KEYS: &[AssumptionKey] = &[
    AssumptionKey::PrometheusSeriesPerInstance,
    AssumptionKey::PrometheusScrapeIntervalSeconds,
    AssumptionKey::PrometheusRetentionDays,
    AssumptionKey::PrometheusBytesPerSample,
    AssumptionKey::PrometheusOverheadFactor,
];

/// A price table with the environment's regional price factor applied.
struct Prices {
    table: PriceTable,
    offers: Vec<Offer>,
    block_gib_month: Option<Money>,
    object_gib_month: Option<Money>,
    cluster_hourly: Option<Money>,
}

impl Prices {
    fn new(catalogue: &Catalogue, factor_basis_points: u64) -> Prices {
        let scale = |price: Money| price.scale_basis_points(factor_basis_points);
        Prices {
            table: catalogue.table.clone(),
            offers: catalogue
                .offers
                .iter()
                .map(|offer| Offer {
                    hourly: scale(offer.hourly),
                    ..offer.clone()
                })
                .collect(),
            block_gib_month: catalogue.block_gib_month.map(scale),
            object_gib_month: catalogue.object_gib_month.map(scale),
            cluster_hourly: catalogue.cluster_hourly.map(scale),
        }
    }
}

/// A node group while it is being planned, with the parts of its root disk kept apart for the line items.
struct GroupPlan {
    group: NodeGroup,
    /// The largest single container of the group, which one node must hold.
    largest_millicpu: u64,
    largest_memory_mib: u64,
    /// For a scalable group, the total need, which is split over the nodes once their count is known.
    total_millicpu: u64,
    total_memory_mib: u64,
    scalable: bool,
    root_base_gib: u64,
    logs_gib_per_node: u64,
    containers_per_node: u64,
    log_budget_mib: u64,
    log_keys: &'static [AssumptionKey],
    load_keys: Vec<AssumptionKey>,
}

impl GroupPlan {
    /// Whether the group runs CHT itself (its root disks and logs are CHT storage line items).
    fn is_cht(&self) -> bool {
        matches!(
            self.group.role,
            NodeRole::ChtHost | NodeRole::Couchdb | NodeRole::Services | NodeRole::ControlPlane
        )
    }

    fn logs_total(&self) -> u64 {
        self.logs_gib_per_node
            .saturating_mul(u64::from(self.group.nodes))
    }

    fn containers_total(&self) -> u64 {
        self.containers_per_node
            .saturating_mul(u64::from(self.group.nodes))
    }

    fn set_nodes(&mut self, nodes: u32) {
        let nodes = nodes.max(1);
        self.group.nodes = nodes;
        if self.scalable {
            self.group.millicpu_per_node = numbers::ceil_div(self.total_millicpu, u64::from(nodes));
            self.group.memory_mib_per_node =
                numbers::ceil_div(self.total_memory_mib, u64::from(nodes));
        }
    }
}

/// The shape of one node group before its instance type is known.
struct GroupSpec {
    role: NodeRole,
    nodes: u32,
    millicpu: u64,
    memory_mib: u64,
    root_base_gib: u64,
    containers_per_node: u64,
    log_keys: &'static [AssumptionKey],
    load_keys: Vec<AssumptionKey>,
    /// The largest single container's CPU and memory, when it is less than the node's need.
    largest: Option<(u64, u64)>,
}

/// Everything needed to lay out an environment's hosts and node groups.
struct Layout<'a> {
    assumptions: &'a Assumptions,
    env: &'a EnvInput,
    cht_major: u32,
    couchdb_nodes: u32,
    compute: &'a ComputeEstimate,
    services: &'a [ServiceResources],
    prometheus_gib: u64,
}

const COMPOSE_LOG_KEYS: &[AssumptionKey] = &[
    AssumptionKey::ComposeLogMibPerFile,
    AssumptionKey::ComposeLogFilesPerContainer,
];
const KUBERNETES_LOG_KEYS: &[AssumptionKey] = &[
    AssumptionKey::KubernetesLogMibPerFile,
    AssumptionKey::KubernetesLogFilesPerContainer,
];

impl Layout<'_> {
    fn get(&self, key: AssumptionKey) -> f64 {
        self.assumptions.get(key)
    }

    fn budget(&self, keys: &[AssumptionKey]) -> u64 {
        numbers::ceil_u64(keys.iter().map(|key| self.get(*key)).product())
    }

    fn request(&self, service: Service) -> (u64, u64) {
        self.services
            .iter()
            .find(|it| it.service == service)
            .map_or((0, 0), |it| {
                (it.cpu_request_millicpu, it.memory_request_mib)
            })
    }

    fn plan(&self, spec: GroupSpec) -> GroupPlan {
        let log_budget_mib = self.budget(spec.log_keys);
        let logs_gib_per_node = numbers::ceil_div(
            spec.containers_per_node.saturating_mul(log_budget_mib),
            1024,
        );
        GroupPlan {
            group: NodeGroup {
                role: spec.role,
                nodes: spec.nodes,
                millicpu_per_node: spec.millicpu,
                memory_mib_per_node: spec.memory_mib,
                root_disk_gib_per_node: spec.root_base_gib.saturating_add(logs_gib_per_node),
                sized_by_load: matches!(
                    spec.role,
                    NodeRole::ChtHost | NodeRole::Couchdb | NodeRole::Services
                ),
                instance: None,
            },
            total_millicpu: spec.millicpu,
            total_memory_mib: spec.memory_mib,
            largest_millicpu: spec.largest.map_or(spec.millicpu, |it| it.0),
            largest_memory_mib: spec.largest.map_or(spec.memory_mib, |it| it.1),
            scalable: spec.role == NodeRole::Services,
            root_base_gib: spec.root_base_gib,
            logs_gib_per_node,
            containers_per_node: spec.containers_per_node,
            log_budget_mib,
            log_keys: spec.log_keys,
            load_keys: spec.load_keys,
        }
    }

    fn node_groups(&self) -> Vec<GroupPlan> {
        let root = numbers::ceil_u64(self.get(AssumptionKey::RootVolumeGb));
        let aux_root = numbers::ceil_u64(self.get(AssumptionKey::AuxRootDiskGib));
        let gib = |key| numbers::ceil_u64(self.get(key) * 1024.0);
        let millicpu = |key| numbers::ceil_u64(self.get(key) * 1000.0);
        let nouveau = u64::from(5 <= self.cht_major);
        let nodes = u64::from(self.couchdb_nodes);
        let mut res = Vec::new();
        let log_keys = match self.env.target {
            Target::Compose => COMPOSE_LOG_KEYS,
            Target::Kubernetes { .. } => KUBERNETES_LOG_KEYS,
        };
        match &self.env.target {
            Target::Compose => {
                // nginx, api, sentinel, haproxy and the upgrade service, the CouchDB nodes, Nouveau on CHT 5,
                // and the HAProxy health check on clusters (and on every CHT 4 stack).
                let healthcheck = u64::from(self.cht_major < 5 || 1 < nodes);
                let containers = 5 + nodes + nouveau + healthcheck;
                res.push(self.plan(GroupSpec {
                    role: NodeRole::ChtHost,
                    nodes: 1,
                    millicpu: self.compute.required_millicpu,
                    memory_mib: self.compute.required_memory_mib,
                    root_base_gib: root,
                    containers_per_node: containers,
                    log_keys,
                    load_keys: COMPUTE_KEYS.to_vec(),
                    largest: None,
                }));
            }
            Target::Kubernetes { distribution } => {
                let (couch_cpu, couch_memory) = self.request(Service::Couchdb);
                let (nouveau_cpu, nouveau_memory) = self.request(Service::Nouveau);
                let mut couch_keys = COMPUTE_KEYS.to_vec();
                couch_keys.extend([
                    AssumptionKey::CpuShareCouchdb,
                    AssumptionKey::MemoryShareCouchdb,
                    AssumptionKey::CpuShareNouveau,
                    AssumptionKey::MemoryShareNouveau,
                ]);
                res.push(self.plan(GroupSpec {
                    role: NodeRole::Couchdb,
                    nodes: self.couchdb_nodes,
                    millicpu: couch_cpu.saturating_add(nouveau_cpu),
                    memory_mib: couch_memory.saturating_add(nouveau_memory),
                    root_base_gib: root,
                    containers_per_node: 1 + nouveau,
                    log_keys,
                    load_keys: couch_keys,
                    largest: None,
                }));
                let mut cpu = 0_u64;
                let mut memory = 0_u64;
                let mut largest = (0_u64, 0_u64);
                for service in [Service::Api, Service::Sentinel, Service::Haproxy] {
                    let (c, m) = self.request(service);
                    cpu = cpu.saturating_add(c);
                    memory = memory.saturating_add(m);
                    largest = (largest.0.max(c), largest.1.max(m));
                }
                // API, Sentinel, HAProxy and its health check, and the upgrade service of the CHT 4 chart.
                let containers = 4 + u64::from(self.cht_major < 5);
                let mut services_keys = COMPUTE_KEYS.to_vec();
                services_keys.extend([
                    AssumptionKey::CpuShareApi,
                    AssumptionKey::CpuShareSentinel,
                    AssumptionKey::CpuShareHaproxy,
                    AssumptionKey::MemoryShareApi,
                    AssumptionKey::MemoryShareSentinel,
                    AssumptionKey::MemoryShareHaproxy,
                ]);
                res.push(self.plan(GroupSpec {
                    role: NodeRole::Services,
                    nodes: 1,
                    millicpu: cpu,
                    memory_mib: memory,
                    root_base_gib: root,
                    containers_per_node: containers,
                    log_keys,
                    load_keys: services_keys,
                    largest: Some(largest),
                }));
                let managed =
                    distribution.is_managed() && matches!(self.env.infra, Infra::Cloud { .. });
                if !managed {
                    res.push(self.plan(GroupSpec {
                        role: NodeRole::ControlPlane,
                        nodes: 1,
                        millicpu: millicpu(AssumptionKey::ControlPlaneVcpu),
                        memory_mib: gib(AssumptionKey::ControlPlaneMemoryGib),
                        root_base_gib: aux_root,
                        containers_per_node: 0,
                        log_keys,
                        load_keys: vec![
                            AssumptionKey::ControlPlaneVcpu,
                            AssumptionKey::ControlPlaneMemoryGib,
                        ],
                        largest: None,
                    }));
                }
            }
        }
        if self.env.analytics_cht_sync {
            // couch2pg, dbt and PostgreSQL.
            res.push(self.plan(GroupSpec {
                role: NodeRole::ChtSync,
                nodes: 1,
                millicpu: millicpu(AssumptionKey::SyncVcpu),
                memory_mib: gib(AssumptionKey::SyncMemoryGib),
                root_base_gib: aux_root,
                containers_per_node: 3,
                log_keys,
                load_keys: vec![AssumptionKey::SyncVcpu, AssumptionKey::SyncMemoryGib],
                largest: None,
            }));
        }
        if self.env.monitor_watchdog {
            // Prometheus, Grafana and json-exporter, always on Docker Compose with CHT's logging settings;
            // Prometheus keeps its data on the host's disk.
            res.push(self.plan(GroupSpec {
                role: NodeRole::Watchdog,
                nodes: 1,
                millicpu: millicpu(AssumptionKey::WatchdogVcpu),
                memory_mib: gib(AssumptionKey::WatchdogMemoryGib),
                root_base_gib: aux_root.saturating_add(self.prometheus_gib),
                containers_per_node: 3,
                log_keys: COMPOSE_LOG_KEYS,
                load_keys: vec![
                    AssumptionKey::WatchdogVcpu,
                    AssumptionKey::WatchdogMemoryGib,
                ],
                largest: None,
            }));
        }
        res
    }
}

fn basis(assumptions: &Assumptions, group: &NodeGroup) -> String {
    match group.role {
        NodeRole::ChtHost | NodeRole::Couchdb | NodeRole::Services => format!(
            "needed at a {}% CPU utilisation target",
            assumptions.get(AssumptionKey::TargetUtilizationPercent)
        ),
        NodeRole::ControlPlane => "needed by the control plane".to_owned(),
        NodeRole::ChtSync => "needed by CHT Sync".to_owned(),
        NodeRole::Watchdog => "needed by CHT Watchdog".to_owned(),
    }
}

fn choose_instances(
    assumptions: &Assumptions,
    plans: &mut [GroupPlan],
    prices: &Prices,
    out: &mut Findings<'_>,
) {
    let hours = numbers::ceil_u64(assumptions.get(AssumptionKey::HoursPerMonth));
    for plan in plans.iter_mut() {
        let group = &plan.group;
        let need = if plan.scalable {
            let disk_price = prices.block_gib_month.unwrap_or(Money::ZERO);
            Need::Scalable {
                millicpu: plan.total_millicpu,
                memory_mib: plan.total_memory_mib,
                largest_millicpu: plan.largest_millicpu,
                largest_memory_mib: plan.largest_memory_mib,
                node_extra_monthly: disk_price.times(group.root_disk_gib_per_node),
            }
        } else {
            Need::Fixed {
                nodes: group.nodes,
                millicpu: group.millicpu_per_node,
                memory_mib: group.memory_mib_per_node,
            }
        };
        let basis = basis(assumptions, group);
        match instance::choose(&prices.offers, need, hours, &basis) {
            Some(choice) => {
                plan.set_nodes(choice.nodes);
                plan.group.instance = Some(choice);
            }
            None => out.push(
                Severity::Warning,
                "no-instance-fits",
                format!(
                    "No {} instance type has {} vCPU and {} GiB for the {}; add larger instance types to the price table or change the target.",
                    prices.table.provider,
                    format::vcpu(group.millicpu_per_node),
                    format::gib(group.memory_mib_per_node),
                    group.role.label()
                ),
                plan.load_keys.clone(),
            ),
        }
    }
}

/// On premises, the CHT services share the plan's machines; their node count is what the machines' size implies.
fn spread_services_on_prem(plans: &mut [GroupPlan], cpu: u32, memory_gib: u64) {
    for plan in plans.iter_mut().filter(|it| it.scalable) {
        let by_cpu = numbers::ceil_div(plan.total_millicpu, u64::from(cpu) * 1000);
        let by_memory = numbers::ceil_div(plan.total_memory_mib, memory_gib.saturating_mul(1024));
        let nodes = u32::try_from(by_cpu.max(by_memory).max(1)).unwrap_or(u32::MAX);
        plan.set_nodes(nodes);
    }
}

/// The size of one on-premises machine and how many there are.
#[derive(Clone, Copy)]
struct OnPremNode {
    nodes: u32,
    cpu: u32,
    memory_gib: u64,
    disk_gib: u64,
}

fn hardware_check(
    plans: &[GroupPlan],
    couchdb_nodes: u32,
    target: &Target,
    storage: &StorageEstimate,
    provided: Option<OnPremNode>,
) -> HardwareCheck {
    let own: Vec<&GroupPlan> = plans
        .iter()
        .filter(|it| it.group.role != NodeRole::Watchdog)
        .collect();
    let nodes_of = |plan: &GroupPlan| u64::from(plan.group.nodes);
    let millicpu: u64 = own
        .iter()
        .map(|it| it.group.millicpu_per_node.saturating_mul(nodes_of(it)))
        .sum();
    let memory_mib: u64 = own
        .iter()
        .map(|it| it.group.memory_mib_per_node.saturating_mul(nodes_of(it)))
        .sum();
    let couchdb_nodes = u64::from(couchdb_nodes);
    // Every CouchDB node has its own volume, on the one Compose host or on its own Kubernetes node.
    let couchdb_volumes = storage.couchdb_volume_gib.saturating_mul(couchdb_nodes);
    let disk: u64 = own
        .iter()
        .map(|it| it.group.root_disk_gib_per_node.saturating_mul(nodes_of(it)))
        .sum::<u64>()
        .saturating_add(couchdb_volumes)
        .saturating_add(storage.postgres_volume_gib.unwrap_or(0));
    // Compose runs CHT on one machine and CHT Sync on another; Kubernetes pins each CouchDB node to its own machine
    // and lets everything else share them.
    let machines = match target {
        Target::Compose => 1 + u64::from(plans.iter().any(|it| it.group.role == NodeRole::ChtSync)),
        Target::Kubernetes { .. } => couchdb_nodes,
    };
    let required = Hardware {
        machines,
        cores: numbers::ceil_div(millicpu, 1000),
        memory_gib: numbers::ceil_div(memory_mib, 1024),
        disk_gib: disk,
    };
    let separate_hosts = plans
        .iter()
        .filter(|it| it.group.role == NodeRole::Watchdog)
        .map(|it| {
            (
                it.group.role,
                Hardware {
                    machines: 1,
                    cores: numbers::ceil_div(it.group.millicpu_per_node, 1000),
                    memory_gib: numbers::ceil_div(it.group.memory_mib_per_node, 1024),
                    disk_gib: it.group.root_disk_gib_per_node,
                },
            )
        })
        .collect();
    let backup_storage_gib = storage
        .backup
        .as_ref()
        .map_or(0, |it| it.backup_gib.saturating_add(it.offsite_gib));

    let Some(node) = provided else {
        return HardwareCheck {
            required,
            provided: None,
            shortfall: None,
            misfits: Vec::new(),
            separate_hosts,
            backup_storage_gib,
        };
    };
    let count = u64::from(node.nodes);
    let provided = Hardware {
        machines: count,
        cores: count.saturating_mul(u64::from(node.cpu)),
        memory_gib: count.saturating_mul(node.memory_gib),
        disk_gib: count.saturating_mul(node.disk_gib),
    };
    let shortfall = Hardware {
        machines: required.machines.saturating_sub(provided.machines),
        cores: required.cores.saturating_sub(provided.cores),
        memory_gib: required.memory_gib.saturating_sub(provided.memory_gib),
        disk_gib: required.disk_gib.saturating_sub(provided.disk_gib),
    };
    let mut misfits = Vec::new();
    for plan in &own {
        let group = &plan.group;
        if group.role == NodeRole::Services {
            // The services spread over the machines, but each container must fit on one of them.
            let cpu_short = u64::from(node.cpu) * 1000 < plan.largest_millicpu;
            let memory_short = node.memory_gib.saturating_mul(1024) < plan.largest_memory_mib;
            if cpu_short || memory_short {
                misfits.push(format!(
                    "the largest CHT service container needs {} vCPU and {} GiB memory on one machine; each machine has {} CPU and {} GiB memory.",
                    format::vcpu(plan.largest_millicpu),
                    format::gib(plan.largest_memory_mib),
                    node.cpu,
                    format::int(node.memory_gib)
                ));
            }
            continue;
        }
        if !matches!(
            group.role,
            NodeRole::ChtHost | NodeRole::Couchdb | NodeRole::ChtSync
        ) {
            continue;
        }
        let volumes = match group.role {
            NodeRole::ChtHost => couchdb_volumes,
            NodeRole::Couchdb => storage.couchdb_volume_gib,
            _ => storage.postgres_volume_gib.unwrap_or(0),
        };
        let disk = group.root_disk_gib_per_node.saturating_add(volumes);
        let cpu_short = u64::from(node.cpu) * 1000 < group.millicpu_per_node;
        let memory_short = node.memory_gib.saturating_mul(1024) < group.memory_mib_per_node;
        let disk_short = node.disk_gib < disk;
        if cpu_short || memory_short || disk_short {
            let per = if group.role == NodeRole::Couchdb {
                "each "
            } else {
                "the "
            };
            misfits.push(format!(
                "{per}{} needs {} vCPU, {} GiB memory and {} GiB disk on one machine; each machine has {} CPU, {} GiB memory and {} GiB disk.",
                group.role.singular(),
                format::vcpu(group.millicpu_per_node),
                format::gib(group.memory_mib_per_node),
                format::int(disk),
                node.cpu,
                format::int(node.memory_gib),
                format::int(node.disk_gib)
            ));
        }
    }
    HardwareCheck {
        required,
        provided: Some(provided),
        shortfall: Some(shortfall),
        misfits,
        separate_hosts,
        backup_storage_gib,
    }
}

fn shortfall_message(check: &HardwareCheck) -> String {
    let mut parts = Vec::new();
    if let Some(short) = &check.shortfall {
        if 0 < short.machines {
            let noun = if short.machines == 1 {
                "machine"
            } else {
                "machines"
            };
            parts.push(format!("{} more {noun}", short.machines));
        }
        if 0 < short.cores {
            let noun = if short.cores == 1 {
                "CPU core"
            } else {
                "CPU cores"
            };
            parts.push(format!("{} more {noun}", format::int(short.cores)));
        }
        if 0 < short.memory_gib {
            parts.push(format!("{} GiB more memory", format::int(short.memory_gib)));
        }
        if 0 < short.disk_gib {
            parts.push(format!("{} GiB more disk", format::int(short.disk_gib)));
        }
    }
    let mut res = String::from("The on-premises machines fall short");
    if !parts.is_empty() {
        res.push_str(": the environment needs ");
        res.push_str(&parts.join(", "));
    }
    res.push('.');
    for misfit in &check.misfits {
        res.push(' ');
        let mut chars = misfit.chars();
        if let Some(first) = chars.next() {
            res.extend(first.to_uppercase());
            res.push_str(chars.as_str());
        }
    }
    res
}

/// Everything the line items are built from.
struct LineItems<'a> {
    assumptions: &'a Assumptions,
    env: &'a EnvInput,
    prices: Option<&'a Prices>,
    couchdb_nodes: u32,
    peak_year: u32,
    peak_docs: u64,
    storage: &'a StorageEstimate,
    plans: &'a [GroupPlan],
}

/// Which price a storage line uses.
#[derive(Clone, Copy)]
enum StoragePrice {
    Block,
    Object,
}

impl LineItems<'_> {
    fn get(&self, key: AssumptionKey) -> f64 {
        self.assumptions.get(key)
    }

    fn hours(&self) -> u64 {
        numbers::ceil_u64(self.get(AssumptionKey::HoursPerMonth))
    }

    fn storage_item(&self, draft: Draft, gib: u64, price: StoragePrice) -> LineItem {
        let (unit, unit_price) = match self.prices {
            Some(prices) => (
                QuantityUnit::GibMonth,
                match price {
                    StoragePrice::Block => prices.block_gib_month,
                    StoragePrice::Object => prices.object_gib_month,
                },
            ),
            None => (QuantityUnit::Gib, None),
        };
        draft.finish(gib, unit, unit_price)
    }

    fn compute_item(&self, id: &'static str, component: Component, plan: &GroupPlan) -> LineItem {
        let group = &plan.group;
        let nodes = u64::from(group.nodes);
        let label = match &group.instance {
            Some(choice) => format!("{}: {} x {}", group.role.label(), choice.nodes, choice.name),
            None => group.role.label().to_owned(),
        };
        let mut assumptions = plan.load_keys.clone();
        let need = format!(
            "{} x ({} vCPU, {} GiB) {}",
            group.nodes,
            format::vcpu(group.millicpu_per_node),
            format::gib(group.memory_mib_per_node),
            basis(self.assumptions, group)
        );
        match (self.prices, &group.instance) {
            (Some(_), Some(choice)) => {
                assumptions.push(AssumptionKey::HoursPerMonth);
                let hours = self.hours().saturating_mul(nodes);
                Draft {
                    id,
                    label,
                    component,
                    detail: choice.reason.clone(),
                    assumptions,
                }
                .finish(hours, QuantityUnit::NodeHours, Some(choice.hourly))
            }
            (Some(_), None) => {
                assumptions.push(AssumptionKey::HoursPerMonth);
                let hours = self.hours().saturating_mul(nodes);
                let detail = format!("{need}; no instance type in the price table fits.");
                Draft {
                    id,
                    label,
                    component,
                    detail,
                    assumptions,
                }
                .finish(hours, QuantityUnit::NodeHours, None)
            }
            (None, _) => {
                let vcpu = numbers::ceil_div(group.millicpu_per_node.saturating_mul(nodes), 1000);
                Draft {
                    id,
                    label,
                    component,
                    detail: format!("{need}."),
                    assumptions,
                }
                .finish(vcpu, QuantityUnit::Vcpu, None)
            }
        }
    }

    fn build(&self) -> Vec<LineItem> {
        let mut res = Vec::new();
        let storage = self.storage;

        for plan in self.plans.iter().filter(|it| it.is_cht()) {
            let id = match plan.group.role {
                NodeRole::ChtHost => "cht-host",
                NodeRole::Couchdb => "couchdb-nodes",
                NodeRole::Services => "services-nodes",
                _ => "control-plane-node",
            };
            res.push(self.compute_item(id, Component::Compute, plan));
        }
        if let (Some(prices), Target::Kubernetes { distribution }) = (self.prices, &self.env.target)
        {
            if distribution.is_managed() {
                let hours = self.hours();
                res.push(
                    Draft {
                        id: "kubernetes-control-plane",
                        label: format!("{} control plane", distribution.name().to_uppercase()),
                        component: Component::Platform,
                        detail: format!(
                            "One {} cluster for {} hours a month.",
                            distribution.name(),
                            format::int(hours)
                        ),
                        assumptions: vec![AssumptionKey::HoursPerMonth],
                    }
                    .finish(
                        hours,
                        QuantityUnit::ClusterHours,
                        prices.cluster_hourly,
                    ),
                );
            }
        }

        let data_keys = vec![
            AssumptionKey::PlacesPerPerson,
            AssumptionKey::DocsPerPersonWorkflowYear,
            AssumptionKey::MedicDocsPerGb,
        ];
        res.push(self.storage_item(
            Draft {
                id: "couchdb-data",
                label: format!("CouchDB data, year {}", self.peak_year),
                component: Component::Storage,
                detail: format!(
                    "ceil({} medic documents / {} per GiB) = {} GiB.",
                    format::int(self.peak_docs),
                    format::int(numbers::ceil_u64(self.get(AssumptionKey::MedicDocsPerGb))),
                    format::int(storage.couchdb_data_gib)
                ),
                assumptions: data_keys,
            },
            storage.couchdb_data_gib,
            StoragePrice::Block,
        ));
        res.push(self.storage_item(
                Draft { id: "upgrade-headroom", label: "Upgrade headroom".to_owned(), component: Component::Storage, detail: format!(
                "{} GiB x {}: CHT upgrades can need up to 5x the CouchDB disk while views re-index; this is what the calculator's over-provision factor models.",
                format::int(storage.couchdb_data_gib),
                self.get(AssumptionKey::DbOverprovisionFactor)
            ), assumptions: vec![AssumptionKey::DbOverprovisionFactor] },
                storage.upgrade_headroom_gib,
                StoragePrice::Block,
            ));
        let nodes = u64::from(self.couchdb_nodes);
        let provisioned = storage.couchdb_volume_gib.saturating_mul(nodes);
        let held = storage
            .couchdb_data_gib
            .saturating_add(storage.upgrade_headroom_gib);
        let rounding = provisioned.saturating_sub(held);
        if 0 < rounding {
            res.push(self.storage_item(
                Draft {
                    id: "couchdb-volume-rounding",
                    label: "CouchDB volume rounding".to_owned(),
                    component: Component::Storage,
                    detail: format!(
                        "{} of {} GiB hold the {} GiB of data and headroom.",
                        if nodes == 1 {
                            "1 volume".to_owned()
                        } else {
                            format!("{nodes} volumes")
                        },
                        format::int(storage.couchdb_volume_gib),
                        format::int(held)
                    ),
                    assumptions: vec![AssumptionKey::VolumeStepGib],
                },
                rounding,
                StoragePrice::Block,
            ));
        }
        let cht_plans: Vec<&GroupPlan> = self.plans.iter().filter(|it| it.is_cht()).collect();
        let roots: u64 = cht_plans
            .iter()
            .map(|it| it.root_base_gib.saturating_mul(u64::from(it.group.nodes)))
            .sum();
        let root_parts: Vec<String> = cht_plans
            .iter()
            .map(|it| {
                format!(
                    "{} x {} GiB ({})",
                    it.group.nodes,
                    it.root_base_gib,
                    it.group.role.singular()
                )
            })
            .collect();
        let mut root_keys = vec![AssumptionKey::RootVolumeGb];
        if cht_plans
            .iter()
            .any(|it| it.group.role == NodeRole::ControlPlane)
        {
            root_keys.push(AssumptionKey::AuxRootDiskGib);
        }
        res.push(self.storage_item(
            Draft {
                id: "root-volumes",
                label: "Root volumes".to_owned(),
                component: Component::Storage,
                detail: format!("{}.", root_parts.join(" + ")),
                assumptions: root_keys,
            },
            roots,
            StoragePrice::Block,
        ));
        let log_parts: Vec<String> = cht_plans
            .iter()
            .filter(|it| 0 < it.containers_per_node)
            .map(|it| {
                format!(
                    "{} x {} GiB ({} containers x {} MiB per {})",
                    it.group.nodes,
                    it.logs_gib_per_node,
                    it.containers_per_node,
                    format::int(it.log_budget_mib),
                    it.group.role.singular()
                )
            })
            .collect();
        let log_keys = cht_plans
            .first()
            .map_or(COMPOSE_LOG_KEYS, |it| it.log_keys)
            .to_vec();
        res.push(self.storage_item(
            Draft {
                id: "container-logs",
                label: "Container logs".to_owned(),
                component: Component::Storage,
                detail: format!(
                    "{}; the log budget per container is file size x files kept.",
                    log_parts.join(" + ")
                ),
                assumptions: log_keys,
            },
            storage.logs_gib,
            StoragePrice::Block,
        ));

        if let Some(backup) = &storage.backup {
            let change = format::hundredths_short(backup.change_per_copy_basis_points);
            res.push(self.storage_item(
                Draft { id: "backups", label: format!("Backups ({} copies)", format::int(backup.copies)), component: Component::Backup, detail: format!(
                    "Every {} h, kept {} days: {} copies; the first holds all {} GiB of CouchDB data, each later one adds {}% of it.",
                    backup.every_hours,
                    backup.keep_days,
                    format::int(backup.copies),
                    format::int(backup.data_gib),
                    change
                ), assumptions: vec![AssumptionKey::BackupChangePercentPerDay] },
                backup.backup_gib,
                StoragePrice::Object,
            ));
            if 0 < backup.offsite_gib {
                res.push(self.storage_item(
                    Draft {
                        id: "backups-offsite",
                        label: "Offsite backup copy".to_owned(),
                        component: Component::Backup,
                        detail:
                            "A second copy of every backup at another site or region.".to_owned(),
                        assumptions: vec![AssumptionKey::BackupChangePercentPerDay],
                    },
                    backup.offsite_gib,
                    StoragePrice::Object,
                ));
            }
        }

        for plan in self
            .plans
            .iter()
            .filter(|it| it.group.role == NodeRole::ChtSync)
        {
            res.push(self.compute_item("cht-sync-compute", Component::Analytics, plan));
            res.push(self.storage_item(
                Draft {
                    id: "cht-sync-disk",
                    label: "CHT Sync root disk".to_owned(),
                    component: Component::Analytics,
                    detail: format!(
                        "{} GiB root + {} GiB logs of couch2pg, dbt and PostgreSQL.",
                        plan.root_base_gib, plan.logs_gib_per_node
                    ),
                    assumptions: [&[AssumptionKey::AuxRootDiskGib][..], plan.log_keys].concat(),
                },
                plan.group.root_disk_gib_per_node,
                StoragePrice::Block,
            ));
            if let (Some(data), Some(volume)) = (storage.postgres_gib, storage.postgres_volume_gib)
            {
                res.push(self.storage_item(
                    Draft {
                        id: "cht-sync-postgres",
                        label: "CHT Sync PostgreSQL volume".to_owned(),
                        component: Component::Analytics,
                        detail: format!(
                        "{} documents x {} KiB x (1 + {}% indexes) = {} GiB, in a {} GiB volume.",
                        format::int(self.peak_docs),
                        self.get(AssumptionKey::SyncPostgresKibPerDoc),
                        self.get(AssumptionKey::SyncIndexOverheadPercent),
                        format::int(data),
                        format::int(volume)
                    ),
                        assumptions: vec![
                            AssumptionKey::SyncPostgresKibPerDoc,
                            AssumptionKey::SyncIndexOverheadPercent,
                            AssumptionKey::VolumeStepGib,
                        ],
                    },
                    volume,
                    StoragePrice::Block,
                ));
            }
        }

        for plan in self
            .plans
            .iter()
            .filter(|it| it.group.role == NodeRole::Watchdog)
        {
            res.push(self.compute_item("watchdog-host", Component::Monitoring, plan));
            let prometheus = storage.prometheus_gib.unwrap_or(0);
            let mut keys = vec![AssumptionKey::AuxRootDiskGib];
            keys.extend_from_slice(PROMETHEUS_KEYS);
            keys.extend_from_slice(plan.log_keys);
            res.push(self.storage_item(
                Draft { id: "watchdog-disk", label: "Watchdog disk".to_owned(), component: Component::Monitoring, detail: format!(
                    "{} GiB root + {} GiB logs + {} GiB Prometheus ({} series every {} s for {} days at {} bytes per sample x {}).",
                    numbers::ceil_u64(self.get(AssumptionKey::AuxRootDiskGib)),
                    plan.logs_gib_per_node,
                    prometheus,
                    format::int(numbers::ceil_u64(self.get(AssumptionKey::PrometheusSeriesPerInstance))),
                    self.get(AssumptionKey::PrometheusScrapeIntervalSeconds),
                    self.get(AssumptionKey::PrometheusRetentionDays),
                    self.get(AssumptionKey::PrometheusBytesPerSample),
                    self.get(AssumptionKey::PrometheusOverheadFactor)
                ), assumptions: keys },
                plan.group.root_disk_gib_per_node,
                StoragePrice::Block,
            ));
        }
        res
    }
}

/// A line item before its quantity is priced.
struct Draft {
    id: &'static str,
    label: String,
    component: Component,
    detail: String,
    assumptions: Vec<AssumptionKey>,
}

impl Draft {
    fn finish(self, quantity: u64, unit: QuantityUnit, unit_price: Option<Money>) -> LineItem {
        LineItem {
            id: self.id,
            label: self.label,
            component: self.component,
            quantity,
            unit,
            unit_price,
            monthly: unit_price.map(|price| price.times(quantity).round_to_cents()),
            detail: self.detail,
            assumptions: self.assumptions,
        }
    }
}
