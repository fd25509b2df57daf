//! The lmstat parser over every real `lmstat -a` output in tests/fixtures/lmstat.

use std::path::PathBuf;

use lmscope::parse::lmstat::{parse, Counting, LmstatReport};
use serde::Serialize;

fn fixtures() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/lmstat");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| !p.to_string_lossy().contains("lmstat_i_"))
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (name, String::from_utf8_lossy(&bytes).into_owned())
        })
        .collect();
    out.sort();
    assert!(
        out.len() >= 15,
        "expected the shared lmstat fixtures, found {}",
        out.len()
    );
    out
}

/// Counts taken straight from the text, independently of the parser.
fn count_lines(text: &str, needle: &str) -> usize {
    text.lines().filter(|l| l.contains(needle)).count()
}

#[test]
fn every_fixture_parses_with_the_counts_its_text_shows() {
    for (name, text) in fixtures() {
        let r = parse(&text);
        assert_eq!(
            r.features.len(),
            count_lines(&text, "Users of "),
            "{name}: features"
        );
        assert_eq!(
            r.checkouts.len(),
            count_lines(&text, ", start "),
            "{name}: checkouts"
        );
        assert_eq!(
            r.queued.len(),
            count_lines(&text, " queued for "),
            "{name}: queued"
        );
        assert_eq!(
            r.reservations.len(),
            count_lines(&text, " RESERVATION"),
            "{name}: reservations"
        );
        assert!(
            r.issues.is_empty(),
            "{name}: unexpected issues {:?}",
            r.issues
        );
        if text.contains("Flexible License Manager status on") {
            assert!(r.polled_at.is_some(), "{name}: header time");
            for c in &r.checkouts {
                let started = c
                    .started_at
                    .unwrap_or_else(|| panic!("{name}: undated checkout {c:?}"));
                assert!(
                    started <= r.polled_at.unwrap_or_default() + chrono::TimeDelta::days(1),
                    "{name}: start after poll"
                );
            }
        }
        // Every checkout is filed under the `Users of` block it sits in.
        for c in &r.checkouts {
            assert!(
                c.holder.feature < r.features.len(),
                "{name}: checkout outside a feature"
            );
        }
    }
}

#[test]
fn in_use_matches_checkout_licenses_where_lmstat_lists_every_holder() {
    // ABAQUS (omnivector lmutil.txt): 737 in use, all listed with `, N licenses`.
    let (_, text) = fixtures()
        .into_iter()
        .find(|(n, _)| n.contains("doc_example_lmutil"))
        .expect("fixture present");
    let r = parse(&text);
    let total: u32 = r.checkouts.iter().map(|c| c.licenses).sum();
    assert_eq!(r.features[0].in_use(), Some(737));
    assert_eq!(total, 737);
}

#[derive(Serialize)]
struct Summary<'a> {
    polled_at: Option<String>,
    license_servers: &'a [String],
    query_error: Option<&'a str>,
    servers: Vec<String>,
    vendors: Vec<String>,
    features: Vec<String>,
    checkouts: usize,
    first_checkouts: Vec<String>,
    reservations: Vec<String>,
}

fn summary<'a>(r: &'a LmstatReport<'a>) -> Summary<'a> {
    Summary {
        polled_at: r.polled_at.map(|t| t.to_string()),
        license_servers: &r.license_servers,
        query_error: r.query_error.as_ref().map(|e| e.message.as_str()),
        servers: r
            .servers
            .iter()
            .map(|s| format!("{} up={} master={} {:?} {:?}", s.host, s.up, s.master, s.version, s.error.as_ref().map(|e| &e.code)))
            .collect(),
        vendors: r.vendors.iter().map(|v| format!("{} up={} {:?}", v.name, v.up, v.version)).collect(),
        features: r
            .features
            .iter()
            .map(|f| {
                let counts = match &f.counting {
                    Counting::Counted { issued, in_use } => format!("{in_use}/{issued}"),
                    Counting::Uncounted => "uncounted".to_owned(),
                    Counting::Error(e) => format!("error {:?} {:?}", e.message, e.code),
                };
                format!("{} {counts} vendor={:?} v={:?} expiry={:?}", f.name, f.vendor, f.version, f.expiry)
            })
            .collect(),
        checkouts: r.checkouts.len(),
        first_checkouts: r
            .checkouts
            .iter()
            .take(3)
            .map(|c| {
                format!(
                    "[{}] user={:?} host={:?} display={:?} v={} server={}/{} handle={:?} start={:?} licenses={} linger={:?} pid={:?}",
                    r.features[c.holder.feature].name, c.holder.user, c.holder.host, c.holder.display, c.holder.version,
                    c.holder.server_host, c.holder.server_port, c.holder.handle,
                    c.started_at.map(|t| t.to_string()), c.licenses, c.linger, c.pid
                )
            })
            .collect(),
        reservations: r
            .reservations
            .iter()
            .map(|x| format!("[{}] {} {} {}", r.features[x.feature].name, x.count, x.kind, x.target))
            .collect(),
    }
}

#[test]
fn snapshots() {
    for (name, text) in fixtures() {
        let r = parse(&text);
        let snapshot_name = name.trim_end_matches(".txt").replace("__", "-");
        insta::assert_yaml_snapshot!(snapshot_name, summary(&r));
    }
}

#[test]
fn lmstat_i_fixture_reads_every_row() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_i_app2.txt");
    let text = std::fs::read_to_string(&path).expect("fixture");
    let r = lmscope::parse::lmstat_i::parse(&text);
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    assert_eq!(r.entitlements.len(), 9);
    assert_eq!(
        r.entitlements
            .iter()
            .filter(|e| e.expires.is_none())
            .count(),
        1
    );
    insta::assert_yaml_snapshot!("lmstat_i_app2", r.entitlements);
}
