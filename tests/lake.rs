//! The Parquet lake (`publish --parquet`) read by Apache Spark (PySpark in local mode, on
//! Debian's OpenJDK): the same rows as the published DuckDB files, month by month, and the
//! same license-hours per department for a month as the site's costs page shows; a later
//! publish rewrites only the open month's files.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Datelike, Utc};
use lmscope_e2e::{
    cells, copy_dir, dist, lmscope_ok, number, published_dir_db, raw, repo_root, text,
    StaticServer, TempDir, Visit, SUB_PATH,
};
use serde_json::Value;

/// What `tests/lake/spark_read.py LAKE MONTH` prints.
fn spark(lake: &Path, month: &str) -> Value {
    let venv = std::env::var("LMSCOPE_VENV").expect(
        "LMSCOPE_VENV (scripts/env.sh) names the Python with PySpark; run scripts/setup.sh",
    );
    let out = std::process::Command::new(Path::new(&venv).join("bin/python"))
        .arg(repo_root().join("tests/lake/spark_read.py"))
        .arg(lake)
        .arg(month)
        .output()
        .expect("run PySpark");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "Spark failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("bad JSON from Spark ({e}): {stdout}"))
}

/// The lake's Parquet files with their modification times.
fn lake_files(lake: &Path) -> BTreeMap<String, std::time::SystemTime> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![lake.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("lake folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "parquet") {
                let rel = path.strip_prefix(lake).expect("in the lake");
                let mtime = entry.metadata().and_then(|m| m.modified()).expect("mtime");
                out.insert(rel.to_string_lossy().into_owned(), mtime);
            }
        }
    }
    out
}

#[test]
fn spark_reads_the_lake_as_the_site_reads_the_published_files() {
    let tmp = TempDir::new("lake");
    let site = tmp.path().join("www").join(SUB_PATH);
    copy_dir(&dist(), &site);
    let _ = std::fs::remove_dir_all(site.join("data"));
    let data = site.join("data");
    let lake = tmp.path().join("lake");
    let store = tmp.path().join("store.duckdb");
    // Six weeks up to 1 December 2026: November is a closed month, whole.
    lmscope_ok(&[
        "--store",
        &store.to_string_lossy(),
        "demo",
        "--weeks",
        "6",
        "--end",
        "2026-12-01T12:00",
        "--out",
        &data.to_string_lossy(),
        "--parquet",
        &lake.to_string_lossy(),
    ]);
    let found = spark(&lake, "2026-11");
    assert!(
        found["spark"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{found}"
    );

    // Every table, month by month, holds the published files' rows: a partitioned table's
    // rows by the month of its partition column (open sessions in the open month).
    let db = published_dir_db(&data);
    let now = Utc::now().naive_utc();
    let open_month = format!("{:04}-{:02}", now.year(), now.month());
    let counts = found["counts"].as_object().expect("counts");
    let mut tables = 0;
    for table in raw(
        &db,
        "SELECT DISTINCT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1",
        1,
    ) {
        let table = text(&table[0]);
        let expected: BTreeMap<String, f64> =
            match lmscope::publish::partition::partition_column(&table) {
                Some(column) => raw(
                    &db,
                    &format!(
                        "SELECT coalesce(strftime({column}, '%Y-%m'), '{open_month}'), count(*)
                         FROM {table} GROUP BY 1"
                    ),
                    2,
                )
                .iter()
                .map(|r| (text(&r[0]), number(&r[1])))
                .collect(),
                None => raw(&db, &format!("SELECT 'all', count(*) FROM {table}"), 2)
                    .iter()
                    .map(|r| (text(&r[0]), number(&r[1])))
                    .collect(),
            };
        let lake_counts: BTreeMap<String, f64> = counts
            .get(&table)
            .and_then(Value::as_object)
            .unwrap_or_else(|| panic!("{table} is not in the lake: {found}"))
            .iter()
            .map(|(m, n)| (m.clone(), n.as_f64().unwrap_or(-1.0)))
            .filter(|(_, n)| *n > 0.0)
            .collect();
        assert_eq!(lake_counts, expected, "{table}");
        tables += 1;
    }
    assert!(tables >= 25, "{tables} tables compared");
    assert!(counts["user_daily"]["2026-11"].as_f64().unwrap_or(0.0) > 10_000.0);

    // November's license-hours per department, summed by Spark, are the site's.
    let server = StaticServer::start(&tmp.path().join("www"));
    let url = server.url(&format!(
        "{SUB_PATH}/?page=costs&from=2026-11-01&to=2026-11-30&by=department"
    ));
    let (_visit, page) = Visit::open(&url, "lake-costs-department.png", &["chargeback"]);
    assert!(page["error"].is_null(), "{}", page["error"]);
    let shown: BTreeMap<String, String> = cells(&page["tables"]["chargeback"]["rows"])
        .into_iter()
        .map(|r| (r[0].clone(), r[1].replace(',', "")))
        .collect();
    let spark_hours: BTreeMap<String, String> = found["license_hours"]
        .as_object()
        .expect("license-hours")
        .iter()
        .map(|(d, h)| (d.clone(), format!("{:.0}", h.as_f64().unwrap_or(-1.0))))
        .collect();
    assert!(spark_hours.len() >= 5, "{spark_hours:?}");
    let shown_hours: BTreeMap<String, String> = shown
        .iter()
        .map(|(d, h)| {
            let h: f64 = h
                .parse()
                .unwrap_or_else(|_| panic!("{d}: {h} is not a number"));
            (d.clone(), format!("{h:.0}"))
        })
        .collect();
    assert_eq!(shown_hours, spark_hours);

    // One more poll, published again: November's files stay as they were; the open month's
    // files are replaced, the old ones gone.
    let before = lake_files(&lake);
    lmscope_ok(&[
        "--store",
        &store.to_string_lossy(),
        "import",
        "lmstat",
        "--at",
        "2026-12-01T12:15",
        &repo_root()
            .join("tests/fixtures/lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_app6.txt")
            .to_string_lossy(),
    ]);
    lmscope_ok(&[
        "--store",
        &store.to_string_lossy(),
        "publish",
        "--out",
        &data.to_string_lossy(),
        "--parquet",
        &lake.to_string_lossy(),
    ]);
    let after = lake_files(&lake);
    let november: Vec<&String> = before
        .keys()
        .filter(|f| f.contains("month=2026-11/"))
        .collect();
    assert!(november.len() >= 10, "{november:?}");
    for f in &november {
        assert_eq!(after.get(*f), before.get(*f), "{f} was rewritten");
    }
    let current = |files: &BTreeMap<String, std::time::SystemTime>, generation: &str| {
        files
            .keys()
            .filter(|f| f.ends_with(&format!("current-{generation}.parquet")))
            .count()
    };
    assert!(current(&before, "000001") >= 20, "{before:?}");
    assert_eq!(current(&after, "000001"), 0, "{after:?}");
    assert_eq!(current(&after, "000002"), current(&before, "000001"));
    let listed = std::fs::read_to_string(lake.join("_files.json")).expect("_files.json");
    let listed: Vec<Value> = serde_json::from_str(&listed).expect("JSON list");
    assert_eq!(listed.len(), after.len(), "_files.json lists every file");
}
