//! The global filters: date range, presets and the dimension filters, each change a new URL.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;
use lmscope::analytics::filters::Preset;

use crate::url::{href_with, param_setter};

/// Date range, presets and the dimension filters; each change is a new URL.
#[component]
pub fn FilterBar(latest: NaiveDate, features: Vec<crate::data::FeatureRow>) -> impl IntoView {
    let q = use_query_map();
    let go = param_setter();
    // Choices for the text filters: servers, vendors and features from the first view's
    // data; departments, teams, clusters and people from the org tables.
    let mut known: BTreeMap<&'static str, std::collections::BTreeSet<String>> = BTreeMap::new();
    for f in &features {
        known.entry("server").or_default().insert(f.server.clone());
        known
            .entry("feature")
            .or_default()
            .insert(f.feature.clone());
        if let Some(v) = &f.vendor {
            known.entry("vendor").or_default().insert(v.clone());
        }
    }
    let org = LocalResource::new(|| async {
        crate::bridge::query_early::<(String, String)>(
            lmscope::analytics::page_sql::ORG_VALUES_SQL,
            &[],
        )
        .await
    });
    let datalist = move |key: &'static str| {
        let fixed: Vec<String> = known.get(key).into_iter().flatten().cloned().collect();
        let options = move || {
            let from_org: Vec<String> = org
                .get()
                .and_then(Result::ok)
                .map(|rows| {
                    rows.into_iter()
                        .filter(|(k, _)| k == key)
                        .map(|(_, v)| v)
                        .collect()
                })
                .unwrap_or_default();
            fixed
                .iter()
                .cloned()
                .chain(from_org)
                .map(|v| view! { <option value=v></option> })
                .collect_view()
        };
        view! { <datalist id=format!("{key}-options")>{options}</datalist> }
    };
    let presets = Preset::ALL
        .iter()
        .map(|p| {
            let (from, to) = p.range(latest);
            let href = move || {
                q.with(|q| {
                    href_with(
                        q,
                        &[
                            ("from", Some(from.to_string())),
                            ("to", Some(to.to_string())),
                        ],
                    )
                })
            };
            view! { <a class="preset" href=href>{p.label()}</a> }
        })
        .collect_view();
    let value = move |key: &'static str| move || q.with(|q| q.get(key)).unwrap_or_default();
    let text_filter = |key: &'static str, label: &'static str| {
        let go = go.clone();
        view! {
            <label>
                {label}
                <input type="text" name=key prop:value=value(key) size="12" list=format!("{key}-options")
                    on:change=move |ev| go(key, event_target_value(&ev)) />
            </label>
        }
    };
    let date_filter = |key: &'static str, label: &'static str| {
        let go = go.clone();
        view! {
            <label>
                {label}
                <input type="date" name=key prop:value=value(key)
                    on:change=move |ev| go(key, event_target_value(&ev)) />
            </label>
        }
    };
    let clear = move || {
        q.with(|q| {
            let page = q.get("page");
            href_with(&ParamsMap::new(), &[("page", page)])
        })
    };
    view! {
        <form class="filters" aria-label="Filters" on:submit=|ev| ev.prevent_default()>
            {date_filter("from", "From")}
            {date_filter("to", "To")}
            <span class="presets">{presets}</span>
            {text_filter("server", "Server")}
            {text_filter("vendor", "Vendor")}
            {text_filter("feature", "Feature")}
            {text_filter("department", "Department")}
            {text_filter("team", "Team")}
            {text_filter("cluster", "Cluster")}
            {text_filter("user", "User")}
            {["server", "vendor", "feature", "department", "team", "cluster", "user"].map(datalist)}
            <a class="preset" href=clear>"Clear filters"</a>
        </form>
    }
}
