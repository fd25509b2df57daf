//! Parse throughput of `lmstat -a` text: `cargo bench -p lmscope --bench parse`.
//! Feeds every real fixture, repeated to ~64 MB, through the parser; prints the best of 7 runs.

use std::time::Instant;

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/lmstat");
    let mut corpus = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("fixtures dir") {
        let path = entry.expect("entry").path();
        if !path.to_string_lossy().contains("lmstat_i_") {
            corpus.push(String::from_utf8_lossy(&std::fs::read(&path).expect("read")).into_owned());
        }
    }
    let one_pass: usize = corpus.iter().map(String::len).sum();
    let repeats = (64 << 20) / one_pass.max(1) + 1;
    let bytes = one_pass * repeats;
    let mut best = f64::MAX;
    let mut checkouts = 0;
    for _ in 0..7 {
        let start = Instant::now();
        checkouts = 0;
        for _ in 0..repeats {
            for text in &corpus {
                checkouts += std::hint::black_box(lmscope::lmstat::parse(text))
                    .checkouts
                    .len();
            }
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!(
        "lmstat -a parse: {:.1} MB in {:.3} s = {:.0} MB/s on one core ({} checkout lines per pass)",
        bytes as f64 / 1e6,
        best,
        bytes as f64 / 1e6 / best,
        checkouts
    );
}
