//! `lmscope import log`: debug logs into the store in bounded memory. One thread reads a
//! block at a time, parses and batches the events; DuckDB, on this one, stores the batches
//! as they come in one statement, so reading and storing overlap.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::{sync_channel, SyncSender};

use arrow_ipc::reader::StreamReader;
use arrow_ipc::writer::StreamWriter;
use duckdb::arrow::datatypes::{Field, Schema};
use duckdb::arrow::record_batch::RecordBatch;

use anyhow::{anyhow, bail, Context, Result};

use lmscope::parse::debuglog::LogParser;
use lmscope::parse::zone::Zone;
use lmscope::store::db::Store;
use lmscope::store::event_batches::{
    session_columns, ArrowError, Batch, BatchSummary, EventBatcher,
};
use lmscope::store::feed::Rows;
use lmscope::timings::Timings;

use super::chunks::{after_last_line, Chunks, BLOCK};
use super::import::report_issues_from;
use super::open_store;

/// Batches between the reading thread and the storing one: a few keep both busy, and
/// bound what is held (each is [`lmscope::store::event_batches::BATCH_ROWS`] rows).
const BATCHES_IN_FLIGHT: usize = 4;

pub(crate) fn import_logs(
    store_path: &Path,
    files: &[PathBuf],
    server: Option<&str>,
    zone: Zone,
) -> Result<ExitCode> {
    let store = open_store(store_path)?;
    store.limit_memory_for_import()?;
    let mut read = 0;
    for file in files {
        if import_log(&store, file, server, zone, BLOCK)? {
            read += 1;
        }
    }
    if read == 0 {
        bail!("nothing could be read from {} file(s)", files.len());
    }
    Ok(ExitCode::SUCCESS)
}

/// What one pass over a log did.
enum Pass {
    /// Nothing stored; the reason was said.
    Nothing,
    /// Stored: events added and already stored, under this server.
    Stored(usize, usize, String),
    /// Appended straight into `events`, but the log turned out to need staging (see
    /// [`lmscope::store::events::Staged::commit`]): rolled back.
    Again,
}

/// Import one debug log read `block` bytes at a time; false when it gave nothing.
fn import_log(
    store: &Store,
    file: &Path,
    server: Option<&str>,
    zone: Zone,
    block: usize,
) -> Result<bool> {
    let shown = file.display().to_string();
    let pass = match read_log(store, file, &shown, server, zone, block, true)? {
        // Read again through staging; its issues were reported the first time.
        Pass::Again => read_log(store, file, &shown, server, zone, block, false)?,
        pass => pass,
    };
    match pass {
        Pass::Stored(added, known, name) => {
            println!("{shown}: {added} event(s) added, {known} already stored (server {name})");
            Ok(true)
        }
        Pass::Nothing | Pass::Again => Ok(false),
    }
}

/// Read the log once. With `first_pass`, the server is known from the start when given or
/// named in the first block, so the events can go straight into `events`; issues are
/// reported only on the first pass.
fn read_log(
    store: &Store,
    file: &Path,
    shown: &str,
    server: Option<&str>,
    zone: Zone,
    block: usize,
    first_pass: bool,
) -> Result<Pass> {
    let mut timings = Timings::from_env("import log");
    let mut chunks = match Chunks::with_block(file, block) {
        Ok(chunks) => chunks,
        Err(e) => {
            eprintln!("{shown}: cannot read: {e}");
            return Ok(Pass::Nothing);
        }
    };
    let first = match chunks.next_piece(after_last_line) {
        Ok(first) => first,
        Err(e) => {
            eprintln!("{shown}: cannot read: {e}");
            return Ok(Pass::Nothing);
        }
    };
    let named_early = server.map(str::to_owned).or_else(|| {
        let (line, text) = first.as_ref()?;
        let mut probe = LogParser::new();
        probe.feed(text, *line, &mut |_| {});
        probe.server()
    });
    let known = named_early.as_deref().filter(|_| first_pass);
    let mut import = store
        .begin_log(known, shown)
        .with_context(|| format!("storing events of {shown}"))?;
    let spool = match import.wants_paired_sessions() {
        true => Some(Spool::create().with_context(|| format!("a temporary file for {shown}"))?),
        false => None,
    };
    let (sender, events) = sync_channel(BATCHES_IN_FLIGHT);
    let reading = Reading {
        chunks,
        first,
        zone,
        shown,
        report: first_pass,
        events: sender,
        spool,
    };
    let (read, stored) = std::thread::scope(|scope| {
        let reader = scope.spawn(move || reading.run());
        // Ends when the reader stops sending; stops the reader (no one receiving) when it
        // fails.
        let stored = import.insert_events(Box::new(events.into_iter().map(Ok)));
        (reader.join(), stored)
    });
    let read = read.map_err(|_| anyhow!("the reader of {shown} stopped unexpectedly"))?;
    stored.with_context(|| format!("storing events of {shown}"))?;
    let (summary, named, spool) = match read {
        Ok(read) => read,
        Err(ReadError::Io(e)) => {
            eprintln!("{shown}: cannot read: {e}");
            return Ok(Pass::Nothing);
        }
        Err(ReadError::Batch(e)) => {
            return Err(anyhow!(e)).with_context(|| format!("batching events of {shown}"))
        }
        Err(ReadError::Stopped) => bail!("storing events of {shown} stopped"),
    };
    timings.step("read, parsed and inserted");
    let Some(name) = server.map(str::to_owned).or(named) else {
        eprintln!("{shown}: the log names no server (no `lmgrd tcp-port` line); give --server");
        return Ok(Pass::Nothing);
    };
    if summary.events == 0 {
        eprintln!("{shown}: no license events found");
        return Ok(Pass::Nothing);
    }
    let sessions = spool
        .map(Spool::into_rows)
        .transpose()
        .with_context(|| format!("reading back the sessions of {shown}"))?;
    Ok(
        match import
            .commit(&name, &summary, sessions)
            .with_context(|| format!("storing events of {shown}"))?
        {
            Some((added, known)) => Pass::Stored(added, known, name),
            None => Pass::Again,
        },
    )
}

/// Why the reading thread stopped early.
enum ReadError {
    Io(io::Error),
    Batch(ArrowError),
    /// The storing side stopped receiving (it failed, and says why).
    Stopped,
}

impl From<ArrowError> for ReadError {
    fn from(e: ArrowError) -> Self {
        Self::Batch(e)
    }
}

/// The sessions paired as the log is read, on disk in Arrow's IPC format until the log's
/// events are stored: they come out as the reading ends, and are as many as half its
/// events.
struct Spool {
    writer: StreamWriter<BufWriter<File>>,
}

impl Spool {
    fn create() -> io::Result<Self> {
        let file = tempfile::tempfile()?;
        let schema = Schema::new(
            session_columns()
                .into_iter()
                .map(|(name, data_type)| Field::new(name, data_type, true))
                .collect::<Vec<_>>(),
        );
        let writer =
            StreamWriter::try_new(BufWriter::new(file), &schema).map_err(io::Error::other)?;
        Ok(Self { writer })
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<(), ReadError> {
        self.writer
            .write(batch)
            .map_err(|e| ReadError::Io(io::Error::other(e)))
    }

    /// Everything written, to read again from the start.
    fn into_rows(mut self) -> io::Result<Rows> {
        self.writer.finish().map_err(io::Error::other)?;
        let mut file = self
            .writer
            .into_inner()
            .map_err(io::Error::other)?
            .into_inner()
            .map_err(io::Error::other)?;
        file.seek(SeekFrom::Start(0))?;
        let reader = StreamReader::try_new(BufReader::new(file), None).map_err(io::Error::other)?;
        Ok(Box::new(
            reader.map(|batch| batch.map_err(|e| e.to_string())),
        ))
    }
}

/// The reading thread's work: every piece of the log parsed and batched, events into
/// `events`, sessions into the spool.
struct Reading<'a> {
    chunks: Chunks,
    first: Option<(usize, String)>,
    zone: Zone,
    shown: &'a str,
    report: bool,
    events: SyncSender<RecordBatch>,
    spool: Option<Spool>,
}

impl Reading<'_> {
    /// The log's summary, the server it names, and the sessions paired.
    #[allow(clippy::type_complexity)]
    fn run(self) -> Result<(BatchSummary, Option<String>, Option<Spool>), ReadError> {
        let Reading {
            mut chunks,
            first,
            zone,
            shown,
            report,
            events,
            mut spool,
        } = self;
        let mut parser = LogParser::new();
        let mut batcher = EventBatcher::new(zone);
        let mut send = |batch| match batch {
            Batch::Events(rows) => events.send(rows).map_err(|_| ReadError::Stopped),
            Batch::Sessions(rows) => match &mut spool {
                Some(spool) => spool.write(&rows),
                None => Ok(()),
            },
        };
        let mut piece = first;
        while let Some((first_line, text)) = piece {
            let mut failure = None;
            parser.feed(&text, first_line, &mut |e| {
                if failure.is_none() {
                    failure = batcher.push(&e, &mut send).err();
                }
            });
            let issues = parser.take_issues();
            if report {
                report_issues_from(shown, 0, &issues);
            }
            if let Some(e) = failure {
                return Err(e);
            }
            piece = chunks.next_piece(after_last_line).map_err(ReadError::Io)?;
        }
        let summary = batcher.finish(&mut send)?;
        let (named, issues) = parser.finish();
        if report {
            report_issues_from(shown, 0, &issues);
        }
        Ok((summary, named, spool))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use lmscope::parse::debuglog;
    use proptest::prelude::*;

    use super::*;
    use crate::cli::table_rows;

    const LOGS: [&str; 3] = [
        include_str!(
            "../../../tests/fixtures/debuglog/sergioedo__flexlm-license-elk__logstash_data_sample.log.txt"
        ),
        include_str!(
            "../../../tests/fixtures/debuglog/justbennet__flexlm_reporter__ansys_ansys.2017-01-08_17-17-45.log.txt"
        ),
        include_str!(
            "../../../tests/fixtures/debuglog/joseantoniovilar__Stats_Logs_FlexLM__data_raw_matlab.log.txt"
        ),
    ];

    fn file(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        let mut f = File::create(&path).expect("create");
        f.write_all(text.as_bytes()).expect("write");
        path
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// `import log` reading in blocks on its own thread stores exactly what storing
        /// the log read whole does: events and sessions, with or without the server given,
        /// with part of the log imported first (a log that grew since).
        #[test]
        fn the_streaming_import_stores_what_the_whole_log_import_stores(
            which in 0usize..3,
            block in 64usize..20_000,
            given in any::<bool>(),
            part in prop::option::of(0.0f64..1.0),
        ) {
            let dir = tempfile::tempdir().expect("dir");
            let text = LOGS[which];
            let cut = part.map(|f| {
                let at = text.floor_char_boundary((f * text.len() as f64) as usize);
                text[..at].rfind('\n').map_or(0, |i| i + 1)
            });
            let whole = debuglog::parse(text);
            let server = whole.server.clone().expect("the fixtures name their server");
            let streamed = Store::in_memory().expect("store");
            let read_whole = {
                let mut store = Store::in_memory().expect("store");
                if let Some(cut) = cut {
                    let log = debuglog::parse(&text[..cut]);
                    let source = dir.path().join("part.log").display().to_string();
                    if !log.events.is_empty() && log.server.is_some() {
                        store.ingest_events(&server, &source, Zone::UTC, &log).expect("part");
                    }
                }
                let source = dir.path().join("whole.log").display().to_string();
                store.ingest_events(&server, &source, Zone::UTC, &whole).expect("whole");
                store
            };
            let given = given.then_some(server.as_str());
            if let Some(cut) = cut {
                let path = file(dir.path(), "part.log", &text[..cut]);
                import_log(&streamed, &path, given, Zone::UTC, block).expect("part");
            }
            let path = file(dir.path(), "whole.log", text);
            prop_assert!(import_log(&streamed, &path, given, Zone::UTC, block).expect("whole"));
            prop_assert_eq!(table_rows(&streamed, "events"), table_rows(&read_whole, "events"));
            prop_assert_eq!(table_rows(&streamed, "sessions"), table_rows(&read_whole, "sessions"));
        }
    }
}
