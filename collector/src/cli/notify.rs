//! `lmscope notify`: the org file's report subscriptions that are due, e-mailed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use lmscope::analytics::chargeback as cb;
use lmscope::analytics::notify::config::Subscription;
use lmscope::analytics::notify::report::{self, Report, View};
use lmscope::analytics::notify::schedule::Schedule;
use lmscope::analytics::notify::{chart, send};
use lmscope::analytics::query::{grouped_usage, grouped_usage_in, Dimension, Measure, Order};
use lmscope::parse::org::Org;

/// What `lmscope notify` was asked.
pub(crate) struct NotifyArgs {
    pub(crate) org: PathBuf,
    pub(crate) data: PathBuf,
    pub(crate) site: Option<String>,
    pub(crate) at: Option<NaiveDateTime>,
    pub(crate) only: Option<String>,
}

/// Rows of a report's table shown in the e-mail.
const TOP: usize = 15;

/// One e-mail a subscription sends: to whom, which view, and its key in the state.
struct Delivery<'a> {
    sub: &'a Subscription,
    key: String,
    to: Vec<String>,
    view: String,
}

pub(crate) fn notify(store: &Path, args: NotifyArgs) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&args.org)
        .with_context(|| format!("reading the org file {}", args.org.display()))?;
    let org = Org::from_toml(&text).with_context(|| format!("org file {}", args.org.display()))?;
    let now: DateTime<Utc> = args.at.map_or_else(Utc::now, |t| t.and_utc());
    let state_path = store.with_extension("subscriptions.json");
    let mut state: BTreeMap<String, DateTime<Utc>> = std::fs::read_to_string(&state_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let mut due: Vec<(Delivery, DateTime<Utc>)> = Vec::new();
    for sub in &org.subscriptions {
        if args.only.as_ref().is_some_and(|o| o != &sub.name) {
            continue;
        }
        let schedule = Schedule::parse(&sub.schedule, sub.zone.as_deref())
            .with_context(|| format!("subscription `{}`", sub.name))?;
        for d in deliveries(&org, sub) {
            if let Some(at) = schedule.due(now, state.get(&d.key).copied()) {
                due.push((d, at));
            }
        }
    }
    if due.is_empty() {
        eprintln!(
            "notify: nothing due at {}",
            now.format("%Y-%m-%d %H:%M UTC")
        );
        return Ok(ExitCode::SUCCESS);
    }
    let smtp = org
        .smtp
        .as_ref()
        .context("the org file has subscriptions but no `[smtp]` relay")?;
    let (db, path) = lmscope::publish::files::open(&args.data)?;
    let latest: Option<NaiveDateTime> = db
        .query_row("SELECT max(until) FROM polls", [], |r| r.get(0))
        .with_context(|| format!("{path}: newest poll"))?;
    let latest = latest.map_or(now.date_naive(), |t| t.date());
    let currency: Option<String> = db
        .query_row(lmscope::publish::first_view::CURRENCY_SQL, [], |r| r.get(0))
        .unwrap_or(None);
    let currency = currency.unwrap_or_else(|| org.currency.clone());
    let mut sent = 0;
    let mut failed = Vec::new();
    for (d, at) in &due {
        let ctx = Run {
            db: &db,
            path: &path,
            dir: &args.data,
            clock: now.naive_utc(),
            latest,
            currency: &currency,
            site: args.site.as_deref(),
        };
        let mail = compose(&ctx, d).with_context(|| format!("subscription `{}`", d.sub.name))?;
        match send::send_mail(smtp, &mail) {
            Ok(()) => {
                state.insert(d.key.clone(), *at);
                sent += 1;
            }
            Err(e) => failed.push(format!("`{}`: {e}", d.key)),
        }
    }
    let text = serde_json::to_string_pretty(&state).context("writing the subscription state")?;
    lmscope::publish::write::write_atomically(&state_path, text.as_bytes())
        .with_context(|| format!("saving {}", state_path.display()))?;
    eprintln!("notify: {sent} of {} report(s) sent", due.len());
    if !failed.is_empty() {
        bail!("{} report(s) not sent: {}", failed.len(), failed.join("; "));
    }
    Ok(ExitCode::SUCCESS)
}

/// Who gets a subscription: its addresses, or each member of its team (with an `email`)
/// their own view (`user=` set to them).
fn deliveries<'a>(org: &Org, sub: &'a Subscription) -> Vec<Delivery<'a>> {
    match &sub.team {
        None => vec![Delivery {
            sub,
            key: sub.name.clone(),
            to: sub.to.clone(),
            view: sub.view.clone(),
        }],
        Some(team) => org
            .people
            .iter()
            .filter(|p| p.team.as_deref() == Some(team.as_str()))
            .filter_map(|p| {
                let email = p.email.clone()?;
                Some(Delivery {
                    sub,
                    key: format!("{}/{}", sub.name, p.user),
                    to: vec![email],
                    view: format!(
                        "{}&user={}",
                        sub.view.trim_end_matches('&'),
                        lmscope::analytics::notify::payload::encode(&p.user)
                    ),
                })
            })
            .collect(),
    }
}

/// Text parameters of a query as bound values.
fn bind(params: &[serde_json::Value]) -> Vec<String> {
    params
        .iter()
        .map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

fn query(
    db: &duckdb::Connection,
    (sql, params): (String, Vec<serde_json::Value>),
) -> Result<Vec<Vec<serde_json::Value>>, duckdb::Error> {
    let params = bind(&params);
    let refs: Vec<&dyn duckdb::ToSql> = params.iter().map(|p| p as &dyn duckdb::ToSql).collect();
    lmscope::publish::files::rows(db, &sql, &refs)
}

/// What every report of a run reads: the published data and the run's clock.
struct Run<'a> {
    db: &'a duckdb::Connection,
    path: &'a str,
    dir: &'a Path,
    clock: NaiveDateTime,
    latest: NaiveDate,
    currency: &'a str,
    site: Option<&'a str>,
}

/// The e-mail of one delivery: the view's report over its days, charts inline, the
/// chargeback attached when asked.
fn compose(ctx: &Run, d: &Delivery) -> Result<send::Mail> {
    let Run {
        db,
        path,
        latest,
        currency,
        site,
        ..
    } = *ctx;
    let view = View::parse(&d.view).with_context(|| format!("view `{}`", d.view))?;
    report::check_page(&view.page).map_err(anyhow::Error::msg)?;
    let (from, to) =
        report::days(d.sub.range.as_deref(), &view.filters, latest).map_err(anyhow::Error::msg)?;
    let spec = view.spec();
    let name = |v: &serde_json::Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    let number = |v: &serde_json::Value| v.as_f64().unwrap_or(0.0);
    let rows = query(
        db,
        grouped_usage(&view.filters, from, to, &[spec.dim], &spec.measures, 1000),
    )
    .with_context(|| format!("{path}: {}", spec.title))?
    .iter()
    .map(|r| {
        let values = r.iter().skip(1).map(number).collect();
        (r.first().map(name).unwrap_or_default(), values)
    })
    .collect::<Vec<(String, Vec<f64>)>>();
    // Departments and teams by their names, as the site shows them.
    let names_sql = match spec.dim {
        Dimension::Department => Some("SELECT department, name FROM org_departments"),
        Dimension::Team => Some("SELECT team, name FROM org_teams"),
        _ => None,
    };
    let names: BTreeMap<String, String> = match names_sql {
        Some(sql) => lmscope::publish::files::rows(db, sql, &[])
            .with_context(|| format!("{path}: org names"))?
            .iter()
            .filter_map(|r| {
                Some((
                    r.first()?.as_str()?.to_owned(),
                    r.get(1)?.as_str()?.to_owned(),
                ))
            })
            .collect(),
        None => BTreeMap::new(),
    };
    let rows: Vec<(String, Vec<f64>)> = rows
        .into_iter()
        .map(|(id, v)| (names.get(&id).cloned().unwrap_or(id), v))
        .collect();
    let daily = query(
        db,
        grouped_usage_in(
            &view.filters,
            from,
            to,
            &[Dimension::Day],
            &[Measure::LicenseHours],
            1000,
            Order::Dimensions,
        ),
    )
    .with_context(|| format!("{path}: license-hours per day"))?
    .iter()
    .filter_map(|r| {
        let day = r.first()?.as_str()?.parse().ok()?;
        Some((day, number(r.get(1)?)))
    })
    .collect();
    let mut sections = Vec::new();
    if spec.alerts {
        sections.push(firing_section(ctx, from, to)?);
    }
    if spec.recommendations {
        sections.push(recommendations_section(ctx, &view.filters, from, to)?);
    }
    let report = Report {
        name: d.sub.name.clone(),
        spec,
        from,
        to,
        currency: currency.to_owned(),
        rows,
        daily,
        link: site.map(|s| report::view_link(s, &d.view, from, to)),
        sections,
    };
    let bars: Vec<(String, f64)> = report
        .rows
        .iter()
        .map(|(n, v)| (n.clone(), v.first().copied().unwrap_or(0.0)))
        .collect();
    let first = report.spec.measures.first().map_or("", |m| m.label());
    let images = vec![
        (
            "bars@lmscope".to_owned(),
            chart::bars(
                &format!("{first} by {}", report.spec.dim.label().to_lowercase()),
                &bars,
            )?,
        ),
        (
            "daily@lmscope".to_owned(),
            chart::daily("License-hours per day", &report.daily)?,
        ),
    ];
    let mut attachments = Vec::new();
    if d.sub.csv {
        let [a, b] = cb::params(from, to);
        let by = cb::By::Department;
        let usage = lmscope::publish::files::rows(db, &cb::usage_sql(by), &[&a, &b])
            .with_context(|| format!("{path}: chargeback usage"))?;
        let bill = lmscope::publish::files::rows(db, &cb::bill_sql(), &[&a, &b])
            .with_context(|| format!("{path}: license bill"))?;
        let csv = cb::statement(by, from, to, &usage, &bill).to_csv();
        attachments.push((
            format!("chargeback-{from}-{to}.csv"),
            "text/csv; charset=utf-8".to_owned(),
            csv.into_bytes(),
        ));
    }
    Ok(send::Mail {
        to: d.to.clone(),
        subject: report.subject(),
        text: report.text(TOP),
        html: report.html(TOP, &["bars@lmscope", "daily@lmscope"]),
        images,
        attachments,
    })
}

/// The alerts firing at the end of the range, most severe first, each with its evidence.
fn firing_section(ctx: &Run, from: NaiveDate, to: NaiveDate) -> Result<report::Section> {
    use lmscope::analytics::check::{check, Range};
    let outcome = check(
        None,
        ctx.dir,
        Range {
            from: Some(from),
            to: Some(to),
        },
        ctx.clock,
    )
    .with_context(|| format!("{}: alerts", ctx.path))?;
    let mut firing: Vec<_> = outcome.firing().collect();
    firing.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.since.cmp(&b.since)));
    Ok(report::Section {
        heading: "Alerts firing".to_owned(),
        lines: firing
            .iter()
            .map(|a| {
                (
                    format!(
                        "[{}] {}: {} — {} (since {} UTC)",
                        a.severity.label(),
                        a.rule,
                        a.subject,
                        a.evidence,
                        a.since.format("%Y-%m-%d %H:%M")
                    ),
                    lmscope::analytics::notify::payload::evidence_link(ctx.site, a, to),
                )
            })
            .collect(),
    })
}

/// What to change, as the recommendations page computes it over the same days.
fn recommendations_section(
    ctx: &Run,
    filters: &lmscope::analytics::filters::Filters,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<report::Section> {
    use lmscope::analytics::recommend::{
        features_sql, recommend, reservations_sql, teams_sql, FeatureFacts, IdleFacts,
        ReservationFacts, TeamFacts,
    };
    let rows = |sql| query(ctx.db, sql).with_context(|| format!("{}: recommendations", ctx.path));
    let features: Vec<FeatureFacts> = rows(features_sql(filters, from, to))?
        .iter()
        .filter_map(|r| FeatureFacts::from_row(r))
        .collect();
    let teams: Vec<TeamFacts> = rows(teams_sql(filters, from, to))?
        .iter()
        .filter_map(|r| TeamFacts::from_row(r))
        .collect();
    let reservations: Vec<ReservationFacts> = rows(reservations_sql(filters, from, to))?
        .iter()
        .filter_map(|r| ReservationFacts::from_row(r))
        .collect();
    let peaks = rows(lmscope::analytics::page_sql::daily_peaks(filters))?;
    let mut shortages: Vec<_> = lmscope::analytics::forecast::outlooks(&peaks)
        .iter()
        .filter_map(|s| s.as_shortage())
        .collect();
    shortages.sort_by(|a, b| b.probability.total_cmp(&a.probability));
    let days = ((to - from).num_days() + 1) as f64;
    let idle: Vec<IdleFacts> = rows(lmscope::analytics::compute::idle_by_feature(
        filters, from, to,
    ))?
    .iter()
    .filter_map(|r| IdleFacts::from_row(r, days))
    .collect();
    let all = recommend(&features, &teams, &reservations, &shortages, &idle);
    Ok(report::Section {
        heading: "Recommendations".to_owned(),
        lines: all
            .iter()
            .map(|r| {
                let cost = lmscope::format::money(r.yearly_cost, ctx.currency, 0);
                let link = ctx.site.map(|s| {
                    let mut params: Vec<(&str, String)> =
                        vec![("from", from.to_string()), ("to", to.to_string())];
                    params.extend(r.link.iter().cloned());
                    lmscope::analytics::notify::payload::link(s, &params)
                });
                (
                    format!(
                        "{} {}: {} ({cost} a year)",
                        r.action.label(),
                        r.subject,
                        r.evidence
                    ),
                    link,
                )
            })
            .collect(),
    })
}
