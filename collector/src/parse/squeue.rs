//! `squeue`'s pending jobs: which wait, and why (`Licenses`: Slurm holds them until the
//! licenses they asked for are free by its own count). Two layouts are read, told apart by
//! the header line:
//!
//! - the one lmscope asks for, columns by name, `|`-separated:
//!   `squeue --states=PENDING --format='%i|%u|%a|%P|%r|%W|%V'`, whose header is
//!   `JOBID|USER|ACCOUNT|PARTITION|REASON|LICENSES|SUBMIT_TIME`;
//! - squeue's default table (`JOBID PARTITION NAME USER ST TIME NODES NODELIST(REASON)`),
//!   where a pending job's reason is the last field in parentheses and nothing says which
//!   licenses it wants.
//!
//! Jobs that are not pending (a state column other than `PD`/`PENDING`) are left out.

use chrono::NaiveDateTime;

use super::sacct::{licenses, time};

/// A job waiting to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingJob {
    pub job_id: String,
    pub user: String,
    pub account: Option<String>,
    pub partition: Option<String>,
    /// Why Slurm holds it: `Licenses`, `Resources`, `Priority`…
    pub reason: String,
    /// Licenses it asked for: (name, count); empty when the layout does not say.
    pub licenses: Vec<(String, u32)>,
    pub submitted: Option<NaiveDateTime>,
}

/// A line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct SqueueError {
    pub line: usize,
    pub message: String,
}

/// Where each field sits in a line of one layout.
struct Columns {
    piped: bool,
    width: usize,
    job_id: usize,
    user: usize,
    account: Option<usize>,
    partition: Option<usize>,
    state: Option<usize>,
    reason: Option<usize>,
    licenses: Option<usize>,
    submitted: Option<usize>,
    /// The job name's column (free text: in the default table it may hold spaces).
    name: Option<usize>,
}

impl Columns {
    fn of(header: &str) -> Result<Self, String> {
        let piped = header.contains('|');
        let names: Vec<&str> = if piped {
            split_piped(header)
        } else {
            header.split_whitespace().collect()
        };
        let find = |wanted: &[&str]| {
            names
                .iter()
                .position(|h| wanted.iter().any(|w| h.trim().eq_ignore_ascii_case(w)))
        };
        Ok(Columns {
            piped,
            width: names.len(),
            job_id: find(&["JOBID", "JOB_ID"]).ok_or("the header has no `JOBID` column")?,
            user: find(&["USER", "USERNAME"]).ok_or("the header has no `USER` column")?,
            account: find(&["ACCOUNT"]),
            partition: find(&["PARTITION"]),
            state: find(&["ST", "STATE"]),
            reason: find(&["REASON", "NODELIST(REASON)"]),
            licenses: find(&["LICENSES"]),
            submitted: find(&["SUBMIT_TIME", "SUBMIT"]),
            name: find(&["NAME"]),
        })
    }
}

fn split_piped(line: &str) -> Vec<&str> {
    line.strip_suffix('|').unwrap_or(line).split('|').collect()
}

/// Read squeue's output: the pending jobs, and what could not be read.
pub fn parse(text: &str) -> (Vec<PendingJob>, Vec<SqueueError>) {
    let mut jobs = Vec::new();
    let mut errors = Vec::new();
    let mut columns: Option<Columns> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let Some(c) = &columns else {
            match Columns::of(line) {
                Ok(c) => columns = Some(c),
                Err(message) => {
                    errors.push(SqueueError {
                        line: n,
                        message: format!("{message} (run squeue with its header)"),
                    });
                    return (jobs, errors);
                }
            }
            continue;
        };
        match pending(c, line) {
            Ok(Some(job)) => jobs.push(job),
            Ok(None) => {}
            Err(message) => errors.push(SqueueError { line: n, message }),
        }
    }
    (jobs, errors)
}

/// One line's job; `None` when it is not pending.
fn pending(c: &Columns, line: &str) -> Result<Option<PendingJob>, String> {
    let fields: Vec<&str> = if c.piped {
        split_piped(line)
    } else {
        line.split_whitespace().collect()
    };
    // The default table's NAME may hold spaces (then there are more fields): the columns
    // after it are read from the right.
    let at = |i: Option<usize>| -> &str {
        let Some(i) = i else { return "" };
        if !c.piped && fields.len() > c.width && c.name.is_some_and(|k| i > k) {
            let from_right = c.width - i;
            return fields
                .get(fields.len() - from_right)
                .map_or("", |s| s.trim());
        }
        fields.get(i).map_or("", |s| s.trim())
    };
    if c.piped && fields.len() != c.width {
        return Err(format!(
            "{} fields where the header has {} (a cut line?)",
            fields.len(),
            c.width
        ));
    }
    if !c.piped && fields.len() < c.width {
        return Err(format!(
            "{} fields where the header has {} (a cut line?)",
            fields.len(),
            c.width
        ));
    }
    let job_id = at(Some(c.job_id));
    if job_id.is_empty() {
        return Err("no job id".to_owned());
    }
    if c.state.is_some() && !matches!(at(c.state), "PD" | "PENDING") {
        return Ok(None);
    }
    let reason = at(c.reason);
    let reason = match reason.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        Some(r) => r,
        // The default table's last column is the node list once a job runs.
        None if !c.piped => return Ok(None),
        None => reason,
    };
    // squeue prints `(null)` for a job without an account.
    let text = |i: Option<usize>| Some(at(i).to_owned()).filter(|s| !s.is_empty() && s != "(null)");
    Ok(Some(PendingJob {
        job_id: job_id.to_owned(),
        user: at(Some(c.user)).to_owned(),
        account: text(c.account),
        partition: text(c.partition),
        reason: reason.to_owned(),
        licenses: licenses(at(c.licenses))?,
        submitted: time(at(c.submitted))?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_piped_layout_by_name() {
        let out = "\
JOBID|USER|ACCOUNT|PARTITION|REASON|LICENSES|SUBMIT_TIME
5120|jsmith|mech|compute|Licenses|ansys:4|2026-11-20T09:15:00
5121|akumar|chip|gpu|Resources|(null)|2026-11-20T09:20:00
5122|mrossi|ctrl|compute|Licenses|matlab@flexlm:1,simulink@flexlm:1|N/A
";
        let (jobs, errors) = parse(out);
        assert_eq!(errors, vec![]);
        assert_eq!(jobs.len(), 3);
        assert_eq!(jobs[0].reason, "Licenses");
        assert_eq!(jobs[0].licenses, vec![("ansys".to_owned(), 4)]);
        assert_eq!(jobs[1].licenses, vec![]);
        assert_eq!(jobs[2].licenses.len(), 2);
        assert_eq!(jobs[2].submitted, None);
        assert_eq!(jobs[0].account.as_deref(), Some("mech"));
    }

    #[test]
    fn reads_the_default_table_and_leaves_running_jobs_out() {
        // squeue(1)'s own example (Slurm's doc/man/man1/squeue.1, EXAMPLES).
        let out = " JOBID PARTITION NAME USER ST  TIME  NODES NODELIST(REASON)
 12345     debug job1 dave  R   0:21     4 dev[9-12]
 12346     debug job2 dave PD   0:00     8 (Resources)
 12348     debug job3 ed   PD   0:00     4 (Priority)
 12349     debug my job ed   PD   0:00     1 (Licenses)
";
        let (jobs, errors) = parse(out);
        assert_eq!(errors, vec![]);
        let got: Vec<_> = jobs
            .iter()
            .map(|j| (j.job_id.as_str(), j.user.as_str(), j.reason.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("12346", "dave", "Resources"),
                ("12348", "ed", "Priority"),
                ("12349", "ed", "Licenses")
            ]
        );
    }

    #[test]
    fn names_bad_lines_and_a_missing_header() {
        let out = "JOBID|USER|REASON|LICENSES\n1|a|Licenses|ansys:x\n2|b|Licenses\n3|c|Licenses|ansys:1\n";
        let (jobs, errors) = parse(out);
        assert_eq!(jobs.len(), 1);
        assert_eq!(
            errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![2, 3]
        );
        assert!(
            errors[0].message.contains("`x` is not a count"),
            "{errors:?}"
        );
        let (jobs, errors) = parse("1|a|Licenses\n");
        assert!(jobs.is_empty());
        assert!(errors[0].message.contains("no `JOBID`"), "{errors:?}");
    }
}
