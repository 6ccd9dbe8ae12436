//! The environment's `README.md` for Kubernetes: what to install first, how to create the
//! credentials, how to apply the manifests and check them, and what the plan decided (sizes,
//! security exceptions, backups, access). Human text, so it is a Handlebars template filled
//! with data taken from the resource model and from the manifests themselves, so the README
//! cannot disagree with the files beside it.

use handlebars::Handlebars;
use hostplan_core::ir::{self, BackupTarget, Distribution, Environment, HostRole, TlsMode};
use serde_json::{json, Value};

use crate::doc::Node;
use crate::kubernetes::backup::{self, SERVICE_ACCOUNT};
use crate::kubernetes::ingress::{self, Certificate};
use crate::kubernetes::meta::{self, TLS_SECRET};
use crate::kubernetes::secrets;
use crate::kubernetes::storage::storage_class;
use crate::kubernetes::Manifest;
use crate::{header, EmitOptions};

const TEMPLATE: &str = include_str!("README.md.hbs");

/// Renders the README; `files` are the environment's outputs, relative to its directory.
pub(crate) fn render(
    program: &ir::Program,
    env: &Environment,
    manifests: &[Manifest],
    files: &[String],
    options: &EmitOptions,
) -> String {
    let mut handlebars = Handlebars::new();
    handlebars.set_strict_mode(true);
    handlebars.register_escape_fn(handlebars::no_escape);
    let data = data(program, env, manifests, files, options);
    match handlebars.render_template(TEMPLATE, &data) {
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
        // The template is part of the binary and tested, so this is a bug in hostplan;
        // say so in the file rather than write nothing.
        Err(error) => format!(
            "{}\nThis README could not be generated ({error}); this is a bug in hostplan.\n",
            header::html_comment(&options.plan_path)
        ),
    }
}

fn distribution_name(distribution: Distribution) -> &'static str {
    match distribution {
        Distribution::K3s => "k3s",
        Distribution::Eks => "Amazon EKS",
        Distribution::Gke => "Google GKE",
        Distribution::Aks => "Azure AKS",
        Distribution::Generic => "any Kubernetes",
    }
}

fn str_at<'a>(node: &'a Node, path: &[&str]) -> &'a str {
    node.get_path(path)
        .and_then(Node::as_str)
        .unwrap_or_default()
}

/// Requests and limits of every container, as the manifests set them.
fn containers(manifests: &[Manifest]) -> Vec<Value> {
    let mut out = Vec::new();
    for object in manifests.iter().flat_map(|it| it.objects.iter()) {
        let root = Node::Map(object.map.clone());
        let kind = str_at(&root, &["kind"]);
        let pod = match kind {
            "Deployment" | "StatefulSet" => root.get_path(&["spec", "template", "spec"]),
            "CronJob" => root.get_path(&["spec", "jobTemplate", "spec", "template", "spec"]),
            _ => None,
        };
        let Some(containers) = pod
            .and_then(|it| it.get_path(&["containers"]))
            .and_then(Node::as_seq)
        else {
            continue;
        };
        for container in containers.values() {
            let get = |path: &[&str]| str_at(container, path).to_string();
            out.push(json!({
                "workload": format!("{kind} `{}`", str_at(&root, &["metadata", "name"])),
                "container": get(&["name"]),
                "cpu_request": get(&["resources", "requests", "cpu"]),
                "cpu_limit": get(&["resources", "limits", "cpu"]),
                "memory_request": get(&["resources", "requests", "memory"]),
                "memory_limit": get(&["resources", "limits", "memory"]),
            }));
        }
    }
    out
}

/// The containers that run on a read-only image, and those that keep a writable one (CouchDB
/// aside, which the README explains on its own), each with the reason.
fn image_writes(manifests: &[Manifest]) -> (Vec<String>, Vec<String>) {
    let mut read_only = Vec::new();
    let mut writable = Vec::new();
    for object in manifests.iter().flat_map(|it| it.objects.iter()) {
        let root = Node::Map(object.map.clone());
        let pod = match str_at(&root, &["kind"]) {
            "Deployment" | "StatefulSet" => root.get_path(&["spec", "template", "spec"]),
            "CronJob" => root.get_path(&["spec", "jobTemplate", "spec", "template", "spec"]),
            _ => None,
        };
        let containers = pod
            .and_then(|it| it.get_path(&["containers"]))
            .and_then(Node::as_seq);
        for container in containers.into_iter().flat_map(|it| it.values()) {
            let name = str_at(container, &["name"]).to_string();
            let is_read_only = matches!(
                container.get_path(&["securityContext", "readOnlyRootFilesystem"]),
                Some(Node::Bool(true))
            );
            let reason = match name.as_str() {
                "cht-api" => "the API unpacks the web apps' resources into its directory at start",
                "cht-sentinel" => "Sentinel is built like the API, and CHT does not document it running read-only",
                "cht-haproxy" => "HAProxy's entrypoint writes its backend list and a password file into the image",
                "dbt" => "dbt fetches its models into its working directory",
                _ => "",
            };
            if is_read_only {
                if !read_only.contains(&format!("`{name}`")) {
                    read_only.push(format!("`{name}`"));
                }
            } else if !reason.is_empty()
                && !writable
                    .iter()
                    .any(|it: &String| it.starts_with(&format!("`{name}`")))
            {
                writable.push(format!("`{name}` ({reason})"));
            }
        }
    }
    (read_only, writable)
}

/// Every claim with its size and class.
fn claims(manifests: &[Manifest]) -> Vec<Value> {
    manifests
        .iter()
        .flat_map(|it| it.objects.iter())
        .map(|it| Node::Map(it.map.clone()))
        .filter(|it| str_at(it, &["kind"]) == "PersistentVolumeClaim")
        .map(|it| {
            json!({
                "name": str_at(&it, &["metadata", "name"]),
                "size": str_at(&it, &["spec", "resources", "requests", "storage"]),
                "class": match str_at(&it, &["spec", "storageClassName"]) {
                    "" => "the cluster's default".to_string(),
                    class => format!("`{class}`"),
                },
            })
        })
        .collect()
}

/// The Deployments and StatefulSets in the order they start.
fn rollouts(manifests: &[Manifest]) -> Vec<String> {
    manifests
        .iter()
        .flat_map(|it| it.objects.iter())
        .map(|it| Node::Map(it.map.clone()))
        .filter_map(|it| {
            let kind = match str_at(&it, &["kind"]) {
                "Deployment" => "deployment",
                "StatefulSet" => "statefulset",
                _ => return None,
            };
            Some(format!("{kind}/{}", str_at(&it, &["metadata", "name"])))
        })
        .collect()
}

fn prerequisites(env: &Environment, manifests: &[Manifest]) -> Vec<String> {
    let distribution = meta::distribution(env);
    let cert = ingress::certificate(env);
    let mut out = vec![format!(
        "A cluster running Kubernetes {} (the manifests are checked against its API), and `kubectl` 1.27 or later (for `kubectl apply -k` and CronJob time zones).",
        meta::KUBERNETES_VERSION
    )];
    out.push(match distribution {
        Distribution::Eks => "The EBS CSI driver add-on (the storage class `ebs-gp3-encrypted` provisions through it) and the AWS Load Balancer Controller (v2.4 or later).".to_string(),
        Distribution::Gke => format!("A VPC-native cluster with the HTTP load balancing add-on, and a global static IP address named `{}` (`gcloud compute addresses create {} --global`).", ingress::gke_static_ip(env), ingress::gke_static_ip(env)),
        Distribution::K3s => "k3s with its bundled Traefik and local-path provisioner (both are on by default).".to_string(),
        Distribution::Aks => "The application routing add-on (`az aks approuting enable`), whose NGINX serves the ingress class `webapprouting.kubernetes.azure.com`.".to_string(),
        Distribution::Generic => "ingress-nginx in the namespace `ingress-nginx` (ingress class `nginx`), and a default storage class; change `ingress.yaml` and `network-policies.yaml` if your controller differs.".to_string(),
    });
    if matches!(cert, Certificate::Acme | Certificate::SelfSigned) {
        out.push(
            "cert-manager (v1.12 or later), which obtains and renews the certificate.".to_string(),
        );
    }
    if cert == Certificate::Acm {
        out.push(format!("An ACM certificate for `{}` in the cluster's region, issued by ACM (renewed automatically) or imported; the load balancer finds it by the domain.", env.domain));
    }
    if manifests
        .iter()
        .any(|it| it.file == "external-secrets.yaml")
    {
        out.push("External Secrets Operator (v0.17 or later, for `external-secrets.io/v1`) and the ClusterSecretStore the plan names.".to_string());
    }
    out.push(match distribution {
        Distribution::Eks => "NetworkPolicy enforcement: the Amazon VPC CNI add-on with `enableNetworkPolicy: \"true\"`; without it the policies are accepted but do nothing.".to_string(),
        Distribution::Gke => "NetworkPolicy enforcement: GKE Dataplane V2 or network policy enforcement enabled on the cluster.".to_string(),
        Distribution::K3s => "NetworkPolicy enforcement is built into k3s (do not start it with `--disable-network-policy`).".to_string(),
        Distribution::Aks => "NetworkPolicy enforcement: a cluster created with a network policy engine (Azure, Cilium or Calico).".to_string(),
        Distribution::Generic => "NetworkPolicy enforcement: a network plugin that enforces NetworkPolicies (Calico, Cilium, ...).".to_string(),
    });
    out
}

fn secret_steps(env: &Environment) -> (Vec<Value>, bool) {
    let mut external = false;
    let specs: Vec<Value> = secrets::specs(env)
        .into_iter()
        .map(|spec| {
            let mut lines = Vec::new();
            let mut from = Vec::new();
            let mut external_keys = Vec::new();
            for key in &spec.keys {
                match &key.value {
                    Some(value) => {
                        lines.push(format!("{}={value}", key.key));
                        from.push(format!("--from-literal={}=\"${}\"", key.key, key.key));
                    }
                    None => external_keys.push(key.key.clone()),
                }
            }
            external |= !external_keys.is_empty();
            let external_note = match external_keys.as_slice() {
                [] => None,
                keys if from.is_empty() => Some(format!(
                    "External Secrets Operator creates this Secret, with {}, from `kubernetes/external-secrets.yaml`: there is nothing to run.",
                    code_list(keys)
                )),
                [key] => Some(format!("{} comes from the external store through `kubernetes/external-secrets.yaml`: create the Secret with the other keys first, and External Secrets Operator adds it.", code_list(std::slice::from_ref(key)))),
                keys => Some(format!("{} come from the external store through `kubernetes/external-secrets.yaml`: create the Secret with the other keys first, and External Secrets Operator adds them.", code_list(keys))),
            };
            let command = (!from.is_empty()).then(|| {
                let mut command = lines.join("\n");
                command.push_str(&format!(
                    "\nkubectl -n {} create secret generic {} \\\n  {}",
                    env.namespace,
                    spec.name,
                    from.join(" \\\n  ")
                ));
                // The block sits in a numbered list item, so every line is indented under it.
                command
                    .lines()
                    .map(|it| format!("   {it}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            json!({
                "name": spec.name,
                "what": spec.what,
                "keys": spec.keys.iter().map(|it| json!({ "key": it.key, "how": it.how })).collect::<Vec<_>>(),
                "command": command,
                "external_note": external_note,
            })
        })
        .collect();
    (specs, external)
}

fn data(
    program: &ir::Program,
    env: &Environment,
    manifests: &[Manifest],
    files: &[String],
    options: &EmitOptions,
) -> Value {
    let distribution = meta::distribution(env);
    let cert = ingress::certificate(env);
    let what_of = |path: &str| -> String {
        if let Some(manifest) = manifests
            .iter()
            .find(|it| path == format!("kubernetes/{}", it.file))
        {
            return manifest.what.clone();
        }
        match path.rsplit('/').next().unwrap_or(path) {
            "kustomization.yaml" => "Lists every manifest in the order of the dependency graph: `kubectl apply -k kubernetes/`.".to_string(),
            "cht-instances.yml" => "The instance CHT Watchdog watches (monitoring host).".to_string(),
            "hostplan-contact-points.yml" => "Where Watchdog's alerts go (monitoring host).".to_string(),
            ".env.example" => "Every setting of CHT Watchdog (monitoring host).".to_string(),
            _ => String::new(),
        }
    };
    let files: Vec<Value> = files
        .iter()
        .map(|path| json!({ "path": path, "what": what_of(path) }))
        .collect();
    let hosts: Vec<Value> = env
        .infrastructure
        .hosts
        .iter()
        .map(|it| {
            json!({
                "name": if it.role == HostRole::Monitoring { format!("{} (a separate host, outside the cluster)", it.name) } else { it.name.clone() },
                "count": it.count,
                "cpu": ir::trim_float(it.millicpu as f64 / 1000.0),
                "memory": ir::trim_float(it.memory_mib as f64 / 1024.0),
                "disk": it.root_disk_gib,
            })
        })
        .collect();
    let (secret_specs, external) = secret_steps(env);
    let backup = env.backup.as_ref();
    let schedule = backup.map(|it| backup::schedule(it.every_secs));
    let backup_target = backup.map(|it| match &it.target {
        BackupTarget::Bucket { provider, region, bucket } if provider == "aws" => format!(
            "The copies go to the S3 bucket `{bucket}` in `{region}`{}. Give the service account `{SERVICE_ACCOUNT}` of namespace `{}` access to it with EKS Pod Identity (an association to an IAM role that may list, read, write and delete in the bucket), or put `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` in `{}`.",
            if it.offsite { ", in another region than the cluster" } else { "" },
            env.namespace,
            meta::BACKUP_SECRET
        ),
        BackupTarget::Bucket { bucket, region, .. } => format!(
            "The copies go to the Cloud Storage bucket `{bucket}` in `{region}`{}. Grant the Workload Identity principal of the service account `{SERVICE_ACCOUNT}` (namespace `{}`) the role `roles/storage.objectAdmin` on the bucket.",
            if it.offsite { ", in another region than the cluster" } else { "" },
            env.namespace
        ),
        BackupTarget::LocalVolume { .. } => "The copies stay in the cluster, on the claim `couchdb-backups`: they protect against mistakes and corruption, not against losing the cluster's disks.".to_string(),
        BackupTarget::OperatorProvided { example } => format!(
            "The copies go to the restic repository in `RESTIC_REPOSITORY` of `{}`, which must be on another site (for example `{example}`). The backup reaches it over HTTPS only; open `network-policies.yaml` (policy `backup`) if it needs another port or a private address.",
            meta::BACKUP_SECRET
        ),
    });
    let tls = match cert {
        Certificate::Acm => {
            "an ACM certificate on the AWS load balancer, renewed by ACM".to_string()
        }
        Certificate::GoogleManaged => "a Google-managed certificate, renewed by Google".to_string(),
        Certificate::Acme => format!(
            "Let's Encrypt through cert-manager, renewed {} days before expiry",
            env.tls.renew_before_days
        ),
        Certificate::SelfSigned => "self-signed by cert-manager (development only)".to_string(),
        Certificate::Provided => {
            format!("your own, in the Secret `{TLS_SECRET}`; renew it yourself")
        }
    };
    let dns_step = match distribution {
        Distribution::Eks => format!(
            "Point `{}` at the load balancer: `kubectl -n {} get ingress api-ingress` shows its DNS name; create an alias (A) record for it. HTTP redirects to HTTPS.",
            env.domain, env.namespace
        ),
        Distribution::Gke => format!(
            "Point `{}` at the static address `{}` (`gcloud compute addresses describe {} --global`). The managed certificate becomes active some minutes after the record resolves.",
            env.domain,
            ingress::gke_static_ip(env),
            ingress::gke_static_ip(env)
        ),
        _ => format!(
            "Point `{}` at the ingress controller's address (`kubectl -n {} get ingress api-ingress`). {}",
            env.domain,
            env.namespace,
            match cert {
                Certificate::Acme => format!("cert-manager then asks Let's Encrypt for the certificate: `kubectl -n {} get certificate api-tls` shows `Ready` within minutes.", env.namespace),
                _ => String::new(),
            }
        ),
    };
    let provided_cert = match cert {
        Certificate::Provided => Some(format!(
            "kubectl -n {} create secret tls {TLS_SECRET} --cert=fullchain.pem --key=privkey.pem",
            env.namespace
        )),
        Certificate::Acm if env.tls.mode == TlsMode::OwnCert => Some(
            "aws acm import-certificate --certificate fileb://cert.pem --certificate-chain fileb://chain.pem --private-key fileb://privkey.pem".to_string(),
        ),
        _ => None,
    };
    let class = storage_class(env);
    let (read_only, writable) = image_writes(manifests);
    // Two halves, so neither macro call nests deeper than the compiler's default limit.
    let mut data = json!({
        "read_only": read_only.join(", "),
        "writable": writable.join("; "),
        "header": header::html_comment(&options.plan_path).trim_end(),
        "env": env.name,
        "version": env.release.version,
        "plan": program.plan.name,
        "owner": program.plan.owner,
        "distribution": distribution_name(distribution),
        "namespace": env.namespace,
        "kind": env.kind.name(),
        "data": env.data.name(),
        "url": env.url(),
        "domain": env.domain,
        "policy": env.policy,
        "couchdb": if env.couchdb_nodes > 1 { format!("a cluster of {} nodes (`cht-couchdb-1` to `cht-couchdb-{}`), each on its own machine", env.couchdb_nodes, env.couchdb_nodes) } else { "one node (`cht-couchdb`), CHT's advice for most deployments".to_string() },
        "tls": tls,
        "backup_summary": match backup {
            Some(it) => format!("every {}, kept {}, encrypted{}", backup::describe(it.every_secs), backup::describe(it.keep_secs), if it.offsite { ", offsite" } else { "" }),
            None => "none".to_string(),
        },
        "monitoring_summary": match &env.monitoring { Some(it) => format!("CHT Watchdog {} on a separate host", it.watchdog_version), None => "none".to_string() },
        "analytics_summary": if env.analytics.is_some() { "CHT Sync into PostgreSQL, in the namespace (`kubernetes/cht-sync.yaml`)" } else { "none" },
    });
    let rest = json!({
        "files": files,
        "prerequisites": prerequisites(env, manifests),
        "sizing": env.sizing.source.describe(),
        "hosts": hosts,
        "containers": containers(manifests),
        "claims": claims(manifests),
        "encryption": env.security.encryption_at_rest,
        "class_encrypts": match distribution {
            Distribution::Eks => "the storage class `ebs-gp3-encrypted` encrypts every volume",
            Distribution::Gke => "Google encrypts every persistent disk",
            Distribution::Aks => "Azure encrypts every managed disk",
            Distribution::K3s => "local-path stores volumes on the nodes' disks, so those disks must be encrypted (for example with LUKS)",
            Distribution::Generic => "make sure the default storage class encrypts its volumes",
        },
        "retain_note": !matches!(class, Some((_, true))),
        "secrets": secret_specs,
        "external": external,
        "rollouts": rollouts(manifests),
        "dns_step": dns_step,
        "provided_cert": provided_cert,
        "restart_note": env.restart != ir::Restart::Always,
        "restart": env.restart.compose(),
        "backup": backup.is_some(),
        "backup_every": schedule.as_ref().map(|it| backup::describe(it.1)).unwrap_or_default(),
        "backup_cron": schedule.as_ref().map(|it| it.0.clone()).unwrap_or_default(),
        "backup_note": schedule.as_ref().and_then(|it| it.2.clone()),
        "backup_keep": backup.map(|it| backup::describe(it.keep_secs)).unwrap_or_default(),
        "backup_target": backup_target,
        "backup_job": if env.couchdb_nodes > 1 { "couchdb-backup-1" } else { "couchdb-backup" },
        "backup_per_node": env.couchdb_nodes > 1,
        "backup_alert": env.alerting.as_ref().is_some_and(|it| it.on.contains(&ir::AlertCondition::BackupFailed)),
        "analytics": env.analytics.is_some(),
        "monitoring": env.monitoring.is_some(),
        "watchdog_version": env.monitoring.as_ref().map(|it| it.watchdog_version.clone()).unwrap_or_default(),
        "contact_points": env.alerting.as_ref().is_some_and(|it| !it.email.is_empty() || !it.webhook.is_empty()),
        "admin_from": env.security.admin_from,
        "operators": env.operators.iter().map(|it| json!({
            "name": it.name,
            "user": it.email.clone().unwrap_or_else(|| it.name.clone()),
            "role": it.role.name(),
        })).collect::<Vec<_>>(),
        "update_window": env.update_window,
        "suppressions": env.suppressions.iter().map(|it| json!({ "code": it.code, "reason": it.reason })).collect::<Vec<_>>(),
    });
    if let (Some(data), Value::Object(rest)) = (data.as_object_mut(), rest) {
        data.extend(rest);
    }
    data
}

/// "`A`", "`A` and `B`", "`A`, `B` and `C`".
fn code_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|it| format!("`{it}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}
