//! `lmscope`: collect FlexLM license usage into a DuckDB store and publish it for the site.

mod cli;

use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Parser;

use cli::args::{Cli, Command, Import, Report};
use cli::check::{check, CheckArgs};
use cli::import::{import_entitlements, import_lmstat};
use cli::import_log::import_logs;
use cli::poll::poll;
use cli::report::{chargeback, forecast_report};

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
            time_zone,
        }) => import_lmstat(&cli.store, &files, at, server.as_deref(), time_zone),
        Command::Import(Import::Log {
            files,
            server,
            time_zone,
        }) => import_logs(&cli.store, &files, server.as_deref(), time_zone),
        Command::Import(Import::Sacct {
            files,
            cluster,
            time_zone,
        }) => cli::import::import_sacct(&cli.store, &files, &cluster, time_zone),
        Command::Import(Import::Scontrol { snapshot: s }) => {
            cli::import::import_scontrol(&cli.store, &s.files, &s.cluster, s.at)
        }
        Command::Import(Import::Squeue {
            snapshot: s,
            time_zone,
        }) => cli::import::import_squeue(&cli.store, &s.files, &s.cluster, s.at, time_zone),
        Command::Import(Import::LmstatI { files, server }) => {
            import_entitlements(&cli.store, &files, &server)
        }
        Command::Poll {
            config,
            every,
            publish,
            parquet,
        } => poll(&cli.store, &config, every, publish.as_deref(), parquet),
        Command::Publish {
            out,
            org,
            poll_interval,
            pseudonymize,
            parquet,
        } => cli::publish::publish_cmd(
            &cli.store,
            &out,
            org.as_deref(),
            poll_interval,
            &pseudonymize,
            parquet,
        ),
        Command::Report(Report::Forecast {
            data,
            server,
            vendor,
            feature,
        }) => forecast_report(
            &data,
            &lmscope::analytics::filters::Filters {
                server,
                vendor,
                feature,
                ..Default::default()
            },
        ),
        Command::Report(Report::Chargeback {
            data,
            month,
            from,
            to,
            by,
            format,
        }) => {
            let period = match (month, from, to) {
                (Some(m), _, _) => m,
                (None, Some(a), Some(b)) if a <= b => (a, b),
                _ => bail!("give --month YYYY-MM, or --from and --to (from not after to)"),
            };
            chargeback(&data, period, by, &format)
        }
        Command::Check {
            data,
            rules,
            from,
            to,
            json,
            fail_on,
            webhook,
            renotify,
            notify,
            site,
            at,
        } => check(
            &cli.store,
            CheckArgs {
                data,
                rules,
                range: lmscope::analytics::check::Range {
                    from,
                    to: to.or(at.map(|t| t.date())),
                },
                json,
                fail_on,
                webhook,
                renotify,
                notify,
                site,
                at,
            },
        ),
        Command::Notify {
            org,
            data,
            site,
            at,
            only,
        } => cli::notify::notify(
            &cli.store,
            cli::notify::NotifyArgs {
                org,
                data,
                site,
                at,
                only,
            },
        ),
        Command::Demo {
            out,
            weeks,
            interval,
            end,
            seed,
            size,
            parquet,
            org_file,
        } => cli::demo::demo_cmd(
            &cli.store,
            &out,
            cli::demo::DemoArgs {
                weeks,
                interval,
                end,
                seed,
                size,
                parquet,
                org_file,
            },
        ),
    }
}
