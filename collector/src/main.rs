//! `lmscope`: collect FlexLM license usage into a DuckDB store and publish it for the site.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::{FixedOffset, NaiveDateTime, TimeDelta, Timelike, Utc};
use clap::{Parser, Subcommand};

use lmscope::demo::{self, DemoOptions};
use lmscope::lmstat;
use lmscope::publish::{publish, PublishOptions};
use lmscope::store::{Poll, Store};

#[derive(Parser)]
#[command(
    name = "lmscope",
    version,
    about = "FlexLM license usage analytics: collect, store, publish"
)]
struct Cli {
    /// The DuckDB store the collector writes to.
    #[arg(long, global = true, default_value = "lmscope.duckdb")]
    store: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import saved outputs into the store.
    #[command(subcommand)]
    Import(Import),
    /// Write the published DuckDB file and manifest.json into a directory (atomically).
    Publish {
        #[arg(long)]
        out: PathBuf,
        /// Expected time between polls in seconds (for the site's staleness warning).
        #[arg(long, default_value_t = 300)]
        poll_interval: u64,
    },
    /// Generate the demo dataset into the store and publish it.
    Demo {
        #[arg(long)]
        out: PathBuf,
        /// Weeks of polls to generate.
        #[arg(long, default_value_t = 6)]
        weeks: u32,
        /// Minutes between polls.
        #[arg(long, default_value_t = 15)]
        interval: u32,
        /// Time of the last poll, UTC (`YYYY-MM-DDTHH:MM`); default: now.
        #[arg(long, value_parser = parse_time)]
        end: Option<NaiveDateTime>,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum Import {
    /// `lmutil lmstat -a` outputs.
    Lmstat {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Poll time (server-local, `YYYY-MM-DDTHH:MM`) instead of the output's header.
        #[arg(long, value_parser = parse_time)]
        at: Option<NaiveDateTime>,
        /// Server name when the output does not name one (`PORT@HOST`).
        #[arg(long)]
        server: Option<String>,
        /// The license server's offset from UTC, e.g. `+01:00`.
        #[arg(long, default_value = "+00:00", value_parser = parse_offset)]
        utc_offset: FixedOffset,
    },
}

fn parse_time(s: &str) -> Result<NaiveDateTime, String> {
    [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .ok_or_else(|| format!("`{s}` is not a time like 2026-03-01T14:30"))
}

fn parse_offset(s: &str) -> Result<FixedOffset, String> {
    s.parse::<FixedOffset>()
        .map_err(|_| format!("`{s}` is not a UTC offset like +01:00"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("lmscope: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Import(Import::Lmstat {
            files,
            at,
            server,
            utc_offset,
        }) => import_lmstat(&cli.store, &files, at, server.as_deref(), utc_offset),
        Command::Publish { out, poll_interval } => {
            let store = open_store(&cli.store)?;
            let m = publish(
                &store,
                &out,
                &PublishOptions {
                    poll_interval_seconds: poll_interval,
                },
            )
            .with_context(|| format!("publishing to {}", out.display()))?;
            println!(
                "published {} ({} bytes), data as of {}",
                out.join(&m.files[0].path).display(),
                m.files[0].bytes,
                m.data_as_of.as_deref().unwrap_or("-")
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            out,
            weeks,
            interval,
            end,
            seed,
        } => {
            let end = end.unwrap_or_else(|| {
                let now = Utc::now().naive_utc();
                let minute = now.minute() - now.minute() % interval.clamp(1, 60);
                now.with_minute(minute)
                    .and_then(|t| t.with_second(0))
                    .and_then(|t| t.with_nanosecond(0))
                    .unwrap_or(now)
            });
            let mut store = open_store(&cli.store)?;
            if store.poll_range()?.1.is_some() {
                bail!(
                    "the store {} already holds polls; the demo needs an empty store (name a new one with --store)",
                    cli.store.display()
                );
            }
            let opts = DemoOptions {
                end,
                weeks,
                interval_minutes: interval,
                seed,
            };
            let mut polls = 0;
            for server_polls in demo::generate(&opts) {
                polls += store
                    .ingest(server_polls)
                    .context("storing demo polls")?
                    .polls;
            }
            let m = publish(
                &store,
                &out,
                &PublishOptions {
                    poll_interval_seconds: u64::from(interval) * 60,
                },
            )
            .with_context(|| format!("publishing to {}", out.display()))?;
            println!(
                "demo: {polls} polls stored in {}, published {} ({} bytes)",
                cli.store.display(),
                out.join(&m.files[0].path).display(),
                m.files[0].bytes
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn open_store(path: &Path) -> Result<Store> {
    Store::open(path).with_context(|| format!("opening store {}", path.display()))
}

fn import_lmstat(
    store_path: &Path,
    files: &[PathBuf],
    at: Option<NaiveDateTime>,
    server: Option<&str>,
    utc_offset: FixedOffset,
) -> Result<ExitCode> {
    let offset = TimeDelta::seconds(i64::from(utc_offset.local_minus_utc()));
    let mut polls = Vec::new();
    let mut failed = 0;
    for file in files {
        let shown = file.display();
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{shown}: cannot read: {e}");
                failed += 1;
                continue;
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        let report = lmstat::parse(&text);
        for issue in &report.issues {
            eprintln!("{shown}:{}: {}", issue.line, issue.message);
        }
        let Some(local) = at.or(report.polled_at) else {
            eprintln!(
                "{shown}: no `Flexible License Manager status on` time in the output; give --at"
            );
            failed += 1;
            continue;
        };
        let name = server
            .map(str::to_owned)
            .or_else(|| {
                (!report.license_servers.is_empty()).then(|| report.license_servers.join(","))
            })
            .or_else(|| report.servers.first().map(|s| s.host.clone()));
        let Some(name) = name else {
            eprintln!("{shown}: the output names no license server; give --server");
            failed += 1;
            continue;
        };
        if report.features.is_empty() && report.query_error.is_none() && report.servers.is_empty() {
            eprintln!("{shown}: no lmstat records found");
            failed += 1;
            continue;
        }
        polls.push(Poll {
            server: name,
            ts: local - offset,
            source: file.display().to_string(),
            utc_offset,
            report,
        });
    }
    if polls.is_empty() {
        bail!("nothing could be read from {} file(s)", files.len());
    }
    let mut store = open_store(store_path)?;
    let s = store.ingest(polls).context("storing polls")?;
    println!(
        "imported {} poll(s): {} feature rows, {} checkouts, {} sessions closed; {} duplicate(s) skipped, {} out of order, {} file(s) unreadable",
        s.polls, s.features, s.checkouts, s.sessions_closed, s.skipped_duplicates, s.out_of_order, failed
    );
    Ok(ExitCode::SUCCESS)
}
