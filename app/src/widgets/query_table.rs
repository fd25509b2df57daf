//! A table whose rows come from one DuckDB-Wasm query: loading state, error message, and
//! the sortable [`DataTable`] once the rows are in.

use leptos::prelude::*;
use lmscope::analytics::page_sql::Sql;
use serde_json::Value;

use crate::bridge::{query, query_days};
use crate::widgets::bars::BarSpec;
use crate::widgets::table::{Column, DataTable};

/// Run `sql` and show its rows under `columns`; `link` turns a row's first cell into a link.
#[component]
pub fn QueryTable(
    testid: &'static str,
    title: String,
    columns: Vec<Column>,
    sql: Sql,
    #[prop(optional)] link: Option<Callback<Vec<Value>, String>>,
    /// A column computed from each row (the report builder's calculated column).
    #[prop(optional)]
    calc: Option<(Column, Callback<Vec<Value>, Value>)>,
    /// A bar chart of the leading rows above the table.
    #[prop(optional)]
    chart: Option<BarSpec>,
    /// The days `[from, to]` the SQL reads rows of, when it reads no others: only the
    /// published months that meet them are fetched ([`crate::bridge::query_days`]).
    #[prop(optional)]
    days: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
) -> impl IntoView {
    let (sql, params) = sql;
    let derive = calc.as_ref().map(|(_, f)| *f);
    let rows = LocalResource::new(move || {
        let (sql, params) = (sql.clone(), params.clone());
        async move {
            let rows = match days {
                Some(days) => query_days::<Vec<Value>>(&sql, &params, days).await?,
                None => query::<Vec<Value>>(&sql, &params).await?,
            };
            Ok::<_, String>(match derive {
                Some(f) => rows
                    .into_iter()
                    .map(|mut r| {
                        let v = f.run(r.clone());
                        r.push(v);
                        r
                    })
                    .collect(),
                None => rows,
            })
        }
    });
    let columns: Vec<Column> = columns.into_iter().chain(calc.map(|(c, _)| c)).collect();
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"Computing…"</p> }>
            {move || Suspend::new({
                let columns = columns.clone();
                let title = title.clone();
                let chart = chart.clone();
                async move {
                    match rows.await {
                        Ok(rows) => {
                            mark_view_ready();
                            match (link, chart) {
                                (Some(link), Some(chart)) => view! {
                                    <DataTable testid title columns rows link chart />
                                }.into_any(),
                                (Some(link), None) => view! {
                                    <DataTable testid title columns rows link />
                                }.into_any(),
                                (None, Some(chart)) => view! {
                                    <DataTable testid title columns rows chart />
                                }.into_any(),
                                (None, None) => view! { <DataTable testid title columns rows /> }.into_any(),
                            }
                        }
                        Err(e) => query_error(&title, &e).into_any(),
                    }
                }
            })}
        </Suspense>
    }
}

/// Performance mark for the perf harness: a table's data is on screen (the frame after it
/// rendered).
pub fn mark_view_ready() {
    request_animation_frame(|| {
        if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
            let _ = perf.mark("lmscope:view-ready");
        }
    });
}

/// What failed and why, where the figures would have been.
pub fn query_error(what: &str, error: &str) -> impl IntoView {
    let text = format!("{what}: query failed: {error}");
    view! { <div class="error" role="alert" data-testid="query-error">{text}</div> }
}
