//! The projects page: each project's budget, spend so far, what remains, the burn rate of
//! its last four weeks and the spend projected to its end, with the overage; with
//! `project=`, who and what the money went to, by phase and feature and by member.

use chrono::{NaiveDate, TimeDelta};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use lmscope::analytics::chargeback::{By, Policy, Statement};
use lmscope::analytics::projects::{
    contributors_sql, recent_window, status, Contributors, Project, Status, HAS_PHASES_SQL,
    PROJECTS_SQL, RECENT_DAYS,
};
use serde_json::{json, Value};

use crate::bridge;
use crate::format::round2;
use crate::pages::costs::policy_choice;
use crate::url::href_with;
use crate::widgets::table::{Column, DataTable};

fn spend(s: &Statement, project: &str, policy: Policy) -> f64 {
    s.lines
        .iter()
        .find(|l| l.group == project)
        .map_or(0.0, |l| l.cost(policy))
}

/// Every project's standing on `today` under `policy`.
async fn load(policy: Policy, today: NaiveDate) -> Result<Vec<Status>, String> {
    let rows = bridge::query::<Vec<Value>>(PROJECTS_SQL, &[]).await?;
    let projects: Vec<Project> = rows.iter().filter_map(|r| Project::from_row(r)).collect();
    let first = projects
        .iter()
        .filter_map(|p| p.start)
        .min()
        .unwrap_or(today)
        .min(today);
    let so_far = crate::pages::costs::load(By::Project, first, today).await?;
    let recent =
        crate::pages::costs::load(By::Project, today - TimeDelta::days(RECENT_DAYS - 1), today)
            .await?;
    Ok(projects
        .iter()
        .map(|p| {
            let recent = recent_window(p, today).map_or(0.0, |_| spend(&recent, &p.id, policy));
            status(p, spend(&so_far, &p.id, policy), recent, today)
        })
        .collect())
}

/// One project's use from its start to `today`, pay for use.
async fn contributors(p: Project, today: NaiveDate) -> Result<(Project, Contributors), String> {
    let phases = bridge::query::<(f64,)>(HAS_PHASES_SQL, &[])
        .await?
        .first()
        .is_some_and(|r| r.0 > 0.0);
    let from = p
        .start
        .unwrap_or(NaiveDate::MIN)
        .max(today - TimeDelta::days(3650));
    let to = p.end.map_or(today, |e| e.min(today));
    let rows = bridge::query::<Vec<Value>>(
        &contributors_sql(phases),
        &[
            json!(from.to_string()),
            json!(to.to_string()),
            json!(p.id.clone()),
        ],
    )
    .await?;
    Ok((p, Contributors::from_rows(&rows)))
}

fn money(x: Option<f64>) -> Value {
    x.map_or(Value::Null, |x| json!(round2(x)))
}

#[component]
pub fn ProjectsPage(
    policy: Policy,
    chosen: Option<String>,
    to: NaiveDate,
    latest: NaiveDate,
) -> impl IntoView {
    let today = to.min(latest);
    let standing = LocalResource::new(move || load(policy, today));
    view! {
        {policy_choice(policy)}
        <p class="muted">
            {format!(
                "Spend from each project's start to {today} (the newest data, or the range's end), \
                 members' use split evenly between the projects they are in on a day. Burn rate: \
                 the spend of the last {RECENT_DAYS} days the project ran, per day; projected: \
                 spend so far plus the burn rate to the project's end."
            )}
        </p>
        <Suspense fallback=|| view! { <p class="loading" role="status">"Computing project spend…"</p> }>
            {move || {
                let chosen = chosen.clone();
                Suspend::new(async move {
                    match standing.await {
                        Ok(all) => {
                            let detail = chosen
                                .and_then(|id| all.iter().find(|s| s.project.id == id))
                                .map(|s| view! { <Detail project=s.project.clone() today /> });
                            view! { <Standing all policy today /> {detail} }.into_any()
                        }
                        Err(e) => crate::widgets::query_table::query_error("Projects", &e).into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn Standing(all: Vec<Status>, policy: Policy, today: NaiveDate) -> impl IntoView {
    let q = use_query_map();
    let columns = vec![
        Column::text("Project"),
        Column::text("Name"),
        Column::money("Budget"),
        Column::money("Spent"),
        Column::number("% of budget"),
        Column::money("Remaining"),
        Column::money("Burn per day"),
        Column::money("Projected at end"),
        Column::money("Projected overage"),
        Column::text("Ends"),
        Column::text("Status"),
    ];
    let rows: Vec<Vec<Value>> = all
        .iter()
        .map(|s| {
            let p = &s.project;
            vec![
                json!(p.id),
                json!(p.name),
                money(p.budget),
                json!(round2(s.spent)),
                p.budget.filter(|b| *b > 0.0).map_or(Value::Null, |b| {
                    json!((1000.0 * s.spent / b).round() / 10.0)
                }),
                money(s.remaining),
                json!(round2(s.burn_per_day)),
                money(s.projected),
                money(s.overage),
                json!(p.end.map(|e| e.to_string())),
                json!(s.state),
            ]
        })
        .collect();
    let link = Callback::new(move |row: Vec<Value>| {
        let id = row.first().and_then(Value::as_str).map(str::to_owned);
        q.with(|q| href_with(q, &[("project", id)]))
    });
    let title = format!(
        "Projects on {today}: budget against spend ({})",
        policy.label().to_lowercase()
    );
    crate::widgets::query_table::mark_view_ready();
    view! { <DataTable testid="projects" title columns rows link /> }
}

/// Top contributors of one project, by phase and feature and by member.
#[component]
fn Detail(project: Project, today: NaiveDate) -> impl IntoView {
    let name = project.name.clone();
    let loaded = LocalResource::new(move || contributors(project.clone(), today));
    view! {
        <h2>{format!("{name}: top contributors")}</h2>
        <Suspense fallback=|| view! { <p class="loading" role="status">"Computing contributors…"</p> }>
            {move || Suspend::new(async move {
                match loaded.await {
                    Ok((p, c)) => contributor_tables(&p, &c).into_any(),
                    Err(e) => crate::widgets::query_table::query_error("Contributors", &e).into_any(),
                }
            })}
        </Suspense>
    }
}

fn contributor_tables(p: &Project, c: &Contributors) -> impl IntoView {
    let share = |cost: f64| {
        if c.total.cost > 0.0 {
            json!((1000.0 * cost / c.total.cost).round() / 10.0)
        } else {
            Value::Null
        }
    };
    let phase_rows: Vec<Vec<Value>> = c
        .by_phase_feature
        .iter()
        .map(|((phase, feature), s)| {
            vec![
                json!(phase),
                json!(feature),
                json!(round2(s.license_hours)),
                json!(round2(s.cost)),
                share(s.cost),
            ]
        })
        .collect();
    let member_rows: Vec<Vec<Value>> = c
        .by_member
        .iter()
        .map(|(user, s)| {
            vec![
                json!(user),
                json!(round2(s.license_hours)),
                json!(round2(s.cost)),
                share(s.cost),
            ]
        })
        .collect();
    let phase_columns = vec![
        Column::text("Phase"),
        Column::text("Feature"),
        Column::number("License-hours"),
        Column::money("Pay for use"),
        Column::number("Share %"),
    ];
    let member_columns = vec![
        Column::text("Member"),
        Column::number("License-hours"),
        Column::money("Pay for use"),
        Column::number("Share %"),
    ];
    let title = format!("{} by phase and feature, pay for use", p.name);
    let member_title = format!("{} by member, pay for use", p.name);
    view! {
        <dl class="cards">
            <div><dt>"License-hours"</dt><dd data-testid="project-hours">{format!("{:.2}", c.total.license_hours)}</dd></div>
            <div><dt>"Pay for use"</dt><dd data-testid="project-cost" data-value=format!("{:.2}", c.total.cost)>{crate::format::money(c.total.cost, &p.currency, 0)}</dd></div>
        </dl>
        <DataTable testid="project-phases" title columns=phase_columns rows=phase_rows />
        <DataTable testid="project-members" title=member_title columns=member_columns rows=member_rows />
    }
}
