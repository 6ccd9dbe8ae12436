//! The capacity and cost estimate, as the editor shows it beside and over an environment.
//!
//! The figures are the ones `analyze` computed (`Analysis::estimate`), formatted with the
//! estimate's own number formats, so the editor, `hostplan estimate` and the reports agree to
//! the digit. Nothing is estimated here.

use hostplan_core::estimate::format;
use hostplan_core::model::Environment;
use hostplan_core::Analysis;

/// The estimate's figures for one environment, as the editor shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvironmentEstimate {
    /// One short line for the inlay hint: `412 GiB by year 5 · $1,089.12/month`.
    pub summary: String,
    /// Markdown bullet lines for hover.
    pub details: Vec<String>,
}

/// The estimate for `env`, or `None` when the analysis has none (a plan with errors that
/// keep it from having a model).
pub fn environment_estimate(analysis: &Analysis, env: &Environment) -> Option<EnvironmentEstimate> {
    let estimate = analysis.estimate.as_ref()?;
    let found = estimate
        .environments
        .iter()
        .find(|it| it.name == env.name)?;
    let horizon = found.years.last()?;
    let storage = format!(
        "{} GiB by year {}",
        format::int(horizon.storage_gib),
        horizon.year
    );
    let cost = found
        .monthly_cost
        .map(|it| format!("{}/month", format::dollars(it.cents())));
    let summary = match &cost {
        Some(cost) => format!("{storage} · {cost}"),
        None => storage.clone(),
    };
    let mut details = vec![format!("- users served: {}", format::int(found.users))];
    let mut parts = vec![
        format!("CouchDB data {} GiB", format::int(horizon.couchdb_data_gib)),
        format!(
            "upgrade headroom {} GiB",
            format::int(horizon.upgrade_headroom_gib)
        ),
    ];
    if horizon.postgres_gib > 0 {
        parts.push(format!(
            "PostgreSQL {} GiB",
            format::int(horizon.postgres_gib)
        ));
    }
    details.push(format!(
        "- storage by year {}: {} GiB ({})",
        horizon.year,
        format::int(horizon.storage_gib),
        parts.join(", ")
    ));
    details.push(format!(
        "- CouchDB volume: {} GiB per node × {}",
        format::int(found.storage.couchdb_volume_gib),
        found.couchdb_nodes
    ));
    if let Some(backup) = &found.storage.backup {
        let mut line = format!("- backups: {} GiB", format::int(backup.backup_gib));
        if backup.offsite_gib > 0 {
            line.push_str(&format!(
                ", {} GiB offsite",
                format::int(backup.offsite_gib)
            ));
        }
        details.push(line);
    }
    details.push(format!(
        "- compute: {} vCPU, {} GiB memory",
        format::vcpu(found.compute.required_millicpu),
        format::gib(found.compute.required_memory_mib)
    ));
    details.push(match (&cost, &found.prices) {
        (Some(cost), Some(prices)) => format!(
            "- cost: {cost} ({} prices of {})",
            prices.provider, prices.prices_date
        ),
        (Some(cost), None) => format!("- cost: {cost}"),
        (None, _) => "- cost: no price table for this infrastructure".to_string(),
    });
    Some(EnvironmentEstimate { summary, details })
}
