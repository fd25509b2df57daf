//! The report builder's calculated columns: a small arithmetic language over a row's
//! measures (`license_hours / users`, `(hours - 8) * 2`). It is parsed and evaluated here,
//! in Rust, never turned into SQL, so a shared link cannot carry a query.

use std::fmt;

/// Longest expression accepted, in bytes, and deepest nesting of parentheses.
pub const MAX_LEN: usize = 200;
const MAX_DEPTH: usize = 16;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(f64),
    Name(String),
    Neg(Box<Expr>),
    Binary(Box<Expr>, Op, Box<Expr>),
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

/// Why an expression was refused: the problem and the character position (0-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("calculated column, at character {at}: {message}")]
pub struct ExprError {
    pub at: usize,
    pub message: String,
}

fn fail<T>(at: usize, message: impl Into<String>) -> Result<T, ExprError> {
    Err(ExprError {
        at,
        message: message.into(),
    })
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    names: &'a [&'a str],
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        while self.text[self.pos..].starts_with(|c: char| c.is_whitespace()) {
            self.pos += self.text[self.pos..]
                .chars()
                .next()
                .map_or(1, char::len_utf8);
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_space();
        self.text[self.pos..].chars().next()
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, ExprError> {
        let mut left = self.term(depth)?;
        while let Some(c @ ('+' | '-')) = self.peek() {
            self.pos += 1;
            let op = if c == '+' { Op::Add } else { Op::Sub };
            left = Expr::Binary(Box::new(left), op, Box::new(self.term(depth)?));
        }
        Ok(left)
    }

    fn term(&mut self, depth: usize) -> Result<Expr, ExprError> {
        let mut left = self.factor(depth)?;
        while let Some(c @ ('*' | '/')) = self.peek() {
            self.pos += 1;
            let op = if c == '*' { Op::Mul } else { Op::Div };
            left = Expr::Binary(Box::new(left), op, Box::new(self.factor(depth)?));
        }
        Ok(left)
    }

    fn factor(&mut self, depth: usize) -> Result<Expr, ExprError> {
        if depth > MAX_DEPTH {
            return fail(self.pos, "nested too deeply");
        }
        let start = self.pos;
        match self.peek() {
            None => fail(
                self.pos,
                "expected a number, a measure or `(`, found the end",
            ),
            Some('-') => {
                self.pos += 1;
                Ok(Expr::Neg(Box::new(self.factor(depth + 1)?)))
            }
            Some('(') => {
                self.pos += 1;
                let inner = self.expr(depth + 1)?;
                match self.peek() {
                    Some(')') => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    _ => fail(self.pos, format!("`(` at {start} is not closed")),
                }
            }
            Some(c) if c.is_ascii_digit() || c == '.' => {
                let s = self.pos;
                let len = self.text[s..]
                    .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                    .unwrap_or(self.text.len() - s);
                self.pos += len;
                let digits = &self.text[s..self.pos];
                digits
                    .parse::<f64>()
                    .map(Expr::Number)
                    .or_else(|_| fail(s, format!("`{digits}` is not a number")))
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let s = self.pos;
                let len = self.text[s..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(self.text.len() - s);
                self.pos += len;
                let name = &self.text[s..self.pos];
                if self.names.contains(&name) {
                    Ok(Expr::Name(name.to_owned()))
                } else {
                    fail(
                        s,
                        format!(
                            "unknown measure `{name}`; use one of {}",
                            self.names.join(", ")
                        ),
                    )
                }
            }
            Some(c) => fail(self.pos, format!("unexpected `{c}`")),
        }
    }
}

impl Expr {
    /// Parse `text`, allowing only the measure names in `names`.
    pub fn parse(text: &str, names: &[&str]) -> Result<Self, ExprError> {
        if text.len() > MAX_LEN {
            return fail(MAX_LEN, format!("longer than {MAX_LEN} characters"));
        }
        let mut p = Parser {
            text,
            pos: 0,
            names,
        };
        let e = p.expr(0)?;
        match p.peek() {
            None => Ok(e),
            Some(c) => fail(
                p.pos,
                format!("unexpected `{c}` after a complete expression"),
            ),
        }
    }

    /// Evaluate with `value` giving each name's number; `None` when a name has no value or
    /// a division is by zero (shown as an empty cell, never as infinity).
    pub fn eval(&self, value: &dyn Fn(&str) -> Option<f64>) -> Option<f64> {
        let out = match self {
            Expr::Number(n) => *n,
            Expr::Name(n) => value(n)?,
            Expr::Neg(e) => -e.eval(value)?,
            Expr::Binary(a, op, b) => {
                let (a, b) = (a.eval(value)?, b.eval(value)?);
                match op {
                    Op::Add => a + b,
                    Op::Sub => a - b,
                    Op::Mul => a * b,
                    Op::Div if b == 0.0 => return None,
                    Op::Div => a / b,
                }
            }
        };
        out.is_finite().then_some(out)
    }

    /// The measure names the expression uses, in order of first use.
    pub fn names(&self) -> Vec<String> {
        fn walk(e: &Expr, out: &mut Vec<String>) {
            match e {
                Expr::Number(_) => {}
                Expr::Name(n) => {
                    if !out.contains(n) {
                        out.push(n.clone());
                    }
                }
                Expr::Neg(e) => walk(e, out),
                Expr::Binary(a, _, b) => {
                    walk(a, out);
                    walk(b, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Number(n) => write!(f, "{n}"),
            Expr::Name(n) => f.write_str(n),
            Expr::Neg(e) => write!(f, "-({e})"),
            Expr::Binary(a, op, b) => {
                let op = match op {
                    Op::Add => '+',
                    Op::Sub => '-',
                    Op::Mul => '*',
                    Op::Div => '/',
                };
                write!(f, "({a} {op} {b})")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NAMES: [&str; 3] = ["license_hours", "users", "sessions"];

    fn eval(text: &str, lh: f64, users: f64) -> Option<f64> {
        let e = Expr::parse(text, &NAMES).expect("parses");
        e.eval(&|n| match n {
            "license_hours" => Some(lh),
            "users" => Some(users),
            _ => None,
        })
    }

    #[test]
    fn arithmetic_follows_precedence() {
        assert_eq!(eval("license_hours / users", 10.0, 4.0), Some(2.5));
        assert_eq!(eval("1 + 2 * 3", 0.0, 0.0), Some(7.0));
        assert_eq!(eval("(1 + 2) * 3", 0.0, 0.0), Some(9.0));
        assert_eq!(eval("10 - 4 - 3", 0.0, 0.0), Some(3.0));
        assert_eq!(eval("-users * 2", 0.0, 3.0), Some(-6.0));
        assert_eq!(eval(" 8/2/2 ", 0.0, 0.0), Some(2.0));
    }

    #[test]
    fn division_by_zero_and_missing_values_are_empty() {
        assert_eq!(eval("license_hours / users", 10.0, 0.0), None);
        assert_eq!(eval("sessions + 1", 0.0, 0.0), None);
    }

    #[test]
    fn errors_say_where_and_what() {
        let e = Expr::parse("license_hours / usr", &NAMES).expect_err("unknown");
        assert_eq!(e.at, 16);
        assert!(e.message.contains("unknown measure `usr`"), "{e}");
        let e = Expr::parse("(1 + 2", &NAMES).expect_err("open");
        assert!(e.message.contains("not closed"), "{e}");
        let e = Expr::parse("1 +", &NAMES).expect_err("end");
        assert!(e.message.contains("end"), "{e}");
        let e = Expr::parse("users; DROP TABLE x", &NAMES).expect_err("sql");
        assert_eq!(e.at, 5);
        let e = Expr::parse("1..2", &NAMES).expect_err("number");
        assert!(e.message.contains("not a number"), "{e}");
        assert!(Expr::parse(&"(".repeat(100), &NAMES).is_err());
        assert!(Expr::parse(&"1+".repeat(150), &NAMES).is_err());
    }

    #[test]
    fn names_lists_the_measures_used() {
        let e = Expr::parse("users * (license_hours + users)", &NAMES).expect("parses");
        assert_eq!(e.names(), vec!["users", "license_hours"]);
    }

    /// What parses prints as an expression that parses to the same value (or, printed,
    /// grows past [`MAX_LEN`] and is refused for that alone).
    fn prints_back(text: &str, e: &Expr) -> Result<(), TestCaseError> {
        let printed = e.to_string();
        match Expr::parse(&printed, &NAMES) {
            Ok(again) => {
                let values = |n: &str| Some(n.len() as f64 + 0.5);
                let (a, b) = (e.eval(&values), again.eval(&values));
                let same = match (a, b) {
                    (Some(x), Some(y)) => x == y || (x.is_nan() && y.is_nan()),
                    (x, y) => x == y,
                };
                prop_assert!(same, "{text:?} → {printed:?}: {a:?} vs {b:?}");
            }
            Err(err) => prop_assert!(printed.len() > MAX_LEN, "{printed:?}: {err}"),
        }
        Ok(())
    }

    /// Well-formed expressions: numbers, the names, the four operators, parentheses and
    /// unary minus, nested a few levels (random text rarely parses, so it alone would
    /// hardly test the printer).
    fn well_formed() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            (0u32..1000).prop_map(|n| n.to_string()),
            (0u32..100, 1u32..100).prop_map(|(a, b)| format!("{a}.{b}")),
            prop::sample::select(NAMES.to_vec()).prop_map(str::to_owned),
        ];
        leaf.prop_recursive(4, 24, 2, |inner| {
            prop_oneof![
                (
                    inner.clone(),
                    prop::sample::select(vec!['+', '-', '*', '/']),
                    inner.clone()
                )
                    .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
                inner.clone().prop_map(|a| format!("({a})")),
                inner.prop_map(|a| format!("-({a})")),
            ]
        })
    }

    proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,80}") {
            if let Ok(e) = Expr::parse(&text, &NAMES) {
                prints_back(&text, &e)?;
            }
        }

        #[test]
        fn well_formed_expressions_print_back_to_the_same_value(text in well_formed()) {
            let e = Expr::parse(&text, &NAMES);
            prop_assert!(e.is_ok() || text.len() > MAX_LEN, "{text:?}: {:?}", e.err());
            if let Ok(e) = e {
                prints_back(&text, &e)?;
            }
        }
    }
}
