//! Parse throughput on one core, for `scripts/bench-collector.sh`:
//! `parse_speed lmstat|log FILE [SECONDS]` parses FILE (all the outputs or log lines it
//! holds) repeatedly for at least SECONDS (default 3) and prints `MB/s records`.

use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(kind), Some(file)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: parse_speed lmstat|log FILE [SECONDS]");
        std::process::exit(2);
    };
    let seconds: f64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{file}: cannot read: {e}");
            std::process::exit(1);
        }
    };
    let text = String::from_utf8_lossy(&bytes);
    let parse_once = || -> usize {
        match kind.as_str() {
            "lmstat" => lmscope::parse::lmstat::split_outputs(&text)
                .map(|(_, t)| {
                    std::hint::black_box(lmscope::parse::lmstat::parse(t))
                        .checkouts
                        .len()
                })
                .sum(),
            "log" => std::hint::black_box(lmscope::parse::debuglog::parse(&text))
                .events
                .len(),
            other => {
                eprintln!("unknown kind {other}: lmstat or log");
                std::process::exit(2);
            }
        }
    };
    let mut records = parse_once();
    let start = Instant::now();
    let mut rounds = 0u32;
    while start.elapsed() < Duration::from_secs_f64(seconds) || rounds == 0 {
        records = parse_once();
        rounds += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    let mb = bytes.len() as f64 * f64::from(rounds) / 1e6;
    println!("{:.1} {records}", mb / secs);
}
