//! The terminal report: plain text that fits 100 columns.
//!
//! Long cells wrap inside their column and long sentences wrap at word boundaries, so no line is wider than
//! [`WIDTH`] characters (words longer than a column are cut). Widths count characters, which matches the
//! terminal for the ASCII the estimate produces; wide characters in user-chosen names may take more room.

use hostplan_core::estimate::{
    format,
    official::OFFICIAL_ASSUMPTIONS,
    output::{EnvironmentEstimate, Hardware},
};

use crate::report::{
    assumption_value, count, environment_summary, key_names, money_or_dash, plan_summary,
    unit_price, ReportInput, MONEY_NOTE,
};

/// The widest line the report prints.
pub const WIDTH: usize = 100;

/// Renders the report as plain text.
pub fn render(input: &ReportInput<'_>) -> String {
    let estimate = input.estimate;
    let mut out = Out::default();
    out.wrapped(
        0,
        &format!("Capacity and cost estimate: {}", estimate.plan_name),
    );
    out.wrapped(0, &plan_summary(estimate));

    let official = &estimate.official;
    let official_input = &estimate.official_input;
    out.blank();
    out.line("CHT's official hosting cost calculator (whole plan, no growth)");
    out.wrapped(
        2,
        &format!(
            "Inputs: {} people, {} workflows, {} users, {} years.",
            format::int(official_input.population),
            format::int(official_input.workflows),
            format::int(official_input.users),
            format::int(official_input.years)
        ),
    );
    let rows: Vec<Vec<String>> = super::official_rows(official)
        .into_iter()
        .map(|(quantity, value)| vec![quantity.to_owned(), value])
        .collect();
    out.table(
        2,
        &[col("quantity", 40, false), col("value", 20, true)],
        &rows,
    );
    out.wrapped(2, &format!("uses: {}", key_names(OFFICIAL_ASSUMPTIONS)));

    for env in &estimate.environments {
        environment(&mut out, env);
    }

    out.blank();
    out.line(&format!(
        "Monthly total of priced environments: {}",
        money_or_dash(estimate.monthly_total)
    ));

    out.blank();
    out.line("Findings");
    if estimate.findings.is_empty() {
        out.line("  None.");
    }
    for finding in &estimate.findings {
        let scope = finding
            .environment
            .as_deref()
            .map_or(String::new(), |env| format!(" [{env}]"));
        out.wrapped(
            2,
            &format!(
                "{} {}{}: {}",
                finding.severity, finding.code, scope, finding.message
            ),
        );
        if let Some(suppression) = input.suppression_of(finding) {
            out.wrapped(6, &format!("suppressed: {}", suppression.reason));
        }
        if !finding.assumptions.is_empty() {
            out.wrapped(6, &format!("uses: {}", key_names(&finding.assumptions)));
        }
    }

    out.blank();
    out.line("Suppressed rules");
    if input.suppressions.is_empty() {
        out.line("  None.");
    } else {
        let rows: Vec<Vec<String>> = input
            .suppressions
            .iter()
            .map(|it| vec![it.environment.clone(), it.code.clone(), it.reason.clone()])
            .collect();
        out.table(
            2,
            &[
                col("environment", 20, false),
                col("rule", 24, false),
                col("reason", 50, false),
            ],
            &rows,
        );
    }

    out.blank();
    out.line("Assumptions");
    for entry in estimate.assumptions.entries() {
        let rows = vec![vec![
            entry.def.name.to_owned(),
            assumption_value(entry.value),
            entry.def.unit.to_owned(),
            if entry.overridden {
                "overridden".to_owned()
            } else {
                "default".to_owned()
            },
        ]];
        out.table_rows(
            2,
            &[
                col("key", 36, false),
                col("value", 14, true),
                col("unit", 26, false),
                col("", 14, false),
            ],
            &rows,
        );
        out.wrapped(6, &format!("source: {}", entry.def.source));
    }
    if !estimate.rejected_overrides.is_empty() {
        out.blank();
        out.line("Overrides not applied");
        for rejected in &estimate.rejected_overrides {
            out.wrapped(
                2,
                &format!(
                    "{} = {}: {}",
                    rejected.name,
                    assumption_value(rejected.value),
                    rejected.reason
                ),
            );
        }
    }

    out.blank();
    out.line("Price tables");
    if estimate.price_tables.is_empty() {
        out.line("  None used.");
    }
    for table in &estimate.price_tables {
        out.wrapped(
            2,
            &format!(
                "{}: prices of {}, from {}",
                table.provider, table.prices_date, table.prices_source
            ),
        );
    }
    out.blank();
    out.wrapped(0, MONEY_NOTE);
    out.finish()
}

fn environment(out: &mut Out, env: &EnvironmentEstimate) {
    out.blank();
    out.line(&format!("Environment `{}`", env.name));
    out.wrapped(2, &environment_summary(env));

    out.blank();
    out.line("  Growth");
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
    out.table(
        4,
        &[
            col("year", 4, true),
            col("population", 13, true),
            col("records in year", 13, true),
            col("medic docs", 14, true),
            col("CouchDB GiB", 9, true),
            col("headroom GiB", 9, true),
            col("Postgres GiB", 9, true),
            col("storage GiB", 9, true),
        ],
        &rows,
    );

    let compute = &env.compute;
    out.blank();
    out.line("  Compute");
    out.wrapped(
        4,
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

    let offline: Vec<Vec<String>> = env
        .roles
        .iter()
        .map(|role| {
            vec![
                role.name.clone(),
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
    if !offline.is_empty() {
        out.blank();
        out.line("  Roles");
        out.table(
            4,
            &[
                col("role", 30, false),
                col("users", 12, true),
                col("sync", 8, false),
                col("docs per user", 14, true),
            ],
            &offline,
        );
    }

    out.blank();
    out.line("  Hosts and node groups");
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
                    .map_or("-".to_owned(), |it| it.name.clone()),
            ]
        })
        .collect();
    out.table(
        4,
        &[
            col("group", 20, false),
            col("nodes", 5, true),
            col("vCPU/node", 10, true),
            col("GiB/node", 10, true),
            col("root GiB", 8, true),
            col("instance", 26, false),
        ],
        &rows,
    );
    for group in &env.node_groups {
        if let Some(choice) = &group.instance {
            out.wrapped(6, &choice.reason);
        }
    }

    out.blank();
    out.line("  Services (requests and limits per container)");
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
    out.table(
        4,
        &[
            col("service", 12, false),
            col("replicas", 8, true),
            col("CPU request", 12, true),
            col("CPU limit", 12, true),
            col("memory request", 15, true),
            col("memory limit", 15, true),
        ],
        &rows,
    );
    out.wrapped(
        4,
        &format!(
            "CouchDB volume {} GiB per node{}.",
            format::int(env.storage.couchdb_volume_gib),
            env.storage
                .postgres_volume_gib
                .map_or(String::new(), |it| format!(
                    "; CHT Sync PostgreSQL volume {} GiB",
                    format::int(it)
                ))
        ),
    );

    if let Some(hardware) = &env.hardware {
        out.blank();
        out.line("  Hardware to provide");
        let row = |name: &str, it: &Hardware| {
            vec![
                name.to_owned(),
                format::int(it.machines),
                format::int(it.cores),
                format::int(it.memory_gib),
                format::int(it.disk_gib),
            ]
        };
        let mut rows = vec![row("required", &hardware.required)];
        if let Some(provided) = &hardware.provided {
            rows.push(row("provided", provided));
        }
        if let Some(shortfall) = &hardware.shortfall {
            rows.push(row("shortfall", shortfall));
        }
        for (role, it) in &hardware.separate_hosts {
            rows.push(row(&format!("separate {}", role.label()), it));
        }
        out.table(
            4,
            &[
                col("", 28, false),
                col("machines", 9, true),
                col("cores", 9, true),
                col("memory GiB", 11, true),
                col("disk GiB", 11, true),
            ],
            &rows,
        );
        for misfit in &hardware.misfits {
            out.wrapped(4, &format!("Does not fit: {misfit}"));
        }
        if 0 < hardware.backup_storage_gib {
            out.wrapped(
                4,
                &format!(
                    "Backup storage off these machines: {} GiB.",
                    format::int(hardware.backup_storage_gib)
                ),
            );
        }
    }

    out.blank();
    out.line("  Line items");
    let columns = [
        col("item", 34, false),
        col("quantity", 12, true),
        col("unit", 13, false),
        col("unit price", 12, true),
        col("monthly", 13, true),
    ];
    out.table_header(4, &columns);
    for item in &env.line_items {
        let row = vec![
            item.label.clone(),
            format::int(item.quantity),
            item.unit.label().to_owned(),
            item.unit_price.map_or("-".to_owned(), unit_price),
            money_or_dash(item.monthly),
        ];
        out.table_rows(4, &columns, &[row]);
        out.wrapped(6, &item.detail);
        out.wrapped(6, &format!("uses: {}", key_names(&item.assumptions)));
    }
    if let Some(prices) = &env.prices {
        out.wrapped(
            4,
            &format!(
                "Prices: {} table of {}.",
                prices.provider, prices.prices_date
            ),
        );
    }
    out.line(&format!(
        "    Monthly total: {}",
        money_or_dash(env.monthly_cost)
    ));
}

/// A table column.
struct Column {
    title: &'static str,
    width: usize,
    right: bool,
}

fn col(title: &'static str, width: usize, right: bool) -> Column {
    Column {
        title,
        width,
        right,
    }
}

/// The text being written, line by line.
#[derive(Default)]
struct Out {
    lines: Vec<String>,
}

impl Out {
    fn line(&mut self, text: &str) {
        self.lines.push(text.trim_end().to_owned());
    }

    fn blank(&mut self) {
        self.lines.push(String::new());
    }

    fn wrapped(&mut self, indent: usize, text: &str) {
        let pad = " ".repeat(indent);
        for line in wrap(text, WIDTH.saturating_sub(indent).max(1)) {
            self.line(&format!("{pad}{line}"));
        }
    }

    fn table(&mut self, indent: usize, columns: &[Column], rows: &[Vec<String>]) {
        self.table_header(indent, columns);
        self.table_rows(indent, columns, rows);
    }

    fn table_header(&mut self, indent: usize, columns: &[Column]) {
        let titles: Vec<String> = columns.iter().map(|it| it.title.to_owned()).collect();
        self.table_rows(indent, columns, &[titles]);
        let rules: Vec<String> = columns.iter().map(|it| "-".repeat(it.width)).collect();
        self.table_rows(indent, columns, &[rules]);
    }

    fn table_rows(&mut self, indent: usize, columns: &[Column], rows: &[Vec<String>]) {
        let pad = " ".repeat(indent);
        for row in rows {
            let cells: Vec<Vec<String>> = columns
                .iter()
                .enumerate()
                .map(|(idx, column)| wrap(row.get(idx).map_or("", String::as_str), column.width))
                .collect();
            let height = cells.iter().map(Vec::len).max().unwrap_or(1);
            for line_idx in 0..height {
                let mut line = pad.clone();
                for (idx, (column, cell)) in columns.iter().zip(&cells).enumerate() {
                    if 0 < idx {
                        line.push_str("  ");
                    }
                    let text = cell.get(line_idx).map_or("", String::as_str);
                    let fill = " ".repeat(column.width.saturating_sub(text.chars().count()));
                    if column.right {
                        line.push_str(&fill);
                        line.push_str(text);
                    } else {
                        line.push_str(text);
                        line.push_str(&fill);
                    }
                }
                self.line(&line);
            }
        }
    }

    fn finish(self) -> String {
        let mut res = self.lines.join("\n");
        res.push('\n');
        res
    }
}

/// Splits `text` into lines of at most `width` characters at spaces; words longer than `width` are cut.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut line_len = 0;
    for word in text.split_whitespace() {
        let mut chars: Vec<char> = word.chars().collect();
        while width < chars.len() {
            if 0 < line_len {
                lines.push(std::mem::take(&mut line));
                line_len = 0;
            }
            let rest = chars.split_off(width);
            lines.push(chars.into_iter().collect());
            chars = rest;
        }
        let word_len = chars.len();
        if line_len == 0 {
            line = chars.into_iter().collect();
            line_len = word_len;
        } else if line_len + 1 + word_len <= width {
            line.push(' ');
            line.extend(chars);
            line_len += 1 + word_len;
        } else {
            lines.push(std::mem::take(&mut line));
            line = chars.into_iter().collect();
            line_len = word_len;
        }
    }
    if 0 < line_len || lines.is_empty() {
        lines.push(line);
    }
    lines
}
