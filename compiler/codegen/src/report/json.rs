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
use serde::Serialize;
use serde_json::{json, Value};

use crate::report::ReportInput;

/// The version of the JSON report's schema.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// Renders the report as pretty-printed JSON with a final newline.
pub fn render(input: &ReportInput<'_>) -> String {
    render_generated(input, None)
}

/// [`render`], with a last top-level key `generated` holding `generated` when given (the
/// build's report file says there which plan it was generated from).
pub fn render_generated(input: &ReportInput<'_>, generated: Option<&str>) -> String {
    let mut out = Out::default();
    out.object(|report| {
        write_report(report, input);
        if let Some(text) = generated {
            report.field("generated", text);
        }
    });
    out.bytes.push(b'\n');
    // Only serde_json's string escapes and `str` pieces were written, so the bytes are UTF-8.
    String::from_utf8(out.bytes).unwrap_or_default()
}

/// The report as a JSON value, in the shape [`schema`] describes, keys in order.
pub fn value(input: &ReportInput<'_>) -> Value {
    serde_json::from_str(&render(input)).unwrap_or(Value::Null)
}

/// A JSON text written as it is produced, with `serde_json::to_string_pretty`'s layout (two
/// spaces of indentation, `"key": value`, `[]` and `{}` when empty), so that the report takes
/// no intermediate `serde_json::Value`: building one, with a hashed map per object, and then
/// serialising it took four fifths of the report's time. Scalars and keys are written by
/// serde_json itself, so numbers and string escapes are exactly its own.
#[derive(Default)]
struct Out {
    bytes: Vec<u8>,
    depth: usize,
}

impl Out {
    fn scalar<T: Serialize + ?Sized>(&mut self, value: &T) {
        // Writing into a `Vec` cannot fail, and neither can serialising the scalars and
        // strings the report holds.
        let _ = serde_json::to_writer(&mut self.bytes, value);
    }

    fn line(&mut self) {
        self.bytes.push(b'\n');
        for _ in 0..self.depth {
            self.bytes.extend_from_slice(b"  ");
        }
    }

    /// An object (`{` and `}`) or an array (`[` and `]`) with the members `fill` writes.
    fn nested(&mut self, open: u8, close: u8, fill: impl FnOnce(&mut Members<'_>)) {
        self.bytes.push(open);
        self.depth += 1;
        let mut members = Members {
            out: self,
            empty: true,
        };
        fill(&mut members);
        let empty = members.empty;
        self.depth -= 1;
        if !empty {
            self.line();
        }
        self.bytes.push(close);
    }

    fn object(&mut self, fields: impl FnOnce(&mut Members<'_>)) {
        self.nested(b'{', b'}', fields);
    }

    fn array(&mut self, items: impl FnOnce(&mut Members<'_>)) {
        self.nested(b'[', b']', items);
    }
}

/// The inside of an object or an array being written. An object's members have keys
/// (`field`, `object`, `objects`, `keys`), an array's do not (`item`, `item_object`).
struct Members<'a> {
    out: &'a mut Out,
    empty: bool,
}

/// An object's members.
type Obj<'a> = Members<'a>;

impl Members<'_> {
    /// Starts the next member: a comma after the one before, a new line, the indentation.
    fn next(&mut self) {
        if !self.empty {
            self.out.bytes.push(b',');
        }
        self.empty = false;
        self.out.line();
    }

    fn key(&mut self, key: &str) {
        self.next();
        self.out.scalar(key);
        self.out.bytes.extend_from_slice(b": ");
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) {
        self.key(key);
        self.out.scalar(value);
    }

    fn object(&mut self, key: &str, fields: impl FnOnce(&mut Obj<'_>)) {
        self.key(key);
        self.out.object(fields);
    }

    /// An object, or `null` for `None`.
    fn object_or_null<T>(
        &mut self,
        key: &str,
        value: Option<T>,
        fields: impl FnOnce(&mut Obj<'_>, T),
    ) {
        match value {
            Some(value) => self.object(key, |object| fields(object, value)),
            None => self.field(key, &()),
        }
    }

    /// An array with an object for each item.
    fn objects<T>(
        &mut self,
        key: &str,
        items: impl IntoIterator<Item = T>,
        mut fields: impl FnMut(&mut Obj<'_>, T),
    ) {
        self.key(key);
        self.out.array(|array| {
            for item in items {
                array.item_object(|object| fields(object, item));
            }
        });
    }

    /// The names of assumption keys, as an array of strings.
    fn keys(&mut self, key: &str, keys: &[AssumptionKey]) {
        self.key(key);
        self.out.array(|array| {
            for it in keys {
                array.item(it.name());
            }
        });
    }

    /// An array's next item.
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) {
        self.next();
        self.out.scalar(value);
    }

    /// An array's next item, an object.
    fn item_object(&mut self, fields: impl FnOnce(&mut Obj<'_>)) {
        self.next();
        self.out.object(fields);
    }
}

/// The report's keys, in the order [`schema`] lists them.
fn write_report(report: &mut Obj<'_>, input: &ReportInput<'_>) {
    let estimate = input.estimate;
    let official = &estimate.official;
    report.field("schema_version", &JSON_SCHEMA_VERSION);
    report.object("plan", |plan| {
        plan.field("name", &estimate.plan_name);
        plan.field("cht_major", &estimate.cht_major);
        plan.field("horizon_years", &estimate.horizon_years);
        plan.field("population", &estimate.population);
        plan.field("workflows", &estimate.workflows);
        plan.field("growth_percent", &round3(estimate.growth_percent));
        plan.objects("roles", &estimate.roles, |it, role| {
            it.field("name", &role.name);
            it.field("count", &role.count);
            it.field("offline", &role.offline);
        });
    });
    report.object("official", |it| {
        it.object("input", |input| {
            let official_input = &estimate.official_input;
            input.field("population", &official_input.population);
            input.field("workflows", &official_input.workflows);
            input.field("users", &official_input.users);
            input.field("years", &official_input.years);
        });
        it.field("places", &official.places);
        it.field("contacts", &official.contacts);
        it.field("records", &official.records);
        it.field("medic_docs", &official.medic_docs);
        it.field("db_disk_gb", &official.db_disk_gb);
        it.field("overprovision_gb", &official.overprovision_gb);
        it.field("root_volume_gb", &official.root_volume_gb);
        it.field("total_disk_gb", &official.total_disk_gb);
        it.field("docs_per_user", &round3(official.docs_per_user));
        it.field("cpu_factor", &round3(official.cpu_factor));
        it.field("cpus", &official.cpus);
        it.field("ram_gb", &official.ram_gb);
        it.field("disk_monthly_cents", &official.disk_monthly.cents());
        it.field("compute_monthly_cents", &official.compute_monthly.cents());
        it.field("monthly_cents", &official.monthly.cents());
        it.field("yearly_cents", &official.yearly.cents());
        it.keys("assumptions", OFFICIAL_ASSUMPTIONS);
    });
    report.objects("environments", &estimate.environments, environment);
    report.field("monthly_total_cents", &cents(estimate.monthly_total));
    report.objects("findings", &estimate.findings, |it, finding| {
        it.field("severity", &finding.severity.to_string());
        it.field("code", &finding.code);
        it.field("environment", &finding.environment);
        it.field("message", &finding.message);
        it.keys("assumptions", &finding.assumptions);
        it.field(
            "suppressed",
            &input.suppression_of(finding).map(|it| it.reason.as_str()),
        );
    });
    report.objects("suppressions", &input.suppressions, |it, suppression| {
        it.field("environment", &suppression.environment);
        it.field("code", &suppression.code);
        it.field("reason", &suppression.reason);
    });
    report.objects(
        "assumptions",
        estimate.assumptions.entries(),
        |it, entry| {
            it.field("key", &entry.def.name);
            it.field("value", &entry.value);
            it.field("default", &entry.def.default);
            it.field("unit", &entry.def.unit);
            it.field("min", &entry.def.min);
            it.field("max", &entry.def.max);
            it.field("overridden", &entry.overridden);
            it.field("source", &entry.def.source);
            it.field("doc", &entry.def.doc);
        },
    );
    report.objects(
        "rejected_overrides",
        &estimate.rejected_overrides,
        |it, rejected| {
            it.field("key", &rejected.name);
            it.field("value", &rejected.value);
            it.field("reason", &rejected.reason.to_string());
        },
    );
    report.objects("price_tables", &estimate.price_tables, |it, table| {
        it.field("provider", &table.provider);
        it.field("prices_date", &table.prices_date);
        it.field("prices_source", &table.prices_source);
    });
}

fn environment(it: &mut Obj<'_>, env: &EnvironmentEstimate) {
    it.field("name", &env.name);
    it.field("kind", env.kind.name());
    it.object("target", |target| match &env.target {
        Target::Compose => {
            target.field("kind", "compose");
            target.field("distribution", &());
        }
        Target::Kubernetes { distribution } => {
            target.field("kind", "kubernetes");
            target.field("distribution", distribution.name());
        }
    });
    it.object("infra", |infra| match &env.infra {
        Infra::Local => infra.field("kind", "local"),
        Infra::OnPrem {
            nodes,
            cpu,
            memory_gib,
            disk_gib,
        } => {
            infra.field("kind", "onprem");
            infra.field("nodes", nodes);
            infra.field("cpu", cpu);
            infra.field("memory_gib", memory_gib);
            infra.field("disk_gib", disk_gib);
        }
        Infra::Cloud {
            provider,
            region,
            price_factor_percent,
        } => {
            infra.field("kind", "cloud");
            infra.field("provider", provider);
            infra.field("region", region);
            infra.field("price_factor_percent", &round3(*price_factor_percent));
        }
    });
    it.field(
        "scale_percent",
        &round3(env.scale_basis_points as f64 / 100.0),
    );
    it.field("couchdb_nodes", &env.couchdb_nodes);
    it.field("users", &env.users);
    it.objects("roles", &env.roles, |it, role| {
        it.field("name", &role.name);
        it.field("users", &role.users);
        it.field("offline", &role.offline);
        it.field("docs_per_user", &role.docs_per_user);
    });
    it.objects("years", &env.years, |it, year| {
        it.field("year", &year.year);
        it.field("population", &year.population);
        it.field("places", &year.places);
        it.field("contacts", &year.contacts);
        it.field("records_in_year", &year.records_in_year);
        it.field("medic_docs", &year.medic_docs);
        it.field("couchdb_data_gib", &year.couchdb_data_gib);
        it.field("upgrade_headroom_gib", &year.upgrade_headroom_gib);
        it.field("postgres_gib", &year.postgres_gib);
        it.field("storage_gib", &year.storage_gib);
    });
    it.object("compute", |it| {
        let compute = &env.compute;
        it.field("docs_per_user", &compute.docs_per_user);
        it.field("cpu_factor", &round3(compute.cpu_factor));
        it.field("calculator_cpus", &compute.calculator_cpus);
        it.field("load_millicpu", &compute.load_millicpu);
        it.field("required_millicpu", &compute.required_millicpu);
        it.field("required_memory_mib", &compute.required_memory_mib);
    });
    let storage = &env.storage;
    it.object("storage", |it| {
        it.field("couchdb_data_gib", &storage.couchdb_data_gib);
        it.field("upgrade_headroom_gib", &storage.upgrade_headroom_gib);
        it.field("couchdb_volume_gib", &storage.couchdb_volume_gib);
        it.field("logs_gib", &storage.logs_gib);
        it.field("containers", &storage.containers);
        it.object_or_null("backup", storage.backup.as_ref(), |it, backup| {
            it.field("every_hours", &backup.every_hours);
            it.field("keep_days", &backup.keep_days);
            it.field("copies", &backup.copies);
            it.field(
                "change_per_copy_basis_points",
                &backup.change_per_copy_basis_points,
            );
            it.field("data_gib", &backup.data_gib);
            it.field("backup_gib", &backup.backup_gib);
            it.field("offsite_gib", &backup.offsite_gib);
        });
        it.field("postgres_gib", &storage.postgres_gib);
        it.field("postgres_volume_gib", &storage.postgres_volume_gib);
        it.field("prometheus_gib", &storage.prometheus_gib);
    });
    it.objects("services", &env.services, |it, service| {
        it.field("service", service.service.name());
        it.field("replicas", &service.replicas);
        it.field("cpu_request_millicpu", &service.cpu_request_millicpu);
        it.field("cpu_limit_millicpu", &service.cpu_limit_millicpu);
        it.field("memory_request_mib", &service.memory_request_mib);
        it.field("memory_limit_mib", &service.memory_limit_mib);
        it.keys("assumptions", &service.assumptions);
    });
    it.objects("node_groups", &env.node_groups, |it, group| {
        it.field("role", group.role.id());
        it.field("nodes", &group.nodes);
        it.field("millicpu_per_node", &group.millicpu_per_node);
        it.field("memory_mib_per_node", &group.memory_mib_per_node);
        it.field("root_disk_gib_per_node", &group.root_disk_gib_per_node);
        it.field("sized_by_load", &group.sized_by_load);
        it.object_or_null("instance", group.instance.as_ref(), |it, instance| {
            it.field("name", &instance.name);
            it.field("vcpu", &instance.vcpu);
            it.field("memory_mib", &instance.memory_mib);
            it.field("nodes", &instance.nodes);
            it.field("hourly_micros", &instance.hourly.micros());
            it.field("reason", &instance.reason);
        });
    });
    it.object_or_null("hardware", env.hardware.as_ref(), |it, fit| {
        it.object("required", |it| hardware(it, &fit.required));
        it.object_or_null("provided", fit.provided.as_ref(), hardware);
        it.object_or_null("shortfall", fit.shortfall.as_ref(), hardware);
        it.field("misfits", &fit.misfits);
        it.objects("separate_hosts", &fit.separate_hosts, |it, (role, host)| {
            it.field("role", role.id());
            it.field("machines", &host.machines);
            it.field("cores", &host.cores);
            it.field("memory_gib", &host.memory_gib);
            it.field("disk_gib", &host.disk_gib);
        });
        it.field("backup_storage_gib", &fit.backup_storage_gib);
    });
    it.objects("line_items", &env.line_items, |it, item| {
        it.field("id", &item.id);
        it.field("label", &item.label);
        it.field("component", item.component.id());
        it.field("quantity", &item.quantity);
        it.field("unit", item.unit.label());
        it.field("unit_price_micros", &item.unit_price.map(Money::micros));
        it.field("monthly_cents", &cents(item.monthly));
        it.field("detail", &item.detail);
        it.keys("assumptions", &item.assumptions);
    });
    it.object_or_null("prices", env.prices.as_ref(), |it, prices| {
        it.field("provider", &prices.provider);
        it.field("prices_date", &prices.prices_date);
        it.field("prices_source", &prices.prices_source);
    });
    it.field("monthly_cents", &cents(env.monthly_cost));
}

fn hardware(it: &mut Obj<'_>, hardware: &Hardware) {
    it.field("machines", &hardware.machines);
    it.field("cores", &hardware.cores);
    it.field("memory_gib", &hardware.memory_gib);
    it.field("disk_gib", &hardware.disk_gib);
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
