//! Formatting of numbers and times for display.

use chrono::DateTime;
pub use lmscope::format::{duration, grouped, money};

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

/// A count without decimals and with thousands separators, or `—`.
pub fn count(v: Option<f64>) -> String {
    v.map(|v| grouped(v, 0)).unwrap_or_else(|| "—".to_owned())
}

/// A percentage with one decimal, or `—`.
pub fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{} %", grouped(v, 1)))
        .unwrap_or_else(|| "—".to_owned())
}

/// The browser's clock (chrono's own clock is not available on wasm32-unknown-unknown).
pub fn now() -> chrono::DateTime<chrono::Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

/// Money and hours as shown: two decimals.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
