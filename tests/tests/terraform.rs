//! The Terraform backend, end to end: every `.tf` file the examples and a set of plans produce
//! parses with a real HCL parser and keeps `terraform fmt`'s layout; disks and buckets are
//! encrypted, buckets never public, backups kept as long as the policy says with an offsite copy
//! where it asks, no secret has a value or a default anywhere, every alert of the policy has an
//! alarm, instance types come from the estimate with their reason beside them, and environments
//! on local or on-premises infrastructure get no Terraform.

use std::path::Path;
use std::sync::Arc;

use hcl::{Block, Body, Expression};
use hostplan_codegen::{EmitOptions, OutputFile};
use hostplan_core::modules::ParseCache;
use hostplan_core::MemoryLoader;
use hostplan_tests::validate::parse_hcl;

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new(".."))
}

/// Checks, lowers with the estimate and emits a plan; panics with the diagnostics on errors.
fn emit_with(
    loader: &dyn hostplan_core::modules::SourceLoader,
    plan_path: &str,
) -> (hostplan_core::ir::Program, Vec<OutputFile>) {
    let analysis = hostplan_core::analyze(loader, "plan.hplan", &mut ParseCache::default())
        .expect("the plan loads");
    assert!(!analysis.has_errors(), "{:#?}", analysis.diagnostics);
    let plan = analysis.plan.as_ref().expect("a plan model");
    let (program, diagnostics) = hostplan_core::provision::lower(plan, analysis.estimate.as_ref());
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let files = hostplan_codegen::emit(
        &program,
        &EmitOptions {
            plan_path: plan_path.to_string(),
            process_ends: false,
        },
        None,
    );
    (program, files)
}

fn emit_example(name: &str) -> (hostplan_core::ir::Program, Vec<OutputFile>) {
    let loader = hostplan_cli::FsLoader {
        root: repo_root().join("examples").join(name),
    };
    emit_with(&loader, &format!("examples/{name}/plan.hplan"))
}

fn emit_text(text: &str) -> (hostplan_core::ir::Program, Vec<OutputFile>) {
    let loader = MemoryLoader {
        files: vec![("plan.hplan".to_string(), Arc::from(text))],
    };
    emit_with(&loader, "plan.hplan")
}

/// A plan with one production environment on a cloud, and a staging environment on a laptop
/// beside it (the hosting guide wants one); `policy` and `environment` are the production
/// blocks' bodies, `extra` more top-level declarations.
fn cloud_plan(policy: &str, environment: &str, extra: &str) -> String {
    format!(
        r#"import "std/cht"
import "std/aws"
import "std/gcp"
import "std/policies"
plan "terra" {{ cht = "5.2.0", owner = "o", horizon = 3y }}
population {{ people = 200_000, workflows = 6, growth = 5% }}
users {{
  role chw {{ count = 800, sync = offline }}
  role nurse {{ count = 20, sync = online }}
}}
secret couchdb_admin = env("CHT_ADMIN_PASSWORD")
secret couchdb_secret = generate(words = 7)
secret grafana_password = file("/etc/cht/grafana")
secret analytics_db = generate(length = 32)
secret staging_admin = generate(words = 7)
secret staging_secret = generate(words = 7)
policy hosted extends policies.production {{
  update_window = "Sun 01:00-05:00"
{policy}
}}
environment prod {{
  kind = production
  data = real
  domain = "cht.terra.example.org"
  policy = hosted
  allow R0120 {{ reason = "the app purges reports older than a year" }}
{environment}
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
{extra}
"#
    )
}

/// The four plans that, with the examples, cover both providers and both targets.
fn variant_plans() -> Vec<(&'static str, String)> {
    let alerting = r#"  alerting {
    email = ["ops@terra.example.org", "oncall@terra.example.org"]
    webhook = ["https://hooks.terra.example.org/cht"]
    on = [downtime(5m), disk_used(85%), cert_expiry(20d), backup_failed, replication_limit]
  }
  admin_from = ["198.51.100.0/24", "203.0.113.7/32"]"#;
    vec![
        (
            "aws-compose",
            cloud_plan(
                &format!("  backup {{ every = 6h, keep = 21d, offsite = true, offsite_region = \"eu-west-1\", encrypted = true }}\n{alerting}"),
                "  target = compose\n  infra = aws { region = \"eu-west-2\", vpc = \"vpc-0a1b2c3d\" }\n  monitor = watchdog\n  analytics = cht_sync\n  secrets { grafana_admin = grafana_password, postgres = analytics_db }",
                "operator ada { role = admin, access = [prod], email = \"ada@terra.example.org\" }\noperator bo { role = deployer, access = [prod] }\noperator cy { role = viewer, access = [prod] }",
            ),
        ),
        (
            "aws-compose-managed",
            cloud_plan(
                &format!("  tls {{ mode = managed }}\n  backup {{ every = 24h, keep = 40d, offsite = true, encrypted = true }}\n{alerting}"),
                "  target = compose\n  infra = aws { region = \"us-east-1\", zones = 3 }\n  allow R0109 { reason = \"the Terraform module puts a load balancer with a managed certificate in front of the host\" }",
                "",
            ),
        ),
        (
            "gcp-africa",
            cloud_plan(
                &format!("  backup {{ every = 48h, keep = 120d, offsite = true, encrypted = true }}\n{alerting}"),
                "  target = kubernetes(gke)\n  couchdb { nodes = 3 }\n  infra = gcp { region = \"africa-south1\", project = \"terra-prod\" }\n  allow R0104 { reason = \"tests a schedule of several days\" }",
                "operator ada { role = admin, access = [prod], email = \"ada@terra.example.org\" }\noperator bo { role = viewer, access = [prod] }",
            ),
        ),
        (
            "gcp-compose-managed",
            cloud_plan(
                &format!("  tls {{ mode = managed }}\n  backup {{ every = 8h, keep = 14d, offsite = false, encrypted = true }}\n{alerting}"),
                "  target = compose\n  infra = gcp { region = \"us-central1\", project = \"terra-staging\" }\n  allow R0109 { reason = \"the Terraform module puts a load balancer with a managed certificate in front of the host\" }\n  allow R0102 { reason = \"tests a bucket without an offsite copy\" }",
                "operator bo { role = deployer, access = [prod], email = \"bo@terra.example.org\" }",
            ),
        ),
    ]
}

/// Every output of the examples and the variant plans, with the program each came from.
fn everything() -> Vec<(String, hostplan_core::ir::Program, Vec<OutputFile>)> {
    let mut out = Vec::new();
    for example in ["national", "clinic", "gcp-county"] {
        let (program, files) = emit_example(example);
        out.push((example.to_string(), program, files));
    }
    for (name, text) in variant_plans() {
        let (program, files) = emit_text(&text);
        out.push((name.to_string(), program, files));
    }
    out
}

/// The Terraform files of one environment, parsed.
struct Module {
    files: Vec<(String, String, Body)>,
}

impl Module {
    fn of(files: &[OutputFile], env: &str) -> Module {
        let prefix = format!("{env}/terraform/");
        let files = files
            .iter()
            .filter(|it| it.path.starts_with(&prefix) && it.path.ends_with(".tf"))
            .map(|it| {
                let body = hcl::parse(&it.contents)
                    .unwrap_or_else(|error| panic!("{}: {error}\n{}", it.path, it.contents));
                (it.path.clone(), it.contents.clone(), body)
            })
            .collect();
        Module { files }
    }

    fn text(&self) -> String {
        self.files
            .iter()
            .map(|(_, text, _)| text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Every top-level block of a kind (`resource`, `data`, `variable`, ...).
    fn blocks<'a>(&'a self, ident: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.files
            .iter()
            .flat_map(move |(_, _, body)| body.blocks().filter(move |it| it.identifier() == ident))
    }

    /// `resource "KIND" NAME` blocks, as (name, body).
    fn resources<'a>(&'a self, kind: &str) -> Vec<(&'a str, &'a Body)> {
        self.blocks("resource")
            .filter(|it| it.labels().first().map(|it| it.as_str()) == Some(kind))
            .map(|it| {
                (
                    it.labels().get(1).map(|it| it.as_str()).unwrap_or_default(),
                    it.body(),
                )
            })
            .collect()
    }

    fn resource(&self, kind: &str, name: &str) -> Option<&Body> {
        self.resources(kind)
            .into_iter()
            .find(|(it, _)| *it == name)
            .map(|(_, body)| body)
    }
}

/// The attribute at a dotted path of nested blocks, as HCL text.
fn attr(body: &Body, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop()?;
    let mut body = body;
    for part in parts {
        body = body.blocks().find(|it| it.identifier() == part)?.body();
    }
    body.attributes()
        .find(|it| it.key() == last)
        .map(|it| expr_text(it.expr()))
}

/// An expression as one line of HCL; a top-level string without its quotes.
fn expr_text(expr: &Expression) -> String {
    match expr {
        Expression::String(text) => text.clone(),
        other => one_line(other),
    }
}

fn one_line(expr: &Expression) -> String {
    match expr {
        Expression::Array(items) => format!(
            "[{}]",
            items.iter().map(one_line).collect::<Vec<_>>().join(", ")
        ),
        other => hcl::format::to_string(other)
            .unwrap_or_default()
            .split('\n')
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" "),
    }
}

fn has_block(body: &Body, path: &str) -> bool {
    let mut body = body;
    for part in path.split('.') {
        match body.blocks().find(|it| it.identifier() == part) {
            Some(block) => body = block.body(),
            None => return false,
        }
    }
    true
}

fn cloud_envs(program: &hostplan_core::ir::Program) -> Vec<&hostplan_core::ir::Environment> {
    program
        .environments
        .iter()
        .filter(|it| it.infrastructure.cloud.is_some())
        .collect()
}

#[test]
fn every_tf_file_parses_and_keeps_terraform_fmt_layout() {
    let mut checked = 0;
    for (name, _, files) in everything() {
        for file in files.iter().filter(|it| it.path.ends_with(".tf")) {
            if let Err(error) = parse_hcl(&file.contents) {
                panic!("{name}: {}: {error}\n{}", file.path, file.contents);
            }
            if let Err(problems) = fmt_layout(&file.contents) {
                panic!(
                    "{name}: {} is not in terraform fmt layout:\n{}",
                    file.path,
                    problems.join("\n")
                );
            }
            checked += 1;
        }
    }
    // national production, gcp-county's two environments and the four variants, 9 to 11 files each.
    assert!(60 < checked, "{checked} files");
}

#[test]
fn every_reference_names_a_declared_variable_or_local() {
    for (name, program, files) in everything() {
        for env in cloud_envs(&program) {
            let module = Module::of(&files, &env.name);
            let text: String = module
                .text()
                .lines()
                .filter(|line| !line.trim_start().starts_with('#'))
                .collect::<Vec<_>>()
                .join("\n");
            let variables: Vec<String> = module
                .blocks("variable")
                .filter_map(|it| it.labels().first().map(|it| it.as_str().to_string()))
                .collect();
            let locals: Vec<String> = module
                .blocks("locals")
                .flat_map(|it| {
                    it.body()
                        .attributes()
                        .map(|it| it.key().to_string())
                        .collect::<Vec<_>>()
                })
                .collect();
            for (prefix, declared) in [("var.", &variables), ("local.", &locals)] {
                for (idx, _) in text.match_indices(prefix) {
                    let before = text[..idx].chars().last().unwrap_or(' ');
                    if before.is_ascii_alphanumeric() || before == '_' {
                        continue;
                    }
                    let used: String = text[idx + prefix.len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    assert!(
                        declared.contains(&used),
                        "{name}/{}: `{prefix}{used}` is not declared",
                        env.name
                    );
                }
            }
        }
    }
}

#[test]
fn every_disk_key_and_bucket_is_encrypted() {
    for (name, program, files) in everything() {
        for env in cloud_envs(&program) {
            let module = Module::of(&files, &env.name);
            let what = format!("{name}/{}", env.name);
            let mut disks = 0;
            for (id, body) in module.resources("aws_ebs_volume") {
                assert_eq!(
                    attr(body, "encrypted").as_deref(),
                    Some("true"),
                    "{what}: aws_ebs_volume.{id}"
                );
                assert_eq!(
                    attr(body, "kms_key_id").as_deref(),
                    Some("aws_kms_key.main.arn"),
                    "{what}: aws_ebs_volume.{id}"
                );
                disks += 1;
            }
            for (id, body) in module.resources("aws_instance") {
                assert_eq!(
                    attr(body, "root_block_device.encrypted").as_deref(),
                    Some("true"),
                    "{what}: aws_instance.{id}"
                );
                assert!(
                    attr(body, "root_block_device.kms_key_id").is_some(),
                    "{what}: aws_instance.{id}"
                );
                disks += 1;
            }
            for (id, body) in module.resources("aws_launch_template") {
                assert_eq!(
                    attr(body, "block_device_mappings.ebs.encrypted").as_deref(),
                    Some("true"),
                    "{what}: aws_launch_template.{id}"
                );
                disks += 1;
            }
            for (id, _) in module.resources("aws_s3_bucket") {
                let encryption = module
                    .resources("aws_s3_bucket_server_side_encryption_configuration")
                    .into_iter()
                    .find(|(_, body)| {
                        attr(body, "bucket") == Some(format!("aws_s3_bucket.{id}.id"))
                    })
                    .map(|(_, body)| body);
                let encryption = encryption
                    .unwrap_or_else(|| panic!("{what}: aws_s3_bucket.{id} has no encryption"));
                assert_eq!(
                    attr(
                        encryption,
                        "rule.apply_server_side_encryption_by_default.sse_algorithm"
                    )
                    .as_deref(),
                    Some("aws:kms"),
                    "{what}: {id}"
                );
            }
            for (id, body) in module.resources("aws_kms_key") {
                assert_eq!(
                    attr(body, "enable_key_rotation").as_deref(),
                    Some("true"),
                    "{what}: aws_kms_key.{id}"
                );
            }
            for (id, body) in module
                .resources("aws_sns_topic")
                .into_iter()
                .chain(module.resources("aws_secretsmanager_secret"))
            {
                assert!(
                    attr(body, "kms_master_key_id")
                        .or_else(|| attr(body, "kms_key_id"))
                        .is_some(),
                    "{what}: {id} is not encrypted with the key"
                );
            }
            for (id, body) in module.resources("aws_cloudwatch_log_group") {
                assert!(attr(body, "kms_key_id").is_some(), "{what}: log group {id}");
            }
            for (id, body) in module.resources("google_compute_disk") {
                assert!(
                    attr(body, "disk_encryption_key.kms_key_self_link").is_some(),
                    "{what}: google_compute_disk.{id}"
                );
                disks += 1;
            }
            for (id, body) in module.resources("google_compute_instance") {
                assert!(
                    attr(body, "boot_disk.kms_key_self_link").is_some(),
                    "{what}: google_compute_instance.{id}"
                );
                for disk in body
                    .blocks()
                    .filter(|it| it.identifier() == "attached_disk")
                {
                    assert!(
                        attr(disk.body(), "kms_key_self_link").is_some(),
                        "{what}: google_compute_instance.{id} attached disk"
                    );
                }
                disks += 1;
            }
            for (id, body) in module.resources("google_container_node_pool") {
                assert!(
                    attr(body, "node_config.boot_disk_kms_key").is_some(),
                    "{what}: google_container_node_pool.{id}"
                );
                disks += 1;
            }
            for (id, body) in module.resources("google_storage_bucket") {
                assert!(
                    attr(body, "encryption.default_kms_key_name").is_some(),
                    "{what}: google_storage_bucket.{id}"
                );
            }
            for (id, body) in module.resources("google_kms_crypto_key") {
                assert_eq!(
                    attr(body, "rotation_period").as_deref(),
                    Some("7776000s"),
                    "{what}: google_kms_crypto_key.{id}"
                );
            }
            if let Some(cluster) = module.resource("aws_eks_cluster", "main") {
                assert_eq!(
                    attr(cluster, "encryption_config.resources").as_deref(),
                    Some("[\"secrets\"]"),
                    "{what}"
                );
            }
            if let Some(cluster) = module.resource("google_container_cluster", "main") {
                assert_eq!(
                    attr(cluster, "database_encryption.state").as_deref(),
                    Some("ENCRYPTED"),
                    "{what}"
                );
            }
            assert!(0 < disks, "{what}: no disk at all");
        }
    }
}

#[test]
fn no_bucket_is_public() {
    for (name, program, files) in everything() {
        for env in cloud_envs(&program) {
            let module = Module::of(&files, &env.name);
            let what = format!("{name}/{}", env.name);
            for (id, _) in module.resources("aws_s3_bucket") {
                let block = module
                    .resources("aws_s3_bucket_public_access_block")
                    .into_iter()
                    .find(|(_, body)| {
                        attr(body, "bucket") == Some(format!("aws_s3_bucket.{id}.id"))
                    })
                    .map(|(_, body)| body)
                    .unwrap_or_else(|| {
                        panic!("{what}: aws_s3_bucket.{id} has no public access block")
                    });
                for key in [
                    "block_public_acls",
                    "block_public_policy",
                    "ignore_public_acls",
                    "restrict_public_buckets",
                ] {
                    assert_eq!(
                        attr(block, key).as_deref(),
                        Some("true"),
                        "{what}: {id}.{key}"
                    );
                }
                let ownership = module
                    .resources("aws_s3_bucket_ownership_controls")
                    .into_iter()
                    .find(|(_, body)| {
                        attr(body, "bucket") == Some(format!("aws_s3_bucket.{id}.id"))
                    })
                    .map(|(_, body)| body)
                    .unwrap_or_else(|| panic!("{what}: aws_s3_bucket.{id} keeps ACLs"));
                assert_eq!(
                    attr(ownership, "rule.object_ownership").as_deref(),
                    Some("BucketOwnerEnforced")
                );
            }
            assert!(
                module.resources("aws_s3_bucket_acl").is_empty(),
                "{what}: a bucket ACL"
            );
            for (id, body) in module.resources("google_storage_bucket") {
                assert_eq!(
                    attr(body, "public_access_prevention").as_deref(),
                    Some("enforced"),
                    "{what}: {id}"
                );
                assert_eq!(
                    attr(body, "uniform_bucket_level_access").as_deref(),
                    Some("true"),
                    "{what}: {id}"
                );
            }
            let text = module.text();
            for public in ["allUsers", "allAuthenticatedUsers", "public-read"] {
                assert!(!text.contains(public), "{what}: `{public}`");
            }
        }
    }
}

#[test]
fn backups_are_kept_as_long_as_the_policy_says_with_an_offsite_copy_where_it_asks() {
    let mut offsite_seen = 0;
    for (name, program, files) in everything() {
        for env in cloud_envs(&program) {
            let module = Module::of(&files, &env.name);
            let what = format!("{name}/{}", env.name);
            let cloud = env
                .infrastructure
                .cloud
                .as_ref()
                .expect("a cloud environment");
            let Some(backup) = cloud.backup.as_ref() else {
                assert!(
                    module.resources("aws_s3_bucket").is_empty()
                        && module.resources("google_storage_bucket").is_empty(),
                    "{what}: a bucket without a backup policy"
                );
                continue;
            };
            let keep = backup.keep_days().to_string();
            let home = env
                .infrastructure
                .provider
                .region()
                .unwrap_or_default()
                .to_string();
            let aws = matches!(
                env.infrastructure.provider,
                hostplan_core::ir::Provider::Aws { .. }
            );
            if aws {
                let buckets = module.resources("aws_s3_bucket");
                assert!(!buckets.is_empty(), "{what}: no backup bucket");
                for (id, _) in &buckets {
                    let lifecycle = module
                        .resources("aws_s3_bucket_lifecycle_configuration")
                        .into_iter()
                        .find(|(_, body)| {
                            attr(body, "bucket") == Some(format!("aws_s3_bucket.{id}.id"))
                        })
                        .map(|(_, body)| body)
                        .unwrap_or_else(|| panic!("{what}: {id} has no lifecycle"));
                    assert_eq!(
                        attr(
                            lifecycle,
                            "rule.noncurrent_version_expiration.noncurrent_days"
                        ),
                        Some(keep.clone()),
                        "{what}: {id}"
                    );
                    let versioning = module
                        .resources("aws_s3_bucket_versioning")
                        .into_iter()
                        .find(|(_, body)| {
                            attr(body, "bucket") == Some(format!("aws_s3_bucket.{id}.id"))
                        })
                        .map(|(_, body)| body)
                        .unwrap_or_else(|| panic!("{what}: {id} is not versioned"));
                    assert_eq!(
                        attr(versioning, "versioning_configuration.status").as_deref(),
                        Some("Enabled")
                    );
                }
                let dlm = module
                    .resource("aws_dlm_lifecycle_policy", "snapshots")
                    .unwrap_or_else(|| panic!("{what}: no snapshot policy"));
                assert_eq!(
                    attr(dlm, "policy_details.schedule.retain_rule.interval"),
                    Some(keep.clone()),
                    "{what}"
                );
                assert_eq!(
                    attr(dlm, "policy_details.schedule.retain_rule.interval_unit").as_deref(),
                    Some("DAYS")
                );
                let copy = has_block(dlm, "policy_details.schedule.cross_region_copy_rule");
                let replicated = module
                    .resource("aws_s3_bucket_replication_configuration", "offsite")
                    .is_some();
                let bucket_elsewhere = module
                    .resource("aws_s3_bucket", "backups")
                    .and_then(|it| attr(it, "provider"))
                    .as_deref()
                    == Some("aws.offsite");
                match &backup.offsite {
                    Some(offsite) => {
                        offsite_seen += 1;
                        assert!(copy, "{what}: snapshots are not copied offsite");
                        assert_eq!(attr(dlm, "policy_details.schedule.cross_region_copy_rule.retain_rule.interval"), Some(keep.clone()));
                        assert!(
                            replicated != bucket_elsewhere,
                            "{what}: the backups must reach the offsite region one way"
                        );
                        let offsite_region = offsite.region().map(str::to_string);
                        assert_ne!(offsite_region.as_deref(), Some(home.as_str()), "{what}");
                        let provider = module
                            .blocks("provider")
                            .find(|it| attr(it.body(), "alias").as_deref() == Some("offsite"))
                            .expect("an offsite provider");
                        assert_eq!(attr(provider.body(), "region"), offsite_region, "{what}");
                    }
                    None => assert!(
                        !copy && !replicated && !bucket_elsewhere,
                        "{what}: an offsite copy nobody asked for"
                    ),
                }
            } else {
                let bucket = module
                    .resource("google_storage_bucket", "backups")
                    .unwrap_or_else(|| panic!("{what}: no backup bucket"));
                assert_eq!(attr(bucket, "versioning.enabled").as_deref(), Some("true"));
                assert_eq!(
                    attr(
                        bucket,
                        "lifecycle_rule.condition.days_since_noncurrent_time"
                    ),
                    Some(keep.clone()),
                    "{what}"
                );
                let location = attr(bucket, "location").unwrap_or_default();
                let dual = attr(bucket, "custom_placement_config.data_locations");
                if let Some(policy) = module.resource("google_compute_resource_policy", "snapshots")
                {
                    assert_eq!(
                        attr(
                            policy,
                            "snapshot_schedule_policy.retention_policy.max_retention_days"
                        ),
                        Some(keep.clone()),
                        "{what}"
                    );
                }
                if let Some(plan) = module.resource("google_gke_backup_backup_plan", "daily") {
                    assert_eq!(
                        attr(plan, "retention_policy.backup_retain_days"),
                        Some(keep.clone()),
                        "{what}"
                    );
                }
                assert!(
                    module
                        .resource("google_compute_resource_policy", "snapshots")
                        .is_some()
                        || module
                            .resource("google_gke_backup_backup_plan", "daily")
                            .is_some(),
                    "{what}: no scheduled disk backups"
                );
                match &backup.offsite {
                    Some(offsite) => {
                        offsite_seen += 1;
                        let other = offsite.region().unwrap_or_default().to_ascii_uppercase();
                        let offsite_by_dual = dual.as_deref().is_some_and(|it| {
                            it.contains(&other) && it.contains(&home.to_ascii_uppercase())
                        });
                        let offsite_by_location = location == other;
                        assert!(
                            offsite_by_dual || offsite_by_location,
                            "{what}: bucket in {location} {dual:?} is not offsite"
                        );
                    }
                    None => {
                        assert_eq!(location, home.to_ascii_uppercase(), "{what}");
                        assert!(dual.is_none(), "{what}");
                    }
                }
            }
        }
    }
    assert!(4 <= offsite_seen, "{offsite_seen}");
}

#[test]
fn no_secret_has_a_value_or_a_default_in_any_file() {
    for (name, program, files) in everything() {
        for env in cloud_envs(&program) {
            let module = Module::of(&files, &env.name);
            let what = format!("{name}/{}", env.name);
            for binding in &env.secrets {
                let variable = module
                    .blocks("variable")
                    .find(|it| {
                        it.labels().first().map(|it| it.as_str()) == Some(binding.slot.name())
                    })
                    .unwrap_or_else(|| {
                        panic!("{what}: no variable for the secret `{}`", binding.secret)
                    });
                assert_eq!(
                    attr(variable.body(), "sensitive").as_deref(),
                    Some("true"),
                    "{what}: {}",
                    binding.secret
                );
                assert!(
                    attr(variable.body(), "default").is_none(),
                    "{what}: {} has a default",
                    binding.secret
                );
            }
            for variable in module.blocks("variable") {
                if attr(variable.body(), "sensitive").as_deref() == Some("true") {
                    assert!(
                        attr(variable.body(), "default").is_none(),
                        "{what}: a sensitive variable with a default"
                    );
                }
            }
            // A secret's variable is read only where the cloud's secret store takes the value.
            let text = module.text();
            for binding in &env.secrets {
                let reference = format!("var.{}", binding.slot.name());
                let uses: Vec<&str> = text
                    .lines()
                    .filter(|line| line.contains(&reference) && !line.trim_start().starts_with('#'))
                    .collect();
                for line in &uses {
                    let allowed = line.contains("secret_string")
                        || line.contains("secret_data")
                        || line.contains("condition");
                    assert!(allowed, "{what}: `{reference}` used in {line:?}");
                }
            }
            for output in module.blocks("output") {
                let value = attr(output.body(), "value").unwrap_or_default();
                assert!(
                    !value.contains("var.") && !value.contains("secret_version"),
                    "{what}: output {:?} exposes a value",
                    output.labels()
                );
            }
        }
        // The plan's own secrets sources never reach a file as values: only variables do.
        for file in &files {
            assert!(
                !file.contents.contains("/etc/cht/grafana\"\n"),
                "{name}: {}",
                file.path
            );
        }
    }
}

#[test]
fn every_alert_of_the_policy_has_an_alarm_sent_to_its_channels() {
    use hostplan_core::ir::AlertCondition;
    for (name, program, files) in everything() {
        for env in cloud_envs(&program) {
            let module = Module::of(&files, &env.name);
            let what = format!("{name}/{}", env.name);
            let Some(alerting) = env.alerting.as_ref() else {
                assert!(
                    module.resources("aws_cloudwatch_metric_alarm").is_empty()
                        && module
                            .resources("google_monitoring_alert_policy")
                            .is_empty()
                );
                continue;
            };
            let aws = matches!(
                env.infrastructure.provider,
                hostplan_core::ir::Provider::Aws { .. }
            );
            if aws {
                let alarms = module.resources("aws_cloudwatch_metric_alarm");
                let find = |metrics: &[&str]| {
                    alarms
                        .iter()
                        .filter(|(_, body)| {
                            metrics
                                .contains(&attr(body, "metric_name").unwrap_or_default().as_str())
                        })
                        .collect::<Vec<_>>()
                };
                for condition in &alerting.on {
                    match condition {
                        AlertCondition::Downtime { minutes } => {
                            let found = find(&["HealthCheckStatus"]);
                            assert_eq!(found.len(), 1, "{what}: downtime");
                            assert_eq!(
                                attr(found[0].1, "evaluation_periods"),
                                Some(format!("{}", minutes.ceil() as i64))
                            );
                        }
                        AlertCondition::DiskUsed { percent } => {
                            let found = find(&["DiskUsedPercent", "node_filesystem_utilization"]);
                            assert!(!found.is_empty(), "{what}: disk");
                            for (_, body) in found {
                                assert_eq!(
                                    attr(body, "threshold"),
                                    Some(hostplan_core::ir::trim_float(*percent)),
                                    "{what}: disk threshold"
                                );
                            }
                        }
                        AlertCondition::CertExpiry { days } => {
                            let found = find(&["DaysToExpiry", "CertificateDaysToExpiry"]);
                            assert_eq!(found.len(), 1, "{what}: certificate");
                            assert_eq!(
                                attr(found[0].1, "threshold"),
                                Some(hostplan_core::ir::trim_float(*days))
                            );
                        }
                        AlertCondition::BackupFailed => {
                            assert!(
                                !find(&["SnapshotsCreateFailed"]).is_empty(),
                                "{what}: backup"
                            );
                            if env.target == hostplan_core::ir::Target::Compose {
                                assert!(
                                    !find(&["BackupSucceeded"]).is_empty(),
                                    "{what}: the backup container"
                                );
                            }
                        }
                        AlertCondition::ReplicationLimit => {}
                    }
                }
                for (id, body) in &alarms {
                    let actions = attr(body, "alarm_actions").unwrap_or_default();
                    assert!(
                        actions.contains("aws_sns_topic.alerts"),
                        "{what}: alarm {id} notifies nobody"
                    );
                }
                for (id, body) in module.resources("aws_sns_topic_subscription") {
                    let endpoints = attr(body, "for_each").unwrap_or_default();
                    let protocol = attr(body, "protocol").unwrap_or_default();
                    let expected = if protocol == "email" {
                        &alerting.email
                    } else {
                        &alerting.webhook
                    };
                    for address in expected {
                        assert!(
                            endpoints.contains(address.as_str()),
                            "{what}: {id} misses {address}"
                        );
                    }
                }
            } else {
                let policies = module.resources("google_monitoring_alert_policy");
                let policy = |id: &str| {
                    policies
                        .iter()
                        .find(|(it, _)| *it == id)
                        .map(|(_, body)| *body)
                };
                for condition in &alerting.on {
                    let (id, threshold) = match condition {
                        AlertCondition::Downtime { minutes } => (
                            "downtime",
                            Some(format!("{}s", (minutes * 60.0).round() as i64)),
                        ),
                        AlertCondition::DiskUsed { .. } => ("disk_used", None),
                        AlertCondition::CertExpiry { days } => (
                            "certificate_expiry",
                            Some(hostplan_core::ir::trim_float(*days)),
                        ),
                        AlertCondition::BackupFailed => ("backup_failed", None),
                        AlertCondition::ReplicationLimit => continue,
                    };
                    let body =
                        policy(id).unwrap_or_else(|| panic!("{what}: no alert policy for {id}"));
                    assert_eq!(
                        attr(body, "notification_channels").as_deref(),
                        Some("local.alert_channels"),
                        "{what}: {id}"
                    );
                    match (id, threshold) {
                        ("downtime", Some(duration)) => assert_eq!(
                            attr(body, "conditions.condition_threshold.duration"),
                            Some(duration),
                            "{what}"
                        ),
                        ("certificate_expiry", Some(days)) => assert_eq!(
                            attr(body, "conditions.condition_threshold.threshold_value"),
                            Some(days),
                            "{what}"
                        ),
                        _ => {}
                    }
                }
                let channels: Vec<String> = module
                    .resources("google_monitoring_notification_channel")
                    .iter()
                    .filter_map(|(_, body)| attr(body, "for_each"))
                    .collect();
                for address in alerting.email.iter().chain(&alerting.webhook) {
                    assert!(
                        channels.iter().any(|it| it.contains(address.as_str())),
                        "{what}: no channel for {address}"
                    );
                }
            }
        }
    }
}

#[test]
fn instance_types_come_from_the_estimate_with_the_reason_beside_them() {
    for (name, program, files) in everything() {
        for env in cloud_envs(&program) {
            let cloud = env.infrastructure.cloud.as_ref().expect("cloud");
            let compute = files
                .iter()
                .find(|it| it.path == format!("{}/terraform/compute.tf", env.name))
                .unwrap_or_else(|| panic!("{name}/{}: no compute.tf", env.name));
            for machine in &cloud.machines {
                let Some(instance) = &machine.instance else {
                    continue;
                };
                if env.target == hostplan_core::ir::Target::Compose
                    && machine.purpose == hostplan_core::ir::HostPurpose::ChtSync
                {
                    continue;
                }
                let quoted = format!("\"{}\"", instance.name);
                let lines: Vec<&str> = compute.contents.lines().collect();
                let comments: Vec<String> = lines
                    .iter()
                    .enumerate()
                    .filter(|(_, line)| {
                        line.contains(&quoted)
                            && (line.contains("instance_type") || line.contains("machine_type"))
                    })
                    .map(|(idx, _)| {
                        let above: Vec<&str> = lines[..idx]
                            .iter()
                            .rev()
                            .take_while(|line| line.trim_start().starts_with('#'))
                            .map(|line| line.trim_start().trim_start_matches('#').trim())
                            .collect();
                        above.into_iter().rev().collect::<Vec<_>>().join(" ")
                    })
                    .collect();
                assert!(
                    !comments.is_empty(),
                    "{name}/{}: {} is not used\n{}",
                    env.name,
                    instance.name,
                    compute.contents
                );
                let explained = comments.iter().any(|comment| {
                    comment.starts_with("From the capacity estimate:")
                        && comment.contains(instance.reason.trim_end_matches('.'))
                });
                assert!(
                    explained,
                    "{name}/{}: no comment beside {} gives {:?}: {comments:#?}",
                    env.name, instance.name, instance.reason
                );
            }
        }
    }
    // The national production estimate needs a 48-vCPU CouchDB node, from the larger types.
    let (_, files) = emit_example("national");
    let compute = files
        .iter()
        .find(|it| it.path == "production/terraform/compute.tf")
        .expect("compute.tf");
    assert!(
        compute
            .contents
            .contains("instance_types = [\"c6i.12xlarge\"]"),
        "{}",
        compute.contents
    );
}

#[test]
fn an_estimate_beyond_the_catalogue_asks_the_operator_for_the_instance_type() {
    let text = cloud_plan(
        "  alerting { email = [\"ops@terra.example.org\"] }\n  admin_from = [\"198.51.100.0/24\"]",
        "  target = kubernetes(eks)\n  infra = aws { region = \"us-east-1\" }",
        "",
    )
    .replace("people = 200_000", "people = 40_000_000")
    .replace("count = 800", "count = 90_000");
    let (_, files) = emit_text(&text);
    let module = Module::of(&files, "prod");
    let variable = module
        .blocks("variable")
        .find(|it| it.labels().first().map(|it| it.as_str()) == Some("couchdb_instance_type"))
        .expect("a variable for the CouchDB instance type");
    assert!(attr(variable.body(), "default").is_none());
    assert!(attr(variable.body(), "description")
        .unwrap_or_default()
        .contains("vCPU"));
    let group = module
        .resource("aws_eks_node_group", "couchdb_1")
        .expect("the CouchDB node group");
    assert_eq!(
        attr(group, "instance_types").as_deref(),
        Some("[var.couchdb_instance_type]")
    );
}

#[test]
fn local_and_on_premises_environments_get_no_terraform_and_list_their_hardware() {
    for example in ["national", "clinic"] {
        let (program, files) = emit_example(example);
        for env in &program.environments {
            let on_cloud = matches!(
                env.infrastructure.provider,
                hostplan_core::ir::Provider::Aws { .. } | hostplan_core::ir::Provider::Gcp { .. }
            );
            let terraform: Vec<&OutputFile> = files
                .iter()
                .filter(|it| it.path.starts_with(&format!("{}/terraform/", env.name)))
                .collect();
            assert_eq!(on_cloud, !terraform.is_empty(), "{example}/{}", env.name);
            if !on_cloud && env.target == hostplan_core::ir::Target::Compose {
                let readme = files
                    .iter()
                    .find(|it| it.path == format!("{}/README.md", env.name))
                    .expect("a README");
                assert!(
                    readme.contents.contains("\n## Host\n"),
                    "{example}/{}",
                    env.name
                );
                for host in &env.infrastructure.hosts {
                    let line = format!(
                        "{} CPU",
                        hostplan_core::ir::trim_float(host.millicpu as f64 / 1000.0)
                    );
                    assert!(
                        readme.contents.contains(&line),
                        "{example}/{}: {line}\n{}",
                        env.name,
                        readme.contents
                    );
                }
                assert!(
                    readme
                        .contents
                        .contains("Sizes are the plan's capacity estimate."),
                    "{}",
                    readme.contents
                );
            }
        }
    }
}

#[test]
fn a_compose_environment_on_a_cloud_lists_its_terraform_in_its_readme() {
    let (_, files) = emit_example("gcp-county");
    let readme = files
        .iter()
        .find(|it| it.path == "staging/README.md")
        .expect("README");
    assert!(
        readme
            .contents
            .contains("| `terraform/compute.tf` | The machines:"),
        "{}",
        readme.contents
    );
    assert!(
        readme
            .contents
            .contains("| `terraform/README.md` | How to apply the Terraform"),
        "{}",
        readme.contents
    );
}

#[test]
fn the_compose_host_starts_docker_at_boot_and_mounts_its_data_disks() {
    for (name, program, files) in everything() {
        for env in cloud_envs(&program)
            .into_iter()
            .filter(|it| it.target == hostplan_core::ir::Target::Compose)
        {
            let compute = files
                .iter()
                .find(|it| it.path == format!("{}/terraform/compute.tf", env.name))
                .expect("compute.tf");
            let what = format!("{name}/{}", env.name);
            assert!(
                compute
                    .contents
                    .contains("cht_cloud_init = <<EOT\n#cloud-config\n"),
                "{what}"
            );
            assert!(
                compute
                    .contents
                    .contains("- systemctl enable --now containerd.service docker.service\n"),
                "{what}"
            );
            assert!(
                compute
                    .contents
                    .contains("/home/ubuntu/cht/compose /home/ubuntu/cht/upgrade-service"),
                "{what}"
            );
            for disk in &env.infrastructure.disks {
                assert!(compute.contents.contains("mount_disk '"), "{what}");
                assert!(
                    compute.contents.contains(&format!(
                        "'{}'",
                        disk.volume.chars().take(16).collect::<String>()
                    )),
                    "{what}: {}",
                    disk.volume
                );
            }
        }
    }
}

#[test]
fn only_80_and_443_are_open_to_the_world_and_admin_access_follows_the_allow_list() {
    for (name, program, files) in everything() {
        for env in cloud_envs(&program) {
            let module = Module::of(&files, &env.name);
            let what = format!("{name}/{}", env.name);
            for (id, body) in module.resources("aws_vpc_security_group_ingress_rule") {
                if attr(body, "cidr_ipv4").as_deref() == Some("0.0.0.0/0") {
                    let port = attr(body, "from_port").unwrap_or_default();
                    assert!(
                        port == "80" || port == "443",
                        "{what}: {id} opens {port} to the world"
                    );
                    assert_eq!(attr(body, "to_port"), Some(port));
                }
            }
            for (id, body) in module.resources("google_compute_firewall") {
                if attr(body, "source_ranges")
                    .unwrap_or_default()
                    .contains("0.0.0.0/0")
                {
                    let ports = attr(body, "allow.ports").unwrap_or_default();
                    assert!(
                        ports == "[\"80\", \"443\"]" || ports == "[\"443\"]",
                        "{what}: {id} opens {ports} to the world"
                    );
                }
            }
            let admin_from = &env.security.admin_from;
            if let Some(cluster) = module.resource("aws_eks_cluster", "main") {
                let cidrs = attr(cluster, "vpc_config.public_access_cidrs").unwrap_or_default();
                for cidr in admin_from {
                    assert!(cidrs.contains(cidr.as_str()), "{what}");
                }
                assert!(!admin_from.is_empty() || cidrs.contains("0.0.0.0/0"));
            }
            if let Some(cluster) = module.resource("google_container_cluster", "main") {
                for cidr in admin_from {
                    assert!(
                        module
                            .text()
                            .contains(&format!("cidr_block   = \"{cidr}\"")),
                        "{what}: {cidr}"
                    );
                }
                assert_eq!(
                    has_block(cluster, "master_authorized_networks_config"),
                    !admin_from.is_empty(),
                    "{what}: an empty block would shut the API to every address"
                );
            }
            for (id, body) in module
                .resources("aws_iam_role")
                .into_iter()
                .filter(|(id, _)| id.starts_with("operator_"))
            {
                let document = module
                    .blocks("data")
                    .find(|it| {
                        it.labels().get(1).map(|it| it.as_str()) == Some(&format!("{id}_assume"))
                    })
                    .unwrap_or_else(|| panic!("{what}: {id}"));
                let _ = body;
                for cidr in admin_from {
                    assert!(
                        attr(document.body(), "statement.condition.values")
                            .unwrap_or_default()
                            .contains(cidr.as_str()),
                        "{what}: {id} may be assumed from anywhere"
                    );
                }
            }
        }
    }
}

#[test]
fn emitting_twice_gives_identical_bytes() {
    for (name, text) in variant_plans() {
        assert_eq!(emit_text(&text).1, emit_text(&text).1, "{name}");
    }
    assert_eq!(emit_example("gcp-county").1, emit_example("gcp-county").1);
}

#[test]
fn national_production_terraform() {
    let (_, files) = emit_example("national");
    let mut text = String::new();
    for file in files
        .iter()
        .filter(|it| it.path.starts_with("production/terraform/"))
    {
        text.push_str(&format!("===== {} =====\n{}", file.path, file.contents));
    }
    insta::assert_snapshot!("national_production_terraform", text);
}

/// Checks the layout rules of `terraform fmt` (hclwrite's formatter) on a generated file:
/// two-space indentation, one level per line that leaves brackets open, `=` aligned within runs of single-line attributes
/// (broken by blank lines, comments, blocks and multi-line values) with one space after the
/// widest key, one space before `=` for a multi-line value, no blank line after an opening
/// bracket or before a closing one, blocks separated from their siblings by a blank line, no
/// trailing spaces, no tabs, and one final newline. Heredoc bodies are left alone.
fn fmt_layout(text: &str) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    if !text.ends_with('\n') || text.ends_with("\n\n") {
        problems.push("the file must end with exactly one newline".to_string());
    }
    let mut depth: i64 = 0;
    let mut heredoc: Option<String> = None;
    // The current alignment run: (line index, column of `=`, column where the key ends).
    let mut run: Vec<(usize, usize, usize)> = Vec::new();
    let mut previous = "";
    for (idx, line) in text.lines().enumerate() {
        if let Some(marker) = &heredoc {
            if line.trim() == marker {
                heredoc = None;
            }
            previous = line;
            continue;
        }
        if line.ends_with(' ') {
            problems.push(format!("line {}: trailing space", idx + 1));
        }
        if line.contains('\t') {
            problems.push(format!("line {}: a tab", idx + 1));
        }
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            if previous.is_empty() && 0 < idx {
                problems.push(format!("line {}: two blank lines", idx + 1));
            }
            if previous.ends_with('{') || previous.ends_with('[') {
                problems.push(format!(
                    "line {}: a blank line after an opening bracket",
                    idx + 1
                ));
            }
            close_run(&mut run, &mut problems);
            previous = line;
            continue;
        }
        let is_comment = trimmed.starts_with('#');
        let closes = !is_comment
            && (trimmed.starts_with('}') || trimmed.starts_with(']') || trimmed.starts_with(')'));
        if closes {
            depth -= 1;
            if previous.is_empty() {
                problems.push(format!(
                    "line {}: a blank line before a closing bracket",
                    idx + 1
                ));
            }
        }
        let indent = line.len() - trimmed.len();
        if indent as i64 != 2 * depth.max(0) {
            problems.push(format!(
                "line {}: indented {indent}, expected {}",
                idx + 1,
                2 * depth
            ));
        }
        let balance = if is_comment {
            0
        } else {
            bracket_balance(trimmed)
        };
        match assignment_key(trimmed).filter(|_| !is_comment) {
            Some((key_width, equals)) => {
                let multi_line = 0 < balance;
                if multi_line {
                    close_run(&mut run, &mut problems);
                    if equals != key_width + 1 {
                        problems.push(format!(
                            "line {}: a multi-line value takes one space before `=`",
                            idx + 1
                        ));
                    }
                } else {
                    run.push((idx, indent + equals, indent + key_width));
                }
                if let Some((_, marker)) = trimmed.split_once("= <<") {
                    heredoc = Some(marker.trim_start_matches('-').trim().to_string());
                }
            }
            None => {
                close_run(&mut run, &mut problems);
                let opens_block = !is_comment
                    && (trimmed.ends_with('{') || trimmed.ends_with("{}"))
                    && !trimmed.contains('=');
                let separated = previous.is_empty()
                    || previous.trim_start().starts_with('#')
                    || previous.ends_with('{');
                if opens_block && !separated {
                    problems.push(format!(
                        "line {}: a block without a blank line before it",
                        idx + 1
                    ));
                }
            }
        }
        // hclwrite indents one level for a line that leaves brackets open, however many, and
        // the closing brackets at the start of a line end that one level.
        let leading = trimmed
            .chars()
            .take_while(|c| matches!(c, '}' | ']' | ')'))
            .count() as i64;
        let opened = if closes { balance + leading } else { balance };
        depth += opened.signum();
        previous = line;
    }
    close_run(&mut run, &mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Checks that every `=` of a run sits one space after the run's widest key.
fn close_run(run: &mut Vec<(usize, usize, usize)>, problems: &mut Vec<String>) {
    if let Some(widest) = run.iter().map(|it| it.2).max() {
        for (line, equals, _) in run.iter() {
            if *equals != widest + 1 {
                problems.push(format!(
                    "line {}: `=` at column {equals}, the run aligns it at {}",
                    line + 1,
                    widest + 1
                ));
            }
        }
    }
    run.clear();
}

/// The width of an attribute's key and the column of its `=` (both from the trimmed line's
/// start), when the line is `key = value`.
fn assignment_key(line: &str) -> Option<(usize, usize)> {
    let key_end = match line.strip_prefix('"') {
        Some(rest) => rest.find('"')? + 2,
        None => line.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))?,
    };
    if key_end == 0 {
        return None;
    }
    let after = line.get(key_end..)?;
    let rest = after.trim_start_matches(' ');
    if !(rest.starts_with("= ") || rest == "=") {
        return None;
    }
    Some((
        line.get(..key_end)?.chars().count(),
        key_end + after.len() - rest.len(),
    ))
}

/// Opening minus closing brackets outside strings, on one line.
fn bracket_balance(line: &str) -> i64 {
    let chars: Vec<char> = line.chars().collect();
    let mut balance = 0;
    let mut in_string = false;
    let mut escaped = false;
    let mut interpolation = 0;
    let mut idx = 0;
    while let Some(&c) = chars.get(idx) {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '$' && chars.get(idx + 1) == Some(&'$') {
                idx += 1;
            } else if c == '$' && chars.get(idx + 1) == Some(&'{') {
                interpolation += 1;
                idx += 1;
            } else if c == '}' && 0 < interpolation {
                interpolation -= 1;
            } else if c == '"' && interpolation == 0 {
                in_string = false;
            }
        } else {
            match c {
                '"' => in_string = true,
                '#' => break,
                '{' | '[' | '(' => balance += 1,
                '}' | ']' | ')' => balance -= 1,
                _ => {}
            }
        }
        idx += 1;
    }
    balance
}

#[test]
fn the_layout_checker_catches_what_terraform_fmt_would_change() {
    assert_eq!(fmt_layout("a  = 1\nbb = 2\n"), Ok(()));
    assert!(fmt_layout("a = 1\nbb = 2\n").is_err(), "misaligned");
    assert!(
        fmt_layout("a   = 1\nbb = 2\n").is_err(),
        "padded past the widest key"
    );
    assert_eq!(
        fmt_layout("a = 1\n\nccc = 3\n"),
        Ok(()),
        "a blank line ends the run"
    );
    assert_eq!(
        fmt_layout("a = 1\n# note\nccc = 3\n"),
        Ok(()),
        "a comment ends the run"
    );
    assert_eq!(
        fmt_layout("a = 1\nb = {\n  c = 2\n}\n"),
        Ok(()),
        "a multi-line value is not aligned"
    );
    assert!(fmt_layout("a    = 1\nb = {\n  c = 2\n}\n").is_err());
    assert!(
        fmt_layout("x {\n  a = 1\n}\ny {}\n").is_err(),
        "no blank line between blocks"
    );
    assert!(
        fmt_layout("x {\n\n  a = 1\n}\n").is_err(),
        "blank line after an opening brace"
    );
    assert!(fmt_layout("x {\n   a = 1\n}\n").is_err(), "indentation");
    assert!(fmt_layout("a = 1 \n").is_err(), "trailing space");
    assert!(fmt_layout("a = 1\n\n").is_err(), "two final newlines");
    assert_eq!(
        fmt_layout("a  = <<EOT\n   free   text\nEOT\nbb = 2\n"),
        Ok(()),
        "heredocs are free and join the run"
    );
    assert_eq!(
        fmt_layout("a = \"${x} }\"\nb = [\n  \"{\",\n]\n"),
        Ok(()),
        "brackets in strings do not count"
    );
}
