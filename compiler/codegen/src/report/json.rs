//! The JSON report, for CI and other tools, and its JSON Schema.
//!
//! # Schema (version 1)
//!
//! [`schema`] returns the full JSON Schema (draft 2020-12); this is its outline.
//! Keys appear in the order listed. Money is in integer US cents (`*_cents`) or, for unit prices that need more
//! precision, integer micro-dollars (`*_micros`); a line item's cents are its exact micro-dollar cost rounded
//! half up, and totals add the rounded line items. CPU is in milli-CPUs (`*_millicpu`), memory in MiB
//! (`*_mib`), storage in GiB (`*_gib`); the calculator's own figures keep its GB (`*_gb`).
//! `null` means "not applicable" (an unpriced environment has `monthly_cents: null`).
//!
//! - `schema_version`: integer, [`JSON_SCHEMA_VERSION`]; it changes when a field is removed or changes meaning.
//! - `plan`: `name`, `cht_major`, `horizon_years`, `population`, `workflows`, `growth_percent`,
//!   `roles` (`name`, `count`, `offline`).
//! - `official`: CHT's calculator for the whole plan: `input` (`population`, `workflows`, `users`, `years`),
//!   `places`, `contacts`, `records`, `medic_docs`, `db_disk_gb`, `overprovision_gb`, `root_volume_gb`,
//!   `total_disk_gb`, `docs_per_user`, `cpu_factor`, `cpus`, `ram_gb`, `disk_monthly_cents`,
//!   `compute_monthly_cents`, `monthly_cents`, `yearly_cents`, `assumptions` (keys).
//! - `environments[]`: `name`, `kind`, `target` (`kind`: `compose` or `kubernetes`, `distribution`),
//!   `infra` (`kind`: `local`, `onprem` or `cloud`, with `nodes`, `cpu`, `memory_gib`, `disk_gib` or
//!   `provider`, `region`, `price_factor_percent`), `scale_percent`, `couchdb_nodes`, `users`,
//!   `roles[]` (`name`, `users`, `offline`, `docs_per_user`), `years[]` (`year`, `population`, `places`,
//!   `contacts`, `records_in_year`, `medic_docs`, `couchdb_data_gib`, `upgrade_headroom_gib`, `postgres_gib`,
//!   `storage_gib`), `compute` (`docs_per_user`, `cpu_factor`, `calculator_cpus`, `load_millicpu`,
//!   `required_millicpu`, `required_memory_mib`), `storage` (`couchdb_data_gib`, `upgrade_headroom_gib`,
//!   `couchdb_volume_gib` per node, `logs_gib`, `containers`, `backup`, `postgres_gib`, `postgres_volume_gib`,
//!   `prometheus_gib`), `services[]` (`service`, `replicas`, `cpu_request_millicpu`, `cpu_limit_millicpu`,
//!   `memory_request_mib`, `memory_limit_mib`, `assumptions`), `node_groups[]` (`role`, `nodes`,
//!   `millicpu_per_node`, `memory_mib_per_node`, `root_disk_gib_per_node`, `sized_by_load`, `instance`:
//!   `name`, `vcpu`, `memory_mib`, `nodes`, `hourly_micros`, `reason`), `hardware` (`required`, `provided`,
//!   `shortfall`, each `machines`, `cores`, `memory_gib`, `disk_gib`; `misfits`, `separate_hosts`,
//!   `backup_storage_gib`), `line_items[]` (`id`, `label`, `component`, `quantity`, `unit`,
//!   `unit_price_micros`, `monthly_cents`, `detail`, `assumptions`), `prices`, `monthly_cents`.
//! - `monthly_total_cents`: the sum over priced environments.
//! - `findings[]`: `severity` (`info` or `warning`), `code`, `environment`, `message`, `assumptions`,
//!   `suppressed` (the plan's reason, or `null`).
//! - `suppressions[]`: `environment`, `code`, `reason`.
//! - `assumptions[]`: `key`, `value`, `default`, `unit`, `min`, `max`, `overridden`, `source`, `doc`.
//! - `rejected_overrides[]`: `key`, `value` (`null` when not finite), `reason`.
//! - `price_tables[]`: `provider`, `prices_date`, `prices_source`.

use hostplan_core::estimate::{
    assumptions::AssumptionKey,
    format::round3,
    input::{Infra, Target},
    money::Money,
    official::OFFICIAL_ASSUMPTIONS,
    output::{EnvironmentEstimate, Hardware},
};
use serde_json::{json, Value};

use crate::report::ReportInput;

/// The version of the JSON report's schema.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// Renders the report as pretty-printed JSON with a final newline.
pub fn render(input: &ReportInput<'_>) -> String {
    // Serialising a `Value` cannot fail: its keys are strings and it holds no non-finite numbers.
    let mut res = serde_json::to_string_pretty(&value(input)).unwrap_or_default();
    res.push('\n');
    res
}

/// The report as a JSON value, in the shape [`schema`] describes.
///
/// Objects that hold other objects or lists are built with `Value::from_iter`, which moves
/// the values in: `json!` serialises every value it interpolates, so a list of objects passed
/// to it is copied whole, and the copies were a third of the report's cost.
pub fn value(input: &ReportInput<'_>) -> Value {
    let estimate = input.estimate;
    let official = &estimate.official;
    Value::from_iter([
        ("schema_version", json!(JSON_SCHEMA_VERSION)),
        (
            "plan",
            Value::from_iter([
                ("name", json!(estimate.plan_name)),
                ("cht_major", json!(estimate.cht_major)),
                ("horizon_years", json!(estimate.horizon_years)),
                ("population", json!(estimate.population)),
                ("workflows", json!(estimate.workflows)),
                ("growth_percent", json!(round3(estimate.growth_percent))),
                (
                    "roles",
                    estimate
                        .roles
                        .iter()
                        .map(|role| {
                            json!({
                                "name": role.name,
                                "count": role.count,
                                "offline": role.offline,
                            })
                        })
                        .collect::<Value>(),
                ),
            ]),
        ),
        (
            "official",
            json!({
                "input": {
                    "population": estimate.official_input.population,
                    "workflows": estimate.official_input.workflows,
                    "users": estimate.official_input.users,
                    "years": estimate.official_input.years,
                },
                "places": official.places,
                "contacts": official.contacts,
                "records": official.records,
                "medic_docs": official.medic_docs,
                "db_disk_gb": official.db_disk_gb,
                "overprovision_gb": official.overprovision_gb,
                "root_volume_gb": official.root_volume_gb,
                "total_disk_gb": official.total_disk_gb,
                "docs_per_user": round3(official.docs_per_user),
                "cpu_factor": round3(official.cpu_factor),
                "cpus": official.cpus,
                "ram_gb": official.ram_gb,
                "disk_monthly_cents": official.disk_monthly.cents(),
                "compute_monthly_cents": official.compute_monthly.cents(),
                "monthly_cents": official.monthly.cents(),
                "yearly_cents": official.yearly.cents(),
                "assumptions": keys(OFFICIAL_ASSUMPTIONS),
            }),
        ),
        (
            "environments",
            estimate
                .environments
                .iter()
                .map(environment)
                .collect::<Value>(),
        ),
        ("monthly_total_cents", json!(cents(estimate.monthly_total))),
        (
            "findings",
            estimate
                .findings
                .iter()
                .map(|finding| {
                    json!({
                        "severity": finding.severity.to_string(),
                        "code": finding.code,
                        "environment": finding.environment,
                        "message": finding.message,
                        "assumptions": keys(&finding.assumptions),
                        "suppressed": input.suppression_of(finding).map(|it| it.reason.clone()),
                    })
                })
                .collect::<Value>(),
        ),
        (
            "suppressions",
            input
                .suppressions
                .iter()
                .map(|it| {
                    json!({
                        "environment": it.environment,
                        "code": it.code,
                        "reason": it.reason,
                    })
                })
                .collect::<Value>(),
        ),
        (
            "assumptions",
            estimate
                .assumptions
                .entries()
                .iter()
                .map(|entry| {
                    json!({
                        "key": entry.def.name,
                        "value": entry.value,
                        "default": entry.def.default,
                        "unit": entry.def.unit,
                        "min": entry.def.min,
                        "max": entry.def.max,
                        "overridden": entry.overridden,
                        "source": entry.def.source,
                        "doc": entry.def.doc,
                    })
                })
                .collect::<Value>(),
        ),
        (
            "rejected_overrides",
            estimate
                .rejected_overrides
                .iter()
                .map(|it| {
                    json!({
                        "key": it.name,
                        "value": it.value,
                        "reason": it.reason.to_string(),
                    })
                })
                .collect::<Value>(),
        ),
        (
            "price_tables",
            estimate
                .price_tables
                .iter()
                .map(|it| {
                    json!({
                        "provider": it.provider,
                        "prices_date": it.prices_date,
                        "prices_source": it.prices_source,
                    })
                })
                .collect::<Value>(),
        ),
    ])
}

fn environment(env: &EnvironmentEstimate) -> Value {
    let target = match &env.target {
        Target::Compose => json!({ "kind": "compose", "distribution": null }),
        Target::Kubernetes { distribution } => {
            json!({ "kind": "kubernetes", "distribution": distribution.name() })
        }
    };
    let infra = match &env.infra {
        Infra::Local => json!({ "kind": "local" }),
        Infra::OnPrem {
            nodes,
            cpu,
            memory_gib,
            disk_gib,
        } => json!({
            "kind": "onprem",
            "nodes": nodes,
            "cpu": cpu,
            "memory_gib": memory_gib,
            "disk_gib": disk_gib,
        }),
        Infra::Cloud {
            provider,
            region,
            price_factor_percent,
        } => json!({
            "kind": "cloud",
            "provider": provider,
            "region": region,
            "price_factor_percent": round3(*price_factor_percent),
        }),
    };
    let storage = &env.storage;
    Value::from_iter([
        ("name", json!(env.name)),
        ("kind", json!(env.kind.name())),
        ("target", target),
        ("infra", infra),
        (
            "scale_percent",
            json!(round3(env.scale_basis_points as f64 / 100.0)),
        ),
        ("couchdb_nodes", json!(env.couchdb_nodes)),
        ("users", json!(env.users)),
        (
            "roles",
            env.roles
                .iter()
                .map(|role| {
                    json!({
                        "name": role.name,
                        "users": role.users,
                        "offline": role.offline,
                        "docs_per_user": role.docs_per_user,
                    })
                })
                .collect::<Value>(),
        ),
        (
            "years",
            env.years
                .iter()
                .map(|year| {
                    json!({
                        "year": year.year,
                        "population": year.population,
                        "places": year.places,
                        "contacts": year.contacts,
                        "records_in_year": year.records_in_year,
                        "medic_docs": year.medic_docs,
                        "couchdb_data_gib": year.couchdb_data_gib,
                        "upgrade_headroom_gib": year.upgrade_headroom_gib,
                        "postgres_gib": year.postgres_gib,
                        "storage_gib": year.storage_gib,
                    })
                })
                .collect::<Value>(),
        ),
        (
            "compute",
            json!({
                "docs_per_user": env.compute.docs_per_user,
                "cpu_factor": round3(env.compute.cpu_factor),
                "calculator_cpus": env.compute.calculator_cpus,
                "load_millicpu": env.compute.load_millicpu,
                "required_millicpu": env.compute.required_millicpu,
                "required_memory_mib": env.compute.required_memory_mib,
            }),
        ),
        (
            "storage",
            Value::from_iter([
                ("couchdb_data_gib", json!(storage.couchdb_data_gib)),
                ("upgrade_headroom_gib", json!(storage.upgrade_headroom_gib)),
                ("couchdb_volume_gib", json!(storage.couchdb_volume_gib)),
                ("logs_gib", json!(storage.logs_gib)),
                ("containers", json!(storage.containers)),
                (
                    "backup",
                    Value::from(storage.backup.as_ref().map(|it| {
                        json!({
                            "every_hours": it.every_hours,
                            "keep_days": it.keep_days,
                            "copies": it.copies,
                            "change_per_copy_basis_points": it.change_per_copy_basis_points,
                            "data_gib": it.data_gib,
                            "backup_gib": it.backup_gib,
                            "offsite_gib": it.offsite_gib,
                        })
                    })),
                ),
                ("postgres_gib", json!(storage.postgres_gib)),
                ("postgres_volume_gib", json!(storage.postgres_volume_gib)),
                ("prometheus_gib", json!(storage.prometheus_gib)),
            ]),
        ),
        (
            "services",
            env.services
                .iter()
                .map(|it| {
                    json!({
                        "service": it.service.name(),
                        "replicas": it.replicas,
                        "cpu_request_millicpu": it.cpu_request_millicpu,
                        "cpu_limit_millicpu": it.cpu_limit_millicpu,
                        "memory_request_mib": it.memory_request_mib,
                        "memory_limit_mib": it.memory_limit_mib,
                        "assumptions": keys(&it.assumptions),
                    })
                })
                .collect::<Value>(),
        ),
        (
            "node_groups",
            env.node_groups
                .iter()
                .map(|group| {
                    Value::from_iter([
                        ("role", json!(group.role.id())),
                        ("nodes", json!(group.nodes)),
                        ("millicpu_per_node", json!(group.millicpu_per_node)),
                        ("memory_mib_per_node", json!(group.memory_mib_per_node)),
                        (
                            "root_disk_gib_per_node",
                            json!(group.root_disk_gib_per_node),
                        ),
                        ("sized_by_load", json!(group.sized_by_load)),
                        (
                            "instance",
                            Value::from(group.instance.as_ref().map(|it| {
                                json!({
                                    "name": it.name,
                                    "vcpu": it.vcpu,
                                    "memory_mib": it.memory_mib,
                                    "nodes": it.nodes,
                                    "hourly_micros": it.hourly.micros(),
                                    "reason": it.reason,
                                })
                            })),
                        ),
                    ])
                })
                .collect::<Value>(),
        ),
        (
            "hardware",
            Value::from(env.hardware.as_ref().map(|it| {
                Value::from_iter([
                    ("required", hardware(&it.required)),
                    ("provided", Value::from(it.provided.as_ref().map(hardware))),
                    (
                        "shortfall",
                        Value::from(it.shortfall.as_ref().map(hardware)),
                    ),
                    ("misfits", json!(it.misfits)),
                    (
                        "separate_hosts",
                        it.separate_hosts
                            .iter()
                            .map(|(role, host)| {
                                json!({
                                    "role": role.id(),
                                    "machines": host.machines,
                                    "cores": host.cores,
                                    "memory_gib": host.memory_gib,
                                    "disk_gib": host.disk_gib,
                                })
                            })
                            .collect::<Value>(),
                    ),
                    ("backup_storage_gib", json!(it.backup_storage_gib)),
                ])
            })),
        ),
        (
            "line_items",
            env.line_items
                .iter()
                .map(|item| {
                    json!({
                        "id": item.id,
                        "label": item.label,
                        "component": item.component.id(),
                        "quantity": item.quantity,
                        "unit": item.unit.label(),
                        "unit_price_micros": item.unit_price.map(Money::micros),
                        "monthly_cents": cents(item.monthly),
                        "detail": item.detail,
                        "assumptions": keys(&item.assumptions),
                    })
                })
                .collect::<Value>(),
        ),
        (
            "prices",
            Value::from(env.prices.as_ref().map(|it| {
                json!({
                    "provider": it.provider,
                    "prices_date": it.prices_date,
                    "prices_source": it.prices_source,
                })
            })),
        ),
        ("monthly_cents", json!(cents(env.monthly_cost))),
    ])
}

fn hardware(it: &Hardware) -> Value {
    json!({
        "machines": it.machines,
        "cores": it.cores,
        "memory_gib": it.memory_gib,
        "disk_gib": it.disk_gib,
    })
}

fn keys(keys: &[AssumptionKey]) -> Vec<&'static str> {
    keys.iter().map(|key| key.name()).collect()
}

fn cents(money: Option<Money>) -> Option<u64> {
    money.map(Money::cents)
}

/// The JSON Schema (draft 2020-12) of the JSON report.
pub fn schema() -> Value {
    let uint = json!({ "type": "integer", "minimum": 0 });
    let uint_or_null = json!({ "type": ["integer", "null"], "minimum": 0 });
    let string = json!({ "type": "string" });
    let string_or_null = json!({ "type": ["string", "null"] });
    let number = json!({ "type": "number" });
    let boolean = json!({ "type": "boolean" });
    let keys = json!({ "type": "array", "items": { "type": "string" } });
    let strings = json!({ "type": "array", "items": { "type": "string" } });
    let array_of = |reference: &str| json!({ "type": "array", "items": { "$ref": format!("#/$defs/{reference}") } });
    let reference = |name: &str| json!({ "$ref": format!("#/$defs/{name}") });
    let nullable = |name: &str| json!({ "oneOf": [{ "type": "null" }, { "$ref": format!("#/$defs/{name}") }] });

    let object = |properties: Vec<(&str, Value)>| {
        let required: Vec<&str> = properties.iter().map(|it| it.0).collect();
        let mut map = serde_json::Map::new();
        for (name, schema) in properties {
            map.insert(name.to_owned(), schema);
        }
        json!({
            "type": "object",
            "properties": Value::Object(map),
            "required": required,
            "additionalProperties": false,
        })
    };

    let defs = json!({
        "plan": object(vec![
            ("name", string.clone()),
            ("cht_major", uint.clone()),
            ("horizon_years", uint.clone()),
            ("population", uint.clone()),
            ("workflows", uint.clone()),
            ("growth_percent", number.clone()),
            ("roles", array_of("role")),
        ]),
        "role": object(vec![
            ("name", string.clone()),
            ("count", uint.clone()),
            ("offline", boolean.clone()),
        ]),
        "official": object(vec![
            ("input", object(vec![
                ("population", uint.clone()),
                ("workflows", uint.clone()),
                ("users", uint.clone()),
                ("years", uint.clone()),
            ])),
            ("places", uint.clone()),
            ("contacts", uint.clone()),
            ("records", uint.clone()),
            ("medic_docs", uint.clone()),
            ("db_disk_gb", uint.clone()),
            ("overprovision_gb", uint.clone()),
            ("root_volume_gb", uint.clone()),
            ("total_disk_gb", uint.clone()),
            ("docs_per_user", number.clone()),
            ("cpu_factor", number.clone()),
            ("cpus", uint.clone()),
            ("ram_gb", uint.clone()),
            ("disk_monthly_cents", uint.clone()),
            ("compute_monthly_cents", uint.clone()),
            ("monthly_cents", uint.clone()),
            ("yearly_cents", uint.clone()),
            ("assumptions", keys.clone()),
        ]),
        "environment": object(vec![
            ("name", string.clone()),
            ("kind", json!({ "enum": ["development", "test", "staging", "production"] })),
            ("target", object(vec![
                ("kind", json!({ "enum": ["compose", "kubernetes"] })),
                ("distribution", string_or_null.clone()),
            ])),
            ("infra", json!({ "oneOf": [
                object(vec![("kind", json!({ "const": "local" }))]),
                object(vec![
                    ("kind", json!({ "const": "onprem" })),
                    ("nodes", uint.clone()),
                    ("cpu", uint.clone()),
                    ("memory_gib", uint.clone()),
                    ("disk_gib", uint.clone()),
                ]),
                object(vec![
                    ("kind", json!({ "const": "cloud" })),
                    ("provider", string.clone()),
                    ("region", string.clone()),
                    ("price_factor_percent", number.clone()),
                ]),
            ] })),
            ("scale_percent", number.clone()),
            ("couchdb_nodes", uint.clone()),
            ("users", uint.clone()),
            ("roles", array_of("role_load")),
            ("years", array_of("year")),
            ("compute", object(vec![
                ("docs_per_user", uint.clone()),
                ("cpu_factor", number.clone()),
                ("calculator_cpus", uint.clone()),
                ("load_millicpu", uint.clone()),
                ("required_millicpu", uint.clone()),
                ("required_memory_mib", uint.clone()),
            ])),
            ("storage", object(vec![
                ("couchdb_data_gib", uint.clone()),
                ("upgrade_headroom_gib", uint.clone()),
                ("couchdb_volume_gib", uint.clone()),
                ("logs_gib", uint.clone()),
                ("containers", uint.clone()),
                ("backup", nullable("backup")),
                ("postgres_gib", uint_or_null.clone()),
                ("postgres_volume_gib", uint_or_null.clone()),
                ("prometheus_gib", uint_or_null.clone()),
            ])),
            ("services", array_of("service")),
            ("node_groups", array_of("node_group")),
            ("hardware", nullable("hardware_check")),
            ("line_items", array_of("line_item")),
            ("prices", nullable("price_table")),
            ("monthly_cents", uint_or_null.clone()),
        ]),
        "role_load": object(vec![
            ("name", string.clone()),
            ("users", uint.clone()),
            ("offline", boolean.clone()),
            ("docs_per_user", uint_or_null.clone()),
        ]),
        "year": object(vec![
            ("year", uint.clone()),
            ("population", uint.clone()),
            ("places", uint.clone()),
            ("contacts", uint.clone()),
            ("records_in_year", uint.clone()),
            ("medic_docs", uint.clone()),
            ("couchdb_data_gib", uint.clone()),
            ("upgrade_headroom_gib", uint.clone()),
            ("postgres_gib", uint.clone()),
            ("storage_gib", uint.clone()),
        ]),
        "backup": object(vec![
            ("every_hours", uint.clone()),
            ("keep_days", uint.clone()),
            ("copies", uint.clone()),
            ("change_per_copy_basis_points", uint.clone()),
            ("data_gib", uint.clone()),
            ("backup_gib", uint.clone()),
            ("offsite_gib", uint.clone()),
        ]),
        "service": object(vec![
            ("service", json!({ "enum": ["couchdb", "nouveau", "api", "sentinel", "haproxy", "nginx"] })),
            ("replicas", uint.clone()),
            ("cpu_request_millicpu", uint.clone()),
            ("cpu_limit_millicpu", uint.clone()),
            ("memory_request_mib", uint.clone()),
            ("memory_limit_mib", uint.clone()),
            ("assumptions", keys.clone()),
        ]),
        "node_group": object(vec![
            ("role", json!({ "enum": ["cht-host", "couchdb", "services", "control-plane", "cht-sync", "watchdog"] })),
            ("nodes", uint.clone()),
            ("millicpu_per_node", uint.clone()),
            ("memory_mib_per_node", uint.clone()),
            ("root_disk_gib_per_node", uint.clone()),
            ("sized_by_load", boolean.clone()),
            ("instance", nullable("instance")),
        ]),
        "instance": object(vec![
            ("name", string.clone()),
            ("vcpu", uint.clone()),
            ("memory_mib", uint.clone()),
            ("nodes", uint.clone()),
            ("hourly_micros", uint.clone()),
            ("reason", string.clone()),
        ]),
        "hardware": object(vec![
            ("machines", uint.clone()),
            ("cores", uint.clone()),
            ("memory_gib", uint.clone()),
            ("disk_gib", uint.clone()),
        ]),
        "hardware_check": object(vec![
            ("required", reference("hardware")),
            ("provided", nullable("hardware")),
            ("shortfall", nullable("hardware")),
            ("misfits", strings.clone()),
            ("separate_hosts", array_of("separate_host")),
            ("backup_storage_gib", uint.clone()),
        ]),
        "separate_host": object(vec![
            ("role", string.clone()),
            ("machines", uint.clone()),
            ("cores", uint.clone()),
            ("memory_gib", uint.clone()),
            ("disk_gib", uint.clone()),
        ]),
        "line_item": object(vec![
            ("id", string.clone()),
            ("label", string.clone()),
            ("component", json!({ "enum": ["compute", "storage", "backup", "monitoring", "analytics", "platform"] })),
            ("quantity", uint.clone()),
            ("unit", json!({ "enum": ["GiB-month", "node-hours", "cluster-hours", "vCPU", "GiB"] })),
            ("unit_price_micros", uint_or_null.clone()),
            ("monthly_cents", uint_or_null.clone()),
            ("detail", string.clone()),
            ("assumptions", keys.clone()),
        ]),
        "price_table": object(vec![
            ("provider", string.clone()),
            ("prices_date", string.clone()),
            ("prices_source", string.clone()),
        ]),
        "finding": object(vec![
            ("severity", json!({ "enum": ["info", "warning"] })),
            ("code", string.clone()),
            ("environment", string_or_null.clone()),
            ("message", string.clone()),
            ("assumptions", keys.clone()),
            ("suppressed", string_or_null.clone()),
        ]),
        "suppression": object(vec![
            ("environment", string.clone()),
            ("code", string.clone()),
            ("reason", string.clone()),
        ]),
        "assumption": object(vec![
            ("key", string.clone()),
            ("value", number.clone()),
            ("default", number.clone()),
            ("unit", string.clone()),
            ("min", number.clone()),
            ("max", number.clone()),
            ("overridden", boolean.clone()),
            ("source", string.clone()),
            ("doc", string.clone()),
        ]),
        "rejected_override": object(vec![
            ("key", string.clone()),
            ("value", json!({ "type": ["number", "null"] })),
            ("reason", string.clone()),
        ]),
    });

    let mut root = object(vec![
        ("schema_version", json!({ "const": JSON_SCHEMA_VERSION })),
        ("plan", reference("plan")),
        ("official", reference("official")),
        ("environments", array_of("environment")),
        ("monthly_total_cents", uint_or_null),
        ("findings", array_of("finding")),
        ("suppressions", array_of("suppression")),
        ("assumptions", array_of("assumption")),
        ("rejected_overrides", array_of("rejected_override")),
        ("price_tables", array_of("price_table")),
    ]);
    if let Some(Value::Object(properties)) = root.get_mut("properties") {
        // JSON has no comments; `hostplan build` says in this optional field that the file is
        // generated and from which plan.
        properties.insert("generated".to_owned(), string.clone());
    }
    if let Value::Object(map) = &mut root {
        let mut head = serde_json::Map::new();
        head.insert(
            "$schema".to_owned(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        head.insert(
            "title".to_owned(),
            json!("Hostplan capacity and cost estimate"),
        );
        head.insert(
            "description".to_owned(),
            json!(format!(
                "The JSON report of `hostplan estimate`, schema version {JSON_SCHEMA_VERSION}."
            )),
        );
        head.append(map);
        head.insert("$defs".to_owned(), defs);
        *map = head;
    }
    root
}
