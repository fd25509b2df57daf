//! The command line: commands, their options and the parsers of option values.

use std::path::PathBuf;

use chrono::{NaiveDate, NaiveDateTime};
use clap::{Parser, Subcommand};

use lmscope::analytics::alerts::Severity;
use lmscope::parse::zone::Zone;

#[derive(Parser)]
#[command(
    name = "lmscope",
    version,
    about = "FlexLM license usage analytics: collect, store, publish"
)]
pub(crate) struct Cli {
    /// The DuckDB store the collector writes to.
    #[arg(long, global = true, default_value = "lmscope.duckdb")]
    pub(crate) store: PathBuf,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Import saved outputs into the store.
    #[command(subcommand)]
    Import(Import),
    /// Reports from published data, for finance and CI.
    #[command(subcommand)]
    Report(Report),
    /// Poll the license servers of a config file once (for cron), or `--every` interval.
    Poll {
        #[arg(long, default_value = "lmscope.toml")]
        config: PathBuf,
        /// Keep polling at this interval (`1m`, `5m`); default: poll once and exit.
        #[arg(long, value_parser = parse_every)]
        every: Option<std::time::Duration>,
        /// Publish into this directory after each poll.
        #[arg(long)]
        publish: Option<PathBuf>,
        /// Also write the data as Hive-partitioned Parquet into this folder
        /// (`TABLE/month=YYYY-MM/*.parquet`), for Spark, Trino, Polars or a warehouse.
        #[arg(long)]
        parquet: Option<PathBuf>,
    },
    /// Write the published DuckDB file and manifest.json into a directory (atomically).
    Publish {
        #[arg(long)]
        out: PathBuf,
        /// Org file (people, teams, departments, clusters, prices, budgets, pools, projects).
        #[arg(long)]
        org: Option<PathBuf>,
        /// Expected time between polls in seconds (for the site's staleness warning).
        #[arg(long, default_value_t = 300)]
        poll_interval: u64,
        /// Replace names with stable keyed aliases (`users`, `hosts`, or both, comma-separated)
        /// so the site can be public; the key comes from $LMSCOPE_PSEUDONYM_KEY.
        #[arg(long, value_delimiter = ',')]
        pseudonymize: Vec<String>,
        /// Also write the data as Hive-partitioned Parquet into this folder
        /// (`TABLE/month=YYYY-MM/*.parquet`), for Spark, Trino, Polars or a warehouse.
        #[arg(long)]
        parquet: Option<PathBuf>,
    },
    /// Evaluate alert rules over published data: prints what fires; exits 0 when nothing at
    /// or above `--fail-on` fires now, 1 when something does, 2 on error.
    Check {
        /// The published data directory (with manifest.json).
        #[arg(long)]
        data: PathBuf,
        /// TOML with `[[alert]]` tables (the org file will do); default: the rules published
        /// with the data.
        #[arg(long)]
        rules: Option<PathBuf>,
        /// First day evaluated (default: 30 days before `--to`).
        #[arg(long)]
        from: Option<NaiveDate>,
        /// Last day evaluated (default: the newest poll's day).
        #[arg(long)]
        to: Option<NaiveDate>,
        /// Print every firing over the range as JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Lowest severity that fails the check: info, warning or critical.
        #[arg(long, default_value = "critical", value_parser = parse_severity)]
        fail_on: Severity,
        /// Post newly firing alerts as a Slack-compatible message to the URL in this
        /// environment variable (the URL is never on the command line or published).
        #[arg(long, num_args = 0..=1, default_missing_value = "LMSCOPE_WEBHOOK_URL")]
        webhook: Option<String>,
        /// Notify again about alerts already notified and still firing.
        #[arg(long)]
        renotify: bool,
        /// Send each rule's notices through the channels (`[[channel]]`, `[smtp]`) of this
        /// org file: new firings, escalations when due, repeats, resolved notices; grouped
        /// by server or feature; remembered beside the store so nothing goes twice.
        #[arg(long, value_name = "ORG_FILE")]
        notify: Option<PathBuf>,
        /// The site's address (`https://host/lmscope/`), for links to each alert's evidence.
        #[arg(long)]
        site: Option<String>,
        /// Evaluate as of this UTC time (`YYYY-MM-DDTHH:MM`) instead of now: what fires
        /// then, and which notices are due then (a replay).
        #[arg(long, value_parser = parse_time)]
        at: Option<NaiveDateTime>,
    },
    /// Send the org file's report subscriptions that are due (for cron or CI): each an HTML
    /// e-mail with the view's key figures, charts and table, the chargeback as CSV when
    /// asked, and a link to the live view. Remembers what was sent beside the store.
    Notify {
        /// The org file with `[[subscription]]` tables and the `[smtp]` relay.
        #[arg(long)]
        org: PathBuf,
        /// The published data directory (with manifest.json).
        #[arg(long)]
        data: PathBuf,
        /// The site's address (`https://host/lmscope/`), for links to the live views.
        #[arg(long)]
        site: Option<String>,
        /// Act as if the clock said this UTC time (`YYYY-MM-DDTHH:MM`): which are due then.
        #[arg(long, value_parser = parse_time)]
        at: Option<NaiveDateTime>,
        /// Only this subscription (by name).
        #[arg(long)]
        only: Option<String>,
    },
    /// Generate the demo dataset into the store and publish it.
    Demo {
        #[arg(long)]
        out: PathBuf,
        /// Weeks of polls to generate (default: a year; with `--size large`, 52 means 365 days).
        #[arg(long, default_value_t = 52)]
        weeks: u32,
        /// Minutes between polls.
        #[arg(long, default_value_t = 15)]
        interval: u32,
        /// Time of the last poll, UTC (`YYYY-MM-DDTHH:MM`); default: now.
        #[arg(long, value_parser = parse_time)]
        end: Option<NaiveDateTime>,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// `small`: 4 servers, 32 features, 320 users, polled every `--interval` through the
        /// real ingest path. `large`: a year of one-minute polls of 50 servers, 500 features
        /// and 3,000 users, synthesized straight into the store's tables.
        #[arg(long, value_enum, default_value_t = DemoSize::Small)]
        size: DemoSize,
        /// Also write the data as Hive-partitioned Parquet into this folder
        /// (`TABLE/month=YYYY-MM/*.parquet`), for Spark, Trino, Polars or a warehouse.
        #[arg(long)]
        parquet: Option<PathBuf>,
        /// Also write the demo's org file (people, teams, prices, rules, channels,
        /// subscriptions) here, outside the published folder: an example to start from.
        #[arg(long)]
        org_file: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DemoSize {
    Small,
    Large,
}

#[derive(Subcommand)]
pub(crate) enum Report {
    /// Each feature's 90-day forecast of daily peak concurrency, its chance of running out
    /// within 30 and 90 days and its chosen model's backtest, as CSV (the scorecard on stderr).
    Forecast {
        /// The published data directory (with manifest.json).
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        server: Option<String>,
        #[arg(long)]
        vendor: Option<String>,
        #[arg(long)]
        feature: Option<String>,
    },
    /// What each group owes for one month, under both policies (pay for use, full
    /// allocation), the same figures as the site's costs page.
    Chargeback {
        /// The published data directory (with manifest.json).
        #[arg(long)]
        data: PathBuf,
        /// The month, `YYYY-MM`.
        #[arg(long, value_parser = parse_month, required_unless_present = "from", conflicts_with_all = ["from", "to"])]
        month: Option<(NaiveDate, NaiveDate)>,
        /// Or any period: its first day...
        #[arg(long, requires = "to")]
        from: Option<NaiveDate>,
        /// ...and its last day.
        #[arg(long, requires = "from")]
        to: Option<NaiveDate>,
        /// cost-center, department, team, project or user.
        #[arg(long, default_value = "cost-center", value_parser = parse_by)]
        by: lmscope::analytics::chargeback::By,
        /// csv or json.
        #[arg(long, default_value = "csv")]
        format: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum Import {
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
        /// The license server's time zone: an IANA name (`Europe/Berlin`) or an offset (`+01:00`).
        #[arg(long, alias = "utc-offset", default_value = "UTC", value_parser = parse_zone)]
        time_zone: Zone,
    },
    /// FlexLM debug logs (lmgrd `-l` files): OUT, IN, DENIED, QUEUED, UNSUPPORTED events.
    /// Re-importing a log, or a longer version of it, adds only what is new.
    Log {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Server name (`PORT@HOST`); default: from the log's `tcp-port` and `started on` lines.
        #[arg(long)]
        server: Option<String>,
        /// The license server's time zone: an IANA name (`Europe/Berlin`) or an offset (`+01:00`).
        #[arg(long, alias = "utc-offset", default_value = "UTC", value_parser = parse_zone)]
        time_zone: Zone,
    },
    /// Slurm accounting: `sacct --parsable2` outputs with their header (see the README for
    /// the `--format` list). A job imported again is replaced by its newer state.
    Sacct {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Cluster name for outputs without a `Cluster` column.
        #[arg(long, default_value = "default")]
        cluster: String,
        /// The zone sacct printed its times in (the cluster's, unless run with `TZ=UTC`).
        #[arg(long, default_value = "UTC", value_parser = parse_zone)]
        time_zone: Zone,
    },
    /// Slurm's license counts: saved `scontrol show licenses` outputs, one snapshot each.
    Scontrol {
        #[command(flatten)]
        snapshot: Snapshot,
    },
    /// Slurm's pending jobs: saved `squeue` outputs (see the README for the `--format`),
    /// one snapshot each.
    Squeue {
        #[command(flatten)]
        snapshot: Snapshot,
        /// The zone squeue printed submit times in.
        #[arg(long, default_value = "UTC", value_parser = parse_zone)]
        time_zone: Zone,
    },
    /// `lmutil lmstat -i` outputs: the license file's entitlements (counts, expiry dates).
    #[command(name = "lmstat-i")]
    LmstatI {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Server the license file belongs to (`PORT@HOST`).
        #[arg(long)]
        server: String,
    },
}

/// Saved outputs of one Slurm cluster, each a snapshot taken at one time.
#[derive(clap::Args)]
pub(crate) struct Snapshot {
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[arg(long)]
    pub cluster: String,
    /// When the output was taken (UTC, `YYYY-MM-DDTHH:MM`); default: now.
    #[arg(long, value_parser = parse_time)]
    pub at: Option<NaiveDateTime>,
}

pub(crate) fn parse_month(s: &str) -> Result<(NaiveDate, NaiveDate), String> {
    let first = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a month like 2026-10"))?;
    let last = first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt())
        .ok_or_else(|| format!("`{s}` is out of range"))?;
    Ok((first, last))
}

pub(crate) fn parse_by(s: &str) -> Result<lmscope::analytics::chargeback::By, String> {
    lmscope::analytics::chargeback::By::parse(s)
        .ok_or_else(|| format!("`{s}` is not cost-center, department, team, project or user"))
}

pub(crate) fn parse_time(s: &str) -> Result<NaiveDateTime, String> {
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

pub(crate) fn parse_every(s: &str) -> Result<std::time::Duration, String> {
    lmscope::parse::duration::parse_positive(s)
}

pub(crate) fn parse_zone(s: &str) -> Result<Zone, String> {
    s.parse()
}

pub(crate) fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s).ok_or_else(|| format!("`{s}` is not info, warning or critical"))
}
