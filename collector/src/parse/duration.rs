//! The one duration grammar of config files, command lines, alert rules and URLs: a whole
//! number and a unit, `ms`, `s`, `m`, `h` or `d` (`500ms`, `30s`, `5m`, `2h`, `7d`).

use std::time::Duration;

/// Parse `text` as a duration; the error says what is wrong, quoting the text.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 30s, 5m, 1h or 7d"))?;
    let seconds = |factor: u64| {
        n.checked_mul(factor)
            .map(Duration::from_secs)
            .ok_or_else(|| format!("`{text}` is too long"))
    };
    match unit.trim() {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => seconds(1),
        "m" => seconds(60),
        "h" => seconds(3600),
        "d" => seconds(86_400),
        "" => Err(format!("`{text}` has no unit (use ms, s, m, h or d)")),
        other => Err(format!(
            "unknown unit `{other}` in `{text}` (use ms, s, m, h or d)"
        )),
    }
}

/// [`parse`], refusing zero (an interval or a timeout of nothing).
pub fn parse_positive(text: &str) -> Result<Duration, String> {
    let d = parse(text)?;
    if d.is_zero() {
        return Err(format!("`{}` must be longer than zero", text.trim()));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_errors() {
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse(" 5m "), Ok(Duration::from_secs(300)));
        assert_eq!(parse("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert!(parse("5").expect_err("no unit").contains("no unit"));
        assert!(parse("m")
            .expect_err("no number")
            .contains("not a duration"));
        assert!(parse("-5m").is_err());
        assert!(parse("3w").expect_err("unit").contains("unknown unit `w`"));
        assert!(parse("99999999999999999d")
            .expect_err("long")
            .contains("too long"));
        assert!(parse_positive("0s")
            .expect_err("zero")
            .contains("longer than zero"));
        assert_eq!(parse("0s"), Ok(Duration::ZERO));
    }
}
