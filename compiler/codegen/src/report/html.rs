//! The HTML report: one self-contained file to share with a ministry or a board.
//!
//! The page has inline CSS, no scripts, no fonts, images or links to load, and draws its two charts as
//! inline SVG (see the chart module): storage growth per environment over the horizon, and monthly cost by
//! component. Tables carry captions and column headers, charts carry titles and descriptions, and every
//! number in a chart is also in a table. All text from the plan goes through [`escape`].
//!
//! To look at a rendering, write it to a file and take a screenshot with headless Chromium, for example
//! (the report test writes `estimate-sample.html` to the system's temporary directory):
//!
//! ```text
//! chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
//!     --window-size=1280,4000 --screenshot=/tmp/estimate.png file:///tmp/estimate-sample.html
//! ```

use std::fmt::Write;

use hostplan_core::estimate::{
    assumptions::AssumptionKey,
    format,
    official::OFFICIAL_ASSUMPTIONS,
    output::{Component, EnvironmentEstimate, Hardware, Severity},
};

use crate::report::{
    assumption_value, chart, count, environment_summary, money_or_dash, plan_summary, unit_price,
    ReportInput, MONEY_NOTE,
};

const STYLE: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1a1a1a; background: #ffffff;
  margin: 0; line-height: 1.45; }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.8rem; margin: 0 0 4px; }
h2 { font-size: 1.35rem; margin-top: 2.2rem; border-bottom: 2px solid #0072B2; padding-bottom: 4px; }
h3 { font-size: 1.1rem; margin-top: 1.4rem; }
p.lead { color: #404040; margin-top: 0; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 0.9rem; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border: 1px solid #c8c8c8; padding: 4px 8px; vertical-align: top; }
th { background: #eef3f8; text-align: left; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.detail { color: #404040; font-size: 0.85rem; min-width: 16rem; max-width: 28rem; }
td.keys { font-size: 0.8rem; max-width: 20rem; }
td.nowrap { white-space: nowrap; }
tr.total td { font-weight: 700; background: #f6f6f6; }
code { font-size: 0.85em; background: #f1f1f1; padding: 0 3px; border-radius: 3px; white-space: nowrap; }
.chart { max-width: 100%; height: auto; border: 1px solid #d0d0d0; margin: 8px 0 16px; }
.chart .tick { font-size: 12px; fill: #333333; }
.chart .axis-label { font-size: 13px; fill: #1a1a1a; font-weight: 600; }
.chart .legend { font-size: 13px; fill: #1a1a1a; }
.chart .value { font-size: 12px; fill: #1a1a1a; font-weight: 600; }
.warning { color: #8a3b00; font-weight: 600; }
.info { color: #005a8c; font-weight: 600; }
.summary { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.card { border: 1px solid #c8c8c8; border-radius: 6px; padding: 10px 14px; min-width: 180px; }
.card .figure { font-size: 1.4rem; font-weight: 700; }
footer { color: #555555; font-size: 0.85rem; margin-top: 2rem; }
";

/// Renders the report as one self-contained HTML document.
pub fn render(input: &ReportInput<'_>) -> String {
    let estimate = input.estimate;
    let mut out = String::new();
    let title = format!("Capacity and cost estimate: {}", estimate.plan_name);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<title>{}</title>", escape(&title));
    let _ = writeln!(out, "<style>{STYLE}</style>");
    out.push_str("</head>\n<body>\n<main>\n");
    let _ = writeln!(out, "<h1>{}</h1>", escape(&title));
    let _ = writeln!(
        out,
        "<p class=\"lead\">{}.</p>",
        escape(&plan_summary(estimate))
    );

    out.push_str("<div class=\"summary\">\n");
    card(
        &mut out,
        "All priced environments, per month",
        &money_or_dash(estimate.monthly_total),
    );
    card(
        &mut out,
        "CHT's calculator, whole plan, per month",
        &format::dollars(estimate.official.monthly.cents()),
    );
    let open_warnings = estimate
        .findings
        .iter()
        .filter(|it| it.severity == Severity::Warning && input.suppression_of(it).is_none())
        .count();
    card(
        &mut out,
        "Warnings not suppressed",
        &open_warnings.to_string(),
    );
    out.push_str("</div>\n");

    section(&mut out, "charts", "Charts");
    out.push_str(&chart::storage_growth(&estimate.environments));
    out.push('\n');
    out.push_str(&chart::cost_by_component(&estimate.environments));
    out.push('\n');
    cost_table(&mut out, &estimate.environments);

    let official = &estimate.official;
    let official_input = &estimate.official_input;
    section(
        &mut out,
        "official",
        "CHT's official hosting cost calculator",
    );
    let _ = writeln!(
        out,
        "<p>Whole plan, no growth: {} people, {} workflows, {} users, {} years. The calculator leaves out growth, \
         backups, monitoring, analytics and logs; the environments below add them.</p>",
        format::int(official_input.population),
        format::int(official_input.workflows),
        format::int(official_input.users),
        format::int(official_input.years)
    );
    let rows: Vec<_> = super::official_rows(official)
        .into_iter()
        .map(|(quantity, value)| vec![text(quantity), num(&value)])
        .collect();
    table(
        &mut out,
        "The calculator's results",
        &[("Quantity", false), ("Value", true)],
        &rows,
    );
    let _ = writeln!(out, "<p>Uses: {}.</p>", keys(OFFICIAL_ASSUMPTIONS));

    for (idx, env) in estimate.environments.iter().enumerate() {
        environment(&mut out, idx, env);
    }

    section(&mut out, "findings", "Findings");
    if estimate.findings.is_empty() {
        out.push_str("<p>None.</p>\n");
    } else {
        let rows: Vec<Vec<Cell>> = estimate
            .findings
            .iter()
            .map(|finding| {
                let severity = finding.severity.to_string();
                vec![
                    Cell::Html(format!("<span class=\"{severity}\">{severity}</span>")),
                    Cell::Html(format!("<code>{}</code>", escape(finding.code))),
                    text(finding.environment.as_deref().unwrap_or("plan")),
                    text(&finding.message),
                    text(
                        input
                            .suppression_of(finding)
                            .map_or("", |it| it.reason.as_str()),
                    ),
                    Cell::Keys(keys(&finding.assumptions)),
                ]
            })
            .collect();
        table(
            &mut out,
            "Findings, in environment order",
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

    section(&mut out, "suppressions", "Suppressed rules");
    if input.suppressions.is_empty() {
        out.push_str("<p>None.</p>\n");
    } else {
        let rows: Vec<Vec<Cell>> = input
            .suppressions
            .iter()
            .map(|it| {
                vec![
                    text(&it.environment),
                    Cell::Html(format!("<code>{}</code>", escape(&it.code))),
                    text(&it.reason),
                ]
            })
            .collect();
        table(
            &mut out,
            "Rules the plan allows, with its reasons",
            &[("Environment", false), ("Rule", false), ("Reason", false)],
            &rows,
        );
    }

    section(&mut out, "assumptions", "Assumptions");
    let rows: Vec<Vec<Cell>> = estimate
        .assumptions
        .entries()
        .iter()
        .map(|entry| {
            vec![
                Cell::Html(format!("<code>{}</code>", escape(entry.def.name))),
                num(&assumption_value(entry.value)),
                text(entry.def.unit),
                text(if entry.overridden { "yes" } else { "no" }),
                text(entry.def.source),
                text(entry.def.doc),
            ]
        })
        .collect();
    table(
        &mut out,
        "Every assumption, with the value used",
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
        out.push_str("<p>Overrides not applied:</p>\n<ul>\n");
        for rejected in &estimate.rejected_overrides {
            let _ = writeln!(
                out,
                "<li><code>{}</code> = {}: {}</li>",
                escape(&rejected.name),
                escape(&assumption_value(rejected.value)),
                escape(&rejected.reason.to_string())
            );
        }
        out.push_str("</ul>\n");
    }

    section(&mut out, "prices", "Price tables");
    if estimate.price_tables.is_empty() {
        out.push_str("<p>None used.</p>\n");
    } else {
        out.push_str("<ul>\n");
        for table in &estimate.price_tables {
            let _ = writeln!(
                out,
                "<li>{}: prices of {}, from {}.</li>",
                escape(&table.provider),
                escape(&table.prices_date),
                escape(&table.prices_source)
            );
        }
        out.push_str("</ul>\n");
    }
    let _ = writeln!(
        out,
        "<footer><p>{}</p><p>Generated by Hostplan from the plan {}.</p></footer>",
        escape(MONEY_NOTE),
        escape(&estimate.plan_name)
    );
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn environment(out: &mut String, idx: usize, env: &EnvironmentEstimate) {
    section(
        out,
        &format!("env-{idx}"),
        &format!("Environment {}", env.name),
    );
    let _ = writeln!(out, "<p>{}.</p>", escape(&environment_summary(env)));

    let rows: Vec<Vec<Cell>> = env
        .years
        .iter()
        .map(|year| {
            vec![
                num(&year.year.to_string()),
                num(&format::int(year.population)),
                num(&format::int(year.records_in_year)),
                num(&format::int(year.medic_docs)),
                num(&format::int(year.couchdb_data_gib)),
                num(&format::int(year.upgrade_headroom_gib)),
                num(&format::int(year.postgres_gib)),
                num(&format::int(year.storage_gib)),
            ]
        })
        .collect();
    table(
        out,
        "Growth, year by year",
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
    let _ = writeln!(
        out,
        "<p>{} medic documents per user (CPU factor {:.2}); the calculator would give {}. The users keep {} vCPU \
         busy; CHT needs {} vCPU and {} GiB to run at the target utilisation.</p>",
        format::int(compute.docs_per_user),
        compute.cpu_factor,
        count(compute.calculator_cpus, "CPU", "CPUs"),
        format::vcpu(compute.load_millicpu),
        format::vcpu(compute.required_millicpu),
        format::gib(compute.required_memory_mib)
    );

    if !env.roles.is_empty() {
        let rows: Vec<Vec<Cell>> = env
            .roles
            .iter()
            .map(|role| {
                vec![
                    text(&role.name),
                    num(&format::int(role.users)),
                    text(if role.offline { "offline" } else { "online" }),
                    num(&role.docs_per_user.map_or("-".to_owned(), format::int)),
                ]
            })
            .collect();
        table(
            out,
            "Roles and the documents each offline user replicates",
            &[
                ("Role", false),
                ("Users", true),
                ("Sync", false),
                ("Docs per user", true),
            ],
            &rows,
        );
    }

    // Unpriced environments have no instance types, so their instance columns would stay empty.
    let with_instances = env.node_groups.iter().any(|it| it.instance.is_some());
    let width = if with_instances { 7 } else { 5 };
    let rows: Vec<Vec<Cell>> = env
        .node_groups
        .iter()
        .map(|group| {
            vec![
                text(group.role.label()),
                num(&group.nodes.to_string()),
                num(&format::vcpu(group.millicpu_per_node)),
                num(&format::gib(group.memory_mib_per_node)),
                num(&format::int(group.root_disk_gib_per_node)),
                text(group.instance.as_ref().map_or("-", |it| it.name.as_str())),
                detail(group.instance.as_ref().map_or("", |it| it.reason.as_str())),
            ]
            .into_iter()
            .take(width)
            .collect()
        })
        .collect();
    table(
        out,
        "Hosts and node groups",
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

    let rows: Vec<Vec<Cell>> = env
        .services
        .iter()
        .map(|it| {
            vec![
                text(it.service.name()),
                num(&it.replicas.to_string()),
                num(&format!("{}m", format::int(it.cpu_request_millicpu))),
                num(&format!("{}m", format::int(it.cpu_limit_millicpu))),
                num(&format!("{}Mi", format::int(it.memory_request_mib))),
                num(&format!("{}Mi", format::int(it.memory_limit_mib))),
            ]
        })
        .collect();
    table(
        out,
        "Requests and limits per container",
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
    let _ = writeln!(
        out,
        "<p>CouchDB volume: {} GiB per node.{}</p>",
        format::int(env.storage.couchdb_volume_gib),
        env.storage
            .postgres_volume_gib
            .map_or(String::new(), |it| format!(
                " CHT Sync PostgreSQL volume: {} GiB.",
                format::int(it)
            ))
    );

    if let Some(hardware) = &env.hardware {
        let row = |name: &str, it: &Hardware| {
            vec![
                text(name),
                num(&format::int(it.machines)),
                num(&format::int(it.cores)),
                num(&format::int(it.memory_gib)),
                num(&format::int(it.disk_gib)),
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
            "Hardware to provide",
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
            let _ = writeln!(
                out,
                "<p class=\"warning\">Does not fit: {}</p>",
                escape(misfit)
            );
        }
        if 0 < hardware.backup_storage_gib {
            let _ = writeln!(
                out,
                "<p>Backup storage off these machines: {} GiB.</p>",
                format::int(hardware.backup_storage_gib)
            );
        }
    }

    let rows: Vec<Vec<Cell>> = env
        .line_items
        .iter()
        .map(|item| {
            vec![
                text(&item.label),
                num(&format::int(item.quantity)),
                Cell::NoWrap(item.unit.label().to_owned()),
                num(&item.unit_price.map_or("-".to_owned(), unit_price)),
                num(&money_or_dash(item.monthly)),
                detail(&item.detail),
                Cell::Keys(keys(&item.assumptions)),
            ]
        })
        .collect();
    let total = vec![
        text("Total"),
        text(""),
        text(""),
        text(""),
        num(&money_or_dash(env.monthly_cost)),
        detail(&env.prices.as_ref().map_or(String::new(), |it| {
            format!("Prices: {} table of {}.", it.provider, it.prices_date)
        })),
        text(""),
    ];
    table_with_total(
        out,
        "Line items, each with the assumptions it used",
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
        &total,
    );
}

/// The numbers of the cost chart as a table, for readers who cannot see it.
fn cost_table(out: &mut String, environments: &[EnvironmentEstimate]) {
    let mut columns: Vec<(&str, bool)> = vec![("Environment", false)];
    columns.extend(Component::ALL.iter().map(|it| (it.label(), true)));
    columns.push(("Total", true));
    let rows: Vec<Vec<Cell>> = environments
        .iter()
        .map(|env| {
            let parts = chart::component_cents(env);
            let mut row = vec![text(&env.name)];
            match env.monthly_cost {
                Some(total) => {
                    row.extend(parts.iter().map(|cents| num(&format::dollars(*cents))));
                    row.push(num(&format::dollars(total.cents())));
                }
                None => {
                    row.extend(parts.iter().map(|_| num("-")));
                    row.push(num("not priced"));
                }
            }
            row
        })
        .collect();
    table(out, "Monthly cost by component", &columns, &rows);
}

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn escape(text: &str) -> String {
    // The characters to escape are ASCII, and ASCII bytes never occur inside another
    // character's UTF-8 encoding, so the text is scanned and copied byte-wise between them.
    let replacement = |byte: u8| match byte {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'"' => Some("&quot;"),
        b'\'' => Some("&#39;"),
        _ => None,
    };
    super::escape_bytes(text, replacement)
}

/// A table cell: escaped text, a right-aligned number, muted detail, HTML built by this module (optionally a
/// list of assumption keys), or text that must not wrap.
enum Cell {
    Text(String),
    Num(String),
    Detail(String),
    Html(String),
    Keys(String),
    NoWrap(String),
}

fn text(value: &str) -> Cell {
    Cell::Text(value.to_owned())
}

fn num(value: &str) -> Cell {
    Cell::Num(value.to_owned())
}

fn detail(value: &str) -> Cell {
    Cell::Detail(value.to_owned())
}

fn keys(keys: &[AssumptionKey]) -> String {
    keys.iter()
        .map(|key| format!("<code>{}</code>", escape(key.name())))
        .collect::<Vec<_>>()
        .join(", ")
}

fn section(out: &mut String, id: &str, title: &str) {
    let _ = writeln!(out, "<h2 id=\"{}\">{}</h2>", escape(id), escape(title));
}

fn card(out: &mut String, label: &str, figure: &str) {
    let _ = writeln!(
        out,
        "<div class=\"card\"><div>{}</div><div class=\"figure\">{}</div></div>",
        escape(label),
        escape(figure)
    );
}

fn table(out: &mut String, caption: &str, columns: &[(&str, bool)], rows: &[Vec<Cell>]) {
    table_with_total(out, caption, columns, rows, &[]);
}

/// Writes a table whose last row, `total`, is styled as a total when it is not empty.
fn table_with_total(
    out: &mut String,
    caption: &str,
    columns: &[(&str, bool)],
    rows: &[Vec<Cell>],
    total: &[Cell],
) {
    let _ = writeln!(out, "<table>\n<caption>{}</caption>", escape(caption));
    out.push_str("<thead><tr>");
    for (title, right) in columns {
        let class = if *right { " class=\"num\"" } else { "" };
        let _ = write!(out, "<th scope=\"col\"{class}>{}</th>", escape(title));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    let total_row = (!total.is_empty()).then_some(total);
    for (row, is_total) in rows
        .iter()
        .map(|it| (it.as_slice(), false))
        .chain(total_row.map(|it| (it, true)))
    {
        out.push_str(if is_total {
            "<tr class=\"total\">"
        } else {
            "<tr>"
        });
        for cell in row {
            match cell {
                Cell::Text(value) => {
                    let _ = write!(out, "<td>{}</td>", escape(value));
                }
                Cell::Num(value) => {
                    let _ = write!(out, "<td class=\"num\">{}</td>", escape(value));
                }
                Cell::Detail(value) => {
                    let _ = write!(out, "<td class=\"detail\">{}</td>", escape(value));
                }
                Cell::Html(value) => {
                    let _ = write!(out, "<td>{value}</td>");
                }
                Cell::Keys(value) => {
                    let _ = write!(out, "<td class=\"keys\">{value}</td>");
                }
                Cell::NoWrap(value) => {
                    let _ = write!(out, "<td class=\"nowrap\">{}</td>", escape(value));
                }
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}
