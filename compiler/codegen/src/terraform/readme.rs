//! `terraform/README.md`: what the module creates, why the machines are the size they are, which
//! protections it holds, and how to apply it. Human text, so a Handlebars template filled with
//! data the resource model and the module decide.

use handlebars::Handlebars;
use hostplan_core::ir::{self, AlertCondition, Provider, Target};
use serde_json::{json, Value};

use crate::hcl::{Body, Expr};
use crate::terraform::{secret_how, Concern, Ctx, Module};
use crate::{header, EmitOptions};

const TEMPLATE: &str = include_str!("README.md.hbs");

/// Renders the README; `files` are the `.tf` files written, in order.
pub(crate) fn render(
    ctx: &Ctx<'_>,
    module: &Module,
    files: &[String],
    options: &EmitOptions,
) -> String {
    let mut handlebars = Handlebars::new();
    handlebars.set_strict_mode(true);
    handlebars.register_escape_fn(handlebars::no_escape);
    match handlebars.render_template(TEMPLATE, &data(ctx, module, files, options)) {
        Ok(mut text) => {
            // Handlebars leaves the blank lines of skipped sections; Markdown needs at most one.
            while text.contains("\n\n\n") {
                text = text.replace("\n\n\n", "\n\n");
            }
            if !text.ends_with('\n') {
                text.push('\n');
            }
            text
        }
        // The template is part of the binary and tested, so this is a bug in hostplan; say so
        // in the file rather than write nothing.
        Err(error) => format!(
            "{}\nThis README could not be generated ({error}); this is a bug in hostplan.\n",
            header::html_comment(&options.plan_path)
        ),
    }
}

fn data(ctx: &Ctx<'_>, module: &Module, files: &[String], options: &EmitOptions) -> Value {
    let env = ctx.env;
    let aws = matches!(env.infrastructure.provider, Provider::Aws { .. });
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
    let files: Vec<Value> = files
        .iter()
        .filter_map(|name| {
            Concern::ALL
                .iter()
                .find(|it| it.file_name() == name)
                .map(|it| json!({ "name": name, "what": it.about() }))
        })
        .collect();
    let order = [
        ir::HostPurpose::ChtHost,
        ir::HostPurpose::Couchdb,
        ir::HostPurpose::Services,
        ir::HostPurpose::ChtSync,
        ir::HostPurpose::ControlPlane,
        ir::HostPurpose::Watchdog,
    ];
    let machines: Vec<Value> = order
        .iter()
        .flat_map(|purpose| ctx.cloud.machines.iter().filter(move |it| it.purpose == *purpose))
        .map(|machine| {
            let count = ctx.host(&machine.host).map_or(1, |it| it.count);
            json!({
                "host": machine.host,
                "count": count,
                "instance": machine.instance.as_ref().map_or("chosen by the operator (`variables.tf`)".to_string(), |it| format!("`{}` ({} vCPU, {} GiB)", it.name, it.vcpu, ir::trim_float(it.memory_mib as f64 / 1024.0))),
                "need": machine.need,
            })
        })
        .collect();
    let disks: Vec<Value> = if ctx.compose() {
        ctx.cloud
            .machine(ir::HostPurpose::ChtHost)
            .map(|machine| {
                ctx.disks_of(&machine.host)
                    .into_iter()
                    .map(|disk| json!({ "volume": disk.volume, "size": disk.size_gib, "mount": ctx.mount_point(disk) }))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let alerts: Vec<Value> = ctx
        .alerts()
        .iter()
        .map(|condition| json!({ "condition": condition.describe(), "how": watched_by(ctx, condition, aws) }))
        .collect();
    let secrets: Vec<Value> = env
        .secrets
        .iter()
        .map(|it| json!({ "name": it.slot.name(), "how": format!("the plan's secret `{}`, {}", it.secret, secret_how(it)) }))
        .collect();
    let inputs: Vec<Value> = module
        .body(Concern::Variables)
        .map(inputs)
        .unwrap_or_default();
    let operators: Vec<Value> = env
        .operators
        .iter()
        .map(|it| {
            json!({
                "name": match &it.email { Some(email) => format!("{} ({email})", it.name), None => it.name.clone() },
                "role": it.role.name(),
                "access": access(ctx, it.role, aws),
            })
        })
        .collect();
    json!({
        "header": header::html_comment(&options.plan_path).trim_end(),
        "env": env.name,
        "version": env.release.version,
        "platform": platform,
        "plan": ctx.program.plan.name,
        "owner": ctx.program.plan.owner,
        "location": location,
        "files": files,
        "prices": ctx.cloud.prices,
        "machines": machines,
        "disks": disks,
        "protections": protections(ctx, aws),
        "alerts": alerts,
        "before": module.before_apply,
        "secrets": secrets,
        "inputs": inputs,
        "after": module.after_apply,
        "operators": operators,
    })
}

/// The non-secret variables, with their descriptions.
fn inputs(body: &Body) -> Vec<Value> {
    body.blocks("variable")
        .filter(|block| !matches!(block.body.get_attr("sensitive"), Some(Expr::Bool(true))))
        .filter_map(|block| {
            let name = block.labels.first()?;
            let what = match block.body.get_attr("description") {
                Some(Expr::Str(text)) => text.clone(),
                _ => String::new(),
            };
            let what = match block.body.get_attr("default") {
                Some(Expr::Str(default)) => format!("{what} Default: `{default}`."),
                _ => what,
            };
            Some(json!({ "name": name, "what": what }))
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
