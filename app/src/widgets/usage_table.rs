//! A grouped usage table (dimensions × measures) over the filtered range, with its chart.

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use lmscope::analytics::filters::Filters;
use lmscope::analytics::query::{grouped_usage_in, Dimension, Measure, Order};
use serde_json::Value;

use crate::url::href_with;
use crate::widgets::bars::BarSpec;
use crate::widgets::query_table::QueryTable;
use crate::widgets::table::{Column, Kind};

/// A grouped usage table over the filtered range, computed by DuckDB-Wasm.
#[component]
pub fn UsageTable(
    testid: &'static str,
    title: &'static str,
    filters: Filters,
    from: NaiveDate,
    to: NaiveDate,
    dims: Vec<Dimension>,
    measures: Vec<Measure>,
    /// Filter set by the first column's link (drill down).
    #[prop(optional)]
    link_filter: Option<&'static str>,
    /// Page the first column's link opens (the users behind the row by default).
    #[prop(optional)]
    link_page: Option<&'static str>,
    /// Order by the dimensions (time) rather than by the first measure.
    #[prop(optional)]
    sort_by_dims: bool,
    /// Chart this measure of the leading rows as bars above the table.
    #[prop(optional)]
    chart: Option<Measure>,
) -> impl IntoView {
    let order = if sort_by_dims {
        Order::Dimensions
    } else {
        Order::Largest
    };
    let (sql, params) = grouped_usage_in(&filters, from, to, &dims, &measures, 500, order);
    let columns: Vec<Column> = dims
        .iter()
        .map(|d| dimension_column(*d))
        .chain(measures.iter().map(|m| measure_column(*m)))
        .collect();
    let chart = chart.and_then(|m| {
        let column = dims.len() + measures.iter().position(|x| *x == m)?;
        let by = dims.first().map_or("group", |d| d.label());
        let spec = BarSpec::new(
            format!("{} by {}", m.label(), by.to_lowercase()),
            column,
            m.label(),
        );
        // Periods in time order are charted whole; rankings show their leaders.
        Some(if sort_by_dims {
            spec.with_top(36)
        } else {
            spec
        })
    });
    let title = format!("{title}, {from} to {to}");
    let sql = (sql, params);
    let days = (from, to);
    let link = link_filter.map(|key| drill_down(key, link_page.unwrap_or("users")));
    match (link, chart) {
        (Some(link), Some(chart)) => {
            view! { <QueryTable testid title columns sql link chart days /> }.into_any()
        }
        (Some(link), None) => {
            view! { <QueryTable testid title columns sql link days /> }.into_any()
        }
        (None, Some(chart)) => {
            view! { <QueryTable testid title columns sql chart days /> }.into_any()
        }
        (None, None) => view! { <QueryTable testid title columns sql days /> }.into_any(),
    }
}

/// A dimension's column: weekdays by name, in week order.
pub fn dimension_column(d: Dimension) -> Column {
    match d {
        Dimension::Weekday => Column::weekday(d.label()),
        Dimension::Department => Column::named(d.label(), Kind::Department),
        Dimension::Team => Column::named(d.label(), Kind::Team),
        _ => Column::text(d.label()),
    }
}

/// A measure's column: money for cost, a number (a percentage for shares) otherwise.
pub fn measure_column(m: Measure) -> Column {
    if m == Measure::Cost {
        Column::money(m.label())
    } else {
        Column::number(m.label())
    }
}

/// A link from a row's first cell: set filter `key` to it and open `page`.
pub fn drill_down(key: &'static str, page: &'static str) -> Callback<Vec<Value>, String> {
    let q = use_query_map();
    Callback::new(move |row: Vec<Value>| {
        let value = row.first().and_then(Value::as_str).map(str::to_owned);
        q.with(|q| href_with(q, &[(key, value), ("page", Some(page.to_owned()))]))
    })
}
