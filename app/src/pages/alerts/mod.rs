//! The alerts page: the rule set (the org file's, one kept in this browser, or one shared
//! in the link), what fires now with its evidence and a link to the view that shows it, a
//! timeline of every firing over the range, and an editor. The rules are evaluated here by
//! the same engine `lmscope check` runs ([`lmscope::analytics::alerts`]).

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use lmscope::analytics::alerts::{
    day_params, evaluate, from_param, inputs, parse_published, to_param, Data, Rule,
    RULES_PRESENT_SQL, RULES_SQL,
};
use serde_json::Value;

use crate::bridge;
use crate::url::param_setter;

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

mod editor;
mod firing;

use editor::RuleList;
use firing::{Firing, Timeline};

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
