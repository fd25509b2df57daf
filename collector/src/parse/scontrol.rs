//! `scontrol show licenses` (and its one-line form, `scontrol -o show licenses`): what Slurm
//! believes of each license it schedules — total, used, free, reserved — to set against
//! what FlexLM says is in use (the drift that lets jobs start and then fail at checkout).
//!
//! ```text
//! LicenseName=ansys
//!     Total=100 Used=2 Free=98 Reserved=0 Remote=yes
//!     LastConsumed=4 LastDeficit=0 LastUpdate=2026-11-20T10:00:00
//! ```

use chrono::NaiveDateTime;

/// One license as Slurm counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlurmLicense {
    /// As Slurm names it (`ansys`, or `ansys@flexlm` for a remote one).
    pub name: String,
    pub total: u32,
    pub used: u32,
    pub free: u32,
    pub reserved: u32,
    /// Served by the database (`sacctmgr`), not `slurm.conf`.
    pub remote: bool,
    /// Remote licenses: what the license server reported in use when last told
    /// (`LastConsumed`, Slurm 23.02 on), and when.
    pub last_consumed: Option<u32>,
    pub last_update: Option<NaiveDateTime>,
}

/// A part that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ScontrolError {
    pub line: usize,
    pub message: String,
}

/// Read `scontrol show licenses`: the licenses, and what could not be read.
pub fn parse_licenses(text: &str) -> (Vec<SlurmLicense>, Vec<ScontrolError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut current: Option<(usize, SlurmLicense)> = None;
    let finish = |c: Option<(usize, SlurmLicense)>, out: &mut Vec<SlurmLicense>| {
        if let Some((_, l)) = c {
            out.push(l);
        }
    };
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with("No licenses") {
            continue;
        }
        for token in line.split_whitespace() {
            let Some((key, value)) = token.split_once('=') else {
                errors.push(ScontrolError {
                    line: n,
                    message: format!("`{token}` is not KEY=VALUE"),
                });
                continue;
            };
            if key == "LicenseName" {
                finish(current.take(), &mut out);
                current = Some((
                    n,
                    SlurmLicense {
                        name: value.to_owned(),
                        total: 0,
                        used: 0,
                        free: 0,
                        reserved: 0,
                        remote: false,
                        last_consumed: None,
                        last_update: None,
                    },
                ));
                continue;
            }
            let Some((_, l)) = current.as_mut() else {
                errors.push(ScontrolError {
                    line: n,
                    message: format!("`{key}` before any `LicenseName=`"),
                });
                continue;
            };
            let count = |v: &str| {
                v.parse::<u32>()
                    .map_err(|_| format!("{key} `{v}` is not a count"))
            };
            let set = match key {
                "Total" => count(value).map(|v| l.total = v),
                "Used" => count(value).map(|v| l.used = v),
                "Free" => count(value).map(|v| l.free = v),
                "Reserved" => count(value).map(|v| l.reserved = v),
                "LastConsumed" => count(value).map(|v| l.last_consumed = Some(v)),
                "Remote" => {
                    l.remote = value.eq_ignore_ascii_case("yes");
                    Ok(())
                }
                "LastUpdate" => match value {
                    "N/A" | "Unknown" | "None" => Ok(()),
                    v => NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S")
                        .map(|t| l.last_update = Some(t))
                        .map_err(|_| format!("LastUpdate `{v}` is not a time")),
                },
                // Fields of other versions (LastDeficit, OwnerId…) are not needed.
                _ => Ok(()),
            };
            if let Err(message) = set {
                errors.push(ScontrolError { line: n, message });
            }
        }
    }
    finish(current, &mut out);
    (out, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_layouts_and_names_bad_parts() {
        // The layout of Slurm's licenses guide (local licenses, Slurm 21-22).
        let local = "LicenseName=ansys\n    Total=100 Used=2 Free=98 Remote=no\nLicenseName=fluent\n    Total=30 Used=0 Free=30 Remote=no\n";
        let (l, e) = parse_licenses(local);
        assert_eq!(e, vec![]);
        assert_eq!(l.len(), 2);
        assert_eq!(
            (l[0].name.as_str(), l[0].total, l[0].used, l[0].free),
            ("ansys", 100, 2, 98)
        );
        assert!(!l[0].remote);
        // Remote, one line each, with the counts a license server last reported.
        let remote = "LicenseName=ansys@flexlm Total=50 Used=12 Free=30 Reserved=0 Remote=yes LastConsumed=20 LastDeficit=2 LastUpdate=2026-11-20T10:00:00\n";
        let (l, e) = parse_licenses(remote);
        assert_eq!(e, vec![]);
        assert_eq!(l[0].last_consumed, Some(20));
        assert!(l[0].remote);
        assert_eq!(
            l[0].last_update.map(|t| t.to_string()),
            Some("2026-11-20 10:00:00".into())
        );
        let (l, e) = parse_licenses("Total=5\nLicenseName=x\n  Used=lots Free=3 junk\n");
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].free, 3);
        let lines: Vec<usize> = e.iter().map(|e| e.line).collect();
        assert_eq!(lines, [1, 3, 3]);
        assert!(e[1].to_string().contains("`lots`"), "{}", e[1]);
    }
}
