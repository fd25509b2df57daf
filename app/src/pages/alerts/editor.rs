//! The rule editor: the rule set as a list, each rule's fields as text until saved, and the
//! set's TOML for the org file and its link.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use lmscope::analytics::alerts::{to_param, to_toml, Escalation, Kind, Rule, Severity};

use crate::bridge;
use crate::url::href_with;

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
    /// Channels told when it fires (comma list).
    notify: String,
    /// Escalation steps: `30m: eng-leads, tickets; 2h: cto`.
    escalate: String,
    repeat: String,
}

/// Escalation steps as the editor writes them: `AFTER: CHANNEL, …` separated by `;`.
fn escalation_text(steps: &[Escalation]) -> String {
    steps
        .iter()
        .map(|e| format!("{}: {}", e.after, e.notify.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

fn escalation_steps(text: &str) -> Result<Vec<Escalation>, String> {
    text.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|step| {
            let (after, channels) = step.split_once(':').ok_or_else(|| {
                format!("escalate: `{step}` is not `DELAY: CHANNEL, …` (like `30m: eng-leads`)")
            })?;
            let notify = split(channels);
            if notify.is_empty() {
                return Err(format!("escalate: `{step}` names no channel"));
            }
            Ok(Escalation {
                after: after.trim().to_owned(),
                notify,
            })
        })
        .collect()
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
            notify: list(&r.notify),
            escalate: escalation_text(&r.escalate),
            repeat: r.repeat.clone().unwrap_or_default(),
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
            notify: split(&self.notify),
            escalate: escalation_steps(&self.escalate)?,
            repeat: Some(self.repeat.trim().to_owned()).filter(|r| !r.is_empty()),
            ..Rule::new(self.name.trim(), kind)
        };
        rule.validate().map_err(|e| e.to_string())?;
        Ok(rule)
    }
}

/// The rules, with switches, edit and delete, export and share; and the editor.
#[component]
pub(super) fn RuleList(
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
                        <td data-testid="rule-delivery">{Some(r.delivery()).filter(|d| !d.is_empty()).unwrap_or_else(|| "—".to_owned())}</td>
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
                        <th scope="col">"Scope"</th><th scope="col">"Notifies"</th><th scope="col">"Actions"</th>
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
            {field("Notify", "channels, a comma list", value, |d| d.notify.clone(), |d, v| d.notify = v)}
            {field("Escalate", "30m: eng-leads; 2h: cto", value, |d| d.escalate.clone(), |d, v| d.escalate = v)}
            {field("Repeat", "every 4h while firing", value, |d| d.repeat.clone(), |d, v| d.repeat = v)}
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
