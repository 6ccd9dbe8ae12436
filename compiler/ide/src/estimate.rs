//! Where the capacity and cost estimate plugs into the editor.
//!
//! Hover on an environment and the inlay hint beside it show the estimate's storage and cost
//! for that environment. The estimate engine (`hostplan_core::estimate`) is being written
//! separately; until it is part of the analysis, [`environment_estimate`] has nothing to
//! report and the editor shows the environment's topology and effective policy only. When the
//! engine lands, this function is the one place to connect: it must return the figures the
//! engine computed, never figures made up here.

use hostplan_core::model::Environment;
use hostplan_core::Analysis;

/// The estimate's figures for one environment, as the editor shows them.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvironmentEstimate {
    /// Provisioned storage at the end of the planning horizon, already formatted (`1.2TiB`).
    pub storage: String,
    /// The monthly cost, already formatted (`$540/month`), when the infrastructure has prices.
    pub monthly_cost: Option<String>,
}

/// The estimate for `env`, or `None` while the analysis carries no estimate.
pub fn environment_estimate(analysis: &Analysis, env: &Environment) -> Option<EnvironmentEstimate> {
    // `Analysis` has no estimate yet: the engine is not part of `hostplan_core::analyze`.
    let _ = (analysis, env);
    None
}
