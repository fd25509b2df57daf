//! Projects: each project's budget against its spend so far, the current burn rate and the
//! spend projected to the project's end, and who and what the money went to (by phase and
//! feature, by member). Spend is [`crate::analytics::chargeback`]'s by project, so it matches the
//! costs page; the queries here read the published file and the rest is pure.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeDelta};
use serde::Serialize;
use serde_json::Value;

use crate::analytics::chargeback::PROJECT_SPLIT;
use crate::analytics::prices::{seat_price, HOURS_PER_YEAR};

/// The burn rate is the spend of the last this many days (within the project).
pub const RECENT_DAYS: i64 = 28;

/// The projects: id, name, budget, currency, first and last day.
pub const PROJECTS_SQL: &str = "SELECT project, name, budget, currency,
        strftime(start_date, '%Y-%m-%d'), strftime(end_date, '%Y-%m-%d')
    FROM org_projects ORDER BY 1";

/// Whether the file has project phases (files published before them do not).
pub const HAS_PHASES_SQL: &str = "SELECT count(*)::DOUBLE FROM information_schema.tables
    WHERE table_name = 'org_project_phases'";

/// One project's use over the days `[?, ?]` (parameters: first day, last day, project):
/// phase (`no phase` outside every phase), feature, user, license-hours, cost at the seat
/// price (pay for use). With `phases` false the file has no phase table and every row is
/// `no phase`.
pub fn contributors_sql(phases: bool) -> String {
    let (phase, join) = if phases {
        (
            "coalesce(ph.phase, 'no phase')",
            "LEFT JOIN org_project_phases ph ON ph.project = a.project
               AND x.day BETWEEN ph.start_date AND ph.end_date",
        )
    } else {
        ("'no phase'", "")
    };
    let price = seat_price("x");
    format!(
        "WITH {PROJECT_SPLIT}
         SELECT {phase}, x.feature, x.user_name,
                sum(x.license_hours / n.n)::DOUBLE,
                sum(x.license_hours / n.n * {price} / {HOURS_PER_YEAR})::DOUBLE
         FROM base x JOIN act a ON a.rid = x.rid JOIN n ON n.rid = x.rid {join}
         WHERE a.project = ?
         GROUP BY 1, 2, 3"
    )
}

/// A project as the org file gives it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub budget: Option<f64>,
    pub currency: String,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
}

impl Project {
    /// From a row of [`PROJECTS_SQL`]; `None` without an id.
    pub fn from_row(r: &[Value]) -> Option<Self> {
        let text = |i: usize| r.get(i).and_then(Value::as_str).map(str::to_owned);
        let day = |i: usize| text(i).and_then(|d| d.parse().ok());
        let id = text(0)?;
        Some(Self {
            name: text(1).unwrap_or_else(|| id.clone()),
            id,
            budget: r.get(2).and_then(Value::as_f64),
            currency: text(3).unwrap_or_default(),
            start: day(4),
            end: day(5),
        })
    }
}

/// Where a project stands on `today`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    pub project: Project,
    pub spent: f64,
    /// Spend per day over the last [`RECENT_DAYS`] days the project ran.
    pub burn_per_day: f64,
    pub remaining: Option<f64>,
    /// Spend at the project's end at the current burn rate (none without an end).
    pub projected: Option<f64>,
    /// How far the projection exceeds the budget (zero when within it).
    pub overage: Option<f64>,
    pub state: &'static str,
}

/// The days of the burn-rate window `[today − 27, today]` that lie within the project.
pub fn recent_window(p: &Project, today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let from = (today - TimeDelta::days(RECENT_DAYS - 1)).max(p.start.unwrap_or(NaiveDate::MIN));
    let to = today.min(p.end.unwrap_or(NaiveDate::MAX));
    (from <= to).then_some((from, to))
}

/// The project's standing: `spent` so far, `recent` the spend of its [`recent_window`].
pub fn status(p: &Project, spent: f64, recent: f64, today: NaiveDate) -> Status {
    let burn_per_day = recent_window(p, today).map_or(0.0, |(from, to)| {
        recent / ((to - from).num_days() + 1) as f64
    });
    let projected = p.end.map(|end| {
        let left = (end - today).num_days().max(0) as f64;
        spent + burn_per_day * left
    });
    let remaining = p.budget.map(|b| b - spent);
    let overage = match (p.budget, projected) {
        (Some(b), Some(x)) => Some((x - b).max(0.0)),
        _ => None,
    };
    let state = match (p.budget, projected) {
        _ if p.start.is_some_and(|s| s > today) => "not started",
        (Some(b), _) if spent > b => "over budget",
        (Some(b), Some(x)) if x > b => "projected over",
        _ if p.end.is_some_and(|e| e < today) => "ended",
        (None, _) => "no budget",
        _ => "on track",
    };
    Status {
        project: p.clone(),
        spent,
        burn_per_day,
        remaining,
        projected,
        overage,
        state,
    }
}

/// License-hours and cost of one contributor.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Share {
    pub license_hours: f64,
    pub cost: f64,
}

/// A project's spend by phase and feature, and by member, the largest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Contributors {
    pub by_phase_feature: Vec<((String, String), Share)>,
    pub by_member: Vec<(String, Share)>,
    pub total: Share,
}

fn ranked<K: Ord>(map: BTreeMap<K, Share>) -> Vec<(K, Share)> {
    let mut v: Vec<(K, Share)> = map.into_iter().collect();
    v.sort_by(|a, b| b.1.cost.total_cmp(&a.1.cost).then(a.0.cmp(&b.0)));
    v
}

impl Contributors {
    /// From the rows of [`contributors_sql`].
    pub fn from_rows(rows: &[Vec<Value>]) -> Self {
        let mut by_pf: BTreeMap<(String, String), Share> = BTreeMap::new();
        let mut by_member: BTreeMap<String, Share> = BTreeMap::new();
        let mut total = Share::default();
        for r in rows {
            let text = |i: usize| r.get(i).and_then(Value::as_str).map(str::to_owned);
            let num = |i: usize| r.get(i).and_then(Value::as_f64).unwrap_or(0.0);
            let (Some(phase), Some(feature), Some(user)) = (text(0), text(1), text(2)) else {
                continue;
            };
            let (lh, cost) = (num(3), num(4));
            for s in [
                by_pf.entry((phase.clone(), feature)).or_default(),
                by_member.entry(user).or_default(),
                &mut total,
            ] {
                s.license_hours += lh;
                s.cost += cost;
            }
        }
        Self {
            by_phase_feature: ranked(by_pf),
            by_member: ranked(by_member),
            total,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    fn project(budget: Option<f64>, start: NaiveDate, end: Option<NaiveDate>) -> Project {
        Project {
            id: "p".into(),
            name: "P".into(),
            budget,
            currency: "USD".into(),
            start: Some(start),
            end,
        }
    }

    #[test]
    fn projects_the_recent_burn_to_the_end() {
        let p = project(Some(10_000.0), day(2026, 1, 1), Some(day(2026, 12, 31)));
        // 2,800 over the last 28 days: 100 a day, 31 days left in December after the 30th of November.
        let s = status(&p, 6_000.0, 2_800.0, day(2026, 11, 30));
        assert_eq!(s.burn_per_day, 100.0);
        assert_eq!(s.projected, Some(9_100.0));
        assert_eq!(
            (s.remaining, s.overage, s.state),
            (Some(4_000.0), Some(0.0), "on track")
        );
        let s = status(&p, 8_000.0, 2_800.0, day(2026, 11, 30));
        assert_eq!((s.overage, s.state), (Some(1_100.0), "projected over"));
        assert_eq!(
            status(&p, 10_500.0, 0.0, day(2026, 11, 30)).state,
            "over budget"
        );
    }

    #[test]
    fn young_projects_burn_over_the_days_they_ran() {
        let p = project(Some(1_000.0), day(2026, 11, 21), Some(day(2026, 12, 30)));
        assert_eq!(
            recent_window(&p, day(2026, 11, 30)),
            Some((day(2026, 11, 21), day(2026, 11, 30)))
        );
        let s = status(&p, 100.0, 100.0, day(2026, 11, 30));
        assert_eq!(s.burn_per_day, 10.0);
        assert_eq!(s.projected, Some(400.0));
        let later = project(None, day(2027, 1, 1), None);
        assert_eq!(recent_window(&later, day(2026, 11, 30)), None);
        assert_eq!(
            status(&later, 0.0, 0.0, day(2026, 11, 30)).state,
            "not started"
        );
    }

    #[test]
    fn contributors_rank_by_cost() {
        let rows = vec![
            vec![
                json!("design"),
                json!("A"),
                json!("ann"),
                json!(10.0),
                json!(5.0),
            ],
            vec![
                json!("design"),
                json!("A"),
                json!("bob"),
                json!(2.0),
                json!(1.0),
            ],
            vec![
                json!("tape-out"),
                json!("B"),
                json!("bob"),
                json!(1.0),
                json!(20.0),
            ],
            vec![
                Value::Null,
                json!("B"),
                json!("bob"),
                json!(1.0),
                json!(20.0),
            ],
        ];
        let c = Contributors::from_rows(&rows);
        assert_eq!(c.total.cost, 26.0);
        assert_eq!(c.by_phase_feature[0].0, ("tape-out".into(), "B".into()));
        assert_eq!(c.by_phase_feature[1].1.license_hours, 12.0);
        assert_eq!(c.by_member[0].0, "bob");
        assert_eq!(c.by_member[0].1.cost, 21.0);
    }
}
