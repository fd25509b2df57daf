//! The pages, their navigation and the global filters. Everything a view shows is decided
//! by the URL's query (`?page=users&from=…&department=…`), so any view is a link: it works
//! on static hosts without rewrites, under a sub-path, and with back and forward.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use leptos_router::params::ParamsMap;
use leptos_router::NavigateOptions;
use lmscope::query::{grouped_usage, Dimension, Filters, Measure, Preset};
use serde_json::Value;

use crate::bridge::query;
use crate::data::Loaded;
use crate::table::{Column, DataTable};

/// The pages, in navigation order: URL name and title.
pub const PAGES: [(&str, &str); 6] = [
    ("overview", "Overview"),
    ("users", "Users"),
    ("departments", "Teams & departments"),
    ("clusters", "Clusters"),
    ("trends", "Trends"),
    ("report", "Report builder"),
];

/// The current query as a map, and links that change some of it.
fn params_map(q: &ParamsMap) -> BTreeMap<String, String> {
    q.into_iter()
        .map(|(k, v)| (k.to_string(), v.to_owned()))
        .collect()
}

/// `?…` with `changes` applied to `q` (a `None` removes the key).
pub fn href_with(q: &ParamsMap, changes: &[(&str, Option<String>)]) -> String {
    let mut map = params_map(q);
    for (k, v) in changes {
        match v {
            Some(v) => {
                map.insert((*k).to_owned(), v.clone());
            }
            None => {
                map.remove(*k);
            }
        }
    }
    let out: ParamsMap = map.into_iter().collect();
    let s = out.to_query_string();
    if s.is_empty() {
        "?".to_owned()
    } else {
        s
    }
}

/// The day of the newest data (the default end of every date range).
fn latest_day(data: &Loaded) -> NaiveDate {
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
    let page = Memo::new(move |_| {
        q.with(|q| q.get("page"))
            .unwrap_or_else(|| "overview".into())
    });
    let latest = latest_day(&data);
    let filters = Memo::new(move |_| q.with(|q| Filters::from_params(&params_map(q))));
    let nav = move || {
        PAGES
            .iter()
            .map(|(key, title)| {
                let href = q.with(|q| href_with(q, &[("page", Some((*key).to_owned()))]));
                let current = move || (page.get() == *key).then_some("page");
                view! { <a href=href aria-current=current>{*title}</a> }
            })
            .collect_view()
    };
    let overview = data.clone();
    view! {
        <nav class="pages" aria-label="Pages">{nav}</nav>
        <Freshness data=data.clone() />
        <FilterBar latest />
        {move || match filters.get() {
            Err(e) => view! {
                <div class="error" role="alert" data-testid="filter-error">{e.to_string()}</div>
            }.into_any(),
            Ok(f) => {
                let (from, to) = f.range(latest);
                match page.get().as_str() {
                    "overview" => view! { <crate::app::Overview data=overview.clone() /> }.into_any(),
                    "users" => view! {
                        <UsageTable testid="users" title="Top users" filters=f.clone() from to
                            dims=vec![Dimension::User, Dimension::Department]
                            measures=vec![Measure::LicenseHours, Measure::Hours, Measure::Sessions,
                                          Measure::Features, Measure::PeakLicenses]
                            link_filter="user" />
                    }.into_any(),
                    "departments" => view! {
                        <UsageTable testid="departments" title="Departments" filters=f.clone() from to
                            dims=vec![Dimension::Department, Dimension::CostCenter]
                            measures=vec![Measure::LicenseHours, Measure::Hours, Measure::Users,
                                          Measure::Sessions]
                            link_filter="department" />
                        <UsageTable testid="teams" title="Teams" filters=f.clone() from to
                            dims=vec![Dimension::Team, Dimension::Department]
                            measures=vec![Measure::LicenseHours, Measure::Hours, Measure::Users,
                                          Measure::Sessions]
                            link_filter="team" />
                    }.into_any(),
                    "clusters" => view! {
                        <UsageTable testid="clusters" title="Usage by cluster" filters=f.clone() from to
                            dims=vec![Dimension::Cluster]
                            measures=vec![Measure::LicenseHours, Measure::Hours, Measure::Users,
                                          Measure::Features, Measure::Sessions]
                            link_filter="cluster" />
                    }.into_any(),
                    "trends" => view! {
                        <UsageTable testid="trends" title="Monthly use" filters=f.clone() from to
                            dims=vec![Dimension::Month]
                            measures=vec![Measure::LicenseHours, Measure::Users, Measure::Features,
                                          Measure::Sessions]
                            sort_by_dims=true />
                        <UsageTable testid="weekdays" title="Use by weekday" filters=f.clone() from to
                            dims=vec![Dimension::Weekday]
                            measures=vec![Measure::LicenseHours, Measure::Users, Measure::Sessions]
                            sort_by_dims=true />
                    }.into_any(),
                    "report" => view! { <ReportBuilder filters=f.clone() from to /> }.into_any(),
                    other => view! {
                        <div class="error" role="alert" data-testid="filter-error">
                            {format!("URL parameter `page`: there is no page `{other}`")}
                        </div>
                    }.into_any(),
                }
            }
        }}
    }
}

/// "Data as of" and "last updated" from the manifest, and a warning when the newest poll
/// is older than three poll intervals (at least 15 minutes): the collector may have stopped.
#[component]
fn Freshness(data: Loaded) -> impl IntoView {
    let m = &data.manifest;
    let as_of = m
        .data_as_of
        .as_deref()
        .map(crate::format::rfc3339)
        .unwrap_or_else(|| "no polls yet".to_owned());
    let generated = crate::format::rfc3339(&m.generated_at);
    let allowed = (3 * m.poll_interval_seconds).max(15 * 60) as i64;
    let age = m
        .data_as_of
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| (crate::format::now() - t.with_timezone(&chrono::Utc)).num_seconds());
    let stale = age.filter(|a| *a > allowed).map(|a| {
        view! {
            <div class="stale" role="alert" data-testid="stale">
                {format!(
                    "Stale data: the newest poll is {} old, more than three poll intervals ({}). Is the collector still running?",
                    crate::format::duration(a),
                    crate::format::duration(m.poll_interval_seconds as i64)
                )}
            </div>
        }
    });
    view! {
        <p class="freshness">
            "Data as of " <strong data-testid="data-as-of">{as_of}</strong>
            " · last updated " <span data-testid="generated-at">{generated}</span>
        </p>
        {stale}
    }
}

/// Date range, presets and the dimension filters; each change is a new URL.
#[component]
fn FilterBar(latest: NaiveDate) -> impl IntoView {
    let q = use_query_map();
    let location = use_location();
    let navigate = use_navigate();
    let go = move |key: &'static str, value: String| {
        let value = (!value.trim().is_empty()).then_some(value);
        let query = q.with(|q| href_with(q, &[(key, value)]));
        let path = location.pathname.get_untracked();
        navigate(&format!("{path}{query}"), NavigateOptions::default());
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
                <input type="text" name=key prop:value=value(key) size="12"
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
            <a class="preset" href=clear>"Clear filters"</a>
        </form>
    }
}

/// A grouped usage table over the filtered range, computed by DuckDB-Wasm.
#[component]
fn UsageTable(
    testid: &'static str,
    title: &'static str,
    filters: Filters,
    from: NaiveDate,
    to: NaiveDate,
    dims: Vec<Dimension>,
    measures: Vec<Measure>,
    /// Filter set by the first column's link (drill down).
    #[prop(optional)]
    link_filter: Option<&'static str>,
    /// Order by the dimensions (time) rather than by the first measure.
    #[prop(optional)]
    sort_by_dims: bool,
) -> impl IntoView {
    let (sql, params) = grouped_usage(&filters, from, to, &dims, &measures, 500);
    let sql = if sort_by_dims {
        match sql.rsplit_once(" ORDER BY ") {
            Some((head, tail)) => {
                let limit = tail.rsplit_once(" LIMIT ").map_or("", |(_, l)| l);
                let order: Vec<String> = (1..=dims.len()).map(|i| i.to_string()).collect();
                format!("{head} ORDER BY {} LIMIT {limit}", order.join(", "))
            }
            None => sql,
        }
    } else {
        sql
    };
    let rows = LocalResource::new(move || {
        let (sql, params) = (sql.clone(), params.clone());
        async move { query::<Vec<Value>>(&sql, &params).await }
    });
    let columns: Vec<Column> = dims
        .iter()
        .map(|d| Column::text(d.label()))
        .chain(measures.iter().map(|m| Column::number(m.label())))
        .collect();
    let q = use_query_map();
    let link = link_filter.map(|key| {
        Callback::new(move |row: Vec<Value>| {
            let value = row.first().and_then(Value::as_str).map(str::to_owned);
            // Drill down: the users behind this row.
            q.with_untracked(|q| href_with(q, &[(key, value), ("page", Some("users".to_owned()))]))
        })
    });
    let heading = format!("{title}, {from} to {to}");
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"Computing…"</p> }>
            {move || Suspend::new({
                let columns = columns.clone();
                let heading = heading.clone();
                async move {
                    match rows.await {
                        Ok(rows) => {
                            mark_view_ready();
                            match link {
                                Some(link) => view! {
                                    <DataTable testid title=heading columns rows link />
                                }.into_any(),
                                None => view! { <DataTable testid title=heading columns rows /> }
                                    .into_any(),
                            }
                        }
                        Err(e) => view! {
                            <div class="error" role="alert" data-testid="query-error">{format!("{title}: query failed: {e}")}</div>
                        }.into_any(),
                    }
                }
            })}
        </Suspense>
    }
}

/// Performance mark for the perf harness: a table's data is on screen (the frame after it
/// rendered).
fn mark_view_ready() {
    request_animation_frame(|| {
        if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
            let _ = perf.mark("lmscope:view-ready");
        }
    });
}

/// Pick measures and group-by dimensions (kept in the URL as `dims` and `measures`).
#[component]
fn ReportBuilder(filters: Filters, from: NaiveDate, to: NaiveDate) -> impl IntoView {
    let q = use_query_map();
    let list = |key: &str| -> Vec<String> {
        q.with_untracked(|q| q.get(key))
            .map(|v| v.split(',').map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let dims: Vec<Dimension> = list("dims")
        .iter()
        .filter_map(|k| Dimension::from_key(k))
        .collect();
    let measures: Vec<Measure> = list("measures")
        .iter()
        .filter_map(|k| Measure::from_key(k))
        .collect();
    let dims = if dims.is_empty() {
        vec![Dimension::Department]
    } else {
        dims
    };
    let measures = if measures.is_empty() {
        vec![Measure::LicenseHours]
    } else {
        measures
    };
    let toggles = |key: &'static str,
                   all: Vec<(&'static str, &'static str)>,
                   chosen: Vec<&'static str>| {
        all.into_iter()
            .map(|(k, label)| {
                let on = chosen.contains(&k);
                let mut next: Vec<&str> = chosen.iter().copied().filter(|c| *c != k).collect();
                if !on {
                    next.push(k);
                }
                let href = q.with_untracked(|q| href_with(q, &[(key, Some(next.join(",")))]));
                view! { <a class="toggle" class:on=on href=href aria-pressed=on.to_string()>{label}</a> }
            })
            .collect_view()
    };
    let dim_toggles = toggles(
        "dims",
        Dimension::ALL
            .iter()
            .map(|d| (d.key(), d.label()))
            .collect(),
        dims.iter().map(|d| d.key()).collect(),
    );
    let measure_toggles = toggles(
        "measures",
        Measure::ALL.iter().map(|m| (m.key(), m.label())).collect(),
        measures.iter().map(|m| m.key()).collect(),
    );
    view! {
        <section class="builder">
            <h2>"Report builder"</h2>
            <p>"Group by: " {dim_toggles}</p>
            <p>"Measures: " {measure_toggles}</p>
            <p class="muted">"The report is the link: copy the address to share it."</p>
        </section>
        <UsageTable testid="report" title="Report" filters from to dims measures />
    }
}
