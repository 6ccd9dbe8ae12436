//! The analysis core: loading modules, checking them against the schema, building the typed
//! plan model, and (in later stages) the estimate, the rules and the resource model.
//!
//! This crate does no I/O and reads no clock or environment: files arrive through
//! [`modules::SourceLoader`].

pub mod check;
pub mod estimate;
pub mod graph;
pub mod interpolation;
pub mod ir;
pub mod lower;
pub mod model;
pub mod modules;
pub mod plan_estimate;
pub mod provision;
pub mod reference;
pub mod rules;
pub mod schema;
pub mod sizing;
mod suggest;

use std::sync::Arc;

use hostplan_diagnostics::{codes, Diagnostic, Label};

/// Everything known about a plan after analysis: its files, the checked declarations, the
/// model (when the plan is sound enough to have one) and every diagnostic, sorted.
#[derive(Debug, Default)]
pub struct Analysis {
    pub workspace: modules::Workspace,
    pub checked: check::Checked,
    pub plan: Option<model::Plan>,
    /// The capacity and cost estimate of the model, when there is one.
    pub estimate: Option<estimate::output::PlanEstimate>,
    /// The hosting-guide rules' verdict, when there is a model to check.
    pub rules: Option<rules::RuleReport>,
    pub diagnostics: Vec<Diagnostic>,
    /// What the names of each module referred to, for the next analysis.
    scopes: Option<check::Scopes>,
    /// What building the model left for the next analysis.
    model_memo: Option<model::Memo>,
    /// What the estimate left for the next analysis.
    estimate_memo: Option<estimate::EstimateMemo>,
    /// Whether this analysis kept parts of the previous one.
    pub reused: bool,
}

impl Analysis {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Takes the analysis apart for the next analysis of the same plan through the same
    /// parse cache. The files go first: the parse cache is then the only owner of the
    /// syntax trees and edits them in place.
    pub fn into_previous(self) -> Previous {
        let Analysis {
            workspace,
            checked,
            scopes,
            plan,
            model_memo,
            estimate,
            estimate_memo,
            ..
        } = self;
        drop(workspace);
        Previous {
            checked,
            scopes,
            plan,
            model_memo,
            estimate: estimate.zip(estimate_memo),
        }
    }
}

/// The parts of an analysis that the next analysis of the same plan can keep.
pub struct Previous {
    checked: check::Checked,
    scopes: Option<check::Scopes>,
    plan: Option<model::Plan>,
    model_memo: Option<model::Memo>,
    estimate: Option<(estimate::output::PlanEstimate, estimate::EstimateMemo)>,
}

/// Loads, checks and models a plan. `Err` only when the entry file cannot be read.
pub fn analyze(
    loader: &dyn modules::SourceLoader,
    entry: &str,
    cache: &mut modules::ParseCache,
) -> Result<Analysis, String> {
    analyze_reusing(loader, entry, cache, None)
}

/// Analyses a plan again after an edit, redoing only what the edit affects: the parse cache
/// reparses only the edited entries, the checker checks only them, and the model rebuilds
/// only the policies and environments built from them. `previous` must be the analysis
/// made by the previous call with the same `cache`. The result equals [`analyze`]'s.
pub fn analyze_reusing(
    loader: &dyn modules::SourceLoader,
    entry: &str,
    cache: &mut modules::ParseCache,
    previous: Option<Previous>,
) -> Result<Analysis, String> {
    let mut workspace = modules::load(loader, entry, cache)?;
    let (previous_checked, previous_model, previous_estimate) = match previous {
        Some(previous) => (
            previous.scopes.map(|scopes| (previous.checked, scopes)),
            previous.plan.zip(previous.model_memo),
            previous.estimate,
        ),
        None => (None, None, None),
    };
    let (checked, scopes, recheck) = check::check_reusing(&workspace, previous_checked);
    let reused = recheck != check::Recheck::Full;
    let reuse = match (recheck, previous_model) {
        (check::Recheck::Partial { shift, changed }, Some((plan, memo))) => Some(model::Reuse {
            plan,
            memo,
            shift,
            changed,
        }),
        _ => None,
    };
    let mut diagnostics = std::mem::take(&mut workspace.diagnostics);
    diagnostics.extend(checked.diagnostics.iter().cloned());
    let mut model_diagnostics = Vec::new();
    let (plan, model_memo) =
        model::build_reusing(&workspace, &checked, &mut model_diagnostics, reuse);
    diagnostics.append(&mut model_diagnostics);
    if let Some(plan) = &plan {
        // A plan may declare its own release layout; a broken one is a plan error that
        // `check` reports, not something only `build` would find.
        lower::check_catalogue(plan, &mut diagnostics);
    }
    let std_files: Vec<hostplan_diagnostics::FileId> = workspace
        .modules
        .iter()
        .filter(|it| it.is_std)
        .map(|it| it.file)
        .collect();
    let (estimate, estimate_memo) = match plan
        .as_ref()
        .map(|plan| plan_estimate::estimate_plan_reusing(plan, previous_estimate))
    {
        Some((estimate, memo)) => (Some(estimate), Some(memo)),
        None => (None, None),
    };
    let rules = plan
        .as_ref()
        .map(|plan| rules::run(plan, estimate.as_ref(), &std_files, &mut diagnostics));
    report_unused(&workspace, &checked, &mut diagnostics);
    hostplan_diagnostics::sort_and_dedup(&mut diagnostics);
    // A model built from a plan with errors is kept for the editor; the command line hands
    // it to backends only when `has_errors` is false.
    Ok(Analysis {
        workspace,
        checked,
        plan,
        estimate,
        rules,
        diagnostics,
        scopes: Some(scopes),
        model_memo: Some(model_memo),
        estimate_memo,
        reused,
    })
}

/// Warns about secrets and policies of the user's files that nothing uses.
fn report_unused(
    workspace: &modules::Workspace,
    checked: &check::Checked,
    diagnostics: &mut Vec<Diagnostic>,
) {
    for (idx, decl) in checked.decls.iter().enumerate() {
        let is_user = workspace
            .modules
            .get(decl.module.0 as usize)
            .is_some_and(|it| !it.is_std);
        let used = checked.uses.get(idx).copied().unwrap_or(0) > 0;
        let bound_by_name = decl.kind == schema::DeclKind::Secret
            && model::SecretSlot::from_name(&decl.name).is_some();
        if !is_user
            || used
            || bound_by_name
            || !matches!(
                decl.kind,
                schema::DeclKind::Secret | schema::DeclKind::Policy
            )
        {
            continue;
        }
        diagnostics.push(
            Diagnostic::warning(
                &codes::W0001,
                format!("{} `{}` is never used", decl.kind.noun(), decl.name),
                Label::new(decl.name_span, "declared here"),
            )
            .with_help("remove it, or refer to it where it was meant to be used"),
        );
    }
}

/// A loader over a fixed set of files, for tests and for the language server's overlays.
#[derive(Default)]
pub struct MemoryLoader {
    pub files: Vec<(String, Arc<str>)>,
}

impl modules::SourceLoader for MemoryLoader {
    fn load(&self, path: &str) -> Result<Arc<str>, String> {
        self.files
            .iter()
            .find(|(it, _)| it == path)
            .map(|(_, text)| text.clone())
            .ok_or_else(|| "no such file".to_string())
    }
}
#[cfg(test)]
mod incremental_tests;
#[cfg(test)]
mod tests;
