//! FlexLM prints checkout starts without a year (`start Fri 10/20 14:12`). This module
//! puts the year back, from the poll time, across New Year and leap days.

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta, Weekday};
use serde::Serialize;

/// A start time as lmstat prints it: weekday, month, day, hour, minute; no year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StartStamp {
    pub weekday: Option<Weekday>,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
}

/// `Mon` → Monday; anything else → `None`.
pub fn weekday_from_abbrev(s: &str) -> Option<Weekday> {
    Some(match s.get(..3)? {
        "Mon" => Weekday::Mon,
        "Tue" => Weekday::Tue,
        "Wed" => Weekday::Wed,
        "Thu" => Weekday::Thu,
        "Fri" => Weekday::Fri,
        "Sat" => Weekday::Sat,
        "Sun" => Weekday::Sun,
        _ => return None,
    })
}

/// How far a start may lie after the poll time and still count as "this year"
/// (clock skew between lmstat's host and the license server).
const SKEW: TimeDelta = TimeDelta::days(1);
/// How many years back a checkout may have started (long borrows).
const MAX_YEARS_BACK: i32 = 6;

/// The full start time: the latest year, not after the poll (give or take [`SKEW`]),
/// whose date exists and, when the weekday is printed, falls on that weekday. Falls back to
/// the latest existing date when no year matches the weekday.
pub fn infer_start(stamp: &StartStamp, polled_at: NaiveDateTime) -> Option<NaiveDateTime> {
    let candidate = |year: i32| {
        NaiveDate::from_ymd_opt(year, stamp.month, stamp.day)
            .and_then(|d| d.and_hms_opt(stamp.hour, stamp.minute, 0))
            .filter(|t| *t <= polled_at + SKEW)
    };
    let base = polled_at.year();
    let years = || (0..=MAX_YEARS_BACK).map(|back| base - back);
    if let Some(weekday) = stamp.weekday {
        if let Some(t) = years()
            .filter_map(candidate)
            .find(|t| t.weekday() == weekday)
        {
            return Some(t);
        }
    }
    years().find_map(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, mi, 0))
            .expect("valid test date")
    }

    fn stamp(w: &str, m: u32, d: u32, h: u32, mi: u32) -> StartStamp {
        StartStamp {
            weekday: weekday_from_abbrev(w),
            month: m,
            day: d,
            hour: h,
            minute: mi,
        }
    }

    #[test]
    fn same_year() {
        let t = infer_start(&stamp("Fri", 10, 20, 14, 12), at(2017, 10, 20, 17, 2));
        assert_eq!(t, Some(at(2017, 10, 20, 14, 12)));
    }

    #[test]
    fn across_new_year() {
        // Polled on 2 January 2025; a checkout from Tue 12/31 is from 2024.
        let t = infer_start(&stamp("Tue", 12, 31, 23, 50), at(2025, 1, 2, 9, 0));
        assert_eq!(t, Some(at(2024, 12, 31, 23, 50)));
    }

    #[test]
    fn leap_day_goes_back_to_a_leap_year() {
        // Thu 2/29 polled in March 2025 → 2024 (a Thursday).
        let t = infer_start(&stamp("Thu", 2, 29, 8, 0), at(2025, 3, 1, 8, 0));
        assert_eq!(t, Some(at(2024, 2, 29, 8, 0)));
    }

    #[test]
    fn weekday_picks_an_older_year() {
        // Wed 5/23 polled on 2019-06-01: 2018-05-23 was a Wednesday, 2019-05-23 a Thursday.
        let t = infer_start(&stamp("Wed", 5, 23, 5, 59), at(2019, 6, 1, 0, 0));
        assert_eq!(t, Some(at(2018, 5, 23, 5, 59)));
    }

    #[test]
    fn small_clock_skew_stays_in_this_year() {
        let t = infer_start(&stamp("", 3, 11, 22, 36), at(2024, 3, 11, 22, 30));
        assert_eq!(t, Some(at(2024, 3, 11, 22, 36)));
    }
}
