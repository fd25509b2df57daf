//! The router: the navigation, the shared banners and filter bar, and the page the URL
//! names, one module per page.

pub mod alerts;
pub mod clusters;
pub mod costs;
pub mod departments;
pub mod features;
pub mod forecast;
pub mod me;
pub mod overview;
pub mod projects;
pub mod recommendations;
pub mod report;
pub mod summary;
pub mod trends;
pub mod users;

use chrono::{Datelike, NaiveDate};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::data::{EngineState, Live, Loaded};
use crate::state::{Page, ViewState};
use crate::url::{href_with, params_map};
use crate::widgets::banners::{Freshness, RolePresets};
use crate::widgets::filter_bar::FilterBar;
use crate::widgets::subscribe::Subscribe;
use report::ReportBuilder;

/// The day of the newest data (the default end of every date range).
pub(crate) fn latest_day(data: &Loaded) -> NaiveDate {
    data.manifest
        .data_as_of
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.date_naive())
        .unwrap_or_else(|| crate::format::now().date_naive())
}

/// Navigation, filters, and the page the URL names.
#[component]
pub fn Shell(data: Loaded) -> impl IntoView {
    let q = use_query_map();
    let state = Memo::new(move |_| q.with(|q| ViewState::parse(&params_map(q))));
    provide_context(state);
    provide_context(crate::widgets::table::Display {
        currency: data.currency.clone(),
        names: data.names.clone(),
    });
    let page = Memo::new(move |_| state.with(|s| s.page.clone()));
    let latest = latest_day(&data);
    let live = Live::new(data.clone());
    provide_context(live);
    live.watch();
    let nav = move || {
        Page::ALL
            .iter()
            .map(|p| {
                let key = p.key();
                let href = q.with(|q| href_with(q, &[("page", Some(key.to_owned()))]));
                let current = move || (page.get() == Ok(*p)).then_some("page");
                view! { <a href=href aria-current=current>{p.title()}</a> }
            })
            .collect_view()
    };
    let engine = data.engine;
    let engine_state = move || {
        match engine.get() {
        EngineState::Opening => Some(view! {
            <p class="loading" role="status" data-testid="engine-opening">
                <span class="spinner" aria-hidden="true"></span>
                "Server health and features are current; opening the full history for charts and the other pages…"
            </p>
        }.into_any()),
        EngineState::Open => None,
        EngineState::Failed(message) => Some(view! {
            <div class="error" role="alert" data-testid="load-error">
                <h2>"The license data could not be loaded"</h2>
                <p>{message}</p>
            </div>
        }.into_any()),
    }
    };
    view! {
        <nav class="pages" aria-label="Pages">{nav}</nav>
        {engine_state}
        <RolePresets latest />
        <Freshness />
        <FilterBar latest features=data.features.clone() />
        <Subscribe latest />
        {move || {
            let s = state.get();
            let f = match s.filters {
                Err(e) => {
                    return view! {
                        <div class="error" role="alert" data-testid="filter-error">{e.to_string()}</div>
                    }.into_any();
                }
                Ok(f) => f,
            };
            let page = match s.page {
                Err(other) => {
                    return view! {
                        <div class="error" role="alert" data-testid="filter-error">
                            {format!("URL parameter `page`: there is no page `{other}`")}
                        </div>
                    }.into_any();
                }
                Ok(p) => p,
            };
            let problems = (!s.problems.is_empty()).then(|| view! {
                <div class="error" role="alert" data-testid="param-error">
                    <ul>{s.problems.iter().map(|m| view! { <li>{m.clone()}</li> }).collect_view()}</ul>
                </div>
            });
            let (from, to) = f.range(latest);
            let body = match page {
                Page::Overview => view! { <overview::Overview idle_hours=s.idle_hours /> }.into_any(),
                Page::Features => view! {
                    <crate::pages::features::FeaturesPage filters=f.clone() from to />
                }.into_any(),
                Page::Me => {
                    // A person's dashboard shows this month unless a range is given.
                    let from = if f.from.is_none() && f.to.is_none() {
                        to.with_day(1).unwrap_or(from)
                    } else {
                        from
                    };
                    view! { <crate::pages::me::PersonPage filters=f.clone() from to /> }.into_any()
                }
                Page::Users => view! { <users::UsersPage filters=f.clone() from to idle_hours=s.idle_hours /> }.into_any(),
                Page::Departments => view! { <departments::DepartmentsPage filters=f.clone() from to idle_hours=s.idle_hours /> }.into_any(),
                Page::Clusters => view! { <clusters::ClustersPage filters=f.clone() from to idle_hours=s.idle_hours /> }.into_any(),
                Page::Trends => view! {
                    <crate::pages::trends::TrendsPage filters=f.clone() from to />
                }.into_any(),
                Page::Report => view! { <ReportBuilder spec=s.report.clone() filters=f.clone() from to /> }.into_any(),
                Page::Forecast => view! { <crate::pages::forecast::ForecastPage filters=f.clone() /> }.into_any(),
                Page::Costs => view! { <crate::pages::costs::CostsPage choice=s.costs from to latest /> }.into_any(),
                Page::Alerts => view! { <crate::pages::alerts::AlertsPage from to /> }.into_any(),
                Page::Projects => view! {
                    <crate::pages::projects::ProjectsPage policy=s.costs.policy chosen=s.project.clone() to latest />
                }.into_any(),
                Page::Recommendations => view! {
                    <crate::pages::recommendations::RecommendationsPage filters=f.clone() from to />
                }.into_any(),
                Page::Summary => view! { <crate::pages::summary::SummaryPage filters=f.clone() from to /> }.into_any(),
            };
            view! { {problems} {body} }.into_any()
        }}
    }
}
