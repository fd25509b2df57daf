//! `lmscope import lmstat|log|lmstat-i`: saved outputs and debug logs into the store.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::{NaiveDateTime, Timelike, Utc};

use lmscope::parse::lmstat::{Issue, LmstatReport};
use lmscope::parse::zone::Zone;
use lmscope::parse::{lmstat, lmstat_i};
use lmscope::store::db::{IngestSummary, Poll};

use super::chunks::{after_last_line, Chunks};
use super::open_store;

pub(crate) fn import_lmstat(
    store_path: &Path,
    files: &[PathBuf],
    at: Option<NaiveDateTime>,
    server: Option<&str>,
    zone: Zone,
) -> Result<ExitCode> {
    let mut store = open_store(store_path)?;
    store.limit_memory_for_import()?;
    let mut total = IngestSummary::default();
    let (mut stored, mut failed) = (0, 0);
    for file in files {
        let shown = file.display().to_string();
        let mut chunks = match Chunks::open(file) {
            Ok(chunks) => chunks,
            Err(e) => {
                eprintln!("{shown}: cannot read: {e}");
                failed += 1;
                continue;
            }
        };
        let mut outputs = 0;
        loop {
            let (first_line, text) = match chunks.next_piece(lmstat::last_output_start) {
                Ok(Some(piece)) => piece,
                Ok(None) => break,
                Err(e) => {
                    eprintln!("{shown}: cannot read: {e}");
                    failed += 1;
                    break;
                }
            };
            let mut polls = Vec::new();
            for (offset, output) in lmstat::split_outputs(&text) {
                outputs += 1;
                let line = first_line + offset;
                let place = if line == 1 {
                    shown.clone()
                } else {
                    format!("{shown}:{line}")
                };
                let report = lmstat::parse(output);
                report_issues_from(&shown, line - 1, &report.issues);
                match poll_of(report, at, server, zone, &shown) {
                    Ok(poll) => polls.push(poll),
                    Err(why) => {
                        eprintln!("{place}: {why}");
                        failed += 1;
                    }
                }
            }
            if !polls.is_empty() {
                stored += polls.len();
                let s = store
                    .ingest(polls)
                    .with_context(|| format!("storing polls of {shown}"))?;
                total.add(&s);
            }
        }
        if at.is_some() && outputs > 1 {
            eprintln!("{shown}: --at gave all {outputs} outputs of the file the same time");
        }
    }
    if stored == 0 {
        bail!("nothing could be read from {} file(s)", files.len());
    }
    let s = total;
    println!(
        "imported {} poll(s): {} feature rows, {} checkouts, {} sessions closed; {} duplicate(s) skipped, {} out of order, {} output(s) or file(s) unreadable",
        s.polls, s.features, s.checkouts, s.sessions_closed, s.skipped_duplicates, s.out_of_order, failed
    );
    Ok(ExitCode::SUCCESS)
}

/// One output as a poll to store, or why it cannot be one.
fn poll_of<'a>(
    report: LmstatReport<'a>,
    at: Option<NaiveDateTime>,
    server: Option<&str>,
    zone: Zone,
    source: &str,
) -> Result<Poll<'a>, &'static str> {
    let local = at
        .or(report.polled_at)
        .ok_or("no `Flexible License Manager status on` time in the output; give --at")?;
    let name = server
        .map(str::to_owned)
        .or_else(|| (!report.license_servers.is_empty()).then(|| report.license_servers.join(",")))
        .or_else(|| report.servers.first().map(|s| s.host.clone()))
        .ok_or("the output names no license server; give --server")?;
    if report.features.is_empty() && report.query_error.is_none() && report.servers.is_empty() {
        return Err("no lmstat records found");
    }
    Ok(Poll {
        server: name,
        ts: zone.to_utc(local),
        source: source.to_owned(),
        zone,
        report,
    })
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
    report_issues_from(&file.display().to_string(), 0, issues);
}

/// As [`report_issues`] for a part of a file that starts after line `offset`.
pub(crate) fn report_issues_from(file: &str, offset: usize, issues: &[Issue]) {
    for issue in issues {
        eprintln!("{file}:{}: {}", offset + issue.line, issue.message);
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

/// `import sacct`: each file's jobs stored (replacing older states of the same jobs), read a
/// block at a time (memory is bounded by the block, not the file); lines that cannot be read
/// are reported as `FILE:LINE: message`. Fails only when no file gave a job.
pub(crate) fn import_sacct(
    store_path: &Path,
    files: &[PathBuf],
    cluster: &str,
    zone: Zone,
) -> Result<ExitCode> {
    let mut store = open_store(store_path)?;
    let mut read = 0;
    for file in files {
        let shown = file.display().to_string();
        let mut chunks = match Chunks::open(file) {
            Ok(chunks) => chunks,
            Err(e) => {
                eprintln!("{shown}: cannot read: {e}");
                continue;
            }
        };
        let mut reader = lmscope::parse::sacct::Reader::default();
        let mut stored = 0;
        loop {
            let (first_line, text) = match chunks.next_piece(after_last_line) {
                Ok(Some(piece)) => piece,
                Ok(None) => break,
                Err(e) => {
                    eprintln!("{shown}: cannot read: {e}");
                    break;
                }
            };
            let (mut jobs, errors) = reader.feed(&text, first_line);
            if zone != Zone::UTC {
                for j in &mut jobs {
                    j.start = j.start.map(|t| zone.to_utc(t));
                    j.end = j.end.map(|t| zone.to_utc(t));
                }
            }
            for e in &errors {
                eprintln!("{shown}:{}: {}", e.line, e.message);
            }
            if !jobs.is_empty() {
                stored += store
                    .upsert_jobs(&jobs, cluster, &shown)
                    .with_context(|| format!("storing the jobs of {shown}"))?;
            }
        }
        if stored == 0 {
            eprintln!("{shown}: no Slurm job found");
            continue;
        }
        println!("{shown}: {stored} job(s)");
        read += 1;
    }
    if read == 0 {
        bail!("nothing could be read from {} file(s)", files.len());
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether a Slurm output (a saved file, or what `poll` got) may be stored as a snapshot:
/// its unreadable parts (as `(line, message)`) are printed as `SHOWN:LINE: message`, and an
/// output with any is not stored, since part of a snapshot would pass for the whole.
pub(crate) fn whole_snapshot(
    shown: &str,
    errors: impl ExactSizeIterator<Item = (usize, String)>,
) -> bool {
    let n = errors.len();
    for (line, message) in errors {
        eprintln!("{shown}:{line}: {message}");
    }
    if n > 0 {
        eprintln!("{shown}: not stored: {n} part(s) could not be read");
    }
    n == 0
}

/// `import scontrol`: each saved `scontrol show licenses` output stored as one snapshot of
/// `cluster` at `at` (now by default); see [`whole_snapshot`].
pub(crate) fn import_scontrol(
    store_path: &Path,
    files: &[PathBuf],
    cluster: &str,
    at: Option<NaiveDateTime>,
) -> Result<ExitCode> {
    let mut store = open_store(store_path)?;
    let at = at.unwrap_or_else(now_utc);
    import_each(files, |file, text| {
        let shown = file.display().to_string();
        let (licenses, errors) = lmscope::parse::scontrol::parse_licenses(text);
        if !whole_snapshot(&shown, errors.into_iter().map(|e| (e.line, e.message))) {
            return Ok(false);
        }
        store
            .add_slurm_licenses(cluster, at, &licenses)
            .with_context(|| format!("storing the licenses of {shown}"))?;
        println!(
            "{shown}: {} Slurm license(s) of {cluster} at {at}",
            licenses.len()
        );
        Ok(true)
    })
}

/// `import squeue`: each saved `squeue` output stored as one snapshot of `cluster`'s
/// pending jobs at `at` (now by default); see [`whole_snapshot`].
pub(crate) fn import_squeue(
    store_path: &Path,
    files: &[PathBuf],
    cluster: &str,
    at: Option<NaiveDateTime>,
    zone: Zone,
) -> Result<ExitCode> {
    let mut store = open_store(store_path)?;
    let at = at.unwrap_or_else(now_utc);
    import_each(files, |file, text| {
        let shown = file.display().to_string();
        let (mut jobs, errors) = lmscope::parse::squeue::parse(text);
        if !whole_snapshot(&shown, errors.into_iter().map(|e| (e.line, e.message))) {
            return Ok(false);
        }
        for j in &mut jobs {
            j.submitted = j.submitted.map(|t| zone.to_utc(t));
        }
        store
            .add_slurm_pending(cluster, at, &jobs)
            .with_context(|| format!("storing the pending jobs of {shown}"))?;
        let on_licenses = jobs.iter().filter(|j| j.reason == "Licenses").count();
        println!(
            "{shown}: {} pending job(s) of {cluster} at {at}, {on_licenses} waiting on licenses",
            jobs.len()
        );
        Ok(true)
    })
}

fn now_utc() -> NaiveDateTime {
    Utc::now()
        .naive_utc()
        .with_nanosecond(0)
        .unwrap_or_default()
}
