//! Debug-log events turned into Arrow batches as the log is read: times converted to UTC,
//! repeats on the same second numbered, each IN paired with its OUT. No store here, so
//! this runs on the reading thread while another appends the batches
//! ([`crate::store::events`]).

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use chrono::NaiveDateTime;
use duckdb::arrow::array::{
    ArrayRef, AsArray, Int32Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use duckdb::arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
pub use duckdb::arrow::error::ArrowError;
use duckdb::arrow::record_batch::RecordBatch;

use crate::parse::debuglog::{Event, EventKind};
use crate::parse::zone::Zone;

/// Rows gathered column by column before each batch: DuckDB takes Arrow batches far
/// faster than rows one at a time.
pub const BATCH_ROWS: usize = 16_384;

/// An events batch's columns, named as in the store's `events` table.
pub const EVENT_COLUMNS: [&str; 11] = [
    "daemon",
    "kind",
    "feature",
    "user_name",
    "host",
    "reason",
    "code",
    "ts",
    "line",
    "licenses",
    "seq",
];

/// A sessions batch's columns: sessions paired as the log was read.
pub const SESSION_COLUMNS: [&str; 9] = [
    "vendor",
    "feature",
    "user_name",
    "host",
    "started_at",
    "first_seen",
    "last_seen",
    "ended_at",
    "licenses",
];

/// A batch of rows ready to store.
pub enum Batch {
    /// Events, in [`event_columns`].
    Events(RecordBatch),
    /// Sessions paired as read, in [`session_columns`].
    Sessions(RecordBatch),
}

/// The names and types of a batch's columns, as [`Columns`] lays them out.
fn layout(
    names: &'static [&'static str],
    texts: usize,
    times: usize,
    ints: usize,
) -> Vec<(&'static str, DataType)> {
    names
        .iter()
        .enumerate()
        .map(|(i, &name)| {
            let data_type = if i < texts {
                DataType::Utf8
            } else if i < texts + times {
                DataType::Timestamp(TimeUnit::Microsecond, None)
            } else if i < texts + times + ints {
                DataType::Int64
            } else {
                DataType::Int32
            };
            (name, data_type)
        })
        .collect()
}

/// An events batch's columns and types.
pub fn event_columns() -> Vec<(&'static str, DataType)> {
    layout(
        &EVENT_COLUMNS,
        EVENT_LAYOUT.0,
        EVENT_LAYOUT.1,
        EVENT_LAYOUT.2,
    )
}

/// A sessions batch's columns and types.
pub fn session_columns() -> Vec<(&'static str, DataType)> {
    layout(
        &SESSION_COLUMNS,
        SESSION_LAYOUT.0,
        SESSION_LAYOUT.1,
        SESSION_LAYOUT.2,
    )
}

/// How many of an events batch's columns are texts, times and 64-bit integers (the rest
/// are 32-bit).
const EVENT_LAYOUT: (usize, usize, usize) = (7, 1, 1);
const SESSION_LAYOUT: (usize, usize, usize) = (4, 4, 0);

/// The earliest event time in an events batch.
pub fn earliest_in(batch: &RecordBatch) -> Option<NaiveDateTime> {
    let times = batch
        .column_by_name("ts")?
        .as_primitive_opt::<TimestampMicrosecondType>()?;
    let micros = times.iter().flatten().min()?;
    chrono::DateTime::from_timestamp_micros(micros).map(|t| t.naive_utc())
}

/// What the whole log gave, known once it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchSummary {
    /// Events read.
    pub events: usize,
    /// The earliest event's time (UTC).
    pub earliest: Option<NaiveDateTime>,
    /// Whether every checkout key's OUTs and INs came in time order, so the sessions paired
    /// as the log was read are those the store's SQL walk gives.
    pub in_order: bool,
    /// Whether the repeats numbered as the log was read are those the SQL numbering gives.
    pub numbered: bool,
}

/// Columns of one batch on their way in.
struct Columns {
    texts: Vec<StringBuilder>,
    times: Vec<TimestampMicrosecondBuilder>,
    ints: Vec<Int64Builder>,
    small: Vec<Int32Builder>,
    names: &'static [&'static str],
    rows: usize,
}

impl Columns {
    /// Texts first, then times, then 64-bit and 32-bit integers, named by `names` in that
    /// order.
    fn new(names: &'static [&'static str], (texts, times, ints): (usize, usize, usize)) -> Self {
        Self {
            texts: (0..texts).map(|_| StringBuilder::new()).collect(),
            times: (0..times)
                .map(|_| TimestampMicrosecondBuilder::new())
                .collect(),
            ints: (0..ints).map(|_| Int64Builder::new()).collect(),
            small: (texts + times + ints..names.len())
                .map(|_| Int32Builder::new())
                .collect(),
            names,
            rows: 0,
        }
    }

    /// The rows gathered as one batch, or nothing when none were.
    fn take(&mut self) -> Result<Option<RecordBatch>, ArrowError> {
        if self.rows == 0 {
            return Ok(None);
        }
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.names.len());
        arrays.extend(
            self.texts
                .iter_mut()
                .map(|b| Arc::new(b.finish()) as ArrayRef),
        );
        arrays.extend(
            self.times
                .iter_mut()
                .map(|b| Arc::new(b.finish()) as ArrayRef),
        );
        arrays.extend(
            self.ints
                .iter_mut()
                .map(|b| Arc::new(b.finish()) as ArrayRef),
        );
        arrays.extend(
            self.small
                .iter_mut()
                .map(|b| Arc::new(b.finish()) as ArrayRef),
        );
        self.rows = 0;
        RecordBatch::try_from_iter(self.names.iter().zip(arrays)).map(Some)
    }
}

fn micros(ts: NaiveDateTime) -> i64 {
    ts.and_utc().timestamp_micros()
}

/// A fast hash for the in-memory maps (keys are log text, not attacker-chosen to collide
/// with any effect beyond a slower lookup): FNV-1a over the bytes written.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

fn hash_of(value: impl Hash) -> u64 {
    let mut hasher = Fnv::default();
    value.hash(&mut hasher);
    hasher.finish()
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
        let key = hash_of((
            ts,
            &*e.daemon,
            e.kind.as_str(),
            &*e.feature,
            &*e.user,
            &*e.host,
        ));
        let count = self.counts.entry(key).or_insert((ts, 0));
        count.1 += 1;
        count.1
    }
}

type CheckoutKey = (String, String, String, String, u32);

#[derive(Default)]
struct KeyState {
    last: Option<NaiveDateTime>,
    open: VecDeque<NaiveDateTime>,
}

/// `OUT`/`IN` paired as the log is read, in log order, as the SQL walk does in time order:
/// each IN closes the oldest open OUT of its key. Holds one entry per checkout key.
struct Pairing {
    keys: HashMap<u64, Vec<(CheckoutKey, KeyState)>>,
    columns: Columns,
    in_order: bool,
    last: Option<NaiveDateTime>,
}

impl Pairing {
    /// Pair `e`; true when a session was added.
    fn push(&mut self, e: &Event<'_>, ts: NaiveDateTime) -> bool {
        let out = match e.kind {
            EventKind::Out => true,
            EventKind::In => false,
            _ => return false,
        };
        self.last = self.last.max(Some(ts));
        let bucket = self
            .keys
            .entry(hash_of((
                &*e.daemon,
                &*e.feature,
                &*e.user,
                &*e.host,
                e.licenses,
            )))
            .or_default();
        let same = |k: &CheckoutKey| {
            k.0 == *e.daemon
                && k.1 == *e.feature
                && k.2 == *e.user
                && k.3 == *e.host
                && k.4 == e.licenses
        };
        let at = match bucket.iter().position(|(k, _)| same(k)) {
            Some(i) => i,
            None => {
                let key = (
                    e.daemon.to_string(),
                    e.feature.to_string(),
                    e.user.to_string(),
                    e.host.to_string(),
                    e.licenses,
                );
                bucket.push((key, KeyState::default()));
                bucket.len() - 1
            }
        };
        let state = &mut bucket[at].1;
        if state.last.is_some_and(|last| ts < last) {
            self.in_order = false;
        }
        state.last = Some(ts);
        if out {
            state.open.push_back(ts);
            return false;
        }
        let started = state.open.pop_front();
        session(
            &mut self.columns,
            [&e.daemon, &e.feature, &e.user, &e.host],
            e.licenses,
            [started, Some(started.unwrap_or(ts)), Some(ts), Some(ts)],
        );
        true
    }
}

fn session(c: &mut Columns, key: [&str; 4], licenses: u32, times: [Option<NaiveDateTime>; 4]) {
    for (b, text) in c.texts.iter_mut().zip(key) {
        b.append_value(text);
    }
    for (b, t) in c.times.iter_mut().zip(times) {
        b.append_option(t.map(micros));
    }
    c.small[0].append_value(i32::try_from(licenses).unwrap_or(i32::MAX));
    c.rows += 1;
}

/// A log's events into batches of [`BATCH_ROWS`], numbered and paired as they come.
pub struct EventBatcher {
    zone: Zone,
    columns: Columns,
    earliest: Option<NaiveDateTime>,
    events: usize,
    numbering: Numbering,
    pairing: Pairing,
}

impl EventBatcher {
    /// Batches of events whose times are in `zone`.
    pub fn new(zone: Zone) -> Self {
        Self {
            zone,
            columns: Columns::new(&EVENT_COLUMNS, EVENT_LAYOUT),
            earliest: None,
            events: 0,
            numbering: Numbering {
                counts: HashMap::new(),
                newest: None,
                prune_after: None,
                valid: true,
            },
            pairing: Pairing {
                keys: HashMap::new(),
                columns: Columns::new(&SESSION_COLUMNS, SESSION_LAYOUT),
                in_order: true,
                last: None,
            },
        }
    }

    /// Add one event; `out` gets each batch as it fills.
    pub fn push<E: From<ArrowError>>(
        &mut self,
        e: &Event<'_>,
        out: &mut impl FnMut(Batch) -> Result<(), E>,
    ) -> Result<(), E> {
        let ts = self.zone.to_utc(e.ts);
        if self.pairing.push(e, ts) && self.pairing.columns.rows >= BATCH_ROWS {
            if let Some(batch) = self.pairing.columns.take()? {
                out(Batch::Sessions(batch))?;
            }
        }
        let seq = self.numbering.next(e, ts);
        self.earliest = self.earliest.min(Some(ts)).or(Some(ts));
        self.events += 1;
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
        c.small[0].append_value(i32::try_from(e.licenses).unwrap_or(i32::MAX));
        c.ints[0].append_value(i64::try_from(e.line).unwrap_or(i64::MAX));
        c.small[1].append_value(seq);
        c.rows += 1;
        if c.rows >= BATCH_ROWS {
            self.flush_events(out)?;
        }
        Ok(())
    }

    fn flush_events<E: From<ArrowError>>(
        &mut self,
        out: &mut impl FnMut(Batch) -> Result<(), E>,
    ) -> Result<(), E> {
        if let Some(batch) = self.columns.take()? {
            out(Batch::Events(batch))?;
        }
        Ok(())
    }

    /// The last rows, the OUTs never closed (open sessions, last seen at the log's last
    /// OUT or IN), and what the log gave.
    pub fn finish<E: From<ArrowError>>(
        mut self,
        out: &mut impl FnMut(Batch) -> Result<(), E>,
    ) -> Result<BatchSummary, E> {
        self.flush_events(out)?;
        let pairing = &mut self.pairing;
        let keys = std::mem::take(&mut pairing.keys);
        for (key, state) in keys.values().flatten() {
            for &started in &state.open {
                session(
                    &mut pairing.columns,
                    [&key.0, &key.1, &key.2, &key.3],
                    key.4,
                    [Some(started), Some(started), pairing.last, None],
                );
                if pairing.columns.rows >= BATCH_ROWS {
                    if let Some(batch) = pairing.columns.take()? {
                        out(Batch::Sessions(batch))?;
                    }
                }
            }
        }
        if let Some(batch) = pairing.columns.take()? {
            out(Batch::Sessions(batch))?;
        }
        Ok(BatchSummary {
            events: self.events,
            earliest: self.earliest,
            in_order: self.pairing.in_order,
            numbered: self.numbering.valid,
        })
    }
}

/// A log held in memory batched whole: its events' batches, its sessions' batches, and
/// what it gave (small logs and tests; [`EventBatcher`] streams a log of any size).
pub fn batch_whole(
    zone: Zone,
    events: &[Event<'_>],
) -> Result<(Vec<RecordBatch>, Vec<RecordBatch>, BatchSummary), ArrowError> {
    let mut batcher = EventBatcher::new(zone);
    let (mut event_rows, mut session_rows) = (Vec::new(), Vec::new());
    let mut keep = |batch| {
        match batch {
            Batch::Events(rows) => event_rows.push(rows),
            Batch::Sessions(rows) => session_rows.push(rows),
        }
        Ok::<_, ArrowError>(())
    };
    for e in events {
        batcher.push(e, &mut keep)?;
    }
    let summary = batcher.finish(&mut keep)?;
    Ok((event_rows, session_rows, summary))
}
