//! Parser for FlexLM debug logs (lmgrd `-l` files): OUT, IN, DENIED, QUEUED, DEQUEUED,
//! UNSUPPORTED and EXPIRED events of the vendor daemons, dated from the log's own anchors.
//!
//! Event lines carry only a time of day (`14:42:26 (MLM) OUT: "MATLAB" user@host`). Dates
//! come from anchors: `TIMESTAMP 6/9/2022`, the startup line `... started on HOST (...)
//! (7/27/2018)` and `Server's System Date and Time: Fri Jul 27 2018 ...`. Between anchors
//! a time earlier than the previous line's means midnight passed. Lines before the first
//! anchor (a log that starts mid-day) are dated backwards from it.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike};
use serde::Serialize;

use crate::parse::lmstat::Issue;

/// What happened to a license.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EventKind {
    Out,
    In,
    Denied,
    Queued,
    Dequeued,
    Unsupported,
    Expired,
}

impl EventKind {
    /// The name stored in the `events.kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Out => "OUT",
            Self::In => "IN",
            Self::Denied => "DENIED",
            Self::Queued => "QUEUED",
            Self::Dequeued => "DEQUEUED",
            Self::Unsupported => "UNSUPPORTED",
            Self::Expired => "EXPIRED",
        }
    }

    fn from_tag(tag: &str) -> Option<Self> {
        Some(match tag {
            "OUT" => Self::Out,
            "IN" => Self::In,
            "DENIED" => Self::Denied,
            "QUEUED" => Self::Queued,
            "DEQUEUED" => Self::Dequeued,
            "UNSUPPORTED" => Self::Unsupported,
            "EXPIRED" => Self::Expired,
            _ => return None,
        })
    }
}

/// One license event of a vendor daemon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// Server-local time.
    pub ts: NaiveDateTime,
    pub daemon: String,
    pub kind: EventKind,
    pub feature: String,
    pub user: String,
    pub host: String,
    pub licenses: u32,
    /// Reason text in parentheses: `Licensed number of users already reached.`, `INACTIVE`.
    pub reason: Option<String>,
    /// FlexLM error code of a denial, e.g. `-4,342`.
    pub code: Option<String>,
    /// 1-based line number in the log.
    pub line: usize,
}

/// Everything read from one debug log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DebugLog {
    pub events: Vec<Event>,
    /// `PORT@HOST` from `lmgrd tcp-port N` and `started on HOST`, when the log has both.
    pub server: Option<String>,
    /// Event lines that could not be read, or could not be dated.
    pub issues: Vec<Issue>,
}

struct Pending {
    line: usize,
    time: NaiveTime,
    daemon: String,
    kind: EventKind,
    body: String,
}

/// Parse a debug log. Never panics.
pub fn parse(text: &str) -> DebugLog {
    let mut out = DebugLog::default();
    // Events read so far whose day is not yet known, with their day offset relative to
    // the first line (each backwards step in time adds one).
    let mut undated: Vec<(i64, Pending)> = Vec::new();
    let mut day_offset: i64 = 0;
    let mut prev_time: Option<NaiveTime> = None;
    // Once an anchor is seen: the date of the current day.
    let mut today: Option<NaiveDate> = None;
    let mut port_seen: Option<String> = None;
    let mut host_seen: Option<String> = None;

    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        let Some((time, daemon, message)) = split_line(line) else {
            continue;
        };
        if let Some(prev) = prev_time {
            // Midnight passed (allow a minute of jitter between daemons). Compared as
            // seconds of the day: `NaiveTime` arithmetic wraps around midnight.
            if time.num_seconds_from_midnight() + 60 < prev.num_seconds_from_midnight() {
                day_offset += 1;
                today = today.and_then(|d| d.succ_opt());
            }
        }
        prev_time = Some(time);

        if daemon == "lmgrd" {
            if let Some(port) = message.strip_prefix("lmgrd tcp-port ") {
                port_seen = Some(port.trim().to_owned());
            } else if let Some(rest) = message.split_once(" started on ").map(|(_, r)| r) {
                host_seen = rest.split_whitespace().next().map(str::to_owned);
            }
        }
        if let Some(date) = anchor_date(message) {
            if today.is_none() {
                // Date everything read so far, counting back from this anchor.
                for (offset, p) in undated.drain(..) {
                    let date = date - TimeDelta::days(day_offset - offset);
                    push_event(&mut out, date.and_time(p.time), p);
                }
            }
            today = Some(date);
            continue;
        }

        let Some((tag, body)) = message.split_once(": ") else {
            continue;
        };
        let Some(kind) = EventKind::from_tag(tag.trim()) else {
            continue;
        };
        let pending = Pending {
            line: line_no,
            time,
            daemon: daemon.to_owned(),
            kind,
            body: body.to_owned(),
        };
        match today {
            Some(date) => push_event(&mut out, date.and_time(time), pending),
            None => undated.push((day_offset, pending)),
        }
    }
    if let (Some(port), Some(host)) = (port_seen, host_seen) {
        out.server = Some(format!("{port}@{host}"));
    }
    for (_, p) in undated {
        out.issues.push(Issue {
            line: p.line,
            message: "event cannot be dated: the log has no TIMESTAMP or startup date line"
                .to_owned(),
        });
    }
    out
}

fn push_event(out: &mut DebugLog, ts: NaiveDateTime, p: Pending) {
    match parse_event_body(&p.body, p.kind) {
        Some((feature, user, host, licenses, reason, code)) => out.events.push(Event {
            ts,
            daemon: p.daemon,
            kind: p.kind,
            feature,
            user,
            host,
            licenses,
            reason,
            code,
            line: p.line,
        }),
        None => out.issues.push(Issue {
            line: p.line,
            message: format!("unreadable {} event: {}", p.kind.as_str(), p.body),
        }),
    }
}

/// `14:42:26 (MLM) message` → time, daemon, message.
fn split_line(line: &str) -> Option<(NaiveTime, &str, &str)> {
    let (time, rest) = line.split_once(' ')?;
    let mut parts = time.split(':');
    let h: u32 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let s: u32 = parts.next()?.parse().ok()?;
    let time = NaiveTime::from_hms_opt(h, m, s)?;
    let rest = rest.trim_start().strip_prefix('(')?;
    let close = rest.find(')')?;
    Some((time, &rest[..close], rest[close + 1..].trim()))
}

/// The date a line states, if it is an anchor line.
fn anchor_date(message: &str) -> Option<NaiveDate> {
    if let Some(d) = message.strip_prefix("TIMESTAMP ") {
        return mdy(d.trim());
    }
    if message.contains(" started on ") {
        let open = message.rfind('(')?;
        return mdy(message[open + 1..].trim_end_matches(')'));
    }
    if let Some(rest) = message.strip_prefix("Server's System Date and Time: ") {
        // `Fri Jul 27 2018 15:49:07 Eastern Daylight Time`
        let words: Vec<&str> = rest.split_whitespace().collect();
        let [_, month, day, year, ..] = words.as_slice() else {
            return None;
        };
        let month = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ]
        .iter()
        .position(|m| m == month)? as u32
            + 1;
        return NaiveDate::from_ymd_opt(year.parse().ok()?, month, day.parse().ok()?);
    }
    None
}

fn mdy(s: &str) -> Option<NaiveDate> {
    let mut parts = s.split('/');
    let m = parts.next()?.parse().ok()?;
    let d = parts.next()?.parse().ok()?;
    let y = parts.next()?.trim().parse().ok()?;
    NaiveDate::from_ymd_opt(y, m, d)
}

type EventFields = (String, String, String, u32, Option<String>, Option<String>);

/// `"FEATURE" [(hostid)] user@host [extra] [(N licenses)] [(reason (code))]`.
fn parse_event_body(body: &str, kind: EventKind) -> Option<EventFields> {
    let body = body.trim();
    if kind == EventKind::Expired {
        let feature = body.split_whitespace().next()?.trim_matches('"');
        return Some((
            feature.to_owned(),
            String::new(),
            String::new(),
            1,
            None,
            None,
        ));
    }
    let rest = body.strip_prefix('"')?;
    let close = rest.find('"')?;
    let feature = rest[..close].to_owned();
    let mut rest = rest[close + 1..].trim_start();
    // UNSUPPORTED carries a hostid in parentheses before user@host.
    if rest.starts_with('(') {
        let end = rest.find(')')?;
        rest = rest[end + 1..].trim_start();
    }
    let who_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let who = &rest[..who_end];
    let (user, host) = match who.rfind('@') {
        Some(at) => (&who[..at], &who[at + 1..]),
        None => (who, ""),
    };
    let mut licenses = 1;
    let mut reason = None;
    let mut code = None;
    // Parenthesised groups after user@host: `(20 licenses)`, `(INACTIVE)`, `(reason (-4,342))`.
    let mut tail = &rest[who_end..];
    while let Some(open) = tail.find('(') {
        let group = &tail[open + 1..];
        let close = matching_paren(group)?;
        let inner = group[..close].trim();
        if let Some(n) = inner
            .strip_suffix(" licenses")
            .or_else(|| inner.strip_suffix(" license"))
            .and_then(|n| n.trim().parse().ok())
        {
            licenses = n;
        } else {
            match inner.rfind('(') {
                Some(p) if inner.ends_with(')') => {
                    reason = Some(inner[..p].trim().to_owned());
                    code = Some(inner[p + 1..inner.len() - 1].to_owned());
                }
                _ => reason = Some(inner.to_owned()),
            }
        }
        tail = &group[close + 1..];
    }
    Some((
        feature,
        user.to_owned(),
        host.to_owned(),
        licenses,
        reason,
        code,
    ))
}

/// Index of the `)` closing a group whose `(` was just before `s`.
fn matching_paren(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return Some(i),
            ')' => depth -= 1,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32, h: u32, mi: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, day)
            .and_then(|x| x.and_hms_opt(h, mi, s))
            .expect("valid")
    }

    #[test]
    fn event_shapes() {
        let log = "\
10:00:00 (lmgrd) TIMESTAMP 6/9/2022
10:00:01 (MLM) OUT: \"MATLAB\" alu-escuela@LIBRE-09
10:00:02 (ansyslmd) OUT: \"hfsshpc\" manikafa@nyx7005.arc-ts.umich.edu  (20 licenses)
10:00:03 (MSC) OUT: \"MSCONE\" user_01@machine_01 [MSCONE:NASTRAN] (13 licenses)
10:00:04 (MLM) IN: \"64300ACD_F\" USER07@COMPUTER04  (INACTIVE)
10:00:05 (MLM) DENIED: \"64300ACD_F\" TonyMontana@ANOTHERONE  (Licensed number of users already reached. (-4,342))
10:00:06 (MLM) UNSUPPORTED: \"MATLAB\" (BF04C1B183DD400E147F) Javier@DESKTOP-PV69PK5  (No such feature exists. (-5,346))
10:00:07 (MLM) QUEUED: \"MATLAB\" bob@pc1
10:00:08 (ansyslmd) EXPIRED: acpreppost
";
        let r = parse(log);
        assert_eq!(r.events.len(), 8, "{:?}", r.issues);
        assert!(r.issues.is_empty(), "{:?}", r.issues);
        assert_eq!(r.events[7].feature, "acpreppost");
        let e = &r.events;
        assert_eq!(
            (e[0].user.as_str(), e[0].host.as_str(), e[0].licenses),
            ("alu-escuela", "LIBRE-09", 1)
        );
        assert_eq!(e[1].licenses, 20);
        assert_eq!(e[2].licenses, 13);
        assert_eq!(e[3].reason.as_deref(), Some("INACTIVE"));
        assert_eq!(e[4].kind, EventKind::Denied);
        assert_eq!(
            e[4].reason.as_deref(),
            Some("Licensed number of users already reached.")
        );
        assert_eq!(e[4].code.as_deref(), Some("-4,342"));
        assert_eq!(
            (e[5].user.as_str(), e[5].code.as_deref()),
            ("Javier", Some("-5,346"))
        );
        assert_eq!(e[6].kind, EventKind::Queued);
        assert_eq!(e[0].ts, d(2022, 6, 9, 10, 0, 1));
    }

    #[test]
    fn midnight_and_a_log_that_starts_mid_day() {
        let log = "\
23:58:00 (MLM) OUT: \"F\" a@h
 0:01:00 (MLM) IN: \"F\" a@h
 2:42:30 (lmgrd) TIMESTAMP 5/6/2022
 9:00:00 (MLM) OUT: \"F\" b@h
 1:00:00 (MLM) IN: \"F\" b@h
";
        let r = parse(log);
        assert!(r.issues.is_empty(), "{:?}", r.issues);
        let ts: Vec<_> = r.events.iter().map(|e| e.ts).collect();
        assert_eq!(
            ts,
            [
                d(2022, 5, 5, 23, 58, 0),
                d(2022, 5, 6, 0, 1, 0),
                d(2022, 5, 6, 9, 0, 0),
                d(2022, 5, 7, 1, 0, 0)
            ]
        );
    }

    #[test]
    fn a_second_before_midnight_is_not_the_next_day() {
        let r = parse("23:58:05 (lmgrd) TIMESTAMP 5/15/2022\n23:59:46 (v) IN: \"F\" u@h\n23:59:46 (v) IN: \"G\" u@h\n 0:11:59 (v) OUT: \"F\" u@h\n");
        let ts: Vec<_> = r.events.iter().map(|e| e.ts).collect();
        assert_eq!(
            ts,
            [
                d(2022, 5, 15, 23, 59, 46),
                d(2022, 5, 15, 23, 59, 46),
                d(2022, 5, 16, 0, 11, 59)
            ]
        );
    }

    #[test]
    fn undatable_events_are_reported_not_invented() {
        let r = parse("10:00:01 (MLM) OUT: \"MATLAB\" a@b\n");
        assert!(r.events.is_empty());
        assert_eq!(r.issues.len(), 1);
        assert_eq!(r.issues[0].line, 1);
    }

    #[test]
    fn startup_and_system_date_anchor() {
        let a = parse("15:49:07 (lmgrd) FlexNet Licensing (v11.14.1.3 build 212549 x64_n6) started on HOST (IBM PC) (7/27/2018)\n15:50:00 (v) OUT: \"F\" u@h\n");
        assert_eq!(a.events[0].ts, d(2018, 7, 27, 15, 50, 0));
        assert_eq!(a.server, None, "no tcp-port line");
        let c = parse("1:00:00 (lmgrd) FlexNet Licensing (v11) started on flexlm01 (IBM PC) (6/9/2022)\n1:00:00 (lmgrd) lmgrd tcp-port 27000\n");
        assert_eq!(c.server.as_deref(), Some("27000@flexlm01"));
        let b = parse("10:25:31 (lmgrd) Server's System Date and Time: Thu Jun 09 2022 10:25:31 Hora de verano romance\n10:26:00 (v) IN: \"F\" u@h\n");
        assert_eq!(b.events[0].ts, d(2022, 6, 9, 10, 26, 0));
    }
}
