//! The feature summary table (Feature, Used, Total, Available, % Utilized).

use leptos::prelude::*;

use crate::data::FeatureRow;
use crate::format;

#[component]
pub fn FeatureTable(features: Vec<FeatureRow>, selected: Memo<Option<String>>) -> impl IntoView {
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
            let (used_v, total_v, available_v) = (raw(f.in_use), raw(f.issued), raw(f.available));
            let (used, total, available, pct) = if f.counting == "counted" {
                (
                    format::count(f.in_use),
                    format::count(f.issued),
                    format::count(f.available),
                    format::pct(f.pct),
                )
            } else {
                let label = f.counting.clone();
                (label.clone(), label, "—".to_owned(), "—".to_owned())
            };
            let level = match f.pct {
                Some(p) if p >= 95.0 => "meter full",
                Some(p) if p >= 80.0 => "meter high",
                _ => "meter",
            };
            let width = format!("width: {:.1}%", f.pct.unwrap_or(0.0).clamp(0.0, 100.0));
            view! {
                <tr class:selected=is_selected>
                    <th scope="row"><a href=href>{f.feature}</a></th>
                    <td>{f.server}</td>
                    <td>{f.vendor.unwrap_or_default()}</td>
                    <td class="num" data-value=used_v>{used}</td>
                    <td class="num" data-value=total_v>{total}</td>
                    <td class="num" data-value=available_v>{available}</td>
                    <td class="num">
                        <span class=level aria-hidden="true"><span style=width></span></span>
                        {pct}
                    </td>
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
                            <th scope="col" class="num">"Used"</th>
                            <th scope="col" class="num">"Total"</th>
                            <th scope="col" class="num">"Available"</th>
                            <th scope="col" class="num">"% Utilized"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
}
