//! One poll round of 50 license servers through the fake `lmutil` (real recorded outputs)
//! into a DuckDB store: `cargo bench -p lmscope --bench poll`. Prints the best of 5 rounds.

use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use lmscope::parse::config::Config;
use lmscope::poller::poll_all;
use lmscope::store::db::Store;

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let fixtures = root.join("tests/fixtures/lmstat");
    let sources = [
        "justbennet__flexlm_reporter__graphite_lmstat.out.txt",
        "mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_app3.txt",
        "mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_app5.txt",
        "mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_app6.txt",
        "omnivector-solutions__license-manager__doc_example_lmutil.txt",
    ];
    let dir = std::env::temp_dir().join(format!("lmscope-bench-poll-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let servers: Vec<String> = (0..50)
        .map(|i| format!("{}@lic{i:02}", 27000 + i))
        .collect();
    for (i, server) in servers.iter().enumerate() {
        let name = server.replace(['@', ',', '/'], "_");
        std::fs::copy(
            fixtures.join(sources[i % sources.len()]),
            dir.join(format!("{name}.txt")),
        )
        .expect("copy fixture");
    }
    std::env::set_var("FAKE_LMUTIL_DIR", &dir);
    let config = Config {
        lmutil: root
            .join("tests/fake-lmutil/lmutil")
            .to_string_lossy()
            .into_owned(),
        servers,
        time_zone: lmscope::parse::zone::Zone::UTC,
        interval: Duration::from_secs(60),
        timeout: Duration::from_secs(10),
        slurm: Vec::new(),
    };
    let store_path = dir.join("store.duckdb");
    let mut store = Store::open(&store_path).expect("store");
    let mut best = (f64::MAX, 0.0, 0.0);
    let mut checkouts = 0;
    let base = Utc::now().naive_utc();
    for round in 0..5 {
        let at = base + TimeDelta::minutes(round);
        let start = Instant::now();
        let polls = poll_all(&config, at);
        let polled = start.elapsed().as_secs_f64();
        checkouts = polls.iter().map(|p| p.report.checkouts.len()).sum();
        assert!(
            polls.iter().all(|p| p.report.query_error.is_none()),
            "a fake server failed"
        );
        store.ingest(polls).expect("ingest");
        let total = start.elapsed().as_secs_f64();
        if total < best.0 {
            best = (total, polled, total - polled);
        }
    }
    println!(
        "poll of 50 servers ({checkouts} checkout lines) to a stored snapshot: {:.3} s (lmutil runs {:.3} s, store {:.3} s), best of 5",
        best.0, best.1, best.2
    );
    let _ = std::fs::remove_dir_all(&dir);
}
