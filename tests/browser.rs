//! The built site in real Chromium, on data published by the real collector, checked
//! against the same published file read by native DuckDB.

use duckdb::Connection;
use lmscope_e2e::{
    cells, number, published_db, raw, scrape, site_with_demo, text, StaticServer, TempDir, Visit,
    SUB_PATH,
};
use serde_json::Value;

#[test]
fn overview_shows_exactly_what_native_duckdb_reads() {
    let tmp = TempDir::new("browser");
    let site = site_with_demo(tmp.path());
    let db = published_db(&site);
    let server = StaticServer::start(&tmp.path().join("www"));
    let page = scrape(
        &server.url(&format!(
            "{SUB_PATH}/index.html?feature=SIMULINK&read=range"
        )),
        "overview.png",
    );
    assert!(page.get("error").is_none(), "page failed to load: {page}");
    assert_eq!(page["pageErrors"], Value::Array(vec![]), "page errors");
    // The current file, then the months, all read on demand with HTTP Range requests, as
    // large files would be (the first view comes from its JSON file, not the snapshot).
    assert_eq!(
        page["openModes"],
        serde_json::json!(vec!["range"; lmscope_e2e::files_opened(&site)])
    );

    // Feature summary: each feature's state after the last change recorded, folded here
    // row by row in time order.
    let mut latest: std::collections::BTreeMap<(String, String, String), Vec<String>> =
        Default::default();
    let mut stmt = db
        .prepare(
            "SELECT feature, server, coalesce(vendor, ''), counting, in_use, issued
             FROM feature_usage ORDER BY ts, poll_id",
        )
        .expect("prepare");
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, Option<i64>>(5)?,
            ))
        })
        .expect("query");
    // Reservations nobody checked out: the set each server listed last (its rows at its
    // latest `ts`), summed per feature; lmstat's "in use" counts them.
    // server → (latest ts, its rows as (feature, count, kind))
    type Set = (String, Vec<(String, i64, String)>);
    let mut sets: std::collections::BTreeMap<String, Set> = Default::default();
    let reservation_rows = raw(
        &db,
        "SELECT server, ts::VARCHAR, feature, count, kind FROM reservations",
        5,
    );
    for r in &reservation_rows {
        let (ts, row) = (
            text(&r[1]),
            (text(&r[2]), number(&r[3]) as i64, text(&r[4])),
        );
        let set = sets.entry(text(&r[0])).or_default();
        if ts > set.0 {
            *set = (ts.clone(), Vec::new());
        }
        if ts == set.0 {
            set.1.push(row);
        }
    }
    let reserved = |server: &str, feature: &str| -> i64 {
        sets.get(server).map_or(0, |(_, rows)| {
            rows.iter()
                .filter(|(f, _, k)| f == feature && k != "NONE")
                .map(|(_, c, _)| c)
                .sum()
        })
    };
    for row in rows {
        let (feature, server, vendor, counting, in_use, issued) = row.expect("row");
        let key = (server.clone(), vendor.clone(), feature.clone());
        match (counting.as_str(), in_use, issued) {
            ("counted", Some(u), Some(i)) => {
                let r = reserved(&server, &feature);
                let out = (u - r).max(0);
                latest.insert(
                    key,
                    vec![
                        feature,
                        server,
                        vendor,
                        out.to_string(),
                        r.to_string(),
                        i.to_string(),
                        (i - u).to_string(),
                        format!(
                            "{:.1} %",
                            (out as f64 * 100.0 / i as f64 * 10.0).round() / 10.0
                        ),
                    ],
                );
            }
            _ => {
                latest.remove(&key);
            }
        }
    }
    let mut expected: Vec<Vec<String>> = latest.into_values().collect();
    assert!(expected.len() >= 30, "demo has a few dozen features");
    let mut shown = cells(&page["features"]);
    // The last column: each feature's hourly peaks over the last 24 hours of data (the
    // sparkline's figures), as native DuckDB sums them from the hourly rollup.
    let mut peaks: std::collections::BTreeMap<(String, String), Vec<(String, i64)>> =
        Default::default();
    let hours = db
        .prepare(
            "SELECT feature, server, hour::VARCHAR, peak_in_use FROM usage_hourly
             WHERE hour > (SELECT max(hour) FROM usage_hourly) - INTERVAL 24 HOUR",
        )
        .expect("prepare")
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })
        .expect("query")
        .collect::<Result<Vec<_>, _>>()
        .expect("rows");
    for (feature, server, hour, peak) in hours {
        let series = peaks.entry((feature, server)).or_default();
        match series.iter_mut().find(|(h, _)| *h == hour) {
            Some(p) => p.1 += peak,
            None => series.push((hour, peak)),
        }
    }
    for row in &mut shown {
        let spark = row.pop().expect("the sparkline cell");
        let mut want = peaks
            .remove(&(row[0].clone(), row[1].clone()))
            .unwrap_or_default();
        want.sort();
        let want: Vec<String> = want.iter().map(|(_, p)| p.to_string()).collect();
        assert_eq!(
            spark,
            want.join(","),
            "last 24 h of {} on {}",
            row[0],
            row[1]
        );
    }
    let percents: Vec<f64> = shown
        .iter()
        .map(|r| r[7].trim_end_matches(" %").parse().expect("percent"))
        .collect();
    assert!(
        percents.windows(2).all(|w| w[0] >= w[1]),
        "sorted by % utilized: {percents:?}"
    );
    shown.sort();
    expected.sort();
    assert_eq!(shown, expected, "feature table vs native DuckDB");

    // Servers: every server, its status at its latest poll.
    let servers: Vec<(String, bool)> = db
        .prepare("SELECT server, arg_max(ok, until) FROM polls GROUP BY server ORDER BY server")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    let shown_servers: Vec<(String, bool)> = cells(&page["servers"])
        .into_iter()
        .map(|r| (r[0].clone(), r[1] == "UP"))
        .collect();
    assert_eq!(shown_servers, servers);

    // The chart of the feature named in the URL: hourly points, peak, issued.
    assert!(page["chartTitle"]
        .as_str()
        .unwrap_or_default()
        .ends_with("SIMULINK"));
    // Points: hours of the hourly rollup. Peak and last issued: from the change rows of
    // `feature_usage`, which every poll's value passed through.
    let points: i64 = db
        .query_row(
            "SELECT count(DISTINCT hour) FROM usage_hourly WHERE feature = 'SIMULINK'",
            [],
            |r| r.get(0),
        )
        .expect("points");
    let (peak, issued): (i64, i64) = db
        .query_row(
            "SELECT max(in_use), arg_max(issued, ts) FROM feature_usage
             WHERE feature = 'SIMULINK' AND counting = 'counted'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("chart figures");
    let chart = &page["chart"];
    assert_eq!(chart["points"].as_i64(), Some(points), "chart points");
    assert_eq!(chart["peak"].as_i64(), Some(peak), "chart peak");
    assert_eq!(chart["lastIssued"].as_i64(), Some(issued), "chart issued");
    assert!(
        chart["ink"].as_f64().unwrap_or(0.0) > 0.01,
        "the canvas has a drawing: {chart}"
    );
    assert_eq!(
        chart["width"].as_i64(),
        chart["cssWidth"].as_i64().map(|w| w * 2),
        "canvas scaled by devicePixelRatio"
    );

    // The chart's text equivalent: daily peak, average and issued, rolled up here from the
    // hourly rows (the site reads the daily rollup).
    let mut per_day: std::collections::BTreeMap<(String, String), (i64, i64, i64, i64)> =
        Default::default();
    let mut stmt = db
        .prepare(
            "SELECT strftime(hour, '%Y-%m-%d'), server, peak_in_use, sum_in_use, polls, issued
             FROM usage_hourly WHERE feature = 'SIMULINK'",
        )
        .expect("prepare");
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })
        .expect("query");
    for row in rows {
        let (day, server, peak, sum, polls, issued) = row.expect("row");
        let e = per_day.entry((day, server)).or_default();
        e.0 = e.0.max(peak);
        e.1 += sum;
        e.2 += polls;
        e.3 = e.3.max(issued);
    }
    let mut days: std::collections::BTreeMap<String, (i64, f64, i64)> = Default::default();
    for ((day, _), (peak, sum, polls, issued)) in per_day {
        let d = days.entry(day).or_default();
        d.0 += peak;
        d.1 += sum as f64 / polls as f64;
        d.2 += issued;
    }
    let daily: Vec<Vec<String>> = days
        .into_iter()
        .map(|(day, (peak, mean, issued))| {
            vec![
                day,
                peak.to_string(),
                format!("{:.1}", (mean * 10.0).round() / 10.0),
                issued.to_string(),
            ]
        })
        .collect();
    assert_eq!(cells(&page["daily"]), daily, "daily table vs native DuckDB");

    assert_eq!(page["dataAsOf"], "2026-11-20 12:00 UTC");
    // The demo ends on a fixed date, days ago: the page says the data is stale.
    assert!(
        page["stale"]
            .as_str()
            .is_some_and(|s| s.starts_with("Stale data: the newest poll is ") && s.contains(" d ")),
        "{page}"
    );

    // The pinned pair: the browser's DuckDB is the collector's DuckDB.
    let native: String = db
        .query_row("SELECT version()", [], |r| r.get(0))
        .expect("version");
    assert_eq!(page["duckdbVersion"].as_str(), Some(native.as_str()));

    eprintln!("timing (ms since navigation): {}", page["timing"]);
}

#[test]
fn the_overview_is_drawn_before_the_engine_opens_the_data() {
    let tmp = TempDir::new("browser-first-view");
    site_with_demo(tmp.path());
    let server = StaticServer::start(&tmp.path().join("www"));
    let url = server.url(&format!("{SUB_PATH}/index.html"));
    let normal = scrape(&url, "first-view.png");
    assert!(normal.get("error").is_none(), "{normal}");
    let features = cells(&normal["features"]);
    assert!(!features.is_empty(), "features drawn");
    // No DuckDB file can be fetched: the overview still shows every feature (from the
    // publish's first-view JSON), then says why the rest cannot follow.
    let blocked = lmscope_e2e::scrape_tables_with(
        &url,
        "first-view-no-engine-data.png",
        &[],
        &[("BLOCK", r"lmscope-\d+(-now)?\.duckdb")],
    );
    assert_eq!(cells(&blocked["features"]), features, "{blocked}");
    let error = blocked["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("cannot fetch") && error.contains(".duckdb"),
        "the page says what failed: {error}"
    );
}

#[test]
fn missing_broken_or_foreign_data_gets_a_clear_message() {
    let tmp = TempDir::new("browser-bad");
    let site = site_with_demo(tmp.path());

    // 1. A corrupt month behind a valid manifest: the first view still shows (from its JSON
    //    file); a page that needs the month says what failed.
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(site.join("data/manifest.json")).expect("manifest"))
            .expect("json");
    let file = site
        .join("data")
        .join(manifest["files"][0]["path"].as_str().expect("path"));
    std::fs::write(&file, b"this is not a duckdb database file, just text").expect("corrupt");
    let server = StaticServer::start(&tmp.path().join("www"));
    let index = server.url(&format!("{SUB_PATH}/index.html"));
    let (mut visit, page) = Visit::open(&index, "error-corrupt-full-overview.png", &["features"]);
    // The parts of the overview that need the full file (queue, live feed) may already say
    // why they failed; the rest shows.
    assert!(
        page["error"]
            .as_str()
            .is_none_or(|e| e.contains("not a readable DuckDB file")),
        "the first view still shows: {page}"
    );
    assert!(
        cells(&page["tables"]["features"]["rows"]).len() >= 30,
        "{page}"
    );
    let page = visit.follow(
        &server.url(&format!("{SUB_PATH}/index.html?page=clusters")),
        "error-corrupt-full.png",
        &["clusters"],
    );
    let error = page["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("query failed") && error.contains("not a readable DuckDB file"),
        "corrupt full file: {page}"
    );

    // ...and a corrupt current file (the latest state): the data cannot be opened, and the
    // message says why.
    let current = site.join("data").join(
        manifest["files"]
            .as_array()
            .and_then(|f| f.last())
            .and_then(|f| f["path"].as_str())
            .expect("current file path"),
    );
    std::fs::write(&current, b"garbage").expect("corrupt");
    let page = scrape(&index, "error-corrupt.png");
    let error = page["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("not a readable DuckDB file"),
        "corrupt file: {page}"
    );

    // 2. A schema version this site does not know.
    let mut newer = manifest.clone();
    newer["schema_version"] = Value::from(999);
    std::fs::write(site.join("data/manifest.json"), newer.to_string()).expect("write");
    let page = scrape(&index, "error-schema.png");
    let error = page["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("schema version 999"),
        "schema mismatch: {page}"
    );

    // 3. No data at all.
    std::fs::remove_dir_all(site.join("data")).expect("remove data");
    let page = scrape(&index, "error-missing.png");
    let error = page["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("manifest.json") && error.contains("404"),
        "missing data: {page}"
    );
}

#[test]
fn a_truncated_or_missing_data_file_gets_a_clear_message() {
    let tmp = TempDir::new("browser-cut");
    let site = site_with_demo(tmp.path());
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(site.join("data/manifest.json")).expect("manifest"))
            .expect("json");
    let name = manifest["files"][0]["path"].as_str().expect("path");
    let file = site.join("data").join(name);
    let server = StaticServer::start(&tmp.path().join("www"));
    let clusters = server.url(&format!("{SUB_PATH}/index.html?page=clusters"));
    let index = server.url(&format!("{SUB_PATH}/index.html"));

    // Half a month's file, as an interrupted upload leaves it: the overview still shows from
    // its first-view file; a page that needs the month says it cannot read it.
    let bytes = std::fs::read(&file).expect("read");
    std::fs::write(&file, &bytes[..bytes.len() / 2]).expect("truncate");
    let (mut visit, page) = Visit::open(&index, "error-truncated-overview.png", &["features"]);
    assert!(
        cells(&page["tables"]["features"]["rows"]).len() >= 30,
        "the first view still shows: {page}"
    );
    let page = visit.follow(&clusters, "error-truncated.png", &["clusters"]);
    let error = page["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("query failed") && error.contains(name),
        "truncated full file: {page}"
    );

    // The full file gone (the host lost it): the message names it and says it is missing.
    std::fs::remove_file(&file).expect("remove");
    drop(visit);
    let (mut visit, page) = Visit::open(&index, "error-gone-overview.png", &["features"]);
    assert!(
        cells(&page["tables"]["features"]["rows"]).len() >= 30,
        "the first view still shows: {page}"
    );
    let page = visit.follow(&clusters, "error-gone.png", &["clusters"]);
    let error = page["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(name) && error.contains("404"),
        "missing full file: {page}"
    );
}

/// Per-user daily usage with its org attributes, read row by row from the published file;
/// the pages' figures are recomputed from these in Rust.
struct UsageRow {
    day: String,
    server: String,
    user: String,
    department: String,
    cost_center: String,
    team: String,
    cluster: String,
    feature: String,
    license_hours: f64,
    hours: f64,
    sessions: i64,
}

fn usage_rows(db: &Connection) -> Vec<UsageRow> {
    let people: std::collections::HashMap<String, (String, String, String)> = db
        .prepare("SELECT user_name, team, department, cost_center FROM org_people")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("people");
    let hosts: std::collections::HashMap<String, String> = db
        .prepare("SELECT host, cluster FROM org_hosts")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("hosts");
    let unassigned = || "unassigned".to_owned();
    let mut stmt = db
        .prepare(
            "SELECT strftime(day, '%Y-%m-%d'), server, user_name, host, feature, license_hours,
                    hours, sessions FROM user_daily",
        )
        .expect("prepare");
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, f64>(5)?,
                r.get::<_, f64>(6)?,
                r.get::<_, i64>(7)?,
            ))
        })
        .expect("query");
    rows.map(|r| {
        let (day, server, user, host, feature, license_hours, hours, sessions) = r.expect("row");
        let (team, department, cost_center) = people
            .get(&user)
            .cloned()
            .unwrap_or_else(|| (unassigned(), unassigned(), unassigned()));
        UsageRow {
            day,
            server,
            department,
            cost_center,
            team,
            cluster: hosts.get(&host).cloned().unwrap_or_else(unassigned),
            feature,
            user,
            license_hours,
            hours,
            sessions,
        }
    })
    .collect()
}

/// Group `rows` by `key` and sum license-hours, hours, distinct users and sessions.
fn grouped(
    rows: &[&UsageRow],
    key: impl Fn(&UsageRow) -> Vec<String>,
) -> std::collections::BTreeMap<Vec<String>, (f64, f64, usize, i64)> {
    let mut out: std::collections::BTreeMap<
        Vec<String>,
        (f64, f64, std::collections::BTreeSet<String>, i64),
    > = Default::default();
    for r in rows {
        let e = out.entry(key(r)).or_default();
        e.0 += r.license_hours;
        e.1 += r.hours;
        e.2.insert(r.user.clone());
        e.3 += r.sessions;
    }
    out.into_iter()
        .map(|(k, (lh, h, users, s))| (k, (lh, h, users.len(), s)))
        .collect()
}

/// Compare a scraped table with the expected groups: key columns as text, then the
/// measures as numbers (the site rounds to two decimals).
fn assert_table(
    page: &Value,
    table: &str,
    keys: usize,
    expected: &std::collections::BTreeMap<Vec<String>, Vec<f64>>,
) {
    let rows = cells(&page["tables"][table]["rows"]);
    assert_eq!(rows.len(), expected.len(), "{table}: row count");
    for row in rows {
        let key: Vec<String> = row[..keys].to_vec();
        let want = expected
            .get(&key)
            .unwrap_or_else(|| panic!("{table}: unexpected row {row:?}"));
        for (i, w) in want.iter().enumerate() {
            let shown: f64 = row[keys + i].parse().expect("number");
            assert!(
                (shown - w).abs() <= 0.0051 + 1e-9 * w.abs(),
                "{table} {key:?} column {}: shown {shown}, expected {w}",
                keys + i
            );
        }
    }
}

#[test]
fn pages_compute_what_native_duckdb_reads() {
    let tmp = TempDir::new("browser-pages");
    let site = site_with_demo(tmp.path());
    let db = published_db(&site);
    let all = usage_rows(&db);
    let server = StaticServer::start(&tmp.path().join("www"));
    let url = |query: &str| server.url(&format!("{SUB_PATH}/index.html?{query}"));

    // Teams and departments over one week of one server.
    let (from, to, srv) = ("2026-11-09", "2026-11-15", "1055@lic-mw01");
    let (mut visit, page) = Visit::open(
        &url(&format!(
            "page=departments&from={from}&to={to}&server={}",
            srv.replace('@', "%40")
        )),
        "departments.png",
        &["departments", "teams"],
    );
    assert!(page.get("error").is_none(), "{page}");
    let rows: Vec<&UsageRow> = all
        .iter()
        .filter(|r| r.day.as_str() >= from && r.day.as_str() <= to && r.server == srv)
        .collect();
    assert!(!rows.is_empty(), "the week has usage");
    let as_expected = |g: std::collections::BTreeMap<Vec<String>, (f64, f64, usize, i64)>| {
        g.into_iter()
            .map(|(k, (lh, h, u, s))| (k, vec![lh, h, u as f64, s as f64]))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    assert_table(
        &page,
        "departments",
        2,
        &as_expected(grouped(&rows, |r| {
            vec![r.department.clone(), r.cost_center.clone()]
        })),
    );
    assert_table(
        &page,
        "teams",
        2,
        &as_expected(grouped(&rows, |r| {
            vec![r.team.clone(), r.department.clone()]
        })),
    );

    // The charts above them plot each group's share of license-hours, largest first,
    // labelled by the org file's names.
    let names: std::collections::BTreeMap<String, String> = lmscope_e2e::raw(
        &db,
        "SELECT department, name FROM org_departments UNION ALL SELECT team, name FROM org_teams",
        2,
    )
    .iter()
    .map(|r| (lmscope_e2e::text(&r[0]), lmscope_e2e::text(&r[1])))
    .collect();
    for (chart, key) in [
        (
            "departments-chart",
            (|r: &UsageRow| r.department.clone()) as fn(&UsageRow) -> String,
        ),
        ("teams-chart", |r: &UsageRow| r.team.clone()),
    ] {
        let mut hours: std::collections::BTreeMap<String, f64> = Default::default();
        for r in &rows {
            *hours.entry(key(r)).or_default() += r.license_hours;
        }
        let total: f64 = hours.values().sum();
        let mut want: Vec<(String, f64)> = hours
            .into_iter()
            .map(|(k, h)| (names.get(&k).cloned().unwrap_or(k), 100.0 * h / total))
            .collect();
        want.sort_by(|a, b| b.1.total_cmp(&a.1));
        want.truncate(12);
        let data = &page["canvases"][chart]["data"];
        let labels: Vec<String> =
            serde_json::from_str(data["labels"].as_str().expect("chart labels")).expect("labels");
        let values: Vec<f64> =
            serde_json::from_str(data["values"].as_str().expect("chart values")).expect("values");
        assert_eq!(
            labels,
            want.iter().map(|w| w.0.clone()).collect::<Vec<_>>(),
            "{chart}"
        );
        for (v, w) in values.iter().zip(&want) {
            assert!(
                (v - w.1).abs() < 0.051,
                "{chart} {}: plotted {v}, expected {}",
                w.0,
                w.1
            );
        }
        assert!(
            page["canvases"][chart]["ink"].as_f64().unwrap_or(0.0) > 0.01,
            "{chart} is drawn"
        );
    }

    // Clusters for one department over the default range (30 days to the newest data).
    let page = visit.follow(
        &url("page=clusters&department=chip"),
        "clusters.png",
        &["clusters"],
    );
    let rows: Vec<&UsageRow> = all
        .iter()
        .filter(|r| r.day.as_str() >= "2026-10-22" && r.department == "chip")
        .collect();
    let mut features: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for r in &rows {
        features
            .entry(r.cluster.clone())
            .or_default()
            .insert(r.feature.clone());
    }
    let total: f64 = rows.iter().map(|r| r.license_hours).sum();
    let expected: std::collections::BTreeMap<Vec<String>, Vec<f64>> =
        grouped(&rows, |r| vec![r.cluster.clone()])
            .into_iter()
            .map(|(k, (lh, h, u, s))| {
                let f = features.get(&k[0]).map_or(0, |f| f.len());
                (k, vec![lh, h, u as f64, f as f64, s as f64])
            })
            .collect();
    assert_table(&page, "clusters", 1, &expected);
    lmscope_e2e::assert_chart_of_table(&page, "clusters", 1);
    // Each cluster's share of the license-hours, in percent (one decimal shown).
    for row in cells(&page["tables"]["clusters"]["rows"]) {
        let lh = expected[&vec![row[0].clone()]][0];
        let shown: f64 = row[6].parse().expect("share");
        assert!(
            (shown - 100.0 * lh / total).abs() <= 0.051,
            "share of {row:?}"
        );
    }

    // A report from the URL: license-hours and users by cluster and month, whole data.
    let page = visit.follow(
        &url("page=report&from=2025-01-01&dims=cluster,month&measures=license_hours,users"),
        "report.png",
        &["report"],
    );
    assert_eq!(
        page["tables"]["report"]["head"],
        serde_json::json!(["Cluster", "Month", "License-hours", "Users"])
    );
    let rows: Vec<&UsageRow> = all.iter().collect();
    let expected = grouped(&rows, |r| vec![r.cluster.clone(), r.day[..7].to_owned()])
        .into_iter()
        .map(|(k, (lh, _, u, _))| (k, vec![lh, u as f64]))
        .collect();
    assert_table(&page, "report", 2, &expected);

    // Hostile and malformed URLs: a clear message, nothing executed.
    let page = visit.follow(&url("page=users&from=yesterday"), "bad-url.png", &["users"]);
    assert!(
        page["error"]
            .as_str()
            .is_some_and(|e| e.contains("`from`") && e.contains("yesterday")),
        "{page}"
    );
    let page = visit.follow(
        &url("page=users&user=x%27%20OR%20%271%27%3D%271"),
        "hostile-url.png",
        &["users"],
    );
    assert!(page.get("error").is_none(), "{page}");
    assert_eq!(page["tables"]["users"]["rows"], serde_json::json!([]));
    assert_eq!(page["pageErrors"], Value::Array(vec![]));
}

#[test]
fn a_host_without_range_support_or_a_slow_network_still_serves_the_site() {
    let tmp = TempDir::new("browser-no-range");
    let site = site_with_demo(tmp.path());
    let opened = lmscope_e2e::files_opened(&site);

    // A host that ignores Range: even when range reads are asked for, files come whole.
    let server = StaticServer::start_without_range(&tmp.path().join("www"));
    let page = scrape(
        &server.url(&format!("{SUB_PATH}/index.html?read=range")),
        "no-range.png",
    );
    assert!(page.get("error").is_none(), "{page}");
    assert_eq!(
        page["openModes"],
        serde_json::json!(vec!["whole"; opened]),
        "{page}"
    );
    assert!(cells(&page["features"]).len() >= 30, "{page}");
    assert!(page["chart"]["points"].as_u64() > Some(0), "{page}");
    drop(server);

    // A slow network: a progress indicator first, then the page.
    let server = StaticServer::start(&tmp.path().join("www"));
    let page = lmscope_e2e::scrape_tables_with(
        &server.url(&format!("{SUB_PATH}/index.html?page=departments")),
        "slow-network.png",
        &["departments"],
        &[("THROTTLE", "1")],
    );
    assert!(page.get("error").is_none(), "{page}");
    assert_eq!(
        page["sawLoading"],
        Value::Bool(true),
        "a progress indicator while loading"
    );
    assert!(
        !cells(&page["tables"]["departments"]["rows"]).is_empty(),
        "{page}"
    );
}

/// A view of a few days attaches (and fetches) only the monthly files whose rows meet those
/// days, and the current file; a view over all the data (the alerts) attaches the rest.
/// (`prefetch=0`: the last year's months are not attached in the background when idle.)
#[test]
fn a_short_range_fetches_only_the_months_it_reads() {
    use chrono::{Duration, NaiveDate, NaiveDateTime};
    let tmp = TempDir::new("browser-lazy");
    let site = tmp.path().join("www").join(SUB_PATH);
    lmscope_e2e::copy_dir(&lmscope_e2e::dist(), &site);
    let _ = std::fs::remove_dir_all(site.join("data"));
    lmscope_e2e::demo_in(tmp.path(), &site.join("data"), &["--weeks", "9"]);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(site.join("data/manifest.json")).expect("manifest"))
            .expect("JSON");
    let time = |v: &Value| {
        NaiveDateTime::parse_from_str(v.as_str().unwrap_or_default(), "%Y-%m-%dT%H:%M:%SZ")
            .expect("RFC 3339 time")
    };
    let last = time(&manifest["data_as_of"]).date();
    let first = last - Duration::days(6);
    // Expected: every file but the partitions whose rows lie wholly before `first`.
    let start = first.and_hms_opt(0, 0, 0).expect("midnight");
    let files = manifest["files"].as_array().expect("files");
    let all: Vec<String> = files
        .iter()
        .map(|f| f["path"].as_str().unwrap_or_default().to_owned())
        .collect();
    let wanted: Vec<String> = files
        .iter()
        .filter(|f| f["month"].is_null() || time(&f["to"]) > start)
        .map(|f| f["path"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        wanted.len() < all.len() && wanted.len() >= 2,
        "nine weeks end in a month before the current one: {all:?}"
    );
    let server = StaticServer::start(&tmp.path().join("www"));
    let url = |query: &str| server.url(&format!("{SUB_PATH}/index.html?{query}"));
    let sorted = |v: &Value| {
        let mut names: Vec<String> = v
            .as_array()
            .unwrap_or_else(|| panic!("attached files: {v}"))
            .iter()
            .map(|n| n.as_str().unwrap_or_default().to_owned())
            .collect();
        names.sort();
        names
    };
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let (mut visit, page) = Visit::open(
        &url(&format!(
            "page=departments&from={}&to={}&prefetch=0",
            day(first),
            day(last)
        )),
        "lazy-departments.png",
        &["departments"],
    );
    assert!(page["error"].is_null(), "{page}");
    assert!(!cells(&page["tables"]["departments"]["rows"]).is_empty());
    let mut want = wanted.clone();
    want.sort();
    assert_eq!(sorted(&page["attachedFiles"]), want);

    // The alerts read all the history: every file is attached now.
    let page = visit.follow(&url("page=alerts"), "lazy-alerts.png", &["alerts-firing"]);
    assert!(page["error"].is_null(), "{page}");
    let mut all = all;
    all.sort();
    assert_eq!(sorted(&page["attachedFiles"]), all);
}
