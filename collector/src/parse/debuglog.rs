//! Parser for FlexLM debug logs (lmgrd `-l` files): OUT, IN, DENIED, QUEUED, DEQUEUED,
//! UNSUPPORTED and EXPIRED events of the vendor daemons, dated from the log's own anchors.
//!
//! Event lines carry only a time of day (`14:42:26 (MLM) OUT: "MATLAB" user@host`). Dates
//! come from anchors: `TIMESTAMP 6/9/2022`, the startup line `... started on HOST (...)
//! (7/27/2018)` and `Server's System Date and Time: Fri Jul 27 2018 ...`. Between anchors
//! a time earlier than the previous line's means midnight passed. Lines before the first
//! anchor (a log that starts mid-day) are dated backwards from it.

use std::borrow::Cow;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike};
use serde::Serialize;

use crate::parse::lines::{digits, lines, rsplit_once, split_once, trim};
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

/// One license event of a vendor daemon. Its text fields borrow from the log when read
/// by [`LogParser`], and own their text in a [`DebugLog`] or when built by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event<'a> {
    /// Server-local time.
    pub ts: NaiveDateTime,
    pub daemon: Cow<'a, str>,
    pub kind: EventKind,
    pub feature: Cow<'a, str>,
    pub user: Cow<'a, str>,
    pub host: Cow<'a, str>,
    pub licenses: u32,
    /// Reason text in parentheses: `Licensed number of users already reached.`, `INACTIVE`.
    pub reason: Option<Cow<'a, str>>,
    /// FlexLM error code of a denial, e.g. `-4,342`.
    pub code: Option<Cow<'a, str>>,
    /// 1-based line number in the log.
    pub line: usize,
}

impl Event<'_> {
    /// The same event owning its text.
    pub fn into_owned(self) -> Event<'static> {
        let own = |c: Cow<'_, str>| Cow::Owned(c.into_owned());
        Event {
            ts: self.ts,
            daemon: own(self.daemon),
            kind: self.kind,
            feature: own(self.feature),
            user: own(self.user),
            host: own(self.host),
            licenses: self.licenses,
            reason: self.reason.map(own),
            code: self.code.map(own),
            line: self.line,
        }
    }
}

/// Everything read from one debug log, held in memory: for tests and small logs.
/// [`LogParser`] reads a log of any size in pieces.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DebugLog {
    pub events: Vec<Event<'static>>,
    /// `PORT@HOST` from `lmgrd tcp-port N` and `started on HOST`, when the log has both.
    pub server: Option<String>,
    /// Event lines that could not be read, or could not be dated.
    pub issues: Vec<Issue>,
}

/// How many events before the log's first date line are held to be dated by it. Logs
/// state the date at startup and every few hours, so real logs stay far below this; the
/// bound keeps a log without any date line from filling memory.
pub const MAX_UNDATED: usize = 100_000;

/// An event line read before any date: dated once an anchor arrives.
struct Pending {
    line: usize,
    /// Days after the first line's day (each backwards step in time adds one).
    day_offset: i64,
    time: NaiveTime,
    daemon: String,
    kind: EventKind,
    body: String,
}

/// A debug-log reader that takes the log in pieces of whole lines, so a log of any size
/// is read in bounded memory: dated events go to a callback as they are read.
#[derive(Default)]
pub struct LogParser {
    undated: Vec<Pending>,
    undated_dropped: usize,
    day_offset: i64,
    prev_time: Option<NaiveTime>,
    /// Once an anchor is seen: the date of the current day.
    today: Option<NaiveDate>,
    port_seen: Option<String>,
    host_seen: Option<String>,
    issues: Vec<Issue>,
}

impl LogParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Read `chunk`, whole lines whose first is line `first_line` (1-based) of the log,
    /// passing each dated event to `emit` in log order. Never panics.
    pub fn feed(&mut self, chunk: &str, first_line: usize, emit: &mut impl FnMut(Event<'_>)) {
        for (index, raw) in lines(chunk).enumerate() {
            self.line(first_line + index, raw, emit);
        }
    }

    fn line(&mut self, line_no: usize, raw: &str, emit: &mut impl FnMut(Event<'_>)) {
        let line = trim(raw);
        let Some((time, daemon, message)) = split_line(line) else {
            return;
        };
        if let Some(prev) = self.prev_time {
            // Midnight passed (allow a minute of jitter between daemons). Compared as
            // seconds of the day: `NaiveTime` arithmetic wraps around midnight.
            if time.num_seconds_from_midnight() + 60 < prev.num_seconds_from_midnight() {
                self.day_offset += 1;
                self.today = self.today.and_then(|d| d.succ_opt());
            }
        }
        self.prev_time = Some(time);

        // Event lines first: they are nearly every line of a busy log.
        if let Some((kind, body)) = event_tag(message) {
            match self.today {
                Some(date) => match event(date.and_time(time), daemon, kind, body, line_no) {
                    Some(e) => emit(e),
                    None => self.issues.push(unreadable(line_no, kind, body)),
                },
                None if self.undated.len() < MAX_UNDATED => self.undated.push(Pending {
                    line: line_no,
                    day_offset: self.day_offset,
                    time,
                    daemon: daemon.to_owned(),
                    kind,
                    body: body.to_owned(),
                }),
                None => self.undated_dropped += 1,
            }
            return;
        }
        if daemon == "lmgrd" {
            if let Some(port) = message.strip_prefix("lmgrd tcp-port ") {
                self.port_seen = Some(port.trim().to_owned());
            } else if let Some(rest) = message.split_once(" started on ").map(|(_, r)| r) {
                self.host_seen = rest.split_whitespace().next().map(str::to_owned);
            }
        }
        if let Some(date) = anchor_date(message) {
            if self.today.is_none() {
                // Date everything read so far, counting back from this anchor.
                for p in std::mem::take(&mut self.undated) {
                    let date = date - TimeDelta::days(self.day_offset - p.day_offset);
                    match event(date.and_time(p.time), &p.daemon, p.kind, &p.body, p.line) {
                        Some(e) => emit(e),
                        None => self.issues.push(unreadable(p.line, p.kind, &p.body)),
                    }
                }
                if self.undated_dropped > 0 {
                    self.issues.push(Issue {
                        line: line_no,
                        message: format!(
                            "{} event(s) before the log's first date line (this one) were not \
                             read: only the first {MAX_UNDATED} are held to be dated",
                            self.undated_dropped
                        ),
                    });
                    self.undated_dropped = 0;
                }
            }
            self.today = Some(date);
        }
    }

    /// The issues found since the last call, to report as the log is read.
    pub fn take_issues(&mut self) -> Vec<Issue> {
        std::mem::take(&mut self.issues)
    }

    /// End of the log: the server it names (`PORT@HOST`), and the issues still to report
    /// (events that could never be dated).
    pub fn finish(mut self) -> (Option<String>, Vec<Issue>) {
        for p in std::mem::take(&mut self.undated) {
            self.issues.push(Issue {
                line: p.line,
                message: "event cannot be dated: the log has no TIMESTAMP or startup date line"
                    .to_owned(),
            });
        }
        if self.undated_dropped > 0 {
            self.issues.push(Issue {
                line: 0,
                message: format!(
                    "{} more event(s) cannot be dated: the log has no date line",
                    self.undated_dropped
                ),
            });
        }
        (self.server(), self.issues)
    }

    /// The server the log names so far (`PORT@HOST`): from its last `lmgrd tcp-port` and
    /// `started on` lines.
    pub fn server(&self) -> Option<String> {
        match (&self.port_seen, &self.host_seen) {
            (Some(port), Some(host)) => Some(format!("{port}@{host}")),
            _ => None,
        }
    }
}

/// Parse a whole debug log held in memory. Never panics.
pub fn parse(text: &str) -> DebugLog {
    let mut parser = LogParser::new();
    let mut events = Vec::new();
    parser.feed(text, 1, &mut |e: Event<'_>| events.push(e.into_owned()));
    let (server, issues) = parser.finish();
    DebugLog {
        events,
        server,
        issues,
    }
}

/// `OUT: "F" u@h` → the event kind and what follows the tag.
fn event_tag(message: &str) -> Option<(EventKind, &str)> {
    let (tag, body) = split_once(message, b':')?;
    let body = body.strip_prefix(' ')?;
    Some((EventKind::from_tag(tag.trim_ascii())?, body))
}

fn unreadable(line: usize, kind: EventKind, body: &str) -> Issue {
    Issue {
        line,
        message: format!("unreadable {} event: {body}", kind.as_str()),
    }
}

fn event<'a>(
    ts: NaiveDateTime,
    daemon: &'a str,
    kind: EventKind,
    body: &'a str,
    line: usize,
) -> Option<Event<'a>> {
    let (feature, user, host, licenses, reason, code) = parse_event_body(body, kind)?;
    Some(Event {
        ts,
        daemon: Cow::Borrowed(daemon),
        kind,
        feature: Cow::Borrowed(feature),
        user: Cow::Borrowed(user),
        host: Cow::Borrowed(host),
        licenses,
        reason: reason.map(Cow::Borrowed),
        code: code.map(Cow::Borrowed),
        line,
    })
}

/// `14:42:26 (MLM) message` → time, daemon, message.
fn split_line(line: &str) -> Option<(NaiveTime, &str, &str)> {
    let (time, rest) = split_once(line, b' ')?;
    let (h, ms) = split_once(time, b':')?;
    let (m, s) = split_once(ms, b':')?;
    let time = NaiveTime::from_hms_opt(digits(h)?, digits(m)?, digits(s)?)?;
    let rest = rest.trim_ascii_start().strip_prefix('(')?;
    let close = memchr::memchr(b')', rest.as_bytes())?;
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

type EventFields<'a> = (
    &'a str,
    &'a str,
    &'a str,
    u32,
    Option<&'a str>,
    Option<&'a str>,
);

/// `"FEATURE" [(hostid)] user@host [extra] [(N licenses)] [(reason (code))]`.
fn parse_event_body(body: &str, kind: EventKind) -> Option<EventFields<'_>> {
    let body = body.trim();
    if kind == EventKind::Expired {
        let feature = body.split_whitespace().next()?.trim_matches('"');
        return Some((feature, "", "", 1, None, None));
    }
    let rest = body.strip_prefix('"')?;
    let close = memchr::memchr(b'"', rest.as_bytes())?;
    let feature = &rest[..close];
    let mut rest = rest[close + 1..].trim_ascii_start();
    // UNSUPPORTED carries a hostid in parentheses before user@host.
    if rest.starts_with('(') {
        let end = memchr::memchr(b')', rest.as_bytes())?;
        rest = rest[end + 1..].trim_ascii_start();
    }
    // The first whitespace (`char::is_whitespace`), by bytes while they are ASCII.
    let who_end = match rest
        .bytes()
        .position(|b| b.is_ascii_whitespace() || b == 0x0b || !b.is_ascii())
    {
        Some(i) if !rest.as_bytes()[i].is_ascii() => {
            i + rest[i..]
                .find(char::is_whitespace)
                .unwrap_or(rest.len() - i)
        }
        Some(i) => i,
        None => rest.len(),
    };
    let who = &rest[..who_end];
    let (user, host) = rsplit_once(who, b'@').unwrap_or((who, ""));
    let mut licenses = 1;
    let mut reason = None;
    let mut code = None;
    // Parenthesised groups after user@host: `(20 licenses)`, `(INACTIVE)`, `(reason (-4,342))`.
    let mut tail = &rest[who_end..];
    while let Some(open) = memchr::memchr(b'(', tail.as_bytes()) {
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
                    reason = Some(inner[..p].trim());
                    code = Some(&inner[p + 1..inner.len() - 1]);
                }
                _ => reason = Some(inner),
            }
        }
        tail = &group[close + 1..];
    }
    Some((feature, user, host, licenses, reason, code))
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
            (&*e[0].user, &*e[0].host, e[0].licenses),
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
            (&*e[5].user, e[5].code.as_deref()),
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
