//! The Kubernetes backend, end to end: every manifest the examples and the per-distribution
//! plans produce validates strictly against the Kubernetes 1.33 schemas (custom objects
//! against the project's own schemas in `hostplan_tests::crd`); object names, selectors,
//! environment variables and Secret keys are those of CHT's Helm chart; no Secret carries
//! data; every container has requests, limits and probes; NetworkPolicies cover every pod and
//! allow exactly CHT's request path; sizes come from the estimate; and the national
//! example's production environment is snapshotted.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use hostplan_codegen::{EmitOptions, OutputFile};
use hostplan_core::estimate::output::{PlanEstimate, Service};
use hostplan_core::modules::ParseCache;
use hostplan_core::{Analysis, MemoryLoader};
use hostplan_tests::crd::{custom_kinds, validate_custom_object};
use hostplan_tests::validate::{
    check_yaml11_traps, k8s_kinds, validate_k8s_object, yaml_documents_to_json, yaml_to_json,
};
use regex::Regex;
use serde_json::Value;

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new(".."))
}

/// A plan built as `hostplan build` builds it: sized by its estimate.
struct Build {
    files: Vec<OutputFile>,
    estimate: PlanEstimate,
}

fn build(analysis: Analysis, plan_path: &str) -> Build {
    assert!(!analysis.has_errors(), "{:#?}", analysis.diagnostics);
    let plan = analysis.plan.expect("a plan model");
    let estimate = analysis.estimate.expect("an estimate");
    let (program, diagnostics) = hostplan_core::provision::lower(&plan, Some(&estimate));
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let files = hostplan_codegen::emit(
        &program,
        &EmitOptions {
            plan_path: plan_path.to_string(),
            process_ends: false,
        },
        None,
    );
    Build { files, estimate }
}

fn build_example(name: &str) -> Build {
    let loader = hostplan_cli::FsLoader {
        root: repo_root().join("examples").join(name),
    };
    let analysis = hostplan_core::analyze(&loader, "plan.hplan", &mut ParseCache::default())
        .expect("the example loads");
    build(analysis, &format!("examples/{name}/plan.hplan"))
}

fn build_text(text: &str) -> Build {
    let loader = MemoryLoader {
        files: vec![("plan.hplan".to_string(), Arc::from(text))],
    };
    let analysis = hostplan_core::analyze(&loader, "plan.hplan", &mut ParseCache::default())
        .expect("the plan loads");
    build(analysis, "plan.hplan")
}

/// A one-environment plan on the given Kubernetes distribution and infrastructure.
fn plan_on(distribution: &str, infra: &str, version: &str, nodes: u32, tls: &str) -> String {
    format!(
        r#"import "std/cht"
import "std/aws"
import "std/gcp"
import "std/policies"
plan "t" {{ cht = "{version}", owner = "o", horizon = 2y }}
population {{ people = 20_000, workflows = 4 }}
users {{ role chw {{ count = 80, sync = offline }} }}
secret couchdb_admin = env("T_COUCHDB_PASSWORD")
secret couchdb_secret = generate(words = 7)
policy hosted extends policies.baseline {{
  tls {{ mode = {tls}, email = "ops@example.org" }}
  alerting {{ email = ["ops@example.org"], on = [downtime(5m), backup_failed] }}
}}
environment e {{
  kind = staging
  target = kubernetes({distribution})
  infra = {infra}
  domain = "cht.example.org"
  data = synthetic
  namespace = "cht-e"
  policy = hosted
  couchdb {{ nodes = {nodes} }}
}}
operator ana {{ role = deployer, access = [e], email = "ana@example.org" }}
operator ben {{ role = viewer, access = [e] }}
"#
    )
}

const ONPREM: &str = "onprem { nodes = 3, cpu = 8, memory = 32GiB, disk = 500GiB }";

/// Every distribution the backend writes, with a plan for each (a CHT 4 cluster on k3s, a
/// CHT 5 cluster on AKS, single nodes elsewhere).
fn distribution_builds() -> Vec<(&'static str, Build)> {
    vec![
        (
            "k3s",
            build_text(&plan_on("k3s", ONPREM, "4.22.0", 3, "acme")),
        ),
        (
            "eks",
            build_text(&plan_on(
                "eks",
                r#"aws { region = "eu-west-1" }"#,
                "5.2.0",
                1,
                "managed",
            )),
        ),
        (
            "gke",
            build_text(&plan_on(
                "gke",
                r#"gcp { region = "europe-west1", project = "p-1" }"#,
                "5.2.0",
                1,
                "managed",
            )),
        ),
        (
            "aks",
            build_text(&plan_on("aks", ONPREM, "5.2.0", 3, "acme")),
        ),
        (
            "generic",
            build_text(&plan_on("generic", ONPREM, "5.2.0", 1, "own_cert")),
        ),
    ]
}

fn file<'a>(files: &'a [OutputFile], path: &str) -> &'a str {
    files
        .iter()
        .find(|it| it.path == path)
        .map(|it| it.contents.as_str())
        .unwrap_or_else(|| panic!("no output `{path}`"))
}

/// The manifests of an environment (`ENV/kubernetes/*.yaml` but the kustomization).
fn manifests<'a>(files: &'a [OutputFile], env: &str) -> Vec<&'a OutputFile> {
    let prefix = format!("{env}/kubernetes/");
    files
        .iter()
        .filter(|it| it.path.starts_with(&prefix) && !it.path.ends_with("/kustomization.yaml"))
        .collect()
}

/// Every object of an environment's manifests.
fn objects(files: &[OutputFile], env: &str) -> Vec<Value> {
    manifests(files, env)
        .into_iter()
        .flat_map(|it| {
            yaml_documents_to_json(&it.contents)
                .unwrap_or_else(|e| panic!("{}: {e}", it.path))
                .into_iter()
                .filter(|doc| !doc.is_null())
        })
        .collect()
}

fn kind(object: &Value) -> &str {
    object.get("kind").and_then(Value::as_str).unwrap_or("")
}

fn name(object: &Value) -> &str {
    object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn of_kind<'a>(objects: &'a [Value], wanted: &str) -> Vec<&'a Value> {
    objects.iter().filter(|it| kind(it) == wanted).collect()
}

fn find<'a>(objects: &'a [Value], wanted: &str, wanted_name: &str) -> &'a Value {
    objects
        .iter()
        .find(|it| kind(it) == wanted && name(it) == wanted_name)
        .unwrap_or_else(|| panic!("no {wanted} `{wanted_name}`"))
}

/// The pod template spec of a workload.
fn pod_spec(object: &Value) -> Option<&Value> {
    match kind(object) {
        "Deployment" | "StatefulSet" => object.pointer("/spec/template/spec"),
        "CronJob" => object.pointer("/spec/jobTemplate/spec/template/spec"),
        _ => None,
    }
}

fn pod_labels(object: &Value) -> Option<&Value> {
    match kind(object) {
        "Deployment" | "StatefulSet" => object.pointer("/spec/template/metadata/labels"),
        "CronJob" => object.pointer("/spec/jobTemplate/spec/template/metadata/labels"),
        _ => None,
    }
}

fn containers(object: &Value) -> Vec<&Value> {
    pod_spec(object)
        .and_then(|it| it.get("containers"))
        .and_then(Value::as_array)
        .map(|it| it.iter().collect())
        .unwrap_or_default()
}

fn env_names(container: &Value) -> Vec<String> {
    container
        .get("env")
        .and_then(Value::as_array)
        .map(|vars| {
            vars.iter()
                .filter_map(|it| it.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The examples and the per-distribution plans, each with its Kubernetes environments.
fn all_builds() -> Vec<(String, Build, Vec<&'static str>)> {
    let mut out = vec![
        (
            "national".to_string(),
            build_example("national"),
            vec!["uat", "production"],
        ),
        (
            "regional".to_string(),
            build_example("regional"),
            vec!["production", "staging"],
        ),
    ];
    for (distribution, build) in distribution_builds() {
        out.push((distribution.to_string(), build, vec!["e"]));
    }
    out
}

#[test]
fn every_manifest_validates_strictly_against_kubernetes_1_33() {
    let known = k8s_kinds();
    let custom = custom_kinds();
    let mut checked = 0;
    let mut custom_checked = BTreeSet::new();
    for (label, build, envs) in all_builds() {
        for env in envs {
            let files = manifests(&build.files, env);
            assert!(!files.is_empty(), "{label}/{env}: no manifests");
            // Two objects with the same identity would overwrite each other when applied.
            let mut identities = BTreeSet::new();
            for object in objects(&build.files, env) {
                let group = object["apiVersion"]
                    .as_str()
                    .and_then(|it| it.split_once('/'))
                    .map(|it| it.0.to_string())
                    .unwrap_or_default();
                let identity = (
                    group,
                    kind(&object).to_string(),
                    object["metadata"]["namespace"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                    name(&object).to_string(),
                );
                assert!(
                    identities.insert(identity.clone()),
                    "{label}/{env}: {identity:?} twice"
                );
            }
            for output in files {
                if let Err(traps) = check_yaml11_traps(&output.contents) {
                    panic!("{label}: {}: YAML 1.1 traps {traps:#?}", output.path);
                }
                let docs = yaml_documents_to_json(&output.contents)
                    .unwrap_or_else(|e| panic!("{}: {e}", output.path));
                for doc in docs.iter().filter(|it| !it.is_null()) {
                    let api_version = doc.get("apiVersion").and_then(Value::as_str).unwrap_or("");
                    let pair = (api_version, kind(doc));
                    let result = if known.contains(&pair) {
                        validate_k8s_object(doc)
                    } else if custom.contains(&pair) {
                        custom_checked.insert(format!("{} {}", pair.0, pair.1));
                        validate_custom_object(doc)
                    } else {
                        Err(vec![format!("no schema for {pair:?}")])
                    };
                    if let Err(errors) = result {
                        panic!("{label}: {}: {errors:#?}", output.path);
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 200, "only {checked} objects checked");
    // Every custom kind the backend can write was seen, so its schema is exercised.
    assert_eq!(
        custom_checked.len(),
        custom.len(),
        "custom kinds seen: {custom_checked:?}"
    );
}

#[test]
fn the_kustomization_lists_every_manifest_in_dependency_order() {
    for (label, build, envs) in all_builds() {
        for env in envs {
            let text = file(
                &build.files,
                &format!("{env}/kubernetes/kustomization.yaml"),
            );
            let doc = yaml_to_json(text).expect("the kustomization is YAML");
            assert_eq!(doc["apiVersion"], "kustomize.config.k8s.io/v1beta1");
            assert_eq!(doc["kind"], "Kustomization");
            let listed: Vec<&str> = doc["resources"]
                .as_array()
                .expect("resources")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let written: BTreeSet<String> = manifests(&build.files, env)
                .iter()
                .map(|it| it.path.rsplit('/').next().unwrap_or_default().to_string())
                .collect();
            let listed_set: BTreeSet<String> = listed.iter().map(|it| it.to_string()).collect();
            assert_eq!(listed_set, written, "{label}/{env}");
            assert_eq!(listed.len(), written.len(), "{label}/{env}: listed twice");
            let position = |name: &str| listed.iter().position(|it| *it == name);
            assert_eq!(position("namespace.yaml"), Some(0), "{label}/{env}");
            let order = [
                "config.yaml",
                "storage.yaml",
                "couchdb.yaml",
                "haproxy.yaml",
                "api.yaml",
                "sentinel.yaml",
                "ingress.yaml",
                "network-policies.yaml",
            ];
            let positions: Vec<usize> = order
                .iter()
                .map(|it| position(it).unwrap_or_else(|| panic!("{label}/{env}: no {it}")))
                .collect();
            assert!(
                positions.windows(2).all(|it| it[0] < it[1]),
                "{label}/{env}: {listed:?}"
            );
            if let Some(healthcheck) = position("healthcheck.yaml") {
                assert!(position("couchdb.yaml") < Some(healthcheck));
                assert!(Some(healthcheck) < position("haproxy.yaml"));
            }
            if let Some(secrets) = position("external-secrets.yaml") {
                assert!(Some(secrets) < position("couchdb.yaml"));
            }
        }
    }
}

/// Names the chart's templates give objects, environment variables and Secret keys, read
/// from the copies in `tests/fixtures/cht-chart`.
struct ChartTemplate {
    names: Vec<String>,
    env: Vec<String>,
    /// The keys read from Secrets and ConfigMaps.
    ref_keys: Vec<String>,
}

fn chart_template(file_name: &str) -> ChartTemplate {
    let text =
        std::fs::read_to_string(repo_root().join("tests/fixtures/cht-chart").join(file_name))
            .expect("chart fixture exists");
    let capture = |pattern: &str| -> Vec<String> {
        let re = Regex::new(pattern).expect("pattern");
        re.captures_iter(&text)
            .filter_map(|it| it.get(1).map(|m| m.as_str().to_string()))
            .collect()
    };
    ChartTemplate {
        // Object names sit right under `metadata:` after its labels, at two spaces.
        names: capture(r"(?m)^  name: ([a-z][-a-z0-9]*)\s*$"),
        env: capture(r"(?m)^\s*- name: ([A-Z][A-Z_]*)\s*$"),
        ref_keys: capture(r"(?m)^\s+key: ([A-Z][A-Z_]*)\s*$"),
    }
}

#[test]
fn objects_environment_and_secret_keys_follow_cht_s_helm_chart() {
    let build = build_example("national");
    let objects = objects(&build.files, "production");
    for (template, kind_name, container) in [
        (
            "cht-core@5.2.0__api_deployment.yaml",
            "Deployment",
            "cht-api",
        ),
        (
            "cht-core@5.2.0__sentinel_deployment.yaml",
            "Deployment",
            "cht-sentinel",
        ),
        (
            "cht-core@5.2.0__haproxy_deployment.yaml",
            "Deployment",
            "cht-haproxy",
        ),
    ] {
        let chart = chart_template(template);
        let deployment_name = chart.names.first().expect("the chart names the Deployment");
        let deployment = find(&objects, kind_name, deployment_name);
        let ours = containers(deployment)
            .into_iter()
            .find(|it| it["name"] == container)
            .unwrap_or_else(|| panic!("no container {container}"));
        let mut ours_env = env_names(ours);
        let mut chart_env = chart.env.clone();
        ours_env.sort();
        chart_env.sort();
        assert_eq!(ours_env, chart_env, "{template}");
        let mut ours_keys: Vec<String> = ours["env"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|var| {
                let from = &var["valueFrom"];
                from["secretKeyRef"]["key"]
                    .as_str()
                    .or(from["configMapKeyRef"]["key"].as_str())
                    .map(str::to_string)
            })
            .collect();
        let mut chart_keys = chart.ref_keys.clone();
        ours_keys.sort();
        chart_keys.sort();
        assert_eq!(ours_keys, chart_keys, "{template}");
        // The selector is the chart's, so `kubectl apply` over the chart's objects works.
        let selector = deployment["spec"]["selector"]["matchLabels"].clone();
        let service_label = deployment_name.trim_start_matches("cht-");
        assert_eq!(
            selector,
            serde_json::json!({ "cht.service": service_label })
        );
    }
    for (template, service) in [
        ("cht-core@5.2.0__api_service.yaml", "api"),
        ("cht-core@5.2.0__haproxy_service.yaml", "haproxy"),
        ("cht-core@5.2.0__nouveau_service.yaml", "nouveau"),
    ] {
        let chart = chart_template(template);
        assert_eq!(chart.names, [service], "{template}");
        find(&objects, "Service", service);
    }
    let chart = chart_template("cht-core@5.2.0__couchdb_configmap.yaml");
    find(&objects, "ConfigMap", chart.names.first().expect("named"));
    // Every key the chart's credentials Secret holds is one the pods read, and every Secret
    // key the pods read is one of the chart's.
    let credentials = chart_template("cht-core@5.2.0__couchdb_credentials.yaml");
    assert_eq!(credentials.names, ["cht-couchdb-credentials"]);
    let text = std::fs::read_to_string(
        repo_root().join("tests/fixtures/cht-chart/cht-core@5.2.0__couchdb_credentials.yaml"),
    )
    .expect("fixture");
    let chart_keys: BTreeSet<String> = Regex::new(r"(?m)^  ([A-Z][A-Z_]*):")
        .expect("pattern")
        .captures_iter(&text)
        .filter_map(|it| it.get(1).map(|m| m.as_str().to_string()))
        .collect();
    let mut read: BTreeSet<String> = BTreeSet::new();
    for object in &objects {
        for container in containers(object) {
            for var in container["env"].as_array().into_iter().flatten() {
                if var["valueFrom"]["secretKeyRef"]["name"] == "cht-couchdb-credentials" {
                    if let Some(key) = var["valueFrom"]["secretKeyRef"]["key"].as_str() {
                        read.insert(key.to_string());
                    }
                }
            }
        }
    }
    assert_eq!(read, chart_keys);
    // The healthcheck template (CHT 4, and CHT 5 clusters) and the cluster names.
    let regional = build_example("regional");
    let cluster = objects_of(&regional, "production");
    let chart = chart_template("cht-core@5.2.0__healthcheck_deployment.yaml");
    let healthcheck = find(&cluster, "Deployment", chart.names.first().expect("named"));
    let mut ours = env_names(containers(healthcheck).first().expect("a container"));
    ours.sort();
    let mut theirs = chart.env.clone();
    theirs.sort();
    assert_eq!(ours, theirs);
    assert_eq!(
        chart_template("cht-core@5.2.0__healthcheck_service.yaml").names,
        ["healthcheck"]
    );
    find(&cluster, "Service", "healthcheck");
    // The cluster's names, as TEMPLATES.md lists them for the chart.
    for node in 1..=3 {
        let deployment = find(&cluster, "Deployment", &format!("cht-couchdb-{node}"));
        assert_eq!(
            deployment["spec"]["selector"]["matchLabels"]["cht.service"],
            format!("couchdb-{node}")
        );
        find(&cluster, "Service", &format!("couchdb-{node}"));
        find(
            &cluster,
            "PersistentVolumeClaim",
            &format!("couchdb-{node}-claim0"),
        );
    }
    // Nouveau runs beside the first node only and its Service selects that node (5.2.0).
    let with_nouveau: Vec<&str> = of_kind(&cluster, "Deployment")
        .into_iter()
        .filter(|it| {
            containers(it)
                .iter()
                .any(|c| c["name"] == "cht-couchdb-nouveau")
        })
        .map(name)
        .collect();
    assert_eq!(with_nouveau, ["cht-couchdb-1"]);
    assert_eq!(
        find(&cluster, "Service", "nouveau")["spec"]["selector"]["cht.service"],
        "couchdb-1"
    );
    // Single node: the chart's single names.
    find(&objects, "Deployment", "cht-couchdb");
    find(&objects, "Service", "couchdb");
    find(&objects, "PersistentVolumeClaim", "couchdb-claim0");
    find(&objects, "Ingress", "api-ingress");
}

fn objects_of(build: &Build, env: &str) -> Vec<Value> {
    objects(&build.files, env)
}

#[test]
fn no_secret_carries_data_and_every_credential_is_a_reference() {
    for (label, build, envs) in all_builds() {
        for env in envs {
            let objects = objects(&build.files, env);
            assert!(
                of_kind(&objects, "Secret").is_empty(),
                "{label}/{env}: a Secret is written"
            );
            for object in &objects {
                for container in containers(object) {
                    for var in container["env"].as_array().into_iter().flatten() {
                        let var_name = var["name"].as_str().unwrap_or_default();
                        let sensitive = var_name.contains("PASSWORD")
                            || var_name.contains("SECRET")
                            || var_name == "COUCH_URL"
                            || var_name == "COUCHDB_USER"
                            || var_name == "COUCHDB_UUID";
                        if sensitive {
                            assert!(
                                var.get("value").is_none()
                                    && var["valueFrom"]["secretKeyRef"]["name"].is_string(),
                                "{label}/{env}: {} sets {var_name} without a secretKeyRef",
                                name(object)
                            );
                        }
                        if let Some(value) = var.get("value").and_then(Value::as_str) {
                            assert!(
                                !value.contains('@'),
                                "{label}/{env}: {var_name}={value} looks like a URL with credentials"
                            );
                        }
                    }
                }
            }
            // The environment variable names the values come from appear, never a value.
            for output in build
                .files
                .iter()
                .filter(|it| it.path.starts_with(&format!("{env}/")))
            {
                assert!(
                    !output.contents.contains("kind: Secret\n"),
                    "{label}: {}",
                    output.path
                );
            }
        }
    }
}

#[test]
fn external_secret_stores_get_external_secrets() {
    let build = build_example("regional");
    let objects = objects_of(&build, "production");
    let external = of_kind(&objects, "ExternalSecret");
    let targets: Vec<(&str, &str)> = external
        .iter()
        .map(|it| {
            (
                it["spec"]["target"]["name"].as_str().unwrap_or_default(),
                it["spec"]["target"]["creationPolicy"]
                    .as_str()
                    .unwrap_or_default(),
            )
        })
        .collect();
    // CouchDB's keys merge into the Secret that also holds the user and uuid; CHT Sync's
    // Secret holds only the external password, so the operator owns it.
    assert_eq!(
        targets,
        [
            ("cht-couchdb-credentials", "Merge"),
            ("cht-sync-credentials", "Owner")
        ]
    );
    let couch = external.first().expect("an ExternalSecret");
    let remote: Vec<(&str, &str)> = couch["spec"]["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|it| {
            (
                it["secretKey"].as_str().unwrap_or_default(),
                it["remoteRef"]["key"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        remote,
        [
            ("COUCHDB_PASSWORD", "cht-production-couchdb-password"),
            ("COUCHDB_SECRET", "cht-production-couchdb-secret"),
        ]
    );
    assert_eq!(
        couch["spec"]["secretStoreRef"]["name"],
        "gcp-secret-manager"
    );
    let url = couch["spec"]["target"]["template"]["data"]["COUCH_URL"]
        .as_str()
        .expect("COUCH_URL is derived");
    assert_eq!(
        url,
        "http://admin:{{ .COUCHDB_PASSWORD | urlquery }}@haproxy.cht-production.svc.cluster.local:5984/medic"
    );
    // Staging generates its secrets: no ExternalSecret, and the README says how to make them.
    assert!(of_kind(&objects_of(&build, "staging"), "ExternalSecret").is_empty());
    let readme = file(&build.files, "staging/README.md");
    assert!(readme.contains("kubectl -n cht-staging create secret generic cht-couchdb-credentials"));
    assert!(readme.contains("COUCHDB_UUID=\"$(uuidgen)\""));
}

/// Parses a CPU quantity (`250m`, `2`) into milli-CPUs and a memory one (`512Mi`, `2Gi`)
/// into MiB.
fn quantity(text: &str) -> Option<u64> {
    if let Some(milli) = text.strip_suffix('m') {
        return milli.parse().ok();
    }
    if let Some(mib) = text.strip_suffix("Mi") {
        return mib.parse().ok();
    }
    if let Some(gib) = text.strip_suffix("Gi") {
        return gib.parse::<u64>().ok().map(|it| it * 1024);
    }
    text.parse::<u64>().ok().map(|it| it * 1000)
}

#[test]
fn every_container_has_requests_limits_and_probes() {
    for (label, build, envs) in all_builds() {
        for env in envs {
            for object in objects(&build.files, env) {
                for container in containers(&object) {
                    let at = format!("{label}/{env}: {} {}", name(&object), container["name"]);
                    for part in ["requests", "limits"] {
                        for resource in ["cpu", "memory"] {
                            let amount = container["resources"][part][resource].as_str();
                            assert!(
                                amount.and_then(quantity).is_some_and(|it| 0 < it),
                                "{at}: no {part}.{resource}"
                            );
                        }
                    }
                    for resource in ["cpu", "memory"] {
                        let request = container["resources"]["requests"][resource]
                            .as_str()
                            .and_then(quantity);
                        let limit = container["resources"]["limits"][resource]
                            .as_str()
                            .and_then(quantity);
                        assert!(request <= limit, "{at}: {resource} request above its limit");
                    }
                    // Long-running containers are probed; the backup is a Job that runs to
                    // completion, bounded by its deadline instead.
                    if kind(&object) == "CronJob" {
                        assert!(
                            object["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"].is_u64(),
                            "{at}: no deadline"
                        );
                    } else {
                        for probe in ["readinessProbe", "livenessProbe"] {
                            assert!(container[probe].is_object(), "{at}: no {probe}");
                        }
                    }
                    let security = &container["securityContext"];
                    assert_eq!(security["allowPrivilegeEscalation"], false, "{at}");
                    assert_eq!(
                        security["capabilities"]["drop"],
                        serde_json::json!(["ALL"]),
                        "{at}"
                    );
                    assert_eq!(security["seccompProfile"]["type"], "RuntimeDefault", "{at}");
                    // Only CouchDB keeps root, with exactly the capabilities its entrypoint uses.
                    let is_couchdb = container["image"]
                        .as_str()
                        .is_some_and(|it| it.contains("/cht-couchdb:"));
                    if is_couchdb {
                        assert_eq!(security["runAsUser"], 0, "{at}");
                        assert_eq!(
                            security["capabilities"]["add"],
                            serde_json::json!([
                                "CHOWN",
                                "DAC_OVERRIDE",
                                "FOWNER",
                                "SETGID",
                                "SETUID"
                            ]),
                            "{at}"
                        );
                    } else {
                        assert!(security["capabilities"].get("add").is_none(), "{at}");
                        assert_eq!(security["runAsNonRoot"], true, "{at}: may run as root");
                    }
                }
                if let Some(spec) = pod_spec(&object) {
                    assert_eq!(spec["automountServiceAccountToken"], false);
                    assert_eq!(spec["enableServiceLinks"], false);
                }
            }
        }
    }
}

#[test]
fn sizes_come_from_the_estimate() {
    let build = build_example("national");
    for env in ["production", "uat"] {
        let estimate = build
            .estimate
            .environments
            .iter()
            .find(|it| it.name == env)
            .expect("estimated");
        let objects = objects(&build.files, env);
        for (deployment, container, service) in [
            ("cht-couchdb", "cht-couchdb", Service::Couchdb),
            ("cht-api", "cht-api", Service::Api),
            ("cht-sentinel", "cht-sentinel", Service::Sentinel),
            ("cht-haproxy", "cht-haproxy", Service::Haproxy),
        ] {
            let sized = estimate.service(service).expect("sized");
            let ours = containers(find(&objects, "Deployment", deployment))
                .into_iter()
                .find(|it| it["name"] == container)
                .expect("container");
            assert_eq!(
                ours["resources"]["requests"]["cpu"],
                sized.cpu_request_kubernetes(),
                "{env} {container}"
            );
            assert_eq!(
                ours["resources"]["limits"]["cpu"],
                sized.cpu_limit_kubernetes()
            );
            assert_eq!(
                ours["resources"]["requests"]["memory"]
                    .as_str()
                    .and_then(quantity),
                Some(sized.memory_request_mib)
            );
            assert_eq!(
                ours["resources"]["limits"]["memory"]
                    .as_str()
                    .and_then(quantity),
                Some(sized.memory_limit_mib)
            );
        }
        let claim = find(&objects, "PersistentVolumeClaim", "couchdb-claim0");
        assert_eq!(
            claim["spec"]["resources"]["requests"]["storage"],
            format!("{}Gi", estimate.couchdb_volume_gib())
        );
        // Nouveau's JVM is started with a 2 GiB heap: its limit never goes below 2.5 GiB.
        let nouveau = containers(find(&objects, "Deployment", "cht-couchdb"))
            .into_iter()
            .find(|it| it["name"] == "cht-couchdb-nouveau")
            .expect("nouveau");
        let limit = nouveau["resources"]["limits"]["memory"]
            .as_str()
            .and_then(quantity)
            .expect("limit");
        let sized = estimate.service(Service::Nouveau).expect("sized");
        assert_eq!(limit, sized.memory_limit_mib.max(2560));
    }
    let production = build
        .estimate
        .environments
        .iter()
        .find(|it| it.name == "production")
        .expect("estimated");
    let objects = objects(&build.files, "production");
    let postgres = find(&objects, "PersistentVolumeClaim", "postgres-pvc");
    assert_eq!(
        postgres["spec"]["resources"]["requests"]["storage"],
        format!(
            "{}Gi",
            production.postgres_volume_gib().expect("with analytics")
        )
    );
}

/// Whether a NetworkPolicy peer selects a pod of the same namespace with these labels.
fn peer_selects(peer: &Value, labels: &Value) -> bool {
    if peer.get("namespaceSelector").is_some() || peer.get("ipBlock").is_some() {
        return false;
    }
    match peer.get("podSelector") {
        Some(selector) => selects(selector, labels),
        None => false,
    }
}

fn selects(selector: &Value, labels: &Value) -> bool {
    let Some(match_labels) = selector.get("matchLabels").and_then(Value::as_object) else {
        // `{}` selects every pod.
        return selector.as_object().is_some_and(|it| it.is_empty());
    };
    match_labels
        .iter()
        .all(|(key, value)| labels.get(key) == Some(value))
}

fn port_allowed(rule: &Value, port: u16) -> bool {
    match rule.get("ports").and_then(Value::as_array) {
        None => true,
        Some(ports) => ports.iter().any(|it| it["port"] == port),
    }
}

/// Whether the policies let a pod with `from` labels open a TCP connection to a pod with `to`
/// labels on `port`, in the same namespace.
fn allowed(policies: &[&Value], from: &Value, to: &Value, port: u16) -> bool {
    let direction = |labels: &Value, types: &str, rules: &str, peers: &str, other: &Value| {
        let applying: Vec<&&Value> = policies
            .iter()
            .filter(|it| selects(&it["spec"]["podSelector"], labels))
            .filter(|it| {
                it["spec"]["policyTypes"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|x| x == types))
            })
            .collect();
        if applying.is_empty() {
            return true;
        }
        applying.iter().any(|policy| {
            policy["spec"][rules]
                .as_array()
                .into_iter()
                .flatten()
                .any(|rule| {
                    let peers_ok = match rule.get(peers).and_then(Value::as_array) {
                        None => true,
                        Some(list) => list.iter().any(|peer| peer_selects(peer, other)),
                    };
                    peers_ok && port_allowed(rule, port)
                })
        })
    };
    direction(from, "Egress", "egress", "to", to)
        && direction(to, "Ingress", "ingress", "from", from)
}

fn labels_of<'a>(objects: &'a [Value], workload: &str) -> &'a Value {
    let object = objects
        .iter()
        .find(|it| name(it) == workload && pod_labels(it).is_some())
        .unwrap_or_else(|| panic!("no workload {workload}"));
    pod_labels(object).expect("labels")
}

#[test]
fn network_policies_cover_every_pod_and_allow_exactly_cht_s_request_path() {
    for (label, build, envs) in all_builds() {
        for env in envs {
            let objects = objects(&build.files, env);
            let policies = of_kind(&objects, "NetworkPolicy");
            let deny = find(&objects, "NetworkPolicy", "default-deny");
            assert_eq!(deny["spec"]["podSelector"], serde_json::json!({}));
            assert_eq!(
                deny["spec"]["policyTypes"],
                serde_json::json!(["Ingress", "Egress"])
            );
            assert!(deny["spec"].get("ingress").is_none() && deny["spec"].get("egress").is_none());
            // Every pod is selected by a policy of its own, beyond the namespace-wide ones.
            for object in &objects {
                let Some(labels) = pod_labels(object) else {
                    continue;
                };
                let own = policies.iter().any(|it| {
                    it["spec"]["podSelector"]
                        .get("matchLabels")
                        .is_some_and(|_| selects(&it["spec"]["podSelector"], labels))
                });
                assert!(own, "{label}/{env}: no policy selects {}", name(object));
            }
        }
    }
    let national = build_example("national");
    let objects = objects(&national.files, "production");
    let policies = of_kind(&objects, "NetworkPolicy");
    let pod = |workload: &str| labels_of(&objects, workload).clone();
    let api = pod("cht-api");
    let sentinel = pod("cht-sentinel");
    let haproxy = pod("cht-haproxy");
    let couchdb = pod("cht-couchdb");
    let couch2pg = pod("cht-sync-couch2pg--haproxy");
    let dbt = pod("cht-sync-dbt-0");
    let postgres = pod("cht-sync-postgres");
    let backup = pod("couchdb-backup");
    for (from, to, port) in [
        (&api, &haproxy, 5984),
        (&sentinel, &haproxy, 5984),
        (&sentinel, &api, 5988),
        (&haproxy, &couchdb, 5984),
        (&couch2pg, &haproxy, 5984),
        (&couch2pg, &postgres, 5432),
        (&dbt, &postgres, 5432),
    ] {
        assert!(allowed(&policies, from, to, port), "{from} -> {to}:{port}");
    }
    for (from, to, port) in [
        (&api, &couchdb, 5984),
        (&sentinel, &couchdb, 5984),
        (&couch2pg, &couchdb, 5984),
        (&dbt, &haproxy, 5984),
        (&api, &postgres, 5432),
        (&backup, &couchdb, 5984),
        (&haproxy, &api, 5988),
        (&couchdb, &api, 5988),
        (&postgres, &couchdb, 5984),
    ] {
        assert!(!allowed(&policies, from, to, port), "{from} -> {to}:{port}");
    }
    // A cluster: the nodes reach each other's HTTP, epmd and Erlang ports, and Nouveau on the
    // first node; HAProxy and its health check reach the nodes.
    let regional = build_example("regional");
    let objects = objects_of(&regional, "production");
    let policies = of_kind(&objects, "NetworkPolicy");
    let pod = |workload: &str| labels_of(&objects, workload).clone();
    let (one, two, three) = (
        pod("cht-couchdb-1"),
        pod("cht-couchdb-2"),
        pod("cht-couchdb-3"),
    );
    for port in [5984, 4369, 9100] {
        assert!(allowed(&policies, &one, &two, port));
        assert!(allowed(&policies, &three, &one, port));
    }
    assert!(allowed(&policies, &two, &one, 5987));
    let healthcheck = pod("cht-haproxy-healthcheck");
    let haproxy = pod("cht-haproxy");
    assert!(allowed(&policies, &haproxy, &healthcheck, 5555));
    assert!(allowed(&policies, &healthcheck, &three, 5984));
    assert!(!allowed(&policies, &pod("cht-api"), &healthcheck, 5555));
}

#[test]
fn storage_and_ingress_follow_the_distribution() {
    for (distribution, build) in distribution_builds() {
        let objects = objects(&build.files, "e");
        let classes: BTreeSet<Option<&str>> = of_kind(&objects, "PersistentVolumeClaim")
            .iter()
            .map(|it| it["spec"]["storageClassName"].as_str())
            .collect();
        let ingress = find(&objects, "Ingress", "api-ingress");
        let class = ingress["spec"]["ingressClassName"].as_str();
        let annotations = &ingress["metadata"]["annotations"];
        let backend = &ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"];
        assert_eq!(backend["name"], "api", "{distribution}");
        assert_eq!(backend["port"]["number"], 5988, "{distribution}");
        assert_eq!(ingress["spec"]["rules"][0]["host"], "cht.example.org");
        match distribution {
            "k3s" => {
                assert_eq!(classes, BTreeSet::from([Some("local-path")]));
                assert_eq!(class, Some("traefik"));
                let issuer = find(&objects, "Issuer", "letsencrypt");
                assert_eq!(
                    issuer["spec"]["acme"]["server"],
                    "https://acme-v02.api.letsencrypt.org/directory"
                );
                assert_eq!(issuer["spec"]["acme"]["email"], "ops@example.org");
                assert_eq!(
                    find(&objects, "Middleware", "redirect-https")["spec"]["redirectScheme"]
                        ["scheme"],
                    "https"
                );
                assert_eq!(
                    annotations["traefik.ingress.kubernetes.io/router.middlewares"],
                    "cht-e-redirect-https@kubernetescrd"
                );
                assert_eq!(
                    find(&objects, "Certificate", "api-tls")["spec"]["secretName"],
                    ingress["spec"]["tls"][0]["secretName"]
                );
                // CHT 4 runs the health check with every topology, and no Nouveau.
                find(&objects, "Deployment", "cht-haproxy-healthcheck");
                assert!(!objects.iter().any(|it| name(it) == "nouveau"));
            }
            "eks" => {
                let class = find(&objects, "StorageClass", "ebs-gp3-encrypted");
                assert_eq!(class["provisioner"], "ebs.csi.aws.com");
                assert_eq!(class["parameters"]["type"], "gp3");
                assert_eq!(class["parameters"]["encrypted"], "true");
                assert_eq!(class["reclaimPolicy"], "Retain");
                assert_eq!(classes, BTreeSet::from([Some("ebs-gp3-encrypted")]));
                assert_eq!(ingress["spec"]["ingressClassName"], "alb");
                assert_eq!(annotations["alb.ingress.kubernetes.io/ssl-redirect"], "443");
                // No certificate ARN: the controller finds the ACM certificate by this host.
                assert!(annotations
                    .get("alb.ingress.kubernetes.io/certificate-arn")
                    .is_none());
                assert_eq!(ingress["spec"]["tls"][0]["hosts"][0], "cht.example.org");
            }
            "gke" => {
                assert_eq!(classes, BTreeSet::from([Some("standard-rwo")]));
                assert_eq!(annotations["kubernetes.io/ingress.class"], "gce");
                assert_eq!(
                    annotations["networking.gke.io/managed-certificates"],
                    "cht-api-cert"
                );
                assert_eq!(
                    find(&objects, "ManagedCertificate", "cht-api-cert")["spec"]["domains"],
                    serde_json::json!(["cht.example.org"])
                );
                assert_eq!(
                    find(&objects, "FrontendConfig", "cht-api-frontend")["spec"]["redirectToHttps"]
                        ["enabled"],
                    true
                );
                let api = find(&objects, "Service", "api");
                assert_eq!(
                    api["metadata"]["annotations"]["cloud.google.com/backend-config"],
                    "{\"default\": \"cht-api-backend\"}"
                );
                find(&objects, "BackendConfig", "cht-api-backend");
            }
            "aks" => {
                assert_eq!(classes, BTreeSet::from([Some("managed-csi-premium")]));
                assert_eq!(class, Some("webapprouting.kubernetes.azure.com"));
                assert_eq!(
                    annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"],
                    "true"
                );
                find(&objects, "Issuer", "letsencrypt");
                // A CHT 5 cluster runs three nodes, the health check and one Nouveau.
                for node in 1..=3 {
                    find(&objects, "Deployment", &format!("cht-couchdb-{node}"));
                }
                find(&objects, "Deployment", "cht-haproxy-healthcheck");
            }
            "generic" => {
                // The cluster's default class, and a certificate the operator provides.
                assert_eq!(classes, BTreeSet::from([None]));
                assert_eq!(class, Some("nginx"));
                assert_eq!(ingress["spec"]["tls"][0]["secretName"], "api-tls-secret");
                assert!(of_kind(&objects, "Issuer").is_empty());
                let readme = file(&build.files, "e/README.md");
                assert!(readme.contains("kubectl -n cht-e create secret tls api-tls-secret"));
            }
            other => panic!("untested distribution {other}"),
        }
    }
}

#[test]
fn backups_run_on_the_plan_s_schedule_to_its_target() {
    let national = build_example("national");
    // UAT keeps its backups on site, in a claim of its own.
    let uat = objects(&national.files, "uat");
    let job = find(&uat, "CronJob", "couchdb-backup");
    assert_eq!(job["spec"]["schedule"], "0 1 * * *");
    assert_eq!(job["spec"]["concurrencyPolicy"], "Forbid");
    let script = containers(job)[0]["command"][2].as_str().expect("script");
    assert!(script.contains("--keep-within 14d"), "{script}");
    find(&uat, "PersistentVolumeClaim", "couchdb-backups");
    let env: Vec<(String, String)> = containers(job)[0]["env"]
        .as_array()
        .expect("env")
        .iter()
        .filter_map(|it| {
            Some((
                it["name"].as_str()?.to_string(),
                it["value"].as_str()?.to_string(),
            ))
        })
        .collect();
    assert!(env.contains(&("RESTIC_REPOSITORY".to_string(), "/repository".to_string())));
    // The volume is mounted read-only, beside the CouchDB pod that holds it.
    let volume = &pod_spec(job).expect("pod")["volumes"][0];
    assert_eq!(
        volume["persistentVolumeClaim"]["claimName"],
        "couchdb-claim0"
    );
    assert_eq!(volume["persistentVolumeClaim"]["readOnly"], true);
    assert_eq!(
        pod_spec(job).expect("pod")["affinity"]["podAffinity"]
            ["requiredDuringSchedulingIgnoredDuringExecution"][0]["labelSelector"]["matchLabels"]
            ["cht.service"],
        "couchdb"
    );
    // The regional production cluster backs up each node every 12 hours to Cloud Storage in
    // another region, keeping 30 days.
    let regional = build_example("regional");
    let production = objects(&regional.files, "production");
    let jobs = of_kind(&production, "CronJob");
    assert_eq!(
        jobs.iter().map(|it| name(it)).collect::<Vec<_>>(),
        ["couchdb-backup-1", "couchdb-backup-2", "couchdb-backup-3"]
    );
    for job in jobs {
        assert_eq!(job["spec"]["schedule"], "0 */12 * * *");
        let container = containers(job)[0];
        let script = container["command"][2].as_str().expect("script");
        assert!(script.contains("--keep-within 30d"));
        assert_eq!(
            container["env"][0]["value"],
            "gs:regional-chw-production-backups:/"
        );
        assert_eq!(container["env"][1]["value"], "regional-chw-prod");
    }
    // Without a backup policy there is no backup.
    let build = build_text(&plan_on("generic", ONPREM, "5.2.0", 1, "acme").replace(
        "policy hosted extends policies.baseline {",
        "policy hosted extends policies.development {",
    ));
    assert!(of_kind(&objects(&build.files, "e"), "CronJob").is_empty());
}

#[test]
fn operators_get_roles_in_their_environments_only() {
    let build = build_example("regional");
    let production = objects(&build.files, "production");
    let bindings: Vec<(&str, Vec<&str>)> = of_kind(&production, "RoleBinding")
        .iter()
        .map(|it| {
            (
                name(it),
                it["subjects"]
                    .as_array()
                    .expect("subjects")
                    .iter()
                    .filter_map(|s| s["name"].as_str())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        bindings,
        [
            ("cht-admin", vec!["fatou@health.example.net"]),
            ("cht-deployer", vec!["kwame@health.example.net"]),
            ("cht-viewer", vec!["lindiwe@health.example.net"]),
        ]
    );
    let staging = objects(&build.files, "staging");
    assert!(!of_kind(&staging, "RoleBinding")
        .iter()
        .any(|it| name(it) == "cht-viewer"));
    // Deployers and viewers never read Secrets; viewers change nothing.
    for role in ["cht-deployer", "cht-viewer"] {
        let rules = find(&production, "Role", role)["rules"]
            .as_array()
            .expect("rules")
            .clone();
        for rule in &rules {
            let resources: Vec<&str> = rule["resources"]
                .as_array()
                .expect("resources")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let verbs: Vec<&str> = rule["verbs"]
                .as_array()
                .expect("verbs")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            assert!(!resources.contains(&"*") && !verbs.contains(&"*"), "{role}");
            if resources.contains(&"secrets") {
                assert!(!verbs.iter().any(|it| ["get", "list", "watch"].contains(it)));
            }
            if role == "cht-viewer" {
                assert!(verbs.iter().all(|it| ["get", "list", "watch"].contains(it)));
            }
            if resources.contains(&"roles") || resources.contains(&"rolebindings") {
                assert!(verbs.iter().all(|it| ["get", "list", "watch"].contains(it)));
            }
        }
        // They reach the custom objects of this environment (ExternalSecrets, GKE's).
        assert!(rules
            .iter()
            .any(|it| it["apiGroups"][0] == "external-secrets.io"));
    }
    let cluster_role = find(&production, "ClusterRole", "cht-production-deployer");
    assert_eq!(
        cluster_role["rules"][0]["resourceNames"],
        serde_json::json!(["cht-production"])
    );
    // The national plan's admin has no e-mail: the user is the operator's name.
    let national = build_example("national");
    let binding = find(
        &objects(&national.files, "production"),
        "RoleBinding",
        "cht-admin",
    )
    .clone();
    assert_eq!(binding["subjects"][0]["name"], "amina");
}

#[test]
fn the_readme_says_how_to_apply_the_environment() {
    let build = build_example("national");
    let readme = file(&build.files, "production/README.md");
    for needle in [
        "kubectl apply -f kubernetes/namespace.yaml",
        "kubectl -n production create secret generic cht-couchdb-credentials",
        "COUCHDB_PASSWORD=\"$CHT_COUCHDB_PASSWORD\"",
        "kubectl apply -k kubernetes/",
        "kubectl -n production rollout status deployment/cht-couchdb",
        "**The exception: CouchDB.**",
        "CHT Watchdog must not run on the cluster it watches",
        "enableNetworkPolicy",
    ] {
        assert!(readme.contains(needle), "README lacks {needle:?}");
    }
    // Every file of the environment is listed with what it is.
    for output in build
        .files
        .iter()
        .filter(|it| it.path.starts_with("production/"))
    {
        let relative = output.path.trim_start_matches("production/");
        if relative == "README.md" {
            continue;
        }
        assert!(
            readme.contains(&format!("| `{relative}` | ")),
            "README does not list {relative}"
        );
    }
    // The Watchdog files for its own host come with the environment.
    file(&build.files, "production/watchdog/cht-instances.yml");
}

#[test]
fn building_twice_gives_identical_bytes() {
    for example in ["national", "regional"] {
        assert_eq!(
            build_example(example).files,
            build_example(example).files,
            "{example}"
        );
    }
}

#[test]
fn national_production_is_snapshotted() {
    let build = build_example("national");
    let mut text = String::new();
    for output in build.files.iter().filter(|it| {
        it.path.starts_with("production/kubernetes/") || it.path == "production/README.md"
    }) {
        text.push_str(&format!("===== {} =====\n", output.path));
        text.push_str(&output.contents);
        if !output.contents.ends_with('\n') {
            text.push('\n');
        }
    }
    insta::assert_snapshot!("national_production", text);
}
