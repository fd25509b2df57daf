//! Line splitting for the parsers: `memchr` finds the newlines, and a line is trimmed of
//! ASCII space first, falling back to Unicode trimming only when its ends are not ASCII.

/// The lines of `text`, as [`str::lines`] gives them (without `\n` or `\r\n`), found with
/// `memchr`: the parsers' hot loop starts here.
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut from = 0;
    let mut ends = memchr::memchr_iter(b'\n', bytes);
    std::iter::from_fn(move || {
        // `\n` is ASCII, so every cut falls on a character boundary.
        match ends.next() {
            Some(end) => {
                let line = &text[from..end];
                from = end + 1;
                Some(line.strip_suffix('\r').unwrap_or(line))
            }
            None if from < bytes.len() => {
                let line = &text[from..];
                from = bytes.len();
                Some(line)
            }
            None => None,
        }
    })
}

/// A line without surrounding whitespace or byte-order mark.
pub fn trim(line: &str) -> &str {
    let t = line.trim_ascii();
    match (t.as_bytes().first(), t.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii() && b.is_ascii() => t,
        _ => t.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}'),
    }
}

/// `s` split around the first `byte` (ASCII), as `str::split_once`.
pub fn split_once(s: &str, byte: u8) -> Option<(&str, &str)> {
    debug_assert!(byte.is_ascii());
    // The fields split here are short: a plain loop beats memchr's set-up.
    let at = s.bytes().position(|b| b == byte)?;
    Some((&s[..at], &s[at + 1..]))
}

/// `s` split around the last `byte` (ASCII), as `str::rsplit_once`.
pub fn rsplit_once(s: &str, byte: u8) -> Option<(&str, &str)> {
    debug_assert!(byte.is_ascii());
    let at = s.bytes().rposition(|b| b == byte)?;
    Some((&s[..at], &s[at + 1..]))
}

/// An unsigned decimal number made of ASCII digits only (no sign, no space), without the
/// generic `str::parse` machinery.
pub fn digits<T: TryFrom<u64>>(s: &str) -> Option<T> {
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    let mut n: u64 = 0;
    for &b in s.as_bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(b - b'0');
    }
    T::try_from(n).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_lines_as_the_standard_library() {
        for text in [
            "",
            "\n",
            "a",
            "a\n",
            "a\r\nb",
            "a\n\nb\n",
            "\r\n\r\n",
            "é\nü\r\n",
            "x\r",
        ] {
            assert_eq!(
                lines(text).collect::<Vec<_>>(),
                text.lines().collect::<Vec<_>>(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn trims_ascii_unicode_and_bom() {
        assert_eq!(trim("  a b \t"), "a b");
        assert_eq!(trim("\u{feff}Users of"), "Users of");
        assert_eq!(trim("\u{a0}x\u{2003}"), "x");
        assert_eq!(trim("   "), "");
    }

    #[test]
    fn byte_splits_and_digits() {
        assert_eq!(split_once("a b c", b' '), Some(("a", "b c")));
        assert_eq!(rsplit_once("h/1/2", b'/'), Some(("h/1", "2")));
        assert_eq!(split_once("abc", b' '), None);
        assert_eq!(digits::<u32>("0042"), Some(42));
        assert_eq!(digits::<u32>("4294967296"), None);
        assert_eq!(digits::<u64>("4294967296"), Some(4_294_967_296));
        assert_eq!(digits::<u32>(""), None);
        assert_eq!(digits::<u32>("+1"), None);
        assert_eq!(digits::<u32>("1 "), None);
        assert_eq!(digits::<u64>("99999999999999999999"), None);
    }
}
