//! RBAC for the plan's operators: one Role and one RoleBinding per role the plan uses in
//! this environment, in the environment's namespace only.
//!
//! - `admin`: full control of the namespace, access included.
//! - `deployer`: applies and rolls out the manifests, restarts pods, runs a backup by hand and
//!   replaces credentials, but may not read Secrets or change access (it may read the Roles,
//!   so `kubectl apply` sees them unchanged). Applying also reads the Namespace (and the EKS
//!   storage class), which no Role can grant, so a ClusterRole grants exactly that.
//! - `viewer`: reads state and logs, never Secrets.
//!
//! Operators are Kubernetes users named by their e-mail when the plan gives one (the name
//! EKS access entries, GKE and OIDC clusters use), else by their operator name.

use hostplan_core::ir::{Environment, OperatorRole};

use crate::doc::{Map, Seq};
use crate::kubernetes::meta::{cluster_object, object};
use crate::kubernetes::storage::storage_class;
use crate::kubernetes::{Manifest, Object};

const WRITE: [&str; 7] = [
    "get", "list", "watch", "create", "update", "patch", "delete",
];
const READ: [&str; 3] = ["get", "list", "watch"];

fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> Map {
    Map::new()
        .with("apiGroups", groups.iter().copied().collect::<Seq>())
        .with("resources", resources.iter().copied().collect::<Seq>())
        .with("verbs", verbs.iter().copied().collect::<Seq>())
}

/// The API groups and resources of the custom objects the manifests use, which the
/// deployer and viewer roles must reach too.
fn custom_resources(manifests: &[Manifest]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for object in manifests.iter().flat_map(|it| it.objects.iter()) {
        let api_version = object
            .map
            .get("apiVersion")
            .and_then(|it| it.as_str())
            .unwrap_or_default();
        let kind = object
            .map
            .get("kind")
            .and_then(|it| it.as_str())
            .unwrap_or_default();
        let Some((group, _)) = api_version.split_once('/') else {
            continue;
        };
        let builtin = !group.contains('.') || group.ends_with(".k8s.io");
        if builtin {
            continue;
        }
        let resource = format!("{}s", kind.to_ascii_lowercase());
        let entry = (group.to_string(), resource);
        if !out.contains(&entry) {
            out.push(entry);
        }
    }
    out
}

fn subjects(env: &Environment, role: OperatorRole) -> Seq {
    env.operators
        .iter()
        .filter(|it| it.role == role)
        .map(|it| {
            Map::new()
                .with("kind", "User")
                .with("apiGroup", "rbac.authorization.k8s.io")
                .with("name", it.email.clone().unwrap_or_else(|| it.name.clone()))
        })
        .collect()
}

fn role_rules(role: OperatorRole, custom: &[(String, String)]) -> Seq {
    let mut rules = Seq::new();
    match role {
        OperatorRole::Admin => {
            rules.push(rule(&["*"], &["*"], &["*"]));
            return rules;
        }
        OperatorRole::Deployer => {
            rules.push(rule(
                &[""],
                &[
                    "configmaps",
                    "services",
                    "persistentvolumeclaims",
                    "serviceaccounts",
                ],
                &WRITE,
            ));
            rules.push(rule(&[""], &["pods"], &["get", "list", "watch", "delete"]));
            rules.push(rule(&[""], &["pods/log", "events", "endpoints"], &READ));
            // Credentials may be created and replaced, never read.
            rules.push(rule(
                &[""],
                &["secrets"],
                &["create", "update", "patch", "delete"],
            ));
            rules.push(rule(
                &["apps"],
                &["deployments", "statefulsets", "deployments/scale"],
                &WRITE,
            ));
            rules.push(rule(&["apps"], &["replicasets"], &READ));
            rules.push(rule(&["batch"], &["cronjobs", "jobs"], &WRITE));
            rules.push(rule(
                &["networking.k8s.io"],
                &["ingresses", "networkpolicies"],
                &WRITE,
            ));
            rules.push(rule(
                &["rbac.authorization.k8s.io"],
                &["roles", "rolebindings"],
                &READ,
            ));
            for (group, resource) in custom {
                rules.push(rule(&[group.as_str()], &[resource.as_str()], &WRITE));
            }
        }
        OperatorRole::Viewer => {
            rules.push(rule(
                &[""],
                &[
                    "pods",
                    "pods/log",
                    "services",
                    "endpoints",
                    "configmaps",
                    "persistentvolumeclaims",
                    "events",
                    "serviceaccounts",
                ],
                &READ,
            ));
            rules.push(rule(
                &["apps"],
                &["deployments", "statefulsets", "replicasets"],
                &READ,
            ));
            rules.push(rule(&["batch"], &["cronjobs", "jobs"], &READ));
            rules.push(rule(
                &["networking.k8s.io"],
                &["ingresses", "networkpolicies"],
                &READ,
            ));
            for (group, resource) in custom {
                rules.push(rule(&[group.as_str()], &[resource.as_str()], &READ));
            }
        }
    }
    rules
}

/// The Roles and bindings of the environment's operators; nothing when it has none.
pub(crate) fn objects(env: &Environment, manifests: &[Manifest]) -> Vec<Object> {
    let custom = custom_resources(manifests);
    let mut out = Vec::new();
    for (role, what) in [
        (OperatorRole::Admin, "Full control of the namespace, access included."),
        (
            OperatorRole::Deployer,
            "Applies and rolls out the manifests, restarts pods, runs jobs and replaces credentials; cannot read Secrets or change access.",
        ),
        (
            OperatorRole::Viewer,
            "Reads the state and the logs of the namespace; cannot read Secrets.",
        ),
    ] {
        let subjects = subjects(env, role);
        if subjects.is_empty() {
            continue;
        }
        let name = format!("cht-{}", role.name());
        out.push(Object::new(
            object(env, "rbac.authorization.k8s.io/v1", "Role", &name, Map::new())
                .with("rules", role_rules(role, &custom)),
            format!("Operators with the role `{}`: {what}", role.name()),
        ));
        out.push(Object::new(
            object(
                env,
                "rbac.authorization.k8s.io/v1",
                "RoleBinding",
                &name,
                Map::new(),
            )
            .with(
                "roleRef",
                Map::new()
                    .with("apiGroup", "rbac.authorization.k8s.io")
                    .with("kind", "Role")
                    .with("name", name.as_str()),
            )
            .with("subjects", subjects),
            "",
        ));
    }
    let deployers = subjects(env, OperatorRole::Deployer);
    if !deployers.is_empty() {
        let name = format!("{}-deployer", env.namespace);
        let mut rules = Seq::new().with(
            rule(&[""], &["namespaces"], &["get"])
                .with("resourceNames", Seq::new().with(env.namespace.as_str())),
        );
        if let Some((class, true)) = storage_class(env) {
            rules.push(
                rule(&["storage.k8s.io"], &["storageclasses"], &["get"])
                    .with("resourceNames", Seq::new().with(class)),
            );
        }
        out.push(Object::new(
            cluster_object(env, "rbac.authorization.k8s.io/v1", "ClusterRole", &name)
                .with("rules", rules),
            "What applying the manifests reads outside the namespace: the namespace itself (and the storage class), by name, and nothing else.",
        ));
        out.push(Object::new(
            cluster_object(
                env,
                "rbac.authorization.k8s.io/v1",
                "ClusterRoleBinding",
                &name,
            )
            .with(
                "roleRef",
                Map::new()
                    .with("apiGroup", "rbac.authorization.k8s.io")
                    .with("kind", "ClusterRole")
                    .with("name", name.as_str()),
            )
            .with("subjects", deployers),
            "",
        ));
    }
    out
}
