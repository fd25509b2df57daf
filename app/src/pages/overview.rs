//! The overview: server health, the feature summary, one feature's history and the live
//! feed. It draws from the first-view JSON before DuckDB-Wasm has opened the data.

use leptos::prelude::*;
use leptos_router::hooks::query_signal;

use crate::data::Live;
use crate::widgets::feature_table::FeatureTable;
use crate::widgets::server_health::ServerHealth;
use crate::widgets::usage_chart::FeatureUsageChart;

/// The overview: server health, feature summary, one feature's last year and the live feed.
/// All of it follows the newest publish in place (see [`Live`]), filters and scroll kept.
#[component]
pub fn Overview(idle_hours: f64) -> impl IntoView {
    let live = expect_context::<Live>();
    let (feature_param, _) = query_signal::<String>("feature");
    let feature = Memo::new(move |_| {
        feature_param.get().or_else(|| {
            live.current
                .with(|d| d.features.first().map(|f| f.feature.clone()))
        })
    });
    view! {
        {move || {
            let d = live.current.get();
            view! {
                <ServerHealth servers=d.servers daemons=d.daemons />
                <FeatureTable features=d.features spark=d.spark selected=feature />
            }
        }}
        {move || {
            live.generation.track();
            let latest = live.current.with(super::latest_day);
            let year = (latest - chrono::Duration::days(364), latest);
            feature.get().map(|f| view! { <FeatureUsageChart feature=f range=year /> })
        }}
        {move || {
            live.generation.track();
            let latest = live.current.with(super::latest_day);
            view! { <crate::widgets::live_feed::LiveFeed latest /> }
        }}
        {move || {
            live.generation.track();
            let latest = live.current.with(super::latest_day);
            view! { <crate::widgets::compute::IdleNow latest idle_hours /> }
        }}
    }
}
