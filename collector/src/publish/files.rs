//! Reading a published directory natively: its manifest's full DuckDB file, opened
//! read-only, and query rows as JSON values (the shape DuckDB-Wasm gives the site), so the
//! CLI feeds the shared code exactly what the browser does.

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

/// The published full file of `dir`, opened read-only, and its path for messages.
pub fn open(dir: &Path) -> Result<(duckdb::Connection, String), PublishedError> {
    let manifest_path = dir.join(MANIFEST_FILE);
    let bad = |message: String| PublishedError {
        path: manifest_path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(&manifest_path).map_err(|e| bad(e.to_string()))?;
    let manifest = Manifest::from_json(&text).map_err(|e| bad(e.to_string()))?;
    let file = manifest
        .files
        .first()
        .ok_or_else(|| bad("lists no data file".to_owned()))?;
    let path = dir.join(&file.path);
    let shown = path.display().to_string();
    let unreadable = |e: duckdb::Error| PublishedError {
        path: shown.clone(),
        message: format!("not a readable DuckDB file: {e}"),
    };
    let config = duckdb::Config::default()
        .access_mode(duckdb::AccessMode::ReadOnly)
        .map_err(unreadable)?;
    let db = duckdb::Connection::open_with_flags(&path, config).map_err(unreadable)?;
    Ok((db, shown))
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
