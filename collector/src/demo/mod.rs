//! A realistic demo dataset: several license servers and vendors, a few dozen features and a
//! few hundred users polled over a year, with office-hour, weekday and seasonal patterns
//! (summer and year-end lulls, quarter-end crunches), growth, two shortages (SIMULINK all
//! year, ansys by year end), a tape-out surge on the chip design tools in the last weeks, an
//! idle feature, a reservation nobody uses, one server outage and one vendor daemon outage.
//! It produces the same typed reports the lmstat parser does, so it travels the same ingest
//! path as real data.
//! `catalog` holds the servers and features, `org` the people and the org file, this module
//! the polls themselves, `slurm` the jobs and Slurm's counts laid over the cluster checkouts;
//! `synth` synthesizes the large benchmark history.

mod catalog;
mod org;
pub mod slurm;
pub mod synth;

pub use org::org;

use catalog::{ServerSpec, SERVERS};
use org::{people, Person};

use chrono::{Datelike, NaiveDateTime, TimeDelta, Timelike, Weekday};

use chrono::NaiveDate;

pub(crate) use crate::rng::Rng;

use crate::parse::debuglog::{DebugLog, Event, EventKind};
use crate::parse::lmstat::{
    Checkout, Counting, FeatureUsage, Holder, LmError, LmstatReport, Queued, Reservation,
    ServerStatus, VendorStatus,
};
use crate::parse::lmstat_i::Entitlement;
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

/// Reservations (options file `RESERVE`) the demo plants: feature, seats, kind, target. The
/// group's people never check the feature out, so the seats sit reserved and unused all year.
const RESERVED: &[(&str, u32, &str, &str)] = &[("nx_design_review", 4, "GROUP", "plm-review")];

/// Seats of `feature` the demo keeps reserved.
fn reserved(feature: &str) -> u32 {
    RESERVED
        .iter()
        .filter(|r| r.0 == feature)
        .map(|r| r.1)
        .sum()
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
    pub polls: Vec<Poll<'static>>,
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
                        let in_use: u32 = active[fi].iter().map(|a| a.licenses).sum::<u32>()
                            + reserved(fs.name);
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
                                    daemon: fs.vendor.to_owned().into(),
                                    kind: EventKind::Denied,
                                    feature: fs.name.to_owned().into(),
                                    user: people[user].login.clone().into(),
                                    host: people[user].workstation.clone().into(),
                                    licenses,
                                    reason: Some("Licensed number of users already reached.".into()),
                                    code: Some("-4,342".into()),
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
) -> LmstatReport<'static> {
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
        let checked_out: u32 = active[fi].iter().map(|a| a.licenses).sum();
        // Seats reserved for a group that never uses them: lmstat lists a RESERVATION line
        // for them and counts them in use.
        let mut in_use = checked_out;
        for (feature, count, kind, target) in RESERVED {
            if *feature == fs.name {
                let count = (*count).min(fs.issued.saturating_sub(in_use));
                in_use += count;
                report.reservations.push(Reservation {
                    feature: fi,
                    count,
                    kind: (*kind).into(),
                    target: (*target).into(),
                });
            }
        }
        report.features.push(FeatureUsage {
            name: fs.name.to_owned().into(),
            counting: Counting::Counted {
                issued: fs.issued,
                in_use,
            },
            vendor: Some(fs.vendor.to_owned().into()),
            version: Some("2025.1".into()),
            expiry: Some(expiry_of(fs.name, end).0.into()),
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
                    user: people[a.user].login.clone().into(),
                    host: a.host.clone().into(),
                    display: a.host.clone().into(),
                    version: a.version.to_owned().into(),
                    server_host: server_host.clone().into(),
                    server_port: server_port.clone().into(),
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
                    user: people[w.user].login.clone().into(),
                    display: host.clone().into(),
                    host: host.into(),
                    version: "2025.1".into(),
                    server_host: server_host.clone().into(),
                    server_port: server_port.clone().into(),
                    handle: Some(w.handle),
                },
                licenses: w.licenses,
            });
        }
    }
    report
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
    fn same_seed_same_data() {
        let a: Vec<DemoServer> = generate(&opts()).collect();
        let b: Vec<DemoServer> = generate(&opts()).collect();
        assert_eq!(a[1].polls[300].report, b[1].polls[300].report);
        assert_eq!(a[1].denials, b[1].denials);
    }
}
