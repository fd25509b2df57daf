//! Every page of the site on the real recorded fixtures (lmstat outputs, lmstat -i and debug
//! logs from real license servers, no org file): each renders its tables without an error,
//! and the features page and the report builder show what native DuckDB reads.

use std::collections::BTreeSet;

use serde_json::Value;

use lmscope_e2e::{
    cells, copy_dir, dist, fixture, number, published_db, raw, text, StaticServer, StoreDir, Visit,
    SUB_PATH,
};

fn fixtures(dir: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(fixture(dir))
        .expect("fixture dir")
        .map(|e| e.expect("entry").path().to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}

/// Every RESERVATION line of the lmstat recordings, read here from their text and summed
/// per file, feature, kind and target: `(feature, "kind target" in lower case, seats)`.
fn reservations_in(files: &[String]) -> BTreeSet<(String, String, String)> {
    let mut out = std::collections::BTreeMap::<(usize, String, String), u32>::new();
    for (i, f) in files.iter().enumerate() {
        let text = String::from_utf8_lossy(&std::fs::read(f).expect("read fixture")).into_owned();
        let mut feature = None;
        for line in text.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("Users of ") {
                feature = rest.split(':').next().map(str::to_owned);
            } else if let (Some(feature), Some((count, rest))) = (&feature, line.split_once(' ')) {
                let Some(rest) = rest.strip_prefix("RESERVATION") else {
                    continue;
                };
                let whom = rest.split_once(" for ").expect("reservation target").1;
                let whom = whom.rsplit_once(" (").map_or(whom, |w| w.0);
                let (kind, target) = whom.split_once(' ').expect("kind and target");
                let key = (
                    i,
                    feature.clone(),
                    format!("{} {target}", kind.to_lowercase()),
                );
                *out.entry(key).or_default() += count.parse::<u32>().expect("count");
            }
        }
    }
    out.into_iter()
        .map(|((_, feature, whom), n)| (feature, whom, n.to_string()))
        .collect()
}

#[test]
fn every_page_works_on_the_recorded_fixtures() {
    let tmp = StoreDir::new("fixtures-site");
    let (lmstat, entitlements): (Vec<String>, Vec<String>) = fixtures("lmstat")
        .into_iter()
        .partition(|f| !f.contains("lmstat_i_"));
    let reservations = reservations_in(&lmstat);
    assert!(!reservations.is_empty(), "the recordings hold reservations");
    for (kind, files) in [
        ("lmstat", lmstat),
        ("lmstat-i", entitlements),
        ("log", fixtures("debuglog")),
    ] {
        let mut args = vec!["import", kind];
        if kind == "lmstat-i" {
            // `lmstat -i` does not name its server.
            args.extend(["--server", "27000@lic1"]);
        }
        args.extend(files.iter().map(String::as_str));
        // Some recordings carry no date and are refused with a message; the rest import.
        let out = tmp.run(&args);
        assert!(out.status.success(), "{kind}: {out:?}");
    }
    let site = tmp.path().join("www").join(SUB_PATH);
    copy_dir(&dist(), &site);
    let _ = std::fs::remove_dir_all(site.join("data"));
    tmp.ok(&["publish", "--out", &site.join("data").to_string_lossy()]);
    let db = published_db(&site);
    let first = text(
        &raw(
            &db,
            "SELECT strftime(min(day), '%Y-%m-%d') FROM usage_daily",
            1,
        )[0][0],
    );
    let last = text(
        &raw(
            &db,
            "SELECT strftime(max(day), '%Y-%m-%d') FROM usage_daily",
            1,
        )[0][0],
    );
    let server = StaticServer::start(&tmp.path().join("www"));
    let range = format!("from={first}&to={last}");
    let user = text(&raw(&db, "SELECT min(user_name) FROM sessions", 1)[0][0]);

    let pages: &[(&str, &[&str])] = &[
        ("overview", &["features", "servers"]),
        ("features", &["feature-stats"]),
        ("users", &["users", "user-features"]),
        ("me", &["me-hours"]),
        ("departments", &["departments", "teams"]),
        ("clusters", &["clusters", "cluster-queue"]),
        ("trends", &["trend-compare", "trend-util"]),
        ("forecast", &["forecasts"]),
        ("costs", &["chargeback", "budgets"]),
        ("projects", &["projects"]),
        ("recommendations", &["recommendations"]),
        ("summary", &["sum-months"]),
        ("report", &["report"]),
        ("alerts", &["alerts-firing", "alerts-timeline"]),
    ];
    // One visit: the first page loaded, every other reached through the site's own routing.
    let mut visit = None;
    let mut shown = BTreeSet::new();
    let mut nav_checked = false;
    for &(page, tables) in pages {
        let url = server.url(&format!("{SUB_PATH}/?page={page}&{range}&user={user}"));
        let result =
            Visit::open_or_follow(&mut visit, &url, &format!("fixtures-{page}.png"), tables);
        assert!(result["error"].is_null(), "{page}: {}", result["error"]);
        assert!(
            result["pageErrors"].as_array().is_some_and(Vec::is_empty),
            "{page}: {}",
            result["pageErrors"]
        );
        if !nav_checked {
            // The pages checked here are every page the site's navigation offers.
            let nav: BTreeSet<&str> = result["nav"]
                .as_array()
                .expect("the navigation's pages")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let checked: BTreeSet<&str> = pages.iter().map(|p| p.0).collect();
            assert_eq!(checked, nav, "pages checked vs the site's navigation");
            nav_checked = true;
        }
        for t in tables {
            assert!(
                result["tables"][*t]["rows"].is_array(),
                "{page}: table {t} missing"
            );
            if !cells(&result["tables"][*t]["rows"]).is_empty() {
                shown.insert(format!("{page}/{t}"));
            }
        }
        if page == "overview" {
            // A recording with RESERVATION lines: the seats lmstat counts as in use while
            // nobody has them checked out show as reserved, not checked out.
            let rows = cells(&result["tables"]["features"]["rows"]);
            for (feature, total) in [("Power_System_Blocks", "5"), ("SIMULINK_Perf_Tools", "1")] {
                // (Other recordings list the same feature names on their own servers.)
                let of: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == feature).collect();
                assert!(
                    of.iter().any(|r| r[3..6] == ["0", "1", total]),
                    "{feature}: checked out 0, reserved 1, total {total} among {of:?}"
                );
            }
        }
        if page == "recommendations" {
            // Each recording is one poll, so every reservation it lists sat unused over the
            // range: one "Release" each, for the seats its lines reserve.
            let rows = cells(&result["tables"]["recommendations"]["rows"]);
            let released: BTreeSet<(String, String, String)> = rows
                .iter()
                .filter(|r| r[1] == "Release a reservation")
                .map(|r| {
                    let whom = r[0].split_once(" for ").expect("subject").1.to_owned();
                    (r[3].clone(), whom, r[4].clone())
                })
                .collect();
            assert_eq!(released, reservations, "{rows:?}");
        }
        if page == "features" {
            // One row per server and feature with usage in the range, as the file holds them.
            let expected = raw(
                &db,
                &format!(
                    "SELECT count(DISTINCT (server, feature)) FROM usage_daily
                     WHERE day BETWEEN DATE '{first}' AND DATE '{last}'"
                ),
                1,
            );
            let rows = cells(&result["tables"]["feature-stats"]["rows"]);
            assert_eq!(rows.len() as f64, number(&expected[0][0]), "{rows:?}");
        }
    }
    // The recordings have usage, users and denials to show.
    for must in [
        "features/feature-stats",
        "users/users",
        "report/report",
        "me/me-hours",
    ] {
        assert!(shown.contains(must), "{must} is empty: {shown:?}");
    }

    // The report builder over the fixtures: denials per feature as the debug logs hold them.
    let url = server.url(&format!(
        "{SUB_PATH}/?page=report&{range}&dims=feature&measures=denials"
    ));
    let result =
        Visit::open_or_follow(&mut visit, &url, "fixtures-report-denials.png", &["report"]);
    let rows = cells(&result["tables"]["report"]["rows"]);
    let expected = raw(
        &db,
        &format!(
            "SELECT feature, count(*) FROM events WHERE kind = 'DENIED'
             AND ts >= DATE '{first}' AND ts < DATE '{last}' + INTERVAL 1 DAY GROUP BY 1"
        ),
        2,
    );
    let denied: Vec<(String, f64)> = rows
        .iter()
        .filter(|r| r[1] != "0")
        .map(|r| (r[0].clone(), r[1].parse().expect("number")))
        .collect();
    let mut want: Vec<(String, f64)> = expected
        .iter()
        .map(|r| (text(&r[0]), number(&r[1])))
        .collect();
    want.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut got = denied.clone();
    got.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    assert_eq!(got, want);
}
