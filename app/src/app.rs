//! The application root: loads the manifest and first view, reports loading errors, and
//! hands the loaded data to the router.

use leptos::prelude::*;
use leptos_router::components::Router;

use crate::data::{self};

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
