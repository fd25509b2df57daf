//! The grouped usage queries behind every usage table and the report builder (summed per
//! user first, then joined to the org tables), run with native DuckDB on a published demo,
//! against the same figures aggregated here in Rust from the raw `user_daily` rows and the
//! org tables: every dimension alone and in pairs, every usage measure, with and without
//! each filter.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};
use lmscope::analytics::filters::Filters;
use lmscope::analytics::query::{grouped_usage, Dimension, Measure};
use lmscope_e2e::{demo_in, number, published_db, raw, text, TempDir};

/// The days a check covers.
#[derive(Clone, Copy)]
struct Days {
    from: NaiveDate,
    to: NaiveDate,
}

/// One `user_daily` row with its org columns looked up.
struct Row {
    day: NaiveDate,
    server: String,
    vendor: String,
    feature: String,
    user: String,
    host: String,
    license_hours: f64,
    hours: f64,
    sessions: f64,
    peak: f64,
    team: String,
    department: String,
    cost_center: String,
    cluster: String,
    price: f64,
}

impl Row {
    fn key(&self, d: Dimension) -> String {
        match d {
            Dimension::User => self.user.clone(),
            Dimension::Team => self.team.clone(),
            Dimension::Department => self.department.clone(),
            Dimension::CostCenter => self.cost_center.clone(),
            Dimension::Cluster => self.cluster.clone(),
            Dimension::Host => self.host.clone(),
            Dimension::Feature => self.feature.clone(),
            Dimension::Server => self.server.clone(),
            Dimension::Vendor => self.vendor.clone(),
            Dimension::Day => self.day.format("%Y-%m-%d").to_string(),
            Dimension::Month => self.day.format("%Y-%m").to_string(),
            Dimension::Weekday => format!(
                "{} {}",
                self.day.weekday().number_from_monday(),
                self.day.format("%A")
            ),
            Dimension::Hour => unreachable!("not over daily rows"),
        }
    }

    fn passes(&self, f: &Filters) -> bool {
        let ok = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        ok(&f.server, &self.server)
            && ok(&f.vendor, &self.vendor)
            && ok(&f.feature, &self.feature)
            && ok(&f.user, &self.user)
            && ok(&f.department, &self.department)
            && ok(&f.team, &self.team)
            && ok(&f.cluster, &self.cluster)
    }
}

#[derive(Default)]
struct Group {
    license_hours: f64,
    hours: f64,
    sessions: f64,
    users: BTreeSet<String>,
    features: BTreeSet<String>,
    peak: f64,
    cost: f64,
}

fn load(db: &duckdb::Connection) -> Vec<Row> {
    let people: HashMap<String, [String; 3]> = raw(
        db,
        "SELECT user_name, team, department, cost_center FROM org_people",
        4,
    )
    .into_iter()
    .map(|r| (text(&r[0]), [text(&r[1]), text(&r[2]), text(&r[3])]))
    .collect();
    let clusters: HashMap<String, String> = raw(db, "SELECT host, cluster FROM org_hosts", 2)
        .into_iter()
        .map(|r| (text(&r[0]), text(&r[1])))
        .collect();
    // The price of a feature for its vendor, else for any vendor (the largest if repeated).
    let mut prices: HashMap<(String, Option<String>), f64> = HashMap::new();
    for r in raw(
        db,
        "SELECT feature, vendor, per_seat_year FROM org_prices",
        3,
    ) {
        let vendor = match &r[1] {
            duckdb::types::Value::Null => None,
            v => Some(text(v)),
        };
        let p = prices.entry((text(&r[0]), vendor)).or_insert(f64::MIN);
        *p = p.max(number(&r[2]));
    }
    raw(
        db,
        "SELECT strftime(day, '%Y-%m-%d'), server, vendor, feature, user_name, host,
                license_hours, hours, sessions, peak_licenses FROM user_daily",
        10,
    )
    .into_iter()
    .map(|r| {
        let user = text(&r[4]);
        let host = text(&r[5]);
        let feature = text(&r[3]);
        let vendor = text(&r[2]);
        let unassigned = || "unassigned".to_owned();
        let [team, department, cost_center] = people
            .get(&user)
            .cloned()
            .unwrap_or_else(|| [unassigned(), unassigned(), unassigned()]);
        let price = prices
            .get(&(feature.clone(), Some(vendor.clone())))
            .or_else(|| prices.get(&(feature.clone(), None)))
            .copied()
            .unwrap_or(0.0);
        Row {
            day: text(&r[0]).parse().expect("day"),
            server: text(&r[1]),
            cluster: clusters.get(&host).cloned().unwrap_or_else(unassigned),
            vendor,
            feature,
            user,
            host,
            license_hours: number(&r[6]),
            hours: number(&r[7]),
            sessions: number(&r[8]),
            peak: number(&r[9]),
            team,
            department,
            cost_center,
            price,
        }
    })
    .collect()
}

/// The expected table: group key → measures in [`MEASURES`] order.
fn expected(
    rows: &[Row],
    Days { from, to }: Days,
    f: &Filters,
    dims: &[Dimension],
) -> BTreeMap<Vec<String>, Vec<f64>> {
    let mut groups: BTreeMap<Vec<String>, Group> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| r.day >= from && r.day <= to && r.passes(f))
    {
        let g = groups
            .entry(dims.iter().map(|d| r.key(*d)).collect())
            .or_default();
        g.license_hours += r.license_hours;
        g.hours += r.hours;
        g.sessions += r.sessions;
        g.users.insert(r.user.clone());
        g.features.insert(r.feature.clone());
        g.peak = g.peak.max(r.peak);
        g.cost += r.license_hours * r.price / 8760.0;
    }
    let total: f64 = groups.values().map(|g| g.license_hours).sum();
    groups
        .into_iter()
        .map(|(k, g)| {
            (
                k,
                vec![
                    g.license_hours,
                    g.hours,
                    g.sessions,
                    g.users.len() as f64,
                    g.features.len() as f64,
                    g.peak,
                    100.0 * g.license_hours / total,
                    g.cost,
                ],
            )
        })
        .collect()
}

/// The measures over usage rows, in [`expected`]'s order (peak concurrency and denials
/// come from sessions and events, tested in tests/report.rs).
const MEASURES: [Measure; 8] = [
    Measure::LicenseHours,
    Measure::Hours,
    Measure::Sessions,
    Measure::Users,
    Measure::Features,
    Measure::PeakLicenses,
    Measure::Share,
    Measure::Cost,
];

fn run(
    db: &duckdb::Connection,
    days: Days,
    f: &Filters,
    dims: &[Dimension],
    measures: &[Measure],
) -> BTreeMap<Vec<String>, Vec<f64>> {
    let (sql, params) = grouped_usage(f, days.from, days.to, dims, measures, 1_000_000);
    let params: Vec<String> = params
        .iter()
        .map(|p| p.as_str().expect("text parameter").to_owned())
        .collect();
    let mut stmt = db.prepare(&sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
    let n = dims.len();
    stmt.query_map(duckdb::params_from_iter(params.iter()), |r| {
        let key = (0..n)
            .map(|i| r.get::<_, String>(i))
            .collect::<Result<Vec<_>, _>>()?;
        let values = (n..n + measures.len())
            .map(|i| r.get::<_, f64>(i))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((key, values))
    })
    .unwrap_or_else(|e| panic!("{e}: {sql}"))
    .map(|r| r.expect("row"))
    .collect()
}

#[test]
fn grouped_usage_matches_the_raw_rows_for_every_dimension_measure_and_filter() {
    let tmp = TempDir::new("grouped");
    let out = tmp.path().join("data");
    demo_in(
        tmp.path(),
        &out,
        &["--weeks", "3", "--end", "2026-11-20T12:00"],
    );
    let db = published_db(tmp.path());
    let rows = load(&db);
    let day = |s: &str| s.parse::<NaiveDate>().expect("day");
    check_every_combination(
        &db,
        &rows,
        Days {
            from: day("2026-11-03"),
            to: day("2026-11-16"),
        },
    );
}

/// Over a range holding whole months (read from their monthly sums) and parts of two more
/// (read day by day), the same figures as the raw daily rows give.
#[test]
fn whole_months_read_from_monthly_sums_match_the_raw_rows() {
    let tmp = TempDir::new("grouped-months");
    let out = tmp.path().join("data");
    demo_in(tmp.path(), &out, &["--weeks", "9"]);
    let db = published_db(tmp.path());
    let rows = load(&db);
    let first = rows.iter().map(|r| r.day).min().expect("rows");
    let last = rows.iter().map(|r| r.day).max().expect("rows");
    let days = Days {
        from: first + chrono::Duration::days(2),
        to: last - chrono::Duration::days(1),
    };
    // The months wholly inside the range: at least one, read from the sums per person when
    // only people are grouped, per person and feature when a feature is, from
    // `user_monthly` when a host is; days from the sums per person and day when a weekday
    // of people is. Distinct counts of users or features read the lists of the sums per
    // person, feature or day.
    for (dims, measure, table) in [
        (
            Dimension::Department,
            Measure::LicenseHours,
            "FROM person_monthly",
        ),
        (
            Dimension::Feature,
            Measure::LicenseHours,
            "FROM person_feature_monthly",
        ),
        (Dimension::Host, Measure::LicenseHours, "FROM user_monthly"),
        (
            Dimension::Weekday,
            Measure::LicenseHours,
            "FROM person_daily",
        ),
        (Dimension::User, Measure::Features, "unnest(feature_ids)"),
        (Dimension::Feature, Measure::Users, "FROM feature_monthly"),
        (Dimension::Weekday, Measure::Users, "FROM daily_users"),
    ] {
        let (sql, _) = grouped_usage(
            &Filters::default(),
            days.from,
            days.to,
            &[dims],
            &[measure],
            10,
        );
        assert!(
            sql.contains(table),
            "nine weeks ({first} to {last}) hold a whole month: {sql}"
        );
    }
    check_every_combination(&db, &rows, days);
}

/// Every dimension alone and in pairs, every usage measure, with and without each filter,
/// over `days`: the query's groups and figures against those folded from `rows`.
fn check_every_combination(db: &duckdb::Connection, rows: &[Row], days: Days) {
    // Filter values that select something: the busiest department, its busiest team,
    // cluster and feature, and one of its people.
    let busiest = |key: fn(&Row) -> &String, within: &dyn Fn(&Row) -> bool| -> String {
        let mut n: BTreeMap<&String, f64> = BTreeMap::new();
        for r in rows.iter().filter(|r| within(r)) {
            *n.entry(key(r)).or_default() += r.license_hours;
        }
        n.into_iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(k, _)| k.clone())
            .expect("usage")
    };
    let department = busiest(|r| &r.department, &|_| true);
    let in_department = |r: &Row| r.department == department;
    let team = busiest(|r| &r.team, &in_department);
    let cluster = busiest(|r| &r.cluster, &in_department);
    let feature = busiest(|r| &r.feature, &in_department);
    let user = busiest(|r| &r.user, &in_department);
    let server = busiest(|r| &r.server, &in_department);
    let filters = [
        Filters::default(),
        Filters {
            department: Some(department.clone()),
            ..Filters::default()
        },
        Filters {
            team: Some(team),
            feature: Some(feature.clone()),
            ..Filters::default()
        },
        Filters {
            cluster: Some(cluster),
            ..Filters::default()
        },
        Filters {
            user: Some(user),
            department: Some(department),
            ..Filters::default()
        },
        Filters {
            server: Some(server),
            ..Filters::default()
        },
    ];
    let singles = Dimension::ALL
        .into_iter()
        .filter(|d| *d != Dimension::Hour)
        .map(|d| vec![d]);
    use Dimension as D;
    let pairs = [
        vec![D::Department, D::CostCenter],
        vec![D::Team, D::Department],
        vec![D::Feature, D::Team],
        vec![D::User, D::Department],
        vec![D::User, D::Team, D::CostCenter],
        vec![D::Cluster, D::Month],
        vec![D::Weekday, D::Team],
        vec![D::Month, D::Weekday],
        vec![D::Day, D::Feature],
        vec![D::Host, D::Server, D::Vendor],
    ];
    // All measures, and all but cost (which sums per feature: without it, groups of one
    // user each are summed per user alone).
    let measure_sets = [&MEASURES[..], &MEASURES[..7]];
    let mut checked = 0;
    for f in &filters {
        for dims in singles.clone().chain(pairs.iter().cloned()).chain([vec![]]) {
            let want = expected(rows, days, f, &dims);
            assert!(!want.is_empty(), "nothing selected by {f:?}");
            for measures in measure_sets {
                let got = run(db, days, f, &dims, measures);
                assert_eq!(
                    got.keys().collect::<Vec<_>>(),
                    want.keys().collect::<Vec<_>>(),
                    "groups of {dims:?} under {f:?}"
                );
                for (key, w) in &want {
                    for (i, (g, w)) in got[key].iter().zip(w).enumerate() {
                        // The query rounds hours and costs to 2 decimals, shares to 1.
                        let tolerance = if MEASURES[i] == Measure::Share {
                            0.05
                        } else {
                            0.005
                        };
                        assert!(
                            (g - w).abs() <= tolerance + 1e-9 * w.abs(),
                            "{:?} of {key:?} by {dims:?} under {f:?}: query {g}, rows {w}",
                            MEASURES[i]
                        );
                    }
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, filters.len() * 23 * measure_sets.len());
}
