//! The large demo: a year of one-minute polls of 50 servers, 500 features and 3,000 users,
//! synthesized straight into the store's tables (what ingesting those 26 million polls
//! would leave there) so benchmarks and the site can be measured at that scale in minutes
//! rather than the hours the poll-by-poll path would take.

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use duckdb::params;

use crate::demo::{activity, season, Rng};
use crate::parse::org::{Cluster, Department, Org, Person, Pool, Price, Project, Team};
use crate::store::db::{Store, StoreError};

/// Size of the synthesized data.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    pub servers: usize,
    pub features: usize,
    pub users: usize,
    pub days: u32,
    /// Time of the last poll (UTC).
    pub end: NaiveDateTime,
    pub seed: u64,
}

impl SynthOptions {
    /// 50 servers, 500 features, 3,000 users, 365 days.
    pub fn large(end: NaiveDateTime, seed: u64) -> Self {
        Self {
            servers: 50,
            features: 500,
            users: 3000,
            days: 365,
            end,
            seed,
        }
    }
}

/// What was written.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SynthSummary {
    pub polls: u64,
    pub sessions: u64,
    pub feature_changes: u64,
    pub hours: u64,
    pub denials: u64,
}

const DEPARTMENTS: usize = 10;
const TEAMS_PER_DEPARTMENT: usize = 3;
const CLUSTERS: &[&str] = &["hpc-a", "hpc-b", "hpc-c", "cloud"];
const BASES: &[&str] = &[
    "MATLAB",
    "Simulink",
    "ansys",
    "anshpc",
    "acfd",
    "NX",
    "Virtuoso",
    "Spectre",
    "VCS",
    "DC_Ultra",
    "PrimeTime",
    "abaqus",
    "comsol",
    "star_ccm",
    "Xcelium",
    "Innovus",
    "Calibre",
    "hypermesh",
    "LS_DYNA",
    "catia",
];

fn server_name(s: usize) -> String {
    format!("{}@lic-{s:02}", 27000 + s)
}

fn vendor_name(s: usize, f: usize) -> String {
    format!("vd{s:02}{}", ["a", "b"][f % 2])
}

fn feature_name(f: usize) -> String {
    format!("{}_{f:03}", BASES[f % BASES.len()])
}

fn user_name(u: usize) -> String {
    format!("u{u:04}")
}

fn workstation(u: usize) -> String {
    format!("ws-{:02}-{u:04}", u % DEPARTMENTS)
}

struct Feature {
    server: usize,
    vendor: String,
    name: String,
    issued: u32,
    /// Licenses wanted at a weekday peak, as a share of issued.
    peak_share: f64,
    mean_minutes: f64,
    growth: f64,
    hpc: bool,
    department: usize,
}

fn features(opts: &SynthOptions, rng: &mut Rng) -> Vec<Feature> {
    (0..opts.features)
        .map(|f| {
            let big = rng.unit() < 0.1;
            Feature {
                server: f % opts.servers.max(1),
                vendor: vendor_name(f % opts.servers.max(1), f / opts.servers.max(1)),
                name: feature_name(f),
                issued: if big {
                    20 + rng.below(60) as u32
                } else {
                    1 + rng.below(10) as u32
                },
                // A few short of licenses, a few nearly idle, most in between.
                peak_share: [0.05, 0.3, 0.5, 0.6, 0.7, 0.8, 1.2][rng.below(7)],
                mean_minutes: 30.0 + rng.unit() * 330.0,
                growth: rng.unit() * 0.4 - 0.05,
                hpc: rng.unit() < 0.2,
                department: rng.below(DEPARTMENTS),
            }
        })
        .collect()
}

struct Out {
    user: usize,
    host: String,
    licenses: u32,
    start: i64,
    end: i64,
}

/// Fill an empty store with the synthesized year.
pub fn synthesize(store: &mut Store, opts: &SynthOptions) -> Result<SynthSummary, StoreError> {
    let mut rng = Rng(opts.seed);
    let minutes = i64::from(opts.days) * 24 * 60;
    let start = opts.end - TimeDelta::minutes(minutes - 1);
    let at = |m: i64| start + TimeDelta::minutes(m);
    // Demand by minute of the year: office hours, weekdays, seasons.
    let shape: Vec<f64> = (0..minutes)
        .map(|m| activity(at(m)) * season(at(m)))
        .collect();
    let features = features(opts, &mut rng);
    // One server is unreachable for three hours at 60 % of the year.
    let outage_server = 7 % opts.servers.max(1);
    let outage = (minutes * 6 / 10, minutes * 6 / 10 + 180);
    let poll_id = |server: usize, m: i64| server as i64 * minutes + m + 1;
    let mut summary = SynthSummary::default();

    let conn = store.conn();
    // Rows of every time: no publish may take a month from its last manifest.
    crate::store::marks::forget(conn)?;
    conn.execute(
        "INSERT INTO polls
         SELECT s * ?1 + m + 1, format('{}@lic-{}', 27000 + s, lpad(s::VARCHAR, 2, '0')),
                ?2::TIMESTAMP + m * INTERVAL 1 MINUTE, 'synth',
                NOT (s = ?3 AND m >= ?4 AND m < ?5),
                CASE WHEN s = ?3 AND m >= ?4 AND m < ?5
                     THEN 'Cannot connect to license server system. (-15,570:111 \"Connection refused\")' END,
                CASE WHEN s = ?3 AND m >= ?4 AND m < ?5 THEN '-15,570:111' END,
                ?2::TIMESTAMP + m * INTERVAL 1 MINUTE, 1
         FROM range(0, ?6) r1(s), range(0, ?1) r2(m)",
        params![
            minutes,
            start,
            outage_server as i64,
            outage.0,
            outage.1,
            opts.servers as i64
        ],
    )?;
    summary.polls = opts.servers as u64 * minutes as u64;
    {
        // The same polls as runs (what ingest keeps in `poll_runs`): one per server, three
        // for the server with the outage.
        let mut runs = conn.appender("poll_runs")?;
        let refused =
            "Cannot connect to license server system. (-15,570:111 \"Connection refused\")";
        for s in 0..opts.servers {
            let spans = if s == outage_server {
                vec![
                    (0, outage.0 - 1, true),
                    (outage.0, outage.1 - 1, false),
                    (outage.1, minutes - 1, true),
                ]
            } else {
                vec![(0, minutes - 1, true)]
            };
            for (from, to, ok) in spans {
                runs.append_row(params![
                    poll_id(s, from),
                    server_name(s),
                    at(from),
                    "synth",
                    ok,
                    (!ok).then_some(refused),
                    (!ok).then_some("-15,570:111"),
                    at(to),
                    to - from + 1
                ])?;
            }
        }

        let mut hosts = conn.appender("server_status")?;
        let mut vendors = conn.appender("vendor_status")?;
        for s in 0..opts.servers {
            let host = format!("lic-{s:02}");
            hosts.append_row(params![
                poll_id(s, 0),
                start,
                server_name(s),
                host,
                true,
                true,
                "v11.19.6",
                None::<String>,
                None::<String>
            ])?;
            for v in ["a", "b"] {
                vendors.append_row(params![
                    poll_id(s, 0),
                    start,
                    server_name(s),
                    format!("vd{s:02}{v}"),
                    true,
                    "v11.19.6",
                    None::<String>,
                    None::<String>
                ])?;
            }
        }
        let mut entitlements = conn.appender("entitlements")?;
        for (i, f) in features.iter().enumerate() {
            let expires = if i == 3 {
                opts.end.date() + TimeDelta::days(21)
            } else {
                NaiveDate::from_ymd_opt(2027, 12, 31).unwrap_or(opts.end.date())
            };
            entitlements.append_row(params![
                server_name(f.server),
                opts.end,
                f.name,
                "2025.1",
                f.vendor,
                f.issued,
                expires,
                expires.format("%-d-%b-%Y").to_string().to_lowercase(),
                "synth"
            ])?;
        }
    }

    let mut sessions = conn.appender("sessions")?;
    let mut changes = conn.appender("feature_usage")?;
    let mut hourly = conn.appender("usage_hourly")?;
    let mut events = conn.appender("events")?;
    let users_per_department = (opts.users / DEPARTMENTS).max(1);
    for f in &features {
        let server = server_name(f.server);
        let mut active: Vec<Out> = Vec::new();
        let mut in_use: u32 = 0;
        let mut last_recorded: Option<u32> = None;
        let (mut peak, mut sum, mut polls, mut full) = (0u32, 0i64, 0u32, 0u32);
        let per_minute = f64::from(f.issued) * f.peak_share / f.mean_minutes;
        for m in 0..minutes {
            let ts = at(m);
            let down = f.server == outage_server && m >= outage.0 && m < outage.1;
            // Check-ins due now.
            let mut k = 0;
            while k < active.len() {
                if active[k].end <= m {
                    let o = active.swap_remove(k);
                    in_use -= o.licenses;
                    sessions.append_row(params![
                        server,
                        f.vendor,
                        f.name,
                        user_name(o.user),
                        o.host,
                        o.host,
                        "2025.1",
                        format!("lic-{:02}", f.server),
                        None::<i64>,
                        o.licenses,
                        at(o.start),
                        at(o.start),
                        at(o.end - 1),
                        at(o.end),
                        "poll"
                    ])?;
                    summary.sessions += 1;
                } else {
                    k += 1;
                }
            }
            // Arrivals: approximately Poisson (rates per minute are small).
            let lambda =
                per_minute * shape[m as usize] * (1.0 + f.growth * m as f64 / minutes as f64);
            let u = rng.unit();
            let arrivals = usize::from(u < lambda) + usize::from(u < lambda * lambda / 2.0);
            for _ in 0..arrivals {
                let user = f.department * users_per_department
                    + (rng.unit().powi(2) * users_per_department as f64) as usize;
                let user = user.min(opts.users.saturating_sub(1));
                let licenses = if f.hpc && f.issued >= 20 {
                    1 + rng.below(8) as u32
                } else {
                    1
                };
                let host = if f.hpc {
                    format!(
                        "{}-{:03}",
                        CLUSTERS[rng.below(CLUSTERS.len())],
                        rng.below(200)
                    )
                } else {
                    workstation(user)
                };
                if down || in_use + licenses > f.issued {
                    if !down {
                        summary.denials += 1;
                        events.append_row(params![
                            server,
                            f.vendor,
                            ts,
                            "DENIED",
                            f.name,
                            user_name(user),
                            host,
                            licenses,
                            "Licensed number of users already reached.",
                            "-4,342",
                            1,
                            "synth",
                            summary.denials as i64
                        ])?;
                    }
                    continue;
                }
                let length = (-(1.0 - rng.unit()).ln() * f.mean_minutes).ceil().max(1.0) as i64;
                in_use += licenses;
                active.push(Out {
                    user,
                    host,
                    licenses,
                    start: m,
                    end: m + length,
                });
            }
            if !down {
                if last_recorded != Some(in_use) {
                    changes.append_row(params![
                        poll_id(f.server, m),
                        ts,
                        server,
                        f.vendor,
                        f.name,
                        "counted",
                        f.issued,
                        in_use,
                        "2025.1",
                        "31-dec-2027",
                        None::<String>
                    ])?;
                    summary.feature_changes += 1;
                    last_recorded = Some(in_use);
                }
                peak = peak.max(in_use);
                sum += i64::from(in_use);
                polls += 1;
                full += u32::from(in_use >= f.issued);
            }
            if (m + 1) % 60 == 0 || m + 1 == minutes {
                if polls > 0 {
                    hourly.append_row(params![
                        crate::store::delta::hour_of(ts),
                        server,
                        f.vendor,
                        f.name,
                        f.issued,
                        peak,
                        sum,
                        polls,
                        full,
                        peak,
                        sum
                    ])?;
                    summary.hours += 1;
                }
                (peak, sum, polls, full) = (0, 0, 0, 0);
            }
        }
        for o in active {
            sessions.append_row(params![
                server,
                f.vendor,
                f.name,
                user_name(o.user),
                o.host,
                o.host,
                "2025.1",
                format!("lic-{:02}", f.server),
                None::<i64>,
                o.licenses,
                at(o.start),
                at(o.start),
                at(minutes - 1),
                None::<NaiveDateTime>,
                "poll"
            ])?;
            summary.sessions += 1;
        }
    }
    Ok(summary)
}

/// The org file of the large demo: 10 departments of 3 teams, every user but every
/// twentieth placed, clusters, a price per feature, budgets, pools and projects.
pub fn org(opts: &SynthOptions) -> Org {
    let mut rng = Rng(opts.seed);
    let features = features(opts, &mut rng);
    let per_department = (opts.users / DEPARTMENTS).max(1);
    Org {
        currency: "USD".to_owned(),
        departments: (0..DEPARTMENTS)
            .map(|d| Department {
                id: format!("dept{d:02}"),
                name: Some(format!("Department {d:02}")),
                cost_center: Some(format!("CC-{}", 2000 + d * 10)),
                budget: Some(400_000.0 + d as f64 * 150_000.0),
            })
            .collect(),
        teams: (0..DEPARTMENTS * TEAMS_PER_DEPARTMENT)
            .map(|t| Team {
                id: format!("team{t:02}"),
                name: None,
                department: format!("dept{:02}", t / TEAMS_PER_DEPARTMENT),
                cost_center: None,
            })
            .collect(),
        people: (0..opts.users)
            .filter(|u| u % 20 != 19)
            .map(|u| {
                let department = (u / per_department).min(DEPARTMENTS - 1);
                Person {
                    user: user_name(u),
                    name: None,
                    team: Some(format!(
                        "team{:02}",
                        department * TEAMS_PER_DEPARTMENT + u % TEAMS_PER_DEPARTMENT
                    )),
                    department: None,
                    cost_center: None,
                    email: None,
                }
            })
            .collect(),
        clusters: CLUSTERS
            .iter()
            .map(|c| Cluster {
                name: (*c).to_owned(),
                hosts: vec![format!("{c}-*")],
            })
            .chain(std::iter::once(Cluster {
                name: "workstations".to_owned(),
                hosts: vec!["ws-*".to_owned()],
            }))
            .collect(),
        prices: features
            .iter()
            .map(|f| Price {
                feature: f.name.clone(),
                vendor: Some(f.vendor.clone()),
                per_seat_year: [800.0, 2_500.0, 6_000.0, 15_000.0, 40_000.0][f.name.len() % 5],
                currency: None,
            })
            .collect(),
        pools: features
            .iter()
            .filter(|f| f.issued >= 20)
            .take(10)
            .map(|f| Pool {
                team: format!("team{:02}", f.department * TEAMS_PER_DEPARTMENT),
                feature: f.name.clone(),
                reserved: f.issued / 4,
                priority: 1,
            })
            .collect(),
        alerts: Vec::new(),
        channels: Vec::new(),
        smtp: None,
        subscriptions: Vec::new(),
        projects: (0..6)
            .map(|p| Project {
                id: format!("proj{p}"),
                name: Some(format!("Project {p}")),
                budget: Some(100_000.0 + p as f64 * 50_000.0),
                start: Some(opts.end.date() - TimeDelta::days(300 - p * 40)),
                end: Some(opts.end.date() + TimeDelta::days(60 + p * 30)),
                members: (0..25)
                    .map(|i| user_name((p as usize * 400 + i * 7) % opts.users.max(1)))
                    .collect(),
                phases: Vec::new(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_synthesis_is_consistent() {
        let end = NaiveDate::from_ymd_opt(2026, 11, 20)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .expect("valid");
        let opts = SynthOptions {
            servers: 3,
            features: 12,
            users: 60,
            days: 14,
            end,
            seed: 5,
        };
        let mut store = Store::in_memory().expect("store");
        let s = synthesize(&mut store, &opts).expect("synth");
        let one = |sql: &str| -> i64 {
            store
                .conn()
                .query_row(sql, [], |r| r.get(0))
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
        };
        assert_eq!(s.polls as i64, one("SELECT count(*) FROM polls"));
        assert_eq!(
            one("SELECT sum(count)::BIGINT FROM poll_runs"),
            one("SELECT count(*) FROM polls")
        );
        assert_eq!(
            one("SELECT sum(count) FILTER (WHERE NOT ok)::BIGINT FROM poll_runs"),
            one("SELECT count(*) FROM polls WHERE NOT ok")
        );
        assert_eq!(3 * 14 * 24 * 60, s.polls);
        assert_eq!(s.sessions as i64, one("SELECT count(*) FROM sessions"));
        assert!(s.sessions > 100, "{s:?}");
        assert_eq!(
            one("SELECT (max(ts) = TIMESTAMP '2026-11-20 12:00')::INT FROM polls"),
            1
        );
        // Never more in use than issued; hourly sums agree with the change rows' peaks.
        assert_eq!(
            one("SELECT count(*) FROM feature_usage WHERE in_use > issued"),
            0
        );
        assert_eq!(
            one("SELECT max(in_use) FROM feature_usage"),
            one("SELECT max(peak_in_use) FROM usage_hourly")
        );
        // License-minutes: the hourly rollup and the sessions count the same use (every
        // session's minutes fall inside the period).
        // (The server with the outage has minutes without polls: left out.)
        assert_eq!(one("SELECT count(*) FROM polls WHERE NOT ok"), 180);
        let up = "server NOT IN (SELECT server FROM polls WHERE NOT ok)";
        let from_sessions = one(&format!(
            "SELECT sum(licenses * datediff('minute', started_at,
                        coalesce(ended_at, last_seen + INTERVAL 1 MINUTE)))::BIGINT
             FROM sessions WHERE {up}"
        ));
        assert_eq!(
            one(&format!(
                "SELECT sum(sum_in_use)::BIGINT FROM usage_hourly WHERE {up}"
            )),
            from_sessions
        );
        let org = org(&opts);
        assert_eq!(org.people.len(), 57);
        assert!(Org::from_toml(&toml::to_string(&org).expect("toml")).is_ok());
    }
}
