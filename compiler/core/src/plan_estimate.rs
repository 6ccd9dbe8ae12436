//! The bridge from the plan model to the estimate's plain input.

use crate::estimate::input::{
    BackupInput, Distribution, EnvInput, EnvKind, Infra, InstanceOffer, PlanInput, ProviderPrices,
    RoleInput, Target,
};
use crate::estimate::output::PlanEstimate;
use crate::estimate::EstimateMemo;
use crate::model;

/// Estimates a plan's capacity and cost.
pub fn estimate_plan(plan: &model::Plan) -> PlanEstimate {
    crate::estimate::estimate(&input(plan))
}

/// Estimates a plan's capacity and cost, reusing the estimates of environments that did not change since
/// `previous`, the result of an earlier call for the same plan (see [`crate::estimate::estimate_reusing`]).
///
/// The estimate equals [`estimate_plan`]'s; keep the returned memo with it and pass both to the next call.
pub fn estimate_plan_reusing(
    plan: &model::Plan,
    previous: Option<(PlanEstimate, EstimateMemo)>,
) -> (PlanEstimate, EstimateMemo) {
    crate::estimate::estimate_reusing(input(plan), previous)
}

/// The estimate's input for a plan.
pub fn input(plan: &model::Plan) -> PlanInput {
    let mut overrides: Vec<(String, f64)> = Vec::new();
    // `docs_per_workflow` is the official calculator's advanced input; the estimate keeps it
    // as an assumption, which an explicit `assumptions` entry still overrides.
    if plan.population.docs_per_workflow != 1 {
        overrides.push((
            "docs_per_person_workflow_year".to_string(),
            plan.population.docs_per_workflow as f64,
        ));
    }
    overrides.extend(
        plan.assumptions
            .iter()
            .map(|(name, value, _)| (name.clone(), *value)),
    );
    PlanInput {
        plan_name: plan.name.clone(),
        cht_major: plan.release.major(),
        horizon_years: plan.horizon_years.ceil().clamp(1.0, 1_000.0) as u32,
        population: plan.population.people,
        workflows: plan.population.workflows,
        growth_percent: plan.population.growth * 100.0,
        roles: plan
            .roles
            .iter()
            .map(|it| RoleInput {
                name: it.name.clone(),
                count: it.count,
                offline: it.offline,
            })
            .collect(),
        environments: plan
            .environments
            .iter()
            .map(|it| environment(plan, it))
            .collect(),
        catalogue: plan
            .providers
            .iter()
            .map(|provider| ProviderPrices {
                provider: provider.name.clone(),
                prices_date: provider.prices_date.clone(),
                prices_source: provider.prices_source.clone(),
                instances: provider
                    .instances
                    .iter()
                    .map(|it| InstanceOffer {
                        name: it.name.clone(),
                        vcpu: u32::try_from(it.vcpu).unwrap_or(u32::MAX),
                        memory_gib: it.memory as f64 / 1_073_741_824.0,
                        hourly_usd: it.hourly,
                    })
                    .collect(),
                block_storage_gib_month: provider.block_storage,
                object_storage_gib_month: provider.object_storage,
                kubernetes_cluster_hourly: provider.kubernetes,
            })
            .collect(),
        overrides,
    }
}

fn environment(plan: &model::Plan, env: &model::Environment) -> EnvInput {
    let infra = match &env.infra {
        model::Infra::Local => Infra::Local,
        model::Infra::OnPrem {
            nodes,
            cpu,
            memory,
            disk,
        } => Infra::OnPrem {
            nodes: u32::try_from(*nodes).unwrap_or(u32::MAX),
            cpu: u32::try_from(*cpu).unwrap_or(u32::MAX),
            memory_gib: memory / 1_073_741_824,
            disk_gib: disk / 1_073_741_824,
        },
        model::Infra::Aws { region, .. } => cloud(plan, "aws", region),
        model::Infra::Gcp { region, .. } => cloud(plan, "gcp", region),
    };
    EnvInput {
        name: env.name.clone(),
        kind: match env.kind {
            model::EnvKind::Development => EnvKind::Development,
            model::EnvKind::Test => EnvKind::Test,
            model::EnvKind::Staging => EnvKind::Staging,
            model::EnvKind::Production => EnvKind::Production,
        },
        scale_percent: env.scale * 100.0,
        couchdb_nodes: u32::try_from(env.couchdb_nodes).unwrap_or(1),
        target: match env.target {
            model::Target::Compose => Target::Compose,
            model::Target::Kubernetes(distribution) => Target::Kubernetes {
                distribution: match distribution {
                    model::Distribution::K3s => Distribution::K3s,
                    model::Distribution::Eks => Distribution::Eks,
                    model::Distribution::Gke => Distribution::Gke,
                    model::Distribution::Aks => Distribution::Aks,
                    model::Distribution::Generic => Distribution::Other("generic".to_string()),
                },
            },
        },
        infra,
        backup: env.policy.backup.as_ref().map(|it| BackupInput {
            every_hours: it.every_hours.round().clamp(1.0, f64::from(u32::MAX)) as u32,
            keep_days: it.keep_days.round().clamp(0.0, f64::from(u32::MAX)) as u32,
            offsite: it.offsite,
        }),
        monitor_watchdog: env.monitor_watchdog,
        analytics_cht_sync: env.analytics_cht_sync,
    }
}

fn cloud(plan: &model::Plan, provider: &str, region: &str) -> Infra {
    let price_factor = plan
        .providers
        .iter()
        .find(|it| it.name == provider)
        .and_then(|it| it.regions.iter().find(|r| r.name == region))
        .map(|it| it.price_factor)
        .unwrap_or(1.0);
    Infra::Cloud {
        provider: provider.to_string(),
        region: region.to_string(),
        price_factor_percent: price_factor * 100.0,
    }
}
