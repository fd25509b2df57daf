//! Alert rules and their evaluation: one implementation for the site (wasm) and for
//! `lmscope check` (native). Rules are data (the org file's `[[alert]]` tables), never code
//! or SQL. The engine reads the published tables through the fixed queries in [`INPUTS`]
//! (each row a JSON array, so DuckDB-Wasm and native DuckDB feed it the same way) and
//! returns every interval in which a rule fired, with its evidence.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A feature's licenses in use at or above `threshold` % of issued for `window`.
    Utilization,
    /// `threshold` or more denials of a feature within `window`.
    Denials,
    /// An entitlement expiring within `days` days of the newest data.
    Expiry,
    /// A license server down (its polls failing) for `window` or longer.
    Down,
    /// A vendor daemon down for `window` or longer.
    DaemonDown,
    /// No poll newer than `window` (checked against the clock).
    Stale,
    /// A feature's average utilization under `threshold` % on `days` days in a row.
    Idle,
    /// A feature's average use in an hour more than `threshold` % away from its baseline,
    /// the mean of the same hour of the week over the four weeks before, for `window`.
    Unusual,
    /// A department's (yearly) or project's (start to end) spend at `threshold` % of its
    /// budget or more; with `projected`, also when the burn rate so far would get there.
    Budget,
}

/// How much an alert matters.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    #[default]
    Warning,
    Critical,
}

impl Severity {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "info" => Some(Self::Info),
            "warning" => Some(Self::Warning),
            "critical" => Some(Self::Critical),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Kind {
    /// Every kind, in the order the editor offers them.
    pub const ALL: [Kind; 9] = [
        Kind::Utilization,
        Kind::Denials,
        Kind::Unusual,
        Kind::Budget,
        Kind::Expiry,
        Kind::Down,
        Kind::DaemonDown,
        Kind::Stale,
        Kind::Idle,
    ];

    /// The name used in TOML and URLs.
    pub fn key(self) -> &'static str {
        match self {
            Kind::Utilization => "utilization",
            Kind::Denials => "denials",
            Kind::Expiry => "expiry",
            Kind::Down => "down",
            Kind::DaemonDown => "daemon_down",
            Kind::Stale => "stale",
            Kind::Idle => "idle",
            Kind::Unusual => "unusual",
            Kind::Budget => "budget",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == s)
    }
}

/// `[[alert]]` tables for the org file.
pub fn to_toml(rules: &[Rule]) -> String {
    #[derive(Serialize)]
    struct File<'a> {
        alert: &'a [Rule],
    }
    toml::to_string(&File { alert: rules }).unwrap_or_default()
}

/// A rule set as a URL parameter (compact JSON), and back; the error says what is wrong.
pub fn to_param(rules: &[Rule]) -> String {
    serde_json::to_string(rules).unwrap_or_default()
}

pub fn from_param(text: &str) -> Result<Vec<Rule>, String> {
    serde_json::from_str(text).map_err(|e| format!("not a rule set: {e}"))
}

/// One rule, as written in the org file (`[[alert]]`) or the site's editor.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    pub kind: Kind,
    #[serde(default)]
    pub severity: Severity,
    /// Percent (utilization, idle, unusual, budget) or a count (denials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// A duration: `90s`, `5m`, `2h`, `7d` (how long a condition lasts, or the window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// Days (expiry: within; idle: in a row).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    /// Only these features / servers (empty: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<String>,
    /// Budget rules: only these departments / projects (both empty: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub departments: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub projects: Vec<String>,
    /// Budget rules: fire on the projected spend at the budget's end as well.
    #[serde(default, skip_serializing_if = "is_false")]
    pub projected: bool,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
}

/// A rule that cannot be evaluated, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("alert rule `{rule}`: {message}")]
pub struct RuleError {
    pub rule: String,
    pub message: String,
}

/// Whether the published file holds rules (`org_alerts`; files from before it do not): one
/// row, one count.
pub const RULES_PRESENT_SQL: &str =
    "SELECT count(*)::DOUBLE FROM information_schema.tables WHERE table_name = 'org_alerts'";

/// The published rules in the org file's order: rows `(name, definition)`.
pub const RULES_SQL: &str = "SELECT name, definition FROM org_alerts ORDER BY position";

/// `90s`, `5m`, `2h`, `7d` → a duration.
pub fn parse_duration(text: &str) -> Option<TimeDelta> {
    crate::parse::duration::parse(text)
        .ok()
        .and_then(|d| TimeDelta::from_std(d).ok())
}

impl Rule {
    /// An enabled warning rule of `kind` with nothing else set.
    pub fn new(name: &str, kind: Kind) -> Self {
        Self {
            name: name.to_owned(),
            kind,
            severity: Severity::Warning,
            threshold: None,
            window: None,
            days: None,
            features: Vec::new(),
            servers: Vec::new(),
            departments: Vec::new(),
            projects: Vec::new(),
            projected: false,
            enabled: true,
        }
    }

    /// Check that the rule has what its kind needs; the error names the rule and the field.
    pub fn validate(&self) -> Result<(), RuleError> {
        let err = |message: String| RuleError {
            rule: self.name.clone(),
            message,
        };
        if self.name.trim().is_empty() {
            return Err(err("a rule needs a name".to_owned()));
        }
        let need_threshold = matches!(
            self.kind,
            Kind::Utilization | Kind::Denials | Kind::Idle | Kind::Unusual | Kind::Budget
        );
        let need_window = matches!(
            self.kind,
            Kind::Utilization | Kind::Denials | Kind::Down | Kind::DaemonDown | Kind::Stale
        );
        let need_days = matches!(self.kind, Kind::Expiry | Kind::Idle);
        match self.threshold {
            None if need_threshold => return Err(err("needs `threshold`".to_owned())),
            Some(t) if !t.is_finite() || t < 0.0 => {
                return Err(err(format!("`threshold` {t} must be a number ≥ 0")))
            }
            _ => {}
        }
        match &self.window {
            None if need_window => {
                return Err(err("needs `window`, a duration like `5m`".to_owned()))
            }
            Some(w) if parse_duration(w).is_none() => {
                return Err(err(format!(
                    "`window` `{w}` is not a duration like `90s`, `5m`, `2h`, `7d`"
                )))
            }
            _ => {}
        }
        if need_days && self.days.is_none() {
            return Err(err("needs `days`".to_owned()));
        }
        Ok(())
    }

    /// The condition in words, for lists: `≥ 95 % for 5m`, `5 denials within 1h`.
    pub fn condition(&self) -> String {
        let t = self
            .threshold
            .map_or_else(|| "?".to_owned(), |t| format!("{t}"));
        let w = self.window.as_deref().unwrap_or("?");
        let d = self.days.map_or_else(|| "?".to_owned(), |d| d.to_string());
        match self.kind {
            Kind::Utilization => format!("in use ≥ {t} % of issued for {w}"),
            Kind::Denials => format!("{t} or more denials within {w}"),
            Kind::Unusual => format!(
                "use over {} more than {t} % off the usual",
                self.window.as_deref().unwrap_or("1h")
            ),
            Kind::Budget if self.projected => {
                format!("spend, or its projection, ≥ {t} % of budget")
            }
            Kind::Budget => format!("spend ≥ {t} % of budget"),
            Kind::Expiry => format!("expiring within {d} days"),
            Kind::Down => format!("server down for {w}"),
            Kind::DaemonDown => format!("vendor daemon down for {w}"),
            Kind::Stale => format!("no poll for {w}"),
            Kind::Idle => format!("utilization under {t} % for {d} days"),
        }
    }

    /// The scope in words: `all`, or the features, servers, departments and projects named.
    pub fn scope(&self) -> String {
        let parts: Vec<String> = [
            ("features", &self.features),
            ("servers", &self.servers),
            ("departments", &self.departments),
            ("projects", &self.projects),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}: {}", v.join(", ")))
        .collect();
        if parts.is_empty() {
            "all".to_owned()
        } else {
            parts.join("; ")
        }
    }

    fn window(&self) -> TimeDelta {
        self.window
            .as_deref()
            .and_then(parse_duration)
            .unwrap_or_default()
    }

    /// A budget subject (`department` or `project`) in scope.
    fn covers_budget(&self, kind: &str, id: &str) -> bool {
        let (mine, other) = match kind {
            "department" => (&self.departments, &self.projects),
            _ => (&self.projects, &self.departments),
        };
        if mine.is_empty() {
            other.is_empty()
        } else {
            mine.iter().any(|x| x == id)
        }
    }

    fn covers(&self, server: &str, feature: Option<&str>) -> bool {
        (self.servers.is_empty() || self.servers.iter().any(|s| s == server))
            && (self.features.is_empty()
                || feature.is_some_and(|f| self.features.iter().any(|x| x == f)))
    }
}

/// One firing of a rule: what, since when, until when (`None`: still firing), and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub rule: String,
    pub kind: Kind,
    pub severity: Severity,
    /// What fired: `FEATURE on SERVER`, a server, a daemon.
    pub subject: String,
    pub since: NaiveDateTime,
    pub until: Option<NaiveDateTime>,
    /// The numbers behind it, in words.
    pub evidence: String,
    /// The site's filters that show the evidence (`server`, `feature`, `department`...).
    pub filters: Vec<(String, String)>,
}

/// An hour's average in use and the same hour 1, 2, 3 and 4 weeks before (if polled).
pub type Hour = (NaiveDateTime, f64, [Option<f64>; 4]);

/// A time series per (server, feature).
pub type Series<T> = BTreeMap<(String, String), Vec<T>>;

/// The published data the engine reads, as the queries in [`INPUTS`] return it.
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

/// A rule as published in `org_alerts` (JSON); the error names the rule.
pub fn parse_published(name: &str, definition: &str) -> Result<Rule, String> {
    serde_json::from_str(definition).map_err(|e| format!("published alert rule `{name}`: {e}"))
}

/// The range every query starts with: `r.t0` and `r.t1` from the two parameters.
const RANGE: &str = "WITH r AS (SELECT ?::TIMESTAMP AS t0, ?::TIMESTAMP AS t1)";

/// A budget's cost at the org's prices: the feature's yearly seat price for its vendor, else
/// for any vendor, over [`crate::analytics::page_sql::HOURS_PER_YEAR`] per license-hour.
const PRICED: &str = "priced AS (
    SELECT u.day, u.user_name, u.license_hours * coalesce(pv.price, pa.price, 0) / 8760.0 AS cost
    FROM user_daily u
    LEFT JOIN (SELECT feature, vendor, max(per_seat_year) AS price FROM org_prices
               WHERE vendor IS NOT NULL GROUP BY ALL) pv ON pv.feature = u.feature AND pv.vendor = u.vendor
    LEFT JOIN (SELECT feature, max(per_seat_year) AS price FROM org_prices
               WHERE vendor IS NULL GROUP BY ALL) pa ON pa.feature = u.feature
    CROSS JOIN r
    WHERE u.day <= r.t1::DATE
      AND u.day >= least(make_date(year(r.t1), 1, 1),
                         coalesce((SELECT min(start_date) FROM org_projects), make_date(year(r.t1), 1, 1))))";

/// The queries the engine's input comes from (name, SQL), each read by [`Data::add_rows`].
/// Every query takes [`params`] (the range), reads only the published tables, and returns
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
                "{RANGE}, {PRICED}
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
                 ORDER BY 1, 2, 3"
            ),
        ),
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
    /// Add the rows of input `name` (see [`INPUTS`]); malformed rows are skipped.
    pub fn add_rows(&mut self, name: &str, rows: &[Vec<Value>]) {
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

/// Intervals in which a step series (each value holds until the next point, the last
/// until `end`) satisfies `on` for at least `min`: (start, end, None when still on at `end`).
pub fn sustained<T: Copy>(
    points: &[(NaiveDateTime, T)],
    end: NaiveDateTime,
    min: TimeDelta,
    on: impl Fn(T) -> bool,
) -> Vec<(NaiveDateTime, Option<NaiveDateTime>)> {
    let mut out = Vec::new();
    let mut start: Option<NaiveDateTime> = None;
    for (t, v) in points {
        match (start, on(*v)) {
            (None, true) => start = Some(*t),
            (Some(s), false) => {
                if *t - s >= min {
                    out.push((s, Some(*t)));
                }
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        if end - s >= min {
            out.push((s, None));
        }
    }
    out
}

/// Times (sorted) → intervals in which at least `n` of them fall within `window`: from the
/// n-th event of a burst until `window` after the last event that kept the count up.
pub fn bursts(
    times: &[NaiveDateTime],
    n: usize,
    window: TimeDelta,
) -> Vec<(NaiveDateTime, NaiveDateTime)> {
    let mut out: Vec<(NaiveDateTime, NaiveDateTime)> = Vec::new();
    if n == 0 {
        return out;
    }
    for i in (n - 1)..times.len() {
        let first = times[i + 1 - n];
        if times[i] - first <= window {
            let (s, e) = (times[i], first + window);
            match out.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => out.push((s, e)),
            }
        }
    }
    out
}

/// One firing before it is tied to its rule.
struct Firing {
    subject: String,
    since: NaiveDateTime,
    until: Option<NaiveDateTime>,
    evidence: String,
    filters: Vec<(String, String)>,
}

fn on_feature(server: &str, feature: &str) -> (String, Vec<(String, String)>) {
    (
        format!("{feature} on {server}"),
        vec![
            ("server".to_owned(), server.to_owned()),
            ("feature".to_owned(), feature.to_owned()),
        ],
    )
}

/// Evaluate `rules` over `data`; `clock` is the current time (for staleness). Returns every
/// firing, newest first, for enabled and valid rules; invalid rules are reported apart.
pub fn evaluate(rules: &[Rule], data: &Data, clock: NaiveDateTime) -> (Vec<Alert>, Vec<RuleError>) {
    let mut alerts = Vec::new();
    let mut errors = Vec::new();
    let Some(now) = data.now else {
        return (alerts, errors);
    };
    for rule in rules.iter().filter(|r| r.enabled) {
        if let Err(e) = rule.validate() {
            errors.push(e);
            continue;
        }
        let firings = match rule.kind {
            Kind::Utilization => utilization(rule, data, now),
            Kind::Denials => denials(rule, data, now),
            Kind::Expiry => expiry(rule, data, now),
            Kind::Down => down(rule, data, now),
            Kind::DaemonDown => daemon_down(rule, data, now),
            Kind::Stale => stale(rule, data, clock),
            Kind::Idle => idle(rule, data, now),
            Kind::Unusual => unusual(rule, data, now),
            Kind::Budget => budget(rule, data),
        };
        alerts.extend(firings.into_iter().map(|f| Alert {
            rule: rule.name.clone(),
            kind: rule.kind,
            severity: rule.severity,
            subject: f.subject,
            since: f.since,
            until: f.until,
            evidence: f.evidence,
            filters: f.filters,
        }));
    }
    alerts.sort_by(|a, b| {
        b.since
            .cmp(&a.since)
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.subject.cmp(&b.subject))
    });
    (alerts, errors)
}

fn threshold(rule: &Rule) -> f64 {
    rule.threshold.unwrap_or(0.0)
}

fn utilization(rule: &Rule, data: &Data, now: NaiveDateTime) -> Vec<Firing> {
    let threshold = threshold(rule);
    let mut out = Vec::new();
    for ((server, feature), points) in &data.features {
        if !rule.covers(server, Some(feature)) {
            continue;
        }
        let pct: Vec<(NaiveDateTime, f64)> = points
            .iter()
            .map(|(t, u, i)| (*t, if *i > 0.0 { 100.0 * u / i } else { 0.0 }))
            .collect();
        for (s, e) in sustained(&pct, now, rule.window(), |p| p >= threshold) {
            let peak = pct
                .iter()
                .filter(|(t, _)| *t >= s && e.is_none_or(|e| *t < e))
                .map(|(_, p)| *p)
                .fold(0.0, f64::max);
            let (subject, filters) = on_feature(server, feature);
            out.push(Firing {
                subject,
                since: s,
                until: e,
                evidence: format!(
                    "in use ≥ {threshold} % of issued for {} (peak {peak:.0} %)",
                    span(s, e.unwrap_or(now))
                ),
                filters,
            });
        }
    }
    out
}

fn denials(rule: &Rule, data: &Data, now: NaiveDateTime) -> Vec<Firing> {
    let window = rule.window();
    let n = threshold(rule).ceil().max(1.0) as usize;
    let mut by: BTreeMap<(&str, &str), Vec<NaiveDateTime>> = BTreeMap::new();
    for (s, f, t) in &data.denials {
        if rule.covers(s, Some(f)) {
            by.entry((s, f)).or_default().push(*t);
        }
    }
    let mut out = Vec::new();
    for ((server, feature), mut times) in by {
        times.sort();
        for (s, e) in bursts(&times, n, window) {
            let count = times
                .iter()
                .filter(|t| **t >= s - window && **t <= e)
                .count();
            let (subject, filters) = on_feature(server, feature);
            out.push(Firing {
                subject,
                since: s,
                until: (e <= now).then_some(e),
                evidence: format!(
                    "{count} denials, at least {n} within {}",
                    rule.window.as_deref().unwrap_or("")
                ),
                filters,
            });
        }
    }
    out
}

fn expiry(rule: &Rule, data: &Data, now: NaiveDateTime) -> Vec<Firing> {
    let within = TimeDelta::days(i64::from(rule.days.unwrap_or(0)));
    data.expiries
        .iter()
        .filter(|(server, feature, _, expires)| {
            rule.covers(server, Some(feature)) && *expires - now.date() <= within
        })
        .map(|(server, feature, count, expires)| {
            let (subject, filters) = on_feature(server, feature);
            let left = (*expires - now.date()).num_days();
            Firing {
                subject,
                since: now,
                until: None,
                evidence: if left < 0 {
                    format!("{count:.0} licenses expired on {expires}")
                } else {
                    format!("{count:.0} licenses expire on {expires}, in {left} days")
                },
                filters,
            }
        })
        .collect()
}

fn down(rule: &Rule, data: &Data, now: NaiveDateTime) -> Vec<Firing> {
    let mut by: BTreeMap<&str, Vec<(NaiveDateTime, bool)>> = BTreeMap::new();
    for (s, from, _, ok) in &data.runs {
        if rule.covers(s, None) {
            by.entry(s).or_default().push((*from, !ok));
        }
    }
    let mut out = Vec::new();
    for (server, steps) in by {
        for (s, e) in sustained(&steps, now, rule.window(), |down| down) {
            out.push(Firing {
                subject: server.to_owned(),
                since: s,
                until: e,
                evidence: format!("no answer for {}", span(s, e.unwrap_or(now))),
                filters: vec![("server".to_owned(), server.to_owned())],
            });
        }
    }
    out
}

fn daemon_down(rule: &Rule, data: &Data, now: NaiveDateTime) -> Vec<Firing> {
    let mut out = Vec::new();
    for ((server, vendor), steps) in &data.daemons {
        if !rule.covers(server, None) {
            continue;
        }
        let down: Vec<(NaiveDateTime, bool)> = steps.iter().map(|(t, up)| (*t, !up)).collect();
        for (s, e) in sustained(&down, now, rule.window(), |d| d) {
            out.push(Firing {
                subject: format!("{vendor} on {server}"),
                since: s,
                until: e,
                evidence: format!("vendor daemon down for {}", span(s, e.unwrap_or(now))),
                filters: vec![
                    ("server".to_owned(), server.clone()),
                    ("vendor".to_owned(), vendor.clone()),
                ],
            });
        }
    }
    out
}

fn stale(rule: &Rule, data: &Data, clock: NaiveDateTime) -> Vec<Firing> {
    match data.newest {
        Some(newest) if clock - newest >= rule.window() => vec![Firing {
            subject: "data".to_owned(),
            since: newest,
            until: None,
            evidence: format!("the newest poll is {} old", span(newest, clock)),
            filters: Vec::new(),
        }],
        _ => Vec::new(),
    }
}

fn midnight(d: NaiveDate) -> NaiveDateTime {
    d.and_time(chrono::NaiveTime::MIN)
}

fn idle(rule: &Rule, data: &Data, now: NaiveDateTime) -> Vec<Firing> {
    let threshold = threshold(rule);
    let min = TimeDelta::days(i64::from(rule.days.unwrap_or(1)));
    let mut out = Vec::new();
    for ((server, feature), rows) in &data.daily {
        if !rule.covers(server, Some(feature)) {
            continue;
        }
        let steps: Vec<(NaiveDateTime, f64)> = rows
            .iter()
            .map(|(d, avg, issued)| {
                let pct = if *issued > 0.0 {
                    100.0 * avg / issued
                } else {
                    100.0
                };
                (midnight(*d), pct)
            })
            .collect();
        let end = rows
            .last()
            .map_or(now, |(d, _, _)| midnight(*d + TimeDelta::days(1)));
        let issued = rows.last().map_or(0.0, |r| r.2);
        for (s, e) in sustained(&steps, end, min, |p| p < threshold) {
            let (subject, filters) = on_feature(server, feature);
            out.push(Firing {
                subject,
                since: s,
                until: e,
                evidence: format!(
                    "average utilization under {threshold} % for {} ({issued:.0} issued)",
                    span(s, e.unwrap_or(end))
                ),
                filters,
            });
        }
    }
    out
}

/// Windows whose baseline averages under this many licenses in use are too small to call
/// unusual.
const MIN_BASELINE: f64 = 1.0;

/// A deviation must also be at least this many licenses on average over the window.
const MIN_CHANGE: f64 = 1.0;

/// A deviation must also exceed this many standard deviations of the baseline weeks, so
/// that the noise of small counts is not news.
const SIGMAS: f64 = 3.0;

/// Running totals of an hourly series, so any window's totals take constant time: use, and
/// per baseline week its use and how many hours it was not polled.
struct Prefix {
    v: Vec<f64>,
    weeks: [Vec<f64>; 4],
    missing: [Vec<u32>; 4],
}

impl Prefix {
    fn new(rows: &[Hour]) -> Self {
        let mut p = Prefix {
            v: vec![0.0],
            weeks: Default::default(),
            missing: Default::default(),
        };
        for j in 0..4 {
            p.weeks[j].push(0.0);
            p.missing[j].push(0);
        }
        for r in rows {
            p.v.push(p.v.last().copied().unwrap_or(0.0) + r.1);
            for j in 0..4 {
                let (w, m) = (
                    p.weeks[j].last().copied().unwrap_or(0.0),
                    p.missing[j].last().copied().unwrap_or(0),
                );
                p.weeks[j].push(w + r.2[j].unwrap_or(0.0));
                p.missing[j].push(m + u32::from(r.2[j].is_none()));
            }
        }
        p
    }

    /// Rows `a..=z`: total use, and the mean and standard deviation of the totals of the
    /// baseline weeks polled throughout (`None`: fewer than two such weeks).
    fn stats(&self, a: usize, z: usize) -> Option<(f64, f64, f64)> {
        let v = self.v[z + 1] - self.v[a];
        let totals: Vec<f64> = (0..4)
            .filter(|&j| self.missing[j][z + 1] == self.missing[j][a])
            .map(|j| self.weeks[j][z + 1] - self.weeks[j][a])
            .collect();
        if totals.len() < 2 {
            return None;
        }
        let n = totals.len() as f64;
        let mean = totals.iter().sum::<f64>() / n;
        let var = totals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        Some((v, mean, var.sqrt()))
    }
}

fn unusual(rule: &Rule, data: &Data, now: NaiveDateTime) -> Vec<Firing> {
    let threshold = threshold(rule);
    let hour = TimeDelta::hours(1);
    let k = rule
        .window
        .as_deref()
        .and_then(parse_duration)
        .map_or(1, |w| w.num_hours().max(1)) as usize;
    let mut out = Vec::new();
    for ((server, feature), rows) in &data.hourly {
        if !rule.covers(server, Some(feature)) {
            continue;
        }
        // Every run of `k` consecutive hours whose total use is more than `threshold` % and
        // SIGMAS standard deviations away from the same hours' totals in the weeks before.
        let prefix = Prefix::new(rows);
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for i in (k - 1)..rows.len() {
            let a = i + 1 - k;
            if rows[i].0 - rows[a].0 != hour * (k as i32 - 1) {
                continue;
            }
            let Some((v, mean, sd)) = prefix.stats(a, i) else {
                continue;
            };
            let dev = (v - mean).abs();
            let kf = k as f64;
            if mean < kf * MIN_BASELINE
                || dev < kf * MIN_CHANGE
                || dev <= threshold / 100.0 * mean
                || dev <= SIGMAS * sd
            {
                continue;
            }
            match spans.last_mut() {
                Some(last) if last.1 + 1 >= i + 1 - k => last.1 = i,
                _ => spans.push((i + 1 - k, i)),
            }
        }
        let data_end = rows.last().map(|r| r.0 + hour);
        for (a, z) in spans {
            let (v, mean, _) = prefix.stats(a, z).unwrap_or_default();
            let hours = (z + 1 - a) as f64;
            let (v, b) = (v / hours, mean / hours);
            let (since, end) = (rows[a].0, rows[z].0 + hour);
            let until = (Some(end) != data_end || end < now).then_some(end);
            let (subject, filters) = on_feature(server, feature);
            out.push(Firing {
                subject,
                since,
                until,
                evidence: format!(
                    "{v:.1} in use on average against {b:.1} usual for these hours of the week ({:+.0} %) for {}",
                    if b > 0.0 { 100.0 * (v - b) / b } else { 0.0 },
                    span(since, end)
                ),
                filters,
            });
        }
    }
    out
}

fn budget(rule: &Rule, data: &Data) -> Vec<Firing> {
    let share = threshold(rule) / 100.0;
    let mut out = Vec::new();
    for ((kind, id, name), (amount, first, last)) in &data.budgets {
        if !rule.covers_budget(kind, id) || *amount <= 0.0 {
            continue;
        }
        let Some(days) = data.spend.get(&(kind.clone(), id.clone())) else {
            continue;
        };
        let length = ((*last - *first).num_days() + 1).max(1) as f64;
        // Cumulative spend and its projection to the budget's last day, day by day.
        let mut total = 0.0;
        let mut steps: Vec<(NaiveDateTime, (bool, f64, f64))> = Vec::new();
        for (d, cost) in days.iter().filter(|(d, _)| d >= first && d <= last) {
            total += cost;
            let elapsed = ((*d - *first).num_days() + 1) as f64;
            let projected = total * length / elapsed;
            let over = total >= share * amount || (rule.projected && projected >= share * amount);
            steps.push((midnight(*d), (over, total, projected)));
        }
        let Some(&(last_day, _)) = steps.last() else {
            continue;
        };
        let end = last_day + TimeDelta::days(1);
        for (s, e) in sustained(&steps, end, TimeDelta::zero(), |(over, ..)| over) {
            let at = steps
                .iter()
                .rev()
                .find(|(t, _)| e.is_none_or(|e| *t < e))
                .map_or((false, 0.0, 0.0), |x| x.1);
            let (_, spent, projected) = at;
            let pct = |x: f64| 100.0 * x / amount;
            out.push(Firing {
                subject: format!("{kind} {name}"),
                since: s,
                until: e,
                evidence: format!(
                    "spent {spent:.0} of its {amount:.0} budget ({:.0} %), projected {projected:.0} ({:.0} %) by {last}",
                    pct(spent),
                    pct(projected)
                ),
                filters: vec![(kind.clone(), id.clone())],
            });
        }
    }
    out
}

/// A duration in words: `3 d 4 h`, `2 h 5 min`, `7 min`.
fn span(a: NaiveDateTime, b: NaiveDateTime) -> String {
    crate::format::duration((b - a).num_seconds().max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 20)
            .and_then(|d| d.and_hms_opt(h, m, 0))
            .expect("time")
    }

    fn rule(kind: Kind, threshold: Option<f64>, window: Option<&str>, days: Option<u32>) -> Rule {
        Rule {
            severity: Severity::Critical,
            threshold,
            window: window.map(str::to_owned),
            days,
            ..Rule::new(&format!("{kind:?}"), kind)
        }
    }

    fn data_now(now: NaiveDateTime) -> Data {
        Data {
            now: Some(now),
            newest: Some(now),
            ..Data::default()
        }
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("5m"), Some(TimeDelta::minutes(5)));
        assert_eq!(parse_duration("2h"), Some(TimeDelta::hours(2)));
        assert_eq!(parse_duration("7d"), Some(TimeDelta::days(7)));
        assert_eq!(parse_duration("90s"), Some(TimeDelta::seconds(90)));
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(parse_duration("-5m"), None);
        assert_eq!(parse_duration("5 weeks"), None);
    }

    #[test]
    fn sustained_needs_the_whole_duration() {
        let pts = [
            (t(9, 0), 50.0),
            (t(9, 10), 97.0),
            (t(9, 13), 60.0),
            (t(9, 20), 99.0),
        ];
        // 97 % for 3 minutes is too short; 99 % from 9:20 to the end (9:30) is 10 minutes.
        let got = sustained(&pts, t(9, 30), TimeDelta::minutes(5), |p| p >= 95.0);
        assert_eq!(got, vec![(t(9, 20), None)]);
        let got = sustained(&pts, t(9, 30), TimeDelta::minutes(2), |p| p >= 95.0);
        assert_eq!(got, vec![(t(9, 10), Some(t(9, 13))), (t(9, 20), None)]);
    }

    #[test]
    fn utilization_fires_on_a_planted_shortage_only() {
        let mut d = data_now(t(12, 0));
        d.features.insert(
            ("s".into(), "CAD".into()),
            vec![
                (t(9, 0), 5.0, 10.0),
                (t(10, 0), 10.0, 10.0),
                (t(10, 30), 6.0, 10.0),
            ],
        );
        d.features
            .insert(("s".into(), "OTHER".into()), vec![(t(9, 0), 9.0, 10.0)]);
        let r = rule(Kind::Utilization, Some(95.0), Some("5m"), None);
        let (alerts, errors) = evaluate(std::slice::from_ref(&r), &d, t(12, 0));
        assert!(errors.is_empty());
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].subject, "CAD on s");
        assert_eq!(
            (alerts[0].since, alerts[0].until),
            (t(10, 0), Some(t(10, 30)))
        );
        assert!(
            alerts[0].evidence.contains("peak 100 %"),
            "{}",
            alerts[0].evidence
        );
        // Scoped to another feature: nothing.
        let scoped = Rule {
            features: vec!["OTHER".into()],
            ..r
        };
        assert!(evaluate(&[scoped], &d, t(12, 0)).0.is_empty());
    }

    #[test]
    fn denials_fire_when_n_fall_in_the_window() {
        let times = [t(9, 0), t(9, 1), t(9, 2), t(11, 0), t(11, 30)];
        assert_eq!(
            bursts(&times, 3, TimeDelta::minutes(10)),
            vec![(t(9, 2), t(9, 10))]
        );
        assert!(bursts(&times, 4, TimeDelta::minutes(10)).is_empty());
        let mut d = data_now(t(12, 0));
        d.denials = times
            .iter()
            .map(|x| ("s".into(), "CAD".into(), *x))
            .collect();
        let (alerts, _) = evaluate(
            &[rule(Kind::Denials, Some(3.0), Some("10m"), None)],
            &d,
            t(12, 0),
        );
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].until, Some(t(9, 10)));
        assert!(
            alerts[0].evidence.starts_with("3 denials"),
            "{}",
            alerts[0].evidence
        );
    }

    #[test]
    fn expiry_down_daemon_and_stale() {
        let mut d = data_now(t(12, 0));
        let day = |n: i64| t(0, 0).date() + TimeDelta::days(n);
        d.expiries = vec![
            ("s".into(), "SOON".into(), 5.0, day(20)),
            ("s".into(), "LATER".into(), 5.0, day(200)),
        ];
        d.runs = vec![
            ("a".into(), t(8, 0), t(9, 0), true),
            ("a".into(), t(9, 5), t(11, 0), false),
            ("a".into(), t(11, 5), t(12, 0), true),
            ("b".into(), t(8, 0), t(11, 0), true),
            ("b".into(), t(11, 50), t(12, 0), false),
        ];
        d.daemons.insert(
            ("a".into(), "snps".into()),
            vec![(t(8, 0), true), (t(9, 0), false), (t(10, 0), true)],
        );
        let rules = [
            rule(Kind::Expiry, None, None, Some(30)),
            rule(Kind::Down, None, Some("30m"), None),
            rule(Kind::DaemonDown, None, Some("15m"), None),
            rule(Kind::Stale, None, Some("1h"), None),
        ];
        let (alerts, errors) = evaluate(&rules, &d, t(12, 30));
        assert!(errors.is_empty(), "{errors:?}");
        let subjects: Vec<(Kind, &str)> = alerts
            .iter()
            .map(|a| (a.kind, a.subject.as_str()))
            .collect();
        assert!(subjects.contains(&(Kind::Expiry, "SOON on s")));
        assert!(!subjects.iter().any(|s| s.1 == "LATER on s"));
        // Server a was down 9:05–11:05 (2 h); b only 10 minutes so far.
        let down: Vec<&Alert> = alerts.iter().filter(|a| a.kind == Kind::Down).collect();
        assert_eq!(down.len(), 1);
        assert_eq!((down[0].since, down[0].until), (t(9, 5), Some(t(11, 5))));
        assert!(subjects.contains(&(Kind::DaemonDown, "snps on a")));
        // The clock is 30 minutes past the newest poll: not stale for a 1 h rule.
        assert!(!subjects.iter().any(|s| s.0 == Kind::Stale));
        let (alerts, _) = evaluate(&rules, &d, t(14, 0));
        assert!(alerts.iter().any(|a| a.kind == Kind::Stale));
    }

    #[test]
    fn idle_needs_days_in_a_row() {
        let mut d = data_now(t(12, 0));
        let day = |n: i64| t(0, 0).date() - TimeDelta::days(10) + TimeDelta::days(n);
        let rows: Vec<(NaiveDate, f64, f64)> = (0..10)
            .map(|n| (day(n), if n >= 3 { 1.0 } else { 8.0 }, 20.0))
            .collect();
        d.daily.insert(("s".into(), "IDLE".into()), rows);
        let (alerts, _) = evaluate(&[rule(Kind::Idle, Some(10.0), None, Some(7))], &d, t(12, 0));
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].since, day(3).and_hms_opt(0, 0, 0).expect("t"));
        assert_eq!(alerts[0].until, None);
        let (alerts, _) = evaluate(&[rule(Kind::Idle, Some(10.0), None, Some(8))], &d, t(12, 0));
        assert!(alerts.is_empty());
    }

    #[test]
    fn unusual_compares_with_the_same_hours_of_the_week() {
        let mut d = data_now(t(12, 0));
        let usual = [Some(9.0), Some(10.0), Some(11.0), Some(10.0)];
        // Usual 10 in use (9 to 11 in the four weeks before); 9:00 and 10:00 at 15; 11:00 at 12.
        let rows: Vec<Hour> = [(8, 10.0), (9, 15.0), (10, 15.0), (11, 12.0)]
            .into_iter()
            .map(|(h, v)| (t(h, 0), v, usual))
            .collect();
        d.hourly.insert(("s".into(), "CAD".into()), rows.clone());
        // A tiny baseline, one week of history, or weeks that vary as much: never unusual.
        let tiny: Vec<Hour> = rows.iter().map(|r| (r.0, 5.0, [Some(0.5); 4])).collect();
        d.hourly.insert(("s".into(), "TINY".into()), tiny);
        let young: Vec<Hour> = rows
            .iter()
            .map(|r| (r.0, 50.0, [Some(10.0), None, None, None]))
            .collect();
        d.hourly.insert(("s".into(), "NEW".into()), young);
        let noisy: Vec<Hour> = rows
            .iter()
            .map(|r| (r.0, 20.0, [Some(2.0), Some(18.0), Some(5.0), Some(15.0)]))
            .collect();
        d.hourly.insert(("s".into(), "NOISY".into()), noisy);
        // Two-hour windows: 8–10 h +25 %, 9–11 h +50 %, 10–12 h +35 %.
        let r = rule(Kind::Unusual, Some(40.0), Some("2h"), None);
        let (alerts, _) = evaluate(std::slice::from_ref(&r), &d, t(12, 0));
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].subject, "CAD on s");
        assert_eq!(
            (alerts[0].since, alerts[0].until),
            (t(9, 0), Some(t(11, 0)))
        );
        assert!(
            alerts[0].evidence.contains("(+50 %)"),
            "{}",
            alerts[0].evidence
        );
        // Three hours: 8–11 h +33 %, 9–12 h +40 %, neither more than 40 %.
        let longer = Rule {
            window: Some("3h".into()),
            ..r.clone()
        };
        assert!(evaluate(&[longer], &d, t(12, 0)).0.is_empty());
        // A drop counts as well: 30 % lower with a 15 % threshold, still on at the end; 20 %
        // lower is within three standard deviations of these weeks (0.82 each).
        d.hourly
            .insert(("s".into(), "CAD".into()), vec![(t(11, 0), 7.0, usual)]);
        let low = Rule {
            threshold: Some(15.0),
            window: Some("1h".into()),
            ..r
        };
        let (alerts, _) = evaluate(std::slice::from_ref(&low), &d, t(12, 0));
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert!(
            alerts[0].evidence.contains("(-30 %)"),
            "{}",
            alerts[0].evidence
        );
        assert_eq!(alerts[0].until, None);
        d.hourly
            .insert(("s".into(), "CAD".into()), vec![(t(11, 0), 8.0, usual)]);
        assert!(evaluate(&[low], &d, t(12, 0)).0.is_empty());
    }

    #[test]
    fn budget_fires_on_spend_and_on_projection() {
        let mut d = data_now(t(12, 0));
        let day = |m: u32, dd: u32| NaiveDate::from_ymd_opt(2026, m, dd).expect("day");
        d.budgets.insert(
            ("department".into(), "chip".into(), "Chip Design".into()),
            (1000.0, day(1, 1), day(1, 10)),
        );
        d.budgets.insert(
            ("project".into(), "atlas".into(), "Atlas".into()),
            (1000.0, day(1, 1), day(1, 10)),
        );
        // 100 a day: 90 % spent on day 9; at 100 a day the projection is 1,000 from day 1.
        let daily: Vec<(NaiveDate, f64)> = (1..=9).map(|n| (day(1, n), 100.0)).collect();
        d.spend
            .insert(("department".into(), "chip".into()), daily.clone());
        d.spend.insert(("project".into(), "atlas".into()), daily);
        let mut r = rule(Kind::Budget, Some(90.0), None, None);
        r.departments = vec!["chip".into()];
        let (alerts, _) = evaluate(std::slice::from_ref(&r), &d, t(12, 0));
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].subject, "department Chip Design");
        assert_eq!(alerts[0].since, midnight(day(1, 9)));
        assert_eq!(alerts[0].until, None);
        assert!(
            alerts[0]
                .evidence
                .starts_with("spent 900 of its 1000 budget (90 %), projected 1000 (100 %)"),
            "{}",
            alerts[0].evidence
        );
        assert_eq!(
            alerts[0].filters,
            vec![("department".to_owned(), "chip".to_owned())]
        );
        // Projected: fires from the first day; the project is out of this rule's scope.
        r.projected = true;
        let (alerts, _) = evaluate(std::slice::from_ref(&r), &d, t(12, 0));
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].since, midnight(day(1, 1)));
        // No scope: the department and the project.
        let all = Rule {
            departments: Vec::new(),
            ..r
        };
        assert_eq!(evaluate(&[all], &d, t(12, 0)).0.len(), 2);
    }

    #[test]
    fn invalid_rules_say_what_is_missing() {
        let (alerts, errors) = evaluate(
            &[
                rule(Kind::Utilization, None, Some("5m"), None),
                rule(Kind::Denials, Some(3.0), Some("soon"), None),
                rule(Kind::Idle, Some(5.0), None, None),
            ],
            &data_now(t(12, 0)),
            t(12, 0),
        );
        assert!(alerts.is_empty());
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(messages[0].contains("needs `threshold`"), "{messages:?}");
        assert!(
            messages[1].contains("`soon` is not a duration"),
            "{messages:?}"
        );
        assert!(messages[2].contains("needs `days`"), "{messages:?}");
    }

    #[test]
    fn rule_sets_round_trip_through_toml_and_the_url() {
        let mut budget = rule(Kind::Budget, Some(90.0), None, None);
        budget.departments = vec!["chip".into()];
        budget.projected = true;
        let mut off = rule(Kind::Stale, None, Some("2h"), None);
        off.enabled = false;
        let rules = vec![
            budget,
            off,
            rule(Kind::Unusual, Some(25.0), Some("7d"), None),
        ];
        let text = to_toml(&rules);
        assert!(
            text.contains("[[alert]]") && text.contains("projected = true"),
            "{text}"
        );
        assert!(
            !text.contains("features"),
            "empty scopes are left out: {text}"
        );
        #[derive(Deserialize)]
        struct File {
            alert: Vec<Rule>,
        }
        let back: File = toml::from_str(&text).expect("exported TOML reads back");
        assert_eq!(back.alert, rules);
        assert_eq!(from_param(&to_param(&rules)), Ok(rules));
        assert!(from_param("[{\"name\":\"x\"}]").is_err_and(|e| e.contains("kind")));
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.key()), Some(k));
            let json = serde_json::to_string(&k).expect("kind");
            assert_eq!(json, format!("\"{}\"", k.key()));
        }
    }

    #[test]
    fn rules_read_from_toml_and_refuse_unknown_fields() {
        #[derive(Deserialize)]
        struct File {
            alert: Vec<Rule>,
        }
        let f: File = toml::from_str(
            "[[alert]]\nname = \"Shortage\"\nkind = \"utilization\"\nseverity = \"critical\"\nthreshold = 95\nwindow = \"5m\"\nfeatures = [\"MATLAB\"]\n",
        )
        .expect("valid");
        assert_eq!(f.alert[0].kind, Kind::Utilization);
        assert_eq!(f.alert[0].severity, Severity::Critical);
        assert!(f.alert[0].validate().is_ok());
        let bad = toml::from_str::<File>("[[alert]]\nname = \"x\"\nkind = \"utilisation\"\n");
        assert!(bad.is_err());
        let bad =
            toml::from_str::<File>("[[alert]]\nname = \"x\"\nkind = \"stale\"\nwindo = \"1h\"\n");
        assert!(bad.err().is_some_and(|e| e.to_string().contains("windo")));
    }
}
