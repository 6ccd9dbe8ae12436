//! Unit tests of the Terraform backend: every module is valid typed HCL (no name the printer
//! would have to repair), and the paths no example reaches (an offsite region the operator
//! gives, environments without a cloud) behave.

use std::sync::Arc;

use hostplan_core::ir::{self, OffsiteRegion};
use hostplan_core::modules::ParseCache;
use hostplan_core::MemoryLoader;

use crate::hcl;
use crate::terraform::{
    aws, gcp, ident, parent_domain, resource_name, short_name, wrap, Concern, Ctx, Module,
};

fn program(infra: &str, target: &str, policy: &str) -> ir::Program {
    let text = format!(
        r#"import "std/cht"
import "std/aws"
import "std/gcp"
import "std/policies"
plan "unit" {{ cht = "5.2.0", owner = "o" }}
population {{ people = 30_000, workflows = 4 }}
users {{ role chw {{ count = 150 }} }}
secret couchdb_admin = generate(words = 7)
secret couchdb_secret = generate(words = 7)
secret grafana_admin = generate(words = 7)
secret staging_admin = generate(words = 7)
secret staging_secret = generate(words = 7)
policy hosted extends policies.production {{
  alerting {{ email = ["ops@example.org"] }}
  update_window = "Sun 01:00-05:00"
{policy}
}}
environment prod {{
  kind = production
  target = {target}
  infra = {infra}
  domain = "cht.example.org"
  data = real
  policy = hosted
  monitor = watchdog
  allow R0109 {{ reason = "the module puts a load balancer with a managed certificate in front" }}
  allow R0121 {{ reason = "tests a policy without an allow-list" }}
}}
environment staging {{
  kind = staging
  target = compose
  infra = local
  domain = "localhost"
  data = synthetic
  policy = policies.development
  secrets {{ couchdb_admin = staging_admin, couchdb_secret = staging_secret }}
}}
operator root {{ role = admin, access = [prod] }}
"#
    );
    let loader = MemoryLoader {
        files: vec![("plan.hplan".to_string(), Arc::from(text.as_str()))],
    };
    let analysis = hostplan_core::analyze(&loader, "plan.hplan", &mut ParseCache::default())
        .expect("the plan loads");
    assert!(!analysis.has_errors(), "{:#?}", analysis.diagnostics);
    let plan = analysis.plan.as_ref().expect("a model");
    hostplan_core::provision::lower(plan, analysis.estimate.as_ref()).0
}

fn module(program: &ir::Program) -> Module {
    let env = program.environment("prod").expect("prod");
    let cloud = env
        .infrastructure
        .cloud
        .as_ref()
        .expect("a cloud environment");
    let ctx = Ctx {
        program,
        env,
        cloud,
        graph: hostplan_core::graph::build(program, Some("prod")),
        name: "unit-prod".to_string(),
    };
    match &env.infrastructure.provider {
        ir::Provider::Aws { region, vpc, zones } => {
            aws::module(&ctx, region, vpc.as_deref(), *zones)
        }
        ir::Provider::Gcp { region, project } => gcp::module(&ctx, region, project),
        other => panic!("{other:?}"),
    }
}

fn variable<'a>(module: &'a Module, name: &str) -> Option<&'a hcl::Block> {
    module
        .body(Concern::Variables)?
        .blocks("variable")
        .find(|it| it.labels.first().map(String::as_str) == Some(name))
}

const INFRAS: [(&str, &str); 4] = [
    ("aws { region = \"af-south-1\" }", "compose"),
    (
        "aws { region = \"us-east-1\", vpc = \"vpc-1\" }",
        "kubernetes(eks)",
    ),
    (
        "gcp { region = \"europe-west2\", project = \"p\" }",
        "compose",
    ),
    (
        "gcp { region = \"asia-south1\", project = \"p\" }",
        "kubernetes(gke)",
    ),
];

#[test]
fn every_module_is_valid_typed_hcl() {
    for (infra, target) in INFRAS {
        for policy in ["", "  tls { mode = managed }"] {
            let program = program(infra, target, policy);
            for (concern, body) in &module(&program).files {
                if let Err(problems) = hcl::validate(body) {
                    panic!(
                        "{infra} {target} {policy}: {}: {problems:#?}",
                        concern.file_name()
                    );
                }
            }
        }
    }
}

#[test]
fn an_offsite_region_nobody_named_becomes_a_required_variable() {
    for (infra, target) in INFRAS {
        let mut program = program(infra, target, "");
        for env in &mut program.environments {
            if let Some(backup) = env
                .infrastructure
                .cloud
                .as_mut()
                .and_then(|it| it.backup.as_mut())
            {
                backup.offsite = Some(OffsiteRegion::Ask);
            }
        }
        let module = module(&program);
        let offsite =
            variable(&module, "offsite_region").expect("a variable for the offsite region");
        assert_eq!(offsite.body.get_attr("default"), None, "{infra}");
        assert!(
            offsite.body.blocks("validation").next().is_some(),
            "{infra}: the region must differ"
        );
        let versions = hcl::to_string(module.body(Concern::Versions).expect("versions"));
        let backup = hcl::to_string(module.body(Concern::Backup).expect("backup"));
        if infra.starts_with("aws") {
            assert!(
                versions.contains("region = var.offsite_region"),
                "{versions}"
            );
        } else if target == "compose" {
            assert!(
                backup.contains("location                    = upper(var.offsite_region)"),
                "{backup}"
            );
        } else {
            assert!(backup.contains("location = var.offsite_region"), "{backup}");
        }
    }
}

#[test]
fn no_backup_policy_means_no_backup_file_and_no_backup_alarm() {
    let program = program("aws { region = \"eu-west-1\" }", "compose", "");
    let mut program = program;
    for env in &mut program.environments {
        if let Some(cloud) = env.infrastructure.cloud.as_mut() {
            cloud.backup = None;
        }
        env.backup = None;
    }
    let module = module(&program);
    assert!(module
        .body(Concern::Backup)
        .is_some_and(hcl::Body::is_empty));
    let monitoring = hcl::to_string(module.body(Concern::Monitoring).expect("monitoring"));
    assert!(
        !monitoring.contains("SnapshotsCreateFailed"),
        "{monitoring}"
    );
    assert!(monitoring.contains("HealthCheckStatus"), "{monitoring}");
}

#[test]
fn environments_without_a_cloud_get_nothing() {
    let program = program("aws { region = \"eu-west-1\" }", "compose", "");
    let mut local = program.clone();
    for env in &mut local.environments {
        env.infrastructure.cloud = None;
    }
    let mut files = Vec::new();
    let options = crate::EmitOptions {
        plan_path: "plan.hplan".to_string(),
        process_ends: false,
    };
    for env in &local.environments {
        crate::terraform::emit(&local, env, &options, &mut files);
    }
    assert!(files.is_empty());
    for env in &program.environments {
        crate::terraform::emit(&program, env, &options, &mut files);
    }
    assert!(files
        .iter()
        .any(|it| it.path == "prod/terraform/compute.tf"));
    assert!(files.iter().any(|it| it.path == "prod/terraform/README.md"));
}

#[test]
fn names_are_safe_for_every_provider() {
    assert_eq!(
        resource_name("moh-national", "production"),
        "moh-national-production"
    );
    assert_eq!(
        resource_name("MoH National", "prod_1"),
        "moh-national-prod-1"
    );
    assert_eq!(resource_name("2024 plan", "x"), "cht-2024-plan-x");
    assert!(resource_name(&"a".repeat(80), "production").len() <= 40);
    assert_eq!(
        short_name("moh-national-production", "nodes", 20),
        "moh-national-nodes"
    );
    assert_eq!(ident("couchdb-data"), "couchdb_data");
    assert_eq!(ident("1x"), "x1x");
    assert_eq!(parent_domain("cht.moh.example.org"), "moh.example.org");
    assert_eq!(parent_domain("example.org"), "example.org");
}

#[test]
fn wraps_comments_at_spaces() {
    assert_eq!(wrap("a bb ccc dddd", 6), "a bb\nccc\ndddd");
    assert_eq!(wrap("one\ntwo three", 20), "one\ntwo three");
    assert_eq!(
        wrap("averyveryverylongword x", 4),
        "averyveryverylongword\nx"
    );
}

#[test]
fn without_an_allow_list_the_clusters_stay_reachable() {
    // An empty `master_authorized_networks_config` would shut GKE's API to every public
    // address, so a policy without `admin_from` leaves the block out.
    let program = program(
        "gcp { region = \"europe-west1\", project = \"p\" }",
        "kubernetes(gke)",
        "",
    );
    let compute = hcl::to_string(module(&program).body(Concern::Compute).expect("compute"));
    assert!(
        !compute.contains("master_authorized_networks_config"),
        "{compute}"
    );
    let program = program_with_allow_list();
    let compute = hcl::to_string(module(&program).body(Concern::Compute).expect("compute"));
    assert!(
        compute.contains("cidr_block   = \"192.0.2.0/24\""),
        "{compute}"
    );
    let program = program_aws_without_allow_list();
    let compute = hcl::to_string(module(&program).body(Concern::Compute).expect("compute"));
    assert!(
        compute.contains("public_access_cidrs = [\"0.0.0.0/0\"]"),
        "{compute}"
    );
}

fn program_with_allow_list() -> ir::Program {
    program(
        "gcp { region = \"europe-west1\", project = \"p\" }",
        "kubernetes(gke)",
        "  admin_from = [\"192.0.2.0/24\"]",
    )
}

fn program_aws_without_allow_list() -> ir::Program {
    program("aws { region = \"eu-west-1\" }", "kubernetes(eks)", "")
}
