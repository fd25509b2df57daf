//! `lmscope`: collect FlexLM license usage into a DuckDB store and publish it for the site.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::{NaiveDate, NaiveDateTime, Timelike, Utc};
use clap::{Parser, Subcommand};

use lmscope::analytics::alerts::{Rule, Severity};
use lmscope::demo::synth::{self, SynthOptions};
use lmscope::demo::{self, DemoOptions};
use lmscope::parse::config::Config;
use lmscope::parse::lmstat::Issue;
use lmscope::parse::org::Org;
use lmscope::parse::zone::Zone;
use lmscope::parse::{debuglog, lmstat, lmstat_i};
use lmscope::poller;
use lmscope::publish::write::{publish, PublishOptions};
use lmscope::store::db::{Poll, Store};

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
    },
    /// Generate the demo dataset into the store and publish it.
    Demo {
        #[arg(long)]
        out: PathBuf,
        /// Weeks of polls to generate (default: a year).
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
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum DemoSize {
    Small,
    Large,
}

#[derive(Subcommand)]
enum Report {
    /// Each feature's 90-day forecast of daily peak concurrency and its backtest, as CSV.
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

/// `lmscope report forecast`: every modelled series' outlook and backtest, as CSV, and a
/// summary of the backtest on standard error.
fn forecast_report(data: &Path, filters: &lmscope::analytics::query::Filters) -> Result<ExitCode> {
    use lmscope::analytics::forecast::Outlook;
    let (db, path) = lmscope::publish::files::open(data)?;
    let (sql, params) = lmscope::analytics::page_sql::daily_peaks(filters);
    let params: Vec<String> = params
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect();
    let refs: Vec<&dyn duckdb::ToSql> = params.iter().map(|p| p as &dyn duckdb::ToSql).collect();
    let rows = lmscope::publish::files::rows(&db, &sql, &refs)
        .with_context(|| format!("{path}: daily peaks"))?;
    println!("server,feature,days,issued,forecast_peak,upper_bound,shortage,mae,mape_pct,in_band_pct,week_before_mae");
    let field = lmscope::analytics::chargeback::csv_field;
    let (mut mapes, mut better, mut scored) = (Vec::new(), 0, 0);
    for s in lmscope::analytics::forecast::outlooks(&rows) {
        let head = format!(
            "{},{},{},{:.0}",
            field(&s.server),
            field(&s.feature),
            s.peaks.len(),
            s.issued
        );
        let (peak, high) = s.peak_and_high().unwrap_or_default();
        match &s.outlook {
            Outlook::TooShort { .. } => println!("{head},,,too short,,,,"),
            Outlook::Ready {
                backtest, shortage, ..
            } => {
                println!(
                    "{head},{peak:.1},{high:.1},{},{:.2},{},{:.1},{:.2}",
                    shortage.map(|d| d.to_string()).unwrap_or_default(),
                    backtest.mae,
                    backtest.mape.map(|m| format!("{m:.1}")).unwrap_or_default(),
                    backtest.coverage,
                    backtest.naive_mae
                );
                mapes.extend(backtest.mape);
                scored += 1;
                if backtest.mae < backtest.naive_mae {
                    better += 1;
                }
            }
        }
    }
    mapes.sort_by(f64::total_cmp);
    if let Some(median) = mapes.get(mapes.len() / 2) {
        eprintln!(
            "backtest over the last 28 days: median MAPE {median:.1} % across {scored} series; \
             the model beats \"same weekday a week before\" on {better} of {scored}"
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_month(s: &str) -> Result<(NaiveDate, NaiveDate), String> {
    let first = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a month like 2026-10"))?;
    let last = first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt())
        .ok_or_else(|| format!("`{s}` is out of range"))?;
    Ok((first, last))
}

fn parse_by(s: &str) -> Result<lmscope::analytics::chargeback::By, String> {
    lmscope::analytics::chargeback::By::parse(s)
        .ok_or_else(|| format!("`{s}` is not cost-center, department, team, project or user"))
}

fn chargeback(
    data: &Path,
    (from, to): (NaiveDate, NaiveDate),
    by: lmscope::analytics::chargeback::By,
    format: &str,
) -> Result<ExitCode> {
    use lmscope::analytics::chargeback as cb;
    if !matches!(format, "csv" | "json") {
        bail!("--format `{format}`: use csv or json");
    }
    let (db, path) = lmscope::publish::files::open(data)?;
    let [a, b] = cb::params(from, to);
    let usage = lmscope::publish::files::rows(&db, &cb::usage_sql(by), &[&a, &b])
        .with_context(|| format!("{path}: usage"))?;
    let bill = lmscope::publish::files::rows(&db, &cb::bill_sql(), &[&a, &b])
        .with_context(|| format!("{path}: license bill"))?;
    let statement = cb::statement(by, from, to, &usage, &bill);
    if format == "json" {
        println!("{}", statement.to_json());
    } else {
        print!("{}", statement.to_csv());
    }
    Ok(ExitCode::SUCCESS)
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

fn parse_every(s: &str) -> Result<std::time::Duration, String> {
    lmscope::parse::duration::parse_positive(s)
}

fn parse_zone(s: &str) -> Result<Zone, String> {
    s.parse()
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s).ok_or_else(|| format!("`{s}` is not info, warning or critical"))
}

/// `[[alert]]` tables of a TOML file; other tables (an org file's people...) are ignored.
#[derive(serde::Deserialize)]
struct RulesFile {
    #[serde(default, rename = "alert")]
    alerts: Vec<Rule>,
}

/// What `lmscope check` was asked.
struct CheckArgs {
    data: PathBuf,
    rules: Option<PathBuf>,
    range: lmscope::analytics::check::Range,
    json: bool,
    fail_on: Severity,
    webhook: Option<String>,
    renotify: bool,
}

fn check(store: &Path, args: CheckArgs) -> Result<ExitCode> {
    let CheckArgs {
        data,
        rules,
        range,
        json,
        fail_on,
        webhook,
        renotify,
    } = args;
    let file = match &rules {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading rules {}", path.display()))?;
            let file: RulesFile =
                toml::from_str(&text).with_context(|| format!("rules file {}", path.display()))?;
            Some(file.alerts)
        }
        None => None,
    };
    let outcome =
        lmscope::analytics::check::check(file.as_deref(), &data, range, Utc::now().naive_utc())
            .with_context(|| format!("checking {}", data.display()))?;
    let source = rules.as_ref().map_or_else(
        || format!("{} (published rules)", data.display()),
        |p| p.display().to_string(),
    );
    for e in &outcome.errors {
        eprintln!("{source}: {e}");
    }
    let firing: Vec<_> = outcome.firing().collect();
    if json {
        let text = serde_json::to_string_pretty(&outcome.alerts).context("writing JSON")?;
        println!("{text}");
    } else {
        for a in &firing {
            println!(
                "FIRING {:8} {}: {} — {} (since {} UTC)",
                a.severity.label(),
                a.rule,
                a.subject,
                a.evidence,
                a.since
            );
        }
        println!(
            "{} alert(s) firing now, {} firing(s) over the range",
            firing.len(),
            outcome.alerts.len()
        );
    }
    if let Some(var) = webhook.as_deref() {
        let url = std::env::var(var)
            .with_context(|| format!("--webhook: the environment variable {var} is not set"))?;
        let state = store.with_extension("alerts.json");
        let (fresh, keys) = lmscope::analytics::check::unnotified(&outcome, &state);
        let to_send: Vec<_> = if renotify { firing.clone() } else { fresh };
        if !to_send.is_empty() {
            lmscope::analytics::check::post(
                &url,
                &lmscope::analytics::check::slack_message(&to_send),
            )?;
            eprintln!("notified {} alert(s)", to_send.len());
        }
        lmscope::analytics::check::save_state(&state, &keys)?;
    }
    if !outcome.errors.is_empty() {
        bail!(
            "{} alert rule(s) could not be evaluated",
            outcome.errors.len()
        );
    }
    Ok(if outcome.fails(fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
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
            time_zone,
        }) => import_lmstat(&cli.store, &files, at, server.as_deref(), time_zone),
        Command::Import(Import::Log {
            files,
            server,
            time_zone,
        }) => import_logs(&cli.store, &files, server.as_deref(), time_zone),
        Command::Import(Import::LmstatI { files, server }) => {
            import_entitlements(&cli.store, &files, &server)
        }
        Command::Poll {
            config,
            every,
            publish,
        } => poll(&cli.store, &config, every, publish.as_deref()),
        Command::Publish {
            out,
            org,
            poll_interval,
            pseudonymize,
        } => {
            let pseudonymize = if pseudonymize.is_empty() {
                None
            } else {
                let key = std::env::var(lmscope::publish::pseudonym::KEY_ENV).ok();
                Some(lmscope::publish::pseudonym::Pseudonymize::new(
                    &pseudonymize,
                    key.as_deref(),
                )?)
            };
            let store = open_store(&cli.store)?;
            let opts = PublishOptions {
                poll_interval_seconds: poll_interval,
                org: load_org(org.as_deref())?,
                pseudonymize,
            };
            let m = publish(&store, &out, &opts)
                .with_context(|| format!("publishing to {}", out.display()))?;
            println!(
                "published {} ({} bytes), data as of {}",
                out.join(&m.files[0].path).display(),
                m.files[0].bytes,
                m.data_as_of.as_deref().unwrap_or("-")
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Report(Report::Forecast {
            data,
            server,
            vendor,
            feature,
        }) => forecast_report(
            &data,
            &lmscope::analytics::query::Filters {
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
        } => check(
            &cli.store,
            CheckArgs {
                data,
                rules,
                range: lmscope::analytics::check::Range { from, to },
                json,
                fail_on,
                webhook,
                renotify,
            },
        ),
        Command::Demo {
            out,
            weeks,
            interval,
            end,
            seed,
            size,
        } => {
            let interval = if size == DemoSize::Large { 1 } else { interval };
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
            if size == DemoSize::Large {
                let opts = SynthOptions::large(end, seed);
                let started = std::time::Instant::now();
                let s =
                    synth::synthesize(&mut store, &opts).context("synthesizing the large demo")?;
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
                    &out,
                    &PublishOptions {
                        poll_interval_seconds: 60,
                        org: synth::org(&opts),
                        pseudonymize: None,
                    },
                )
                .with_context(|| format!("publishing to {}", out.display()))?;
                println!(
                    "demo: published {} ({} bytes) in {:.1}s",
                    out.join(&m.files[0].path).display(),
                    m.files[0].bytes,
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
            let m = publish(
                &store,
                &out,
                &PublishOptions {
                    poll_interval_seconds: u64::from(interval) * 60,
                    org: demo::org(seed),
                    pseudonymize: None,
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

fn load_org(path: Option<&Path>) -> Result<Org> {
    let Some(path) = path else {
        return Ok(Org::default());
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Org::from_toml(&text).with_context(|| format!("org file {}", path.display()))
}

fn open_store(path: &Path) -> Result<Store> {
    Store::open(path).with_context(|| format!("opening store {}", path.display()))
}

fn import_lmstat(
    store_path: &Path,
    files: &[PathBuf],
    at: Option<NaiveDateTime>,
    server: Option<&str>,
    zone: Zone,
) -> Result<ExitCode> {
    let mut polls = Vec::new();
    let mut failed = 0;
    for file in files {
        let shown = file.display();
        let Some(text) = read_text(file) else {
            failed += 1;
            continue;
        };
        let report = lmstat::parse(&text);
        report_issues(file, &report.issues);
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
            ts: zone.to_utc(local),
            source: file.display().to_string(),
            zone,
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

/// Read a file as text (lossy UTF-8), reporting an unreadable one on stderr.
fn read_text(file: &Path) -> Option<String> {
    match std::fs::read(file) {
        Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) => {
            eprintln!("{}: cannot read: {e}", file.display());
            None
        }
    }
}

/// Print a parser's issues as `FILE:LINE: message`.
fn report_issues(file: &Path, issues: &[Issue]) {
    for issue in issues {
        eprintln!("{}:{}: {}", file.display(), issue.line, issue.message);
    }
}

/// Run `import` over every readable file; it says whether the file gave anything. Fails only
/// when no file did, so one bad file never loses the good ones.
fn import_each(
    files: &[PathBuf],
    mut import: impl FnMut(&Path, &str) -> Result<bool>,
) -> Result<ExitCode> {
    let mut read = 0;
    for file in files {
        if let Some(text) = read_text(file) {
            if import(file, &text)? {
                read += 1;
            }
        }
    }
    if read == 0 {
        bail!("nothing could be read from {} file(s)", files.len());
    }
    Ok(ExitCode::SUCCESS)
}

fn import_logs(
    store_path: &Path,
    files: &[PathBuf],
    server: Option<&str>,
    zone: Zone,
) -> Result<ExitCode> {
    let mut store = open_store(store_path)?;
    import_each(files, |file, text| {
        let shown = file.display();
        let log = debuglog::parse(text);
        report_issues(file, &log.issues);
        let Some(name) = server.map(str::to_owned).or_else(|| log.server.clone()) else {
            eprintln!("{shown}: the log names no server (no `lmgrd tcp-port` line); give --server");
            return Ok(false);
        };
        if log.events.is_empty() {
            eprintln!("{shown}: no license events found");
            return Ok(false);
        }
        let (added, known) = store
            .ingest_events(&name, &shown.to_string(), zone, &log)
            .with_context(|| format!("storing events of {shown}"))?;
        println!("{shown}: {added} event(s) added, {known} already stored (server {name})");
        Ok(true)
    })
}

fn import_entitlements(store_path: &Path, files: &[PathBuf], server: &str) -> Result<ExitCode> {
    let mut store = open_store(store_path)?;
    import_each(files, |file, text| {
        let shown = file.display();
        let report = lmstat_i::parse(text);
        report_issues(file, &report.issues);
        if report.entitlements.is_empty() {
            eprintln!("{shown}: no `lmstat -i` feature table found");
            return Ok(false);
        }
        store
            .replace_entitlements(
                server,
                &shown.to_string(),
                Utc::now().naive_utc(),
                &report.entitlements,
            )
            .with_context(|| format!("storing entitlements of {shown}"))?;
        println!(
            "{shown}: {} entitlement(s) for {server}",
            report.entitlements.len()
        );
        Ok(true)
    })
}

fn poll(
    store_path: &Path,
    config_path: &Path,
    every: Option<std::time::Duration>,
    publish_to: Option<&Path>,
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
