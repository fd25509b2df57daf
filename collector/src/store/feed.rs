//! Rows streamed into one SQL statement: the table function `lmscope_feed(ID)` reads Arrow
//! batches from a channel as DuckDB asks for rows, so `INSERT INTO t SELECT … FROM
//! lmscope_feed(ID)` stores a stream of any length in one statement. DuckDB then writes
//! the rows as it does for any large insert, in bounded memory (an Appender inside a
//! transaction holds more with every flush), and the constant columns (`server`,
//! `source`) are written once in the SQL, not per row.

use std::error::Error;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use duckdb::arrow::array::{Array, AsArray};
use duckdb::arrow::datatypes::{
    DataType, Int32Type, Int64Type, TimeUnit, TimestampMicrosecondType,
};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::core::{DataChunkHandle, FlatVector, Inserter, LogicalTypeHandle, LogicalTypeId};
use duckdb::vtab::{BindInfo, InitInfo, TableFunctionInfo, VTab};
use duckdb::Connection;

/// How many rows a feed is estimated to hold.
const LONG_STREAM: u64 = 1 << 40;

/// The table function's name.
pub const FEED_FUNCTION: &str = "lmscope_feed";

/// Batches for one statement, or the error that ends it (the statement fails with it).
pub type Rows = Box<dyn Iterator<Item = Result<RecordBatch, String>> + Send>;

/// A stream of batches, all with `columns`, waiting for the statement that reads it.
pub struct Feed {
    columns: Vec<(&'static str, DataType)>,
    batches: Mutex<Rows>,
}

/// Feeds by id, from [`open`] until their [`FeedId`] is dropped.
static FEEDS: Mutex<Vec<(u64, Arc<Feed>)>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A feed's id, for `lmscope_feed(ID)`; the feed is forgotten when this is dropped.
pub struct FeedId(u64);

impl FeedId {
    /// The SQL that reads the feed (the id is a number lmscope made, not input).
    pub fn sql(&self) -> String {
        format!("{FEED_FUNCTION}({})", self.0)
    }
}

impl Drop for FeedId {
    fn drop(&mut self) {
        FEEDS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(id, _)| *id != self.0);
    }
}

/// Make `batches` (every one with `columns`: text, 32- or 64-bit integers, timestamps in
/// microseconds) readable as `lmscope_feed(ID)`. The statement ends where the batches do:
/// a caller reading them from a channel checks that the sender finished its work.
pub fn open(columns: &[(&'static str, DataType)], batches: Rows) -> FeedId {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let feed = Arc::new(Feed {
        columns: columns.to_vec(),
        batches: Mutex::new(batches),
    });
    FEEDS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push((id, feed));
    FeedId(id)
}

/// Register `lmscope_feed` on a connection.
pub fn register(conn: &Connection) -> duckdb::Result<()> {
    conn.register_table_function::<FeedFunction>(FEED_FUNCTION)
}

struct FeedFunction;

struct Bound {
    feed: Arc<Feed>,
}

/// The batch being read and how far.
#[derive(Default)]
struct Cursor {
    batch: Option<RecordBatch>,
    offset: usize,
}

struct Reading {
    cursor: Mutex<Cursor>,
}

fn logical_type(data_type: &DataType) -> Result<LogicalTypeHandle, Box<dyn Error>> {
    Ok(LogicalTypeHandle::from(match data_type {
        DataType::Utf8 => LogicalTypeId::Varchar,
        DataType::Int32 => LogicalTypeId::Integer,
        DataType::Int64 => LogicalTypeId::Bigint,
        DataType::Timestamp(TimeUnit::Microsecond, None) => LogicalTypeId::Timestamp,
        other => return Err(format!("{FEED_FUNCTION} cannot carry {other}").into()),
    }))
}

impl VTab for FeedFunction {
    type InitData = Reading;
    type BindData = Bound;

    fn bind(bind: &BindInfo) -> Result<Bound, Box<dyn Error>> {
        let id = u64::try_from(bind.get_parameter(0).to_int64())?;
        let feed = FEEDS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, feed)| Arc::clone(feed))
            .ok_or_else(|| format!("{FEED_FUNCTION}({id}): no such feed"))?;
        for (name, data_type) in &feed.columns {
            bind.add_result_column(name, logical_type(data_type)?);
        }
        // A stream of unknown length, taken as long: joined with a table, the table is the
        // side DuckDB builds its hash table on (and spills), never the stream.
        bind.set_cardinality(LONG_STREAM, false);
        Ok(Bound { feed })
    }

    fn init(_: &InitInfo) -> Result<Reading, Box<dyn Error>> {
        Ok(Reading {
            cursor: Mutex::new(Cursor::default()),
        })
    }

    fn func(
        info: &TableFunctionInfo<Self>,
        output: &mut DataChunkHandle,
    ) -> Result<(), Box<dyn Error>> {
        let feed = &info.get_bind_data().feed;
        let mut cursor = info
            .get_init_data()
            .cursor
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(batch) = &cursor.batch {
                if cursor.offset < batch.num_rows() {
                    break;
                }
            }
            let next = feed
                .batches
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .next();
            match next {
                Some(Ok(batch)) => {
                    *cursor = Cursor {
                        batch: Some(batch),
                        offset: 0,
                    }
                }
                Some(Err(e)) => return Err(e.into()),
                None => {
                    output.set_len(0);
                    return Ok(());
                }
            }
        }
        let Cursor { batch, offset } = &mut *cursor;
        let Some(batch) = batch else {
            output.set_len(0);
            return Ok(());
        };
        let rows = (batch.num_rows() - *offset).min(output.flat_vector(0).capacity());
        for (index, column) in batch.columns().iter().enumerate() {
            let mut vector = output.flat_vector(index);
            copy_rows(column.as_ref(), *offset, rows, &mut vector)?;
        }
        *offset += rows;
        output.set_len(rows);
        Ok(())
    }

    fn parameters() -> Option<Vec<LogicalTypeHandle>> {
        Some(vec![LogicalTypeHandle::from(LogicalTypeId::Bigint)])
    }
}

/// Rows `from..from + rows` of `column` into `vector`.
fn copy_rows(
    column: &dyn Array,
    from: usize,
    rows: usize,
    vector: &mut FlatVector,
) -> Result<(), Box<dyn Error>> {
    match column.data_type() {
        DataType::Utf8 => {
            let texts = column.as_string::<i32>();
            for row in 0..rows {
                if texts.is_null(from + row) {
                    vector.set_null(row);
                } else {
                    vector.insert(row, texts.value(from + row).as_bytes());
                }
            }
        }
        DataType::Int32 => copy_values(column.as_primitive::<Int32Type>(), from, rows, vector),
        DataType::Int64 => copy_values(column.as_primitive::<Int64Type>(), from, rows, vector),
        DataType::Timestamp(TimeUnit::Microsecond, None) => copy_values(
            column.as_primitive::<TimestampMicrosecondType>(),
            from,
            rows,
            vector,
        ),
        other => return Err(format!("{FEED_FUNCTION} cannot carry {other}").into()),
    }
    Ok(())
}

fn copy_values<T: duckdb::arrow::datatypes::ArrowPrimitiveType>(
    values: &duckdb::arrow::array::PrimitiveArray<T>,
    from: usize,
    rows: usize,
    vector: &mut FlatVector,
) {
    vector
        .as_mut_slice_with_len::<T::Native>(rows)
        .copy_from_slice(&values.values()[from..from + rows]);
    if values.null_count() > 0 {
        for row in 0..rows {
            if values.is_null(from + row) {
                vector.set_null(row);
            }
        }
    }
}
