//! Parser for `lmutil lmstat -a` output: text in, typed records out.
//!
//! The parser is line oriented and dispatches on a line's first words before looking any
//! further, so it stays fast on large outputs. It never fails: lines it cannot understand
//! become [`Issue`]s (with their line number) and every good record is kept.

use std::borrow::Cow;

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use std::sync::LazyLock;

use memchr::memmem;

use crate::parse::lines::{digits, lines, rsplit_once, split_once, trim};
use crate::parse::timeinfer::{infer_start, StartStamp};

/// Everything one `lmstat -a` output says.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LmstatReport<'a> {
    /// Poll time from the header (`Flexible License Manager status on ...`), server-local.
    pub polled_at: Option<NaiveDateTime>,
    /// The `License server status:` list (one entry, or three for a redundant triad).
    pub license_servers: Vec<String>,
    /// A failure of the whole query (`Error getting status: ...`, `lmgrd is not running ...`).
    pub query_error: Option<LmError>,
    pub servers: Vec<ServerStatus>,
    pub vendors: Vec<VendorStatus>,
    pub features: Vec<FeatureUsage<'a>>,
    pub checkouts: Vec<Checkout<'a>>,
    pub queued: Vec<Queued<'a>>,
    pub reservations: Vec<Reservation<'a>>,
    /// Lines that were not understood, with the reason.
    pub issues: Vec<Issue>,
}

impl LmstatReport<'_> {
    /// The same report owning its text, to outlive the output it was read from.
    pub fn into_owned(self) -> LmstatReport<'static> {
        LmstatReport {
            polled_at: self.polled_at,
            license_servers: self.license_servers,
            query_error: self.query_error,
            servers: self.servers,
            vendors: self.vendors,
            features: self
                .features
                .into_iter()
                .map(|f| FeatureUsage {
                    name: owned(f.name),
                    counting: f.counting,
                    vendor: f.vendor.map(owned),
                    version: f.version.map(owned),
                    expiry: f.expiry.map(owned),
                })
                .collect(),
            checkouts: self
                .checkouts
                .into_iter()
                .map(|c| Checkout {
                    holder: c.holder.into_owned(),
                    ..c
                })
                .collect(),
            queued: self
                .queued
                .into_iter()
                .map(|q| Queued {
                    holder: q.holder.into_owned(),
                    licenses: q.licenses,
                })
                .collect(),
            reservations: self
                .reservations
                .into_iter()
                .map(|r| Reservation {
                    feature: r.feature,
                    count: r.count,
                    kind: owned(r.kind),
                    target: owned(r.target),
                })
                .collect(),
            issues: self.issues,
        }
    }
}

fn owned(text: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(text.into_owned())
}

/// A FlexLM error message with its code, e.g. `Cannot connect ... (-15,570:111 "Connection refused")`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LmError {
    pub message: String,
    /// The code as printed, e.g. `-15,570:111`; `None` when the line carries none.
    pub code: Option<String>,
}

/// One license server (lmgrd) line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerStatus {
    pub host: String,
    pub up: bool,
    pub master: bool,
    pub version: Option<String>,
    pub error: Option<LmError>,
}

/// One vendor daemon line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VendorStatus {
    pub name: String,
    pub up: bool,
    pub version: Option<String>,
    pub error: Option<LmError>,
}

/// How a feature's counts are reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Counting {
    /// `(Total of N licenses issued;  Total of M licenses in use)`.
    Counted { issued: u32, in_use: u32 },
    /// `(Uncounted, node-locked)`.
    Uncounted,
    /// `(Error: ...)` or `Cannot get users of ...`: no counts.
    Error(LmError),
}

/// One `Users of FEATURE:` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeatureUsage<'a> {
    pub name: Cow<'a, str>,
    pub counting: Counting,
    /// From the detail line `"FEATURE" vVER, vendor: V, expiry: E` (first one seen).
    pub vendor: Option<Cow<'a, str>>,
    pub version: Option<Cow<'a, str>>,
    pub expiry: Option<Cow<'a, str>>,
}

impl FeatureUsage<'_> {
    pub fn issued(&self) -> Option<u32> {
        match self.counting {
            Counting::Counted { issued, .. } => Some(issued),
            _ => None,
        }
    }
    pub fn in_use(&self) -> Option<u32> {
        match self.counting {
            Counting::Counted { in_use, .. } => Some(in_use),
            _ => None,
        }
    }
}

/// The fields shared by checkout and queue lines: who, where, which version, which handle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holder<'a> {
    /// Index into [`LmstatReport::features`] of the `Users of` block the line sits in.
    pub feature: usize,
    pub user: Cow<'a, str>,
    pub host: Cow<'a, str>,
    pub display: Cow<'a, str>,
    pub version: Cow<'a, str>,
    pub server_host: Cow<'a, str>,
    pub server_port: Cow<'a, str>,
    pub handle: Option<u64>,
}

impl Holder<'_> {
    fn into_owned(self) -> Holder<'static> {
        Holder {
            feature: self.feature,
            user: owned(self.user),
            host: owned(self.host),
            display: owned(self.display),
            version: owned(self.version),
            server_host: owned(self.server_host),
            server_port: owned(self.server_port),
            handle: self.handle,
        }
    }
}

/// One checkout line: a license held right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checkout<'a> {
    pub holder: Holder<'a>,
    /// Start as printed (no year).
    pub start: StartStamp,
    /// Start with the year inferred from the poll time; `None` when the header had no time.
    pub started_at: Option<NaiveDateTime>,
    pub licenses: u32,
    /// `(linger: N)` or `(linger: held / configured)`: borrowed or lingering licenses.
    pub linger: Option<u64>,
    pub pid: Option<u64>,
}

/// One `queued for N licenses` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Queued<'a> {
    pub holder: Holder<'a>,
    pub licenses: u32,
}

/// One `N RESERVATIONs for TYPE TARGET (server/port)` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reservation<'a> {
    pub feature: usize,
    pub count: u32,
    /// GROUP, HOST, USER, HOST_GROUP, DISPLAY, INTERNET, PROJECT ...
    pub kind: Cow<'a, str>,
    pub target: Cow<'a, str>,
}

/// A line the parser could not use, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// 1-based line number in the input.
    pub line: usize,
    pub message: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Preamble,
    Servers,
    Vendors,
    Features,
}

/// Parse one `lmstat -a` output. Never panics; see [`LmstatReport::issues`] for what was skipped.
pub fn parse(text: &str) -> LmstatReport<'_> {
    let mut report = LmstatReport::default();
    let mut section = Section::Preamble;
    // Index of the feature whose `Users of` block we are in.
    let mut current: Option<usize> = None;

    for (index, raw) in lines(text).enumerate() {
        let line_no = index + 1;
        let line = trim(raw);
        if line.is_empty() {
            continue;
        }
        let issue = |message: &str| Issue {
            line: line_no,
            message: format!("{message}: {}", clip(line)),
        };

        if let Some(rest) = line.strip_prefix("Users of ") {
            section = Section::Features;
            match parse_users_of(rest) {
                Some(feature) => {
                    report.features.push(feature);
                    current = Some(report.features.len() - 1);
                }
                None => {
                    current = None;
                    report.issues.push(issue("unreadable `Users of` line"));
                }
            }
            continue;
        }
        if section == Section::Features {
            if let Some(result) = parse_feature_line(line, current, &report) {
                match result {
                    FeatureLine::Detail {
                        vendor,
                        version,
                        expiry,
                    } => {
                        if let Some(f) = current.and_then(|i| report.features.get_mut(i)) {
                            if f.vendor.is_none() {
                                f.vendor = vendor;
                                f.version = version;
                                f.expiry = expiry;
                            }
                        }
                    }
                    FeatureLine::Ignored => {}
                    FeatureLine::Checkout(c) => report.checkouts.push(c),
                    FeatureLine::Queued(q) => report.queued.push(q),
                    FeatureLine::Reservation(r) => report.reservations.push(r),
                    FeatureLine::Orphan => report
                        .issues
                        .push(issue("usage line outside a `Users of` block")),
                    FeatureLine::Bad(why) => report.issues.push(issue(why)),
                }
                continue;
            }
        }
        if let Some(rest) = line.strip_prefix("Flexible License Manager status on ") {
            match parse_header_time(rest) {
                Some(t) => report.polled_at = Some(t),
                None => report.issues.push(issue("unreadable status time")),
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("License server status:") {
            section = Section::Servers;
            report.license_servers = rest
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            continue;
        }
        if let Some(rest) = line.strip_prefix("Error getting status:") {
            report.query_error = Some(parse_error(rest.trim()));
            continue;
        }
        if line.starts_with("lmgrd is not running") {
            report.query_error = Some(parse_error(line));
            continue;
        }
        if line.starts_with("Vendor daemon status") {
            section = Section::Vendors;
            continue;
        }
        if line.starts_with("Feature usage info") {
            section = Section::Features;
            current = None;
            continue;
        }
        if is_noise(line) {
            continue;
        }
        match section {
            Section::Servers | Section::Preamble => match parse_server_line(line) {
                Some(s) => {
                    section = Section::Servers;
                    push_server(&mut report.servers, s);
                }
                None => report.issues.push(issue("unknown line")),
            },
            Section::Vendors => match parse_vendor_line(line) {
                Some(v) => report.vendors.push(v),
                None => report.issues.push(issue("unknown vendor daemon line")),
            },
            Section::Features => report.issues.push(issue("unknown line")),
        }
    }

    if let Some(polled_at) = report.polled_at {
        for c in &mut report.checkouts {
            c.started_at = infer_start(&c.start, polled_at);
        }
    }
    report
}

/// Searchers for the extras of a checkout line, built once.
static LICENSE: Finder = LazyLock::new(|| memmem::Finder::new(" license"));
static LINGER: Finder = LazyLock::new(|| memmem::Finder::new("(linger:"));
static PID: Finder = LazyLock::new(|| memmem::Finder::new("PID:"));
type Finder = LazyLock<memmem::Finder<'static>>;

/// The last place `marker` (which starts with `first`) occurs in `line`, found from the
/// right by its first byte: the markers of usage lines sit near their ends.
fn rfind_marker(line: &str, first: u8, marker: &str) -> Option<usize> {
    memchr::memrchr_iter(first, line.as_bytes()).find(|&i| line[i..].starts_with(marker))
}

/// The line that opens every `lmstat -a` output.
const HEADER: &str = "Flexible License Manager status on ";

/// Split a text holding several `lmstat -a` outputs one after another (a cron job's
/// `lmstat -a >> saved.txt`) at their `Flexible License Manager status on` lines. Yields
/// each output with the 0-based line number it starts at, so issues can name file lines.
/// A text with at most one header is one output.
pub fn split_outputs(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut cuts: Vec<usize> = header_lines(text.as_bytes()).collect();
    // The first output starts at the text's start, whatever comes before its header.
    cuts.pop();
    cuts.push(0);
    cuts.reverse();
    cuts.push(text.len());
    let mut line = 0;
    (1..cuts.len()).map(move |i| {
        let chunk = &text[cuts[i - 1]..cuts[i]];
        let at = line;
        line += memchr::memchr_iter(b'\n', chunk.as_bytes()).count();
        (at, chunk)
    })
}

/// Where the last output in `bytes` begins, when more than one output begins there (as
/// [`split_outputs`] cuts): what comes before it is whole outputs, for reading a file of
/// appended outputs in pieces. `None` while `bytes` holds the start of one output only.
pub fn last_output_start(bytes: &[u8]) -> Option<usize> {
    let mut headers = header_lines(bytes);
    let last = headers.next()?;
    headers.next().map(|_| last)
}

/// Where each header line begins (only indentation before the header), last first.
fn header_lines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let mut end = bytes.len();
    std::iter::from_fn(move || {
        while let Some(at) = memmem::rfind(&bytes[..end], HEADER.as_bytes()) {
            let start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1);
            end = at;
            if bytes[start..at].iter().all(u8::is_ascii_whitespace) {
                return Some(start);
            }
        }
        None
    })
}

/// Lines that carry nothing we store: banners, license file paths, separators.
fn is_noise(line: &str) -> bool {
    const PREFIXES: [&str; 9] = [
        "lmutil -",
        "lmstat -",
        "lmutil ",
        "./lmutil",
        "[Detecting",
        "License file(s) on",
        "NOTE:",
        "...",
        "---",
    ];
    PREFIXES.iter().any(|p| line.starts_with(p)) || line.starts_with("Copyright")
}

/// Windows servers can list the same host twice in different case: keep one.
fn push_server(servers: &mut Vec<ServerStatus>, s: ServerStatus) {
    if let Some(existing) = servers
        .iter_mut()
        .find(|e| e.host.eq_ignore_ascii_case(&s.host))
    {
        *existing = s;
    } else {
        servers.push(s);
    }
}

fn clip(line: &str) -> String {
    const MAX: usize = 200;
    if line.len() <= MAX {
        return line.to_owned();
    }
    let mut end = MAX;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &line[..end])
}

/// `Tue 4/22/2025 11:08` (weekday optional) → naive server-local time.
fn parse_header_time(rest: &str) -> Option<NaiveDateTime> {
    let mut words = rest.split_whitespace();
    let mut date = words.next()?;
    if !date.contains('/') {
        date = words.next()?;
    }
    let time = words.next()?;
    let mut parts = date.split('/');
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    let year: i32 = parts.next()?.parse().ok()?;
    let (hour, minute) = parse_hm(time)?;
    NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(hour, minute, 0)
}

pub(crate) fn parse_hm(s: &str) -> Option<(u32, u32)> {
    let (h, m) = split_once(s, b':')?;
    let m = m.get(..2).unwrap_or(m);
    Some((digits(h.trim_ascii())?, digits(m)?))
}

/// `Cannot connect ... (-15,570:111 "Connection refused")` → message + code.
fn parse_error(text: &str) -> LmError {
    let text = text.trim();
    // The code is the last parenthesised group that starts with '-' followed by a digit.
    let mut search_end = text.len();
    while let Some(open) = text[..search_end].rfind('(') {
        let inner = &text[open + 1..];
        let is_code =
            inner.starts_with('-') && inner[1..].starts_with(|c: char| c.is_ascii_digit());
        if is_code {
            let close = inner.rfind(')').unwrap_or(inner.len());
            let code_text = &inner[..close];
            let code = code_text.split_whitespace().next().unwrap_or(code_text);
            return LmError {
                message: text.to_owned(),
                code: Some(code.to_owned()),
            };
        }
        search_end = open;
    }
    LmError {
        message: text.to_owned(),
        code: None,
    }
}

/// `host2: license server UP (MASTER) v11.13` or `host3: Cannot connect to license server ...`.
fn parse_server_line(line: &str) -> Option<ServerStatus> {
    let (host, rest) = line.split_once(": ")?;
    let host = host.trim();
    if host.is_empty() || host.contains(' ') {
        return None;
    }
    let rest = rest.trim();
    if let Some(status) = rest.strip_prefix("license server ") {
        let up = status.starts_with("UP");
        let master = status.contains("(MASTER)");
        let version = status
            .split_whitespace()
            .find(|w| w.starts_with('v') && w[1..].starts_with(|c: char| c.is_ascii_digit()))
            .map(str::to_owned);
        return Some(ServerStatus {
            host: host.to_owned(),
            up,
            master,
            version,
            error: (!up).then(|| parse_error(status)),
        });
    }
    if rest.starts_with("Cannot") || rest.contains("license server") || rest.contains("(-") {
        return Some(ServerStatus {
            host: host.to_owned(),
            up: false,
            master: false,
            version: None,
            error: Some(parse_error(rest)),
        });
    }
    None
}

/// `VENDOR1: UP v11.6` or `theorem: The desired vendor daemon is down. (-97,121)`.
fn parse_vendor_line(line: &str) -> Option<VendorStatus> {
    let (name, rest) = line.split_once(':')?;
    let name = name.trim();
    if name.is_empty() || name.contains(' ') {
        return None;
    }
    let rest = rest.trim();
    if let Some(version) = rest.strip_prefix("UP") {
        let version = version.trim();
        return Some(VendorStatus {
            name: name.to_owned(),
            up: true,
            version: (!version.is_empty()).then(|| version.to_owned()),
            error: None,
        });
    }
    Some(VendorStatus {
        name: name.to_owned(),
        up: false,
        version: None,
        error: Some(parse_error(rest)),
    })
}

/// The part after `Users of `: `NAME:  (Total of N licenses issued;  Total of M licenses in use)`.
fn parse_users_of(rest: &str) -> Option<FeatureUsage<'_>> {
    let (name, body) = match memmem::find(rest.as_bytes(), b": ") {
        Some(i) => (&rest[..i], rest[i + 1..].trim()),
        None => (rest.strip_suffix(':')?, ""),
    };
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let counting = if let Some(inner) = body.strip_prefix("(Total of ") {
        let issued = leading_number(inner)?;
        let after = &inner[memmem::find(inner.as_bytes(), b"Total of ")? + "Total of ".len()..];
        let in_use = leading_number(after)?;
        Counting::Counted { issued, in_use }
    } else if body.starts_with("(Uncounted") {
        Counting::Uncounted
    } else if let Some(inner) = body.strip_prefix("(Error:") {
        let inner = inner.strip_suffix(')').unwrap_or(inner);
        Counting::Error(parse_error(inner))
    } else if !body.is_empty() {
        Counting::Error(parse_error(body))
    } else {
        return None;
    };
    Some(FeatureUsage {
        name: Cow::Borrowed(name),
        counting,
        vendor: None,
        version: None,
        expiry: None,
    })
}

fn leading_number(s: &str) -> Option<u32> {
    let s = s.trim_ascii_start();
    let end = s
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    digits(&s[..end])
}

enum FeatureLine<'a> {
    Detail {
        vendor: Option<Cow<'a, str>>,
        version: Option<Cow<'a, str>>,
        expiry: Option<Cow<'a, str>>,
    },
    Ignored,
    Checkout(Checkout<'a>),
    Queued(Queued<'a>),
    Reservation(Reservation<'a>),
    Orphan,
    Bad(&'static str),
}

/// Classify a line inside the feature section; `None` means "not a feature-section line".
fn parse_feature_line<'a>(
    line: &'a str,
    current: Option<usize>,
    report: &LmstatReport<'a>,
) -> Option<FeatureLine<'a>> {
    let first = *line.as_bytes().first()?;
    if first == b'"' {
        return Some(parse_detail(line));
    }
    const LICENSE_KINDS: [&str; 6] = [
        "floating license",
        "nodelocked license",
        "uncounted nodelocked",
        "vendor_string:",
        "license type:",
        "borrowable",
    ];
    if matches!(first, b'f' | b'n' | b'u' | b'v' | b'l' | b'b')
        && LICENSE_KINDS.iter().any(|p| line.starts_with(p))
    {
        return Some(FeatureLine::Ignored);
    }
    if first.is_ascii_digit() && memmem::find(line.as_bytes(), b" RESERVATION").is_some() {
        let Some(feature) = current else {
            return Some(FeatureLine::Orphan);
        };
        return Some(match parse_reservation(line, feature) {
            Some(r) => FeatureLine::Reservation(r),
            None => FeatureLine::Bad("unreadable RESERVATION line"),
        });
    }
    let start_at = rfind_marker(line, b',', ", start ");
    let queued_at = if start_at.is_none() {
        rfind_marker(line, b' ', " queued for ")
    } else {
        None
    };
    if start_at.is_none() && queued_at.is_none() {
        return None;
    }
    let Some(feature) = current else {
        return Some(FeatureLine::Orphan);
    };
    // An errored feature ends its block: usage lines under it are not its checkouts.
    if matches!(
        report.features.get(feature).map(|f| &f.counting),
        Some(Counting::Error(_))
    ) {
        return Some(FeatureLine::Bad(
            "usage line under a feature reported in error",
        ));
    }
    Some(match (start_at, queued_at) {
        (Some(at), _) => match parse_checkout(line, at, feature) {
            Some(c) => FeatureLine::Checkout(c),
            None => FeatureLine::Bad("unreadable checkout line"),
        },
        (None, Some(at)) => match parse_queued(line, at, feature) {
            Some(q) => FeatureLine::Queued(q),
            None => FeatureLine::Bad("unreadable queued line"),
        },
        (None, None) => return None,
    })
}

/// `"feature2" v31.0, vendor: feature2, expiry: 1-jan-0`.
fn parse_detail(line: &str) -> FeatureLine<'_> {
    let rest = &line[1..];
    let Some(close) = rest.find('"') else {
        return FeatureLine::Bad("unterminated feature name in detail line");
    };
    let mut version = None;
    let mut vendor = None;
    let mut expiry = None;
    for part in rest[close + 1..].split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("vendor:") {
            vendor = Some(Cow::Borrowed(v.trim()));
        } else if let Some(e) = part.strip_prefix("expiry:") {
            expiry = Some(Cow::Borrowed(e.trim()));
        } else if let Some(v) = part.strip_prefix('v') {
            version = Some(Cow::Borrowed(v));
        }
    }
    FeatureLine::Detail {
        vendor,
        version,
        expiry,
    }
}

/// `10 RESERVATIONs for HOST HOSTPC12 (host3.domain.net/27002)`.
fn parse_reservation(line: &str, feature: usize) -> Option<Reservation<'_>> {
    let count = leading_number(line)?;
    let (_, after) = line.split_once(" for ")?;
    let after = match after.rfind(" (") {
        Some(i) => &after[..i],
        None => after,
    };
    let (kind, target) = after.trim().split_once(' ')?;
    Some(Reservation {
        feature,
        count,
        kind: Cow::Borrowed(kind),
        target: Cow::Borrowed(target.trim()),
    })
}

/// Split `user host display... (vVER) (server/port handle)` from the right.
fn parse_holder(prefix: &str, feature: usize) -> Option<Holder<'_>> {
    let prefix = prefix.trim_ascii_end();
    let server_part = prefix.strip_suffix(')')?;
    let open = memchr::memrchr(b'(', server_part.as_bytes())?;
    let inner = &server_part[open + 1..];
    let (server_and_port, handle) = match split_once(inner, b' ') {
        Some((sp, h)) => (sp, digits(h.trim_ascii())),
        None => (inner, None),
    };
    let (server_host, server_port) =
        rsplit_once(server_and_port, b'/').unwrap_or((server_and_port, ""));
    let before = server_part[..open].trim_ascii_end();
    let version_part = before.strip_suffix(')')?;
    // The last `(v` opens the version.
    let vopen = memchr::memrchr_iter(b'(', version_part.as_bytes())
        .find(|&i| version_part.as_bytes().get(i + 1) == Some(&b'v'))?;
    let version = &version_part[vopen + 2..];
    let who = version_part[..vopen].trim_ascii_end();
    let (user, rest) = split_once(who, b' ').unwrap_or((who, ""));
    if user.is_empty() {
        return None;
    }
    let (host, display) = split_once(rest, b' ').unwrap_or((rest, ""));
    Some(Holder {
        feature,
        user: Cow::Borrowed(user),
        host: Cow::Borrowed(host.trim_ascii()),
        display: Cow::Borrowed(display.trim_ascii()),
        version: Cow::Borrowed(version),
        server_host: Cow::Borrowed(server_host),
        server_port: Cow::Borrowed(server_port),
        handle,
    })
}

/// `user host display (vVER) (server/port handle), start Fri 10/20 14:12[, 16 licenses][ (linger: a / b)][, PID: n]`.
fn parse_checkout(line: &str, at: usize, feature: usize) -> Option<Checkout<'_>> {
    let holder = parse_holder(&line[..at], feature)?;
    let tail = &line[at + ", start ".len()..];
    let mut words = tail.split_ascii_whitespace();
    let weekday = words.next()?;
    let (weekday, date) = if memchr::memchr(b'/', weekday.as_bytes()).is_some() {
        ("", weekday)
    } else {
        (weekday, words.next()?)
    };
    let time = words.next()?;
    let extras = time.ends_with(',') || words.next().is_some();
    let time = time.trim_end_matches(',');
    let (month, day) = split_once(date, b'/')?;
    let (hour, minute) = parse_hm(time)?;
    let start = StartStamp {
        weekday: crate::parse::timeinfer::weekday_from_abbrev(weekday),
        month: digits(month)?,
        day: digits(day)?,
        hour,
        minute,
    };
    // Most checkouts end at the time: only the others carry a count, linger or PID.
    let (licenses, linger, pid) = if extras {
        (
            number_before(tail, &LICENSE).unwrap_or(1),
            number_after(tail, &LINGER),
            number_after(tail, &PID),
        )
    } else {
        (1, None, None)
    };
    Some(Checkout {
        holder,
        start,
        started_at: None,
        licenses,
        linger,
        pid,
    })
}

/// `user host display (vVER) (server/port handle) queued for N licenses`.
fn parse_queued(line: &str, at: usize, feature: usize) -> Option<Queued<'_>> {
    let holder = parse_holder(&line[..at], feature)?;
    let licenses = leading_number(&line[at + " queued for ".len()..]).unwrap_or(1);
    Some(Queued { holder, licenses })
}

/// The number just before `marker`, e.g. `16` in `, 16 licenses`.
fn number_before(text: &str, marker: &memmem::Finder<'_>) -> Option<u32> {
    let at = marker.find(text.as_bytes())?;
    let before = text[..at].trim_end();
    let start = before
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    before[start..].parse().ok()
}

/// The number just after `marker`, e.g. `2924522` in `PID: 2924522`.
fn number_after(text: &str, marker: &memmem::Finder<'_>) -> Option<u64> {
    let at = marker.find(text.as_bytes())?;
    let after = text[at + marker.needle().len()..].trim_start();
    let end = after
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(after.len());
    after[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkout_with_licenses_and_linger() {
        let line = "cmfy212 UFRTR1LT0087375 UFRTR1LT00873750.0 (v1.00) (host3.domain.net/28000 1401), start Wed 5/23 5:59, 16 licenses  (linger: 885098 / 1340160)";
        let c =
            parse_checkout(line, line.rfind(", start ").expect("has start"), 0).expect("parses");
        assert_eq!(c.holder.user, "cmfy212");
        assert_eq!(c.holder.host, "UFRTR1LT0087375");
        assert_eq!(c.holder.display, "UFRTR1LT00873750.0");
        assert_eq!(c.holder.version, "1.00");
        assert_eq!(c.holder.server_host, "host3.domain.net");
        assert_eq!(c.holder.server_port, "28000");
        assert_eq!(c.holder.handle, Some(1401));
        assert_eq!(
            (c.start.month, c.start.day, c.start.hour, c.start.minute),
            (5, 23, 5, 59)
        );
        assert_eq!(c.licenses, 16);
        assert_eq!(c.linger, Some(885098));
    }

    #[test]
    fn checkout_with_pid_and_spaces_in_display() {
        let line = "user_03 TENCENT64.site :11 Xcelium Single Core Engine (v21.000) (srv/5280 77), start Mon 2/10 0:10, PID: 2924522 ";
        let line = line.trim();
        let c =
            parse_checkout(line, line.rfind(", start ").expect("has start"), 3).expect("parses");
        assert_eq!(c.holder.feature, 3);
        assert_eq!(c.holder.display, ":11 Xcelium Single Core Engine");
        assert_eq!(c.licenses, 1);
        assert_eq!(c.pid, Some(2924522));
        assert_eq!(c.linger, None);
    }

    #[test]
    fn queued_line() {
        let line = "user3 server6u065 fj209fj0 2017.06 (v2017.06) (host3.domain.net/27002 15480) queued for 1 license";
        let q = parse_queued(line, line.rfind(" queued for ").expect("queued"), 0).expect("parses");
        assert_eq!(q.holder.user, "user3");
        assert_eq!(q.holder.display, "fj209fj0 2017.06");
        assert_eq!(q.licenses, 1);
    }

    #[test]
    fn reservation_lines() {
        let r = parse_reservation(
            "10 RESERVATIONs for HOST HOSTPC12 (host3.domain.net/27002)",
            0,
        )
        .expect("parses");
        assert_eq!((r.count, &*r.kind, &*r.target), (10, "HOST", "HOSTPC12"));
        let r = parse_reservation("1 RESERVATION for GROUP DED (SERVER1/1713)", 0).expect("parses");
        assert_eq!((r.count, &*r.kind, &*r.target), (1, "GROUP", "DED"));
    }

    #[test]
    fn errors_carry_codes() {
        let e =
            parse_error("Cannot connect to license server (-15,570:111 \"Connection refused\")");
        assert_eq!(e.code.as_deref(), Some("-15,570:111"));
        let e = parse_error("The desired vendor daemon is down. (-97,121)");
        assert_eq!(e.code.as_deref(), Some("-97,121"));
        let e = parse_error("License server machine is down or not responding.");
        assert_eq!(e.code, None);
    }

    #[test]
    fn error_feature_does_not_adopt_following_checkouts() {
        let text = "Feature usage info:\n\nUsers of A:  (Total of 2 licenses issued;  Total of 1 license in use)\n\n    u h d (v1) (s/1 2), start Mon 1/1 1:00\n\nUsers of B:  (Error: 1 licenses, unsupported by licensed server)\n\n    x h d (v1) (s/1 3), start Mon 1/1 1:00\n";
        let r = parse(text);
        assert_eq!(r.checkouts.len(), 1);
        assert_eq!(r.checkouts[0].holder.user, "u");
        assert_eq!(r.issues.len(), 1);
        assert_eq!(r.issues[0].line, 9);
    }

    #[test]
    fn servers_without_port_and_duplicate_case() {
        let text = "License server status: server1,server2\nserver1: license server UP v11.13\nSERVER1: license server UP (MASTER) v11.13\nserver2: Cannot connect to license server system. (-15,570:115 \"Operation now in progress\")\n";
        let r = parse(text);
        assert_eq!(r.license_servers, vec!["server1", "server2"]);
        assert_eq!(r.servers.len(), 2);
        assert!(r.servers[0].master);
        assert!(!r.servers[1].up);
        assert_eq!(
            r.servers[1].error.as_ref().and_then(|e| e.code.as_deref()),
            Some("-15,570:115")
        );
    }

    #[test]
    fn vendor_down_and_unindented_vendor() {
        let text = "Vendor daemon status (on server2):\nABAQUSLM: UP v11.13\n   theorem: The desired vendor daemon is down. (-97,121)\n";
        let r = parse(text);
        assert_eq!(r.vendors.len(), 2);
        assert!(r.vendors[0].up);
        assert_eq!(r.vendors[0].version.as_deref(), Some("v11.13"));
        assert!(!r.vendors[1].up);
    }
}
