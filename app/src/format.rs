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

/// Seconds → `3 d 4 h`, `2 h 5 min`, `7 min`.
pub fn duration(seconds: i64) -> String {
    let (d, h, m) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
    );
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}

/// The browser's clock (chrono's own clock is not available on wasm32-unknown-unknown).
pub fn now() -> chrono::DateTime<chrono::Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

/// Money and hours as shown: two decimals.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
