//! The sizing step that feeds the capacity estimate into lowering.
//!
//! Lowering takes an [`ir::Sizing`] per environment ([`crate::lower::lower_with_sizing`]); this
//! module builds it from the environment's [`EnvironmentEstimate`], so every backend sizes its
//! containers, volumes and hosts from the same numbers the estimate report shows.
//!
//! The estimate sizes CHT's own containers (CouchDB, Nouveau, API, Sentinel, HAProxy, nginx),
//! the CouchDB and PostgreSQL volumes and the node groups. The few containers it does not size
//! one by one get figures derived here, each with its reason:
//!
//! - CHT Sync's couch2pg, dbt and PostgreSQL share the estimate's CHT Sync node group in the
//!   proportions of the CHT Sync Helm chart's limits (couch2pg 0.5 CPU and 1 GiB, dbt 0.5 CPU
//!   and 1 GiB, PostgreSQL 1 CPU and 2 GiB); the estimate's limit factors turn those limits
//!   into requests, as they do for CHT's containers.
//! - HAProxy's health-check agent and the backup job get the small fixed figures below.
//!
//! A `couchdb { disk = ... }` in the plan overrides the estimate's CouchDB volume, as the
//! language reference promises.

use crate::estimate::assumptions::AssumptionKey;
use crate::estimate::output::{self, EnvironmentEstimate, NodeRole, PlanEstimate};
use crate::ir::{self, Component, HostRole};
use crate::model;

/// Nouveau's image starts its JVM with `-Xmx2g`, so a memory limit below the heap plus the
/// JVM's own memory gets the container killed under load; this is the smallest safe limit.
pub const NOUVEAU_MIN_MEMORY_LIMIT_MIB: u64 = 2560;

/// HAProxy's health-check agent (`cht-haproxy-healthcheck`): a small Python TCP server that
/// asks CouchDB for its membership every few seconds. Requests of 50m and 64Mi, limits of
/// 200m and 128Mi leave it room without reserving more than it uses.
pub const HEALTHCHECK_RESOURCES: ir::Resources = ir::Resources {
    cpu_request_millicpu: Some(50),
    cpu_limit_millicpu: Some(200),
    memory_request_mib: Some(64),
    memory_limit_mib: Some(128),
};

/// The scheduled backup (restic): its memory grows with the repository's index, which for a
/// CouchDB volume of a few hundred GiB stays well under 1 GiB; one CPU keeps a daily backup of
/// that size within minutes without competing with CouchDB for more.
pub const BACKUP_RESOURCES: ir::Resources = ir::Resources {
    cpu_request_millicpu: Some(100),
    cpu_limit_millicpu: Some(1000),
    memory_request_mib: Some(256),
    memory_limit_mib: Some(1024),
};

/// Each CHT Sync container's share of the CHT Sync node group, in quarters, from the CHT Sync
/// Helm chart's limits (medic/cht-sync at 074d96c, `deploy/cht_sync`).
const SYNC_SHARES: [(Component, u64); 3] = [
    (Component::Couch2pg, 1),
    (Component::Dbt, 1),
    (Component::Postgres, 2),
];

/// The sizing of one environment from its estimate.
pub fn from_estimate(
    env: &model::Environment,
    env_estimate: &EnvironmentEstimate,
    plan_estimate: &PlanEstimate,
) -> ir::Sizing {
    let cpu_factor = plan_estimate
        .assumptions
        .get(AssumptionKey::CpuLimitFactor)
        .max(1.0);
    let memory_factor = plan_estimate
        .assumptions
        .get(AssumptionKey::MemoryLimitFactor)
        .max(1.0);
    let mut services: Vec<ir::ServiceSizing> = env_estimate
        .services
        .iter()
        .map(|it| ir::ServiceSizing {
            component: component(it.service),
            resources: resources(it),
        })
        .collect();
    services.push(ir::ServiceSizing {
        component: Component::Healthcheck,
        resources: HEALTHCHECK_RESOURCES,
    });
    services.push(ir::ServiceSizing {
        component: Component::Backup,
        resources: BACKUP_RESOURCES,
    });
    if let Some(sync) = env_estimate.node_group(NodeRole::ChtSync) {
        let quarters: u64 = SYNC_SHARES.iter().map(|(_, share)| share).sum();
        for (component, share) in SYNC_SHARES {
            let cpu_limit = round_up(sync.millicpu_per_node * share / quarters, 10).max(50);
            let memory_limit = round_up(sync.memory_mib_per_node * share / quarters, 16).max(64);
            services.push(ir::ServiceSizing {
                component,
                resources: ir::Resources {
                    cpu_request_millicpu: Some(
                        round_up(divide(cpu_limit, cpu_factor), 10).clamp(10, cpu_limit),
                    ),
                    cpu_limit_millicpu: Some(cpu_limit),
                    memory_request_mib: Some(
                        round_up(divide(memory_limit, memory_factor), 16).clamp(16, memory_limit),
                    ),
                    memory_limit_mib: Some(memory_limit),
                },
            });
        }
    }
    for it in &mut services {
        if it.component == Component::Nouveau {
            let limit = it.resources.memory_limit_mib.unwrap_or_default();
            it.resources.memory_limit_mib = Some(limit.max(NOUVEAU_MIN_MEMORY_LIMIT_MIB));
        }
    }
    let hosts = env_estimate
        .node_groups
        .iter()
        .map(|group| ir::HostSizing {
            name: group.role.id().to_string(),
            role: if group.role == NodeRole::Watchdog {
                HostRole::Monitoring
            } else {
                HostRole::Cht
            },
            count: group.nodes,
            millicpu: group.millicpu_per_node,
            memory_mib: group.memory_mib_per_node,
            root_disk_gib: group.root_disk_gib_per_node,
        })
        .collect();
    let storage = &env_estimate.storage;
    let local_backup = env.policy.backup.as_ref().is_some_and(|it| !it.offsite)
        && matches!(env.infra, model::Infra::Local | model::Infra::OnPrem { .. });
    ir::Sizing {
        source: ir::SizingSource::Estimate,
        hosts,
        services,
        couchdb_volume_gib: env
            .couchdb_disk
            .map(|bytes| bytes.div_ceil(1 << 30))
            .unwrap_or(storage.couchdb_volume_gib),
        postgres_volume_gib: storage.postgres_volume_gib,
        prometheus_volume_gib: storage.prometheus_gib,
        backup_volume_gib: storage
            .backup
            .as_ref()
            .filter(|_| local_backup)
            .map(|it| it.backup_gib.max(1)),
    }
}

fn component(service: output::Service) -> Component {
    match service {
        output::Service::Couchdb => Component::Couchdb,
        output::Service::Nouveau => Component::Nouveau,
        output::Service::Api => Component::Api,
        output::Service::Sentinel => Component::Sentinel,
        output::Service::Haproxy => Component::Haproxy,
        output::Service::Nginx => Component::Nginx,
    }
}

fn resources(it: &output::ServiceResources) -> ir::Resources {
    ir::Resources {
        cpu_request_millicpu: Some(it.cpu_request_millicpu),
        cpu_limit_millicpu: Some(it.cpu_limit_millicpu.max(it.cpu_request_millicpu)),
        memory_request_mib: Some(it.memory_request_mib),
        memory_limit_mib: Some(it.memory_limit_mib.max(it.memory_request_mib)),
    }
}

/// `value / factor`, rounded up; the factor is at least 1.
fn divide(value: u64, factor: f64) -> u64 {
    let out = (value as f64 / factor).ceil();
    if out.is_finite() && 0.0 <= out {
        out as u64
    } else {
        value
    }
}

fn round_up(value: u64, step: u64) -> u64 {
    value.div_ceil(step).saturating_mul(step)
}

#[cfg(test)]
mod tests {
    use super::{divide, round_up};

    #[test]
    fn rounds_and_divides_without_surprises() {
        assert_eq!(round_up(1001, 10), 1010);
        assert_eq!(round_up(0, 16), 0);
        assert_eq!(divide(1000, 2.0), 500);
        assert_eq!(divide(1024, 1.5), 683);
        assert_eq!(divide(7, f64::NAN), 7);
    }
}
