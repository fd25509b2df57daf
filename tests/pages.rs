//! The features, personal, trends, team, live, queue and report pages in Chromium (one test
//! each, sharing the published demo), each figure checked
//! against the same figure computed here in Rust from the published file's raw rows (read
//! with native DuckDB, aggregated without SQL).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, Timelike};
use duckdb::Connection;
use lmscope_e2e::{
    cells, published_db, scrape_tables, scrape_tables_with, site_with_demo, StaticServer, TempDir,
    Visit, SUB_PATH,
};
use serde_json::{json, Value};

/// Rows of `sql` (with `n` columns) as JSON values: numbers, text or null.
fn fetch(db: &Connection, sql: &str, n: usize) -> Vec<Vec<Value>> {
    use duckdb::types::Value as V;
    let mut stmt = db.prepare(sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
    let rows = stmt
        .query_map([], |r| {
            (0..n)
                .map(|i| r.get::<_, V>(i))
                .collect::<Result<Vec<_>, _>>()
        })
        .expect("query");
    rows.map(|r| {
        r.expect("row")
            .into_iter()
            .map(|v| match v {
                V::Null => Value::Null,
                V::Boolean(b) => json!(b),
                V::TinyInt(i) => json!(i),
                V::SmallInt(i) => json!(i),
                V::Int(i) => json!(i),
                V::BigInt(i) => json!(i),
                V::HugeInt(i) => json!(i as f64),
                V::UInt(i) => json!(i),
                V::UBigInt(i) => json!(i),
                V::Float(f) => json!(f),
                V::Double(f) => json!(f),
                V::Text(s) => json!(s),
                other => panic!("unexpected value {other:?} in {sql}"),
            })
            .collect()
    })
    .collect()
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}
fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}
fn opt(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// `2026-11-20 11:58:00` from epoch seconds.
fn stamp(secs: f64) -> String {
    DateTime::from_timestamp(secs.floor() as i64, 0)
        .expect("time")
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}
fn day_of(secs: f64) -> String {
    stamp(secs)[..10].to_owned()
}

/// A number as the site shows it (`—` for none).
fn number(cell: &str) -> Option<f64> {
    (cell != "—").then(|| {
        cell.parse()
            .unwrap_or_else(|_| panic!("not a number: {cell}"))
    })
}

/// Compare a scraped table, keyed by its first `keys` columns, with `expected` (numbers
/// within `tolerance`, `None` shown as `—`).
fn assert_rows(
    page: &Value,
    table: &str,
    keys: usize,
    expected: &BTreeMap<Vec<String>, Vec<Option<f64>>>,
    tolerance: f64,
) {
    let rows = cells(&page["tables"][table]["rows"]);
    assert_eq!(rows.len(), expected.len(), "{table}: row count: {rows:?}");
    // Long tables draw their first 100 rows until asked for all (the scraper asks).
    assert_eq!(
        page["tables"][table]["firstRows"],
        json!(rows.len().min(100)),
        "{table}: rows drawn at first"
    );
    for row in rows {
        let key = row[..keys].to_vec();
        let want = expected
            .get(&key)
            .unwrap_or_else(|| panic!("{table}: unexpected row {row:?}"));
        for (i, w) in want.iter().enumerate() {
            let shown = number(&row[keys + i]);
            match (shown, w) {
                (Some(a), Some(b)) => assert!(
                    (a - b).abs() <= tolerance + 1e-9 * b.abs(),
                    "{table} {key:?} column {}: shown {a}, expected {b}",
                    keys + i
                ),
                (a, b) => assert_eq!(a.is_some(), b.is_some(), "{table} {key:?} col {}", keys + i),
            }
        }
    }
}

struct Raw {
    /// day, server, vendor, feature, issued, peak, sum_in_use, polls, polls_full
    daily: Vec<Vec<Value>>,
    /// epoch hour, server, feature, sum_in_use, polls
    hourly: Vec<Vec<Value>>,
    /// epoch ts, kind, server, feature, user, host, licenses
    events: Vec<Vec<Value>>,
    /// day, user, vendor, feature, license_hours, sessions
    user_daily: Vec<Vec<Value>>,
    /// user, epoch started, epoch first_seen, epoch ended, epoch last_seen, licenses,
    /// server, feature, host
    sessions: Vec<Vec<Value>>,
    /// user → (team, department)
    people: HashMap<String, (String, String)>,
}

fn raw(db: &Connection) -> Raw {
    Raw {
        daily: fetch(
            db,
            "SELECT strftime(day, '%Y-%m-%d'), server, vendor, feature, issued, peak_in_use,
                    sum_in_use, polls, polls_full, peak_checked_out FROM usage_daily",
            10,
        ),
        hourly: fetch(
            db,
            "SELECT epoch(hour)::DOUBLE, server, feature, sum_in_use, polls FROM usage_hourly",
            5,
        ),
        events: fetch(
            db,
            "SELECT epoch(ts)::DOUBLE, kind, server, feature, user_name, host, licenses FROM events",
            7,
        ),
        user_daily: fetch(
            db,
            "SELECT strftime(day, '%Y-%m-%d'), user_name, vendor, feature, license_hours, sessions
             FROM user_daily",
            6,
        ),
        sessions: fetch(
            db,
            "SELECT user_name, epoch(started_at)::DOUBLE, epoch(first_seen)::DOUBLE,
                    epoch(ended_at)::DOUBLE, epoch(last_seen)::DOUBLE, licenses, server, feature,
                    host
             FROM sessions",
            9,
        ),
        people: fetch(db, "SELECT user_name, team, department FROM org_people", 3)
            .into_iter()
            .map(|r| (s(&r[0]), (s(&r[1]), s(&r[2]))))
            .collect(),
    }
}

impl Raw {
    fn department(&self, user: &str) -> String {
        self.people
            .get(user)
            .map_or_else(|| "unassigned".to_owned(), |p| p.1.clone())
    }
}

const FROM: &str = "2026-11-09";
const TO: &str = "2026-11-15";

/// One published demo site served for a test, its file opened natively, and its raw rows.
struct Ctx {
    server: StaticServer,
    raw: Raw,
    db: Connection,
    _tmp: TempDir,
}

impl Ctx {
    fn new(name: &str) -> Self {
        let tmp = TempDir::new(name);
        let site = site_with_demo(tmp.path());
        let db = published_db(&site);
        let raw = raw(&db);
        let server = StaticServer::start(&tmp.path().join("www"));
        Ctx {
            server,
            raw,
            db,
            _tmp: tmp,
        }
    }

    /// The site's URL with `query`.
    fn url(&self, query: &str) -> String {
        self.server.url(&format!("{SUB_PATH}/index.html?{query}"))
    }
}

/// The org's prices: (feature, vendor, yearly seat price, currency).
fn prices(db: &Connection) -> Vec<(String, Option<String>, f64, String)> {
    fetch(
        db,
        "SELECT feature, vendor, per_seat_year, currency FROM org_prices",
        4,
    )
    .into_iter()
    .map(|r| {
        (
            s(&r[0]),
            r[1].as_str().map(str::to_owned),
            f(&r[2]),
            s(&r[3]),
        )
    })
    .collect()
}

/// A feature's yearly seat price: its vendor's, else any vendor's, else 0.
fn price_of(
    prices: &[(String, Option<String>, f64, String)],
    feature: &str,
    vendor: Option<&str>,
) -> f64 {
    prices
        .iter()
        .find(|p| p.0 == feature && p.1.as_deref() == vendor && vendor.is_some())
        .or_else(|| prices.iter().find(|p| p.0 == feature && p.1.is_none()))
        .map_or(0.0, |p| p.2)
}

/// Each server's last poll (epoch seconds) and the requests queued at it: (server,
/// feature, user, host, licenses), sorted.
fn queued_at_last_poll(db: &Connection) -> (HashMap<String, f64>, Vec<Vec<String>>) {
    let last: HashMap<String, f64> = fetch(db, "SELECT server, epoch(until)::DOUBLE FROM polls", 2)
        .into_iter()
        .fold(HashMap::new(), |mut m, r| {
            let e = m.entry(s(&r[0])).or_insert(f64::MIN);
            *e = e.max(f(&r[1]));
            m
        });
    let mut queue: Vec<Vec<String>> = fetch(
        db,
        "SELECT server, epoch(ts)::DOUBLE, feature, user_name, host, licenses FROM queued",
        6,
    )
    .into_iter()
    .filter(|r| last.get(&s(&r[0])) == Some(&f(&r[1])))
    .map(|r| {
        vec![
            s(&r[0]),
            s(&r[2]),
            s(&r[3]),
            s(&r[4]),
            format!("{:.0}", f(&r[5])),
        ]
    })
    .collect();
    queue.sort();
    (last, queue)
}

fn in_range(day: &str) -> bool {
    (FROM..=TO).contains(&day)
}

#[test]
fn features_page_feature_detail_heatmap_and_users_match_raw_rows() {
    let c = Ctx::new("pages-features");
    let raw = &c.raw;
    let url = |query: &str| c.url(query);
    // Features: per feature and server over one week.
    let (mut visit, page) = Visit::open(
        &url(&format!("page=features&from={FROM}&to={TO}")),
        "features.png",
        &["feature-stats", "heatmap"],
    );
    assert!(page.get("error").is_none(), "{page}");
    #[derive(Default)]
    struct Acc {
        issued: f64,
        peak: f64,
        peak_out: f64,
        sum: f64,
        polls: f64,
        capacity: f64,
        full: f64,
        denials: f64,
    }
    let mut acc: BTreeMap<Vec<String>, Acc> = BTreeMap::new();
    for r in raw.daily.iter().filter(|r| in_range(&s(&r[0]))) {
        let a = acc.entry(vec![s(&r[3]), s(&r[1])]).or_default();
        a.issued = a.issued.max(f(&r[4]));
        a.peak = a.peak.max(f(&r[5]));
        a.peak_out = a.peak_out.max(f(&r[9]));
        a.sum += f(&r[6]);
        a.polls += f(&r[7]);
        a.capacity += f(&r[7]) * f(&r[4]);
        a.full += f(&r[8]);
    }
    let denied: Vec<&Vec<Value>> = raw
        .events
        .iter()
        .filter(|e| s(&e[1]) == "DENIED" && in_range(&day_of(f(&e[0]))))
        .collect();
    assert!(!denied.is_empty(), "the demo week has denials");
    for e in &denied {
        if let Some(a) = acc.get_mut(&vec![s(&e[3]), s(&e[2])]) {
            a.denials += 1.0;
        }
    }
    let expected = acc
        .iter()
        .map(|(k, a)| {
            let ratio = |x: f64, y: f64| (y > 0.0).then(|| x / y);
            (
                k.clone(),
                vec![
                    Some(a.issued),
                    Some(a.peak),
                    Some(a.peak_out),
                    ratio(a.sum, a.polls),
                    ratio(100.0 * a.sum, a.capacity),
                    ratio(100.0 * a.full, a.polls),
                    Some(a.denials),
                ],
            )
        })
        .collect();
    assert_rows(&page, "feature-stats", 2, &expected, 0.051);
    assert_eq!(
        page["tables"]["feature-stats"]["head"],
        json!([
            "Feature",
            "Server",
            "Issued",
            "Peak in use",
            "Peak checked out",
            "Average in use",
            "Utilization %",
            "Time at 100 %",
            "Denials"
        ])
    );

    // One feature in detail: the one denied most this week.
    let mut per_feature: BTreeMap<String, usize> = BTreeMap::new();
    for e in &denied {
        *per_feature.entry(s(&e[3])).or_default() += 1;
    }
    let (feature, denials) = per_feature
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(f, n)| (f.clone(), *n))
        .expect("a denied feature");
    let page = visit.follow(
        &url(&format!(
            "page=features&from={FROM}&to={TO}&feature={feature}"
        )),
        "feature.png",
        &[
            "feature-stats",
            "feature-users",
            "feature-denials",
            "heatmap",
            "usage-daily",
        ],
    );
    assert!(page.get("error").is_none(), "{page}");
    let shown = cells(&page["tables"]["feature-denials"]["rows"]);
    assert_eq!(shown.len(), denials.min(200));
    assert_eq!(
        page["tables"]["feature-denials"]["firstRows"],
        json!(denials.min(100)),
        "a long table draws its first 100 rows, the rest on request"
    );
    let latest = denied
        .iter()
        .filter(|e| s(&e[3]) == feature)
        .map(|e| f(&e[0]))
        .fold(f64::MIN, f64::max);
    assert_eq!(shown[0][0], stamp(latest));
    // Heatmap: each hour's use summed over servers, averaged by weekday and hour.
    let mut hours: BTreeMap<i64, f64> = BTreeMap::new();
    for r in raw
        .hourly
        .iter()
        .filter(|r| s(&r[2]) == feature && in_range(&day_of(f(&r[0]))) && f(&r[4]) > 0.0)
    {
        *hours.entry(f(&r[0]) as i64).or_default() += f(&r[3]) / f(&r[4]);
    }
    let mut cellsum: BTreeMap<(u32, u32), (f64, f64)> = BTreeMap::new();
    for (t, v) in hours {
        let t = DateTime::from_timestamp(t, 0).expect("hour");
        let e = cellsum
            .entry((t.weekday().number_from_monday(), t.hour()))
            .or_default();
        e.0 += v;
        e.1 += 1.0;
    }
    let grid = cells(&page["tables"]["heatmap"]["rows"]);
    assert_eq!(grid.len(), 7);
    for (d, row) in grid.iter().enumerate() {
        assert_eq!(row.len(), 25, "a weekday and 24 hours");
        for h in 0..24 {
            let want = cellsum
                .get(&(d as u32 + 1, h as u32))
                .map(|(sum, n)| sum / n);
            match (number(&row[h + 1]), want) {
                (Some(a), Some(b)) => {
                    assert!((a - b).abs() <= 0.051, "heatmap {d} {h}: {a} vs {b}")
                }
                (a, b) => assert_eq!(a.is_some(), b.is_some(), "heatmap {d} {h}"),
            }
        }
    }
    // Top users of the feature: license-hours and sessions.
    let mut users: BTreeMap<Vec<String>, (f64, f64)> = BTreeMap::new();
    for r in raw
        .user_daily
        .iter()
        .filter(|r| in_range(&s(&r[0])) && s(&r[3]) == feature)
    {
        let e = users
            .entry(vec![s(&r[1]), raw.department(&s(&r[1]))])
            .or_default();
        e.0 += f(&r[4]);
        e.1 += f(&r[5]);
    }
    let expected = users
        .into_iter()
        .map(|(k, (lh, n))| (k, vec![Some(lh), Some(n)]))
        .collect();
    assert_rows(&page, "feature-users", 2, &expected, 0.0051);
}

#[test]
fn personal_dashboard_and_peak_hours_match_raw_rows() {
    let c = Ctx::new("pages-me");
    let (db, raw) = (&c.db, &c.raw);
    let url = |query: &str| c.url(query);
    // A personal dashboard: the week's heaviest user.
    let mut totals: BTreeMap<String, f64> = BTreeMap::new();
    for r in raw.user_daily.iter().filter(|r| in_range(&s(&r[0]))) {
        *totals.entry(s(&r[1])).or_default() += f(&r[4]);
    }
    let user = totals
        .iter()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(u, _)| u.clone())
        .expect("a user");
    let (mut visit, page) = Visit::open(
        &url(&format!("page=me&from={FROM}&to={TO}&user={user}")),
        "me.png",
        &["me-features", "me-hours"],
    );
    assert!(page.get("error").is_none(), "{page}");
    let prices = prices(db);
    let price = |feature: &str, vendor: Option<&str>| price_of(&prices, feature, vendor);
    let mut mine: BTreeMap<Vec<String>, (f64, f64, f64)> = BTreeMap::new();
    for r in raw
        .user_daily
        .iter()
        .filter(|r| in_range(&s(&r[0])) && s(&r[1]) == user)
    {
        let e = mine.entry(vec![s(&r[3])]).or_default();
        e.0 += f(&r[4]);
        e.1 += f(&r[5]);
        e.2 += f(&r[4]) * price(&s(&r[3]), r[2].as_str()) / 8760.0;
    }
    let total_cost: f64 = mine.values().map(|v| v.2).sum();
    let expected = mine
        .into_iter()
        .map(|(k, (lh, n, cost))| (k, vec![Some(lh), Some(n), Some(cost)]))
        .collect();
    assert_rows(&page, "me-features", 1, &expected, 0.0051);
    let texts = &page["texts"];
    let mine_total = totals[&user];
    let shown_total: f64 = s(&texts["me-hours-total"]).parse().expect("hours");
    assert!((shown_total - mine_total).abs() < 0.02, "{texts}");
    let shown_cost: f64 = s(&texts["me-cost"])
        .split(' ')
        .next()
        .and_then(|c| c.parse().ok())
        .expect("cost");
    assert!(
        total_cost > 0.0 && (shown_cost - total_cost).abs() < 0.05,
        "{texts} vs {total_cost}"
    );
    let department = raw.department(&user);
    let peers: Vec<f64> = totals
        .iter()
        .filter(|(u, _)| raw.department(u) == department)
        .map(|(_, lh)| *lh)
        .collect();
    let rank = 1 + peers.iter().filter(|lh| **lh > mine_total).count();
    assert_eq!(s(&texts["me-rank"]), format!("{rank} of {}", peers.len()));
    // When the person checks out: sessions started per hour of day.
    let by_hour = |keep: &dyn Fn(&Vec<Value>) -> bool| {
        let mut out: BTreeMap<Vec<String>, (f64, f64)> = BTreeMap::new();
        for r in raw.sessions.iter().filter(|r| keep(r)) {
            let start = opt(&r[1]).or(opt(&r[2])).expect("start");
            if !in_range(&day_of(start)) {
                continue;
            }
            let end = opt(&r[3]).or(opt(&r[4])).expect("end");
            let hour = DateTime::from_timestamp(start as i64, 0).expect("t").hour();
            let e = out.entry(vec![hour.to_string()]).or_default();
            e.0 += 1.0;
            e.1 += f(&r[5]) * (end - start) / 3600.0;
        }
        out.into_iter()
            .map(|(k, (n, lh))| (k, vec![Some(n), Some(lh)]))
            .collect::<BTreeMap<_, _>>()
    };
    assert_rows(
        &page,
        "me-hours",
        1,
        &by_hour(&|r| s(&r[0]) == user),
        0.0051,
    );
    // Everyone's peak hours, for one department.
    let page = visit.follow(
        &url(&format!("page=users&from={FROM}&to={TO}&department=chip")),
        "user-hours.png",
        &["user-hours"],
    );
    assert!(page.get("error").is_none(), "{page}");
    let expected = by_hour(&|r| raw.department(&s(&r[0])) == "chip");
    assert!(!expected.is_empty(), "chip works that week");
    assert_rows(&page, "user-hours", 1, &expected, 0.0051);
    // Everyone's, with no filter (from the published sums by start hour).
    let page = visit.follow(
        &url(&format!("page=users&from={FROM}&to={TO}")),
        "user-hours-all.png",
        &["user-hours"],
    );
    assert!(page.get("error").is_none(), "{page}");
    assert_rows(&page, "user-hours", 1, &by_hour(&|_| true), 0.0051);
}

#[test]
fn trends_page_matches_raw_rows() {
    let c = Ctx::new("pages-trends");
    let (db, raw) = (&c.db, &c.raw);
    let url = |query: &str| c.url(query);
    // Trends: the week against the week before.
    let page = scrape_tables(
        &url(&format!("page=trends&from={FROM}&to={TO}")),
        "trends.png",
        &["trend-compare", "trend-util", "trends", "weekdays"],
    );
    assert!(page.get("error").is_none(), "{page}");
    let projects = fetch(
        db,
        "SELECT p.project, strftime(p.start_date, '%Y-%m-%d'), strftime(p.end_date, '%Y-%m-%d'),
                m.user_name
         FROM org_projects p JOIN org_project_members m ON m.project = p.project",
        4,
    );
    let period = |from: &str, to: &str| -> Vec<Option<f64>> {
        let inr = |d: &str| (from..=to).contains(&d);
        let ud: Vec<&Vec<Value>> = raw.user_daily.iter().filter(|r| inr(&s(&r[0]))).collect();
        let users: BTreeSet<String> = ud.iter().map(|r| s(&r[1])).collect();
        let dd: Vec<&Vec<Value>> = raw.daily.iter().filter(|r| inr(&s(&r[0]))).collect();
        let sum: f64 = dd.iter().map(|r| f(&r[6])).sum();
        let cap: f64 = dd.iter().map(|r| f(&r[7]) * f(&r[4])).sum();
        let peak = dd
            .iter()
            .filter(|r| f(&r[4]) > 0.0)
            .map(|r| 100.0 * f(&r[5]) / f(&r[4]))
            .fold(f64::MIN, f64::max);
        let den = raw
            .events
            .iter()
            .filter(|e| s(&e[1]) == "DENIED" && inr(&day_of(f(&e[0]))))
            .count();
        let active: BTreeSet<String> = projects
            .iter()
            .filter(|p| {
                p[1].as_str().is_none_or(|st| st <= to)
                    && p[2].as_str().is_none_or(|en| en >= from)
                    && users.contains(&s(&p[3]))
            })
            .map(|p| s(&p[0]))
            .collect();
        vec![
            Some(ud.iter().map(|r| f(&r[4])).sum()),
            Some(users.len() as f64),
            Some(ud.iter().map(|r| f(&r[5])).sum()),
            (cap > 0.0).then(|| 100.0 * sum / cap),
            (peak > f64::MIN).then_some(peak),
            Some(den as f64),
            Some(active.len() as f64),
        ]
    };
    let now = period(FROM, TO);
    let before = period("2026-11-02", "2026-11-08");
    let labels = lmscope::analytics::page_sql::PERIOD_MEASURES;
    let expected = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (vec![(*l).to_owned()], vec![now[i], before[i]]))
        .collect();
    assert_rows(&page, "trend-compare", 1, &expected, 0.051);
    assert!(
        now[6].is_some_and(|n| n > 0.0),
        "the demo's projects are active"
    );
    let mut months: BTreeMap<String, (f64, f64, f64, f64, f64)> = BTreeMap::new();
    for r in raw.daily.iter().filter(|r| in_range(&s(&r[0]))) {
        let e = months.entry(s(&r[0])[..7].to_owned()).or_default();
        e.0 += f(&r[6]);
        e.1 += f(&r[7]) * f(&r[4]);
        if f(&r[4]) > 0.0 {
            e.2 = e.2.max(100.0 * f(&r[5]) / f(&r[4]));
        }
        e.3 = e.3.max(f(&r[5]));
    }
    for e in raw
        .events
        .iter()
        .filter(|e| s(&e[1]) == "DENIED" && in_range(&day_of(f(&e[0]))))
    {
        if let Some(m) = months.get_mut(&day_of(f(&e[0]))[..7]) {
            m.4 += 1.0;
        }
    }
    let expected = months
        .into_iter()
        .map(|(m, (sum, cap, pu, peak, den))| {
            (
                vec![m],
                vec![Some(100.0 * sum / cap), Some(pu), Some(peak), Some(den)],
            )
        })
        .collect();
    assert_rows(&page, "trend-util", 1, &expected, 0.051);
    lmscope_e2e::assert_chart_of_table(&page, "trend-util", 1);
    // Monthly use and use by weekday: license-hours, the tables' second column.
    lmscope_e2e::assert_chart_of_table(&page, "trends", 1);
    lmscope_e2e::assert_chart_of_table(&page, "weekdays", 1);
    // The period chart: license-hours accumulated day by day, this week and the week before.
    let running = |from: &str, days: i64| -> Vec<f64> {
        let first = chrono::NaiveDate::parse_from_str(from, "%Y-%m-%d").expect("day");
        let mut sum = 0.0;
        (0..days)
            .map(|i| {
                let day = (first + chrono::TimeDelta::days(i)).to_string();
                sum += raw
                    .user_daily
                    .iter()
                    .filter(|r| s(&r[0]) == day)
                    .map(|r| f(&r[4]))
                    .sum::<f64>();
                sum
            })
            .collect()
    };
    let chart = &page["canvases"]["period-chart"]["data"];
    let plotted: Vec<Vec<f64>> =
        serde_json::from_str(chart["values"].as_str().expect("period values")).expect("JSON");
    let labels: Vec<String> =
        serde_json::from_str(chart["labels"].as_str().expect("period labels")).expect("JSON");
    assert_eq!(
        labels,
        [
            format!("{FROM} to {TO}"),
            "2026-11-02 to 2026-11-08".to_owned()
        ]
    );
    for (got, want) in plotted
        .iter()
        .zip([running(FROM, 7), running("2026-11-02", 7)])
    {
        assert_eq!(got.len(), 7, "{got:?}");
        // Each day's figure is rounded to hundredths before it is added up.
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            let tolerance = 0.005 * (i + 1) as f64 + 0.006;
            assert!(
                (g - w).abs() < tolerance,
                "period chart: {got:?} vs {want:?}"
            );
        }
    }
}

#[test]
fn live_feed_and_queue_match_raw_rows() {
    let c = Ctx::new("pages-live");
    let (db, raw) = (&c.db, &c.raw);
    let url = |query: &str| c.url(query);
    // Live: the newest checkouts, check-ins and denials, and the queue at the last poll.
    let page = scrape_tables(&url("page=overview"), "live.png", &["feed", "queue"]);
    assert!(page.get("error").is_none(), "{page}");
    let mut feed: Vec<(f64, &str, String, String, String, String, f64)> = Vec::new();
    for r in &raw.sessions {
        let start = opt(&r[1]).or(opt(&r[2])).expect("start");
        let row = |t, what| (t, what, s(&r[6]), s(&r[7]), s(&r[0]), s(&r[8]), f(&r[5]));
        feed.push(row(start, "checkout"));
        if let Some(end) = opt(&r[3]) {
            feed.push(row(end, "check-in"));
        }
    }
    for e in raw.events.iter().filter(|e| s(&e[1]) == "DENIED") {
        feed.push((
            f(&e[0]),
            "denied",
            s(&e[2]),
            s(&e[3]),
            s(&e[4]),
            s(&e[5]),
            f(&e[6]),
        ));
    }
    feed.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| (a.1, &a.2, &a.3, &a.4, &a.5).cmp(&(b.1, &b.2, &b.3, &b.4, &b.5)))
    });
    let shown = cells(&page["tables"]["feed"]["rows"]);
    assert_eq!(shown.len(), 30);
    for (row, want) in shown.iter().zip(&feed) {
        assert_eq!(
            row,
            &vec![
                stamp(want.0),
                want.1.to_owned(),
                want.2.clone(),
                want.3.clone(),
                want.4.clone(),
                want.5.clone(),
                format!("{:.0}", want.6)
            ]
        );
    }
    let (_, queue) = queued_at_last_poll(db);
    assert!(!queue.is_empty(), "the demo ends with someone queued");
    assert_eq!(cells(&page["tables"]["queue"]["rows"]), queue);
}

#[test]
fn team_pools_match_raw_rows() {
    let c = Ctx::new("pages-team");
    let (db, raw) = (&c.db, &c.raw);
    let url = |query: &str| c.url(query);
    let (last, queue) = queued_at_last_poll(db);
    // A team's pools now, with the estimated time to the next free license.
    let team = "ctrl-a";
    let page = scrape_tables(
        &url(&format!("page=departments&team={team}")),
        "team.png",
        &["team-pools"],
    );
    assert!(page.get("error").is_none(), "{page}");
    let now = last.values().copied().fold(f64::MIN, f64::max);
    let pools = fetch(db, "SELECT team, feature, reserved FROM org_pools", 3);
    let now_rows = fetch(db, "SELECT feature, in_use, issued FROM feature_now", 3);
    let queued_now = &queue;
    let mut expected = BTreeMap::new();
    for p in pools.iter().filter(|p| s(&p[0]) == team) {
        let feature = s(&p[1]);
        let members = |u: &str| raw.people.get(u).is_some_and(|t| t.0 == team);
        let open: Vec<&Vec<Value>> = raw
            .sessions
            .iter()
            .filter(|r| s(&r[7]) == feature && r[3].is_null())
            .collect();
        let team_in_use: f64 = open
            .iter()
            .filter(|r| members(&s(&r[0])))
            .map(|r| f(&r[5]))
            .sum();
        let (in_use, issued) = now_rows
            .iter()
            .filter(|r| s(&r[0]) == feature)
            .fold((0.0, 0.0), |a, r| (a.0 + f(&r[1]), a.1 + f(&r[2])));
        let queued = queued_now
            .iter()
            .filter(|q| q[1] == feature && members(&q[2]))
            .count();
        let done: Vec<f64> = raw
            .sessions
            .iter()
            .filter(|r| {
                s(&r[7]) == feature && opt(&r[3]).is_some_and(|e| e >= now - 90.0 * 86400.0)
            })
            .map(|r| f(&r[3]) - opt(&r[1]).or(opt(&r[2])).expect("start"))
            .collect();
        let median = |mut v: Vec<f64>| -> Option<f64> {
            v.sort_by(f64::total_cmp);
            let n = v.len();
            (n > 0).then(|| {
                if n % 2 == 1 {
                    v[n / 2]
                } else {
                    (v[n / 2 - 1] + v[n / 2]) / 2.0
                }
            })
        };
        let next = open
            .iter()
            .filter_map(|o| {
                let age = now - opt(&o[1]).or(opt(&o[2])).expect("start");
                median(done.iter().filter(|d| **d > age).map(|d| d - age).collect())
            })
            .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.min(x))))
            .map(|sec| (sec / 60.0).round());
        expected.insert(
            vec![feature],
            vec![
                Some(f(&p[2])),
                Some(team_in_use),
                Some(in_use),
                Some(issued),
                Some(queued as f64),
                next,
            ],
        );
    }
    assert!(!expected.is_empty(), "the demo gives {team} a pool");
    assert_rows(&page, "team-pools", 1, &expected, 0.0051);
    assert_eq!(page["pageErrors"], Value::Array(vec![]));
}

#[test]
fn cluster_queue_matches_raw_rows() {
    let c = Ctx::new("pages-queue");
    let db = &c.db;
    let url = |query: &str| c.url(query);
    // Queueing by cluster over the whole demo.
    let page = scrape_tables(
        &url("page=clusters&from=2026-01-01&to=2026-11-20"),
        "cluster-queue.png",
        &["cluster-queue"],
    );
    assert!(page.get("error").is_none(), "{page}");
    let clusters: HashMap<String, String> = fetch(db, "SELECT host, cluster FROM org_hosts", 2)
        .into_iter()
        .map(|r| (s(&r[0]), s(&r[1])))
        .collect();
    type Requests = (BTreeSet<Vec<String>>, BTreeSet<String>, BTreeSet<String>);
    let mut by_cluster: BTreeMap<Vec<String>, Requests> = BTreeMap::new();
    for q in fetch(
        db,
        "SELECT server, feature, user_name, host, coalesce(handle, -1)::VARCHAR FROM queued",
        5,
    ) {
        let cluster = clusters
            .get(&s(&q[3]))
            .cloned()
            .unwrap_or_else(|| "unassigned".to_owned());
        let e = by_cluster.entry(vec![cluster]).or_default();
        e.0.insert(q.iter().map(s).collect());
        e.1.insert(s(&q[2]));
        e.2.insert(s(&q[1]));
    }
    assert!(!by_cluster.is_empty(), "the demo queues requests");
    let expected = by_cluster
        .into_iter()
        .map(|(k, (r, u, f))| {
            (
                k,
                vec![
                    Some(r.len() as f64),
                    Some(u.len() as f64),
                    Some(f.len() as f64),
                ],
            )
        })
        .collect();
    assert_rows(&page, "cluster-queue", 1, &expected, 0.0);
}

#[test]
fn report_cost_and_calculated_column_match_raw_rows() {
    let c = Ctx::new("pages-report");
    let (db, raw) = (&c.db, &c.raw);
    let url = |query: &str| c.url(query);
    let prices = prices(db);
    let price = |feature: &str, vendor: Option<&str>| price_of(&prices, feature, vendor);
    // The report builder: cost at the org's prices, and a calculated column evaluated per
    // row from the URL's expression.
    let (mut visit, page) = Visit::open(
        &url(&format!(
            "page=report&from={FROM}&to={TO}&dims=department&measures=license_hours,cost\
             &calc=cost%20%2F%20users&calc_name=Cost%20per%20user"
        )),
        "report-calc.png",
        &["report"],
    );
    assert!(page.get("error").is_none(), "{page}");
    assert_eq!(
        page["tables"]["report"]["head"],
        json!([
            "Department",
            "License-hours",
            "Cost",
            "Users",
            "Cost per user"
        ]),
        "the expression's measures join the report"
    );
    let mut departments: BTreeMap<Vec<String>, (f64, f64, BTreeSet<String>)> = BTreeMap::new();
    for r in raw.user_daily.iter().filter(|r| in_range(&s(&r[0]))) {
        let e = departments
            .entry(vec![raw.department(&s(&r[1]))])
            .or_default();
        e.0 += f(&r[4]);
        e.1 += f(&r[4]) * price(&s(&r[3]), r[2].as_str()) / 8760.0;
        e.2.insert(s(&r[1]));
    }
    let expected = departments
        .into_iter()
        .map(|(k, (lh, cost, users))| {
            let n = users.len() as f64;
            (k, vec![Some(lh), Some(cost), Some(n), Some(cost / n)])
        })
        .collect();
    // The calculated column divides the shown (rounded) cost.
    assert_rows(&page, "report", 1, &expected, 0.01);
    let page = visit.follow(
        &url("page=report&calc=users%3B%20DROP%20TABLE%20sessions"),
        "report-bad-calc.png",
        &["report"],
    );
    assert!(
        s(&page["texts"]["calc-error"]).contains("character 5"),
        "{}",
        page["texts"]
    );
}

#[test]
fn a_phone_in_dark_mode_fits_and_is_dark() {
    let c = Ctx::new("pages-phone");
    let url = |query: &str| c.url(query);
    // A phone in dark mode: nothing wider than the screen, a dark background.
    let page = scrape_tables_with(
        &url(&format!("page=features&from={FROM}&to={TO}")),
        "features-phone-dark.png",
        &["feature-stats", "heatmap"],
        &[("VIEWPORT", "390x844"), ("COLOR_SCHEME", "dark")],
    );
    let layout = &page["layout"];
    assert!(
        f(&layout["scrollWidth"]) <= f(&layout["innerWidth"]),
        "the page scrolls sideways on a phone: {layout}"
    );
    let channels: Vec<f64> = s(&layout["background"])
        .trim_start_matches("rgb(")
        .trim_end_matches(')')
        .split(',')
        .map(|c| c.trim().parse().expect("rgb"))
        .collect();
    assert!(
        channels.iter().all(|c| *c < 64.0),
        "dark background: {layout}"
    );
}
