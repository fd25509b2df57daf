//! Debug-log events into the store in bounded memory, one transaction per log (rolled back
//! unless committed, so a failed import leaves the store as it was). A log's batches
//! ([`crate::store::event_batches`]) stream into one `INSERT` through
//! [`crate::store::feed`]:
//! - a log of a known server that starts after its stored events (the first import, the
//!   next day's log) goes straight into `events`, numbered as read;
//! - a log of a known server that may repeat stored events (the same log again, or a longer
//!   version of it), numbered as read, leaves out what is already stored;
//! - a log whose server is named only further on, or whose time goes back more than a day
//!   (so its numbering as read may not be SQL's), waits in a staging table, is numbered in
//!   SQL, then compared.
//!
//! OUT is paired with IN into sessions as the log is read, for a server's first OUTs and
//! INs in time order; otherwise by a SQL walk that spills to disk rather than holding the
//! log in memory.

use chrono::NaiveDateTime;
use duckdb::{params, Connection};

use crate::parse::debuglog::{DebugLog, EventKind};
use crate::parse::zone::Zone;
use crate::store::db::{Store, StoreError};
use crate::store::event_batches::{
    batch_whole, earliest_in, event_columns, session_columns, BatchSummary,
};
use crate::store::feed::{self, Rows};
use crate::timings::Timings;

/// Batches held in memory, to store.
fn rows(batches: Vec<duckdb::arrow::record_batch::RecordBatch>) -> Rows {
    Box::new(batches.into_iter().map(Ok))
}

/// The staging table: a log's events before its server is known.
const STAGE: &str = "staged_events";

/// A staged log's events numbered in SQL.
const NUMBERED: &str = "numbered_events";

/// An import's transaction, rolled back when dropped uncommitted.
struct Txn<'s> {
    conn: &'s Connection,
    open: bool,
}

impl<'s> Txn<'s> {
    fn begin(conn: &'s Connection) -> Result<Self, StoreError> {
        conn.execute_batch("BEGIN TRANSACTION")?;
        Ok(Self { conn, open: true })
    }

    fn commit(mut self) -> Result<(), StoreError> {
        self.conn.execute_batch("COMMIT")?;
        self.open = false;
        Ok(())
    }
}

impl Drop for Txn<'_> {
    fn drop(&mut self) {
        if self.open {
            // Nothing else to do with a failure here: the store keeps its last commit.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// A server's stored events before this log.
#[derive(Debug, Clone, Copy)]
struct Before {
    /// Its last event.
    last: Option<NaiveDateTime>,
    /// Its last OUT or IN.
    pairing_last: Option<NaiveDateTime>,
}

impl Before {
    fn of(conn: &Connection, server: &str) -> Result<Self, StoreError> {
        Ok(conn.query_row(
            "SELECT max(ts), max(ts) FILTER (WHERE kind IN (?2, ?3)) FROM events
             WHERE server = ?1",
            params![server, EventKind::Out.as_str(), EventKind::In.as_str()],
            |r| {
                Ok(Self {
                    last: r.get(0)?,
                    pairing_last: r.get(1)?,
                })
            },
        )?)
    }

    /// Whether a log whose earliest event is `earliest` comes after every stored event,
    /// so it cannot repeat one.
    fn later(&self, earliest: Option<NaiveDateTime>) -> bool {
        match (self.last, earliest) {
            (Some(last), Some(first)) => first > last,
            _ => true,
        }
    }
}

/// How the events went in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inserted {
    /// None yet (or the log had none).
    Nothing,
    /// Straight into `events` as numbered while read: this many.
    Direct(usize),
    /// Into `events`, numbered as read, leaving out those stored: this many.
    New(usize),
    /// Into the staging table.
    Staged,
}

/// One log's import in progress: [`LogImport::insert_events`], then [`LogImport::commit`].
pub struct LogImport<'s> {
    conn: &'s Connection,
    /// The server, when known before the log is read, and what the store holds of it.
    known: Option<(String, Before)>,
    source: String,
    inserted: Inserted,
    txn: Txn<'s>,
}

impl LogImport<'_> {
    /// Whether the sessions paired as the log is read may be stored: not when the server
    /// is known to have stored OUTs and INs (its sessions are then walked in SQL).
    pub fn wants_paired_sessions(&self) -> bool {
        self.known
            .as_ref()
            .is_none_or(|(_, before)| before.pairing_last.is_none())
    }

    /// Store the events of `batches` (an event batcher's, in [`event_columns`]) in one
    /// statement, which ends where the batches do. How they are stored is decided by the
    /// first batch: see the module's documentation.
    pub fn insert_events(&mut self, mut batches: Rows) -> Result<(), StoreError> {
        let first = match batches.next() {
            Some(Ok(first)) => first,
            Some(Err(e)) => return Err(StoreError::Feed(e)),
            None => return Ok(()),
        };
        let earliest = earliest_in(&first);
        let rows = feed::open(
            &event_columns(),
            Box::new(std::iter::once(Ok(first)).chain(batches)),
        );
        let from = rows.sql();
        self.inserted = match &self.known {
            Some((server, before)) if before.later(earliest) => {
                Inserted::Direct(self.conn.execute(
                    &format!("INSERT INTO events {}", as_read(&from)),
                    params![server, self.source],
                )?)
            }
            Some((server, _)) => Inserted::New(self.conn.execute(
                &format!(
                    "INSERT INTO events {}",
                    new_events(&format!("({})", as_read(&from)))
                ),
                params![server, self.source],
            )?),
            None => {
                self.conn.execute_batch(&format!(
                    "CREATE OR REPLACE TEMP TABLE {STAGE} AS SELECT * FROM {from}"
                ))?;
                Inserted::Staged
            }
        };
        Ok(())
    }

    /// Store the log's events as events of `server`, its sessions, and commit. Repeats of
    /// the same event on the same second are numbered by their order in the log (`seq`), so
    /// re-importing the log, or a longer version of it, adds only what is new. (Repeats are
    /// found by a hash of the event: should two different events share one, they are
    /// numbered as one group, which keeps both and still numbers the same log the same way
    /// every time.) `sessions`: those paired as the log was read, if kept
    /// ([`LogImport::wants_paired_sessions`]); used for a server's first OUTs and INs in
    /// time order, else the sessions are walked in SQL.
    ///
    /// Returns how many events were added and how many were already stored; `None` when the
    /// server known at the start is not the one the log named at its end, when events went
    /// straight into `events` but the log goes back before a stored one, or when its time
    /// went back too far for the numbering as read: nothing is stored, and the log is to be
    /// imported again with no server given at the start.
    pub fn commit(
        self,
        server: &str,
        summary: &BatchSummary,
        sessions: Option<Rows>,
    ) -> Result<Option<(usize, usize)>, StoreError> {
        let mut timings = Timings::from_env("import log");
        let conn = self.conn;
        if self
            .known
            .as_ref()
            .is_some_and(|(known, _)| known != server)
        {
            return Ok(None);
        }
        let before = match &self.known {
            Some((_, before)) => *before,
            None => Before::of(conn, server)?,
        };
        let added = match self.inserted {
            Inserted::Nothing => 0,
            Inserted::Direct(added) => {
                if !before.later(summary.earliest) {
                    return Ok(None);
                }
                if !summary.numbered {
                    renumber(conn, server, &self.source, before.last)?;
                }
                added
            }
            // Compared with the stored events by their numbering as read: a log whose time
            // went back too far for it is compared again, numbered in SQL.
            Inserted::New(_) if !summary.numbered => return Ok(None),
            Inserted::New(added) => added,
            Inserted::Staged => store_staged(conn, server, &self.source, summary, &before)?,
        };
        timings.step("events numbered and stored");
        let paired = sessions.filter(|_| added > 0 && before.pairing_last.is_none());
        match paired {
            Some(rows) if summary.in_order => {
                let rows = feed::open(&session_columns(), rows);
                conn.execute(
                    &format!(
                        "INSERT INTO sessions
                         SELECT ?1, vendor, feature, user_name, host, host, '', '', NULL,
                                licenses, started_at, first_seen, last_seen, ended_at, 'log'
                         FROM {}",
                        rows.sql()
                    ),
                    params![server],
                )?;
                timings.step("sessions paired as read, stored");
            }
            _ if added > 0 => {
                // When every new event comes after the last stored OUT or IN, the sessions
                // closed before stay as they are; only the new events are walked.
                let after = before
                    .pairing_last
                    .filter(|&last| summary.earliest.is_none_or(|first| first > last));
                rebuild_log_sessions(conn, server, after)?;
                timings.step("sessions rebuilt");
            }
            _ => {}
        }
        if added > 0 {
            // Events of any time, and sessions rebuilt from them: every month may differ.
            crate::store::marks::forget(conn)?;
        }
        self.txn.commit()?;
        timings.step("committed");
        Ok(Some((added, summary.events.saturating_sub(added))))
    }
}

/// The events of `from` numbered in SQL: repeats of an event on the same second by their
/// order in the log; with server `?1` and source `?2`, in the columns of `events`.
fn numbered(from: &str) -> String {
    format!(
        "SELECT ?1 AS server, daemon, ts, kind, feature, user_name, host, licenses, reason,
                code,
                row_number() OVER (
                    PARTITION BY hash(ts, daemon, kind, feature, user_name, host)
                    ORDER BY line)::INTEGER AS seq,
                ?2 AS source, line
         FROM {from}"
    )
}

/// The events of `from` as rows of `events` (server `?1`, source `?2`), numbered as read.
fn as_read(from: &str) -> String {
    format!(
        "SELECT ?1 AS server, daemon, ts, kind, feature, user_name, host, licenses, reason,
                code, seq, ?2 AS source, line
         FROM {from}"
    )
}

/// The rows of `rows` (a table, or a query in parentheses, in the columns of `events`)
/// not already stored.
fn new_events(rows: &str) -> String {
    format!(
        "SELECT n.* FROM {rows} n
         ANTI JOIN events e USING (server, ts, daemon, kind, feature, user_name, host, seq)"
    )
}

/// Number the repeats of a log appended straight into `events` whose time went back too
/// far for the numbering as read: its events are those of `server` and `source` after the
/// server's last stored event.
fn renumber(
    conn: &Connection,
    server: &str,
    source: &str,
    after: Option<NaiveDateTime>,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE events SET seq = n.seq
         FROM (SELECT rowid AS rid,
                      row_number() OVER (
                          PARTITION BY hash(ts, daemon, kind, feature, user_name, host)
                          ORDER BY line)::INTEGER AS seq
               FROM events
               WHERE server = ?1 AND source = ?2 AND (?3::TIMESTAMP IS NULL OR ts > ?3)) n
         WHERE events.rowid = n.rid",
        params![server, source, after],
    )?;
    Ok(())
}

/// Store the staged events, numbered, leaving out those already stored; how many were
/// added.
fn store_staged(
    conn: &Connection,
    server: &str,
    source: &str,
    summary: &BatchSummary,
    before: &Before,
) -> Result<usize, StoreError> {
    let later = before.later(summary.earliest);
    if later && summary.numbered {
        // A log that starts after everything stored cannot repeat a stored event: no need
        // to look for one.
        let added = conn.execute(
            &format!("INSERT INTO events {}", as_read(STAGE)),
            params![server, source],
        )?;
        conn.execute_batch(&format!("DROP TABLE {STAGE}"))?;
        return Ok(added);
    }
    // Numbered first, then compared: in one statement, the window and the join would each
    // want their memory at once.
    conn.execute(
        &format!(
            "CREATE OR REPLACE TEMP TABLE {NUMBERED} AS {}",
            numbered(STAGE)
        ),
        params![server, source],
    )?;
    conn.execute_batch(&format!("DROP TABLE {STAGE}"))?;
    let insert = if later {
        format!("INSERT INTO events SELECT * FROM {NUMBERED}")
    } else {
        format!("INSERT INTO events {}", new_events(NUMBERED))
    };
    let added = conn.execute(&insert, [])?;
    conn.execute_batch(&format!("DROP TABLE {NUMBERED}"))?;
    Ok(added)
}

impl Store {
    /// Begin importing the log `source`, in a transaction. `server`: the server it is of,
    /// when known before it is read.
    pub fn begin_log(
        &self,
        server: Option<&str>,
        source: &str,
    ) -> Result<LogImport<'_>, StoreError> {
        let conn = self.conn();
        let txn = Txn::begin(conn)?;
        let known = match server {
            Some(server) => Some((server.to_owned(), Before::of(conn, server)?)),
            None => None,
        };
        Ok(LogImport {
            conn,
            known,
            source: source.to_owned(),
            inserted: Inserted::Nothing,
            txn,
        })
    }

    /// Store the events of a log read whole (the demo's denials, small logs, tests).
    pub fn ingest_events(
        &mut self,
        server: &str,
        source: &str,
        zone: Zone,
        log: &DebugLog,
    ) -> Result<(usize, usize), StoreError> {
        let mut known = Some(server);
        loop {
            let mut import = self.begin_log(known, source)?;
            let (events, sessions, summary) = batch_whole(zone, &log.events)?;
            import.insert_events(rows(events))?;
            match import.commit(server, &summary, Some(rows(sessions)))? {
                Some(counts) => return Ok(counts),
                // Again with the server not known at the start, which always stores.
                None => known = None,
            }
        }
    }
}

/// The columns that make a checkout key: an IN closes an OUT with the same.
const KEY_COLUMNS: &str = "daemon, feature, user_name, host, licenses";

/// Rebuild the sessions of `server` from its OUT and IN events, in SQL: each IN closes the
/// oldest open OUT of the same daemon, feature, user, host and license count (as
/// [`crate::store::sessions::sessions_from_log`] does in memory). Per key, the walk `s` (OUTs
/// minus INs so far) reflected at zero is the queue of open OUTs; each time the walk reaches
/// a new low below zero an IN found the queue empty (an orphan: a session of unknown start,
/// the log began while the license was out). The n-th IN that closes something closes the
/// n-th OUT. OUTs left open stay open, last seen at the server's last OUT or IN. Two window
/// passes and one join, so DuckDB can spill instead of holding the log.
///
/// With `after` (the server's last OUT or IN before this import, when every new event
/// comes later) only the new events are walked: what closed before them is final, and the
/// open log sessions are the queue they start from.
fn rebuild_log_sessions(
    tx: &duckdb::Connection,
    server: &str,
    after: Option<NaiveDateTime>,
) -> Result<(), StoreError> {
    let replaced = if after.is_some() {
        "ended_at IS NULL"
    } else {
        "TRUE"
    };
    // The open log sessions are the queue the new events start from: kept aside first.
    tx.execute(
        "CREATE OR REPLACE TEMP TABLE open_log_sessions AS
         SELECT started_at, vendor, feature, user_name, host, licenses FROM sessions
         WHERE server = ?1 AND source = 'log' AND ended_at IS NULL AND ?2",
        params![server, after.is_some()],
    )?;
    tx.execute(
        &format!("DELETE FROM sessions WHERE server = ?1 AND source = 'log' AND {replaced}"),
        params![server],
    )?;
    // Windows run over a key's 64-bit hash: sorting one integer is three times faster than
    // sorting five columns of text. Should two keys of this server share a hash, the exact
    // columns are used instead.
    // What is walked: the events (all, or the new ones after the open log sessions).
    let walked = format!(
        "SELECT ts, line, source, seq, kind = ?2 AS is_out, {KEY_COLUMNS}
         FROM events WHERE server = ?1 AND kind IN (?2, ?3)
               AND (ts > ?4 OR ?4::TIMESTAMP IS NULL)
         UNION ALL
         SELECT started_at, 0, '', 0, TRUE, vendor, feature, user_name, host, licenses
         FROM open_log_sessions WHERE ?5"
    );
    let params = params![
        server,
        EventKind::Out.as_str(),
        EventKind::In.as_str(),
        after,
        after.is_some()
    ];
    let collisions: i64 = tx.query_row(
        &format!(
            "SELECT count(*) FROM (
                 SELECT hash({KEY_COLUMNS}) AS kid FROM ({walked})
                 GROUP BY kid HAVING count(DISTINCT ({KEY_COLUMNS})) > 1)"
        ),
        params,
        |r| r.get(0),
    )?;
    let kid = if collisions == 0 {
        format!("hash({KEY_COLUMNS})")
    } else {
        format!("dense_rank() OVER (ORDER BY {KEY_COLUMNS})")
    };
    let by_key = "PARTITION BY kid ORDER BY ts, line, source, seq";
    tx.execute(
        &format!(
            "INSERT INTO sessions
             WITH ev AS MATERIALIZED (SELECT *, {kid} AS kid FROM ({walked})),
             keys AS (SELECT DISTINCT kid, {KEY_COLUMNS} FROM ev),
             walk AS (
                 SELECT kid, ts, line, source, seq, is_out,
                     sum(CASE WHEN is_out THEN 1 ELSE -1 END) OVER
                         ({by_key} ROWS UNBOUNDED PRECEDING) AS s,
                     sum(CASE WHEN is_out THEN 1 ELSE 0 END) OVER
                         ({by_key} ROWS UNBOUNDED PRECEDING) AS out_no,
                     sum(CASE WHEN is_out THEN 0 ELSE 1 END) OVER
                         ({by_key} ROWS UNBOUNDED PRECEDING) AS in_count
                 FROM ev
             ),
             paired AS MATERIALIZED (
                 SELECT kid, ts, is_out, out_no,
                     -least(0, min(s) OVER ({by_key} ROWS UNBOUNDED PRECEDING)) AS orphans,
                     -least(0, coalesce(min(s) OVER
                         ({by_key} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0))
                         AS orphans_before,
                     in_count,
                     sum(CASE WHEN is_out THEN 0 ELSE 1 END) OVER (PARTITION BY kid)
                         + least(0, min(s) OVER (PARTITION BY kid)) AS closing_total
                 FROM walk
             ),
             last AS (SELECT max(ts) AS ts FROM (SELECT ts FROM paired UNION ALL SELECT ?4::TIMESTAMP)),
             closing AS (
                 SELECT kid, ts, in_count - orphans AS in_no FROM paired
                 WHERE NOT is_out AND orphans = orphans_before
             ),
             outs AS (SELECT kid, ts, out_no, closing_total FROM paired WHERE is_out),
             found AS (
                 SELECT i.kid, o.ts AS started_at, o.ts AS first_seen, i.ts AS last_seen,
                        i.ts AS ended_at
                 FROM closing i JOIN outs o ON o.kid = i.kid AND o.out_no = i.in_no
                 UNION ALL
                 SELECT kid, NULL, ts, ts, ts FROM paired
                 WHERE NOT is_out AND orphans > orphans_before
                 UNION ALL
                 SELECT o.kid, o.ts, o.ts, last.ts, NULL FROM outs o, last
                 WHERE o.out_no > o.closing_total
             )
             SELECT ?1, k.daemon, k.feature, k.user_name, k.host, k.host, '', '', NULL,
                    k.licenses, f.started_at, f.first_seen, f.last_seen, f.ended_at, 'log'
             FROM found f JOIN keys k USING (kid)"
        ),
        params,
    )?;
    tx.execute_batch("DROP TABLE open_log_sessions")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
    use proptest::prelude::*;

    use super::*;
    use crate::parse::debuglog::Event;
    use crate::store::sessions::{sessions_from_log, LogCheckout};

    type Row = (
        Option<String>,
        String,
        String,
        String,
        u32,
        Option<NaiveDateTime>,
        NaiveDateTime,
        NaiveDateTime,
        Option<NaiveDateTime>,
    );

    fn stored_sessions(store: &Store) -> Vec<Row> {
        let mut stmt = store
            .conn()
            .prepare(
                "SELECT vendor, feature, user_name, host, licenses, started_at, first_seen,
                        last_seen, ended_at FROM sessions WHERE source = 'log'",
            )
            .expect("prepare");
        let mut rows: Vec<Row> = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ))
            })
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        rows.sort();
        rows
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// The SQL pairing gives the sessions the in-memory pairing gives, for any order of
        /// OUTs and INs over a few keys: orphan INs, OUTs never closed, repeats on a second.
        #[test]
        fn sql_pairing_matches_the_in_memory_pairing(
            steps in prop::collection::vec((0u8..3, 0u8..2, any::<bool>(), -1i64..3), 1..60),
            split in 0usize..60,
            in_order in any::<bool>(),
        ) {
            let start = NaiveDate::from_ymd_opt(2026, 3, 2)
                .and_then(|d| d.and_hms_opt(8, 0, 0))
                .expect("valid");
            let mut ts = start;
            let mut events = Vec::new();
            for (line, &(user, licenses, out, gap)) in steps.iter().enumerate() {
                ts += TimeDelta::seconds(gap);
                events.push(Event {
                    ts,
                    daemon: Cow::Borrowed("MLM"),
                    kind: if out { EventKind::Out } else { EventKind::In },
                    feature: Cow::Borrowed("MATLAB"),
                    user: Cow::Owned(format!("u{user}")),
                    host: Cow::Borrowed("h"),
                    licenses: u32::from(licenses) + 1,
                    reason: None,
                    code: None,
                    line: line + 1,
                });
            }
            // Imported as two logs (the second an hour after the first: no event in both), in
            // either order: walked on from the open sessions, or all walked again.
            let split = split % events.len();
            for e in &mut events[split..] {
                e.ts += TimeDelta::hours(1);
            }
            let part = |events: &[Event<'static>]| DebugLog {
                events: events.to_vec(),
                server: None,
                issues: Vec::new(),
            };
            let (first, second) = (part(&events[..split]), part(&events[split..]));
            let parts = if in_order { [("a.log", &first), ("b.log", &second)] } else { [("b.log", &second), ("a.log", &first)] };
            let mut store = Store::in_memory().expect("store");
            for (source, log) in parts {
                let (added, known) = store.ingest_events("s", source, Zone::UTC, log).expect("ingest");
                prop_assert_eq!((added, known), (log.events.len(), 0));
            }
            let log = part(&events);
            let checkouts = events
                .iter()
                .map(|e| LogCheckout {
                    ts: e.ts,
                    daemon: e.daemon.to_string(),
                    out: e.kind == EventKind::Out,
                    feature: e.feature.to_string(),
                    user: e.user.to_string(),
                    host: e.host.to_string(),
                    licenses: e.licenses,
                })
                .collect();
            let mut expected: Vec<Row> = sessions_from_log("s", checkouts)
                .into_iter()
                .map(|s| (s.vendor, s.feature, s.user_name, s.host, s.licenses, s.started_at,
                          s.first_seen, s.last_seen, s.ended_at))
                .collect();
            expected.sort();
            prop_assert_eq!(stored_sessions(&store), expected.clone());
            // The whole log again adds nothing and changes no session.
            let again = store.ingest_events("s", "all.log", Zone::UTC, &log).expect("again");
            prop_assert_eq!(again, (0, events.len()));
            prop_assert_eq!(stored_sessions(&store), expected);
        }
    }
}

#[cfg(test)]
mod numbering_tests {
    use std::borrow::Cow;

    use chrono::{NaiveDate, TimeDelta};

    use super::*;
    use crate::parse::debuglog::Event;

    /// A log whose time goes back more than a day leaves the numbering to SQL, and every
    /// event is still stored once, however the repeats fall.
    #[test]
    fn a_log_going_back_in_time_is_numbered_by_sql() {
        let t = NaiveDate::from_ymd_opt(2026, 3, 2)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .expect("valid");
        let event = |ts, line| Event {
            ts,
            daemon: Cow::Borrowed("MLM"),
            kind: EventKind::Out,
            feature: Cow::Borrowed("MATLAB"),
            user: Cow::Borrowed("u"),
            host: Cow::Borrowed("h"),
            licenses: 1,
            reason: None,
            code: None,
            line,
        };
        let later = t + TimeDelta::days(2);
        let events = vec![event(t, 1), event(later, 2), event(t, 3), event(later, 4)];
        let mut store = Store::in_memory().expect("store");
        let (batches, _, summary) = batch_whole(Zone::UTC, &events).expect("batch");
        assert!(!summary.numbered, "the third event is two days back");
        let mut import = store.begin_log(Some("s"), "a.log").expect("begin");
        import.insert_events(rows(batches)).expect("insert");
        assert_eq!(import.inserted, Inserted::Direct(4), "straight into events");
        assert_eq!(
            import.commit("s", &summary, None).expect("commit"),
            Some((4, 0))
        );
        let seqs: Vec<i32> = store
            .conn()
            .prepare("SELECT seq FROM events ORDER BY line")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(seqs, [1, 1, 2, 2]);
        let log = DebugLog {
            events,
            server: None,
            issues: Vec::new(),
        };
        assert_eq!(
            store
                .ingest_events("s", "b.log", Zone::UTC, &log)
                .expect("again"),
            (0, 4)
        );
    }
}

#[cfg(test)]
mod import_tests {
    use std::borrow::Cow;

    use chrono::{NaiveDate, NaiveDateTime, TimeDelta};

    use super::*;
    use crate::parse::debuglog::Event;
    use crate::store::event_batches::BATCH_ROWS;

    fn out(ts: NaiveDateTime, user: String, line: usize) -> Event<'static> {
        Event {
            ts,
            daemon: Cow::Borrowed("MLM"),
            kind: EventKind::Out,
            feature: Cow::Borrowed("MATLAB"),
            user: Cow::Owned(user),
            host: Cow::Borrowed("h"),
            licenses: 1,
            reason: None,
            code: None,
            line,
        }
    }

    fn log(events: Vec<Event<'static>>) -> DebugLog {
        DebugLog {
            events,
            server: None,
            issues: Vec::new(),
        }
    }

    fn count(store: &Store, table: &str) -> i64 {
        store
            .conn()
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .expect("count")
    }

    /// A log whose first batch comes after the stored events but which later goes back
    /// before them went straight into `events` first: it is rolled back and imported
    /// again, so the stored event it repeats is still stored once.
    #[test]
    fn a_log_going_back_after_its_first_batch_is_imported_again() {
        let t = NaiveDate::from_ymd_opt(2026, 3, 2)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .expect("valid");
        let mut store = Store::in_memory().expect("store");
        let stored = out(t, "u0".into(), 1);
        assert_eq!(
            store
                .ingest_events("s", "a.log", Zone::UTC, &log(vec![stored.clone()]))
                .expect("first"),
            (1, 0)
        );
        let mut events: Vec<Event<'static>> = (0..BATCH_ROWS)
            .map(|i| {
                let ts = t + TimeDelta::hours(1) + TimeDelta::seconds(i as i64);
                out(ts, format!("u{}", i % 7), i + 1)
            })
            .collect();
        events.push(Event {
            line: BATCH_ROWS + 1,
            ..stored
        });
        events.push(out(t - TimeDelta::hours(1), "u9".into(), BATCH_ROWS + 2));
        assert_eq!(
            store
                .ingest_events("s", "b.log", Zone::UTC, &log(events))
                .expect("second"),
            (BATCH_ROWS + 1, 1)
        );
        assert_eq!(count(&store, "events"), BATCH_ROWS as i64 + 2);
        assert_eq!(
            count(&store, "sessions"),
            BATCH_ROWS as i64 + 2,
            "one open session per OUT"
        );
    }

    /// Rows stored as one server are not kept when the log names another at its end.
    #[test]
    fn a_log_naming_another_server_at_its_end_is_rolled_back() {
        let t = NaiveDate::from_ymd_opt(2026, 3, 2)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .expect("valid");
        let store = Store::in_memory().expect("store");
        let (events, sessions, summary) =
            batch_whole(Zone::UTC, &[out(t, "u".into(), 1)]).expect("batch");
        let mut import = store.begin_log(Some("a"), "x.log").expect("begin");
        import.insert_events(rows(events)).expect("insert");
        assert_eq!(
            import
                .commit("b", &summary, Some(rows(sessions)))
                .expect("commit"),
            None
        );
        assert_eq!(count(&store, "events"), 0);
        assert_eq!(count(&store, "sessions"), 0);
    }
}
