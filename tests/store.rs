//! What the store keeps: changes rather than repeated poll lines, exact hourly rollups,
//! sessions from debug logs, time zones, and the rollups published beside them.

use duckdb::Connection;
use lmscope_e2e::{fixture, StoreDir};

const APP2: &str = "lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_app2.txt";
const MATLAB_LOG: &str = "debuglog/joseantoniovilar__Stats_Logs_FlexLM__data_raw_matlab.log.txt";

fn one<T: duckdb::types::FromSql>(db: &Connection, sql: &str) -> T {
    db.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// `(issued, in_use)` of every `Users of` line, read with plain string handling (an
/// independent reading of the file, not the collector's parser).
fn users_of_counts(text: &str) -> Vec<(i64, i64)> {
    text.lines()
        .filter(|l| l.starts_with("Users of ") && l.contains(" in use)"))
        .map(|l| {
            let numbers: Vec<i64> = l
                .split(|c: char| !c.is_ascii_digit())
                .filter(|s| !s.is_empty())
                .filter_map(|s| s.parse().ok())
                .collect();
            let n = numbers.len();
            (numbers[n - 2], numbers[n - 1])
        })
        .collect()
}

/// Replace the in-use count of the `k`-th `Users of` line.
fn with_in_use(text: &str, k: usize, in_use: i64) -> String {
    let mut seen = 0;
    text.lines()
        .map(|l| {
            if l.starts_with("Users of ") && l.contains(" in use)") {
                seen += 1;
                if seen == k + 1 {
                    let (head, _) = l.rsplit_once("Total of ").expect("in-use part");
                    return format!("{head}Total of {in_use} licenses in use)");
                }
            }
            l.to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn repeated_polls_store_only_changes_and_exact_hourly_rollups() {
    let tmp = StoreDir::new("store-delta");
    let first = std::fs::read_to_string(fixture(APP2)).expect("fixture");
    let counts = users_of_counts(&first);
    assert!(counts.len() >= 5, "fixture has features");
    let changed = with_in_use(&first, 1, counts[1].1 + 1);
    let texts = [&first, &first, &changed, &first];
    for (i, text) in texts.iter().enumerate() {
        let path = tmp.path().join(format!("poll{i}.txt"));
        std::fs::write(&path, text).expect("write");
        tmp.ok(&[
            "import",
            "lmstat",
            &path.to_string_lossy(),
            "--at",
            &format!("2017-10-20T17:{:02}", 10 + i),
        ]);
    }
    let db = Connection::open(tmp.store()).expect("store");
    assert_eq!(one::<i64>(&db, "SELECT count(*) FROM polls"), 4);
    // First poll: every feature. Third: the one changed. Fourth: it changes back.
    assert_eq!(
        one::<i64>(&db, "SELECT count(*) FROM feature_usage"),
        counts.len() as i64 + 2
    );
    let expected_sum: i64 = texts
        .iter()
        .flat_map(|t| users_of_counts(t))
        .map(|(_, u)| u)
        .sum();
    assert_eq!(
        one::<i64>(&db, "SELECT sum(sum_in_use)::BIGINT FROM usage_hourly"),
        expected_sum
    );
    assert_eq!(
        one::<i64>(&db, "SELECT sum(polls)::BIGINT FROM usage_hourly"),
        4 * counts.len() as i64
    );
    let full = texts
        .iter()
        .flat_map(|t| users_of_counts(t))
        .filter(|(i, u)| *i > 0 && u >= i)
        .count() as i64;
    assert_eq!(
        one::<i64>(&db, "SELECT sum(polls_full)::BIGINT FROM usage_hourly"),
        full
    );
    // Hosts and daemons did not change after the first poll.
    let hosts: i64 = one(&db, "SELECT count(*) FROM server_status");
    let daemons: i64 = one(&db, "SELECT count(*) FROM vendor_status");
    assert!(hosts >= 1 && daemons >= 1);
    assert_eq!(
        one::<i64>(&db, "SELECT count(DISTINCT poll_id) FROM server_status"),
        1
    );

    drop(db);
    // Published: the four polls one minute apart are one run.
    let out_dir = tmp.path().join("site-data");
    tmp.ok(&[
        "publish",
        "--out",
        &out_dir.to_string_lossy(),
        "--poll-interval",
        "60",
    ]);
    let published = Connection::open(out_dir.join("lmscope-000001.duckdb")).expect("published");
    assert_eq!(
        one::<String>(
            &published,
            "SELECT format('{} {} {} {}', count(*), sum(count), min(ts), max(until)) FROM polls"
        ),
        "1 4 2017-10-20 17:10:00 2017-10-20 17:13:00"
    );
    assert_eq!(
        one::<i64>(
            &published,
            "SELECT sum(sum_in_use)::BIGINT FROM usage_daily"
        ),
        expected_sum
    );
}

#[test]
fn debug_log_checkouts_become_sessions_and_are_published() {
    let tmp = StoreDir::new("store-logsessions");
    let log = fixture(MATLAB_LOG);
    let text = String::from_utf8_lossy(&std::fs::read(&log).expect("read")).into_owned();
    let tagged = |tag: &str| {
        text.lines()
            .filter(|l| l.contains(&format!(") {tag}: ")))
            .count() as i64
    };
    tmp.ok(&["import", "log", &log.to_string_lossy()]);
    let out_dir = tmp.path().join("site-data");
    tmp.ok(&["publish", "--out", &out_dir.to_string_lossy()]);
    for db in [
        Connection::open(tmp.store()).expect("store"),
        Connection::open(out_dir.join("lmscope-000001.duckdb")).expect("published"),
    ] {
        // Every IN closes one session; every OUT opens one.
        assert_eq!(
            one::<i64>(
                &db,
                "SELECT count(*) FROM sessions WHERE source = 'log' AND ended_at IS NOT NULL"
            ),
            tagged("IN")
        );
        assert_eq!(
            one::<i64>(
                &db,
                "SELECT count(*) FROM sessions WHERE source = 'log' AND started_at IS NOT NULL"
            ),
            tagged("OUT")
        );
        assert_eq!(
            one::<i64>(
                &db,
                "SELECT count(*) FROM sessions WHERE ended_at < started_at"
            ),
            0
        );
    }
    // The per-user daily rollup holds exactly the sessions' hours, split at midnight.
    let published = Connection::open(out_dir.join("lmscope-000001.duckdb")).expect("published");
    let mut stmt = published
        .prepare(
            "SELECT epoch(coalesce(started_at, first_seen))::DOUBLE,
                    epoch(coalesce(ended_at, last_seen))::DOUBLE, licenses FROM sessions",
        )
        .expect("prepare");
    let expected: f64 = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, f64>(0)?,
                r.get::<_, f64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .expect("query")
        .map(|r| r.expect("row"))
        .map(|(s, e, l)| (e - s).max(0.0) / 3600.0 * l as f64)
        .sum();
    let rolled: f64 = one(&published, "SELECT sum(license_hours) FROM user_daily");
    assert!(expected > 1.0, "the log has hours of use: {expected}");
    assert!(
        (rolled - expected).abs() < 1e-6 * expected,
        "rollup {rolled} vs sessions {expected}"
    );
}

#[test]
fn named_time_zones_convert_server_local_times_with_daylight_saving() {
    let tmp = StoreDir::new("store-zone");
    let path = fixture(APP2);
    // The output says Fri 10/20/2017 17:02: New York is on summer time (UTC-4) then.
    tmp.ok(&[
        "import",
        "lmstat",
        &path.to_string_lossy(),
        "--time-zone",
        "America/New_York",
    ]);
    // The same output said to be from December (winter time, UTC-5).
    tmp.ok(&[
        "import",
        "lmstat",
        &path.to_string_lossy(),
        "--at",
        "2017-12-20T17:02",
        "--time-zone",
        "America/New_York",
    ]);
    let db = Connection::open(tmp.store()).expect("store");
    assert_eq!(
        one::<String>(
            &db,
            "SELECT string_agg(strftime(ts, '%Y-%m-%d %H:%M'), ',' ORDER BY ts) FROM polls"
        ),
        "2017-10-20 21:02,2017-12-20 22:02"
    );
}
