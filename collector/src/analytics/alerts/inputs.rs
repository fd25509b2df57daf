//! What the engine reads: the fixed queries over the published tables (the same SQL in
//! DuckDB-Wasm and native DuckDB) and their rows gathered into [`Data`].

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde_json::Value;

use crate::analytics::prices::{price_joins, HOURS_PER_YEAR, JOINED_PRICE};

/// Whether the published file holds rules (`org_alerts`; files from before it do not): one
/// row, one count.
pub const RULES_PRESENT_SQL: &str =
    "SELECT count(*)::DOUBLE FROM information_schema.tables WHERE table_name = 'org_alerts'";

/// The published rules in the org file's order: rows `(name, definition)`.
pub const RULES_SQL: &str = "SELECT name, definition FROM org_alerts ORDER BY position";

/// An hour's average in use and the same hour 1, 2, 3 and 4 weeks before (if polled).
pub type Hour = (NaiveDateTime, f64, [Option<f64>; 4]);

/// A time series per (server, feature).
pub type Series<T> = BTreeMap<(String, String), Vec<T>>;

/// A stretch of a checkout with no job of its holder on its host.
#[derive(Debug, Clone, PartialEq)]
pub struct IdleStretch {
    pub server: String,
    pub feature: String,
    pub user: String,
    pub host: String,
    pub licenses: f64,
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
    /// The checkout went on (or is open) idle past the range's end.
    pub ongoing: bool,
}

/// The published data the engine reads, as the queries in [`inputs`] return it.
#[derive(Debug, Clone, Default)]
pub struct Data {
    /// The end of the evaluation: the newest poll, or the range's end if earlier.
    pub now: Option<NaiveDateTime>,
    /// The newest poll of all (staleness is measured from it).
    pub newest: Option<NaiveDateTime>,
    /// Per (server, feature): the in-use and issued counts from each change on.
    pub features: Series<(NaiveDateTime, f64, f64)>,
    /// Denials: (server, feature, time), in time order.
    pub denials: Vec<(String, String, NaiveDateTime)>,
    /// Entitlements with an expiry date: (server, feature, count, expires).
    pub expiries: Vec<(String, String, f64, NaiveDate)>,
    /// Runs of polls of one outcome: (server, from, until, ok), in time order per server.
    pub runs: Vec<(String, NaiveDateTime, NaiveDateTime, bool)>,
    /// Vendor daemon changes: (server, vendor) → (time, up).
    pub daemons: BTreeMap<(String, String), Vec<(NaiveDateTime, bool)>>,
    /// Daily utilization: (server, feature) → (day, average in use, issued).
    pub daily: Series<(NaiveDate, f64, f64)>,
    /// Hourly average in use, and the same hour one to four weeks before (the baseline):
    /// (server, feature) → (hour, average, [1..4 weeks before]).
    pub hourly: Series<Hour>,
    /// Budgets: (`department`|`project`, id, name) → (amount, first day, last day).
    pub budgets: BTreeMap<(String, String, String), (f64, NaiveDate, NaiveDate)>,
    /// Spend per day at the org's prices: (`department`|`project`, id) → (day, cost).
    pub spend: Series<(NaiveDate, f64)>,
    /// Stretches of checkouts on compute nodes with no job of their holder on their host:
    /// (server, feature, user, host, licenses, from, to, still idle at its last sighting).
    pub idle: Vec<IdleStretch>,
    /// Daily peaks of the complete days before `now`, as rows of
    /// [`crate::analytics::forecast::outlooks`] (server, feature, day, peak, issued).
    pub peaks: Vec<Vec<Value>>,
}

/// The two parameters every query in [`inputs`] takes, first and last moment of the range,
/// as DuckDB timestamp text.
pub fn params(from: NaiveDateTime, to: NaiveDateTime) -> [String; 2] {
    let f = |t: NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
    [f(from), f(to)]
}

/// [`params`] for whole days, `from` 00:00 to the end of `to`, as the site's range filter.
pub fn day_params(from: NaiveDate, to: NaiveDate) -> [String; 2] {
    let end = to.and_hms_opt(23, 59, 59).unwrap_or_else(|| midnight(to));
    params(midnight(from), end)
}

/// The range every query starts with: `r.t0` and `r.t1` from the two parameters.
const RANGE: &str = "WITH r AS (SELECT ?::TIMESTAMP AS t0, ?::TIMESTAMP AS t1)";

/// A budget's cost at the org's prices: the feature's yearly seat price for its vendor, else
/// for any vendor, over [`HOURS_PER_YEAR`] per license-hour ([`crate::analytics::prices`]).
fn priced() -> String {
    format!(
        "priced AS (
    SELECT u.day, u.user_name, u.license_hours * {JOINED_PRICE} / {HOURS_PER_YEAR} AS cost
    FROM user_daily u {joins}
    CROSS JOIN r
    WHERE u.day <= r.t1::DATE
      AND u.day >= least(make_date(year(r.t1), 1, 1),
                         coalesce((SELECT min(start_date) FROM org_projects), make_date(year(r.t1), 1, 1))))",
        joins = price_joins("u")
    )
}

/// The queries the engine's input comes from (name, SQL), each read by [`Data::add_rows`].
/// Every query takes [`params`] (the range; `idle` reads them as `$1` and `$2`), reads only the published tables, and returns
/// times as epoch seconds and days as `YYYY-MM-DD`, so DuckDB-Wasm and native DuckDB feed
/// the engine identical rows.
pub fn inputs() -> Vec<(&'static str, String)> {
    let q = |name: &'static str, body: &str| (name, format!("{RANGE}{body}"));
    vec![
        q(
            "now",
            "SELECT epoch(least(max(until), any_value(r.t1)))::DOUBLE, epoch(max(until))::DOUBLE
             FROM polls CROSS JOIN r",
        ),
        q(
            "features",
            ", c AS (SELECT server, feature, ts, coalesce(in_use, 0) AS u, coalesce(issued, 0) AS i
                     FROM feature_usage CROSS JOIN r WHERE counting = 'counted' AND ts <= r.t1)
             SELECT server, feature, epoch(ts)::DOUBLE, u::DOUBLE, i::DOUBLE
             FROM c CROSS JOIN r WHERE ts > r.t0
             UNION ALL
             SELECT server, feature, epoch(any_value(r.t0))::DOUBLE, arg_max(u, ts)::DOUBLE,
                    arg_max(i, ts)::DOUBLE
             FROM c CROSS JOIN r WHERE ts <= r.t0 GROUP BY server, feature
             ORDER BY 1, 2, 3",
        ),
        q(
            "denials",
            " SELECT server, feature, epoch(ts)::DOUBLE FROM events CROSS JOIN r
              WHERE kind = 'DENIED' AND ts BETWEEN r.t0 AND r.t1 ORDER BY ts, server, feature",
        ),
        q(
            "expiries",
            " SELECT e.server, e.feature, sum(e.count)::DOUBLE, strftime(e.expires, '%Y-%m-%d')
              FROM entitlements e CROSS JOIN r
              WHERE e.expires IS NOT NULL
                AND e.imported_at = (SELECT max(imported_at) FROM entitlements x
                                     WHERE x.server = e.server)
              GROUP BY e.server, e.feature, e.expires ORDER BY 4, 1, 2",
        ),
        q(
            "runs",
            " SELECT server, epoch(ts)::DOUBLE, epoch(until)::DOUBLE, ok FROM polls CROSS JOIN r
              WHERE until >= r.t0 AND ts <= r.t1 ORDER BY server, ts",
        ),
        q(
            "daemons",
            ", c AS (SELECT server, vendor, ts, up FROM vendor_status CROSS JOIN r WHERE ts <= r.t1)
             SELECT server, vendor, epoch(ts)::DOUBLE, up FROM c CROSS JOIN r WHERE ts > r.t0
             UNION ALL
             SELECT server, vendor, epoch(any_value(r.t0))::DOUBLE, arg_max(up, ts)
             FROM c CROSS JOIN r WHERE ts <= r.t0 GROUP BY server, vendor
             ORDER BY 1, 2, 3",
        ),
        q(
            "daily",
            " SELECT server, feature, strftime(day, '%Y-%m-%d'),
                     (sum(sum_in_use)::DOUBLE / nullif(sum(polls), 0))::DOUBLE, max(issued)::DOUBLE
              FROM usage_daily CROSS JOIN r
              WHERE day BETWEEN r.t0::DATE - 90 AND r.t1::DATE
              GROUP BY server, feature, day ORDER BY 1, 2, 3",
        ),
        q(
            "hourly",
            ", h AS (SELECT hour, server, feature,
                            sum(sum_in_use)::DOUBLE / nullif(sum(polls), 0) AS v
                     FROM usage_hourly CROSS JOIN r
                     WHERE hour >= r.t0 - INTERVAL 28 DAY AND hour <= r.t1
                     GROUP BY hour, server, feature)
             SELECT a.server, a.feature, epoch(a.hour)::DOUBLE, a.v, w1.v, w2.v, w3.v, w4.v
             FROM h a CROSS JOIN r
             LEFT JOIN h w1 ON w1.server = a.server AND w1.feature = a.feature
                           AND w1.hour = a.hour - INTERVAL 7 DAY
             LEFT JOIN h w2 ON w2.server = a.server AND w2.feature = a.feature
                           AND w2.hour = a.hour - INTERVAL 14 DAY
             LEFT JOIN h w3 ON w3.server = a.server AND w3.feature = a.feature
                           AND w3.hour = a.hour - INTERVAL 21 DAY
             LEFT JOIN h w4 ON w4.server = a.server AND w4.feature = a.feature
                           AND w4.hour = a.hour - INTERVAL 28 DAY
             WHERE a.hour >= r.t0 AND a.v IS NOT NULL ORDER BY 1, 2, 3",
        ),
        q(
            "peaks",
            " SELECT server, feature, strftime(day, '%Y-%m-%d'), max(peak_in_use)::DOUBLE,
                     max(issued)::DOUBLE
              FROM usage_daily CROSS JOIN r
              WHERE day < least((SELECT max(until) FROM polls), r.t1)::DATE
              GROUP BY server, feature, day ORDER BY 1, 2, 3",
        ),
        q(
            "budgets",
            " SELECT 'department', department, name, budget::DOUBLE,
                     strftime(make_date(year(r.t1), 1, 1), '%Y-%m-%d'),
                     strftime(make_date(year(r.t1), 12, 31), '%Y-%m-%d')
              FROM org_departments CROSS JOIN r WHERE budget > 0
              UNION ALL
              SELECT 'project', project, name, budget::DOUBLE,
                     strftime(coalesce(start_date, make_date(year(r.t1), 1, 1)), '%Y-%m-%d'),
                     strftime(coalesce(end_date, make_date(year(r.t1), 12, 31)), '%Y-%m-%d')
              FROM org_projects CROSS JOIN r WHERE budget > 0
              ORDER BY 1, 2",
        ),
        (
            "spend",
            format!(
                "{RANGE}, {}
                 SELECT 'department', coalesce(p.department, 'unassigned'),
                        strftime(c.day, '%Y-%m-%d'), sum(c.cost)::DOUBLE
                 FROM priced c CROSS JOIN r LEFT JOIN org_people p ON p.user_name = c.user_name
                 WHERE c.day >= make_date(year(r.t1), 1, 1)
                 GROUP BY 1, 2, 3
                 UNION ALL
                 SELECT 'project', m.project, strftime(c.day, '%Y-%m-%d'), sum(c.cost)::DOUBLE
                 FROM priced c CROSS JOIN r
                 JOIN org_project_members m ON m.user_name = c.user_name
                 JOIN org_projects pr ON pr.project = m.project
                 WHERE c.day >= coalesce(pr.start_date, make_date(year(r.t1), 1, 1))
                   AND c.day <= coalesce(pr.end_date, make_date(year(r.t1), 12, 31))
                 GROUP BY 1, 2, 3
                 ORDER BY 1, 2, 3",
                priced()
            ),
        ),
        ("idle", crate::analytics::compute::idle_stretches()),
    ]
}

fn time(v: Option<&Value>) -> Option<NaiveDateTime> {
    let s = v?.as_f64()?;
    DateTime::from_timestamp(s.floor() as i64, 0).map(|t| t.naive_utc())
}
fn text(v: Option<&Value>) -> Option<String> {
    v?.as_str().map(str::to_owned)
}
fn num(v: Option<&Value>) -> Option<f64> {
    v?.as_f64()
}
fn day(v: Option<&Value>) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(v?.as_str()?, "%Y-%m-%d").ok()
}

impl Data {
    /// Add the rows of input `name` (see [`inputs`]); malformed rows are skipped.
    pub fn add_rows(&mut self, name: &str, rows: &[Vec<Value>]) {
        if name == "peaks" {
            self.peaks.extend_from_slice(rows);
            return;
        }
        for r in rows {
            let g = |i| r.get(i);
            match name {
                "now" => {
                    self.now = time(g(0));
                    self.newest = time(g(1));
                }
                "features" => {
                    if let (Some(s), Some(f), Some(t), Some(u), Some(i)) =
                        (text(g(0)), text(g(1)), time(g(2)), num(g(3)), num(g(4)))
                    {
                        self.features.entry((s, f)).or_default().push((t, u, i));
                    }
                }
                "denials" => {
                    if let (Some(s), Some(f), Some(t)) = (text(g(0)), text(g(1)), time(g(2))) {
                        self.denials.push((s, f, t));
                    }
                }
                "expiries" => {
                    if let (Some(s), Some(f), Some(c), Some(d)) =
                        (text(g(0)), text(g(1)), num(g(2)), day(g(3)))
                    {
                        self.expiries.push((s, f, c, d));
                    }
                }
                "runs" => {
                    if let (Some(s), Some(a), Some(b), Some(ok)) = (
                        text(g(0)),
                        time(g(1)),
                        time(g(2)),
                        g(3).and_then(Value::as_bool),
                    ) {
                        self.runs.push((s, a, b, ok));
                    }
                }
                "daemons" => {
                    if let (Some(s), Some(v), Some(t), Some(up)) = (
                        text(g(0)),
                        text(g(1)),
                        time(g(2)),
                        g(3).and_then(Value::as_bool),
                    ) {
                        self.daemons.entry((s, v)).or_default().push((t, up));
                    }
                }
                "daily" => {
                    if let (Some(s), Some(f), Some(d), Some(a), Some(i)) =
                        (text(g(0)), text(g(1)), day(g(2)), num(g(3)), num(g(4)))
                    {
                        self.daily.entry((s, f)).or_default().push((d, a, i));
                    }
                }
                "hourly" => {
                    if let (Some(s), Some(f), Some(t), Some(v)) =
                        (text(g(0)), text(g(1)), time(g(2)), num(g(3)))
                    {
                        let weeks = [num(g(4)), num(g(5)), num(g(6)), num(g(7))];
                        self.hourly.entry((s, f)).or_default().push((t, v, weeks));
                    }
                }
                "budgets" => {
                    if let (Some(k), Some(id), Some(n), Some(b), Some(a), Some(z)) = (
                        text(g(0)),
                        text(g(1)),
                        text(g(2)),
                        num(g(3)),
                        day(g(4)),
                        day(g(5)),
                    ) {
                        self.budgets.insert((k, id, n), (b, a, z));
                    }
                }
                "idle" => {
                    if let (Some(server), Some(feature), Some(user), Some(host), Some(n)) =
                        (text(g(0)), text(g(1)), text(g(2)), text(g(3)), num(g(4)))
                    {
                        if let (Some(from), Some(to)) = (time(g(5)), time(g(6))) {
                            self.idle.push(IdleStretch {
                                server,
                                feature,
                                user,
                                host,
                                licenses: n,
                                from,
                                to,
                                ongoing: g(7).and_then(Value::as_bool).unwrap_or(false),
                            });
                        }
                    }
                }
                "spend" => {
                    if let (Some(k), Some(id), Some(d), Some(c)) =
                        (text(g(0)), text(g(1)), day(g(2)), num(g(3)))
                    {
                        self.spend.entry((k, id)).or_default().push((d, c));
                    }
                }
                _ => {}
            }
        }
    }
}

/// Midnight at the start of `d`.
pub(super) fn midnight(d: NaiveDate) -> NaiveDateTime {
    d.and_time(chrono::NaiveTime::MIN)
}
