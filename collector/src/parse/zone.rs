//! License servers print local time. A [`Zone`] converts it to UTC: a fixed offset
//! (`+01:00`) or an IANA zone (`Europe/Berlin`) whose offset follows daylight saving.

use std::fmt;
use std::str::FromStr;

use chrono::{FixedOffset, NaiveDateTime, Offset, TimeDelta, TimeZone};

/// The time zone a license server's clock runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    Fixed(FixedOffset),
    Named(chrono_tz::Tz),
}

impl Zone {
    /// UTC.
    pub const UTC: Zone = Zone::Named(chrono_tz::UTC);

    /// Convert a server-local time to UTC. In the hour that repeats when clocks go back
    /// the earlier instant is taken; a time inside the hour skipped when clocks go forward
    /// (which a correct clock never prints) is read with the offset in force just before.
    pub fn to_utc(&self, local: NaiveDateTime) -> NaiveDateTime {
        match self {
            Zone::Fixed(offset) => local - TimeDelta::seconds(i64::from(offset.local_minus_utc())),
            Zone::Named(tz) => match tz.from_local_datetime(&local).earliest() {
                Some(t) => t.naive_utc(),
                None => {
                    let before = local - TimeDelta::hours(3);
                    let offset = tz
                        .from_local_datetime(&before)
                        .earliest()
                        .map_or(0, |t| t.offset().fix().local_minus_utc());
                    local - TimeDelta::seconds(i64::from(offset))
                }
            },
        }
    }
}

impl FromStr for Zone {
    type Err = String;

    /// `UTC`, `+01:00`, `-0530`, or an IANA name such as `America/New_York`.
    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.starts_with(['+', '-']) {
            return text.parse::<FixedOffset>().map(Zone::Fixed).map_err(|_| {
                format!("`{text}` is not an offset like +01:00 or an IANA zone like Europe/Berlin")
            });
        }
        text.parse::<chrono_tz::Tz>().map(Zone::Named).map_err(|_| {
            format!("`{text}` is not an IANA time zone like Europe/Berlin or an offset like +01:00")
        })
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Zone::Fixed(offset) => write!(f, "{offset}"),
            Zone::Named(tz) => write!(f, "{}", tz.name()),
        }
    }
}

impl Default for Zone {
    fn default() -> Self {
        Zone::UTC
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("valid")
    }

    #[test]
    fn named_zones_follow_daylight_saving() {
        let berlin: Zone = "Europe/Berlin".parse().expect("known zone");
        assert_eq!(berlin.to_utc(t("2026-01-15 10:00")), t("2026-01-15 09:00"));
        assert_eq!(berlin.to_utc(t("2026-07-15 10:00")), t("2026-07-15 08:00"));
        // 2026-10-25 02:30 happens twice in Berlin: the first (summer time) is taken.
        assert_eq!(berlin.to_utc(t("2026-10-25 02:30")), t("2026-10-25 00:30"));
        // 2026-03-29 02:30 does not exist; read with the winter offset.
        assert_eq!(berlin.to_utc(t("2026-03-29 02:30")), t("2026-03-29 01:30"));
        let ny: Zone = "America/New_York".parse().expect("known zone");
        assert_eq!(ny.to_utc(t("2026-11-23 09:00")), t("2026-11-23 14:00"));
    }

    #[test]
    fn fixed_offsets_and_errors() {
        let z: Zone = "-05:00".parse().expect("offset");
        assert_eq!(z.to_utc(t("2026-07-15 10:00")), t("2026-07-15 15:00"));
        assert_eq!("UTC".parse::<Zone>(), Ok(Zone::UTC));
        assert_eq!(z.to_string(), "-05:00");
        assert_eq!(Zone::UTC.to_string(), "UTC");
        let err = "Mars/Olympus".parse::<Zone>().expect_err("unknown");
        assert!(err.contains("Mars/Olympus"), "{err}");
        assert!("+25:00".parse::<Zone>().is_err());
    }
}
