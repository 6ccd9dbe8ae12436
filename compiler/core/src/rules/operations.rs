//! Running the system: restarts (R0107, R0108), monitoring placement (R0123), a place to
//! test changes (R0124), people who can act (R0125) and update windows (R0126).

use hostplan_diagnostics::Label;

use crate::model::{Distribution, EnvKind, Environment, Infra, Restart, Target};
use crate::rules::{Ctx, Finding};

/// R0107: containers do not restart after a crash or a reboot.
pub(crate) fn manual_restart(
    ctx: &Ctx<'_>,
    idx: usize,
    environment: &Environment,
    out: &mut Vec<Finding>,
) -> bool {
    let value = match environment.policy.restart {
        Restart::Always | Restart::UnlessStopped => return true,
        Restart::OnFailure => "on_failure",
        Restart::Never => "never",
    };
    out.push(
        Finding::new(
            idx,
            environment,
            format!("services of `{}` do not restart on their own", environment.name),
            "after a power failure CHT stays down here",
        )
        .with_secondary(ctx.policy_label(environment, "restart", &format!("`restart = {value}` is set here")))
        .with_help("use `restart = always`, as CHT's own Compose files do")
        .with_note("after a reboot, Docker starts again only containers whose policy is `always` or `unless-stopped`"),
    );
    true
}

/// R0108: the container runtime does not start at boot, on hosts the plan runs itself.
pub(crate) fn boot_start_disabled(
    ctx: &Ctx<'_>,
    idx: usize,
    environment: &Environment,
    out: &mut Vec<Finding>,
) -> bool {
    // Managed Kubernetes starts its nodes' runtime itself; the setting concerns hosts the
    // deployment runs: Compose hosts and self-managed clusters.
    let managed = matches!(
        environment.target,
        Target::Kubernetes(Distribution::Eks | Distribution::Gke | Distribution::Aks)
    );
    if managed {
        return false;
    }
    if environment.policy.start_on_boot {
        return true;
    }
    out.push(
        Finding::new(
            idx,
            environment,
            format!(
                "the container runtime of `{}` does not start at boot",
                environment.name
            ),
            "after a power failure the host comes back without CHT",
        )
        .with_secondary(ctx.policy_label(
            environment,
            "start_on_boot",
            "`start_on_boot = false` is set here",
        ))
        .with_help(
            "set `start_on_boot = true`; the README then says how to enable the runtime at boot",
        ),
    );
    true
}

/// R0123: Watchdog would share the only host with the instance it watches.
pub(crate) fn colocated_watchdog(
    ctx: &Ctx<'_>,
    idx: usize,
    environment: &Environment,
    out: &mut Vec<Finding>,
) -> bool {
    if !environment.monitor_watchdog {
        return false;
    }
    let single_host = match &environment.infra {
        Infra::Local => true,
        Infra::OnPrem { nodes, .. } => *nodes < 2,
        Infra::Aws { .. } | Infra::Gcp { .. } => false,
    };
    if !single_host {
        return true;
    }
    out.push(
        Finding::new(
            idx,
            environment,
            format!("CHT Watchdog of `{}` would run on the host it watches", environment.name),
            "when this host fails, its monitoring fails with it",
        )
        .with_secondary(ctx.environment_label(environment, "monitor", "Watchdog is chosen here"))
        .with_secondary(ctx.environment_label(environment, "infra", "but the infrastructure has a single host"))
        .with_help("provide a second host (`onprem { nodes = 2, ... }`) or a cloud, where Watchdog gets its own machine")
        .with_note("CHT's documentation requires Watchdog on a separate server"),
    );
    true
}

/// R0124: a production environment with no test or staging environment in the plan.
pub(crate) fn missing_test_environment(
    ctx: &Ctx<'_>,
    idx: usize,
    environment: &Environment,
    out: &mut Vec<Finding>,
) -> bool {
    if environment.kind != EnvKind::Production {
        return false;
    }
    let tested = ctx
        .plan
        .environments
        .iter()
        .any(|it| matches!(it.kind, EnvKind::Test | EnvKind::Staging));
    if tested {
        return true;
    }
    out.push(
        Finding::new(
            idx,
            environment,
            format!("`{}` has no test or staging environment beside it", environment.name),
            "changes and upgrades reach real users untried",
        )
        .with_secondary(ctx.environment_label(environment, "kind", "the only environment of this plan above development"))
        .with_help("add an environment with `kind = test` or `kind = staging`, for example with `scale = 5%` and `data = anonymized`"),
    );
    true
}

/// R0125: no operator may deploy to or administer the environment.
pub(crate) fn unattended_environment(
    ctx: &Ctx<'_>,
    idx: usize,
    environment: &Environment,
    out: &mut Vec<Finding>,
) -> bool {
    let access = ctx
        .operators
        .get(environment.name.as_str())
        .copied()
        .unwrap_or_default();
    if access.attended {
        return true;
    }
    let mut finding = Finding::new(
        idx,
        environment,
        format!("no operator may act on `{}`", environment.name),
        "when this environment goes down, nobody is named to restore it",
    )
    .with_help(format!(
        "give an operator the `admin` or `deployer` role with `access = [{}]`",
        environment.name
    ));
    if let Some(viewer) = access.first {
        finding = finding.with_secondary(Label::new(viewer, "this operator may only view it"));
    }
    out.push(finding);
    true
}

/// R0126: no update window.
pub(crate) fn unscheduled_updates(
    ctx: &Ctx<'_>,
    idx: usize,
    environment: &Environment,
    out: &mut Vec<Finding>,
) -> bool {
    if environment.policy.update_window.is_some() {
        return true;
    }
    out.push(
        Finding::new(
            idx,
            environment,
            format!("`{}` has no window for updates", environment.name),
            "nobody has agreed when upgrades may run here",
        )
        .with_secondary(ctx.policy_label(environment, "update_window", "the policy sets no `update_window`"))
        .with_help("add `update_window = \"Sun 02:00-04:00\"` (in the deployment's time zone) to the policy"),
    );
    true
}
