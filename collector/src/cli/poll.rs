//! `lmscope poll`: poll the configured servers (once or on round times), store and publish.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::{Timelike, Utc};

use lmscope::parse::config::Config;
use lmscope::poller;
use lmscope::publish::write::{publish, PublishOptions};

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
