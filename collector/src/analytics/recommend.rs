//! Recommendations: where seats could be cut, moved between features of a vendor, added,
//! or reserved for a team, each with the numbers behind it and the filtered view that
//! shows them. The queries read the published file; [`recommend`] is pure.
//!
//! - **Reduce**: over the range, no denials and no queue, and the 95th percentile of
//!   hourly peak checked out (reserved seats nobody used do not count) at most half the
//!   issued seats: keep the peak plus 10 % headroom, cut the rest (at least one seat and a
//!   tenth of the issue).
//! - **Add**: denials, queued requests, or hours at 100 % beyond a threshold, or a
//!   forecast whose chance of running out within 90 days is at least
//!   [`SHORTAGE_PROBABILITY`]: add the most people denied within one hour, or the seats
//!   that bring that chance below one half, whichever is larger.
//! - **Redistribute**: a vendor with both a feature to cut and one to add: move the seats
//!   at the next renewal (the yearly cost change is the price difference).
//! - **Reserve**: a team that waited (denials plus queued requests) for a feature beyond a
//!   threshold, with a reserved pool smaller than its average concurrent use over an
//!   eight-hour working day.
//! - **Release idle checkouts**: a feature of which at least [`IDLE_MIN_SHARE`] % of the
//!   license-hours on compute nodes (and a working day's worth or more) had no job of the
//!   holder running on the checkout's host ([`crate::analytics::compute`]): the seats held
//!   idle on average could serve others, or be cut.
//! - **Release**: a FlexLM reservation (options file `RESERVE`) whose seats sat unused
//!   over the whole range: lmstat lists a RESERVATION line only for reserved seats nobody
//!   has checked out, so the fewest it listed while the range lasted were never used by
//!   the user, host or group they are kept for, and no one else could use them either.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{json, Value};

use crate::analytics::filters::Filters;
pub use crate::analytics::forecast::SHORTAGE_PROBABILITY;
use crate::analytics::page_sql::{feature_where, Sql};
use crate::analytics::prices::seat_price;
use crate::format::grouped;

/// Denials over the range that make a feature short.
pub const ADD_MIN_DENIALS: f64 = 5.0;
/// Queued requests over the range that make a feature short.
pub const ADD_MIN_QUEUED: f64 = 3.0;
/// Share of hours at 100 % that makes a feature short.
pub const ADD_MIN_FULL_SHARE: f64 = 0.01;
/// A feature is over-provisioned when its 95th percentile is at most this share of issued.
pub const REDUCE_MAX_P95_SHARE: f64 = 0.5;
/// Headroom kept above the peak when cutting, in percent.
pub const REDUCE_HEADROOM_PCT: f64 = 10.0;
/// Waits (denials plus queued requests) by one team that justify a reservation.
pub const RESERVE_MIN_WAITS: f64 = 3.0;
/// Working hours a day, for a team's average concurrent use.
pub const WORKDAY_HOURS: f64 = 8.0;
/// Share (%) of a feature's license-hours on compute nodes with no job running that makes
/// its idle checkouts worth releasing.
pub const IDLE_MIN_SHARE: f64 = 10.0;

/// A feature's checkouts on compute nodes over the range (from
/// [`crate::analytics::compute::idle_by_feature`]).
#[derive(Debug, Clone, PartialEq)]
pub struct IdleFacts {
    pub server: String,
    pub feature: String,
    pub license_hours: f64,
    pub idle_hours: f64,
    /// Hours in the range, for the seats held idle on average.
    pub range_hours: f64,
}

impl IdleFacts {
    /// From a row of `idle_by_feature`, over a range of `days` days.
    pub fn from_row(r: &[Value], days: f64) -> Option<Self> {
        Some(Self {
            server: text(r, 0)?,
            feature: text(r, 1)?,
            license_hours: num(r, 2),
            idle_hours: num(r, 3),
            range_hours: days * 24.0,
        })
    }
}

/// Per feature over the range: server, vendor, feature, issued (largest), peak checked out,
/// 95th percentile of hourly peaks checked out (reserved seats nobody used are not use, so
/// a cut sees them), hours polled, hours at 100 % in use (reserved seats are unavailable
/// to others), denials, most users denied in one hour, queued requests, yearly seat price.
pub fn features_sql(f: &Filters, from: NaiveDate, to: NaiveDate) -> Sql {
    let (hourly, mut params) = feature_where(f, from, to, "x", "hour", Some("vendor"));
    let (events, p2) = feature_where(f, from, to, "e", "ts", None);
    let (queued, p3) = feature_where(f, from, to, "q", "ts", None);
    params.extend(p2);
    params.extend(p3);
    let price = seat_price("x");
    let sql = format!(
        "WITH h AS (
            SELECT x.server, x.vendor, x.feature, max(x.issued) AS issued,
                   max(x.peak_checked_out) AS peak,
                   quantile_cont(x.peak_checked_out, 0.95) AS p95, count(*) AS hours,
                   count(*) FILTER (WHERE x.issued > 0 AND x.peak_in_use >= x.issued) AS full_hours,
                   any_value({price}) AS price
            FROM usage_hourly x WHERE x.polls > 0 AND {hourly} GROUP BY 1, 2, 3),
         dh AS (
            SELECT e.server, e.feature, date_trunc('hour', e.ts), count(*) AS n,
                   count(DISTINCT e.user_name) AS users
            FROM events e WHERE e.kind = 'DENIED' AND {events} GROUP BY 1, 2, 3),
         d AS (SELECT server, feature, sum(n) AS denials, max(users) AS worst FROM dh GROUP BY 1, 2),
         q AS (
            SELECT q.server, q.feature,
                   count(DISTINCT (q.user_name, q.host, q.handle)) AS queued
            FROM queued q WHERE {queued} GROUP BY 1, 2)
         SELECT h.server, h.vendor, h.feature, h.issued::DOUBLE, h.peak::DOUBLE,
                round(h.p95, 2)::DOUBLE, h.hours::DOUBLE, h.full_hours::DOUBLE,
                coalesce(d.denials, 0)::DOUBLE, coalesce(d.worst, 0)::DOUBLE,
                coalesce(q.queued, 0)::DOUBLE, h.price::DOUBLE
         FROM h LEFT JOIN d ON d.server = h.server AND d.feature = h.feature
                LEFT JOIN q ON q.server = h.server AND q.feature = h.feature
         ORDER BY 1, 3"
    );
    (sql, params)
}

/// Per team, server and feature that the team waited for over the range: team, server,
/// feature, denials, queued requests, the team's license-hours and active days on it, and
/// its reserved pool.
pub fn teams_sql(f: &Filters, from: NaiveDate, to: NaiveDate) -> Sql {
    let (events, mut params) = feature_where(f, from, to, "e", "ts", None);
    let (queued, p2) = feature_where(f, from, to, "q", "ts", None);
    let (daily, p3) = feature_where(f, from, to, "u", "day", Some("vendor"));
    params.extend(p2);
    params.extend(p3);
    let sql = format!(
        "WITH dn AS (
            SELECT p.team, e.server, e.feature, count(*) AS denials
            FROM events e JOIN org_people p ON p.user_name = e.user_name
            WHERE e.kind = 'DENIED' AND {events} GROUP BY 1, 2, 3),
         qu AS (
            SELECT p.team, q.server, q.feature,
                   count(DISTINCT (q.user_name, q.host, q.handle)) AS queued
            FROM queued q JOIN org_people p ON p.user_name = q.user_name
            WHERE {queued} GROUP BY 1, 2, 3),
         w AS (
            SELECT coalesce(dn.team, qu.team) AS team, coalesce(dn.server, qu.server) AS server,
                   coalesce(dn.feature, qu.feature) AS feature,
                   coalesce(dn.denials, 0) AS denials, coalesce(qu.queued, 0) AS queued
            FROM dn FULL JOIN qu ON qu.team = dn.team AND qu.server = dn.server
                                 AND qu.feature = dn.feature),
         used AS (
            SELECT p.team, u.server, u.feature, sum(u.license_hours) AS lh,
                   count(DISTINCT u.day) AS days
            FROM user_daily u JOIN org_people p ON p.user_name = u.user_name
            WHERE {daily} GROUP BY 1, 2, 3),
         pool AS (SELECT team, feature, sum(reserved) AS reserved FROM org_pools GROUP BY 1, 2)
         SELECT w.team, w.server, w.feature, w.denials::DOUBLE, w.queued::DOUBLE,
                coalesce(used.lh, 0)::DOUBLE, coalesce(used.days, 0)::DOUBLE,
                coalesce(pool.reserved, 0)::DOUBLE
         FROM w LEFT JOIN used ON used.team = w.team AND used.server = w.server
                               AND used.feature = w.feature
                LEFT JOIN pool ON pool.team = w.team AND pool.feature = w.feature
         WHERE w.team <> 'unassigned'
         ORDER BY 1, 2, 3"
    );
    (sql, params)
}

/// Per reservation in force during the range (server, feature, kind, target): the fewest
/// reserved seats its server listed as unused at any time in the range (the set in force at
/// `from`, then every change until `to`), and the feature's yearly seat price (the highest
/// any vendor's price gives it: a reservation line names no vendor). Only
/// reservations that stayed unused throughout (at least one seat) are returned.
pub fn reservations_sql(f: &Filters, from: NaiveDate, to: NaiveDate) -> Sql {
    let mut params = vec![
        json!(to.to_string()),
        json!(from.to_string()),
        json!(from.to_string()),
    ];
    let mut filters = String::new();
    for (column, value) in [("server", &f.server), ("feature", &f.feature)] {
        if let Some(v) = value {
            filters.push_str(&format!(" AND k.{column} = ?"));
            params.push(json!(v));
        }
    }
    let sql = format!(
        "WITH snaps AS (SELECT DISTINCT server, ts FROM reservations),
         inrange AS (
            SELECT s.server, s.ts FROM snaps s
            WHERE s.ts < ?::DATE + INTERVAL 1 DAY
              AND (s.ts >= ?::DATE
                   OR s.ts = (SELECT max(x.ts) FROM snaps x
                              WHERE x.server = s.server AND x.ts < ?::DATE))),
         k AS (
            SELECT DISTINCT r.server, r.feature, r.kind, r.target
            FROM reservations r JOIN inrange i ON i.server = r.server AND i.ts = r.ts
            WHERE r.kind <> 'NONE'),
         per AS (
            SELECT k.server, k.feature, k.kind, k.target, i.ts, coalesce(sum(r.count), 0) AS n
            FROM k JOIN inrange i ON i.server = k.server
                   LEFT JOIN reservations r
                     ON r.server = k.server AND r.ts = i.ts AND r.feature = k.feature
                    AND r.kind = k.kind AND r.target = k.target
            GROUP BY ALL)
         SELECT k.server, k.feature, k.kind, k.target, min(per.n)::DOUBLE,
                coalesce((SELECT max(pr.per_seat_year) FROM org_prices pr
                          WHERE pr.feature = k.feature), 0)::DOUBLE
         FROM k JOIN per USING (server, feature, kind, target)
         WHERE true{filters}
         GROUP BY k.server, k.feature, k.kind, k.target
         HAVING min(per.n) > 0
         ORDER BY 1, 2, 3, 4"
    );
    (sql, params)
}

/// A reservation whose seats were never used over the range (a row of
/// [`reservations_sql`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReservationFacts {
    pub server: String,
    pub feature: String,
    /// `USER`, `HOST`, `DISPLAY`, `GROUP`, `HOST_GROUP`, as lmstat names it.
    pub kind: String,
    pub target: String,
    /// Seats reserved and unused at every moment of the range.
    pub unused: f64,
    pub price: f64,
}

impl ReservationFacts {
    /// From a row of [`reservations_sql`]; `None` when the names are missing.
    pub fn from_row(r: &[Value]) -> Option<Self> {
        Some(Self {
            server: text(r, 0)?,
            feature: text(r, 1)?,
            kind: text(r, 2)?,
            target: text(r, 3)?,
            unused: num(r, 4),
            price: num(r, 5),
        })
    }
}

/// One feature's figures over the range (a row of [`features_sql`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureFacts {
    pub server: String,
    pub vendor: Option<String>,
    pub feature: String,
    pub issued: f64,
    pub peak: f64,
    pub p95: f64,
    pub hours: f64,
    pub full_hours: f64,
    pub denials: f64,
    pub worst_hour_denied: f64,
    pub queued: f64,
    pub price: f64,
}

/// One team's waits for a feature (a row of [`teams_sql`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamFacts {
    pub team: String,
    pub server: String,
    pub feature: String,
    pub denials: f64,
    pub queued: f64,
    pub license_hours: f64,
    pub days: f64,
    pub reserved: f64,
}

/// A projected shortage: a feature whose chance of running out within 90 days is at least
/// [`SHORTAGE_PROBABILITY`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shortage {
    pub server: String,
    pub feature: String,
    /// Chance the daily peak reaches the issued count within 90 days.
    pub probability: f64,
    /// The same within 30 days.
    pub p30: f64,
    /// The median first day among the simulated futures that run out.
    pub day: Option<NaiveDate>,
    /// The forecast's highest expected peak over the horizon.
    pub mean: f64,
    /// Seats that bring the 90-day chance below one half.
    pub seats: f64,
}

impl Shortage {
    /// "a 97 % chance of running out within 90 days (30 days: 91 %), most likely first on
    /// 2026-12-03".
    pub fn describe(&self) -> String {
        let first = self
            .day
            .map(|d| format!(", most likely first on {d}"))
            .unwrap_or_default();
        format!(
            "a {:.0} % chance of running out within 90 days (30 days: {:.0} %){first}",
            100.0 * self.probability,
            100.0 * self.p30
        )
    }
}

fn text(r: &[Value], i: usize) -> Option<String> {
    r.get(i).and_then(Value::as_str).map(str::to_owned)
}

fn num(r: &[Value], i: usize) -> f64 {
    r.get(i).and_then(Value::as_f64).unwrap_or(0.0)
}

impl FeatureFacts {
    /// From a row of [`features_sql`]; `None` when the names are missing.
    pub fn from_row(r: &[Value]) -> Option<Self> {
        Some(Self {
            server: text(r, 0)?,
            vendor: text(r, 1),
            feature: text(r, 2)?,
            issued: num(r, 3),
            peak: num(r, 4),
            p95: num(r, 5),
            hours: num(r, 6),
            full_hours: num(r, 7),
            denials: num(r, 8),
            worst_hour_denied: num(r, 9),
            queued: num(r, 10),
            price: num(r, 11),
        })
    }
}

impl TeamFacts {
    /// From a row of [`teams_sql`]; `None` when the names are missing.
    pub fn from_row(r: &[Value]) -> Option<Self> {
        Some(Self {
            team: text(r, 0)?,
            server: text(r, 1)?,
            feature: text(r, 2)?,
            denials: num(r, 3),
            queued: num(r, 4),
            license_hours: num(r, 5),
            days: num(r, 6),
            reserved: num(r, 7),
        })
    }
}

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Reduce,
    Redistribute,
    Add,
    Reserve,
    ReleaseIdle,
    Release,
}

impl Action {
    pub fn label(self) -> &'static str {
        match self {
            Action::Reduce => "Reduce",
            Action::Redistribute => "Redistribute",
            Action::Add => "Add licenses",
            Action::Reserve => "Reserve for a team",
            Action::ReleaseIdle => "Release idle checkouts",
            Action::Release => "Release a reservation",
        }
    }
}

/// One recommendation, with its evidence and the view that shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    pub action: Action,
    /// What it is about: a feature, `from → to` features, or a team.
    pub subject: String,
    pub server: String,
    pub feature: String,
    pub team: Option<String>,
    /// Seats to cut, move, add or reserve.
    pub seats: f64,
    /// Yearly cost change at list price: negative saves money.
    pub yearly_cost: f64,
    /// The numbers behind it, in a sentence.
    pub evidence: String,
    /// URL parameters of the view that shows the evidence (besides the date range).
    pub link: Vec<(&'static str, String)>,
}

fn seats(x: f64) -> String {
    format!("{x:.0}")
}

/// Seats a feature could lose: `(keep, cut)` when it is over-provisioned.
fn reducible(f: &FeatureFacts) -> Option<(f64, f64)> {
    if f.issued < 2.0
        || f.hours <= 0.0
        || f.denials > 0.0
        || f.queued > 0.0
        || f.p95 > REDUCE_MAX_P95_SHARE * f.issued
    {
        return None;
    }
    // Whole seats: peak × 110 / 100 is exact when it is a whole number.
    let keep = (f.peak * (100.0 + REDUCE_HEADROOM_PCT) / 100.0)
        .ceil()
        .max(1.0)
        .min(f.issued);
    let cut = f.issued - keep;
    (cut >= 1.0 && cut >= 0.1 * f.issued).then_some((keep, cut))
}

/// Seats a feature needs, and why, from its waits and its forecast.
fn needed(f: &FeatureFacts, shortage: Option<&Shortage>) -> Option<(f64, String)> {
    let mut why = Vec::new();
    let mut add: f64 = 0.0;
    let full_share = if f.hours > 0.0 {
        f.full_hours / f.hours
    } else {
        0.0
    };
    if f.denials >= ADD_MIN_DENIALS
        || f.queued >= ADD_MIN_QUEUED
        || full_share >= ADD_MIN_FULL_SHARE
    {
        add = f.worst_hour_denied.max(1.0);
        why.push(format!(
            "{} denials (up to {} people denied within one hour), {} queued requests, \
             all {} seats in use {:.1} % of hours",
            seats(f.denials),
            seats(f.worst_hour_denied),
            seats(f.queued),
            seats(f.issued),
            100.0 * full_share
        ));
    }
    if let Some(s) = shortage.filter(|s| s.probability >= SHORTAGE_PROBABILITY) {
        let more = s.seats.max(1.0);
        add = add.max(more);
        why.push(format!(
            "the forecast gives {}; {} more seats bring it below 50 %",
            s.describe(),
            seats(more)
        ));
    }
    (add > 0.0).then(|| (add, why.join("; ")))
}

/// A feature's yearly price per seat, from its facts (0 when unpriced or not found).
fn price_of(features: &[FeatureFacts], server: &str, feature: &str) -> f64 {
    features
        .iter()
        .find(|f| f.server == server && f.feature == feature)
        .map_or(0.0, |f| f.price)
}

fn feature_link(f: &FeatureFacts) -> Vec<(&'static str, String)> {
    vec![
        ("page", "features".to_owned()),
        ("server", f.server.clone()),
        ("feature", f.feature.clone()),
    ]
}

/// Every recommendation for the facts, in action order, the largest money first.
pub fn recommend(
    features: &[FeatureFacts],
    teams: &[TeamFacts],
    reservations: &[ReservationFacts],
    shortages: &[Shortage],
    idle: &[IdleFacts],
) -> Vec<Recommendation> {
    let mut out = Vec::new();
    let mut cuts: Vec<(&FeatureFacts, f64)> = Vec::new();
    let mut adds: Vec<(&FeatureFacts, f64)> = Vec::new();
    for f in features {
        if let Some((keep, cut)) = reducible(f) {
            cuts.push((f, cut));
            out.push(Recommendation {
                action: Action::Reduce,
                subject: f.feature.clone(),
                server: f.server.clone(),
                feature: f.feature.clone(),
                team: None,
                seats: cut,
                yearly_cost: -cut * f.price,
                evidence: format!(
                    "peak checked out {} of {} issued, 95th percentile of hourly peaks checked \
                     out {:.1} ({:.0} % of issued), no denials or queue: keep {} (peak + {:.0} \
                     %), cut {}",
                    seats(f.peak),
                    seats(f.issued),
                    f.p95,
                    100.0 * f.p95 / f.issued,
                    seats(keep),
                    REDUCE_HEADROOM_PCT,
                    seats(cut)
                ),
                link: feature_link(f),
            });
        }
        let shortage = shortages
            .iter()
            .find(|s| s.server == f.server && s.feature == f.feature);
        if let Some((add, why)) = needed(f, shortage) {
            adds.push((f, add));
            out.push(Recommendation {
                action: Action::Add,
                subject: f.feature.clone(),
                server: f.server.clone(),
                feature: f.feature.clone(),
                team: None,
                seats: add,
                yearly_cost: add * f.price,
                evidence: why,
                link: feature_link(f),
            });
        }
    }
    // Redistribute: the largest needs first, from the same vendor's spare seats.
    adds.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (to, mut need) in adds {
        let Some(vendor) = &to.vendor else { continue };
        for (from, spare) in cuts.iter_mut() {
            if need <= 0.0 || *spare <= 0.0 || from.vendor.as_ref() != Some(vendor) {
                continue;
            }
            let n = need.min(*spare);
            need -= n;
            *spare -= n;
            out.push(Recommendation {
                action: Action::Redistribute,
                subject: format!("{} → {}", from.feature, to.feature),
                server: to.server.clone(),
                feature: to.feature.clone(),
                team: None,
                seats: n,
                yearly_cost: n * (to.price - from.price),
                evidence: format!(
                    "{vendor}: {} has {} spare seats (peak {} of {}); {} is short ({} denials, \
                     {} queued): move {} at renewal",
                    from.feature,
                    seats(*spare + n),
                    seats(from.peak),
                    seats(from.issued),
                    to.feature,
                    seats(to.denials),
                    seats(to.queued),
                    seats(n)
                ),
                link: vec![("page", "features".to_owned()), ("vendor", vendor.clone())],
            });
        }
    }
    for t in teams {
        let waits = t.denials + t.queued;
        if waits < RESERVE_MIN_WAITS || t.days <= 0.0 {
            continue;
        }
        let average = t.license_hours / (t.days * WORKDAY_HOURS);
        let need = average.ceil().max(1.0);
        if t.reserved >= need {
            continue;
        }
        let price = price_of(features, &t.server, &t.feature);
        out.push(Recommendation {
            action: Action::Reserve,
            subject: t.team.clone(),
            server: t.server.clone(),
            feature: t.feature.clone(),
            team: Some(t.team.clone()),
            seats: need - t.reserved,
            yearly_cost: 0.0,
            evidence: format!(
                "{} waited {} times for {} ({} denials, {} queued requests); it uses {:.1} \
                 license-hours per active day over {} days, {:.2} seats on average over an \
                 {}-hour day; reserved now {}: reserve {} (seats worth {} a year)",
                t.team,
                seats(waits),
                t.feature,
                seats(t.denials),
                seats(t.queued),
                t.license_hours / t.days,
                seats(t.days),
                average,
                seats(WORKDAY_HOURS),
                seats(t.reserved),
                seats(need),
                grouped(need * price, 0)
            ),
            link: vec![
                ("page", "departments".to_owned()),
                ("team", t.team.clone()),
                ("feature", t.feature.clone()),
            ],
        });
    }
    for i in idle {
        let share = 100.0 * i.idle_hours / i.license_hours.max(f64::MIN_POSITIVE);
        if share < IDLE_MIN_SHARE || i.idle_hours < WORKDAY_HOURS || i.range_hours <= 0.0 {
            continue;
        }
        let held = i.idle_hours / i.range_hours;
        let price = price_of(features, &i.server, &i.feature);
        out.push(Recommendation {
            action: Action::ReleaseIdle,
            subject: i.feature.clone(),
            server: i.server.clone(),
            feature: i.feature.clone(),
            team: None,
            seats: held,
            yearly_cost: -held * price,
            evidence: format!(
                "release idle checkouts: {share:.0} % of {}'s license-hours on the clusters \
                 ({} of {}) had no job of the holder running on the checkout's host, \
                 {held:.1} seats held idle on average (worth {} a year); set a TIMEOUT \
                 for it in the options file, or check licenses in when jobs end",
                i.feature,
                grouped(i.idle_hours, 0),
                grouped(i.license_hours, 0),
                grouped(held * price, 0)
            ),
            link: vec![
                ("page", "clusters".to_owned()),
                ("server", i.server.clone()),
                ("feature", i.feature.clone()),
            ],
        });
    }
    for r in reservations {
        let whom = format!("{} {}", r.kind.to_lowercase().replace('_', " "), r.target);
        out.push(Recommendation {
            action: Action::Release,
            subject: format!("{} for {whom}", r.feature),
            server: r.server.clone(),
            feature: r.feature.clone(),
            team: None,
            seats: r.unused,
            yearly_cost: 0.0,
            evidence: format!(
                "{} of {}'s seats reserved for {whom} were listed as reserved and unused at \
                 every poll over the range: nobody it is kept for checked them out, and lmstat \
                 counted them as in use for everyone else. Release {} in the options file \
                 (seats worth {} a year)",
                seats(r.unused),
                r.feature,
                seats(r.unused),
                grouped(r.unused * r.price, 0)
            ),
            link: vec![
                ("page", "features".to_owned()),
                ("server", r.server.clone()),
                ("feature", r.feature.clone()),
            ],
        });
    }
    out.sort_by(|a, b| {
        a.action
            .cmp(&b.action)
            .then(b.yearly_cost.abs().total_cmp(&a.yearly_cost.abs()))
            .then(a.subject.cmp(&b.subject))
    });
    out
}

/// The table's row for a recommendation: subject, action, server, feature, seats, yearly
/// cost change, evidence.
pub fn row(r: &Recommendation) -> Vec<Value> {
    vec![
        json!(r.subject),
        json!(r.action.label()),
        json!(r.server),
        json!(r.feature),
        json!(r.seats),
        json!((r.yearly_cost * 100.0).round() / 100.0),
        json!(r.evidence),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feature(name: &str, issued: f64, peak: f64, p95: f64) -> FeatureFacts {
        FeatureFacts {
            server: "27000@lic".into(),
            vendor: Some("cdslmd".into()),
            feature: name.into(),
            issued,
            peak,
            p95,
            hours: 1000.0,
            full_hours: 0.0,
            denials: 0.0,
            worst_hour_denied: 0.0,
            queued: 0.0,
            price: 1000.0,
        }
    }

    #[test]
    fn idle_checkouts_worth_releasing_above_the_share_and_a_working_day() {
        let idle = |feature: &str, lh: f64, idle: f64| IdleFacts {
            server: "27000@lic".into(),
            feature: feature.into(),
            license_hours: lh,
            idle_hours: idle,
            range_hours: 30.0 * 24.0,
        };
        let r = recommend(
            &[feature("a", 20.0, 18.0, 17.0)],
            &[],
            &[],
            &[],
            &[
                idle("a", 1000.0, 144.0),
                idle("b", 1000.0, 50.0),
                idle("c", 40.0, 7.0),
            ],
        );
        // Only a: b is under 10 % idle, c under a working day's hours.
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0].action, Action::ReleaseIdle);
        // 144 idle hours over 720: 0.2 seats, at 1000 a year.
        assert!((r[0].seats - 0.2).abs() < 1e-9);
        assert!((r[0].yearly_cost + 200.0).abs() < 1e-9);
        assert!(
            r[0].evidence.contains("14 % of a's license-hours"),
            "{}",
            r[0].evidence
        );
        assert!(r[0].link.contains(&("page", "clusters".to_owned())));
    }

    #[test]
    fn over_provisioned_keeps_peak_and_headroom() {
        let r = recommend(&[feature("a", 20.0, 6.0, 4.0)], &[], &[], &[], &[]);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].action, Action::Reduce);
        // keep ceil(6 × 1.1) = 7, cut 13 seats at 1000 a year.
        assert_eq!(r[0].seats, 13.0);
        assert_eq!(r[0].yearly_cost, -13_000.0);
        assert!(r[0].evidence.contains("keep 7"), "{}", r[0].evidence);
    }

    #[test]
    fn headroom_is_exact_on_round_peaks() {
        // 30 × 1.1 is 33.000000000000004 in floating point; the rule keeps 33, not 34.
        let r = recommend(&[feature("a", 100.0, 30.0, 20.0)], &[], &[], &[], &[]);
        assert_eq!(r[0].seats, 67.0);
    }

    #[test]
    fn busy_or_denied_features_are_not_cut() {
        let busy = feature("busy", 20.0, 18.0, 12.0);
        let mut denied = feature("denied", 20.0, 6.0, 4.0);
        denied.denials = 1.0;
        let small = feature("small", 1.0, 0.0, 0.0);
        let r = recommend(&[busy, denied, small], &[], &[], &[], &[]);
        assert!(r.iter().all(|r| r.action != Action::Reduce), "{r:?}");
    }

    #[test]
    fn denials_add_the_worst_hour_and_redistribute_within_the_vendor() {
        let mut short = feature("short", 10.0, 10.0, 10.0);
        short.denials = 40.0;
        short.worst_hour_denied = 3.0;
        short.full_hours = 50.0;
        short.price = 3000.0;
        let spare = feature("spare", 20.0, 6.0, 4.0);
        let mut other_vendor = feature("other", 20.0, 2.0, 1.0);
        other_vendor.vendor = Some("snpslmd".into());
        let r = recommend(&[short, spare, other_vendor], &[], &[], &[], &[]);
        let add = r.iter().find(|r| r.action == Action::Add).expect("add");
        assert_eq!((add.seats, add.yearly_cost), (3.0, 9000.0));
        let moves: Vec<_> = r
            .iter()
            .filter(|r| r.action == Action::Redistribute)
            .collect();
        assert_eq!(moves.len(), 1, "{moves:?}");
        assert_eq!(moves[0].subject, "spare → short");
        assert_eq!((moves[0].seats, moves[0].yearly_cost), (3.0, 6000.0));
    }

    #[test]
    fn a_likely_shortage_adds_the_seats_that_make_it_unlikely() {
        let f = feature("growing", 10.0, 8.0, 7.0);
        let s = Shortage {
            server: f.server.clone(),
            feature: f.feature.clone(),
            probability: 0.8,
            p30: 0.4,
            day: NaiveDate::from_ymd_opt(2027, 1, 20),
            mean: 10.4,
            seats: 3.0,
        };
        let r = recommend(
            std::slice::from_ref(&f),
            &[],
            &[],
            std::slice::from_ref(&s),
            &[],
        );
        let add = r.iter().find(|r| r.action == Action::Add).expect("add");
        assert_eq!(add.seats, 3.0);
        assert!(
            add.evidence.contains("80 % chance") && add.evidence.contains("2027-01-20"),
            "{}",
            add.evidence
        );
        // Below the threshold: no purchase.
        let r = recommend(
            &[f],
            &[],
            &[],
            &[Shortage {
                probability: 0.3,
                ..s
            }],
            &[],
        );
        assert!(r.iter().all(|r| r.action != Action::Add), "{r:?}");
    }

    #[test]
    fn teams_that_wait_get_their_average_use_reserved() {
        let t = TeamFacts {
            team: "chip-a".into(),
            server: "27000@lic".into(),
            feature: "xl".into(),
            denials: 4.0,
            queued: 1.0,
            license_hours: 200.0,
            days: 10.0,
            reserved: 1.0,
        };
        let quiet = TeamFacts {
            denials: 1.0,
            queued: 1.0,
            ..t.clone()
        };
        let r = recommend(&[], &[t, quiet], &[], &[], &[]);
        assert_eq!(r.len(), 1);
        // 200 h over 10 days = 2.5 seats over 8 hours → 3, one already reserved.
        assert_eq!((r[0].action, r[0].seats), (Action::Reserve, 2.0));
    }

    #[test]
    fn unused_reservations_are_released_with_their_price() {
        let r = ReservationFacts {
            server: "27000@lic".into(),
            feature: "xl".into(),
            kind: "HOST_GROUP".into(),
            target: "cad-pcs".into(),
            unused: 2.0,
            price: 1500.0,
        };
        let out = recommend(&[], &[], &[r], &[], &[]);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].action, out[0].seats), (Action::Release, 2.0));
        assert_eq!(out[0].subject, "xl for host group cad-pcs");
        assert!(
            out[0].evidence.contains("worth 3,000 a year"),
            "{}",
            out[0].evidence
        );
    }

    #[test]
    fn rows_from_queries_tolerate_nulls() {
        let row = vec![json!("s"), Value::Null, json!("f"), Value::Null];
        let f = FeatureFacts::from_row(&row).expect("row");
        assert_eq!((f.vendor, f.issued), (None, 0.0));
        assert!(FeatureFacts::from_row(&[Value::Null]).is_none());
    }
}

#[cfg(all(test, feature = "native"))]
mod sql_tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    /// Reservations of one server over time, then [`reservations_sql`] over `[from, to]`:
    /// `(feature, target, unused seats)` for those never used throughout.
    fn released(from: &str, to: &str, f: &Filters) -> Vec<(String, String, f64)> {
        let db = duckdb::Connection::open_in_memory().expect("db");
        for (_, ddl) in crate::store::schema::TABLES
            .iter()
            .chain(crate::store::schema::ORG_TABLES)
        {
            db.execute_batch(ddl).expect("schema");
        }
        // 1 Nov: 2 seats of `xl` for group DED and 1 of `sim` for user ann; 10 Nov: DED's
        // reservation is down to 1 (one seat in use); 20 Nov: nothing reserved any more.
        db.execute_batch(
            "INSERT INTO reservations VALUES
               (1, '2026-11-01 08:00', 's', 'xl', 2, 'GROUP', 'DED'),
               (1, '2026-11-01 08:00', 's', 'sim', 1, 'USER', 'ann'),
               (2, '2026-11-10 08:00', 's', 'xl', 1, 'GROUP', 'DED'),
               (2, '2026-11-10 08:00', 's', 'sim', 1, 'USER', 'ann'),
               (3, '2026-11-20 08:00', 's', '', 0, 'NONE', '');
             INSERT INTO org_prices VALUES ('xl', NULL, 1200.0, 'USD')",
        )
        .expect("rows");
        let (sql, params) = reservations_sql(f, d(from), d(to));
        let params: Vec<String> = params
            .iter()
            .map(|p| p.as_str().unwrap_or_default().to_owned())
            .collect();
        let mut stmt = db.prepare(&sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
        let rows = stmt
            .query_map(duckdb::params_from_iter(params.iter()), |r| {
                Ok((r.get(1)?, r.get(3)?, r.get(4)?))
            })
            .expect("query");
        rows.collect::<Result<_, _>>().expect("rows")
    }

    #[test]
    fn the_fewest_unused_seats_while_the_range_lasts_are_released() {
        let all = Filters::default();
        // 5–15 Nov: the set in force on the 5th (from the 1st), then the 10th's.
        assert_eq!(
            released("2026-11-05", "2026-11-15", &all),
            vec![
                ("sim".to_owned(), "ann".to_owned(), 1.0),
                ("xl".to_owned(), "DED".to_owned(), 1.0)
            ]
        );
        // 1–9 Nov: DED's two seats were unused throughout.
        let early = released("2026-11-01", "2026-11-09", &all);
        assert!(
            early.contains(&("xl".to_owned(), "DED".to_owned(), 2.0)),
            "{early:?}"
        );
        // Reaching the 20th, when the reservations were dropped: nothing stayed unused.
        assert_eq!(released("2026-11-05", "2026-11-25", &all), vec![]);
        // After the drop: nothing in force.
        assert_eq!(released("2026-11-21", "2026-11-25", &all), vec![]);
        // Filters by feature, bound as parameters.
        let xl = Filters {
            feature: Some("xl".to_owned()),
            ..Filters::default()
        };
        assert_eq!(
            released("2026-11-05", "2026-11-15", &xl),
            vec![("xl".to_owned(), "DED".to_owned(), 1.0)]
        );
    }
}
