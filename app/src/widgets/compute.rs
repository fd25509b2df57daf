//! Licenses against compute ([`lmscope::analytics::compute`]): clusters' efficiency, CPU-
//! and GPU-hours and cost; users' and teams' efficiency; idle checkouts over the range and
//! now; Slurm's counts against FlexLM's and the jobs waiting on licenses; and the idle
//! threshold every one of them reads from the URL (`idle`, hours).

use chrono::{NaiveDate, TimeDelta};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use lmscope::analytics::compute::{
    self, By, CLUSTER_COLUMNS, DRIFT_COLUMNS, EFFICIENCY_COLUMNS, IDLE_COLUMNS, IDLE_NOW_COLUMNS,
    PENDING_COLUMNS,
};
use lmscope::analytics::filters::Filters;
use serde_json::Value;

use crate::state::IDLE_CHOICES;
use crate::url::href_with;
use crate::widgets::bars::BarSpec;
use crate::widgets::query_table::QueryTable;
use crate::widgets::table::{Column, Kind};

/// `2 h`, `1.5 h`.
fn hours(h: f64) -> String {
    if h.fract() == 0.0 {
        format!("{h:.0} h")
    } else {
        format!("{h} h")
    }
}

/// Columns from labels: the first `text` ones text, the rest numbers (money where named).
fn columns(labels: &[&str], text: usize) -> Vec<Column> {
    labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i < text {
                Column::text(l)
            } else if l.contains("cost") || l.contains("Cost") {
                Column::money(l)
            } else {
                Column::number(l)
            }
        })
        .collect()
}

/// A link from a row's first cell: the same view with `key` set to it (and `page`, if given).
fn link_to(key: &'static str, page: Option<&'static str>) -> Callback<Vec<Value>, String> {
    let q = use_query_map();
    Callback::new(move |row: Vec<Value>| {
        let value = row
            .first()
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let mut changes = vec![(key, Some(value))];
        if let Some(p) = page {
            changes.push(("page", Some(p.to_owned())));
        }
        q.with_untracked(|q| href_with(q, &changes))
    })
}

/// The idle threshold's choices, as links that keep the rest of the view.
#[component]
pub fn IdleChoice(idle_hours: f64) -> impl IntoView {
    let q = use_query_map();
    let links = IDLE_CHOICES
        .into_iter()
        .map(|h| {
            let href = move || q.with(|q| href_with(q, &[("idle", Some(h.to_string()))]));
            view! {
                <a class="toggle" class:on=move || h == idle_hours href=href>{hours(h)}</a>
            }
        })
        .collect_view();
    view! {
        <div class="roles" data-testid="idle-choice">"Idle checkout: no job for " {links}</div>
    }
}

/// Per cluster: license-hours, efficiency, idle license-hours, CPU- and GPU-hours, cost.
#[component]
pub fn ClusterCompute(filters: Filters, from: NaiveDate, to: NaiveDate) -> impl IntoView {
    view! {
        <p class="muted">
            "Efficiency: the share of license-hours on compute nodes during which the holder had \
             a Slurm job running on the checkout's host. Cost at the org's prices; per CPU-hour, \
             over every job's CPU-hours in the cluster."
        </p>
        <QueryTable testid="cluster-compute"
            title=format!("Licenses against compute, {from} to {to}")
            columns=columns(&CLUSTER_COLUMNS, 1)
            sql=compute::clusters(&filters, from, to)
            link=link_to("cluster", None)
            chart=BarSpec::new("Efficiency by cluster", 3, "% of license-hours with a job running")
            days=(from, to) />
    }
}

/// Per user (`By::User`) or team: efficiency and idle license-hours on compute nodes.
#[component]
pub fn Efficiency(
    filters: Filters,
    from: NaiveDate,
    to: NaiveDate,
    by: By,
    idle_hours: f64,
) -> impl IntoView {
    let (testid, first, link) = match by {
        By::User => (
            "user-efficiency",
            Column::text("User"),
            link_to("user", Some("me")),
        ),
        By::Team => (
            "team-efficiency",
            Column::named("Team", Kind::Team),
            link_to("team", Some("departments")),
        ),
    };
    let mut cols = vec![first];
    cols.extend(columns(&EFFICIENCY_COLUMNS, 0));
    if let Some(last) = cols.last_mut() {
        last.label = format!("Idle {} or more", hours(idle_hours));
    }
    view! {
        <QueryTable testid
            title=format!("Efficiency on the clusters, {from} to {to}: most idle first")
            columns=cols
            sql=compute::efficiency(&filters, from, to, by, idle_hours)
            link
            chart=BarSpec::new("Idle license-hours (no job running)", 3, "license-hours")
            days=(from, to) />
    }
}

/// Checkouts over the range idle `idle_hours` or more in all.
#[component]
pub fn IdleCheckouts(
    filters: Filters,
    from: NaiveDate,
    to: NaiveDate,
    idle_hours: f64,
) -> impl IntoView {
    view! {
        <QueryTable testid="idle-checkouts"
            title=format!(
                "Idle checkouts, {from} to {to}: {} or more with no job of the holder on the host",
                hours(idle_hours)
            )
            columns=columns(&IDLE_COLUMNS, 5)
            sql=compute::idle_checkouts(&filters, from, to, idle_hours)
            days=(from, to) />
    }
}

/// Checkouts open now with no job of the holder on the host for `idle_hours` or more.
#[component]
pub fn IdleNow(latest: NaiveDate, idle_hours: f64) -> impl IntoView {
    // Times (`2026-11-20 07:08`) and the server are text.
    let cols: Vec<Column> = columns(&IDLE_NOW_COLUMNS, 3)
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            if matches!(i, 4 | 5 | 7) {
                Column::text(&c.label)
            } else {
                c
            }
        })
        .collect();
    view! {
        <QueryTable testid="idle-now"
            title=format!(
                "Idle checkouts now: no job of the holder on the host for {} or more",
                hours(idle_hours)
            )
            columns=cols
            sql=compute::idle_now(idle_hours)
            days=(latest - TimeDelta::days(31), latest) />
    }
}

/// Slurm's newest license counts against FlexLM's, and the jobs waiting on licenses.
#[component]
pub fn SlurmDrift(to: NaiveDate) -> impl IntoView {
    let mut drift = columns(&DRIFT_COLUMNS, 1);
    if let Some(last) = drift.last_mut() {
        *last = Column::text(&last.label);
    }
    let mut pending = columns(&PENDING_COLUMNS, 1);
    if let Some(last) = pending.last_mut() {
        *last = Column::text(&last.label);
    }
    view! {
        <p class="muted">
            "Over-promised: seats Slurm would still hand to jobs (its free count) beyond those \
             FlexLM has free; those jobs start and then fail at checkout."
        </p>
        <QueryTable testid="slurm-drift"
            title="Slurm's license counts against FlexLM's, now".to_owned()
            columns=drift
            sql=compute::drift()
            chart=BarSpec::new("Seats Slurm over-promises", 7, "licenses")
            days=(to, to) />
        <QueryTable testid="slurm-pending"
            title="Jobs waiting on licenses, by cluster, now".to_owned()
            columns=pending
            sql=compute::pending()
            days=(to, to) />
    }
}
