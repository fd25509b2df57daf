//! The trends page: this period against the previous one of the same length, monthly
//! utilization, and use by month and weekday.

use chrono::NaiveDate;
use leptos::prelude::*;
use std::rc::Rc;

use lmscope::analytics::filters::Filters;
use lmscope::analytics::page_sql::{self, PERIOD_MEASURES};
use lmscope::analytics::query::{grouped_usage, Dimension, Measure};
use serde_json::{json, Value};

use crate::bridge::query_days;
use crate::widgets::bars::BarSpec;
use crate::widgets::figure::{json_attr, Draw, Figure};
use crate::widgets::query_table::QueryTable;
use crate::widgets::table::{Column, DataTable};
use crate::widgets::usage_table::UsageTable;

async fn totals(f: &Filters, from: NaiveDate, to: NaiveDate) -> Result<Vec<Value>, String> {
    let (sql, params) = page_sql::period_totals(f, from, to);
    query_days::<Vec<Value>>(&sql, &params, (from, to))
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
    let (prev_from, prev_to) = page_sql::previous_period(from, to);
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

/// License-hours of each day of `[from, to]` (days without use as 0), oldest first.
async fn daily_hours(f: &Filters, from: NaiveDate, to: NaiveDate) -> Result<Vec<f64>, String> {
    let days = (to - from).num_days() + 1;
    let (sql, params) = grouped_usage(
        f,
        from,
        to,
        &[Dimension::Day],
        &[Measure::LicenseHours],
        days as usize + 1,
    );
    let rows = query_days::<(Option<String>, Option<f64>)>(&sql, &params, (from, to)).await?;
    let mut out = vec![0.0; days.max(0) as usize];
    for (day, hours) in rows {
        let Some(day) = day.and_then(|d| d.parse::<NaiveDate>().ok()) else {
            continue;
        };
        if let Some(slot) = usize::try_from((day - from).num_days())
            .ok()
            .and_then(|i| out.get_mut(i))
        {
            *slot += hours.unwrap_or(0.0);
        }
    }
    Ok(out)
}

/// Running totals, rounded to hundredths.
fn cumulative(days: &[f64]) -> Vec<f64> {
    days.iter()
        .scan(0.0, |sum, d| {
            *sum += d;
            Some((*sum * 100.0).round() / 100.0)
        })
        .collect()
}

/// License-hours accumulated day by day over this period and over the previous one of the
/// same length, on one chart: where the lines part is where demand changed.
#[component]
fn PeriodChart(filters: Filters, from: NaiveDate, to: NaiveDate) -> impl IntoView {
    let (prev_from, prev_to) = page_sql::previous_period(from, to);
    let both = LocalResource::new(move || {
        let f = filters.clone();
        async move {
            let now = daily_hours(&f, from, to).await?;
            let before = daily_hours(&f, prev_from, prev_to).await?;
            Ok::<_, String>((cumulative(&now), cumulative(&before)))
        }
    });
    let names = [
        format!("{from} to {to}"),
        format!("{prev_from} to {prev_to}"),
    ];
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"Comparing periods…"</p> }>
            {move || {
                let names = names.clone();
                Suspend::new(async move {
                    match both.await {
                        Ok((now, before)) => {
                            let title = "License-hours so far: this period against the previous one".to_owned();
                            let data = vec![
                                ("labels", json_attr(&names)),
                                ("values", json_attr(&[&now, &before])),
                            ];
                            let points = |v: &[f64]| v.iter().enumerate().map(|(i, y)| ((i + 1) as f64, *y)).collect::<Vec<_>>();
                            let series = vec![
                                (names[0].clone(), points(&now)),
                                (names[1].clone(), points(&before)),
                            ];
                            let label = format!("{title}: {} {:.0}, {} {:.0} license-hours", names[0], now.last().copied().unwrap_or(0.0), names[1], before.last().copied().unwrap_or(0.0));
                            let draw: Draw = Rc::new(move |el| {
                                crate::widgets::chart::draw_lines(el, &title, "day of the period", "license-hours (cumulative)", &series)
                            });
                            let columns = vec![
                                Column::number("Day of the period"),
                                Column::number(&format!("{}, license-hours so far", names[0])),
                                Column::number(&format!("{}, license-hours so far", names[1])),
                            ];
                            let rows: Vec<Vec<Value>> = (0..now.len().max(before.len()))
                                .map(|i| vec![json!(i + 1), json!(now.get(i)), json!(before.get(i))])
                                .collect();
                            view! {
                                <section data-testid="period">
                                    <h2>"This period against the previous one, day by day"</h2>
                                    <Figure testid="period".to_owned() label height_px=340 data draw />
                                    <details>
                                        <summary>"The same figures as a table"</summary>
                                        <DataTable testid="period-table" title="License-hours so far, day by day".to_owned() columns rows />
                                    </details>
                                </section>
                            }.into_any()
                        }
                        Err(e) => crate::widgets::query_table::query_error("Period chart", &e).into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
pub fn TrendsPage(filters: Filters, from: NaiveDate, to: NaiveDate) -> impl IntoView {
    let (prev_from, prev_to) = page_sql::previous_period(from, to);
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
                        Err(e) => crate::widgets::query_table::query_error("Period comparison", &e).into_any(),
                    }
                }
            })}
        </Suspense>
        <PeriodChart filters=filters.clone() from to />
        <QueryTable testid="trend-util" title=format!("Monthly utilization, {from} to {to}")
            columns=util_columns sql=page_sql::monthly_utilization(&filters, from, to)
            chart=BarSpec::new("Average utilization by month (tick: the month's peak)", 1, "utilization %")
                .with_mark(2, "peak utilization %").with_top(36)
            days=(from, to) />
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
