//! CHT's official hosting cost calculator, reproduced exactly.
//!
//! The formulas are those of `cost-calculator.js` behind the CHT documentation page `hosting/cht/costs`:
//!
//! ```text
//! places     = floor(population x places_per_person)
//! contacts   = users + population + places
//! records    = workflows x population x years x docs_per_person_workflow_year
//! medic_docs = contacts + records
//! db_disk    = max(1, ceil(medic_docs / medic_docs_per_gb))                    GB
//! total_disk = db_disk + db_disk x db_overprovision_factor + root_volume_gb   GB
//! f          = max(1, (medic_docs / users) / docs_per_user_baseline)           (0 docs per user when users = 0)
//! cpus       = max(1, ceil(users x f / users_per_cpu))
//! ram        = cpus x ram_gb_per_cpu                                           GB
//! monthly    = total_disk x disk_usd_per_gb_month + cpus x compute_usd_per_cpu_month
//! ```
//!
//! The counts are computed in IEEE double precision in the same order as the calculator's JavaScript,
//! so fractional overrides round exactly as the calculator would round them.
//! The over-provision factor is the calculator's model of upgrade headroom:
//! CHT upgrades can need up to 5x the CouchDB disk while views re-index, and the default factor 5 keeps that much free.

use crate::estimate::{
    assumptions::{AssumptionKey, Assumptions},
    money::Money,
    numbers,
};

/// The calculator's inputs; the advanced inputs (over-provision, documents per workflow, users per CPU) are assumptions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CalculatorInput {
    /// People served.
    pub population: u64,
    /// Care workflows.
    pub workflows: u64,
    /// CHT users.
    pub users: u64,
    /// Deployment age in years.
    pub years: u64,
}

impl Default for CalculatorInput {
    /// The calculator's own defaults: 100,000 people, 10 workflows, 1,000 users, 1 year.
    fn default() -> CalculatorInput {
        CalculatorInput {
            population: 100_000,
            workflows: 10,
            users: 1_000,
            years: 1,
        }
    }
}

/// The calculator's results.
#[derive(Clone, Debug, PartialEq)]
pub struct OfficialResult {
    /// Places (households and areas).
    pub places: u64,
    /// Contacts: users, people and places.
    pub contacts: u64,
    /// Data records (reports) over the deployment's age.
    pub records: u64,
    /// Documents in the `medic` database.
    pub medic_docs: u64,
    /// CouchDB disk, GB.
    pub db_disk_gb: u64,
    /// Free disk kept for upgrades, GB.
    pub overprovision_gb: u64,
    /// Root volume, GB.
    pub root_volume_gb: u64,
    /// Total disk, GB.
    pub total_disk_gb: u64,
    /// Medic documents per user (0 when there are no users).
    pub docs_per_user: f64,
    /// The CPU scaling factor `f`.
    pub cpu_factor: f64,
    /// CPUs.
    pub cpus: u64,
    /// Memory, GB.
    pub ram_gb: u64,
    /// Monthly disk cost, rounded half up to cents.
    pub disk_monthly: Money,
    /// Monthly compute cost, rounded half up to cents.
    pub compute_monthly: Money,
    /// Monthly total: the sum of the two rounded parts.
    pub monthly: Money,
    /// Yearly total: twelve monthly totals.
    pub yearly: Money,
}

/// The assumptions [`official`] reads, in the order of its formulas.
pub const OFFICIAL_ASSUMPTIONS: &[AssumptionKey] = &[
    AssumptionKey::PlacesPerPerson,
    AssumptionKey::DocsPerPersonWorkflowYear,
    AssumptionKey::MedicDocsPerGb,
    AssumptionKey::DbOverprovisionFactor,
    AssumptionKey::RootVolumeGb,
    AssumptionKey::DocsPerUserBaseline,
    AssumptionKey::UsersPerCpu,
    AssumptionKey::RamGbPerCpu,
    AssumptionKey::DiskUsdPerGbMonth,
    AssumptionKey::ComputeUsdPerCpuMonth,
];

/// Runs CHT's hosting cost calculator on `input` with the given assumptions.
pub fn official(input: &CalculatorInput, assumptions: &Assumptions) -> OfficialResult {
    let get = |key| assumptions.get(key);
    let population = input.population as f64;
    let users = input.users as f64;

    let places = numbers::floor_u64(population * get(AssumptionKey::PlacesPerPerson));
    let contacts = users + population + places as f64;
    let records = input.workflows as f64
        * population
        * input.years as f64
        * get(AssumptionKey::DocsPerPersonWorkflowYear);
    let medic_docs = contacts + records;

    let db_disk_gb =
        numbers::ceil_u64(numbers::div(medic_docs, get(AssumptionKey::MedicDocsPerGb))).max(1);
    let overprovision_gb =
        numbers::ceil_u64(db_disk_gb as f64 * get(AssumptionKey::DbOverprovisionFactor));
    let root_volume_gb = numbers::ceil_u64(get(AssumptionKey::RootVolumeGb));
    let total_disk_gb = db_disk_gb
        .saturating_add(overprovision_gb)
        .saturating_add(root_volume_gb);

    let docs_per_user = numbers::div(medic_docs, users);
    let cpu_factor = numbers::div(docs_per_user, get(AssumptionKey::DocsPerUserBaseline)).max(1.0);
    let cpus = numbers::ceil_u64(numbers::div(
        users * cpu_factor,
        get(AssumptionKey::UsersPerCpu),
    ))
    .max(1);
    let ram_gb = numbers::ceil_u64(cpus as f64 * get(AssumptionKey::RamGbPerCpu));

    let disk_price =
        Money::from_dollars(get(AssumptionKey::DiskUsdPerGbMonth)).unwrap_or(Money::ZERO);
    let cpu_price =
        Money::from_dollars(get(AssumptionKey::ComputeUsdPerCpuMonth)).unwrap_or(Money::ZERO);
    let disk_monthly = disk_price.times(total_disk_gb).round_to_cents();
    let compute_monthly = cpu_price.times(cpus).round_to_cents();
    let monthly = disk_monthly.saturating_add(compute_monthly);

    OfficialResult {
        places,
        contacts: numbers::floor_u64(contacts),
        records: numbers::floor_u64(records),
        medic_docs: numbers::floor_u64(medic_docs),
        db_disk_gb,
        overprovision_gb,
        root_volume_gb,
        total_disk_gb,
        docs_per_user,
        cpu_factor,
        cpus,
        ram_gb,
        disk_monthly,
        compute_monthly,
        monthly,
        yearly: monthly.times(12),
    }
}
