//! `terraform/README.md`: what the module creates, why the machines are the size they are, which
//! protections it holds, and how to apply it.
//!
//! Written by code rather than a Handlebars template, as the Compose README is: it is built on
//! every `hostplan build`, and compiling a template costs about a millisecond per process. Each
//! section is a small function over the resource model and the module.

use std::fmt::Write;

use hostplan_core::ir::{self, AlertCondition, Provider, Target};

use crate::hcl::{Body, Expr};
use crate::terraform::{secret_how, Concern, Ctx, Module};
use crate::{header, EmitOptions};

/// Renders the README; `files` are the `.tf` files written, in order.
pub(crate) fn render(
    ctx: &Ctx<'_>,
    module: &Module,
    files: &[String],
    options: &EmitOptions,
) -> String {
    let env = ctx.env;
    let aws = matches!(env.infrastructure.provider, Provider::Aws { .. });
    let mut out = String::with_capacity(8 * 1024);
    out.push_str(&header::html_comment(&options.plan_path));
    let (location, platform) = match (&env.infrastructure.provider, env.target) {
        (Provider::Aws { region, .. }, Target::Compose) => {
            (format!("AWS {region}"), "an EC2 host with Docker Compose")
        }
        (Provider::Aws { region, .. }, _) => (format!("AWS {region}"), "Amazon EKS"),
        (Provider::Gcp { region, project }, Target::Compose) => (
            format!("Google Cloud {region} (project `{project}`)"),
            "a Compute Engine host with Docker Compose",
        ),
        (Provider::Gcp { region, project }, _) => (
            format!("Google Cloud {region} (project `{project}`)"),
            "Google Kubernetes Engine",
        ),
        _ => (String::new(), ""),
    };
    let _ = writeln!(
        out,
        "# Terraform for `{}`: CHT {} on {platform}\n",
        env.name, env.release.version
    );
    let _ = writeln!(
        out,
        "This root module creates the infrastructure environment `{}` of plan `{}` ({}) runs on, in {location}.",
        env.name, ctx.program.plan.name, ctx.program.plan.owner
    );
    out.push_str("Everything in it comes from the plan; secrets come in as Terraform variables at deploy time and are never written in a file.\n\n");
    files_section(&mut out, files);
    machines_section(&mut out, ctx);
    out.push_str("## Protections built in\n\n");
    for protection in protections(ctx, aws) {
        let _ = writeln!(out, "- {protection}");
    }
    out.push('\n');
    alerts_section(&mut out, ctx, aws);
    apply_section(&mut out, ctx, module);
    operators_section(&mut out, ctx, aws);
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

fn files_section(out: &mut String, files: &[String]) {
    out.push_str("## Files\n\n| file | what it holds |\n| --- | --- |\n");
    for name in files {
        if let Some(concern) = Concern::ALL.iter().find(|it| it.file_name() == name) {
            let _ = writeln!(out, "| `{name}` | {} |", concern.about());
        }
    }
    out.push('\n');
}

fn machines_section(out: &mut String, ctx: &Ctx<'_>) {
    out.push_str("## Machines\n\n");
    let _ = writeln!(
        out,
        "Instance types come from the plan's capacity estimate{}; each choice is explained beside it in `compute.tf`.\n",
        ctx.cloud
            .prices
            .as_ref()
            .map(|it| format!(" ({it})"))
            .unwrap_or_default()
    );
    out.push_str("| machines | count | type | each needs |\n| --- | --- | --- | --- |\n");
    let order = [
        ir::HostPurpose::ChtHost,
        ir::HostPurpose::Couchdb,
        ir::HostPurpose::Services,
        ir::HostPurpose::ChtSync,
        ir::HostPurpose::ControlPlane,
        ir::HostPurpose::Watchdog,
    ];
    for purpose in order {
        for machine in ctx.cloud.machines.iter().filter(|it| it.purpose == purpose) {
            let count = ctx.host(&machine.host).map_or(1, |it| it.count);
            let instance = machine.instance.as_ref().map_or(
                "chosen by the operator (`variables.tf`)".to_string(),
                |it| {
                    format!(
                        "`{}` ({} vCPU, {} GiB)",
                        it.name,
                        it.vcpu,
                        ir::trim_float(it.memory_mib as f64 / 1024.0)
                    )
                },
            );
            let _ = writeln!(
                out,
                "| {} | {count} | {instance} | {} |",
                machine.host, machine.need
            );
        }
    }
    if ctx.compose() {
        let disks: Vec<String> = ctx
            .cloud
            .machine(ir::HostPurpose::ChtHost)
            .map(|machine| {
                ctx.disks_of(&machine.host)
                    .into_iter()
                    .map(|disk| {
                        format!(
                            "- `{}`: {} GiB, encrypted, mounted at `{}`.",
                            disk.volume,
                            disk.size_gib,
                            ctx.mount_point(disk)
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        if !disks.is_empty() {
            out.push_str("\nData disks, sized for the plan's horizon:\n\n");
            for disk in disks {
                let _ = writeln!(out, "{disk}");
            }
        }
    }
    out.push('\n');
}

fn alerts_section(out: &mut String, ctx: &Ctx<'_>, aws: bool) {
    out.push_str("## Alerts\n\n");
    if ctx.alerts().is_empty() {
        out.push_str("The policy names no alerts.\n\n");
        return;
    }
    out.push_str("| the policy's condition | watched by |\n| --- | --- |\n");
    for condition in ctx.alerts() {
        let _ = writeln!(
            out,
            "| {} | {} |",
            condition.describe(),
            watched_by(ctx, condition, aws)
        );
    }
    out.push('\n');
}

fn apply_section(out: &mut String, ctx: &Ctx<'_>, module: &Module) {
    out.push_str("## Apply, step by step\n\n");
    for step in &module.before_apply {
        let _ = writeln!(out, "1. {step}");
    }
    if !ctx.env.secrets.is_empty() {
        out.push_str("1. Give the secrets as environment variables of the shell that runs Terraform, never in a `.tfvars` file:\n");
        for binding in &ctx.env.secrets {
            let _ = writeln!(
                out,
                "   - `TF_VAR_{}`: the plan's secret `{}`, {}.",
                binding.slot.name(),
                binding.secret,
                secret_how(binding)
            );
        }
    }
    let inputs = module
        .body(Concern::Variables)
        .map(inputs)
        .unwrap_or_default();
    if !inputs.is_empty() {
        out.push_str("1. Give the other inputs in `terraform.tfvars` (not secret):\n");
        for (name, what) in inputs {
            let _ = writeln!(out, "   - `{name}`: {what}");
        }
    }
    out.push_str("1. `terraform init`, then `terraform plan -out plan.tfplan`; read the plan, then `terraform apply plan.tfplan`.\n");
    for step in &module.after_apply {
        let _ = writeln!(out, "1. {step}");
    }
    out.push('\n');
}

fn operators_section(out: &mut String, ctx: &Ctx<'_>, aws: bool) {
    if ctx.env.operators.is_empty() {
        return;
    }
    out.push_str("## Operators\n\n| operator | role | access |\n| --- | --- | --- |\n");
    for operator in &ctx.env.operators {
        let name = match &operator.email {
            Some(email) => format!("{} ({email})", operator.name),
            None => operator.name.clone(),
        };
        let _ = writeln!(
            out,
            "| {name} | {} | {} |",
            operator.role.name(),
            access(ctx, operator.role, aws)
        );
    }
}

/// The non-secret variables, with their descriptions.
fn inputs(body: &Body) -> Vec<(String, String)> {
    body.blocks("variable")
        .filter(|block| !matches!(block.body.get_attr("sensitive"), Some(Expr::Bool(true))))
        .filter_map(|block| {
            let name = block.labels.first()?.clone();
            let what = match block.body.get_attr("description") {
                Some(Expr::Str(text)) => text.clone(),
                _ => String::new(),
            };
            let what = match block.body.get_attr("default") {
                Some(Expr::Str(default)) => format!("{what} Default: `{default}`."),
                _ => what,
            };
            Some((name, what))
        })
        .collect()
}

fn protections(ctx: &Ctx<'_>, aws: bool) -> Vec<String> {
    let env = ctx.env;
    let mut out = Vec::new();
    out.push(if aws {
        "Encryption at rest: a KMS key of this environment (rotated yearly) encrypts the data disks, root disks, snapshots, backups, Kubernetes secrets, logs and the alert topic.".to_string()
    } else {
        "Encryption at rest: a Cloud KMS key of this environment (rotated every 90 days) encrypts the data and boot disks, snapshots, backups and Kubernetes secrets.".to_string()
    });
    if let Some(backup) = &ctx.cloud.backup {
        let offsite = match &backup.offsite {
            Some(ir::OffsiteRegion::Plan(region)) => format!(", with an offsite copy in {region} (the policy's region)"),
            Some(ir::OffsiteRegion::Partner(region)) => format!(", with an offsite copy in {region} (the nearest region at another site; set `offsite_region` in the policy to choose)"),
            Some(ir::OffsiteRegion::Ask) => ", with an offsite copy in the region given as `offsite_region`".to_string(),
            None => String::new(),
        };
        out.push(format!(
            "Backups: disk snapshots every {} hours and a private, versioned, encrypted bucket `{}`, kept {} days{offsite}.",
            crate::terraform::backup_hours(backup.every_secs),
            backup.bucket,
            backup.keep_days()
        ));
    }
    out.push(if ctx.compose() {
        "Exposure: only ports 80 and 443 are open to the Internet; there is no SSH from the Internet.".to_string()
    } else {
        "Exposure: only the load balancer in front of CHT (80 and 443) is reachable from the Internet; the nodes are in private subnets.".to_string()
    });
    if !env.security.admin_from.is_empty() {
        out.push(format!(
            "Admin access only from {}: operators' roles can be assumed, {} reached, and CHT's admin paths (`/_utils`, `/admin`) opened only from there{}.",
            env.security.admin_from.iter().map(|it| format!("`{it}`")).collect::<Vec<_>>().join(", "),
            if ctx.compose() { "the host's SSH" } else { "the Kubernetes API" },
            if ctx.compose() && env.tls.mode != ir::TlsMode::Managed { " (CHT's nginx cannot filter paths by address; put a proxy in front to enforce it)" } else { "" }
        ));
    }
    if ctx.compose() && env.start_on_boot {
        out.push("Power failures: Docker starts at boot, so every CHT container (restart: always) comes back; a host whose hardware fails is recovered automatically.".to_string());
    }
    out
}

fn watched_by(ctx: &Ctx<'_>, condition: &AlertCondition, aws: bool) -> String {
    let compose = ctx.compose();
    match condition {
        AlertCondition::Downtime { .. } if aws => "a Route 53 health check of `/api/info` over HTTPS, with an alarm in us-east-1".to_string(),
        AlertCondition::Downtime { .. } => "an uptime check of `/api/info` over HTTPS".to_string(),
        AlertCondition::DiskUsed { .. } if aws && compose => "the host's health job (every 5 minutes), per data disk and the root disk".to_string(),
        AlertCondition::DiskUsed { .. } if aws => "Container Insights, for the nodes' disks; CouchDB's volume is not visible to CloudWatch and needs a watch from inside the cluster".to_string(),
        AlertCondition::DiskUsed { .. } if compose => "the Ops Agent's disk metrics".to_string(),
        AlertCondition::DiskUsed { .. } => "GKE's volume metrics, for CouchDB's and PostgreSQL's volumes".to_string(),
        AlertCondition::CertExpiry { .. } if aws && (!compose || ctx.env.tls.mode == ir::TlsMode::Managed) => "ACM's days-to-expiry metric".to_string(),
        AlertCondition::CertExpiry { .. } if aws => "the host's health job, which reads the certificate nginx serves".to_string(),
        AlertCondition::CertExpiry { .. } => "the uptime check, which reads the certificate's expiry".to_string(),
        AlertCondition::BackupFailed if aws && compose => "the snapshot policy's failures, replication failures, and the host's health job, which reads the backup container's log".to_string(),
        AlertCondition::BackupFailed if aws => "the snapshot policy's failures and the bucket's replication failures".to_string(),
        AlertCondition::BackupFailed if compose => "failed snapshots, and the backup container's outcome written to syslog".to_string(),
        AlertCondition::BackupFailed => "failed Backup for GKE runs".to_string(),
        AlertCondition::ReplicationLimit if ctx.env.monitoring.is_some() => "CHT Watchdog (no cloud metric can see it)".to_string(),
        AlertCondition::ReplicationLimit => "nothing: only CHT Watchdog can see it; add `monitor = watchdog`".to_string(),
    }
}

fn access(ctx: &Ctx<'_>, role: ir::OperatorRole, aws: bool) -> String {
    let compose = ctx.compose();
    let namespace = &ctx.env.namespace;
    match (role, aws, compose) {
        (ir::OperatorRole::Admin, true, true) => {
            "sessions on the CHT host (Systems Manager), the backups, alarms and logs".to_string()
        }
        (ir::OperatorRole::Deployer, true, true) => {
            "sessions on the CHT host (Systems Manager), alarms and logs".to_string()
        }
        (ir::OperatorRole::Viewer, true, true) => "alarms and logs, read-only".to_string(),
        (ir::OperatorRole::Admin, true, false) => {
            "the whole cluster (EKS access entry)".to_string()
        }
        (ir::OperatorRole::Deployer, true, false) => {
            format!("edit in namespace `{namespace}` (EKS access entry)")
        }
        (ir::OperatorRole::Viewer, true, false) => {
            format!("view namespace `{namespace}` (EKS access entry)")
        }
        (ir::OperatorRole::Admin, false, true) => {
            "OS Login as administrator on the CHT host, the backups".to_string()
        }
        (ir::OperatorRole::Deployer, false, true) => "OS Login on the CHT host".to_string(),
        (ir::OperatorRole::Viewer, false, true) => "Cloud Monitoring, read-only".to_string(),
        (ir::OperatorRole::Admin, false, false) => {
            "the whole cluster (Kubernetes Engine Admin)".to_string()
        }
        (ir::OperatorRole::Deployer, false, false) => {
            "deploy workloads (Kubernetes Engine Developer)".to_string()
        }
        (ir::OperatorRole::Viewer, false, false) => {
            "read-only (Kubernetes Engine Viewer)".to_string()
        }
    }
}
