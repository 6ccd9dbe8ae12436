//! Tests of the reports on a sample national plan: layout limits, escaping, self-containment, the JSON schema,
//! traceability of every line item to the assumptions, and byte-for-byte determinism.

use hostplan_core::estimate::{
    estimate,
    input::{
        BackupInput, Distribution, EnvInput, EnvKind, Infra, InstanceOffer, PlanInput,
        ProviderPrices, RoleInput, Target,
    },
    output::PlanEstimate,
};
use serde_json::Value;

use crate::report::{chart, html, json, markdown, text, ReportInput, Suppression};

fn offer(name: &str, vcpu: u32, memory_gib: f64, hourly_usd: f64) -> InstanceOffer {
    InstanceOffer {
        name: name.to_owned(),
        vcpu,
        memory_gib,
        hourly_usd,
    }
}

fn role(name: &str, count: u64, offline: bool) -> RoleInput {
    RoleInput {
        name: name.to_owned(),
        count,
        offline,
    }
}

/// The north-star plan of the language sketch, with a sample AWS price table.
fn national_plan() -> PlanInput {
    let base = EnvInput {
        name: String::new(),
        kind: EnvKind::Production,
        scale_percent: 100.0,
        couchdb_nodes: 1,
        target: Target::Compose,
        infra: Infra::Local,
        backup: None,
        monitor_watchdog: false,
        analytics_cht_sync: false,
    };
    PlanInput {
        plan_name: "moh-national".to_owned(),
        cht_major: 5,
        horizon_years: 5,
        population: 2_400_000,
        workflows: 12,
        growth_percent: 10.0,
        roles: vec![
            role("chw", 9_000, true),
            role("supervisor", 450, true),
            role("analyst", 40, false),
        ],
        environments: vec![
            EnvInput {
                name: "dev".to_owned(),
                kind: EnvKind::Development,
                scale_percent: 0.1,
                ..base.clone()
            },
            EnvInput {
                name: "uat".to_owned(),
                kind: EnvKind::Test,
                scale_percent: 5.0,
                couchdb_nodes: 3,
                target: Target::Kubernetes {
                    distribution: Distribution::K3s,
                },
                infra: Infra::OnPrem {
                    nodes: 3,
                    cpu: 8,
                    memory_gib: 16,
                    disk_gib: 500,
                },
                ..base.clone()
            },
            EnvInput {
                name: "production".to_owned(),
                target: Target::Kubernetes {
                    distribution: Distribution::Eks,
                },
                infra: Infra::Cloud {
                    provider: "aws".to_owned(),
                    region: "af-south-1".to_owned(),
                    price_factor_percent: 115.0,
                },
                backup: Some(BackupInput {
                    every_hours: 24,
                    keep_days: 35,
                    offsite: true,
                }),
                monitor_watchdog: true,
                analytics_cht_sync: true,
                ..base
            },
        ],
        catalogue: vec![ProviderPrices {
            provider: "aws".to_owned(),
            prices_date: "2026-01-01".to_owned(),
            prices_source:
                "sample table for tests, shaped like AWS us-east-1 on-demand Linux prices"
                    .to_owned(),
            instances: vec![
                offer("c6i.large", 2, 4.0, 0.085),
                offer("c6i.xlarge", 4, 8.0, 0.17),
                offer("c6i.2xlarge", 8, 16.0, 0.34),
                offer("c6i.4xlarge", 16, 32.0, 0.68),
                offer("c6i.8xlarge", 32, 64.0, 1.36),
                offer("c6i.12xlarge", 48, 96.0, 2.04),
                offer("c6i.16xlarge", 64, 128.0, 2.72),
                offer("m6i.large", 2, 8.0, 0.096),
                offer("m6i.xlarge", 4, 16.0, 0.192),
                offer("m6i.2xlarge", 8, 32.0, 0.384),
                offer("m6i.4xlarge", 16, 64.0, 0.768),
                offer("m6i.8xlarge", 32, 128.0, 1.536),
                offer("r6i.xlarge", 4, 32.0, 0.252),
                offer("r6i.2xlarge", 8, 64.0, 0.504),
            ],
            block_storage_gib_month: 0.08,
            object_storage_gib_month: 0.023,
            kubernetes_cluster_hourly: 0.10,
        }],
        overrides: vec![
            ("backup_change_percent_per_day".to_owned(), 8.0),
            ("not_a_key".to_owned(), 1.0),
        ],
    }
}

fn suppressions() -> Vec<Suppression> {
    vec![
        Suppression::from((
            "uat".to_owned(),
            "R0102".to_owned(),
            "UAT holds anonymized data; the ministry keeps its backups on site".to_owned(),
        )),
        Suppression {
            environment: "production".to_owned(),
            code: "offline-docs-over-limit".to_owned(),
            reason: "replication_depth limits each CHW to their households; the pilot measured 6,000 docs per device"
                .to_owned(),
        },
    ]
}

fn with_report<T>(plan: &PlanEstimate, f: impl Fn(&ReportInput<'_>) -> T) -> T {
    let input = ReportInput {
        estimate: plan,
        suppressions: suppressions(),
    };
    f(&input)
}

#[test]
fn text_fits_100_columns_and_shows_the_figures() {
    let plan = estimate(&national_plan());
    let report = with_report(&plan, text::render);
    for line in report.lines() {
        assert!(line.chars().count() <= text::WIDTH, "too wide: {line:?}");
        assert_eq!(line, line.trim_end(), "trailing space: {line:?}");
    }
    assert!(report.ends_with('\n'));
    for expected in [
        "Capacity and cost estimate: moh-national",
        "CHT's official hosting cost calculator (whole plan, no growth)",
        "Environment `production`",
        "Upgrade headroom",
        "Offsite backup copy",
        "CHT Sync PostgreSQL volume",
        "Watchdog host",
        "suppressed: replication_depth limits each CHW",
        "R0102",
        "target_utilization_percent",
        "not_a_key = 1: unknown assumption",
    ] {
        assert!(report.contains(expected), "missing {expected:?}");
    }
}

#[test]
fn official_defaults_appear_in_every_format() {
    let input = PlanInput {
        plan_name: "calculator".to_owned(),
        cht_major: 5,
        horizon_years: 1,
        population: 100_000,
        workflows: 10,
        growth_percent: 0.0,
        roles: vec![role("chw", 1_000, true)],
        environments: Vec::new(),
        catalogue: Vec::new(),
        overrides: Vec::new(),
    };
    let plan = estimate(&input);
    with_report(&plan, |report| {
        let text = text::render(report);
        assert!(text.contains("1,137,000"));
        assert!(text.contains("92 GB"));
        assert!(text.contains("$90.76"));
        assert!(text.contains("$1,089.12"));
        assert!(markdown::render(report).contains("| Monthly total | $90.76 |"));
        assert!(html::render(report).contains("<td class=\"num\">$90.76</td>"));
        let value = json::value(report);
        assert_eq!(value["official"]["monthly_cents"], 9_076);
        assert_eq!(value["official"]["total_disk_gb"], 92);
        assert_eq!(value["official"]["cpus"], 4);
        assert_eq!(value["official"]["ram_gb"], 8);
    });
}

#[test]
fn markdown_tables_are_well_formed() {
    let plan = estimate(&national_plan());
    let report = with_report(&plan, markdown::render);
    let mut columns = None;
    for line in report.lines() {
        if !line.starts_with('|') {
            columns = None;
            continue;
        }
        let cells = count_unescaped_pipes(line);
        match columns {
            None => columns = Some(cells),
            Some(expected) => assert_eq!(cells, expected, "ragged row: {line}"),
        }
    }
    assert!(report.contains("## Environment production"));
    assert!(report.contains("## Suppressed rules"));
    assert!(report.contains("`offline-docs-over-limit`"));
}

fn count_unescaped_pipes(line: &str) -> usize {
    let mut count = 0;
    let mut escaped = false;
    for ch in line.chars() {
        match (ch, escaped) {
            ('\\', false) => escaped = true,
            ('|', false) => count += 1,
            _ => escaped = false,
        }
    }
    count
}

#[test]
fn names_are_escaped_in_markdown_and_html() {
    let mut input = national_plan();
    input.environments[0].name = "dev|<script>alert(1)</script>*".to_owned();
    let plan = estimate(&input);
    with_report(&plan, |report| {
        let md = markdown::render(report);
        assert!(md.contains(r"dev\|&lt;script&gt;alert(1)&lt;/script&gt;\*"));
        let page = html::render(report);
        assert!(!page.contains("<script"));
        assert!(page.contains("dev|&lt;script&gt;alert(1)&lt;/script&gt;*"));
    });
}

#[test]
fn html_is_self_contained_with_accessible_charts() {
    let plan = estimate(&national_plan());
    let page = with_report(&plan, html::render);
    for forbidden in [
        "<script", "http://", "https://", "<link", "@import", "url(", " src=",
    ] {
        assert!(!page.contains(forbidden), "found {forbidden:?}");
    }
    assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert_eq!(page.matches("<svg role=\"img\"").count(), 2);
    assert!(page.contains("aria-labelledby=\"storage-chart-title storage-chart-desc\""));
    assert!(page.contains("<title id=\"cost-chart-title\">Monthly cost by component</title>"));
    assert!(page.contains("<polyline"));
    assert!(page.contains("<rect x="));
    assert!(page.contains("Not priced: dev, uat."));
    // Write the page where a person or a headless browser can look at it; see the `html` module docs.
    let path = std::env::temp_dir().join("estimate-sample.html");
    assert!(std::fs::write(&path, &page).is_ok());
}

#[test]
fn json_matches_its_schema() {
    let plan = estimate(&national_plan());
    let value = with_report(&plan, json::value);
    let schema = json::schema();
    let mut errors = Vec::new();
    validate(&schema, &schema, &value, "$", &mut errors);
    assert_eq!(errors, Vec::<String>::new());
    assert_eq!(value["schema_version"], json::JSON_SCHEMA_VERSION);

    // The validator itself rejects what the schema forbids.
    let mut broken = value.clone();
    broken["environments"][0]["surprise"] = Value::Bool(true);
    broken["plan"]["population"] = Value::String("many".to_owned());
    let mut errors = Vec::new();
    validate(&schema, &schema, &broken, "$", &mut errors);
    assert_eq!(errors.len(), 2, "{errors:?}");

    // The report is written as it is produced, without a `Value`: its text must be exactly
    // what serde_json's pretty printer makes of the same data, empty lists and nulls included.
    let rendered = with_report(&plan, json::render);
    let pretty = serde_json::to_string_pretty(&value).expect("print");
    assert_eq!(rendered, format!("{pretty}\n"));
    assert!(rendered.contains(": []") && rendered.contains(": null"));
    let generated = with_report(&plan, |it| {
        json::render_generated(it, Some("from plan.hplan"))
    });
    let mut with_generated = value.clone();
    if let Value::Object(map) = &mut with_generated {
        map.insert("generated".to_owned(), Value::from("from plan.hplan"));
    }
    let pretty = serde_json::to_string_pretty(&with_generated).expect("print");
    assert_eq!(generated, format!("{pretty}\n"));
}

#[test]
fn every_cited_assumption_is_listed() {
    let plan = estimate(&national_plan());
    let value = with_report(&plan, json::value);
    let listed: Vec<&str> = value["assumptions"]
        .as_array()
        .map(|it| it.iter().filter_map(|a| a["key"].as_str()).collect())
        .unwrap_or_default();
    let mut cited = Vec::new();
    for env in value["environments"].as_array().into_iter().flatten() {
        for item in env["line_items"].as_array().into_iter().flatten() {
            let keys = item["assumptions"].as_array().cloned().unwrap_or_default();
            assert!(
                !keys.is_empty(),
                "line item {} names no assumption",
                item["id"]
            );
            cited.extend(keys);
        }
    }
    for key in &cited {
        assert!(
            key.as_str().is_some_and(|it| listed.contains(&it)),
            "{key} is not listed"
        );
    }
    let overridden: Vec<&str> = value["assumptions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|it| it["overridden"] == Value::Bool(true))
        .filter_map(|it| it["key"].as_str())
        .collect();
    assert_eq!(overridden, vec!["backup_change_percent_per_day"]);
}

#[test]
fn suppressions_are_rendered_and_mark_findings() {
    let plan = estimate(&national_plan());
    let value = with_report(&plan, json::value);
    assert_eq!(value["suppressions"].as_array().map(Vec::len), Some(2));
    let suppressed: Vec<&Value> = value["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|it| !it["suppressed"].is_null())
        .collect();
    assert_eq!(
        suppressed.len(),
        2,
        "both production roles are over the limit"
    );
    assert!(suppressed
        .iter()
        .all(|it| it["environment"] == "production"));
    let page = with_report(&plan, html::render);
    assert!(page.contains("UAT holds anonymized data; the ministry keeps its backups on site"));
}

#[test]
fn reports_are_byte_for_byte_deterministic() {
    let first = estimate(&national_plan());
    let second = estimate(&national_plan());
    let render_all = |plan: &PlanEstimate| {
        with_report(plan, |report| {
            [
                text::render(report),
                markdown::render(report),
                json::render(report),
                html::render(report),
            ]
        })
    };
    assert_eq!(render_all(&first), render_all(&second));
}

/// Checks `value` against the subset of JSON Schema the report's schema uses:
/// `type`, `const`, `enum`, `minimum`, `properties`, `required`, `additionalProperties: false`, `items`,
/// `oneOf` and local `$ref`s.
fn validate(root: &Value, schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/$defs/");
        validate(root, &root["$defs"][name], value, path, errors);
        return;
    }
    if let Some(options) = schema["oneOf"].as_array() {
        let matching = options
            .iter()
            .filter(|option| {
                let mut sub = Vec::new();
                validate(root, option, value, path, &mut sub);
                sub.is_empty()
            })
            .count();
        if matching != 1 {
            errors.push(format!("{path}: matches {matching} of oneOf"));
        }
        return;
    }
    if let Some(expected) = schema.get("const") {
        if expected != value {
            errors.push(format!("{path}: expected {expected}"));
        }
    }
    if let Some(options) = schema["enum"].as_array() {
        if !options.contains(value) {
            errors.push(format!("{path}: {value} not in enum"));
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(it) => vec![it.as_str()],
        Value::Array(it) => it.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() {
        let actual = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_u64() || n.is_i64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let ok = types.contains(&actual) || (actual == "integer" && types.contains(&"number"));
        if !ok {
            errors.push(format!("{path}: {actual} is not {types:?}"));
            return;
        }
    }
    if let (Some(minimum), Some(number)) = (schema["minimum"].as_f64(), value.as_f64()) {
        if number < minimum {
            errors.push(format!("{path}: {number} < {minimum}"));
        }
    }
    if let Value::Object(map) = value {
        let properties = schema["properties"].as_object();
        for required in schema["required"].as_array().into_iter().flatten() {
            if let Some(name) = required.as_str() {
                if !map.contains_key(name) {
                    errors.push(format!("{path}: missing {name}"));
                }
            }
        }
        for (name, item) in map {
            match properties.and_then(|it| it.get(name)) {
                Some(sub) => validate(root, sub, item, &format!("{path}.{name}"), errors),
                None if schema["additionalProperties"] == Value::Bool(false) => {
                    errors.push(format!("{path}: unexpected {name}"));
                }
                None => {}
            }
        }
    }
    if let (Value::Array(items), Some(item_schema)) = (value, schema.get("items")) {
        for (idx, item) in items.iter().enumerate() {
            validate(root, item_schema, item, &format!("{path}[{idx}]"), errors);
        }
    }
}

#[test]
fn chart_axes_end_on_round_numbers() {
    assert_eq!(chart::nice_scale(0), (1, 1));
    assert_eq!(chart::nice_scale(6), (6, 2));
    assert_eq!(chart::nice_scale(6_860), (8_000, 2_000));
    assert_eq!(chart::nice_scale(391_765), (400_000, 100_000));
    assert_eq!(chart::nice_scale(u64::MAX).0, u64::MAX);
}

#[test]
fn text_wraps_long_words_and_sentences() {
    assert_eq!(text::wrap("a bb ccc", 4), vec!["a bb", "ccc"]);
    assert_eq!(text::wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
    assert_eq!(text::wrap("", 4), vec![""]);
}

#[test]
fn reports_of_extreme_plans_do_not_panic() {
    let mut input = national_plan();
    input.population = u64::MAX;
    input.workflows = u64::MAX;
    input.horizon_years = u32::MAX;
    input.growth_percent = f64::NAN;
    input.roles.push(role("everyone", u64::MAX, true));
    input.environments[0].scale_percent = f64::INFINITY;
    input.environments[1].couchdb_nodes = 0;
    input.overrides.push(("users_per_cpu".to_owned(), f64::NAN));
    let extreme = estimate(&input);
    input.roles.clear();
    input.environments.clear();
    input.population = 0;
    let empty = estimate(&input);
    for plan in [&extreme, &empty] {
        let (text, _, json, page) = with_report(plan, |report| {
            (
                text::render(report),
                markdown::render(report),
                json::value(report),
                html::render(report),
            )
        });
        assert!(text.lines().all(|line| line.chars().count() <= text::WIDTH));
        let mut errors = Vec::new();
        validate(&json::schema(), &json::schema(), &json, "$", &mut errors);
        assert_eq!(errors, Vec::<String>::new());
        assert!(page.ends_with("</html>\n"));
    }
}

/// Every string of up to three characters drawn from the special characters of both formats,
/// ASCII letters and characters of two, three and four bytes in UTF-8.
fn escaping_samples() -> Vec<String> {
    let alphabet = [
        '&', '<', '>', '"', '\'', '\\', '`', '*', '_', '[', ']', '|', '#', '~', '\n', '\r', 'a',
        ' ', 'é', '€', '🙂',
    ];
    let mut samples = vec![String::new()];
    for length in 1..=3u32 {
        for mut code in 0..alphabet.len().pow(length) {
            let mut sample = String::new();
            for _ in 0..length {
                sample.push(alphabet[code % alphabet.len()]);
                code /= alphabet.len();
            }
            samples.push(sample);
        }
    }
    samples
}

#[test]
fn html_escaping_replaces_exactly_the_five_markup_characters() {
    for sample in escaping_samples() {
        let expected: String = sample
            .chars()
            .map(|ch| match ch {
                '&' => "&amp;".to_string(),
                '<' => "&lt;".to_string(),
                '>' => "&gt;".to_string(),
                '"' => "&quot;".to_string(),
                '\'' => "&#39;".to_string(),
                _ => ch.to_string(),
            })
            .collect();
        assert_eq!(html::escape(&sample), expected, "{sample:?}");
    }
}

#[test]
fn markdown_escaping_backslashes_markup_and_flattens_line_breaks() {
    for sample in escaping_samples() {
        let expected: String = sample
            .chars()
            .map(|ch| match ch {
                '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' => format!("\\{ch}"),
                '<' => "&lt;".to_string(),
                '>' => "&gt;".to_string(),
                '&' => "&amp;".to_string(),
                '\n' | '\r' => " ".to_string(),
                _ => ch.to_string(),
            })
            .collect();
        assert_eq!(markdown::escape(&sample), expected, "{sample:?}");
    }
}
