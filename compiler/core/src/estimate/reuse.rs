//! Reusing environment estimates from a previous estimate of the same plan.
//!
//! An environment's estimate is a function of its own [`EnvInput`] and of the plan-level part of the
//! [`PlanInput`] (everything except `environments`), and nothing else: no environment reads another.
//! So when the plan-level part is unchanged, an environment whose input is unchanged has the same estimate
//! and produces the same findings as before, and both can be moved from the previous estimate.
//!
//! "Unchanged" is exact equality, with floating-point numbers compared bit for bit: derived `PartialEq`
//! would call `0.0` and `-0.0` equal although the estimate copies some inputs (the regional price factor)
//! into its output, where they print differently, and would call a NaN different from itself, which would only
//! lose reuse. Bitwise equality of the input implies bitwise equality of the output, since the estimate is a
//! pure, deterministic function.

use std::ops::Range;

use crate::estimate::{
    input::{
        BackupInput, EnvInput, EnvKind, Infra, InstanceOffer, PlanInput, ProviderPrices, RoleInput,
        Target,
    },
    output::{EnvironmentEstimate, Finding, PlanEstimate},
};

/// What [`estimate_reusing`](crate::estimate::estimate_reusing) keeps beside an estimate so that the next
/// estimate of the same plan can reuse the environments that did not change.
#[derive(Clone, Debug)]
pub struct EstimateMemo {
    /// The input the estimate was made from.
    pub(crate) input: PlanInput,
    /// For each environment of `input`, the findings it produced, as a range of the estimate's findings.
    pub(crate) env_findings: Vec<Range<usize>>,
}

impl EstimateMemo {
    /// The input the memoised estimate was made from.
    pub fn input(&self) -> &PlanInput {
        &self.input
    }
}

/// The parts of a previous estimate that the next one may take, each at most once.
pub(crate) struct Reusable {
    inputs: Vec<EnvInput>,
    estimates: Vec<Option<EnvironmentEstimate>>,
    findings: Vec<Option<Finding>>,
    ranges: Vec<Range<usize>>,
    /// Indices of `inputs` sorted by name, built on the first environment not found at its own index.
    by_name: Option<Vec<usize>>,
}

impl Reusable {
    /// The reusable parts of `previous` for estimating `input`, or `None` when nothing can be reused:
    /// the plan-level input changed, or the estimate and the memo do not belong together.
    pub(crate) fn new(previous: (PlanEstimate, EstimateMemo), input: &PlanInput) -> Option<Self> {
        let (estimate, memo) = previous;
        if !same_plan_level(&memo.input, input) {
            return None;
        }
        // A memo handed back with another estimate than its own would make the ranges point at the wrong
        // findings; checking the shapes keeps such misuse from producing a wrong estimate (or a panic).
        let consistent = estimate.environments.len() == memo.input.environments.len()
            && memo.env_findings.len() == memo.input.environments.len()
            && memo.env_findings.iter().all(|it| it.start <= it.end)
            && memo
                .env_findings
                .windows(2)
                .all(|pair| pair[0].end == pair[1].start)
            && memo
                .env_findings
                .last()
                .is_none_or(|it| it.end == estimate.findings.len());
        if !consistent {
            return None;
        }
        Some(Reusable {
            inputs: memo.input.environments,
            estimates: estimate.environments.into_iter().map(Some).collect(),
            findings: estimate.findings.into_iter().map(Some).collect(),
            ranges: memo.env_findings,
            by_name: None,
        })
    }

    /// Takes the previous estimate of an environment with exactly this input, appending the findings it produced
    /// to `findings`; `None` when there is none left.
    ///
    /// The environment at the same index is tried first, which is the common case of an edit inside an
    /// environment or of a plan-level edit. Otherwise the environments are matched by name, so that adding,
    /// removing or moving an environment keeps the others' estimates. When the environment at the same index
    /// has the same name, it is this environment, edited, and no other is searched: names are unique in a plan
    /// without errors, and with duplicates the worst outcome is an environment estimated afresh.
    pub(crate) fn take(
        &mut self,
        index: usize,
        env: &EnvInput,
        findings: &mut Vec<Finding>,
    ) -> Option<EnvironmentEstimate> {
        let at_index = self
            .inputs
            .get(index)
            .filter(|_| self.estimates.get(index).is_some_and(Option::is_some));
        let found = match at_index {
            Some(previous) if same_env(previous, env) => Some(index),
            Some(previous) if previous.name == env.name => None,
            _ => self.find_by_name(env),
        }?;
        let estimate = self.estimates.get_mut(found)?.take()?;
        let range = self.ranges.get(found)?.clone();
        if let Some(previous) = self.findings.get_mut(range) {
            findings.extend(previous.iter_mut().filter_map(Option::take));
        }
        Some(estimate)
    }

    fn find_by_name(&mut self, env: &EnvInput) -> Option<usize> {
        let inputs = &self.inputs;
        let by_name = self.by_name.get_or_insert_with(|| {
            let mut order: Vec<usize> = (0..inputs.len()).collect();
            // A stable sort keeps environments of the same name in plan order, so duplicates are taken in order.
            order.sort_by(|a, b| inputs[*a].name.cmp(&inputs[*b].name));
            order
        });
        let first = by_name.partition_point(|it| inputs[*it].name < env.name);
        by_name[first..]
            .iter()
            .take_while(|it| inputs[**it].name == env.name)
            .copied()
            .find(|it| {
                self.estimates.get(*it).is_some_and(Option::is_some) && same_env(&inputs[*it], env)
            })
    }
}

/// Whether two floating-point numbers are the same bits.
fn same_f64(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits()
}

/// Whether everything of two plan inputs except their environments is exactly the same.
///
/// The destructuring names every field, so a field added to [`PlanInput`] fails to compile here until it is
/// compared, rather than being silently ignored by reuse.
fn same_plan_level(a: &PlanInput, b: &PlanInput) -> bool {
    let PlanInput {
        plan_name,
        cht_major,
        horizon_years,
        population,
        workflows,
        growth_percent,
        roles,
        environments: _,
        catalogue,
        overrides,
    } = a;
    *plan_name == b.plan_name
        && *cht_major == b.cht_major
        && *horizon_years == b.horizon_years
        && *population == b.population
        && *workflows == b.workflows
        && same_f64(*growth_percent, b.growth_percent)
        && same_roles(roles, &b.roles)
        && catalogue.len() == b.catalogue.len()
        && catalogue
            .iter()
            .zip(&b.catalogue)
            .all(|(a, b)| same_prices(a, b))
        && overrides.len() == b.overrides.len()
        && overrides
            .iter()
            .zip(&b.overrides)
            .all(|((a_name, a_value), (b_name, b_value))| {
                a_name == b_name && same_f64(*a_value, *b_value)
            })
}

fn same_roles(a: &[RoleInput], b: &[RoleInput]) -> bool {
    // `RoleInput` holds no floating-point number, so its `Eq` is exact.
    a == b
}

fn same_prices(a: &ProviderPrices, b: &ProviderPrices) -> bool {
    let ProviderPrices {
        provider,
        prices_date,
        prices_source,
        instances,
        block_storage_gib_month,
        object_storage_gib_month,
        kubernetes_cluster_hourly,
    } = a;
    *provider == b.provider
        && *prices_date == b.prices_date
        && *prices_source == b.prices_source
        && instances.len() == b.instances.len()
        && instances
            .iter()
            .zip(&b.instances)
            .all(|(a, b)| same_offer(a, b))
        && same_f64(*block_storage_gib_month, b.block_storage_gib_month)
        && same_f64(*object_storage_gib_month, b.object_storage_gib_month)
        && same_f64(*kubernetes_cluster_hourly, b.kubernetes_cluster_hourly)
}

fn same_offer(a: &InstanceOffer, b: &InstanceOffer) -> bool {
    let InstanceOffer {
        name,
        vcpu,
        memory_gib,
        hourly_usd,
    } = a;
    *name == b.name
        && *vcpu == b.vcpu
        && same_f64(*memory_gib, b.memory_gib)
        && same_f64(*hourly_usd, b.hourly_usd)
}

/// Whether two environment inputs are exactly the same.
fn same_env(a: &EnvInput, b: &EnvInput) -> bool {
    let EnvInput {
        name,
        kind,
        scale_percent,
        couchdb_nodes,
        target,
        infra,
        backup,
        monitor_watchdog,
        analytics_cht_sync,
    } = a;
    // These types hold no floating-point number, so their `Eq` is exact; naming them here
    // makes a float added to one of them a reminder to compare it bit for bit.
    fn exact<T: Eq>(a: &T, b: &T) -> bool {
        a == b
    }
    *name == b.name
        && exact::<EnvKind>(kind, &b.kind)
        && same_f64(*scale_percent, b.scale_percent)
        && *couchdb_nodes == b.couchdb_nodes
        && exact::<Target>(target, &b.target)
        && same_infra(infra, &b.infra)
        && exact::<Option<BackupInput>>(backup, &b.backup)
        && *monitor_watchdog == b.monitor_watchdog
        && *analytics_cht_sync == b.analytics_cht_sync
}

fn same_infra(a: &Infra, b: &Infra) -> bool {
    match (a, b) {
        (Infra::Local, Infra::Local) => true,
        (
            Infra::OnPrem {
                nodes,
                cpu,
                memory_gib,
                disk_gib,
            },
            Infra::OnPrem {
                nodes: b_nodes,
                cpu: b_cpu,
                memory_gib: b_memory_gib,
                disk_gib: b_disk_gib,
            },
        ) => {
            nodes == b_nodes && cpu == b_cpu && memory_gib == b_memory_gib && disk_gib == b_disk_gib
        }
        (
            Infra::Cloud {
                provider,
                region,
                price_factor_percent,
            },
            Infra::Cloud {
                provider: b_provider,
                region: b_region,
                price_factor_percent: b_price_factor_percent,
            },
        ) => {
            provider == b_provider
                && region == b_region
                && same_f64(*price_factor_percent, *b_price_factor_percent)
        }
        _ => false,
    }
}
