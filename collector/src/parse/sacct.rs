//! `sacct --parsable2` (or `--parsable`) output with its header line: one record per job,
//! its steps (`123.batch`, `123.0`) left out. Columns are found by their header names, in
//! any order; the ones lmscope reads:
//! `JobID` (or `JobIDRaw`), `User`, `Account`, `Partition`, `NodeList`, `AllocTRES` (CPUs
//! and GPUs; else `AllocCPUS`/`NCPUS`), `Start`, `End`, `State`, `Licenses` and `Cluster`.
//! A line that cannot be read is reported with its line number; the others are kept.

use chrono::NaiveDateTime;

use super::hostlist;

/// One job as accounting saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub cluster: Option<String>,
    pub job_id: String,
    pub user: String,
    pub account: Option<String>,
    pub partition: Option<String>,
    pub hosts: Vec<String>,
    pub cpus: u32,
    pub gpus: u32,
    /// `None` while pending.
    pub start: Option<NaiveDateTime>,
    /// `None` while running.
    pub end: Option<NaiveDateTime>,
    /// `COMPLETED`, `RUNNING`, `CANCELLED` (without `by UID`)…
    pub state: String,
    /// Licenses the job requested: (name, count).
    pub licenses: Vec<(String, u32)>,
}

/// A line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct SacctError {
    pub line: usize,
    pub message: String,
}

/// The columns a header names.
struct Columns {
    width: usize,
    job_id: usize,
    user: usize,
    account: Option<usize>,
    partition: Option<usize>,
    nodes: Option<usize>,
    tres: Option<usize>,
    cpus: Option<usize>,
    start: Option<usize>,
    end: Option<usize>,
    state: Option<usize>,
    licenses: Option<usize>,
    cluster: Option<usize>,
}

impl Columns {
    fn of(header: &[&str]) -> Result<Self, String> {
        let find = |names: &[&str]| {
            header
                .iter()
                .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
        };
        Ok(Columns {
            width: header.len(),
            job_id: find(&["JobID", "JobIDRaw"]).ok_or("the header has no `JobID` column")?,
            user: find(&["User"]).ok_or("the header has no `User` column")?,
            account: find(&["Account"]),
            partition: find(&["Partition"]),
            nodes: find(&["NodeList"]),
            tres: find(&["AllocTRES"]),
            cpus: find(&["AllocCPUS", "NCPUS"]),
            start: find(&["Start"]),
            end: find(&["End"]),
            state: find(&["State"]),
            licenses: find(&["Licenses"]),
            cluster: find(&["Cluster"]),
        })
    }
}

/// Fields of a line (`--parsable` ends each line with an extra `|`).
fn fields(line: &str) -> Vec<&str> {
    let line = line.strip_suffix('|').unwrap_or(line);
    line.split('|').collect()
}

/// `2026-11-20T10:00:00`; `Unknown`, `None` and empty are no time.
pub(crate) fn time(text: &str) -> Result<Option<NaiveDateTime>, String> {
    match text.trim() {
        "" | "Unknown" | "None" | "N/A" => Ok(None),
        t => NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S")
            .map(Some)
            .map_err(|_| format!("`{t}` is not a time like 2026-11-20T10:00:00")),
    }
}

/// CPUs and GPUs of `cpu=8,gres/gpu=2,gres/gpu:a100=2,mem=64G,node=1`.
fn tres(text: &str) -> Result<(Option<u32>, u32), String> {
    let (mut cpus, mut gpus) = (None, 0u32);
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            return Err(format!("`{part}` in AllocTRES is not KEY=VALUE"));
        };
        let count = || {
            value
                .parse::<u32>()
                .map_err(|_| format!("`{part}` in AllocTRES: `{value}` is not a count"))
        };
        if key == "cpu" {
            cpus = Some(count()?);
        } else if key == "gres/gpu" {
            gpus = count()?;
        } else if key.starts_with("gres/gpu:") && gpus == 0 {
            // Typed GPUs only when the total is not given.
            gpus = gpus.saturating_add(count()?);
        }
    }
    Ok((cpus, gpus))
}

/// `ansys:2,matlab@flexlm:1` → (name, count); a name without a count is one.
pub(crate) fn licenses(text: &str) -> Result<Vec<(String, u32)>, String> {
    match text.trim() {
        "" | "(null)" => Ok(Vec::new()),
        t => t
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| match p.rsplit_once(':') {
                Some((name, n)) => n
                    .parse()
                    .map(|n| (name.to_owned(), n))
                    .map_err(|_| format!("license `{p}`: `{n}` is not a count")),
                None => Ok((p.to_owned(), 1)),
            })
            .collect(),
    }
}

/// Read sacct's output: the jobs, and the lines that could not be read.
pub fn parse(text: &str) -> (Vec<Job>, Vec<SacctError>) {
    let mut reader = Reader::default();
    let out = reader.feed(text, 1);
    (out.0, out.1)
}

/// sacct's output read in pieces that end at line ends (a file read a block at a time): the
/// header is taken from the first line and kept for the pieces after it, so the jobs are
/// those [`parse`] finds in the whole text.
#[derive(Default)]
pub struct Reader {
    columns: Option<Columns>,
    /// The header could not be read: nothing after it can be.
    refused: bool,
}

impl Reader {
    /// The jobs of the next piece, whose first line is `first_line` of the input, and the
    /// lines of it that could not be read.
    pub fn feed(&mut self, text: &str, first_line: usize) -> (Vec<Job>, Vec<SacctError>) {
        let mut jobs = Vec::new();
        let mut errors = Vec::new();
        let lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (first_line + i, l.trim_end_matches('\r')))
            .filter(|(_, l)| !l.trim().is_empty());
        for (n, line) in lines {
            if self.refused {
                break;
            }
            let Some(columns) = &self.columns else {
                match Columns::of(&fields(line)) {
                    Ok(c) => self.columns = Some(c),
                    Err(message) => {
                        self.refused = true;
                        let fixed_width = !line.contains('|')
                            && line
                                .split_whitespace()
                                .any(|w| w.eq_ignore_ascii_case("JobID"));
                        errors.push(SacctError {
                            line: n,
                            message: if fixed_width {
                                "sacct's fixed-width layout cannot be read (it cuts names and \
                                 node lists to fit its columns): run sacct with --parsable2 and \
                                 --format=JobID,User,Account,Partition,NodeList,AllocTRES,Start,\
                                 End,State,Licenses,Cluster"
                                    .to_owned()
                            } else {
                                format!("{message} (run sacct with --parsable2 and its header)")
                            },
                        });
                    }
                }
                continue;
            };
            match job(columns, &fields(line)) {
                Ok(Some(j)) => jobs.push(j),
                Ok(None) => {}
                Err(message) => errors.push(SacctError { line: n, message }),
            }
        }
        (jobs, errors)
    }
}

/// One line's job; `None` for a step.
fn job(c: &Columns, f: &[&str]) -> Result<Option<Job>, String> {
    if f.len() != c.width {
        return Err(format!(
            "{} fields where the header has {} (a `|` inside a field, or a cut line?)",
            f.len(),
            c.width
        ));
    }
    let get = |i: Option<usize>| i.and_then(|i| f.get(i)).map(|s| s.trim()).unwrap_or("");
    let text = |i: Option<usize>| Some(get(i).to_owned()).filter(|s| !s.is_empty());
    let job_id = get(Some(c.job_id));
    if job_id.is_empty() {
        return Err("no job id".to_owned());
    }
    if job_id.contains('.') {
        return Ok(None);
    }
    let (tres_cpus, gpus) = tres(get(c.tres))?;
    let cpus = match tres_cpus {
        Some(n) => n,
        None => match get(c.cpus) {
            "" => 0,
            n => n
                .parse()
                .map_err(|_| format!("AllocCPUS `{n}` is not a count"))?,
        },
    };
    let hosts = hostlist::expand(get(c.nodes)).map_err(|e| e.to_string())?;
    let state = get(c.state)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    Ok(Some(Job {
        cluster: text(c.cluster),
        job_id: job_id.to_owned(),
        user: get(Some(c.user)).to_owned(),
        account: text(c.account),
        partition: text(c.partition),
        hosts,
        cpus,
        gpus,
        start: time(get(c.start))?,
        end: time(get(c.end))?,
        state,
        licenses: licenses(get(c.licenses))?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUT: &str = "\
JobID|User|Account|Partition|NodeList|AllocTRES|Start|End|State|Licenses|Cluster
4101|jsmith|mech|compute|hpc-a-[001-002]|billing=16,cpu=16,mem=64G,node=2|2026-11-20T08:00:00|2026-11-20T10:30:00|COMPLETED|ansys:2|hpc
4101.batch|||||cpu=8,mem=32G,node=1|2026-11-20T08:00:00|2026-11-20T10:30:00|COMPLETED||hpc
4101.extern|||||billing=16,cpu=16,node=2|2026-11-20T08:00:00|2026-11-20T10:30:00|COMPLETED||hpc
4102|akumar|chip|gpu|gpu[1-2]|cpu=8,gres/gpu=4,node=2|2026-11-20T09:00:00|Unknown|RUNNING|(null)|hpc
4103|jsmith|mech|compute|None assigned|billing=1,cpu=1,node=1|Unknown|Unknown|PENDING|ansys:1,abaqus@flexlm:5|hpc
4104|mrossi|ctrl|compute|hpc-b-017|cpu=4,node=1|2026-11-20T07:00:00|2026-11-20T07:05:00|CANCELLED by 1203||hpc
";

    #[test]
    fn reads_jobs_and_leaves_steps_out() {
        let (jobs, errors) = parse(OUT);
        assert_eq!(errors, vec![]);
        let ids: Vec<&str> = jobs.iter().map(|j| j.job_id.as_str()).collect();
        assert_eq!(ids, ["4101", "4102", "4103", "4104"]);
        let j = &jobs[0];
        assert_eq!(j.hosts, ["hpc-a-001", "hpc-a-002"]);
        assert_eq!((j.cpus, j.gpus), (16, 0));
        assert_eq!(j.licenses, vec![("ansys".to_owned(), 2)]);
        assert_eq!(j.cluster.as_deref(), Some("hpc"));
        assert_eq!(jobs[1].gpus, 4);
        assert_eq!(jobs[1].end, None);
        assert_eq!(jobs[2].start, None);
        assert!(jobs[2].hosts.is_empty());
        assert_eq!(
            jobs[2].licenses,
            vec![("ansys".to_owned(), 1), ("abaqus@flexlm".to_owned(), 5)]
        );
        assert_eq!(jobs[3].state, "CANCELLED");
    }

    #[test]
    fn parsable_with_trailing_bars_and_columns_in_any_order() {
        let text = "User|State|JobIDRaw|NCPUS|NodeList|\njdoe|COMPLETED|77|12|n[1-3]|\n";
        let (jobs, errors) = parse(text);
        assert_eq!(errors, vec![]);
        assert_eq!(jobs[0].cpus, 12);
        assert_eq!(jobs[0].hosts.len(), 3);
        assert_eq!(jobs[0].user, "jdoe");
    }

    #[test]
    fn bad_lines_are_named_and_the_rest_kept() {
        let text = "JobID|User|Start|NodeList\n1|a|2026-11-20T08:00:00|n1\n2|b|yesterday|n2\n3|c|2026-11-20T09:00:00|n[2-\n4|d\n5|e||n5\n";
        let (jobs, errors) = parse(text);
        let ids: Vec<&str> = jobs.iter().map(|j| j.job_id.as_str()).collect();
        assert_eq!(ids, ["1", "5"]);
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 5]);
        assert!(
            errors[0].to_string().contains("`yesterday`"),
            "{}",
            errors[0]
        );
        assert!(
            errors[1].to_string().contains("never closed"),
            "{}",
            errors[1]
        );
        assert!(
            errors[2]
                .to_string()
                .contains("2 fields where the header has 4"),
            "{}",
            errors[2]
        );
        let (_, errors) = parse("Foo|Bar\n1|2\n");
        assert!(errors[0].to_string().contains("`JobID`"), "{}", errors[0]);
    }

    #[test]
    fn the_fixed_width_layout_is_refused_with_what_to_run_instead() {
        let out = "JobID           User  Partition    Account  AllocCPUS      State ExitCode
------------ -------- ---------- ---------- ---------- ---------- --------
4101           jsmith    compute       mech         16  COMPLETED      0:0
";
        let (jobs, errors) = parse(out);
        assert!(jobs.is_empty());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 1);
        assert!(
            errors[0].message.contains("--parsable2"),
            "{}",
            errors[0].message
        );
        assert!(
            errors[0].message.contains("fixed-width"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn read_in_pieces_it_is_the_text_read_whole() {
        let text =
            format!("{OUT}4105|x|y|z|n[1-2]|cpu=2|Unknown|Unknown|PENDING||hpc\nbroken line\n");
        let whole = parse(&text);
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        for cut in 0..=lines.len() {
            for cut2 in cut..=lines.len() {
                let mut reader = Reader::default();
                let mut jobs = Vec::new();
                let mut errors = Vec::new();
                for (start, end) in [(0, cut), (cut, cut2), (cut2, lines.len())] {
                    let (j, e) = reader.feed(&lines[start..end].concat(), start + 1);
                    jobs.extend(j);
                    errors.extend(e);
                }
                assert_eq!((jobs, errors), whole, "cut at {cut}, {cut2}");
            }
        }
    }
}
