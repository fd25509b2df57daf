//! The forecast page: for each feature the filters leave, its daily peak concurrency
//! forecast 90 days ahead with a calibrated 95 % band, the chance it runs out within 30 and
//! 90 days, the model its rolling-origin backtests chose and how it scored, and a scorecard
//! of every backtest. With `feature=`, the history and the forecast on one chart, every
//! candidate's score, and the forecast as a table.

use chrono::{NaiveDate, TimeDelta};
use leptos::html::Canvas;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use lmscope::analytics::filters::Filters;
use lmscope::analytics::forecast::{
    backtest, outlooks, Outlook, Point, Scorecard, SeriesOutlook, MIN_DAYS, SHORTAGE_PROBABILITY,
};
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
            {format!(
                "Daily peak concurrency in use (lmstat's count: reserved seats nobody has checked \
                 out are in use too, as nobody else can have them), forecast 90 days ahead. Each \
                 feature's model is chosen by \
                 backtests from up to {} origins {} days apart, each scored on the {} days after \
                 it: seasonal naive (the same weekday a week before), Holt-Winters, damped \
                 Holt-Winters, and Holt-Winters on last year's profile once there is a year of \
                 history. MASE is the model's error over seasonal naive's on the same days (below 1 \
                 is better). The 95 % band is calibrated by the backtests' errors. The chance of \
                 running out is the share of 1,000 simulated futures whose daily peak reaches the \
                 issued count; a feature is projected short from {:.0} % within 90 days. A series \
                 needs {MIN_DAYS} days of history.",
                backtest::ORIGINS,
                backtest::STEP,
                backtest::DAYS,
                100.0 * SHORTAGE_PROBABILITY
            )}
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
                            let card = Scorecard::of(&all).text();
                            view! {
                                <p class="scorecard" data-testid="forecast-scorecard">{card}</p>
                                {chart} {grid} <Summary all />
                            }
                            .into_any()
                        }
                        Err(e) => crate::widgets::query_table::query_error("Forecasts", &e).into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// A probability as a whole percentage.
fn percent(p: f64) -> f64 {
    (p * 100.0).round()
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
        Column::chance("Chance short, 30 days %"),
        Column::chance("Chance short, 90 days %"),
        Column::text("Projected shortage, most likely from"),
        Column::text("Model"),
        Column::number("MASE"),
    ];
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
                Outlook::TooShort { .. } => {
                    row.extend(std::iter::repeat_n(Value::Null, 7));
                }
                Outlook::Ready {
                    backtest,
                    model,
                    risk,
                    ..
                } => {
                    let (peak, high) = s.peak_and_high().unwrap_or_default();
                    let when = match s.shortage() {
                        Some((_, Some(day))) => day.to_string(),
                        Some((_, None)) => "within 90 days".to_owned(),
                        None => "not likely".to_owned(),
                    };
                    row.extend([
                        json!(round1(peak)),
                        json!(round1(high)),
                        json!(percent(risk.p30)),
                        json!(percent(risk.p90)),
                        json!(when),
                        json!(model.label()),
                        json!(backtest.mase.map(|m| (m * 100.0).round() / 100.0)),
                    ]);
                }
            }
            row
        })
        .collect();
    let meanings = all
        .iter()
        .map(|s| {
            view! {
                <li data-feature=s.feature.clone() data-server=s.server.clone()>
                    <strong>{s.feature.clone()}</strong>
                    <span class="muted">{format!(" on {}: ", s.server)}</span>
                    {s.sentence()}
                </li>
            }
        })
        .collect_view();
    let link = Callback::new(move |row: Vec<Value>| {
        let text = |i: usize| row.get(i).and_then(Value::as_str).map(str::to_owned);
        q.with(|q| href_with(q, &[("feature", text(0)), ("server", text(1))]))
    });
    crate::widgets::query_table::mark_view_ready();
    view! {
        <DataTable testid="forecasts" title="Forecast by feature".to_owned() columns rows link />
        <section class="meanings">
            <h2>"What the numbers mean"</h2>
            <ul data-testid="forecast-meanings">{meanings}</ul>
        </section>
    }
}

/// The chosen model's backtest beside every candidate's, for one series.
#[component]
fn Candidates(series: SeriesOutlook) -> impl IntoView {
    let Outlook::Ready {
        backtest, model, ..
    } = &series.outlook
    else {
        return ().into_any();
    };
    let columns = vec![
        Column::text("Model"),
        Column::number("Backtest MAE"),
        Column::number("MASE"),
        Column::text("Chosen"),
    ];
    let rows: Vec<Vec<Value>> = backtest
        .candidates
        .iter()
        .map(|c| {
            vec![
                json!(c.kind.label()),
                json!((c.mae * 100.0).round() / 100.0),
                json!(c.mase.map(|m| (m * 100.0).round() / 100.0)),
                json!(if c.kind == *model { "chosen" } else { "" }),
            ]
        })
        .collect();
    let title = format!(
        "Backtests: {} origins, {} days each; the 95 % band held {:.1} % of them (width {:.1})",
        backtest.origins, backtest.days, backtest.coverage, backtest.width
    );
    view! { <DataTable testid="forecast-candidates" title columns rows /> }.into_any()
}

fn ms(d: NaiveDate) -> f64 {
    d.and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .timestamp_millis() as f64
}

/// How many series the list shows as small charts.
const GRID: usize = 6;

/// The [`GRID`] forecast series most likely to run out as small charts: the last 120
/// days, the forecast, its band and the issued line; each opens its detail. The table
/// below lists the same series.
#[component]
fn ForecastGrid(all: Vec<SeriesOutlook>) -> impl IntoView {
    let q = use_query_map();
    let mut ready: Vec<SeriesOutlook> = all
        .into_iter()
        .filter(|s| matches!(s.outlook, Outlook::Ready { .. }))
        .collect();
    let p90 = |s: &SeriesOutlook| match &s.outlook {
        Outlook::Ready { risk, .. } => risk.p90,
        Outlook::TooShort { .. } => 0.0,
    };
    ready.sort_by(|a, b| p90(b).total_cmp(&p90(a)));
    let cells = ready
        .into_iter()
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
    let sentence = series.sentence();
    let candidates = series.clone();
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
            <p class="meaning" data-testid="forecast-meaning">{sentence}</p>
            <canvas node_ref=canvas class="chart" role="img" aria-label=label data-testid="forecast-chart"></canvas>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
        <Candidates series=candidates />
        <DataTable testid="forecast-points" title="Forecast by day (text equivalent)".to_owned() columns rows />
    }
}
