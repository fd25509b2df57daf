//! The alerts page: the rule set (the org file's, one kept in this browser, or one shared
//! in the link), what fires now with its evidence and a link to the view that shows it, a
//! timeline of every firing over the range, and an editor. The rules are evaluated here by
//! the same engine `lmscope check` runs ([`lmscope::analytics::alerts`]).

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use lmscope::analytics::alerts::{
    day_params, evaluate, from_param, inputs, parse_published, to_param, to_toml, Alert, Data,
    Kind, Rule, Severity, RULES_PRESENT_SQL, RULES_SQL,
};
use serde_json::{json, Value};

use crate::bridge;
use crate::url::{href_with, param_setter};
use crate::widgets::table::{Column, DataTable};

/// Where this browser keeps an edited rule set.
const STORAGE_KEY: &str = "lmscope.alerts.rules";

/// The engine's input for the range, and the rules published with the data.
pub async fn load(from: NaiveDate, to: NaiveDate) -> Result<(Data, Vec<Rule>), String> {
    let params: Vec<Value> = day_params(from, to).into_iter().map(Value::from).collect();
    let mut data = Data::default();
    for (name, sql) in inputs() {
        let rows = bridge::query::<Vec<Value>>(&sql, &params)
            .await
            .map_err(|e| format!("{name}: {e}"))?;
        data.add_rows(name, &rows);
    }
    let present = bridge::query::<(f64,)>(RULES_PRESENT_SQL, &[]).await?;
    let mut rules = Vec::new();
    if present.first().is_some_and(|r| r.0 > 0.0) {
        let rows = bridge::query::<(String, String)>(RULES_SQL, &[]).await?;
        for (name, definition) in rows {
            rules.push(parse_published(&name, &definition)?);
        }
    }
    Ok((data, rules))
}

#[component]
pub fn AlertsPage(from: NaiveDate, to: NaiveDate) -> impl IntoView {
    let loaded = LocalResource::new(move || load(from, to));
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"Evaluating alert rules…"</p> }>
            {move || Suspend::new(async move {
                match loaded.await {
                    Ok((data, published)) => view! { <Alerts data published from to /> }.into_any(),
                    Err(e) => crate::widgets::query_table::query_error("Alert data", &e).into_any(),
                }
            })}
        </Suspense>
    }
}

/// Minute precision, as every time on the page.
fn minute(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// The view that shows an alert's evidence: its filters, from the day it fired.
fn evidence_href(q: &leptos_router::params::ParamsMap, a: &Alert, to: NaiveDate) -> String {
    let page = match a.kind {
        Kind::Down | Kind::DaemonDown | Kind::Stale => "overview",
        Kind::Budget => "departments",
        _ => "features",
    };
    let mut changes: Vec<(&str, Option<String>)> = vec![
        ("page", Some(page.to_owned())),
        ("rules", None),
        ("from", Some(a.since.date().to_string())),
        (
            "to",
            Some(
                a.until
                    .map_or(to, |u| u.date().max(a.since.date()))
                    .to_string(),
            ),
        ),
    ];
    for (k, v) in &a.filters {
        match k.as_str() {
            "server" | "feature" | "vendor" | "department" => {
                changes.push((k.as_str(), Some(v.clone())));
            }
            _ => {}
        }
    }
    href_with(q, &changes)
}

#[component]
fn Alerts(data: Data, published: Vec<Rule>, from: NaiveDate, to: NaiveDate) -> impl IntoView {
    let q = use_query_map();
    let go = param_setter();
    let shared = Memo::new(move |_| q.with(|q| q.get("rules")).map(|t| from_param(&t)));
    let local = RwSignal::new(bridge::stored(STORAGE_KEY).map(|t| from_param(&t)));
    let published = StoredValue::new(published);
    let rules = Memo::new(move |_| match (shared.get(), local.get()) {
        (Some(Ok(r)), _) => (r, "shared in this link"),
        (_, Some(Ok(r))) => (r, "kept in this browser"),
        _ => (published.get_value(), "from the org file"),
    });
    let data_end = data.now;
    let data = StoredValue::new(data);
    let clock = crate::format::now().naive_utc();
    let outcome = Memo::new(move |_| data.with_value(|d| evaluate(&rules.get().0, d, clock)));
    let save = {
        let go = go.clone();
        Callback::new(move |new: Vec<Rule>| {
            let _ = bridge::store(STORAGE_KEY, Some(&to_param(&new)));
            local.set(Some(Ok(new)));
            if shared.get_untracked().is_some() {
                go("rules", String::new());
            }
        })
    };
    let reset = move |_| {
        let _ = bridge::store(STORAGE_KEY, None);
        local.set(None);
        if shared.get_untracked().is_some() {
            go("rules", String::new());
        }
    };
    let problems = move || {
        let mut out = Vec::new();
        if let Some(Err(e)) = shared.get() {
            out.push(format!(
                "URL parameter `rules`: {e}; showing the other rules"
            ));
        }
        if let Some(Err(e)) = local.get() {
            out.push(format!("The rules kept in this browser: {e}; reset them"));
        }
        out.extend(outcome.get().1.iter().map(ToString::to_string));
        (!out.is_empty()).then(|| {
            view! {
                <div class="error" role="alert" data-testid="rule-errors">
                    <ul>{out.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
                </div>
            }
        })
    };
    view! {
        {problems}
        <Firing outcome from to />
        <Timeline outcome rules from to data_end />
        <RuleList rules save reset />
    }
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
fn Firing(
    outcome: Memo<(Vec<Alert>, Vec<lmscope::analytics::alerts::RuleError>)>,
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
fn Timeline(
    outcome: Memo<(Vec<Alert>, Vec<lmscope::analytics::alerts::RuleError>)>,
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

/// A rule's fields as the editor holds them: text, parsed on save.
#[derive(Clone, Default, PartialEq)]
struct Draft {
    name: String,
    kind: String,
    severity: String,
    threshold: String,
    window: String,
    days: String,
    features: String,
    servers: String,
    departments: String,
    projects: String,
    projected: bool,
    enabled: bool,
}

fn list(v: &[String]) -> String {
    v.join(", ")
}

fn split(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Draft {
    fn of(r: &Rule) -> Self {
        Self {
            name: r.name.clone(),
            kind: r.kind.key().to_owned(),
            severity: r.severity.label().to_owned(),
            threshold: r.threshold.map(|t| t.to_string()).unwrap_or_default(),
            window: r.window.clone().unwrap_or_default(),
            days: r.days.map(|d| d.to_string()).unwrap_or_default(),
            features: list(&r.features),
            servers: list(&r.servers),
            departments: list(&r.departments),
            projects: list(&r.projects),
            projected: r.projected,
            enabled: r.enabled,
        }
    }

    /// The rule, or what is wrong with it (field by field, then [`Rule::validate`]).
    fn rule(&self) -> Result<Rule, String> {
        let kind =
            Kind::parse(&self.kind).ok_or_else(|| format!("unknown kind `{}`", self.kind))?;
        let severity = Severity::parse(&self.severity)
            .ok_or_else(|| format!("unknown severity `{}`", self.severity))?;
        let threshold = match self.threshold.trim() {
            "" => None,
            t => Some(
                t.parse::<f64>()
                    .map_err(|_| format!("threshold: `{t}` is not a number"))?,
            ),
        };
        let days = match self.days.trim() {
            "" => None,
            d => Some(
                d.parse::<u32>()
                    .map_err(|_| format!("days: `{d}` is not a whole number of days"))?,
            ),
        };
        let window = Some(self.window.trim().to_owned()).filter(|w| !w.is_empty());
        let rule = Rule {
            severity,
            threshold,
            window,
            days,
            features: split(&self.features),
            servers: split(&self.servers),
            departments: split(&self.departments),
            projects: split(&self.projects),
            projected: self.projected,
            enabled: self.enabled,
            ..Rule::new(self.name.trim(), kind)
        };
        rule.validate().map_err(|e| e.to_string())?;
        Ok(rule)
    }
}

/// The rules, with switches, edit and delete, export and share; and the editor.
#[component]
fn RuleList(
    rules: Memo<(Vec<Rule>, &'static str)>,
    save: Callback<Vec<Rule>>,
    reset: impl Fn(leptos::ev::MouseEvent) + 'static,
) -> impl IntoView {
    let q = use_query_map();
    // The rule being edited: its index (None: a new one) and its fields.
    let editing: RwSignal<Option<(Option<usize>, Draft)>> = RwSignal::new(None);
    let toml = Memo::new(move |_| to_toml(&rules.get().0));
    let share = move || q.with(|q| href_with(q, &[("rules", Some(to_param(&rules.get().0)))]));
    let export = move |_| {
        let _ = bridge::download(
            "lmscope-alerts.toml",
            "application/toml",
            &toml.get_untracked(),
        );
    };
    let rows = move || {
        let (list, _) = rules.get();
        list.iter()
            .enumerate()
            .map(|(i, r)| {
                let toggle = move |_| {
                    let mut all = rules.get_untracked().0;
                    if let Some(x) = all.get_mut(i) {
                        x.enabled = !x.enabled;
                    }
                    save.run(all);
                };
                let delete = move |_| {
                    let mut all = rules.get_untracked().0;
                    if i < all.len() {
                        all.remove(i);
                    }
                    save.run(all);
                };
                let draft = Draft::of(r);
                let edit = move |_| editing.set(Some((Some(i), draft.clone())));
                let label = format!("Rule {} enabled", r.name);
                view! {
                    <tr>
                        <td><input type="checkbox" prop:checked=r.enabled on:change=toggle aria-label=label /></td>
                        <td>{r.name.clone()}</td>
                        <td>{r.kind.key()}</td>
                        <td>{r.severity.label()}</td>
                        <td>{r.condition()}</td>
                        <td>{r.scope()}</td>
                        <td>
                            <button type="button" on:click=edit>"Edit"</button>
                            <button type="button" on:click=delete>"Delete"</button>
                        </td>
                    </tr>
                }
            })
            .collect_view()
    };
    let add = move |_| {
        editing.set(Some((
            None,
            Draft {
                kind: "utilization".to_owned(),
                severity: "warning".to_owned(),
                enabled: true,
                ..Draft::default()
            },
        )))
    };
    view! {
        <section class="rules" data-testid="alert-rules">
            <h2>{move || format!("Rules ({}, {})", rules.get().0.len(), rules.get().1)}</h2>
            <div class="toolbar">
                <button type="button" on:click=add data-testid="add-rule">"Add a rule"</button>
                <button type="button" on:click=export>"Export TOML"</button>
                <a href=share data-testid="share-rules">"Link to these rules"</a>
                <button type="button" on:click=reset data-testid="reset-rules">"Use the org file's rules"</button>
            </div>
            <div class="table-wrap">
                <table>
                    <thead><tr>
                        <th scope="col">"On"</th><th scope="col">"Name"</th><th scope="col">"Kind"</th>
                        <th scope="col">"Severity"</th><th scope="col">"Condition"</th>
                        <th scope="col">"Scope"</th><th scope="col">"Actions"</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {move || editing.get().map(|(index, draft)| view! { <Editor index draft rules save editing /> })}
            <details>
                <summary>"As TOML, for the org file"</summary>
                <pre data-testid="rules-toml">{toml}</pre>
            </details>
        </section>
    }
}

/// A text field of the editor bound to one field of the draft.
fn field(
    label: &'static str,
    hint: &'static str,
    value: RwSignal<Draft>,
    get: fn(&Draft) -> String,
    set: fn(&mut Draft, String),
) -> impl IntoView {
    let name = label.to_lowercase();
    view! {
        <label>
            {label}
            <input type="text" name=name placeholder=hint prop:value=move || value.with(get)
                on:input=move |ev| value.update(|d| set(d, event_target_value(&ev))) />
        </label>
    }
}

#[component]
fn Editor(
    index: Option<usize>,
    draft: Draft,
    rules: Memo<(Vec<Rule>, &'static str)>,
    save: Callback<Vec<Rule>>,
    editing: RwSignal<Option<(Option<usize>, Draft)>>,
) -> impl IntoView {
    let value = RwSignal::new(draft);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match value.with(Draft::rule) {
            Err(e) => error.set(Some(e)),
            Ok(rule) => {
                let mut all = rules.get_untracked().0;
                match index.filter(|i| *i < all.len()) {
                    Some(i) => all[i] = rule,
                    None => all.push(rule),
                }
                save.run(all);
                editing.set(None);
            }
        }
    };
    let kinds = Kind::ALL
        .into_iter()
        .map(|k| view! { <option value=k.key()>{k.key()}</option> })
        .collect_view();
    let severities = ["info", "warning", "critical"]
        .into_iter()
        .map(|s| view! { <option value=s>{s}</option> })
        .collect_view();
    view! {
        <form class="editor" data-testid="rule-editor" on:submit=submit>
            <h3>{if index.is_some() { "Edit rule" } else { "New rule" }}</h3>
            {field("Name", "Shortage", value, |d| d.name.clone(), |d, v| d.name = v)}
            <label>"Kind"
                <select name="kind" prop:value=move || value.with(|d| d.kind.clone())
                    on:change=move |ev| value.update(|d| d.kind = event_target_value(&ev))>{kinds}</select>
            </label>
            <label>"Severity"
                <select name="severity" prop:value=move || value.with(|d| d.severity.clone())
                    on:change=move |ev| value.update(|d| d.severity = event_target_value(&ev))>{severities}</select>
            </label>
            {field("Threshold", "% or a count", value, |d| d.threshold.clone(), |d, v| d.threshold = v)}
            {field("Window", "5m, 2h, 7d", value, |d| d.window.clone(), |d, v| d.window = v)}
            {field("Days", "30", value, |d| d.days.clone(), |d, v| d.days = v)}
            {field("Features", "all, or a comma list", value, |d| d.features.clone(), |d, v| d.features = v)}
            {field("Servers", "all, or a comma list", value, |d| d.servers.clone(), |d, v| d.servers = v)}
            {field("Departments", "budget rules", value, |d| d.departments.clone(), |d, v| d.departments = v)}
            {field("Projects", "budget rules", value, |d| d.projects.clone(), |d, v| d.projects = v)}
            <label><input type="checkbox" name="projected" prop:checked=move || value.with(|d| d.projected)
                on:change=move |_| value.update(|d| d.projected = !d.projected) />"Projected spend counts"</label>
            <label><input type="checkbox" name="enabled" prop:checked=move || value.with(|d| d.enabled)
                on:change=move |_| value.update(|d| d.enabled = !d.enabled) />"Enabled"</label>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="editor-error">{e}</p> })}
            <div class="toolbar">
                <button type="submit">"Save rule"</button>
                <button type="button" on:click=move |_| editing.set(None)>"Cancel"</button>
            </div>
        </form>
    }
}
