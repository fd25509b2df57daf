//! Change marks: for each folder published to, since when the store's rows changed, so the
//! next publish there digests only the months from that time on and takes the earlier
//! months' partitions from its last manifest as they were.
//!
//! Every writer of the partitioned tables notes what it touched ([`note_change`]) in the
//! transaction that writes it; a writer that cannot say ([`forget`]) makes the next publish
//! digest every month again, as one with no mark does.

use chrono::{NaiveDate, NaiveDateTime};
use duckdb::{params, Connection, OptionalExt};

/// The marks table (one row per folder published to).
pub const MARKS_DDL: &str = "CREATE TABLE IF NOT EXISTS publish_marks (
    out_dir VARCHAR PRIMARY KEY,
    tag VARCHAR NOT NULL,
    generated_at VARCHAR NOT NULL,
    current_month DATE NOT NULL,
    dirty_from TIMESTAMP
)";

/// What the store knows of its last publish into one folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// The partition tag that publish used (names as collected, or pseudonymized how).
    pub tag: String,
    /// Its manifest's `generated_at`: the mark holds only while that manifest is in place.
    pub generated_at: String,
    /// The month that was open then (its rows were in the current file, not a partition).
    pub current_month: NaiveDate,
    /// The earliest time of any row written since, if any was.
    pub dirty_from: Option<NaiveDateTime>,
}

impl Mark {
    /// The first month whose partition the next publish must digest: every month before
    /// it is as that publish wrote it.
    pub fn first_changed_month(&self) -> NaiveDate {
        let changed = self.dirty_from.map(crate::publish::partition::month_of);
        changed.map_or(self.current_month, |c| c.min(self.current_month))
    }
}

/// What a write touched, as far as partitions go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Touched {
    /// No row of any partitioned table (or nothing they are derived from).
    #[default]
    Nothing,
    /// Rows placed from this time on.
    From(NaiveDateTime),
    /// Rows of any time: every month's digest is due.
    Unknown,
}

impl Touched {
    /// Both writes' reach.
    pub fn and(self, other: Touched) -> Touched {
        match (self, other) {
            (Touched::Unknown, _) | (_, Touched::Unknown) => Touched::Unknown,
            (Touched::Nothing, x) | (x, Touched::Nothing) => x,
            (Touched::From(a), Touched::From(b)) => Touched::From(a.min(b)),
        }
    }

    /// Record it in the writer's transaction.
    pub fn note(self, conn: &Connection) -> duckdb::Result<()> {
        match self {
            Touched::Nothing => Ok(()),
            Touched::From(t) => note_change(conn, t),
            Touched::Unknown => forget(conn),
        }
    }
}

/// Note that rows from `since` on were written (in the writer's transaction).
pub fn note_change(conn: &Connection, since: NaiveDateTime) -> duckdb::Result<()> {
    conn.execute(
        "UPDATE publish_marks SET dirty_from = least(coalesce(dirty_from, ?1), ?1)",
        params![since],
    )?;
    Ok(())
}

/// Note a change whose extent is unknown: the next publish digests every month.
pub fn forget(conn: &Connection) -> duckdb::Result<()> {
    conn.execute_batch("DELETE FROM publish_marks")
}

/// The mark of the folder `out_dir`, if the store published there.
pub fn get(conn: &Connection, out_dir: &str) -> duckdb::Result<Option<Mark>> {
    conn.query_row(
        "SELECT tag, generated_at, current_month, dirty_from FROM publish_marks WHERE out_dir = ?",
        params![out_dir],
        |r| {
            Ok(Mark {
                tag: r.get(0)?,
                generated_at: r.get(1)?,
                current_month: r.get(2)?,
                dirty_from: r.get(3)?,
            })
        },
    )
    .optional()
}

/// Record a finished publish into `out_dir`: nothing has changed since.
pub fn record(conn: &Connection, out_dir: &str, mark: &Mark) -> duckdb::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO publish_marks VALUES (?, ?, ?, ?, ?)",
        params![
            out_dir,
            mark.tag,
            mark.generated_at,
            mark.current_month,
            mark.dirty_from
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time")
    }

    #[test]
    fn the_earliest_change_wins_and_forgetting_drops_every_mark() {
        let conn = Connection::open_in_memory().expect("db");
        conn.execute_batch(MARKS_DDL).expect("ddl");
        let clean = Mark {
            tag: "names as collected".into(),
            generated_at: "2026-12-02T10:00:00Z".into(),
            current_month: NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
            dirty_from: None,
        };
        record(&conn, "/srv/a", &clean).expect("record");
        assert_eq!(get(&conn, "/srv/a").expect("get"), Some(clean.clone()));
        assert_eq!(clean.first_changed_month(), clean.current_month);
        note_change(&conn, at("2026-12-02 10:01")).expect("note");
        note_change(&conn, at("2026-11-30 23:59")).expect("note");
        note_change(&conn, at("2026-12-02 10:02")).expect("note");
        let dirty = get(&conn, "/srv/a").expect("get").expect("mark");
        assert_eq!(dirty.dirty_from, Some(at("2026-11-30 23:59")));
        assert_eq!(
            dirty.first_changed_month(),
            NaiveDate::from_ymd_opt(2026, 11, 1).expect("date")
        );
        assert_eq!(get(&conn, "/srv/b").expect("get"), None);
        forget(&conn).expect("forget");
        assert_eq!(get(&conn, "/srv/a").expect("get"), None);
    }
}
