//! Collector faults: a store held by another run (overlapping cron runs take turns, or the
//! late one gives up with a clear message after its wait), and a disk that fills up during
//! publish (the error names the file, the published site and the store stay intact).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use duckdb::Connection;
use lmscope_e2e::{demo_in, fixture, lmscope_bin, StoreDir};

const APP2: &str = "lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_app2.txt";
const APP3: &str = "lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_app3.txt";

fn count(db: &Connection, sql: &str) -> i64 {
    db.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Polls in the store at `path` (opened only for this count).
fn stored_polls(path: &std::path::Path) -> i64 {
    let db = Connection::open(path).expect("store opens");
    count(&db, "SELECT count(*) FROM polls")
}

#[test]
fn a_locked_store_makes_the_next_run_wait_then_give_up_clearly() {
    let tmp = StoreDir::new("faults-lock");
    tmp.ok(&["import", "lmstat", &fixture(APP2).to_string_lossy()]);
    assert_eq!(stored_polls(tmp.store()), 1);

    // Another process (this test) holds the store: a run with a 1 s wait gives up, says why,
    // and changes nothing.
    let holder = Connection::open(tmp.store()).expect("hold the store");
    let started = Instant::now();
    let out = tmp
        .command()
        .args(["import", "lmstat"])
        .arg(fixture(APP3))
        .env("LMSCOPE_LOCK_WAIT", "1")
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("in use by another lmscope run") && stderr.contains("waited 1 s"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&*tmp.store().to_string_lossy()),
        "names the store: {stderr}"
    );
    assert!(started.elapsed() >= Duration::from_millis(900));

    // A run that starts while the store is held waits, and stores its poll once it is free.
    let mut late = tmp
        .command()
        .args(["import", "lmstat"])
        .arg(fixture(APP3))
        .env("LMSCOPE_LOCK_WAIT", "60")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        late.try_wait().expect("poll child").is_none(),
        "the late run waits for the store"
    );
    drop(holder);
    let out = late.wait_with_output().expect("finish");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stored_polls(tmp.store()), 2, "both runs' polls are kept");
}

#[test]
fn a_full_disk_during_publish_keeps_the_published_site_and_the_store() {
    let tmp = StoreDir::new("faults-disk");
    let out_dir = tmp.path().join("out");
    let out_arg = out_dir.to_string_lossy().into_owned();
    demo_in(
        tmp.path(),
        &out_dir,
        &["--weeks", "1", "--end", "2026-11-20T12:00"],
    );
    let manifest_before = std::fs::read(out_dir.join("manifest.json")).expect("manifest");
    let files_before: Vec<String> = listing(&out_dir);
    let polls_before = stored_polls(tmp.store());

    // The file size limit stands in for a full disk: writes past 256 KiB fail with EFBIG
    // (the signal ignored, as a full disk's ENOSPC would simply fail the write).
    let script = format!(
        "trap '' XFSZ; ulimit -f 256; exec '{}' --store '{}' publish --out '{}'",
        lmscope_bin().display(),
        tmp.store().display(),
        out_arg
    );
    let out = Command::new("sh")
        .args(["-c", &script])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "fails cleanly: {out:?}");
    assert!(
        stderr.contains("File too large") || stderr.contains("No space"),
        "says what failed: {stderr}"
    );
    assert!(stderr.contains(&out_arg), "names where: {stderr}");
    assert_eq!(
        std::fs::read(out_dir.join("manifest.json")).expect("manifest"),
        manifest_before,
        "the manifest is untouched"
    );
    assert_eq!(
        listing(&out_dir),
        files_before,
        "no half-written file is left"
    );
    assert_eq!(
        stored_polls(tmp.store()),
        polls_before,
        "the store is intact"
    );
    // With room again, publishing works.
    tmp.ok(&["publish", "--out", &out_arg]);
}

fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
