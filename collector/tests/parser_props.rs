//! The lmstat -i, debug-log, org-file, Slurm host-list, sacct, scontrol and squeue parsers
//! never panic, whatever they are fed.

use proptest::prelude::*;

const LOG: &str = include_str!(
    "../../tests/fixtures/debuglog/sergioedo__flexlm-license-elk__logstash_data_sample.log.txt"
);
const LMSTAT_I: &str = include_str!(
    "../../tests/fixtures/lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_i_app2.txt"
);
const SACCT: &str = "JobID|User|Account|Partition|NodeList|AllocTRES|Start|End|State|Licenses|Cluster\n4101|jsmith|mech|compute|hpc-a-[001-002]|billing=16,cpu=16,mem=64G,node=2|2026-11-20T08:00:00|2026-11-20T10:30:00|COMPLETED|ansys:2|hpc\n4101.batch|||||cpu=8,mem=32G,node=1|2026-11-20T08:00:00|2026-11-20T10:30:00|COMPLETED||hpc\n4102|akumar|chip|gpu|gpu[1-2]|cpu=8,gres/gpu=4,node=2|2026-11-20T09:00:00|Unknown|RUNNING|(null)|hpc\n4103|jsmith|mech|compute|None assigned|billing=1,cpu=1,node=1|Unknown|Unknown|PENDING|ansys:1,abaqus@flexlm:5|hpc\n";
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

    #[test]
    fn host_lists_never_panic_and_stay_bounded(list in "[a-z0-9,\\[\\]-]{0,60}") {
        if let Ok(hosts) = lmscope::parse::hostlist::expand(&list) {
            prop_assert!(hosts.len() <= lmscope::parse::hostlist::MAX_HOSTS);
        }
    }

    #[test]
    fn sacct_never_panics(picks in prop::collection::vec((0usize..1000, 0usize..200), 1..30), noise in ".{0,200}") {
        let text = mangle(SACCT, &picks);
        let header = SACCT.lines().next().unwrap_or_default();
        let (jobs, errors) = lmscope::parse::sacct::parse(&format!("{header}\n{text}{noise}"));
        prop_assert!(jobs.iter().all(|j| !j.job_id.contains('.')));
        prop_assert!(errors.windows(2).all(|w| w[0].line < w[1].line));
    }

    #[test]
    fn scontrol_licenses_never_panic(text in "(LicenseName=[a-z@]{0,8}|Total=[0-9a-z]{0,4}|Used=-?[0-9]{0,11}|Remote=(yes|no)|LastUpdate=[0-9T:-]{0,20}|[ =\n]){0,40}") {
        let (licenses, errors) = lmscope::parse::scontrol::parse_licenses(&text);
        prop_assert!(licenses.len() <= text.matches("LicenseName=").count());
        prop_assert!(errors.windows(2).all(|w| w[0].line <= w[1].line));
    }

    #[test]
    fn squeue_never_panics(
        piped in any::<bool>(),
        lines in prop::collection::vec("[ 0-9a-zA-Z|():,@_-]{0,60}", 0..20),
    ) {
        let header = if piped {
            "JOBID|USER|ACCOUNT|PARTITION|REASON|LICENSES|SUBMIT_TIME"
        } else {
            " JOBID PARTITION NAME USER ST TIME NODES NODELIST(REASON)"
        };
        let text = format!("{header}\n{}", lines.join("\n"));
        let (jobs, errors) = lmscope::parse::squeue::parse(&text);
        prop_assert!(jobs.len() + errors.len() <= lines.len());
        prop_assert!(jobs.iter().all(|j| !j.job_id.is_empty()));
    }
}
