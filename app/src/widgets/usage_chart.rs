//! One feature's in-use vs issued history: the chart and its text equivalent.

use chrono::NaiveDate;
use leptos::html::Canvas;
use leptos::prelude::*;

use crate::data::{self, DayRow, SeriesPoint};
use crate::widgets::chart;

/// The chart of `feature` over `range` (all data when `None`), with PNG export and a table
/// of its figures by day.
#[component]
pub fn FeatureUsageChart(
    feature: String,
    #[prop(optional)] range: Option<(NaiveDate, NaiveDate)>,
) -> impl IntoView {
    let name = feature.clone();
    let series = LocalResource::new(move || {
        let f = name.clone();
        async move {
            Ok::<_, String>((
                data::series(&f, range).await?,
                data::daily(&f, range).await?,
            ))
        }
    });
    let canvas = NodeRef::<Canvas>::new();
    let error = RwSignal::new(None::<String>);
    let title = feature.clone();
    // Redraw at the new size when the window changes.
    let resized = RwSignal::new(0u32);
    let listener = window_event_listener(leptos::ev::resize, move |_| resized.update(|n| *n += 1));
    on_cleanup(move || listener.remove());
    Effect::new(move |_| {
        resized.track();
        if let (Some(el), Some(Ok((points, _)))) = (canvas.get(), series.get()) {
            let title = title.clone();
            // Draw once the canvas is laid out, so it is measured at its real size.
            request_animation_frame(move || {
                set_data_attrs(&el, &points);
                if let Err(e) = chart::draw(&el, &title, &points) {
                    error.set(Some(e));
                }
            });
        }
    });
    let label = format!("Licenses of {feature} in use and issued over time");
    let file = format!("{}-usage.png", safe_file_name(&feature));
    let export_png = move |_| {
        if let Some(el) = canvas.get_untracked() {
            if let Err(e) = crate::bridge::download_png(&file, &el) {
                error.set(Some(format!("PNG export failed: {e}")));
            }
        }
    };
    view! {
        <section aria-labelledby="usage-h">
            <div class="section-head">
                <h2 id="usage-h">"In use vs issued: " {feature.clone()}</h2>
                <button type="button" class="export" on:click=export_png data-testid="usage-chart-png">
                    "Export PNG"
                </button>
            </div>
            <canvas node_ref=canvas class="chart" role="img" aria-label=label data-testid="usage-chart"></canvas>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading history…"</p> }>
                {move || Suspend::new(async move {
                    match series.await {
                        Ok((_, days)) => view! { <DailyTable days /> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// A download name from untrusted text: letters, digits, `-`, `_` and `.` kept.
fn safe_file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Expose what the chart plots (point count, peak, last point) for checks and assistive tech.
fn set_data_attrs(el: &web_sys::HtmlCanvasElement, points: &[SeriesPoint]) {
    let peak = points.iter().map(|p| p.peak_in_use).fold(0.0, f64::max);
    let last = points.last();
    let _ = el.set_attribute("data-points", &points.len().to_string());
    let _ = el.set_attribute("data-peak", &format!("{peak:.0}"));
    if let Some(l) = last {
        let _ = el.set_attribute("data-last-issued", &format!("{:.0}", l.issued));
    }
}

#[component]
fn DailyTable(days: Vec<DayRow>) -> impl IntoView {
    let rows = days
        .into_iter()
        .map(|d| {
            view! {
                <tr>
                    <th scope="row">{d.day}</th>
                    <td class="num">{format!("{:.0}", d.peak_in_use)}</td>
                    <td class="num">{format!("{:.1}", d.avg_in_use)}</td>
                    <td class="num">{format!("{:.0}", d.issued)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <details class="chart-data">
            <summary>"Chart data by day (text equivalent)"</summary>
            <table data-testid="usage-daily">
                <thead>
                    <tr>
                        <th scope="col">"Day (UTC)"</th>
                        <th scope="col" class="num">"Peak in use"</th>
                        <th scope="col" class="num">"Average in use"</th>
                        <th scope="col" class="num">"Issued"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </details>
    }
}
