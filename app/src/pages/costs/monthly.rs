//! Cost by group per month: stacked bars of each month's cost under the policy shown, and
//! the same figures as a table.

use std::rc::Rc;

use leptos::prelude::*;
use lmscope::analytics::chargeback::{By, Policy, Statement};
use serde_json::{json, Value};

use crate::format::round2;
use crate::widgets::figure::{json_attr, Draw, Figure};
use crate::widgets::table::{Column, DataTable};

/// How many groups the monthly chart names; the rest are summed as `other`.
const MONTHLY_GROUPS: usize = 6;

/// Each month's cost under `policy` as stacked bars, one colour per group (the
/// [`MONTHLY_GROUPS`] most expensive over the period, the rest as `other`), and the same
/// figures as a table of months.
#[component]
pub(super) fn MonthlyCosts(
    months: Vec<Statement>,
    policy: Policy,
    currency: String,
) -> impl IntoView {
    let Some(by) = months.first().map(|m| m.by) else {
        return view! { <p class="muted">"No costs by month in this range."</p> }.into_any();
    };
    let mut totals: std::collections::BTreeMap<&str, f64> = Default::default();
    for l in months.iter().flat_map(|m| &m.lines) {
        *totals.entry(&l.group).or_default() += l.cost(policy);
    }
    let mut ranked: Vec<(&str, f64)> = totals.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let named: Vec<String> = ranked
        .iter()
        .take(MONTHLY_GROUPS)
        .map(|g| g.0.to_owned())
        .collect();
    let has_other = ranked.len() > MONTHLY_GROUPS;
    let cost_of = |m: &Statement, g: &str| {
        m.lines
            .iter()
            .find(|l| l.group == g)
            .map_or(0.0, |l| l.cost(policy))
    };
    let mut series: Vec<(String, Vec<f64>)> = named
        .iter()
        .map(|g| {
            (
                g.clone(),
                months.iter().map(|m| round2(cost_of(m, g))).collect(),
            )
        })
        .collect();
    if has_other {
        let other = months
            .iter()
            .map(|m| {
                let all: f64 = m.lines.iter().map(|l| l.cost(policy)).sum();
                let shown: f64 = named.iter().map(|g| cost_of(m, g)).sum();
                round2(all - shown)
            })
            .collect();
        series.push(("other".to_owned(), other));
    }
    // Departments and teams by their names, as people read them.
    let display = use_context::<crate::widgets::table::Display>().unwrap_or_default();
    let names = match by {
        By::Department => Some(&display.names.departments),
        By::Team => Some(&display.names.teams),
        _ => None,
    };
    let shown: Vec<(String, Vec<f64>)> = series
        .iter()
        .map(|(g, v)| {
            let name = names
                .and_then(|n| n.get(g))
                .cloned()
                .unwrap_or_else(|| g.clone());
            (name, v.clone())
        })
        .collect();
    let columns_text: Vec<String> = months
        .iter()
        .map(|m| m.from.format("%Y-%m").to_string())
        .collect();
    let title = format!(
        "{} by {} per month ({currency})",
        policy.label(),
        by.label().to_lowercase()
    );
    let data = vec![
        ("labels", json_attr(&columns_text)),
        (
            "series",
            json_attr(&series.iter().map(|s| &s.0).collect::<Vec<_>>()),
        ),
        (
            "values",
            json_attr(&series.iter().map(|s| &s.1).collect::<Vec<_>>()),
        ),
    ];
    let label = format!("{title}: stacked bars; the table below lists the same figures");
    let draw: Draw = {
        let (title, unit) = (title.clone(), format!("cost ({currency})"));
        let (columns_text, shown) = (columns_text.clone(), shown.clone());
        Rc::new(move |el| {
            crate::widgets::chart::draw_stacked(el, &title, &unit, &columns_text, &shown)
        })
    };
    let mut columns = vec![Column::text("Month")];
    columns.extend(shown.iter().map(|(name, _)| Column::money(name)));
    columns.push(Column::money("Total"));
    let rows: Vec<Vec<Value>> = columns_text
        .iter()
        .enumerate()
        .map(|(i, month)| {
            let mut row = vec![json!(month)];
            let values: Vec<f64> = series
                .iter()
                .map(|s| s.1.get(i).copied().unwrap_or(0.0))
                .collect();
            row.extend(values.iter().map(|v| json!(v)));
            row.push(json!(round2(values.iter().sum())));
            row
        })
        .collect();
    view! {
        <section data-testid="monthly-costs">
            <h2>{title.clone()}</h2>
            <Figure testid="monthly-costs".to_owned() label height_px=400 data draw />
        </section>
        <DataTable testid="monthly-costs-table" title=format!("{title}, as a table") columns rows />
    }
    .into_any()
}
