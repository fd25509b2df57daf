//! Slurm host lists: `node[001-004,010],gpu[1-2]` → `node001 … node004, node010, gpu1, gpu2`.
//! Brackets hold numbers and ranges, zero-padded as written; several bracket groups in one
//! name (`rack[1-2]-n[01-02]`) multiply. The expansion is bounded ([`MAX_HOSTS`]) so a hostile
//! list cannot exhaust memory.

/// The most hosts one list may expand to.
pub const MAX_HOSTS: usize = 100_000;

/// Why a host list cannot be expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("host list `{list}`: {message}")]
pub struct HostlistError {
    pub list: String,
    pub message: String,
}

/// One piece of a name: text as it is, or the numbers of a bracket group.
enum Piece<'a> {
    Text(&'a str),
    Numbers(Vec<String>),
}

/// Expand a Slurm host list; empty (or `None assigned`, `(null)`) gives no hosts.
pub fn expand(list: &str) -> Result<Vec<String>, HostlistError> {
    let err = |message: String| HostlistError {
        list: list.chars().take(200).collect(),
        message,
    };
    let trimmed = list.trim();
    if trimmed.is_empty() || trimmed == "None assigned" || trimmed == "(null)" {
        return Ok(Vec::new());
    }
    let mut hosts = Vec::new();
    for item in split_top(trimmed).map_err(err)? {
        let pieces = pieces(item).map_err(err)?;
        let mut names = vec![String::new()];
        for piece in &pieces {
            names = match piece {
                Piece::Text(t) => names.into_iter().map(|n| n + t).collect(),
                Piece::Numbers(numbers) => {
                    if names.len().saturating_mul(numbers.len()) > MAX_HOSTS {
                        return Err(err(format!("expands to more than {MAX_HOSTS} hosts")));
                    }
                    names
                        .iter()
                        .flat_map(|n| numbers.iter().map(move |x| format!("{n}{x}")))
                        .collect()
                }
            };
        }
        if hosts.len() + names.len() > MAX_HOSTS {
            return Err(err(format!("expands to more than {MAX_HOSTS} hosts")));
        }
        hosts.extend(names.into_iter().filter(|n| !n.is_empty()));
    }
    Ok(hosts)
}

/// The list's names, split at the commas outside brackets.
fn split_top(list: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in list.char_indices() {
        match c {
            '[' if depth > 0 => return Err("brackets inside brackets".to_owned()),
            '[' => depth = 1,
            ']' if depth == 0 => return Err(format!("`]` without `[` at {}", i + 1)),
            ']' => depth = 0,
            ',' if depth == 0 => {
                out.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth > 0 {
        return Err("a `[` is never closed".to_owned());
    }
    out.push(&list[start..]);
    Ok(out
        .into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect())
}

/// A name's text and bracket groups.
fn pieces(name: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = name;
    while let Some(open) = rest.find('[') {
        if open > 0 {
            out.push(Piece::Text(&rest[..open]));
        }
        let close = rest[open..]
            .find(']')
            .map(|c| open + c)
            .ok_or_else(|| "a `[` is never closed".to_owned())?;
        out.push(Piece::Numbers(numbers(&rest[open + 1..close])?));
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

/// `001-004,010` → `001 002 003 004 010` (the width of the first number kept).
fn numbers(group: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for part in group.split(',').map(str::trim) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let digits =
            |s: &str| !s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(a) || !digits(b) {
            return Err(format!(
                "`{part}` in brackets is not a number or a range like 01-04"
            ));
        }
        let (from, to): (u64, u64) = (
            a.parse().map_err(|_| format!("`{a}` is not a number"))?,
            b.parse().map_err(|_| format!("`{b}` is not a number"))?,
        );
        if to < from {
            return Err(format!("the range `{part}` runs backwards"));
        }
        if (to - from) as usize >= MAX_HOSTS || out.len() + ((to - from) as usize) >= MAX_HOSTS {
            return Err(format!("expands to more than {MAX_HOSTS} hosts"));
        }
        let width = a.len();
        out.extend((from..=to).map(|n| format!("{n:0width$}")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(list: &str) -> Vec<String> {
        expand(list).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn expands_ranges_lists_padding_and_several_groups() {
        assert_eq!(
            hosts("node[001-003,010],gpu[1-2]"),
            ["node001", "node002", "node003", "node010", "gpu1", "gpu2"]
        );
        assert_eq!(hosts("login1"), ["login1"]);
        assert_eq!(
            hosts("rack[1-2]-n[08-09]"),
            ["rack1-n08", "rack1-n09", "rack2-n08", "rack2-n09"]
        );
        assert_eq!(hosts("n[9-11]"), ["n9", "n10", "n11"]);
        assert_eq!(hosts("hpc-b-[017]"), ["hpc-b-017"]);
        assert!(hosts("None assigned").is_empty());
        assert!(hosts("").is_empty());
    }

    #[test]
    fn bad_lists_say_what_is_wrong() {
        for (list, says) in [
            ("node[1-", "never closed"),
            ("node1]", "without `[`"),
            ("n[[1]]", "inside brackets"),
            ("n[4-1]", "backwards"),
            ("n[a-b]", "not a number"),
            ("n[1-999999999]", "more than"),
            ("a[1-1000]b[1-1000]", "more than"),
        ] {
            let e = expand(list).expect_err(list);
            assert!(e.to_string().contains(says), "{list}: {e}");
        }
    }
}
