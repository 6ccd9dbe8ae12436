//! Storage: the PersistentVolumeClaims of CouchDB (named as in CHT's chart), of CHT Sync's
//! PostgreSQL and of a backup repository kept in the cluster, sized by the capacity estimate,
//! on the storage class each distribution offers for the purpose.

use hostplan_core::ir::{Distribution, Environment, VolumePurpose};

use crate::doc::{Map, Seq};
use crate::kubernetes::meta::{self, cluster_object, gibibytes, object, SERVICE_LABEL};
use crate::kubernetes::workloads::{couch_nodes, couch_volume_gib};
use crate::kubernetes::Object;

/// The storage class the environment's claims use, and whether Hostplan writes it; `None`
/// uses the cluster's default class.
pub(crate) fn storage_class(env: &Environment) -> Option<(&'static str, bool)> {
    match meta::distribution(env) {
        // k3s ships the local-path provisioner; CHT's 5.x chart uses it too.
        Distribution::K3s => Some(("local-path", false)),
        // The EKS default class is unencrypted gp2; this one is gp3, encrypted, and keeps the
        // volume when the claim is deleted.
        Distribution::Eks => Some(("ebs-gp3-encrypted", true)),
        // GKE's balanced persistent disk, encrypted by Google, as CHT's chart uses.
        Distribution::Gke => Some(("standard-rwo", false)),
        // AKS's premium managed disks (SSD), encrypted by Azure.
        Distribution::Aks => Some(("managed-csi-premium", false)),
        Distribution::Generic => None,
    }
}

/// The storage class (when Hostplan writes it) and every claim.
pub(crate) fn objects(env: &Environment) -> Vec<Object> {
    let mut out = Vec::new();
    let class = storage_class(env);
    if let Some((name, true)) = class {
        let map = cluster_object(env, "storage.k8s.io/v1", "StorageClass", name)
            .with("provisioner", "ebs.csi.aws.com")
            .with(
                "parameters",
                Map::new()
                    .with("type", "gp3")
                    .with("encrypted", "true")
                    .with("csi.storage.k8s.io/fstype", "ext4"),
            )
            .with("reclaimPolicy", "Retain")
            .with("allowVolumeExpansion", true)
            .with("volumeBindingMode", "WaitForFirstConsumer");
        // A cluster-wide object shared by every environment of the cluster: it must not
        // carry one environment's label.
        let map = strip_instance_label(map);
        out.push(Object::new(
            map,
            "EBS gp3, encrypted at rest, through the EBS CSI driver. A deleted claim keeps its volume (Retain): CouchDB's data is never removed by accident. Shared by the environments of the cluster.",
        ));
    }
    let class_name = class.map(|(name, _)| name);
    for node in couch_nodes(env) {
        let size = couch_volume_gib(env, node.number);
        out.push(Object::new(
            claim(env, &node.claim(), class_name, size),
            format!(
                "CouchDB's data and local.d{}: {size} GiB from the capacity estimate (the data at the end of the horizon and room for upgrades, which can need five times the data while views re-index).",
                if node.clustered { format!(" of node {}", node.number) } else { String::new() }
            ),
        ));
    }
    for volume in &env.volumes {
        let (name, what) = match volume.purpose {
            VolumePurpose::PostgresData => ("postgres-pvc", "CHT Sync's PostgreSQL data"),
            VolumePurpose::BackupRepository => (
                "couchdb-backups",
                "The backup repository, kept in the cluster because the plan keeps backups on site",
            ),
            _ => continue,
        };
        let size = volume.size_gib.unwrap_or(10).max(1);
        out.push(Object::new(
            claim(env, name, class_name, size),
            format!("{what}: {size} GiB from the capacity estimate."),
        ));
    }
    out
}

fn claim(env: &Environment, name: &str, class: Option<&str>, size_gib: u64) -> Map {
    let mut spec = Map::new()
        .with("accessModes", Seq::new().with("ReadWriteOnce"))
        .with(
            "resources",
            Map::new().with("requests", Map::new().with("storage", gibibytes(size_gib))),
        );
    if let Some(class) = class {
        spec.insert("storageClassName", class);
    }
    object(
        env,
        "v1",
        "PersistentVolumeClaim",
        name,
        Map::new().with(SERVICE_LABEL, name),
    )
    .with("spec", spec)
}

fn strip_instance_label(mut map: Map) -> Map {
    if let Some(metadata) = map.get_mut("metadata").and_then(|it| it.as_map_mut()) {
        if let Some(labels) = metadata.get_mut("labels").and_then(|it| it.as_map_mut()) {
            labels.remove("app.kubernetes.io/instance");
        }
    }
    map
}
