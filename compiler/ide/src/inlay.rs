//! Inlay hints: a summary at the end of each environment's first line.
//!
//! The hint says where and how the environment runs once defaults and `extends` are applied,
//! and, when the analysis carries the capacity estimate, its storage and cost.

use hostplan_core::Analysis;
use hostplan_diagnostics::FileId;

use crate::describe::environment_topology;
use crate::environment_estimate;

/// A hint to show at `offset`, after the text there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlayHint {
    pub offset: u32,
    pub label: String,
    /// What the hint stands for, for the tooltip.
    pub tooltip: String,
}

/// The hints of `file`, in offset order.
pub fn inlay_hints(analysis: &Analysis, file: FileId) -> Vec<InlayHint> {
    let Some(plan) = &analysis.plan else {
        return Vec::new();
    };
    let text = analysis.workspace.sources.text(file);
    let mut hints = Vec::new();
    for env in plan
        .environments
        .iter()
        .filter(|it| it.name_span.file == file)
    {
        let mut label = environment_topology(env);
        let mut tooltip = format!("Environment `{}`: target, infrastructure and CouchDB topology after defaults and `extends`", env.name);
        if let Some(estimate) = environment_estimate(analysis, env) {
            label.push_str(&format!(" · {}", estimate.summary));
            tooltip.push_str(", and the capacity estimate: storage growing with the data by the end of the horizon, and the monthly cost");
        }
        let start = env.name_span.range.end as usize;
        let line_end = text
            .get(start..)
            .and_then(|rest| rest.find('\n'))
            .map(|it| start + it)
            .unwrap_or(text.len());
        hints.push(InlayHint {
            offset: line_end as u32,
            label,
            tooltip,
        });
    }
    hints.sort_by_key(|it| it.offset);
    hints
}
