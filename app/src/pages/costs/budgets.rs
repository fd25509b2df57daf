//! Each department's spend this year against its yearly budget, projected to the year end.

use chrono::{Datelike, NaiveDate};
use leptos::prelude::*;
use lmscope::analytics::chargeback::{Policy, Statement};
use serde_json::{json, Value};

use crate::format::round2;
use crate::widgets::bars::BarSpec;
use crate::widgets::table::{Column, DataTable};

/// Each department's spend this year (under `policy`) against its yearly budget, with the
/// spend projected to the year end at its rate since `first` (the first day with data).
pub(super) fn budget_table(
    s: &Statement,
    budgets: &[(String, String, Option<f64>)],
    policy: Policy,
    currency: &str,
    first: NaiveDate,
    to: NaiveDate,
) -> impl IntoView {
    let year_end = NaiveDate::from_ymd_opt(to.year(), 12, 31).unwrap_or(to);
    let elapsed = ((to - first).num_days() + 1).max(1) as f64;
    let remaining = (year_end - to).num_days().max(0) as f64;
    let rows: Vec<Vec<Value>> = budgets
        .iter()
        .filter_map(|(id, name, budget)| {
            let budget = (*budget)?;
            let spent = s
                .lines
                .iter()
                .find(|l| &l.group == id)
                .map_or(0.0, |l| l.cost(policy));
            let projected = spent + spent / elapsed * remaining;
            let status = if spent >= budget {
                "over budget"
            } else if projected >= budget {
                "projected over"
            } else if spent >= 0.8 * budget {
                "80 % used"
            } else {
                "ok"
            };
            Some(vec![
                json!(name),
                json!(round2(budget)),
                json!(round2(spent)),
                json!((1000.0 * spent / budget).round() / 10.0),
                json!(round2(projected)),
                json!(status),
            ])
        })
        .collect();
    let columns = vec![
        Column::text("Department"),
        Column::money("Yearly budget"),
        Column::money("Spent this year"),
        Column::number("% of budget"),
        Column::money("Projected year end"),
        Column::text("Status"),
    ];
    let title = format!(
        "Budget against spend ({}), {} to {to}, projected at the rate since {first}",
        policy.label().to_lowercase(),
        s.from
    );
    let chart = BarSpec::new(
        "Spent this year against the yearly budget",
        2,
        format!("spent ({currency})"),
    )
    .with_mark(1, "yearly budget");
    view! {
        <DataTable testid="budgets" title columns rows chart />
    }
}
