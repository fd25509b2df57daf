//! The lmstat parser never panics, whatever it is fed.

use lmscope::parse::lmstat::parse;
use proptest::prelude::*;

const APP2: &str = include_str!(
    "../../tests/fixtures/lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_app2.txt"
);
const ABAQUS: &str = include_str!(
    "../../tests/fixtures/lmstat/omnivector-solutions__license-manager__doc_example_lmutil.txt"
);

/// Real lines and fragments that steer the parser into each of its branches.
fn pieces() -> Vec<&'static str> {
    let mut v: Vec<&str> = APP2.lines().chain(ABAQUS.lines()).collect();
    v.extend([
        "Users of ",
        "Users of X:",
        "(Total of ",
        "licenses issued;",
        ", start ",
        " queued for ",
        "(v",
        ") (",
        "/",
        "RESERVATIONs for ",
        "(linger: ",
        "PID: ",
        "Error getting status:",
        "Vendor daemon status",
        "Feature usage info:",
        "License server status:",
        "\"",
        "é",
        "\u{feff}",
        "Flexible License Manager status on ",
        "99/99/99999 99:99",
        ":",
        "(-",
        "\t",
        "  ",
    ]);
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}") {
        let _ = parse(&text);
    }

    #[test]
    fn shuffled_and_cut_real_lines_never_panic(
        picks in prop::collection::vec((0usize..10_000, 0usize..200), 0..60)
    ) {
        let pieces = pieces();
        let mut text = String::new();
        for (i, cut) in picks {
            let piece = pieces[i % pieces.len()];
            let mut end = cut.min(piece.len());
            while !piece.is_char_boundary(end) { end -= 1; }
            // Alternate whole lines and truncated ones, sometimes without a newline.
            text.push_str(if i % 3 == 0 { &piece[..end] } else { piece });
            if i % 5 != 0 { text.push('\n'); }
        }
        let report = parse(&text);
        for c in &report.checkouts {
            prop_assert!(c.holder.feature < report.features.len());
        }
    }

    #[test]
    fn truncated_real_output_keeps_what_precedes_the_cut(cut in 0usize..4000) {
        let mut end = cut.min(APP2.len());
        while !APP2.is_char_boundary(end) { end -= 1; }
        let whole = parse(APP2);
        let part = parse(&APP2[..end]);
        prop_assert!(part.checkouts.len() <= whole.checkouts.len());
        prop_assert!(part.features.len() <= whole.features.len());
    }
}
