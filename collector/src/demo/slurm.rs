//! The demo's Slurm clusters (`hpc-a`, `hpc-b`): jobs laid over the checkouts made on their
//! nodes, so most of an HPC checkout's hours have its holder's job running beside it, with
//! the idle holding sites see planted among them (a job that ended while the license stayed
//! out; a checkout held from an interactive login with no job at all; the longest checkout
//! open now idle for hours), background jobs that check nothing out, and at the last poll
//! Slurm's license counts and queue: `hpc-a` configured with every seat of each HPC feature
//! (Slurm hands out seats workstations hold: the drift), `hpc-b` with a third, where jobs
//! wait on licenses. Stored through the same store calls `import sacct`, `import scontrol`
//! and `import squeue` use.

use chrono::{NaiveDateTime, TimeDelta};

use super::catalog::SERVERS;
use crate::parse::sacct::Job;
use crate::parse::scontrol::SlurmLicense;
use crate::parse::squeue::PendingJob;
use crate::rng::Rng;
use crate::store::db::{Store, StoreError};

/// What the demo's clusters hold.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SlurmSummary {
    pub jobs: usize,
    pub idle_planted: usize,
    pub pending_on_licenses: usize,
}

/// A checkout on a cluster node, as stored.
struct Checkout {
    user: String,
    host: String,
    feature: String,
    licenses: u32,
    start: NaiveDateTime,
    end: NaiveDateTime,
    open: bool,
}

fn cluster_of(host: &str) -> &'static str {
    if host.starts_with("hpc-b-") {
        "hpc-b"
    } else {
        "hpc-a"
    }
}

fn node(cluster: &str, i: usize) -> String {
    format!("{cluster}-{:03}", i % 120)
}

/// Lay the demo's jobs over the checkouts on `hpc-*` nodes in `store`, and store Slurm's
/// license counts and queue as of `end`.
pub fn plant(store: &mut Store, end: NaiveDateTime, seed: u64) -> Result<SlurmSummary, StoreError> {
    let checkouts = hpc_checkouts(store)?;
    let mut rng = Rng(seed ^ 0x534c_5552_4d00);
    let mut summary = SlurmSummary::default();
    let mut jobs: Vec<Job> = Vec::new();
    // The longest checkout open now is left idle: its job ended soon after it began.
    let idle_open = checkouts
        .iter()
        .enumerate()
        .filter(|(_, c)| c.open)
        .min_by_key(|(_, c)| c.start)
        .map(|(i, _)| i);
    for (i, c) in checkouts.iter().enumerate() {
        let cluster = cluster_of(&c.host);
        let lead = TimeDelta::minutes(1 + rng.below(10) as i64);
        let roll = rng.unit();
        let span = c.end - c.start;
        let (job_end, planted) = if Some(i) == idle_open {
            (Some(c.start + (end - c.start) / 20), true)
        } else if roll < 0.08 {
            // Held from an interactive login: no job at all.
            summary.idle_planted += 1;
            continue;
        } else if roll < 0.20 {
            // The job ended (failed, finished) a third to two thirds in; the license stayed out.
            let part = 0.33 + 0.33 * rng.unit();
            let secs = (span.num_seconds() as f64 * part) as i64;
            (Some(c.start + TimeDelta::seconds(secs)), true)
        } else if c.open {
            (None, false)
        } else {
            (Some(c.end + TimeDelta::minutes(rng.below(6) as i64)), false)
        };
        if planted {
            summary.idle_planted += 1;
        }
        let two_nodes = rng.unit() < 0.2;
        let mut hosts = vec![c.host.clone()];
        if two_nodes {
            let n: usize = c.host[6..].parse().unwrap_or(0);
            hosts.push(node(cluster, n + 1));
        }
        let gpus = if cluster == "hpc-b" {
            [0, 1, 2, 4][rng.below(4)] * hosts.len() as u32
        } else {
            0
        };
        jobs.push(Job {
            cluster: Some(cluster.to_owned()),
            job_id: String::new(),
            user: c.user.clone(),
            account: Some("eng".to_owned()),
            partition: Some(if gpus > 0 { "gpu" } else { "compute" }.to_owned()),
            cpus: [16, 32, 64][rng.below(3)] * hosts.len() as u32,
            gpus,
            hosts,
            start: Some(c.start - lead),
            end: job_end,
            state: if job_end.is_some_and(|e| e <= end) {
                if planted { "FAILED" } else { "COMPLETED" }.to_owned()
            } else {
                "RUNNING".to_owned()
            },
            licenses: vec![(c.feature.clone(), c.licenses)],
        });
    }
    // Background jobs that check no license out: the clusters' other work.
    let users: Vec<String> = {
        let mut u: Vec<String> = checkouts.iter().map(|c| c.user.clone()).collect();
        u.sort();
        u.dedup();
        u
    };
    if let (Some(first), false) = (checkouts.first().map(|c| c.start), users.is_empty()) {
        let mut t = first;
        while t < end {
            let cluster = ["hpc-a", "hpc-b"][rng.below(2)];
            let hours = 1 + rng.below(12) as i64;
            let job_end = t + TimeDelta::hours(hours);
            jobs.push(Job {
                cluster: Some(cluster.to_owned()),
                job_id: String::new(),
                user: users[rng.below(users.len())].clone(),
                account: Some("eng".to_owned()),
                partition: Some("compute".to_owned()),
                hosts: vec![node(cluster, rng.below(120))],
                cpus: [8, 16, 32][rng.below(3)],
                gpus: 0,
                start: Some(t),
                end: (job_end <= end).then_some(job_end),
                state: if job_end <= end {
                    "COMPLETED"
                } else {
                    "RUNNING"
                }
                .to_owned(),
                licenses: Vec::new(),
            });
            t += TimeDelta::minutes(20 + rng.below(40) as i64);
        }
    }
    jobs.sort_by_key(|j| j.start);
    for (n, j) in jobs.iter_mut().enumerate() {
        j.job_id = (400_000 + n).to_string();
    }
    for cluster in ["hpc-a", "hpc-b"] {
        let mine: Vec<Job> = jobs
            .iter()
            .filter(|j| j.cluster.as_deref() == Some(cluster))
            .cloned()
            .collect();
        summary.jobs += store.upsert_jobs(&mine, cluster, "demo")?;
    }
    summary.pending_on_licenses = slurm_snapshot(store, &jobs, end, &mut rng)?;
    Ok(summary)
}

/// The checkouts stored on cluster nodes, oldest first.
fn hpc_checkouts(store: &Store) -> Result<Vec<Checkout>, StoreError> {
    let mut stmt = store.conn().prepare(
        "SELECT user_name, host, feature, licenses, coalesce(started_at, first_seen),
                coalesce(ended_at, last_seen), ended_at IS NULL
         FROM sessions WHERE host LIKE 'hpc-_-%'
         ORDER BY 5, 1, 2, 3",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Checkout {
            user: r.get(0)?,
            host: r.get(1)?,
            feature: r.get(2)?,
            licenses: r.get(3)?,
            start: r.get(4)?,
            end: r.get(5)?,
            open: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Slurm's counts of the HPC features at `end` (`hpc-a`: every seat; `hpc-b`: a third)
/// and its pending jobs; returns how many wait on licenses.
fn slurm_snapshot(
    store: &mut Store,
    jobs: &[Job],
    end: NaiveDateTime,
    rng: &mut Rng,
) -> Result<usize, StoreError> {
    let running = |cluster: &str, feature: &str| -> u32 {
        jobs.iter()
            .filter(|j| j.cluster.as_deref() == Some(cluster) && j.end.is_none())
            .flat_map(|j| j.licenses.iter())
            .filter(|(n, _)| n == feature)
            .map(|(_, c)| *c)
            .sum()
    };
    let users: Vec<&str> = jobs.iter().map(|j| j.user.as_str()).collect();
    let mut waiting = 0;
    let mut next_id = 900_000;
    for cluster in ["hpc-a", "hpc-b"] {
        let hpc = || {
            SERVERS
                .iter()
                .flat_map(|s| s.features.iter())
                .filter(|f| f.hpc)
        };
        let mut licenses: Vec<(SlurmLicense, u32)> = hpc()
            .map(|f| {
                let used = running(cluster, f.name);
                let total = if cluster == "hpc-a" {
                    f.issued
                } else {
                    (f.issued / 3).max(used)
                };
                let license = SlurmLicense {
                    name: f.name.to_owned(),
                    total,
                    used,
                    free: total - used,
                    reserved: 0,
                    remote: false,
                    last_consumed: None,
                    last_update: None,
                };
                (license, f.tokens.1)
            })
            .collect();
        if cluster == "hpc-b" && !licenses.iter().any(|(l, tokens)| l.free < *tokens) {
            // hpc-b's share of its busiest feature is all taken.
            if let Some((l, _)) = licenses.iter_mut().max_by_key(|(l, _)| l.used) {
                l.total = l.used;
                l.free = 0;
            }
        }
        let mut pending = Vec::new();
        for (l, tokens) in &licenses {
            if cluster != "hpc-b" || l.free >= *tokens || users.is_empty() {
                continue;
            }
            for _ in 0..2 + rng.below(3) {
                next_id += 1;
                waiting += 1;
                pending.push(PendingJob {
                    job_id: next_id.to_string(),
                    user: users[rng.below(users.len())].to_owned(),
                    account: Some("eng".to_owned()),
                    partition: Some("gpu".to_owned()),
                    reason: "Licenses".to_owned(),
                    licenses: vec![(l.name.clone(), *tokens)],
                    submitted: Some(end - TimeDelta::minutes(10 + rng.below(300) as i64)),
                });
            }
        }
        for reason in ["Resources", "Priority"] {
            next_id += 1;
            if let Some(u) = users.get(rng.below(users.len().max(1))) {
                pending.push(PendingJob {
                    job_id: next_id.to_string(),
                    user: (*u).to_owned(),
                    account: Some("eng".to_owned()),
                    partition: Some("compute".to_owned()),
                    reason: reason.to_owned(),
                    licenses: Vec::new(),
                    submitted: Some(end - TimeDelta::minutes(30)),
                });
            }
        }
        let licenses: Vec<SlurmLicense> = licenses.into_iter().map(|(l, _)| l).collect();
        store.add_slurm_licenses(cluster, end, &licenses)?;
        store.add_slurm_pending(cluster, end, &pending)?;
    }
    Ok(waiting)
}
