//! A secret can only flow into places typed to accept one (an environment's `secrets`
//! block): anywhere else it is error E2111, so its value can never be asked for where it
//! would be written into an output, a log or a report.

use std::sync::Arc;

const PLAN: &str = r#"import "std/cht"
import "std/policies"

plan "flow" {
  cht     = "5.2.0"
  owner   = "Test"
  horizon = 1y
}

population {
  people    = 10_000
  workflows = 2
}

users {
  role chw { count = 100, sync = offline }
}

secret couchdb_admin  = generate(words = 7)
secret couchdb_secret = generate(words = 7)

policy p extends policies.baseline {
  alerting { email = ["ops@example.org"], webhook = ["https://hooks.example.org/x"] }
  backup { location = "s3://b" }
  admin_from    = ["10.0.0.0/8"]
  update_window = "Sun 02:00-04:00"
}

environment uat {
  kind   = test
  target = compose
  infra  = local
  domain = "uat.example.org"
  data   = synthetic
  policy = p
  couchdb { volume = "/srv/cht" }
  allow R0102 { reason = "test data" }
}

operator ops { role = admin, access = [uat] }
"#;

fn codes_after(from: &str, to: &str) -> Vec<&'static str> {
    assert!(PLAN.contains(from), "`{from}` is not in the plan");
    let text = PLAN.replacen(from, to, 1);
    let loader = hostplan_core::MemoryLoader {
        files: vec![("plan.hplan".to_string(), Arc::from(text.as_str()))],
    };
    match hostplan_core::analyze(
        &loader,
        "plan.hplan",
        &mut hostplan_core::modules::ParseCache::default(),
    ) {
        Ok(analysis) => analysis
            .diagnostics
            .iter()
            .filter(|it| it.is_error())
            .map(|it| it.code.code)
            .collect(),
        Err(error) => panic!("{error}"),
    }
}

#[test]
fn the_base_plan_binds_secrets_only_where_allowed() {
    assert_eq!(codes_after("", ""), Vec::<&str>::new());
    assert_eq!(
        codes_after(
            "  policy = p\n",
            "  policy = p\n  secrets { couchdb_admin = couchdb_admin }\n"
        ),
        Vec::<&str>::new()
    );
}

#[test]
fn a_secret_anywhere_else_is_an_error() {
    let places = [
        ("owner   = \"Test\"", "owner   = couchdb_admin"),
        ("domain = \"uat.example.org\"", "domain = couchdb_admin"),
        ("email = [\"ops@example.org\"]", "email = [couchdb_admin]"),
        (
            "webhook = [\"https://hooks.example.org/x\"]",
            "webhook = [couchdb_admin]",
        ),
        ("location = \"s3://b\"", "location = couchdb_admin"),
        ("volume = \"/srv/cht\"", "volume = couchdb_secret"),
        ("reason = \"test data\"", "reason = couchdb_secret"),
        (
            "update_window = \"Sun 02:00-04:00\"",
            "update_window = couchdb_admin",
        ),
        (
            "admin_from    = [\"10.0.0.0/8\"]",
            "admin_from    = [couchdb_admin]",
        ),
    ];
    for (from, to) in places {
        assert_eq!(codes_after(from, to), vec!["E2111"], "{to}");
    }
}
