//! What the store keeps: changes rather than repeated poll lines, exact hourly rollups,
//! sessions from debug logs, time zones, and the rollups published beside them.

use duckdb::Connection;
use lmscope_e2e::{demo_in, fixture, StoreDir};

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
    let published = lmscope_e2e::published_dir_db(&out_dir);
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
        lmscope_e2e::published_dir_db(&out_dir),
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
    let published = lmscope_e2e::published_dir_db(&out_dir);
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

/// The midnights (epoch seconds, UTC) from the day of `s` to the day of `e`.
fn days_between(s: f64, e: f64) -> impl Iterator<Item = f64> {
    const DAY: f64 = 86_400.0;
    let first = (s / DAY).floor() as i64;
    let last = (e / DAY).floor() as i64;
    (first..=last).map(|d| d as f64 * DAY)
}

#[test]
fn monthly_partitions_hold_every_row_once_and_add_up_like_the_store() {
    let tmp = StoreDir::new("store-partitions");
    let out_dir = tmp.path().join("data");
    // Nine weeks up to now: closed months in partitions, this month in the current file.
    demo_in(tmp.path(), &out_dir, &["--weeks", "9"]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("manifest.json")).expect("manifest"))
            .expect("json");
    let files = manifest["files"].as_array().expect("files").clone();
    let months: Vec<&str> = files.iter().filter_map(|f| f["month"].as_str()).collect();
    assert!(months.len() >= 2, "two closed months at least: {months:?}");
    assert!(files.last().expect("current")["month"].is_null());

    // Each partition holds only its month's rows (sessions by the month they ended in).
    for f in files.iter().filter(|f| f["month"].is_string()) {
        let month = f["month"].as_str().expect("month");
        let db = Connection::open(out_dir.join(f["path"].as_str().expect("path"))).expect("open");
        for (table, column) in lmscope::store::schema::PARTITIONED {
            let outside: i64 = one(
                &db,
                &format!(
                    "SELECT count(*) FROM {table} WHERE strftime({column}, '%Y-%m') <> '{month}'
                        OR {column} IS NULL"
                ),
            );
            assert_eq!(outside, 0, "{month}: {table} rows of another month");
        }
    }

    // Every time-keyed table: exactly the store's rows, each in one file.
    let published = lmscope_e2e::published_dir_db(&out_dir);
    let store = Connection::open(tmp.store()).expect("store");
    for table in [
        "server_status",
        "vendor_status",
        "feature_usage",
        "queued",
        "reservations",
        "events",
        "usage_hourly",
        "sessions",
    ] {
        let sql = format!("SELECT count(*) FROM {table}");
        assert_eq!(
            one::<i64>(&published, &sql),
            one::<i64>(&store, &sql),
            "{table}"
        );
    }
    drop(store);
    assert!(
        one::<i64>(
            &published,
            "SELECT count(*) FROM sessions WHERE ended_at IS NULL"
        ) > 0
    );

    // The daily rollups, recomputed here from the published raw rows: usage by day from the
    // hours, and each person's license-hours split at every midnight, months included.
    let rows = |sql: &str| -> Vec<(String, f64)> {
        let mut stmt = published.prepare(sql).expect("prepare");
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .map(|r| r.expect("row"))
            .collect()
    };
    let from_hours = rows(
        "SELECT strftime(hour, '%Y-%m-%d'), sum(sum_in_use)::DOUBLE FROM usage_hourly GROUP BY 1 ORDER BY 1",
    );
    let daily = rows(
        "SELECT strftime(day, '%Y-%m-%d'), sum(sum_in_use)::DOUBLE FROM usage_daily GROUP BY 1 ORDER BY 1",
    );
    assert_eq!(daily, from_hours);

    let mut expected: std::collections::BTreeMap<i64, f64> = Default::default();
    let mut stmt = published
        .prepare(
            "SELECT epoch(started_at)::DOUBLE, epoch(first_seen)::DOUBLE,
                    epoch(coalesce(ended_at, last_seen))::DOUBLE, licenses FROM sessions",
        )
        .expect("prepare");
    for row in stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, Option<f64>>(0)?,
                r.get::<_, f64>(1)?,
                r.get::<_, f64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })
        .expect("query")
    {
        let (started, first_seen, e, licenses) = row.expect("row");
        // Hours count from lmstat's start unless it lies over a day before the first poll.
        let s = started
            .filter(|t| *t >= first_seen - 86_400.0)
            .unwrap_or(first_seen);
        for d in days_between(s, e) {
            let h = (e.min(d + 86_400.0) - s.max(d)) / 3600.0;
            if h >= 0.0 && e >= s {
                *expected.entry(d as i64).or_default() += h * licenses as f64;
            }
        }
    }
    let mut stmt = published
        .prepare("SELECT epoch(day)::BIGINT, sum(license_hours) FROM user_daily GROUP BY 1")
        .expect("prepare");
    let got: std::collections::BTreeMap<i64, f64> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (day, want) in &expected {
        let have = got[day];
        assert!(
            (have - want).abs() <= 1e-6 * want.max(1.0),
            "day {day}: {have} vs {want}"
        );
    }
    let twice: i64 = one(
        &published,
        "SELECT count(*) FROM (SELECT day, server, feature, user_name, host FROM user_daily
                               GROUP BY ALL HAVING count(*) > 1)",
    );
    assert_eq!(twice, 0, "a person's day is in one file");

    // lmscope.sql, as DuckDB's Python client runs it from the publish folder, sees the
    // same rows.
    let venv = std::env::var("LMSCOPE_VENV")
        .expect("LMSCOPE_VENV (scripts/env.sh) names DuckDB's Python client; run scripts/setup.sh");
    let script = "import duckdb, json\n\
                  c = duckdb.connect()\n\
                  c.execute(open('lmscope.sql').read())\n\
                  print(json.dumps({t: c.sql(f'SELECT count(*) FROM {t}').fetchone()[0] \
                  for t in ['sessions', 'usage_hourly', 'user_daily', 'polls', 'feature_now']}))";
    let out = std::process::Command::new(std::path::Path::new(&venv).join("bin/python"))
        .args(["-c", script])
        .current_dir(&out_dir)
        .output()
        .expect("run DuckDB's Python client");
    assert!(out.status.success(), "lmscope.sql in Python: {out:?}");
    let counts: serde_json::Value = serde_json::from_slice(&out.stdout).expect("counts");
    for table in [
        "sessions",
        "usage_hourly",
        "user_daily",
        "polls",
        "feature_now",
    ] {
        let sql = format!("SELECT count(*) FROM {table}");
        assert_eq!(
            counts[table].as_i64(),
            Some(one::<i64>(&published, &sql)),
            "{table}"
        );
    }

    // A publish with nothing new writes no month again.
    let stamps = |dir: &std::path::Path| -> Vec<(String, std::time::SystemTime)> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry"))
            .filter(|e| lmscope::publish::partition::is_file_name(&e.file_name().to_string_lossy()))
            .map(|e| {
                let modified = e.metadata().expect("meta").modified().expect("mtime");
                (e.file_name().to_string_lossy().into_owned(), modified)
            })
            .collect();
        v.sort();
        v
    };
    let before = stamps(&out_dir);
    assert_eq!(before.len(), months.len());
    tmp.ok(&["publish", "--out", &out_dir.to_string_lossy()]);
    assert_eq!(stamps(&out_dir), before);
}
