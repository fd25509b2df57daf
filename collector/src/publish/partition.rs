//! Monthly partitions: which rows a published file holds ([`Slice`]), the months a store
//! has, and a digest of each month's source rows, so a publish writes a closed month's file
//! once and keeps it until that month's data changes.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use sha2::{Digest, Sha256};

use crate::store::schema::{PARTITIONED, SCHEMA_VERSION};

/// Which rows of the partitioned tables a published file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slice {
    /// A closed month `[start, end)`: the partitioned tables only.
    Month {
        start: NaiveDateTime,
        end: NaiveDateTime,
    },
    /// Everything from `start` on (and open sessions), plus every table not partitioned.
    Current { start: NaiveDateTime },
}

impl Slice {
    /// The month starting at `month` (its first day).
    pub fn month(month: NaiveDate) -> Self {
        Slice::Month {
            start: midnight(month),
            end: midnight(next_month(month)),
        }
    }

    /// SQL condition placing a row by `column` in this slice. The bounds are our own
    /// timestamps, never input.
    pub fn condition(&self, column: &str) -> String {
        match self {
            Slice::Month { start, end } => {
                format!("({column} >= {} AND {column} < {})", at(start), at(end))
            }
            Slice::Current { start } => format!("({column} IS NULL OR {column} >= {})", at(start)),
        }
    }

    /// SQL condition for a span `[s, e]` that overlaps this slice.
    pub fn overlaps(&self, s: &str, e: &str) -> String {
        match self {
            Slice::Month { start, end } => format!("({e} >= {} AND {s} < {})", at(start), at(end)),
            Slice::Current { start } => format!("({e} >= {})", at(start)),
        }
    }

    /// Whether `table` is written into a file of this slice.
    pub fn holds(&self, table: &str) -> bool {
        matches!(self, Slice::Current { .. }) || partition_column(table).is_some()
    }
}

/// A timestamp literal for SQL.
fn at(t: &NaiveDateTime) -> String {
    format!("TIMESTAMP '{}'", t.format("%Y-%m-%d %H:%M:%S"))
}

/// The column whose month places a row of `table`, if the table is partitioned.
pub fn partition_column(table: &str) -> Option<&'static str> {
    PARTITIONED
        .iter()
        .find(|(t, _)| *t == table)
        .map(|(_, c)| *c)
}

/// The first day of the month of `t`.
pub fn month_of(t: NaiveDateTime) -> NaiveDate {
    t.date().with_day(1).unwrap_or(t.date())
}

fn next_month(month: NaiveDate) -> NaiveDate {
    let (y, m) = if month.month() == 12 {
        (month.year() + 1, 1)
    } else {
        (month.year(), month.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(month)
}

fn midnight(day: NaiveDate) -> NaiveDateTime {
    day.and_hms_opt(0, 0, 0).unwrap_or_default()
}

/// Per month and source table, the aggregates a month's file is written from: row counts,
/// plus sums that move when a row is updated in place (a late poll in an hour). Sessions
/// count in the month they ended (the `sessions` rows of its file, whose times also fix
/// their `user_daily` hours); the few that are open or span months count again in every
/// month their counted time overlaps, by their part in that month (their `user_daily` rows
/// there; an open session that goes on does not change the months it has left).
fn source_sql(since: &str) -> String {
    format!(
        "
    SELECT date_trunc('month', ts) AS m, 'server_status' AS t, count(*) AS n, 0::DOUBLE AS x FROM main.server_status WHERE ts >= {since} GROUP BY 1
    UNION ALL SELECT date_trunc('month', ts), 'vendor_status', count(*), 0 FROM main.vendor_status WHERE ts >= {since} GROUP BY 1
    UNION ALL SELECT date_trunc('month', ts), 'feature_usage', count(*), 0 FROM main.feature_usage WHERE ts >= {since} GROUP BY 1
    UNION ALL SELECT date_trunc('month', ts), 'queued', count(*), 0 FROM main.queued WHERE ts >= {since} GROUP BY 1
    UNION ALL SELECT date_trunc('month', ts), 'reservations', count(*), 0 FROM main.reservations WHERE ts >= {since} GROUP BY 1
    UNION ALL SELECT date_trunc('month', ts), 'events', count(*), 0 FROM main.events WHERE ts >= {since} GROUP BY 1
    UNION ALL SELECT date_trunc('month', hour), 'usage_hourly', count(*),
                     sum(polls)::DOUBLE + sum(sum_in_use)::DOUBLE + sum(peak_in_use) + sum(polls_full)
                     + sum(coalesce(sum_checked_out, 0))::DOUBLE * 3
              FROM main.usage_hourly WHERE hour >= {since} GROUP BY 1
    UNION ALL SELECT date_trunc('month', ended_at), 'sessions', count(*),
                     sum(epoch(ended_at) + epoch(last_seen) + epoch(first_seen)
                         + coalesce(epoch(started_at), 0) + licenses)
              FROM main.sessions WHERE ended_at >= {since} GROUP BY 1
    UNION ALL SELECT date_trunc('month', ended_at), 'jobs', count(*),
                     sum(epoch(ended_at) + coalesce(epoch(started_at), 0) + cpus + gpus
                         + length(hosts) + length(state) + length(licenses))
              FROM main.jobs WHERE ended_at >= {since} GROUP BY 1
    UNION ALL SELECT m, 'user_daily', count(*),
                     sum(epoch(least(e, m + INTERVAL 1 MONTH)) + epoch(greatest(s, m)) + licenses)
              FROM (SELECT unnest(generate_series(date_trunc('month', s), date_trunc('month', e),
                                                  INTERVAL 1 MONTH)) AS m, s, e, licenses
                    FROM (SELECT CASE WHEN started_at >= first_seen - INTERVAL 1 DAY THEN started_at
                                      ELSE first_seen END AS s,
                                 coalesce(ended_at, last_seen) AS e, licenses, ended_at
                          FROM main.sessions WHERE coalesce(ended_at, last_seen) >= {since})
                    WHERE e >= s
                      AND (ended_at IS NULL OR date_trunc('month', s) < date_trunc('month', e)))
              GROUP BY 1"
    )
}

/// Each month before `current` (and from `from` on, if given) that the store holds rows
/// of, with the digest of its source rows (and of `tag`: what else shapes the file, such as
/// pseudonymization).
pub fn month_fingerprints(
    conn: &duckdb::Connection,
    current: NaiveDate,
    from: Option<NaiveDate>,
    tag: &str,
) -> Result<Vec<(NaiveDate, String)>, duckdb::Error> {
    if from.is_some_and(|f| f >= current) {
        return Ok(Vec::new());
    }
    let since = from.map_or_else(|| "TIMESTAMP '-infinity'".to_owned(), |m| at(&midnight(m)));
    let mut stmt = conn.prepare(&format!(
        "SELECT m::DATE, t, n, x FROM ({}) WHERE m < ? AND m >= {since} ORDER BY 1, 2",
        source_sql(&since)
    ))?;
    let rows = stmt.query_map([midnight(current)], |r| {
        Ok((
            r.get::<_, NaiveDate>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, Option<f64>>(3)?,
        ))
    })?;
    let mut out: Vec<(NaiveDate, Sha256)> = Vec::new();
    for row in rows {
        let (month, table, n, x) = row?;
        if out.last().is_none_or(|(m, _)| *m != month) {
            let mut h = Sha256::new();
            h.update(format!("lmscope partition v{SCHEMA_VERSION}\n{tag}\n"));
            out.push((month, h));
        }
        if let Some((_, h)) = out.last_mut() {
            h.update(format!("{table} {n} {:?}\n", x.unwrap_or(0.0)));
        }
    }
    Ok(out
        .into_iter()
        .map(|(m, h)| (m, hex(&h.finalize())))
        .collect())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// File name of the partition of `month` written from `fingerprint`.
pub fn file_name(month: NaiveDate, fingerprint: &str) -> String {
    format!(
        "lmscope-{}-{}.duckdb",
        month.format("%Y-%m"),
        &fingerprint[..fingerprint.len().min(16)]
    )
}

/// Whether `name` is a partition file's name (`lmscope-YYYY-MM-HEX.duckdb`).
pub fn is_file_name(name: &str) -> bool {
    let Some(rest) = name
        .strip_prefix("lmscope-")
        .and_then(|n| n.strip_suffix(".duckdb"))
    else {
        return false;
    };
    let b = rest.as_bytes();
    b.len() > 8
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..].iter().all(u8::is_ascii_hexdigit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn months_roll_over_the_year() {
        assert_eq!(
            Slice::month(day(2026, 12, 1)),
            Slice::Month {
                start: midnight(day(2026, 12, 1)),
                end: midnight(day(2027, 1, 1))
            }
        );
        assert_eq!(
            month_of(midnight(day(2026, 2, 28)) + chrono::Duration::hours(23)),
            day(2026, 2, 1)
        );
    }

    #[test]
    fn conditions_bound_the_slice() {
        let m = Slice::month(day(2026, 3, 1));
        assert_eq!(
            m.condition("ts"),
            "(ts >= TIMESTAMP '2026-03-01 00:00:00' AND ts < TIMESTAMP '2026-04-01 00:00:00')"
        );
        let c = Slice::Current {
            start: midnight(day(2026, 4, 1)),
        };
        assert_eq!(
            c.condition("ended_at"),
            "(ended_at IS NULL OR ended_at >= TIMESTAMP '2026-04-01 00:00:00')"
        );
        assert!(!m.holds("polls") && m.holds("sessions") && c.holds("polls"));
    }

    #[test]
    fn partition_names_are_recognised() {
        let name = file_name(day(2026, 1, 1), "0123456789abcdef0123");
        assert_eq!(name, "lmscope-2026-01-0123456789abcdef.duckdb");
        assert!(is_file_name(&name));
        for other in [
            "lmscope-000003.duckdb",
            "lmscope-000003-now.duckdb",
            "lmscope-2026-01-.duckdb",
            "lmscope-2026-01-xyz.duckdb",
        ] {
            assert!(!is_file_name(other), "{other}");
        }
    }
}
