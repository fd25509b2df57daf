//! The pages, their navigation and the global filters. Everything a view shows is decided
//! by the URL's query (`?page=users&from=…&department=…`), so any view is a link: it works
//! on static hosts without rewrites, under a sub-path, and with back and forward.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use leptos_router::params::ParamsMap;
use leptos_router::NavigateOptions;
use lmscope::analytics::expr::Expr;
use lmscope::analytics::query::{
    grouped_usage, grouped_usage_in, Dimension, Filters, Measure, Order, Preset,
};

use crate::state::{Page, ReportSpec, ViewState};
use serde_json::Value;

use crate::bars::BarSpec;
use crate::data::{EngineState, Loaded};
use crate::query_table::QueryTable;
use crate::table::{Column, Kind};

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
    let state = Memo::new(move |_| q.with(|q| ViewState::parse(&params_map(q))));
    provide_context(state);
    provide_context(crate::table::Display {
        currency: data.currency.clone(),
        names: data.names.clone(),
    });
    let page = Memo::new(move |_| state.with(|s| s.page.clone()));
    let latest = latest_day(&data);
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
    let overview = data.clone();
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
        <Freshness data=data.clone() />
        <FilterBar latest features=data.features.clone() />
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
                Page::Overview => view! { <crate::app::Overview data=overview.clone() /> }.into_any(),
                Page::Features => view! {
                    <crate::features_page::FeaturesPage filters=f.clone() from to />
                }.into_any(),
                Page::Me => {
                    // A person's dashboard shows this month unless a range is given.
                    let from = if f.from.is_none() && f.to.is_none() {
                        to.with_day(1).unwrap_or(from)
                    } else {
                        from
                    };
                    view! { <crate::person_page::PersonPage filters=f.clone() from to /> }.into_any()
                }
                Page::Users => view! {
                    <UsageTable testid="users" title="Top users" filters=f.clone() from to
                        dims=vec![Dimension::User, Dimension::Department]
                        measures=vec![Measure::LicenseHours, Measure::Hours, Measure::Sessions,
                                      Measure::Features, Measure::PeakLicenses]
                        link_filter="user" link_page="me" chart=Measure::LicenseHours />
                    <UsageTable testid="user-features" title="Feature preferences" filters=f.clone() from to
                        dims=vec![Dimension::Feature]
                        measures=vec![Measure::LicenseHours, Measure::Users, Measure::Sessions]
                        link_filter="feature" link_page="features" />
                    <UsageTable testid="user-weekdays" title="Peak usage days" filters=f.clone() from to
                        dims=vec![Dimension::Weekday]
                        measures=vec![Measure::LicenseHours, Measure::Users, Measure::Sessions]
                        sort_by_dims=true chart=Measure::LicenseHours />
                    <crate::query_table::QueryTable testid="user-hours"
                        title=format!("Peak usage hours (UTC), {from} to {to}")
                        columns=vec![Column::text("Hour (UTC)"), Column::number("Sessions started"),
                                     Column::number("License-hours")]
                        sql=lmscope::analytics::page_sql::checkout_hours(&f, from, to) />
                }.into_any(),
                Page::Departments => view! {
                    {f.team.clone().map(|team| view! {
                        <crate::team::TeamPools team />
                        <UsageTable testid="team-concurrency"
                            title="This team's concurrent use by feature (most held at once)"
                            filters=f.clone() from to
                            dims=vec![Dimension::Feature, Dimension::Day]
                            measures=vec![Measure::PeakConcurrency, Measure::LicenseHours, Measure::Denials]
                            sort_by_dims=true />
                    })}
                    <UsageTable testid="departments" title="Departments" filters=f.clone() from to
                        dims=vec![Dimension::Department, Dimension::CostCenter]
                        measures=vec![Measure::LicenseHours, Measure::Hours, Measure::Users,
                                      Measure::Sessions, Measure::Share]
                        link_filter="department" link_page="departments" chart=Measure::Share />
                    <UsageTable testid="teams" title="Teams" filters=f.clone() from to
                        dims=vec![Dimension::Team, Dimension::Department]
                        measures=vec![Measure::LicenseHours, Measure::Hours, Measure::Users,
                                      Measure::Sessions, Measure::Share]
                        link_filter="team" link_page="departments" chart=Measure::Share />
                    <UsageTable testid="team-features" title="Who uses which feature" filters=f.clone() from to
                        dims=vec![Dimension::Feature, Dimension::Team]
                        measures=vec![Measure::LicenseHours, Measure::Users, Measure::PeakLicenses] />
                }.into_any(),
                Page::Clusters => view! {
                    <UsageTable testid="clusters" title="Usage by cluster" filters=f.clone() from to
                        dims=vec![Dimension::Cluster]
                        measures=vec![Measure::LicenseHours, Measure::Hours, Measure::Users,
                                      Measure::Features, Measure::Sessions, Measure::Share]
                        link_filter="cluster" chart=Measure::LicenseHours />
                    <crate::query_table::QueryTable testid="cluster-queue"
                        title=format!("Queueing by cluster, {from} to {to}")
                        columns=vec![Column::text("Cluster"), Column::number("Queued requests"),
                                     Column::number("Users"), Column::number("Features")]
                        sql=lmscope::analytics::page_sql::queue_by_cluster(&f, from, to) />
                }.into_any(),
                Page::Trends => view! {
                    <crate::trends_page::TrendsPage filters=f.clone() from to />
                }.into_any(),
                Page::Report => view! { <ReportBuilder spec=s.report.clone() filters=f.clone() from to /> }.into_any(),
                Page::Forecast => view! { <crate::forecast_page::ForecastPage filters=f.clone() /> }.into_any(),
                Page::Costs => view! { <crate::costs_page::CostsPage choice=s.costs from to latest /> }.into_any(),
                Page::Alerts => view! { <crate::alerts_page::AlertsPage from to /> }.into_any(),
                Page::Projects => view! {
                    <crate::projects_page::ProjectsPage policy=s.costs.policy chosen=s.project.clone() to latest />
                }.into_any(),
                Page::Recommendations => view! {
                    <crate::recommend_page::RecommendationsPage filters=f.clone() from to />
                }.into_any(),
                Page::Summary => view! { <crate::summary_page::SummaryPage filters=f.clone() from to /> }.into_any(),
            };
            view! { {problems} {body} }.into_any()
        }}
    }
}

/// Starting points for each role, as links: what an administrator, a manager, an end user
/// and an executive look at first.
#[component]
fn RolePresets(latest: NaiveDate) -> impl IntoView {
    let range = |p: Preset| {
        let (from, to) = p.range(latest);
        format!("&from={from}&to={to}")
    };
    let roles = [
        ("Administrator", "?page=overview".to_owned()),
        (
            "Manager",
            format!("?page=departments{}", range(Preset::Days30)),
        ),
        ("End user", "?page=me".to_owned()),
        ("Executive", format!("?page=summary{}", range(Preset::Year))),
    ];
    let links = roles
        .into_iter()
        .map(|(label, href)| view! { <a class="role" href=href>{label}</a> })
        .collect_view();
    view! { <p class="roles" data-testid="roles">"Start as: " {links}</p> }
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
fn FilterBar(latest: NaiveDate, features: Vec<crate::data::FeatureRow>) -> impl IntoView {
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
        crate::bridge::query::<(String, String)>(lmscope::analytics::page_sql::ORG_VALUES_SQL, &[])
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

/// A grouped usage table over the filtered range, computed by DuckDB-Wasm.
#[component]
pub fn UsageTable(
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
    /// Page the first column's link opens (the users behind the row by default).
    #[prop(optional)]
    link_page: Option<&'static str>,
    /// Order by the dimensions (time) rather than by the first measure.
    #[prop(optional)]
    sort_by_dims: bool,
    /// Chart this measure of the leading rows as bars above the table.
    #[prop(optional)]
    chart: Option<Measure>,
) -> impl IntoView {
    let order = if sort_by_dims {
        Order::Dimensions
    } else {
        Order::Largest
    };
    let (sql, params) = grouped_usage_in(&filters, from, to, &dims, &measures, 500, order);
    let columns: Vec<Column> = dims
        .iter()
        .map(|d| dimension_column(*d))
        .chain(measures.iter().map(|m| measure_column(*m)))
        .collect();
    let chart = chart.and_then(|m| {
        let column = dims.len() + measures.iter().position(|x| *x == m)?;
        let by = dims.first().map_or("group", |d| d.label());
        let spec = BarSpec::new(
            format!("{} by {}", m.label(), by.to_lowercase()),
            column,
            m.label(),
        );
        // Periods in time order are charted whole; rankings show their leaders.
        Some(if sort_by_dims {
            spec.with_top(36)
        } else {
            spec
        })
    });
    let title = format!("{title}, {from} to {to}");
    let sql = (sql, params);
    let link = link_filter.map(|key| drill_down(key, link_page.unwrap_or("users")));
    match (link, chart) {
        (Some(link), Some(chart)) => {
            view! { <QueryTable testid title columns sql link chart /> }.into_any()
        }
        (Some(link), None) => view! { <QueryTable testid title columns sql link /> }.into_any(),
        (None, Some(chart)) => view! { <QueryTable testid title columns sql chart /> }.into_any(),
        (None, None) => view! { <QueryTable testid title columns sql /> }.into_any(),
    }
}

/// A dimension's column: weekdays by name, in week order.
fn dimension_column(d: Dimension) -> Column {
    match d {
        Dimension::Weekday => Column::weekday(d.label()),
        Dimension::Department => Column::named(d.label(), Kind::Department),
        Dimension::Team => Column::named(d.label(), Kind::Team),
        _ => Column::text(d.label()),
    }
}

/// A measure's column: money for cost, a number (a percentage for shares) otherwise.
fn measure_column(m: Measure) -> Column {
    if m == Measure::Cost {
        Column::money(m.label())
    } else {
        Column::number(m.label())
    }
}

/// A link from a row's first cell: set filter `key` to it and open `page`.
pub fn drill_down(key: &'static str, page: &'static str) -> Callback<Vec<Value>, String> {
    let q = use_query_map();
    Callback::new(move |row: Vec<Value>| {
        let value = row.first().and_then(Value::as_str).map(str::to_owned);
        q.with(|q| href_with(q, &[(key, value), ("page", Some(page.to_owned()))]))
    })
}

/// Pick measures and group-by dimensions (kept in the URL as `dims` and `measures`).
#[component]
fn ReportBuilder(
    spec: ReportSpec,
    filters: Filters,
    from: NaiveDate,
    to: NaiveDate,
) -> impl IntoView {
    let q = use_query_map();
    let ReportSpec {
        dims,
        measures,
        calc: calc_text,
        calc_name,
    } = spec;
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
                let next = next.join(",");
                let href = move || q.with(|q| href_with(q, &[(key, Some(next.clone()))]));
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
    // The calculated column: parsed and evaluated in Rust over each row's measures.
    let names: Vec<&str> = Measure::ALL.iter().map(|m| m.key()).collect();
    let (expr, calc_error) = match calc_text.trim() {
        "" => (None, None),
        text => match Expr::parse(text, &names) {
            Ok(e) => (Some(e), None),
            Err(e) => (None, Some(e.to_string())),
        },
    };
    let mut measures = measures;
    for name in expr.iter().flat_map(Expr::names) {
        if let Some(m) = Measure::from_key(&name).filter(|m| !measures.contains(m)) {
            measures.push(m);
        }
    }
    let offset = dims.len();
    let keys: Vec<&'static str> = measures.iter().map(|m| m.key()).collect();
    let calc = expr.map(|e| {
        let derive = Callback::new(move |row: Vec<Value>| {
            let value = |name: &str| {
                keys.iter()
                    .position(|k| *k == name)
                    .and_then(|i| row.get(offset + i))
                    .and_then(Value::as_f64)
            };
            e.eval(&value).map_or(Value::Null, |x| {
                serde_json::json!((x * 100.0).round() / 100.0)
            })
        });
        (Column::number(&calc_name), derive)
    });
    let set = param_setter();
    let set_name = set.clone();
    let (sql, params) = grouped_usage(&filters, from, to, &dims, &measures, 500);
    let columns: Vec<Column> = dims
        .iter()
        .map(|d| dimension_column(*d))
        .chain(measures.iter().map(|m| measure_column(*m)))
        .collect();
    let title = format!("Report, {from} to {to}");
    let table = match calc {
        Some(calc) => {
            view! { <QueryTable testid="report" title columns sql=(sql, params) calc /> }.into_any()
        }
        None => view! { <QueryTable testid="report" title columns sql=(sql, params) /> }.into_any(),
    };
    view! {
        <section class="builder">
            <h2>"Report builder"</h2>
            <p data-testid="report-dims">"Group by: " {dim_toggles}</p>
            <p data-testid="report-measures">"Measures: " {measure_toggles}</p>
            <form class="filters" on:submit=|ev| ev.prevent_default()>
                <label>
                    "Calculated column"
                    <input type="text" name="calc_name" prop:value=calc_name.clone() size="14"
                        on:change=move |ev| set_name("calc_name", event_target_value(&ev)) />
                </label>
                <label>
                    {format!("Expression over {}; + − × ÷ and parentheses", names.join(", "))}
                    <input type="text" name="calc" prop:value=calc_text size="40" placeholder="license_hours / users"
                        on:change=move |ev| set("calc", event_target_value(&ev)) />
                </label>
            </form>
            {calc_error.map(|e| view! { <p class="error" role="alert" data-testid="calc-error">{e}</p> })}
            <p class="muted">"The report is the link: copy the address to share it."</p>
        </section>
        {table}
    }
}

/// A function that sets (or, given blank text, removes) one URL parameter: a new history
/// entry, so back and forward work.
pub fn param_setter() -> impl Fn(&'static str, String) + Clone {
    let q = use_query_map();
    let location = use_location();
    let navigate = use_navigate();
    move |key: &'static str, value: String| {
        let value = (!value.trim().is_empty()).then_some(value);
        let query = q.with_untracked(|q| href_with(q, &[(key, value)]));
        let path = location.pathname.get_untracked();
        navigate(&format!("{path}{query}"), NavigateOptions::default());
    }
}
