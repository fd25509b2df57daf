//! Reading a published directory natively: every DuckDB file its manifest lists (the
//! monthly partitions and the current file) opened read-only as one database, and query
//! rows as JSON values (the shape DuckDB-Wasm gives the site), so the CLI feeds the shared
//! code exactly what the browser does.

use std::path::Path;

use serde_json::{json, Value};

use crate::publish::manifest::{Manifest, MANIFEST_FILE};

/// A published directory that cannot be read, and why.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct PublishedError {
    pub path: String,
    pub message: String,
}

/// The published data of `dir` as one read-only database (one view per table over the
/// files that hold it), and the manifest's path for messages.
pub fn open(dir: &Path) -> Result<(duckdb::Connection, String), PublishedError> {
    let manifest_path = dir.join(MANIFEST_FILE);
    let shown = manifest_path.display().to_string();
    let bad = |message: String| PublishedError {
        path: shown.clone(),
        message,
    };
    let text = std::fs::read_to_string(&manifest_path).map_err(|e| bad(e.to_string()))?;
    let manifest = Manifest::from_json(&text).map_err(|e| bad(e.to_string()))?;
    let db = open_manifest(dir, &manifest)?;
    Ok((db, shown))
}

/// The files of `manifest` (paths relative to `dir`) as one in-memory database of views.
pub fn open_manifest(
    dir: &Path,
    manifest: &Manifest,
) -> Result<duckdb::Connection, PublishedError> {
    let in_dir = |p: &str| dir.join(p).to_string_lossy().into_owned();
    let statements = manifest
        .union_statements(in_dir)
        .map_err(|e| PublishedError {
            path: dir.join(MANIFEST_FILE).display().to_string(),
            message: e.to_string(),
        })?;
    let engine = |e: duckdb::Error| PublishedError {
        path: dir.display().to_string(),
        message: format!("DuckDB could not start: {e}"),
    };
    let db = duckdb::Connection::open_in_memory().map_err(engine)?;
    for (file, sql) in statements {
        db.execute_batch(&sql).map_err(|e| match &file {
            Some(file) => PublishedError {
                path: dir.join(file).display().to_string(),
                message: format!("not a readable DuckDB file: {e}"),
            },
            None => PublishedError {
                path: dir.join(MANIFEST_FILE).display().to_string(),
                message: format!("its files do not fit together: {e}"),
            },
        })?;
    }
    Ok(db)
}

/// Rows of `sql` with `params` bound, each cell as JSON (numbers, text, booleans, null).
pub fn rows(
    db: &duckdb::Connection,
    sql: &str,
    params: &[&dyn duckdb::ToSql],
) -> Result<Vec<Vec<Value>>, duckdb::Error> {
    let mut stmt = db.prepare(sql)?;
    let rows = stmt.query_map(params, |r| {
        let width = r.as_ref().column_count();
        (0..width)
            .map(|i| r.get::<_, duckdb::types::Value>(i).map(to_json))
            .collect::<Result<Vec<Value>, _>>()
    })?;
    rows.collect()
}

fn to_json(v: duckdb::types::Value) -> Value {
    use duckdb::types::Value as V;
    match v {
        V::Boolean(b) => json!(b),
        V::TinyInt(i) => json!(i),
        V::SmallInt(i) => json!(i),
        V::Int(i) => json!(i),
        V::BigInt(i) => json!(i),
        V::Float(f) => json!(f),
        V::Double(f) => json!(f),
        V::Text(s) => json!(s),
        _ => Value::Null,
    }
}
