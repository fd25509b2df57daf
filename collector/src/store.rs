//! The collector's DuckDB store: polls and their records go in here, sessions are kept
//! current, and `publish` copies from here.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{FixedOffset, NaiveDateTime, TimeDelta};
use duckdb::{params, Connection, OptionalExt};

use crate::debuglog::DebugLog;
use crate::lmstat::{Counting, LmstatReport};
use crate::lmstat_i::Entitlement;
use crate::schema::TABLES;
use crate::sessions::{single_vendor, Session, SessionTracker};

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store {path}: {source}")]
    Open {
        path: PathBuf,
        source: duckdb::Error,
    },
    #[error("store query failed: {0}")]
    Query(#[from] duckdb::Error),
}

/// One poll of one license server, ready to store.
#[derive(Debug, Clone)]
pub struct Poll {
    /// Logical server name (`PORT@HOST`, or the triad list).
    pub server: String,
    /// Poll time, UTC.
    pub ts: NaiveDateTime,
    /// Where it came from: a file path, `poll`, `demo`.
    pub source: String,
    /// The server's offset from UTC, to convert its local start times.
    pub utc_offset: FixedOffset,
    pub report: LmstatReport,
}

/// What an ingest did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IngestSummary {
    pub polls: usize,
    pub skipped_duplicates: usize,
    pub out_of_order: usize,
    pub features: usize,
    pub checkouts: usize,
    pub sessions_closed: usize,
}

/// The DuckDB store.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Open (or create) the store at `path` and make sure every table exists.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.to_owned(),
            source,
        })?;
        Self::init(conn)
    }

    /// A store that lives in memory only (tests, benchmarks).
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        for (_, ddl) in TABLES {
            conn.execute_batch(ddl)?;
        }
        Ok(Self { conn })
    }

    /// The underlying connection, for publishing and queries.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Store a batch of polls in one transaction and advance the sessions of their servers.
    /// A poll already stored (same server and time) is skipped, so re-imports add nothing.
    pub fn ingest(&mut self, mut polls: Vec<Poll>) -> Result<IngestSummary, StoreError> {
        polls.sort_by(|a, b| (&a.server, a.ts).cmp(&(&b.server, b.ts)));
        let mut by_server: BTreeMap<String, Vec<Poll>> = BTreeMap::new();
        for poll in polls {
            by_server.entry(poll.server.clone()).or_default().push(poll);
        }
        let mut summary = IngestSummary::default();
        let tx = self.conn.transaction()?;
        let mut next_id: i64 =
            tx.query_row("SELECT COALESCE(MAX(poll_id), 0) + 1 FROM polls", [], |r| {
                r.get(0)
            })?;
        for (server, polls) in by_server {
            let latest: Option<NaiveDateTime> = tx
                .query_row(
                    "SELECT MAX(ts) FROM polls WHERE server = ? AND ok",
                    params![server],
                    |r| r.get(0),
                )
                .optional()?
                .flatten();
            let mut tracker = SessionTracker::from_open(load_open_sessions(&tx, &server)?);
            let mut closed: Vec<Session> = Vec::new();
            let mut last_ok = latest;
            {
                let mut known: HashSet<NaiveDateTime> = tx
                    .prepare("SELECT ts FROM polls WHERE server = ?")?
                    .query_map(params![server], |r| r.get(0))?
                    .collect::<Result<_, _>>()?;
                let mut ap_polls = tx.appender("polls")?;
                let mut ap_servers = tx.appender("server_status")?;
                let mut ap_vendors = tx.appender("vendor_status")?;
                let mut ap_features = tx.appender("feature_usage")?;
                let mut ap_queued = tx.appender("queued")?;
                let mut ap_reservations = tx.appender("reservations")?;
                for poll in &polls {
                    if !known.insert(poll.ts) {
                        summary.skipped_duplicates += 1;
                        continue;
                    }
                    let id = next_id;
                    next_id += 1;
                    summary.polls += 1;
                    let r = &poll.report;
                    let ok = r.query_error.is_none();
                    ap_polls.append_row(params![
                        id,
                        server,
                        poll.ts,
                        poll.source,
                        ok,
                        r.query_error.as_ref().map(|e| e.message.as_str()),
                        r.query_error.as_ref().and_then(|e| e.code.as_deref()),
                    ])?;
                    for s in &r.servers {
                        ap_servers.append_row(params![
                            id,
                            poll.ts,
                            server,
                            s.host,
                            s.up,
                            s.master,
                            s.version,
                            s.error.as_ref().map(|e| e.message.as_str()),
                            s.error.as_ref().and_then(|e| e.code.as_deref()),
                        ])?;
                    }
                    for v in &r.vendors {
                        ap_vendors.append_row(params![
                            id,
                            poll.ts,
                            server,
                            v.name,
                            v.up,
                            v.version,
                            v.error.as_ref().map(|e| e.message.as_str()),
                            v.error.as_ref().and_then(|e| e.code.as_deref()),
                        ])?;
                    }
                    let fallback_vendor = single_vendor(r);
                    for f in &r.features {
                        let (counting, error) = match &f.counting {
                            Counting::Counted { .. } => ("counted", None),
                            Counting::Uncounted => ("uncounted", None),
                            Counting::Error(e) => ("error", Some(e.message.as_str())),
                        };
                        ap_features.append_row(params![
                            id,
                            poll.ts,
                            server,
                            f.vendor.as_ref().or(fallback_vendor.as_ref()),
                            f.name,
                            counting,
                            f.issued(),
                            f.in_use(),
                            f.version,
                            f.expiry,
                            error,
                        ])?;
                    }
                    let feature_name = |i: usize| r.features.get(i).map_or("", |f| f.name.as_str());
                    for q in &r.queued {
                        let h = &q.holder;
                        ap_queued.append_row(params![
                            id,
                            poll.ts,
                            server,
                            feature_name(h.feature),
                            h.user,
                            h.host,
                            h.display,
                            h.version,
                            h.handle.and_then(|x| i64::try_from(x).ok()),
                            q.licenses,
                        ])?;
                    }
                    for res in &r.reservations {
                        ap_reservations.append_row(params![
                            id,
                            poll.ts,
                            server,
                            feature_name(res.feature),
                            res.count,
                            res.kind,
                            res.target,
                        ])?;
                    }
                    summary.features += r.features.len();
                    summary.checkouts += r.checkouts.len();
                    if !ok {
                        continue;
                    }
                    if last_ok.is_some_and(|t| poll.ts <= t) {
                        summary.out_of_order += 1;
                        continue;
                    }
                    last_ok = Some(poll.ts);
                    let offset = TimeDelta::seconds(i64::from(poll.utc_offset.local_minus_utc()));
                    closed.extend(tracker.observe(&server, poll.ts, r, |t| t - offset));
                }
            }
            summary.sessions_closed += closed.len();
            tx.execute(
                "DELETE FROM sessions WHERE server = ? AND ended_at IS NULL",
                params![server],
            )?;
            let mut ap = tx.appender("sessions")?;
            for s in closed.iter().chain(tracker.into_open().iter()) {
                ap.append_row(params![
                    s.server,
                    s.vendor,
                    s.feature,
                    s.user_name,
                    s.host,
                    s.display,
                    s.version,
                    s.server_host,
                    s.handle.and_then(|h| i64::try_from(h).ok()),
                    s.licenses,
                    s.started_at,
                    s.first_seen,
                    s.last_seen,
                    s.ended_at,
                ])?;
            }
        }
        tx.commit()?;
        Ok(summary)
    }

    /// Store the events of one debug log of `server`. Each event is keyed by its content and
    /// its occurrence number within the log, so importing a log again, or a longer version
    /// of it, adds only the events not stored yet. Returns (added, already stored).
    pub fn ingest_events(
        &mut self,
        server: &str,
        source: &str,
        utc_offset: FixedOffset,
        log: &DebugLog,
    ) -> Result<(usize, usize), StoreError> {
        let offset = TimeDelta::seconds(i64::from(utc_offset.local_minus_utc()));
        let tx = self.conn.transaction()?;
        tx.execute_batch(
            "CREATE OR REPLACE TEMP TABLE incoming_events AS SELECT * FROM events LIMIT 0",
        )?;
        {
            let mut seen: HashMap<(NaiveDateTime, &str, &str, &str, &str, &str), i32> =
                HashMap::new();
            let mut ap = tx.appender("incoming_events")?;
            for e in &log.events {
                let seq = seen
                    .entry((
                        e.ts,
                        &e.daemon,
                        e.kind.as_str(),
                        &e.feature,
                        &e.user,
                        &e.host,
                    ))
                    .or_insert(0);
                *seq += 1;
                ap.append_row(params![
                    server,
                    e.daemon,
                    e.ts - offset,
                    e.kind.as_str(),
                    e.feature,
                    e.user,
                    e.host,
                    e.licenses,
                    e.reason,
                    e.code,
                    *seq,
                    source,
                    i64::try_from(e.line).unwrap_or(i64::MAX),
                ])?;
            }
        }
        let added = tx.execute(
            "INSERT INTO events
             SELECT i.* FROM incoming_events i
             ANTI JOIN events e USING (server, ts, daemon, kind, feature, user_name, host, seq)",
            [],
        )?;
        tx.execute_batch("DROP TABLE incoming_events")?;
        tx.commit()?;
        Ok((added, log.events.len() - added))
    }

    /// Replace the entitlements of `server` with those of one `lmstat -i` output.
    pub fn replace_entitlements(
        &mut self,
        server: &str,
        source: &str,
        imported_at: NaiveDateTime,
        entitlements: &[Entitlement],
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM entitlements WHERE server = ?", params![server])?;
        {
            let mut ap = tx.appender("entitlements")?;
            for e in entitlements {
                ap.append_row(params![
                    server,
                    imported_at,
                    e.feature,
                    e.version,
                    e.vendor,
                    e.count,
                    e.expires,
                    e.expires_text,
                    source,
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Time range of the stored polls (UTC).
    pub fn poll_range(&self) -> Result<(Option<NaiveDateTime>, Option<NaiveDateTime>), StoreError> {
        Ok(self
            .conn
            .query_row("SELECT MIN(ts), MAX(ts) FROM polls", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?)
    }
}

fn load_open_sessions(conn: &Connection, server: &str) -> Result<Vec<Session>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT server, vendor, feature, user_name, host, display, version, server_host, handle,
                licenses, started_at, first_seen, last_seen
         FROM sessions WHERE server = ? AND ended_at IS NULL",
    )?;
    let rows = stmt.query_map(params![server], |r| {
        let handle: Option<i64> = r.get(8)?;
        Ok(Session {
            server: r.get(0)?,
            vendor: r.get(1)?,
            feature: r.get(2)?,
            user_name: r.get(3)?,
            host: r.get(4)?,
            display: r.get(5)?,
            version: r.get(6)?,
            server_host: r.get(7)?,
            handle: handle.and_then(|h| u64::try_from(h).ok()),
            licenses: r.get(9)?,
            started_at: r.get(10)?,
            first_seen: r.get(11)?,
            last_seen: r.get(12)?,
            ended_at: None,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
