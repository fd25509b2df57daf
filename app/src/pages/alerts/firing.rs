//! What the rules say over the range: the alerts firing at its end, each with its evidence
//! link, and a timeline of every firing.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use lmscope::analytics::alerts::{Alert, Rule, RuleError, Severity};
use serde_json::{json, Value};

use crate::url::href_with;
use crate::widgets::table::{Column, DataTable};

/// Minute precision, as every time on the page.
fn minute(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// The view that shows an alert's evidence: its filters, from the day it fired.
fn evidence_href(q: &leptos_router::params::ParamsMap, a: &Alert, to: NaiveDate) -> String {
    // The page first, then the rules dropped (they are the alerts page's own), then the rest.
    let mut changes: Vec<(&str, Option<String>)> = a
        .evidence_view(to)
        .into_iter()
        .map(|(k, v)| (k, Some(v)))
        .collect();
    changes.insert(1.min(changes.len()), ("rules", None));
    href_with(q, &changes)
}

fn severity_rank(s: Severity) -> i64 {
    match s {
        Severity::Critical => 3,
        Severity::Warning => 2,
        Severity::Info => 1,
    }
}

/// What fires at the end of the range, most severe first, each linking to its evidence.
#[component]
pub(super) fn Firing(
    outcome: Memo<(Vec<Alert>, Vec<RuleError>)>,
    from: NaiveDate,
    to: NaiveDate,
) -> impl IntoView {
    let q = use_query_map();
    let columns = vec![
        Column::text("Subject"),
        Column::text("Rule"),
        Column::text("Severity"),
        Column::text("Since (UTC)"),
        Column::text("Evidence"),
    ];
    move || {
        let (alerts, _) = outcome.get();
        let mut firing: Vec<&Alert> = alerts.iter().filter(|a| a.until.is_none()).collect();
        firing.sort_by_key(|a| -severity_rank(a.severity));
        let hrefs: BTreeMap<(String, String), String> = firing
            .iter()
            .map(|a| {
                let href = q.with(|q| evidence_href(q, a, to));
                ((a.rule.clone(), a.subject.clone()), href)
            })
            .collect();
        let rows: Vec<Vec<Value>> = firing
            .iter()
            .map(|a| {
                vec![
                    json!(a.subject),
                    json!(a.rule),
                    json!(a.severity.label()),
                    json!(minute(a.since)),
                    json!(a.evidence),
                ]
            })
            .collect();
        let link = Callback::new(move |row: Vec<Value>| {
            let key = (
                row.get(1)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                row.first()
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            );
            hrefs.get(&key).cloned().unwrap_or_else(|| "?".to_owned())
        });
        let title = format!("Firing now ({} at the end of {from} to {to})", firing.len());
        crate::widgets::query_table::mark_view_ready();
        view! { <DataTable testid="alerts-firing" title columns=columns.clone() rows link /> }
    }
}

/// Every firing over the range: a strip per rule (bars from firing to clearing), and the
/// same as a table, its text equivalent.
#[component]
pub(super) fn Timeline(
    outcome: Memo<(Vec<Alert>, Vec<RuleError>)>,
    rules: Memo<(Vec<Rule>, &'static str)>,
    from: NaiveDate,
    to: NaiveDate,
    /// The end of the data in the range: how long a firing that has not cleared has lasted.
    data_end: Option<NaiveDateTime>,
) -> impl IntoView {
    let start = from.and_time(chrono::NaiveTime::MIN);
    let end = (to + TimeDelta::days(1)).and_time(chrono::NaiveTime::MIN);
    let total = (end - start).num_seconds().max(1) as f64;
    let pos = move |t: NaiveDateTime| {
        ((t - start).num_seconds() as f64 / total * 100.0).clamp(0.0, 100.0)
    };
    let columns = vec![
        Column::text("Rule"),
        Column::text("Subject"),
        Column::text("Severity"),
        Column::text("Fired (UTC)"),
        Column::text("Cleared (UTC)"),
        Column::number("Hours"),
    ];
    move || {
        let (alerts, _) = outcome.get();
        let strips = rules
            .get()
            .0
            .into_iter()
            .filter(|r| r.enabled)
            .map(|r| {
                let bars = alerts
                    .iter()
                    .filter(|a| a.rule == r.name)
                    .map(|a| {
                        let (x0, x1) = (pos(a.since), pos(a.until.unwrap_or(end)));
                        let style = format!("left:{x0:.3}%;width:{:.3}%", (x1 - x0).max(0.3));
                        let class = format!("bar sev-{}", a.severity.label());
                        view! { <span class=class style=style title=a.subject.clone()></span> }
                    })
                    .collect_view();
                view! {
                    <div class="strip">
                        <span class="strip-name">{r.name.clone()}</span>
                        <span class="track">{bars}</span>
                    </div>
                }
            })
            .collect_view();
        let rows: Vec<Vec<Value>> = alerts
            .iter()
            .map(|a| {
                let until = a.until.or(data_end).unwrap_or(end).max(a.since);
                let hours = ((until - a.since).num_minutes() as f64 / 60.0 * 10.0).round() / 10.0;
                vec![
                    json!(a.rule),
                    json!(a.subject),
                    json!(a.severity.label()),
                    json!(minute(a.since)),
                    a.until.map_or(json!("still firing"), |u| json!(minute(u))),
                    json!(hours),
                ]
            })
            .collect();
        let title = format!("Timeline, {from} to {to}: {} firings", rows.len());
        view! {
            <section class="timeline" aria-hidden="true">
                <h2>"When each rule fired"</h2>
                {strips}
            </section>
            <DataTable testid="alerts-timeline" title columns=columns.clone() rows />
        }
    }
}
