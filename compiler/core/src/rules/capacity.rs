//! Scale: provisioned storage against projected growth (R0119) and documents per offline
//! user against CHT's replication limit (R0120).
//!
//! Both rules read the capacity estimate ([`crate::estimate`]) when the analysis has one, so
//! that a rule and the estimate report never disagree. [`project`] reproduces CHT's hosting
//! cost calculator (domain notes, section 3.2) with the population grown over the horizon;
//! it is the fallback when the rules run without an estimate, and a cross-check in tests.

use hostplan_diagnostics::Label;

use crate::model::{Environment, Infra, Plan};
use crate::rules::backup::trim;
use crate::rules::{Ctx, Finding};

/// Bytes in the calculator's gigabyte (decimal, as cloud disks are priced).
const GB: f64 = 1e9;

/// Bytes in a GiB, for messages in the unit plans usually write.
const GIB: f64 = 1_073_741_824.0;

/// The projected size of a plan's data at the end of its horizon.
#[derive(Clone, Debug, PartialEq)]
pub struct Projection {
    /// Whole years projected (the horizon rounded up, at least one).
    pub years: u32,
    pub yearly_growth: f64,
    /// People served in the last year of the horizon.
    pub people: f64,
    /// Documents in the `medic` database at the end of the horizon, for all users.
    pub medic_docs: f64,
    pub offline_users: u64,
    /// Calculator constants, after the plan's `assumptions`.
    pub docs_per_gb: f64,
    pub overprovision_factor: f64,
    pub root_volume_gb: f64,
    pub offline_docs_limit: f64,
}

impl Projection {
    /// CouchDB data in GB for an environment serving `scale` of the users, as the calculator
    /// rounds it (whole GB, at least 1).
    pub fn db_gb(&self, scale: f64) -> f64 {
        (self.medic_docs * scale / self.docs_per_gb).ceil().max(1.0)
    }

    /// The data volume each of `nodes` CouchDB nodes needs: its share of the data plus the
    /// calculator's upgrade headroom (5x by default; CHT upgrades can need that much while
    /// views re-index). A cluster spreads its shards evenly, one copy each.
    pub fn data_volume_gb(&self, scale: f64, nodes: u64) -> f64 {
        let per_node = (self.db_gb(scale) / nodes.max(1) as f64).ceil();
        per_node + per_node * self.overprovision_factor
    }

    /// Documents each offline user would replicate if the data were shared evenly among them.
    pub fn docs_per_offline_user(&self) -> Option<f64> {
        if self.offline_users == 0 {
            return None;
        }
        Some(self.medic_docs / self.offline_users as f64)
    }
}

/// Projects a plan's data to the end of its horizon with the official calculator's formulas:
/// `contacts = users + people + floor(people x 0.36)`,
/// `records = workflows x docs_per_workflow x people`, summed year by year with the people of
/// each year grown by the plan's yearly growth (without growth this is exactly the
/// calculator's `workflows x population x years x docs`), and `docs = contacts + records`.
pub fn project(plan: &Plan) -> Projection {
    let assumption = |key: &str, default: f64| {
        plan.assumptions
            .iter()
            .find(|(name, value, _)| name == key && value.is_finite() && 0.0 < *value)
            .map(|(_, value, _)| *value)
            .unwrap_or(default)
    };
    let years = plan.horizon_years.ceil().clamp(1.0, 100.0) as u32;
    let growth = if plan.population.growth.is_finite() {
        plan.population.growth.max(-1.0)
    } else {
        0.0
    };
    let people_now = plan.population.people as f64;
    let docs_per_workflow = assumption(
        "docs_per_person_workflow_year",
        plan.population.docs_per_workflow as f64,
    );
    let mut people = people_now;
    let mut records = 0.0;
    for _ in 0..years {
        people *= 1.0 + growth;
        records += plan.population.workflows as f64 * docs_per_workflow * people;
    }
    let users: u64 = plan
        .roles
        .iter()
        .fold(0, |acc, it| acc.saturating_add(it.count));
    let offline_users = plan
        .roles
        .iter()
        .filter(|it| it.offline)
        .fold(0_u64, |acc, it| acc.saturating_add(it.count));
    let places = (people * assumption("places_per_person", 0.36)).floor();
    let contacts = users as f64 + people + places;
    Projection {
        years,
        yearly_growth: growth,
        people,
        medic_docs: contacts + records,
        offline_users,
        docs_per_gb: assumption("medic_docs_per_gb", 186_089.0),
        overprovision_factor: assumption("db_overprovision_factor", 5.0),
        root_volume_gb: assumption("root_volume_gb", 50.0),
        offline_docs_limit: assumption("offline_docs_limit", 10_000.0),
    }
}

/// R0119: the disk the plan provisions cannot hold the projected data with upgrade headroom.
///
/// When the capacity estimate is available, its CouchDB volume per node and its on-premises
/// hardware check are the requirement, so that this rule and the estimate report agree;
/// [`project`] is the fallback for callers that run the rules without an estimate.
pub(crate) fn undersized_storage(
    ctx: &Ctx<'_>,
    idx: usize,
    environment: &Environment,
    out: &mut Vec<Finding>,
) -> bool {
    let onprem_disk = match environment.infra {
        Infra::OnPrem { disk, .. } => Some(disk),
        _ => None,
    };
    if environment.couchdb_disk.is_none() && onprem_disk.is_none() {
        // The estimate sizes the volume: nothing provisioned by hand to check.
        return false;
    }
    let estimate = ctx
        .estimate
        .and_then(|it| it.environments.get(idx))
        .filter(|it| it.name == environment.name);
    let projection = project(ctx.plan);
    let nodes = environment.couchdb_nodes;
    let years = ctx
        .estimate
        .map(|it| it.horizon_years)
        .unwrap_or(projection.years);
    let basis = match estimate {
        Some(estimate) => format!(
            "the capacity estimate projects {} GiB of CouchDB data after {} plus {} GiB of upgrade headroom, {} GiB per node ({} shows every line item)",
            estimate.storage.couchdb_data_gib,
            plural(years, "year"),
            estimate.storage.upgrade_headroom_gib,
            estimate.storage.couchdb_volume_gib,
            "`hostplan estimate`"
        ),
        None => format!(
            "projected: {} medic documents after {} (people growing {}% a year{}), {} GB of CouchDB data{}, plus {}x for upgrades",
            thousands(projection.medic_docs * environment.scale),
            plural(projection.years, "year"),
            trim(projection.yearly_growth * 100.0),
            if environment.scale < 1.0 { format!(", {}% of the users", trim(environment.scale * 100.0)) } else { String::new() },
            trim(projection.db_gb(environment.scale)),
            if 1 < nodes { format!(" over {nodes} nodes") } else { String::new() },
            trim(projection.overprovision_factor),
        ),
    };
    if let Some(disk) = environment.couchdb_disk {
        let have_gib = disk as f64 / GIB;
        let need_gib = match estimate {
            Some(estimate) => estimate.storage.couchdb_volume_gib as f64,
            None => (projection.data_volume_gb(environment.scale, nodes) * GB / GIB).ceil(),
        };
        if have_gib < need_gib {
            out.push(
                Finding::new(
                    idx,
                    environment,
                    format!("the CouchDB disk of `{}` is too small for {} of growth", environment.name, plural(years, "year")),
                    format!("{} GiB provisioned, {} GiB needed per node", trim(have_gib), trim(need_gib)),
                )
                .with_secondary(ctx.environment_label(environment, "couchdb.disk", "the disk is set here"))
                .with_secondary(Label::new(ctx.plan.spans.population, "the population drives the projection"))
                .with_help(format!("provision at least `disk = {}GiB`, or remove `disk` to let the estimate size it", trim(need_gib)))
                .with_note(basis.clone()),
            );
        }
    }
    if let Some(disk) = onprem_disk {
        let have_gib = disk as f64 / GIB;
        let shortfall = match estimate.and_then(|it| it.hardware.as_ref()) {
            Some(check) => check
                .shortfall
                .filter(|it| 0 < it.disk_gib)
                .map(|it| (check.required.disk_gib, it.disk_gib)),
            None => {
                let need = (projection.data_volume_gb(environment.scale, nodes)
                    + projection.root_volume_gb)
                    * GB
                    / GIB;
                (have_gib < need).then(|| (need.ceil() as u64, (need - have_gib).ceil() as u64))
            }
        };
        if let Some((required, missing)) = shortfall {
            out.push(
                Finding::new(
                    idx,
                    environment,
                    format!("the on-premises disks of `{}` are too small for {} of growth", environment.name, plural(years, "year")),
                    format!("{required} GiB of disk needed in all, {missing} GiB missing"),
                )
                .with_secondary(ctx.environment_label(environment, "infra", "the hardware is described here"))
                .with_secondary(Label::new(ctx.plan.spans.population, "the population drives the projection"))
                .with_help(format!("provide {missing} GiB more disk, spread over the nodes as CouchDB's volumes are"))
                .with_note(basis),
            );
        }
    }
    true
}

/// R0120: offline users would replicate more documents than CHT supports.
///
/// Uses the estimate's documents per user of each offline role when it is available, so the
/// rule and the estimate report agree, and [`project`] otherwise.
pub(crate) fn replication_limit_exceeded(
    ctx: &Ctx<'_>,
    idx: usize,
    environment: &Environment,
    out: &mut Vec<Finding>,
) -> bool {
    let projection = project(ctx.plan);
    let limit = match ctx.estimate {
        Some(estimate) => estimate
            .assumptions
            .get(crate::estimate::assumptions::AssumptionKey::OfflineDocsLimit),
        None => projection.offline_docs_limit,
    };
    let per_role: Vec<(String, f64)> = match ctx
        .estimate
        .and_then(|it| it.environments.get(idx))
        .filter(|it| it.name == environment.name)
    {
        Some(estimate) => estimate
            .roles
            .iter()
            .filter_map(|it| Some((it.name.clone(), it.docs_per_user? as f64)))
            .collect(),
        None => match projection.docs_per_offline_user() {
            Some(docs) => ctx
                .plan
                .roles
                .iter()
                .filter(|it| it.offline)
                .map(|it| (it.name.clone(), docs))
                .collect(),
            None => Vec::new(),
        },
    };
    if per_role.is_empty() {
        return false;
    }
    let over: Vec<&(String, f64)> = per_role.iter().filter(|(_, docs)| limit < *docs).collect();
    let Some(worst) = over.iter().map(|(_, docs)| *docs).reduce(f64::max) else {
        return true;
    };
    let mut finding = Finding::new(
        idx,
        environment,
        format!(
            "offline users of `{}` would replicate more documents than CHT supports",
            environment.name
        ),
        format!(
            "up to about {} documents per offline user by the end of the horizon",
            thousands(worst)
        ),
    )
    .with_secondary(Label::new(
        ctx.plan.spans.population,
        "the population and its workflows make the documents",
    ));
    for (name, docs) in &over {
        if let Some(role) = ctx.plan.roles.iter().find(|it| &it.name == name) {
            finding = finding.with_secondary(Label::new(
                role.span,
                format!("about {} documents per `{name}` user", thousands(*docs)),
            ));
        }
    }
    out.push(
        finding
            .with_help(format!(
                "purge old reports from devices or narrow `replication_depth` in the app, and say so: `allow R0120 {{ reason = \"...\" }}`; or add offline users so each replicates fewer than {}",
                thousands(limit)
            ))
            .with_note(format!(
                "CHT recommends at most about {} documents per offline user; above it replication fails and the server slows for everyone",
                thousands(limit)
            )),
    );
    true
}

fn plural(n: u32, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// A whole number with thousands separators, rounded half up.
fn thousands(value: f64) -> String {
    let rounded = if value.is_finite() && 0.0 < value {
        (value + 0.5).floor() as u64
    } else {
        0
    };
    let digits = rounded.to_string();
    let mut out = String::new();
    for (idx, digit) in digits.chars().enumerate() {
        if idx != 0 && (digits.len() - idx) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
