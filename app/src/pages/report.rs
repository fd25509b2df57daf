//! The report builder: measures and group-by dimensions picked in the URL, a calculated
//! column, CSV export.

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use lmscope::analytics::expr::Expr;
use lmscope::analytics::filters::Filters;
use lmscope::analytics::query::{grouped_usage, Dimension, Measure};
use serde_json::Value;

use crate::state::ReportSpec;
use crate::url::{href_with, param_setter};
use crate::widgets::query_table::QueryTable;
use crate::widgets::table::Column;
use crate::widgets::usage_table::{dimension_column, measure_column};

/// Pick measures and group-by dimensions (kept in the URL as `dims` and `measures`).
#[component]
pub fn ReportBuilder(
    spec: ReportSpec,
    filters: Filters,
    from: NaiveDate,
    to: NaiveDate,
) -> impl IntoView {
    let q = use_query_map();
    let ReportSpec {
        dims,
        measures,
        calc: calc_text,
        calc_name,
    } = spec;
    let toggles = |key: &'static str,
                   all: Vec<(&'static str, &'static str)>,
                   chosen: Vec<&'static str>| {
        all.into_iter()
            .map(|(k, label)| {
                let on = chosen.contains(&k);
                let mut next: Vec<&str> = chosen.iter().copied().filter(|c| *c != k).collect();
                if !on {
                    next.push(k);
                }
                let next = next.join(",");
                let href = move || q.with(|q| href_with(q, &[(key, Some(next.clone()))]));
                view! { <a class="toggle" class:on=on href=href aria-pressed=on.to_string()>{label}</a> }
            })
            .collect_view()
    };
    let dim_toggles = toggles(
        "dims",
        Dimension::ALL
            .iter()
            .map(|d| (d.key(), d.label()))
            .collect(),
        dims.iter().map(|d| d.key()).collect(),
    );
    let measure_toggles = toggles(
        "measures",
        Measure::ALL.iter().map(|m| (m.key(), m.label())).collect(),
        measures.iter().map(|m| m.key()).collect(),
    );
    // The calculated column: parsed and evaluated in Rust over each row's measures.
    let names: Vec<&str> = Measure::ALL.iter().map(|m| m.key()).collect();
    let (expr, calc_error) = match calc_text.trim() {
        "" => (None, None),
        text => match Expr::parse(text, &names) {
            Ok(e) => (Some(e), None),
            Err(e) => (None, Some(e.to_string())),
        },
    };
    let mut measures = measures;
    for name in expr.iter().flat_map(Expr::names) {
        if let Some(m) = Measure::from_key(&name).filter(|m| !measures.contains(m)) {
            measures.push(m);
        }
    }
    let offset = dims.len();
    let keys: Vec<&'static str> = measures.iter().map(|m| m.key()).collect();
    let calc = expr.map(|e| {
        let derive = Callback::new(move |row: Vec<Value>| {
            let value = |name: &str| {
                keys.iter()
                    .position(|k| *k == name)
                    .and_then(|i| row.get(offset + i))
                    .and_then(Value::as_f64)
            };
            e.eval(&value).map_or(Value::Null, |x| {
                serde_json::json!((x * 100.0).round() / 100.0)
            })
        });
        (Column::number(&calc_name), derive)
    });
    let set = param_setter();
    let set_name = set.clone();
    let (sql, params) = grouped_usage(&filters, from, to, &dims, &measures, 500);
    let columns: Vec<Column> = dims
        .iter()
        .map(|d| dimension_column(*d))
        .chain(measures.iter().map(|m| measure_column(*m)))
        .collect();
    let title = format!("Report, {from} to {to}");
    let table = match calc {
        Some(calc) => {
            view! { <QueryTable testid="report" title columns sql=(sql, params) calc /> }.into_any()
        }
        None => view! { <QueryTable testid="report" title columns sql=(sql, params) /> }.into_any(),
    };
    view! {
        <section class="builder">
            <h2>"Report builder"</h2>
            <p data-testid="report-dims">"Group by: " {dim_toggles}</p>
            <p data-testid="report-measures">"Measures: " {measure_toggles}</p>
            <form class="filters" on:submit=|ev| ev.prevent_default()>
                <label>
                    "Calculated column"
                    <input type="text" name="calc_name" prop:value=calc_name.clone() size="14"
                        on:change=move |ev| set_name("calc_name", event_target_value(&ev)) />
                </label>
                <label>
                    {format!("Expression over {}; + − × ÷ and parentheses", names.join(", "))}
                    <input type="text" name="calc" prop:value=calc_text size="40" placeholder="license_hours / users"
                        on:change=move |ev| set("calc", event_target_value(&ev)) />
                </label>
            </form>
            {calc_error.map(|e| view! { <p class="error" role="alert" data-testid="calc-error">{e}</p> })}
            <p class="muted">"The report is the link: copy the address to share it."</p>
        </section>
        {table}
    }
}
