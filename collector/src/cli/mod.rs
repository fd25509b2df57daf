//! The `lmscope` commands, one module each; `args` is the command line. Errors carry
//! context (`anyhow`) naming the file or server at fault.

pub(crate) mod args;
pub(crate) mod check;
pub(crate) mod chunks;
pub(crate) mod demo;
pub(crate) mod import;
pub(crate) mod import_log;
pub(crate) mod notify;
pub(crate) mod poll;
pub(crate) mod publish;
pub(crate) mod report;

use std::path::Path;

use anyhow::{Context, Result};
use lmscope::parse::org::Org;
use lmscope::store::db::Store;

pub(crate) fn load_org(path: Option<&Path>) -> Result<Org> {
    let Some(path) = path else {
        return Ok(Org::default());
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Org::from_toml(&text).with_context(|| format!("org file {}", path.display()))
}

pub(crate) fn open_store(path: &Path) -> Result<Store> {
    Store::open(path).with_context(|| format!("opening store {}", path.display()))
}

/// Every row of a store's table, as text, sorted: for tests comparing two stores.
#[cfg(test)]
pub(crate) fn table_rows(store: &Store, table: &str) -> Vec<String> {
    use duckdb::types::Value;
    let mut stmt = store
        .conn()
        .prepare(&format!("SELECT * FROM \"{table}\""))
        .expect("prepare");
    let mut rows: Vec<String> = stmt
        .query_map([], |r| {
            (0..r.as_ref().column_count())
                .map(|i| r.get::<_, Value>(i).map(|v| format!("{v:?}")))
                .collect::<Result<Vec<_>, _>>()
                .map(|v| v.join("|"))
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    rows.sort();
    rows
}
