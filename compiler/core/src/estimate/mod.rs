//! The capacity and cost estimate of a hosting plan.
//!
//! The estimate starts from CHT's official hosting cost calculator, reproduced exactly in [`official`],
//! and adds what the calculator leaves out, each as its own line item:
//! growth year by year over the plan's horizon, the share of users each environment serves,
//! upgrade headroom, backups, container logs, the CHT Watchdog host, the CHT Sync PostgreSQL database,
//! instance types and prices from the plan's price tables, and the hardware on-premises environments need.
//! [`environment`] describes the model step by step.
//!
//! Every constant is an assumption in the [`assumptions`] registry, with its unit, range and source;
//! a plan may override any of them, and every line item names the assumptions it used.
//! Money is exact: see [`money`] for the rounding rule.
//!
//! The estimate is a pure function of its input: no IO, no clock, no hash-order iteration,
//! and no panic on any input (zero users, zero population, huge numbers, NaN percentages and empty catalogues
//! give findings and saturated numbers instead).
//!
//! Entry points: [`estimate`] for a plan, [`official::official`] for the calculator alone.

pub mod assumptions;
pub mod environment;
pub mod format;
pub mod input;
pub mod money;
pub mod official;
pub mod output;

mod instance;
mod numbers;

#[cfg(test)]
mod tests;

use crate::estimate::{
    assumptions::{AssumptionKey, Assumptions},
    input::PlanInput,
    money::Money,
    official::CalculatorInput,
    output::{Finding, PlanEstimate, Severity},
};

/// The longest horizon estimated; longer ones are clamped, which bounds the year-by-year work.
pub const MAX_HORIZON_YEARS: u32 = 50;

/// Population per user above which CHT's calculator draws its ratio bar as unrealistic.
const POPULATION_PER_USER_BAR_MAX: f64 = 250.0;

/// Medic documents per user above which CHT's calculator draws its ratio bar as unrealistic.
const DOCS_PER_USER_BAR_MAX: f64 = 20_000.0;

/// Estimates a whole plan.
pub fn estimate(input: &PlanInput) -> PlanEstimate {
    let (assumptions, rejected_overrides) = Assumptions::with_overrides(&input.overrides);
    let mut findings = Vec::new();

    let horizon_years = input.horizon_years.clamp(1, MAX_HORIZON_YEARS);
    if horizon_years != input.horizon_years {
        findings.push(plan_finding(
            Severity::Warning,
            "horizon-clamped",
            format!(
                "The horizon of {} years was estimated as {horizon_years} years (between 1 and {MAX_HORIZON_YEARS}).",
                input.horizon_years
            ),
        ));
    }
    let growth_percent = if input.growth_percent.is_finite() {
        input.growth_percent.clamp(-100.0, 1000.0)
    } else {
        0.0
    };
    if growth_percent != input.growth_percent {
        findings.push(plan_finding(
            Severity::Warning,
            "growth-clamped",
            format!(
                "The growth of {}% per year was estimated as {growth_percent}% (between -100% and 1,000%).",
                input.growth_percent
            ),
        ));
    }
    let total_users = input
        .roles
        .iter()
        .fold(0_u64, |acc, role| acc.saturating_add(role.count));

    let official_input = CalculatorInput {
        population: input.population,
        workflows: input.workflows,
        users: total_users,
        years: u64::from(horizon_years),
    };
    let official = official::official(&official_input, &assumptions);
    if 0 < total_users {
        let population_per_user = input.population as f64 / total_users as f64;
        if POPULATION_PER_USER_BAR_MAX < population_per_user {
            findings.push(plan_finding(
                Severity::Info,
                "population-per-user-high",
                format!(
                    "The plan serves about {} people per user; CHT's calculator shows more than {POPULATION_PER_USER_BAR_MAX} as unrealistic.",
                    format::int(numbers_round(population_per_user))
                ),
            ));
        }
        if DOCS_PER_USER_BAR_MAX < official.docs_per_user {
            findings.push(Finding {
                assumptions: vec![AssumptionKey::DocsPerPersonWorkflowYear, AssumptionKey::PlacesPerPerson],
                ..plan_finding(
                    Severity::Info,
                    "docs-per-user-high",
                    format!(
                        "The calculator's inputs give about {} medic documents per user; CHT's calculator shows more than {} as unrealistic.",
                        format::int(numbers_round(official.docs_per_user)),
                        format::int(numbers_round(DOCS_PER_USER_BAR_MAX))
                    ),
                )
            });
        }
    }

    let catalogue = environment::validate_catalogue(&input.catalogue, &mut findings);
    let ctx = environment::Ctx {
        assumptions: &assumptions,
        plan: input,
        horizon_years,
        growth_percent,
        total_users,
        catalogue: &catalogue,
    };
    let environments: Vec<_> = input
        .environments
        .iter()
        .map(|env| environment::estimate_environment(&ctx, env, &mut findings))
        .collect();

    let mut price_tables = Vec::new();
    for table in environments.iter().filter_map(|env| env.prices.as_ref()) {
        if !price_tables.contains(table) {
            price_tables.push(table.clone());
        }
    }
    let monthly_total = environments
        .iter()
        .filter_map(|env| env.monthly_cost)
        .reduce(Money::saturating_add);

    PlanEstimate {
        plan_name: input.plan_name.clone(),
        cht_major: input.cht_major,
        horizon_years,
        population: input.population,
        workflows: input.workflows,
        growth_percent,
        roles: input.roles.clone(),
        assumptions,
        rejected_overrides,
        official_input,
        official,
        environments,
        findings,
        price_tables,
        monthly_total,
    }
}

fn plan_finding(severity: Severity, code: &'static str, message: String) -> Finding {
    Finding {
        severity,
        code,
        environment: None,
        message,
        assumptions: Vec::new(),
    }
}

/// Rounds a non-negative ratio half up to a whole number for a message.
fn numbers_round(x: f64) -> u64 {
    if x.is_finite() && 0.0 < x {
        (x + 0.5).floor() as u64
    } else {
        0
    }
}
