//! Subscription schedules: `daily`, `weekly on monday`, `monthly on 1`, each optionally
//! `at HH:MM`, in a time zone; and which occurrence is due at a given instant.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// How often a subscription is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    Day,
    Week(Weekday),
    /// Day of the month, 1 to 31; past a month's end, its last day.
    Month(u32),
}

/// A parsed schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub every: Every,
    pub at: NaiveTime,
    pub zone: Tz,
}

/// Why a schedule cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("schedule `{text}`: {message}")]
pub struct ScheduleError {
    pub text: String,
    pub message: String,
}

const DEFAULT_AT: (u32, u32) = (7, 0);

impl Schedule {
    /// Read `daily [at HH:MM]`, `weekly on DAY [at HH:MM]`, `monthly on N [at HH:MM]` in
    /// `zone` (an IANA name; UTC when `None`).
    pub fn parse(text: &str, zone: Option<&str>) -> Result<Self, ScheduleError> {
        let err = |message: &str| ScheduleError {
            text: text.to_owned(),
            message: message.to_owned(),
        };
        let zone: Tz = match zone {
            None => Tz::UTC,
            Some(z) => z
                .parse()
                .map_err(|_| err(&format!("unknown time zone `{z}`")))?,
        };
        let lower = text.trim().to_ascii_lowercase();
        let (what, at) = match lower.split_once(" at ") {
            Some((w, t)) => {
                let at = NaiveTime::parse_from_str(t.trim(), "%H:%M")
                    .map_err(|_| err("the time after `at` must be HH:MM, like 07:30"))?;
                (w.trim().to_owned(), at)
            }
            None => (
                lower.clone(),
                NaiveTime::from_hms_opt(DEFAULT_AT.0, DEFAULT_AT.1, 0).unwrap_or(NaiveTime::MIN),
            ),
        };
        let words: Vec<&str> = what.split_whitespace().collect();
        let every =
            match words.as_slice() {
                ["daily"] => Every::Day,
                ["weekly", "on", day] => Every::Week(
                    day.parse::<Weekday>()
                        .map_err(|_| err(&format!("`{day}` is not a day of the week")))?,
                ),
                ["monthly", "on", n] => match n.parse::<u32>() {
                    Ok(d @ 1..=31) => Every::Month(d),
                    _ => return Err(err("the day of the month must be 1 to 31")),
                },
                _ => return Err(err(
                    "expected `daily`, `weekly on monday` or `monthly on 1`, optionally `at 07:30`",
                )),
            };
        Ok(Schedule { every, at, zone })
    }

    /// Whether the schedule falls on this local date.
    fn on(&self, day: NaiveDate) -> bool {
        match self.every {
            Every::Day => true,
            Every::Week(w) => day.weekday() == w,
            Every::Month(d) => day.day() == d.min(last_day(day)),
        }
    }

    /// The instant of the occurrence on a local date: `at` there; a time skipped by a
    /// daylight-saving change moves on by the hour skipped.
    fn instant(&self, day: NaiveDate) -> DateTime<Utc> {
        let local = day.and_time(self.at);
        let mut t = local;
        for _ in 0..3 {
            if let Some(x) = self.zone.from_local_datetime(&t).earliest() {
                return x.with_timezone(&Utc);
            }
            t += Duration::hours(1);
        }
        Utc.from_utc_datetime(&local)
    }

    /// The latest occurrence at or before `now`.
    pub fn latest(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let today = now.with_timezone(&self.zone).date_naive();
        (0..=62)
            .filter_map(|back| today.checked_sub_signed(Duration::days(back)))
            .filter(|d| self.on(*d))
            .map(|d| self.instant(d))
            .find(|t| *t <= now)
    }

    /// The occurrence due at `now`, if one is: the latest, unless it was sent (`sent`, the
    /// occurrence last sent).
    pub fn due(&self, now: DateTime<Utc>, sent: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        self.latest(now).filter(|t| sent.is_none_or(|s| *t > s))
    }
}

fn last_day(day: NaiveDate) -> u32 {
    let (y, m) = if day.month() == 12 {
        (day.year() + 1, 1)
    } else {
        (day.year(), day.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.pred_opt())
        .map_or(28, |d| d.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        Utc.from_utc_datetime(
            &chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time"),
        )
    }

    #[test]
    fn reads_the_three_forms_and_names_what_is_wrong() {
        let s = Schedule::parse("weekly on Monday at 08:15", Some("Europe/Berlin")).expect("ok");
        assert_eq!(s.every, Every::Week(Weekday::Mon));
        assert_eq!(s.at, NaiveTime::from_hms_opt(8, 15, 0).expect("time"));
        assert_eq!(
            Schedule::parse("monthly on 31", None).expect("ok").every,
            Every::Month(31)
        );
        assert_eq!(
            Schedule::parse("daily", None).expect("ok").every,
            Every::Day
        );
        for (bad, says) in [
            ("weekly on someday", "`someday`"),
            ("monthly on 32", "1 to 31"),
            ("daily at 7", "HH:MM"),
            ("hourly", "expected"),
        ] {
            let e = Schedule::parse(bad, None).expect_err(bad);
            assert!(e.to_string().contains(says), "{e}");
        }
        let e = Schedule::parse("daily", Some("Mars/Olympus")).expect_err("zone");
        assert!(e.to_string().contains("Mars/Olympus"), "{e}");
    }

    #[test]
    fn weekly_is_due_once_at_its_hour_in_its_zone() {
        // 2026-11-30 is a Monday; 08:00 in Berlin (UTC+1 in winter) is 07:00 UTC.
        let s = Schedule::parse("weekly on monday at 08:00", Some("Europe/Berlin")).expect("ok");
        let before = utc("2026-11-30 06:59");
        assert_eq!(s.latest(before), Some(utc("2026-11-23 07:00")));
        assert_eq!(s.due(before, Some(utc("2026-11-23 07:00"))), None);
        let at = utc("2026-11-30 07:00");
        assert_eq!(s.due(at, Some(utc("2026-11-23 07:00"))), Some(at));
        assert_eq!(
            s.due(utc("2026-12-03 12:00"), Some(at)),
            None,
            "sent already"
        );
        assert_eq!(
            s.due(utc("2026-12-07 07:00"), Some(at)),
            Some(utc("2026-12-07 07:00"))
        );
        // In summer Berlin is UTC+2.
        assert_eq!(
            s.latest(utc("2026-07-06 06:30")),
            Some(utc("2026-07-06 06:00"))
        );
    }

    #[test]
    fn monthly_past_the_end_of_a_month_falls_on_its_last_day() {
        let s = Schedule::parse("monthly on 31 at 00:00", None).expect("ok");
        assert_eq!(
            s.latest(utc("2026-03-01 12:00")),
            Some(utc("2026-02-28 00:00"))
        );
        assert_eq!(
            s.latest(utc("2028-03-01 12:00")),
            Some(utc("2028-02-29 00:00"))
        );
        assert_eq!(
            s.latest(utc("2026-05-15 00:00")),
            Some(utc("2026-04-30 00:00"))
        );
        assert_eq!(
            s.latest(utc("2026-01-31 00:00")),
            Some(utc("2026-01-31 00:00"))
        );
        let first = Schedule::parse("monthly on 1", None).expect("ok");
        assert_eq!(
            first.latest(utc("2027-01-01 06:59")),
            Some(utc("2026-12-01 07:00"))
        );
        assert_eq!(
            first.latest(utc("2027-01-01 07:00")),
            Some(utc("2027-01-01 07:00"))
        );
    }

    #[test]
    fn a_time_skipped_by_daylight_saving_moves_to_the_next_hour() {
        // New York skipped 02:00–03:00 on 2026-03-08.
        let s = Schedule::parse("daily at 02:30", Some("America/New_York")).expect("ok");
        assert_eq!(
            s.latest(utc("2026-03-08 12:00")),
            Some(utc("2026-03-08 07:30"))
        );
        assert_eq!(
            s.latest(utc("2026-03-09 12:00")),
            Some(utc("2026-03-09 06:30"))
        );
        // 01:30 happens twice on 2026-11-01: the first one counts.
        let s = Schedule::parse("daily at 01:30", Some("America/New_York")).expect("ok");
        assert_eq!(
            s.latest(utc("2026-11-01 12:00")),
            Some(utc("2026-11-01 05:30"))
        );
    }
}
