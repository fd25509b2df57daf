//! The feature summary table (Feature, Checked out, Reserved, Total, Available, % Utilized).

use leptos::prelude::*;

use std::collections::HashMap;

use crate::data::FeatureRow;
use crate::format;

#[component]
pub fn FeatureTable(
    features: Vec<FeatureRow>,
    /// Hourly peaks of the last 24 hours by (feature, server).
    spark: HashMap<(String, String), Vec<f64>>,
    selected: Memo<Option<String>>,
) -> impl IntoView {
    Effect::new(move |_| {
        if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
            let _ = perf.mark("lmscope:first-table");
        }
    });
    let rows = features
        .into_iter()
        .map(|f| {
            let href = format!(
                "?feature={}",
                String::from(js_sys::encode_uri_component(&f.feature))
            );
            let name = f.feature.clone();
            let is_selected = move || selected.get().as_deref() == Some(name.as_str());
            // The figures themselves (data-value), for tests and scripts that read the page.
            let raw = |v: Option<f64>| {
                (f.counting == "counted")
                    .then(|| v.map(|v| format!("{v:.0}")))
                    .flatten()
            };
            let (used_v, reserved_v, total_v, available_v) = (
                raw(f.checked_out),
                raw(Some(f.reserved)),
                raw(f.issued),
                raw(f.available),
            );
            let (used, reserved, total, available, pct) = if f.counting == "counted" {
                (
                    format::count(f.checked_out),
                    format::count(Some(f.reserved)),
                    format::count(f.issued),
                    format::count(f.available),
                    format::pct(f.pct),
                )
            } else {
                let label = f.counting.clone();
                let none = || "—".to_owned();
                (label.clone(), none(), label, none(), none())
            };
            let level = match f.pct {
                Some(p) if p >= 95.0 => "meter full",
                Some(p) if p >= 80.0 => "meter high",
                _ => "meter",
            };
            let width = format!("width: {:.1}%", f.pct.unwrap_or(0.0).clamp(0.0, 100.0));
            let peaks = spark
                .get(&(f.feature.clone(), f.server.clone()))
                .cloned()
                .unwrap_or_default();
            let line = sparkline(&peaks, f.issued.unwrap_or(0.0), &f.feature);
            let peaks_text = peaks
                .iter()
                .map(|p| format!("{p:.0}"))
                .collect::<Vec<_>>()
                .join(",");
            view! {
                <tr class:selected=is_selected>
                    <th scope="row"><a href=href>{f.feature}</a></th>
                    <td>{crate::widgets::server_health::server_name(&f.server)}</td>
                    <td>{f.vendor.unwrap_or_default()}</td>
                    <td class="num" data-value=used_v>{used}</td>
                    <td class="num" data-value=reserved_v>{reserved}</td>
                    <td class="num" data-value=total_v>{total}</td>
                    <td class="num" data-value=available_v>{available}</td>
                    <td class="num">
                        <span class=level aria-hidden="true"><span style=width></span></span>
                        {pct}
                    </td>
                    <td class="spark" data-value=peaks_text>{line}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="features-h">
            <h2 id="features-h">"Feature usage"</h2>
            <div class="scroll">
                <table data-testid="features">
                    <thead>
                        <tr>
                            <th scope="col">"Feature"</th>
                            <th scope="col">"Server"</th>
                            <th scope="col">"Vendor"</th>
                            <th scope="col" class="num" title="Licenses checked out by someone">
                                "Checked out"
                            </th>
                            <th
                                scope="col"
                                class="num"
                                title="Reserved for a user, host or group and not checked out: lmstat counts these as in use"
                            >
                                "Reserved"
                            </th>
                            <th scope="col" class="num">"Total"</th>
                            <th scope="col" class="num">"Available"</th>
                            <th scope="col" class="num">"% Utilized"</th>
                            <th scope="col">"Last 24 h"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
}

/// A sparkline of `peaks` (hourly, oldest first) against `issued`, as inline SVG: sharp at
/// any pixel ratio, coloured by the stylesheet (`.spark`), with the figures in its title.
fn sparkline(peaks: &[f64], issued: f64, feature: &str) -> impl IntoView {
    const W: f64 = 96.0;
    const H: f64 = 24.0;
    let top = peaks.iter().copied().fold(issued, f64::max).max(1.0);
    let step = if peaks.len() > 1 {
        W / (peaks.len() - 1) as f64
    } else {
        0.0
    };
    let points = peaks
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "{:.1},{:.1}",
                i as f64 * step,
                H - 1.0 - p / top * (H - 2.0)
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    let issued_y = format!("{:.1}", H - 1.0 - issued / top * (H - 2.0));
    let peak = peaks.iter().copied().fold(0.0, f64::max);
    let label = if peaks.is_empty() {
        format!("{feature}: no use in the last 24 hours of data")
    } else {
        format!(
            "{feature}: hourly peak in use over the last 24 hours of data, highest {peak:.0} of {issued:.0} issued"
        )
    };
    let title = label.clone();
    view! {
        <svg viewBox=format!("0 0 {W} {H}") width=W height=H role="img" aria-label=label>
            <title>{title}</title>
            <line class="issued" x1="0" x2=W y1=issued_y.clone() y2=issued_y />
            <polyline class="peak" points=points />
        </svg>
    }
}
