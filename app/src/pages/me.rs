//! A person's own dashboard: their hours by feature and its cost, their rank in their
//! department, and the hours of the day they check licenses out.

use chrono::NaiveDate;
use leptos::prelude::*;
use lmscope::analytics::filters::Filters;
use lmscope::analytics::page_sql;
use lmscope::analytics::query::{Dimension, Measure};
use serde_json::Value;

use crate::bridge::{query, query_days};
use crate::widgets::query_table::QueryTable;
use crate::widgets::table::{Column, DataTable};
use crate::widgets::usage_table::UsageTable;

/// Everything the header cards show, from three queries.
#[derive(Clone, Debug)]
struct Summary {
    who: (String, String, String, String),
    rank: Option<(f64, f64, f64)>,
    features: Vec<Vec<Value>>,
}

async fn summary(
    filters: Filters,
    user: String,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Summary, String> {
    let (sql, params) = page_sql::person(&user);
    let who = query::<(String, String, String, String)>(&sql, &params)
        .await?
        .into_iter()
        .next()
        .ok_or("no row for the person")?;
    let (sql, params) = page_sql::person_rank(&filters, &user, from, to);
    let rank = query_days::<(f64, f64, f64)>(&sql, &params, (from, to))
        .await?
        .into_iter()
        .next();
    let (sql, params) = page_sql::person_features(&filters, from, to);
    let features = query_days::<Vec<Value>>(&sql, &params, (from, to)).await?;
    Ok(Summary {
        who,
        rank,
        features,
    })
}

#[component]
pub fn PersonPage(filters: Filters, from: NaiveDate, to: NaiveDate) -> impl IntoView {
    let Some(user) = filters.user.clone() else {
        return view! {
            <p class="muted" data-testid="pick-person">
                "Whose dashboard? Type a user name in the User filter, or pick someone below."
            </p>
            <UsageTable testid="people" title="People" filters from to
                dims=vec![Dimension::User, Dimension::Department]
                measures=vec![Measure::LicenseHours, Measure::Sessions]
                link_filter="user" link_page="me" />
        }
        .into_any();
    };
    let loaded = LocalResource::new({
        let (filters, user) = (filters.clone(), user.clone());
        move || summary(filters.clone(), user.clone(), from, to)
    });
    let hour_columns = vec![
        Column::text("Hour (UTC)"),
        Column::number("Sessions started"),
        Column::number("License-hours"),
    ];
    let hours = page_sql::checkout_hours(&filters, from, to);
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"Computing…"</p> }>
            {move || Suspend::new(async move {
                match loaded.await {
                    Ok(s) => view! { <PersonSummary s from to /> }.into_any(),
                    Err(e) => crate::widgets::query_table::query_error("Personal dashboard", &e).into_any(),
                }
            })}
        </Suspense>
        <QueryTable testid="me-hours" title=format!("When {user} checks licenses out, {from} to {to}")
            columns=hour_columns sql=hours days=(from, to) />
    }
    .into_any()
}

#[component]
fn PersonSummary(s: Summary, from: NaiveDate, to: NaiveDate) -> impl IntoView {
    let (name, team, department, cost_center) = s.who;
    let num = |row: &Vec<Value>, i: usize| row.get(i).and_then(Value::as_f64).unwrap_or(0.0);
    let hours: f64 = s.features.iter().map(|r| num(r, 1)).sum();
    let cost: f64 = s.features.iter().map(|r| num(r, 3)).sum();
    let currency = s
        .features
        .iter()
        .filter_map(|r| r.get(4).and_then(Value::as_str))
        .find(|c| !c.is_empty())
        .unwrap_or("")
        .to_owned();
    let rank = match s.rank {
        Some((rank, people, _)) => format!("{rank:.0} of {people:.0}"),
        None => "no use in this range".to_owned(),
    };
    let columns = vec![
        Column::text("Feature"),
        Column::number("License-hours"),
        Column::number("Sessions"),
        Column::money("Cost"),
        Column::text("Currency"),
    ];
    view! {
        <section class="person">
            <h2 data-testid="me-name">{name}</h2>
            <p class="muted">
                "Team " <strong>{team}</strong> " · department " <strong>{department.clone()}</strong>
                " · cost center " <strong>{cost_center}</strong> " · " {format!("{from} to {to}")}
            </p>
            <dl class="cards">
                <div><dt>"License-hours"</dt><dd data-testid="me-hours-total">{format!("{hours:.2}")}</dd></div>
                <div><dt>{format!("Rank in {department}")}</dt><dd data-testid="me-rank">{rank}</dd></div>
                <div><dt>"Cost attributed"</dt><dd data-testid="me-cost" data-value=format!("{cost:.2}")>{crate::format::money(cost, &currency, 2)}</dd></div>
            </dl>
            <p class="muted">"Cost: license-hours × the feature's yearly seat price ÷ 8,760 hours (pay for use)."</p>
        </section>
        <DataTable testid="me-features" title="Hours by feature".to_owned() columns rows=s.features />
    }
}
