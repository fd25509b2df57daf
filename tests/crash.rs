//! `kill -9` during `publish`, at many moments: the published manifest always names a
//! complete, readable DuckDB file, and the store stays usable.

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
