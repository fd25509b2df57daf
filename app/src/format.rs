//! Formatting of numbers and times for display.

use chrono::DateTime;

/// Epoch milliseconds → `2026-03-06 12:00 UTC`.
pub fn utc_ms(ms: f64) -> String {
    DateTime::from_timestamp_millis(ms as i64)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "—".to_owned())
}

/// RFC 3339 from the manifest → `2026-03-06 12:00 UTC`.
pub fn rfc3339(s: &str) -> String {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| s.to_owned())
}

/// A count without decimals, or `—`.
pub fn count(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.0}"))
        .unwrap_or_else(|| "—".to_owned())
}

/// A percentage with one decimal, or `—`.
pub fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1} %"))
        .unwrap_or_else(|| "—".to_owned())
}
