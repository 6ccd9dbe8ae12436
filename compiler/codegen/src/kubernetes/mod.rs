//! The Kubernetes backend.
//!
//! For an environment whose target is `kubernetes(k3s|eks|gke|aks|generic)` it writes, under
//! `ENV/kubernetes/`, one namespace of manifests compatible with CHT's Helm charts (the 5.x
//! `cht-chart` of `cht-core/scripts/build/helm`, and the 4.x `cht-chart-4x` where they agree):
//! the same object names (`cht-api`, `cht-couchdb-1`, `couchdb-servers-configmap`, ...), the
//! same selector labels and the same Secret keys, so an operator can move from the chart to
//! these files with `kubectl apply`. Beyond the chart, every container has requests and
//! limits from the capacity estimate, probes and a strict security context; NetworkPolicies
//! deny everything but CHT's request path; storage and ingress follow the distribution;
//! backups, RBAC for the plan's operators and CHT Sync are written when the plan asks.
//!
//! Credentials are never written: pods reference `cht-couchdb-credentials` with
//! `secretKeyRef`, the README says how to create it, and secrets kept in an external store get
//! an `ExternalSecret`. CHT Watchdog must not run on the cluster it watches, so it gets the
//! same `watchdog/` files as a Compose environment, for its own host.
//!
//! `kustomization.yaml` lists the manifests in the order of the dependency graph: the
//! namespace, then configuration, secret references and storage, then CHT's workloads in the
//! order they can start, then the ingress, the network policies, RBAC and the backup.

mod backup;
mod ingress;
mod meta;
mod policies;
mod rbac;
mod readme;
mod secrets;
mod storage;
mod workloads;

#[cfg(test)]
mod tests;

use hostplan_core::ir::{self, Component, Environment};

pub(crate) use crate::doc::wrap;
use crate::doc::{Comment, Document, Map, Node, Seq};
use crate::{header, yaml, EmitOptions, OutputFile};

/// One Kubernetes object and the comment printed above it.
#[derive(Clone, Debug)]
pub(crate) struct Object {
    pub map: Map,
    pub comment: String,
}

impl Object {
    pub(crate) fn new(map: Map, comment: impl Into<String>) -> Object {
        Object {
            map,
            comment: comment.into(),
        }
    }
}

/// One manifest file: its name in `kubernetes/`, what it holds, and its objects in order.
#[derive(Clone, Debug)]
pub(crate) struct Manifest {
    pub file: String,
    pub what: String,
    pub objects: Vec<Object>,
}

/// Appends the files of one Kubernetes environment.
pub fn emit(
    program: &ir::Program,
    env: &Environment,
    options: &EmitOptions,
    files: &mut Vec<OutputFile>,
) {
    let manifests = manifests(program, env);
    let names: Vec<String> = manifests.iter().map(|it| it.file.clone()).collect();
    let mut watchdog = Vec::new();
    if let Some(monitoring) = &env.monitoring {
        crate::compose::watchdog_files(env, monitoring, options, &mut watchdog);
    }
    // The README lists every file of the environment and reads the manifests, so it is
    // written first and the manifests are then printed without copying them.
    // Files another backend (Terraform) wrote for this environment just before come first.
    let own_prefix = format!("{}/", env.name);
    let first = files
        .iter()
        .rposition(|it| !it.path.starts_with(&own_prefix))
        .map_or(0, |it| it + 1);
    let mut own: Vec<String> = files
        .get(first..)
        .unwrap_or_default()
        .iter()
        .filter_map(|it| it.path.strip_prefix(&own_prefix).map(str::to_string))
        .collect();
    own.extend(names.iter().map(|it| format!("kubernetes/{it}")));
    own.push("kubernetes/kustomization.yaml".to_string());
    own.extend(watchdog.iter().filter_map(|it| {
        it.path
            .strip_prefix(&format!("{}/", env.name))
            .map(str::to_string)
    }));
    let readme = readme::render(program, env, &manifests, &own, options);
    let prefix = format!("{}/kubernetes", env.name);
    for manifest in manifests {
        files.push(OutputFile {
            path: format!("{prefix}/{}", manifest.file),
            contents: render(manifest, options),
        });
    }
    files.push(OutputFile {
        path: format!("{prefix}/kustomization.yaml"),
        contents: kustomization(env, &names, options),
    });
    files.append(&mut watchdog);
    files.push(OutputFile {
        path: format!("{}/README.md", env.name),
        contents: readme,
    });
}

/// Every manifest of an environment, in the order `kustomization.yaml` lists them.
pub(crate) fn manifests(program: &ir::Program, env: &Environment) -> Vec<Manifest> {
    let mut out = vec![Manifest {
        file: "namespace.yaml".to_string(),
        what: "The environment's namespace, with the Pod Security Standards it enforces."
            .to_string(),
        objects: vec![namespace(env)],
    }];
    out.push(Manifest {
        file: "config.yaml".to_string(),
        what: "The CouchDB nodes HAProxy and the nodes themselves connect to.".to_string(),
        objects: vec![workloads::servers_config_map(env)],
    });
    let external = secrets::external_secrets(env);
    if !external.is_empty() {
        out.push(Manifest {
            file: "external-secrets.yaml".to_string(),
            what:
                "ExternalSecrets that fill the credentials from the plan's external secret store."
                    .to_string(),
            objects: external,
        });
    }
    out.push(Manifest {
        file: "storage.yaml".to_string(),
        what: "The data volumes, sized by the capacity estimate, and their storage class."
            .to_string(),
        objects: storage::objects(env),
    });
    // CHT's workloads in the order they can start, from the dependency graph: what a service
    // needs comes before it.
    let graph = hostplan_core::graph::build(program, Some(&env.name));
    let mut files: Vec<WorkloadFile> = Vec::new();
    for name in graph.start_order(&env.name) {
        let Some(service) = env.service(name) else {
            continue;
        };
        if let Some(file) = workload_file(service.component) {
            if !files.contains(&file) {
                files.push(file);
            }
        }
    }
    for file in files {
        let objects = match file {
            WorkloadFile::Couchdb => workloads::couchdb(env),
            WorkloadFile::Healthcheck => workloads::healthcheck(env),
            WorkloadFile::Haproxy => workloads::haproxy(env),
            WorkloadFile::Api => workloads::api(env),
            WorkloadFile::Sentinel => workloads::sentinel(env),
            WorkloadFile::ChtSync => workloads::cht_sync(env),
        };
        if objects.is_empty() {
            continue;
        }
        out.push(Manifest {
            file: file.name().to_string(),
            what: file.what().to_string(),
            objects,
        });
    }
    out.push(Manifest {
        file: "ingress.yaml".to_string(),
        what: ingress::what(env),
        objects: ingress::objects(env),
    });
    out.push(Manifest {
        file: "network-policies.yaml".to_string(),
        what: "Deny all traffic by default, then allow exactly CHT's request path.".to_string(),
        objects: policies::objects(env),
    });
    let rbac = rbac::objects(env, &out);
    if !rbac.is_empty() {
        out.push(Manifest {
            file: "rbac.yaml".to_string(),
            what: "What the plan's operators may do in the namespace.".to_string(),
            objects: rbac,
        });
    }
    let backup = backup::objects(env);
    if !backup.is_empty() {
        out.push(Manifest {
            file: "backup.yaml".to_string(),
            what: "The scheduled backup of CouchDB's data and credentials.".to_string(),
            objects: backup,
        });
    }
    out
}

/// The files CHT's workloads are written to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WorkloadFile {
    Couchdb,
    Healthcheck,
    Haproxy,
    Api,
    Sentinel,
    ChtSync,
}

impl WorkloadFile {
    fn name(self) -> &'static str {
        match self {
            WorkloadFile::Couchdb => "couchdb.yaml",
            WorkloadFile::Healthcheck => "healthcheck.yaml",
            WorkloadFile::Haproxy => "haproxy.yaml",
            WorkloadFile::Api => "api.yaml",
            WorkloadFile::Sentinel => "sentinel.yaml",
            WorkloadFile::ChtSync => "cht-sync.yaml",
        }
    }

    fn what(self) -> &'static str {
        match self {
            WorkloadFile::Couchdb => "CouchDB (and Nouveau, its full-text search, on CHT 5).",
            WorkloadFile::Healthcheck => "HAProxy's health-check agent for the CouchDB nodes.",
            WorkloadFile::Haproxy => "HAProxy in front of CouchDB.",
            WorkloadFile::Api => "The CHT API.",
            WorkloadFile::Sentinel => "CHT Sentinel.",
            WorkloadFile::ChtSync => "CHT Sync: couch2pg, dbt and their PostgreSQL.",
        }
    }
}

/// The file a service's objects go to; `None` for what Kubernetes does not run (nginx, whose
/// work the ingress does, and the Docker upgrade service) and for CHT Watchdog, which runs on
/// its own host.
fn workload_file(component: Component) -> Option<WorkloadFile> {
    match component {
        Component::Couchdb | Component::Nouveau => Some(WorkloadFile::Couchdb),
        Component::Healthcheck => Some(WorkloadFile::Healthcheck),
        Component::Haproxy => Some(WorkloadFile::Haproxy),
        Component::Api => Some(WorkloadFile::Api),
        Component::Sentinel => Some(WorkloadFile::Sentinel),
        Component::Postgres | Component::Couch2pg | Component::Dbt => Some(WorkloadFile::ChtSync),
        Component::Nginx
        | Component::UpgradeService
        | Component::Certbot
        | Component::Backup
        | Component::Prometheus
        | Component::Grafana
        | Component::JsonExporter => None,
    }
}

/// The namespace, labelled for the Pod Security Standards: `baseline` is enforced (CouchDB's
/// entrypoint must start as root, which `restricted` forbids), and `restricted` is audited
/// and warned about so every other deviation shows up.
fn namespace(env: &Environment) -> Object {
    let mut labels = meta::common_labels(env);
    let version = format!("v{}", meta::KUBERNETES_VERSION);
    labels.insert("pod-security.kubernetes.io/enforce", "baseline");
    labels.insert(
        "pod-security.kubernetes.io/enforce-version",
        version.as_str(),
    );
    labels.insert("pod-security.kubernetes.io/audit", "restricted");
    labels.insert("pod-security.kubernetes.io/audit-version", version.as_str());
    labels.insert("pod-security.kubernetes.io/warn", "restricted");
    labels.insert("pod-security.kubernetes.io/warn-version", version.as_str());
    let map = Map::new()
        .with("apiVersion", "v1")
        .with("kind", "Namespace")
        .with(
            "metadata",
            Map::new()
                .with("name", env.namespace.as_str())
                .with("labels", labels),
        );
    Object::new(
        map,
        format!(
            "One namespace per environment: `{}` holds CHT {} of environment `{}` and nothing else.",
            env.namespace, env.release.version, env.name
        ),
    )
}

fn render(manifest: Manifest, options: &EmitOptions) -> String {
    let what = wrap(&manifest.what, 98);
    let docs: Vec<Document> = manifest
        .objects
        .into_iter()
        .enumerate()
        .map(|(idx, object)| {
            let mut comment = if idx == 0 {
                let mut head = Comment::new(&header::text(&options.plan_path));
                head.push(&what);
                head
            } else {
                Comment::default()
            };
            if !object.comment.is_empty() {
                comment.push(&wrap(&object.comment, 98));
            }
            Document {
                header: comment,
                root: Node::Map(object.map),
            }
        })
        .collect();
    let text = yaml::documents(&docs);
    options.release(docs);
    text
}

fn kustomization(env: &Environment, files: &[String], options: &EmitOptions) -> String {
    let mut head = Comment::new(&header::text(&options.plan_path));
    head.push("Every manifest of the environment, in the order of the dependency graph: `kubectl apply -k .`");
    // kustomize needs no name, but tools that read every YAML file as an object do.
    let root = Map::new()
        .with("apiVersion", "kustomize.config.k8s.io/v1beta1")
        .with("kind", "Kustomization")
        .with("metadata", Map::new().with("name", env.namespace.as_str()))
        .with(
            "resources",
            files.iter().map(String::as_str).collect::<Seq>(),
        );
    yaml::document(&Document {
        header: head,
        root: Node::Map(root),
    })
}
