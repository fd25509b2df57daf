//! `lmscope import lmstat|log|lmstat-i`: saved outputs and debug logs into the store.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::{NaiveDateTime, Utc};

use lmscope::parse::lmstat::Issue;
use lmscope::parse::zone::Zone;
use lmscope::parse::{debuglog, lmstat, lmstat_i};
use lmscope::store::db::Poll;

use super::open_store;

pub(crate) fn import_lmstat(
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
pub(crate) fn read_text(file: &Path) -> Option<String> {
    match std::fs::read(file) {
        Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) => {
            eprintln!("{}: cannot read: {e}", file.display());
            None
        }
    }
}

/// Print a parser's issues as `FILE:LINE: message`.
pub(crate) fn report_issues(file: &Path, issues: &[Issue]) {
    for issue in issues {
        eprintln!("{}:{}: {}", file.display(), issue.line, issue.message);
    }
}

/// Run `import` over every readable file; it says whether the file gave anything. Fails only
/// when no file did, so one bad file never loses the good ones.
pub(crate) fn import_each(
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

pub(crate) fn import_logs(
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

pub(crate) fn import_entitlements(
    store_path: &Path,
    files: &[PathBuf],
    server: &str,
) -> Result<ExitCode> {
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
