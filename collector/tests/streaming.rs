//! Reading in pieces gives exactly what reading whole gives: the debug-log parser fed a log
//! cut anywhere between lines, and `lmstat -a` outputs appended one after another.

use lmscope::parse::debuglog::{self, Event, LogParser};
use lmscope::parse::lmstat::{self, Issue};
use proptest::prelude::*;

const LOGS: [&str; 2] = [
    include_str!(
        "../../tests/fixtures/debuglog/sergioedo__flexlm-license-elk__logstash_data_sample.log.txt"
    ),
    include_str!(
        "../../tests/fixtures/debuglog/justbennet__flexlm_reporter__ansys_ansys.2017-01-08_17-17-45.log.txt"
    ),
];
const OUTPUTS: [&str; 4] = [
    include_str!("../../tests/fixtures/lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_app2.txt"),
    include_str!("../../tests/fixtures/lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_app6.txt"),
    include_str!("../../tests/fixtures/lmstat/omnivector-solutions__license-manager__doc_example_lmutil.txt"),
    include_str!("../../tests/fixtures/lmstat/justbennet__flexlm_reporter__graphite_lmstat.out.txt"),
];

/// Feed `text` to a [`LogParser`] in pieces cut after the given lines (as fractions of the
/// log), numbering each piece's first line as the importer does.
fn read_in_pieces(text: &str, cuts: &[f64]) -> (Vec<Event<'static>>, Option<String>, Vec<Issue>) {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .filter(|&i| i < text.len())
        .collect();
    let mut bounds: Vec<usize> = cuts
        .iter()
        .map(|f| line_starts[((f * line_starts.len() as f64) as usize).min(line_starts.len() - 1)])
        .collect();
    bounds.push(0);
    bounds.push(text.len());
    bounds.sort_unstable();
    bounds.dedup();
    let mut parser = LogParser::new();
    let (mut events, mut issues) = (Vec::new(), Vec::new());
    for piece in bounds.windows(2) {
        let first_line = text[..piece[0]].matches('\n').count() + 1;
        parser.feed(&text[piece[0]..piece[1]], first_line, &mut |e: Event<
            '_,
        >| {
            events.push(e.into_owned())
        });
        issues.extend(parser.take_issues());
    }
    let (server, rest) = parser.finish();
    issues.extend(rest);
    (events, server, issues)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_log_read_in_pieces_is_the_log_read_whole(
        which in 0usize..2,
        cuts in prop::collection::vec(0.0f64..1.0, 0..12),
        garbage in prop::collection::vec(0.0f64..1.0, 0..4),
    ) {
        // Some lines made unreadable, so issues are compared too.
        let mut text = LOGS[which].to_owned();
        for g in garbage {
            let at = text.floor_char_boundary((g * text.len() as f64) as usize);
            text.insert_str(at, "\n10:00:00 (MLM) OUT: \"unterminated\n");
        }
        let whole = debuglog::parse(&text);
        let (events, server, issues) = read_in_pieces(&text, &cuts);
        prop_assert_eq!(events.len(), whole.events.len());
        prop_assert!(events == whole.events);
        prop_assert_eq!(server, whole.server);
        prop_assert_eq!(issues, whole.issues);
    }

    #[test]
    fn appended_outputs_split_back_into_the_outputs(
        picks in prop::collection::vec(0usize..4, 1..8),
    ) {
        let texts: Vec<&str> = picks.iter().map(|&i| OUTPUTS[i]).collect();
        let joined: String = texts.iter().map(|t| format!("{t}\n")).collect();
        let parts: Vec<(usize, &str)> = lmstat::split_outputs(&joined).collect();
        prop_assert_eq!(parts.len(), texts.len());
        let mut line = 0;
        for ((offset, part), text) in parts.iter().zip(&texts) {
            prop_assert_eq!(*offset, line);
            line += part.matches('\n').count();
            let alone = lmstat::parse(text);
            let split = lmstat::parse(part);
            prop_assert_eq!(&split.checkouts, &alone.checkouts);
            prop_assert_eq!(&split.features, &alone.features);
            prop_assert_eq!(split.polled_at, alone.polled_at);
            prop_assert_eq!(split.issues.len(), alone.issues.len());
        }
        // A reader holding part of the text cuts it where the last output begins.
        if let Some(cut) = lmstat::last_output_start(joined.as_bytes()) {
            prop_assert_eq!(cut, joined.len() - parts.last().map_or(0, |(_, p)| p.len()));
        } else {
            prop_assert_eq!(parts.len(), 1);
        }
    }
}
