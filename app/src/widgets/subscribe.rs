//! "E-mail me this view": the `[[subscription]]` for the org file that has `lmscope
//! notify` e-mail the current view (page and filters, its dates as a rolling range) on a
//! schedule, in the browser's time zone.

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use lmscope::analytics::notify::config::subscription_snippet;
use lmscope::analytics::notify::report::check_page;

use crate::bridge;
use crate::url::href_with;

/// Schedules offered (any other can be typed into the org file).
const SCHEDULES: [&str; 5] = [
    "daily at 07:00",
    "weekly on monday at 07:00",
    "weekly on friday at 16:00",
    "monthly on 1 at 07:00",
    "monthly on 31 at 18:00",
];

#[component]
pub fn Subscribe(latest: NaiveDate) -> impl IntoView {
    let q = use_query_map();
    let email = RwSignal::new(String::new());
    let schedule = RwSignal::new(SCHEDULES[1].to_owned());
    let zone = bridge::time_zone().unwrap_or_else(|| "UTC".to_owned());
    let snippet = Memo::new(move |_| {
        let page = q
            .with(|q| q.get("page"))
            .unwrap_or_else(|| "overview".to_owned());
        check_page(&page).map(|()| {
            let query = q.with(|q| href_with(q, &[]));
            subscription_snippet(&query, &schedule.get(), &zone, &email.get(), latest)
        })
    });
    let copied = RwSignal::new(false);
    let copy = move |_| {
        if let Ok(text) = snippet.get_untracked() {
            copied.set(bridge::copy_text(&text).is_ok());
        }
    };
    let options = SCHEDULES
        .into_iter()
        .map(|s| view! { <option value=s>{s}</option> })
        .collect_view();
    view! {
        <details class="subscribe" data-testid="subscribe">
            <summary>"E-mail me this view"</summary>
            <p>"Add this to the org file; " <code>"lmscope notify"</code>
               " (from cron or CI) then e-mails the view with its figures, charts and a link back here."</p>
            <div hidden=move || snippet.with(Result::is_err)>
            <label>"Your address "
                <input type="email" name="subscribe-email" placeholder="you@example.com"
                    prop:value=move || email.get()
                    on:input=move |ev| { copied.set(false); email.set(event_target_value(&ev)) } />
            </label>
            <label>" When "
                <select name="subscribe-schedule" prop:value=move || schedule.get()
                    on:change=move |ev| { copied.set(false); schedule.set(event_target_value(&ev)) }>{options}</select>
            </label>
            </div>
            {move || match snippet.get() {
                Ok(text) => view! {
                    <pre data-testid="subscription-snippet">{text}</pre>
                    <button type="button" on:click=copy data-testid="copy-subscription">
                        {move || if copied.get() { "Copied" } else { "Copy" }}
                    </button>
                }.into_any(),
                Err(message) => view! {
                    <p class="muted" data-testid="subscription-unavailable">{message}</p>
                }.into_any(),
            }}
        </details>
    }
}
