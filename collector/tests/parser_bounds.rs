//! The parsers' output is bounded by their input: at most a record and an issue per line,
//! and no more text than they were given (plus a fixed allowance per record), whatever the
//! input — huge lines, millions of empty lines, endless repetitions. Memory follows input.

use proptest::prelude::*;

const APP2: &str = include_str!(
    "../../tests/fixtures/lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_app2.txt"
);
const LMSTAT_I: &str = include_str!(
    "../../tests/fixtures/lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_i_app2.txt"
);
const LOG: &str = include_str!(
    "../../tests/fixtures/debuglog/sergioedo__flexlm-license-elk__logstash_data_sample.log.txt"
);

/// Records of every kind each parser produces from `text`, and the bytes of text they hold
/// (their debug form, an upper bound on the strings inside).
fn footprint(text: &str) -> [(usize, usize); 3] {
    let size = |s: String| s.len();
    let a = lmscope::parse::lmstat::parse(text);
    let a_records = a.license_servers.len()
        + a.servers.len()
        + a.vendors.len()
        + a.features.len()
        + a.checkouts.len()
        + a.queued.len()
        + a.reservations.len()
        + a.issues.len();
    let i = lmscope::parse::lmstat_i::parse(text);
    let d = lmscope::parse::debuglog::parse(text);
    [
        (a_records, size(format!("{a:?}"))),
        (
            i.entitlements.len() + i.issues.len(),
            size(format!("{i:?}")),
        ),
        (d.events.len() + d.issues.len(), size(format!("{d:?}"))),
    ]
}

fn check_bounded(text: &str) {
    let lines = text.lines().count() + 1;
    for (parser, (records, bytes)) in ["lmstat -a", "lmstat -i", "debug log"]
        .iter()
        .zip(footprint(text))
    {
        assert!(
            records <= 2 * lines + 4,
            "{parser}: {records} records from {lines} lines"
        );
        // Debug output quotes and escapes (at most ×4 for control characters) plus field
        // names per record.
        assert!(
            bytes <= 4 * text.len() + 600 * (records + 1),
            "{parser}: {bytes} bytes of output from {} bytes",
            text.len()
        );
    }
}

#[test]
fn pathological_inputs_stay_bounded() {
    // One 8 MB line that looks like the start of every construct.
    check_bounded(&"Users of F:  (Total of 9 licenses issued;  ".repeat(200_000));
    // A million empty lines, and a million lines of one checkout.
    check_bounded(&"\n".repeat(1_000_000));
    let checkout =
        "    jsmith host1 /dev/pts/1 (v1.0) (srv/27000 101), start Mon 3/4 9:05\n".repeat(100_000);
    check_bounded(&format!(
        "Users of F:  (Total of 9 licenses issued;  Total of 1 license in use)\n{checkout}"
    ));
    // The fixtures, each repeated.
    check_bounded(&APP2.repeat(50));
    check_bounded(&LMSTAT_I.repeat(50));
    check_bounded(&LOG.repeat(20));
    // No newline at all, and bytes that are not text.
    check_bounded(&"x".repeat(5_000_000));
    check_bounded(&String::from_utf8_lossy(
        &(0..=255u8).cycle().take(1 << 20).collect::<Vec<u8>>(),
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn output_is_bounded_by_input(
        picks in prop::collection::vec((0usize..10_000, 0usize..3), 0..200),
        noise in ".{0,300}",
    ) {
        let sources: Vec<Vec<&str>> = [APP2, LMSTAT_I, LOG].iter().map(|s| s.lines().collect()).collect();
        let mut text = String::new();
        for (i, s) in picks {
            let lines = &sources[s];
            text.push_str(lines[i % lines.len()]);
            text.push('\n');
        }
        text.push_str(&noise);
        check_bounded(&text);
    }
}
