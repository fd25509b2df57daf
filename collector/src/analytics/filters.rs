//! The site's global filters as they live in the URL: the date range, the date presets and
//! the name filters (server, vendor, feature, department, team, cluster, user), read from and
//! written to URL parameters. The SQL they become is built in [`crate::analytics::query`].

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate, TimeDelta};

/// The global filters every page shares; all live in the URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// First and last day (UTC), inclusive.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub server: Option<String>,
    pub vendor: Option<String>,
    pub feature: Option<String>,
    pub department: Option<String>,
    pub team: Option<String>,
    pub cluster: Option<String>,
    pub user: Option<String>,
}

/// Names of the URL parameters of [`Filters`], in display order.
pub const FILTER_KEYS: [&str; 9] = [
    "from",
    "to",
    "server",
    "vendor",
    "feature",
    "department",
    "team",
    "cluster",
    "user",
];

/// A URL parameter that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("URL parameter `{key}`: {message}")]
pub struct BadParam {
    pub key: String,
    pub message: String,
}

impl Filters {
    /// Read filters from URL parameters. Unknown keys are ignored (other features of the
    /// page use them); a malformed date is an error naming the parameter.
    pub fn from_params(params: &BTreeMap<String, String>) -> Result<Self, BadParam> {
        let text = |key: &str| {
            params
                .get(key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let date = |key: &str| -> Result<Option<NaiveDate>, BadParam> {
            text(key)
                .map(|v| {
                    NaiveDate::parse_from_str(&v, "%Y-%m-%d").map_err(|_| BadParam {
                        key: key.to_owned(),
                        message: format!("`{v}` is not a date like 2026-03-01"),
                    })
                })
                .transpose()
        };
        let f = Self {
            from: date("from")?,
            to: date("to")?,
            server: text("server"),
            vendor: text("vendor"),
            feature: text("feature"),
            department: text("department"),
            team: text("team"),
            cluster: text("cluster"),
            user: text("user"),
        };
        if let (Some(a), Some(b)) = (f.from, f.to) {
            if a > b {
                return Err(BadParam {
                    key: "from".to_owned(),
                    message: format!("{a} is after `to` {b}"),
                });
            }
        }
        Ok(f)
    }

    /// The filters as URL parameters (only those set).
    pub fn to_params(&self) -> Vec<(&'static str, String)> {
        let date = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
        [
            ("from", date(self.from)),
            ("to", date(self.to)),
            ("server", self.server.clone()),
            ("vendor", self.vendor.clone()),
            ("feature", self.feature.clone()),
            ("department", self.department.clone()),
            ("team", self.team.clone()),
            ("cluster", self.cluster.clone()),
            ("user", self.user.clone()),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect()
    }

    /// The date range in force: the given one, or the 30 days up to `latest`.
    pub fn range(&self, latest: NaiveDate) -> (NaiveDate, NaiveDate) {
        let to = self.to.unwrap_or(latest);
        let from = self.from.unwrap_or(to - TimeDelta::days(29));
        (from, to)
    }
}

/// Date range presets offered next to the date inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Today,
    Days7,
    Days30,
    Quarter,
    Year,
}

impl Preset {
    pub const ALL: [Preset; 5] = [
        Preset::Today,
        Preset::Days7,
        Preset::Days30,
        Preset::Quarter,
        Preset::Year,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Preset::Today => "Today",
            Preset::Days7 => "7 d",
            Preset::Days30 => "30 d",
            Preset::Quarter => "Quarter",
            Preset::Year => "Year",
        }
    }

    /// The range ending on `latest` (the day of the newest data).
    pub fn range(self, latest: NaiveDate) -> (NaiveDate, NaiveDate) {
        let from = match self {
            Preset::Today => latest,
            Preset::Days7 => latest - TimeDelta::days(6),
            Preset::Days30 => latest - TimeDelta::days(29),
            Preset::Quarter => {
                let month0 = (latest.month0() / 3) * 3;
                NaiveDate::from_ymd_opt(latest.year(), month0 + 1, 1).unwrap_or(latest)
            }
            Preset::Year => latest
                .checked_sub_months(Months::new(12))
                .map_or(latest, |d| d + TimeDelta::days(1)),
        };
        (from, latest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn filters_round_trip_through_the_url() {
        let f = Filters::from_params(&params(&[
            ("from", "2026-10-01"),
            ("to", "2026-10-31"),
            ("department", "chip"),
            ("user", "o'brien\"; DROP TABLE x; --"),
            ("page", "users"),
        ]))
        .expect("valid");
        assert_eq!(f.department.as_deref(), Some("chip"));
        let back: BTreeMap<String, String> = f
            .to_params()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        assert_eq!(Filters::from_params(&back), Ok(f));
    }

    #[test]
    fn bad_dates_name_the_parameter() {
        let e = Filters::from_params(&params(&[("from", "yesterday")])).expect_err("bad");
        assert_eq!(e.key, "from");
        assert!(e.to_string().contains("yesterday"));
        let e = Filters::from_params(&params(&[("from", "2026-10-05"), ("to", "2026-10-01")]))
            .expect_err("reversed");
        assert!(e.to_string().contains("after"));
    }

    #[test]
    fn presets_end_on_the_latest_day() {
        let latest = NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        assert_eq!(Preset::Today.range(latest), (latest, latest));
        assert_eq!(Preset::Days7.range(latest).0, d(2026, 11, 14));
        assert_eq!(Preset::Quarter.range(latest).0, d(2026, 10, 1));
        assert_eq!(Preset::Year.range(latest).0, d(2025, 11, 21));
        assert_eq!(Filters::default().range(latest), (d(2026, 10, 22), latest));
    }
}
