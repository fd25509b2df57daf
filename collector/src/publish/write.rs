//! Publishing: copy the store into a fresh DuckDB file and write `manifest.json`, each
//! written aside and renamed into place, so a reader (or a crash) never sees half a file.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveDateTime, Utc};

use duckdb::params;

use crate::parse::org::{Org, UNASSIGNED};
use crate::publish::files::PublishedError;
use crate::publish::first_view::{self, FirstView};
use crate::publish::lake;
use crate::publish::manifest::{DataFile, Manifest, ManifestError, MANIFEST_FILE, SNAPSHOT_TABLES};
use crate::publish::partition::{self, Slice};
use crate::publish::pseudonym::Pseudonymize;
use crate::store::db::{Store, StoreError};
use crate::store::marks::{self, Mark};
use crate::store::schema::{
    table_names, COMPUTE_TABLES, ORG_TABLES, PARTITIONED, ROLLUP_TABLES, SCHEMA_VERSION,
};
use crate::timings::Timings;

/// Errors of a publish.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing the published database failed: {0}")]
    Duckdb(#[from] duckdb::Error),
    #[error("encoding manifest.json failed: {0}")]
    Json(#[from] serde_json::Error),
    #[error("reading back what was published: {0}")]
    Published(#[from] PublishedError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(
        "the DuckDB files are published, but the Parquet lake {path} is not up to date: {source}"
    )]
    Lake {
        path: PathBuf,
        source: Box<PublishError>,
    },
}

/// An I/O error of `path`, as a publish reports it.
pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PublishError + '_ {
    move |source| PublishError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Options of a publish.
#[derive(Debug, Clone, Default)]
pub struct PublishOptions {
    /// Expected seconds between polls, recorded for the site's staleness warning.
    pub poll_interval_seconds: u64,
    /// The org file's contents, published as the `org_*` tables.
    pub org: Org,
    /// Replace user and/or host names with keyed aliases in everything published.
    pub pseudonymize: Option<Pseudonymize>,
    /// Also bring the Parquet lake in this folder up to date ([`crate::publish::lake`]).
    pub parquet: Option<PathBuf>,
}

const PREFIX: &str = "lmscope-";
const SUFFIX: &str = ".duckdb";
const SNAPSHOT: &str = "-now";

/// Publish the store into `out_dir` and return the manifest written: one file per closed
/// month (kept from the last publish when the month's rows did not change), a current file
/// (the open month, the latest state, the org), its snapshot and first view, `lmscope.sql`
/// and the manifest.
pub fn publish(
    store: &Store,
    out_dir: &Path,
    opts: &PublishOptions,
) -> Result<Manifest, PublishError> {
    fs::create_dir_all(out_dir).map_err(io(out_dir))?;
    let previous = fs::read_to_string(out_dir.join(MANIFEST_FILE))
        .ok()
        .and_then(|t| Manifest::from_json(&t).ok());
    let generations = existing_generations(out_dir)?;
    let generation = generations.iter().max().map_or(1, |g| g + 1);
    let name = format!("{PREFIX}{generation:06}{SUFFIX}");
    let final_path = out_dir.join(&name);
    let tmp_path = out_dir.join(format!(".{name}.tmp"));
    let snapshot_name = format!("{PREFIX}{generation:06}{SNAPSHOT}{SUFFIX}");
    let snapshot_path = out_dir.join(&snapshot_name);
    let snapshot_tmp = out_dir.join(format!(".{snapshot_name}.tmp"));
    let first_name = first_view::file_name(generation);
    let first_path = out_dir.join(&first_name);
    let current = partition::month_of(Utc::now().naive_utc());
    // Until the manifest names them, this generation's files are nobody's: on any failure
    // (a full disk, say) they all go, and the published site stays as it was.
    let mut new_partitions: Vec<PathBuf> = Vec::new();
    let mut timings = Timings::from_env("publish");
    let tag = partition_tag(opts);
    let out_key = out_dir
        .canonicalize()
        .unwrap_or_else(|_| out_dir.to_owned())
        .to_string_lossy()
        .into_owned();
    let written = (|| {
        let mark = marks::get(store.conn(), &out_key)?;
        let basis = LatestBasis::of(out_dir, previous.as_ref(), mark.as_ref(), &tag);
        let (partitions, digested) = write_partitions(
            store,
            out_dir,
            Months {
                opts,
                tag: &tag,
                current,
                previous: previous.as_ref(),
                mark,
            },
            &mut new_partitions,
        )?;
        timings.step(&format!(
            "closed months ({digested} digested, {} written)",
            new_partitions.len()
        ));
        remove_if_exists(&tmp_path)?;
        remove_if_exists(&wal_of(&tmp_path))?;
        let slice = Slice::Current {
            start: current.and_hms_opt(0, 0, 0).unwrap_or_default(),
        };
        write_database(store, &tmp_path, opts, slice, basis.as_ref())?;
        sync_file(&tmp_path)?;
        fs::rename(&tmp_path, &final_path).map_err(io(&final_path))?;
        sync_dir(out_dir)?;
        timings.step("current file");

        // The snapshot: the first view's tables, copied from the file just written.
        remove_if_exists(&snapshot_tmp)?;
        remove_if_exists(&wal_of(&snapshot_tmp))?;
        write_snapshot(store, &final_path, &snapshot_tmp)?;
        sync_file(&snapshot_tmp)?;
        fs::rename(&snapshot_tmp, &snapshot_path).map_err(io(&snapshot_path))?;
        sync_dir(out_dir)?;
        timings.step("snapshot");
        let manifest = describe(
            store,
            opts,
            partitions,
            (&name, &final_path),
            (&snapshot_name, &snapshot_path),
            &first_name,
        )?;
        let first = first_view_rows(out_dir, &manifest)?;
        write_atomically(&first_path, serde_json::to_string(&first)?.as_bytes())?;
        timings.step("first view");
        write_atomically(&out_dir.join(RECIPE_FILE), recipe(&manifest)?.as_bytes())?;
        write_atomically(
            &out_dir.join(MANIFEST_FILE),
            serde_json::to_string_pretty(&manifest)?.as_bytes(),
        )?;
        Ok(manifest)
    })();
    let manifest = match written {
        Ok(m) => m,
        Err(e) => {
            // (Unless the manifest did get renamed into place and only a later step failed.)
            let named = fs::read_to_string(out_dir.join(MANIFEST_FILE))
                .is_ok_and(|m| m.contains(&format!("\"{name}\"")));
            let mut ours: Vec<&PathBuf> = vec![&tmp_path, &snapshot_tmp];
            if !named {
                ours.extend([&final_path, &snapshot_path, &first_path]);
                ours.extend(new_partitions.iter());
            }
            for p in ours {
                let _ = fs::remove_file(wal_of(p));
                let _ = fs::remove_file(p);
            }
            return Err(e);
        }
    };

    // The store is as this publish saw it (it holds the store): the next one here digests
    // only the months changed since. Should recording fail, the old mark no longer names
    // the manifest in place, and the next publish digests every month: never wrong.
    let _ = marks::record(
        store.conn(),
        &out_key,
        &Mark {
            tag,
            generated_at: manifest_identity(&manifest),
            current_month: current,
            dirty_from: None,
        },
    );

    if let Some(lake) = &opts.parquet {
        lake::write_lake(out_dir, &manifest, current, lake).map_err(|e| PublishError::Lake {
            path: lake.clone(),
            source: Box::new(e),
        })?;
        timings.step("Parquet lake");
    }

    // Keep the previous generation: a browser that read the old manifest a moment ago may
    // still be fetching its file. Anything older goes, and so do partitions neither
    // manifest names.
    for old in generations.iter().filter(|g| **g + 1 < generation) {
        remove_if_exists(&out_dir.join(format!("{PREFIX}{old:06}{SUFFIX}")))?;
        remove_if_exists(&out_dir.join(format!("{PREFIX}{old:06}{SNAPSHOT}{SUFFIX}")))?;
        remove_if_exists(&out_dir.join(first_view::file_name(*old)))?;
    }
    let named: Vec<&str> = manifest
        .files
        .iter()
        .chain(previous.iter().flat_map(|m| m.files.iter()))
        .map(|f| f.path.as_str())
        .collect();
    for entry in fs::read_dir(out_dir).map_err(io(out_dir))? {
        let file = entry.map_err(io(out_dir))?.file_name();
        let file = file.to_string_lossy();
        let unnamed_partition = partition::is_file_name(&file) && !named.contains(&file.as_ref());
        // What a killed publish was writing (one run publishes at a time: the store's lock).
        let stale_temporary = file.starts_with(&format!(".{PREFIX}"))
            && (file.ends_with(".tmp") || file.ends_with(".tmp.wal"));
        if unnamed_partition || stale_temporary {
            remove_if_exists(&out_dir.join(file.as_ref()))?;
        }
    }
    Ok(manifest)
}

/// File name of the SQL that opens a published directory as one database.
pub const RECIPE_FILE: &str = "lmscope.sql";

/// `lmscope.sql`: the manifest's files attached and viewed as one database, for the duckdb
/// CLI (`duckdb -init lmscope.sql` in the folder) and other clients.
fn recipe(manifest: &Manifest) -> Result<String, PublishError> {
    let sql = manifest.union_sql(str::to_owned)?;
    Ok(format!(
        "-- The published lmscope data as one database: every monthly partition and the current\n\
         -- file attached read-only, one view per table. Run from this folder:\n\
         --   duckdb -init lmscope.sql\n\
         -- or, in Python: duckdb.connect().execute(open('lmscope.sql').read())\n\
         -- Written with manifest.json; a later publish writes a new one.\n{sql}"
    ))
}

/// What shapes a partition's file besides its rows: the names as collected or aliased.
fn partition_tag(opts: &PublishOptions) -> String {
    match &opts.pseudonymize {
        Some(p) => format!(
            "pseudonymized users={} hosts={} probe={}",
            p.users,
            p.hosts,
            p.alias("user", "lmscope-partition-probe")
        ),
        None => "names as collected".to_owned(),
    }
}

/// What tells one manifest from another in the same folder: its time and current file
/// (whose generation number only grows there).
fn manifest_identity(manifest: &Manifest) -> String {
    let current = manifest.files.last().map_or("", |f| f.path.as_str());
    format!("{} {current}", manifest.generated_at)
}

/// The last manifest and the store's mark of it, when the mark holds: that manifest is
/// this store's last publish into the folder, with the same partition tag, so every row
/// the store has changed since is at or after the mark's `dirty_from`.
fn mark_holds<'a>(
    previous: Option<&'a Manifest>,
    mark: Option<&'a Mark>,
    tag: &str,
) -> Option<(&'a Manifest, &'a Mark)> {
    let (previous, mark) = (previous?, mark?);
    (mark.tag == tag && mark.generated_at == manifest_identity(previous))
        .then_some((previous, mark))
}

/// Where the latest state (`*_now`) can start from instead of every stored change: the
/// current file of this store's last publish into the folder, whose `*_now` rows before
/// `since` still stand, and the stored changes from `since` on.
struct LatestBasis {
    /// The last publish's current file.
    file: PathBuf,
    /// The earliest time of any row the store wrote since; `None` when none was.
    since: Option<NaiveDateTime>,
}

impl LatestBasis {
    fn of(
        out_dir: &Path,
        previous: Option<&Manifest>,
        mark: Option<&Mark>,
        tag: &str,
    ) -> Option<Self> {
        let (previous, mark) = mark_holds(previous, mark, tag)?;
        let file = out_dir.join(&previous.files.last()?.path);
        file.is_file().then_some(LatestBasis {
            file,
            since: mark.dirty_from,
        })
    }
}

/// What decides which closed months a publish writes.
struct Months<'a> {
    opts: &'a PublishOptions,
    tag: &'a str,
    /// The open month (its rows go to the current file).
    current: NaiveDate,
    /// The manifest in the folder now, if any.
    previous: Option<&'a Manifest>,
    /// The store's mark of its last publish into this folder.
    mark: Option<Mark>,
}

impl Months<'_> {
    /// The entries of the last manifest that stand as they are (months before the store's
    /// first change since it published them, with their files in place), and the first
    /// month to digest; or nothing and every month, when the last manifest is not this
    /// store's last publish with the same tag.
    fn unchanged(&self, out_dir: &Path) -> (Vec<DataFile>, Option<NaiveDate>) {
        let Some((previous, mark)) = mark_holds(self.previous, self.mark.as_ref(), self.tag) else {
            return (Vec::new(), None);
        };
        let from = mark.first_changed_month();
        let before = from.format("%Y-%m").to_string();
        let kept: Vec<DataFile> = previous
            .files
            .iter()
            .filter(|f| f.month.as_ref().is_some_and(|m| *m < before))
            .cloned()
            .collect();
        if kept.iter().all(|f| out_dir.join(&f.path).exists()) {
            (kept, Some(from))
        } else {
            (Vec::new(), None)
        }
    }
}

/// Write the closed months' partitions that are missing or whose rows changed, and return
/// the entries of every closed month in order (kept ones as the last manifest had them).
/// Months before the store's first change since its last publish here are not digested;
/// also returns how many months were.
fn write_partitions(
    store: &Store,
    out_dir: &Path,
    months: Months<'_>,
    written: &mut Vec<PathBuf>,
) -> Result<(Vec<DataFile>, usize), PublishError> {
    let Months {
        opts,
        tag,
        current,
        previous,
        ..
    } = months;
    let (mut out, from) = months.unchanged(out_dir);
    let months = partition::month_fingerprints(store.conn(), current, from, tag)?;
    let digested = months.len();
    for (month, fingerprint) in months {
        let name = partition::file_name(month, &fingerprint);
        let path = out_dir.join(&name);
        let kept = previous
            .into_iter()
            .flat_map(|m| m.files.iter())
            .find(|f| f.path == name && f.fingerprint.as_deref() == Some(fingerprint.as_str()));
        if let Some(kept) = kept.filter(|_| path.exists()) {
            out.push(kept.clone());
            continue;
        }
        let tmp = out_dir.join(format!(".{name}.tmp"));
        remove_if_exists(&tmp)?;
        remove_if_exists(&wal_of(&tmp))?;
        let slice = Slice::month(month);
        let written_tmp = write_database(store, &tmp, opts, slice, None)
            .and_then(|()| sync_file(&tmp))
            .and_then(|()| fs::rename(&tmp, &path).map_err(io(&path)));
        if let Err(e) = written_tmp {
            let _ = fs::remove_file(wal_of(&tmp));
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        written.push(path.clone());
        let (from, to) = span_of(store.conn(), &path, slice)?;
        out.push(DataFile {
            path: name,
            bytes: fs::metadata(&path).map_err(io(&path))?.len(),
            from: from.map(rfc3339),
            to: to.map(rfc3339),
            tables: PARTITIONED.iter().map(|(t, _)| (*t).to_owned()).collect(),
            month: Some(month.format("%Y-%m").to_string()),
            fingerprint: Some(fingerprint),
        });
    }
    if !out.is_empty() {
        sync_dir(out_dir)?;
    }
    Ok((out, digested))
}

/// The time a partition's rows cover: from its month's start, or the start of the earliest
/// session or job in it that began before, to its month's end.
fn span_of(
    conn: &duckdb::Connection,
    path: &Path,
    slice: Slice,
) -> Result<(Option<NaiveDateTime>, Option<NaiveDateTime>), PublishError> {
    let Slice::Month { start, end } = slice else {
        return Ok((None, None));
    };
    let literal = path.to_string_lossy().replace('\'', "''");
    conn.execute_batch(&format!("ATTACH '{literal}' AS span_source (READ_ONLY)"))?;
    let earliest = conn.query_row(
        "SELECT least((SELECT min(least(coalesce(started_at, first_seen), first_seen))
                       FROM span_source.sessions),
                      (SELECT min(started_at) FROM span_source.jobs))",
        [],
        |r| r.get::<_, Option<NaiveDateTime>>(0),
    );
    conn.execute_batch("DETACH span_source")?;
    let from = earliest?.map_or(start, |e| e.min(start));
    Ok((Some(from), Some(end)))
}

/// The manifest of this generation: the partitions, then the current file, its snapshot.
fn describe(
    store: &Store,
    opts: &PublishOptions,
    partitions: Vec<DataFile>,
    (name, final_path): (&str, &Path),
    (snapshot_name, snapshot_path): (&str, &Path),
    first_view: &str,
) -> Result<Manifest, PublishError> {
    let (from, to) = store.poll_range()?;
    let bytes = fs::metadata(final_path).map_err(io(final_path))?.len();
    let snapshot_bytes = fs::metadata(snapshot_path)
        .map_err(io(snapshot_path))?
        .len();
    let mut files = partitions;
    files.push(DataFile {
        path: name.to_owned(),
        bytes,
        from: from.map(rfc3339),
        to: to.map(rfc3339),
        tables: table_names().map(str::to_owned).collect(),
        month: None,
        fingerprint: None,
    });
    Ok(Manifest {
        schema_version: SCHEMA_VERSION,
        generated_at: rfc3339(Utc::now().naive_utc()),
        data_as_of: to.map(rfc3339),
        poll_interval_seconds: opts.poll_interval_seconds,
        files,
        snapshot: Some(DataFile {
            path: snapshot_name.to_owned(),
            bytes: snapshot_bytes,
            from: from.map(rfc3339),
            to: to.map(rfc3339),
            tables: SNAPSHOT_TABLES.iter().map(|t| (*t).to_owned()).collect(),
            month: None,
            fingerprint: None,
        }),
        first_view: Some(first_view.to_owned()),
    })
}

/// Copy [`SNAPSHOT_TABLES`] from the published file `full` into a new file at `path`.
fn write_snapshot(store: &Store, full: &Path, path: &Path) -> Result<(), PublishError> {
    let conn = store.conn();
    let literal = |p: &Path| p.to_string_lossy().replace('\'', "''");
    conn.execute_batch(&format!(
        "ATTACH '{}' AS snapshot_source (READ_ONLY); ATTACH '{}' AS snapshot_target",
        literal(full),
        literal(path)
    ))?;
    let result = (|| {
        for table in SNAPSHOT_TABLES {
            conn.execute_batch(&format!(
                "CREATE TABLE snapshot_target.{table} AS SELECT * FROM snapshot_source.{table}"
            ))?;
        }
        conn.execute_batch("CHECKPOINT snapshot_target")
    })();
    let detached = conn.execute_batch("DETACH snapshot_target; DETACH snapshot_source");
    result?;
    detached?;
    Ok(())
}

/// The overview's first view, read natively from the files just published (as one, as the
/// site reads them) with the queries the site would run. Its hourly sparklines read the
/// last 24 hours: months that ended two days before the newest poll are not opened.
fn first_view_rows(out_dir: &Path, manifest: &Manifest) -> Result<FirstView, PublishError> {
    let mut recent = manifest.clone();
    if let Some(newest) = manifest.data_as_of.as_deref().and_then(parse_rfc3339) {
        let cutoff = newest - chrono::Duration::days(2);
        recent.files.retain(|f| {
            f.month.is_none()
                || f.to
                    .as_deref()
                    .and_then(parse_rfc3339)
                    .is_none_or(|to| to >= cutoff)
        });
    }
    let conn = crate::publish::files::open_manifest(out_dir, &recent)?;
    let rows = |sql: &str| -> Result<Vec<Vec<serde_json::Value>>, duckdb::Error> {
        let mut stmt = conn.prepare(sql)?;
        let mut found = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = found.next()? {
            let n = r.as_ref().column_count();
            let mut row = Vec::with_capacity(n);
            for i in 0..n {
                row.push(json_of(r.get::<_, duckdb::types::Value>(i)?));
            }
            out.push(row);
        }
        Ok(out)
    };
    Ok(FirstView {
        servers: rows(&first_view::servers_sql())?,
        daemons: rows(&first_view::daemons_sql())?,
        features: rows(first_view::FEATURES_SQL)?,
        currency: rows(first_view::CURRENCY_SQL)?,
        names: rows(first_view::NAMES_SQL)?,
        spark: rows(first_view::SPARK_SQL)?,
    })
}

/// A DuckDB value as the site's bridge gives it in JSON.
fn json_of(v: duckdb::types::Value) -> serde_json::Value {
    use duckdb::types::Value as V;
    use serde_json::Value as J;
    let float = |x: f64| serde_json::Number::from_f64(x).map_or(J::Null, J::Number);
    match v {
        V::Null => J::Null,
        V::Boolean(b) => J::Bool(b),
        V::TinyInt(x) => x.into(),
        V::SmallInt(x) => x.into(),
        V::Int(x) => x.into(),
        V::BigInt(x) => x.into(),
        V::UTinyInt(x) => x.into(),
        V::USmallInt(x) => x.into(),
        V::UInt(x) => x.into(),
        V::UBigInt(x) => x.into(),
        V::HugeInt(x) => float(x as f64),
        V::Float(x) => float(f64::from(x)),
        V::Double(x) => float(x),
        V::Text(s) => J::String(s),
        other => J::String(format!("{other:?}")),
    }
}

/// The manifest's time format (UTC, RFC 3339, seconds).
const RFC3339: &str = "%Y-%m-%dT%H:%M:%SZ";

fn rfc3339(t: NaiveDateTime) -> String {
    t.format(RFC3339).to_string()
}

fn parse_rfc3339(t: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(t, RFC3339).ok()
}

fn wal_of(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".wal");
    PathBuf::from(s)
}

/// Copy the store's rows of `slice` into a new DuckDB file at `path`: polls collapsed into
/// runs, log sessions only where polls did not see them, rollups computed, every table
/// sorted by time (hourly usage by feature) so readers skip row groups on their filters. A
/// month's file holds only the partitioned tables; the current file holds every table, its
/// latest state from `basis` when there is one.
fn write_database(
    store: &Store,
    path: &Path,
    opts: &PublishOptions,
    slice: Slice,
    basis: Option<&LatestBasis>,
) -> Result<(), PublishError> {
    let conn = store.conn();
    let literal = path.to_string_lossy().replace('\'', "''");
    conn.execute_batch(&format!("ATTACH '{literal}' AS publish_target"))?;
    let mut timings = Timings::from_env(match slice {
        Slice::Current { .. } => "publish: current file",
        Slice::Month { .. } => "publish: month",
    });
    let result = (|| {
        for (table, ddl) in crate::store::schema::TABLES {
            if !slice.holds(table) {
                continue;
            }
            conn.execute_batch(&ddl.replacen(
                &format!("CREATE TABLE IF NOT EXISTS {table}"),
                &format!("CREATE TABLE publish_target.{table}"),
                1,
            ))?;
            let rows = partition::partition_column(table)
                .map_or_else(|| "true".to_owned(), |c| slice.condition(c));
            match *table {
                "polls" => conn.execute_batch(
                    "INSERT INTO publish_target.polls SELECT * FROM main.poll_runs ORDER BY ts, server",
                )?,
                "sessions" => conn.execute_batch(&format!(
                    "INSERT INTO publish_target.sessions
                     SELECT * FROM (SELECT * FROM main.sessions WHERE {rows}) s
                     WHERE {PUBLISHED_SESSION}
                     ORDER BY coalesce(started_at, first_seen), server, feature"
                ))?,
                _ => {
                    let order = match *table {
                        "entitlements" => "server, feature, version",
                        "usage_hourly" => "server, feature, hour",
                        _ => "ts, server",
                    };
                    conn.execute_batch(&format!(
                        "INSERT INTO publish_target.{table} SELECT * FROM main.{table}
                         WHERE {rows} ORDER BY {order}"
                    ))?;
                }
            }
        }
        for (table, ddl) in ROLLUP_TABLES.iter().chain(COMPUTE_TABLES).chain(ORG_TABLES) {
            if slice.holds(table) {
                conn.execute_batch(&ddl.replacen(
                    "CREATE TABLE ",
                    "CREATE TABLE publish_target.",
                    1,
                ))?;
            }
        }
        write_compute(conn, slice)?;
        timings.step("stored rows copied");
        if matches!(slice, Slice::Current { .. }) {
            match write_latest(conn, basis) {
                Ok(()) => {}
                // The last current file unreadable (damaged, say): every stored change.
                Err(_) if basis.is_some() => {
                    conn.execute_batch(
                        "DELETE FROM publish_target.feature_now;
                         DELETE FROM publish_target.host_now;
                         DELETE FROM publish_target.vendor_now;",
                    )?;
                    write_latest(conn, None)?;
                }
                Err(e) => return Err(e),
            }
            timings.step("latest state");
            write_org(conn, &opts.org)?;
            timings.step("org");
        }
        write_daily(conn, slice)?;
        if matches!(slice, Slice::Current { .. }) {
            write_names(conn)?;
        }
        timings.step("daily rollups");
        if let Some(p) = &opts.pseudonymize {
            pseudonymize(conn, p, slice)?;
        }
        write_monthly(conn)?;
        conn.execute_batch("CHECKPOINT publish_target")?;
        timings.step("checkpoint");
        Ok::<(), duckdb::Error>(())
    })();
    let detached = conn.execute_batch("DETACH publish_target");
    result?;
    detached?;
    Ok(())
}

/// Slurm's tables ([`COMPUTE_TABLES`]): the jobs of `slice` (placed by the month they
/// ended; running and pending ones in the current file), a row per node each ran on, and,
/// in the current file, the newest license and pending-job snapshot of each cluster.
fn write_compute(conn: &duckdb::Connection, slice: Slice) -> Result<(), duckdb::Error> {
    let ended = slice.condition("ended_at");
    conn.execute_batch(&format!(
        "INSERT INTO publish_target.jobs
         SELECT cluster, job_id, user_name, account, partition,
                nullif(split_part(hosts, ',', 1), ''),
                CASE WHEN hosts = '' THEN 0 ELSE len(string_split(hosts, ',')) END,
                cpus, gpus, started_at, ended_at, state, licenses
         FROM main.jobs WHERE {ended}
         ORDER BY coalesce(started_at, ended_at), cluster, job_id;
         INSERT INTO publish_target.job_hosts
         SELECT cluster, job_id, user_name, unnest(string_split(hosts, ',')) AS host,
                started_at, ended_at
         FROM main.jobs WHERE started_at IS NOT NULL AND hosts <> '' AND {ended}
         ORDER BY started_at, cluster, job_id, host;"
    ))?;
    if matches!(slice, Slice::Current { .. }) {
        conn.execute_batch(
            "INSERT INTO publish_target.slurm_licenses
             SELECT l.ts, l.cluster, l.name, split_part(l.name, '@', 1), l.total, l.used,
                    l.free, l.reserved, l.remote, l.last_consumed
             FROM main.slurm_licenses l
             JOIN main.slurm_marks m ON m.cluster = l.cluster AND m.licenses_at = l.ts
             ORDER BY l.cluster, l.name;
             INSERT INTO publish_target.slurm_pending
             SELECT p.* FROM main.slurm_pending p
             JOIN main.slurm_marks m ON m.cluster = p.cluster AND m.pending_at = p.ts
             ORDER BY p.cluster, p.submitted_at, p.job_id;",
        )?;
    }
    Ok(())
}

/// Which stored sessions are published (of the store's `sessions` aliased `s`): poll
/// sessions, plus log sessions that no run of successful polls of their server overlaps
/// (logs fill the time before, between and after polling; where polls ran, their sessions
/// already count the checkouts).
const PUBLISHED_SESSION: &str = "(s.source = 'poll'
    OR NOT EXISTS (
        SELECT 1 FROM main.poll_runs r
        WHERE r.server = s.server AND r.ok
          AND r.ts <= coalesce(s.ended_at, s.last_seen)
          AND r.until >= coalesce(s.started_at, s.first_seen)))";

/// The latest state of every feature, license server host and vendor daemon (`*_now`):
/// over every stored change, or, given a basis, over its `*_now` rows from before `since`
/// and the stored changes from then on (the same rows at a fraction of the reading).
fn write_latest(
    conn: &duckdb::Connection,
    basis: Option<&LatestBasis>,
) -> Result<(), duckdb::Error> {
    const FEATURE: &str =
        "ts, server, vendor, feature, counting, issued, in_use, version, expiry, error";
    const HOST: &str = "ts, server, host, up, master, version, error";
    const VENDOR: &str = "ts, server, vendor, up, version, error";
    let source = |table: &str, now: &str, columns: &str| match basis {
        None => format!("main.{table}"),
        Some(b) => {
            let (before, after) = match b.since {
                Some(t) => {
                    let t = t.format("TIMESTAMP '%Y-%m-%d %H:%M:%S%.f'");
                    (format!("ts < {t}"), format!("ts >= {t}"))
                }
                None => ("true".to_owned(), "false".to_owned()),
            };
            format!(
                "(SELECT {columns} FROM latest_basis.{now} WHERE {before}
                  UNION ALL SELECT {columns} FROM main.{table} WHERE {after})"
            )
        }
    };
    if let Some(b) = basis {
        let literal = b.file.to_string_lossy().replace('\'', "''");
        conn.execute_batch(&format!("ATTACH '{literal}' AS latest_basis (READ_ONLY)"))?;
    }
    let written = conn.execute_batch(&format!(
        "INSERT INTO publish_target.feature_now
         WITH reserved AS (
             -- Each server's reservations as its latest poll listed them: lmstat counts a
             -- reserved license nobody has checked out as in use.
             SELECT server, feature, sum(count) AS n
             FROM main.reservations r
             WHERE kind <> 'NONE'
               AND ts = (SELECT max(ts) FROM main.reservations x WHERE x.server = r.server)
             GROUP BY ALL)
         SELECT l.ts, f.server, vendor, f.feature, l.counting, l.issued, l.in_use, l.version,
                l.expiry, l.error, coalesce(r.n, 0),
                greatest(l.in_use - coalesce(r.n, 0), 0)
         FROM (SELECT server, vendor, feature,
                      arg_max({{'ts': ts, 'counting': counting, 'issued': issued, 'in_use': in_use,
                               'version': version, 'expiry': expiry, 'error': error}}, ts) AS l
               FROM {features} GROUP BY ALL) f
         LEFT JOIN reserved r ON r.server = f.server AND r.feature = f.feature
         WHERE l.counting <> 'absent'
         ORDER BY f.server, f.feature;
         INSERT INTO publish_target.host_now
         SELECT l.ts, server, host, l.up, l.master, l.version, l.error
         FROM (SELECT server, host,
                      arg_max({{'ts': ts, 'up': up, 'master': master, 'version': version,
                               'error': error}}, ts) AS l
               FROM {hosts} GROUP BY ALL)
         ORDER BY server, host;
         INSERT INTO publish_target.vendor_now
         SELECT l.ts, server, vendor, l.up, l.version, l.error
         FROM (SELECT server, vendor,
                      arg_max({{'ts': ts, 'up': up, 'version': version, 'error': error}}, ts) AS l
               FROM {vendors} GROUP BY ALL)
         ORDER BY server, vendor;",
        features = source("feature_usage", "feature_now", FEATURE),
        hosts = source("server_status", "host_now", HOST),
        vendors = source("vendor_status", "vendor_now", VENDOR),
    ));
    let detached = match basis {
        Some(_) => conn.execute_batch("DETACH latest_basis"),
        None => Ok(()),
    };
    written?;
    detached
}

/// `usage_daily` from the hourly rollup; `user_daily` from the published sessions, each
/// split at midnight (UTC) so a session's hours land on the days they were spent, for the
/// days of `slice` (a session that spans months counts in each month's file for its days
/// there). Hours count from `started_at`, or from `first_seen` when lmstat's start lies
/// more than a day before the first poll that showed the checkout (older than the
/// collector's history, or a wrong clock): usage nobody observed is not billed.
fn write_daily(conn: &duckdb::Connection, slice: Slice) -> Result<(), duckdb::Error> {
    let hours = slice.condition("hour");
    let overlapping = slice.overlaps("s", "e");
    // The sessions that can overlap the slice, found before the costlier test of which are
    // published (the store's sessions of every year).
    let reaching = slice.overlaps(
        "coalesce(started_at, first_seen) - INTERVAL 1 DAY",
        "coalesce(ended_at, last_seen)",
    );
    let days = slice.condition("d");
    conn.execute_batch(&format!(
        "INSERT INTO publish_target.usage_daily
         SELECT hour::DATE AS day, server, vendor, feature, max(issued), max(peak_in_use),
                sum(sum_in_use), sum(polls), sum(polls_full), max(peak_checked_out),
                sum(sum_checked_out)
         FROM main.usage_hourly WHERE {hours} GROUP BY ALL ORDER BY day, server, feature;
         CREATE OR REPLACE TEMP TABLE daily_rows AS
         WITH spans AS (
             SELECT * FROM (
                 SELECT server, vendor, feature, user_name, host, licenses,
                        CASE WHEN started_at >= first_seen - INTERVAL 1 DAY THEN started_at
                             ELSE first_seen END AS s,
                        coalesce(ended_at, last_seen) AS e
                 FROM (SELECT * FROM main.sessions WHERE {reaching}) s
                 WHERE {PUBLISHED_SESSION})
             WHERE {overlapping}),
         pieces AS (
             SELECT *, unnest(generate_series(date_trunc('day', s), date_trunc('day', e), INTERVAL 1 DAY)) AS d
             FROM spans WHERE e >= s),
         parts AS (
             SELECT *, epoch(least(e, d + INTERVAL 1 DAY) - greatest(s, d)) / 3600.0 AS h
             FROM pieces WHERE {days})
         SELECT d::DATE AS day, server, vendor, feature, user_name, host,
                sum(h * licenses), sum(h), count(*) FILTER (WHERE s >= d)::INTEGER,
                max(licenses)
         FROM parts GROUP BY ALL"
    ))?;
    assign_ids(conn)?;
    conn.execute_batch(
        "INSERT INTO publish_target.user_daily
         SELECT g.*, u.id, f.id, h.id
         FROM temp.daily_rows g
         JOIN main.name_ids u ON u.kind = 'user' AND u.name = g.user_name
         JOIN main.name_ids f ON f.kind = 'feature' AND f.name = g.feature
         JOIN main.name_ids h ON h.kind = 'host' AND h.name = g.host
         ORDER BY day, server, feature, user_name;
         DROP TABLE temp.daily_rows",
    )
}

/// `user_names`, `feature_names` and `host_names`: every id given so far with its name
/// (the months published before included), for the current file.
fn write_names(conn: &duckdb::Connection) -> Result<(), duckdb::Error> {
    for (kind, table) in [
        ("user", "user_names"),
        ("feature", "feature_names"),
        ("host", "host_names"),
    ] {
        conn.execute(
            &format!(
                "INSERT INTO publish_target.{table}
                 SELECT id, name FROM main.name_ids WHERE kind = ? ORDER BY id"
            ),
            [kind],
        )?;
    }
    Ok(())
}

/// Give an id (in `name_ids`, kept in the store) to every user, feature and host name of
/// the daily rows being published (`temp.daily_rows`) that has none yet: one past the
/// kind's largest, in name order. Ids never change, so months published apart agree on
/// them.
fn assign_ids(conn: &duckdb::Connection) -> Result<(), duckdb::Error> {
    for (kind, column) in [
        ("user", "user_name"),
        ("feature", "feature"),
        ("host", "host"),
    ] {
        conn.execute(
            &format!(
                "INSERT INTO main.name_ids
                 SELECT ?, n.name,
                        (SELECT coalesce(max(id), 0) FROM main.name_ids WHERE kind = ?)
                        + row_number() OVER (ORDER BY n.name)::INTEGER
                 FROM (SELECT DISTINCT {column} AS name FROM temp.daily_rows) n
                 WHERE NOT EXISTS (
                     SELECT 1 FROM main.name_ids x WHERE x.kind = ? AND x.name = n.name)"
            ),
            [kind, kind, kind],
        )?;
    }
    Ok(())
}

/// `user_monthly`, `person_monthly`, `person_daily`, `person_feature_monthly`,
/// `feature_monthly` and `daily_users`: the file's own `user_daily` summed per month,
/// person, day and feature as each says;
/// `checkout_hourly` from the file's own sessions. Written last, from the names as published (aliased when pseudonymized).
fn write_monthly(conn: &duckdb::Connection) -> Result<(), duckdb::Error> {
    conn.execute_batch(
        "INSERT INTO publish_target.user_monthly
         SELECT date_trunc('month', day)::DATE AS month, server, vendor, feature, user_name,
                host, sum(license_hours), sum(hours), sum(sessions)::INTEGER,
                max(peak_licenses), user_id, feature_id, host_id
         FROM publish_target.user_daily GROUP BY ALL ORDER BY month, server, feature, user_name;
         INSERT INTO publish_target.person_monthly
         SELECT month, user_name, sum(license_hours), sum(hours), sum(sessions)::INTEGER,
                max(peak_licenses), user_id, list(DISTINCT feature_id ORDER BY feature_id)
         FROM publish_target.user_monthly GROUP BY month, user_name, user_id
         ORDER BY month, user_name;
         INSERT INTO publish_target.person_daily
         SELECT day, user_name, sum(license_hours), sum(hours), sum(sessions)::INTEGER,
                max(peak_licenses), user_id
         FROM publish_target.user_daily GROUP BY ALL ORDER BY day, user_name;
         INSERT INTO publish_target.person_feature_monthly
         SELECT month, feature, user_name, sum(license_hours), sum(hours),
                sum(sessions)::INTEGER, max(peak_licenses), user_id, feature_id
         FROM publish_target.user_monthly GROUP BY ALL ORDER BY month, feature, user_name;
         INSERT INTO publish_target.feature_monthly
         SELECT month, feature, feature_id, sum(license_hours), sum(hours),
                sum(sessions)::INTEGER, max(peak_licenses),
                list(DISTINCT user_id ORDER BY user_id)
         FROM publish_target.user_monthly GROUP BY month, feature, feature_id
         ORDER BY month, feature;
         INSERT INTO publish_target.daily_users
         SELECT day, sum(license_hours), sum(hours), sum(sessions)::INTEGER,
                max(peak_licenses), list(DISTINCT user_id ORDER BY user_id)
         FROM publish_target.user_daily GROUP BY day ORDER BY day;
         INSERT INTO publish_target.checkout_hourly
         SELECT date_trunc('month', ended_at)::DATE AS ended_month, t::DATE AS day,
                hour(t) AS hour, count(*)::INTEGER,
                sum(licenses * epoch(coalesce(ended_at, last_seen) - t) / 3600)
         FROM (SELECT *, coalesce(started_at, first_seen) AS t FROM publish_target.sessions)
         GROUP BY ALL ORDER BY ended_month, day, hour",
    )
}

/// Where user and host names sit in the published tables: (kind, table, column, which
/// rows, over the table aliased `t`).
const NAME_COLUMNS: &[(&str, &str, &str, &str)] = &[
    ("user", "sessions", "user_name", "true"),
    ("user", "queued", "user_name", "true"),
    ("user", "events", "user_name", "true"),
    ("user", "user_daily", "user_name", "true"),
    ("user", "user_names", "user_name", "true"),
    ("user", "org_people", "user_name", "true"),
    ("user", "org_people", "display_name", "true"),
    ("user", "org_project_members", "user_name", "true"),
    ("user", "reservations", "target", "t.kind = 'USER'"),
    ("user", "jobs", "user_name", "true"),
    ("user", "job_hosts", "user_name", "true"),
    ("user", "slurm_pending", "user_name", "true"),
    ("host", "jobs", "host", "true"),
    ("host", "job_hosts", "host", "true"),
    ("host", "sessions", "host", "true"),
    ("host", "sessions", "display", "true"),
    ("host", "queued", "host", "true"),
    ("host", "queued", "display", "true"),
    ("host", "events", "host", "true"),
    ("host", "user_daily", "host", "true"),
    ("host", "host_names", "host", "true"),
    ("host", "org_hosts", "host", "true"),
    (
        "host",
        "reservations",
        "target",
        "t.kind IN ('HOST', 'DISPLAY')",
    ),
];

/// Replace every user and/or host name in the file being published with its alias: the
/// aliases are computed here, in Rust, and applied with bound values.
fn pseudonymize(
    conn: &duckdb::Connection,
    p: &Pseudonymize,
    slice: Slice,
) -> Result<(), duckdb::Error> {
    conn.execute_batch(
        "CREATE OR REPLACE TEMP TABLE pseudonyms (kind VARCHAR, name VARCHAR, alias VARCHAR)",
    )?;
    let wanted = |c: &&(&str, &str, &str, &str)| {
        slice.holds(c.1) && ((c.0 == "user" && p.users) || (c.0 == "host" && p.hosts))
    };
    let mut names: std::collections::BTreeSet<(&str, String)> = Default::default();
    for (kind, table, column, condition) in NAME_COLUMNS.iter().filter(wanted) {
        let mut stmt = conn.prepare(&format!(
            "SELECT DISTINCT {column} FROM publish_target.{table} t WHERE {condition}"
        ))?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        for name in rows {
            names.insert((kind, name?));
        }
    }
    {
        let mut app = conn.appender("pseudonyms")?;
        for (kind, name) in &names {
            app.append_row(duckdb::params![*kind, name, p.alias(kind, name)])?;
        }
        app.flush()?;
    }
    for (kind, table, column, condition) in NAME_COLUMNS.iter().filter(wanted) {
        conn.execute(
            &format!(
                "UPDATE publish_target.{table} t SET {column} = p.alias FROM pseudonyms p
                 WHERE p.kind = ? AND t.{column} = p.name AND {condition}"
            ),
            [kind],
        )?;
    }
    conn.execute_batch("DROP TABLE pseudonyms")
}

/// Fill the `org_*` tables: the org file, plus every user and host seen in the data that
/// it does not know, as `unassigned`.
fn write_org(conn: &duckdb::Connection, org: &Org) -> Result<(), duckdb::Error> {
    // People and hosts run to thousands: appended in bulk (one INSERT per row costs seconds).
    conn.execute_batch(
        "CREATE OR REPLACE TEMP TABLE org_people_rows (user_name VARCHAR, display_name VARCHAR,
             team VARCHAR, department VARCHAR, cost_center VARCHAR);
         CREATE OR REPLACE TEMP TABLE org_host_rows (host VARCHAR, cluster VARCHAR)",
    )?;
    {
        let mut people = conn.appender("org_people_rows")?;
        for p in org.resolved_people() {
            people.append_row(params![
                p.user,
                p.display_name,
                p.team,
                p.department,
                p.cost_center
            ])?;
        }
        people.flush()?;
    }
    conn.execute_batch("INSERT INTO publish_target.org_people SELECT * FROM org_people_rows")?;
    conn.execute(
        "INSERT INTO publish_target.org_people
         SELECT u, u, ?1, ?1, ?1
         FROM (SELECT user_name AS u FROM main.sessions UNION SELECT user_name FROM main.events
               UNION SELECT user_name FROM main.jobs)
         WHERE u NOT IN (SELECT user_name FROM publish_target.org_people)",
        params![UNASSIGNED],
    )?;
    let mut deps =
        conn.prepare("INSERT INTO publish_target.org_departments VALUES (?, ?, ?, ?)")?;
    for d in &org.departments {
        deps.execute(params![
            d.id,
            d.name.as_ref().unwrap_or(&d.id),
            d.cost_center,
            d.budget
        ])?;
    }
    deps.execute(params![UNASSIGNED, UNASSIGNED, UNASSIGNED, None::<f64>])?;
    let mut teams = conn.prepare("INSERT INTO publish_target.org_teams VALUES (?, ?, ?, ?)")?;
    for t in &org.teams {
        teams.execute(params![
            t.id,
            t.name.as_ref().unwrap_or(&t.id),
            t.department,
            t.cost_center
        ])?;
    }
    teams.execute(params![UNASSIGNED, UNASSIGNED, UNASSIGNED, UNASSIGNED])?;
    let hosts: Vec<String> = conn
        .prepare(
            "SELECT host FROM main.sessions UNION SELECT host FROM main.events
             UNION SELECT unnest(string_split(hosts, ',')) FROM main.jobs WHERE hosts <> ''",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    {
        let mut host_rows = conn.appender("org_host_rows")?;
        for host in &hosts {
            host_rows.append_row(params![host, org.cluster_of(host).unwrap_or(UNASSIGNED)])?;
        }
        host_rows.flush()?;
    }
    conn.execute_batch(
        "INSERT INTO publish_target.org_hosts SELECT * FROM org_host_rows;
         DROP TABLE org_people_rows; DROP TABLE org_host_rows",
    )?;
    let mut patterns =
        conn.prepare("INSERT INTO publish_target.org_cluster_patterns VALUES (?, ?)")?;
    for c in &org.clusters {
        for pattern in &c.hosts {
            patterns.execute(params![c.name, pattern])?;
        }
    }
    let mut prices = conn.prepare("INSERT INTO publish_target.org_prices VALUES (?, ?, ?, ?)")?;
    for p in &org.prices {
        prices.execute(params![
            p.feature,
            p.vendor,
            p.per_seat_year,
            p.currency.as_ref().unwrap_or(&org.currency)
        ])?;
    }
    let mut pools = conn.prepare("INSERT INTO publish_target.org_pools VALUES (?, ?, ?, ?)")?;
    for p in &org.pools {
        pools.execute(params![p.team, p.feature, p.reserved, p.priority])?;
    }
    let mut projects =
        conn.prepare("INSERT INTO publish_target.org_projects VALUES (?, ?, ?, ?, ?, ?)")?;
    let mut members =
        conn.prepare("INSERT INTO publish_target.org_project_members VALUES (?, ?)")?;
    let mut phases =
        conn.prepare("INSERT INTO publish_target.org_project_phases VALUES (?, ?, ?, ?)")?;
    for p in &org.projects {
        projects.execute(params![
            p.id,
            p.name.as_ref().unwrap_or(&p.id),
            p.budget,
            org.currency,
            p.start,
            p.end
        ])?;
        for m in &p.members {
            members.execute(params![p.id, m])?;
        }
        for ph in &p.phases {
            phases.execute(params![p.id, ph.name, ph.start, ph.end])?;
        }
    }
    let mut alerts = conn.prepare("INSERT INTO publish_target.org_alerts VALUES (?, ?, ?)")?;
    for (i, rule) in org.alerts.iter().enumerate() {
        let definition = serde_json::to_string(rule).unwrap_or_default();
        alerts.execute(params![i as i64, rule.name, definition])?;
    }
    Ok(())
}

/// Write `bytes` to `path` via a temporary file, fsync, rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.tmp"));
    let written = File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .map_err(io(&tmp))
        .and_then(|()| fs::rename(&tmp, path).map_err(io(path)));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written?;
    sync_dir(dir)
}

fn existing_generations(dir: &Path) -> Result<Vec<u64>, PublishError> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if let Some(g) = name
            .strip_prefix(PREFIX)
            .and_then(|n| n.strip_suffix(SUFFIX))
            .and_then(|n| n.parse().ok())
        {
            out.push(g);
        }
    }
    Ok(out)
}

fn remove_if_exists(path: &Path) -> Result<(), PublishError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(path)(e)),
        _ => Ok(()),
    }
}

pub(crate) fn sync_file(path: &Path) -> Result<(), PublishError> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io(path))
}

fn sync_dir(dir: &Path) -> Result<(), PublishError> {
    File::open(dir).and_then(|f| f.sync_all()).map_err(io(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(conn: &duckdb::Connection, kind: &str) -> Vec<(String, i32)> {
        let mut stmt = conn
            .prepare("SELECT name, id FROM name_ids WHERE kind = ? ORDER BY id")
            .expect("prepare");
        let rows = stmt
            .query_map([kind], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query");
        rows.map(|r| r.expect("row")).collect()
    }

    #[test]
    fn a_name_keeps_its_id_when_names_that_sort_before_it_arrive() {
        let store = crate::store::db::Store::in_memory().expect("store");
        let conn = store.conn();
        conn.execute_batch(
            "CREATE TEMP TABLE daily_rows (user_name VARCHAR, feature VARCHAR, host VARCHAR)",
        )
        .expect("rows");
        let add = |user: &str, feature: &str| {
            conn.execute(
                "INSERT INTO temp.daily_rows VALUES (?, ?, 'h1')",
                [user, feature],
            )
            .expect("insert");
        };
        add("zoe", "solver");
        assign_ids(conn).expect("ids");
        add("adam", "mesher");
        add("zoe", "mesher");
        assign_ids(conn).expect("ids again");
        assign_ids(conn).expect("nothing new");
        let own = |v: &[(&str, i32)]| -> Vec<(String, i32)> {
            v.iter().map(|(n, i)| ((*n).to_owned(), *i)).collect()
        };
        assert_eq!(ids(conn, "user"), own(&[("zoe", 1), ("adam", 2)]));
        assert_eq!(ids(conn, "feature"), own(&[("solver", 1), ("mesher", 2)]));
        assert_eq!(ids(conn, "host"), own(&[("h1", 1)]));
    }
}
