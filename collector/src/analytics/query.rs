//! Grouped usage queries over the published rollups, shared by the site (wasm), the CLI and
//! the native tests: what usage can be grouped by ([`Dimension`]), what is summed
//! ([`Measure`]), and the SQL for a set of [`Filters`] (the URL state, in
//! [`crate::analytics::filters`]). Dimensions and measures come from fixed lists, and every
//! value a user typed or a URL carried is a bound parameter: nothing from outside is spliced
//! into SQL.

use std::collections::BTreeMap;

use crate::analytics::filters::Filters;
use crate::analytics::prices::{price_joins, COST_SUM};
use chrono::{Datelike, NaiveDate};
use serde_json::{json, Value};

/// What usage can be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    User,
    Team,
    Department,
    CostCenter,
    Cluster,
    Host,
    Feature,
    Server,
    Vendor,
    Day,
    Month,
    Weekday,
    /// Hour of day (UTC), from the sessions split at each hour.
    Hour,
}

impl Dimension {
    pub const ALL: [Dimension; 13] = [
        Dimension::User,
        Dimension::Team,
        Dimension::Department,
        Dimension::CostCenter,
        Dimension::Cluster,
        Dimension::Host,
        Dimension::Feature,
        Dimension::Server,
        Dimension::Vendor,
        Dimension::Day,
        Dimension::Month,
        Dimension::Weekday,
        Dimension::Hour,
    ];

    /// The URL name.
    pub fn key(self) -> &'static str {
        match self {
            Dimension::User => "user",
            Dimension::Team => "team",
            Dimension::Department => "department",
            Dimension::CostCenter => "cost_center",
            Dimension::Cluster => "cluster",
            Dimension::Host => "host",
            Dimension::Feature => "feature",
            Dimension::Server => "server",
            Dimension::Vendor => "vendor",
            Dimension::Day => "day",
            Dimension::Month => "month",
            Dimension::Weekday => "weekday",
            Dimension::Hour => "hour",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Dimension::User => "User",
            Dimension::Team => "Team",
            Dimension::Department => "Department",
            Dimension::CostCenter => "Cost center",
            Dimension::Cluster => "Cluster",
            Dimension::Host => "Host",
            Dimension::Feature => "Feature",
            Dimension::Server => "Server",
            Dimension::Vendor => "Vendor",
            Dimension::Day => "Day",
            Dimension::Month => "Month",
            Dimension::Weekday => "Weekday",
            Dimension::Hour => "Hour (UTC)",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.key() == key)
    }

    /// SQL over [`USAGE_FROM`] (a fixed expression, never user text).
    fn sql(self) -> &'static str {
        match self {
            Dimension::User => "u.user_name",
            Dimension::Team => "coalesce(p.team, 'unassigned')",
            Dimension::Department => "coalesce(p.department, 'unassigned')",
            Dimension::CostCenter => "coalesce(p.cost_center, 'unassigned')",
            Dimension::Cluster => "coalesce(h.cluster, 'unassigned')",
            Dimension::Host => "u.host",
            Dimension::Feature => "u.feature",
            Dimension::Server => "u.server",
            Dimension::Vendor => "coalesce(u.vendor, '')",
            Dimension::Day => "strftime(u.day, '%Y-%m-%d')",
            Dimension::Month => "strftime(u.day, '%Y-%m')",
            Dimension::Weekday => "strftime(u.day, '%u %A')",
            Dimension::Hour => "lpad(hour(u.hr)::VARCHAR, 2, '0')",
        }
    }

    /// The name column, integer id column and naming table of this dimension in the usage
    /// rows (one id per name): grouping and counting on the id is cheaper than on the text.
    fn id(self) -> Option<(&'static str, &'static str, &'static str)> {
        let name = match self {
            Dimension::User => "user_name",
            Dimension::Feature => "feature",
            Dimension::Host => "host",
            _ => return None,
        };
        NAME_IDS.iter().copied().find(|(n, _, _)| *n == name)
    }

    /// Whether this is a time bucket (from the row's time, not its names).
    fn is_time(self) -> bool {
        matches!(
            self,
            Dimension::Day | Dimension::Month | Dimension::Weekday | Dimension::Hour
        )
    }

    /// A time bucket of the timestamp expression `t`, in the same text as [`Self::sql`].
    fn at(self, t: &str) -> String {
        match self {
            Dimension::Day => format!("strftime({t}, '%Y-%m-%d')"),
            Dimension::Month => format!("strftime({t}, '%Y-%m')"),
            Dimension::Weekday => format!("strftime({t}, '%u %A')"),
            Dimension::Hour => format!("lpad(hour({t})::VARCHAR, 2, '0')"),
            other => other.sql().to_owned(),
        }
    }

    /// SQL over `events e` (people and hosts joined as over usage).
    fn on_events(self) -> String {
        match self {
            Dimension::User => "e.user_name".to_owned(),
            Dimension::Host => "e.host".to_owned(),
            Dimension::Feature => "e.feature".to_owned(),
            Dimension::Server => "e.server".to_owned(),
            Dimension::Vendor => "e.daemon".to_owned(),
            d if d.is_time() => d.at("e.ts"),
            d => d.sql().to_owned(),
        }
    }
}

/// What can be measured over usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Measure {
    LicenseHours,
    Hours,
    Sessions,
    Users,
    Features,
    PeakLicenses,
    /// Each group's share of the license-hours of all groups, in percent.
    Share,
    /// License-hours at the org's prices: yearly seat price / 8,760 per license-hour.
    Cost,
    /// The most licenses the group held at once (at checkouts and check-ins in the range).
    PeakConcurrency,
    /// Requests the license servers denied (debug logs' DENIED lines).
    Denials,
}

impl Measure {
    pub const ALL: [Measure; 10] = [
        Measure::LicenseHours,
        Measure::Hours,
        Measure::Sessions,
        Measure::Users,
        Measure::Features,
        Measure::PeakLicenses,
        Measure::Share,
        Measure::Cost,
        Measure::PeakConcurrency,
        Measure::Denials,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Measure::LicenseHours => "license_hours",
            Measure::Hours => "hours",
            Measure::Sessions => "sessions",
            Measure::Users => "users",
            Measure::Features => "features",
            Measure::PeakLicenses => "peak_licenses",
            Measure::Share => "share",
            Measure::Cost => "cost",
            Measure::PeakConcurrency => "peak_concurrency",
            Measure::Denials => "denials",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Measure::LicenseHours => "License-hours",
            Measure::Hours => "Hours",
            Measure::Sessions => "Sessions",
            Measure::Users => "Users",
            Measure::Features => "Features",
            Measure::PeakLicenses => "Largest checkout",
            Measure::Share => "Share %",
            Measure::Cost => "Cost",
            Measure::PeakConcurrency => "Peak concurrency",
            Measure::Denials => "Denials",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.key() == key)
    }

    /// The SQL over usage rows `u` that carry the integer ids of their names.
    fn sql(self) -> &'static str {
        match self {
            Measure::Users => "count(DISTINCT u.user_id)::DOUBLE",
            Measure::Features => "count(DISTINCT u.feature_id)::DOUBLE",
            m => m.sql_by_name(),
        }
    }

    /// The SQL over usage rows `u` with names only (the sessions split at each hour).
    fn sql_by_name(self) -> &'static str {
        match self {
            Measure::LicenseHours => "round(sum(u.license_hours), 2)::DOUBLE",
            Measure::Hours => "round(sum(u.hours), 2)::DOUBLE",
            Measure::Sessions => "sum(u.sessions)::DOUBLE",
            Measure::Users => "count(DISTINCT u.user_name)::DOUBLE",
            Measure::Features => "count(DISTINCT u.feature)::DOUBLE",
            Measure::PeakLicenses => "max(u.peak_licenses)::DOUBLE",
            Measure::Share => {
                "round(100 * sum(u.license_hours) / nullif(sum(sum(u.license_hours)) OVER (), 0), 1)::DOUBLE"
            }
            Measure::Cost => COST_SUM,
            // Computed apart, see `grouped_usage`.
            Measure::PeakConcurrency | Measure::Denials => "NULL::DOUBLE",
        }
    }

    /// Whether it is an aggregate of the usage rows (the others have their own source).
    fn over_usage(self) -> bool {
        !matches!(self, Measure::PeakConcurrency | Measure::Denials)
    }
}

/// Per-user daily usage joined to the org tables: the relation the grouped queries read.
pub const USAGE_FROM: &str = "user_daily u
    LEFT JOIN org_people p ON p.user_name = u.user_name
    LEFT JOIN org_hosts h ON h.host = u.host";

/// `WHERE` clause and its parameters for `filters` over [`USAGE_FROM`], the date range
/// already resolved.
pub fn usage_where(filters: &Filters, from: NaiveDate, to: NaiveDate) -> (String, Vec<Value>) {
    let (mut clauses, mut params) = name_filters(filters, false);
    clauses.insert(0, "u.day BETWEEN ?::DATE AND ?::DATE".to_owned());
    params.splice(0..0, [json!(from.to_string()), json!(to.to_string())]);
    (clauses.join(" AND "), params)
}

/// Conditions for every filter but the dates, over usage-shaped rows `u` (or, with
/// `events`, over `events e`), people `p` and hosts `h`.
fn name_filters(filters: &Filters, events: bool) -> (Vec<String>, Vec<Value>) {
    let (mut clauses, mut params) = row_filters(filters, events);
    let (org, org_params) = org_filters(filters);
    clauses.extend(org);
    params.extend(org_params);
    (clauses, params)
}

/// `column = ?` for each filter that is set.
fn equalities(pairs: &[(&str, &Option<String>)]) -> (Vec<String>, Vec<Value>) {
    pairs
        .iter()
        .filter_map(|(sql, value)| value.as_ref().map(|v| (format!("{sql} = ?"), json!(v))))
        .unzip()
}

/// The filters on the rows' own columns: server, vendor, feature and user.
fn row_filters(filters: &Filters, events: bool) -> (Vec<String>, Vec<Value>) {
    let (server, vendor, feature, user) = if events {
        ("e.server", "e.daemon", "e.feature", "e.user_name")
    } else {
        ("u.server", "u.vendor", "u.feature", "u.user_name")
    };
    equalities(&[
        (server, &filters.server),
        (vendor, &filters.vendor),
        (feature, &filters.feature),
        (user, &filters.user),
    ])
}

/// The filters on the org file's columns: department, team (people `p`) and cluster
/// (hosts `h`).
fn org_filters(filters: &Filters) -> (Vec<String>, Vec<Value>) {
    equalities(&[
        (Dimension::Department.sql(), &filters.department),
        (Dimension::Team.sql(), &filters.team),
        (Dimension::Cluster.sql(), &filters.cluster),
    ])
}

/// Usage rows `u` for a grouped query: the relation, the `WHERE` condition over it and
/// their parameters in order (see [`usage_rollup`]).
pub(crate) struct UsageSource {
    pub relation: String,
    pub condition: String,
    pub params: Vec<Value>,
    /// One summed row per user, each user's distinct features counted in it.
    per_user: bool,
    /// One summed row per group (a feature, a day), its distinct users counted in it.
    per_group_users: bool,
    /// Whether the rows carry the ids of their names ([`Dimension::id`]).
    ids: bool,
}

impl UsageSource {
    /// The SQL of measure `m` over these rows.
    fn measure(&self, m: Measure) -> &'static str {
        match m {
            Measure::Features if self.per_user => "max(u.features)::DOUBLE",
            Measure::Users if self.per_group_users => "max(u.users)::DOUBLE",
            m if self.ids => m.sql(),
            m => m.sql_by_name(),
        }
    }

    /// `dims` over these rows as group keys `k0`, `k1`, … (a named dimension by its id),
    /// and, over the groups `g`, the dimensions' values (each id named from its table) and
    /// the joins that name them.
    fn grouping(&self, dims: &[Dimension]) -> (Vec<String>, Vec<String>, String) {
        let mut keys = Vec::new();
        let mut values = Vec::new();
        let mut joins = String::new();
        for (i, d) in dims.iter().enumerate() {
            match d.id().filter(|_| self.ids) {
                Some((name, id, table)) => {
                    keys.push(format!("u.{id} AS k{i}"));
                    values.push(format!("n{i}.{name}"));
                    joins.push_str(&format!(" LEFT JOIN {table} n{i} ON n{i}.{id} = g.k{i}"));
                }
                None => {
                    keys.push(format!("{} AS k{i}", d.sql()));
                    values.push(format!("g.k{i}"));
                }
            }
        }
        (keys, values, joins)
    }
}

/// The named columns of the usage rows, their integer ids and the tables that name them.
const NAME_IDS: [(&str, &str, &str); 3] = [
    ("user_name", "user_id", "user_names"),
    ("feature", "feature_id", "feature_names"),
    ("host", "host_id", "host_names"),
];

/// `user_daily` over the range summed per user and per column the `dims`, `measures` and
/// filters need, as `u`, then joined to people `p` and hosts `h` as needed: the joins,
/// distinct counts and time labels then run over thousands of rows, not millions. (Without
/// org columns or a month or weekday to label, summing first gains nothing: the rows stay.)
pub(crate) fn usage_rollup(
    filters: &Filters,
    from: NaiveDate,
    to: NaiveDate,
    dims: &[Dimension],
    measures: &[Measure],
) -> UsageSource {
    let has = |d: Dimension| dims.contains(&d);
    let people = filters.department.is_some()
        || filters.team.is_some()
        || has(Dimension::Team)
        || has(Dimension::Department)
        || has(Dimension::CostCenter);
    let cluster = filters.cluster.is_some() || has(Dimension::Cluster);
    // The day, or one stand-in day per month or per weekday (2024-01-01 was a Monday), so
    // the labels of [`Dimension::sql`] come out the same from far fewer rows.
    let (day, bucketed) =
        if has(Dimension::Day) || (has(Dimension::Month) && has(Dimension::Weekday)) {
            (Some("u.day"), false)
        } else if has(Dimension::Month) {
            (Some("date_trunc('month', u.day)::DATE"), true)
        } else if has(Dimension::Weekday) {
            (
                Some("DATE '2024-01-01' + (isodow(u.day) - 1)::INTEGER"),
                true,
            )
        } else {
            (None, false)
        };
    let mut keys: BTreeMap<&str, &str> = BTreeMap::new();
    if people || has(Dimension::User) || measures.contains(&Measure::Users) {
        keys.insert("user_name", "u.user_name");
    }
    if cluster || has(Dimension::Host) {
        keys.insert("host", "u.host");
    }
    if let Some(day) = day {
        keys.insert("day", day);
    }
    if has(Dimension::Feature) {
        keys.insert("feature", "u.feature");
    }
    if has(Dimension::Server) {
        keys.insert("server", "u.server");
    }
    if has(Dimension::Vendor) {
        keys.insert("vendor", "u.vendor");
    }
    if measures.contains(&Measure::Cost) {
        keys.insert("feature", "u.feature");
        keys.insert("vendor", "u.vendor");
    }
    // Groups of one user each (by user, and maybe their team, department, cost center): the
    // sums per user are the groups' rows, and can count each user's features themselves.
    let per_user = has(Dimension::User) && keys.keys().eq(["user_name"].iter());
    let mut sums = String::new();
    if measures.contains(&Measure::Features) {
        if per_user {
            sums.push_str(", count(DISTINCT u.feature_id) AS features");
        } else {
            keys.insert("feature", "u.feature");
        }
    }
    let (mut rows, mut params) = row_filters(filters, false);
    rows.insert(0, "u.day BETWEEN ?::DATE AND ?::DATE".to_owned());
    params.splice(0..0, [json!(from.to_string()), json!(to.to_string())]);
    let (org, org_params) = org_filters(filters);
    params.extend(org_params);
    // Whole months from their monthly sums, unless a day or weekday is to be told; from the
    // sums per person when nothing but the person (and the month) is needed.
    let monthly = !(has(Dimension::Day) || has(Dimension::Weekday));
    let any_server = filters.server.is_none() && filters.vendor.is_none();
    let person_only = keys.keys().all(|k| matches!(*k, "user_name" | "day"))
        && sums.is_empty()
        && any_server
        && filters.feature.is_none();
    let pairs_only = keys
        .keys()
        .all(|k| matches!(*k, "user_name" | "feature" | "day"))
        && any_server;
    // Each user's features counted from the lists of the months' sums per person; each
    // feature's users from the lists of its months' sums.
    let lists = per_user && !sums.is_empty() && any_server && filters.feature.is_none();
    let per_feature = has(Dimension::Feature)
        && !people
        && !has(Dimension::User)
        && measures.contains(&Measure::Users)
        && keys.keys().eq(["feature", "user_name"].iter())
        && any_server
        && filters.user.is_none();
    // Each day's (or weekday's, month's) users from the lists of the days' sums.
    let per_day = !people
        && !has(Dimension::User)
        && measures.contains(&Measure::Users)
        && keys.keys().eq(["day", "user_name"].iter())
        && any_server
        && filters.user.is_none()
        && filters.feature.is_none();
    let (days, days_params) = usage_rows(
        from,
        to,
        match (monthly, person_only, pairs_only) {
            _ if lists => Rows::PersonMonthlyFeatures,
            _ if per_feature => Rows::FeatureMonthlyUsers,
            _ if per_day => Rows::DailyUsers,
            (false, true, _) => Rows::PersonDaily,
            (false, false, _) => Rows::Daily,
            (true, true, _) => Rows::PersonMonthly,
            (true, false, true) => Rows::PersonFeatureMonthly,
            (true, false, false) => Rows::Monthly,
        },
    );
    params.splice(0..0, days_params);
    let mut joins = String::new();
    if people {
        joins.push_str("\n    LEFT JOIN org_people p ON p.user_name = u.user_name");
    }
    if cluster {
        joins.push_str("\n    LEFT JOIN org_hosts h ON h.host = u.host");
    }
    // Summing first gains nothing without org columns or a month or weekday to label, and
    // little when the sums keep both feature and host (most rows stay).
    let gains = lists
        || per_feature
        || per_day
        || ((people || cluster || bucketed)
            && !(keys.contains_key("feature") && keys.contains_key("host")));
    if !gains {
        rows.extend(org);
        return UsageSource {
            relation: format!("{days} u{joins}"),
            condition: rows.join(" AND "),
            params,
            per_user: false,
            per_group_users: false,
            ids: true,
        };
    }
    // Summed by the ids of names, then named from their tables (far cheaper than carrying
    // the text through the sums).
    let mut grouped = String::new();
    let mut named = String::new();
    for (name, sql) in &keys {
        match NAME_IDS.iter().find(|(n, _, _)| n == name) {
            Some((_, id, table)) => {
                grouped.push_str(&format!("u.{id} AS {id}, "));
                named.push_str(&format!(" LEFT JOIN {table} USING ({id})"));
            }
            None => grouped.push_str(&format!("{sql} AS {name}, ")),
        }
    }
    // (the group's key, as a column of the rows `r`; the list; its items; their count)
    let day_key = format!(
        "{} AS day, license_hours, hours, sessions, peak_licenses, user_ids",
        keys.get("day").unwrap_or(&"u.day")
    );
    let listed = if lists {
        Some(("user_id", "u.*", "feature_ids", "feature_id", "features"))
    } else if per_feature {
        Some(("feature_id", "u.*", "user_ids", "user_id", "users"))
    } else if per_day {
        Some(("day", day_key.as_str(), "user_ids", "user_id", "users"))
    } else {
        None
    };
    let relation = if let Some((id, columns, list, item, count)) = listed {
        // The sums and the distinct count apart: a distinct count beside sums costs more
        // than both.
        let named: String = NAME_IDS
            .iter()
            .filter(|(_, i, _)| *i == id)
            .map(|(_, _, table)| format!(" LEFT JOIN {table} USING ({id})"))
            .collect();
        format!(
            "(WITH r AS (SELECT {columns} FROM {days} u WHERE {}),
                   s AS (SELECT {id}, sum(license_hours) AS license_hours,
                                sum(hours) AS hours, sum(sessions) AS sessions,
                                max(peak_licenses) AS peak_licenses
                         FROM r GROUP BY 1),
                   c AS (SELECT {id}, count(DISTINCT {item}) AS {count}
                         FROM (SELECT {id}, unnest({list}) AS {item} FROM r)
                         GROUP BY 1)
              SELECT * FROM s JOIN c USING ({id}){named}) u{joins}",
            rows.join(" AND "),
        )
    } else {
        format!(
            "(SELECT * FROM (SELECT {grouped}sum(u.license_hours) AS license_hours,
                     sum(u.hours) AS hours, sum(u.sessions) AS sessions,
                     max(u.peak_licenses) AS peak_licenses{sums}
              FROM {days} u WHERE {}{}){named}) u{joins}",
            rows.join(" AND "),
            group_by(keys.len())
        )
    };
    let condition = if org.is_empty() {
        "true".to_owned()
    } else {
        org.join(" AND ")
    };
    UsageSource {
        relation,
        condition,
        params,
        per_user,
        per_group_users: per_feature || per_day,
        ids: true,
    }
}

/// The sums every usage row carries.
const SUMS: &str = "license_hours, hours, sessions, peak_licenses";

impl Rows {
    /// The table whose rows are every day's (for the kinds read day by day).
    fn daily(self) -> &'static str {
        match self {
            Rows::PersonDaily => "person_daily",
            Rows::DailyUsers => "daily_users",
            _ => "user_daily",
        }
    }

    /// For the kinds read from monthly sums: the table of whole months, its columns after
    /// `month AS day`, and the same columns of `user_daily` (the days at the range's ends).
    fn monthly(self) -> Option<(&'static str, String, String)> {
        let same = |table, columns: String| Some((table, columns.clone(), columns));
        match self {
            Rows::Daily | Rows::PersonDaily | Rows::DailyUsers => None,
            Rows::Monthly => same(
                "user_monthly",
                format!("server, vendor, feature, user_name, host, {SUMS}, user_id, feature_id, host_id"),
            ),
            Rows::PersonMonthly => same("person_monthly", format!("user_name, user_id, {SUMS}")),
            Rows::PersonFeatureMonthly => same(
                "person_feature_monthly",
                format!("feature, user_name, {SUMS}, user_id, feature_id"),
            ),
            Rows::PersonMonthlyFeatures => Some((
                "person_monthly",
                format!("user_name, user_id, {SUMS}, feature_ids"),
                format!("user_name, user_id, {SUMS}, [feature_id] AS feature_ids"),
            )),
            Rows::FeatureMonthlyUsers => Some((
                "feature_monthly",
                format!("feature, feature_id, {SUMS}, user_ids"),
                format!("feature, feature_id, {SUMS}, [user_id] AS user_ids"),
            )),
        }
    }
}

/// Which rows hold a range's whole months (see [`usage_rows`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rows {
    /// `user_daily`: a day or weekday is told.
    Daily,
    /// `user_monthly`: month × server × feature × user × host.
    Monthly,
    /// `person_monthly`: month × user (no server, vendor, feature or host column).
    PersonMonthly,
    /// `person_daily`: day × user, for every day (no server, vendor, feature or host).
    PersonDaily,
    /// `person_feature_monthly`: month × feature × user (no server, vendor or host).
    PersonFeatureMonthly,
    /// `person_monthly` with each month's list of the person's features (`feature_ids`;
    /// a day's row lists its one feature).
    PersonMonthlyFeatures,
    /// `feature_monthly`: month × feature, with the list of its users (`user_ids`; a day's
    /// row lists its one user).
    FeatureMonthlyUsers,
    /// `daily_users`: one row per day, with the list of its users.
    DailyUsers,
}

/// The usage rows of the days `[from, to]`, as a relation to alias, and its parameters:
/// unless `rows` is daily, the months wholly inside the range come from their monthly sums
/// (one row per month and key, `day` its first day) and only the days of the months at its
/// ends from `user_daily`; otherwise `user_daily` (or `person_daily`) alone. The caller
/// still bounds `day` to the range.
fn usage_rows(from: NaiveDate, to: NaiveDate, rows: Rows) -> (String, Vec<Value>) {
    let month_start = |d: NaiveDate| d.with_day(1).unwrap_or(d);
    let first = if from.day() == 1 {
        from
    } else {
        month_start(from)
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(from)
    };
    let after_to = to.succ_opt().unwrap_or(to);
    let last_end = if after_to.day() == 1 {
        to
    } else {
        month_start(to).pred_opt().unwrap_or(to)
    };
    let Some((table, columns, daily)) = rows.monthly() else {
        return (rows.daily().to_owned(), Vec::new());
    };
    if first > last_end || first < from {
        return (format!("(SELECT day, {daily} FROM user_daily)"), Vec::new());
    }
    let relation = format!(
        "(SELECT month AS day, {columns} FROM {table} WHERE month BETWEEN ?::DATE AND ?::DATE
         UNION ALL
         SELECT day, {daily} FROM user_daily WHERE day NOT BETWEEN ?::DATE AND ?::DATE)"
    );
    let text = |d: NaiveDate| json!(d.to_string());
    (
        relation,
        vec![
            text(first),
            text(month_start(last_end)),
            text(first),
            text(last_end),
        ],
    )
}

/// ` GROUP BY 1, …, n` (nothing when `n` is 0).
fn group_by(n: usize) -> String {
    if n == 0 {
        return String::new();
    }
    let columns: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
    format!(" GROUP BY {}", columns.join(", "))
}

/// How a grouped query's rows are sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// By the first measure, largest first (then the dimensions).
    Largest,
    /// By the dimensions, in order (time series).
    Dimensions,
}

impl Order {
    /// The `ORDER BY` list for `dims` dimension columns followed by measures.
    fn columns(self, dims: usize, has_measures: bool) -> String {
        let dims_order = (1..=dims.max(1)).map(|i| i.to_string());
        match self {
            Order::Largest if has_measures => {
                std::iter::once(format!("{} DESC NULLS LAST", dims + 1))
                    .chain((1..=dims).map(|i| i.to_string()))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
            _ => dims_order.collect::<Vec<_>>().join(", "),
        }
    }
}

/// A grouped usage query: one row per combination of `dims`, with `measures`, sorted by
/// the first measure (largest first), at most `limit` rows.
pub fn grouped_usage(
    filters: &Filters,
    from: NaiveDate,
    to: NaiveDate,
    dims: &[Dimension],
    measures: &[Measure],
    limit: usize,
) -> (String, Vec<Value>) {
    grouped_usage_in(filters, from, to, dims, measures, limit, Order::Largest)
}

/// [`grouped_usage`], its rows sorted as `order` says.
pub fn grouped_usage_in(
    filters: &Filters,
    from: NaiveDate,
    to: NaiveDate,
    dims: &[Dimension],
    measures: &[Measure],
    limit: usize,
    order: Order,
) -> (String, Vec<Value>) {
    if dims.contains(&Dimension::Hour) || measures.iter().any(|m| !m.over_usage()) {
        return grouped_general(filters, from, to, dims, measures, limit, order);
    }
    let source = usage_rollup(filters, from, to, dims, measures);
    // Grouped by ids and then named: the text of a name is read once per group.
    let (mut inner, mut outer, names) = source.grouping(dims);
    for (j, m) in measures.iter().enumerate() {
        inner.push(format!("{} AS m{j}", source.measure(*m)));
        outer.push(format!("g.m{j}"));
    }
    let order = order.columns(dims.len(), !measures.is_empty());
    (
        format!(
            "SELECT {} FROM (SELECT {} FROM {}{prices} WHERE {}{}) g{names}
             ORDER BY {order} LIMIT {limit}",
            outer.join(", "),
            inner.join(", "),
            source.relation,
            source.condition,
            group_by(dims.len()),
            prices = if measures.contains(&Measure::Cost) {
                price_joins("u")
            } else {
                String::new()
            }
        ),
        source.params,
    )
}

/// Sessions overlapping the days `[?, ?]` as spans `s`–`e`, counted as `user_daily` counts
/// them (from `first_seen` when lmstat's start lies more than a day before it).
const SPANS: &str = "spans AS (
    SELECT * FROM (
        SELECT server, vendor, feature, user_name, host, licenses,
               CASE WHEN started_at >= first_seen - INTERVAL 1 DAY THEN started_at
                    ELSE first_seen END AS s,
               coalesce(ended_at, last_seen) AS e
        FROM sessions)
    WHERE e >= s AND e >= ?::DATE AND s < ?::DATE + INTERVAL 1 DAY)";

/// The spans split at each hour, in the shape of `user_daily` plus the hour `hr`.
const SPAN_HOURS: &str = "span_hours AS (
    SELECT server, vendor, feature, user_name, host, hr::DATE AS day, hr,
           licenses * epoch(least(e, hr + INTERVAL 1 HOUR) - greatest(s, hr)) / 3600.0 AS license_hours,
           epoch(least(e, hr + INTERVAL 1 HOUR) - greatest(s, hr)) / 3600.0 AS hours,
           (s >= hr)::INTEGER AS sessions, licenses AS peak_licenses
    FROM (SELECT *, unnest(generate_series(date_trunc('hour', s), date_trunc('hour', e),
                                           INTERVAL 1 HOUR)) AS hr FROM spans))";

const ORG_JOINS: &str = "LEFT JOIN org_people p ON p.user_name = u.user_name
    LEFT JOIN org_hosts h ON h.host = u.host";

/// [`grouped_usage`] with the hour of day, peak concurrency or denials: each source
/// grouped apart (usage by day or by hour; sessions swept in time order; denials), then
/// joined on the group's names so a group seen by one source only still shows.
fn grouped_general(
    filters: &Filters,
    from: NaiveDate,
    to: NaiveDate,
    dims: &[Dimension],
    measures: &[Measure],
    limit: usize,
    order: Order,
) -> (String, Vec<Value>) {
    let range = || vec![json!(from.to_string()), json!(to.to_string())];
    let hourly = dims.contains(&Dimension::Hour);
    let peak = measures.contains(&Measure::PeakConcurrency);
    let usage: Vec<Measure> = measures
        .iter()
        .copied()
        .filter(|m| m.over_usage())
        .collect();
    let keys: Vec<String> = (0..dims.len()).map(|i| format!("k{i}")).collect();
    let named = |exprs: Vec<String>| -> Vec<String> {
        exprs
            .into_iter()
            .zip(&keys)
            .map(|(e, k)| format!("{e} AS {k}"))
            .collect()
    };
    let mut ctes: Vec<String> = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    // (name, measure column per requested measure)
    let mut parts: Vec<&str> = Vec::new();
    if hourly || peak {
        ctes.push(SPANS.to_owned());
        params.extend(range());
    }
    if hourly && !usage.is_empty() {
        ctes.push(SPAN_HOURS.to_owned());
    }
    if !usage.is_empty() {
        let source = if hourly {
            let (condition, params) = usage_where(filters, from, to);
            UsageSource {
                relation: format!("span_hours u {ORG_JOINS}"),
                condition,
                params,
                per_user: false,
                per_group_users: false,
                ids: false,
            }
        } else {
            usage_rollup(filters, from, to, dims, &usage)
        };
        let prices = if usage.contains(&Measure::Cost) {
            price_joins("u")
        } else {
            String::new()
        };
        let mut select = named(dims.iter().map(|d| d.sql().to_owned()).collect());
        select.extend(
            usage
                .iter()
                .map(|m| format!("{} AS m_{}", source.measure(*m), m.key())),
        );
        ctes.push(format!(
            "base AS (SELECT {} FROM {}{prices} WHERE {}{})",
            select.join(", "),
            source.relation,
            source.condition,
            group_by(dims.len())
        ));
        params.extend(source.params);
        parts.push("base");
    }
    if measures.contains(&Measure::Denials) {
        let (mut clauses, p) = name_filters(filters, true);
        clauses.splice(
            0..0,
            [
                "e.kind = 'DENIED'".to_owned(),
                "e.ts >= ?::DATE AND e.ts < ?::DATE + INTERVAL 1 DAY".to_owned(),
            ],
        );
        let mut select = named(dims.iter().map(|d| d.on_events()).collect());
        select.push("count(*)::DOUBLE AS m_denials".to_owned());
        ctes.push(format!(
            "den AS (SELECT {} FROM events e
                 LEFT JOIN org_people p ON p.user_name = e.user_name
                 LEFT JOIN org_hosts h ON h.host = e.host
                 WHERE {}{})",
            select.join(", "),
            clauses.join(" AND "),
            group_by(dims.len())
        ));
        params.extend(range());
        params.extend(p);
        parts.push("den");
    }
    if peak {
        // Every checkout adds its licenses and every check-in takes them back; the running
        // sum per group (names only) is what the group holds at that moment.
        let (clauses, p) = name_filters(filters, false);
        let cond = if clauses.is_empty() {
            "true".to_owned()
        } else {
            clauses.join(" AND ")
        };
        let names: Vec<(usize, Dimension)> = dims
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, d)| !d.is_time())
            .collect();
        let name_cols: Vec<String> = names
            .iter()
            .map(|(i, d)| format!("{} AS k{i}", d.sql()))
            .chain(std::iter::once("x.t, x.d".to_owned()))
            .collect();
        ctes.push(format!(
            "sw AS (SELECT {} FROM spans u {ORG_JOINS},
                    unnest([{{'t': u.s, 'd': u.licenses}}, {{'t': u.e, 'd': -u.licenses}}]) AS w(x)
                    WHERE {cond})",
            name_cols.join(", ")
        ));
        params.extend(p);
        let partition = if names.is_empty() {
            String::new()
        } else {
            format!(
                "PARTITION BY {} ",
                names
                    .iter()
                    .map(|(i, _)| format!("k{i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        ctes.push(format!(
            "run AS (SELECT *, sum(d) OVER ({partition}ORDER BY t, d ROWS UNBOUNDED PRECEDING) AS c FROM sw)"
        ));
        let mut select = named(
            dims.iter()
                .enumerate()
                .map(|(i, d)| {
                    if d.is_time() {
                        d.at("t")
                    } else {
                        format!("k{i}")
                    }
                })
                .collect(),
        );
        select.push("max(c)::DOUBLE AS m_peak_concurrency".to_owned());
        ctes.push(format!(
            "pk AS (SELECT {} FROM run WHERE t >= ?::DATE AND t < ?::DATE + INTERVAL 1 DAY{})",
            select.join(", "),
            group_by(dims.len())
        ));
        params.extend(range());
        parts.push("pk");
    }
    // Join the parts on the group's names.
    let key = |k: &str, upto: usize| {
        if upto == 1 {
            format!("{}.{k}", parts[0])
        } else {
            format!(
                "coalesce({})",
                parts[..upto]
                    .iter()
                    .map(|p| format!("{p}.{k}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    };
    let mut from_sql = parts[0].to_owned();
    for (n, part) in parts.iter().enumerate().skip(1) {
        let on: Vec<String> = keys
            .iter()
            .map(|k| format!("{} IS NOT DISTINCT FROM {part}.{k}", key(k, n)))
            .collect();
        let on = if on.is_empty() {
            "true".to_owned()
        } else {
            on.join(" AND ")
        };
        from_sql.push_str(&format!(" FULL JOIN {part} ON {on}"));
    }
    let mut select: Vec<String> = keys.iter().map(|k| key(k, parts.len())).collect();
    for m in measures {
        select.push(match m {
            Measure::Denials => "coalesce(den.m_denials, 0)".to_owned(),
            Measure::PeakConcurrency => "coalesce(pk.m_peak_concurrency, 0)".to_owned(),
            m => format!("base.m_{}", m.key()),
        });
    }
    (
        format!(
            "WITH {} SELECT {} FROM {from_sql} ORDER BY {} LIMIT {limit}",
            ctes.join(",\n"),
            select.join(", "),
            order.columns(dims.len(), !measures.is_empty())
        ),
        params,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_months_come_from_monthly_sums_and_the_ends_from_days() {
        let d = |s: &str| s.parse::<NaiveDate>().expect("date");
        let months = |from: &str, to: &str| {
            let (relation, params) = usage_rows(d(from), d(to), Rows::Monthly);
            let p: Vec<String> = params
                .iter()
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .collect();
            (relation.contains("user_monthly"), p)
        };
        for (from, to, first, last_month, last_day) in [
            (
                "2026-01-15",
                "2026-04-10",
                "2026-02-01",
                "2026-03-01",
                "2026-03-31",
            ),
            (
                "2026-02-01",
                "2026-02-28",
                "2026-02-01",
                "2026-02-01",
                "2026-02-28",
            ),
            (
                "2025-12-03",
                "2026-12-31",
                "2026-01-01",
                "2026-12-01",
                "2026-12-31",
            ),
        ] {
            let want = [first, last_month, first, last_day]
                .map(String::from)
                .to_vec();
            assert_eq!(months(from, to), (true, want), "{from} to {to}");
        }
        assert_eq!(months("2026-01-02", "2026-01-30"), (false, vec![]));
        assert_eq!(months("2026-01-20", "2026-02-27"), (false, vec![]));
        assert!(!usage_rows(d("2026-01-01"), d("2026-03-31"), Rows::Daily)
            .0
            .contains("monthly"));
        assert!(
            usage_rows(d("2026-01-01"), d("2026-03-31"), Rows::PersonMonthly)
                .0
                .contains("FROM person_monthly")
        );
    }

    #[test]
    fn values_are_parameters_never_sql() {
        let hostile = "x' OR '1'='1";
        let f = Filters {
            user: Some(hostile.to_owned()),
            team: Some("t".to_owned()),
            ..Filters::default()
        };
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        let (sql, params) = grouped_usage(
            &f,
            d("2026-01-01"),
            d("2026-01-31"),
            &[Dimension::Department, Dimension::Month],
            &[Measure::LicenseHours, Measure::Users],
            50,
        );
        assert!(!sql.contains(hostile));
        assert_eq!(sql.matches('?').count(), params.len());
        assert!(params.contains(&json!(hostile)));
        assert!(sql.contains("GROUP BY 1, 2) g"), "{sql}");
        assert!(
            sql.ends_with("ORDER BY 3 DESC NULLS LAST, 1, 2 LIMIT 50"),
            "{sql}"
        );
    }
}
