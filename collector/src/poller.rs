//! Polling license servers: run `lmutil lmstat -a -c SERVER` for every configured server at
//! once, each under a timeout. A server that is down, hangs, or answers garbage becomes a
//! DOWN record carrying the error; it never fails the run.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, TimeDelta};

use crate::parse::config::Config;
use crate::parse::lmstat::{self, LmError, LmstatReport};
use crate::store::db::Poll;

/// What a command printed, and whether it exited successfully.
pub(crate) struct Output {
    pub text: String,
    pub success: bool,
    pub status: String,
}

fn run_lmutil(lmutil: &str, server: &str, timeout: Duration) -> Result<Output, String> {
    run_command(
        lmutil,
        &["lmstat", "-a", "-c", server],
        &[],
        &format!("{lmutil} lmstat"),
        timeout,
    )
}

/// Run `program` with `args` (and `env` set) under `timeout`: killed with everything it
/// started when it overruns. An empty output is an error naming `label` and its exit.
pub(crate) fn run_command(
    program: &str,
    args: &[&str],
    env: &[(&str, &str)],
    label: &str,
    timeout: Duration,
) -> Result<Output, String> {
    let mut child = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout kills whatever it started too.
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot run `{program}`: {e}"))?;
    let read_all = |mut pipe: Box<dyn Read + Send>| {
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            let _ = tx.send(buf);
        });
        rx
    };
    let stdout = child.stdout.take().map(|p| read_all(Box::new(p)));
    let stderr = child.stderr.take().map(|p| read_all(Box::new(p)));
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                // `--` is essential: without it procps `kill` reads `-PGID` as an option
                // and signals every process of the user (kill(-1)).
                let _ = Command::new("kill")
                    .args(["-s", "KILL", "--", &format!("-{}", child.id())])
                    .stderr(Stdio::null())
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`{label}` did not answer within {}s and was killed",
                    timeout.as_secs_f64()
                ));
            }
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("waiting for `{program}`: {e}")),
        }
    };
    let collect = |rx: Option<mpsc::Receiver<Vec<u8>>>| {
        rx.and_then(|rx| rx.recv_timeout(Duration::from_secs(2)).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    };
    let out = collect(stdout);
    let err = collect(stderr);
    if out.trim().is_empty() {
        let detail = err.lines().next().unwrap_or("no output").trim().to_owned();
        return Err(format!("`{label}` exited with {status}: {detail}"));
    }
    Ok(Output {
        text: out,
        success: status.success(),
        status: status.to_string(),
    })
}

/// Turn one run into a report; anything that is not a readable status becomes a query error.
/// So does the output of a run that failed without saying why (killed, crashed part way):
/// half a status would read as licenses returned, so none of it is taken.
fn report_for(server: &str, result: Result<Output, String>) -> LmstatReport<'static> {
    let failed = |message: String| LmstatReport {
        license_servers: vec![server.to_owned()],
        query_error: Some(LmError {
            message,
            code: None,
        }),
        ..LmstatReport::default()
    };
    match result {
        Err(message) => failed(message),
        Ok(out) => {
            let report = lmstat::parse(&out.text);
            if !out.success && report.query_error.is_none() {
                return failed(format!(
                    "`lmutil lmstat` exited with {} after {} lines of output: an incomplete \
                     status, not stored",
                    out.status,
                    out.text.lines().count()
                ));
            }
            let readable = report.query_error.is_some()
                || !report.features.is_empty()
                || !report.servers.is_empty();
            if readable {
                report.into_owned()
            } else {
                let first = report
                    .issues
                    .first()
                    .map(|i| format!(" (line {}: {})", i.line, i.message))
                    .unwrap_or_default();
                failed(format!("unreadable lmstat output{first}"))
            }
        }
    }
}

/// Poll every configured server concurrently; `at` (UTC) is the poll time of the round.
pub fn poll_all(config: &Config, at: NaiveDateTime) -> Vec<Poll<'static>> {
    let handles: Vec<_> = config
        .servers
        .iter()
        .map(|server| {
            let server = server.clone();
            let lmutil = config.lmutil.clone();
            let timeout = config.timeout;
            thread::spawn(move || {
                let result = run_lmutil(&lmutil, &server, timeout);
                (server.clone(), report_for(&server, result))
            })
        })
        .collect();
    handles
        .into_iter()
        .zip(&config.servers)
        .map(|(handle, server)| {
            let (name, report) = handle.join().unwrap_or_else(|_| {
                (
                    server.clone(),
                    report_for(server, Err("the poll thread panicked".to_owned())),
                )
            });
            Poll {
                server: name,
                ts: at,
                source: "poll".to_owned(),
                zone: config.time_zone,
                report,
            }
        })
        .collect()
}

/// The next multiple of `interval` after `now` (polls stay on round times).
pub fn next_tick(now: NaiveDateTime, interval: Duration) -> NaiveDateTime {
    let step = i64::try_from(interval.as_secs().max(1)).unwrap_or(i64::MAX);
    let secs = now.and_utc().timestamp();
    let next = (secs / step + 1) * step;
    now + TimeDelta::seconds(next - secs)
}
