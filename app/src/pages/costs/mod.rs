//! The costs page: chargeback by cost center, department, team, project or user under the
//! policy chosen (pay for use, or full allocation of the license bill), its export for
//! finance (the same CSV and JSON as `lmscope report chargeback`), this month to date with
//! its projected month end, and each department's spend against its yearly budget.

use chrono::{Datelike, NaiveDate};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use lmscope::analytics::chargeback::{
    bill_sql, bill_sql_split, monthly, params, statement, usage_sql, usage_sql_split, By, Policy,
    Split, Statement, BUDGETS_SQL, FIRST_DAY_SQL,
};
use serde_json::{json, Value};

use crate::bridge;
use crate::format::money;
use crate::state::CostChoice;
use crate::url::href_with;

mod budgets;
mod chargeback;
mod monthly;

use budgets::budget_table;
use chargeback::Chargeback;
use monthly::MonthlyCosts;

/// The chargeback of `[from, to]` grouped `by`, from the published data.
pub async fn load(by: By, from: NaiveDate, to: NaiveDate) -> Result<Statement, String> {
    let p: Vec<Value> = params(from, to).into_iter().map(Value::from).collect();
    let usage = bridge::query_days::<Vec<Value>>(&usage_sql(by), &p, (from, to)).await?;
    let bill = bridge::query_days::<Vec<Value>>(&bill_sql(), &p, (from, to)).await?;
    Ok(statement(by, from, to, &usage, &bill))
}

/// The chargeback of each month of `[from, to]` grouped `by`.
async fn load_monthly(by: By, from: NaiveDate, to: NaiveDate) -> Result<Vec<Statement>, String> {
    let p: Vec<Value> = params(from, to).into_iter().map(Value::from).collect();
    let days = (from, to);
    let usage =
        bridge::query_days::<Vec<Value>>(&usage_sql_split(by, Split::Monthly), &p, days).await?;
    let bill = bridge::query_days::<Vec<Value>>(&bill_sql_split(Split::Monthly), &p, days).await?;
    Ok(monthly(by, from, to, &usage, &bill))
}

/// The chargeback of `[from, to]` grouped `by`, and the org's currency.
pub async fn period(by: By, from: NaiveDate, to: NaiveDate) -> Result<(Statement, String), String> {
    Ok((load(by, from, to).await?, currency().await?))
}

/// Department budgets: (department, name, yearly budget).
async fn budgets() -> Result<Vec<(String, String, Option<f64>)>, String> {
    bridge::query_early(BUDGETS_SQL, &[]).await
}

/// The first day with usage on or after `from` (a year's spend is projected from there).
async fn first_day(from: NaiveDate) -> Result<Option<NaiveDate>, String> {
    let rows = bridge::query_days::<(Option<String>,)>(
        FIRST_DAY_SQL,
        &[json!(from.to_string())],
        (from, NaiveDate::MAX),
    )
    .await?;
    Ok(rows
        .first()
        .and_then(|r| r.0.as_deref())
        .and_then(|d| d.parse().ok()))
}

/// The org's currency (as its prices give it).
async fn currency() -> Result<String, String> {
    let rows =
        bridge::query_early::<(Option<String>,)>(lmscope::publish::first_view::CURRENCY_SQL, &[])
            .await?;
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
