//! Provisioning: lowering with the sizes of the capacity estimate, and the facts cloud backends
//! need beyond the services.
//!
//! [`crate::lower`] takes an [`ir::Sizing`] per environment and describes the hosts and disks
//! from it. This module gives it the estimate's figures ([`sizing`]) instead of CHT's published
//! minimums, so every backend sizes from the same numbers the estimate reports, and then adds
//! [`ir::Cloud`] to the environments on `aws` and `gcp`: the instance type the estimate chose for
//! each host, with its reason, and where the backups go (bucket, region, offsite region).
//!
//! Environments the estimate does not cover (there is none when the plan has no model) keep the
//! official minimums, so lowering never depends on the estimate succeeding.

use hostplan_diagnostics::Diagnostic;

use crate::estimate::format;
use crate::estimate::output::{EnvironmentEstimate, NodeGroup, NodeRole, PlanEstimate};
use crate::ir::{self, HostPurpose, HostRole, OffsiteRegion};
use crate::{lower, model};

/// Lowers a plan, sized by its estimate where the estimate covers an environment.
pub fn lower(
    plan: &model::Plan,
    estimate: Option<&PlanEstimate>,
) -> (ir::Program, Vec<Diagnostic>) {
    let estimated =
        |name: &str| estimate.and_then(|it| it.environments.iter().find(|env| env.name == name));
    let sizing = |env: &model::Environment| match (estimated(&env.name), estimate) {
        (Some(env_estimate), Some(plan_estimate)) => sizing(env, env_estimate, plan_estimate),
        _ => lower::official_minimum(env),
    };
    let (mut program, diagnostics) = lower::lower_with_sizing(plan, &sizing);
    for env in &mut program.environments {
        let Some(model_env) = plan.environments.iter().find(|it| it.name == env.name) else {
            continue;
        };
        env.infrastructure.cloud = cloud(plan, model_env, estimated(&env.name));
    }
    (program, diagnostics)
}

/// The sizing input of one environment from its estimate.
///
/// Hosts are listed with the one CHT's services run on last among the CHT hosts (the CouchDB
/// nodes on Kubernetes, the CHT host on Compose), because the resource model places services
/// and data disks on the last host of their role.
///
/// On Docker Compose, CHT Sync runs on the CHT host (the Compose backend starts it there with
/// the rest of the stack), so its needs are added to the CHT host's when nothing was chosen for
/// it; on a cloud the CHT host keeps the instance type the estimate chose for CHT alone, and
/// [`ir::Machine::note`] says so.
pub fn sizing(
    env: &model::Environment,
    estimate: &EnvironmentEstimate,
    plan_estimate: &PlanEstimate,
) -> ir::Sizing {
    // Containers and volumes come from the one conversion every backend shares; only the
    // order and grouping of hosts is decided here.
    let mut sized = crate::sizing::from_estimate(env, estimate, plan_estimate);
    let compose = env.target == model::Target::Compose;
    let mut hosts = Vec::new();
    for role in HOST_ORDER {
        let Some(group) = estimate.node_group(role) else {
            continue;
        };
        if compose && role == NodeRole::ChtSync {
            continue;
        }
        let mut host = host_sizing(group);
        if compose && role == NodeRole::ChtHost && group.instance.is_none() {
            if let Some(sync) = estimate.node_group(NodeRole::ChtSync) {
                host.millicpu = host.millicpu.saturating_add(sync.millicpu_per_node);
                host.memory_mib = host.memory_mib.saturating_add(sync.memory_mib_per_node);
                host.root_disk_gib = host
                    .root_disk_gib
                    .saturating_add(sync.root_disk_gib_per_node);
            }
        }
        hosts.push(host);
    }
    sized.hosts = hosts;
    // Prometheus keeps its data on the Watchdog host's root disk, which the estimate sizes
    // to hold it; no separate data disk is provisioned for it.
    sized.prometheus_volume_gib = None;
    sized
}

/// The order hosts are listed in; see [`sizing`].
const HOST_ORDER: [NodeRole; 6] = [
    NodeRole::ControlPlane,
    NodeRole::ChtSync,
    NodeRole::Services,
    NodeRole::Couchdb,
    NodeRole::ChtHost,
    NodeRole::Watchdog,
];

fn host_sizing(group: &NodeGroup) -> ir::HostSizing {
    let (count, millicpu, memory_mib) = match &group.instance {
        Some(instance) => (
            instance.nodes,
            u64::from(instance.vcpu).saturating_mul(1000),
            instance.memory_mib,
        ),
        None => (
            group.nodes,
            group.millicpu_per_node,
            group.memory_mib_per_node,
        ),
    };
    ir::HostSizing {
        name: group.role.id().to_string(),
        role: if group.role == NodeRole::Watchdog {
            HostRole::Monitoring
        } else {
            HostRole::Cht
        },
        count: count.max(1),
        millicpu,
        memory_mib,
        root_disk_gib: group.root_disk_gib_per_node.max(1),
    }
}

fn purpose(role: NodeRole) -> HostPurpose {
    match role {
        NodeRole::ChtHost => HostPurpose::ChtHost,
        NodeRole::Couchdb => HostPurpose::Couchdb,
        NodeRole::Services => HostPurpose::Services,
        NodeRole::ControlPlane => HostPurpose::ControlPlane,
        NodeRole::ChtSync => HostPurpose::ChtSync,
        NodeRole::Watchdog => HostPurpose::Watchdog,
    }
}

/// The cloud facts of an environment on `aws` or `gcp`; `None` elsewhere.
fn cloud(
    plan: &model::Plan,
    env: &model::Environment,
    estimate: Option<&EnvironmentEstimate>,
) -> Option<ir::Cloud> {
    let (provider, region) = match &env.infra {
        model::Infra::Aws { region, .. } => ("aws", region.as_str()),
        model::Infra::Gcp { region, .. } => ("gcp", region.as_str()),
        model::Infra::Local | model::Infra::OnPrem { .. } => return None,
    };
    let compose = env.target == model::Target::Compose;
    let mut machines = Vec::new();
    if let Some(estimate) = estimate {
        for role in HOST_ORDER {
            let Some(group) = estimate.node_group(role) else {
                continue;
            };
            if compose && role == NodeRole::ChtSync {
                continue;
            }
            let note = match (compose, role, estimate.node_group(NodeRole::ChtSync)) {
                (true, NodeRole::ChtHost, Some(sync)) => Some(format!(
                    "CHT Sync runs on this host too (compose/hostplan-cht-sync.yml); the estimate sized it apart ({} vCPU / {} GiB), so choose a larger type if CHT Sync competes with CHT for CPU.",
                    format::vcpu(sync.millicpu_per_node),
                    format::gib(sync.memory_mib_per_node)
                )),
                _ => None,
            };
            machines.push(ir::Machine {
                host: role.id().to_string(),
                purpose: purpose(role),
                instance: group.instance.as_ref().map(|it| ir::InstanceType {
                    name: it.name.clone(),
                    vcpu: it.vcpu,
                    memory_mib: it.memory_mib,
                    reason: it.reason.clone(),
                }),
                need: format!(
                    "{} vCPU / {} GiB",
                    format::vcpu(group.millicpu_per_node),
                    format::gib(group.memory_mib_per_node)
                ),
                note,
            });
        }
    }
    let backup = env.policy.backup.as_ref().map(|policy| {
        let offsite = policy.offsite.then(|| match &policy.offsite_region {
            Some(region) => OffsiteRegion::Plan(region.clone()),
            None => match partner_region(provider, region) {
                Some(partner) => OffsiteRegion::Partner(partner.to_string()),
                None => OffsiteRegion::Ask,
            },
        });
        // The Compose backup container writes straight into the offsite region when the policy
        // names one (see `lower`), so the bucket must be there; otherwise the bucket is local
        // and replicates to the offsite region.
        let bucket_region = match (&offsite, compose) {
            (Some(OffsiteRegion::Plan(region)), true) => region.clone(),
            _ => region.to_string(),
        };
        ir::CloudBackup {
            every_secs: (policy.every_hours * 3600.0).round().max(60.0) as u64,
            keep_secs: (policy.keep_days * 86_400.0).round().max(3600.0) as u64,
            encrypted: policy.encrypted,
            bucket: lower::bucket_name(&plan.name, &env.name),
            bucket_region,
            offsite,
            replica_bucket: lower::bucket_name(&plan.name, &format!("{}-offsite", env.name)),
        }
    });
    Some(ir::Cloud {
        machines,
        backup,
        prices: estimate
            .and_then(|it| it.prices.as_ref())
            .map(|it| format!("{} prices of {}", it.provider, it.prices_date)),
    })
}

/// The region an offsite copy goes to when the policy names none: the nearest region of the
/// same provider at another site, within the same continent where the provider has one (so
/// data stays under similar law where possible); Africa's and South America's single regions
/// pair with the nearest region elsewhere. `None` for regions outside the standard library's
/// catalogue.
pub fn partner_region(provider: &str, region: &str) -> Option<&'static str> {
    let table: &[(&str, &str)] = match provider {
        "aws" => &[
            ("us-east-1", "us-west-2"),
            ("us-east-2", "us-west-2"),
            ("us-west-2", "us-east-1"),
            ("eu-west-1", "eu-central-1"),
            ("eu-west-2", "eu-west-1"),
            ("eu-central-1", "eu-west-1"),
            ("af-south-1", "eu-west-1"),
            ("me-south-1", "eu-central-1"),
            ("ap-south-1", "ap-southeast-1"),
            ("ap-southeast-1", "ap-south-1"),
            ("sa-east-1", "us-east-1"),
        ],
        "gcp" => &[
            ("us-central1", "us-east1"),
            ("us-east1", "us-central1"),
            ("us-west1", "us-central1"),
            ("europe-west1", "europe-west4"),
            ("europe-west2", "europe-west1"),
            ("europe-west4", "europe-west1"),
            ("africa-south1", "europe-west1"),
            ("asia-south1", "asia-southeast1"),
            ("asia-southeast1", "asia-south1"),
            ("southamerica-east1", "us-east1"),
        ],
        _ => &[],
    };
    table
        .iter()
        .find(|(home, _)| *home == region)
        .map(|(_, partner)| *partner)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::partner_region;
    use crate::ir::{HostPurpose, OffsiteRegion, SizingSource};
    use crate::modules::ParseCache;
    use crate::MemoryLoader;

    /// Analyses a plan and lowers it with its estimate.
    fn lowered(text: &str) -> crate::ir::Program {
        let loader = MemoryLoader {
            files: vec![("plan.hplan".to_string(), Arc::from(text))],
        };
        let analysis = crate::analyze(&loader, "plan.hplan", &mut ParseCache::default())
            .expect("the plan loads");
        assert!(!analysis.has_errors(), "{:#?}", analysis.diagnostics);
        let plan = analysis.plan.as_ref().expect("a model");
        super::lower(plan, analysis.estimate.as_ref()).0
    }

    fn national() -> crate::ir::Program {
        lowered(include_str!("../../../examples/national/plan.hplan"))
    }

    fn compose_on_aws(policy: &str, extra: &str) -> String {
        format!(
            r#"import "std/cht"
import "std/aws"
import "std/policies"
plan "p" {{ cht = "5.2.0", owner = "MoH" }}
population {{ people = 50_000, workflows = 4 }}
users {{ role chw {{ count = 200 }} }}
secret couchdb_admin = generate(words = 7)
secret couchdb_secret = generate(words = 7)
secret analytics_db = generate(words = 7)
secret staging_admin = generate(words = 7)
secret staging_secret = generate(words = 7)
policy hosted extends policies.production {{
  alerting {{ email = ["ops@example.org"] }}
  admin_from = ["198.51.100.0/24"]
  update_window = "Sun 01:00-05:00"
{policy}
}}
environment prod {{
  kind = production
  target = compose
  infra = aws {{ region = "eu-west-2" }}
  domain = "cht.example.org"
  data = real
  policy = hosted
{extra}
}}
environment staging {{
  kind = staging
  target = compose
  infra = local
  domain = "localhost"
  data = synthetic
  policy = policies.development
  secrets {{ couchdb_admin = staging_admin, couchdb_secret = staging_secret }}
}}
operator root {{ role = admin, access = [prod] }}
"#
        )
    }

    #[test]
    fn cloud_environments_are_sized_by_the_estimate_and_carry_its_instance_choices() {
        let program = national();
        let production = program.environment("production").expect("production");
        assert_eq!(production.sizing.source, SizingSource::Estimate);
        let names: Vec<&str> = production
            .infrastructure
            .hosts
            .iter()
            .map(|it| it.name.as_str())
            .collect();
        // The group CHT's services run on is the last CHT host: the resource model places
        // services and data disks there.
        assert_eq!(names, ["cht-sync", "services", "couchdb", "watchdog"]);
        let cloud = production
            .infrastructure
            .cloud
            .as_ref()
            .expect("cloud facts");
        let couchdb = cloud.machine(HostPurpose::Couchdb).expect("CouchDB nodes");
        let instance = couchdb.instance.as_ref().expect("an instance type");
        assert_eq!(instance.name, "c6i.12xlarge");
        assert!(
            instance.reason.starts_with("c6i.12xlarge: 48 vCPU"),
            "{}",
            instance.reason
        );
        assert_eq!(couchdb.need, "32.46 vCPU / 70.33 GiB");
        let host = production
            .infrastructure
            .hosts
            .iter()
            .find(|it| it.name == "couchdb")
            .expect("host");
        assert_eq!((host.millicpu, host.memory_mib), (48_000, 96 * 1024));
        assert_eq!(cloud.prices.as_deref(), Some("aws prices of 2025-01-01"));
        for disk in &production.infrastructure.disks {
            assert!(disk.encrypted, "{}", disk.name);
        }
    }

    #[test]
    fn backups_go_to_a_bucket_with_the_policy_retention_and_a_partner_region_offsite() {
        let program = national();
        let production = program.environment("production").expect("production");
        let backup = production
            .infrastructure
            .cloud
            .as_ref()
            .and_then(|it| it.backup.as_ref())
            .expect("backups");
        assert_eq!(backup.bucket, "moh-national-production-backups");
        assert_eq!(backup.bucket_region, "af-south-1");
        assert_eq!(backup.keep_days(), 35);
        assert_eq!(backup.every_secs, 24 * 3600);
        assert_eq!(
            backup.offsite,
            Some(OffsiteRegion::Partner("eu-west-1".to_string()))
        );
        assert_eq!(
            backup.replica_bucket,
            "moh-national-production-offsite-backups"
        );
        for name in ["dev", "uat"] {
            let env = program.environment(name).expect("environment");
            assert!(
                env.infrastructure.cloud.is_none(),
                "{name} is not on a cloud"
            );
            assert_eq!(env.sizing.source, SizingSource::Estimate);
        }
    }

    #[test]
    fn a_compose_backup_with_an_offsite_region_puts_the_bucket_there() {
        let program = lowered(&compose_on_aws(
            "  backup { every = 12h, keep = 10d, offsite = true, offsite_region = \"eu-central-1\", encrypted = true }",
            "",
        ));
        let env = program.environment("prod").expect("prod");
        let backup = env
            .infrastructure
            .cloud
            .as_ref()
            .and_then(|it| it.backup.as_ref())
            .expect("backups");
        assert_eq!(backup.bucket_region, "eu-central-1");
        assert_eq!(
            backup.offsite,
            Some(OffsiteRegion::Plan("eu-central-1".to_string()))
        );
        // The Compose backup container writes to the same bucket in the same region.
        match &env.backup.as_ref().expect("the Compose backup").target {
            crate::ir::BackupTarget::Bucket { region, bucket, .. } => {
                assert_eq!(
                    (region.as_str(), bucket.as_str()),
                    ("eu-central-1", backup.bucket.as_str())
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cht_sync_shares_the_compose_host_and_the_choice_says_so() {
        let program = lowered(&compose_on_aws(
            "",
            "  analytics = cht_sync\n  secrets { postgres = analytics_db }",
        ));
        let env = program.environment("prod").expect("prod");
        let names: Vec<&str> = env
            .infrastructure
            .hosts
            .iter()
            .map(|it| it.name.as_str())
            .collect();
        assert_eq!(names, ["cht-host"]);
        let cloud = env.infrastructure.cloud.as_ref().expect("cloud");
        assert_eq!(cloud.machines.len(), 1);
        let note = cloud
            .machines
            .first()
            .and_then(|it| it.note.as_deref())
            .unwrap_or_default();
        assert!(note.contains("CHT Sync runs on this host too"), "{note}");
        assert!(env
            .infrastructure
            .disks
            .iter()
            .any(|it| it.volume == "postgres-data"));
    }

    #[test]
    fn partners_are_other_regions_of_the_same_provider() {
        for provider in ["aws", "gcp"] {
            for region in [
                "us-east-1",
                "eu-west-1",
                "af-south-1",
                "us-central1",
                "europe-west1",
                "africa-south1",
            ] {
                if let Some(partner) = partner_region(provider, region) {
                    assert_ne!(partner, region);
                    assert!(partner_region(provider, partner).is_some(), "{partner}");
                }
            }
        }
        assert_eq!(partner_region("aws", "mars-north-1"), None);
        assert_eq!(partner_region("azure", "eu-west-1"), None);
    }
}
