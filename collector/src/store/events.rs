//! Debug-log events into the store in bounded memory: each event is appended to a staging
//! table as the log is read; DuckDB then numbers repeats, skips what is already stored and
//! pairs OUT with IN into sessions, spilling to disk rather than holding the log in memory.

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};

use std::sync::Arc;

use chrono::NaiveDateTime;
use duckdb::arrow::array::{ArrayRef, Int64Builder, StringBuilder, TimestampMicrosecondBuilder};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::{params, Appender};

use crate::parse::debuglog::{DebugLog, Event, EventKind};
use crate::parse::zone::Zone;
use crate::store::db::{Store, StoreError};
use crate::timings::Timings;

/// The staging table: one log's events before they are numbered and stored.
const STAGE: &str = "staged_events";

/// Rows gathered column by column before each append: DuckDB takes Arrow batches far
/// faster than rows one at a time.
const BATCH_ROWS: usize = 16_384;

/// A staging table's rows on their way in, as Arrow columns.
struct Columns {
    texts: Vec<StringBuilder>,
    times: Vec<TimestampMicrosecondBuilder>,
    ints: Vec<Int64Builder>,
    rows: usize,
}

impl Columns {
    fn new(texts: usize, times: usize, ints: usize) -> Self {
        Self {
            texts: (0..texts).map(|_| StringBuilder::new()).collect(),
            times: (0..times)
                .map(|_| TimestampMicrosecondBuilder::new())
                .collect(),
            ints: (0..ints).map(|_| Int64Builder::new()).collect(),
            rows: 0,
        }
    }

    /// Append what was gathered, texts first, then times, then integers (the staging
    /// tables' column order).
    fn flush(&mut self, appender: &mut Appender<'_>) -> Result<(), StoreError> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut columns: Vec<(String, ArrayRef)> = Vec::new();
        for b in &mut self.texts {
            columns.push((format!("c{}", columns.len()), Arc::new(b.finish())));
        }
        for b in &mut self.times {
            columns.push((format!("c{}", columns.len()), Arc::new(b.finish())));
        }
        for b in &mut self.ints {
            columns.push((format!("c{}", columns.len()), Arc::new(b.finish())));
        }
        let batch = RecordBatch::try_from_iter(columns)
            .map_err(|e| StoreError::Query(duckdb::Error::ToSqlConversionFailure(Box::new(e))))?;
        appender.append_record_batch(batch)?;
        self.rows = 0;
        Ok(())
    }
}

fn micros(ts: NaiveDateTime) -> i64 {
    ts.and_utc().timestamp_micros()
}

/// The sessions paired as the log is read, for a server's first log.
const STAGED_SESSIONS: &str = "staged_sessions";

/// Events of one log on their way into the store; see [`Store::stage_events`].
pub struct EventStage<'s> {
    appender: Appender<'s>,
    columns: Columns,
    zone: Zone,
    staged: usize,
    pairing: Pairing<'s>,
    numbering: Numbering,
}

/// What was staged: see [`EventStage::finish`].
pub struct Staged {
    /// Events appended.
    pub events: usize,
    /// Whether every checkout key's OUTs and INs came in time order, so the sessions paired
    /// as the log was read are those the SQL walk gives.
    in_order: bool,
    /// Whether the repeats numbered as the log was read are those the SQL numbering gives.
    numbered: bool,
}

/// Repeats of an event on the same second numbered as the log is read (`seq`), as the SQL
/// numbering does: by a hash of the event, in log order. Only the last day of the log's
/// time is held; an event older than that (a log whose time goes back) leaves the numbering
/// to SQL.
struct Numbering {
    counts: HashMap<u64, (NaiveDateTime, i32)>,
    newest: Option<NaiveDateTime>,
    prune_after: Option<NaiveDateTime>,
    valid: bool,
}

/// How far back in the log's time repeats are still counted.
const NUMBERING_WINDOW: chrono::TimeDelta = chrono::TimeDelta::days(1);

impl Numbering {
    fn next(&mut self, e: &Event<'_>, ts: NaiveDateTime) -> i32 {
        let newest = self.newest.map_or(ts, |n| n.max(ts));
        self.newest = Some(newest);
        if ts < newest - NUMBERING_WINDOW {
            self.valid = false;
        }
        if self.prune_after.is_none_or(|p| newest > p) {
            self.counts
                .retain(|_, (t, _)| *t >= newest - NUMBERING_WINDOW);
            self.prune_after = Some(newest + chrono::TimeDelta::hours(1));
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (
            ts,
            &*e.daemon,
            e.kind.as_str(),
            &*e.feature,
            &*e.user,
            &*e.host,
        )
            .hash(&mut hasher);
        let count = self.counts.entry(hasher.finish()).or_insert((ts, 0));
        count.1 += 1;
        count.1
    }
}

/// `OUT`/`IN` paired as the log is read, in log order, as the SQL walk does in time order:
/// each IN closes the oldest open OUT of its key. Holds one entry per checkout key.
struct Pairing<'s> {
    keys: HashMap<u64, Vec<(CheckoutKey, KeyState)>>,
    sessions: Appender<'s>,
    columns: Columns,
    in_order: bool,
    last: Option<NaiveDateTime>,
}

type CheckoutKey = (String, String, String, String, u32);

#[derive(Default)]
struct KeyState {
    last: Option<NaiveDateTime>,
    open: VecDeque<NaiveDateTime>,
}

impl Pairing<'_> {
    fn push(&mut self, e: &Event<'_>, ts: NaiveDateTime) -> Result<(), StoreError> {
        let out = match e.kind {
            EventKind::Out => true,
            EventKind::In => false,
            _ => return Ok(()),
        };
        self.last = self.last.max(Some(ts));
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (&*e.daemon, &*e.feature, &*e.user, &*e.host, e.licenses).hash(&mut hasher);
        let bucket = self.keys.entry(hasher.finish()).or_default();
        let same = |k: &CheckoutKey| {
            k.0 == *e.daemon
                && k.1 == *e.feature
                && k.2 == *e.user
                && k.3 == *e.host
                && k.4 == e.licenses
        };
        let state = match bucket.iter().position(|(k, _)| same(k)) {
            Some(i) => &mut bucket[i].1,
            None => {
                let key = (
                    e.daemon.to_string(),
                    e.feature.to_string(),
                    e.user.to_string(),
                    e.host.to_string(),
                    e.licenses,
                );
                bucket.push((key, KeyState::default()));
                let last = bucket.len() - 1;
                &mut bucket[last].1
            }
        };
        if state.last.is_some_and(|last| ts < last) {
            self.in_order = false;
        }
        state.last = Some(ts);
        if out {
            state.open.push_back(ts);
            return Ok(());
        }
        let started = state.open.pop_front();
        self.session(
            [&e.daemon, &e.feature, &e.user, &e.host],
            e.licenses,
            [started, Some(started.unwrap_or(ts)), Some(ts), Some(ts)],
        )
    }

    fn session(
        &mut self,
        key: [&str; 4],
        licenses: u32,
        times: [Option<NaiveDateTime>; 4],
    ) -> Result<(), StoreError> {
        let c = &mut self.columns;
        for (b, text) in c.texts.iter_mut().zip(key) {
            b.append_value(text);
        }
        for (b, t) in c.times.iter_mut().zip(times) {
            b.append_option(t.map(micros));
        }
        c.ints[0].append_value(i64::from(licenses));
        c.rows += 1;
        if c.rows >= BATCH_ROWS {
            c.flush(&mut self.sessions)?;
        }
        Ok(())
    }

    /// The OUTs never closed: open sessions, last seen at the log's last OUT or IN.
    fn finish(mut self) -> Result<bool, StoreError> {
        let keys = std::mem::take(&mut self.keys);
        for (key, state) in keys.values().flatten() {
            for &started in &state.open {
                self.session(
                    [&key.0, &key.1, &key.2, &key.3],
                    key.4,
                    [Some(started), Some(started), self.last, None],
                )?;
            }
        }
        self.columns.flush(&mut self.sessions)?;
        self.sessions.flush()?;
        Ok(self.in_order)
    }
}

impl EventStage<'_> {
    /// Append one event (its time converted to UTC).
    pub fn push(&mut self, e: &Event<'_>) -> Result<(), StoreError> {
        let ts = self.zone.to_utc(e.ts);
        self.pairing.push(e, ts)?;
        let seq = self.numbering.next(e, ts);
        let c = &mut self.columns;
        let texts = [
            Some(&*e.daemon),
            Some(e.kind.as_str()),
            Some(&*e.feature),
            Some(&*e.user),
            Some(&*e.host),
            e.reason.as_deref(),
            e.code.as_deref(),
        ];
        for (b, text) in c.texts.iter_mut().zip(texts) {
            b.append_option(text);
        }
        c.times[0].append_value(micros(ts));
        c.ints[0].append_value(i64::from(e.licenses));
        c.ints[1].append_value(i64::try_from(e.line).unwrap_or(i64::MAX));
        c.ints[2].append_value(i64::from(seq));
        c.rows += 1;
        if c.rows >= BATCH_ROWS {
            c.flush(&mut self.appender)?;
        }
        self.staged += 1;
        Ok(())
    }

    /// Write the last buffered rows to the staging tables.
    pub fn finish(mut self) -> Result<Staged, StoreError> {
        self.columns.flush(&mut self.appender)?;
        self.appender.flush()?;
        let in_order = self.pairing.finish()?;
        Ok(Staged {
            events: self.staged,
            in_order,
            numbered: self.numbering.valid,
        })
    }
}

impl Store {
    /// Start importing one log: an empty staging table (temporary, so a crash leaves the
    /// store as it was) and an Appender into it. Call [`Store::commit_events`] after
    /// [`EventStage::finish`].
    pub fn stage_events(&self, zone: Zone) -> Result<EventStage<'_>, StoreError> {
        self.conn().execute_batch(&format!(
            "CREATE OR REPLACE TEMP TABLE {STAGE} (
                daemon VARCHAR, kind VARCHAR, feature VARCHAR, user_name VARCHAR, host VARCHAR,
                reason VARCHAR, code VARCHAR, ts TIMESTAMP, licenses BIGINT, line BIGINT,
                seq BIGINT)"
        ))?;
        self.conn().execute_batch(&format!(
            "CREATE OR REPLACE TEMP TABLE {STAGED_SESSIONS} (
                daemon VARCHAR, feature VARCHAR, user_name VARCHAR, host VARCHAR,
                started_at TIMESTAMP, first_seen TIMESTAMP, last_seen TIMESTAMP,
                ended_at TIMESTAMP, licenses BIGINT)"
        ))?;
        Ok(EventStage {
            appender: self.conn().appender(STAGE)?,
            columns: Columns::new(7, 1, 3),
            zone,
            staged: 0,
            pairing: Pairing {
                keys: HashMap::new(),
                sessions: self.conn().appender(STAGED_SESSIONS)?,
                columns: Columns::new(4, 4, 1),
                in_order: true,
                last: None,
            },
            numbering: Numbering {
                counts: HashMap::new(),
                newest: None,
                prune_after: None,
                valid: true,
            },
        })
    }

    /// Store the staged events of the log `source` as events of `server`, in one
    /// transaction: repeats of the same event on the same second are numbered by their
    /// order in the log (`seq`), so re-importing the log, or a longer version of it, adds
    /// only what is new. (Repeats are found by a hash of the event: should two different
    /// events share one, they are numbered as one group, which keeps both and still
    /// numbers the same log the same way every time.) The server's log sessions are rebuilt from all its events.
    /// Returns how many events were added and how many were already stored.
    pub fn commit_events(
        &mut self,
        server: &str,
        source: &str,
        staged_log: &Staged,
    ) -> Result<(usize, usize), StoreError> {
        let mut timings = Timings::from_env("import log");
        let tx = self.conn_mut().transaction()?;
        let (staged, staged_first): (i64, Option<NaiveDateTime>) =
            tx.query_row(&format!("SELECT count(*), min(ts) FROM {STAGE}"), [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        // The server's last stored event, and its last OUT or IN.
        let (stored_last, pairing_last): (Option<NaiveDateTime>, Option<NaiveDateTime>) = tx
            .query_row(
                "SELECT max(ts), max(ts) FILTER (WHERE kind IN (?2, ?3)) FROM events
                 WHERE server = ?1",
                params![server, EventKind::Out.as_str(), EventKind::In.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
        let later = |last: Option<NaiveDateTime>| match (last, staged_first) {
            (Some(last), Some(first)) => first > last,
            _ => true,
        };
        let numbered = format!(
            "SELECT ?1 AS server, daemon, ts, kind, feature, user_name, host, licenses,
                    reason, code,
                    row_number() OVER (
                        PARTITION BY hash(ts, daemon, kind, feature, user_name, host)
                        ORDER BY line)::INTEGER AS seq,
                    ?2 AS source, line
             FROM {STAGE}"
        );
        // A log that starts after everything stored (the first import, the next day's log)
        // cannot repeat a stored event: no need to look for one.
        let insert = if later(stored_last) && staged_log.numbered {
            format!(
                "INSERT INTO events
                 SELECT ?1, daemon, ts, kind, feature, user_name, host, licenses, reason, code,
                        seq, ?2, line
                 FROM {STAGE}"
            )
        } else if later(stored_last) {
            format!("INSERT INTO events {numbered}")
        } else {
            format!(
                "INSERT INTO events
                 SELECT n.* FROM ({numbered}) n
                 ANTI JOIN events e
                     USING (server, ts, daemon, kind, feature, user_name, host, seq)"
            )
        };
        let added = tx.execute(&insert, params![server, source])?;
        tx.execute_batch(&format!("DROP TABLE {STAGE}"))?;
        timings.step("events numbered and stored");
        if added > 0 && pairing_last.is_none() && staged_log.in_order {
            // The server's first OUTs and INs, in time order per key: the sessions paired
            // as the log was read are the walk's.
            tx.execute(
                &format!(
                    "INSERT INTO sessions
                     SELECT ?1, daemon, feature, user_name, host, host, '', '', NULL, licenses,
                            started_at, first_seen, last_seen, ended_at, 'log'
                     FROM {STAGED_SESSIONS}"
                ),
                params![server],
            )?;
            timings.step("sessions paired as read, stored");
        } else if added > 0 {
            // When every new event comes after the last stored OUT or IN, the sessions
            // closed before stay as they are; only the new events are walked.
            let after = pairing_last.filter(|_| later(pairing_last));
            rebuild_log_sessions(&tx, server, after)?;
            timings.step("sessions rebuilt");
        }
        tx.execute_batch(&format!("DROP TABLE {STAGED_SESSIONS}"))?;
        if added > 0 {
            // Events of any time, and sessions rebuilt from them: every month may differ.
            crate::store::marks::forget(&tx)?;
        }
        tx.commit()?;
        timings.step("committed");
        let staged = usize::try_from(staged).unwrap_or(0);
        Ok((added, staged.saturating_sub(added)))
    }

    /// Store the events of a log read whole (the demo's denials, small logs).
    pub fn ingest_events(
        &mut self,
        server: &str,
        source: &str,
        zone: Zone,
        log: &DebugLog,
    ) -> Result<(usize, usize), StoreError> {
        let mut stage = self.stage_events(zone)?;
        for e in &log.events {
            stage.push(e)?;
        }
        let staged = stage.finish()?;
        self.commit_events(server, source, &staged)
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
        let mut stage = store.stage_events(Zone::UTC).expect("stage");
        for e in &events {
            stage.push(e).expect("push");
        }
        let staged = stage.finish().expect("finish");
        assert!(!staged.numbered, "the third event is two days back");
        assert_eq!(
            store.commit_events("s", "a.log", &staged).expect("commit"),
            (4, 0)
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
