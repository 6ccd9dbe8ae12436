//! The Docker Compose backend, end to end: the official-name files match CHT's release files
//! service by service, every Compose file validates against the Compose specification, the
//! outputs are byte-stable, secrets never appear, and `hostplan graph` shows the request path.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use hostplan_codegen::{EmitOptions, OutputFile};
use hostplan_core::modules::ParseCache;
use hostplan_core::MemoryLoader;
use hostplan_tests::validate::{validate_compose_yaml, yaml_to_json};
use serde_json::Value;

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new(".."))
}

/// Checks, lowers and emits a plan given as text; panics with the diagnostics on errors.
fn emit_text(text: &str) -> Vec<OutputFile> {
    let loader = MemoryLoader {
        files: vec![("plan.hplan".to_string(), Arc::from(text))],
    };
    let analysis = hostplan_core::analyze(&loader, "plan.hplan", &mut ParseCache::default())
        .expect("the plan loads");
    assert!(!analysis.has_errors(), "{:#?}", analysis.diagnostics);
    let plan = analysis.plan.expect("a plan model");
    let (program, diagnostics) = hostplan_core::lower::lower(&plan);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    hostplan_codegen::emit(
        &program,
        &EmitOptions {
            plan_path: "plan.hplan".to_string(),
            process_ends: false,
        },
        None,
    )
}

fn emit_example(name: &str) -> Vec<OutputFile> {
    let dir = repo_root().join("examples").join(name);
    let loader = hostplan_cli::FsLoader { root: dir };
    let analysis = hostplan_core::analyze(&loader, "plan.hplan", &mut ParseCache::default())
        .expect("the example loads");
    assert!(!analysis.has_errors(), "{:#?}", analysis.diagnostics);
    let (program, diagnostics) =
        hostplan_core::lower::lower(analysis.plan.as_ref().expect("a plan model"));
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    hostplan_codegen::emit(
        &program,
        &EmitOptions {
            plan_path: format!("examples/{name}/plan.hplan"),
            process_ends: false,
        },
        None,
    )
}

fn plan_text(version: &str, nodes: u32, policy: &str) -> String {
    format!(
        r#"import "std/cht"
import "std/policies"
plan "t" {{ cht = "{version}", owner = "o" }}
population {{ people = 1_000, workflows = 1 }}
users {{ role chw {{ count = 10 }} }}
secret couchdb_admin = generate(words = 7)
secret couchdb_secret = generate(words = 7)
policy hosted extends policies.baseline {{
  alerting {{ email = ["ops@example.org"], on = [downtime(5m)] }}
}}
environment e {{
  kind = staging
  target = compose
  infra = local
  domain = "cht.example.org"
  data = synthetic
  policy = {policy}
  couchdb {{ nodes = {nodes} }}
}}
"#
    )
}

fn file<'a>(files: &'a [OutputFile], path: &str) -> &'a str {
    files
        .iter()
        .find(|it| it.path == path)
        .map(|it| it.contents.as_str())
        .unwrap_or_else(|| panic!("no output `{path}`"))
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(repo_root().join("tests/fixtures/cht-official").join(name))
        .expect("fixture exists")
}

/// The aspects of a Compose service that must match the official file.
fn aspects(service: &Value) -> BTreeMap<&'static str, Value> {
    let mut out = BTreeMap::new();
    for key in [
        "image",
        "restart",
        "hostname",
        "environment",
        "expose",
        "ports",
        "volumes",
        "depends_on",
        "logging",
        "deploy",
    ] {
        out.insert(key, service.get(key).cloned().unwrap_or(Value::Null));
    }
    // `networks` is a list in some official services and a map in others; compare the names.
    let networks: Vec<String> = match service.get("networks") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|it| it.as_str().map(str::to_string))
            .collect(),
        Some(Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    };
    out.insert("networks", Value::from(networks));
    out
}

fn compare_with_official(generated: &str, official: &str, what: &str) {
    let ours = yaml_to_json(generated).expect("generated YAML parses");
    let theirs = yaml_to_json(official).expect("official YAML parses");
    let our_services = ours
        .get("services")
        .and_then(Value::as_object)
        .expect("services");
    let their_services = theirs
        .get("services")
        .and_then(Value::as_object)
        .expect("services");
    let our_names: Vec<&String> = our_services.keys().collect();
    let their_names: Vec<&String> = their_services.keys().collect();
    assert_eq!(our_names, their_names, "{what}: services");
    for (name, service) in their_services {
        let ours = our_services.get(name).map(aspects).unwrap_or_default();
        let theirs = aspects(service);
        for (aspect, expected) in &theirs {
            assert_eq!(
                ours.get(aspect),
                Some(expected),
                "{what}: service `{name}`, `{aspect}`"
            );
        }
    }
    for section in ["networks", "volumes"] {
        let keys = |doc: &Value| {
            doc.get(section)
                .and_then(Value::as_object)
                .map(|it| it.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
        };
        assert_eq!(keys(&ours), keys(&theirs), "{what}: top-level `{section}`");
    }
    let name = |doc: &Value| doc.pointer("/networks/cht-net/name").cloned();
    assert_eq!(
        name(&ours),
        name(&theirs),
        "{what}: the network's real name"
    );
}

#[test]
fn official_name_files_match_the_cht_release_files() {
    for version in ["4.22.0", "5.2.0"] {
        for (nodes, couchdb_file) in [(1, "cht-couchdb.yml"), (3, "cht-couchdb-clustered.yml")] {
            // Development adds nothing; `hosted` adds certbot, backups and alerting. Neither
            // may change the official files.
            for policy in ["policies.development", "hosted"] {
                let files = emit_text(&plan_text(version, nodes, policy));
                let what = format!("CHT {version}, {nodes} node(s), policy {policy}");
                compare_with_official(
                    file(&files, "e/compose/cht-core.yml"),
                    &fixture(&format!("cht-core@{version}__cht-core.yml")),
                    &format!("{what}, cht-core.yml"),
                );
                compare_with_official(
                    file(&files, &format!("e/compose/{couchdb_file}")),
                    &fixture(&format!("cht-core@{version}__{couchdb_file}")),
                    &format!("{what}, {couchdb_file}"),
                );
                let other = if nodes == 1 {
                    "cht-couchdb-clustered.yml"
                } else {
                    "cht-couchdb.yml"
                };
                assert!(
                    !files
                        .iter()
                        .any(|it| it.path == format!("e/compose/{other}")),
                    "{what}: only one CouchDB file"
                );
            }
        }
    }
}

#[test]
fn nouveau_and_healthcheck_sit_where_each_release_puts_them() {
    let v4 = emit_text(&plan_text("4.22.0", 1, "policies.development"));
    assert!(file(&v4, "e/compose/cht-core.yml").contains("cht-haproxy-healthcheck:4.22.0"));
    assert!(!file(&v4, "e/compose/cht-couchdb.yml").contains("nouveau"));
    let v5 = emit_text(&plan_text("5.2.0", 1, "policies.development"));
    assert!(!file(&v5, "e/compose/cht-core.yml").contains("healthcheck:"));
    assert!(file(&v5, "e/compose/cht-couchdb.yml").contains("cht-couchdb-nouveau:5.2.0"));
    let v5_cluster = emit_text(&plan_text("5.2.0", 3, "policies.development"));
    let clustered = file(&v5_cluster, "e/compose/cht-couchdb-clustered.yml");
    assert!(
        clustered.contains("cht-haproxy-healthcheck:5.2.0")
            && clustered.contains("cht-couchdb-nouveau:5.2.0")
    );
}

#[test]
fn the_upgrade_service_file_keeps_the_official_service() {
    let files = emit_text(&plan_text("5.2.0", 1, "hosted"));
    let ours = yaml_to_json(file(&files, "e/upgrade-service/docker-compose.yml")).expect("parses");
    let theirs =
        yaml_to_json(&fixture("cht-upgrade-service@7ba6a90__docker-compose.yml")).expect("parses");
    let ours = ours
        .pointer("/services/cht-upgrade-service")
        .expect("service");
    let theirs = theirs
        .pointer("/services/cht-upgrade-service")
        .expect("service");
    for key in ["image", "restart", "volumes", "networks"] {
        assert_eq!(ours.get(key), theirs.get(key), "`{key}`");
    }
    // Every official variable is passed on, in the official order, and then the variables of
    // the services the plan added: the backup's key (its repository is a local volume here).
    let env = |it: &Value| {
        it.get("environment")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (ours, theirs) = (env(ours), env(theirs));
    assert_eq!(ours.get(..theirs.len()), Some(theirs.as_slice()));
    assert_eq!(
        ours.get(theirs.len()..),
        Some([Value::from("RESTIC_PASSWORD")].as_slice())
    );
}

#[test]
fn the_cluster_points_haproxy_at_the_three_nodes() {
    let files = emit_text(&plan_text("4.22.0", 3, "policies.development"));
    let env = file(&files, "e/.env.example");
    assert!(
        env.contains("\nCOUCHDB_SERVERS=couchdb-1.local,couchdb-2.local,couchdb-3.local\n"),
        "{env}"
    );
    assert!(env.contains("\nDB2_DATA=/home/ubuntu/cht/couchdb-2\n"));
    assert!(
        !env.contains("\nCOUCHDB_DATA="),
        "the single-node data path does not belong to a cluster"
    );
    let single = emit_text(&plan_text("4.22.0", 1, "policies.development"));
    assert!(file(&single, "e/.env.example").contains("\n#COUCHDB_SERVERS=couchdb\n"));
}

#[test]
fn every_compose_file_of_the_examples_validates_against_the_compose_specification() {
    let mut checked = 0;
    for example in ["national", "clinic"] {
        for output in emit_example(example) {
            let is_compose = output.path.contains("/compose/")
                || output.path.ends_with("upgrade-service/docker-compose.yml");
            if !is_compose {
                continue;
            }
            if let Err(problems) = validate_compose_yaml(&output.contents) {
                panic!(
                    "{example}: {} is not valid Compose:\n{}\n{}",
                    output.path,
                    problems.join("\n"),
                    output.contents
                );
            }
            checked += 1;
        }
    }
    // national: dev's 2 official files and the upgrade service; clinic: 2 environments with
    // official files, certbot, backups, and production's CHT Sync.
    assert_eq!(checked, 3 + 2 * 5 + 1);
}

#[test]
fn every_compose_file_merged_into_one_project_validates() {
    // The upgrade service starts every file of compose/ as one project, as
    // `docker compose -f a -f b ...` merges them: services, networks and volumes by key.
    for output_dir in ["training", "production"] {
        let files = emit_example("clinic");
        let mut merged = serde_json::Map::new();
        for output in files
            .iter()
            .filter(|it| it.path.starts_with(&format!("{output_dir}/compose/")))
        {
            let doc = yaml_to_json(&output.contents).expect("parses");
            for section in ["services", "networks", "volumes"] {
                let Some(entries) = doc.get(section).and_then(Value::as_object) else {
                    continue;
                };
                let target = merged
                    .entry(section)
                    .or_insert_with(|| Value::Object(serde_json::Map::new()));
                if let Value::Object(target) = target {
                    for (key, value) in entries {
                        assert!(
                            section != "services" || !target.contains_key(key),
                            "service `{key}` defined twice"
                        );
                        target.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        let merged = Value::Object(merged);
        if let Err(problems) = hostplan_tests::validate::validate_compose_json(&merged) {
            panic!(
                "{output_dir}: the merged project is not valid:\n{}",
                problems.join("\n")
            );
        }
    }
}

#[test]
fn every_generated_file_starts_with_the_generated_header() {
    for example in ["national", "clinic"] {
        for output in emit_example(example) {
            let first = output.contents.lines().next().unwrap_or_default();
            let expected = format!("Generated by hostplan from examples/{example}/plan.hplan;");
            assert!(
                first.contains(&expected),
                "{}: first line is {first:?}",
                output.path
            );
            let root = repo_root().to_string_lossy().into_owned();
            assert!(
                !output.contents.contains(&root),
                "{}: an absolute path of this machine",
                output.path
            );
        }
    }
}

#[test]
fn emitting_twice_gives_identical_bytes() {
    for example in ["national", "clinic"] {
        assert_eq!(emit_example(example), emit_example(example), "{example}");
    }
}

#[test]
fn env_example_lists_secrets_with_how_to_create_them_and_never_a_value() {
    let files = emit_example("clinic");
    let env = file(&files, "production/.env.example");
    assert!(env.contains("# Secret `couchdb_admin` (couchdb_admin): the value of the environment variable\n# `CLINIC_COUCHDB_PASSWORD`"), "{env}");
    assert!(env.contains("\nCOUCHDB_PASSWORD=\n"));
    assert!(env.contains("#   grep -E '^[a-z]+$' /usr/share/dict/words | shuf -n 7"));
    assert!(env.contains("\nRESTIC_PASSWORD=\n") && env.contains("\nRESTIC_REPOSITORY=\n"));
    assert!(
        env.contains("\nCERTIFICATE_MODE=AUTO_GENERATE\n")
            && env.contains("\nCOMMON_NAME=cht.clinics.example.org\n")
    );
    // Every variable an official file reads is listed (set or commented out with its default).
    for variable in [
        "COUCHDB_USER",
        "COUCHDB_UUID",
        "COUCHDB_DATA",
        "LOG_MAX_SIZE",
        "CHT_NETWORK",
        "NGINX_HTTPS_PORT",
        "CHT_COMPOSE_PATH",
        "POSTGRES_PASSWORD",
    ] {
        assert!(
            env.contains(&format!("\n{variable}=")) || env.contains(&format!("\n#{variable}=")),
            "{variable} missing"
        );
    }
    let watchdog = file(&files, "production/watchdog/.env.example");
    assert!(
        watchdog.contains("# Secret `grafana_password` (grafana_admin)")
            && watchdog.contains("\nGRAFANA_ADMIN_PASSWORD=\n")
    );
    // Secret lines never carry a value: every line that sets a secret variable ends at `=`.
    for output in &files {
        for line in output.contents.lines() {
            for secret in [
                "COUCHDB_PASSWORD=",
                "COUCHDB_SECRET=",
                "POSTGRES_PASSWORD=",
                "RESTIC_PASSWORD=",
                "GRAFANA_ADMIN_PASSWORD=",
            ] {
                if let Some(rest) = line.strip_prefix(secret) {
                    assert!(rest.is_empty(), "{}: {line}", output.path);
                }
            }
        }
    }
}

#[test]
fn extras_go_in_their_own_files_and_watchdog_in_its_own_folder() {
    let files = emit_example("clinic");
    let paths: Vec<&str> = files.iter().map(|it| it.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "training/compose/cht-core.yml",
            "training/compose/cht-couchdb-clustered.yml",
            "training/compose/hostplan-certbot.yml",
            "training/compose/hostplan-backup.yml",
            "training/upgrade-service/docker-compose.yml",
            "training/.env.example",
            "training/README.md",
            "production/compose/cht-core.yml",
            "production/compose/cht-couchdb.yml",
            "production/compose/hostplan-certbot.yml",
            "production/compose/hostplan-backup.yml",
            "production/compose/hostplan-cht-sync.yml",
            "production/upgrade-service/docker-compose.yml",
            "production/watchdog/cht-instances.yml",
            "production/watchdog/.env.example",
            "production/watchdog/grafana/provisioning/alerting/hostplan-contact-points.yml",
            "production/.env.example",
            "production/README.md",
        ]
    );
    let certbot =
        yaml_to_json(file(&files, "production/compose/hostplan-certbot.yml")).expect("parses");
    let volumes = certbot
        .pointer("/services/certbot/volumes")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        volumes,
        serde_json::json!([
            "cht-ssl:/etc/nginx/private/",
            "certbot-state:/etc/letsencrypt"
        ]),
        "certbot keeps its state"
    );
    let backup = file(&files, "production/compose/hostplan-backup.yml");
    assert!(
        backup.contains("sleep 21600") && backup.contains("--keep-within 30d"),
        "every 6h, kept 30 days"
    );
    let instances =
        yaml_to_json(file(&files, "production/watchdog/cht-instances.yml")).expect("parses");
    assert_eq!(
        instances,
        serde_json::json!([{ "targets": ["https://cht.clinics.example.org"] }])
    );
}

#[test]
fn the_readme_says_how_to_apply_the_environment() {
    let files = emit_example("clinic");
    let readme = file(&files, "production/README.md");
    for needle in [
        "# Environment `production`: CHT 4.22.0 on Docker Compose",
        "`cp .env.example upgrade-service/.env && chmod 600 upgrade-service/.env`",
        "`cd /home/ubuntu/cht/upgrade-service && docker compose up --detach`",
        "`sudo systemctl enable --now docker`",
        "## Backups",
        "## Monitoring",
        "`10.20.0.0/16`",
        "| wanjiru (wanjiru@clinics.example.org) | admin |",
        "`cht-couchdb-1`",
    ] {
        assert!(
            readme.contains(needle),
            "README lacks {needle:?}:\n{readme}"
        );
    }
    assert!(!readme.contains("\n\n\n"));
}

#[test]
fn the_national_graph_shows_the_request_path_and_no_cycle() {
    let dir = repo_root().join("examples/national");
    let loader = hostplan_cli::FsLoader { root: dir };
    let analysis =
        hostplan_core::analyze(&loader, "plan.hplan", &mut ParseCache::default()).expect("loads");
    let (program, _) = hostplan_core::lower::lower(analysis.plan.as_ref().expect("model"));
    let graph = hostplan_core::graph::build(&program, None);
    use hostplan_core::graph::EdgeKind;
    for (from, to) in [("nginx", "api"), ("api", "haproxy"), ("haproxy", "couchdb")] {
        assert!(
            graph.has_edge(
                &format!("dev/service/{from}"),
                &format!("dev/service/{to}"),
                EdgeKind::Requests
            ),
            "{from} -> {to}"
        );
    }
    assert!(graph.has_edge("dev/service/api", "dev/service/haproxy", EdgeKind::Requests));
    assert!(graph.has_edge(
        "dev/service/couchdb",
        "dev/service/nouveau",
        EdgeKind::StartsAfter
    ));
    assert!(graph.cycles().is_empty(), "{:?}", graph.cycles());
    // Production on EKS has the same path without nginx (an ingress replaces it).
    assert!(graph.has_edge(
        "production/service/api",
        "production/service/haproxy",
        EdgeKind::Requests
    ));
    let order = graph.start_order("dev");
    let position = |name: &str| {
        order
            .iter()
            .position(|it| *it == name)
            .unwrap_or(usize::MAX)
    };
    assert!(
        position("couchdb") < position("haproxy")
            && position("haproxy") < position("api")
            && position("api") < position("nginx"),
        "{order:?}"
    );
    assert_eq!(
        graph.creation_order().len(),
        graph.node_count(),
        "every resource can be ordered"
    );
}
