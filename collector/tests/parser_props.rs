//! The lmstat -i, debug-log and org-file parsers never panic, whatever they are fed.

use proptest::prelude::*;

const LOG: &str = include_str!(
    "../../tests/fixtures/debuglog/sergioedo__flexlm-license-elk__logstash_data_sample.log.txt"
);
const LMSTAT_I: &str = include_str!(
    "../../tests/fixtures/lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_i_app2.txt"
);
const ORG: &str = "currency = \"EUR\"\n[[department]]\nid = \"d\"\n[[team]]\nid = \"t\"\ndepartment = \"d\"\n[[person]]\nuser = \"u\"\nteam = \"t\"\n[[cluster]]\nname = \"c\"\nhosts = [\"h*\"]\n[[project]]\nid = \"p\"\nstart = 2026-01-01\nend = \"2026-02-01\"\n";

/// Real lines, cut at arbitrary places and shuffled.
fn mangle(source: &str, picks: &[(usize, usize)]) -> String {
    let lines: Vec<&str> = source.lines().take(4000).collect();
    let mut text = String::new();
    for &(i, cut) in picks {
        let line = lines[i % lines.len()];
        let mut end = cut.min(line.len());
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        text.push_str(if i % 3 == 0 { &line[..end] } else { line });
        text.push('\n');
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn debug_log_never_panics(picks in prop::collection::vec((0usize..100_000, 0usize..120), 0..80), noise in ".{0,200}") {
        let log = lmscope::parse::debuglog::parse(&(mangle(LOG, &picks) + &noise));
        for w in log.events.windows(2) {
            prop_assert!(w[0].line < w[1].line);
        }
    }

    #[test]
    fn lmstat_i_never_panics(picks in prop::collection::vec((0usize..1000, 0usize..120), 0..30), noise in ".{0,200}") {
        let _ = lmscope::parse::lmstat_i::parse(&(mangle(LMSTAT_I, &picks) + &noise));
    }

    #[test]
    fn org_file_never_panics(picks in prop::collection::vec((0usize..1000, 0usize..40), 0..30), noise in ".{0,200}") {
        let _ = lmscope::parse::org::Org::from_toml(&mangle(ORG, &picks));
        let _ = lmscope::parse::org::Org::from_toml(&noise);
        let _ = lmscope::parse::config::Config::from_toml(&noise);
    }
}
