//! The costs page: chargeback by cost center, department, team, project or user under the
//! policy chosen (pay for use, or full allocation of the license bill), its export for
//! finance (the same CSV and JSON as `lmscope report chargeback`), this month to date with
//! its projected month end, and each department's spend against its yearly budget.

use std::rc::Rc;

use chrono::{Datelike, NaiveDate};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use lmscope::analytics::chargeback::{
    bill_sql, bill_sql_split, monthly, params, statement, usage_sql, usage_sql_split, By, Policy,
    Split, Statement, BUDGETS_SQL, FIRST_DAY_SQL,
};
use serde_json::{json, Value};

use crate::bridge;
use crate::format::{money, round2};
use crate::state::CostChoice;
use crate::url::href_with;
use crate::widgets::bars::BarSpec;
use crate::widgets::figure::{json_attr, Draw, Figure};
use crate::widgets::table::{Column, DataTable, Kind};

/// The chargeback of `[from, to]` grouped `by`, from the published data.
pub async fn load(by: By, from: NaiveDate, to: NaiveDate) -> Result<Statement, String> {
    let p: Vec<Value> = params(from, to).into_iter().map(Value::from).collect();
    let usage = bridge::query::<Vec<Value>>(&usage_sql(by), &p).await?;
    let bill = bridge::query::<Vec<Value>>(&bill_sql(), &p).await?;
    Ok(statement(by, from, to, &usage, &bill))
}

/// The chargeback of each month of `[from, to]` grouped `by`.
async fn load_monthly(by: By, from: NaiveDate, to: NaiveDate) -> Result<Vec<Statement>, String> {
    let p: Vec<Value> = params(from, to).into_iter().map(Value::from).collect();
    let usage = bridge::query::<Vec<Value>>(&usage_sql_split(by, Split::Monthly), &p).await?;
    let bill = bridge::query::<Vec<Value>>(&bill_sql_split(Split::Monthly), &p).await?;
    Ok(monthly(by, from, to, &usage, &bill))
}

/// The chargeback of `[from, to]` grouped `by`, and the org's currency.
pub async fn period(by: By, from: NaiveDate, to: NaiveDate) -> Result<(Statement, String), String> {
    Ok((load(by, from, to).await?, currency().await?))
}

/// Department budgets: (department, name, yearly budget).
async fn budgets() -> Result<Vec<(String, String, Option<f64>)>, String> {
    bridge::query(BUDGETS_SQL, &[]).await
}

/// The first day with usage on or after `from` (a year's spend is projected from there).
async fn first_day(from: NaiveDate) -> Result<Option<NaiveDate>, String> {
    let rows =
        bridge::query::<(Option<String>,)>(FIRST_DAY_SQL, &[json!(from.to_string())]).await?;
    Ok(rows
        .first()
        .and_then(|r| r.0.as_deref())
        .and_then(|d| d.parse().ok()))
}

/// The org's currency (as its prices give it).
async fn currency() -> Result<String, String> {
    let rows =
        bridge::query::<(Option<String>,)>(lmscope::publish::first_view::CURRENCY_SQL, &[]).await?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|r| r.0)
        .unwrap_or_default())
}

/// The org's currency as the shell has it (empty until known).
fn currency_now() -> String {
    use_context::<crate::widgets::table::Display>()
        .map(|d| d.currency)
        .unwrap_or_default()
}

/// Days in `d`'s month.
fn month_days(d: NaiveDate) -> i64 {
    let first = d.with_day(1).unwrap_or(d);
    first
        .checked_add_months(chrono::Months::new(1))
        .map_or(30, |next| (next - first).num_days())
}

/// Links to both cost policies (the chosen one marked), and what each means.
pub fn policy_choice(policy: Policy) -> impl IntoView {
    let q = use_query_map();
    let links = [Policy::PayForUse, Policy::FullAllocation]
        .into_iter()
        .map(|p| {
            let key = if p == Policy::PayForUse {
                "pay-for-use"
            } else {
                "full-allocation"
            };
            let href = move || q.with(|q| href_with(q, &[("policy", Some(key.to_owned()))]));
            view! { <a class="toggle" class:on=move || p == policy href=href>{p.label()}</a> }
        })
        .collect_view();
    view! {
        <div class="roles" data-testid="policy">"Policy " {links}</div>
        <p class="muted">
            "Pay for use: license-hours × the feature's yearly seat price ÷ 8,760. Full allocation: "
            "the whole license bill (issued seats × yearly price ÷ 365 per day) shared by each "
            "group's share of every feature's license-hours, idle seats included."
        </p>
    }
}

#[component]
pub fn CostsPage(
    choice: CostChoice,
    from: NaiveDate,
    to: NaiveDate,
    latest: NaiveDate,
) -> impl IntoView {
    let q = use_query_map();
    let CostChoice { by, policy } = choice;
    let cur = StoredValue::new(currency_now());
    let choices = move || {
        let by_links = By::ALL
            .into_iter()
            .map(|b| {
                let href = q.with(|q| href_with(q, &[("by", Some(b.key().to_owned()))]));
                view! { <a class="toggle" class:on=move || b == by href=href>{b.label()}</a> }
            })
            .collect_view();
        view! {
            <div class="roles" data-testid="charge-by">"Charge by " {by_links}</div>
            {policy_choice(policy)}
        }
    };
    let period = LocalResource::new(move || period(by, from, to));
    let months = LocalResource::new(move || load_monthly(by, from, to));
    // Month and year to date end with the newest data, if the range goes further.
    let until = to.min(latest);
    let month_from = until.with_day(1).unwrap_or(until);
    let month = LocalResource::new(move || load(By::CostCenter, month_from, until));
    let year_from = NaiveDate::from_ymd_opt(until.year(), 1, 1).unwrap_or(until);
    let year = LocalResource::new(move || async move {
        let s = load(By::Department, year_from, until).await?;
        let first = first_day(year_from).await?.unwrap_or(year_from);
        Ok::<_, String>((s, budgets().await?, first))
    });
    view! {
        {choices}
        <Suspense fallback=|| view! { <p class="loading" role="status">"Computing costs…"</p> }>
            {move || Suspend::new(async move {
                match period.await {
                    Ok((s, currency)) => view! { <Chargeback statement=s policy currency /> }.into_any(),
                    Err(e) => crate::widgets::query_table::query_error("Chargeback", &e).into_any(),
                }
            })}
            {move || Suspend::new(async move {
                match months.await {
                    Ok(m) => view! { <MonthlyCosts months=m policy currency=cur.get_value() /> }.into_any(),
                    Err(e) => crate::widgets::query_table::query_error("Cost by month", &e).into_any(),
                }
            })}
            {move || Suspend::new(async move {
                match month.await {
                    Ok(s) => {
                        let elapsed = (until - month_from).num_days() + 1;
                        let factor = month_days(until) as f64 / elapsed as f64;
                        let (used, bill) = (s.use_cost, s.bill);
                        let cur = cur.get_value();
                        let m = |x: f64| money(x, &cur, 0);
                        view! {
                            <section data-testid="month">
                                <h2>{format!("{} to date ({elapsed} of {} days)", month_from.format("%B %Y"), month_days(until))}</h2>
                                <dl class="cards">
                                    <div><dt>"Pay for use"</dt><dd data-testid="mtd-use" data-value=format!("{used:.2}")>{m(used)}</dd></div>
                                    <div><dt>"Projected month end, pay for use"</dt><dd data-testid="eom-use" data-value=format!("{:.2}", used * factor)>{m(used * factor)}</dd></div>
                                    <div><dt>"License bill"</dt><dd data-testid="mtd-bill" data-value=format!("{bill:.2}")>{m(bill)}</dd></div>
                                    <div><dt>"Projected month end, bill"</dt><dd data-testid="eom-bill" data-value=format!("{:.2}", bill * factor)>{m(bill * factor)}</dd></div>
                                </dl>
                            </section>
                        }.into_any()
                    }
                    Err(e) => crate::widgets::query_table::query_error("This month", &e).into_any(),
                }
            })}
            {move || Suspend::new(async move {
                match year.await {
                    Ok((s, budgets, first)) => budget_table(&s, &budgets, policy, &cur.get_value(), first, until).into_any(),
                    Err(e) => crate::widgets::query_table::query_error("Budgets", &e).into_any(),
                }
            })}
        </Suspense>
    }
}

/// How many groups the monthly chart names; the rest are summed as `other`.
const MONTHLY_GROUPS: usize = 6;

/// Each month's cost under `policy` as stacked bars, one colour per group (the
/// [`MONTHLY_GROUPS`] most expensive over the period, the rest as `other`), and the same
/// figures as a table of months.
#[component]
fn MonthlyCosts(months: Vec<Statement>, policy: Policy, currency: String) -> impl IntoView {
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

#[component]
fn Chargeback(statement: Statement, policy: Policy, currency: String) -> impl IntoView {
    let group = match statement.by {
        By::Department => Column::named(statement.by.label(), Kind::Department),
        By::Team => Column::named(statement.by.label(), Kind::Team),
        _ => Column::text(statement.by.label()),
    };
    let columns = vec![
        group,
        Column::number("License-hours"),
        Column::number("Share %"),
        Column::money("Pay for use"),
        Column::money("Full allocation"),
        Column::money(&format!("{} per license-hour", policy.label())),
    ];
    // Most expensive first under the policy shown, so the chart's bars run longest first.
    let mut lines: Vec<&lmscope::analytics::chargeback::Line> = statement.lines.iter().collect();
    lines.sort_by(|a, b| {
        b.cost(policy)
            .total_cmp(&a.cost(policy))
            .then_with(|| a.group.cmp(&b.group))
    });
    let rows: Vec<Vec<Value>> = lines
        .into_iter()
        .map(|l| {
            let per_hour =
                (l.license_hours > 0.0).then(|| round2(l.cost(policy) / l.license_hours));
            vec![
                json!(l.group),
                json!(round2(l.license_hours)),
                json!((l.share * 10.0).round() / 10.0),
                json!(round2(l.use_cost)),
                json!(round2(l.full_cost)),
                json!(per_hour),
            ]
        })
        .collect();
    let idle = if statement.bill > 0.0 {
        100.0 * (1.0 - statement.use_cost / statement.bill)
    } else {
        0.0
    };
    let name = format!(
        "chargeback-{}-{}-{}",
        statement.by.key(),
        statement.from,
        statement.to
    );
    let (csv, json_text) = (statement.to_csv(), statement.to_json());
    let (csv_name, json_name) = (format!("{name}.csv"), format!("{name}.json"));
    let export_csv = move |_| {
        let _ = bridge::download(&csv_name, "text/csv;charset=utf-8", &csv);
    };
    let export_json = move |_| {
        let _ = bridge::download(&json_name, "application/json", &json_text);
    };
    let title = format!(
        "Chargeback by {}, {} to {}",
        statement.by.label().to_lowercase(),
        statement.from,
        statement.to
    );
    crate::widgets::query_table::mark_view_ready();
    view! {
        <dl class="cards" data-testid="cost-totals">
            <div><dt>"License-hours"</dt><dd data-value=format!("{:.2}", statement.license_hours)>{crate::format::grouped(statement.license_hours, 1)}</dd></div>
            <div><dt>"Pay for use, total"</dt><dd data-testid="total-use" data-value=format!("{:.2}", statement.use_cost)>{money(statement.use_cost, &currency, 0)}</dd></div>
            <div><dt>"License bill (full allocation), total"</dt><dd data-testid="total-bill" data-value=format!("{:.2}", statement.bill)>{money(statement.bill, &currency, 0)}</dd></div>
            <div><dt>"Bill not covered by use"</dt><dd>{format!("{idle:.1} %")}</dd></div>
        </dl>
        <div class="toolbar">
            <button type="button" on:click=export_csv data-testid="chargeback-export-csv">"Chargeback CSV (finance)"</button>
            <button type="button" on:click=export_json data-testid="chargeback-export-json">"Chargeback JSON (ERP)"</button>
        </div>
        <DataTable testid="chargeback" title columns rows
            chart=chargeback_chart(&statement, policy, &currency) />
    }
}

/// Bars of each group's cost under `policy`, largest first as the statement lists them.
fn chargeback_chart(s: &Statement, policy: Policy, currency: &str) -> BarSpec {
    let column = if policy == Policy::PayForUse { 3 } else { 4 };
    BarSpec::new(
        format!("{} by {}", policy.label(), s.by.label().to_lowercase()),
        column,
        format!("cost ({currency})"),
    )
}

/// Each department's spend this year (under `policy`) against its yearly budget, with the
/// spend projected to the year end at its rate since `first` (the first day with data).
fn budget_table(
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
