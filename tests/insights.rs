//! Projects, recommendations and the executive summary in Chromium on the demo, against
//! figures recomputed here from the published file's raw rows (aggregated in Rust, not SQL)
//! and, for money, against `lmscope report chargeback`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, TimeDelta};
use lmscope_e2e::{
    cells, lmscope_ok, number, published_db, raw, site_with_demo, text, StaticServer, TempDir,
    Visit, SUB_PATH,
};
use serde_json::Value;

const FROM: &str = "2026-10-30";
const TO: &str = "2026-11-20";

fn day(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

/// Yearly seat prices by (feature, vendor), with vendor-less prices under "".
struct Prices(BTreeMap<(String, String), f64>);

impl Prices {
    fn load(db: &duckdb::Connection) -> Self {
        Self(
            raw(
                db,
                "SELECT feature, coalesce(vendor, ''), per_seat_year FROM org_prices",
                3,
            )
            .into_iter()
            .map(|r| ((text(&r[0]), text(&r[1])), number(&r[2])))
            .collect(),
        )
    }

    fn of(&self, feature: &str, vendor: &str) -> f64 {
        self.0
            .get(&(feature.to_owned(), vendor.to_owned()))
            .or_else(|| self.0.get(&(feature.to_owned(), String::new())))
            .copied()
            .unwrap_or(0.0)
    }
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

fn num(s: &str) -> f64 {
    s.parse()
        .unwrap_or_else(|_| panic!("`{s}` is not a number"))
}

/// A project as the org file gives it, and its spend recomputed from user-days.
#[derive(Default, Debug)]
struct Spend {
    budget: Option<f64>,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
    spent: f64,
    recent: f64,
    by_phase_feature: BTreeMap<(String, String), f64>,
}

fn project_spend(
    db: &duckdb::Connection,
    prices: &Prices,
    today: NaiveDate,
) -> BTreeMap<String, Spend> {
    let mut projects: BTreeMap<String, Spend> = BTreeMap::new();
    for r in raw(
        db,
        "SELECT project, budget, strftime(start_date, '%Y-%m-%d'), strftime(end_date, '%Y-%m-%d') FROM org_projects",
        4,
    ) {
        let date = |v| Some(text(v)).filter(|s| !s.is_empty()).map(|s| day(&s));
        projects.insert(
            text(&r[0]),
            Spend {
                budget: matches!(r[1], duckdb::types::Value::Double(_)).then(|| number(&r[1])),
                start: date(&r[2]),
                end: date(&r[3]),
                ..Spend::default()
            },
        );
    }
    let mut member_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in raw(db, "SELECT project, user_name FROM org_project_members", 2) {
        member_of.entry(text(&r[1])).or_default().push(text(&r[0]));
    }
    let phases: Vec<(String, String, NaiveDate, NaiveDate)> = raw(
        db,
        "SELECT project, phase, strftime(start_date, '%Y-%m-%d'), strftime(end_date, '%Y-%m-%d') FROM org_project_phases",
        4,
    )
    .into_iter()
    .map(|r| (text(&r[0]), text(&r[1]), day(&text(&r[2])), day(&text(&r[3]))))
    .collect();
    let recent_from = today - TimeDelta::days(27);
    for r in raw(
        db,
        "SELECT strftime(day, '%Y-%m-%d'), user_name, feature, coalesce(vendor, ''), license_hours FROM user_daily",
        5,
    ) {
        let d = day(&text(&r[0]));
        if d > today {
            continue;
        }
        let active: Vec<&String> = member_of
            .get(&text(&r[1]))
            .into_iter()
            .flatten()
            .filter(|p| {
                let s = &projects[*p];
                s.start.is_none_or(|x| x <= d) && s.end.is_none_or(|x| d <= x)
            })
            .collect();
        if active.is_empty() {
            continue;
        }
        let feature = text(&r[2]);
        let cost = number(&r[4]) / active.len() as f64 * prices.of(&feature, &text(&r[3])) / 8760.0;
        for p in active {
            let phase = phases
                .iter()
                .find(|(q, _, s, e)| q == p && *s <= d && d <= *e)
                .map_or("no phase".to_owned(), |x| x.1.clone());
            let s = projects.get_mut(p).expect("known project");
            s.spent += cost;
            if d >= recent_from {
                s.recent += cost;
            }
            *s.by_phase_feature
                .entry((phase, feature.clone()))
                .or_default() += cost;
        }
    }
    projects
}

/// A queued request: user, host, handle.
type Request = (String, String, i64);

/// The recommendation rules of `lmscope::analytics::recommend`, applied here to raw hourly rows,
/// denials and queued requests: (action, subject, server, seats, yearly cost).
type Expected = BTreeSet<(String, String, String, i64, i64)>;

/// A reservation line of a set: feature, kind, target, seats.
type Reserved = (String, String, String, f64);

fn expected_recommendations(db: &duckdb::Connection, prices: &Prices) -> (Expected, f64) {
    let range = format!("ts >= DATE '{FROM}' AND ts < DATE '{TO}' + INTERVAL 1 DAY");
    #[derive(Default)]
    struct F {
        vendor: String,
        issued: f64,
        peak: f64,
        peaks: Vec<f64>,
        full: f64,
        denials: f64,
        denied_by_hour: BTreeMap<String, BTreeSet<String>>,
        queued: BTreeSet<Request>,
    }
    let mut by: BTreeMap<(String, String), F> = BTreeMap::new();
    for r in raw(
        db,
        &format!(
            "SELECT server, coalesce(vendor, ''), feature, issued, peak_in_use, peak_checked_out
             FROM usage_hourly WHERE polls > 0 AND {}",
            range.replace("ts", "hour")
        ),
        6,
    ) {
        let f = by.entry((text(&r[0]), text(&r[2]))).or_default();
        f.vendor = text(&r[1]);
        // Cuts look at seats checked out; "full" at lmstat's in use (reserved seats too).
        let (issued, in_use, out) = (number(&r[3]), number(&r[4]), number(&r[5]));
        f.issued = f.issued.max(issued);
        f.peak = f.peak.max(out);
        f.peaks.push(out);
        if issued > 0.0 && in_use >= issued {
            f.full += 1.0;
        }
    }
    for r in raw(
        db,
        &format!(
            "SELECT server, feature, strftime(ts, '%Y-%m-%d %H'), user_name FROM events
             WHERE kind = 'DENIED' AND {range}"
        ),
        4,
    ) {
        if let Some(f) = by.get_mut(&(text(&r[0]), text(&r[1]))) {
            f.denials += 1.0;
            f.denied_by_hour
                .entry(text(&r[2]))
                .or_default()
                .insert(text(&r[3]));
        }
    }
    for r in raw(
        db,
        &format!("SELECT server, feature, user_name, host, coalesce(handle, -1) FROM queued WHERE {range}"),
        5,
    ) {
        if let Some(f) = by.get_mut(&(text(&r[0]), text(&r[1]))) {
            f.queued.insert((text(&r[2]), text(&r[3]), number(&r[4]) as i64));
        }
    }
    let mut out = Expected::new();
    let mut saving = 0.0;
    for ((server, feature), f) in &mut by {
        f.peaks.sort_by(f64::total_cmp);
        let n = f.peaks.len();
        let pos = 0.95 * (n as f64 - 1.0);
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        let p95 = f.peaks[lo] + (f.peaks[hi] - f.peaks[lo]) * (pos - lo as f64);
        let p95 = (p95 * 100.0).round() / 100.0;
        let price = prices.of(feature, &f.vendor);
        let queued = f.queued.len() as f64;
        if f.issued >= 2.0 && f.denials == 0.0 && queued == 0.0 && p95 <= 0.5 * f.issued {
            // Keep the peak plus 10 %, in whole seats.
            let keep = ((f.peak * 11.0 / 10.0).ceil()).max(1.0).min(f.issued);
            let cut = f.issued - keep;
            if cut >= 1.0 && cut >= 0.1 * f.issued {
                saving += cut * price;
                out.insert((
                    "Reduce".into(),
                    feature.clone(),
                    server.clone(),
                    cut as i64,
                    (-cut * price).round() as i64,
                ));
            }
        }
        if f.denials >= 5.0 || queued >= 3.0 || f.full / n as f64 >= 0.01 {
            let worst = f
                .denied_by_hour
                .values()
                .map(BTreeSet::len)
                .max()
                .unwrap_or(0);
            let add = (worst as f64).max(1.0);
            out.insert((
                "Add licenses".into(),
                feature.clone(),
                server.clone(),
                add as i64,
                (add * price).round() as i64,
            ));
        }
    }
    // Teams that waited: denials and queued requests of their members.
    let team_of: BTreeMap<String, String> = raw(db, "SELECT user_name, team FROM org_people", 2)
        .into_iter()
        .map(|r| (text(&r[0]), text(&r[1])))
        .collect();
    let mut waits: BTreeMap<(String, String, String), (f64, BTreeSet<Request>)> = BTreeMap::new();
    for r in raw(
        db,
        &format!("SELECT server, feature, user_name FROM events WHERE kind = 'DENIED' AND {range}"),
        3,
    ) {
        if let Some(team) = team_of.get(&text(&r[2])) {
            waits
                .entry((team.clone(), text(&r[0]), text(&r[1])))
                .or_default()
                .0 += 1.0;
        }
    }
    for r in raw(
        db,
        &format!("SELECT server, feature, user_name, host, coalesce(handle, -1) FROM queued WHERE {range}"),
        5,
    ) {
        if let Some(team) = team_of.get(&text(&r[2])) {
            waits
                .entry((team.clone(), text(&r[0]), text(&r[1])))
                .or_default()
                .1
                .insert((text(&r[2]), text(&r[3]), number(&r[4]) as i64));
        }
    }
    let mut used: BTreeMap<(String, String, String), (f64, BTreeSet<String>)> = BTreeMap::new();
    for r in raw(
        db,
        &format!(
            "SELECT user_name, server, feature, license_hours, strftime(day, '%Y-%m-%d') FROM user_daily
             WHERE day BETWEEN DATE '{FROM}' AND DATE '{TO}'"
        ),
        5,
    ) {
        if let Some(team) = team_of.get(&text(&r[0])) {
            let u = used
                .entry((team.clone(), text(&r[1]), text(&r[2])))
                .or_default();
            u.0 += number(&r[3]);
            u.1.insert(text(&r[4]));
        }
    }
    let mut pools: BTreeMap<(String, String), f64> = BTreeMap::new();
    for r in raw(db, "SELECT team, feature, reserved FROM org_pools", 3) {
        *pools.entry((text(&r[0]), text(&r[1]))).or_default() += number(&r[2]);
    }
    for ((team, server, feature), (denials, queued)) in &waits {
        let w = denials + queued.len() as f64;
        let (lh, days) = used
            .get(&(team.clone(), server.clone(), feature.clone()))
            .map_or((0.0, 0.0), |u| (u.0, u.1.len() as f64));
        if team == "unassigned" || w < 3.0 || days == 0.0 {
            continue;
        }
        let need = (lh / (days * 8.0)).ceil().max(1.0);
        let reserved = pools
            .get(&(team.clone(), feature.clone()))
            .copied()
            .unwrap_or(0.0);
        if reserved < need {
            out.insert((
                "Reserve for a team".into(),
                team.clone(),
                server.clone(),
                (need - reserved) as i64,
                0,
            ));
        }
    }
    // Reservations listed as unused at every poll of the range: the sets (one per server and
    // time) in force over the range — the last one before it and those within it — and each
    // reservation's fewest seats over them (absent from a set: none).
    let mut sets: BTreeMap<(String, String), Vec<Reserved>> = BTreeMap::new();
    for r in raw(
        db,
        "SELECT server, strftime(ts, '%Y-%m-%d %H:%M:%S'), feature, kind, target, count
         FROM reservations",
        6,
    ) {
        let set = sets.entry((text(&r[0]), text(&r[1]))).or_default();
        if text(&r[3]) != "NONE" {
            set.push((text(&r[2]), text(&r[3]), text(&r[4]), number(&r[5])));
        }
    }
    let servers: BTreeSet<String> = sets.keys().map(|k| k.0.clone()).collect();
    for server in servers {
        let before = sets
            .keys()
            .filter(|(s, ts)| *s == server && ts.as_str() < FROM)
            .max()
            .cloned();
        let in_force: Vec<&Vec<Reserved>> = sets
            .iter()
            .filter(|((s, ts), _)| {
                *s == server
                    && (Some((s.clone(), ts.clone())) == before
                        || (ts.as_str() >= FROM && ts[..10] <= *TO))
            })
            .map(|(_, set)| set)
            .collect();
        let keys: BTreeSet<(String, String, String)> = in_force
            .iter()
            .flat_map(|set| set.iter().map(|r| (r.0.clone(), r.1.clone(), r.2.clone())))
            .collect();
        for (feature, kind, target) in keys {
            let fewest = in_force
                .iter()
                .map(|set| {
                    set.iter()
                        .filter(|r| r.0 == feature && r.1 == kind && r.2 == target)
                        .map(|r| r.3)
                        .sum::<f64>()
                })
                .fold(f64::MAX, f64::min);
            if fewest > 0.0 {
                out.insert((
                    "Release a reservation".into(),
                    format!("{feature} for {} {target}", kind.to_lowercase()),
                    server.clone(),
                    fewest as i64,
                    0,
                ));
            }
        }
    }
    (out, saving)
}

#[test]
fn projects_recommendations_and_summary_match_raw_rows() {
    let tmp = TempDir::new("insights");
    let site = site_with_demo(tmp.path());
    let db = published_db(&site);
    let prices = Prices::load(&db);
    let server = StaticServer::start(&tmp.path().join("www"));
    let today = day(TO);

    // Projects: spend so far, the last 28 days' burn, the projection to the end.
    let spend = project_spend(&db, &prices, today);
    assert!(spend.values().all(|s| s.spent > 0.0), "{spend:?}");
    let url = server.url(&format!("{SUB_PATH}/?page=projects&to={TO}&project=atlas"));
    let (mut visit, page) = Visit::open(
        &url,
        "projects.png",
        &["projects", "project-phases", "project-members"],
    );
    assert!(page["error"].is_null(), "{}", page["error"]);
    let rows = cells(&page["tables"]["projects"]["rows"]);
    assert_eq!(rows.len(), spend.len(), "{rows:?}");
    for row in &rows {
        let s = &spend[&row[0]];
        let start = s
            .start
            .expect("demo projects start")
            .max(today - TimeDelta::days(27));
        let burn = s.recent / ((today - start).num_days() + 1) as f64;
        let end = s.end.expect("demo projects end");
        let projected = s.spent + burn * (end - today).num_days().max(0) as f64;
        let budget = s.budget.expect("demo projects have budgets");
        assert!(
            close(num(&row[3]), s.spent, 0.011),
            "{row:?} spent {}",
            s.spent
        );
        assert!(close(num(&row[5]), budget - s.spent, 0.011), "{row:?}");
        assert!(close(num(&row[6]), burn, 0.011), "{row:?} burn {burn}");
        assert!(
            close(num(&row[7]), projected, 0.02),
            "{row:?} projected {projected}"
        );
        assert!(
            close(num(&row[8]), (projected - budget).max(0.0), 0.02),
            "{row:?}"
        );
        let state = if s.spent > budget {
            "over budget"
        } else if projected > budget {
            "projected over"
        } else {
            "on track"
        };
        assert_eq!(row[10], state, "{row:?}");
    }
    // Atlas's contributors: its spend, by phase (tape-out from October) and feature.
    let atlas = &spend["atlas"];
    assert_eq!(
        page["texts"]["project-cost"]
            .as_str()
            .expect("project cost"),
        format!("{:.2}", atlas.spent)
    );
    let phases = cells(&page["tables"]["project-phases"]["rows"]);
    assert_eq!(phases.len(), atlas.by_phase_feature.len(), "{phases:?}");
    for row in &phases {
        let cost = atlas.by_phase_feature[&(row[0].clone(), row[1].clone())];
        assert!(close(num(&row[3]), cost, 0.011), "{row:?} vs {cost}");
    }
    assert!(phases.iter().all(|r| r[0] == "tape-out"), "{phases:?}");
    assert!(!cells(&page["tables"]["project-members"]["rows"]).is_empty());

    // Recommendations: the same rules on raw rows give the same table.
    let (expected, saving) = expected_recommendations(&db, &prices);
    let actions: BTreeSet<&str> = expected.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        actions,
        BTreeSet::from([
            "Reduce",
            "Add licenses",
            "Reserve for a team",
            "Release a reservation"
        ]),
        "the demo has cuts, additions, teams that waited and a reservation nobody uses: \
         {expected:?}"
    );
    let url = server.url(&format!(
        "{SUB_PATH}/?page=recommendations&from={FROM}&to={TO}"
    ));
    let page = visit.follow(&url, "recommendations.png", &["recommendations"]);
    assert!(page["error"].is_null(), "{}", page["error"]);
    let table = &page["tables"]["recommendations"];
    let rows = cells(&table["rows"]);
    let shown: Expected = rows
        .iter()
        // Idle checkouts are checked against the raw rows in tests/compute.rs.
        .filter(|r| r[1] != "Redistribute" && r[1] != "Release idle checkouts")
        .map(|r| {
            (
                r[1].clone(),
                r[0].clone(),
                r[2].clone(),
                num(&r[4]) as i64,
                num(&r[5]).round() as i64,
            )
        })
        .collect();
    assert_eq!(shown, expected);
    assert_eq!(
        page["texts"]["saving"].as_str().expect("saving"),
        format!("{saving:.2}")
    );
    // Moves go from a feature being cut to one being added, of one vendor.
    let vendor_of: BTreeMap<String, String> = raw(
        &db,
        "SELECT DISTINCT feature, coalesce(vendor, '') FROM usage_daily",
        2,
    )
    .into_iter()
    .map(|r| (text(&r[0]), text(&r[1])))
    .collect();
    for r in rows.iter().filter(|r| r[1] == "Redistribute") {
        let (from, to) = r[0].split_once(" → ").expect("from → to");
        assert!(
            shown.iter().any(|e| e.0 == "Reduce" && e.1 == from),
            "{r:?}"
        );
        assert!(
            shown.iter().any(|e| e.0 == "Add licenses" && e.1 == to),
            "{r:?}"
        );
        assert_eq!(vendor_of[from], vendor_of[to], "{r:?}");
    }
    // Each row links to the view of its evidence; a cut's shows its issued count and peak.
    let links = table["links"].as_array().expect("links");
    assert!(links.iter().all(Value::is_string), "{links:?}");
    let (i, cut) = rows
        .iter()
        .enumerate()
        .find(|(_, r)| r[1] == "Reduce")
        .expect("a cut");
    let href = links[i].as_str().expect("link");
    assert!(
        href.contains("page=features") && href.contains(&format!("from={FROM}")),
        "{href}"
    );
    let evidence = visit.follow(
        &server.url(&format!("{SUB_PATH}/{href}")),
        "recommendation-evidence.png",
        &["feature-stats"],
    );
    let stats = cells(&evidence["tables"]["feature-stats"]["rows"]);
    let row = stats
        .iter()
        .find(|s| s[0] == cut[3] && s[1] == cut[2])
        .expect("the evidence view shows the feature");
    assert!(
        cut[6].contains(&format!("peak checked out {} of {} issued", row[4], row[2])),
        "{cut:?} vs {row:?}"
    );

    // The executive summary: the same figures, from one printable page.
    let url = server.url(&format!("{SUB_PATH}/?page=summary&from={FROM}&to={TO}"));
    let page = visit.follow(&url, "summary.png", &["sum-months"]);
    assert!(page["error"].is_null(), "{}", page["error"]);
    let texts = &page["texts"];
    let shown = |k: &str| texts[k].as_str().unwrap_or_default().to_owned();
    let hours: f64 = raw(
        &db,
        &format!(
            "SELECT license_hours FROM user_daily WHERE day BETWEEN DATE '{FROM}' AND DATE '{TO}'"
        ),
        1,
    )
    .iter()
    .map(|r| number(&r[0]))
    .sum();
    assert_eq!(shown("sum-hours"), format!("{hours:.2}"));
    let (mut used, mut capacity) = (0.0, 0.0);
    for r in raw(
        &db,
        &format!("SELECT sum_in_use, polls, issued FROM usage_daily WHERE day BETWEEN DATE '{FROM}' AND DATE '{TO}'"),
        3,
    ) {
        used += number(&r[0]);
        capacity += number(&r[1]) * number(&r[2]);
    }
    assert_eq!(shown("sum-util"), format!("{:.1}", 100.0 * used / capacity));
    let cli: Value = serde_json::from_str(&lmscope_ok(&[
        "report",
        "chargeback",
        "--data",
        &site.join("data").to_string_lossy(),
        "--from",
        FROM,
        "--to",
        TO,
        "--by",
        "department",
        "--format",
        "json",
    ]))
    .expect("JSON");
    assert_eq!(
        shown("sum-use"),
        format!("{:.2}", cli["use_cost"].as_f64().expect("use"))
    );
    assert_eq!(
        shown("sum-bill"),
        format!("{:.2}", cli["bill"].as_f64().expect("bill"))
    );
    assert_eq!(shown("sum-saving"), format!("{saving:.2}"));
    lmscope_e2e::assert_chart_of_table(&page, "sum-months", 1);
    // The cost chart: each department's full allocation, as the CLI has it, largest first.
    let plotted: Vec<f64> = serde_json::from_str(
        page["canvases"]["sum-costs-chart"]["data"]["values"]
            .as_str()
            .expect("sum-costs values"),
    )
    .expect("JSON");
    let want: Vec<f64> = cli["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| l["full_cost"].as_f64())
        .take(12)
        .collect();
    assert_eq!(plotted.len(), want.len(), "{plotted:?} vs {want:?}");
    for (p, w) in plotted.iter().zip(&want) {
        assert!((p - w).abs() < 0.006, "sum-costs: plotted {p}, CLI {w}");
    }
    assert!(shown("sum-risks").contains("alerts firing now"), "{texts}");
    // Printed, it is the summary alone.
    let print = &page["print"];
    assert_eq!(print["nav.pages"], false, "{print}");
    assert_eq!(print["form.filters"], false, "{print}");
    assert_eq!(print["[data-testid=executive-summary]"], true, "{print}");
}
