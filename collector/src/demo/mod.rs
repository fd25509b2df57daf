//! A realistic demo dataset: several license servers and vendors, a few dozen features and a
//! few hundred users polled over a year, with office-hour, weekday and seasonal patterns
//! (summer and year-end lulls, quarter-end crunches), growth, two shortages (SIMULINK all
//! year, ansys by year end), a tape-out surge on the chip design tools in the last weeks, an
//! idle feature, one server outage and one vendor daemon outage. It produces the same typed
//! reports the lmstat parser does, so it travels the same ingest path as real data. `synth`
//! synthesizes the large benchmark history.

pub mod synth;

use chrono::{Datelike, NaiveDateTime, TimeDelta, Timelike, Weekday};

use chrono::NaiveDate;

use crate::analytics::alerts::{Kind, Rule, Severity};
use crate::parse::debuglog::{DebugLog, Event, EventKind};
use crate::parse::lmstat::{
    Checkout, Counting, FeatureUsage, Holder, LmError, LmstatReport, Queued, ServerStatus,
    VendorStatus,
};
use crate::parse::lmstat_i::Entitlement;
use crate::parse::org::{
    Cluster, Department, Org, Person as OrgPerson, Phase, Pool, Price, Project, Team,
};
use crate::parse::timeinfer::StartStamp;
use crate::parse::zone::Zone;
use crate::store::db::Poll;

/// How much demo data to make.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Time of the last poll (UTC).
    pub end: NaiveDateTime,
    pub weeks: u32,
    pub interval_minutes: u32,
    pub seed: u64,
}

/// Small deterministic PRNG (SplitMix64): the demo must be reproducible from its seed.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }
    /// Poisson-distributed count (Knuth), fine for the small rates used here.
    fn poisson(&mut self, lambda: f64) -> u32 {
        let limit = (-lambda).exp();
        let mut k = 0;
        let mut p = 1.0;
        loop {
            p *= self.unit();
            if p <= limit || k > 1000 {
                return k;
            }
            k += 1;
        }
    }
}

struct FeatureSpec {
    name: &'static str,
    vendor: &'static str,
    issued: u32,
    /// Share of seats in use at a weekday peak hour (may exceed 1: demand beyond supply).
    peak_share: f64,
    /// Mean session length in hours.
    mean_hours: f64,
    /// Licenses per checkout (1 for most; HPC tokens draw from this range).
    tokens: (u32, u32),
    /// Growth of demand over the whole period (0.3 = +30 %).
    growth: f64,
    /// Departments whose people use it.
    departments: &'static [usize],
    hpc: bool,
}

struct ServerSpec {
    name: &'static str,
    hosts: &'static [&'static str],
    vendors: &'static [&'static str],
    features: &'static [FeatureSpec],
}

const DEPARTMENTS: &[&str] = &["mech", "ctrl", "chip", "rsch", "plm"];

const fn f(
    name: &'static str,
    vendor: &'static str,
    issued: u32,
    peak_share: f64,
    mean_hours: f64,
    departments: &'static [usize],
) -> FeatureSpec {
    FeatureSpec {
        name,
        vendor,
        issued,
        peak_share,
        mean_hours,
        tokens: (1, 1),
        growth: 0.1,
        departments,
        hpc: false,
    }
}

const fn hpc(spec: FeatureSpec, tokens: (u32, u32), growth: f64) -> FeatureSpec {
    FeatureSpec {
        tokens,
        growth,
        hpc: true,
        ..spec
    }
}

const fn grow(spec: FeatureSpec, growth: f64) -> FeatureSpec {
    FeatureSpec { growth, ..spec }
}

const SERVERS: &[ServerSpec] = &[
    ServerSpec {
        name: "27000@lic-ansys01",
        hosts: &["lic-ansys01"],
        vendors: &["ansyslmd"],
        features: &[
            grow(f("ansys", "ansyslmd", 30, 0.75, 3.0, &[0, 3]), 0.35),
            hpc(
                f("anshpc", "ansyslmd", 512, 0.55, 4.0, &[0, 3]),
                (4, 32),
                0.4,
            ),
            f("acfd", "ansyslmd", 20, 0.6, 3.5, &[0, 3]),
            f("mech_1", "ansyslmd", 15, 0.5, 2.5, &[0]),
            f("mech_2", "ansyslmd", 10, 0.35, 2.5, &[0]),
            f("dyna", "ansyslmd", 8, 0.4, 5.0, &[0]),
            f("cfx_pre", "ansyslmd", 12, 0.3, 1.5, &[0, 3]),
            f("ansys_spaceclaim", "ansyslmd", 10, 0.2, 1.0, &[0]),
        ],
    },
    ServerSpec {
        name: "1055@lic-mw01",
        hosts: &["lic-mw01"],
        vendors: &["MLM"],
        features: &[
            grow(f("MATLAB", "MLM", 100, 0.7, 3.0, &[1, 3, 0, 2]), 0.2),
            // Demand beyond supply: the demo's shortage.
            grow(f("SIMULINK", "MLM", 25, 1.15, 3.0, &[1, 3]), 0.25),
            f("Signal_Toolbox", "MLM", 20, 0.45, 2.0, &[1, 3]),
            f("Optimization_Toolbox", "MLM", 15, 0.4, 1.5, &[1, 3, 0]),
            f("Statistics_Toolbox", "MLM", 25, 0.35, 1.5, &[3, 1]),
            f("Distrib_Computing_Toolbox", "MLM", 10, 0.3, 2.0, &[3]),
            hpc(
                f("MATLAB_Distrib_Comp_Engine", "MLM", 256, 0.45, 3.0, &[3]),
                (8, 32),
                0.3,
            ),
            f("Image_Toolbox", "MLM", 12, 0.25, 1.5, &[3]),
            f("Control_Toolbox", "MLM", 10, 0.5, 2.0, &[1]),
            // Over-provisioned: barely used.
            f("Simulink_Control_Design", "MLM", 20, 0.05, 1.0, &[1]),
        ],
    },
    ServerSpec {
        name: "5280@lic-eda01,5280@lic-eda02,5280@lic-eda03",
        hosts: &["lic-eda01", "lic-eda02", "lic-eda03"],
        vendors: &["cdslmd", "snpslmd"],
        features: &[
            f("Virtuoso_Schematic_Editor_L", "cdslmd", 20, 0.6, 4.0, &[2]),
            f("Virtuoso_Layout_Suite_XL", "cdslmd", 12, 0.65, 5.0, &[2]),
            hpc(f("Spectre", "cdslmd", 30, 0.7, 2.0, &[2]), (1, 1), 0.3),
            hpc(
                f("Xcelium_Single_Core", "cdslmd", 40, 0.6, 1.5, &[2]),
                (1, 1),
                0.2,
            ),
            f("Innovus_Impl_System", "cdslmd", 6, 0.6, 6.0, &[2]),
            hpc(
                f("VCSRuntime_Net", "snpslmd", 50, 0.55, 1.0, &[2]),
                (1, 1),
                0.15,
            ),
            f("Design-Compiler", "snpslmd", 15, 0.5, 3.0, &[2]),
            f("PrimeTime", "snpslmd", 10, 0.45, 2.0, &[2]),
        ],
    },
    ServerSpec {
        name: "28000@lic-plm01",
        hosts: &["lic-plm01"],
        vendors: &["ugslmd", "cdlmd"],
        features: &[
            f("NX13100N", "ugslmd", 25, 0.7, 4.0, &[4, 0]),
            f("nx_freeform_1", "ugslmd", 8, 0.4, 2.0, &[4]),
            f("sc_solve_mech", "ugslmd", 10, 0.3, 3.0, &[4, 0]),
            f("nx_design_review", "ugslmd", 30, 0.2, 1.0, &[4, 0, 1]),
            f("ccmpsuite", "cdlmd", 15, 0.5, 4.0, &[0, 4]),
            hpc(f("ccmppower", "cdlmd", 40, 0.5, 5.0, &[0, 4]), (1, 4), 0.5),
        ],
    },
];

const FIRST: &[&str] = &[
    "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "r", "s", "t",
    "v", "w", "y", "z",
];
const LAST: &[&str] = &[
    "smith", "chen", "garcia", "mueller", "kumar", "nguyen", "rossi", "tanaka", "kowalski",
    "silva", "dubois", "larsen", "novak", "okafor", "haddad", "ivanova", "schmidt", "moreau",
    "yilmaz", "andersen", "park", "lopez", "fischer", "costa", "murphy", "weber", "sato",
];

/// A demo person: login name, department index and their workstation.
struct Person {
    login: String,
    department: usize,
    workstation: String,
    /// Relative activity: a few heavy users, many light ones.
    weight: f64,
}

fn people(rng: &mut Rng, count: usize) -> Vec<Person> {
    let mut seen = std::collections::HashSet::new();
    (0..count)
        .map(|i| {
            let base = format!(
                "{}{}",
                FIRST[rng.below(FIRST.len())],
                LAST[rng.below(LAST.len())]
            );
            let mut login = base.clone();
            let mut n = 2;
            while !seen.insert(login.clone()) {
                login = format!("{base}{n}");
                n += 1;
            }
            let department = i % DEPARTMENTS.len();
            Person {
                workstation: format!("ws-{}-{:03}", DEPARTMENTS[department], i),
                login,
                department,
                weight: 1.0 / (1.0 + rng.below(20) as f64),
            }
        })
        .collect()
}

/// Demand factor for the time of year: August and the turn of the year are quiet, the last
/// two weeks of each quarter busy.
pub(crate) fn season(t: NaiveDateTime) -> f64 {
    let (month, day) = (t.month(), t.day());
    if (month == 12 && day >= 22) || (month == 1 && day <= 2) {
        0.3
    } else if month == 8 {
        0.65
    } else if matches!(month, 3 | 6 | 9 | 12) && day >= 16 {
        1.15
    } else {
        1.0
    }
}

/// Demand factor for the hour of the week: office hours high, nights and weekends low.
pub(crate) fn activity(t: NaiveDateTime) -> f64 {
    let weekend = matches!(t.weekday(), Weekday::Sat | Weekday::Sun);
    let hour = t.hour();
    let day_shape = match hour {
        0..=5 => 0.06,
        6 | 7 => 0.25,
        8 => 0.7,
        9..=11 => 1.0,
        12 => 0.8,
        13..=16 => 1.0,
        17 => 0.6,
        18..=20 => 0.25,
        _ => 0.1,
    };
    if weekend {
        day_shape * 0.12
    } else if t.weekday() == Weekday::Fri {
        day_shape * 0.85
    } else {
        day_shape
    }
}

struct Active {
    user: usize,
    host: String,
    licenses: u32,
    start: NaiveDateTime,
    handle: u64,
    version: &'static str,
}

/// A request waiting in a vendor daemon's queue after a denial.
struct Waiting {
    user: usize,
    licenses: u32,
    handle: u64,
    /// The step after which the user gives up.
    until: i64,
}

/// Everything the demo makes for one license server.
pub struct DemoServer {
    pub name: String,
    /// Polls in time order.
    pub polls: Vec<Poll>,
    /// DENIED events: requests refused because every seat was taken.
    pub denials: DebugLog,
    /// The license file (`lmstat -i`): one feature expires three weeks after the last poll.
    pub entitlements: Vec<Entitlement>,
}

/// Expiry of the demo's licenses: one soon after the data ends, the MATLAB family permanent.
fn expiry_of(feature: &str, end: NaiveDateTime) -> (String, Option<NaiveDate>) {
    if feature == "Innovus_Impl_System" {
        let date = end.date() + TimeDelta::days(21);
        let text = date.format("%-d-%b-%Y").to_string().to_lowercase();
        (text, Some(date))
    } else if feature.starts_with("MATLAB") {
        ("permanent(no expiration date)".to_owned(), None)
    } else {
        (
            "31-dec-2027".to_owned(),
            NaiveDate::from_ymd_opt(2027, 12, 31),
        )
    }
}

/// Generate the demo data, one [`DemoServer`] per license server, lazily: a year of one
/// server's polls is in memory at a time.
pub fn generate(opts: &DemoOptions) -> impl Iterator<Item = DemoServer> + '_ {
    let mut rng = Rng(opts.seed);
    let people = people(&mut rng, 320);
    let step = TimeDelta::minutes(i64::from(opts.interval_minutes.max(1)));
    let total_steps = i64::from(opts.weeks) * 7 * 24 * 60 / i64::from(opts.interval_minutes.max(1));
    let start = opts.end - step * i32::try_from(total_steps).unwrap_or(i32::MAX);
    // One outage: the PLM server is unreachable for three hours in the middle of the period.
    let outage_from = start + step * i32::try_from(total_steps / 2).unwrap_or(0);
    let outage_to = outage_from + TimeDelta::hours(3);
    // The Synopsys daemon of the EDA triad is down for two hours at 70 % of the period.
    let daemon_down_from = start + step * i32::try_from(total_steps * 7 / 10).unwrap_or(0);
    let daemon_down_to = daemon_down_from + TimeDelta::hours(2);
    // The chip design department's tape-out: demand for its tools up 40 % in the last five weeks.
    let surge_from = opts.end - TimeDelta::weeks(5);

    SERVERS
        .iter()
        .enumerate()
        .map(move |(server_index, spec)| {
            let pools: Vec<Vec<usize>> = spec
                .features
                .iter()
                .map(|f| {
                    people
                        .iter()
                        .enumerate()
                        .filter(|(_, p)| f.departments.contains(&p.department))
                        .map(|(i, _)| i)
                        .collect()
                })
                .collect();
            let mut active: Vec<Vec<Active>> = spec.features.iter().map(|_| Vec::new()).collect();
            // Queued requests, with their own random stream so the rest of the demo is the
            // same with or without them.
            let mut waiting: Vec<Vec<Waiting>> = spec.features.iter().map(|_| Vec::new()).collect();
            let mut queue_rng = Rng(opts.seed ^ (0x5155_4555 + server_index as u64));
            let mut handle: u64 = 100 + server_index as u64 * 10_000;
            let mut denials = DebugLog::default();
            let mut polls = Vec::with_capacity(usize::try_from(total_steps).unwrap_or(0) + 1);
            for k in 0..=total_steps {
                let ts = start + step * i32::try_from(k).unwrap_or(0);
                let progress = k as f64 / total_steps.max(1) as f64;
                let down = server_index == 3 && ts >= outage_from && ts < outage_to;
                let daemon_down = (ts >= daemon_down_from && ts < daemon_down_to)
                    .then_some(DAEMON_OUTAGE)
                    .filter(|d| spec.vendors.contains(d));
                let surge = if ts >= surge_from { 1.4 } else { 1.0 };
                for (fi, fs) in spec.features.iter().enumerate() {
                    let steps_per_session = fs.mean_hours * 60.0 / f64::from(opts.interval_minutes);
                    let end_p = 1.0 / steps_per_session.max(1.0);
                    active[fi].retain(|_| rng.unit() >= end_p);
                    let mean_tokens = f64::from(fs.tokens.0 + fs.tokens.1) / 2.0;
                    let target = f64::from(fs.issued) * fs.peak_share / mean_tokens;
                    let chip = fs.departments == [2];
                    let lambda = target
                        * end_p
                        * activity(ts)
                        * season(ts)
                        * (1.0 + fs.growth * progress)
                        * if chip { surge } else { 1.0 };
                    if daemon_down == Some(fs.vendor) || down {
                        waiting[fi].clear();
                    }
                    if daemon_down == Some(fs.vendor) {
                        // A daemon that dies takes its checkouts with it, and serves nobody
                        // until it is back.
                        active[fi].clear();
                        continue;
                    }
                    // A queued request leaves when seats free up for it, or when its user
                    // gives up.
                    let free = fs.issued.saturating_sub(active[fi].iter().map(|a| a.licenses).sum());
                    waiting[fi].retain(|w| k <= w.until && w.licenses > free);
                    let pool = &pools[fi];
                    for _ in 0..rng.poisson(lambda) {
                        if pool.is_empty() {
                            break;
                        }
                        let in_use: u32 = active[fi].iter().map(|a| a.licenses).sum();
                        let span = fs.tokens.1 - fs.tokens.0 + 1;
                        let licenses = fs.tokens.0 + rng.below(span as usize) as u32;
                        // Weighted pick: heavy users come back more often.
                        let user = loop {
                            let candidate = pool[rng.below(pool.len())];
                            if rng.unit() < people[candidate].weight {
                                break candidate;
                            }
                        };
                        if in_use + licenses > fs.issued {
                            if !down {
                                denials.events.push(Event {
                                    ts: ts - TimeDelta::minutes(i64::try_from(rng.below(opts.interval_minutes as usize)).unwrap_or(0)),
                                    daemon: fs.vendor.to_owned(),
                                    kind: EventKind::Denied,
                                    feature: fs.name.to_owned(),
                                    user: people[user].login.clone(),
                                    host: people[user].workstation.clone(),
                                    licenses,
                                    reason: Some("Licensed number of users already reached.".to_owned()),
                                    code: Some("-4,342".to_owned()),
                                    line: 0,
                                });
                                if queue_rng.unit() < 0.5 && !waiting[fi].iter().any(|w| w.user == user) {
                                    handle += 1;
                                    waiting[fi].push(Waiting {
                                        user,
                                        licenses,
                                        handle,
                                        until: k + 1 + queue_rng.below(12) as i64,
                                    });
                                }
                            }
                            continue;
                        }
                        let host = if fs.hpc && rng.unit() < 0.7 {
                            format!("hpc-{}-{:03}", ["a", "b"][rng.below(2)], rng.below(120))
                        } else {
                            people[user].workstation.clone()
                        };
                        handle += 1;
                        let back = i64::try_from(rng.below(opts.interval_minutes as usize)).unwrap_or(0);
                        active[fi].push(Active {
                            user,
                            host,
                            licenses,
                            start: ts - TimeDelta::minutes(back),
                            handle,
                            version: ["2024.1", "2024.2", "2025.1"][rng.below(3)],
                        });
                    }
                }
                let report = if down {
                    LmstatReport {
                        polled_at: Some(ts),
                        license_servers: vec![spec.name.to_owned()],
                        query_error: Some(LmError {
                            message: "Cannot connect to license server system. (-15,570:111 \"Connection refused\")".to_owned(),
                            code: Some("-15,570:111".to_owned()),
                        }),
                        ..LmstatReport::default()
                    }
                } else {
                    let mut r = snapshot(spec, ts, opts.end, &active, &waiting, &people);
                    if let Some(vendor) = daemon_down {
                        mark_daemon_down(&mut r, vendor);
                    }
                    r
                };
                polls.push(Poll {
                    server: spec.name.to_owned(),
                    ts,
                    source: "demo".to_owned(),
                    zone: Zone::UTC,
                    report,
                });
            }
            DemoServer {
                name: spec.name.to_owned(),
                polls,
                denials,
                entitlements: spec
                    .features
                    .iter()
                    .map(|f| {
                        let (expires_text, expires) = expiry_of(f.name, opts.end);
                        Entitlement {
                            feature: f.name.to_owned(),
                            version: "2025.1".to_owned(),
                            count: f.issued,
                            vendor: f.vendor.to_owned(),
                            expires_text,
                            expires,
                        }
                    })
                    .collect(),
            }
        })
}

/// Vendor daemon of the demo's daemon outage.
const DAEMON_OUTAGE: &str = "snpslmd";

/// What lmstat prints while one vendor daemon is down: the daemon DOWN, its features with
/// an error and no users.
fn mark_daemon_down(report: &mut LmstatReport, vendor: &str) {
    let error = LmError {
        message:
            "Cannot connect to license server system. (-15,570:115 \"Operation now in progress\")"
                .to_owned(),
        code: Some("-15,570:115".to_owned()),
    };
    for v in report.vendors.iter_mut().filter(|v| v.name == vendor) {
        v.up = false;
        v.version = None;
        v.error = Some(error.clone());
    }
    let down: Vec<usize> = report
        .features
        .iter()
        .enumerate()
        .filter(|(_, f)| f.vendor.as_deref() == Some(vendor))
        .map(|(i, _)| i)
        .collect();
    for &i in &down {
        report.features[i].counting = Counting::Error(error.clone());
    }
    report
        .checkouts
        .retain(|c| !down.contains(&c.holder.feature));
}

/// The lmstat report a server would print at `ts` with these active checkouts.
fn snapshot(
    spec: &ServerSpec,
    ts: NaiveDateTime,
    end: NaiveDateTime,
    active: &[Vec<Active>],
    waiting: &[Vec<Waiting>],
    people: &[Person],
) -> LmstatReport {
    let mut report = LmstatReport {
        polled_at: Some(ts),
        license_servers: spec.name.split(',').map(str::to_owned).collect(),
        servers: spec
            .hosts
            .iter()
            .enumerate()
            .map(|(i, h)| ServerStatus {
                host: (*h).to_owned(),
                up: true,
                master: i == 0,
                version: Some("v11.19.6".to_owned()),
                error: None,
            })
            .collect(),
        vendors: spec
            .vendors
            .iter()
            .map(|v| VendorStatus {
                name: (*v).to_owned(),
                up: true,
                version: Some("v11.19.6".to_owned()),
                error: None,
            })
            .collect(),
        ..LmstatReport::default()
    };
    for (fi, fs) in spec.features.iter().enumerate() {
        let in_use = active[fi].iter().map(|a| a.licenses).sum();
        report.features.push(FeatureUsage {
            name: fs.name.to_owned(),
            counting: Counting::Counted {
                issued: fs.issued,
                in_use,
            },
            vendor: Some(fs.vendor.to_owned()),
            version: Some("2025.1".to_owned()),
            expiry: Some(expiry_of(fs.name, end).0),
        });
        let (server_host, server_port) = spec
            .name
            .split(',')
            .next()
            .and_then(|s| s.split_once('@'))
            .map(|(port, host)| (host.to_owned(), port.to_owned()))
            .unwrap_or_default();
        for a in &active[fi] {
            report.checkouts.push(Checkout {
                holder: Holder {
                    feature: fi,
                    user: people[a.user].login.clone(),
                    host: a.host.clone(),
                    display: a.host.clone(),
                    version: a.version.to_owned(),
                    server_host: server_host.clone(),
                    server_port: server_port.clone(),
                    handle: Some(a.handle),
                },
                start: StartStamp {
                    weekday: Some(a.start.weekday()),
                    month: a.start.month(),
                    day: a.start.day(),
                    hour: a.start.hour(),
                    minute: a.start.minute(),
                },
                started_at: Some(a.start),
                licenses: a.licenses,
                linger: None,
                pid: None,
            });
        }
        for w in &waiting[fi] {
            let host = people[w.user].workstation.clone();
            report.queued.push(Queued {
                holder: Holder {
                    feature: fi,
                    user: people[w.user].login.clone(),
                    display: host.clone(),
                    host,
                    version: "2025.1".to_owned(),
                    server_host: server_host.clone(),
                    server_port: server_port.clone(),
                    handle: Some(w.handle),
                },
                licenses: w.licenses,
            });
        }
    }
    report
}

const DEPARTMENT_NAMES: &[&str] = &[
    "Mechanical Engineering",
    "Controls",
    "Chip Design",
    "Research",
    "Product Lifecycle",
];

/// Seat prices per year for the demo's features (list-price orders of magnitude).
fn price_of(feature: &str) -> f64 {
    match feature {
        "ansys" | "acfd" => 24_000.0,
        "anshpc" => 450.0,
        "MATLAB_Distrib_Comp_Engine" => 300.0,
        "MATLAB" => 2_150.0,
        "SIMULINK" => 3_250.0,
        f if f.ends_with("_Toolbox") || f.starts_with("Simulink_") => 1_000.0,
        f if f.starts_with("Virtuoso") || f == "Innovus_Impl_System" => 42_000.0,
        "Design-Compiler" | "PrimeTime" => 38_000.0,
        "Spectre" | "Xcelium_Single_Core" | "VCSRuntime_Net" => 9_000.0,
        "NX13100N" => 14_000.0,
        "ccmpsuite" => 18_000.0,
        "ccmppower" => 1_200.0,
        _ => 5_000.0,
    }
}

/// A project phase from `(year, month, day)` bounds.
fn phase(name: &str, start: (i32, u32, u32), end: (i32, u32, u32)) -> Phase {
    let day = |(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    Phase {
        name: name.to_owned(),
        start: day(start),
        end: day(end),
    }
}

/// The demo's org file: departments, two teams each, the demo's people (all but every
/// sixteenth, who stay unassigned), clusters, prices, budgets, pools and projects.
pub fn org(seed: u64) -> Org {
    let people = people(&mut Rng(seed), 320);
    let team_of = |i: usize, p: &Person| {
        format!(
            "{}-{}",
            DEPARTMENTS[p.department],
            ["a", "b"][i / DEPARTMENTS.len() % 2]
        )
    };
    Org {
        currency: "USD".to_owned(),
        departments: DEPARTMENTS
            .iter()
            .zip(DEPARTMENT_NAMES)
            .enumerate()
            .map(|(i, (id, name))| Department {
                id: (*id).to_owned(),
                name: Some((*name).to_owned()),
                cost_center: Some(format!("CC-{}", 1100 + i * 100)),
                // Yearly, at pay-for-use rates; the tape-out surge runs chip design past its own.
                budget: Some([900_000.0, 250_000.0, 700_000.0, 300_000.0, 450_000.0][i]),
            })
            .collect(),
        teams: DEPARTMENTS
            .iter()
            .flat_map(|d| {
                ["a", "b"].map(|t| Team {
                    id: format!("{d}-{t}"),
                    name: Some(format!("{d} team {}", t.to_uppercase())),
                    department: (*d).to_owned(),
                    cost_center: None,
                })
            })
            .collect(),
        people: people
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 16 != 15)
            .map(|(i, p)| OrgPerson {
                user: p.login.clone(),
                name: None,
                team: Some(team_of(i, p)),
                department: None,
                cost_center: None,
            })
            .collect(),
        clusters: vec![
            Cluster {
                name: "hpc-a".to_owned(),
                hosts: vec!["hpc-a-*".to_owned()],
            },
            Cluster {
                name: "hpc-b".to_owned(),
                hosts: vec!["hpc-b-*".to_owned()],
            },
            Cluster {
                name: "workstations".to_owned(),
                hosts: vec!["ws-*".to_owned()],
            },
        ],
        prices: SERVERS
            .iter()
            .flat_map(|s| s.features.iter())
            .map(|f| Price {
                feature: f.name.to_owned(),
                vendor: Some(f.vendor.to_owned()),
                per_seat_year: price_of(f.name),
                currency: None,
            })
            .collect(),
        pools: vec![
            Pool {
                team: "ctrl-a".to_owned(),
                feature: "SIMULINK".to_owned(),
                reserved: 6,
                priority: 1,
            },
            Pool {
                team: "mech-a".to_owned(),
                feature: "ansys".to_owned(),
                reserved: 8,
                priority: 1,
            },
            Pool {
                team: "chip-a".to_owned(),
                feature: "Virtuoso_Layout_Suite_XL".to_owned(),
                reserved: 4,
                priority: 2,
            },
        ],
        alerts: demo_rules(),
        projects: vec![
            Project {
                id: "orion".to_owned(),
                name: Some("Orion drivetrain".to_owned()),
                budget: Some(180_000.0),
                start: NaiveDate::from_ymd_opt(2026, 1, 1),
                end: NaiveDate::from_ymd_opt(2026, 12, 31),
                members: people
                    .iter()
                    .filter(|p| p.department == 0)
                    .take(12)
                    .map(|p| p.login.clone())
                    .collect(),
                phases: vec![
                    phase("concept", (2026, 1, 1), (2026, 4, 30)),
                    phase("detailed design", (2026, 5, 1), (2026, 12, 31)),
                ],
            },
            Project {
                id: "atlas".to_owned(),
                name: Some("Atlas SoC tape-out".to_owned()),
                budget: Some(650_000.0),
                start: NaiveDate::from_ymd_opt(2026, 3, 1),
                end: NaiveDate::from_ymd_opt(2027, 2, 28),
                members: people
                    .iter()
                    .filter(|p| p.department == 2)
                    .take(20)
                    .map(|p| p.login.clone())
                    .collect(),
                phases: vec![
                    phase("design", (2026, 3, 1), (2026, 6, 30)),
                    phase("verification", (2026, 7, 1), (2026, 9, 30)),
                    phase("tape-out", (2026, 10, 1), (2027, 2, 28)),
                ],
            },
        ],
    }
}

/// Alert rules with a planted cause each: the SIMULINK shortage, its denials, the expiring
/// Innovus license, the snpslmd daemon outage, the server outage, idle capacity, and the
/// tape-out surge (unusual demand, and chip design's spend running past its budget).
fn demo_rules() -> Vec<Rule> {
    let rule = |name: &str, kind: Kind, severity: Severity| Rule {
        severity,
        ..Rule::new(name, kind)
    };
    vec![
        Rule {
            threshold: Some(100.0),
            window: Some("30m".to_owned()),
            ..rule("Shortage", Kind::Utilization, Severity::Critical)
        },
        Rule {
            threshold: Some(5.0),
            window: Some("1h".to_owned()),
            ..rule("Denials", Kind::Denials, Severity::Warning)
        },
        Rule {
            days: Some(30),
            ..rule("License expiring", Kind::Expiry, Severity::Warning)
        },
        Rule {
            window: Some("30m".to_owned()),
            ..rule("Vendor daemon down", Kind::DaemonDown, Severity::Critical)
        },
        Rule {
            window: Some("30m".to_owned()),
            ..rule("License server down", Kind::Down, Severity::Critical)
        },
        Rule {
            window: Some("2h".to_owned()),
            ..rule("Data stale", Kind::Stale, Severity::Warning)
        },
        Rule {
            threshold: Some(15.0),
            days: Some(14),
            ..rule("Idle capacity", Kind::Idle, Severity::Info)
        },
        Rule {
            threshold: Some(25.0),
            window: Some("7d".to_owned()),
            ..rule("Unusual demand", Kind::Unusual, Severity::Info)
        },
        Rule {
            threshold: Some(100.0),
            projected: true,
            ..rule("Budget overrun", Kind::Budget, Severity::Warning)
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> DemoOptions {
        DemoOptions {
            end: chrono::NaiveDate::from_ymd_opt(2026, 3, 6)
                .and_then(|d| d.and_hms_opt(12, 0, 0))
                .expect("valid"),
            weeks: 1,
            interval_minutes: 15,
            seed: 7,
        }
    }

    #[test]
    fn never_exceeds_issued_and_has_office_hours() {
        let servers: Vec<DemoServer> = generate(&opts()).collect();
        assert_eq!(servers.len(), SERVERS.len());
        let mut peak_hour_use = 0u64;
        let mut night_use = 0u64;
        let denials: usize = servers.iter().map(|s| s.denials.events.len()).sum();
        assert!(denials > 0, "the short feature is denied sometimes");
        assert!(servers
            .iter()
            .flat_map(|s| &s.entitlements)
            .any(|e| e.expires == Some(opts().end.date() + TimeDelta::days(21))));
        for server in &servers {
            for p in &server.polls {
                for f in &p.report.features {
                    let (Some(i), Some(u)) = (f.issued(), f.in_use()) else {
                        continue;
                    };
                    assert!(u <= i, "{} in use {u} > issued {i}", f.name);
                    match p.ts.hour() {
                        10 | 11 | 14 | 15 => peak_hour_use += u64::from(u),
                        1..=4 => night_use += u64::from(u),
                        _ => {}
                    }
                }
            }
        }
        assert!(
            peak_hour_use > 3 * night_use,
            "peak {peak_hour_use} night {night_use}"
        );
    }

    #[test]
    fn a_vendor_daemon_goes_down_once_and_seasons_shape_demand() {
        let servers: Vec<DemoServer> = generate(&opts()).collect();
        let eda = servers
            .iter()
            .find(|s| s.name.starts_with("5280@"))
            .expect("EDA triad");
        let down: Vec<&Poll> = eda
            .polls
            .iter()
            .filter(|p| p.report.vendors.iter().any(|v| !v.up))
            .collect();
        assert_eq!(down.len(), 8, "two hours of 15-minute polls");
        for p in down {
            assert!(p
                .report
                .features
                .iter()
                .filter(|f| f.vendor.as_deref() == Some(DAEMON_OUTAGE))
                .all(|f| matches!(f.counting, Counting::Error(_))));
        }
        let at = |m, d| {
            NaiveDate::from_ymd_opt(2026, m, d)
                .and_then(|x| x.and_hms_opt(10, 0, 0))
                .expect("valid")
        };
        assert!(season(at(8, 10)) < season(at(6, 3)));
        assert!(season(at(12, 28)) < season(at(8, 10)));
        assert!(season(at(9, 20)) > season(at(9, 3)));
    }

    #[test]
    fn demo_org_is_valid_and_leaves_some_people_unassigned() {
        let org = org(7);
        let text = toml::to_string(&org).expect("serializes");
        let back = Org::from_toml(&text).expect("the demo org passes validation");
        assert_eq!(back.people.len(), 300);
        assert_eq!(back.cluster_of("hpc-b-017"), Some("hpc-b"));
    }

    #[test]
    fn same_seed_same_data() {
        let a: Vec<DemoServer> = generate(&opts()).collect();
        let b: Vec<DemoServer> = generate(&opts()).collect();
        assert_eq!(a[1].polls[300].report, b[1].polls[300].report);
        assert_eq!(a[1].denials, b[1].denials);
    }
}
