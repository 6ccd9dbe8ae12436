//! Reports of the capacity and cost estimate: [`text`] for terminals, [`markdown`] for pull requests,
//! [`json`] for machines (with a JSON Schema) and [`html`] for people who decide (one self-contained file).
//!
//! Every report shows the same facts: CHT's official calculator for the whole plan, then per environment
//! the year-by-year growth, compute, node groups, services, hardware and line items, then findings,
//! suppressed rules, the assumptions (with values, units, sources and whether the plan overrode them)
//! and the price tables. Each line item names the assumption keys it used, so every number can be traced.
//!
//! The reports are written by small Rust printers rather than handlebars templates: tables are aligned and
//! wrapped and charts are laid out from the numbers, which a template could only wrap around Rust-built strings,
//! and printers have no fallible render step. Escaping lives in one function per format
//! ([`markdown`]'s cell escape, [`html`]'s text escape).
//! Output is byte-deterministic: integers come from the estimate, and numbers are printed by
//! `hostplan_core::estimate::format`.

pub mod html;
pub mod json;
pub mod markdown;
pub mod text;

mod chart;

#[cfg(test)]
mod tests;

use hostplan_core::estimate::{
    assumptions::AssumptionKey,
    format,
    input::Infra,
    money::Money,
    output::{EnvironmentEstimate, Finding, PlanEstimate},
};

/// A rule the plan allows for one environment, with the reason the plan gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    /// The environment the rule is allowed for.
    pub environment: String,
    /// The rule's code, as `R0102`, or an estimate finding's code, as `offline-docs-over-limit`.
    pub code: String,
    /// The reason written in the plan.
    pub reason: String,
}

impl From<(String, String, String)> for Suppression {
    /// Builds a suppression from `(environment, code, reason)`, the shape the checker collects.
    fn from((environment, code, reason): (String, String, String)) -> Suppression {
        Suppression {
            environment,
            code,
            reason,
        }
    }
}

/// What a report shows: the estimate and the plan's suppressed rules.
#[derive(Clone, Debug)]
pub struct ReportInput<'a> {
    /// The estimate of the plan.
    pub estimate: &'a PlanEstimate,
    /// The plan's suppressions, in plan order.
    pub suppressions: Vec<Suppression>,
}

impl ReportInput<'_> {
    /// The suppression that covers `finding`: same environment and same code.
    fn suppression_of(&self, finding: &Finding) -> Option<&Suppression> {
        let environment = finding.environment.as_deref()?;
        self.suppressions
            .iter()
            .find(|it| it.environment == environment && it.code == finding.code)
    }
}

/// An assumption's value: integers with separators, other numbers in Rust's shortest round-trip form.
/// The official calculator's results as (quantity, value) rows, in the order every report
/// shows them.
/// `text` with each ASCII byte that `replacement` maps replaced by its text; every other byte
/// is copied as it is, in runs. The bytes mapped must be ASCII, which never occurs inside another
/// character's UTF-8 encoding, so the result is valid UTF-8.
fn escape_bytes(text: &str, replacement: impl Fn(u8) -> Option<&'static str>) -> String {
    let mut res = String::with_capacity(text.len());
    let mut copied = 0;
    for (index, byte) in text.bytes().enumerate() {
        if let Some(escaped) = replacement(byte) {
            res.push_str(text.get(copied..index).unwrap_or_default());
            res.push_str(escaped);
            copied = index + 1;
        }
    }
    res.push_str(text.get(copied..).unwrap_or_default());
    res
}

fn official_rows(
    official: &hostplan_core::estimate::official::OfficialResult,
) -> Vec<(&'static str, String)> {
    let gb = |n: u64| format!("{} GB", format::int(n));
    vec![
        ("Medic documents", format::int(official.medic_docs)),
        ("CouchDB disk", gb(official.db_disk_gb)),
        (
            "Over-provision (upgrade headroom)",
            gb(official.overprovision_gb),
        ),
        ("Root volume", gb(official.root_volume_gb)),
        ("Total disk", gb(official.total_disk_gb)),
        ("CPUs", format::int(official.cpus)),
        ("RAM", gb(official.ram_gb)),
        (
            "Disk per month",
            format::dollars(official.disk_monthly.cents()),
        ),
        (
            "Compute per month",
            format::dollars(official.compute_monthly.cents()),
        ),
        ("Monthly total", format::dollars(official.monthly.cents())),
        ("Yearly total", format::dollars(official.yearly.cents())),
    ]
}

fn assumption_value(value: f64) -> String {
    let integral = value.is_finite() && value.fract() == 0.0 && value.abs() < 1.0e15;
    if integral && 0.0 <= value {
        return format::int(value as u64);
    }
    format!("{value}")
}

/// The names of assumption keys, comma-separated.
fn key_names(keys: &[AssumptionKey]) -> String {
    keys.iter()
        .map(|key| key.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A unit price in dollars with at least two and at most six decimals: `$0.08`, `$0.0416`.
fn unit_price(price: Money) -> String {
    let micros = price.micros();
    let mut frac = format!("{:06}", micros % 1_000_000);
    while 2 < frac.len() && frac.ends_with('0') {
        frac.pop();
    }
    format!("${}.{frac}", format::int(micros / 1_000_000))
}

/// A monthly amount, or a dash when unpriced.
fn money_or_dash(money: Option<Money>) -> String {
    match money {
        Some(money) => format::dollars(money.cents()),
        None => "-".to_owned(),
    }
}

/// A count with its noun: `1 CPU`, `4 CPUs`.
fn count(n: u64, singular: &str, plural: &str) -> String {
    format!(
        "{} {}",
        format::int(n),
        if n == 1 { singular } else { plural }
    )
}

/// Basis points as a percentage: `500` gives `5%`.
fn percent(basis_points: u64) -> String {
    format!("{}%", format::hundredths_short(basis_points))
}

/// One line describing an environment: kind, target, infrastructure and scale.
fn environment_summary(env: &EnvironmentEstimate) -> String {
    let mut res = format!(
        "{}, {}, {}, scale {}, {} users, {} CouchDB node{}",
        env.kind.name(),
        env.target.describe(),
        env.infra.describe(),
        percent(env.scale_basis_points),
        format::int(env.users),
        env.couchdb_nodes,
        if env.couchdb_nodes == 1 { "" } else { "s" }
    );
    if let Infra::Cloud {
        price_factor_percent,
        ..
    } = &env.infra
    {
        let listed = (*price_factor_percent - 100.0).abs() < f64::EPSILON;
        if !listed {
            res.push_str(&format!(
                ", prices at {}% of the table",
                assumption_value(*price_factor_percent)
            ));
        }
    }
    res
}

/// A one-line summary of the whole plan.
fn plan_summary(estimate: &PlanEstimate) -> String {
    let users = estimate
        .roles
        .iter()
        .fold(0_u64, |acc, it| acc.saturating_add(it.count));
    format!(
        "CHT {}, horizon {} year{}, {} people, {} workflows, growth {}% a year, {} users",
        estimate.cht_major,
        estimate.horizon_years,
        if estimate.horizon_years == 1 { "" } else { "s" },
        format::int(estimate.population),
        format::int(estimate.workflows),
        assumption_value(estimate.growth_percent),
        format::int(users)
    )
}

/// The note every report prints about money.
const MONEY_NOTE: &str = "Money is in US dollars. Unit prices are exact to the micro-dollar; each line item is rounded half up to the cent and totals add the rounded items.";
