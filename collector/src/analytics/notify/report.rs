//! A subscription's report: the view (the site's URL query) read with the site's own filter
//! code, the grouped query its page shows (the same SQL the site runs), and the e-mail made
//! of its rows: key figures, a table, charts (drawn natively, `chart`) and a link back to
//! the live view. Pure: rows in, text out; the queries run at the edge.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate, TimeDelta};

use super::payload::{html_escape, link};
use crate::analytics::filters::{BadParam, Filters, Preset};
use crate::analytics::query::{Dimension, Measure};

/// The site's view a subscription names: its page and filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub page: String,
    pub filters: Filters,
}

/// Decode a URL query component (`%XX` and `+`); a `%` not followed by two hex digits
/// stays as it is.
pub fn decode(text: &str) -> String {
    let hex = |b: u8| {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let pair = bytes
            .get(i + 1)
            .and_then(|a| hex(*a))
            .zip(bytes.get(i + 2).and_then(|b| hex(*b)));
        match (bytes[i], pair) {
            (b'+', _) => out.push(b' '),
            (b'%', Some((hi, lo))) => {
                out.push(hi * 16 + lo);
                i += 2;
            }
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A URL query (`?a=1&b=x%20y`, the `?` optional) as decoded pairs, in order.
pub fn query_params(query: &str) -> Vec<(String, String)> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

impl View {
    /// Read `?page=departments&department=chip…` as the site would.
    pub fn parse(query: &str) -> Result<Self, BadParam> {
        let params: BTreeMap<String, String> = query_params(query).into_iter().collect();
        Ok(View {
            page: params
                .get("page")
                .cloned()
                .unwrap_or_else(|| "overview".to_owned()),
            filters: Filters::from_params(&params)?,
        })
    }

    /// What the page's report shows: a title, the grouping and the measures.
    pub fn spec(&self) -> Spec {
        let usage = [
            Measure::LicenseHours,
            Measure::Cost,
            Measure::Users,
            Measure::Share,
        ];
        let (title, dim, measures): (&str, Dimension, Vec<Measure>) = match self.page.as_str() {
            "teams" => ("License use by team", Dimension::Team, usage.to_vec()),
            "users" => (
                "License use by user",
                Dimension::User,
                vec![
                    Measure::LicenseHours,
                    Measure::Cost,
                    Measure::Features,
                    Measure::Sessions,
                ],
            ),
            "clusters" => (
                "License use by cluster",
                Dimension::Cluster,
                vec![
                    Measure::LicenseHours,
                    Measure::Users,
                    Measure::Sessions,
                    Measure::Share,
                ],
            ),
            "features" => (
                "License use by feature",
                Dimension::Feature,
                vec![
                    Measure::LicenseHours,
                    Measure::PeakLicenses,
                    Measure::Users,
                    Measure::Cost,
                ],
            ),
            "me" => (
                "Your license use",
                Dimension::Feature,
                vec![
                    Measure::LicenseHours,
                    Measure::Hours,
                    Measure::Sessions,
                    Measure::Cost,
                ],
            ),
            "departments" => (
                "License use by department",
                Dimension::Department,
                usage.to_vec(),
            ),
            "costs" => (
                "License cost by department",
                Dimension::Department,
                usage.to_vec(),
            ),
            "summary" => ("Executive summary", Dimension::Department, usage.to_vec()),
            "alerts" => (
                "Alerts, and use by department",
                Dimension::Department,
                usage.to_vec(),
            ),
            "recommendations" => (
                "Recommendations, and use by feature",
                Dimension::Feature,
                vec![
                    Measure::LicenseHours,
                    Measure::PeakLicenses,
                    Measure::Users,
                    Measure::Cost,
                ],
            ),
            _ => (
                "License use by department",
                Dimension::Department,
                usage.to_vec(),
            ),
        };
        Spec {
            title: title.to_owned(),
            dim,
            measures,
            alerts: matches!(self.page.as_str(), "summary" | "alerts"),
            recommendations: matches!(self.page.as_str(), "summary" | "recommendations"),
        }
    }
}

/// Pages a subscription can e-mail: those whose figures are grouped usage, costs, alerts
/// or recommendations. (Charts over time and forecasts stay on the site.)
pub const MAILABLE_PAGES: [&str; 10] = [
    "departments",
    "teams",
    "users",
    "clusters",
    "features",
    "me",
    "costs",
    "summary",
    "alerts",
    "recommendations",
];

/// Whether a view's page can be e-mailed; the error says which can.
pub fn check_page(page: &str) -> Result<(), String> {
    if MAILABLE_PAGES.contains(&page) {
        Ok(())
    } else {
        Err(format!(
            "page `{page}` cannot be e-mailed; use one of {}",
            MAILABLE_PAGES.join(", ")
        ))
    }
}

/// The grouped query behind a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    pub title: String,
    pub dim: Dimension,
    pub measures: Vec<Measure>,
    /// Also list the alerts firing at the end of the range.
    pub alerts: bool,
    /// Also list what to change (cut, move, add, reserve seats).
    pub recommendations: bool,
}

/// Lines of a section shown in an e-mail; the rest are on the site.
pub const SECTION_LINES: usize = 12;

impl Section {
    /// `… and N more on the site`, when the section is longer than an e-mail shows.
    pub fn more(&self) -> Option<String> {
        let n = self
            .lines
            .len()
            .checked_sub(SECTION_LINES)
            .filter(|n| *n > 0)?;
        Some(format!("… and {n} more in the live view"))
    }
}

/// A list under the table: the alerts firing, the recommendations.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub heading: String,
    /// Each line's text and, when the site's address is known, its link.
    pub lines: Vec<(String, Option<String>)>,
}

/// The days a report covers: `range` (a subscription's), else the view's dates, else the
/// 30 days up to `latest` (the newest data's day).
pub fn days(
    range: Option<&str>,
    filters: &Filters,
    latest: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), String> {
    let preset = |p: Preset| Ok(p.range(latest));
    match range {
        None => Ok(filters.range(latest)),
        Some("7d") => preset(Preset::Days7),
        Some("30d") => preset(Preset::Days30),
        Some("quarter") => preset(Preset::Quarter),
        Some("year") => preset(Preset::Year),
        Some("last_week") => {
            let monday =
                latest - TimeDelta::days(i64::from(latest.weekday().num_days_from_monday()));
            Ok((monday - TimeDelta::days(7), monday - TimeDelta::days(1)))
        }
        Some("last_month") => {
            let first = latest.with_day(1).unwrap_or(latest);
            let before = first.checked_sub_months(Months::new(1)).unwrap_or(first);
            Ok((before, first - TimeDelta::days(1)))
        }
        Some(other) => Err(format!(
            "range `{other}`: use 7d, 30d, quarter, year, last_week or last_month"
        )),
    }
}

/// A report ready to render.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub name: String,
    pub spec: Spec,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub currency: String,
    /// One row per group: its name and the measures, largest first.
    pub rows: Vec<(String, Vec<f64>)>,
    /// License-hours per day over the range.
    pub daily: Vec<(NaiveDate, f64)>,
    /// The live view, when the site's address is known.
    pub link: Option<String>,
    /// Lists under the table (alerts, recommendations), when the page has them.
    pub sections: Vec<Section>,
}

impl Report {
    /// A measure's value as the site shows it.
    pub fn cell(&self, m: Measure, v: f64) -> String {
        match m {
            Measure::Cost => crate::format::money(v, &self.currency, 0),
            Measure::Share => format!("{} %", crate::format::grouped(v, 1)),
            Measure::LicenseHours | Measure::Hours => crate::format::grouped(v, 1),
            _ => crate::format::grouped(v, 0),
        }
    }

    /// Key figures: totals of the additive measures over the groups.
    pub fn figures(&self) -> Vec<(String, String)> {
        let total = |m: Measure| {
            self.spec.measures.iter().position(|x| *x == m).map(|i| {
                self.rows
                    .iter()
                    .map(|(_, v)| v.get(i).copied().unwrap_or(0.0))
                    .sum::<f64>()
            })
        };
        let mut out = vec![(
            format!("{}s", self.spec.dim.label()),
            crate::format::grouped(self.rows.len() as f64, 0),
        )];
        for m in [
            Measure::LicenseHours,
            Measure::Cost,
            Measure::Sessions,
            Measure::Hours,
        ] {
            if let Some(t) = total(m) {
                out.push((m.label().to_owned(), self.cell(m, t)));
            }
        }
        for s in &self.sections {
            out.push((
                s.heading.clone(),
                crate::format::grouped(s.lines.len() as f64, 0),
            ));
        }
        out
    }

    /// The subject line.
    pub fn subject(&self) -> String {
        format!("lmscope: {} ({} to {})", self.name, self.from, self.to)
    }

    /// The plain-text part.
    pub fn text(&self, top: usize) -> String {
        let mut out = format!(
            "{}\n{}, {} to {}\n\n",
            self.name, self.spec.title, self.from, self.to
        );
        for (k, v) in self.figures() {
            out.push_str(&format!("{k}: {v}\n"));
        }
        out.push('\n');
        for (name, values) in self.rows.iter().take(top) {
            let cells: Vec<String> = self
                .spec
                .measures
                .iter()
                .zip(values)
                .map(|(m, v)| format!("{} {}", m.label(), self.cell(*m, *v)))
                .collect();
            out.push_str(&format!("- {name}: {}\n", cells.join(", ")));
        }
        for section in &self.sections {
            out.push_str(&format!("\n{}:\n", section.heading));
            if section.lines.is_empty() {
                out.push_str("- none\n");
            }
            for (line, link) in section.lines.iter().take(SECTION_LINES) {
                out.push_str(&format!("- {line}\n"));
                if let Some(l) = link {
                    out.push_str(&format!("  {l}\n"));
                }
            }
            if let Some(more) = section.more() {
                out.push_str(&format!("- {more}\n"));
            }
        }
        if let Some(l) = &self.link {
            out.push_str(&format!("\nThe live view: {l}\n"));
        }
        out
    }

    /// The HTML part; `charts` are the content ids of the inline images (bars, daily).
    pub fn html(&self, top: usize, charts: &[&str]) -> String {
        let e = html_escape;
        let figures: String = self
            .figures()
            .iter()
            .map(|(k, v)| {
                format!(
                    "<td style=\"padding:8px 16px;border:1px solid #ddd\"><div style=\"color:#666;font-size:12px\">{}</div>\
                     <div style=\"font-size:20px;font-weight:bold\">{}</div></td>",
                    e(k),
                    e(v)
                )
            })
            .collect();
        let head: String = std::iter::once(self.spec.dim.label())
            .chain(self.spec.measures.iter().map(|m| m.label()))
            .map(|h| {
                format!(
                    "<th style=\"text-align:left;padding:4px 8px\">{}</th>",
                    e(h)
                )
            })
            .collect();
        let body: String = self
            .rows
            .iter()
            .take(top)
            .map(|(name, values)| {
                let cells: String = self
                    .spec
                    .measures
                    .iter()
                    .zip(values)
                    .map(|(m, v)| {
                        format!(
                            "<td style=\"text-align:right;padding:4px 8px\">{}</td>",
                            e(&self.cell(*m, *v))
                        )
                    })
                    .collect();
                format!(
                    "<tr><td style=\"padding:4px 8px\">{}</td>{cells}</tr>",
                    e(name)
                )
            })
            .collect();
        let images: String = charts
            .iter()
            .map(|cid| {
                format!(
                    "<p><img src=\"cid:{}\" alt=\"chart\" style=\"max-width:100%\"></p>",
                    e(cid)
                )
            })
            .collect();
        let sections: String = self
            .sections
            .iter()
            .map(|section| {
                let items: String = if section.lines.is_empty() {
                    "<li>none</li>".to_owned()
                } else {
                    section
                        .lines
                        .iter()
                        .take(SECTION_LINES)
                        .map(|(line, link)| match link {
                            Some(l) => format!("<li><a href=\"{}\">{}</a></li>", e(l), e(line)),
                            None => format!("<li>{}</li>", e(line)),
                        })
                        .collect::<String>()
                        + &section
                            .more()
                            .map(|m| format!("<li>{}</li>", e(&m)))
                            .unwrap_or_default()
                };
                format!("<h3>{}</h3><ul>{items}</ul>", e(&section.heading))
            })
            .collect();
        let link = self.link.as_ref().map_or_else(String::new, |l| {
            format!("<p><a href=\"{}\">Open the live view</a></p>", e(l))
        });
        format!(
            "<!doctype html><html><body style=\"font-family:sans-serif\">\
             <h2>{}</h2><p>{}, {} to {}</p><table style=\"border-collapse:collapse\"><tr>{figures}</tr></table>\
             {images}<table style=\"border-collapse:collapse\"><tr>{head}</tr>{body}</table>{sections}{link}</body></html>",
            e(&self.name),
            e(&self.spec.title),
            self.from,
            self.to
        )
    }
}

/// The live view's address: the subscription's view with the report's days.
pub fn view_link(site: &str, query: &str, from: NaiveDate, to: NaiveDate) -> String {
    let mut params: Vec<(String, String)> = query_params(query)
        .into_iter()
        .filter(|(k, _)| k != "from" && k != "to")
        .collect();
    params.push(("from".to_owned(), from.to_string()));
    params.push(("to".to_owned(), to.to_string()));
    let refs: Vec<(&str, String)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    link(site, &refs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("day")
    }

    #[test]
    fn views_read_as_the_site_reads_them() {
        let v = View::parse("?page=me&user=o%27brien+x&from=2026-11-01&to=2026-11-07").expect("ok");
        assert_eq!(v.page, "me");
        assert_eq!(v.filters.user.as_deref(), Some("o'brien x"));
        assert_eq!(v.spec().dim, Dimension::Feature);
        let e = View::parse("?page=users&from=soon").expect_err("bad date");
        assert_eq!(e.key, "from");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%4"), "%4");
    }

    #[test]
    fn ranges_end_on_the_newest_data() {
        let latest = day("2026-11-20"); // a Friday
        let f = Filters::default();
        assert_eq!(
            days(Some("last_week"), &f, latest),
            Ok((day("2026-11-09"), day("2026-11-15")))
        );
        assert_eq!(
            days(Some("last_month"), &f, latest),
            Ok((day("2026-10-01"), day("2026-10-31")))
        );
        assert_eq!(
            days(Some("7d"), &f, latest),
            Ok((day("2026-11-14"), latest))
        );
        assert_eq!(days(None, &f, latest), Ok((day("2026-10-22"), latest)));
        assert!(days(Some("fortnight"), &f, latest).is_err());
        assert_eq!(
            view_link(
                "https://x/site/",
                "?page=departments&from=2020-01-01",
                day("2026-10-01"),
                day("2026-10-31")
            ),
            "https://x/site/?page=departments&from=2026-10-01&to=2026-10-31"
        );
    }
}
