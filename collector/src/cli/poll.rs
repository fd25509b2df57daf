//! `lmscope poll`: poll the configured servers and Slurm clusters (once or on round times),
//! store and publish.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::{Timelike, Utc};

use lmscope::parse::config::Config;
use lmscope::poller;
use lmscope::publish::write::{publish, PublishOptions};

use super::import::whole_snapshot;
use super::open_store;

pub(crate) fn poll(
    store_path: &Path,
    config_path: &Path,
    every: Option<std::time::Duration>,
    publish_to: Option<&Path>,
    parquet: Option<std::path::PathBuf>,
) -> Result<ExitCode> {
    let text = std::fs::read_to_string(config_path)
        .with_context(|| format!("reading {}", config_path.display()))?;
    let config = Config::from_toml(&text).with_context(|| format!("{}", config_path.display()))?;
    let mut store = open_store(store_path)?;
    loop {
        let started = std::time::Instant::now();
        let at = Utc::now()
            .naive_utc()
            .with_nanosecond(0)
            .unwrap_or_default();
        let polls = poller::poll_all(&config, at);
        for p in &polls {
            match &p.report.query_error {
                None => println!(
                    "{}: UP, {} feature(s), {} checkout(s)",
                    p.server,
                    p.report.features.len(),
                    p.report.checkouts.len()
                ),
                Some(e) => println!("{}: DOWN: {}", p.server, e.message),
            }
            for issue in &p.report.issues {
                eprintln!(
                    "{} (lmstat output):{}: {}",
                    p.server, issue.line, issue.message
                );
            }
        }
        store.ingest(polls).context("storing polls")?;
        for cluster in &config.slurm {
            poll_slurm(&mut store, cluster, at, config.timeout)?;
        }
        if let Some(out) = publish_to {
            let opts = PublishOptions {
                poll_interval_seconds: config.interval.as_secs(),
                parquet: parquet.clone(),
                ..PublishOptions::default()
            };
            publish(&store, out, &opts)
                .with_context(|| format!("publishing to {}", out.display()))?;
        }
        eprintln!(
            "poll of {} server(s) took {:.3}s",
            config.servers.len(),
            started.elapsed().as_secs_f64()
        );
        let Some(every) = every else {
            return Ok(ExitCode::SUCCESS);
        };
        let now = Utc::now().naive_utc();
        let wait = (poller::next_tick(now, every) - now)
            .to_std()
            .unwrap_or_default();
        std::thread::sleep(wait);
    }
}

/// Poll one Slurm cluster and store what it gave: the jobs (and the mark the next `sacct`
/// run starts from) when `sacct` answered, each snapshot that could be read whole.
/// Failures are printed, named by cluster and command; only the store failing stops it.
fn poll_slurm(
    store: &mut lmscope::store::db::Store,
    cluster: &lmscope::parse::config::SlurmCluster,
    at: chrono::NaiveDateTime,
    timeout: std::time::Duration,
) -> Result<()> {
    let name = &cluster.cluster;
    let since = lmscope::slurm::sacct_since(store.sacct_mark(name)?, at);
    let p = lmscope::slurm::poll_cluster(cluster, since, at, timeout);
    match &p.jobs {
        Ok((jobs, errors)) => {
            for e in errors {
                eprintln!("{name} (sacct output):{}: {}", e.line, e.message);
            }
            store
                .upsert_jobs(jobs, name, "poll")
                .with_context(|| format!("storing the jobs of {name}"))?;
            store.set_sacct_mark(name, at)?;
            println!("{name}: {} job(s) since {since}", jobs.len());
        }
        Err(e) => eprintln!("{name}: sacct failed: {e}"),
    }
    match &p.licenses {
        Some(Ok((licenses, errors))) => {
            let errors = errors.iter().map(|e| (e.line, e.message.clone()));
            if whole_snapshot(&format!("{name} (scontrol output)"), errors) {
                store.add_slurm_licenses(name, at, licenses)?;
                println!("{name}: {} Slurm license(s)", licenses.len());
            }
        }
        Some(Err(e)) => eprintln!("{name}: scontrol failed: {e}"),
        None => {}
    }
    match &p.pending {
        Some(Ok((jobs, errors))) => {
            let errors = errors.iter().map(|e| (e.line, e.message.clone()));
            if whole_snapshot(&format!("{name} (squeue output)"), errors) {
                store.add_slurm_pending(name, at, jobs)?;
                let on_licenses = jobs.iter().filter(|j| j.reason == "Licenses").count();
                println!(
                    "{name}: {} pending job(s), {on_licenses} waiting on licenses",
                    jobs.len()
                );
            }
        }
        Some(Err(e)) => eprintln!("{name}: squeue failed: {e}"),
        None => {}
    }
    Ok(())
}
