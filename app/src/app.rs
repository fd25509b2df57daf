//! The application shell: loading, errors, and the overview page.

use leptos::prelude::*;
use leptos_router::components::Router;
use leptos_router::hooks::query_signal;

use crate::data::{self, Loaded};
use crate::status::ServerHealth;
use crate::summary::FeatureTable;
use crate::usage::FeatureUsageChart;

/// Root component: loads the data once, then shows the page the URL names.
#[component]
pub fn App() -> impl IntoView {
    let loaded = LocalResource::new(data::load);
    view! {
        <Router>
            <header class="top">
                <h1>"lmscope"</h1>
                <span class="tagline">"FlexLM license usage"</span>
            </header>
            <main>
                <Suspense fallback=|| {
                    view! {
                        <div class="loading" role="status" aria-live="polite">
                            <span class="spinner" aria-hidden="true"></span>
                            "Loading license data…"
                        </div>
                    }
                }>
                    {move || Suspend::new(async move {
                        match loaded.await {
                            Ok(data) => view! { <crate::pages::Shell data /> }.into_any(),
                            Err(message) => {
                                view! {
                                    <div class="error" role="alert" data-testid="load-error">
                                        <h2>"The license data could not be loaded"</h2>
                                        <p>{message}</p>
                                    </div>
                                }
                                    .into_any()
                            }
                        }
                    })}
                </Suspense>
            </main>
        </Router>
    }
}

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
        <crate::feed::LiveFeed />
    }
}
