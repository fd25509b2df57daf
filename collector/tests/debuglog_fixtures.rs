//! The debug-log parser over the real logs in tests/fixtures/debuglog.

use std::path::PathBuf;

use lmscope::parse::debuglog::{parse, EventKind};

fn logs() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/debuglog");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| {
            let p = e.path();
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (
                name,
                String::from_utf8_lossy(&std::fs::read(&p).expect("read")).into_owned(),
            )
        })
        .collect();
    out.sort();
    assert_eq!(out.len(), 5);
    out
}

/// Event lines counted straight from the text: `) TAG: ` after the daemon name.
fn count(text: &str, tag: &str) -> usize {
    let needle = format!(") {tag}: ");
    text.lines().filter(|l| l.contains(&needle)).count()
}

#[test]
fn every_event_line_of_every_real_log_is_read_and_dated() {
    for (name, text) in logs() {
        let log = parse(&text);
        assert!(
            log.issues.is_empty(),
            "{name}: {:?}",
            &log.issues[..log.issues.len().min(5)]
        );
        for (kind, tag) in [
            (EventKind::Out, "OUT"),
            (EventKind::In, "IN"),
            (EventKind::Denied, "DENIED"),
            (EventKind::Unsupported, "UNSUPPORTED"),
            (EventKind::Queued, "QUEUED"),
            (EventKind::Expired, "EXPIRED"),
        ] {
            let parsed = log.events.iter().filter(|e| e.kind == kind).count();
            assert_eq!(parsed, count(&text, tag), "{name}: {tag}");
        }
        // Time never runs backwards by more than the jitter between daemons.
        for w in log.events.windows(2) {
            assert!(
                w[1].ts + chrono::TimeDelta::minutes(2) >= w[0].ts,
                "{name}: line {} at {} before line {} at {}",
                w[1].line,
                w[1].ts,
                w[0].line,
                w[0].ts
            );
        }
        let (first, last) = (
            log.events.first().map(|e| e.ts),
            log.events.last().map(|e| e.ts),
        );
        eprintln!("{name}: {} events, {first:?} .. {last:?}", log.events.len());
    }
}
