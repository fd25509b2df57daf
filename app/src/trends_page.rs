//! The trends page: this period against the previous one of the same length, monthly
//! utilization, and use by month and weekday.

use chrono::NaiveDate;
use leptos::prelude::*;
use lmscope::query::{Dimension, Filters, Measure};
use lmscope::views::{self, PERIOD_MEASURES};
use serde_json::{json, Value};

use crate::bars::BarSpec;
use crate::bridge::query;
use crate::pages::UsageTable;
use crate::query_table::QueryTable;
use crate::table::{Column, DataTable};

async fn totals(f: &Filters, from: NaiveDate, to: NaiveDate) -> Result<Vec<Value>, String> {
    let (sql, params) = views::period_totals(f, from, to);
    query::<Vec<Value>>(&sql, &params)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| "no totals row".to_owned())
}

/// Rows of the comparison table: measure, this period, previous period, change %. The
/// executive summary shows the same.
pub async fn comparison(
    f: Filters,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Vec<Value>>, String> {
    let (prev_from, prev_to) = views::previous_period(from, to);
    let now = totals(&f, from, to).await?;
    let before = totals(&f, prev_from, prev_to).await?;
    Ok(PERIOD_MEASURES
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let a = now.get(i).and_then(Value::as_f64);
            let b = before.get(i).and_then(Value::as_f64);
            let change = match (a, b) {
                (Some(a), Some(b)) if b != 0.0 => json!(((a - b) / b * 1000.0).round() / 10.0),
                _ => Value::Null,
            };
            vec![json!(label), json!(a), json!(b), change]
        })
        .collect())
}

#[component]
pub fn TrendsPage(filters: Filters, from: NaiveDate, to: NaiveDate) -> impl IntoView {
    let (prev_from, prev_to) = views::previous_period(from, to);
    let rows = LocalResource::new({
        let f = filters.clone();
        move || comparison(f.clone(), from, to)
    });
    let columns = vec![
        Column::text("Measure"),
        Column::mixed(&format!("{from} to {to}")),
        Column::mixed(&format!("{prev_from} to {prev_to}")),
        Column::number("Change %"),
    ];
    let util_columns = vec![
        Column::text("Month"),
        Column::number("Average utilization %"),
        Column::number("Peak utilization %"),
        Column::number("Peak in use"),
        Column::number("Denials"),
    ];
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"Computing…"</p> }>
            {move || Suspend::new({
                let columns = columns.clone();
                async move {
                    match rows.await {
                        Ok(rows) => view! {
                            <DataTable testid="trend-compare"
                                title="This period against the previous one".to_owned()
                                columns rows />
                        }.into_any(),
                        Err(e) => crate::query_table::query_error("Period comparison", &e).into_any(),
                    }
                }
            })}
        </Suspense>
        <QueryTable testid="trend-util" title=format!("Monthly utilization, {from} to {to}")
            columns=util_columns sql=views::monthly_utilization(&filters, from, to)
            chart=BarSpec::new("Average utilization by month (tick: the month's peak)", 1, "utilization %")
                .with_mark(2, "peak utilization %").with_top(36) />
        <UsageTable testid="trends" title="Monthly use" filters=filters.clone() from to
            dims=vec![Dimension::Month]
            measures=vec![Measure::LicenseHours, Measure::Users, Measure::Features, Measure::Sessions]
            sort_by_dims=true chart=Measure::LicenseHours />
        <UsageTable testid="weekdays" title="Use by weekday" filters from to
            dims=vec![Dimension::Weekday]
            measures=vec![Measure::LicenseHours, Measure::Users, Measure::Sessions]
            sort_by_dims=true chart=Measure::LicenseHours />
    }
}
