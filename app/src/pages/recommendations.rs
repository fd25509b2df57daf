//! The recommendations page: seats to cut, move, add, reserve or release over the range, each with
//! the numbers behind it and a link to the filtered view that shows them
//! ([`lmscope::analytics::recommend`] decides; this page loads and shows).

use chrono::NaiveDate;
use leptos::prelude::*;
use lmscope::analytics::filters::Filters;
use lmscope::analytics::forecast::outlooks;
use lmscope::analytics::page_sql;
use lmscope::analytics::recommend::{
    features_sql, recommend, reservations_sql, row, teams_sql, Action, FeatureFacts, IdleFacts,
    Recommendation, ReservationFacts, Shortage, TeamFacts, ADD_MIN_DENIALS, ADD_MIN_QUEUED,
    IDLE_MIN_SHARE, REDUCE_MAX_P95_SHARE, RESERVE_MIN_WAITS, SHORTAGE_PROBABILITY,
};
use serde_json::Value;

use crate::bridge;
use crate::url::href_with;
use crate::widgets::table::{Column, DataTable};

/// The rows of a query, each read by `from_row` (rows it cannot read are left out).
async fn facts<T>(
    (sql, params): page_sql::Sql,
    from_row: fn(&[Value]) -> Option<T>,
) -> Result<Vec<T>, String> {
    Ok(bridge::query::<Vec<Value>>(&sql, &params)
        .await?
        .iter()
        .filter_map(|r| from_row(r))
        .collect())
}

/// Every recommendation for the filtered features over `[from, to]`, and the forecast
/// shortages among them.
pub async fn load(
    f: Filters,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(Vec<Recommendation>, Vec<Shortage>), String> {
    let features = facts(features_sql(&f, from, to), FeatureFacts::from_row).await?;
    let teams = facts(teams_sql(&f, from, to), TeamFacts::from_row).await?;
    let reservations = facts(reservations_sql(&f, from, to), ReservationFacts::from_row).await?;
    let (sql, p) = page_sql::daily_peaks(&f);
    let mut shortages: Vec<Shortage> = outlooks(&bridge::query::<Vec<Value>>(&sql, &p).await?)
        .iter()
        .filter_map(|s| s.as_shortage())
        .collect();
    shortages.sort_by(|a, b| b.probability.total_cmp(&a.probability));
    let days = ((to - from).num_days() + 1) as f64;
    let (sql, p) = lmscope::analytics::compute::idle_by_feature(&f, from, to);
    let idle: Vec<IdleFacts> = bridge::query::<Vec<Value>>(&sql, &p)
        .await?
        .iter()
        .filter_map(|r| IdleFacts::from_row(r, days))
        .collect();
    Ok((
        recommend(&features, &teams, &reservations, &shortages, &idle),
        shortages,
    ))
}

/// The view behind a recommendation: its link's filters over the same range.
pub fn evidence_href(r: &Recommendation, from: NaiveDate, to: NaiveDate) -> String {
    let mut changes: Vec<(&str, Option<String>)> = vec![
        ("from", Some(from.to_string())),
        ("to", Some(to.to_string())),
    ];
    changes.extend(r.link.iter().map(|(k, v)| (*k, Some(v.clone()))));
    href_with(&Default::default(), &changes)
}

/// Yearly saving of the cuts and cost of the additions.
pub fn totals(all: &[Recommendation]) -> (f64, f64) {
    let sum = |a: Action| {
        all.iter()
            .filter(|r| r.action == a)
            .map(|r| r.yearly_cost)
            .sum::<f64>()
    };
    (-sum(Action::Reduce), sum(Action::Add))
}

#[component]
pub fn RecommendationsPage(filters: Filters, from: NaiveDate, to: NaiveDate) -> impl IntoView {
    let loaded = LocalResource::new(move || load(filters.clone(), from, to));
    view! {
        <p class="muted">
            {format!(
                "Reduce: no denials or queue and the 95th percentile of hourly peaks checked out \
                 (reserved seats nobody used do not count) at most {:.0} % of issued; keep the peak \
                 plus 10 %. Add: at least {ADD_MIN_DENIALS} denials, {ADD_MIN_QUEUED} queued \
                 requests, 1 % of hours at 100 % in use, or a forecast chance of running out within \
                 90 days of {:.0} % or more (the seats that bring it below one half). \
                 Redistribute: spare seats of a vendor's feature to \
                 one of its features that is short. Reserve: a team that waited {RESERVE_MIN_WAITS} \
                 times or more gets its average use over an 8-hour day. Release idle checkouts: \
                 {IDLE_MIN_SHARE:.0} % or more of a feature's license-hours on the clusters (a working \
                 day or more) with no job of the holder running on the checkout's host. Release: a \
                 FlexLM reservation whose seats lmstat listed as reserved and unused at every poll of \
                 the range. Money at yearly list price.",
                100.0 * REDUCE_MAX_P95_SHARE,
                100.0 * SHORTAGE_PROBABILITY
            )}
        </p>
        <Suspense fallback=|| view! { <p class="loading" role="status">"Weighing the evidence…"</p> }>
            {move || Suspend::new(async move {
                match loaded.await {
                    Ok((all, _)) => view! { <Recommendations all from to /> }.into_any(),
                    Err(e) => crate::widgets::query_table::query_error("Recommendations", &e).into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Recommendations(all: Vec<Recommendation>, from: NaiveDate, to: NaiveDate) -> impl IntoView {
    let (saving, cost) = totals(&all);
    // Whole units, in the org's currency: `$117,000`.
    let currency = use_context::<crate::widgets::table::Display>()
        .map(|d| d.currency)
        .unwrap_or_default();
    let money = move |x: f64| lmscope::format::money(x, &currency, 0);
    let count = |a: Action| all.iter().filter(|r| r.action == a).count();
    let columns = vec![
        Column::text("Subject"),
        Column::text("Action"),
        Column::text("Server"),
        Column::text("Feature"),
        Column::number("Seats"),
        Column::money("Yearly cost change"),
        Column::text("Evidence"),
    ];
    let hrefs: Vec<String> = all.iter().map(|r| evidence_href(r, from, to)).collect();
    let rows: Vec<Vec<Value>> = all
        .iter()
        .zip(&hrefs)
        .map(|(r, h)| {
            let mut row = row(r);
            row.push(Value::String(h.clone()));
            row
        })
        .collect();
    // The evidence link rides in a hidden last value of each row.
    let link = Callback::new(|row: Vec<Value>| {
        row.last().and_then(Value::as_str).unwrap_or("?").to_owned()
    });
    let title = format!("Recommendations, {from} to {to}");
    crate::widgets::query_table::mark_view_ready();
    view! {
        <dl class="cards" data-testid="recommendation-totals">
            <div>
                <dt>"Yearly saving from cuts"</dt>
                <dd data-testid="saving" data-value=format!("{saving:.2}")>{money(saving)}</dd>
            </div>
            <div>
                <dt>"Yearly cost of additions"</dt>
                <dd data-testid="addition-cost" data-value=format!("{cost:.2}")>{money(cost)}</dd>
            </div>
            <div><dt>"Cut"</dt><dd>{count(Action::Reduce)}</dd></div>
            <div><dt>"Redistribute"</dt><dd>{count(Action::Redistribute)}</dd></div>
            <div><dt>"Add"</dt><dd>{count(Action::Add)}</dd></div>
            <div><dt>"Reserve"</dt><dd>{count(Action::Reserve)}</dd></div>
            <div><dt>"Release idle"</dt><dd>{count(Action::ReleaseIdle)}</dd></div>
            <div><dt>"Release"</dt><dd>{count(Action::Release)}</dd></div>
        </dl>
        <DataTable testid="recommendations" title columns rows link />
    }
}
