//! Credentials: which Secrets the pods reference, how the operator creates each key, and the
//! `ExternalSecret`s (External Secrets Operator, `external-secrets.io/v1`) that fill the keys
//! whose plan secret lives in an external store.
//!
//! No Secret is ever written with a value. A plan secret from an external store becomes an
//! `ExternalSecret` that merges its key into the Secret the operator creates with the other
//! keys (`creationPolicy: Merge`), so one Secret can mix sources, as CHT's chart expects a
//! single `cht-couchdb-credentials`.

use hostplan_core::ir::{Environment, SecretBinding, SecretSlot, SecretSource};

use crate::compose::env_file::how_to_create_parts;
use crate::doc::{Map, Seq};
use crate::kubernetes::meta::{self, object, BACKUP_SECRET, CREDENTIALS_SECRET, SYNC_SECRET};
use crate::kubernetes::workloads::setting;
use crate::kubernetes::Object;

/// One key of a Secret the operator provides, and how its value is made.
#[derive(Clone, Debug)]
pub(crate) struct Key {
    pub key: String,
    /// A shell expression that yields the value, or `None` when it comes from an external
    /// store through an `ExternalSecret`.
    pub value: Option<String>,
    /// Where the value comes from, in words.
    pub how: String,
}

/// A Secret the pods reference.
#[derive(Clone, Debug)]
pub(crate) struct SecretSpec {
    pub name: String,
    pub what: String,
    pub keys: Vec<Key>,
}

/// The admin's user name: the plan's `COUCHDB_USER`, else the official default.
pub(crate) fn couchdb_user(env: &Environment) -> String {
    setting(env, "COUCHDB_USER").unwrap_or_else(|| "admin".to_string())
}

/// `http://USER:PASSWORD@haproxy.NS.svc.cluster.local:5984/medic`, with the password as given.
fn couch_url(env: &Environment, password: &str) -> String {
    format!(
        "http://{}:{password}@{}:5984/medic",
        couchdb_user(env),
        meta::fqdn(env, "haproxy")
    )
}

fn key_of(binding: Option<&SecretBinding>, key: &str) -> Key {
    let Some(binding) = binding else {
        return Key {
            key: key.to_string(),
            value: None,
            how: "not bound to a plan secret".to_string(),
        };
    };
    let (how, command) = how_to_create_parts(binding);
    let value = match &binding.source {
        SecretSource::Env(name) => Some(format!("\"${name}\"")),
        SecretSource::File(path) => Some(format!("\"$(cat '{}')\"", path.replace('\'', "'\\''"))),
        SecretSource::Generate { .. } => command.map(|it| format!("\"$({it})\"")),
        SecretSource::External { .. } => None,
    };
    Key {
        key: key.to_string(),
        value,
        how: format!("plan secret `{}`: {how}", binding.secret),
    }
}

/// Every Secret the environment's pods reference, with its keys.
pub(crate) fn specs(env: &Environment) -> Vec<SecretSpec> {
    let admin = env.secret(SecretSlot::CouchdbAdmin);
    let password = key_of(admin, "COUCHDB_PASSWORD");
    let url = Key {
        key: "COUCH_URL".to_string(),
        value: password
            .value
            .as_ref()
            .map(|_| format!("\"{}\"", couch_url(env, "$COUCHDB_PASSWORD"))),
        how: "the URL the API and Sentinel reach CouchDB by, with the admin's password".to_string(),
    };
    let mut out = vec![SecretSpec {
        name: CREDENTIALS_SECRET.to_string(),
        what: "CouchDB's admin, secret and uuid, with the keys of CHT's chart".to_string(),
        keys: vec![
            Key {
                key: "COUCHDB_USER".to_string(),
                value: Some(format!("\"{}\"", couchdb_user(env))),
                how: "the CouchDB admin's name".to_string(),
            },
            password,
            key_of(env.secret(SecretSlot::CouchdbSecret), "COUCHDB_SECRET"),
            Key {
                key: "COUCHDB_UUID".to_string(),
                value: Some("\"$(uuidgen)\"".to_string()),
                how:
                    "created once and never changed: clients' replication checkpoints depend on it"
                        .to_string(),
            },
            url,
        ],
    }];
    if env.analytics.is_some() {
        out.push(SecretSpec {
            name: SYNC_SECRET.to_string(),
            what: "the password of CHT Sync's PostgreSQL user".to_string(),
            keys: vec![key_of(
                env.secret(SecretSlot::Postgres),
                "POSTGRES_PASSWORD",
            )],
        });
    }
    if let Some(backup) = &env.backup {
        let mut keys = vec![Key {
            key: "RESTIC_PASSWORD".to_string(),
            value: Some(
                "\"$(grep -E '^[a-z]+$' /usr/share/dict/words | shuf -n 7 --random-source=/dev/urandom | paste -sd-)\""
                    .to_string(),
            ),
            how: "the key that encrypts the backups; without it no backup can be restored, so keep a copy away from the cluster".to_string(),
        }];
        if let hostplan_core::ir::BackupTarget::OperatorProvided { example } = &backup.target {
            keys.push(Key {
                key: "RESTIC_REPOSITORY".to_string(),
                value: Some(format!("\"{example}\"")),
                how: "the restic repository on another site: replace the example with yours, and add the variables restic needs for it (for example AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) to the same Secret".to_string(),
            });
        }
        out.push(SecretSpec {
            name: BACKUP_SECRET.to_string(),
            what: "the backup repository's key (and any storage credentials)".to_string(),
            keys,
        });
    }
    out
}

/// The keys of a Secret the pods reference.
fn secret_keys(name: &str) -> &'static [&'static str] {
    match name {
        CREDENTIALS_SECRET => &[
            "COUCHDB_USER",
            "COUCHDB_PASSWORD",
            "COUCHDB_SECRET",
            "COUCHDB_UUID",
            "COUCH_URL",
        ],
        SYNC_SECRET => &["POSTGRES_PASSWORD"],
        _ => &[],
    }
}

/// The `ExternalSecret`s of the environment, one per Secret and store.
pub(crate) fn external_secrets(env: &Environment) -> Vec<Object> {
    let mut out = Vec::new();
    let groups: [(&str, &[(SecretSlot, &str)]); 2] = [
        (
            CREDENTIALS_SECRET,
            &[
                (SecretSlot::CouchdbAdmin, "COUCHDB_PASSWORD"),
                (SecretSlot::CouchdbSecret, "COUCHDB_SECRET"),
            ],
        ),
        (SYNC_SECRET, &[(SecretSlot::Postgres, "POSTGRES_PASSWORD")]),
    ];
    for (target, slots) in groups {
        if target == SYNC_SECRET && env.analytics.is_none() {
            continue;
        }
        // Keys per store, in the order of the slots, stores in order of first use.
        let mut stores: Vec<(String, Vec<(&str, String)>)> = Vec::new();
        for (slot, key) in slots.iter().copied() {
            let Some(SecretSource::External { store, key: remote }) =
                env.secret(slot).map(|it| &it.source)
            else {
                continue;
            };
            match stores.iter_mut().find(|(name, _)| name == store) {
                Some((_, keys)) => keys.push((key, remote.clone())),
                None => stores.push((store.clone(), vec![(key, remote.clone())])),
            }
        }
        let count = stores.len();
        for (idx, (store, keys)) in stores.into_iter().enumerate() {
            let name = if count == 1 {
                target.to_string()
            } else {
                format!("{target}-{}", idx + 1)
            };
            let data: Seq = keys
                .iter()
                .map(|(key, remote)| {
                    Map::new()
                        .with("secretKey", *key)
                        .with("remoteRef", Map::new().with("key", remote.as_str()))
                })
                .collect();
            // When the store holds every key of the Secret, External Secrets Operator owns
            // it; otherwise the keys are merged into the Secret the operator creates.
            let owns_all = count == 1 && keys.len() == secret_keys(target).len();
            let mut target_map = Map::new()
                .with("name", target)
                .with("creationPolicy", if owns_all { "Owner" } else { "Merge" })
                .with("deletionPolicy", "Retain");
            if keys.iter().any(|(key, _)| *key == "COUCHDB_PASSWORD") {
                target_map.insert(
                    "template",
                    Map::new()
                        .with("engineVersion", "v2")
                        .with("mergePolicy", "Merge")
                        .with(
                            "data",
                            Map::new().with(
                                "COUCH_URL",
                                couch_url(env, "{{ .COUCHDB_PASSWORD | urlquery }}"),
                            ),
                        ),
                );
            }
            let map = object(
                env,
                "external-secrets.io/v1",
                "ExternalSecret",
                &name,
                Map::new(),
            )
            .with(
                "spec",
                Map::new()
                    .with("refreshInterval", "1h")
                    .with(
                        "secretStoreRef",
                        Map::new()
                            .with("name", store.as_str())
                            .with("kind", "ClusterSecretStore"),
                    )
                    .with("target", target_map)
                    .with("data", data),
            );
            let keys_list: Vec<&str> = keys.iter().map(|(key, _)| *key).collect();
            let comment = if owns_all {
                format!(
                    "Creates the Secret {target} from the store `{store}` and keeps it up to date."
                )
            } else {
                format!(
                    "Fills {} of the Secret {target} from the store `{store}`{}; the Secret itself, with its other keys, is created as the README says.",
                    keys_list.join(" and "),
                    if keys_list.contains(&"COUCHDB_PASSWORD") { ", and derives COUCH_URL from the password" } else { "" }
                )
            };
            out.push(Object::new(map, comment));
        }
    }
    out
}
