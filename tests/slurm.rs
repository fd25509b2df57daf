//! `lmscope poll` with `[[slurm]]`: a real single-node Slurm (Debian's `slurmctld` and
//! `slurmd`, started here with its own ports and state) answers `scontrol show licenses`
//! and `squeue`; a fake `sacct` prints recorded accounting (accounting needs slurmdbd and a
//! database) and logs what it was asked. Polls run one after another: the jobs stored
//! follow sacct's newer states, each run asks from a little before the last one's end, and
//! a hanging or failing sacct costs its timeout, not the poll or the store.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use duckdb::Connection;
use lmscope_e2e::{fixture, published_dir_db, query_rows, raw, repo_root, text, StoreDir};

/// A free TCP port on loopback (bound, read and released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A single-node Slurm with two licenses (`ansys:4`, `fluent:2`), running as root in `dir`.
struct RealSlurm {
    dir: PathBuf,
    conf: PathBuf,
}

impl RealSlurm {
    fn start(dir: &Path) -> Self {
        let host = String::from_utf8(
            Command::new("hostname")
                .arg("-s")
                .output()
                .expect("hostname")
                .stdout,
        )
        .expect("hostname is text")
        .trim()
        .to_owned();
        for sub in ["state", "spool"] {
            std::fs::create_dir_all(dir.join(sub)).expect("slurm dirs");
        }
        let d = dir.display();
        let conf = dir.join("slurm.conf");
        std::fs::write(
            &conf,
            format!(
                "ClusterName=lmscopetest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld}
SlurmdPort={slurmd}
AuthType=auth/none
CredType=cred/none
SlurmUser=root
SlurmdUser=root
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/slurmctld.log
SlurmdLogFile={d}/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
Licenses=ansys:4,fluent:2
NodeName=lmscopenode NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
",
                ctld = free_port(),
                slurmd = free_port(),
            ),
        )
        .expect("slurm.conf");
        let slurm = RealSlurm {
            dir: dir.to_owned(),
            conf,
        };
        slurm.must(Command::new("slurmctld").args(["-c", "-i"]));
        slurm.must(Command::new("slurmd").args(["-N", "lmscopenode"]));
        slurm.wait_for("sinfo", &["-h", "-o", "%T"], |out| out.trim() == "idle");
        slurm
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("SLURM_CONF", &self.conf);
        c
    }

    /// Run `c` (with this Slurm's config) and insist it succeeds.
    fn must(&self, c: &mut Command) -> String {
        let out = c.env("SLURM_CONF", &self.conf).output().expect("run slurm");
        assert!(out.status.success(), "{c:?}: {out:?}\n{}", self.logs());
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Wait (30 s at most) until `program args` prints what `done` accepts.
    fn wait_for(&self, program: &str, args: &[&str], done: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = self.command(program).args(args).output().expect("run");
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            if done(&text) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{program} {args:?} never got there: {text}\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn logs(&self) -> String {
        ["slurmctld.log", "slurmd.log"]
            .iter()
            .map(|f| std::fs::read_to_string(self.dir.join(f)).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for RealSlurm {
    /// Cancel the jobs and wait (10 s at most) for their steps to end, then stop both
    /// daemons, by force if they linger.
    fn drop(&mut self) {
        let _ = self
            .command("scancel")
            .args(["--partition", "debug"])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let left = self.command("squeue").arg("-h").output();
            if left.map_or(true, |o| o.stdout.is_empty()) {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let _ = self.command("scontrol").arg("shutdown").status();
        let pids: Vec<String> = ["slurmd.pid", "slurmctld.pid"]
            .iter()
            .filter_map(|f| std::fs::read_to_string(self.dir.join(f)).ok())
            .map(|p| p.trim().to_owned())
            .collect();
        for signal in ["-TERM", "-KILL"] {
            for pid in &pids {
                let _ = Command::new("kill").args([signal, pid]).output();
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

fn q<T: duckdb::types::FromSql>(db: &Connection, sql: &str) -> T {
    db.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The `--starttime` each logged sacct run asked for, in order.
fn starttimes(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            assert!(l.starts_with("TZ=UTC "), "sacct runs in UTC: {l}");
            assert!(
                l.contains("--allusers --parsable2 --format=JobID,User,"),
                "{l}"
            );
            l.split_whitespace()
                .find_map(|a| a.strip_prefix("--starttime="))
                .expect("a start time")
                .to_owned()
        })
        .collect()
}

#[test]
fn poll_reads_a_real_slurms_licenses_and_queue_and_sacct_since_the_last_run() {
    let tmp = StoreDir::new("slurm");
    let slurm = RealSlurm::start(&tmp.path().join("slurm"));
    // Two jobs want 3 of the 4 ansys licenses each: the second waits on licenses.
    for licenses in ["ansys:3", "ansys:3", "fluent:1"] {
        slurm.must(slurm.command("sbatch").args([
            "-L",
            licenses,
            "-n1",
            "-o",
            "/dev/null",
            "--wrap",
            "sleep 300",
        ]));
    }
    slurm.wait_for("squeue", &["-h", "-o", "%i %r"], |out| {
        out.lines().any(|l| l.trim() == "2 Licenses")
    });

    let outputs = tmp.path().join("outputs");
    std::fs::create_dir_all(&outputs).expect("dir");
    std::fs::copy(
        fixture("lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_app2.txt"),
        outputs.join("28000_host1.txt"),
    )
    .expect("copy");
    let config = tmp.path().join("lmscope.toml");
    std::fs::write(
        &config,
        format!(
            "lmutil = \"{}\"\nservers = [\"28000@host1\"]\ntimeout = \"3s\"\n\n\
             [[slurm]]\ncluster = \"cluster_a\"\nsacct = \"{}\"\n",
            repo_root().join("tests/fake-lmutil/lmutil").display(),
            repo_root().join("tests/fake-slurm/sacct").display(),
        ),
    )
    .expect("config");
    let log = tmp.path().join("sacct.log");
    let site = tmp.path().join("site-data");
    let poll = |sacct_output: &str| -> Output {
        let out = tmp
            .command()
            .args(["poll", "--config", &config.to_string_lossy()])
            .args(["--publish", &site.to_string_lossy()])
            .env("FAKE_LMUTIL_DIR", &outputs)
            .env("FAKE_SACCT_OUTPUT", sacct_output)
            .env("FAKE_SACCT_LOG", &log)
            .env("SLURM_CONF", &slurm.conf)
            .output()
            .expect("run poll");
        assert!(out.status.success(), "{out:?}");
        out
    };

    // First poll: a day of accounting, Slurm's counts and queue as the real Slurm has them.
    let before = chrono::Utc::now().naive_utc();
    let out = poll(&fixture("sacct/cluster_a_0800.txt").to_string_lossy());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("cluster_a: 4 job(s) since"), "{stdout}");
    assert!(stdout.contains("cluster_a: 2 Slurm license(s)"), "{stdout}");
    assert!(
        stdout.contains("cluster_a: 1 pending job(s), 1 waiting on licenses"),
        "{stdout}"
    );
    let first = starttimes(&log);
    assert_eq!(first.len(), 1);
    let asked =
        chrono::NaiveDateTime::parse_from_str(&first[0], "%Y-%m-%dT%H:%M:%S").expect("a time");
    let back = before - asked;
    assert!(
        back > chrono::TimeDelta::hours(23) && back < chrono::TimeDelta::hours(25),
        "the first run looks a day back: {asked} at {before}"
    );
    {
        let db = published_dir_db(&site);
        let licenses = raw(
            &db,
            "SELECT cluster || ' ' || name || ' ' || total || '/' || used || '/' || free
             FROM slurm_licenses ORDER BY name",
            1,
        );
        let licenses: Vec<String> = licenses.iter().map(|r| text(&r[0])).collect();
        assert_eq!(
            licenses,
            vec!["cluster_a ansys 4/3/1", "cluster_a fluent 2/1/1"]
        );
        let pending = raw(
            &db,
            "SELECT job_id || ' ' || user_name || ' ' || reason || ' ' || licenses
             FROM slurm_pending",
            1,
        );
        assert_eq!(text(&pending[0][0]), "2 root Licenses ansys:3");
        assert_eq!(pending.len(), 1);
        // The jobs, one row per node they ran on; the running one open.
        assert_eq!(q::<i64>(&db, "SELECT count(*) FROM jobs"), 4);
        assert_eq!(
            q::<i64>(&db, "SELECT count(*) FROM job_hosts WHERE job_id = '4101'"),
            2
        );
        assert_eq!(
            q::<i64>(
                &db,
                "SELECT count(*) FROM jobs WHERE job_id = '4102' AND ended_at IS NULL"
            ),
            1
        );
    }

    // Second poll: the newer states replace the older; the run asks from 15 minutes before
    // the last one's end; a line cut short is named by cluster and line.
    let out = poll(&fixture("sacct/cluster_a_1200.txt").to_string_lossy());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cluster_a (sacct output):"), "{stderr}");
    let db = Connection::open(tmp.store()).expect("store");
    let mark: chrono::NaiveDateTime = q(
        &db,
        "SELECT sacct_until FROM slurm_marks WHERE cluster = 'cluster_a'",
    );
    drop(db);
    let second = starttimes(&log);
    assert_eq!(second.len(), 2);
    let asked =
        chrono::NaiveDateTime::parse_from_str(&second[1], "%Y-%m-%dT%H:%M:%S").expect("a time");
    let lag = before - asked;
    assert!(
        lag >= chrono::TimeDelta::minutes(14)
            && lag <= chrono::TimeDelta::minutes(15) + chrono::TimeDelta::seconds(1),
        "the second run starts 15 minutes before the first one's end: {asked}, first poll at {before}"
    );
    assert!(mark >= asked + chrono::TimeDelta::minutes(15), "{mark}");
    {
        let db = published_dir_db(&site);
        assert_eq!(
            q::<String>(&db, "SELECT state FROM jobs WHERE job_id = '4102'"),
            "COMPLETED"
        );
        assert_eq!(
            q::<i64>(
                &db,
                "SELECT count(*) FROM jobs WHERE job_id = '4103' AND started_at IS NOT NULL"
            ),
            1
        );
    }

    // A hanging sacct costs the timeout; the mark stays where it was, so the next run asks
    // again from there. A failing one is named.
    let started = Instant::now();
    let out = poll("hang");
    assert!(started.elapsed() < Duration::from_secs(20), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cluster_a: sacct failed:") && stderr.contains("did not answer within 3s"),
        "{stderr}"
    );
    let out = poll("fail");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Problem talking to the database"),
        "{stderr}"
    );
    let db = Connection::open(tmp.store()).expect("store");
    let kept: chrono::NaiveDateTime = q(
        &db,
        "SELECT sacct_until FROM slurm_marks WHERE cluster = 'cluster_a'",
    );
    assert_eq!(kept, mark, "a failed run does not move the mark");
    let runs = starttimes(&log);
    assert_eq!(runs[2], runs[3], "both ask again from the same start");
}

#[test]
fn saved_scontrol_and_squeue_outputs_are_imported_as_snapshots() {
    let tmp = StoreDir::new("slurm-import");
    let at = ["--at", "2026-12-02T18:21"];
    let out = tmp.ok(&[
        vec!["import", "scontrol", "--cluster", "pdf"],
        at.to_vec(),
        vec![&*fixture("slurm/scontrol_licenses_remote_schedmd.txt").to_string_lossy()],
    ]
    .concat());
    assert!(out.contains("2 Slurm license(s) of pdf"), "{out}");
    let out = tmp.ok(&[
        vec!["import", "squeue", "--cluster", "pdf"],
        at.to_vec(),
        vec![&*fixture("slurm/squeue_pending_slurm22.txt").to_string_lossy()],
    ]
    .concat());
    assert!(out.contains("1 pending job(s) of pdf"), "{out}");
    assert!(out.contains("1 waiting on licenses"), "{out}");
    // A newer snapshot replaces the published one: an empty queue is a snapshot too.
    let empty = tmp.path().join("empty-queue.txt");
    std::fs::write(
        &empty,
        "JOBID|USER|ACCOUNT|PARTITION|REASON|LICENSES|SUBMIT_TIME\n",
    )
    .expect("write");
    tmp.ok(&[
        "import",
        "squeue",
        "--cluster",
        "pdf",
        "--at",
        "2026-12-02T18:30",
        &empty.to_string_lossy(),
    ]);
    // What cannot be read is named by file and line, and nothing is stored of it.
    let bad = tmp.path().join("bad.txt");
    std::fs::write(&bad, "LicenseName=x\n    Total=lots Used=0\n").expect("write");
    let out = tmp.run(&[
        "import",
        "scontrol",
        "--cluster",
        "pdf",
        &bad.to_string_lossy(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:2: Total `lots` is not a count", bad.display())),
        "{stderr}"
    );
    let site = tmp.path().join("site");
    tmp.ok(&["publish", "--out", &site.to_string_lossy()]);
    let db = published_dir_db(&site);
    let licenses = raw(
        &db,
        "SELECT name || ' ' || feature || ' ' || free || ' ' || remote FROM slurm_licenses
         ORDER BY name",
        1,
    );
    let licenses: Vec<String> = licenses.iter().map(|r| text(&r[0])).collect();
    assert!(
        licenses.contains(&"matlab@rlm_host matlab 35 true".to_owned()),
        "{licenses:?}"
    );
    assert_eq!(q::<i64>(&db, "SELECT count(*) FROM slurm_pending"), 0);
}

#[test]
fn a_recorded_lmstat_output_beside_its_jobs_gives_efficiency_and_idle_checkouts() {
    let tmp = StoreDir::new("slurm-recorded");
    let lmstat = fixture("lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_app4.txt");
    // The recorded status polled twice: five checkouts of MATLAB held from 11:07 to 15:08.
    for at in ["2025-04-22T11:08", "2025-04-22T15:08"] {
        tmp.ok(&["import", "lmstat", "--at", at, &lmstat.to_string_lossy()]);
    }
    tmp.ok(&[
        "import",
        "sacct",
        &fixture("sacct/matlab_nodes.txt").to_string_lossy(),
    ]);
    let site = tmp.path().join("site");
    tmp.ok(&["publish", "--out", &site.to_string_lossy()]);
    let db = published_dir_db(&site);
    let day = chrono::NaiveDate::from_ymd_opt(2025, 4, 22).expect("day");
    let f = lmscope::analytics::filters::Filters::default();
    // Each checkout: 11:07 to 15:08 held (4.0167 h), its holder's job on the host (matched
    // by short name, whatever the case) 11:07 to 13:00 (1.8833 h); another user's job there
    // does not count.
    let (held, covered) = (241.0 / 60.0, 113.0 / 60.0);
    let rows = query_rows(
        &db,
        lmscope::analytics::compute::efficiency(
            &f,
            day,
            day,
            lmscope::analytics::compute::By::User,
            2.0,
        ),
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    let num = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN);
    assert_eq!(rows[0][0], "matlab");
    let close = |a: f64, b: f64| (a - b).abs() < 0.006;
    assert!(close(num(&rows[0][1]), 5.0 * held), "{rows:?}");
    assert!(
        close(num(&rows[0][2]), (1000.0 * covered / held).round() / 10.0),
        "{rows:?}"
    );
    assert!(close(num(&rows[0][3]), 5.0 * (held - covered)), "{rows:?}");
    assert_eq!((num(&rows[0][4]), num(&rows[0][5])), (5.0, 5.0), "{rows:?}");
    let idle = query_rows(
        &db,
        lmscope::analytics::compute::idle_checkouts(&f, day, day, 2.0),
    );
    assert_eq!(idle.len(), 5);
    assert!(
        idle.iter().all(|r| close(num(&r[7]), held - covered)),
        "{idle:?}"
    );
    // Open at the last poll, idle since the job ended at 13:00.
    let now = query_rows(&db, lmscope::analytics::compute::idle_now(2.0));
    assert_eq!(now.len(), 5, "{now:?}");
    assert!(
        now.iter()
            .all(|r| r[4] == "2025-04-22 13:00" && close(num(&r[3]), 128.0 / 60.0)),
        "{now:?}"
    );
    // The cluster's CPU-hours: 8 CPUs × 3 h and 4 × 4 h in the day, under Slurm's name (the
    // org file places no host).
    let clusters = query_rows(&db, lmscope::analytics::compute::clusters(&f, day, day));
    let lab = clusters
        .iter()
        .find(|r| r[0] == "labcluster")
        .expect("the jobs' cluster");
    assert!(close(num(&lab[5]), 8.0 * 3.0 + 4.0 * 4.0), "{clusters:?}");
    let unassigned = clusters
        .iter()
        .find(|r| r[0] == "unassigned")
        .expect("the checkouts' cluster");
    assert!(
        close(
            num(&unassigned[3]),
            (1000.0 * covered / held).round() / 10.0
        ),
        "{clusters:?}"
    );
}
