//! The overview's first view: server and daemon health, every feature's latest state, the
//! org's currency and names. `publish` runs these queries natively over the snapshot file
//! and writes their rows as a small JSON file beside `manifest.json`, so the site draws the
//! overview before DuckDB-Wasm has started; the site runs the same queries when the file is
//! absent (an older publish). All but [`SPARK_SQL`] read only the snapshot's tables.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The latest poll run of each server (`polls` holds runs of polls with one outcome). Its
/// error with `arg_max_null`: `arg_max` skips NULLs, and would give a run that succeeded
/// the error of an older one.
const LAST_RUN: &str = "last AS (SELECT server, arg_max(ok, until) AS ok, max(until) AS until,
                                arg_max_null(error, until) AS error
                         FROM polls GROUP BY server)";

/// Each server at its latest poll: server, polled at (epoch ms), ok, error, hosts.
pub fn servers_sql() -> String {
    format!(
        "WITH {LAST_RUN},
         hosts AS (SELECT server, host, up, master FROM host_now)
         SELECT l.server, epoch_ms(l.until)::DOUBLE, l.ok, l.error,
                (SELECT string_agg(h.host || CASE WHEN NOT h.up THEN ' (down)'
                                                  WHEN h.master THEN ' (master)' ELSE '' END,
                                   ', ' ORDER BY h.host)
                 FROM hosts h WHERE h.server = l.server)
         FROM last l
         ORDER BY l.server"
    )
}

/// Each vendor daemon of a server whose latest poll succeeded: server, vendor, up,
/// version, error.
pub fn daemons_sql() -> String {
    format!(
        "WITH {LAST_RUN}
         SELECT v.server, v.vendor, v.up, v.version, v.error
         FROM vendor_now v JOIN last l ON l.server = v.server AND l.ok
         ORDER BY v.server, v.vendor"
    )
}

/// Each feature's latest recorded state: feature, server, vendor, counting, checked out,
/// reserved (reservations nobody has checked out, which lmstat counts as in use), issued,
/// available (issued less lmstat's in use: reserved seats are not available to others),
/// % utilized (checked out of issued); the most utilized first.
pub const FEATURES_SQL: &str = "SELECT feature, server, vendor, counting,
        checked_out::DOUBLE, reserved::DOUBLE, issued::DOUBLE, (issued - in_use)::DOUBLE,
        round(100.0 * checked_out / NULLIF(issued, 0), 1)::DOUBLE
 FROM feature_now
 ORDER BY 9 DESC NULLS LAST, feature, server";

/// The org's currency, as its prices give it (one row, maybe NULL).
pub const CURRENCY_SQL: &str = "SELECT max(currency) FROM org_prices";

/// Department and team names by id: kind (`department` or `team`), id, name.
pub const NAMES_SQL: &str = "SELECT 'department', department, name FROM org_departments
 UNION ALL SELECT 'team', team, name FROM org_teams
 ORDER BY 1, 2";

/// Each feature's hourly peak in use over the last 24 hours of data (summed over vendors):
/// feature, server, the peaks in hour order as `3,5,4`.
pub const SPARK_SQL: &str = "SELECT feature, server, string_agg(peak::VARCHAR, ',' ORDER BY hour)
 FROM (SELECT feature, server, hour, sum(peak_in_use)::BIGINT AS peak
       FROM usage_hourly
       WHERE hour > (SELECT max(hour) FROM usage_hourly) - INTERVAL 24 HOUR
       GROUP BY feature, server, hour)
 GROUP BY feature, server";

/// The rows of each first-view query, as the site's bridge returns rows (JSON arrays).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FirstView {
    pub servers: Vec<Vec<Value>>,
    pub daemons: Vec<Vec<Value>>,
    pub features: Vec<Vec<Value>>,
    pub currency: Vec<Vec<Value>>,
    pub names: Vec<Vec<Value>>,
    /// [`SPARK_SQL`]'s rows (absent from files of an older publish).
    #[serde(default)]
    pub spark: Vec<Vec<Value>>,
}

/// The file name of generation `generation`'s first view.
pub fn file_name(generation: u64) -> String {
    format!("lmscope-{generation:06}-first.json")
}

#[cfg(all(test, feature = "native"))]
mod tests {
    use super::*;

    #[test]
    fn a_server_up_now_shows_no_error_of_an_older_run() {
        let db = duckdb::Connection::open_in_memory().expect("db");
        db.execute_batch(
            "CREATE TABLE polls (server VARCHAR, until TIMESTAMP, ok BOOLEAN, error VARCHAR);
             INSERT INTO polls VALUES
                 ('a', TIMESTAMP '2026-06-03 11:00', true, NULL),
                 ('a', TIMESTAMP '2026-06-03 14:00', false, 'Cannot connect'),
                 ('a', TIMESTAMP '2026-12-02 11:15', true, NULL),
                 ('b', TIMESTAMP '2026-12-02 11:15', false, 'Cannot connect');
             CREATE TABLE host_now (server VARCHAR, host VARCHAR, up BOOLEAN, master BOOLEAN);",
        )
        .expect("tables");
        let rows: Vec<(String, bool, Option<String>)> = db
            .prepare(&servers_sql())
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(2)?, r.get(3)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(
            rows,
            [
                ("a".to_owned(), true, None),
                ("b".to_owned(), false, Some("Cannot connect".to_owned()))
            ]
        );
    }
}
