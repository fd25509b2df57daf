//! Store what changes: the state of each feature, host and vendor daemon of a server, and
//! which of them differ from the previous poll. Pure: reports in, changed rows out.

use std::collections::BTreeMap;

use chrono::{NaiveDateTime, Timelike};

use crate::parse::lmstat::{Counting, LmstatReport};
use crate::store::sessions::single_vendor;

/// A feature at a server: its vendor (if known) and name.
pub type FeatureKey = (Option<String>, String);

/// What `feature_usage` records about a feature; a new row is stored when it changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureState {
    /// `counted`, `uncounted`, `error`, or `absent` (no longer listed by the server).
    pub counting: String,
    pub issued: Option<u32>,
    pub in_use: Option<u32>,
    pub version: Option<String>,
    pub expiry: Option<String>,
    pub error: Option<String>,
}

impl FeatureState {
    /// The state recorded when a feature stops being listed.
    pub fn absent() -> Self {
        Self {
            counting: "absent".to_owned(),
            issued: None,
            in_use: None,
            version: None,
            expiry: None,
            error: None,
        }
    }

    fn is_absent(&self) -> bool {
        self.counting == "absent"
    }
}

/// The features of one report by key. A feature listed twice under one vendor (rare: one
/// block per version) is one feature whose counts are the sums.
pub fn feature_states(report: &LmstatReport) -> BTreeMap<FeatureKey, FeatureState> {
    let fallback_vendor = single_vendor(report);
    let mut out: BTreeMap<FeatureKey, FeatureState> = BTreeMap::new();
    for f in &report.features {
        let (counting, error) = match &f.counting {
            Counting::Counted { .. } => ("counted", None),
            Counting::Uncounted => ("uncounted", None),
            Counting::Error(e) => ("error", Some(e.message.clone())),
        };
        let key = (
            f.vendor
                .as_deref()
                .map(str::to_owned)
                .or_else(|| fallback_vendor.clone()),
            f.name.to_string(),
        );
        let state = FeatureState {
            counting: counting.to_owned(),
            issued: f.issued(),
            in_use: f.in_use(),
            version: f.version.as_deref().map(str::to_owned),
            expiry: f.expiry.as_deref().map(str::to_owned),
            error,
        };
        match out.get_mut(&key) {
            Some(existing) => {
                existing.issued = add(existing.issued, state.issued);
                existing.in_use = add(existing.in_use, state.in_use);
            }
            None => {
                out.insert(key, state);
            }
        }
    }
    out
}

fn add(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.saturating_add(b)),
        (a, b) => a.or(b),
    }
}

/// Advance `previous` to `current` and return the entries that changed. An entry missing
/// from `current` is recorded once as `gone(previous state)` when that returns a state.
pub fn diff<K: Ord + Clone, V: PartialEq + Clone>(
    previous: &mut BTreeMap<K, V>,
    current: BTreeMap<K, V>,
    gone: impl Fn(&V) -> Option<V>,
) -> Vec<(K, V)> {
    let mut changed = Vec::new();
    for (key, old) in previous.iter() {
        if !current.contains_key(key) {
            if let Some(state) = gone(old) {
                changed.push((key.clone(), state));
            }
        }
    }
    for (key, state) in &current {
        if previous.get(key) != Some(state) {
            changed.push((key.clone(), state.clone()));
        }
    }
    for (key, state) in &changed {
        previous.insert(key.clone(), state.clone());
    }
    changed
}

/// `gone` for features: record `absent` once.
pub fn feature_gone(old: &FeatureState) -> Option<FeatureState> {
    (!old.is_absent()).then(FeatureState::absent)
}

/// State of a license server host or vendor daemon: up, master (hosts only), version, error
/// message and code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonState {
    pub up: bool,
    pub master: bool,
    pub version: Option<String>,
    pub error: Option<String>,
    pub error_code: Option<String>,
}

/// Message stored for a host or vendor daemon that a server stopped listing.
pub const NOT_LISTED: &str = "no longer listed by the server";

/// `gone` for hosts and daemons: down, with [`NOT_LISTED`], once.
pub fn daemon_gone(old: &DaemonState) -> Option<DaemonState> {
    (old.error.as_deref() != Some(NOT_LISTED)).then(|| DaemonState {
        up: false,
        master: false,
        version: old.version.clone(),
        error: Some(NOT_LISTED.to_owned()),
        error_code: None,
    })
}

/// Hosts of one report by name.
pub fn host_states(report: &LmstatReport) -> BTreeMap<String, DaemonState> {
    report
        .servers
        .iter()
        .map(|s| {
            (
                s.host.clone(),
                DaemonState {
                    up: s.up,
                    master: s.master,
                    version: s.version.clone(),
                    error: s.error.as_ref().map(|e| e.message.clone()),
                    error_code: s.error.as_ref().and_then(|e| e.code.clone()),
                },
            )
        })
        .collect()
}

/// Vendor daemons of one report by name.
pub fn vendor_states(report: &LmstatReport) -> BTreeMap<String, DaemonState> {
    report
        .vendors
        .iter()
        .map(|v| {
            (
                v.name.clone(),
                DaemonState {
                    up: v.up,
                    master: false,
                    version: v.version.clone(),
                    error: v.error.as_ref().map(|e| e.message.clone()),
                    error_code: v.error.as_ref().and_then(|e| e.code.clone()),
                },
            )
        })
        .collect()
}

/// One hour of one feature at one server, accumulated poll by poll (`usage_hourly`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HourAgg {
    pub issued: u32,
    pub peak_in_use: u32,
    pub sum_in_use: u64,
    pub polls: u32,
    /// Polls that found every issued license in use.
    pub polls_full: u32,
    /// In use less the reserved seats nobody had checked out (lmstat counts those in use).
    pub peak_checked_out: u32,
    pub sum_checked_out: u64,
}

impl HourAgg {
    /// Add one poll's counts: `reserved` of the `in_use` seats were reserved and unused.
    pub fn add(&mut self, issued: u32, in_use: u32, reserved: u32) {
        let checked_out = in_use.saturating_sub(reserved);
        self.issued = self.issued.max(issued);
        self.peak_in_use = self.peak_in_use.max(in_use);
        self.sum_in_use += u64::from(in_use);
        self.polls += 1;
        self.polls_full += u32::from(issued > 0 && in_use >= issued);
        self.peak_checked_out = self.peak_checked_out.max(checked_out);
        self.sum_checked_out += u64::from(checked_out);
    }

    /// Combine two partial aggregates of the same hour.
    pub fn merge(&mut self, other: &HourAgg) {
        self.issued = self.issued.max(other.issued);
        self.peak_in_use = self.peak_in_use.max(other.peak_in_use);
        self.sum_in_use += other.sum_in_use;
        self.polls += other.polls;
        self.polls_full += other.polls_full;
        self.peak_checked_out = self.peak_checked_out.max(other.peak_checked_out);
        self.sum_checked_out += other.sum_checked_out;
    }
}

/// Start of the hour holding `ts`.
pub fn hour_of(ts: NaiveDateTime) -> NaiveDateTime {
    ts.with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(ts)
}

/// Add the counted features of one poll to the hourly aggregates; `reserved` holds the
/// poll's reserved, unused seats by feature name.
pub fn add_to_hours(
    hours: &mut BTreeMap<(NaiveDateTime, FeatureKey), HourAgg>,
    ts: NaiveDateTime,
    states: &BTreeMap<FeatureKey, FeatureState>,
    reserved: &BTreeMap<&str, u32>,
) {
    let hour = hour_of(ts);
    for (key, state) in states {
        if let (Some(issued), Some(in_use)) = (state.issued, state.in_use) {
            let held = reserved.get(key.1.as_str()).copied().unwrap_or(0);
            hours
                .entry((hour, key.clone()))
                .or_default()
                .add(issued, in_use, held);
        }
    }
}

/// A run of consecutive polls of one server with the same outcome (`poll_runs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollRun {
    pub poll_id: i64,
    pub ts: NaiveDateTime,
    pub until: NaiveDateTime,
    pub count: u32,
    pub source: String,
    pub ok: bool,
    pub error: Option<String>,
    pub error_code: Option<String>,
}

/// One poll's outcome, as [`extend_runs`] sees it.
#[derive(Debug, Clone, Copy)]
pub struct PollOutcome<'a> {
    pub poll_id: i64,
    pub ts: NaiveDateTime,
    pub source: &'a str,
    pub ok: bool,
    pub error: Option<&'a str>,
    pub error_code: Option<&'a str>,
}

/// Largest gap that still continues the last run: three times the average step (at least
/// three minutes) of the latest run with two polls or more, or two hours when there is none.
/// A longer silence (the collector stopped) starts a new run, so gaps stay visible.
pub fn run_gap(runs: &[PollRun]) -> chrono::TimeDelta {
    let Some(run) = runs.iter().rev().find(|r| r.count >= 2) else {
        return chrono::TimeDelta::hours(2);
    };
    let step = (run.until - run.ts) / i32::try_from(run.count - 1).unwrap_or(i32::MAX);
    (step * 3).max(chrono::TimeDelta::minutes(3))
}

/// Add a poll newer than every poll in `runs` (ordered by time): it extends the last run
/// when the outcome is the same and the gap short enough, else starts a new run.
pub fn extend_runs(runs: &mut Vec<PollRun>, poll: PollOutcome<'_>) {
    let gap = run_gap(runs);
    if let Some(last) = runs.last_mut() {
        if last.ok == poll.ok
            && last.error.as_deref() == poll.error
            && poll.ts > last.until
            && poll.ts - last.until <= gap
        {
            last.until = poll.ts;
            last.count += 1;
            return;
        }
    }
    runs.push(PollRun {
        poll_id: poll.poll_id,
        ts: poll.ts,
        until: poll.ts,
        count: 1,
        source: poll.source.to_owned(),
        ok: poll.ok,
        error: poll.error.map(str::to_owned),
        error_code: poll.error_code.map(str::to_owned),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::lmstat::parse;

    fn report(in_use: u32, extra: bool) -> LmstatReport<'static> {
        let mut text = format!(
            "Flexible License Manager status on Mon 3/11/2024 10:00\n\
             License server status: 27000@h\n    h: license server UP (MASTER) v11.19\n\
             Vendor daemon status (on h):\n  v: UP v11\nFeature usage info:\n\
             Users of F:  (Total of 9 licenses issued;  Total of {in_use} licenses in use)\n"
        );
        if extra {
            text.push_str(
                "Users of G:  (Total of 2 licenses issued;  Total of 0 licenses in use)\n",
            );
        }
        parse(&text).into_owned()
    }

    #[test]
    fn only_changes_are_returned_and_vanished_features_become_absent() {
        let mut prev = BTreeMap::new();
        let first = diff(&mut prev, feature_states(&report(3, true)), feature_gone);
        assert_eq!(first.len(), 2);
        assert!(diff(&mut prev, feature_states(&report(3, true)), feature_gone).is_empty());
        let changed = diff(&mut prev, feature_states(&report(4, false)), feature_gone);
        assert_eq!(changed.len(), 2);
        let g = changed
            .iter()
            .find(|(k, _)| k.1 == "G")
            .expect("G recorded");
        assert_eq!(g.1, FeatureState::absent());
        let f = changed.iter().find(|(k, _)| k.1 == "F").expect("F changed");
        assert_eq!((f.1.issued, f.1.in_use), (Some(9), Some(4)));
        assert_eq!(f.0 .0.as_deref(), Some("v"), "single vendor fills the key");
        // Absent is recorded once, and a return is a change again.
        assert!(diff(&mut prev, feature_states(&report(4, false)), feature_gone).is_empty());
        assert_eq!(
            diff(&mut prev, feature_states(&report(4, true)), feature_gone).len(),
            1
        );
    }

    #[test]
    fn daemons_that_vanish_are_down_once() {
        let mut prev = BTreeMap::new();
        assert_eq!(
            diff(&mut prev, vendor_states(&report(1, false)), daemon_gone).len(),
            1
        );
        let gone = diff(&mut prev, BTreeMap::new(), daemon_gone);
        assert_eq!(gone.len(), 1);
        assert!(!gone[0].1.up);
        assert!(diff(&mut prev, BTreeMap::new(), daemon_gone).is_empty());
        assert_eq!(
            diff(&mut prev, host_states(&report(1, false)), daemon_gone).len(),
            1
        );
    }

    #[test]
    fn runs_join_regular_polls_and_break_on_outcome_or_silence() {
        let t = |m: i64| {
            chrono::NaiveDate::from_ymd_opt(2024, 3, 11)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .expect("valid")
                + chrono::TimeDelta::minutes(m)
        };
        let poll = |m: i64, ok: bool| PollOutcome {
            poll_id: m,
            ts: t(m),
            source: "s",
            ok,
            error: (!ok).then_some("down"),
            error_code: None,
        };
        let mut runs = Vec::new();
        for m in [0, 5, 10, 15] {
            extend_runs(&mut runs, poll(m, true));
        }
        extend_runs(&mut runs, poll(20, false));
        extend_runs(&mut runs, poll(25, false));
        extend_runs(&mut runs, poll(30, true));
        // 40 minutes of silence (> 3 × 5 min): a new run.
        extend_runs(&mut runs, poll(70, true));
        extend_runs(&mut runs, poll(75, true));
        let shape: Vec<(i64, u32, bool)> = runs
            .iter()
            .map(|r| ((r.ts - t(0)).num_minutes(), r.count, r.ok))
            .collect();
        assert_eq!(
            shape,
            vec![(0, 4, true), (20, 2, false), (30, 1, true), (70, 2, true)]
        );
        assert_eq!(runs[0].until, t(15));
    }

    #[test]
    fn hourly_aggregates_count_full_polls_and_reserved_seats_apart() {
        let mut hours = BTreeMap::new();
        let t = |m: u32| {
            chrono::NaiveDate::from_ymd_opt(2024, 3, 11)
                .and_then(|d| d.and_hms_opt(10, m, 0))
                .expect("valid")
        };
        let reserved = BTreeMap::from([("F", 2)]);
        add_to_hours(
            &mut hours,
            t(0),
            &feature_states(&report(9, true)),
            &reserved,
        );
        add_to_hours(
            &mut hours,
            t(30),
            &feature_states(&report(3, true)),
            &BTreeMap::new(),
        );
        let f = hours
            .iter()
            .find(|((_, k), _)| k.1 == "F")
            .map(|(_, a)| *a)
            .expect("F hour");
        assert_eq!(
            f,
            HourAgg {
                issued: 9,
                peak_in_use: 9,
                sum_in_use: 12,
                polls: 2,
                polls_full: 1,
                peak_checked_out: 7,
                sum_checked_out: 10,
            }
        );
        assert_eq!(hour_of(t(30)), t(0));
    }
}
