//! `lmscope poll` against a fake `lmutil` that prints real recorded outputs, with servers
//! that are down, hang, say nothing or answer garbage in the same run.

use duckdb::Connection;
use lmscope_e2e::{fixture, repo_root, StoreDir};

fn q<T: duckdb::types::FromSql>(db: &Connection, sql: &str) -> T {
    db.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[test]
fn one_poll_records_every_server_and_survives_bad_ones() {
    let tmp = StoreDir::new("poll");
    let outputs = tmp.path().join("outputs");
    std::fs::create_dir_all(&outputs).expect("dir");
    let app2 = fixture("lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_app2.txt");
    let app3 = fixture("lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_app3.txt");
    std::fs::copy(&app2, outputs.join("28000_host1.txt")).expect("copy");
    std::fs::copy(&app3, outputs.join("1999_host1_1999_host2_1999_host3.txt")).expect("copy");
    // The same status, cut in half by an lmutil that dies part way.
    std::fs::copy(&app2, outputs.join("half_h.txt")).expect("copy");
    std::fs::write(
        outputs.join("junk_x.txt"),
        "\u{0}\u{1}binary junk\nnot lmstat at all\n",
    )
    .expect("write");
    let config = tmp.path().join("lmscope.toml");
    let fake = repo_root().join("tests/fake-lmutil/lmutil");
    std::fs::write(
        &config,
        format!(
            "lmutil = \"{}\"\nservers = [\"28000@host1\", \"1999@host1,1999@host2,1999@host3\", \"hang@h\", \"mute@m\", \"27000@dead\", \"junk@x\", \"half@h\"]\ntimeout = \"2s\"\ninterval = \"1m\"\n",
            fake.display()
        ),
    )
    .expect("config");
    let out_dir = tmp.path().join("site-data");
    let started = std::time::Instant::now();
    let out = tmp
        .command()
        .args(["poll", "--config", &config.to_string_lossy()])
        .args(["--publish", &out_dir.to_string_lossy()])
        .env("FAKE_LMUTIL_DIR", &outputs)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    // The hanging server costs its timeout, not the whole run: servers are polled at once.
    assert!(
        started.elapsed().as_secs_f64() < 10.0,
        "took {:?}",
        started.elapsed()
    );
    assert!(
        stdout.contains("28000@host1: UP, 10 feature(s)"),
        "{stdout}"
    );
    assert!(out_dir.join("manifest.json").exists());

    let db = Connection::open(tmp.store()).expect("store");
    assert_eq!(q::<i64>(&db, "SELECT count(*) FROM polls"), 7);
    assert_eq!(q::<i64>(&db, "SELECT count(*) FROM polls WHERE ok"), 2);
    assert_eq!(
        q::<i64>(&db, "SELECT count(DISTINCT ts) FROM polls"),
        1,
        "one round, one time"
    );
    let error = |server: &str| -> String {
        q(
            &db,
            &format!("SELECT error FROM polls WHERE server = '{server}'"),
        )
    };
    assert!(
        error("hang@h").contains("did not answer within 2s"),
        "{}",
        error("hang@h")
    );
    assert!(
        error("mute@m").contains("cannot read license path"),
        "{}",
        error("mute@m")
    );
    assert!(error("27000@dead").contains("Cannot connect to license server system"));
    assert_eq!(
        q::<String>(
            &db,
            "SELECT error_code FROM polls WHERE server = '27000@dead'"
        ),
        "-15,10:146"
    );
    assert!(
        error("junk@x").contains("unreadable lmstat output"),
        "{}",
        error("junk@x")
    );
    // Half a status is not taken for a whole one: nothing of it is stored.
    assert!(
        error("half@h").contains("exited with") && error("half@h").contains("incomplete"),
        "{}",
        error("half@h")
    );
    assert_eq!(
        q::<i64>(&db, "SELECT count(*) FROM sessions WHERE server = 'half@h'"),
        0
    );
    let checkouts = String::from_utf8_lossy(&std::fs::read(&app2).expect("read"))
        .lines()
        .filter(|l| l.contains(", start "))
        .count() as i64;
    assert_eq!(
        q::<i64>(
            &db,
            "SELECT count(*) FROM sessions WHERE server = '28000@host1'"
        ),
        checkouts
    );
}

#[test]
fn a_missing_lmutil_or_a_bad_config_is_reported() {
    let tmp = StoreDir::new("poll-bad");
    let config = tmp.path().join("lmscope.toml");
    std::fs::write(
        &config,
        "lmutil = \"/nonexistent/lmutil\"\nservers = [\"27000@a\"]\n",
    )
    .expect("config");
    let run = |config: &std::path::Path| {
        tmp.command()
            .args(["poll", "--config", &config.to_string_lossy()])
            .output()
            .expect("run")
    };
    let out = run(&config);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("27000@a: DOWN: cannot run `/nonexistent/lmutil`"));

    std::fs::write(&config, "servers = [\"27000@a\"]\ninterval = \"often\"\n").expect("config");
    let out = run(&config);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("lmscope.toml") && stderr.contains("`interval`"),
        "{stderr}"
    );
}
