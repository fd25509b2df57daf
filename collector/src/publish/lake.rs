//! The open lake: the published files again as Hive-partitioned Parquet, for engines that
//! read years of many sites' data (Spark, Trino, Polars, a warehouse).
//!
//! Layout under the lake folder:
//! - `TABLE/month=YYYY-MM/part-FINGERPRINT.parquet`: a closed month of a partitioned table,
//!   copied from that month's DuckDB partition, written once (its name follows its content);
//! - `TABLE/month=YYYY-MM/current-GENERATION.parquet`: the open month, rewritten each publish;
//! - `TABLE/current-GENERATION.parquet`: the tables that are not partitioned (the latest
//!   state, poll runs, entitlements, the org);
//! - `_files.json`: every file of this publish, with its table and month, for readers that
//!   want the exact set (Hive readers skip names starting with `_`).
//!
//! Each file is written aside and renamed into place; files of the lake's previous publish
//! are removed after the new ones are in place.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;

use crate::publish::manifest::Manifest;
use crate::publish::partition::partition_column;
use crate::publish::write::{io, sync_file, write_atomically, PublishError};

/// Name of the lake's list of files.
pub const LAKE_FILES: &str = "_files.json";

/// What one lake update did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LakeSummary {
    /// Parquet files written by this update.
    pub written: usize,
    /// Their bytes.
    pub bytes_written: u64,
    /// Files of closed months already in place, kept.
    pub kept: usize,
    /// Files of earlier publishes removed.
    pub removed: usize,
}

/// One Parquet file of the lake.
#[derive(Debug, Serialize)]
struct LakeFile {
    table: String,
    /// `YYYY-MM` for a partitioned table's file.
    #[serde(skip_serializing_if = "Option::is_none")]
    month: Option<String>,
    path: String,
}

/// Bring the lake at `lake` up to the publish in `out_dir` described by `manifest`, whose
/// current file holds `current` (the open month).
pub fn write_lake(
    out_dir: &Path,
    manifest: &Manifest,
    current: NaiveDate,
    lake: &Path,
) -> Result<LakeSummary, PublishError> {
    fs::create_dir_all(lake).map_err(io(lake))?;
    let conn = duckdb::Connection::open_in_memory()?;
    let mut summary = LakeSummary::default();
    let mut files: Vec<LakeFile> = Vec::new();
    for data in &manifest.files {
        let (month, stem) = match (&data.month, &data.fingerprint) {
            (Some(month), Some(fp)) => (month.clone(), format!("part-{}", short(fp))),
            _ => (
                current.format("%Y-%m").to_string(),
                format!("current-{}", generation_of(&data.path)),
            ),
        };
        let source = out_dir.join(&data.path);
        let literal = source.to_string_lossy().replace('\'', "''");
        conn.execute_batch(&format!("ATTACH '{literal}' AS lake_source (READ_ONLY)"))?;
        let copied = (|| {
            let tables: Vec<String> = conn
                .prepare(
                    "SELECT table_name FROM duckdb_tables()
                     WHERE database_name = 'lake_source' ORDER BY 1",
                )?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for table in tables {
                let partitioned = partition_column(&table).is_some();
                let relative = if partitioned {
                    format!("{table}/month={month}/{stem}.parquet")
                } else {
                    format!("{table}/{stem}.parquet")
                };
                let path = lake.join(&relative);
                files.push(LakeFile {
                    table: table.clone(),
                    month: partitioned.then(|| month.clone()),
                    path: relative,
                });
                if data.month.is_some() && path.exists() {
                    summary.kept += 1;
                    continue;
                }
                summary.bytes_written += copy_table(&conn, &table, &path)?;
                summary.written += 1;
            }
            Ok::<(), PublishError>(())
        })();
        conn.execute_batch("DETACH lake_source")?;
        copied?;
    }
    write_atomically(
        &lake.join(LAKE_FILES),
        serde_json::to_string_pretty(&files)?.as_bytes(),
    )?;
    let wanted: BTreeSet<PathBuf> = files.iter().map(|f| lake.join(&f.path)).collect();
    summary.removed = remove_others(lake, &wanted)?;
    Ok(summary)
}

/// Copy `lake_source.TABLE` into the Parquet file `path` (aside, then renamed), returning
/// its size.
fn copy_table(conn: &duckdb::Connection, table: &str, path: &Path) -> Result<u64, PublishError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io(dir))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp"));
    let literal = tmp.to_string_lossy().replace('\'', "''");
    let copied = conn
        .execute_batch(&format!(
            "COPY (SELECT * FROM lake_source.{table}) TO '{literal}'
             (FORMAT PARQUET, COMPRESSION ZSTD)"
        ))
        .map_err(PublishError::from)
        .and_then(|()| sync_file(&tmp))
        .and_then(|()| fs::rename(&tmp, path).map_err(io(path)));
    if let Err(e) = copied {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(fs::metadata(path).map_err(io(path))?.len())
}

/// Remove the lake's Parquet files (and temporaries) that this publish does not list, and
/// month folders left empty; files the lake did not make are left alone.
fn remove_others(lake: &Path, wanted: &BTreeSet<PathBuf>) -> Result<usize, PublishError> {
    let mut removed = 0;
    let mut dirs = vec![lake.to_owned()];
    while let Some(dir) = dirs.pop() {
        let entries = fs::read_dir(&dir).map_err(io(&dir))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let ours = (name.starts_with("part-") || name.starts_with("current-"))
                && name.ends_with(".parquet");
            let temporary = name.starts_with('.') && name.ends_with(".parquet.tmp");
            if (ours && !wanted.contains(&path)) || temporary {
                fs::remove_file(&path).map_err(io(&path))?;
                removed += usize::from(ours);
            }
        }
        if dir != lake
            && dir
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("month="))
        {
            // Only if empty: remove_dir refuses a folder with anything in it.
            let _ = fs::remove_dir(&dir);
        }
    }
    Ok(removed)
}

/// The first 16 hex digits of a fingerprint (as the partition's own file name has).
fn short(fingerprint: &str) -> &str {
    fingerprint.get(..16).unwrap_or(fingerprint)
}

/// `000042` of `lmscope-000042.duckdb`.
fn generation_of(path: &str) -> &str {
    path.strip_prefix("lmscope-")
        .and_then(|p| p.strip_suffix(".duckdb"))
        .unwrap_or(path)
}
