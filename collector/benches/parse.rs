//! Parse throughput of `lmstat -a` text (criterion): `cargo bench -p lmscope --bench parse`.
//! One iteration parses every real fixture once; criterion reports the throughput in bytes.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn fixtures() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/lmstat");
    let mut corpus: Vec<(std::path::PathBuf, String)> = std::fs::read_dir(&dir)
        .expect("fixtures dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| !p.to_string_lossy().contains("lmstat_i_"))
        .map(|p| {
            let text = String::from_utf8_lossy(&std::fs::read(&p).expect("read")).into_owned();
            (p, text)
        })
        .collect();
    corpus.sort();
    corpus.into_iter().map(|(_, t)| t).collect()
}

fn parse(c: &mut Criterion) {
    let corpus = fixtures();
    let bytes: usize = corpus.iter().map(String::len).sum();
    let mut group = c.benchmark_group("lmstat -a");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("parse every fixture", |b| {
        b.iter(|| {
            corpus
                .iter()
                .map(|t| {
                    std::hint::black_box(lmscope::parse::lmstat::parse(t))
                        .checkouts
                        .len()
                })
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
