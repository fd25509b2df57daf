//! The executive summary: utilization, cost, trends, risks and opportunities of the range
//! on one printable page. Every figure comes from the same code as the page that details
//! it (trends, costs, alerts, forecasts, recommendations), and links there.

use chrono::NaiveDate;
use leptos::prelude::*;
use lmscope::analytics::alerts::{evaluate, Alert, Severity};
use lmscope::analytics::chargeback::Statement;
use lmscope::analytics::filters::Filters;
use lmscope::analytics::page_sql;
use lmscope::analytics::recommend::{Recommendation, Shortage};
use serde_json::{json, Value};

use crate::format::round2;
use crate::url::href_with;
use crate::widgets::bars::{BarChart, BarSpec};
use crate::widgets::table::{Column, DataTable};

/// Everything the summary shows.
#[derive(Clone)]
struct Summary {
    comparison: Vec<Vec<Value>>,
    costs: Statement,
    currency: String,
    months: Vec<Vec<Value>>,
    firing: Vec<Alert>,
    shortages: Vec<Shortage>,
    recommendations: Vec<Recommendation>,
}

async fn load(f: Filters, from: NaiveDate, to: NaiveDate) -> Result<Summary, String> {
    let comparison = crate::pages::trends::comparison(f.clone(), from, to).await?;
    let (costs, currency) =
        crate::pages::costs::period(lmscope::analytics::chargeback::By::Department, from, to)
            .await?;
    let (sql, p) = page_sql::monthly_utilization(&f, from, to);
    let months = crate::bridge::query::<Vec<Value>>(&sql, &p).await?;
    let (data, rules) = crate::pages::alerts::load(from, to).await?;
    let clock = crate::format::now().naive_utc();
    let (alerts, _) = evaluate(&rules, &data, clock);
    let mut firing: Vec<Alert> = alerts.into_iter().filter(|a| a.until.is_none()).collect();
    firing.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.since.cmp(&b.since)));
    let (recommendations, shortages) = crate::pages::recommendations::load(f, from, to).await?;
    Ok(Summary {
        comparison,
        costs,
        currency,
        months,
        firing,
        shortages,
        recommendations,
    })
}

#[component]
pub fn SummaryPage(filters: Filters, from: NaiveDate, to: NaiveDate) -> impl IntoView {
    let loaded = LocalResource::new(move || load(filters.clone(), from, to));
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"Summarizing…"</p> }>
            {move || Suspend::new(async move {
                match loaded.await {
                    Ok(s) => view! { <Report s from to /> }.into_any(),
                    Err(e) => crate::widgets::query_table::query_error("Executive summary", &e).into_any(),
                }
            })}
        </Suspense>
    }
}

/// A measure of the period comparison: (this period, change % against the previous).
fn measure(rows: &[Vec<Value>], label: &str) -> (Option<f64>, Option<f64>) {
    rows.iter()
        .find(|r| r.first().and_then(Value::as_str) == Some(label))
        .map_or((None, None), |r| {
            (
                r.get(1).and_then(Value::as_f64),
                r.get(3).and_then(Value::as_f64),
            )
        })
}

fn change(c: Option<f64>) -> String {
    c.map_or_else(
        || "no previous period".to_owned(),
        |c| format!("{c:+.1} % on the previous period"),
    )
}

#[component]
fn Report(s: Summary, from: NaiveDate, to: NaiveDate) -> impl IntoView {
    let card = |label: &'static str, testid: &'static str, digits: usize| {
        let (value, delta) = measure(&s.comparison, label);
        let raw = value.map(|v| format!("{v:.digits$}"));
        let text = value.map_or_else(
            || "–".to_owned(),
            |v| crate::format::grouped(v, digits.min(1)),
        );
        view! {
            <div><dt>{label}</dt><dd data-testid=testid data-value=raw>{text}</dd><dd class="muted">{change(delta)}</dd></div>
        }
    };
    let link = |changes: Vec<(&str, Option<String>)>| {
        let mut all = vec![
            ("from", Some(from.to_string())),
            ("to", Some(to.to_string())),
        ];
        all.extend(changes);
        href_with(&Default::default(), &all)
    };
    let idle = if s.costs.bill > 0.0 {
        100.0 * (1.0 - s.costs.use_cost / s.costs.bill)
    } else {
        0.0
    };
    let display = use_context::<crate::widgets::table::Display>().unwrap_or_default();
    let department_name = |id: &str| {
        display
            .names
            .departments
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_owned())
    };
    let money = |x: f64| crate::format::money(x, &display.currency, 0);
    let top_departments = s
        .costs
        .lines
        .iter()
        .take(3)
        .map(|l| {
            view! {
                <li>
                    <a href=link(vec![("page", Some("costs".into())), ("by", Some("department".into())),
                                      ("policy", Some("full-allocation".into()))])>{department_name(&l.group)}</a>
                    {format!(": {} full allocation, {} pay for use ({:.1} % of license-hours)",
                             money(l.full_cost), money(l.use_cost), l.share)}
                </li>
            }
        })
        .collect_view();
    // Cost by department (full allocation: the whole bill shared out), as bars.
    let cost_rows: Vec<Vec<Value>> = s
        .costs
        .lines
        .iter()
        .map(|l| vec![json!(department_name(&l.group)), json!(round2(l.full_cost))])
        .collect();
    let cost_chart = BarSpec::new(
        "License bill by department (full allocation)",
        1,
        format!("cost ({})", display.currency),
    );
    let count = |sev: Severity| s.firing.iter().filter(|a| a.severity == sev).count();
    let (critical, warning) = (count(Severity::Critical), count(Severity::Warning));
    let alert_items = s
        .firing
        .iter()
        .take(8)
        .map(|a| {
            view! {
                <li>
                    <strong>{a.severity.label()}</strong> " " {a.rule.clone()} ": " {a.subject.clone()}
                    {format!(" since {}", a.since.format("%Y-%m-%d %H:%M"))}
                </li>
            }
        })
        .collect_view();
    let shortage_items = s
        .shortages
        .iter()
        .take(8)
        .map(|sh| {
            let href = link(vec![
                ("page", Some("forecast".into())),
                ("server", Some(sh.server.clone())),
                ("feature", Some(sh.feature.clone())),
            ]);
            view! {
                <li><a href=href>{sh.feature.clone()}</a>
                    {format!(" on {}: {}", sh.server, sh.describe())}</li>
            }
        })
        .collect_view();
    let (saving, addition) = crate::pages::recommendations::totals(&s.recommendations);
    let opportunities = s
        .recommendations
        .iter()
        .filter(|r| r.yearly_cost < 0.0)
        .take(5)
        .map(|r| {
            let href = crate::pages::recommendations::evidence_href(r, from, to);
            view! {
                <li><a href=href>{format!("{}: {}", r.action.label(), r.subject)}</a>
                    {format!(" on {}: {:.0} seats, saves {} a year", r.server, r.seats, money(-r.yearly_cost))}</li>
            }
        })
        .collect_view();
    let month_columns = vec![
        Column::text("Month"),
        Column::number("Average utilization %"),
        Column::number("Peak utilization %"),
        Column::number("Peak in use"),
        Column::number("Denials"),
    ];
    let print = |_| crate::bridge::print();
    let currency = s.currency.clone();
    crate::widgets::query_table::mark_view_ready();
    view! {
        <article class="summary" data-testid="executive-summary">
            <div class="section-head">
                <h2>{format!("Executive summary, {from} to {to}")}</h2>
                <button type="button" class="export" on:click=print>"Print"</button>
            </div>
            <h3>"Utilization"</h3>
            <dl class="cards">
                {card("Average utilization %", "sum-util", 1)}
                {card("Peak utilization %", "sum-peak-util", 1)}
                {card("License-hours", "sum-hours", 2)}
                {card("Unique users", "sum-users", 0)}
                {card("Denials", "sum-denials", 0)}
            </dl>
            <h3>"Cost"</h3>
            <dl class="cards">
                <div><dt>"Pay for use"</dt><dd data-testid="sum-use" data-value=format!("{:.2}", s.costs.use_cost)>{crate::format::money(s.costs.use_cost, &currency, 0)}</dd></div>
                <div><dt>"License bill"</dt><dd data-testid="sum-bill" data-value=format!("{:.2}", s.costs.bill)>{crate::format::money(s.costs.bill, &currency, 0)}</dd></div>
                <div><dt>"Bill not covered by use"</dt><dd>{format!("{idle:.1} %")}</dd></div>
            </dl>
            <p>"Largest departments under full allocation:"</p>
            <ul>{top_departments}</ul>
            <BarChart testid="sum-costs" spec=cost_chart rows=cost_rows />
            <DataTable testid="sum-months" title="Trend: monthly utilization".to_owned()
                columns=month_columns rows=s.months.clone()
                chart=BarSpec::new("Average utilization by month (tick: the month's peak)", 1, "utilization %")
                    .with_mark(2, "peak utilization %").with_top(36) />
            <h3>"Risks"</h3>
            <p data-testid="sum-risks">
                <a href=link(vec![("page", Some("alerts".into()))])>
                    {format!("{} alerts firing now", s.firing.len())}
                </a>
                {format!(" ({critical} critical, {warning} warning); {} features projected short \
                          (a chance of running out within 90 days of {:.0} % or more).",
                         s.shortages.len(), 100.0 * lmscope::analytics::forecast::SHORTAGE_PROBABILITY)}
            </p>
            <ul>{alert_items}</ul>
            <ul>{shortage_items}</ul>
            <h3>"Opportunities"</h3>
            <p>
                <a href=link(vec![("page", Some("recommendations".into()))])>"Recommendations"</a>
                ": cutting over-provisioned features saves "
                <strong data-testid="sum-saving" data-value=format!("{saving:.2}")>
                    {crate::format::money(saving, &currency, 0)}
                </strong>
                {format!(" a year; the additions asked for cost {} a year.",
                         crate::format::money(addition, &currency, 0))}
            </p>
            <ul>{opportunities}</ul>
        </article>
    }
}
