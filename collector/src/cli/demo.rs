//! `lmscope demo`: a demo year (or the large benchmark history) stored and published.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::{NaiveDateTime, Timelike, Utc};
use lmscope::demo::synth::{self, SynthOptions};
use lmscope::demo::{self, DemoOptions};
use lmscope::parse::zone::Zone;
use lmscope::publish::write::{publish, PublishOptions};

use super::args::DemoSize;
use super::open_store;

/// The demo's options from the command line.
pub(crate) struct DemoArgs {
    pub weeks: u32,
    pub interval: u32,
    pub end: Option<NaiveDateTime>,
    pub seed: u64,
    pub size: DemoSize,
    pub parquet: Option<std::path::PathBuf>,
    pub org_file: Option<std::path::PathBuf>,
}

/// Make the demo into the (empty) store at `store_path` and publish it into `out`.
pub(crate) fn demo_cmd(store_path: &Path, out: &Path, args: DemoArgs) -> Result<ExitCode> {
    let DemoArgs {
        weeks,
        interval,
        end,
        seed,
        size,
        parquet,
        org_file,
    } = args;
    let interval = if size == DemoSize::Large { 1 } else { interval };
    let end = end.unwrap_or_else(|| {
        let now = Utc::now().naive_utc();
        let minute = now.minute() - now.minute() % interval.clamp(1, 60);
        now.with_minute(minute)
            .and_then(|t| t.with_second(0))
            .and_then(|t| t.with_nanosecond(0))
            .unwrap_or(now)
    });
    let mut store = open_store(store_path)?;
    if store.poll_range()?.1.is_some() {
        bail!(
            "the store {} already holds polls; the demo needs an empty store (name a new one with --store)",
            store_path.display()
        );
    }
    if size == DemoSize::Large {
        let mut opts = SynthOptions::large(end, seed);
        if weeks != 52 {
            // Longer histories for the scale figures (five years: `--weeks 260`).
            opts.days = weeks.saturating_mul(7).max(1);
        }
        let started = std::time::Instant::now();
        let s = synth::synthesize(&mut store, &opts).context("synthesizing the large demo")?;
        println!(
            "demo: synthesized {} polls, {} sessions, {} feature changes, {} feature-hours, {} denials in {:.1}s",
            s.polls,
            s.sessions,
            s.feature_changes,
            s.hours,
            s.denials,
            started.elapsed().as_secs_f64()
        );
        let started = std::time::Instant::now();
        let m = publish(
            &store,
            out,
            &PublishOptions {
                poll_interval_seconds: 60,
                org: synth::org(&opts),
                pseudonymize: None,
                parquet: parquet.clone(),
            },
        )
        .with_context(|| format!("publishing to {}", out.display()))?;
        println!(
            "demo: published {} into {} in {:.1}s",
            m.summary(),
            out.display(),
            started.elapsed().as_secs_f64()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let opts = DemoOptions {
        end,
        weeks,
        interval_minutes: interval,
        seed,
    };
    let mut polls = 0;
    for server in demo::generate(&opts) {
        polls += store
            .ingest(server.polls)
            .context("storing demo polls")?
            .polls;
        store
            .ingest_events(&server.name, "demo", Zone::UTC, &server.denials)
            .context("storing demo denials")?;
        store
            .replace_entitlements(&server.name, "demo", end, &server.entitlements)
            .context("storing demo entitlements")?;
    }
    let slurm =
        demo::slurm::plant(&mut store, end, seed).context("storing the demo's Slurm jobs")?;
    println!(
        "demo: {} Slurm job(s) on hpc-a and hpc-b ({} checkouts left idle, {} jobs waiting on licenses)",
        slurm.jobs, slurm.idle_planted, slurm.pending_on_licenses
    );
    let org = demo::org(seed);
    if let Some(path) = &org_file {
        // The org file the demo publishes, with its channels, relay and subscriptions: an
        // example to start from, and what `check --notify` and `notify` read. Not in `out`,
        // which is served: it names people's addresses.
        let text = toml::to_string(&org).context("writing the demo's org file")?;
        lmscope::publish::write::write_atomically(path, text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let m = publish(
        &store,
        out,
        &PublishOptions {
            poll_interval_seconds: u64::from(interval) * 60,
            org,
            pseudonymize: None,
            parquet,
        },
    )
    .with_context(|| format!("publishing to {}", out.display()))?;
    println!(
        "demo: {polls} polls stored in {}, published {} into {}",
        store_path.display(),
        m.summary(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
