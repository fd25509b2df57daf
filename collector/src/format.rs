//! Numbers for people: thousands separators, money with its currency, long durations in
//! words. Shared by the site and the CLI's reports, so both print a figure the same way.

/// `x` with `decimals` decimals and a comma between thousands: `1,234,567.8`.
pub fn grouped(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "—".to_owned();
    }
    let text = format!("{:.*}", decimals, x.abs());
    let (int, frac) = text
        .split_once('.')
        .map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::with_capacity(text.len() + int.len() / 3 + 1);
    // "-0" and "-0.0" read as zero.
    if x < 0.0 && text.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// An amount of money in `currency` (an ISO code): `$603,480`, `€1,234.50`, `1,200 CHF`.
pub fn money(x: f64, currency: &str, decimals: usize) -> String {
    let symbol = match currency {
        "USD" => Some("$"),
        "EUR" => Some("€"),
        "GBP" => Some("£"),
        "JPY" => Some("¥"),
        _ => None,
    };
    let amount = grouped(x.abs(), decimals);
    let sign = if x < 0.0 && amount.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        "-"
    } else {
        ""
    };
    match (symbol, currency.is_empty()) {
        (Some(sym), _) => format!("{sign}{sym}{amount}"),
        (None, true) => format!("{sign}{amount}"),
        (None, false) => format!("{sign}{amount} {currency}"),
    }
}

/// Seconds → `3 d 4 h`, `2 h 5 min`, `7 min`, `40 s`.
pub fn duration(seconds: i64) -> String {
    let (d, h, m) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
    );
    match (d, h) {
        (0, 0) if seconds < 60 => format!("{seconds} s"),
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_words() {
        assert_eq!(duration(40), "40 s");
        assert_eq!(duration(7 * 60 + 59), "7 min");
        assert_eq!(duration(2 * 3600 + 5 * 60), "2 h 5 min");
        assert_eq!(duration(3 * 86_400 + 4 * 3600 + 120), "3 d 4 h");
    }

    #[test]
    fn thousands_and_decimals() {
        assert_eq!(grouped(603479.97, 0), "603,480");
        assert_eq!(grouped(238445.75, 1), "238,445.8");
        assert_eq!(grouped(999.0, 0), "999");
        assert_eq!(grouped(1000.0, 0), "1,000");
        assert_eq!(grouped(-1234567.891, 2), "-1,234,567.89");
        assert_eq!(grouped(-0.01, 1), "0.0");
        assert_eq!(grouped(0.0, 0), "0");
        assert_eq!(grouped(f64::NAN, 0), "—");
    }

    #[test]
    fn money_with_its_currency() {
        assert_eq!(money(603479.97, "USD", 0), "$603,480");
        assert_eq!(money(-12.5, "EUR", 2), "-€12.50");
        assert_eq!(money(1200.0, "CHF", 0), "1,200 CHF");
        assert_eq!(money(7.0, "", 2), "7.00");
    }
}
