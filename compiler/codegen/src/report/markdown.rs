//! The Markdown report, for pull-request comments and repositories.
//!
//! Every piece of text that comes from the plan or the estimate goes through [`escape`], so names with
//! pipes, asterisks or angle brackets cannot break a table or inject HTML.
//! Assumption keys and finding codes are printed as code spans; they are ASCII identifiers by construction.

use std::fmt::Write;

use hostplan_core::estimate::{
    assumptions::AssumptionKey,
    format,
    official::OFFICIAL_ASSUMPTIONS,
    output::{EnvironmentEstimate, Hardware},
};

use crate::report::{
    assumption_value, count, environment_summary, money_or_dash, plan_summary, unit_price,
    ReportInput, MONEY_NOTE,
};

/// Renders the report as Markdown.
pub fn render(input: &ReportInput<'_>) -> String {
    let estimate = input.estimate;
    let mut out = String::new();
    line(
        &mut out,
        &format!(
            "# Capacity and cost estimate: {}",
            escape(&estimate.plan_name)
        ),
    );
    line(&mut out, "");
    line(&mut out, &escape(&plan_summary(estimate)));
    line(&mut out, "");

    let official = &estimate.official;
    let official_input = &estimate.official_input;
    line(&mut out, "## CHT's official hosting cost calculator");
    line(&mut out, "");
    line(
        &mut out,
        &format!(
            "Whole plan, no growth: {} people, {} workflows, {} users, {} years.",
            format::int(official_input.population),
            format::int(official_input.workflows),
            format::int(official_input.users),
            format::int(official_input.years)
        ),
    );
    line(&mut out, "");
    let rows: Vec<Vec<String>> = super::official_rows(official)
        .into_iter()
        .map(|(quantity, value)| vec![quantity.to_owned(), value])
        .collect();
    table(&mut out, &[("Quantity", false), ("Value", true)], &rows);
    line(&mut out, "");
    line(&mut out, &format!("Uses: {}.", keys(OFFICIAL_ASSUMPTIONS)));

    for env in &estimate.environments {
        environment(&mut out, env);
    }

    line(&mut out, "");
    line(&mut out, "## Monthly cost by environment");
    line(&mut out, "");
    let mut rows: Vec<Vec<String>> = estimate
        .environments
        .iter()
        .map(|env| vec![escape(&env.name), money_or_dash(env.monthly_cost)])
        .collect();
    rows.push(vec![
        "**All priced environments**".to_owned(),
        format!("**{}**", money_or_dash(estimate.monthly_total)),
    ]);
    table(
        &mut out,
        &[("Environment", false), ("Monthly", true)],
        &rows,
    );

    line(&mut out, "");
    line(&mut out, "## Findings");
    line(&mut out, "");
    if estimate.findings.is_empty() {
        line(&mut out, "None.");
    } else {
        let rows: Vec<Vec<String>> = estimate
            .findings
            .iter()
            .map(|finding| {
                vec![
                    finding.severity.to_string(),
                    format!("`{}`", finding.code),
                    finding
                        .environment
                        .as_deref()
                        .map_or("plan".to_owned(), escape),
                    escape(&finding.message),
                    input
                        .suppression_of(finding)
                        .map_or(String::new(), |it| escape(&it.reason)),
                    keys(&finding.assumptions),
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                ("Severity", false),
                ("Code", false),
                ("Environment", false),
                ("Finding", false),
                ("Suppressed because", false),
                ("Assumptions", false),
            ],
            &rows,
        );
    }

    line(&mut out, "");
    line(&mut out, "## Suppressed rules");
    line(&mut out, "");
    if input.suppressions.is_empty() {
        line(&mut out, "None.");
    } else {
        let rows: Vec<Vec<String>> = input
            .suppressions
            .iter()
            .map(|it| {
                vec![
                    escape(&it.environment),
                    escape(&it.code),
                    escape(&it.reason),
                ]
            })
            .collect();
        table(
            &mut out,
            &[("Environment", false), ("Rule", false), ("Reason", false)],
            &rows,
        );
    }

    line(&mut out, "");
    line(&mut out, "## Assumptions");
    line(&mut out, "");
    let rows: Vec<Vec<String>> = estimate
        .assumptions
        .entries()
        .iter()
        .map(|entry| {
            vec![
                format!("`{}`", entry.def.name),
                assumption_value(entry.value),
                escape(entry.def.unit),
                if entry.overridden {
                    "yes".to_owned()
                } else {
                    "no".to_owned()
                },
                escape(entry.def.source),
                escape(entry.def.doc),
            ]
        })
        .collect();
    table(
        &mut out,
        &[
            ("Key", false),
            ("Value", true),
            ("Unit", false),
            ("Overridden", false),
            ("Source", false),
            ("Meaning", false),
        ],
        &rows,
    );
    if !estimate.rejected_overrides.is_empty() {
        line(&mut out, "");
        line(&mut out, "Overrides not applied:");
        line(&mut out, "");
        for rejected in &estimate.rejected_overrides {
            line(
                &mut out,
                &format!(
                    "- {} = {}: {}",
                    escape(&rejected.name),
                    escape(&assumption_value(rejected.value)),
                    rejected.reason
                ),
            );
        }
    }

    line(&mut out, "");
    line(&mut out, "## Price tables");
    line(&mut out, "");
    if estimate.price_tables.is_empty() {
        line(&mut out, "None used.");
    }
    for table in &estimate.price_tables {
        line(
            &mut out,
            &format!(
                "- {}: prices of {}, from {}.",
                escape(&table.provider),
                escape(&table.prices_date),
                escape(&table.prices_source)
            ),
        );
    }
    line(&mut out, "");
    line(&mut out, MONEY_NOTE);
    out
}

fn environment(out: &mut String, env: &EnvironmentEstimate) {
    line(out, "");
    line(out, &format!("## Environment {}", escape(&env.name)));
    line(out, "");
    line(out, &format!("{}.", escape(&environment_summary(env))));

    line(out, "");
    line(out, "### Growth");
    line(out, "");
    let rows: Vec<Vec<String>> = env
        .years
        .iter()
        .map(|year| {
            vec![
                year.year.to_string(),
                format::int(year.population),
                format::int(year.records_in_year),
                format::int(year.medic_docs),
                format::int(year.couchdb_data_gib),
                format::int(year.upgrade_headroom_gib),
                format::int(year.postgres_gib),
                format::int(year.storage_gib),
            ]
        })
        .collect();
    table(
        out,
        &[
            ("Year", true),
            ("Population", true),
            ("Records in year", true),
            ("Medic docs", true),
            ("CouchDB GiB", true),
            ("Headroom GiB", true),
            ("PostgreSQL GiB", true),
            ("Storage GiB", true),
        ],
        &rows,
    );

    let compute = &env.compute;
    line(out, "");
    line(out, "### Compute");
    line(out, "");
    line(
        out,
        &format!(
            "{} medic documents per user (CPU factor {:.2}); the calculator would give {}. \
             The users keep {} vCPU busy; CHT needs {} vCPU and {} GiB to run at the target utilisation.",
            format::int(compute.docs_per_user),
            compute.cpu_factor,
            count(compute.calculator_cpus, "CPU", "CPUs"),
            format::vcpu(compute.load_millicpu),
            format::vcpu(compute.required_millicpu),
            format::gib(compute.required_memory_mib)
        ),
    );

    if !env.roles.is_empty() {
        line(out, "");
        line(out, "### Roles");
        line(out, "");
        let rows: Vec<Vec<String>> = env
            .roles
            .iter()
            .map(|role| {
                vec![
                    escape(&role.name),
                    format::int(role.users),
                    if role.offline {
                        "offline".to_owned()
                    } else {
                        "online".to_owned()
                    },
                    role.docs_per_user.map_or("-".to_owned(), format::int),
                ]
            })
            .collect();
        table(
            out,
            &[
                ("Role", false),
                ("Users", true),
                ("Sync", false),
                ("Docs per user", true),
            ],
            &rows,
        );
    }

    line(out, "");
    line(out, "### Hosts and node groups");
    line(out, "");
    // Unpriced environments have no instance types, so their instance columns would stay empty.
    let with_instances = env.node_groups.iter().any(|it| it.instance.is_some());
    let width = if with_instances { 7 } else { 5 };
    let rows: Vec<Vec<String>> = env
        .node_groups
        .iter()
        .map(|group| {
            vec![
                group.role.label().to_owned(),
                group.nodes.to_string(),
                format::vcpu(group.millicpu_per_node),
                format::gib(group.memory_mib_per_node),
                format::int(group.root_disk_gib_per_node),
                group
                    .instance
                    .as_ref()
                    .map_or("-".to_owned(), |it| escape(&it.name)),
                group
                    .instance
                    .as_ref()
                    .map_or(String::new(), |it| escape(&it.reason)),
            ]
            .into_iter()
            .take(width)
            .collect()
        })
        .collect();
    table(
        out,
        &[
            ("Group", false),
            ("Nodes", true),
            ("vCPU per node", true),
            ("GiB per node", true),
            ("Root GiB", true),
            ("Instance", false),
            ("Why", false),
        ][..width],
        &rows,
    );

    line(out, "");
    line(out, "### Services");
    line(out, "");
    let rows: Vec<Vec<String>> = env
        .services
        .iter()
        .map(|it| {
            vec![
                it.service.name().to_owned(),
                it.replicas.to_string(),
                format!("{}m", format::int(it.cpu_request_millicpu)),
                format!("{}m", format::int(it.cpu_limit_millicpu)),
                format!("{}Mi", format::int(it.memory_request_mib)),
                format!("{}Mi", format::int(it.memory_limit_mib)),
            ]
        })
        .collect();
    table(
        out,
        &[
            ("Service", false),
            ("Replicas", true),
            ("CPU request", true),
            ("CPU limit", true),
            ("Memory request", true),
            ("Memory limit", true),
        ],
        &rows,
    );
    line(out, "");
    line(
        out,
        &format!(
            "CouchDB volume: {} GiB per node.{}",
            format::int(env.storage.couchdb_volume_gib),
            env.storage
                .postgres_volume_gib
                .map_or(String::new(), |it| format!(
                    " CHT Sync PostgreSQL volume: {} GiB.",
                    format::int(it)
                ))
        ),
    );

    if let Some(hardware) = &env.hardware {
        line(out, "");
        line(out, "### Hardware to provide");
        line(out, "");
        let row = |name: &str, it: &Hardware| {
            vec![
                name.to_owned(),
                format::int(it.machines),
                format::int(it.cores),
                format::int(it.memory_gib),
                format::int(it.disk_gib),
            ]
        };
        let mut rows = vec![row("Required", &hardware.required)];
        if let Some(provided) = &hardware.provided {
            rows.push(row("Provided", provided));
        }
        if let Some(shortfall) = &hardware.shortfall {
            rows.push(row("Shortfall", shortfall));
        }
        for (role, it) in &hardware.separate_hosts {
            rows.push(row(&format!("Separate {}", role.label()), it));
        }
        table(
            out,
            &[
                ("", false),
                ("Machines", true),
                ("Cores", true),
                ("Memory GiB", true),
                ("Disk GiB", true),
            ],
            &rows,
        );
        for misfit in &hardware.misfits {
            line(out, "");
            line(out, &format!("Does not fit: {}", escape(misfit)));
        }
        if 0 < hardware.backup_storage_gib {
            line(out, "");
            line(
                out,
                &format!(
                    "Backup storage off these machines: {} GiB.",
                    format::int(hardware.backup_storage_gib)
                ),
            );
        }
    }

    line(out, "");
    line(out, "### Line items");
    line(out, "");
    let mut rows: Vec<Vec<String>> = env
        .line_items
        .iter()
        .map(|item| {
            vec![
                escape(&item.label),
                format::int(item.quantity),
                item.unit.label().to_owned(),
                item.unit_price.map_or("-".to_owned(), unit_price),
                money_or_dash(item.monthly),
                escape(&item.detail),
                keys(&item.assumptions),
            ]
        })
        .collect();
    rows.push(vec![
        "**Total**".to_owned(),
        String::new(),
        String::new(),
        String::new(),
        format!("**{}**", money_or_dash(env.monthly_cost)),
        env.prices.as_ref().map_or(String::new(), |it| {
            escape(&format!(
                "Prices: {} table of {}.",
                it.provider, it.prices_date
            ))
        }),
        String::new(),
    ]);
    table(
        out,
        &[
            ("Item", false),
            ("Quantity", true),
            ("Unit", false),
            ("Unit price", true),
            ("Monthly", true),
            ("How", false),
            ("Assumptions", false),
        ],
        &rows,
    );
}

/// Escapes text for a Markdown paragraph or table cell.
///
/// Backslash-escapes Markdown's inline punctuation, turns `<`, `>` and `&` into entities so no HTML is
/// injected, and turns line breaks into spaces so a cell stays on its row.
pub fn escape(text: &str) -> String {
    // As in HTML: the special characters are ASCII, so the text is handled byte-wise.
    let replacement = |byte: u8| match byte {
        b'\\' => Some("\\\\"),
        b'`' => Some("\\`"),
        b'*' => Some("\\*"),
        b'_' => Some("\\_"),
        b'[' => Some("\\["),
        b']' => Some("\\]"),
        b'|' => Some("\\|"),
        b'#' => Some("\\#"),
        b'~' => Some("\\~"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'&' => Some("&amp;"),
        b'\n' | b'\r' => Some(" "),
        _ => None,
    };
    super::escape_bytes(text, replacement)
}

fn keys(keys: &[AssumptionKey]) -> String {
    keys.iter()
        .map(|key| format!("`{}`", key.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn line(out: &mut String, text: &str) {
    out.push_str(text.trim_end());
    out.push('\n');
}

/// Writes a table; each column is a title and whether it is right-aligned.
fn table(out: &mut String, columns: &[(&str, bool)], rows: &[Vec<String>]) {
    let titles: Vec<&str> = columns.iter().map(|it| it.0).collect();
    line(out, &format!("| {} |", titles.join(" | ")));
    let rules: Vec<&str> = columns
        .iter()
        .map(|it| if it.1 { "---:" } else { "---" })
        .collect();
    line(out, &format!("| {} |", rules.join(" | ")));
    for row in rows {
        let mut text = String::from("|");
        for idx in 0..columns.len() {
            let cell = row.get(idx).map_or("", String::as_str);
            // Writing to a `String` cannot fail.
            let _ = write!(text, " {cell} |");
        }
        line(out, &text);
    }
}
