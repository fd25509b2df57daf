//! Polling Slurm: per configured cluster, `sacct` for the jobs that ran, ended or changed
//! since the last run, `scontrol show licenses` and `squeue`'s pending jobs, each under the
//! poll's timeout and with `TZ=UTC` (Slurm prints local time). A command that fails, hangs
//! or prints garbage is reported in [`ClusterPoll`]; it never fails the poll.

use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};

use crate::parse::config::SlurmCluster;
use crate::parse::sacct::{self, Job, SacctError};
use crate::parse::scontrol::{self, ScontrolError, SlurmLicense};
use crate::parse::squeue::{self, PendingJob, SqueueError};
use crate::poller::run_command;

/// The `sacct --format` list lmscope reads (any order and more columns are fine on import).
pub const SACCT_FORMAT: &str =
    "JobID,User,Account,Partition,NodeList,AllocTRES,Start,End,State,Licenses,Cluster";

/// The `squeue --format` lmscope reads for pending jobs.
pub const SQUEUE_FORMAT: &str = "%i|%u|%a|%P|%r|%W|%V";

/// How far before the last run's end the next run asks again: accounting records can be
/// written a little late, and a job asked for twice is stored once.
pub const SACCT_OVERLAP: TimeDelta = TimeDelta::minutes(15);

/// How far back the first run of a cluster looks.
pub const SACCT_FIRST: TimeDelta = TimeDelta::days(1);

/// A command's readings and the lines it could not read, or why it gave none.
pub type Reading<T, E> = Result<(Vec<T>, Vec<E>), String>;

/// What one poll of one cluster gave.
pub struct ClusterPoll {
    /// Jobs from `sacct`, stored under the configured cluster name.
    pub jobs: Reading<Job, SacctError>,
    /// `None` when the config skips the command.
    pub licenses: Option<Reading<SlurmLicense, ScontrolError>>,
    pub pending: Option<Reading<PendingJob, SqueueError>>,
}

/// The `sacct` arguments for the jobs active in `[since, until]` (UTC): every user's, in
/// any state, job steps left to the parser.
pub fn sacct_args(since: NaiveDateTime, until: NaiveDateTime) -> Vec<String> {
    let t = |t: NaiveDateTime| t.format("%Y-%m-%dT%H:%M:%S").to_string();
    vec![
        "--allusers".to_owned(),
        "--parsable2".to_owned(),
        format!("--format={SACCT_FORMAT}"),
        format!("--starttime={}", t(since)),
        format!("--endtime={}", t(until)),
    ]
}

/// Where the next `sacct` run of a cluster starts, from the end of the last one stored.
pub fn sacct_since(last: Option<NaiveDateTime>, at: NaiveDateTime) -> NaiveDateTime {
    match last {
        Some(last) => (last - SACCT_OVERLAP).min(at),
        None => at - SACCT_FIRST,
    }
}

const UTC: &[(&str, &str)] = &[("TZ", "UTC"), ("SLURM_TIME_FORMAT", "standard")];

/// Poll one cluster at `at`, asking `sacct` for the jobs since `since`.
pub fn poll_cluster(
    c: &SlurmCluster,
    since: NaiveDateTime,
    at: NaiveDateTime,
    timeout: Duration,
) -> ClusterPoll {
    let args = sacct_args(since, at);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let jobs = run_command(
        &c.sacct,
        &args,
        UTC,
        &format!("{} (sacct)", c.sacct),
        timeout,
    )
    .map(|out| {
        let (mut jobs, errors) = sacct::parse(&out.text);
        for j in &mut jobs {
            j.cluster = Some(c.cluster.clone());
        }
        (jobs, errors)
    });
    let licenses = (!c.scontrol.trim().is_empty()).then(|| {
        run_command(
            &c.scontrol,
            &["show", "licenses"],
            UTC,
            &format!("{} show licenses", c.scontrol),
            timeout,
        )
        .map(|out| scontrol::parse_licenses(&out.text))
    });
    let pending = (!c.squeue.trim().is_empty()).then(|| {
        run_command(
            &c.squeue,
            &["--states=PENDING", &format!("--format={SQUEUE_FORMAT}")],
            UTC,
            &format!("{} --states=PENDING", c.squeue),
            timeout,
        )
        .map(|out| squeue::parse(&out.text))
    });
    ClusterPoll {
        jobs,
        licenses,
        pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").expect("time")
    }

    #[test]
    fn each_run_starts_a_little_before_the_last_ended() {
        let at = t("2026-11-20T12:00:00");
        assert_eq!(sacct_since(None, at), t("2026-11-19T12:00:00"));
        assert_eq!(
            sacct_since(Some(t("2026-11-20T11:55:00")), at),
            t("2026-11-20T11:40:00")
        );
        // A clock that went back never asks for the future.
        assert_eq!(sacct_since(Some(t("2026-11-21T00:00:00")), at), at);
        let args = sacct_args(t("2026-11-20T11:40:00"), at);
        assert!(args.contains(&"--starttime=2026-11-20T11:40:00".to_owned()));
        assert!(args.contains(&"--endtime=2026-11-20T12:00:00".to_owned()));
        assert!(args.iter().any(|a| a.contains("AllocTRES")));
    }
}
