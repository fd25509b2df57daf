//! The report builder's hour of day, peak concurrency and denials, in Chromium on the demo,
//! against the same figures computed here from the published file's raw sessions and
//! events (read with native DuckDB, split into hours and swept in time order in Rust).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Timelike};
use lmscope_e2e::{
    cells, number, published_db, raw, site_with_demo, text, StaticServer, TempDir, Visit, SUB_PATH,
};

const FROM: &str = "2026-11-10";
const TO: &str = "2026-11-20";

/// A session as `user_daily` counts it: from `s` to `e` (epoch seconds).
struct Span {
    department: String,
    team: String,
    feature: String,
    s: f64,
    e: f64,
    licenses: f64,
}

fn epoch_of(day: &str) -> f64 {
    day.parse::<NaiveDate>()
        .expect("date")
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp() as f64
}

fn hour_of(t: f64) -> String {
    let t = DateTime::from_timestamp(t.floor() as i64, 0).expect("time");
    format!("{:02}", t.hour())
}

/// The most licenses held at once per bucket: checkouts add, check-ins take back (check-ins
/// first at equal times), the running sum read at each moment inside `[r0, r1)`.
fn sweep(
    spans: &[&Span],
    r0: f64,
    r1: f64,
    bucket: impl Fn(f64) -> String,
) -> BTreeMap<String, f64> {
    let mut moments: Vec<(f64, f64)> = spans
        .iter()
        .flat_map(|s| [(s.s, s.licenses), (s.e, -s.licenses)])
        .collect();
    moments.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut held = 0.0;
    let mut peak: BTreeMap<String, f64> = BTreeMap::new();
    for (t, d) in moments {
        held += d;
        if (r0..r1).contains(&t) {
            let p = peak.entry(bucket(t)).or_insert(f64::MIN);
            *p = p.max(held);
        }
    }
    peak
}

fn shown(cell: &str) -> f64 {
    if cell.is_empty() {
        0.0
    } else {
        cell.parse()
            .unwrap_or_else(|_| panic!("`{cell}` is not a number"))
    }
}

#[test]
fn hours_peaks_and_denials_match_raw_sessions_and_events() {
    let tmp = TempDir::new("report");
    let site = site_with_demo(tmp.path());
    let db = published_db(&site);
    let (r0, r1) = (epoch_of(FROM), epoch_of(TO) + 86_400.0);
    let org: BTreeMap<String, (String, String)> =
        raw(&db, "SELECT user_name, department, team FROM org_people", 3)
            .into_iter()
            .map(|r| (text(&r[0]), (text(&r[1]), text(&r[2]))))
            .collect();
    let unassigned = || ("unassigned".to_owned(), "unassigned".to_owned());
    let dept = |user: &str| org.get(user).cloned().unwrap_or_else(unassigned).0;
    let team = |user: &str| org.get(user).cloned().unwrap_or_else(unassigned).1;
    let spans: Vec<Span> = raw(
        &db,
        "SELECT user_name, licenses, epoch(started_at), epoch(first_seen),
                epoch(coalesce(ended_at, last_seen)), feature FROM sessions",
        6,
    )
    .into_iter()
    .filter_map(|r| {
        let first = number(&r[3]);
        let started = match r[2] {
            duckdb::types::Value::Null => None,
            _ => Some(number(&r[2])),
        };
        let s = started.filter(|x| *x >= first - 86_400.0).unwrap_or(first);
        let e = number(&r[4]);
        (e >= s && e >= r0 && s < r1).then(|| Span {
            department: dept(&text(&r[0])),
            team: team(&text(&r[0])),
            feature: text(&r[5]),
            s,
            e,
            licenses: number(&r[1]),
        })
    })
    .collect();
    assert!(spans.len() > 1000, "{}", spans.len());

    // By hour of day: license-hours and sessions from the spans split at each hour.
    let mut by_hour: BTreeMap<String, [f64; 4]> = BTreeMap::new();
    for sp in &spans {
        let mut hr = (sp.s / 3600.0).floor() * 3600.0;
        while hr <= (sp.e / 3600.0).floor() * 3600.0 {
            let day_start = (hr / 86_400.0).floor() * 86_400.0;
            if (r0..r1).contains(&day_start) {
                let overlap = sp.e.min(hr + 3600.0) - sp.s.max(hr);
                let row = by_hour.entry(hour_of(hr)).or_default();
                row[0] += sp.licenses * overlap / 3600.0;
                if sp.s >= hr {
                    row[1] += 1.0;
                }
            }
            hr += 3600.0;
        }
    }
    let all: Vec<&Span> = spans.iter().collect();
    for (hour, p) in sweep(&all, r0, r1, hour_of) {
        by_hour.entry(hour).or_default()[2] = p;
    }
    let denials = raw(
        &db,
        &format!(
            "SELECT epoch(ts), user_name, feature FROM events WHERE kind = 'DENIED'
             AND ts >= DATE '{FROM}' AND ts < DATE '{TO}' + INTERVAL 1 DAY"
        ),
        3,
    );
    assert!(!denials.is_empty(), "the demo has denials in the range");
    for r in &denials {
        by_hour.entry(hour_of(number(&r[0]))).or_default()[3] += 1.0;
    }

    let server = StaticServer::start(&tmp.path().join("www"));
    let url = server.url(&format!(
        "{SUB_PATH}/?page=report&from={FROM}&to={TO}&dims=hour\
         &measures=license_hours,sessions,peak_concurrency,denials"
    ));
    let (mut visit, page) = Visit::open(&url, "report-hours.png", &["report"]);
    assert!(page["error"].is_null(), "{}", page["error"]);
    let head = &page["tables"]["report"]["head"];
    assert_eq!(
        head,
        &serde_json::json!([
            "Hour (UTC)",
            "License-hours",
            "Sessions",
            "Peak concurrency",
            "Denials"
        ])
    );
    let rows = cells(&page["tables"]["report"]["rows"]);
    assert_eq!(rows.len(), by_hour.len(), "{rows:?}");
    for row in &rows {
        let want = by_hour[&row[0]];
        for (i, w) in want.iter().enumerate() {
            let got = shown(&row[i + 1]);
            assert!(
                (got - w).abs() <= 0.0051 + 1e-9 * w.abs(),
                "hour {} column {}: shown {got}, expected {w}",
                row[0],
                i + 1
            );
        }
    }

    // By department: peak concurrency swept per department, denials of its people.
    let mut expected: BTreeMap<String, [f64; 2]> = BTreeMap::new();
    let mut by_dept: BTreeMap<&str, Vec<&Span>> = BTreeMap::new();
    for sp in &spans {
        by_dept.entry(&sp.department).or_default().push(sp);
    }
    for (d, list) in &by_dept {
        if let Some(p) = sweep(list, r0, r1, |_| String::new()).values().next() {
            expected.entry((*d).to_owned()).or_default()[0] = *p;
        }
    }
    for r in &denials {
        expected.entry(dept(&text(&r[1]))).or_default()[1] += 1.0;
    }
    let url = server.url(&format!(
        "{SUB_PATH}/?page=report&from={FROM}&to={TO}&dims=department\
         &measures=peak_concurrency,denials&calc=denials%2Fpeak_concurrency&calc_name=Denials%20per%20seat"
    ));
    let page = visit.follow(&url, "report-departments.png", &["report"]);
    assert!(page["error"].is_null(), "{}", page["error"]);
    let rows = cells(&page["tables"]["report"]["rows"]);
    assert_eq!(rows.len(), expected.len(), "{rows:?} vs {expected:?}");
    for row in &rows {
        let want = expected[&row[0]];
        assert_eq!(shown(&row[1]), want[0], "{row:?}");
        assert_eq!(shown(&row[2]), want[1], "{row:?}");
        if want[0] > 0.0 {
            let ratio = (want[1] / want[0] * 100.0).round() / 100.0;
            assert!((shown(&row[3]) - ratio).abs() < 0.006, "{row:?}");
        }
    }

    // The features page: the teams sharing the most denied feature, each one's most held at
    // once and its denials.
    let mut denied: BTreeMap<String, usize> = BTreeMap::new();
    for r in &denials {
        *denied.entry(text(&r[2])).or_default() += 1;
    }
    let scarce = denied
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(f, _)| f.clone())
        .expect("a denied feature");
    let mut teams: BTreeMap<String, Vec<&Span>> = BTreeMap::new();
    for sp in spans.iter().filter(|sp| sp.feature == scarce) {
        teams.entry(sp.team.clone()).or_default().push(sp);
    }
    let mut expected: BTreeMap<String, [f64; 2]> = BTreeMap::new();
    for (t, list) in &teams {
        if let Some(p) = sweep(list, r0, r1, |_| String::new()).values().next() {
            expected.entry(t.clone()).or_default()[0] = *p;
        }
    }
    for r in denials.iter().filter(|r| text(&r[2]) == scarce) {
        expected.entry(team(&text(&r[1]))).or_default()[1] += 1.0;
    }
    let url = server.url(&format!(
        "{SUB_PATH}/?page=features&from={FROM}&to={TO}&feature={scarce}"
    ));
    let page = visit.follow(&url, "feature-teams.png", &["feature-teams"]);
    assert!(page["error"].is_null(), "{}", page["error"]);
    let rows = cells(&page["tables"]["feature-teams"]["rows"]);
    assert_eq!(rows.len(), expected.len(), "{rows:?} vs {expected:?}");
    for row in &rows {
        let want = expected[&row[0]];
        assert_eq!(
            (shown(&row[2]), shown(&row[5])),
            (want[0], want[1]),
            "{row:?}"
        );
    }

    // The team view: that team's most held at once, by feature and day.
    let (busiest, _) = expected
        .iter()
        .filter(|(t, _)| *t != "unassigned")
        .max_by(|a, b| a.1[0].total_cmp(&b.1[0]))
        .expect("a team");
    let mut by_feature: BTreeMap<&str, Vec<&Span>> = BTreeMap::new();
    for sp in spans.iter().filter(|sp| &sp.team == busiest) {
        by_feature.entry(&sp.feature).or_default().push(sp);
    }
    let day_of = |t: f64| {
        DateTime::from_timestamp(t.floor() as i64, 0)
            .expect("time")
            .format("%Y-%m-%d")
            .to_string()
    };
    let mut want: BTreeMap<(String, String), f64> = BTreeMap::new();
    for (feature, list) in &by_feature {
        for (day, p) in sweep(list, r0, r1, day_of) {
            if p > 0.0 {
                want.insert(((*feature).to_owned(), day), p);
            }
        }
    }
    let url = server.url(&format!(
        "{SUB_PATH}/?page=departments&from={FROM}&to={TO}&team={busiest}"
    ));
    let page = visit.follow(&url, "team-concurrency.png", &["team-concurrency"]);
    assert!(page["error"].is_null(), "{}", page["error"]);
    let rows = cells(&page["tables"]["team-concurrency"]["rows"]);
    let with_peaks: Vec<&Vec<String>> = rows.iter().filter(|r| shown(&r[2]) > 0.0).collect();
    assert_eq!(with_peaks.len(), want.len(), "{rows:?}");
    for row in with_peaks {
        assert_eq!(
            shown(&row[2]),
            want[&(row[0].clone(), row[1].clone())],
            "{row:?}"
        );
    }
}
