//! Parser for `lmutil lmstat -i`: the license file's features, versions, counts and expiry
//! dates (entitlements). Both column orders seen in the wild are read from the header.

use chrono::NaiveDate;
use serde::Serialize;

use crate::parse::lmstat::Issue;

/// One row of `lmstat -i`: an INCREMENT/FEATURE line of the license file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entitlement {
    pub feature: String,
    pub version: String,
    pub count: u32,
    pub vendor: String,
    /// The expiry as printed (`12-jun-2020`, `permanent(no expiration date)`, `1-jan-0`).
    pub expires_text: String,
    /// The expiry date; `None` for permanent licenses.
    pub expires: Option<NaiveDate>,
}

/// What an `lmstat -i` output holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EntitlementReport {
    pub entitlements: Vec<Entitlement>,
    pub issues: Vec<Issue>,
}

/// FlexLM expiry text → date; permanent forms (`permanent...`, year 0) → `None`.
pub fn parse_expiry(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    if text.starts_with("permanent") {
        return None;
    }
    let mut parts = text.split('-');
    let day: u32 = parts.next()?.parse().ok()?;
    let month = match parts.next()?.to_ascii_lowercase().as_str() {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    let year: i32 = parts.next()?.parse().ok()?;
    if year == 0 {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Parse one `lmstat -i` output. Never panics; unreadable rows become issues.
pub fn parse(text: &str) -> EntitlementReport {
    let mut report = EntitlementReport::default();
    // Whether Expires comes before Vendor; known once the header is seen.
    let mut expires_first: Option<bool> = None;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        if line.is_empty() || line.starts_with('_') {
            continue;
        }
        if line.starts_with("Feature") && line.contains("#licenses") {
            let vendor_at = line.find("Vendor");
            let expires_at = line.find("Expires");
            expires_first = match (vendor_at, expires_at) {
                (Some(v), Some(e)) => Some(e < v),
                _ => None,
            };
            continue;
        }
        let Some(expires_first) = expires_first else {
            continue; // banner and NOTE lines before the table
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        let row = (|| {
            let [feature, version, count, rest @ ..] = words.as_slice() else {
                return None;
            };
            if rest.len() < 2 {
                return None;
            }
            let (vendor, expires_text) = if expires_first {
                (
                    rest[rest.len() - 1].to_owned(),
                    rest[..rest.len() - 1].join(" "),
                )
            } else {
                (rest[0].to_owned(), rest[1..].join(" "))
            };
            Some(Entitlement {
                feature: (*feature).to_owned(),
                version: (*version).to_owned(),
                count: count.parse().ok()?,
                vendor,
                expires: parse_expiry(&expires_text),
                expires_text,
            })
        })();
        match row {
            Some(e) => report.entitlements.push(e),
            None => report.issues.push(Issue {
                line: index + 1,
                message: format!("unreadable entitlement row: {line}"),
            }),
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_forms() {
        assert_eq!(
            parse_expiry("12-jun-2020"),
            NaiveDate::from_ymd_opt(2020, 6, 12)
        );
        assert_eq!(
            parse_expiry("31-DEC-2018"),
            NaiveDate::from_ymd_opt(2018, 12, 31)
        );
        assert_eq!(parse_expiry("permanent(no expiration date)"), None);
        assert_eq!(parse_expiry("1-jan-0"), None);
        assert_eq!(parse_expiry("01-jan-0000"), None);
        assert_eq!(parse_expiry("garbage"), None);
    }

    #[test]
    fn both_column_orders() {
        let a = "Feature  Version  #licenses  Expires  Vendor\n_______\nf1  2018.12  2  31-dec-2018  vendor1\nf2 1.0 3 permanent(no expiration date) v2\n";
        let r = parse(a);
        assert!(r.issues.is_empty(), "{:?}", r.issues);
        assert_eq!(r.entitlements[0].vendor, "vendor1");
        assert_eq!(
            r.entitlements[0].expires,
            NaiveDate::from_ymd_opt(2018, 12, 31)
        );
        assert_eq!(r.entitlements[1].vendor, "v2");
        assert_eq!(r.entitlements[1].expires, None);
        let b = "Feature  Version  #licenses  Vendor  Expires\nf9 15.0 2 vendor permanent(no expiration date)\nbad row\n";
        let r = parse(b);
        assert_eq!(r.entitlements[0].vendor, "vendor");
        assert_eq!(
            r.entitlements[0].expires_text,
            "permanent(no expiration date)"
        );
        assert_eq!(r.issues.len(), 1);
        assert_eq!(r.issues[0].line, 3);
    }
}
