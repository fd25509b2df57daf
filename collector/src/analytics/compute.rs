//! Licenses against compute: the SQL that sets checkouts beside Slurm's jobs, for the
//! site (wasm), the alert engine and the native tests alike.
//!
//! **Efficiency** is the share of license-hours on compute nodes during which the holder
//! had a job running on the checkout's host: a session's hours are clipped to the range,
//! the holder's jobs on that host (by user and short host name, case-insensitive) merged
//! into spans, and the overlap of the two summed, weighted by the licenses held. A host is
//! a compute node when a published job ran on it during the range (the last 30 days, for
//! what is idle now); checkouts elsewhere (workstations) are left out of efficiency and
//! idle figures. **Idle** license-hours are those hours with no
//! such job. Running jobs count up to the newest poll.

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use serde_json::{json, Value};

use crate::analytics::filters::Filters;
use crate::analytics::prices::{price_joins, HOURS_PER_YEAR, JOINED_PRICE};

/// A query and its bound parameters.
pub type Sql = (String, Vec<Value>);

/// A host's key for matching checkouts to jobs: its short name, lower case (lmstat may
/// print `node001.cluster.local` where Slurm says `node001`).
const HOST_KEY: &str = "lower(split_part(host, '.', 1))";

/// `[from 00:00, to + 1 day)` as the two timestamp parameters the CTEs take.
pub fn day_range(from: NaiveDate, to: NaiveDate) -> [Value; 2] {
    let t = |d: NaiveDate| {
        json!(d
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .format("%Y-%m-%d %H:%M:%S")
            .to_string())
    };
    [t(from), t(to + TimeDelta::days(1))]
}

/// `[t0, t1]` as the two timestamp parameters the CTEs take.
pub fn time_range(t0: NaiveDateTime, t1: NaiveDateTime) -> [Value; 2] {
    let t = |t: NaiveDateTime| json!(t.format("%Y-%m-%d %H:%M:%S").to_string());
    [t(t0), t(t1)]
}

/// Conditions and joins for the filters on a relation aliased `x` with `user_name` (and,
/// for sessions, `server`, `vendor`, `feature`, `host`): (joins, conditions, params), the
/// parameters numbered from `$first`.
fn filter_sql(f: &Filters, x: &str, sessions: bool, first: usize) -> (String, String, Vec<Value>) {
    let mut cond = String::new();
    let mut params = Vec::new();
    let mut eq = |column: String, value: &Option<String>| {
        if let Some(v) = value {
            cond.push_str(&format!(" AND {column} = ${}", first + params.len()));
            params.push(json!(v));
        }
    };
    if sessions {
        eq(format!("{x}.server"), &f.server);
        eq(format!("{x}.vendor"), &f.vendor);
        eq(format!("{x}.feature"), &f.feature);
    }
    eq(format!("{x}.user_name"), &f.user);
    eq(
        "coalesce(fp.department, 'unassigned')".to_owned(),
        &f.department,
    );
    eq("coalesce(fp.team, 'unassigned')".to_owned(), &f.team);
    let mut joins = String::new();
    if f.department.is_some() || f.team.is_some() {
        joins.push_str(&format!(
            " LEFT JOIN org_people fp ON fp.user_name = {x}.user_name"
        ));
    }
    if f.cluster.is_some() {
        let cluster = if sessions {
            "coalesce(fh.cluster, 'unassigned')".to_owned()
        } else {
            format!("coalesce(nullif(fh.cluster, 'unassigned'), {x}.cluster)")
        };
        cond.push_str(&format!(" AND {cluster} = ${}", first + params.len()));
        params.push(json!(f.cluster));
        joins.push_str(&format!(" LEFT JOIN org_hosts fh ON fh.host = {x}.host"));
    }
    (joins, cond, params)
}

/// The CTEs every figure here starts from, over `[t0, t1)` (parameters `$1` and `$2`; the
/// filters' follow, numbered from `$3`: every query here numbers its parameters, so the
/// alert engine can bind just the range):
/// - `r` (`t0`, `t1`, `now`: the newest poll, at most `t1`);
/// - `nodes`: the compute nodes (short host names that ran a job in the range);
/// - `sess`: the filtered sessions overlapping the range, clipped to it (`s`, `e`), with
///   their start and end unclipped (`s0`, `e0`), `sid`, `hk` and whether on a node;
/// - `isl`: each user's jobs per node merged into spans, clipped to the range;
/// - `cov`: the parts of each session on a node covered by a span (`cs`, `ce`);
/// - `per`: each session with `held_h` and `job_h` (hours, not license-weighted).
pub fn cover_ctes(f: &Filters) -> (String, Vec<Value>) {
    let (joins, cond, params) = filter_sql(f, "x", true, 3);
    let sql = format!(
        "WITH r AS (SELECT $1::TIMESTAMP AS t0, $2::TIMESTAMP AS t1,
                      least((SELECT max(until) FROM polls), $2::TIMESTAMP) AS now),
         nodes AS (SELECT DISTINCT lower(split_part(j.host, '.', 1)) AS hk
                   FROM job_hosts j CROSS JOIN r
                   WHERE coalesce(j.ended_at, r.now) > r.t0 AND j.started_at < r.t1),
         sess AS (
             SELECT row_number() OVER (ORDER BY x.s, x.server, x.feature, x.user_name, x.host) AS sid,
                    x.server, x.vendor, x.feature, x.user_name, x.host, x.licenses, x.ended_at,
                    lower(split_part(x.host, '.', 1)) AS hk,
                    x.s AS s0, x.e AS e0, greatest(x.s, r.t0) AS s, least(x.e, r.t1) AS e
             FROM (SELECT *, CASE WHEN started_at >= first_seen - INTERVAL 1 DAY THEN started_at
                                  ELSE first_seen END AS s,
                          coalesce(ended_at, last_seen) AS e
                   FROM sessions
                   WHERE coalesce(ended_at, last_seen) >= $1::TIMESTAMP) x
             CROSS JOIN r{joins}
             WHERE x.e > r.t0 AND x.s < r.t1 AND x.e > x.s{cond}),
         jh AS (
             SELECT j.user_name, lower(split_part(j.host, '.', 1)) AS hk,
                    greatest(j.started_at, r.t0) AS s, least(coalesce(j.ended_at, r.now), r.t1) AS e
             FROM job_hosts j CROSS JOIN r
             JOIN (SELECT DISTINCT user_name, hk FROM sess) k
               ON k.user_name = j.user_name AND k.hk = lower(split_part(j.host, '.', 1))
             WHERE coalesce(j.ended_at, r.now) > r.t0 AND j.started_at < r.t1),
         jm AS (
             SELECT *, max(e) OVER (PARTITION BY user_name, hk ORDER BY s, e
                                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS pe
             FROM jh WHERE e > s),
         isl AS (
             SELECT user_name, hk, min(s) AS s, max(e) AS e
             FROM (SELECT *, sum(CASE WHEN pe IS NOT NULL AND s <= pe THEN 0 ELSE 1 END)
                               OVER (PARTITION BY user_name, hk ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS g
                   FROM jm)
             GROUP BY user_name, hk, g),
         cov AS (
             SELECT x.sid, greatest(i.s, x.s) AS cs, least(i.e, x.e) AS ce
             FROM sess x JOIN isl i ON i.user_name = x.user_name AND i.hk = x.hk
                                   AND i.s < x.e AND i.e > x.s),
         per AS (
             SELECT x.*, x.hk IN (SELECT hk FROM nodes) AS on_node,
                    epoch(x.e - x.s) / 3600.0 AS held_h, coalesce(c.h, 0) AS job_h
             FROM sess x LEFT JOIN (SELECT sid, sum(epoch(ce - cs)) / 3600.0 AS h
                                    FROM cov GROUP BY sid) c USING (sid))"
    );
    (sql, params)
}

/// The parameters of [`cover_ctes`] for `[t0, t1)` followed by the filters'.
fn cover_params(range: [Value; 2], filter_params: Vec<Value>) -> Vec<Value> {
    let mut p = range.to_vec();
    p.extend(filter_params);
    p
}

/// Per cluster over the range: license-hours (every checkout on its hosts), license-hours
/// on compute nodes, efficiency %, idle license-hours, CPU-hours, GPU-hours, jobs that
/// ran, license cost at the org's prices, and that cost per CPU-hour. Sessions take their
/// cluster from the org file's hosts; jobs from their first node's, else Slurm's name.
/// The feature filters narrow the licenses only; people and cluster filters both sides.
pub fn clusters(f: &Filters, from: NaiveDate, to: NaiveDate) -> Sql {
    let (ctes, fp) = cover_ctes(f);
    let mut params = cover_params(day_range(from, to), fp);
    let (jjoins, jcond, jparams) = filter_sql(f, "j", false, params.len() + 1);
    params.extend(jparams);
    let sql = format!(
        "{ctes},
         lic AS (
             SELECT coalesce(h.cluster, 'unassigned') AS cluster,
                    sum(p.licenses * p.held_h) AS lh,
                    sum(p.licenses * p.held_h) FILTER (WHERE p.on_node) AS node_lh,
                    sum(p.licenses * p.job_h) FILTER (WHERE p.on_node) AS job_lh,
                    sum(p.licenses * p.held_h * {JOINED_PRICE}) / {HOURS_PER_YEAR} AS cost
             FROM per p LEFT JOIN org_hosts h ON h.host = p.host {prices}
             GROUP BY 1),
         cpu AS (
             SELECT coalesce(nullif(fh2.cluster, 'unassigned'), j.cluster) AS cluster,
                    sum(j.cpus * j.hrs) AS cpu_h, sum(j.gpus * j.hrs) AS gpu_h, count(*) AS jobs
             FROM (SELECT j.*, epoch(least(coalesce(j.ended_at, r.now), r.t1)
                                     - greatest(j.started_at, r.t0)) / 3600.0 AS hrs
                   FROM jobs j CROSS JOIN r{jjoins}
                   WHERE j.started_at IS NOT NULL AND j.started_at < r.t1
                     AND coalesce(j.ended_at, r.now) > r.t0{jcond}) j
             LEFT JOIN org_hosts fh2 ON fh2.host = j.host
             WHERE j.hrs > 0
             GROUP BY 1)
         SELECT coalesce(lic.cluster, cpu.cluster) AS cluster,
                round(coalesce(lic.lh, 0), 2)::DOUBLE,
                round(coalesce(lic.node_lh, 0), 2)::DOUBLE,
                round(100 * lic.job_lh / nullif(lic.node_lh, 0), 1)::DOUBLE,
                round(coalesce(lic.node_lh - lic.job_lh, 0), 2)::DOUBLE,
                round(coalesce(cpu.cpu_h, 0), 1)::DOUBLE,
                round(coalesce(cpu.gpu_h, 0), 1)::DOUBLE,
                coalesce(cpu.jobs, 0)::DOUBLE,
                round(coalesce(lic.cost, 0), 2)::DOUBLE,
                round(lic.cost / nullif(cpu.cpu_h, 0), 4)::DOUBLE
         FROM lic FULL OUTER JOIN cpu ON cpu.cluster = lic.cluster
         ORDER BY 2 DESC, 6 DESC, 1",
        prices = price_joins("p"),
    );
    (sql, params)
}

/// Column labels of [`clusters`].
pub const CLUSTER_COLUMNS: [&str; 10] = [
    "Cluster",
    "License-hours",
    "On compute nodes",
    "Efficiency %",
    "Idle license-hours",
    "CPU-hours",
    "GPU-hours",
    "Jobs",
    "License cost",
    "Cost per CPU-hour",
];

/// Who a grouped efficiency table is by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    User,
    Team,
}

/// Per user or team over the range, their checkouts on compute nodes: license-hours, the
/// efficiency %, idle license-hours, sessions, and sessions idle `idle_hours` or more.
/// Most idle license-hours first.
pub fn efficiency(f: &Filters, from: NaiveDate, to: NaiveDate, by: By, idle_hours: f64) -> Sql {
    let (ctes, fp) = cover_ctes(f);
    let mut params = cover_params(day_range(from, to), fp);
    params.push(json!(idle_hours));
    let idle = params.len();
    let (key, join) = match by {
        By::User => ("p.user_name", ""),
        By::Team => (
            "coalesce(op.team, 'unassigned')",
            " LEFT JOIN org_people op ON op.user_name = p.user_name",
        ),
    };
    let sql = format!(
        "{ctes}
         SELECT {key} AS who,
                round(sum(p.licenses * p.held_h), 2)::DOUBLE,
                round(100 * sum(p.licenses * p.job_h) / nullif(sum(p.licenses * p.held_h), 0), 1)::DOUBLE,
                round(sum(p.licenses * (p.held_h - p.job_h)), 2)::DOUBLE,
                count(*)::DOUBLE,
                count(*) FILTER (WHERE p.held_h - p.job_h >= ${idle}::DOUBLE)::DOUBLE
         FROM per p{join}
         WHERE p.on_node
         GROUP BY 1 ORDER BY 4 DESC, 1 LIMIT 500"
    );
    (sql, params)
}

/// Column labels of [`efficiency`] (the first is the user's or team's).
pub const EFFICIENCY_COLUMNS: [&str; 5] = [
    "License-hours on nodes",
    "Efficiency %",
    "Idle license-hours",
    "Sessions",
    "Idle checkouts",
];

/// Idle checkouts over the range: sessions on compute nodes whose hours with no job of
/// their holder on their host add up to `idle_hours` or more. Columns: checked out (UTC),
/// user, host, feature, server, licenses, hours held (in the range), idle hours, with a
/// job %. Most idle first.
pub fn idle_checkouts(f: &Filters, from: NaiveDate, to: NaiveDate, idle_hours: f64) -> Sql {
    let (ctes, fp) = cover_ctes(f);
    let mut params = cover_params(day_range(from, to), fp);
    params.push(json!(idle_hours));
    let idle = params.len();
    let sql = format!(
        "{ctes}
         SELECT strftime(p.s0, '%Y-%m-%d %H:%M'), p.user_name, p.host, p.feature, p.server,
                p.licenses::DOUBLE, round(p.held_h, 2)::DOUBLE,
                round(p.held_h - p.job_h, 2)::DOUBLE,
                round(100 * p.job_h / nullif(p.held_h, 0), 1)::DOUBLE
         FROM per p
         WHERE p.on_node AND p.held_h - p.job_h >= ${idle}::DOUBLE
         ORDER BY 8 DESC, p.s0, 2, 4 LIMIT 500"
    );
    (sql, params)
}

/// Column labels of [`idle_checkouts`].
pub const IDLE_COLUMNS: [&str; 9] = [
    "Checked out",
    "User",
    "Host",
    "Feature",
    "Server",
    "Licenses",
    "Hours held",
    "Idle hours",
    "With a job %",
];

/// Checkouts open at the newest poll, on compute nodes (a job ran there in the last 30
/// days), whose holder has no job running on the host and has had none (of the last 30
/// days' jobs) for `idle_hours` or more: user, host, feature, idle hours, idle since (UTC),
/// checked out (UTC), licenses, server. Longest idle first.
pub fn idle_now(idle_hours: f64) -> Sql {
    let sql = format!(
        "WITH r AS (SELECT (SELECT max(until) FROM polls) AS now),
         recent AS (SELECT x.* FROM job_hosts x CROSS JOIN r
                    WHERE coalesce(x.ended_at, r.now) >= r.now - INTERVAL 30 DAY),
         o AS (SELECT server, feature, user_name, host, licenses, {HOST_KEY} AS hk,
                      coalesce(started_at, first_seen) AS s
               FROM sessions WHERE ended_at IS NULL),
         j AS (SELECT x.user_name, lower(split_part(x.host, '.', 1)) AS hk, x.started_at, x.ended_at
               FROM recent x
               JOIN (SELECT DISTINCT user_name, hk FROM o) k
                 ON k.user_name = x.user_name AND k.hk = lower(split_part(x.host, '.', 1))),
         w AS (
             SELECT o.*,
                    EXISTS (SELECT 1 FROM j CROSS JOIN r WHERE j.user_name = o.user_name
                              AND j.hk = o.hk AND j.started_at <= r.now
                              AND (j.ended_at IS NULL OR j.ended_at >= r.now)) AS running,
                    greatest(o.s, coalesce((SELECT max(j.ended_at) FROM j CROSS JOIN r
                                            WHERE j.user_name = o.user_name AND j.hk = o.hk
                                              AND j.ended_at < r.now), o.s)) AS idle_from
             FROM o WHERE o.hk IN (SELECT DISTINCT {HOST_KEY} FROM recent))
         SELECT w.user_name, w.host, w.feature,
                round(epoch(r.now - w.idle_from) / 3600.0, 2)::DOUBLE,
                strftime(w.idle_from, '%Y-%m-%d %H:%M'), strftime(w.s, '%Y-%m-%d %H:%M'),
                w.licenses::DOUBLE, w.server
         FROM w CROSS JOIN r
         WHERE NOT w.running AND epoch(r.now - w.idle_from) / 3600.0 >= $1::DOUBLE
         ORDER BY 4 DESC, 1, 3"
    );
    (sql, vec![json!(idle_hours)])
}

/// Column labels of [`idle_now`].
pub const IDLE_NOW_COLUMNS: [&str; 8] = [
    "User",
    "Host",
    "Feature",
    "Idle hours",
    "Idle since",
    "Checked out",
    "Licenses",
    "Server",
];

/// Per cluster and license (`NAME on CLUSTER`), Slurm's newest counts against FlexLM's:
/// Slurm's total, used and free; FlexLM's issued, in use and free (summed over the servers that serve the
/// feature, by the name before `@`); and how many seats Slurm would hand out that FlexLM
/// does not have (Slurm free − FlexLM free, when above 0); when Slurm counted.
pub fn drift() -> Sql {
    let sql = "WITH fx AS (SELECT feature, sum(issued) AS issued, sum(in_use) AS in_use
                           FROM feature_now WHERE counting = 'counted' GROUP BY feature)
         SELECT l.name || ' on ' || l.cluster, l.total::DOUBLE, l.used::DOUBLE, l.free::DOUBLE,
                fx.issued::DOUBLE, fx.in_use::DOUBLE, (fx.issued - fx.in_use)::DOUBLE,
                greatest(l.free - (fx.issued - fx.in_use), 0)::DOUBLE,
                strftime(l.ts, '%Y-%m-%d %H:%M')
         FROM slurm_licenses l LEFT JOIN fx ON fx.feature = l.feature
         ORDER BY 8 DESC, 1";
    (sql.to_owned(), Vec::new())
}

/// Column labels of [`drift`].
pub const DRIFT_COLUMNS: [&str; 9] = [
    "Slurm license on cluster",
    "Slurm total",
    "Slurm used",
    "Slurm free",
    "FlexLM issued",
    "FlexLM in use",
    "FlexLM free",
    "Over-promised",
    "Slurm as of",
];

/// Per cluster, the newest `squeue` snapshot: pending jobs, those waiting on licenses,
/// their users, the licenses they ask for, and the longest of their waits in hours (from
/// submission to the snapshot).
pub fn pending() -> Sql {
    let sql = "WITH p AS (
             SELECT q.*, (SELECT coalesce(sum(coalesce(try_cast(split_part(x, ':', 2) AS INTEGER), 1)), 0)
                          FROM unnest(string_split(q.licenses, ',')) t(x) WHERE x <> '') AS n
             FROM slurm_pending q)
         SELECT cluster, count(*)::DOUBLE,
                count(*) FILTER (WHERE reason = 'Licenses')::DOUBLE,
                count(DISTINCT user_name) FILTER (WHERE reason = 'Licenses')::DOUBLE,
                coalesce(sum(n) FILTER (WHERE reason = 'Licenses'), 0)::DOUBLE,
                round(max(epoch(ts - submitted_at)) FILTER (WHERE reason = 'Licenses') / 3600.0, 2)::DOUBLE,
                strftime(max(ts), '%Y-%m-%d %H:%M')
         FROM p GROUP BY cluster ORDER BY 3 DESC, 1";
    (sql.to_owned(), Vec::new())
}

/// Column labels of [`pending`].
pub const PENDING_COLUMNS: [&str; 7] = [
    "Cluster",
    "Pending jobs",
    "Waiting on licenses",
    "Users waiting",
    "Licenses asked for",
    "Longest wait (h)",
    "As of",
];

/// Per server and feature over the range, for the recommendations: license-hours on
/// compute nodes, idle license-hours (no job of the holder on the host). Only features
/// with idle hours; most idle first.
pub fn idle_by_feature(f: &Filters, from: NaiveDate, to: NaiveDate) -> Sql {
    let (ctes, fp) = cover_ctes(f);
    let params = cover_params(day_range(from, to), fp);
    let sql = format!(
        "{ctes}
         SELECT p.server, p.feature, sum(p.licenses * p.held_h)::DOUBLE,
                sum(p.licenses * (p.held_h - p.job_h))::DOUBLE
         FROM per p WHERE p.on_node
         GROUP BY 1, 2 HAVING sum(p.licenses * (p.held_h - p.job_h)) > 0
         ORDER BY 4 DESC, 1, 2"
    );
    (sql, params)
}

/// Idle stretches over `[$1, $2]` for the alert engine (its range parameters, nothing
/// else bound): each stretch of a session on a compute node with no job of its holder on
/// its host. Columns: server, feature, user, host, licenses, stretch start and end (epoch
/// seconds), and whether it runs to the end of the session's part in the range while the
/// session goes on (open, or ended after the range).
pub fn idle_stretches() -> String {
    let (ctes, _) = cover_ctes(&Filters::default());
    format!(
        "{ctes},
         marks AS (
             SELECT sid, cs, ce FROM cov
             UNION ALL SELECT sid, s, s FROM sess
             UNION ALL SELECT sid, e, e FROM sess),
         gaps AS (
             SELECT sid, cs,
                    max(ce) OVER (PARTITION BY sid ORDER BY cs, ce
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev
             FROM marks)
         SELECT p.server, p.feature, p.user_name, p.host, p.licenses::DOUBLE,
                epoch(g.prev)::DOUBLE, epoch(g.cs)::DOUBLE,
                (g.cs = p.e AND (p.ended_at IS NULL OR p.e0 > p.e))
         FROM gaps g JOIN per p USING (sid)
         WHERE p.on_node AND g.prev IS NOT NULL AND g.cs > g.prev
         ORDER BY 6, 1, 2, 3, 4"
    )
}
