//! The environment's `README.md` for Kubernetes: what to install first, how to create the
//! credentials, how to apply the manifests and check them, and what the plan decided (sizes,
//! security exceptions, backups, access).
//!
//! The text is written directly rather than through a template, as the Compose backend's README
//! is: it is built on every `hostplan build`, and compiling a template costs more than the rest
//! of the backend. Sizes, claims, start order and image settings are read from the manifests
//! themselves, so the README cannot disagree with the files beside it.

use std::fmt::Write;

use hostplan_core::ir::{self, BackupTarget, Distribution, Environment, HostRole, TlsMode};

use crate::doc::{Map, Node};
use crate::kubernetes::backup::{self, SERVICE_ACCOUNT};
use crate::kubernetes::ingress::{self, Certificate};
use crate::kubernetes::meta::{self, TLS_SECRET};
use crate::kubernetes::secrets;
use crate::kubernetes::storage::storage_class;
use crate::kubernetes::Manifest;
use crate::{header, EmitOptions};

/// Renders the README; `files` are the environment's outputs, relative to its directory.
pub(crate) fn render(
    program: &ir::Program,
    env: &Environment,
    manifests: &[Manifest],
    files: &[String],
    options: &EmitOptions,
) -> String {
    let mut out = String::with_capacity(16 * 1024);
    out.push_str(&header::html_comment(&options.plan_path));
    summary(&mut out, program, env);
    files_section(&mut out, manifests, files);
    prerequisites_section(&mut out, env, manifests);
    sizes_section(&mut out, env, manifests);
    deploy_section(&mut out, env, manifests);
    security_section(&mut out, env, manifests);
    backup_section(&mut out, env);
    analytics_section(&mut out, env);
    monitoring_section(&mut out, env);
    access_sections(&mut out, env);
    upgrades_section(&mut out);
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

fn summary(out: &mut String, program: &ir::Program, env: &Environment) {
    let _ = writeln!(
        out,
        "# Environment `{}`: CHT {} on {}\n",
        env.name,
        env.release.version,
        distribution_name(meta::distribution(env))
    );
    let _ = writeln!(
        out,
        "Plan `{}` ({}). This directory holds everything needed to run this environment on Kubernetes: one namespace, `{}`, whose objects carry the names of CHT's Helm chart (`cht-api`, `cht-couchdb`, `couchdb-servers-configmap`, `cht-couchdb-credentials`, ...), so CHT's documentation for Kubernetes applies as it is.",
        program.plan.name, program.plan.owner, env.namespace
    );
    out.push_str("Every value below comes from the plan.\n\n");
    let couchdb = if env.couchdb_nodes > 1 {
        format!(
            "a cluster of {} nodes (`cht-couchdb-1` to `cht-couchdb-{}`), each on its own machine",
            env.couchdb_nodes, env.couchdb_nodes
        )
    } else {
        "one node (`cht-couchdb`), CHT's advice for most deployments".to_string()
    };
    let tls = match ingress::certificate(env) {
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
    let backups = match &env.backup {
        Some(it) => format!(
            "every {}, kept {}, encrypted{}",
            backup::describe(it.every_secs),
            backup::describe(it.keep_secs),
            if it.offsite { ", offsite" } else { "" }
        ),
        None => "none".to_string(),
    };
    let monitoring = match &env.monitoring {
        Some(it) => format!("CHT Watchdog {} on a separate host", it.watchdog_version),
        None => "none".to_string(),
    };
    let analytics = if env.analytics.is_some() {
        "CHT Sync into PostgreSQL, in the namespace (`kubernetes/cht-sync.yaml`)"
    } else {
        "none"
    };
    out.push_str("| | |\n| --- | --- |\n");
    for (what, value) in [
        ("kind", env.kind.name().to_string()),
        ("data", env.data.name().to_string()),
        ("address", env.url()),
        ("namespace", format!("`{}`", env.namespace)),
        ("policy", format!("`{}`", env.policy)),
        ("CouchDB", couchdb),
        ("TLS certificates", tls),
        ("backups", backups),
        ("monitoring", monitoring),
        ("analytics", analytics.to_string()),
    ] {
        let _ = writeln!(out, "| {what} | {value} |");
    }
    if let Some(window) = &env.update_window {
        let _ = writeln!(out, "| upgrade window | {window} |");
    }
    out.push('\n');
}

fn files_section(out: &mut String, manifests: &[Manifest], files: &[String]) {
    out.push_str("## Files\n\n| file | what it is |\n| --- | --- |\n");
    for path in files {
        let what = match manifests
            .iter()
            .find(|it| path.strip_prefix("kubernetes/") == Some(it.file.as_str()))
        {
            Some(manifest) => manifest.what.clone(),
            None => match path.rsplit('/').next().unwrap_or(path) {
                "kustomization.yaml" => "Lists every manifest in the order of the dependency graph: `kubectl apply -k kubernetes/`.".to_string(),
                "cht-instances.yml" => "The instance CHT Watchdog watches (monitoring host).".to_string(),
                "hostplan-contact-points.yml" => "Where Watchdog's alerts go (monitoring host).".to_string(),
                ".env.example" => "Every setting of CHT Watchdog (monitoring host).".to_string(),
                _ => crate::terraform::describe_file(path).unwrap_or_default(),
            },
        };
        let _ = writeln!(out, "| `{path}` | {what} |");
    }
    out.push('\n');
}

fn prerequisites_section(out: &mut String, env: &Environment, manifests: &[Manifest]) {
    out.push_str("## Before you start\n\n");
    if env.infrastructure.cloud.is_some() {
        // The cluster, its disks' key, the certificate and the DNS zone come from the
        // Terraform beside these manifests.
        out.push_str("- The infrastructure from `terraform/`: apply it first, as `terraform/README.md` says; it creates the cluster and what the items below need.\n");
    }
    for line in prerequisites(env, manifests) {
        let _ = writeln!(out, "- {line}");
    }
    out.push('\n');
}

fn sizes_section(out: &mut String, env: &Environment, manifests: &[Manifest]) {
    let _ = writeln!(
        out,
        "## Sizes\n\nSizes are {}. The nodes must provide at least this much each, and every container below must fit on one node:\n",
        env.sizing.source.describe()
    );
    for host in &env.infrastructure.hosts {
        let name = if host.role == HostRole::Monitoring {
            format!("{} (a separate host, outside the cluster)", host.name)
        } else {
            host.name.clone()
        };
        let _ = writeln!(
            out,
            "- **{name}**: {} × {} CPU, {} GiB RAM, {} GiB root disk.",
            host.count,
            ir::trim_float(host.millicpu as f64 / 1000.0),
            ir::trim_float(host.memory_mib as f64 / 1024.0),
            host.root_disk_gib
        );
    }
    out.push_str("\n| workload | container | CPU request | CPU limit | memory request | memory limit |\n| --- | --- | --- | --- | --- | --- |\n");
    for object in manifests.iter().flat_map(|it| it.objects.iter()) {
        let root = &object.map;
        let kind = text(root, &["kind"]);
        for container in pod_containers(root) {
            let get = |path: &[&str]| str_at(container, path);
            let _ = writeln!(
                out,
                "| {kind} `{}` | `{}` | {} | {} | {} | {} |",
                text(root, &["metadata", "name"]),
                get(&["name"]),
                get(&["resources", "requests", "cpu"]),
                get(&["resources", "limits", "cpu"]),
                get(&["resources", "requests", "memory"]),
                get(&["resources", "limits", "memory"]),
            );
        }
    }
    out.push_str("\n| volume claim | size | storage class |\n| --- | --- | --- |\n");
    for object in manifests.iter().flat_map(|it| it.objects.iter()) {
        let root = &object.map;
        if text(root, &["kind"]) != "PersistentVolumeClaim" {
            continue;
        }
        let class = match text(root, &["spec", "storageClassName"]) {
            "" => "the cluster's default".to_string(),
            class => format!("`{class}`"),
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {class} |",
            text(root, &["metadata", "name"]),
            text(root, &["spec", "resources", "requests", "storage"])
        );
    }
    out.push('\n');
    let distribution = meta::distribution(env);
    if env.security.encryption_at_rest {
        let how = match distribution {
            Distribution::Eks => "the storage class `ebs-gp3-encrypted` encrypts every volume",
            Distribution::Gke => "Google encrypts every persistent disk",
            Distribution::Aks => "Azure encrypts every managed disk",
            Distribution::K3s => "local-path stores volumes on the nodes' disks, so those disks must be encrypted (for example with LUKS)",
            Distribution::Generic => "make sure the default storage class encrypts its volumes",
        };
        let _ = writeln!(out, "The plan requires encryption at rest: {how}.");
    }
    if !matches!(storage_class(env), Some((_, true))) {
        out.push_str("This storage class deletes a volume when its claim is deleted. After the first deploy, keep CouchDB's volume whatever happens to the claim:\n");
        let _ = writeln!(
            out,
            "`kubectl -n {} get pvc -o jsonpath='{{.items[*].spec.volumeName}}' | xargs -n1 kubectl patch pv -p '{{\"spec\":{{\"persistentVolumeReclaimPolicy\":\"Retain\"}}}}'`",
            env.namespace
        );
    }
    out.push('\n');
}

/// The containers of a workload's pod template.
fn pod_containers(root: &Map) -> Vec<&Node> {
    let pod = match text(root, &["kind"]) {
        "Deployment" | "StatefulSet" => at(root, &["spec", "template", "spec"]),
        "CronJob" => at(root, &["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    };
    pod.and_then(|it| it.get_path(&["containers"]))
        .and_then(Node::as_seq)
        .map(|it| it.values().collect())
        .unwrap_or_default()
}

/// The node at a path of keys below a map.
fn at<'a>(map: &'a Map, path: &[&str]) -> Option<&'a Node> {
    let (first, rest) = path.split_first()?;
    map.get(first)?.get_path(rest)
}

/// The string at a path of keys below a map, or `""`.
fn text<'a>(map: &'a Map, path: &[&str]) -> &'a str {
    at(map, path).and_then(Node::as_str).unwrap_or_default()
}

fn deploy_section(out: &mut String, env: &Environment, manifests: &[Manifest]) {
    out.push_str("## Deploy, step by step\n\n");
    out.push_str(
        "1. Check that `kubectl` talks to the right cluster: `kubectl config current-context`.\n",
    );
    out.push_str("1. Create the namespace: `kubectl apply -f kubernetes/namespace.yaml`\n");
    out.push_str("1. Create the credentials. Nothing in this directory holds a secret value: the pods read these Secrets by name. Run this once, in a shell that records no history, and keep every value in the team's password manager, because a restore needs the same password, secret and uuid.\n");
    for spec in secrets::specs(env) {
        secret_step(out, env, &spec);
    }
    out.push('\n');
    let cert = ingress::certificate(env);
    match cert {
        Certificate::Provided => {
            let _ = writeln!(
                out,
                "1. Store your TLS certificate (full chain) and its key:\n   `kubectl -n {} create secret tls {TLS_SECRET} --cert=fullchain.pem --key=privkey.pem`",
                env.namespace
            );
        }
        Certificate::Acm if env.tls.mode == TlsMode::OwnCert => {
            out.push_str("1. Import your TLS certificate into ACM, in the cluster's region:\n   `aws acm import-certificate --certificate fileb://cert.pem --certificate-chain fileb://chain.pem --private-key fileb://privkey.pem`\n");
        }
        _ => {}
    }
    out.push_str("1. Apply every manifest, in order: `kubectl apply -k kubernetes/`\n");
    out.push_str("1. Wait until every workload runs; they start in this order (CouchDB can take several minutes on a large database):\n");
    for rollout in rollouts(manifests) {
        let _ = writeln!(
            out,
            "   `kubectl -n {} rollout status {rollout} --timeout=15m`",
            env.namespace
        );
    }
    let dns = match meta::distribution(env) {
        Distribution::Eks => format!(
            "Point `{}` at the load balancer: `kubectl -n {} get ingress api-ingress` shows its DNS name; create an alias (A) record for it. HTTP redirects to HTTPS.",
            env.domain, env.namespace
        ),
        Distribution::Gke => format!(
            "Point `{}` at the static address `{ip}` (`gcloud compute addresses describe {ip} --global`). The managed certificate becomes active some minutes after the record resolves.",
            env.domain,
            ip = ingress::gke_static_ip(env)
        ),
        _ => {
            let mut text = format!(
                "Point `{}` at the ingress controller's address (`kubectl -n {} get ingress api-ingress`).",
                env.domain, env.namespace
            );
            if cert == Certificate::Acme {
                let _ = write!(
                    text,
                    " cert-manager then asks Let's Encrypt for the certificate: `kubectl -n {} get certificate api-tls` shows `Ready` within minutes.",
                    env.namespace
                );
            }
            text
        }
    };
    let _ = writeln!(out, "1. {dns}");
    let _ = writeln!(
        out,
        "1. Open {} and log in as the CouchDB admin (the `COUCHDB_USER` of `cht-couchdb-credentials`).\n",
        env.url()
    );
    if env.restart != ir::Restart::Always {
        let _ = writeln!(
            out,
            "The plan's restart policy is `{}`, but Kubernetes restarts the containers of a Deployment always; the manifests keep `Always`.\n",
            env.restart.compose()
        );
    }
}

/// One Secret of the credentials step: its keys, what fills them, and the commands.
fn secret_step(out: &mut String, env: &Environment, spec: &secrets::SecretSpec) {
    let _ = writeln!(out, "\n   `{}`, {}:\n", spec.name, spec.what);
    let mut lines = Vec::new();
    let mut from = Vec::new();
    let mut external = Vec::new();
    for key in &spec.keys {
        let _ = writeln!(out, "   - `{}`: {}.", key.key, key.how);
        match &key.value {
            Some(value) => {
                lines.push(format!("{}={value}", key.key));
                from.push(format!("--from-literal={}=\"${}\"", key.key, key.key));
            }
            None => external.push(key.key.clone()),
        }
    }
    match external.as_slice() {
        [] => {}
        keys if from.is_empty() => {
            let _ = writeln!(
                out,
                "\n   External Secrets Operator creates this Secret, with {}, from `kubernetes/external-secrets.yaml`: there is nothing to run.",
                code_list(keys)
            );
        }
        [key] => {
            let _ = writeln!(
                out,
                "\n   {} comes from the external store through `kubernetes/external-secrets.yaml`: create the Secret with the other keys first, and External Secrets Operator adds it.",
                code_list(std::slice::from_ref(key))
            );
        }
        keys => {
            let _ = writeln!(
                out,
                "\n   {} come from the external store through `kubernetes/external-secrets.yaml`: create the Secret with the other keys first, and External Secrets Operator adds them.",
                code_list(keys)
            );
        }
    }
    if from.is_empty() {
        return;
    }
    // The block sits in a numbered list item, so every line is indented under it.
    out.push_str("\n   ```sh\n");
    for line in &lines {
        let _ = writeln!(out, "   {line}");
    }
    let _ = writeln!(
        out,
        "   kubectl -n {} create secret generic {} \\",
        env.namespace, spec.name
    );
    for (idx, item) in from.iter().enumerate() {
        let end = if idx + 1 < from.len() { " \\" } else { "" };
        let _ = writeln!(out, "     {item}{end}");
    }
    out.push_str("   ```\n");
}

fn security_section(out: &mut String, env: &Environment, manifests: &[Manifest]) {
    let (read_only, writable) = image_writes(manifests);
    out.push_str("## Security\n\n");
    out.push_str("- The namespace enforces the `baseline` Pod Security Standard and warns and audits against `restricted`.\n");
    let _ = writeln!(
        out,
        "- Every container runs with no privilege escalation, the runtime's default seccomp profile and all Linux capabilities dropped, and every container but CouchDB's runs as a non-root user. These run on a read-only image: {}.",
        read_only.join(", ")
    );
    out.push_str("- **The exception: CouchDB.** CHT's CouchDB entrypoint starts as root: it fixes the owners of the data directory, writes the admin, secret and uuid into `local.d`, sets the Erlang node name inside the image, then switches to the `couchdb` user and raises its open-file limit to 100,000. So `cht-couchdb` runs as root with a writable image and keeps five capabilities: `CHOWN`, `DAC_OVERRIDE` and `FOWNER` for the owners and modes, `SETUID` and `SETGID` to switch user. Raising the open-file limit happens after the switch, as the `couchdb` user, so it needs no capability, only a hard limit of at least 100,000 on the nodes (containerd's default); if the nodes' limit is lower, raise it there (`LimitNOFILE` of containerd) rather than granting `SYS_RESOURCE`, or set `DEFAULT_ULIMIT=true` on CouchDB to accept the lower limit.\n");
    if !writable.is_empty() {
        let _ = writeln!(
            out,
            "- These keep a writable image: {}.",
            writable.join("; ")
        );
    }
    let mut outside = vec!["the API", "Sentinel"];
    if env.analytics.is_some() {
        outside.push("dbt");
    }
    if env.backup.is_some() {
        outside.push("the backup");
    }
    let outside: Vec<String> = outside.into_iter().map(str::to_string).collect();
    let _ = writeln!(
        out,
        "- NetworkPolicies deny all traffic and then allow only CHT's request path (ingress controller to API, API and Sentinel to HAProxy, HAProxy to CouchDB, the CouchDB nodes to each other{}), DNS, and HTTPS out of the cluster for {}.",
        if env.analytics.is_some() {
            ", CHT Sync to HAProxy and PostgreSQL"
        } else {
            ""
        },
        plain_list(&outside)
    );
    out.push_str("- No pod mounts a service account token; nothing in the namespace may talk to the Kubernetes API.\n\n");
}

fn backup_section(out: &mut String, env: &Environment) {
    let Some(plan) = &env.backup else {
        return;
    };
    let (cron, actual, note) = backup::schedule(plan.every_secs);
    let job = if env.couchdb_nodes > 1 {
        "couchdb-backup-1"
    } else {
        "couchdb-backup"
    };
    out.push_str("## Backups\n\n");
    let _ = writeln!(
        out,
        "The CronJob `{job}`{} copies CouchDB's data and `local.d`, with the credentials a restore needs, every {} (`{cron}` UTC) and keeps each copy for {}. restic encrypts the repository with `RESTIC_PASSWORD`.",
        if env.couchdb_nodes > 1 { " (one per CouchDB node)" } else { "" },
        backup::describe(actual),
        backup::describe(plan.keep_secs)
    );
    if let Some(note) = note {
        let _ = writeln!(out, "Note: {note}.");
    }
    let target = match &plan.target {
        BackupTarget::Bucket { provider, region, bucket } if provider == "aws" => format!(
            "The copies go to the S3 bucket `{bucket}` in `{region}`{}. Give the service account `{SERVICE_ACCOUNT}` of namespace `{}` access to it with EKS Pod Identity (an association to an IAM role that may list, read, write and delete in the bucket), or put `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` in `{}`.",
            if plan.offsite { ", in another region than the cluster" } else { "" },
            env.namespace,
            meta::BACKUP_SECRET
        ),
        BackupTarget::Bucket { bucket, region, .. } => format!(
            "The copies go to the Cloud Storage bucket `{bucket}` in `{region}`{}. Grant the Workload Identity principal of the service account `{SERVICE_ACCOUNT}` (namespace `{}`) the role `roles/storage.objectAdmin` on the bucket.",
            if plan.offsite { ", in another region than the cluster" } else { "" },
            env.namespace
        ),
        BackupTarget::LocalVolume { .. } => "The copies stay in the cluster, on the claim `couchdb-backups`: they protect against mistakes and corruption, not against losing the cluster's disks.".to_string(),
        BackupTarget::OperatorProvided { example } => format!(
            "The copies go to the restic repository in `RESTIC_REPOSITORY` of `{}`, which must be on another site (for example `{example}`). The backup reaches it over HTTPS only; open `network-policies.yaml` (policy `backup`) if it needs another port or a private address.",
            meta::BACKUP_SECRET
        ),
    };
    let _ = writeln!(out, "{target}");
    let _ = writeln!(
        out,
        "Run one now to check it: `kubectl -n {ns} create job --from=cronjob/{job} backup-check && kubectl -n {ns} logs -f job/backup-check`.",
        ns = env.namespace
    );
    out.push_str("A backup is not working until a restore has been tested: restore into a scratch claim now and then (`restic restore latest --target /restore` in a pod that mounts one) and compare it with the live data. To restore for real, scale CouchDB to zero, restore `data` and `local.d` into its volume, recreate `cht-couchdb-credentials` from the restored `cht.env`, and scale it back up.\n");
    let alert = env
        .alerting
        .as_ref()
        .is_some_and(|it| it.on.contains(&ir::AlertCondition::BackupFailed));
    if alert {
        let _ = writeln!(
            out,
            "The plan asks for an alert when a backup fails: a failed run shows as a failed Job (`kubectl -n {} get jobs`); route it to an alert channel with your cluster's monitoring (for example kube-state-metrics' `kube_job_status_failed`), which Hostplan does not yet generate.",
            env.namespace
        );
    }
    out.push('\n');
}

fn analytics_section(out: &mut String, env: &Environment) {
    if env.analytics.is_none() {
        return;
    }
    out.push_str("## Analytics\n\nCHT Sync runs in the namespace: couch2pg copies CouchDB's changes into PostgreSQL (`cht-sync-postgres`), and dbt builds CHT's analytics models there. Only couch2pg and dbt may reach PostgreSQL; to let a dashboard tool read it, add a NetworkPolicy that allows it on port 5432.\n\n");
}

fn monitoring_section(out: &mut String, env: &Environment) {
    let Some(monitoring) = &env.monitoring else {
        return;
    };
    let contact_points = env
        .alerting
        .as_ref()
        .is_some_and(|it| !it.email.is_empty() || !it.webhook.is_empty());
    out.push_str("## Monitoring\n\n");
    let _ = writeln!(
        out,
        "CHT Watchdog must not run on the cluster it watches: when the cluster fails, it must still be there to tell you. Run it on its own host with Docker Compose; it reaches CHT through {} like any user.\n",
        env.url()
    );
    let _ = writeln!(
        out,
        "1. `git clone --branch {} https://github.com/medic/cht-watchdog.git && cd cht-watchdog`",
        monitoring.watchdog_version
    );
    let _ = writeln!(
        out,
        "1. Copy `watchdog/cht-instances.yml` over the checkout's `cht-instances.yml`{}.",
        if contact_points {
            ", and `watchdog/grafana/provisioning/alerting/hostplan-contact-points.yml` into `grafana/provisioning/alerting/`"
        } else {
            ""
        }
    );
    out.push_str(
        "1. `cp watchdog/.env.example .env`, fill it in, then `docker compose up --detach`.\n",
    );
    out.push_str("1. Put Grafana behind a TLS reverse proxy; it listens on 127.0.0.1 only.\n\n");
}

fn access_sections(out: &mut String, env: &Environment) {
    if !env.security.admin_from.is_empty() {
        let ranges: Vec<String> = env
            .security
            .admin_from
            .iter()
            .map(|it| format!("`{it}`"))
            .collect();
        let _ = writeln!(
            out,
            "## Access\n\nThe plan allows admin endpoints (`/_utils/`, `/admin/`) only from {}. The ingress does not filter by address yet: enforce it at the load balancer or firewall in front of the cluster.\n",
            ranges.join(", ")
        );
    }
    if !env.operators.is_empty() {
        out.push_str("## Operators\n\n`kubernetes/rbac.yaml` gives each operator a Role in the namespace, bound to the Kubernetes user named below (map the operator's identity to that user name in your cluster's authentication: EKS access entries, Google accounts, OIDC or client certificates).\n\n");
        out.push_str("| operator | Kubernetes user | role |\n| --- | --- | --- |\n");
        for operator in &env.operators {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} |",
                operator.name,
                operator.email.as_deref().unwrap_or(&operator.name),
                operator.role.name()
            );
        }
        out.push_str("\nThe first deploy needs a cluster administrator, who creates the namespace and the RBAC; deployers can apply the manifests after that.\n\n");
    }
    if !env.suppressions.is_empty() {
        out.push_str("## Rules allowed to fail here\n\n| rule | reason |\n| --- | --- |\n");
        for it in &env.suppressions {
            let _ = writeln!(out, "| {} | {} |", it.code, it.reason);
        }
        out.push('\n');
    }
}

fn upgrades_section(out: &mut String) {
    out.push_str("## Upgrades\n\nOn Kubernetes, CHT is upgraded by changing the image tags, not from the admin app: change `cht` in the plan to the new release, build again, and `kubectl apply -k kubernetes/`. Use the admin app's \"Stage\" first so the new views are indexed before the switch.\n");
    out.push_str("Before upgrading, make sure the CouchDB volume has room for up to five times the data (view re-indexing) and take a backup.\n");
}

/// "a", "a and b", "a, b and c".
fn plain_list(items: &[String]) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
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

/// The containers that run on a read-only image, and those that keep a writable one (CouchDB
/// aside, which the README explains on its own), each with the reason.
fn image_writes(manifests: &[Manifest]) -> (Vec<String>, Vec<String>) {
    let mut read_only = Vec::new();
    let mut writable = Vec::new();
    for object in manifests.iter().flat_map(|it| it.objects.iter()) {
        for container in pod_containers(&object.map) {
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

/// The Deployments and StatefulSets in the order they start.
fn rollouts(manifests: &[Manifest]) -> Vec<String> {
    manifests
        .iter()
        .flat_map(|it| it.objects.iter())
        .filter_map(|it| {
            let it = &it.map;
            let kind = match text(it, &["kind"]) {
                "Deployment" => "deployment",
                "StatefulSet" => "statefulset",
                _ => return None,
            };
            Some(format!("{kind}/{}", text(it, &["metadata", "name"])))
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

/// "`A`", "`A` and `B`", "`A`, `B` and `C`".
fn code_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|it| format!("`{it}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}
