//! The collector's DuckDB store: polls and their records go in here, sessions are kept
//! current, and `publish` copies from here.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use duckdb::{params, Connection, OptionalExt};

use crate::parse::lmstat::LmstatReport;
use crate::parse::lmstat_i::Entitlement;
use crate::parse::zone::Zone;
use crate::store::delta::{
    add_to_hours, daemon_gone, diff, extend_runs, feature_gone, feature_states, host_states,
    vendor_states, DaemonState, FeatureKey, FeatureState, HourAgg, PollOutcome, PollRun,
};
use crate::store::marks::{self, Touched};
use crate::store::schema::{STORE_TABLES, STORE_UPGRADES, STORE_VERSION, TABLES};
use crate::store::sessions::{Session, SessionTracker};

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store {path}: {source}")]
    Open {
        path: PathBuf,
        source: duckdb::Error,
    },
    #[error("the store {path} is in use by another lmscope run; waited {waited_seconds} s for it (LMSCOPE_LOCK_WAIT): {detail}")]
    Locked {
        path: PathBuf,
        waited_seconds: u64,
        detail: String,
    },
    #[error("store query failed: {0}")]
    Query(#[from] duckdb::Error),
    #[error("cannot build a batch of rows to store: {0}")]
    Batch(#[from] duckdb::arrow::error::ArrowError),
    #[error("rows to store could not be read: {0}")]
    Feed(String),
    #[error("the store {path} was written with schema version {found}; this lmscope uses version {expected}: start a new store (--store) and import again")]
    Version {
        path: PathBuf,
        found: String,
        expected: u32,
    },
}

/// How long a run waits for another run that holds the store (overlapping cron runs)
/// unless `LMSCOPE_LOCK_WAIT` gives seconds.
pub const DEFAULT_LOCK_WAIT_SECONDS: u64 = 120;

/// Open the DuckDB file at `path`, waiting while another process holds its lock: one
/// run's records are never lost to another's, they take turns.
fn open_waiting(path: &Path) -> Result<Connection, StoreError> {
    let wait = std::env::var("LMSCOPE_LOCK_WAIT")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(DEFAULT_LOCK_WAIT_SECONDS);
    let started = std::time::Instant::now();
    loop {
        match Connection::open(path) {
            Ok(conn) => return Ok(conn),
            Err(e) if e.to_string().contains("Could not set lock") => {
                if started.elapsed().as_secs() >= wait {
                    return Err(StoreError::Locked {
                        path: path.to_owned(),
                        waited_seconds: wait,
                        detail: e.to_string(),
                    });
                }
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            Err(source) => {
                return Err(StoreError::Open {
                    path: path.to_owned(),
                    source,
                })
            }
        }
    }
}

/// DuckDB's memory limit for the store unless `LMSCOPE_MEMORY_LIMIT` says otherwise
/// (DuckDB syntax, e.g. `2GB`): publishing a year of data fits in it, spilling to disk.
pub const DEFAULT_MEMORY_LIMIT: &str = "768MB";

/// DuckDB's memory limit while importing logs and saved outputs: with the importer's own
/// buffers (a block of the file and a batch of records) it keeps an import of any size
/// under 256 MB.
pub const IMPORT_MEMORY_LIMIT: &str = "96MB";

/// One poll of one license server, ready to store. Its report may borrow the output's text.
#[derive(Debug, Clone)]
pub struct Poll<'a> {
    /// Logical server name (`PORT@HOST`, or the triad list).
    pub server: String,
    /// Poll time, UTC.
    pub ts: NaiveDateTime,
    /// Where it came from: a file path, `poll`, `demo`.
    pub source: String,
    /// The server's time zone, to convert its local start times.
    pub zone: Zone,
    pub report: LmstatReport<'a>,
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
    /// Rows added to `feature_usage` (features whose state changed).
    pub feature_changes: usize,
}

impl IngestSummary {
    /// Add another ingest's counts to these.
    pub fn add(&mut self, other: &IngestSummary) {
        self.polls += other.polls;
        self.skipped_duplicates += other.skipped_duplicates;
        self.out_of_order += other.out_of_order;
        self.features += other.features;
        self.checkouts += other.checkouts;
        self.sessions_closed += other.sessions_closed;
        self.feature_changes += other.feature_changes;
    }
}

/// The DuckDB store.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Open (or create) the store at `path` and make sure every table exists.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let open_error = |source| StoreError::Open {
            path: path.to_owned(),
            source,
        };
        let conn = open_waiting(path)?;
        let found: Option<String> = conn
            .query_row(
                "SELECT CASE
                    WHEN EXISTS (SELECT 1 FROM duckdb_tables() WHERE table_name = 'lmscope_store')
                    THEN NULL
                    WHEN EXISTS (SELECT 1 FROM duckdb_tables() WHERE table_name = 'polls')
                    THEN '1' END",
                [],
                |r| r.get(0),
            )
            .map_err(open_error)?;
        let found = match found {
            Some(v) => Some(v),
            None => conn
                .query_row(
                    "SELECT max(value) FROM lmscope_store WHERE key = 'schema_version'",
                    [],
                    |r| r.get::<_, Option<String>>(0),
                )
                .optional()
                .ok()
                .flatten()
                .flatten(),
        };
        if let Some(found) = found.filter(|v| *v != STORE_VERSION.to_string()) {
            let Some((_, upgrade)) = STORE_UPGRADES.iter().find(|(from, _)| *from == found) else {
                return Err(StoreError::Version {
                    path: path.to_owned(),
                    found,
                    expected: STORE_VERSION,
                });
            };
            conn.execute_batch(&format!("BEGIN; {upgrade} COMMIT;"))?;
        }
        Self::init(conn)
    }

    /// A store that lives in memory only (tests, benchmarks).
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    /// Hold DuckDB to [`IMPORT_MEMORY_LIMIT`] (unless `LMSCOPE_MEMORY_LIMIT` says
    /// otherwise): imports stream, and what DuckDB sorts or joins spills to disk.
    pub fn limit_memory_for_import(&self) -> Result<(), StoreError> {
        if std::env::var_os("LMSCOPE_MEMORY_LIMIT").is_none() {
            self.conn
                .execute_batch(&format!("SET memory_limit = '{IMPORT_MEMORY_LIMIT}'"))?;
        }
        // Rows are keyed, never read back in insertion order: let DuckDB stream them. A
        // log's texts repeat (daemons, features, users, hosts): dictionaries hold them, and
        // weighing FSST as well cost a tenth of a large import's time for no smaller file.
        self.conn.execute_batch(
            "SET preserve_insertion_order = false; SET threads = 2;
             SET disabled_compression_methods = 'fsst'",
        )?;
        Ok(())
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        let limit = std::env::var("LMSCOPE_MEMORY_LIMIT")
            .unwrap_or_else(|_| DEFAULT_MEMORY_LIMIT.to_owned());
        conn.execute_batch(&format!("SET memory_limit = '{}'", limit.replace('\'', "")))?;
        crate::store::feed::register(&conn)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS lmscope_store (key VARCHAR PRIMARY KEY, value VARCHAR)",
        )?;
        conn.execute(
            "INSERT OR REPLACE INTO lmscope_store VALUES ('schema_version', ?)",
            params![STORE_VERSION.to_string()],
        )?;
        for (_, ddl) in TABLES.iter().chain(STORE_TABLES) {
            conn.execute_batch(ddl)?;
        }
        conn.execute_batch(marks::MARKS_DDL)?;
        Ok(Self { conn })
    }

    /// The underlying connection, for publishing and queries.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Store a batch of polls in one transaction and advance the sessions of their servers.
    /// A poll already stored (same server and time) is skipped, so re-imports add nothing.
    /// Every poll lands in `polls` and `usage_hourly`; hosts, daemons, features and
    /// reservations are stored only when they differ from the server's previous poll.
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
        let mut touched = Touched::Nothing;
        for (server, polls) in by_server {
            touched = touched.and(ingest_server(
                &tx,
                &server,
                &polls,
                &mut next_id,
                &mut summary,
            )?);
        }
        touched.note(&tx)?;
        tx.commit()?;
        Ok(summary)
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

    /// Store Slurm jobs (`sacct`), replacing what an earlier import said of the same job (a
    /// job pending then, running or ended now), in one transaction. `cluster` names the
    /// jobs whose output has no `Cluster` column. Returns how many rows were written.
    pub fn upsert_jobs(
        &mut self,
        jobs: &[crate::parse::sacct::Job],
        cluster: &str,
        source: &str,
    ) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute_batch("CREATE OR REPLACE TEMP TABLE jobs_in AS SELECT * FROM jobs LIMIT 0")?;
        // The last line of a job wins when an output lists it twice.
        let key = |j: &crate::parse::sacct::Job| {
            (
                j.cluster.clone().unwrap_or_else(|| cluster.to_owned()),
                j.job_id.clone(),
            )
        };
        let last: std::collections::HashMap<(String, String), usize> =
            jobs.iter().enumerate().map(|(i, j)| (key(j), i)).collect();
        {
            let mut ap = tx.appender("jobs_in")?;
            for (i, j) in jobs.iter().enumerate() {
                if last.get(&key(j)) != Some(&i) {
                    continue;
                }
                let licenses: Vec<String> =
                    j.licenses.iter().map(|(n, c)| format!("{n}:{c}")).collect();
                ap.append_row(params![
                    j.cluster.as_deref().unwrap_or(cluster),
                    j.job_id,
                    j.user,
                    j.account,
                    j.partition,
                    j.hosts.join(","),
                    j.cpus,
                    j.gpus,
                    j.start,
                    j.end,
                    j.state,
                    licenses.join(","),
                    source,
                ])?;
            }
        }
        // Jobs are published by the month they ended: the earliest end among the new and
        // the replaced states is the first month a publish must digest again.
        let reach: Option<NaiveDateTime> = tx.query_row(
            "SELECT least(min(i.ended_at), min(j.ended_at))
             FROM jobs_in i LEFT JOIN jobs j ON j.cluster = i.cluster AND j.job_id = i.job_id",
            [],
            |r| r.get(0),
        )?;
        if let Some(t) = reach {
            marks::note_change(&tx, t)?;
        }
        let n = tx.execute("INSERT OR REPLACE INTO jobs SELECT * FROM jobs_in", [])?;
        tx.execute_batch("DROP TABLE jobs_in")?;
        tx.commit()?;
        Ok(n)
    }

    /// Store one snapshot of Slurm's license counts (`scontrol show licenses`) of `cluster`
    /// taken at `ts` (UTC); it becomes the cluster's newest when it is newer than the last.
    pub fn add_slurm_licenses(
        &mut self,
        cluster: &str,
        ts: NaiveDateTime,
        licenses: &[crate::parse::scontrol::SlurmLicense],
    ) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "DELETE FROM slurm_licenses WHERE cluster = ? AND ts = ?",
            params![cluster, ts],
        )?;
        {
            let mut ap = tx.appender("slurm_licenses")?;
            for l in licenses {
                ap.append_row(params![
                    ts,
                    cluster,
                    l.name,
                    l.total,
                    l.used,
                    l.free,
                    l.reserved,
                    l.remote,
                    l.last_consumed
                ])?;
            }
        }
        tx.execute(
            "INSERT INTO slurm_marks (cluster, licenses_at) VALUES (?1, ?2)
             ON CONFLICT (cluster) DO UPDATE
             SET licenses_at = greatest(coalesce(slurm_marks.licenses_at, ?2), ?2)",
            params![cluster, ts],
        )?;
        tx.commit()?;
        Ok(licenses.len())
    }

    /// Store one snapshot of `cluster`'s pending jobs (`squeue`) taken at `ts` (UTC); an
    /// empty list is a queue with nothing waiting.
    pub fn add_slurm_pending(
        &mut self,
        cluster: &str,
        ts: NaiveDateTime,
        jobs: &[crate::parse::squeue::PendingJob],
    ) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "DELETE FROM slurm_pending WHERE cluster = ? AND ts = ?",
            params![cluster, ts],
        )?;
        {
            let mut ap = tx.appender("slurm_pending")?;
            for j in jobs {
                let licenses: Vec<String> =
                    j.licenses.iter().map(|(n, c)| format!("{n}:{c}")).collect();
                ap.append_row(params![
                    ts,
                    cluster,
                    j.job_id,
                    j.user,
                    j.account,
                    j.partition,
                    j.reason,
                    licenses.join(","),
                    j.submitted
                ])?;
            }
        }
        tx.execute(
            "INSERT INTO slurm_marks (cluster, pending_at) VALUES (?1, ?2)
             ON CONFLICT (cluster) DO UPDATE
             SET pending_at = greatest(coalesce(slurm_marks.pending_at, ?2), ?2)",
            params![cluster, ts],
        )?;
        tx.commit()?;
        Ok(jobs.len())
    }

    /// The end of the last `sacct` run stored for `cluster` by `poll`.
    pub fn sacct_mark(&self, cluster: &str) -> Result<Option<NaiveDateTime>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT sacct_until FROM slurm_marks WHERE cluster = ?")?;
        let mut rows = stmt.query(params![cluster])?;
        Ok(match rows.next()? {
            Some(r) => r.get(0)?,
            None => None,
        })
    }

    /// Record that `cluster`'s jobs are stored as `sacct` listed them up to `until`.
    pub fn set_sacct_mark(
        &mut self,
        cluster: &str,
        until: NaiveDateTime,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO slurm_marks (cluster, sacct_until) VALUES (?1, ?2)
             ON CONFLICT (cluster) DO UPDATE SET sacct_until = ?2",
            params![cluster, until],
        )?;
        Ok(())
    }

    /// Time range of the stored polls (UTC), from their runs (a few rows per server, where
    /// `polls` holds one per poll: years of one-minute polls are 100 million rows).
    pub fn poll_range(&self) -> Result<(Option<NaiveDateTime>, Option<NaiveDateTime>), StoreError> {
        Ok(self.conn.query_row(
            "SELECT coalesce((SELECT MIN(ts) FROM poll_runs), (SELECT MIN(ts) FROM polls)),
                    coalesce((SELECT MAX(until) FROM poll_runs), (SELECT MAX(ts) FROM polls))",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }
}

/// The server's open poll sessions, oldest first: identical checkouts are told apart by
/// their order, and the tracker numbers them oldest first too (a new copy is numbered
/// after those open, and a poll showing fewer copies ends the newest), so resuming from the
/// store continues the same sessions as a tracker that never stopped.
fn load_open_sessions(conn: &Connection, server: &str) -> Result<Vec<Session>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT server, vendor, feature, user_name, host, display, version, server_host, handle,
                licenses, started_at, first_seen, last_seen
         FROM sessions WHERE server = ? AND ended_at IS NULL AND source = 'poll'
         ORDER BY first_seen",
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

/// A reservation line as stored: feature, count, kind, target.
type ReservationRow = (String, u32, String, String);

/// Ingest the polls of one server (sorted by time) inside the caller's transaction.
fn ingest_server(
    tx: &Connection,
    server: &str,
    polls: &[Poll],
    next_id: &mut i64,
    summary: &mut IngestSummary,
) -> Result<Touched, StoreError> {
    let mut last_ok: Option<NaiveDateTime> = tx
        .query_row(
            "SELECT MAX(ts) FROM polls WHERE server = ? AND ok",
            params![server],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    let open = load_open_sessions(tx, server)?;
    // What this batch can change in closed months: rows at its polls' times; sessions open
    // until now, which it may close or extend (their rows change from their last sighting
    // on); and the last run of polls, which it may extend (hiding log sessions from its
    // end on).
    let reach = open.iter().map(|s| s.last_seen).min();
    let mut tracker = SessionTracker::from_open(open);
    let mut features = load_feature_states(tx, server)?;
    let mut hosts = load_daemon_states(tx, "server_status", "host", server)?;
    let mut vendors = load_daemon_states(tx, "vendor_status", "vendor", server)?;
    let mut reservations = load_reservations(tx, server)?;
    let mut hours: BTreeMap<(NaiveDateTime, FeatureKey), HourAgg> = BTreeMap::new();
    let mut closed: Vec<Session> = Vec::new();
    let mut runs = load_last_runs(tx, server)?;
    let reach = reach.into_iter().chain(runs.last().map(|r| r.until)).min();
    let loaded_runs: Vec<i64> = runs.iter().map(|r| r.poll_id).collect();
    let mut runs_dirty = false;
    let stored_before = summary.polls;
    let (first, last) = match (polls.first(), polls.last()) {
        (Some(a), Some(b)) => (a.ts, b.ts),
        _ => return Ok(Touched::Nothing),
    };
    {
        let mut known: HashSet<NaiveDateTime> = tx
            .prepare("SELECT ts FROM polls WHERE server = ? AND ts BETWEEN ? AND ?")?
            .query_map(params![server, first, last], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut ap_polls = tx.appender("polls")?;
        let mut ap_servers = tx.appender("server_status")?;
        let mut ap_vendors = tx.appender("vendor_status")?;
        let mut ap_features = tx.appender("feature_usage")?;
        let mut ap_queued = tx.appender("queued")?;
        let mut ap_reservations = tx.appender("reservations")?;
        for poll in polls {
            if !known.insert(poll.ts) {
                summary.skipped_duplicates += 1;
                continue;
            }
            let id = *next_id;
            *next_id += 1;
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
                poll.ts,
                1,
            ])?;
            if runs.last().is_none_or(|run| poll.ts > run.until) {
                extend_runs(
                    &mut runs,
                    PollOutcome {
                        poll_id: id,
                        ts: poll.ts,
                        source: &poll.source,
                        ok,
                        error: r.query_error.as_ref().map(|e| e.message.as_str()),
                        error_code: r.query_error.as_ref().and_then(|e| e.code.as_deref()),
                    },
                );
            } else {
                runs_dirty = true;
            }
            summary.features += r.features.len();
            summary.checkouts += r.checkouts.len();
            if !ok {
                continue;
            }
            let states = feature_states(r);
            add_to_hours(&mut hours, poll.ts, &states, &reserved_by_feature(r));
            let feature_name = |i: usize| r.features.get(i).map_or("", |f| &*f.name);
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
            if last_ok.is_some_and(|t| poll.ts <= t) {
                // An older poll arriving late counts in the hourly rollup and the queue,
                // but does not rewrite the change history or the sessions.
                summary.out_of_order += 1;
                continue;
            }
            last_ok = Some(poll.ts);
            for (host, s) in diff(&mut hosts, host_states(r), daemon_gone) {
                ap_servers.append_row(params![
                    id,
                    poll.ts,
                    server,
                    host,
                    s.up,
                    s.master,
                    s.version,
                    s.error,
                    s.error_code,
                ])?;
            }
            for (vendor, s) in diff(&mut vendors, vendor_states(r), daemon_gone) {
                ap_vendors.append_row(params![
                    id,
                    poll.ts,
                    server,
                    vendor,
                    s.up,
                    s.version,
                    s.error,
                    s.error_code,
                ])?;
            }
            for ((vendor, feature), f) in diff(&mut features, states, feature_gone) {
                summary.feature_changes += 1;
                ap_features.append_row(params![
                    id, poll.ts, server, vendor, feature, f.counting, f.issued, f.in_use,
                    f.version, f.expiry, f.error,
                ])?;
            }
            let mut current: Vec<ReservationRow> = r
                .reservations
                .iter()
                .map(|x| {
                    (
                        feature_name(x.feature).to_owned(),
                        x.count,
                        x.kind.to_string(),
                        x.target.to_string(),
                    )
                })
                .collect();
            current.sort();
            if current != reservations {
                if current.is_empty() {
                    ap_reservations.append_row(params![
                        id,
                        poll.ts,
                        server,
                        "",
                        0,
                        NO_RESERVATIONS,
                        ""
                    ])?;
                }
                for (feature, count, kind, target) in &current {
                    ap_reservations
                        .append_row(params![id, poll.ts, server, feature, count, kind, target])?;
                }
                reservations = current;
            }
            closed.extend(tracker.observe(server, poll.ts, r, |t| poll.zone.to_utc(t)));
        }
    }
    summary.sessions_closed += closed.len();
    tx.execute(
        "DELETE FROM sessions WHERE server = ? AND ended_at IS NULL AND source = 'poll'",
        params![server],
    )?;
    append_sessions(tx, closed.iter().chain(tracker.into_open().iter()), "poll")?;
    merge_hours(tx, server, hours)?;
    if runs_dirty {
        // A poll older than the runs: they are rebuilt whole.
        rebuild_runs(tx, server)?;
        return Ok(Touched::Unknown);
    }
    save_runs(tx, server, &loaded_runs, &runs)?;
    Ok(if summary.polls == stored_before {
        Touched::Nothing
    } else {
        Touched::From(reach.map_or(first, |r| r.min(first)))
    })
}

/// The last few runs of a server and its latest run of two polls or more (its polling
/// step, [`crate::store::delta::run_gap`]), oldest first: what an ingest of all its polls
/// at once would hold when it reached this point.
fn load_last_runs(tx: &Connection, server: &str) -> Result<Vec<PollRun>, StoreError> {
    Ok(tx
        .prepare(
            "SELECT poll_id, ts, until, count, source, ok, error, error_code FROM poll_runs
             WHERE server = ?1
               AND (poll_id IN (SELECT poll_id FROM poll_runs WHERE server = ?1
                                ORDER BY ts DESC LIMIT 3)
                    OR poll_id = (SELECT poll_id FROM poll_runs WHERE server = ?1 AND count >= 2
                                  ORDER BY ts DESC LIMIT 1))
             ORDER BY ts",
        )?
        .query_map(params![server], run_from_row)?
        .collect::<Result<_, _>>()?)
}

fn run_from_row(r: &duckdb::Row<'_>) -> duckdb::Result<PollRun> {
    Ok(PollRun {
        poll_id: r.get(0)?,
        ts: r.get(1)?,
        until: r.get(2)?,
        count: r.get(3)?,
        source: r.get(4)?,
        ok: r.get(5)?,
        error: r.get(6)?,
        error_code: r.get(7)?,
    })
}

/// Replace the runs loaded at the start of an ingest with their extended versions.
fn save_runs(
    tx: &Connection,
    server: &str,
    loaded: &[i64],
    runs: &[PollRun],
) -> Result<(), StoreError> {
    for id in loaded {
        tx.execute(
            "DELETE FROM poll_runs WHERE server = ? AND poll_id = ?",
            params![server, id],
        )?;
    }
    append_runs(tx, server, runs)
}

fn append_runs(tx: &Connection, server: &str, runs: &[PollRun]) -> Result<(), StoreError> {
    let mut ap = tx.appender("poll_runs")?;
    for r in runs {
        ap.append_row(params![
            r.poll_id,
            server,
            r.ts,
            r.source,
            r.ok,
            r.error,
            r.error_code,
            r.until,
            r.count
        ])?;
    }
    Ok(())
}

/// Recompute the runs of a server from all its polls (after a poll older than the newest
/// arrived: rare, and exact).
fn rebuild_runs(tx: &Connection, server: &str) -> Result<(), StoreError> {
    let mut runs: Vec<PollRun> = Vec::new();
    {
        let mut stmt = tx.prepare(
            "SELECT poll_id, ts, source, ok, error, error_code FROM polls
             WHERE server = ? ORDER BY ts",
        )?;
        let mut rows = stmt.query(params![server])?;
        while let Some(r) = rows.next()? {
            let source: String = r.get(2)?;
            let error: Option<String> = r.get(4)?;
            let code: Option<String> = r.get(5)?;
            extend_runs(
                &mut runs,
                PollOutcome {
                    poll_id: r.get(0)?,
                    ts: r.get(1)?,
                    source: &source,
                    ok: r.get(3)?,
                    error: error.as_deref(),
                    error_code: code.as_deref(),
                },
            );
        }
    }
    tx.execute("DELETE FROM poll_runs WHERE server = ?", params![server])?;
    append_runs(tx, server, &runs)
}

/// `reservations.kind` of the row that records a server listing no reservations any more.
pub const NO_RESERVATIONS: &str = "NONE";

fn append_sessions<'a>(
    tx: &Connection,
    sessions: impl Iterator<Item = &'a Session>,
    source: &str,
) -> Result<(), StoreError> {
    let mut ap = tx.appender("sessions")?;
    for s in sessions {
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
            source,
        ])?;
    }
    Ok(())
}

/// Seats reserved and not checked out at one poll, by feature name: lmstat lists a
/// RESERVATION line for each and counts them in the header's "in use".
fn reserved_by_feature<'a>(r: &'a LmstatReport<'_>) -> BTreeMap<&'a str, u32> {
    let mut out: BTreeMap<&str, u32> = BTreeMap::new();
    for x in &r.reservations {
        if let Some(f) = r.features.get(x.feature) {
            *out.entry(&*f.name).or_default() += x.count;
        }
    }
    out
}

/// Add this batch's hourly aggregates of one server to `usage_hourly`, merging the hours
/// already stored.
fn merge_hours(
    tx: &Connection,
    server: &str,
    mut hours: BTreeMap<(NaiveDateTime, FeatureKey), HourAgg>,
) -> Result<(), StoreError> {
    let Some(first) = hours.keys().next().map(|(h, _)| *h) else {
        return Ok(());
    };
    {
        let mut stmt = tx.prepare(
            "SELECT hour, vendor, feature, issued, peak_in_use, sum_in_use, polls, polls_full,
                    peak_checked_out, sum_checked_out
             FROM usage_hourly WHERE server = ? AND hour >= ?",
        )?;
        let rows = stmt.query_map(params![server, first], |r| {
            Ok((
                (r.get::<_, NaiveDateTime>(0)?, (r.get(1)?, r.get(2)?)),
                HourAgg {
                    issued: r.get(3)?,
                    peak_in_use: r.get(4)?,
                    sum_in_use: r.get(5)?,
                    polls: r.get(6)?,
                    polls_full: r.get(7)?,
                    peak_checked_out: r.get(8)?,
                    sum_checked_out: r.get(9)?,
                },
            ))
        })?;
        for row in rows {
            let (key, agg) = row?;
            hours.entry(key).or_default().merge(&agg);
        }
    }
    tx.execute(
        "DELETE FROM usage_hourly WHERE server = ? AND hour >= ?",
        params![server, first],
    )?;
    let mut ap = tx.appender("usage_hourly")?;
    for ((hour, (vendor, feature)), a) in hours {
        ap.append_row(params![
            hour,
            server,
            vendor,
            feature,
            a.issued,
            a.peak_in_use,
            i64::try_from(a.sum_in_use).unwrap_or(i64::MAX),
            a.polls,
            a.polls_full,
            a.peak_checked_out,
            i64::try_from(a.sum_checked_out).unwrap_or(i64::MAX),
        ])?;
    }
    Ok(())
}

fn load_feature_states(
    conn: &Connection,
    server: &str,
) -> Result<BTreeMap<FeatureKey, FeatureState>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT vendor, feature, counting, issued, in_use, version, expiry, error
         FROM feature_usage WHERE server = ?
         QUALIFY row_number() OVER (PARTITION BY vendor, feature ORDER BY ts DESC, poll_id DESC) = 1",
    )?;
    let rows = stmt.query_map(params![server], |r| {
        Ok((
            (r.get(0)?, r.get(1)?),
            FeatureState {
                counting: r.get(2)?,
                issued: r.get(3)?,
                in_use: r.get(4)?,
                version: r.get(5)?,
                expiry: r.get(6)?,
                error: r.get(7)?,
            },
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Latest state per host (`server_status`) or vendor daemon (`vendor_status`) of a server.
fn load_daemon_states(
    conn: &Connection,
    table: &str,
    name_column: &str,
    server: &str,
) -> Result<BTreeMap<String, DaemonState>, StoreError> {
    let master = if table == "server_status" {
        "master"
    } else {
        "false"
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT {name_column}, up, {master}, version, error, error_code
         FROM {table} WHERE server = ?
         QUALIFY row_number() OVER (PARTITION BY {name_column} ORDER BY ts DESC, poll_id DESC) = 1"
    ))?;
    let rows = stmt.query_map(params![server], |r| {
        Ok((
            r.get(0)?,
            DaemonState {
                up: r.get(1)?,
                master: r.get(2)?,
                version: r.get(3)?,
                error: r.get(4)?,
                error_code: r.get(5)?,
            },
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The reservation set stored last for a server, sorted.
fn load_reservations(conn: &Connection, server: &str) -> Result<Vec<ReservationRow>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT feature, count, kind, target FROM reservations
         WHERE server = ?1 AND kind <> ?2
           AND ts = (SELECT max(ts) FROM reservations WHERE server = ?1)
         ORDER BY ALL",
    )?;
    let rows = stmt.query_map(params![server, NO_RESERVATIONS], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
