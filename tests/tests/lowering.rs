//! Lowering and the dependency graph on plans that exercise their edges: catalogue mistakes
//! become diagnostics, secrets stay references, and sizes come from the sizing input.

use std::sync::Arc;

use hostplan_core::ir::{EnvValue, SecretSlot, SettingValue, SizingSource};
use hostplan_core::modules::ParseCache;
use hostplan_core::MemoryLoader;

const BASE: &str = r#"import "std/policies"
plan "t" { cht = "9.0.0", owner = "o" }
population { people = 1_000, workflows = 1 }
users { role chw { count = 10 } }
secret couchdb_admin = generate(words = 7)
secret couchdb_secret = generate(words = 7)
environment e {
  kind = development
  target = compose
  infra = local
  domain = "localhost"
  data = synthetic
  policy = policies.development
}
release "9.0.0" { layout = custom, couchdb = "3.5.2" }
"#;

fn lower(text: &str) -> (Option<hostplan_core::ir::Program>, Vec<String>) {
    let loader = MemoryLoader {
        files: vec![("plan.hplan".to_string(), Arc::from(text))],
    };
    let analysis =
        hostplan_core::analyze(&loader, "plan.hplan", &mut ParseCache::default()).expect("loads");
    let mut codes: Vec<String> = analysis
        .diagnostics
        .iter()
        .filter(|it| it.is_error())
        .map(|it| format!("{} {}", it.code.code, it.message))
        .collect();
    let Some(plan) = analysis.plan.as_ref().filter(|_| codes.is_empty()) else {
        return (None, codes);
    };
    let (program, diagnostics) = hostplan_core::lower::lower(plan);
    codes.extend(
        diagnostics
            .iter()
            .map(|it| format!("{} {}", it.code.code, it.message)),
    );
    (Some(program), codes)
}

fn layout(services: &str) -> String {
    format!("{BASE}layout custom {{\n  upgrade_service_image = \"public.ecr.aws/s5s3h4s7/cht-upgrade-service:latest\"\n{services}}}\n")
}

#[test]
fn a_catalogue_whose_services_wait_for_each_other_is_an_error() {
    let text = layout(
        r#"  service api { file = core, role = api, image = "x/api", port = 5988, depends_on = ["haproxy"] }
  service haproxy { file = core, role = haproxy, image = "x/haproxy", port = 5984, depends_on = ["api"] }
  service couchdb { file = couchdb, role = couchdb, image = "x/couchdb", port = 5984 }
"#,
    );
    let (_, codes) = lower(&text);
    assert_eq!(
        codes,
        ["E3002 services of layout `custom` wait for each other: api -> haproxy -> api"]
    );
}

#[test]
fn a_catalogue_dependency_on_a_missing_service_is_an_error() {
    let text = layout(
        r#"  service api { file = core, role = api, image = "x/api", port = 5988, depends_on = ["haproxi"] }
  service couchdb { file = couchdb, role = couchdb, image = "x/couchdb", port = 5984 }
"#,
    );
    let (_, codes) = lower(&text);
    assert!(codes.contains(&"E3001 service `api` of layout `custom` waits for `haproxi`, which is not in cht-couchdb.yml".to_string()), "{codes:?}");
}

#[test]
fn secrets_are_references_and_sizes_come_from_the_sizing_input() {
    let text = layout(
        r#"  service couchdb {
    file = couchdb
    role = couchdb
    image = "x/couchdb"
    port = 5984
    env = ["COUCHDB_PASSWORD=${COUCHDB_PASSWORD:?must be set}", "COUCH_URL=http://admin:${COUCHDB_PASSWORD}@couchdb:5984", "MODE=fixed"]
    volumes = ["${COUCHDB_DATA:-./srv}:/opt/couchdb/data"]
  }
  variable COUCHDB_PASSWORD { doc = "The admin password.", secret = couchdb_admin, used_by = ["couchdb"] }
  variable COUCHDB_DATA { doc = "Data.", default = "./srv", used_by = ["couchdb"] }
"#,
    );
    let (program, codes) = lower(&text);
    assert!(codes.is_empty(), "{codes:?}");
    let program = program.expect("a program");
    let env = program.environment("e").expect("environment e");
    let couchdb = env.service("couchdb").expect("couchdb");
    match couchdb.env.first().map(|it| &it.value) {
        Some(EnvValue::Secret(secret)) => {
            assert_eq!(
                (
                    secret.slot,
                    secret.variable.as_str(),
                    secret.secret.as_str()
                ),
                (
                    SecretSlot::CouchdbAdmin,
                    "COUCHDB_PASSWORD",
                    "couchdb_admin"
                )
            );
            assert_eq!(secret.template.text(), "${COUCHDB_PASSWORD:?must be set}");
        }
        other => panic!("not a secret reference: {other:?}"),
    }
    assert!(
        matches!(couchdb.env.get(1).map(|it| &it.value), Some(EnvValue::Template(it)) if it.variables() == ["COUCHDB_PASSWORD"])
    );
    assert_eq!(
        couchdb.env.get(2).map(|it| &it.value),
        Some(&EnvValue::Literal("fixed".to_string()))
    );
    assert!(matches!(
        env.setting("COUCHDB_PASSWORD").map(|it| &it.value),
        Some(SettingValue::Secret(_))
    ));
    // Development on Docker: CHT's app-developer minimum, 2 CPU, 4 GB and 8 GB of disk.
    assert_eq!(env.sizing.source, SizingSource::OfficialMinimum);
    assert_eq!(
        env.volume("couchdb-data").and_then(|it| it.size_gib),
        Some(8)
    );
    assert_eq!(
        env.infrastructure
            .hosts
            .first()
            .map(|it| (it.millicpu, it.memory_mib)),
        Some((2000, 4096))
    );
    let graph = hostplan_core::graph::build(&program, None);
    assert!(graph.has_edge(
        "e/service/couchdb",
        "e/secret/couchdb_admin",
        hostplan_core::graph::EdgeKind::Reads
    ));
    assert!(graph.has_edge(
        "e/service/couchdb",
        "e/volume/couchdb-data",
        hostplan_core::graph::EdgeKind::Mounts
    ));
}
