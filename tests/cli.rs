//! The `lmscope` binary end to end: real lmstat outputs → store → published file.

use duckdb::Connection;
use lmscope_e2e::{demo_in, fixture, StoreDir};

fn count(db: &Connection, sql: &str) -> i64 {
    db.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn text_count(path: &std::path::Path, needle: &str) -> i64 {
    let text = String::from_utf8_lossy(&std::fs::read(path).expect("read fixture")).into_owned();
    text.lines().filter(|l| l.contains(needle)).count() as i64
}

const APP2: &str = "lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_app2.txt";
const APP3: &str = "lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_app3.txt";
const ABAQUS: &str = "lmstat/omnivector-solutions__license-manager__doc_example_lmutil.txt";
const NO_SERVER: &str =
    "lmstat/omnivector-solutions__license-manager__lm-agent_tests_conftest.py__extracted_flexlm_output.txt";

#[test]
fn imports_fixtures_with_their_counts_and_publishes_them() {
    let tmp = StoreDir::new("cli-import");
    let files = [
        fixture(APP2),
        fixture(APP3),
        fixture(ABAQUS),
        fixture(NO_SERVER),
    ];
    let mut args = vec!["import", "lmstat"];
    let file_args: Vec<String> = files
        .iter()
        .map(|f| f.to_string_lossy().into_owned())
        .collect();
    args.extend(file_args.iter().map(String::as_str));
    let out = tmp.run(&args);
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "extracted_flexlm_output.txt: no `Flexible License Manager status on` time in the output; give --at"
        ),
        "names the file it could not date: {stderr}"
    );

    let out_dir = tmp.path().join("site-data");
    tmp.ok(&["publish", "--out", &out_dir.to_string_lossy()]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("manifest.json")).expect("manifest"))
            .expect("json");
    assert_eq!(manifest["schema_version"], lmscope_schema_version());
    for f in manifest["files"].as_array().expect("files") {
        let file = f["path"].as_str().expect("path");
        assert_eq!(
            f["bytes"].as_u64(),
            Some(std::fs::metadata(out_dir.join(file)).expect("file").len()),
            "{file}"
        );
    }
    let db = lmscope_e2e::published_dir_db(&out_dir);

    assert_eq!(count(&db, "SELECT count(*) FROM polls"), 3);
    let features: i64 = files[..3].iter().map(|f| text_count(f, "Users of ")).sum();
    let checkouts: i64 = files[..3].iter().map(|f| text_count(f, ", start ")).sum();
    assert_eq!(count(&db, "SELECT count(*) FROM feature_usage"), features);
    assert_eq!(
        count(&db, "SELECT count(*) FROM sessions WHERE ended_at IS NULL"),
        checkouts
    );
    // Triad: three members, one master; the server is named by the whole list.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM server_status WHERE server = '1999@host1,1999@host2,1999@host3'"
        ),
        3
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM vendor_status WHERE server = '1999@host1,1999@host2,1999@host3'"
        ),
        2
    );
    // ABAQUS: every seat taken, listed with `, N licenses`.
    assert_eq!(
        count(
            &db,
            "SELECT sum(licenses) FROM sessions WHERE feature = 'abaqus'"
        ),
        737
    );
    assert_eq!(
        count(
            &db,
            "SELECT in_use FROM feature_usage WHERE feature = 'abaqus'"
        ),
        737
    );
    // Start times carry the header's year.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM sessions WHERE year(started_at) = 2017 AND server LIKE '28000@%'"
        ),
        text_count(&files[0], ", start ")
    );
}

fn lmscope_schema_version() -> u32 {
    lmscope::store::schema::SCHEMA_VERSION
}

#[test]
fn reimport_adds_nothing_and_later_polls_close_sessions() {
    let tmp = StoreDir::new("cli-sessions");
    let first = fixture(APP2);
    tmp.ok(&["import", "lmstat", &first.to_string_lossy()]);
    let again = tmp.ok(&["import", "lmstat", &first.to_string_lossy()]);
    assert!(
        again.contains("imported 0 poll(s)") && again.contains("1 duplicate(s) skipped"),
        "{again}"
    );

    // A later poll in which user13's two checkouts are gone.
    let text = String::from_utf8_lossy(&std::fs::read(&first).expect("read")).into_owned();
    let later: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("user13 "))
        .collect::<Vec<_>>()
        .join("\n");
    let later_path = tmp.path().join("later.txt");
    std::fs::write(&later_path, later).expect("write");
    tmp.ok(&[
        "import",
        "lmstat",
        &later_path.to_string_lossy(),
        "--at",
        "2017-10-20T17:07",
    ]);
    let db = Connection::open(tmp.store()).expect("store");
    assert_eq!(count(&db, "SELECT count(*) FROM polls"), 2);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM sessions WHERE ended_at = TIMESTAMP '2017-10-20 17:07:00'"
        ),
        2
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(DISTINCT user_name) FROM sessions WHERE ended_at IS NOT NULL"
        ),
        1
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM sessions WHERE ended_at IS NULL"),
        text_count(&first, ", start ") - 2
    );
}

#[test]
fn unreadable_input_names_file_and_line_and_fails_only_when_nothing_is_read() {
    let tmp = StoreDir::new("cli-bad");
    let garbage = tmp.path().join("garbage.txt");
    std::fs::write(&garbage, "hello\nthis is not lmstat\n").expect("write");
    let out = tmp.run(&["import", "lmstat", &garbage.to_string_lossy()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("garbage.txt:1: unknown line: hello"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing could be read"), "{stderr}");
    let missing = tmp.path().join("missing.txt");
    let out = tmp.run(&[
        "import",
        "lmstat",
        &missing.to_string_lossy(),
        &fixture(APP3).to_string_lossy(),
    ]);
    assert!(out.status.success(), "one good file is enough: {out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.txt: cannot read"));
}

#[test]
fn publish_keeps_the_previous_generation_and_drops_older_ones() {
    let tmp = StoreDir::new("cli-publish");
    let out_dir = tmp.path().join("out");
    let out_arg = out_dir.to_string_lossy().into_owned();
    tmp.ok(&["import", "lmstat", &fixture(APP2).to_string_lossy()]);
    for _ in 0..3 {
        tmp.ok(&["publish", "--out", &out_arg]);
    }
    let names = || {
        let mut names: Vec<String> = std::fs::read_dir(&out_dir)
            .expect("out dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let months_of = |names: &[String]| -> Vec<String> {
        names
            .iter()
            .filter(|n| lmscope::publish::partition::is_file_name(n))
            .cloned()
            .collect()
    };
    // The fixture's month is closed: one partition, written by the first publish and kept.
    let all = names();
    let partitions = months_of(&all);
    assert_eq!(partitions.len(), 1, "{all:?}");
    assert!(partitions[0].starts_with("lmscope-2017-10-"), "{all:?}");
    let rest: Vec<&String> = all.iter().filter(|n| !partitions.contains(n)).collect();
    assert_eq!(
        rest,
        [
            "lmscope-000002-first.json",
            "lmscope-000002-now.duckdb",
            "lmscope-000002.duckdb",
            "lmscope-000003-first.json",
            "lmscope-000003-now.duckdb",
            "lmscope-000003.duckdb",
            "lmscope.sql",
            "manifest.json"
        ]
    );
    let manifest = std::fs::read_to_string(out_dir.join("manifest.json")).expect("manifest");
    assert!(manifest.contains("lmscope-000003.duckdb"));
    assert!(manifest.contains(partitions[0].as_str()));
    assert!(manifest.contains("\"first_view\": \"lmscope-000003-first.json\""));
    let partition = out_dir.join(&partitions[0]);
    let written = std::fs::metadata(&partition)
        .expect("partition")
        .modified()
        .expect("mtime");

    // A poll of another server in a later month: only that month is written; the old file
    // stays as it was.
    tmp.ok(&["import", "lmstat", &fixture(APP6).to_string_lossy()]);
    tmp.ok(&["publish", "--out", &out_arg]);
    let after = names();
    let months = months_of(&after);
    assert_eq!(months.len(), 2, "{after:?}");
    assert!(months.contains(&partitions[0]) && months[1].starts_with("lmscope-2026-03-"));
    assert_eq!(
        std::fs::metadata(&partition)
            .expect("kept")
            .modified()
            .expect("mtime"),
        written,
        "a closed month's file is written once"
    );
}

/// A publish after new rows digests only the months from the earliest row they can change
/// on, taking the months before from its last manifest; a log import (events of any time)
/// makes the next publish digest every month. At every step the partitions it names are
/// the ones a full publish of the same store names, and its latest state (`*_now`, taken
/// from the last current file and the changes since) is the one a full publish computes.
#[test]
fn publish_digests_only_the_months_a_change_can_reach() {
    use chrono::{Datelike, Duration, NaiveDate, Utc};
    let tmp = StoreDir::new("cli-marks");
    let out = tmp.path().join("out");
    let out_arg = out.to_string_lossy().into_owned();
    let app2 = fixture(APP2).to_string_lossy().into_owned();
    // Months relative to today: the open one and the two before (closed).
    let now = Utc::now().naive_utc().date();
    let this = NaiveDate::from_ymd_opt(now.year(), now.month(), 1).expect("month");
    let last = (this - Duration::days(1)).with_day(1).expect("month");
    let before = (last - Duration::days(1)).with_day(1).expect("month");
    let at = |day: NaiveDate, hm: &str| format!("{}T{hm}", day.format("%Y-%m-%d"));
    let poll = |t: String| {
        tmp.ok(&["import", "lmstat", "--at", &t, "--server", "srv-a", &app2]);
    };
    // Publish into `out` (timed) and into a new folder (no mark: every month digested);
    // return how many months the first digested and the partitions both name.
    let step = std::cell::Cell::new(0);
    let publish = || {
        let run = tmp
            .command()
            .env("LMSCOPE_TIMINGS", "1")
            .args(["publish", "--out", &out_arg])
            .output()
            .expect("publish");
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
        let digested: usize = stderr
            .split("closed months (")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no digest count in {stderr}"));
        step.set(step.get() + 1);
        let full = tmp.path().join(format!("full-{}", step.get()));
        tmp.ok(&["publish", "--out", &full.to_string_lossy()]);
        let partitions = |dir: &std::path::Path| {
            let mut names: Vec<String> = std::fs::read_dir(dir)
                .expect("published folder")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .filter(|n| lmscope::publish::partition::is_file_name(n))
                .collect();
            names.sort();
            names
        };
        let manifest = std::fs::read_to_string(out.join("manifest.json")).expect("manifest");
        let named: Vec<String> = partitions(&out)
            .into_iter()
            .filter(|n| manifest.contains(n.as_str()))
            .collect();
        assert_eq!(named, partitions(&full), "step {}", step.get());
        assert_eq!(
            latest_state(&out),
            latest_state(&full),
            "step {}",
            step.get()
        );
        (digested, named)
    };

    poll(at(before, "10:00"));
    poll(at(last, "09:00"));
    let (digested, first) = publish();
    assert_eq!((digested, first.len()), (2, 2), "{first:?}");

    // A poll in the open month: the sessions open since last month's poll go on, so last
    // month's hours change; the month before cannot.
    poll(at(this, "00:05"));
    let (digested, second) = publish();
    assert_eq!(digested, 1);
    assert_eq!(second[0], first[0], "the month before is kept");
    assert_ne!(second[1], first[1], "last month's sessions went on");

    // The next poll reaches back only to the one before: nothing closed is digested.
    poll(at(this, "00:10"));
    let (digested, third) = publish();
    assert_eq!((digested, &third), (0, &second));

    // Another server's output under the same name: features and hosts go absent and new
    // ones appear; then the first output again, and they come back.
    tmp.ok(&[
        "import",
        "lmstat",
        "--at",
        &at(this, "00:15"),
        "--server",
        "srv-a",
        &fixture(APP3).to_string_lossy(),
    ]);
    assert_eq!(publish(), (0, third.clone()));
    poll(at(this, "00:20"));
    assert_eq!(publish(), (0, third.clone()));
    let now = latest_state(&out);
    assert!(now.iter().all(|t| !t.is_empty()), "{now:?}");

    // A debug log: events of any time, so every month is digested again.
    tmp.ok(&[
        "import",
        "log",
        "--server",
        "srv-a",
        &fixture(MATLAB_LOG).to_string_lossy(),
    ]);
    let (digested, fourth) = publish();
    assert!(
        digested > 2,
        "{digested} months digested after a log import"
    );
    assert!(fourth.len() > third.len(), "{fourth:?}");
}

/// A damaged last current file (the basis of the next latest state) costs the next publish
/// only time: it computes the latest state from every stored change instead.
#[test]
fn a_damaged_last_current_file_is_not_a_basis() {
    let tmp = StoreDir::new("cli-basis");
    let out = tmp.path().join("out");
    let out_arg = out.to_string_lossy().into_owned();
    let import = |at: &str, file: &str| {
        tmp.ok(&[
            "import",
            "lmstat",
            "--at",
            at,
            "--server",
            "srv-a",
            &fixture(file).to_string_lossy(),
        ]);
    };
    import("2026-11-30T10:00", APP2);
    tmp.ok(&["publish", "--out", &out_arg]);
    std::fs::write(current_file(&out), b"not a DuckDB file").expect("damage");
    import("2026-11-30T10:05", APP3);
    tmp.ok(&["publish", "--out", &out_arg]);
    let full = tmp.path().join("full");
    tmp.ok(&["publish", "--out", &full.to_string_lossy()]);
    let now = latest_state(&out);
    assert_eq!(now, latest_state(&full));
    assert!(
        now[0].iter().any(|r| r.starts_with("2026-11-30 10:05:00")),
        "the second output's features are in the latest state: {now:?}"
    );
}

/// The current file a published folder's manifest names (its last file).
fn current_file(dir: &std::path::Path) -> std::path::PathBuf {
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("manifest.json")).expect("manifest"),
    )
    .expect("manifest JSON");
    let current = manifest["files"]
        .as_array()
        .and_then(|f| f.last())
        .and_then(|f| f["path"].as_str())
        .expect("current file");
    dir.join(current)
}

/// The `*_now` tables of a published folder's current file, every row as text, sorted.
fn latest_state(dir: &std::path::Path) -> Vec<Vec<String>> {
    let db = Connection::open_with_flags(
        current_file(dir),
        duckdb::Config::default()
            .access_mode(duckdb::AccessMode::ReadOnly)
            .expect("read-only"),
    )
    .expect("open current file");
    ["feature_now", "host_now", "vendor_now"]
        .iter()
        .map(|t| {
            let sql = format!("SELECT CAST(columns(*) AS VARCHAR) FROM {t} ORDER BY ALL");
            let mut stmt = db.prepare(&sql).expect("prepare");
            let rows = stmt
                .query_map([], |r| {
                    let n = r.as_ref().column_count();
                    Ok((0..n)
                        .map(|i| r.get::<_, Option<String>>(i).map(|v| v.unwrap_or_default()))
                        .collect::<Result<Vec<_>, _>>()?
                        .join("|"))
                })
                .expect("query")
                .collect::<Result<Vec<_>, _>>()
                .expect("rows");
            rows
        })
        .collect()
}

/// `import sacct`: jobs stored with their hosts expanded and steps left out; a later output
/// replaces what an earlier one said of the same job; a cut line is named and skipped; a file
/// with no job fails the import.
#[test]
fn sacct_import_stores_jobs_and_replaces_their_older_states() {
    let tmp = StoreDir::new("cli-sacct");
    let first = fixture("sacct/cluster_a_0800.txt");
    let later = fixture("sacct/cluster_a_1200.txt");
    let out = tmp.ok(&["import", "sacct", &first.to_string_lossy()]);
    assert!(out.contains("4 job(s)"), "{out}");
    let run = tmp.run(&["import", "sacct", &later.to_string_lossy()]);
    assert!(run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("cluster_a_1200.txt:6: 4 fields where the header has 11"),
        "{err}"
    );
    let db = Connection::open(tmp.store()).expect("store");
    assert_eq!(count(&db, "SELECT count(*) FROM jobs"), 5);
    let row = |id: &str| -> (String, String, Option<String>, i64, i64) {
        db.query_row(
            "SELECT state, hosts, CAST(ended_at AS VARCHAR), cpus, gpus FROM jobs
             WHERE cluster = 'hpc-a' AND job_id = ?",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap_or_else(|e| panic!("job {id}: {e}"))
    };
    assert_eq!(
        row("4102"),
        (
            "COMPLETED".into(),
            "gpu1,gpu2".into(),
            Some("2026-11-20 11:40:00".into()),
            8,
            4
        )
    );
    assert_eq!(
        row("4103"),
        ("RUNNING".into(), "hpc-a-003,hpc-a-004".into(), None, 1, 0)
    );
    assert_eq!(row("4104").0, "CANCELLED");
    assert_eq!(row("4105").1, "hpc-a-010,hpc-a-011,hpc-a-020");
    drop(db);
    // Nothing readable: exit 2, the file named.
    let empty = tmp.path().join("empty.txt");
    std::fs::write(&empty, "Foo|Bar\n1|2\n").expect("write");
    let run = tmp.run(&["import", "sacct", &empty.to_string_lossy()]);
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("empty.txt:1: the header has no `JobID` column"),
        "{err}"
    );
}

const MATLAB_LOG: &str = "debuglog/joseantoniovilar__Stats_Logs_FlexLM__data_raw_matlab.log.txt";
const LMSTAT_I: &str = "lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_i_app2.txt";

#[test]
fn debug_log_import_is_resumable() {
    let tmp = StoreDir::new("cli-log");
    let log = fixture(MATLAB_LOG);
    let text = String::from_utf8_lossy(&std::fs::read(&log).expect("read")).into_owned();
    let lines: Vec<&str> = text.lines().collect();

    // First the first half of the log, as if it were still being written...
    let half = tmp.path().join("matlab-half.log");
    std::fs::write(&half, lines[..lines.len() / 2].join("\n")).expect("write");
    tmp.ok(&["import", "log", &half.to_string_lossy()]);
    // ...then the whole log, twice.
    let out = tmp.ok(&["import", "log", &log.to_string_lossy()]);
    assert!(
        out.contains("(server 27000@flexlm01)"),
        "server named from the log: {out}"
    );
    let again = tmp.ok(&["import", "log", &log.to_string_lossy()]);
    assert!(again.contains(": 0 event(s) added"), "{again}");

    let db = Connection::open(tmp.store()).expect("store");
    let events_in_text = |tag: &str| text_count(&log, &format!(") {tag}: "));
    for tag in ["OUT", "IN", "DENIED", "UNSUPPORTED"] {
        assert_eq!(
            count(
                &db,
                &format!("SELECT count(*) FROM events WHERE kind = '{tag}'")
            ),
            events_in_text(tag),
            "{tag}"
        );
    }
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM events WHERE kind = 'UNSUPPORTED' AND code = '-5,346'"
        ),
        events_in_text("UNSUPPORTED")
    );
}

#[test]
fn lmstat_i_import_replaces_entitlements() {
    let tmp = StoreDir::new("cli-entitlements");
    let file = fixture(LMSTAT_I).to_string_lossy().into_owned();
    for _ in 0..2 {
        tmp.ok(&["import", "lmstat-i", &file, "--server", "27000@lic1"]);
    }
    let db = Connection::open(tmp.store()).expect("store");
    assert_eq!(count(&db, "SELECT count(*) FROM entitlements"), 9);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM entitlements WHERE expires IS NULL"
        ),
        1
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM entitlements WHERE expires = DATE '2020-06-12'"
        ),
        7
    );
}

#[test]
fn org_file_becomes_dimension_tables_and_unknown_users_stay() {
    let tmp = StoreDir::new("cli-org");
    tmp.ok(&["import", "lmstat", &fixture(APP2).to_string_lossy()]);
    let org = tmp.path().join("org.toml");
    std::fs::write(
        &org,
        "[[department]]\nid = \"eng\"\ncost_center = \"CC-1\"\n\n[[team]]\nid = \"cfd\"\ndepartment = \"eng\"\n\n\
         [[person]]\nuser = \"user5\"\nname = \"User Five\"\nteam = \"cfd\"\n\n\
         [[cluster]]\nname = \"farm\"\nhosts = [\"server03*\"]\n",
    )
    .expect("org");
    let out_dir = tmp.path().join("out");
    tmp.ok(&[
        "publish",
        "--out",
        &out_dir.to_string_lossy(),
        "--org",
        &org.to_string_lossy(),
    ]);
    let db = lmscope_e2e::published_dir_db(&out_dir);
    let users = count(&db, "SELECT count(DISTINCT user_name) FROM sessions");
    assert_eq!(
        count(&db, "SELECT count(*) FROM org_people"),
        users,
        "every user is in org_people"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM org_people WHERE department = 'unassigned'"
        ),
        users - 1
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM org_people WHERE user_name = 'user5' AND cost_center = 'CC-1' AND team = 'cfd'"),
        1
    );
    let hosts = count(&db, "SELECT count(DISTINCT host) FROM sessions");
    assert_eq!(count(&db, "SELECT count(*) FROM org_hosts"), hosts);
    assert_eq!(
        count(&db, "SELECT count(*) FROM org_hosts WHERE cluster = 'farm'"),
        count(
            &db,
            "SELECT count(DISTINCT host) FROM sessions WHERE host LIKE 'server03%'"
        )
    );

    // A malformed org file is refused with the entry at fault, and publishes nothing.
    std::fs::write(&org, "[[person]]\nuser = \"x\"\nteam = \"ghost\"\n").expect("org");
    let out = tmp.run(&[
        "publish",
        "--out",
        &out_dir.to_string_lossy(),
        "--org",
        &org.to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("org.toml") && stderr.contains("person `x`: unknown team `ghost`"),
        "{stderr}"
    );
    assert!(!out_dir.join("lmscope-000002.duckdb").exists());
}

/// Every distinct text value in every VARCHAR column of a published file.
fn all_text(dir: &std::path::Path) -> std::collections::BTreeSet<String> {
    // One view per published table over every file that holds it.
    let db = lmscope_e2e::published_dir_db(dir);
    let columns: Vec<(String, String)> = db
        .prepare(
            "SELECT table_name, column_name FROM information_schema.columns
             WHERE data_type = 'VARCHAR' AND table_catalog = current_database()",
        )
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("columns")
        .collect::<Result<_, _>>()
        .expect("columns");
    let mut out = std::collections::BTreeSet::new();
    for (table, column) in columns {
        let mut stmt = db
            .prepare(&format!(
                "SELECT DISTINCT \"{column}\" FROM \"{table}\" WHERE \"{column}\" IS NOT NULL"
            ))
            .expect("prepare");
        for v in stmt
            .query_map([], |r| r.get::<_, String>(0))
            .expect("query")
        {
            out.insert(v.expect("text"));
        }
    }
    out
}

/// Sorted license-hours per user: the same multiset under any names.
fn hours_per_user(dir: &std::path::Path) -> Vec<i64> {
    let db = lmscope_e2e::published_dir_db(dir);
    let mut v: Vec<i64> = db
        .prepare(
            "SELECT round(sum(license_hours) * 1000)::BIGINT FROM user_daily GROUP BY user_name",
        )
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    v.sort_unstable();
    v
}

#[test]
fn pseudonymized_publish_hides_every_user_and_host_name_and_keeps_the_figures() {
    let tmp = StoreDir::new("pseudonymize");
    let plain = tmp.path().join("plain");
    demo_in(
        tmp.path(),
        &plain,
        &["--weeks", "1", "--end", "2026-11-20T12:00"],
    );
    let publish = |out: &std::path::Path, key: Option<&str>| {
        let mut cmd = tmp.command();
        cmd.args(["publish", "--out"])
            .arg(out)
            .args(["--pseudonymize", "users,hosts"])
            .env_remove("LMSCOPE_PSEUDONYM_KEY");
        if let Some(k) = key {
            cmd.env("LMSCOPE_PSEUDONYM_KEY", k);
        }
        cmd.output().expect("run lmscope")
    };

    // No key: refused, nothing published.
    let refused = tmp.path().join("refused");
    let out = publish(&refused, None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("LMSCOPE_PSEUDONYM_KEY"), "{err}");
    assert!(!refused.join("manifest.json").exists());

    let key = "a-secret-key-of-enough-length";
    let hidden = tmp.path().join("hidden");
    let out = publish(&hidden, Some(key));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let plain_db = lmscope_e2e::published_dir_db(&plain);
    let names = |sql: &str| -> Vec<String> {
        plain_db
            .prepare(sql)
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    let users = names("SELECT user_name FROM user_daily UNION SELECT user_name FROM events UNION SELECT user_name FROM org_people");
    let hosts = names("SELECT host FROM user_daily UNION SELECT host FROM events UNION SELECT host FROM org_hosts");
    assert!(
        users.len() > 50 && hosts.len() > 50,
        "the demo has people and hosts"
    );
    let text = all_text(&hidden);
    let leaked: Vec<&String> = users
        .iter()
        .chain(&hosts)
        .filter(|n| text.contains(*n))
        .collect();
    assert!(
        leaked.is_empty(),
        "names left in the published file: {leaked:?}"
    );
    assert!(
        !text.iter().any(|t| t.contains(key)),
        "the key is never published"
    );
    assert!(!std::fs::read_to_string(hidden.join("manifest.json"))
        .expect("manifest")
        .contains(key));
    // Nor in the first view's JSON: every string in it, checked whole.
    let first = std::fs::read_dir(&hidden)
        .expect("published dir")
        .map(|e| e.expect("entry").path())
        .find(|p| p.to_string_lossy().ends_with("-first.json"))
        .expect("a first-view file");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(first).expect("read first view")).expect("JSON");
    fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.extend(s.split(", ").map(str::to_owned)),
            serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| strings(x, out)),
            _ => {}
        }
    }
    let mut shown = Vec::new();
    strings(&json, &mut shown);
    assert!(shown.len() > 10, "the first view has text");
    let leaked: Vec<&String> = users
        .iter()
        .chain(&hosts)
        .filter(|n| shown.contains(*n))
        .collect();
    assert!(leaked.is_empty(), "names in the first view: {leaked:?}");
    // The figures are the same, under stable aliases.
    assert_eq!(hours_per_user(&plain), hours_per_user(&hidden));
    let again = tmp.path().join("again");
    assert!(publish(&again, Some(key)).status.success());
    assert_eq!(all_text(&again), text, "same key, same aliases");
    let other = tmp.path().join("other");
    assert!(publish(&other, Some("another-secret-key-entirely"))
        .status
        .success());
    assert_ne!(all_text(&other), text, "another key, other aliases");
}

const APP6: &str = "lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_app6.txt";

/// Per counted feature of one lmstat output, read line by line here: lmstat's "in use" from the
/// `Users of` header, the checkout lines' licenses and the RESERVATION lines' counts.
fn in_use_checkouts_reservations(
    path: &std::path::Path,
) -> std::collections::BTreeMap<String, (i64, i64, i64)> {
    let text = String::from_utf8_lossy(&std::fs::read(path).expect("read fixture")).into_owned();
    let mut out: std::collections::BTreeMap<String, (i64, i64, i64)> = Default::default();
    let mut current = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("Users of ") {
            let name = rest.split(':').next().expect("feature name").to_owned();
            // Counted features only: an uncounted one has no figures to split.
            if !rest.contains(" issued;") {
                current = None;
                continue;
            }
            let in_use = rest
                .split("Total of ")
                .nth(2)
                .and_then(|s| s.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            out.entry(name.clone()).or_default().0 = in_use;
            current = Some(name);
        } else if let Some(name) = &current {
            let entry = out.entry(name.clone()).or_default();
            let first_number = || {
                t.split_whitespace()
                    .next()
                    .and_then(|n| n.parse::<i64>().ok())
            };
            if t.contains(" RESERVATION") {
                entry.2 += first_number().expect("reservation count");
            } else if t.contains(", start ") {
                // `..., start Mon 1/2 3:04, 4 licenses` or one license.
                let licenses = t
                    .rsplit_once(", ")
                    .and_then(|(_, last)| last.strip_suffix(" licenses"))
                    .and_then(|n| n.trim().parse().ok())
                    .unwrap_or(1);
                entry.1 += licenses;
            }
        }
    }
    out
}

#[test]
fn reserved_licenses_nobody_checked_out_are_not_counted_as_checked_out() {
    let tmp = StoreDir::new("cli-reserved");
    let file = fixture(APP6);
    tmp.ok(&["import", "lmstat", &file.to_string_lossy()]);
    let out_dir = tmp.path().join("site-data");
    tmp.ok(&["publish", "--out", &out_dir.to_string_lossy()]);
    let db = lmscope_e2e::published_dir_db(&out_dir);

    let expected = in_use_checkouts_reservations(&file);
    let reserved: i64 = expected.values().map(|e| e.2).sum();
    assert!(reserved >= 4, "the recording holds RESERVATION lines");
    let mut stmt = db
        .prepare("SELECT feature, in_use, reserved, checked_out FROM feature_now WHERE counting = 'counted'")
        .expect("prepare");
    let rows: Vec<(String, i64, i64, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(rows.len(), expected.len(), "{rows:?}");
    for (feature, in_use, reserved, checked_out) in &rows {
        let (want_in_use, checkouts, want_reserved) = expected[feature];
        assert_eq!(*in_use, want_in_use, "{feature}: lmstat's in use, kept raw");
        assert_eq!(*reserved, want_reserved, "{feature}: reserved");
        assert_eq!(
            *checked_out, checkouts,
            "{feature}: checked out = the checkout lines"
        );
        assert_eq!(*checked_out, in_use - reserved, "{feature}");
    }
    // The cases lmstat's header count hides: seats "in use" with nobody using them.
    let of = |f: &str| rows.iter().find(|r| r.0 == f).cloned().expect(f);
    for f in ["Power_System_Blocks", "SIMULINK_Perf_Tools"] {
        let (_, in_use, reserved, checked_out) = of(f);
        assert_eq!((in_use, reserved, checked_out), (1, 1, 0), "{f}");
    }
    let matlab = of("MATLAB");
    assert_eq!((matlab.1, matlab.3), (60, matlab.1 - matlab.2));
    // The hourly and daily series keep both counts: lmstat's in use and the checkout lines'.
    for table in ["usage_hourly", "usage_daily"] {
        let mut stmt = db
            .prepare(&format!(
                "SELECT feature, peak_in_use, peak_checked_out, sum_in_use, sum_checked_out, polls
                 FROM {table}"
            ))
            .expect("prepare");
        let series: Vec<(String, i64, i64, i64, i64, i64)> = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(series.len(), expected.len(), "{table}: {series:?}");
        for (feature, peak, peak_out, sum, sum_out, polls) in series {
            let (in_use, checkouts, _) = expected[&feature];
            assert_eq!((peak, sum), (in_use, in_use * polls), "{table} {feature}");
            assert_eq!(
                (peak_out, sum_out),
                (checkouts, checkouts * polls),
                "{table} {feature}: checked out"
            );
        }
    }
}

/// A cron job's `lmstat -a >> saved.txt`: one file of appended outputs imports as those
/// outputs imported one file each, and a truncated last output is named by its line.
#[test]
fn a_file_of_appended_outputs_imports_like_the_outputs_one_by_one() {
    let read = |rel: &str| {
        String::from_utf8_lossy(&std::fs::read(fixture(rel)).expect("read")).into_owned()
    };
    let later = read(APP2).replace(
        "status on Fri 10/20/2017 17:02",
        "status on Fri 10/20/2017 17:17",
    );
    assert_ne!(later, read(APP2));
    let outputs = [read(APP2), read(ABAQUS), later, read(APP3)];

    let apart = StoreDir::new("cli-appended-apart");
    let mut files = Vec::new();
    for (i, text) in outputs.iter().enumerate() {
        let file = apart.path().join(format!("poll{i}.txt"));
        std::fs::write(&file, text).expect("write");
        files.push(file.to_string_lossy().into_owned());
    }
    let mut args = vec!["import".to_owned(), "lmstat".to_owned()];
    args.extend(files);
    let one_by_one = apart.ok(&args);

    let together = StoreDir::new("cli-appended-together");
    let joined = together.path().join("saved.txt");
    // Cut off right after its header: nothing of it can be stored.
    let truncated: String = outputs[1]
        .lines()
        .take(2)
        .map(|l| format!("{l}\n"))
        .collect();
    let text = format!("{}{truncated}", outputs.concat());
    std::fs::write(&joined, &text).expect("write");
    let out = together.run(&["import", "lmstat", &joined.to_string_lossy()]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let figures = |s: &str| s.split(';').next().map(str::to_owned).unwrap_or_default();
    assert_eq!(figures(&stdout), figures(&one_by_one), "{stdout}");
    assert!(stdout.contains("imported 4 poll(s)"), "{stdout}");
    // The cut fifth output is named by its header line, after its copyright banner.
    let fifth = outputs.concat().lines().count() + 2;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("saved.txt:{fifth}:")),
        "the cut output is named by its line {fifth}: {stderr}"
    );
    let db = |dir: &StoreDir| Connection::open(dir.path().join("store.duckdb")).expect("store");
    for table in ["polls", "sessions", "feature_usage"] {
        let sql = format!("SELECT count(*) FROM {table}");
        assert_eq!(
            count(&db(&together), &sql),
            count(&db(&apart), &sql),
            "{table}"
        );
    }
}
