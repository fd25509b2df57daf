//! The forecast page: for each feature the filters leave, its daily peak concurrency
//! forecast 90 days ahead with a 95 % interval, the model's backtested error on the last
//! four weeks, and the date the interval first reaches the issued count. With `feature=`,
//! the history and the forecast on one chart, and the forecast as a table.

use chrono::{NaiveDate, TimeDelta};
use leptos::html::Canvas;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use lmscope::analytics::filters::Filters;
use lmscope::analytics::forecast::{outlooks, Outlook, Point, SeriesOutlook, MIN_DAYS};
use lmscope::analytics::page_sql;
use serde_json::{json, Value};

use crate::bridge;
use crate::url::href_with;
use crate::widgets::table::{Column, DataTable};

async fn load(f: Filters) -> Result<Vec<SeriesOutlook>, String> {
    let (sql, params) = page_sql::daily_peaks(&f);
    let rows = bridge::query::<Vec<Value>>(&sql, &params).await?;
    Ok(outlooks(&rows))
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[component]
pub fn ForecastPage(filters: Filters) -> impl IntoView {
    let chosen = filters.feature.clone();
    let series = LocalResource::new(move || load(filters.clone()));
    view! {
        <p class="muted">
            "Daily peak concurrency, forecast 90 days ahead by additive Holt-Winters (level, trend, "
            "weekly season) fitted to all the history; the band is the 95 % prediction interval. "
            "Backtest: the model fitted without the last 28 days, scored on them (mean absolute "
            "error, its percentage, how many days fell inside the band), beside the error of "
            "“same weekday a week before”. "
            {format!("A series needs {MIN_DAYS} days of history.")}
        </p>
        <Suspense fallback=|| view! { <p class="loading" role="status">"Fitting forecasts…"</p> }>
            {move || {
                let chosen = chosen.clone();
                Suspend::new(async move {
                    match series.await {
                        Ok(all) => {
                            let chart = chosen
                                .and_then(|_| all.first().cloned())
                                .map(|s| view! { <ForecastChart series=s /> });
                            // Without a chosen feature: the leading series at a glance.
                            let grid = chart.is_none().then(|| view! { <ForecastGrid all=all.clone() /> });
                            view! { {chart} {grid} <Summary all /> }.into_any()
                        }
                        Err(e) => crate::widgets::query_table::query_error("Forecasts", &e).into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// Every series: its outlook in one row, linking to its chart.
#[component]
fn Summary(all: Vec<SeriesOutlook>) -> impl IntoView {
    let q = use_query_map();
    let columns = vec![
        Column::text("Feature"),
        Column::text("Server"),
        Column::number("Issued"),
        Column::number("Peak, last 28 days"),
        Column::number("Forecast peak, 90 days"),
        Column::number("Upper bound, 90 days"),
        Column::text("Projected shortage"),
        Column::number("Backtest MAE"),
        Column::number("Backtest MAPE %"),
        Column::number("In band %"),
        Column::number("Week-before MAE"),
    ];
    let today = all
        .iter()
        .map(|s| s.first + TimeDelta::days(s.peaks.len() as i64))
        .max();
    let rows: Vec<Vec<Value>> = all
        .iter()
        .map(|s| {
            let recent = s.peaks.iter().rev().take(28).copied().fold(0.0, f64::max);
            let mut row = vec![
                json!(s.feature),
                json!(s.server),
                json!(s.issued),
                json!(recent),
            ];
            match &s.outlook {
                Outlook::TooShort { days, needed } => row.extend([
                    Value::Null,
                    Value::Null,
                    json!(format!("history too short: {days} of {needed} days")),
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                ]),
                Outlook::Ready {
                    backtest, shortage, ..
                } => {
                    let (peak, high) = s.peak_and_high().unwrap_or_default();
                    let when = match (shortage, today) {
                        (Some(d), Some(t)) => {
                            let weeks = (*d - t).num_days() / 7;
                            format!("{d} (in {weeks} weeks)")
                        }
                        (Some(d), None) => d.to_string(),
                        (None, _) => "none in 90 days".to_owned(),
                    };
                    row.extend([
                        json!(round1(peak)),
                        json!(round1(high)),
                        json!(when),
                        json!(round1(backtest.mae)),
                        json!(backtest.mape.map(round1)),
                        json!(round1(backtest.coverage)),
                        json!(round1(backtest.naive_mae)),
                    ]);
                }
            }
            row
        })
        .collect();
    let link = Callback::new(move |row: Vec<Value>| {
        let text = |i: usize| row.get(i).and_then(Value::as_str).map(str::to_owned);
        q.with(|q| href_with(q, &[("feature", text(0)), ("server", text(1))]))
    });
    crate::widgets::query_table::mark_view_ready();
    view! {
        <DataTable testid="forecasts" title="Forecast by feature".to_owned() columns rows link />
    }
}

fn ms(d: NaiveDate) -> f64 {
    d.and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .timestamp_millis() as f64
}

/// How many series the list shows as small charts.
const GRID: usize = 6;

/// The first [`GRID`] forecast series (the most utilized) as small charts: the last 120
/// days, the forecast, its band and the issued line; each opens its detail. The table
/// below lists the same series.
#[component]
fn ForecastGrid(all: Vec<SeriesOutlook>) -> impl IntoView {
    let q = use_query_map();
    let cells = all
        .into_iter()
        .filter(|s| matches!(s.outlook, Outlook::Ready { .. }))
        .take(GRID)
        .map(|series| {
            let canvas = NodeRef::<Canvas>::new();
            let (history, drawn) = chart_points(&series);
            let issued = series.issued;
            let title = series.feature.clone();
            let high = drawn.iter().map(|p| p.3).fold(0.0, f64::max);
            {
                let title = title.clone();
                Effect::new(move |_| {
                    if let Some(el) = canvas.get() {
                        let (title, history, drawn) =
                            (title.clone(), history.clone(), drawn.clone());
                        request_animation_frame(move || {
                            if crate::widgets::chart::draw_forecast(
                                &el, &title, &history, &drawn, issued, false,
                            )
                            .is_ok()
                            {
                                let _ = el
                                    .set_attribute("data-forecast-days", &drawn.len().to_string());
                                let _ = el.set_attribute("data-high", &format!("{:.1}", high));
                                let _ = el.set_attribute("data-issued", &format!("{issued:.0}"));
                            }
                        });
                    }
                });
            }
            let (feature, server) = (series.feature.clone(), series.server.clone());
            let href = move || {
                q.with(|q| {
                    href_with(
                        q,
                        &[
                            ("feature", Some(feature.clone())),
                            ("server", Some(server.clone())),
                        ],
                    )
                })
            };
            let label = format!(
                "{title} on {}: daily peak, 90-day forecast and its 95 % band against {issued:.0} issued",
                series.server
            );
            view! {
                <a class="mini" href=href>
                    <canvas node_ref=canvas class="chart mini" role="img" aria-label=label
                        data-testid="forecast-mini" data-feature=series.feature.clone()
                        data-server=series.server.clone()></canvas>
                    <span class="muted mini-server">{format!("on {}", series.server)}</span>
                </a>
            }
        })
        .collect_view();
    view! {
        <p class="legend" data-testid="forecast-legend">
            <span class="swatch band"></span>"95 % prediction interval"
            <span class="swatch issued"></span>"issued"
            <span class="swatch history"></span>"daily peak in use"
            <span class="swatch forecast"></span>"forecast"
        </p>
        <section class="grid" data-testid="forecast-grid">{cells}</section>
    }
}

/// A series' last 120 days `(ms, peak)` and its forecast `(ms, mean, low, high)`.
#[allow(clippy::type_complexity)]
fn chart_points(series: &SeriesOutlook) -> (Vec<(f64, f64)>, Vec<(f64, f64, f64, f64)>) {
    let skip = series.peaks.len().saturating_sub(120);
    let history = series
        .peaks
        .iter()
        .enumerate()
        .skip(skip)
        .map(|(i, v)| (ms(series.first + TimeDelta::days(i as i64)), *v))
        .collect();
    let drawn = match &series.outlook {
        Outlook::Ready { points, .. } => points
            .iter()
            .map(|p| (ms(p.day), p.mean, p.low, p.high))
            .collect(),
        Outlook::TooShort { .. } => Vec::new(),
    };
    (history, drawn)
}

/// One series: the last 120 days and the forecast on one chart, the forecast as a table.
#[component]
fn ForecastChart(series: SeriesOutlook) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let error = RwSignal::new(None::<String>);
    let title = format!(
        "{} on {}: daily peak and forecast",
        series.feature, series.server
    );
    let (history, drawn) = chart_points(&series);
    let points: Vec<Point> = match &series.outlook {
        Outlook::Ready { points, .. } => points.clone(),
        Outlook::TooShort { .. } => Vec::new(),
    };
    let issued = series.issued;
    {
        let title = title.clone();
        Effect::new(move |_| {
            if let Some(el) = canvas.get() {
                let (title, history, drawn) = (title.clone(), history.clone(), drawn.clone());
                request_animation_frame(move || {
                    let _ = el.set_attribute("data-forecast-days", &drawn.len().to_string());
                    if let Err(e) = crate::widgets::chart::draw_forecast(
                        &el, &title, &history, &drawn, issued, true,
                    ) {
                        error.set(Some(e));
                    }
                });
            }
        });
    }
    let file = format!("{}-forecast.png", series.feature);
    let export_png = move |_| {
        if let Some(el) = canvas.get_untracked() {
            if let Err(e) = bridge::download_png(&file, &el) {
                error.set(Some(format!("PNG export failed: {e}")));
            }
        }
    };
    let rows: Vec<Vec<Value>> = points
        .iter()
        .map(|p| {
            vec![
                json!(p.day.to_string()),
                json!(round1(p.mean)),
                json!(round1(p.low)),
                json!(round1(p.high)),
            ]
        })
        .collect();
    let columns = vec![
        Column::text("Day"),
        Column::number("Forecast peak"),
        Column::number("95 % low"),
        Column::number("95 % high"),
    ];
    let label = format!(
        "{title}: history and 90-day forecast with a 95 % band, against {issued:.0} issued"
    );
    view! {
        <section>
            <div class="section-head">
                <h2>{title.clone()}</h2>
                <button type="button" class="export" on:click=export_png>"Export PNG"</button>
            </div>
            <canvas node_ref=canvas class="chart" role="img" aria-label=label data-testid="forecast-chart"></canvas>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
        <DataTable testid="forecast-points" title="Forecast by day (text equivalent)".to_owned() columns rows />
    }
}
