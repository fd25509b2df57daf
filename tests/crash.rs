//! `kill -9` during `publish`, at many moments: the published manifest always names a
//! complete, readable DuckDB file, and the store stays usable. `kill -9` during
//! `import log`: the store holds all of the log or none of it.

use std::time::Duration;

use lmscope_e2e::{demo_in, StoreDir};

fn published_sessions(out_dir: &std::path::Path) -> i64 {
    // Every file the manifest names (the month partitions and the current file) opens.
    let (db, _) = lmscope::publish::files::open(out_dir)
        .unwrap_or_else(|e| panic!("the published files open: {e}"));
    db.query_row("SELECT count(*) FROM sessions", [], |r| r.get(0))
        .expect("published files are complete")
}

#[test]
fn kill_9_during_publish_never_breaks_the_published_files() {
    let tmp = StoreDir::new("crash");
    let out_dir = tmp.path().join("out");
    let out_arg = out_dir.to_string_lossy().into_owned();
    demo_in(
        tmp.path(),
        &out_dir,
        &["--weeks", "2", "--end", "2026-11-20T12:00"],
    );
    let expected = published_sessions(&out_dir);
    assert!(expected > 1000);

    let mut interrupted = 0;
    for attempt in 0..24u64 {
        let mut child = tmp
            .command()
            .args(["publish", "--out", &out_arg])
            .spawn()
            .expect("start publish");
        std::thread::sleep(Duration::from_millis(attempt * 15));
        if child.try_wait().expect("poll child").is_none() {
            interrupted += 1;
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        assert_eq!(
            published_sessions(&out_dir),
            expected,
            "after kill at attempt {attempt}"
        );
    }
    assert!(
        interrupted >= 5,
        "the kills should land mid-publish ({interrupted} did)"
    );

    // The store still opens and a clean publish still works, leaving no temporary files.
    tmp.ok(&["publish", "--out", &out_arg]);
    assert_eq!(published_sessions(&out_dir), expected);
    let leftovers: Vec<String> = std::fs::read_dir(&out_dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") || n.ends_with(".wal"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "a clean publish clears what killed ones left: {leftovers:?}"
    );
}

/// How many events and sessions a store holds of `server`.
fn stored(store: &std::path::Path, server: &str) -> (i64, i64) {
    let db = duckdb::Connection::open(store).expect("the store opens");
    let count = |table: &str| -> i64 {
        db.query_row(
            &format!("SELECT count(*) FROM {table} WHERE server = ?"),
            [server],
            |r| r.get(0),
        )
        .expect("count")
    };
    (count("events"), count("sessions"))
}

#[test]
fn kill_9_during_import_log_stores_all_of_the_log_or_none() {
    let log = include_str!(
        "fixtures/debuglog/sergioedo__flexlm-license-elk__logstash_data_sample.log.txt"
    );
    let tmp = StoreDir::new("crash-log");
    // A log of another server first, so the store exists; then this server's first log:
    // the same lines eighty times over (each copy's events repeat the first's, so they are
    // numbered and stored as repeats). It takes about two seconds: its events, then its
    // sessions, each a statement of their own.
    let other = tmp.path().join("other.log");
    std::fs::write(&other, log).expect("write");
    let long = tmp.path().join("long.log");
    std::fs::write(&long, log.repeat(80)).expect("write");
    let (other_arg, long_arg) = (
        other.to_string_lossy().into_owned(),
        long.to_string_lossy().into_owned(),
    );
    let server = "27001@SERVER01";

    let whole = StoreDir::new("crash-log-whole");
    whole.ok(&["import", "log", &long_arg]);
    let all = stored(whole.store(), server);
    assert!(all.0 > 100_000 && all.1 > 10_000, "{all:?}");

    tmp.ok(&["import", "log", "--server", "other@host", &other_arg]);
    let none = stored(tmp.store(), server);
    assert_eq!(none, (0, 0));

    let mut interrupted = 0;
    for attempt in 0..12u64 {
        let mut child = tmp
            .command()
            .args(["import", "log", &long_arg])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start the import");
        std::thread::sleep(Duration::from_millis(100 + attempt * 120));
        if child.try_wait().expect("poll child").is_none() {
            interrupted += 1;
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let now = stored(tmp.store(), server);
        assert!(
            now == none || now == all,
            "after a kill at attempt {attempt}: {now:?}, neither {none:?} nor {all:?}"
        );
        if now == all {
            break;
        }
    }
    assert!(
        interrupted >= 3,
        "the kills should land mid-import ({interrupted} did)"
    );
    // The import run again stores the log whole, as on a store never interrupted.
    tmp.ok(&["import", "log", &long_arg]);
    assert_eq!(stored(tmp.store(), server), all);
}
