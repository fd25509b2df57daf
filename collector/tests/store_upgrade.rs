//! A store written before the checked-out counts (store version 3) opens as version 4: its
//! hourly rows keep their figures and carry in use as checked out, and new polls add the
//! split. A store of an unknown version is still refused, naming it.

use duckdb::Connection;
use lmscope::store::db::Store;
use lmscope::store::schema::STORE_VERSION;

/// `usage_hourly` as store version 3 created it, with one hour in it.
fn version_3_store(path: &std::path::Path, version: &str) {
    let conn = Connection::open(path).expect("create");
    conn.execute_batch(&format!(
        "CREATE TABLE lmscope_store (key VARCHAR PRIMARY KEY, value VARCHAR);
         INSERT INTO lmscope_store VALUES ('schema_version', '{version}');
         CREATE TABLE usage_hourly (
            hour TIMESTAMP NOT NULL, server VARCHAR NOT NULL, vendor VARCHAR,
            feature VARCHAR NOT NULL, issued INTEGER NOT NULL, peak_in_use INTEGER NOT NULL,
            sum_in_use BIGINT NOT NULL, polls INTEGER NOT NULL, polls_full INTEGER NOT NULL);
         INSERT INTO usage_hourly VALUES
            ('2026-03-02 10:00:00', '27000@lic', 'ansyslmd', 'ansys', 30, 12, 40, 4, 0);"
    ))
    .expect("version 3 layout");
}

#[test]
fn a_version_3_store_is_upgraded_in_place() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("store.duckdb");
    version_3_store(&path, "3");
    let store = Store::open(&path).expect("a version 3 store opens");
    let (peak, sum, out, sum_out, version): (i64, i64, i64, i64, String) = store
        .conn()
        .query_row(
            "SELECT peak_in_use, sum_in_use, peak_checked_out, sum_checked_out,
                    (SELECT value FROM lmscope_store WHERE key = 'schema_version')
             FROM usage_hourly",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .expect("the hour");
    assert_eq!((peak, sum, out, sum_out), (12, 40, 12, 40));
    assert_eq!(version, STORE_VERSION.to_string());
    drop(store);
    // Opening again: already upgraded, nothing to do.
    Store::open(&path).expect("opens again");
}

#[test]
fn a_store_of_an_unknown_version_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("store.duckdb");
    version_3_store(&path, "2");
    let err = Store::open(&path).err().expect("refused").to_string();
    assert!(
        err.contains('2') && err.contains(&STORE_VERSION.to_string()),
        "{err}"
    );
}
