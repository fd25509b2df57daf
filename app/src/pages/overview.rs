//! The overview: server health, the feature summary, one feature's history and the live
//! feed. It draws from the first-view JSON before DuckDB-Wasm has opened the data.

use leptos::prelude::*;
use leptos_router::hooks::query_signal;

use crate::data::Loaded;
use crate::widgets::feature_table::FeatureTable;
use crate::widgets::server_health::ServerHealth;
use crate::widgets::usage_chart::FeatureUsageChart;

/// The overview: freshness, server health, feature summary and one feature's history.
#[component]
pub fn Overview(data: Loaded) -> impl IntoView {
    let (feature_param, _) = query_signal::<String>("feature");
    let default_feature = data.features.first().map(|f| f.feature.clone());
    let feature = Memo::new(move |_| feature_param.get().or_else(|| default_feature.clone()));
    view! {
        <ServerHealth servers=data.servers daemons=data.daemons />
        <FeatureTable features=data.features spark=data.spark selected=feature />
        {move || feature.get().map(|f| view! { <FeatureUsageChart feature=f /> })}
        <crate::widgets::live_feed::LiveFeed />
    }
}
