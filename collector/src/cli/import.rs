//! `lmscope import lmstat|log|lmstat-i`: saved outputs and debug logs into the store.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::{NaiveDateTime, Timelike, Utc};

use lmscope::parse::lmstat::{Issue, LmstatReport};
use lmscope::parse::zone::Zone;
use lmscope::parse::{lmstat, lmstat_i};
use lmscope::store::db::{IngestSummary, Poll, Store};

use super::chunks::{after_last_line, Chunks, BLOCK};
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
        let (s, f) = import_lmstat_file(&mut store, file, at, server, zone, BLOCK, &mut total)?;
        stored += s;
        failed += f;
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

/// Store the polls of one file of saved outputs, read `block` bytes at a time (cut where an
/// output begins), adding to `total`; how many polls were stored and how many outputs (or
/// reads) failed.
fn import_lmstat_file(
    store: &mut Store,
    file: &Path,
    at: Option<NaiveDateTime>,
    server: Option<&str>,
    zone: Zone,
    block: usize,
    total: &mut IngestSummary,
) -> Result<(usize, usize)> {
    let shown = file.display().to_string();
    let (mut stored, mut failed) = (0, 0);
    let mut chunks = match Chunks::with_block(file, block) {
        Ok(chunks) => chunks,
        Err(e) => {
            eprintln!("{shown}: cannot read: {e}");
            return Ok((0, 1));
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
    Ok((stored, failed))
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

#[cfg(test)]
mod tests {
    use std::io::Write;

    use proptest::prelude::*;

    use super::*;
    use crate::cli::table_rows;

    const OUTPUTS: [&str; 4] = [
        include_str!("../../../tests/fixtures/lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_app2.txt"),
        include_str!("../../../tests/fixtures/lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_app6.txt"),
        include_str!("../../../tests/fixtures/lmstat/omnivector-solutions__license-manager__doc_example_lmutil.txt"),
        include_str!("../../../tests/fixtures/lmstat/justbennet__flexlm_reporter__graphite_lmstat.out.txt"),
    ];

    /// `text` as if polled `minutes` after 08:00 on 2 March 2026, without the checkouts
    /// whose place among them is a bit set in `gone` (those users have left).
    fn polled_at(text: &str, minutes: u32, gone: u64) -> String {
        let stamp = format!(
            "Flexible License Manager status on Mon 3/2/2026 {:02}:{:02}",
            8 + minutes / 60,
            minutes % 60
        );
        let mut checkout = 0;
        text.lines()
            .filter(|line| {
                if !line.contains(", start ") {
                    return true;
                }
                checkout += 1;
                gone & (1 << (checkout % 64)) == 0
            })
            .map(|line| {
                if line.contains("Flexible License Manager status on") {
                    stamp.as_str()
                } else {
                    line
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Every row of every table, sorted, as text.
    fn tables(store: &Store) -> Vec<(String, Vec<String>)> {
        let conn = store.conn();
        let names: Vec<String> = conn
            .prepare("SELECT table_name FROM duckdb_tables() ORDER BY 1")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .expect("tables");
        names
            .into_iter()
            .map(|name| {
                let rows = table_rows(store, &name);
                (name, rows)
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// `import lmstat` reading a file of one server's outputs a block at a time stores
        /// exactly what storing every output of the file at once does: every table, row
        /// for row (users coming and going between the polls).
        #[test]
        fn the_streaming_import_stores_what_the_whole_file_import_stores(
            which in 0usize..4,
            polls in prop::collection::vec((1u32..30, any::<u64>()), 1..12),
            block in 64usize..20_000,
        ) {
            let dir = tempfile::tempdir().expect("dir");
            let path = dir.path().join("polls.txt");
            let shown = path.display().to_string();
            let mut minutes = 0;
            let outputs: Vec<String> = polls
                .iter()
                .map(|&(gap, gone)| {
                    minutes += gap;
                    polled_at(OUTPUTS[which], minutes, gone)
                })
                .collect();
            let mut file = std::fs::File::create(&path).expect("create");
            for output in &outputs {
                writeln!(file, "{output}").expect("write");
            }
            drop(file);

            let mut streamed = Store::in_memory().expect("store");
            let mut total = IngestSummary::default();
            let (stored, failed) = import_lmstat_file(
                &mut streamed, &path, None, None, Zone::UTC, block, &mut total,
            )
            .expect("import");
            prop_assert_eq!((stored, failed), (outputs.len(), 0));

            let mut whole = Store::in_memory().expect("store");
            let polls = outputs
                .iter()
                .map(|text| poll_of(lmstat::parse(text), None, None, Zone::UTC, &shown))
                .collect::<Result<Vec<_>, _>>()
                .expect("every output is a poll");
            whole.ingest(polls).expect("ingest");
            prop_assert_eq!(tables(&streamed), tables(&whole));
        }
    }
}
