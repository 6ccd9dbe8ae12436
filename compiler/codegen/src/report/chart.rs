//! Inline SVG charts for the HTML report: storage growth per environment (lines) and monthly cost by
//! component (stacked bars).
//!
//! Charts are accessible: each `<svg>` has `role="img"`, a `<title>` and a `<desc>` it is labelled by,
//! labelled axes, a text legend, dash patterns besides colours, and a `<title>` tooltip on every point and bar.
//! The HTML report also prints the same numbers as tables.
//! Coordinates are printed with one decimal, so the bytes do not depend on float printing.

use std::fmt::Write;

use hostplan_core::estimate::{
    format,
    output::{Component, EnvironmentEstimate},
};

use crate::report::html::escape;

/// Line colours (Okabe and Ito's palette, readable with colour blindness) and dash patterns, used in turn.
const SERIES: [(&str, &str); 8] = [
    ("#0072B2", ""),
    ("#D55E00", "6 3"),
    ("#009E73", "2 3"),
    ("#CC79A7", "8 3 2 3"),
    ("#E69F00", "4 4"),
    ("#56B4E9", "1 2"),
    ("#000000", "10 4"),
    ("#999933", "3 2 8 2"),
];

/// One colour per cost component, in [`Component::ALL`] order.
const COMPONENT_COLOURS: [&str; 6] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
];

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 380.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 200.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 60.0;

/// The line chart of storage (CouchDB data, headroom and PostgreSQL) per environment, year by year.
pub(crate) fn storage_growth(environments: &[EnvironmentEstimate]) -> String {
    let years = environments
        .iter()
        .map(|env| env.years.len())
        .max()
        .unwrap_or(0)
        .max(1);
    let max = environments
        .iter()
        .flat_map(|env| env.years.iter().map(|it| it.storage_gib))
        .max()
        .unwrap_or(0);
    let (top, step) = nice_scale(max);
    let plot_width = WIDTH - LEFT - RIGHT;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let x = |year: usize| {
        if years == 1 {
            LEFT + plot_width / 2.0
        } else {
            LEFT + plot_width * (year.saturating_sub(1)) as f64 / (years - 1) as f64
        }
    };
    let y = |value: u64| TOP + plot_height - plot_height * ratio(value, top);

    let mut svg = open_svg(
        "storage-chart",
        "Storage growth per environment",
        &format!(
            "Line chart of the storage each environment needs (CouchDB data, upgrade headroom and PostgreSQL, in GiB) \
             for years 1 to {years}. The largest value is {} GiB.",
            format::int(max)
        ),
    );
    axes(&mut svg, top, step, "Storage (GiB)", |value| {
        format::int(value)
    });
    for year in 1..=years {
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="tick">{year}</text>"#,
            x(year),
            TOP + plot_height + 20.0
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="axis-label">Year</text>"#,
        LEFT + plot_width / 2.0,
        HEIGHT - 15.0
    );
    for (idx, env) in environments.iter().enumerate() {
        let (colour, dash) = SERIES[idx % SERIES.len()];
        let points: Vec<String> = env
            .years
            .iter()
            .map(|it| format!("{:.1},{:.1}", x(it.year as usize), y(it.storage_gib)))
            .collect();
        let dash_attr = if dash.is_empty() {
            String::new()
        } else {
            format!(r#" stroke-dasharray="{dash}""#)
        };
        let _ = write!(
            svg,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2.5"{dash_attr} points="{}"/>"#,
            points.join(" ")
        );
        for it in &env.years {
            let _ = write!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="4" fill="{colour}"><title>{}, year {}: {} GiB</title></circle>"#,
                x(it.year as usize),
                y(it.storage_gib),
                escape(&env.name),
                it.year,
                format::int(it.storage_gib)
            );
        }
        let legend_y = TOP + 10.0 + 22.0 * idx as f64;
        let legend_x = WIDTH - RIGHT + 20.0;
        let _ = write!(
            svg,
            r#"<line x1="{legend_x:.1}" y1="{legend_y:.1}" x2="{:.1}" y2="{legend_y:.1}" stroke="{colour}" stroke-width="2.5"{dash_attr}/>"#,
            legend_x + 28.0
        );
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" class="legend">{}</text>"#,
            legend_x + 36.0,
            legend_y + 4.0,
            escape(&env.name)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The stacked bar chart of each priced environment's monthly cost by component.
pub(crate) fn cost_by_component(environments: &[EnvironmentEstimate]) -> String {
    let priced: Vec<(&EnvironmentEstimate, [u64; 6])> = environments
        .iter()
        .filter(|env| env.monthly_cost.is_some())
        .map(|env| (env, component_cents(env)))
        .collect();
    let totals: Vec<u64> = priced.iter().map(|(_, parts)| parts.iter().sum()).collect();
    let max = totals.iter().copied().max().unwrap_or(0);
    let (top, step) = nice_scale(max);
    let plot_width = WIDTH - LEFT - RIGHT;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let unpriced: Vec<String> = environments
        .iter()
        .filter(|env| env.monthly_cost.is_none())
        .map(|env| env.name.clone())
        .collect();
    let mut desc = format!(
        "Stacked bar chart of the monthly cost in US dollars of {} priced environment{}, split into compute, storage, \
         backups, monitoring, analytics and platform.",
        priced.len(),
        if priced.len() == 1 { "" } else { "s" }
    );
    if !unpriced.is_empty() {
        let _ = write!(desc, " Not priced: {}.", unpriced.join(", "));
    }
    let mut svg = open_svg("cost-chart", "Monthly cost by component", &desc);
    axes(&mut svg, top, step, "Monthly cost (USD)", |cents| {
        format::dollars(cents).replace(".00", "")
    });
    let _ = write!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="axis-label">Environment</text>"#,
        LEFT + plot_width / 2.0,
        HEIGHT - 15.0
    );
    if priced.is_empty() {
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="tick">No environment is priced.</text>"#,
            LEFT + plot_width / 2.0,
            TOP + plot_height / 2.0
        );
    }
    let slot = plot_width / priced.len().max(1) as f64;
    let bar_width = (slot * 0.6).min(90.0);
    for (idx, ((env, parts), total)) in priced.iter().zip(&totals).enumerate() {
        let x = LEFT + slot * idx as f64 + (slot - bar_width) / 2.0;
        let mut stacked = 0_u64;
        for (component_idx, component) in Component::ALL.iter().enumerate() {
            let cents = parts[component_idx];
            if cents == 0 {
                continue;
            }
            let y_top = TOP + plot_height - plot_height * ratio(stacked + cents, top);
            let y_bottom = TOP + plot_height - plot_height * ratio(stacked, top);
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{y_top:.1}" width="{bar_width:.1}" height="{:.1}" fill="{}"><title>{}, {}: {}</title></rect>"#,
                (y_bottom - y_top).max(0.0),
                COMPONENT_COLOURS[component_idx],
                escape(&env.name),
                component.label(),
                format::dollars(cents)
            );
            stacked += cents;
        }
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="tick">{}</text>"#,
            x + bar_width / 2.0,
            TOP + plot_height + 20.0,
            escape(&env.name)
        );
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="value">{}</text>"#,
            x + bar_width / 2.0,
            TOP + plot_height - plot_height * ratio(*total, top) - 6.0,
            format::dollars(*total)
        );
    }
    for (idx, component) in Component::ALL.iter().enumerate() {
        let legend_y = TOP + 10.0 + 22.0 * idx as f64;
        let legend_x = WIDTH - RIGHT + 20.0;
        let _ = write!(
            svg,
            r#"<rect x="{legend_x:.1}" y="{:.1}" width="14" height="14" fill="{}"/><text x="{:.1}" y="{:.1}" class="legend">{}</text>"#,
            legend_y - 7.0,
            COMPONENT_COLOURS[idx],
            legend_x + 22.0,
            legend_y + 4.0,
            component.label()
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Monthly cents per component of one environment, in [`Component::ALL`] order.
pub(crate) fn component_cents(env: &EnvironmentEstimate) -> [u64; 6] {
    let mut res = [0_u64; 6];
    for item in &env.line_items {
        let idx = Component::ALL
            .iter()
            .position(|it| *it == item.component)
            .unwrap_or(0);
        if let (Some(slot), Some(monthly)) = (res.get_mut(idx), item.monthly) {
            *slot = slot.saturating_add(monthly.cents());
        }
    }
    res
}

fn open_svg(id: &str, title: &str, desc: &str) -> String {
    format!(
        r##"<svg role="img" aria-labelledby="{id}-title {id}-desc" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" class="chart"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc><rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>"##,
        escape(title),
        escape(desc)
    )
}

/// Draws the y axis with gridlines at every `step` up to `top`, and the x axis line.
fn axes(svg: &mut String, top: u64, step: u64, label: &str, tick: impl Fn(u64) -> String) {
    let plot_height = HEIGHT - TOP - BOTTOM;
    let mut value = 0_u64;
    while value <= top {
        let y = TOP + plot_height - plot_height * ratio(value, top);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#d0d0d0" stroke-width="1"/><text x="{:.1}" y="{:.1}" text-anchor="end" class="tick">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 8.0,
            y + 4.0,
            escape(&tick(value))
        );
        if step == 0 {
            break;
        }
        value = value.saturating_add(step);
        if value == u64::MAX {
            break;
        }
    }
    let _ = write!(
        svg,
        r##"<line x1="{LEFT:.1}" y1="{TOP:.1}" x2="{LEFT:.1}" y2="{:.1}" stroke="#333333" stroke-width="1.5"/><line x1="{LEFT:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#333333" stroke-width="1.5"/>"##,
        TOP + plot_height,
        TOP + plot_height,
        WIDTH - RIGHT,
        TOP + plot_height
    );
    let _ = write!(
        svg,
        r#"<text x="18" y="{:.1}" text-anchor="middle" class="axis-label" transform="rotate(-90 18 {:.1})">{}</text>"#,
        TOP + plot_height / 2.0,
        TOP + plot_height / 2.0,
        escape(label)
    );
}

/// A round axis maximum at or above `max`, and its tick step (1, 2 or 5 times a power of ten, about 5 ticks).
pub(crate) fn nice_scale(max: u64) -> (u64, u64) {
    if max == 0 {
        return (1, 1);
    }
    let rough = max.div_ceil(5);
    let mut magnitude = 1_u64;
    while magnitude.saturating_mul(10) <= rough && magnitude < u64::MAX / 10 {
        magnitude *= 10;
    }
    let step = [1_u64, 2, 5, 10]
        .iter()
        .map(|it| it.saturating_mul(magnitude))
        .find(|it| rough <= *it)
        .unwrap_or(u64::MAX);
    let top = max.div_ceil(step).saturating_mul(step);
    (top, step)
}

fn ratio(value: u64, top: u64) -> f64 {
    if top == 0 {
        return 0.0;
    }
    (value as f64 / top as f64).clamp(0.0, 1.0)
}
