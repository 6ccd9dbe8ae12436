//! Building blocks every manifest shares: object metadata and labels, resource quantities,
//! environment variables, probes and security contexts.
//!
//! Names and labels that CHT's Helm charts use are kept exactly (`cht.service: api` selects
//! `cht-api`'s pods), because Deployment selectors cannot change once applied: an operator
//! moving from the chart to these manifests must be able to `kubectl apply` over the chart's
//! objects. Hostplan's own labels are added beside them, never in selectors.

use hostplan_core::ir::{self, Distribution, Environment};

use crate::doc::{Map, Node, Seq};

/// The Secret holding CouchDB's credentials, with the keys of CHT's chart
/// (`templates/couchdb/credentials.yaml`). Referenced, never written with values.
pub(crate) const CREDENTIALS_SECRET: &str = "cht-couchdb-credentials";

/// The ConfigMap naming the CouchDB nodes, as in CHT's chart.
pub(crate) const SERVERS_CONFIGMAP: &str = "couchdb-servers-configmap";

/// The Secret holding CHT Sync's PostgreSQL password (the CHT Sync chart puts it in plain
/// environment values; here it is a reference).
pub(crate) const SYNC_SECRET: &str = "cht-sync-credentials";

/// The Secret holding the backup's repository key and, where needed, storage credentials.
pub(crate) const BACKUP_SECRET: &str = "cht-backup-credentials";

/// The Secret holding the TLS certificate, under the name CHT's 4.x chart uses.
pub(crate) const TLS_SECRET: &str = "api-tls-secret";

/// The Kubernetes version the manifests are written and validated for.
pub(crate) const KUBERNETES_VERSION: &str = "1.33";

/// The label CHT's charts select pods by.
pub(crate) const SERVICE_LABEL: &str = "cht.service";

/// What every object carries: which system it belongs to, which environment, and who wrote it.
pub(crate) fn common_labels(env: &Environment) -> Map {
    Map::new()
        .with("app.kubernetes.io/part-of", "cht")
        .with("app.kubernetes.io/instance", env.name.as_str())
        .with("app.kubernetes.io/managed-by", "hostplan")
}

/// `apiVersion`, `kind` and `metadata` of a namespaced object.
pub(crate) fn object(
    env: &Environment,
    api_version: &str,
    kind: &str,
    name: &str,
    extra_labels: Map,
) -> Map {
    let mut labels = extra_labels;
    for entry in common_labels(env).iter() {
        labels.insert(entry.key.clone(), entry.value.clone());
    }
    Map::new()
        .with("apiVersion", api_version)
        .with("kind", kind)
        .with(
            "metadata",
            Map::new()
                .with("name", name)
                .with("namespace", env.namespace.as_str())
                .with("labels", labels),
        )
}

/// `apiVersion`, `kind` and `metadata` of a cluster-scoped object.
pub(crate) fn cluster_object(env: &Environment, api_version: &str, kind: &str, name: &str) -> Map {
    Map::new()
        .with("apiVersion", api_version)
        .with("kind", kind)
        .with(
            "metadata",
            Map::new()
                .with("name", name)
                .with("labels", common_labels(env)),
        )
}

/// Adds annotations to an object built by [`object`].
pub(crate) fn annotate(object: &mut Map, annotations: Map) {
    if annotations.is_empty() {
        return;
    }
    if let Some(Node::Map(metadata)) = object.get_mut("metadata") {
        metadata.insert("annotations", annotations);
    }
}

/// The labels of a workload's pods: the chart's selector label first, then Hostplan's. Only
/// CHT's own pods carry CHT's version.
pub(crate) fn pod_labels(
    env: &Environment,
    selector_key: &'static str,
    selector: &str,
    component: &str,
) -> Map {
    let mut labels = Map::new()
        .with(selector_key, selector)
        .with("app.kubernetes.io/name", component)
        .with("app.kubernetes.io/component", component)
        .with("app.kubernetes.io/part-of", "cht")
        .with("app.kubernetes.io/instance", env.name.as_str());
    if selector_key == SERVICE_LABEL {
        labels.insert("app.kubernetes.io/version", env.release.version.as_str());
    }
    labels
}

/// A service's DNS name inside the cluster, as CHT's chart writes it.
pub(crate) fn fqdn(env: &Environment, service: &str) -> String {
    format!("{service}.{}.svc.cluster.local", env.namespace)
}

/// A CPU quantity in milli-CPUs, as `500m`.
pub(crate) fn cpu(millicpu: u64) -> String {
    format!("{millicpu}m")
}

/// A memory or storage quantity, as `2Gi` when it is whole GiB and `640Mi` otherwise.
pub(crate) fn mebibytes(mib: u64) -> String {
    if mib != 0 && mib.checked_rem(1024) == Some(0) {
        format!("{}Gi", mib / 1024)
    } else {
        format!("{mib}Mi")
    }
}

/// A storage size in GiB, as `100Gi`.
pub(crate) fn gibibytes(gib: u64) -> String {
    format!("{gib}Gi")
}

/// `resources` of a container. Every figure the sizing leaves unset falls back to its
/// counterpart (a limit to the request, a request to the limit), so no container ends up
/// without both; a container the sizing knows nothing about gets the given floor.
pub(crate) fn resources(sized: &ir::Resources, fallback: &ir::Resources) -> Map {
    let pick = |it: Option<u64>, other: Option<u64>, fallback: Option<u64>| {
        it.or(other).or(fallback).unwrap_or(0)
    };
    let cpu_request = pick(
        sized.cpu_request_millicpu,
        sized.cpu_limit_millicpu,
        fallback.cpu_request_millicpu,
    );
    let cpu_limit = pick(
        sized.cpu_limit_millicpu,
        sized.cpu_request_millicpu,
        fallback.cpu_limit_millicpu,
    )
    .max(cpu_request);
    let memory_request = pick(
        sized.memory_request_mib,
        sized.memory_limit_mib,
        fallback.memory_request_mib,
    );
    let memory_limit = pick(
        sized.memory_limit_mib,
        sized.memory_request_mib,
        fallback.memory_limit_mib,
    )
    .max(memory_request);
    Map::new()
        .with(
            "requests",
            Map::new()
                .with("cpu", cpu(cpu_request))
                .with("memory", mebibytes(memory_request)),
        )
        .with(
            "limits",
            Map::new()
                .with("cpu", cpu(cpu_limit))
                .with("memory", mebibytes(memory_limit)),
        )
}

/// `name: value`.
pub(crate) fn env_value(name: &str, value: &str) -> Map {
    Map::new().with("name", name).with("value", value)
}

/// A variable read from a key of a Secret.
pub(crate) fn env_secret(name: &str, secret: &str, key: &str) -> Map {
    Map::new().with("name", name).with(
        "valueFrom",
        Map::new().with(
            "secretKeyRef",
            Map::new().with("name", secret).with("key", key),
        ),
    )
}

/// A variable read from a key of a ConfigMap.
pub(crate) fn env_config(name: &str, config_map: &str, key: &str) -> Map {
    Map::new().with("name", name).with(
        "valueFrom",
        Map::new().with(
            "configMapKeyRef",
            Map::new().with("name", config_map).with("key", key),
        ),
    )
}

/// A TCP probe.
pub(crate) fn tcp_probe(port: u16, period: u32, failures: u32) -> Map {
    Map::new()
        .with("tcpSocket", Map::new().with("port", port))
        .with("periodSeconds", period)
        .with("timeoutSeconds", 5)
        .with("failureThreshold", failures)
}

/// An HTTP GET probe.
pub(crate) fn http_probe(path: &str, port: u16, period: u32, failures: u32) -> Map {
    Map::new()
        .with("httpGet", Map::new().with("path", path).with("port", port))
        .with("periodSeconds", period)
        .with("timeoutSeconds", 5)
        .with("failureThreshold", failures)
}

/// A probe that runs a command in the container.
pub(crate) fn exec_probe(command: &[&str], period: u32, timeout: u32, failures: u32) -> Map {
    Map::new()
        .with(
            "exec",
            Map::new().with("command", command.iter().copied().collect::<Seq>()),
        )
        .with("periodSeconds", period)
        .with("timeoutSeconds", timeout)
        .with("failureThreshold", failures)
}

/// Who a container runs as, and how much of its image it may write.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Identity {
    /// User and group; `None` keeps the image's own user, which is root.
    pub user: Option<(u64, u64)>,
    /// Whether the image writes into its own file system at run time.
    pub writes_image: bool,
}

/// The strictest container security context an image allows: no privilege escalation, no
/// capabilities, the runtime's default seccomp profile, and a non-root user and read-only
/// root file system wherever the image works that way.
pub(crate) fn container_security(identity: Identity) -> Map {
    let mut map = Map::new()
        .with("allowPrivilegeEscalation", false)
        .with(
            "capabilities",
            Map::new().with("drop", Seq::new().with("ALL")),
        )
        .with("readOnlyRootFilesystem", !identity.writes_image);
    if let Some((user, group)) = identity.user {
        map.insert("runAsNonRoot", true);
        map.insert("runAsUser", int(user));
        map.insert("runAsGroup", int(group));
    }
    map.insert("seccompProfile", Map::new().with("type", "RuntimeDefault"));
    map
}

/// The pod security context shared by every pod: the runtime's default seccomp profile.
pub(crate) fn pod_security(fs_group: Option<u64>) -> Map {
    let mut map = Map::new();
    if let Some(group) = fs_group {
        map.insert("fsGroup", int(group));
        map.insert("fsGroupChangePolicy", "OnRootMismatch");
    }
    map.insert("seccompProfile", Map::new().with("type", "RuntimeDefault"));
    map
}

/// An `emptyDir` volume for scratch space under a read-only root file system.
pub(crate) fn scratch_volume(name: &str, size_mib: u64) -> Map {
    Map::new().with("name", name).with(
        "emptyDir",
        Map::new().with("sizeLimit", mebibytes(size_mib)),
    )
}

/// A volume mount.
pub(crate) fn mount(name: &str, path: &str, sub_path: Option<&str>, read_only: bool) -> Map {
    let mut map = Map::new().with("name", name).with("mountPath", path);
    if let Some(sub_path) = sub_path {
        map.insert("subPath", sub_path);
    }
    if read_only {
        map.insert("readOnly", true);
    }
    map
}

/// The distribution of a Kubernetes environment; `Generic` for anything else, which the
/// backend is never asked to write.
pub(crate) fn distribution(env: &Environment) -> Distribution {
    match env.target {
        ir::Target::Kubernetes(distribution) => distribution,
        ir::Target::Compose => Distribution::Generic,
    }
}

/// An integer node; values beyond `i64` (which no count here reaches) saturate.
pub(crate) fn int(value: u64) -> Node {
    Node::Int(i64::try_from(value).unwrap_or(i64::MAX))
}
