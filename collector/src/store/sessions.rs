//! Checkout sessions from consecutive polls: a checkout line seen in one poll and gone in a
//! later one is a session that ended between the two.

use std::collections::{HashMap, VecDeque};

use chrono::NaiveDateTime;

use crate::parse::lmstat::LmstatReport;

/// One checkout session: a license held by a user on a host from a start to an end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub server: String,
    pub vendor: Option<String>,
    pub feature: String,
    pub user_name: String,
    pub host: String,
    pub display: String,
    pub version: String,
    pub server_host: String,
    pub handle: Option<u64>,
    pub licenses: u32,
    /// Start as lmstat reports it (UTC); `None` when it could not be dated.
    pub started_at: Option<NaiveDateTime>,
    pub first_seen: NaiveDateTime,
    pub last_seen: NaiveDateTime,
    /// Time of the first poll that no longer showed it; `None` while open.
    pub ended_at: Option<NaiveDateTime>,
}

/// Identity of a checkout: what lmstat prints about it. Identical lines in one poll (token
/// checkouts often share user, host, handle and start) are told apart by their occurrence
/// number, so the k-th copy in one poll continues the k-th copy of the previous poll.
type BaseKey = (
    String,
    String,
    String,
    String,
    Option<u64>,
    Option<NaiveDateTime>,
    u32,
);
type Key = (BaseKey, u32);

fn base_key(s: &Session) -> BaseKey {
    (
        s.feature.clone(),
        s.user_name.clone(),
        s.host.clone(),
        s.display.clone(),
        s.handle,
        s.started_at,
        s.licenses,
    )
}

/// Keys for `sessions` in order, numbering identical ones.
fn keyed(sessions: impl IntoIterator<Item = Session>) -> HashMap<Key, Session> {
    let mut seen: HashMap<BaseKey, u32> = HashMap::new();
    sessions
        .into_iter()
        .map(|s| {
            let base = base_key(&s);
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            ((base, *n), s)
        })
        .collect()
}

/// Open sessions of one server, advanced poll by poll.
#[derive(Debug, Default)]
pub struct SessionTracker {
    open: HashMap<Key, Session>,
}

impl SessionTracker {
    /// Resume from the sessions a store holds open.
    pub fn from_open(sessions: impl IntoIterator<Item = Session>) -> Self {
        Self {
            open: keyed(sessions),
        }
    }

    /// Apply one successful poll taken at `ts` (UTC); `to_utc` converts the report's
    /// server-local start times. Returns the sessions that ended.
    pub fn observe(
        &mut self,
        server: &str,
        ts: NaiveDateTime,
        report: &LmstatReport,
        to_utc: impl Fn(NaiveDateTime) -> NaiveDateTime,
    ) -> Vec<Session> {
        let current = report.checkouts.iter().filter_map(|c| {
            let feature = report.features.get(c.holder.feature)?;
            Some(Session {
                server: server.to_owned(),
                vendor: feature
                    .vendor
                    .as_deref()
                    .map(str::to_owned)
                    .or_else(|| single_vendor(report)),
                feature: feature.name.to_string(),
                user_name: c.holder.user.to_string(),
                host: c.holder.host.to_string(),
                display: c.holder.display.to_string(),
                version: c.holder.version.to_string(),
                server_host: c.holder.server_host.to_string(),
                handle: c.holder.handle,
                licenses: c.licenses,
                started_at: c.started_at.map(&to_utc),
                first_seen: ts,
                last_seen: ts,
                ended_at: None,
            })
        });
        let mut still_open = keyed(current);
        for (key, session) in still_open.iter_mut() {
            if let Some(previous) = self.open.remove(key) {
                *session = Session {
                    last_seen: ts,
                    ..previous
                };
            }
        }
        let ended = std::mem::replace(&mut self.open, still_open);
        ended
            .into_values()
            .map(|mut s| {
                s.ended_at = Some(ts);
                s
            })
            .collect()
    }

    /// The sessions still open, consuming the tracker.
    pub fn into_open(self) -> Vec<Session> {
        self.open.into_values().collect()
    }

    pub fn open_count(&self) -> usize {
        self.open.len()
    }
}

/// The vendor of a report with exactly one vendor daemon.
pub fn single_vendor(report: &LmstatReport) -> Option<String> {
    match report.vendors.as_slice() {
        [only] => Some(only.name.clone()),
        _ => None,
    }
}

/// An OUT or IN line of a debug log, time already in UTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogCheckout {
    pub ts: NaiveDateTime,
    pub daemon: String,
    /// `true` for OUT, `false` for IN.
    pub out: bool,
    pub feature: String,
    pub user: String,
    pub host: String,
    pub licenses: u32,
}

/// Sessions of one server from its debug-log OUT and IN lines: each IN closes the oldest
/// open OUT of the same daemon, feature, user, host and license count. An IN with no OUT
/// before it (the log began while the license was out) is a session of unknown start; OUTs
/// never closed stay open, last seen at the log's last event. Holds the whole log: the
/// reference the store's pairing (as read, and in SQL) is tested against.
pub fn sessions_from_log(server: &str, mut events: Vec<LogCheckout>) -> Vec<Session> {
    events.sort_by_key(|e| e.ts);
    let Some(last) = events.last().map(|e| e.ts) else {
        return Vec::new();
    };
    type LogKey = (String, String, String, String, u32);
    let mut open: HashMap<LogKey, VecDeque<NaiveDateTime>> = HashMap::new();
    let mut out = Vec::new();
    let session = |e: &LogCheckout, started_at: Option<NaiveDateTime>| Session {
        server: server.to_owned(),
        vendor: Some(e.daemon.clone()),
        feature: e.feature.clone(),
        user_name: e.user.clone(),
        host: e.host.clone(),
        display: e.host.clone(),
        version: String::new(),
        server_host: String::new(),
        handle: None,
        licenses: e.licenses,
        started_at,
        first_seen: started_at.unwrap_or(e.ts),
        last_seen: e.ts,
        ended_at: None,
    };
    for e in &events {
        let key = (
            e.daemon.clone(),
            e.feature.clone(),
            e.user.clone(),
            e.host.clone(),
            e.licenses,
        );
        if e.out {
            open.entry(key).or_default().push_back(e.ts);
        } else {
            let start = open.get_mut(&key).and_then(VecDeque::pop_front);
            out.push(Session {
                ended_at: Some(e.ts),
                ..session(e, start)
            });
        }
    }
    for e in &events {
        if !e.out {
            continue;
        }
        let key = (
            e.daemon.clone(),
            e.feature.clone(),
            e.user.clone(),
            e.host.clone(),
            e.licenses,
        );
        if let Some(queue) = open.get_mut(&key) {
            if queue.front() == Some(&e.ts) {
                queue.pop_front();
                out.push(Session {
                    last_seen: last,
                    ..session(e, Some(e.ts))
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::lmstat::parse;

    const HEAD: &str = "Flexible License Manager status on Mon 3/11/2024 10:00\nVendor daemon status (on s):\n  v: UP v11\nFeature usage info:\n";

    fn poll(minute: u32, lines: &[&str]) -> (NaiveDateTime, LmstatReport<'static>) {
        let text = format!(
            "{HEAD}Users of F:  (Total of 9 licenses issued;  Total of {} licenses in use)\n{}\n",
            lines.len(),
            lines.join("\n")
        );
        let report = parse(&text).into_owned();
        let ts = chrono::NaiveDate::from_ymd_opt(2024, 3, 11)
            .and_then(|d| d.and_hms_opt(10, minute, 0))
            .expect("valid");
        (ts, report)
    }

    const A: &str = "    alice h1 d (v1) (s/1 10), start Mon 3/11 9:00";
    const B: &str = "    bob h2 d (v1) (s/1 11), start Mon 3/11 9:30, 2 licenses";
    const B2: &str = "    bob h2 d (v1) (s/1 11), start Mon 3/11 9:30, 4 licenses";

    #[test]
    fn sessions_open_continue_and_end() {
        let mut t = SessionTracker::default();
        let (ts, r) = poll(0, &[A, B]);
        assert!(t.observe("srv", ts, &r, |x| x).is_empty());
        let (ts1, r) = poll(5, &[A]);
        let ended = t.observe("srv", ts1, &r, |x| x);
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].user_name, "bob");
        assert_eq!(ended[0].licenses, 2);
        assert_eq!(ended[0].ended_at, Some(ts1));
        assert_eq!(ended[0].vendor.as_deref(), Some("v"));
        let open = t.into_open();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].first_seen, ts);
        assert_eq!(open[0].last_seen, ts1);
    }

    #[test]
    fn identical_token_lines_are_separate_sessions() {
        let mut t = SessionTracker::default();
        let (ts, r) = poll(0, &[B, B, B2]);
        t.observe("srv", ts, &r, |x| x);
        assert_eq!(t.open_count(), 3);
        // One of the two identical 2-license checkouts goes back.
        let (ts1, r) = poll(5, &[B, B2]);
        let ended = t.observe("srv", ts1, &r, |x| x);
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].licenses, 2);
        let mut resumed = SessionTracker::from_open(t.into_open());
        let (ts2, r) = poll(10, &[B, B2]);
        assert!(resumed.observe("srv", ts2, &r, |x| x).is_empty());
        assert_eq!(resumed.open_count(), 2);
    }

    fn log(minute: u32, out: bool, user: &str, licenses: u32) -> LogCheckout {
        LogCheckout {
            ts: chrono::NaiveDate::from_ymd_opt(2024, 3, 11)
                .and_then(|d| d.and_hms_opt(9, minute, 0))
                .expect("valid"),
            daemon: "v".to_owned(),
            out,
            feature: "F".to_owned(),
            user: user.to_owned(),
            host: "h".to_owned(),
            licenses,
        }
    }

    #[test]
    fn log_sessions_pair_out_with_in_first_in_first_out() {
        let events = vec![
            log(50, false, "carol", 1), // out before the log began
            log(1, true, "alice", 1),
            log(2, true, "alice", 1),
            log(3, true, "bob", 2),
            log(10, false, "alice", 1),
            log(20, false, "bob", 2),
            log(30, false, "alice", 1),
            log(40, true, "dave", 1), // still out at the end
        ];
        let mut s = sessions_from_log("srv", events);
        s.sort_by_key(|s| (s.user_name.clone(), s.started_at));
        let summary: Vec<_> = s
            .iter()
            .map(|s| {
                (
                    s.user_name.as_str(),
                    s.started_at.map(|t| t.format("%M").to_string()),
                    s.ended_at.map(|t| t.format("%M").to_string()),
                    s.licenses,
                )
            })
            .collect();
        let m = |x: &str| Some(x.to_owned());
        assert_eq!(
            summary,
            vec![
                ("alice", m("01"), m("10"), 1),
                ("alice", m("02"), m("30"), 1),
                ("bob", m("03"), m("20"), 2),
                ("carol", None, m("50"), 1),
                ("dave", m("40"), None, 1),
            ]
        );
        let dave = s.iter().find(|s| s.user_name == "dave").expect("dave");
        assert_eq!(dave.last_seen.format("%M").to_string(), "50");
    }

    #[test]
    fn resumes_from_stored_open_sessions() {
        let mut t = SessionTracker::default();
        let (ts, r) = poll(0, &[A]);
        t.observe("srv", ts, &r, |x| x);
        let mut resumed = SessionTracker::from_open(t.into_open());
        let (ts1, r) = poll(5, &[A]);
        assert!(resumed.observe("srv", ts1, &r, |x| x).is_empty());
        assert_eq!(resumed.open_count(), 1);
    }
}
