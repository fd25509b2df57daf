//! Publishing: copy the store into a fresh DuckDB file and write `manifest.json`, each
//! written aside and renamed into place, so a reader (or a crash) never sees half a file.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{NaiveDateTime, Utc};

use crate::manifest::{DataFile, Manifest, MANIFEST_FILE};
use crate::schema::{table_names, SCHEMA_VERSION};
use crate::store::{Store, StoreError};

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
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PublishError + '_ {
    move |source| PublishError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Options of a publish.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// Expected seconds between polls, recorded for the site's staleness warning.
    pub poll_interval_seconds: u64,
}

const PREFIX: &str = "lmscope-";
const SUFFIX: &str = ".duckdb";

/// Publish the store into `out_dir` and return the manifest written.
pub fn publish(
    store: &Store,
    out_dir: &Path,
    opts: &PublishOptions,
) -> Result<Manifest, PublishError> {
    fs::create_dir_all(out_dir).map_err(io(out_dir))?;
    let generations = existing_generations(out_dir)?;
    let generation = generations.iter().max().map_or(1, |g| g + 1);
    let name = format!("{PREFIX}{generation:06}{SUFFIX}");
    let final_path = out_dir.join(&name);
    let tmp_path = out_dir.join(format!(".{name}.tmp"));
    remove_if_exists(&tmp_path)?;
    remove_if_exists(&wal_of(&tmp_path))?;

    write_database(store, &tmp_path)?;
    sync_file(&tmp_path)?;
    fs::rename(&tmp_path, &final_path).map_err(io(&final_path))?;
    sync_dir(out_dir)?;

    let (from, to) = store.poll_range()?;
    let bytes = fs::metadata(&final_path).map_err(io(&final_path))?.len();
    let manifest = Manifest {
        schema_version: SCHEMA_VERSION,
        generated_at: Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        data_as_of: to.map(rfc3339),
        poll_interval_seconds: opts.poll_interval_seconds,
        files: vec![DataFile {
            path: name,
            bytes,
            from: from.map(rfc3339),
            to: to.map(rfc3339),
            tables: table_names().map(str::to_owned).collect(),
        }],
    };
    write_atomically(
        &out_dir.join(MANIFEST_FILE),
        serde_json::to_string_pretty(&manifest)?.as_bytes(),
    )?;

    // Keep the previous generation: a browser that read the old manifest a moment ago may
    // still be fetching its file. Anything older goes.
    for old in generations.iter().filter(|g| **g + 1 < generation) {
        let path = out_dir.join(format!("{PREFIX}{old:06}{SUFFIX}"));
        remove_if_exists(&path)?;
    }
    Ok(manifest)
}

fn rfc3339(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn wal_of(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".wal");
    PathBuf::from(s)
}

/// Copy every table of the store into a new DuckDB file at `path`, sorted by time so
/// readers can skip row groups on time filters.
fn write_database(store: &Store, path: &Path) -> Result<(), PublishError> {
    let conn = store.conn();
    let literal = path.to_string_lossy().replace('\'', "''");
    conn.execute_batch(&format!("ATTACH '{literal}' AS publish_target"))?;
    let result = (|| {
        for (table, ddl) in crate::schema::TABLES {
            conn.execute_batch(&ddl.replacen(
                &format!("CREATE TABLE IF NOT EXISTS {table}"),
                &format!("CREATE TABLE publish_target.{table}"),
                1,
            ))?;
            let order = match *table {
                "sessions" => "started_at, server, feature",
                "entitlements" => "server, feature, version",
                _ => "ts, server",
            };
            conn.execute_batch(&format!(
                "INSERT INTO publish_target.{table} SELECT * FROM main.{table} ORDER BY {order}"
            ))?;
        }
        conn.execute_batch("CHECKPOINT publish_target")
    })();
    let detached = conn.execute_batch("DETACH publish_target");
    result?;
    detached?;
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
    {
        let mut f = File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(bytes).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
    }
    fs::rename(&tmp, path).map_err(io(path))?;
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

fn sync_file(path: &Path) -> Result<(), PublishError> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io(path))
}

fn sync_dir(dir: &Path) -> Result<(), PublishError> {
    File::open(dir).and_then(|f| f.sync_all()).map_err(io(dir))
}
