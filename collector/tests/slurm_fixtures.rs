//! The Slurm parsers over real recorded outputs (tests/fixtures/slurm, provenance in its
//! README): a single-node Slurm 22.05 and the examples of SchedMD's own documentation.

use lmscope::parse::{scontrol, squeue};

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/slurm")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// (name, total, used, free, reserved, remote, last consumed) of a license.
type Counts = (String, u32, u32, u32, u32, bool, Option<u32>);

/// The counts of each license of `text`.
fn counts(text: &str) -> Vec<Counts> {
    let (licenses, errors) = scontrol::parse_licenses(text);
    assert_eq!(errors, vec![]);
    licenses
        .into_iter()
        .map(|l| {
            (
                l.name,
                l.total,
                l.used,
                l.free,
                l.reserved,
                l.remote,
                l.last_consumed,
            )
        })
        .collect()
}

#[test]
fn scontrol_show_licenses_of_a_real_slurm_in_both_layouts() {
    let want = vec![
        ("ansys".to_owned(), 4, 3, 1, 0, false, None),
        ("fluent".to_owned(), 2, 1, 1, 0, false, None),
    ];
    assert_eq!(counts(&fixture("scontrol_licenses_slurm22.txt")), want);
    assert_eq!(
        counts(&fixture("scontrol_licenses_oneline_slurm22.txt")),
        want
    );
}

#[test]
fn scontrol_remote_licenses_of_schedmds_guide() {
    assert_eq!(
        counts(&fixture("scontrol_licenses_remote_schedmd.txt")),
        vec![
            ("matlab@rlm_host".to_owned(), 35, 0, 35, 0, true, Some(0)),
            ("nastran@flex_host".to_owned(), 50, 0, 50, 0, true, Some(0)),
        ]
    );
    // A deficit: Slurm holds back what the license server says is gone.
    assert_eq!(
        counts(&fixture("scontrol_licenses_deficit_schedmd.txt")),
        vec![("foobar@slurmdb".to_owned(), 80, 0, 70, 0, true, Some(30))]
    );
}

#[test]
fn squeue_pending_jobs_of_a_real_slurm_and_of_the_manual() {
    for name in ["squeue_pending_slurm22.txt", "squeue_default_slurm22.txt"] {
        let (jobs, errors) = squeue::parse(&fixture(name));
        assert_eq!(errors, vec![], "{name}");
        assert_eq!(jobs.len(), 1, "{name}: only job 2 waits");
        let j = &jobs[0];
        assert_eq!(
            (j.job_id.as_str(), j.user.as_str(), j.reason.as_str()),
            ("2", "root", "Licenses"),
            "{name}"
        );
        assert_eq!(j.account, None, "{name}: `(null)` is no account");
        assert_eq!(j.partition.as_deref(), Some("debug"), "{name}");
    }
    // Only the piped layout says which licenses and since when.
    let (jobs, _) = squeue::parse(&fixture("squeue_pending_slurm22.txt"));
    assert_eq!(jobs[0].licenses, vec![("ansys".to_owned(), 3)]);
    assert_eq!(
        jobs[0].submitted.map(|t| t.to_string()).as_deref(),
        Some("2026-12-02 18:21:10")
    );
    let (jobs, errors) = squeue::parse(&fixture("squeue_default_schedmd.txt"));
    assert_eq!(errors, vec![]);
    let reasons: Vec<(&str, &str)> = jobs
        .iter()
        .map(|j| (j.job_id.as_str(), j.reason.as_str()))
        .collect();
    assert_eq!(reasons, vec![("12346", "Resources"), ("12348", "Priority")]);
}
