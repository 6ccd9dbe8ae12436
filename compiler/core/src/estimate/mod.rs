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
//! Entry points: [`estimate`] for a plan, [`estimate_reusing`] for a plan estimated before (the language server
//! estimates after every edit, and most edits leave most environments unchanged), [`official::official`] for the
//! calculator alone.

pub mod assumptions;
pub mod environment;
pub mod format;
pub mod input;
pub mod money;
pub mod official;
pub mod output;

mod instance;
mod numbers;
mod reuse;

pub use reuse::EstimateMemo;

#[cfg(test)]
mod tests;

use std::ops::Range;

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
    estimate_with(input, None).0
}

/// Estimates a whole plan, reusing what it can of a previous estimate made by this function.
///
/// `previous` is the estimate and memo this function returned for an earlier input, unchanged; they are taken
/// by value so that the reused environment estimates are moved, not copied. When the plan-level input
/// (everything except `environments`) is exactly the same as before, each environment whose input is exactly
/// the same as a previous environment's (found at the same index, or else by name, so adding, removing or
/// moving environments keeps the others) takes that environment's estimate and findings; the others are
/// estimated afresh. Plan-level findings, the calculator's result, price tables and totals are always recomputed,
/// as they cost little next to the environments.
///
/// The result is always equal to `estimate(&input)`, findings in the same order, and the memo is for the next call.
pub fn estimate_reusing(
    input: PlanInput,
    previous: Option<(PlanEstimate, EstimateMemo)>,
) -> (PlanEstimate, EstimateMemo) {
    let (estimate, env_findings) = estimate_with(&input, previous);
    (
        estimate,
        EstimateMemo {
            input,
            env_findings,
        },
    )
}

/// The one implementation of [`estimate`] and [`estimate_reusing`]: the estimate, and for each environment the
/// range of findings it produced.
fn estimate_with(
    input: &PlanInput,
    previous: Option<(PlanEstimate, EstimateMemo)>,
) -> (PlanEstimate, Vec<Range<usize>>) {
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
    let mut reusable = previous.and_then(|previous| reuse::Reusable::new(previous, input));
    let mut env_findings = Vec::with_capacity(input.environments.len());
    let mut environments = Vec::with_capacity(input.environments.len());
    for (index, env) in input.environments.iter().enumerate() {
        let start = findings.len();
        let reused = reusable
            .as_mut()
            .and_then(|it| it.take(index, env, &mut findings));
        environments.push(match reused {
            Some(estimate) => estimate,
            None => environment::estimate_environment(&ctx, env, &mut findings),
        });
        env_findings.push(start..findings.len());
    }

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

    let estimate = PlanEstimate {
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
    };
    (estimate, env_findings)
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
