//! Structural checks for the custom objects the Kubernetes backend writes, whose schemas are
//! not part of Kubernetes' own (`tests/schemas/kubernetes-v1.33.0-strict` holds only the
//! built-in kinds): External Secrets Operator's `ExternalSecret`, cert-manager's `Issuer` and
//! `Certificate`, GKE's `ManagedCertificate`, `FrontendConfig` and `BackendConfig`, and
//! Traefik's `Middleware`.
//!
//! Each schema below is written for these tests from the fields the project's CRD documents
//! define (External Secrets Operator v0.17+ `external-secrets.io/v1`, cert-manager v1.x, GKE's
//! ingress features, Traefik v3), restricted to the parts Hostplan writes plus their
//! siblings, and strict like the Kubernetes schemas: an unknown field, a wrong type or a value
//! outside an enumeration is an error. Rules the CRDs enforce through webhooks rather than
//! schemas (ECDSA key sizes, ExternalSecret policy combinations) are checked by hand.

use std::sync::OnceLock;

use serde_json::{json, Value};

/// The `(apiVersion, kind)` pairs [`validate_custom_object`] knows.
pub fn custom_kinds() -> Vec<(&'static str, &'static str)> {
    schemas().iter().map(|(v, k, _)| (*v, *k)).collect()
}

const DNS_SUBDOMAIN: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

fn metadata() -> Value {
    json!({
        "type": "object",
        "required": ["name", "namespace"],
        "additionalProperties": false,
        "properties": {
            "name": { "type": "string", "maxLength": 253, "pattern": DNS_SUBDOMAIN },
            "namespace": { "type": "string", "maxLength": 63, "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" },
            "labels": { "type": "object", "additionalProperties": { "type": "string" } },
            "annotations": { "type": "object", "additionalProperties": { "type": "string" } }
        }
    })
}

fn object(api_version: &str, kind: &str, spec: Value) -> Value {
    json!({
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": false,
        "properties": {
            "apiVersion": { "const": api_version },
            "kind": { "const": kind },
            "metadata": metadata(),
            "spec": spec
        }
    })
}

fn strict(properties: Value, required: &[&str]) -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": properties
    })
}

fn string_map() -> Value {
    json!({ "type": "object", "additionalProperties": { "type": "string" } })
}

fn external_secret() -> Value {
    let store_ref = strict(
        json!({
            "name": { "type": "string", "minLength": 1, "maxLength": 253, "pattern": DNS_SUBDOMAIN },
            "kind": { "enum": ["SecretStore", "ClusterSecretStore"] }
        }),
        &[],
    );
    let remote_ref = strict(
        json!({
            "key": { "type": "string" },
            "property": { "type": "string" },
            "version": { "type": "string" },
            "conversionStrategy": { "enum": ["Default", "Unicode"] },
            "decodingStrategy": { "enum": ["Auto", "Base64", "Base64URL", "None"] },
            "metadataPolicy": { "enum": ["None", "Fetch"] }
        }),
        &["key"],
    );
    let template = strict(
        json!({
            "engineVersion": { "enum": ["v2"] },
            "mergePolicy": { "enum": ["Replace", "Merge"] },
            "type": { "type": "string" },
            "data": string_map(),
            "metadata": strict(json!({ "labels": string_map(), "annotations": string_map() }), &[])
        }),
        &[],
    );
    object(
        "external-secrets.io/v1",
        "ExternalSecret",
        strict(
            json!({
                "refreshInterval": { "type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$|^0$" },
                "refreshPolicy": { "enum": ["CreatedOnce", "Periodic", "OnChange"] },
                "secretStoreRef": store_ref,
                "target": strict(
                    json!({
                        "name": { "type": "string", "minLength": 1, "maxLength": 253, "pattern": DNS_SUBDOMAIN },
                        "creationPolicy": { "enum": ["Owner", "Orphan", "Merge", "None"] },
                        "deletionPolicy": { "enum": ["Delete", "Merge", "Retain"] },
                        "immutable": { "type": "boolean" },
                        "template": template
                    }),
                    &[],
                ),
                "data": {
                    "type": "array",
                    "items": strict(
                        json!({
                            "secretKey": { "type": "string", "minLength": 1, "maxLength": 253, "pattern": "^[-._a-zA-Z0-9]+$" },
                            "remoteRef": remote_ref
                        }),
                        &["secretKey", "remoteRef"],
                    )
                }
            }),
            &[],
        ),
    )
}

fn issuer() -> Value {
    let solver = strict(
        json!({
            "http01": strict(json!({
                "ingress": strict(json!({
                    "ingressClassName": { "type": "string" },
                    "class": { "type": "string" },
                    "name": { "type": "string" },
                    "serviceType": { "type": "string" }
                }), &[])
            }), &[]),
            "selector": strict(json!({
                "dnsNames": { "type": "array", "items": { "type": "string" } },
                "dnsZones": { "type": "array", "items": { "type": "string" } },
                "matchLabels": string_map()
            }), &[])
        }),
        &[],
    );
    let acme = strict(
        json!({
            "server": { "type": "string", "pattern": "^https://" },
            "email": { "type": "string" },
            "privateKeySecretRef": strict(json!({
                "name": { "type": "string" },
                "key": { "type": "string" }
            }), &["name"]),
            "solvers": { "type": "array", "items": solver },
            "skipTLSVerify": { "type": "boolean" },
            "preferredChain": { "type": "string", "maxLength": 64 },
            "disableAccountKeyGeneration": { "type": "boolean" },
            "enableDurationFeature": { "type": "boolean" },
            "profile": { "type": "string" }
        }),
        &["server", "privateKeySecretRef"],
    );
    let self_signed = strict(
        json!({ "crlDistributionPoints": { "type": "array", "items": { "type": "string" } } }),
        &[],
    );
    let mut spec = strict(json!({ "acme": acme, "selfSigned": self_signed }), &[]);
    spec["minProperties"] = json!(1);
    spec["maxProperties"] = json!(1);
    object("cert-manager.io/v1", "Issuer", spec)
}

fn certificate() -> Value {
    object(
        "cert-manager.io/v1",
        "Certificate",
        strict(
            json!({
                "secretName": { "type": "string", "pattern": DNS_SUBDOMAIN },
                "dnsNames": { "type": "array", "minItems": 1, "items": { "type": "string" } },
                "commonName": { "type": "string", "maxLength": 64 },
                "duration": { "type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$" },
                "renewBefore": { "type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$" },
                "issuerRef": strict(json!({
                    "name": { "type": "string" },
                    "kind": { "type": "string" },
                    "group": { "type": "string" }
                }), &["name"]),
                "privateKey": strict(json!({
                    "algorithm": { "enum": ["RSA", "ECDSA", "Ed25519"] },
                    "encoding": { "enum": ["PKCS1", "PKCS8"] },
                    "rotationPolicy": { "enum": ["Never", "Always"] },
                    "size": { "type": "integer" }
                }), &[]),
                "usages": { "type": "array", "items": { "type": "string" } }
            }),
            &["secretName", "issuerRef"],
        ),
    )
}

fn managed_certificate() -> Value {
    object(
        "networking.gke.io/v1",
        "ManagedCertificate",
        strict(
            json!({
                "domains": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 100,
                    "items": {
                        "type": "string",
                        "maxLength": 63,
                        "pattern": "^(([a-z0-9]+|[a-z0-9][-a-z0-9]*[a-z0-9])\\.)+[a-z][-a-z0-9]*[a-z0-9]$"
                    }
                }
            }),
            &["domains"],
        ),
    )
}

fn frontend_config() -> Value {
    object(
        "networking.gke.io/v1beta1",
        "FrontendConfig",
        strict(
            json!({
                "redirectToHttps": strict(json!({
                    "enabled": { "type": "boolean" },
                    "responseCodeName": { "enum": ["MOVED_PERMANENTLY_DEFAULT", "FOUND", "SEE_OTHER", "TEMPORARY_REDIRECT", "PERMANENT_REDIRECT"] }
                }), &[]),
                "sslPolicy": { "type": "string" }
            }),
            &[],
        ),
    )
}

fn backend_config() -> Value {
    object(
        "cloud.google.com/v1",
        "BackendConfig",
        strict(
            json!({
                "timeoutSec": { "type": "integer", "minimum": 1, "maximum": 2_147_483_647 },
                "healthCheck": strict(json!({
                    "checkIntervalSec": { "type": "integer", "minimum": 1 },
                    "timeoutSec": { "type": "integer", "minimum": 1 },
                    "healthyThreshold": { "type": "integer", "minimum": 1 },
                    "unhealthyThreshold": { "type": "integer", "minimum": 1 },
                    "type": { "enum": ["HTTP", "HTTPS", "HTTP2"] },
                    "requestPath": { "type": "string", "pattern": "^/" },
                    "port": { "type": "integer", "minimum": 1, "maximum": 65535 }
                }), &[]),
                "connectionDraining": strict(json!({ "drainingTimeoutSec": { "type": "integer" } }), &[]),
                "securityPolicy": strict(json!({ "name": { "type": "string" } }), &["name"])
            }),
            &[],
        ),
    )
}

fn middleware() -> Value {
    object(
        "traefik.io/v1alpha1",
        "Middleware",
        strict(
            json!({
                "redirectScheme": strict(json!({
                    "scheme": { "type": "string" },
                    "port": { "type": "string" },
                    "permanent": { "type": "boolean" }
                }), &[]),
                "ipAllowList": strict(json!({
                    "sourceRange": { "type": "array", "items": { "type": "string" } }
                }), &[])
            }),
            &[],
        ),
    )
}

type Compiled = Vec<(
    &'static str,
    &'static str,
    Result<jsonschema::Validator, String>,
)>;

fn schemas() -> &'static Compiled {
    static SCHEMAS: OnceLock<Compiled> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let all: [(&str, &str, Value); 7] = [
            (
                "external-secrets.io/v1",
                "ExternalSecret",
                external_secret(),
            ),
            ("cert-manager.io/v1", "Issuer", issuer()),
            ("cert-manager.io/v1", "Certificate", certificate()),
            (
                "networking.gke.io/v1",
                "ManagedCertificate",
                managed_certificate(),
            ),
            (
                "networking.gke.io/v1beta1",
                "FrontendConfig",
                frontend_config(),
            ),
            ("cloud.google.com/v1", "BackendConfig", backend_config()),
            ("traefik.io/v1alpha1", "Middleware", middleware()),
        ];
        all.into_iter()
            .map(|(version, kind, schema)| {
                let compiled = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .build(&schema)
                    .map_err(|e| format!("schema of {kind} does not compile: {e}"));
                (version, kind, compiled)
            })
            .collect()
    })
}

/// Validates one custom object against its schema above and the webhook rules.
pub fn validate_custom_object(object: &Value) -> Result<(), Vec<String>> {
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("<unnamed>");
    let prefix = format!("{kind}/{name}: ");
    let Some((_, _, compiled)) = schemas()
        .iter()
        .find(|(v, k, _)| *v == api_version && *k == kind)
    else {
        return Err(vec![format!(
            "{prefix}no schema for {api_version} {kind} (known: {:?})",
            custom_kinds()
        )]);
    };
    let validator = compiled.as_ref().map_err(|e| vec![e.clone()])?;
    let mut errors: Vec<String> = validator
        .iter_errors(object)
        .map(|e| format!("{prefix}at {}: {e}", e.instance_path()))
        .collect();
    match kind {
        "Certificate" => {
            let algorithm = object
                .pointer("/spec/privateKey/algorithm")
                .and_then(Value::as_str);
            let size = object
                .pointer("/spec/privateKey/size")
                .and_then(Value::as_i64);
            let ok = match (algorithm, size) {
                (Some("ECDSA"), Some(size)) => [256, 384, 521].contains(&size),
                (Some("RSA"), Some(size)) => (2048..=8192).contains(&size),
                _ => true,
            };
            if !ok {
                errors.push(format!(
                    "{prefix}{algorithm:?} keys cannot be {size:?} bits"
                ));
            }
        }
        "ExternalSecret" => {
            let creation = object
                .pointer("/spec/target/creationPolicy")
                .and_then(Value::as_str);
            let deletion = object
                .pointer("/spec/target/deletionPolicy")
                .and_then(Value::as_str);
            if creation == Some("Merge") && deletion == Some("Delete") {
                errors.push(format!(
                    "{prefix}deletionPolicy Delete is not allowed with creationPolicy Merge"
                ));
            }
            if object.pointer("/spec/data").is_none() && object.pointer("/spec/dataFrom").is_none()
            {
                errors.push(format!("{prefix}neither data nor dataFrom"));
            }
        }
        _ => {}
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_compiles() {
        for (version, kind, compiled) in schemas() {
            assert!(compiled.is_ok(), "{version} {kind}: {compiled:?}");
        }
    }

    #[test]
    fn unknown_fields_wrong_values_and_webhook_rules_are_rejected() {
        let good = json!({
            "apiVersion": "cert-manager.io/v1", "kind": "Certificate",
            "metadata": { "name": "api-tls", "namespace": "uat" },
            "spec": { "secretName": "api-tls-secret", "dnsNames": ["a.example.org"],
                      "issuerRef": { "name": "letsencrypt", "kind": "Issuer" },
                      "privateKey": { "algorithm": "ECDSA", "size": 256 } }
        });
        assert_eq!(validate_custom_object(&good), Ok(()));
        let mut typo = good.clone();
        typo["spec"]["renewBfore"] = json!("720h");
        assert!(validate_custom_object(&typo).is_err());
        let mut size = good.clone();
        size["spec"]["privateKey"]["size"] = json!(2048);
        assert!(validate_custom_object(&size).is_err());
        let es = json!({
            "apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
            "metadata": { "name": "x", "namespace": "ns" },
            "spec": { "secretStoreRef": { "name": "store", "kind": "ClusterSecretStore" },
                      "target": { "name": "x", "creationPolicy": "Merge", "deletionPolicy": "Delete" },
                      "data": [{ "secretKey": "K", "remoteRef": { "key": "k" } }] }
        });
        assert!(validate_custom_object(&es).is_err());
        let old = json!({ "apiVersion": "external-secrets.io/v1beta1", "kind": "ExternalSecret",
                          "metadata": { "name": "x", "namespace": "ns" }, "spec": {} });
        assert!(validate_custom_object(&old).is_err());
    }
}
