//! The SQL behind the site's page figures other than grouped usage ([`crate::analytics::query`]):
//! feature statistics, the hour × weekday heatmap, the live feed and queue, a person's
//! dashboard, team pools and period comparisons. Shared by the site (wasm) and the native
//! tests. Every value from a URL is a bound parameter; the SQL text is fixed.

use chrono::{NaiveDate, TimeDelta};
use serde_json::{json, Value};

use crate::analytics::filters::Filters;
use crate::analytics::query::{usage_rollup, usage_where, Measure, USAGE_FROM};

/// A query and its bound parameters.
pub type Sql = (String, Vec<Value>);

/// Hours in a (non-leap) year: a seat's yearly price over these is its license-hour rate.
pub use crate::analytics::prices::HOURS_PER_YEAR;

/// Conditions on a feature-level table (`usage_daily`, `usage_hourly`, `events`) aliased
/// `alias`, for the filters that apply to features: server, vendor, feature. `time` is the
/// column's time expression; the range is `[from, to]` in whole days.
pub(crate) fn feature_where(
    f: &Filters,
    from: NaiveDate,
    to: NaiveDate,
    alias: &str,
    time: &str,
    vendor: Option<&str>,
) -> (String, Vec<Value>) {
    let mut clauses = vec![format!(
        "{alias}.{time} >= ?::DATE AND {alias}.{time} < ?::DATE + INTERVAL 1 DAY"
    )];
    let mut params = vec![json!(from.to_string()), json!(to.to_string())];
    let mut eq = |column: &str, value: &Option<String>| {
        if let Some(v) = value {
            clauses.push(format!("{alias}.{column} = ?"));
            params.push(json!(v));
        }
    };
    eq("server", &f.server);
    if let Some(vendor) = vendor {
        eq(vendor, &f.vendor);
    }
    eq("feature", &f.feature);
    (clauses.join(" AND "), params)
}

/// Per feature and server over the range: issued (largest), peak in use (lmstat's count,
/// reserved seats included) and checked out, average in use, average utilization %, share
/// of polls at 100 %, denials. Columns: feature, server, issued, peak, peak checked out,
/// average, utilization %, % of time full, denials.
pub fn feature_stats(f: &Filters, from: NaiveDate, to: NaiveDate) -> Sql {
    let (usage, mut params) = feature_where(f, from, to, "d", "day", Some("vendor"));
    let (events, event_params) = feature_where(f, from, to, "e", "ts", None);
    params.extend(event_params);
    let sql = format!(
        "WITH d AS (
            SELECT d.feature, d.server, max(d.issued) AS issued, max(d.peak_in_use) AS peak,
                   max(d.peak_checked_out) AS peak_out,
                   sum(d.sum_in_use)::DOUBLE / nullif(sum(d.polls), 0) AS avg_in_use,
                   sum(d.sum_in_use)::DOUBLE / nullif(sum(d.polls::BIGINT * d.issued), 0) AS util,
                   sum(d.polls_full)::DOUBLE / nullif(sum(d.polls), 0) AS full
            FROM usage_daily d WHERE {usage} GROUP BY 1, 2),
         n AS (
            SELECT e.feature, e.server, count(*) AS denials
            FROM events e WHERE e.kind = 'DENIED' AND {events} GROUP BY 1, 2)
         SELECT d.feature, d.server, d.issued::DOUBLE, d.peak::DOUBLE, d.peak_out::DOUBLE,
                round(d.avg_in_use, 2)::DOUBLE, round(100 * d.util, 1)::DOUBLE,
                round(100 * d.full, 1)::DOUBLE, coalesce(n.denials, 0)::DOUBLE
         FROM d LEFT JOIN n ON n.feature = d.feature AND n.server = d.server
         ORDER BY 8 DESC, 7 DESC NULLS LAST, 1, 2
         LIMIT 1000"
    );
    (sql, params)
}

/// Average and peak licenses in use of the filtered features by ISO weekday (1 = Monday)
/// and hour of day (UTC), each hour's use summed over the matching servers and features
/// first. Columns: weekday, hour, average in use, peak in use.
pub fn heatmap(f: &Filters, from: NaiveDate, to: NaiveDate) -> Sql {
    let (cond, params) = feature_where(f, from, to, "h", "hour", Some("vendor"));
    let sql = format!(
        "SELECT isodow(hour)::DOUBLE, hour(hour)::DOUBLE, round(avg(in_use), 2)::DOUBLE,
                max(peak)::DOUBLE
         FROM (SELECT h.hour, sum(h.sum_in_use::DOUBLE / h.polls) AS in_use,
                      sum(h.peak_in_use) AS peak
               FROM usage_hourly h WHERE {cond} AND h.polls > 0 GROUP BY h.hour)
         GROUP BY 1, 2 ORDER BY 1, 2"
    );
    (sql, params)
}

/// The latest denials of the filtered features: time, server, feature, user, host, reason.
pub fn denials(f: &Filters, from: NaiveDate, to: NaiveDate, limit: usize) -> Sql {
    let (cond, params) = feature_where(f, from, to, "e", "ts", None);
    let sql = format!(
        "SELECT strftime(e.ts, '%Y-%m-%d %H:%M:%S'), e.server, e.feature, e.user_name, e.host,
                coalesce(e.reason, '')
         FROM events e WHERE e.kind = 'DENIED' AND {cond}
         ORDER BY e.ts DESC, e.user_name LIMIT {limit}"
    );
    (sql, params)
}

/// The newest checkouts, check-ins and denials from the day `since` on: time, what,
/// server, feature, user, host, licenses. (A bound, so a site with years of data reads the
/// last month's file for it, not the years.)
pub fn live_feed(limit: usize, since: NaiveDate) -> Sql {
    let sql = format!(
        "SELECT strftime(ts, '%Y-%m-%d %H:%M:%S'), what, server, feature, user_name, host,
                licenses::DOUBLE
         FROM (SELECT coalesce(started_at, first_seen) AS ts, 'checkout' AS what, server,
                      feature, user_name, host, licenses FROM sessions
               UNION ALL
               SELECT ended_at, 'check-in', server, feature, user_name, host, licenses
               FROM sessions WHERE ended_at IS NOT NULL
               UNION ALL
               SELECT ts, 'denied', server, feature, user_name, host, licenses
               FROM events WHERE kind = 'DENIED')
         WHERE ts >= ?::DATE
         ORDER BY ts DESC, what, server, feature, user_name, host LIMIT {limit}"
    );
    (sql, vec![json!(since.to_string())])
}

/// Requests queued at each server's latest poll: server, feature, user, host, licenses.
/// Servers whose latest poll is before the day `since` are left out (their queue is not
/// "now"; and a site with years of data reads the last month's file for it, not the years).
pub fn current_queue(since: NaiveDate) -> Sql {
    (
        "SELECT q.server, q.feature, q.user_name, q.host, q.licenses::DOUBLE
         FROM queued q
         JOIN (SELECT server, max(until) AS ts FROM polls GROUP BY server) l
           ON l.server = q.server AND l.ts = q.ts
         WHERE q.ts >= ?::DATE
         ORDER BY q.server, q.feature, q.user_name, q.host"
            .to_owned(),
        vec![json!(since.to_string())],
    )
}

/// The org's record of one person: display name, team, department, cost center (the
/// `unassigned` group when the org file does not know them).
pub fn person(user: &str) -> Sql {
    (
        "SELECT coalesce(max(display_name), ?), coalesce(max(team), 'unassigned'),
                coalesce(max(department), 'unassigned'), coalesce(max(cost_center), 'unassigned')
         FROM org_people WHERE user_name = ?"
            .to_owned(),
        vec![json!(user), json!(user)],
    )
}

/// One person's use by feature over the range with its cost at the org's prices (yearly
/// seat price / [`HOURS_PER_YEAR`] per license-hour; the price for the feature's vendor,
/// else the feature's price for any vendor): feature, license-hours, sessions, cost,
/// currency. The filters' `user` must be set.
pub fn person_features(f: &Filters, from: NaiveDate, to: NaiveDate) -> Sql {
    let (cond, params) = usage_where(f, from, to);
    let price = crate::analytics::prices::seat_price("u");
    let sql = format!(
        "WITH u AS (SELECT u.feature, u.vendor, sum(u.license_hours) AS lh,
                           sum(u.sessions) AS sessions
                    FROM {USAGE_FROM} WHERE {cond} GROUP BY 1, 2),
              priced AS (
                SELECT u.*,
                       {price} AS price,
                       coalesce((SELECT max(currency) FROM org_prices pr
                                  WHERE pr.feature = u.feature
                                    AND (pr.vendor = u.vendor OR pr.vendor IS NULL)), '') AS currency
                FROM u)
         SELECT feature, round(sum(lh), 2)::DOUBLE, sum(sessions)::DOUBLE,
                round(sum(lh * price / {HOURS_PER_YEAR}), 2)::DOUBLE, max(currency)
         FROM priced GROUP BY 1 ORDER BY 2 DESC, 1"
    );
    (sql, params)
}

/// A person's rank by license-hours among the people of their department over the range
/// (other filters as given, `user` and `department` ignored): rank, people, license-hours.
pub fn person_rank(f: &Filters, user: &str, from: NaiveDate, to: NaiveDate) -> Sql {
    let scope = Filters {
        user: None,
        department: None,
        ..f.clone()
    };
    let (cond, mut params) = usage_where(&scope, from, to);
    params.push(json!(user));
    params.push(json!(user));
    let sql = format!(
        "WITH t AS (SELECT u.user_name, sum(u.license_hours) AS lh FROM {USAGE_FROM}
                    WHERE {cond}
                      AND coalesce(p.department, 'unassigned') =
                          coalesce((SELECT department FROM org_people WHERE user_name = ?),
                                   'unassigned')
                    GROUP BY 1),
              r AS (SELECT user_name, lh, rank() OVER (ORDER BY lh DESC) AS rnk,
                           count(*) OVER () AS people FROM t)
         SELECT rnk::DOUBLE, people::DOUBLE, round(lh, 2)::DOUBLE FROM r WHERE user_name = ?"
    );
    (sql, params)
}

/// When licenses are checked out: sessions started and their license-hours by hour of day
/// (UTC) over the range, for every filter (people filters through the org tables; with no
/// filter, from the published `checkout_hourly` sums). Columns: hour, sessions,
/// license-hours.
pub fn checkout_hours(f: &Filters, from: NaiveDate, to: NaiveDate) -> Sql {
    let mut params = vec![
        json!(from.to_string()),
        json!(from.to_string()),
        json!(to.to_string()),
    ];
    let mut extra = String::new();
    for (column, value) in [
        ("s.server", &f.server),
        ("s.vendor", &f.vendor),
        ("s.feature", &f.feature),
        ("s.user_name", &f.user),
        ("coalesce(p.department, 'unassigned')", &f.department),
        ("coalesce(p.team, 'unassigned')", &f.team),
        ("coalesce(h.cluster, 'unassigned')", &f.cluster),
    ] {
        if let Some(v) = value {
            extra.push_str(&format!(" AND {column} = ?"));
            params.push(json!(v));
        }
    }
    // A session starts before it is first seen (a day allowed for clock skew): that bound on
    // a stored column lets DuckDB skip older row groups unread. The org tables are joined
    // only when a filter needs them (the join cost more than the rest).
    let mut joins = String::new();
    if f.department.is_some() || f.team.is_some() {
        joins.push_str(" LEFT JOIN org_people p ON p.user_name = s.user_name");
    }
    if f.cluster.is_some() {
        joins.push_str(" LEFT JOIN org_hosts h ON h.host = s.host");
    }
    if extra.is_empty() {
        // No filter: the sessions' sums by the day and hour they started.
        return (
            "SELECT hour::DOUBLE, sum(sessions)::DOUBLE, round(sum(license_hours), 2)::DOUBLE
             FROM checkout_hourly WHERE day BETWEEN ?::DATE AND ?::DATE
             GROUP BY 1 ORDER BY 1"
                .to_owned(),
            vec![json!(from.to_string()), json!(to.to_string())],
        );
    }
    let sql = format!(
        "SELECT hour(t)::DOUBLE, count(*)::DOUBLE,
                round(sum(s.licenses * epoch(coalesce(s.ended_at, s.last_seen) - t) / 3600), 2)::DOUBLE
         FROM (SELECT *, coalesce(started_at, first_seen) AS t FROM sessions
               WHERE first_seen >= ?::DATE - INTERVAL 1 DAY) s{joins}
         WHERE s.t >= ?::DATE AND s.t < ?::DATE + INTERVAL 1 DAY{extra}
         GROUP BY 1 ORDER BY 1"
    );
    (sql, params)
}

/// The previous period of the same length, ending the day before `from`.
pub fn previous_period(from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate) {
    let days = (to - from).num_days() + 1;
    let prev_to = from - TimeDelta::days(1);
    (prev_to - TimeDelta::days(days - 1), prev_to)
}

/// Headline figures of a period, for comparing it with the previous one: license-hours,
/// unique users, sessions, average utilization %, peak utilization % (largest feature-day
/// peak over issued), denials, active projects (a member used a license while the project
/// ran). One row. Usage is summed per user first: the figures then read a few thousand
/// rows, not every day's.
pub fn period_totals(f: &Filters, from: NaiveDate, to: NaiveDate) -> Sql {
    let source = usage_rollup(
        f,
        from,
        to,
        &[],
        &[Measure::LicenseHours, Measure::Users, Measure::Sessions],
    );
    let mut params = source.params;
    let (daily, daily_params) = feature_where(f, from, to, "d", "day", Some("vendor"));
    let (events, event_params) = feature_where(f, from, to, "e", "ts", None);
    params.extend(daily_params);
    params.extend(event_params);
    params.push(json!(to.to_string()));
    params.push(json!(from.to_string()));
    let sql = format!(
        "WITH u AS (SELECT u.user_name, sum(u.license_hours) AS license_hours,
                           sum(u.sessions) AS sessions
                    FROM {} WHERE {} GROUP BY 1),
              d AS (SELECT * FROM usage_daily d WHERE {daily}),
              e AS (SELECT * FROM events e WHERE e.kind = 'DENIED' AND {events})
         SELECT (SELECT round(coalesce(sum(license_hours), 0), 2) FROM u)::DOUBLE,
                (SELECT count(DISTINCT user_name) FROM u)::DOUBLE,
                (SELECT coalesce(sum(sessions), 0) FROM u)::DOUBLE,
                (SELECT round(100 * sum(sum_in_use)::DOUBLE
                              / nullif(sum(polls::BIGINT * issued), 0), 1) FROM d)::DOUBLE,
                (SELECT round(100 * max(peak_in_use::DOUBLE / nullif(issued, 0)), 1) FROM d)::DOUBLE,
                (SELECT count(*) FROM e)::DOUBLE,
                (SELECT count(DISTINCT m.project) FROM org_project_members m
                   JOIN org_projects p ON p.project = m.project
                  WHERE (p.start_date IS NULL OR p.start_date <= ?::DATE)
                    AND (p.end_date IS NULL OR p.end_date >= ?::DATE)
                    AND m.user_name IN (SELECT user_name FROM u))::DOUBLE",
        source.relation, source.condition
    );
    (sql, params)
}

/// Labels of [`period_totals`]' columns, in order.
pub const PERIOD_MEASURES: [&str; 7] = [
    "License-hours",
    "Unique users",
    "Sessions",
    "Average utilization %",
    "Peak utilization %",
    "Denials",
    "Active projects",
];

/// Monthly utilization of the filtered features: month, average utilization %, peak
/// utilization %, peak licenses in use (largest feature-day), denials.
pub fn monthly_utilization(f: &Filters, from: NaiveDate, to: NaiveDate) -> Sql {
    let (daily, mut params) = feature_where(f, from, to, "d", "day", Some("vendor"));
    let (events, event_params) = feature_where(f, from, to, "e", "ts", None);
    params.extend(event_params);
    let sql = format!(
        "WITH d AS (SELECT strftime(d.day, '%Y-%m') AS month,
                           round(100 * sum(d.sum_in_use)::DOUBLE
                                 / nullif(sum(d.polls::BIGINT * d.issued), 0), 1) AS avg_util,
                           round(100 * max(d.peak_in_use::DOUBLE / nullif(d.issued, 0)), 1) AS peak_util,
                           max(d.peak_in_use) AS peak
                    FROM usage_daily d WHERE {daily} GROUP BY 1),
              e AS (SELECT strftime(e.ts, '%Y-%m') AS month, count(*) AS denials
                    FROM events e WHERE e.kind = 'DENIED' AND {events} GROUP BY 1)
         SELECT d.month, d.avg_util::DOUBLE, d.peak_util::DOUBLE, d.peak::DOUBLE,
                coalesce(e.denials, 0)::DOUBLE
         FROM d LEFT JOIN e ON e.month = d.month ORDER BY 1"
    );
    (sql, params)
}

/// Queueing by cluster over the range (the queued requests' hosts mapped to clusters):
/// cluster, distinct requests, users, features. A request is one queued
/// (server, feature, user, host, handle), however many polls saw it.
pub fn queue_by_cluster(f: &Filters, from: NaiveDate, to: NaiveDate) -> Sql {
    let (cond, params) = feature_where(f, from, to, "q", "ts", None);
    let sql = format!(
        "SELECT coalesce(h.cluster, 'unassigned'),
                count(DISTINCT (q.server, q.feature, q.user_name, q.host, q.handle))::DOUBLE,
                count(DISTINCT q.user_name)::DOUBLE, count(DISTINCT q.feature)::DOUBLE
         FROM queued q LEFT JOIN org_hosts h ON h.host = q.host
         WHERE {cond}
         GROUP BY 1 ORDER BY 2 DESC, 1"
    );
    (sql, params)
}

/// A team's reserved pools now: feature, reserved, the team's licenses in use, all in use,
/// issued, the team's queued requests, and the estimated minutes until a license of the
/// feature is next returned: for each open session, the median remaining time of the
/// feature's finished sessions (last 90 days) that lasted longer than it has so far; the
/// soonest of those. "Now" is the newest poll.
pub fn team_pools(team: &str) -> Sql {
    let sql = "WITH now AS (SELECT max(until) AS t FROM polls),
              members AS (SELECT user_name FROM org_people WHERE team = ?),
              pools AS (SELECT feature, sum(reserved) AS reserved FROM org_pools
                        WHERE team = ? GROUP BY 1),
              open AS (SELECT s.feature, s.user_name, s.licenses,
                              epoch((SELECT t FROM now) - coalesce(s.started_at, s.first_seen)) AS age
                       FROM sessions s JOIN pools USING (feature)
                       WHERE s.ended_at IS NULL),
              done AS (SELECT s.feature, epoch(s.ended_at - coalesce(s.started_at, s.first_seen)) AS d
                       FROM sessions s JOIN pools USING (feature)
                       WHERE s.ended_at IS NOT NULL
                         AND s.ended_at >= (SELECT t FROM now) - INTERVAL 90 DAY),
              remaining AS (SELECT o.feature,
                                   (SELECT median(d.d - o.age) FROM done d
                                     WHERE d.feature = o.feature AND d.d > o.age) AS rem
                            FROM open o),
              lastq AS (SELECT q.* FROM queued q
                        JOIN (SELECT server, max(until) AS ts FROM polls GROUP BY server) l
                          ON l.server = q.server AND l.ts = q.ts)
         SELECT p.feature, p.reserved::DOUBLE,
                (SELECT coalesce(sum(licenses), 0) FROM open o
                  WHERE o.feature = p.feature AND o.user_name IN (SELECT user_name FROM members))::DOUBLE,
                (SELECT sum(in_use) FROM feature_now f WHERE f.feature = p.feature)::DOUBLE,
                (SELECT sum(issued) FROM feature_now f WHERE f.feature = p.feature)::DOUBLE,
                (SELECT count(*) FROM lastq q
                  WHERE q.feature = p.feature AND q.user_name IN (SELECT user_name FROM members))::DOUBLE,
                (SELECT round(min(rem) / 60) FROM remaining r WHERE r.feature = p.feature)::DOUBLE
         FROM pools p ORDER BY 1";
    (sql.to_owned(), vec![json!(team), json!(team)])
}

#[cfg(all(test, feature = "native"))]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    /// Every query of this module, for `f`, a user and a team named `name`.
    fn every_query(f: &Filters, name: &str) -> Vec<Sql> {
        let (from, to) = (d("2026-01-01"), d("2026-01-31"));
        vec![
            feature_stats(f, from, to),
            heatmap(f, from, to),
            denials(f, from, to, 10),
            live_feed(10, from),
            current_queue(from),
            person(name),
            person_features(f, from, to),
            person_rank(f, name, from, to),
            checkout_hours(f, from, to),
            period_totals(f, from, to),
            monthly_utilization(f, from, to),
            queue_by_cluster(f, from, to),
            team_pools(name),
        ]
    }

    /// Every query's placeholders match its parameters, and user text never enters SQL.
    #[test]
    fn queries_bind_every_value() {
        let hostile = "x' OR 1=1 --";
        let f = Filters {
            server: Some(hostile.to_owned()),
            vendor: Some(hostile.to_owned()),
            feature: Some(hostile.to_owned()),
            department: Some(hostile.to_owned()),
            user: Some(hostile.to_owned()),
            ..Filters::default()
        };
        for (sql, params) in every_query(&f, hostile) {
            assert!(!sql.contains(hostile), "{sql}");
            assert_eq!(sql.matches('?').count(), params.len(), "{sql}");
        }
    }

    #[test]
    fn previous_period_has_the_same_length() {
        assert_eq!(
            previous_period(d("2026-11-01"), d("2026-11-30")),
            (d("2026-10-02"), d("2026-10-31"))
        );
        assert_eq!(
            previous_period(d("2026-11-20"), d("2026-11-20")),
            (d("2026-11-19"), d("2026-11-19"))
        );
    }

    /// The queries run on a real (empty) published schema.
    #[test]
    fn queries_run_on_the_published_schema() {
        let db = duckdb::Connection::open_in_memory().expect("db");
        for (_, ddl) in crate::store::schema::TABLES
            .iter()
            .chain(crate::store::schema::ROLLUP_TABLES)
            .chain(crate::store::schema::ORG_TABLES)
        {
            db.execute_batch(ddl).expect("schema");
        }
        let f = Filters {
            user: Some("ann".to_owned()),
            ..Filters::default()
        };
        for (sql, params) in every_query(&f, "ann") {
            let params: Vec<String> = params
                .iter()
                .map(|p| p.as_str().unwrap_or_default().to_owned())
                .collect();
            let mut stmt = db.prepare(&sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
            let mut rows = stmt
                .query(duckdb::params_from_iter(params.iter()))
                .unwrap_or_else(|e| panic!("{e}: {sql}"));
            rows.next().unwrap_or_else(|e| panic!("{e}: {sql}"));
        }
    }
}

/// Series the forecast page models at most (the most utilized in the last 28 days).
pub const FORECAST_SERIES: usize = 40;

/// Daily peak in use and issued per server and feature over every complete day (the day of
/// the newest poll is still going: its peak so far would read as a collapse), for the features
/// the server, vendor and feature filters leave (the [`FORECAST_SERIES`] most utilized of
/// the last 28 days): server, feature, day, peak, issued.
pub fn daily_peaks(f: &Filters) -> Sql {
    let mut clauses = vec!["true".to_owned()];
    let mut params = Vec::new();
    for (column, value) in [
        ("server", &f.server),
        ("vendor", &f.vendor),
        ("feature", &f.feature),
    ] {
        if let Some(v) = value {
            clauses.push(format!("{column} = ?"));
            params.push(json!(v));
        }
    }
    let filter = clauses.join(" AND ");
    (
        format!(
            "WITH d AS (SELECT server, feature, day, max(peak_in_use) AS peak, max(issued) AS issued
                        FROM usage_daily
                        WHERE {filter} AND day < (SELECT max(until) FROM polls)::DATE
                        GROUP BY server, feature, day),
                  top AS (SELECT server, feature FROM d
                          WHERE day > (SELECT max(day) FROM d) - 28
                          GROUP BY server, feature
                          ORDER BY max(peak)::DOUBLE / greatest(max(issued), 1) DESC, server, feature
                          LIMIT {FORECAST_SERIES})
             SELECT d.server, d.feature, strftime(d.day, '%Y-%m-%d'), d.peak::DOUBLE, d.issued::DOUBLE
             FROM d JOIN top ON top.server = d.server AND top.feature = d.feature
             ORDER BY 1, 2, 3"
        ),
        params,
    )
}

/// `AND <column> in [from, to]` for a day range, and its parameters (nothing for `None`).
fn range_clause(column: &str, range: Option<(NaiveDate, NaiveDate)>) -> Sql {
    match range {
        Some((from, to)) => (
            format!(" AND {column} >= ?::DATE AND {column} < ?::DATE + INTERVAL 1 DAY"),
            vec![json!(from.to_string()), json!(to.to_string())],
        ),
        None => (String::new(), Vec::new()),
    }
}

/// Hourly peak in use and issued of one feature (summed over the servers that serve it),
/// over `range` or all data: rows `(epoch ms, peak in use, issued)`.
pub fn feature_hourly(feature: &str, range: Option<(NaiveDate, NaiveDate)>) -> Sql {
    let (clause, mut params) = range_clause("hour", range);
    params.insert(0, json!(feature));
    (
        format!(
            "SELECT epoch_ms(hour)::DOUBLE, sum(peak_in_use)::DOUBLE, sum(issued)::DOUBLE
             FROM usage_hourly WHERE feature = ?{clause}
             GROUP BY hour ORDER BY hour"
        ),
        params,
    )
}

/// Daily peak and average in use and issued of one feature, over `range` or all data:
/// rows `(day, peak, average, issued)`.
pub fn feature_daily(feature: &str, range: Option<(NaiveDate, NaiveDate)>) -> Sql {
    let (clause, mut params) = range_clause("day", range);
    params.insert(0, json!(feature));
    (
        format!(
            "SELECT strftime(day, '%Y-%m-%d') AS d, sum(peak_in_use)::DOUBLE,
                    round(sum(sum_in_use / polls), 1)::DOUBLE, sum(issued)::DOUBLE
             FROM usage_daily WHERE feature = ?{clause}
             GROUP BY day ORDER BY day"
        ),
        params,
    )
}

/// The org's known values for the filter bar's suggestions: rows `(filter, value)`.
pub const ORG_VALUES_SQL: &str = "SELECT 'department', department FROM org_people
     UNION SELECT 'team', team FROM org_people
     UNION SELECT 'user', user_name FROM org_people
     UNION SELECT 'cluster', cluster FROM org_hosts
     ORDER BY 1, 2";
