//! The validation helpers on known-good and known-bad samples, on CHT's
//! official Compose files, and on the printers' own output.

use hostplan_codegen::doc::{Document, Map, Node, Seq};
use hostplan_codegen::{hcl as printer, yaml};
use hostplan_tests::validate::{
    check_yaml11_traps, k8s_kinds, parse_hcl, validate_compose_json, validate_compose_yaml,
    validate_k8s_object, validate_k8s_yaml, validate_sarif, yaml_documents_to_json, yaml_to_json,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn fixture(dir: &str, name: &str) -> String {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(dir)
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn sample(name: &str) -> String {
    fixture("validate", name)
}

/// Asserts failure and that some message contains each needle.
fn assert_fails_with(result: Result<(), Vec<String>>, needles: &[&str]) {
    let problems = result.expect_err("expected the sample to be rejected");
    let all = problems.join("\n");
    for needle in needles {
        assert!(
            all.contains(needle),
            "no problem mentions {needle:?}:\n{all}"
        );
    }
}

#[test]
fn compose_samples() {
    for name in [
        "compose-valid.yml",
        "compose-valid-modern.yaml",
        "compose-valid-anchors.yml",
    ] {
        assert_eq!(validate_compose_yaml(&sample(name)), Ok(()), "{name}");
    }
    assert_fails_with(
        validate_compose_yaml(&sample("compose-invalid-schema.yml")),
        &["imagee", "bogus_top_level", "/services/web/ports"],
    );
    assert_fails_with(
        validate_compose_yaml(&sample("compose-invalid-base60.yml")),
        &["\"22:22\"", "integer 1342"],
    );
    assert_fails_with(
        validate_compose_yaml(&sample("compose-invalid-refs.yml")),
        &["undefined service \"db\"", "named volume \"cache\""],
    );
    assert_fails_with(validate_compose_yaml("a: [1\n"), &["YAML syntax error"]);
    assert_fails_with(
        validate_compose_yaml("services: {}\n---\nservices: {}\n"),
        &["one YAML document"],
    );
}

#[test]
fn compose_anchors_and_merge_keys_are_resolved() {
    let value = yaml_to_json(&sample("compose-valid-anchors.yml")).expect("parses");
    assert_eq!(
        value.pointer("/services/sentinel/restart"),
        Some(&json!("always"))
    );
    assert_eq!(
        value.pointer("/services/sentinel/logging/options/max-size"),
        Some(&json!("${LOG_MAX_SIZE:-50m}"))
    );
    assert_eq!(
        value.pointer("/services/api/logging/driver"),
        Some(&json!("local"))
    );
}

#[test]
fn official_cht_compose_files_are_valid() {
    for version in ["4.22.0", "5.2.0"] {
        for file in [
            "cht-core.yml",
            "cht-couchdb.yml",
            "cht-couchdb-clustered.yml",
        ] {
            let name = format!("cht-core@{version}__{file}");
            let text = fixture("cht-official", &name);
            assert_eq!(validate_compose_yaml(&text), Ok(()), "{name}");
        }
    }
}

#[test]
fn official_cht_compose_reads_as_expected() {
    let value =
        yaml_to_json(&fixture("cht-official", "cht-core@5.2.0__cht-core.yml")).expect("parses");
    let services: Vec<&str> = value["services"]
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(services, ["haproxy", "api", "sentinel", "nginx"]);
    assert_eq!(
        value.pointer("/services/nginx/ports/0"),
        Some(&json!("${NGINX_HTTP_PORT:-80}:80"))
    );
    assert_eq!(
        value.pointer("/services/haproxy/deploy/resources/limits/memory"),
        Some(&json!("1G"))
    );
    assert_eq!(value.pointer("/volumes/cht-ssl"), Some(&Value::Null));
    assert_eq!(
        value.pointer("/services/api/environment/0"),
        Some(&json!(
            "COUCH_URL=http://${COUCHDB_USER:-admin}:${COUCHDB_PASSWORD:?COUCHDB_PASSWORD must be set}@haproxy:${HAPROXY_PORT:-5984}/medic"
        ))
    );
}

/// The YAML printer can reproduce an official file's data exactly, and its
/// output is trap-free and schema-valid: what the Compose backend will rely
/// on when it compares its output with CHT's files service by service.
#[test]
fn official_cht_compose_survives_the_printer() {
    for name in [
        "cht-core@4.22.0__cht-core.yml",
        "cht-core@5.2.0__cht-core.yml",
        "cht-core@5.2.0__cht-couchdb.yml",
        "cht-core@5.2.0__cht-couchdb-clustered.yml",
    ] {
        let original = yaml_to_json(&fixture("cht-official", name)).expect("parses");
        let printed = yaml::to_string(&Node::from(&original));
        assert_eq!(check_yaml11_traps(&printed), Ok(()), "{name}");
        assert_eq!(validate_compose_yaml(&printed), Ok(()), "{name}");
        let back = yaml_to_json(&printed).expect("printed output parses");
        assert_eq!(
            serde_json::to_string(&back).unwrap_or_default(),
            serde_json::to_string(&original).unwrap_or_default(),
            "{name}"
        );
    }
}

#[test]
fn compose_json_checks_references_of_every_kind() {
    let compose = json!({
        "services": {
            "api": {
                "image": "x",
                "depends_on": {"db": {"condition": "service_healthy"}},
                "networks": {"front": {}, "default": null},
                "volumes": [
                    "data:/data",
                    "./local:/local",
                    "/abs:/abs",
                    "${DATA:-./srv}:/srv",
                    "/anonymous",
                    {"type": "volume", "source": "logs", "target": "/logs"},
                    {"type": "bind", "source": "./cfg", "target": "/cfg"}
                ],
                "secrets": ["pw", {"source": "token"}],
                "configs": ["conf"]
            }
        }
    });
    assert_fails_with(
        validate_compose_json(&compose),
        &[
            "undefined service \"db\"",
            "network \"front\"",
            "named volume \"data\"",
            "named volume \"logs\"",
            "secrets entry \"pw\"",
            "secrets entry \"token\"",
            "configs entry \"conf\"",
        ],
    );
    let problems = validate_compose_json(&compose).expect_err("invalid");
    assert_eq!(problems.len(), 7, "{problems:#?}");
}

#[test]
fn kubernetes_samples() {
    assert_eq!(validate_k8s_yaml(&sample("k8s-valid.yaml")), Ok(()));
    assert_eq!(validate_k8s_yaml(&sample("k8s-valid-kinds.yaml")), Ok(()));
    assert_fails_with(
        validate_k8s_yaml(&sample("k8s-invalid-schema.yaml")),
        &[
            "Deployment/web",
            "/spec/replicas",
            "imagee",
            "\"name\" is a required property",
        ],
    );
    assert_fails_with(
        validate_k8s_yaml(&sample("k8s-invalid-unknown-kind.yaml")),
        &["no schema for kind \"Deploymnet\""],
    );
    assert_fails_with(
        validate_k8s_yaml(&sample("k8s-invalid-yaml11.yaml")),
        &["\"yes\"", "\"0755\"", "\"2024-01-01\"", "/data/FILE_MODE"],
    );
    assert_fails_with(
        validate_k8s_yaml(&sample("k8s-invalid-syntax.yaml")),
        &["YAML syntax error"],
    );
    assert_fails_with(validate_k8s_yaml(""), &["no Kubernetes object"]);
    assert_fails_with(
        validate_k8s_yaml("apiVersion: v1\n"),
        &["apiVersion and kind"],
    );
    assert_fails_with(
        validate_k8s_yaml("apiVersion: v2\nkind: Namespace\nmetadata:\n  name: x\n"),
        &["no schema for kind \"Namespace\" with apiVersion \"v2\""],
    );
}

#[test]
fn kubernetes_api_server_rules() {
    assert_fails_with(
        validate_k8s_yaml(&sample("k8s-invalid-api-server-rules.yaml")),
        &[
            "metadata.name \"Web_App\" is not a valid DNS-1123 subdomain",
            "invalid label value \"platform team\"",
            "app=\"web\" does not match spec.template.metadata.labels",
            "\"1.5 Gi\" is not a valid quantity",
            "\"web\" is duplicated",
        ],
    );
    let service = json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "1api", "namespace": "Prod", "labels": {"-bad": "x", "ok/": "y"}},
        "spec": {"ports": [{"port": 70000}]}
    });
    assert_fails_with(
        validate_k8s_object(&service),
        &[
            "\"1api\" is not a valid DNS-1035 label",
            "namespace \"Prod\"",
            "invalid label key \"-bad\"",
            "invalid label key \"ok/\"",
            "port 70000 is out of range",
        ],
    );
    let twice = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: cht\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: cht\n";
    assert_fails_with(
        validate_k8s_yaml(twice),
        &["document 2: same kind, namespace and name as document 1"],
    );
}

#[test]
fn kubernetes_is_strict_about_unknown_fields() {
    let ok = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "cht"}});
    assert_eq!(validate_k8s_object(&ok), Ok(()));
    let extra =
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "cht", "lables": {}}});
    assert_fails_with(validate_k8s_object(&extra), &["lables"]);
}

#[test]
fn every_kubernetes_schema_compiles() {
    for (api_version, kind) in k8s_kinds() {
        let object = json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}});
        if let Err(problems) = validate_k8s_object(&object) {
            // Missing required fields are fine here; a schema that does not
            // compile (for example a definition missing from the reduced
            // _definitions.json) is not.
            assert!(
                problems.iter().all(|p| !p.contains("does not compile") && !p.contains("cannot be registered")),
                "{kind}: {problems:#?}"
            );
        }
    }
}

#[test]
fn sarif_samples() {
    let valid: Value = serde_json::from_str(&sample("sarif-valid.json")).expect("JSON");
    assert_eq!(validate_sarif(&valid), Ok(()));
    let invalid: Value = serde_json::from_str(&sample("sarif-invalid.json")).expect("JSON");
    assert_fails_with(
        validate_sarif(&invalid),
        &[
            "/version",
            "/runs/0/tool/driver",
            "/runs/0/results/0/level",
            "startLine",
        ],
    );
}

#[test]
fn hcl_samples() {
    assert_eq!(parse_hcl(&sample("tf-valid.tf")), Ok(()));
    let err = parse_hcl(&sample("tf-invalid-syntax.tf")).expect_err("syntax error");
    assert!(err.contains("HCL syntax error"), "{err}");
    let err = parse_hcl(&sample("tf-invalid-repeated-attribute.tf")).expect_err("repeated");
    assert!(err.contains("redefined attribute"), "{err}");
}

#[test]
fn yaml_reading_rules() {
    assert_eq!(
        yaml_to_json("a: 1\nb: 1.5\nc: true\nd: null\ne: '1'\nf: 0x10\ng: 0o10\nh: yes\n"),
        Ok(json!({"a": 1, "b": 1.5, "c": true, "d": null, "e": "1", "f": 16, "g": 8, "h": "yes"}))
    );
    assert!(yaml_to_json("a: 1\na: 2\n").is_err_and(|e| e.contains("duplicate key")));
    assert!(yaml_to_json("? [a]\n: 1\n").is_err());
    assert!(yaml_to_json("a: .nan\n").is_err());
    assert!(yaml_to_json("a: !custom x\n").is_err());
    assert_eq!(yaml_to_json("a: !!str 1\n"), Ok(json!({"a": "1"})));
    assert!(yaml_to_json("a: !!int x\n").is_err());
    assert_eq!(
        yaml_documents_to_json("---\na: 1\n---\n---\nb: 2\n"),
        Ok(vec![json!({"a": 1}), Value::Null, json!({"b": 2})])
    );
    assert!(yaml_to_json("---\na: 1\n---\nb: 2\n").is_err());
    assert_fails_with(
        check_yaml11_traps("on: push\nport: 22:22\n"),
        &["line 1", "line 2"],
    );
    assert_eq!(
        check_yaml11_traps("\"on\": push\nport: \"22:22\"\n"),
        Ok(())
    );
}

/// What the printers produce passes the validators: a Compose file, a
/// multi-document Kubernetes manifest and a Terraform file built with the
/// backends' API.
#[test]
fn printer_output_is_valid() {
    let compose = Map::new()
        .with(
            "services",
            Map::new()
                .with(
                    "couchdb",
                    Map::new()
                        .with_commented(
                            "image",
                            "public.ecr.aws/medic/cht-couchdb:5.2.0",
                            "CouchDB 3 with CHT's configuration.",
                        )
                        .with("restart", "always")
                        .with(
                            "environment",
                            Seq::new().with("COUCHDB_USER=admin").with("FEATURE=yes"),
                        )
                        .with("volumes", Seq::new().with("couchdb-data:/opt/couchdb/data"))
                        .with("ports", Seq::new().with("5984:5984").with("22:22"))
                        .with("networks", Seq::new().with("cht-net")),
                )
                .with(
                    "api",
                    Map::new()
                        .with("image", "public.ecr.aws/medic/cht-api:5.2.0")
                        .with("depends_on", Seq::new().with("couchdb"))
                        .with("networks", Seq::new().with("cht-net")),
                ),
        )
        .with("volumes", Map::new().with("couchdb-data", Map::new()))
        .with(
            "networks",
            Map::new().with("cht-net", Map::new().with("name", "cht-net")),
        );
    let text = yaml::document(
        &Document::new(compose).with_header("Generated by hostplan from plan.hplan. Do not edit."),
    );
    assert_eq!(validate_compose_yaml(&text), Ok(()), "\n{text}");

    let namespace = Map::new()
        .with("apiVersion", "v1")
        .with("kind", "Namespace")
        .with("metadata", Map::new().with("name", "cht"));
    let config = Map::new()
        .with("apiVersion", "v1")
        .with("kind", "ConfigMap")
        .with(
            "metadata",
            Map::new().with("name", "flags").with("namespace", "cht"),
        )
        .with(
            "data",
            Map::new()
                .with("ENABLED", "yes")
                .with("MODE", "0755")
                .with("script", "#!/bin/sh\necho hi\n"),
        );
    let text = yaml::documents(&[
        Document::new(namespace).with_header("Generated by hostplan. Do not edit."),
        Document::new(config),
    ]);
    assert_eq!(validate_k8s_yaml(&text), Ok(()), "\n{text}");

    let body = printer::Body::new()
        .block(
            printer::Block::new("resource")
                .with_labels(["aws_instance", "cht"])
                .attr("instance_type", "c6i.xlarge")
                .attr(
                    "user_data",
                    printer::Expr::heredoc("#!/bin/sh\necho ${HOME}\n"),
                )
                .attr(
                    "tags",
                    printer::Object::new()
                        .with("Name", "cht")
                        .with("app.kubernetes.io/name", "cht"),
                ),
        )
        .block(
            printer::Block::new("output")
                .with_label("ip")
                .attr("value", printer::Expr::raw("aws_instance.cht.public_ip")),
        );
    let text = printer::to_string(&body);
    assert_eq!(parse_hcl(&text), Ok(()), "\n{text}");
}

/// The schemas are compiled once: validating many documents stays fast.
#[test]
fn repeated_validation_is_cheap() {
    let manifest = sample("k8s-valid-kinds.yaml");
    let compose = fixture("cht-official", "cht-core@5.2.0__cht-core.yml");
    let start = std::time::Instant::now();
    for _ in 0..50 {
        assert_eq!(validate_k8s_yaml(&manifest), Ok(()));
        assert_eq!(validate_compose_yaml(&compose), Ok(()));
    }
    eprintln!("100 validations in {:?}", start.elapsed());
}
