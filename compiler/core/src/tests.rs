//! Unit tests of the model: `extends` semantics and effective values.

use std::sync::Arc;

use crate::model::{EnvKind, Target, TlsMode};
use crate::modules::ParseCache;
use crate::{analyze, MemoryLoader};

fn plan(text: &str) -> crate::Analysis {
    let loader = MemoryLoader {
        files: vec![("plan.hplan".to_string(), Arc::from(text))],
    };
    analyze(&loader, "plan.hplan", &mut ParseCache::default()).expect("entry file loads")
}

const BASE: &str = r#"import "std/cht"
import "std/policies"
plan "p" { cht = "5.2.0", owner = "MoH" }
population { people = 1_000, workflows = 1 }
users { role chw { count = 10 } }
secret couchdb_admin = generate(words = 7)
secret couchdb_secret = generate(words = 7)
"#;

#[test]
fn extends_overrides_fields_and_merges_nested_blocks() {
    let text = format!(
        "{BASE}
policy parent {{
  tls {{ mode = acme, renew_before = 20d }}
  backup {{ every = 24h, keep = 14d, encrypted = true }}
  admin_from = [\"10.0.0.0/8\"]
}}
policy child extends parent {{
  backup {{ keep = 90d }}
  admin_from = [\"196.201.0.0/16\"]
}}
environment base {{ kind = test, target = compose, infra = local, domain = \"localhost\", data = synthetic, policy = child }}
environment prod extends base {{ kind = production, target = kubernetes(k3s), domain = \"cht.example.org\" }}
"
    );
    let analysis = plan(&text);
    // The environments' weak policies are hosting-guide findings (R codes), not model errors.
    let model_errors: Vec<_> = analysis
        .diagnostics
        .iter()
        .filter(|it| it.is_error() && !it.code.code.starts_with('R'))
        .collect();
    assert!(model_errors.is_empty(), "{model_errors:?}");
    let model = analysis.plan.expect("a model");
    let child = model
        .policies
        .iter()
        .find(|it| it.name == "child")
        .expect("child policy");
    let backup = child.backup.as_ref().expect("backup inherited");
    assert_eq!(backup.keep_days, 90.0, "the child's retention wins");
    assert_eq!(backup.every_hours, 24.0, "the parent's interval is kept");
    assert!(backup.encrypted, "the parent's flag is kept");
    assert_eq!(child.tls.as_ref().map(|it| it.mode), Some(TlsMode::Acme));
    assert_eq!(
        child.admin_from,
        vec!["196.201.0.0/16".to_string()],
        "lists are replaced, not appended"
    );
    assert_eq!(child.extends, vec!["parent".to_string()]);
    let prod = model
        .environments
        .iter()
        .find(|it| it.name == "prod")
        .expect("prod");
    assert_eq!(prod.kind, EnvKind::Production);
    assert_eq!(
        prod.target,
        Target::Kubernetes(crate::model::Distribution::K3s)
    );
    assert_eq!(
        prod.policy.name, "child",
        "the policy is inherited from the parent environment"
    );
    assert_eq!(prod.namespace, "prod");
    let keep_span = child
        .spans
        .get("backup.keep")
        .expect("span of the retention");
    assert_eq!(analysis.workspace.sources.slice(*keep_span), "keep = 90d");
}

#[test]
fn secrets_bind_by_slot_name_or_explicitly() {
    let text = format!(
        "{BASE}
secret other = env(\"OTHER\")
environment dev {{ kind = development, target = compose, infra = local, domain = \"localhost\", data = synthetic, policy = policies.development, secrets {{ couchdb_admin = other }} }}
"
    );
    let analysis = plan(&text);
    assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics);
    let model = analysis.plan.expect("a model");
    let dev = &model.environments[0];
    let names: Vec<(&str, &str)> = dev
        .secrets
        .iter()
        .map(|it| (it.slot.name(), it.secret.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("couchdb_admin", "other"),
            ("couchdb_secret", "couchdb_secret")
        ]
    );
}

#[test]
fn one_misspelling_gives_one_diagnostic_with_the_intended_name() {
    let text = format!(
        "{BASE}
policy hardened extends policies.production {{
  backup {{ every = 24h, retension = 35d }}
}}
environment production {{ kind = development, target = compose, infra = local, domain = \"localhost\", data = synthetic, policy = hardend }}
"
    );
    let analysis = plan(&text);
    let found: Vec<(&str, Option<&str>)> = analysis
        .diagnostics
        .iter()
        .filter(|it| !it.code.code.starts_with('R'))
        .map(|it| (it.code.code, it.help.as_deref()))
        .collect();
    assert_eq!(
        found,
        vec![
            ("E2103", Some("did you mean `keep`?")),
            ("E1002", Some("did you mean `hardened`?")),
        ],
        "the policy the misspelt reference meant is not reported as unused"
    );
}

#[test]
fn an_unnamed_declaration_leaves_the_later_ones_declared() {
    let analysis = plan(&format!(
        "{BASE}
environment {{ kind = test }}
environment dev {{ kind = test, target = compose, infra = local, domain = \"localhost\", data = synthetic, policy = policies.baseline }}
"
    ));
    let codes: Vec<&str> = analysis
        .diagnostics
        .iter()
        .filter(|it| it.is_error())
        .map(|it| it.code.code)
        .collect();
    // Only the missing name is an error: `dev`, its policy and its secrets all resolve.
    assert_eq!(codes, vec!["E2109"]);
    let model = analysis.plan.expect("the plan has a model");
    assert_eq!(model.environments.len(), 1);
    assert_eq!(model.environments[0].name, "dev");
}

#[test]
fn an_environment_declared_in_two_files_is_reported_once_with_both_places() {
    let env = "environment dev { kind = test, target = compose, infra = local, domain = \"localhost\", data = synthetic, policy = policies.baseline }\n";
    let main = format!("import \"./more.hplan\"\n{BASE}{env}");
    let more = format!("import \"std/policies\"\n{env}");
    let loader = MemoryLoader {
        files: vec![
            ("plan.hplan".to_string(), Arc::from(main.as_str())),
            ("more.hplan".to_string(), Arc::from(more.as_str())),
        ],
    };
    let analysis =
        analyze(&loader, "plan.hplan", &mut ParseCache::default()).expect("entry file loads");
    let twice: Vec<_> = analysis
        .diagnostics
        .iter()
        .filter(|it| it.message == "environment `dev` is declared twice")
        .collect();
    assert_eq!(twice.len(), 1, "{:#?}", analysis.diagnostics);
    let (again, first) = (&twice[0].primary, &twice[0].secondary[0]);
    assert_ne!(again.span.file, first.span.file);
    assert_eq!(first.message, "first declared here");
}

/// The type mismatch (E2104) of the plan `text`.
fn type_mismatch(text: &str) -> hostplan_diagnostics::Diagnostic {
    plan(text)
        .diagnostics
        .into_iter()
        .find(|it| it.code.code == "E2104")
        .expect("a type mismatch")
}

#[test]
fn a_release_written_as_a_name_is_offered_as_its_version_in_quotes() {
    let mismatch = type_mismatch(&BASE.replace("cht = \"5.2.0\"", "cht = cht.v5_2_0"));
    assert_eq!(
        mismatch.help.as_deref(),
        Some("a CHT release is written as its version, in quotes: \"5.2.0\"")
    );
    let fix = mismatch.fix.as_ref().expect("a fix");
    assert_eq!(fix.edits.len(), 1);
    assert_eq!(fix.edits[0].replacement, "\"5.2.0\"");
    // Another name in a string field is put in quotes as it is.
    let mismatch = type_mismatch(&BASE.replace("owner = \"MoH\"", "owner = moh.team"));
    assert_eq!(
        mismatch.help.as_deref(),
        Some("write it in quotes: \"moh.team\"")
    );
}

#[test]
fn only_three_numbers_make_a_release_name() {
    use crate::check::release_of_name;
    assert_eq!(release_of_name("v5_2_0").as_deref(), Some("5.2.0"));
    assert_eq!(release_of_name("4_22_0").as_deref(), Some("4.22.0"));
    assert_eq!(release_of_name("v5_2"), None);
    assert_eq!(release_of_name("v5__0"), None);
    assert_eq!(release_of_name("latest"), None);
}
