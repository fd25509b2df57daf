//! Publishing a year of one-minute polls of 50 servers, 500 features and 3,000 users:
//! `cargo bench -p lmscope --bench publish`. The store is synthesized once by
//! `lmscope demo --size large`, then `lmscope publish` runs as its own process under
//! `/usr/bin/time` so its wall time and peak memory are its own. Prints the figures and the
//! published bytes per session and per feature-day.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn main() {
    let dir = std::env::temp_dir().join(format!("lmscope-bench-publish-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let store = dir.join("store.duckdb");
    let bin = env!("CARGO_BIN_EXE_lmscope");

    let started = Instant::now();
    let out = Command::new(bin)
        .arg("--store")
        .arg(&store)
        .args([
            "demo",
            "--size",
            "large",
            "--end",
            "2026-11-20T12:00",
            "--out",
        ])
        .arg(dir.join("first"))
        .output()
        .expect("run lmscope demo");
    assert!(out.status.success(), "{out:?}");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    println!(
        "synthesis + first publish: {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let published = dir.join("site");
    let timed = Path::new("/usr/bin/time").exists();
    let mut cmd = if timed {
        let mut c = Command::new("/usr/bin/time");
        c.args(["-f", "%e s wall, %M KB max RSS"]).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    let started = Instant::now();
    let out = cmd
        .arg("--store")
        .arg(&store)
        .args(["publish", "--poll-interval", "60", "--out"])
        .arg(&published)
        .output()
        .expect("run lmscope publish");
    let wall = started.elapsed().as_secs_f64();
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rss = stderr.lines().last().unwrap_or("(no /usr/bin/time)");
    println!("publish of the year: {wall:.1} s; {rss}");

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(published.join("manifest.json")).expect("manifest"))
            .expect("json");
    let file = published.join(manifest["files"][0]["path"].as_str().expect("path"));
    let bytes = std::fs::metadata(&file).expect("published file").len();
    let db = duckdb::Connection::open(&file).expect("open published");
    let count = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).expect(sql) };
    let sessions = count("SELECT count(*) FROM sessions");
    let feature_days = count("SELECT count(*) FROM usage_daily");
    println!(
        "published file: {bytes} bytes; {sessions} sessions → {:.1} bytes/session; {feature_days} feature-days → {:.0} bytes/feature-day",
        bytes as f64 / sessions as f64,
        bytes as f64 / feature_days as f64
    );
    let mut stmt = db
        .prepare(
            "SELECT table_name, estimated_size, column_count FROM duckdb_tables() ORDER BY estimated_size DESC LIMIT 8",
        )
        .expect("tables");
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .expect("query");
    for row in rows {
        let (table, n) = row.expect("row");
        println!("  {table}: {n} rows");
    }
    drop(stmt);
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}
