//! The chargeback statement of the range: a table of each group's cost under both policies,
//! its chart under the policy shown, and its export for finance.

use leptos::prelude::*;
use lmscope::analytics::chargeback::{By, Policy, Statement};
use serde_json::{json, Value};

use crate::bridge;
use crate::format::{money, round2};
use crate::widgets::bars::BarSpec;
use crate::widgets::table::{Column, DataTable, Kind};

#[component]
pub(super) fn Chargeback(statement: Statement, policy: Policy, currency: String) -> impl IntoView {
    let group = match statement.by {
        By::Department => Column::named(statement.by.label(), Kind::Department),
        By::Team => Column::named(statement.by.label(), Kind::Team),
        _ => Column::text(statement.by.label()),
    };
    let columns = vec![
        group,
        Column::number("License-hours"),
        Column::number("Share %"),
        Column::money("Pay for use"),
        Column::money("Full allocation"),
        Column::money(&format!("{} per license-hour", policy.label())),
    ];
    // Most expensive first under the policy shown, so the chart's bars run longest first.
    let mut lines: Vec<&lmscope::analytics::chargeback::Line> = statement.lines.iter().collect();
    lines.sort_by(|a, b| {
        b.cost(policy)
            .total_cmp(&a.cost(policy))
            .then_with(|| a.group.cmp(&b.group))
    });
    let rows: Vec<Vec<Value>> = lines
        .into_iter()
        .map(|l| {
            let per_hour =
                (l.license_hours > 0.0).then(|| round2(l.cost(policy) / l.license_hours));
            vec![
                json!(l.group),
                json!(round2(l.license_hours)),
                json!((l.share * 10.0).round() / 10.0),
                json!(round2(l.use_cost)),
                json!(round2(l.full_cost)),
                json!(per_hour),
            ]
        })
        .collect();
    let idle = if statement.bill > 0.0 {
        100.0 * (1.0 - statement.use_cost / statement.bill)
    } else {
        0.0
    };
    let name = format!(
        "chargeback-{}-{}-{}",
        statement.by.key(),
        statement.from,
        statement.to
    );
    let (csv, json_text) = (statement.to_csv(), statement.to_json());
    let (csv_name, json_name) = (format!("{name}.csv"), format!("{name}.json"));
    let export_csv = move |_| {
        let _ = bridge::download(&csv_name, "text/csv;charset=utf-8", &csv);
    };
    let export_json = move |_| {
        let _ = bridge::download(&json_name, "application/json", &json_text);
    };
    let title = format!(
        "Chargeback by {}, {} to {}",
        statement.by.label().to_lowercase(),
        statement.from,
        statement.to
    );
    crate::widgets::query_table::mark_view_ready();
    view! {
        <dl class="cards" data-testid="cost-totals">
            <div><dt>"License-hours"</dt><dd data-value=format!("{:.2}", statement.license_hours)>{crate::format::grouped(statement.license_hours, 1)}</dd></div>
            <div><dt>"Pay for use, total"</dt><dd data-testid="total-use" data-value=format!("{:.2}", statement.use_cost)>{money(statement.use_cost, &currency, 0)}</dd></div>
            <div><dt>"License bill (full allocation), total"</dt><dd data-testid="total-bill" data-value=format!("{:.2}", statement.bill)>{money(statement.bill, &currency, 0)}</dd></div>
            <div><dt>"Bill not covered by use"</dt><dd>{format!("{idle:.1} %")}</dd></div>
        </dl>
        <div class="toolbar">
            <button type="button" on:click=export_csv data-testid="chargeback-export-csv">"Chargeback CSV (finance)"</button>
            <button type="button" on:click=export_json data-testid="chargeback-export-json">"Chargeback JSON (ERP)"</button>
        </div>
        <DataTable testid="chargeback" title columns rows
            chart=chargeback_chart(&statement, policy, &currency) />
    }
}

/// Bars of each group's cost under `policy`, largest first as the statement lists them.
fn chargeback_chart(s: &Statement, policy: Policy, currency: &str) -> BarSpec {
    let column = if policy == Policy::PayForUse { 3 } else { 4 };
    BarSpec::new(
        format!("{} by {}", policy.label(), s.by.label().to_lowercase()),
        column,
        format!("cost ({currency})"),
    )
}
