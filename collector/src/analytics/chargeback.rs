//! Chargeback: what each cost center, department, team, project or user owes for licenses
//! over a period, under the two usual policies. One implementation for the site's costs page
//! and `lmscope report chargeback`: the queries here read the published file, the pure
//! [`statement`] does the money.
//!
//! - **Pay for use**: license-hours × the feature's yearly seat price ÷ 8,760.
//! - **Full allocation**: the whole license bill of the period (for each feature, its issued
//!   seats on each day × yearly price ÷ 365) shared by each group's share of that feature's
//!   license-hours, idle seats included. A feature nobody used leaves its bill `unallocated`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;

use crate::analytics::prices::{seat_price, HOURS_PER_YEAR};

/// How costs are attributed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    PayForUse,
    FullAllocation,
}

impl Policy {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pay-for-use" | "use" => Some(Self::PayForUse),
            "full-allocation" | "full" => Some(Self::FullAllocation),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::PayForUse => "Pay for use",
            Self::FullAllocation => "Full allocation",
        }
    }
}

/// Who is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum By {
    CostCenter,
    Department,
    Team,
    Project,
    User,
}

impl By {
    pub const ALL: [By; 5] = [
        By::CostCenter,
        By::Department,
        By::Team,
        By::Project,
        By::User,
    ];

    /// The name on the command line and in URLs.
    pub fn key(self) -> &'static str {
        match self {
            By::CostCenter => "cost-center",
            By::Department => "department",
            By::Team => "team",
            By::Project => "project",
            By::User => "user",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|b| b.key() == s || b.key().replace('-', "_") == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            By::CostCenter => "Cost center",
            By::Department => "Department",
            By::Team => "Team",
            By::Project => "Project",
            By::User => "User",
        }
    }
}

/// `user_daily` over the days `[?, ?]` split between projects, as three CTEs: `base` (the
/// rows, numbered `rid`), `act` (each row's projects: its user is a member and the day is
/// within the project) and `n` (how many projects share the row).
pub(crate) const PROJECT_SPLIT: &str =
    "base AS (SELECT row_number() OVER () AS rid, * FROM user_daily
                   WHERE day BETWEEN ?::DATE AND ?::DATE),
      act AS (SELECT b.rid, pr.project FROM base b
              JOIN org_project_members m ON m.user_name = b.user_name
              JOIN org_projects pr ON pr.project = m.project
               AND b.day BETWEEN coalesce(pr.start_date, b.day) AND coalesce(pr.end_date, b.day)),
      n AS (SELECT rid, count(*) AS n FROM act GROUP BY rid)";

/// How a chargeback's queries split the period: as a whole, or by calendar month (each row
/// then starts with its month, `YYYY-MM`, for [`monthly`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Whole,
    Monthly,
}

impl Split {
    /// The leading month column, if any.
    fn month(self) -> &'static str {
        match self {
            Split::Whole => "",
            Split::Monthly => "strftime(x.day, '%Y-%m'), ",
        }
    }
}

/// License-hours per group and feature over the days `[?, ?]` (first and last day):
/// rows `(group, server, feature, license_hours, price)`. A person in several projects at
/// once has each day's use split evenly between them; use outside every project is
/// `no project`.
pub fn usage_sql(by: By) -> String {
    usage_sql_split(by, Split::Whole)
}

/// [`usage_sql`], its rows split as `split` says.
pub fn usage_sql_split(by: By, split: Split) -> String {
    let month = split.month();
    let price = seat_price("x");
    let (group, from) = match by {
        By::CostCenter => (
            "coalesce(p.cost_center, 'unassigned')",
            "user_daily x LEFT JOIN org_people p ON p.user_name = x.user_name",
        ),
        By::Department => (
            "coalesce(p.department, 'unassigned')",
            "user_daily x LEFT JOIN org_people p ON p.user_name = x.user_name",
        ),
        By::Team => (
            "coalesce(p.team, 'unassigned')",
            "user_daily x LEFT JOIN org_people p ON p.user_name = x.user_name",
        ),
        By::User => ("x.user_name", "user_daily x"),
        By::Project => {
            return format!(
                "WITH {PROJECT_SPLIT}
                 SELECT {month}coalesce(a.project, 'no project'), x.server, x.feature,
                        sum(x.license_hours / coalesce(n.n, 1))::DOUBLE, any_value({price})::DOUBLE
                 FROM base x LEFT JOIN act a ON a.rid = x.rid LEFT JOIN n ON n.rid = x.rid
                 GROUP BY ALL ORDER BY ALL"
            );
        }
    };
    format!(
        "SELECT {month}{group}, x.server, x.feature, sum(x.license_hours)::DOUBLE, any_value({price})::DOUBLE
         FROM {from} WHERE x.day BETWEEN ?::DATE AND ?::DATE
         GROUP BY ALL ORDER BY ALL"
    )
}

/// The license bill's basis over the days `[?, ?]`: rows `(server, feature, seat_days,
/// price)`, seat-days being the issued count summed over the days the feature was polled.
pub fn bill_sql() -> String {
    bill_sql_split(Split::Whole)
}

/// [`bill_sql`], its rows split as `split` says.
pub fn bill_sql_split(split: Split) -> String {
    let month = split.month();
    let price = seat_price("x");
    format!(
        "WITH d AS (SELECT day, server, vendor, feature, max(issued) AS issued FROM usage_daily
                   WHERE day BETWEEN ?::DATE AND ?::DATE GROUP BY ALL)
         SELECT {month}x.server, x.feature, sum(x.issued)::DOUBLE, any_value({price})::DOUBLE
         FROM d x GROUP BY ALL ORDER BY ALL"
    )
}

/// Department budgets: rows `(department, name, yearly budget)`.
pub const BUDGETS_SQL: &str = "SELECT department, name, budget FROM org_departments ORDER BY 1";

/// The first day with usage on or after `?` (a year's spend is projected from there): one
/// row, `YYYY-MM-DD` or NULL.
pub const FIRST_DAY_SQL: &str =
    "SELECT strftime(min(day), '%Y-%m-%d') FROM user_daily WHERE day >= ?::DATE";

/// The parameters of both queries for a period.
pub fn params(from: NaiveDate, to: NaiveDate) -> [String; 2] {
    [from.to_string(), to.to_string()]
}

/// One group's charge.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    pub group: String,
    pub license_hours: f64,
    /// Pay for use.
    pub use_cost: f64,
    /// Full allocation.
    pub full_cost: f64,
    /// Share of all license-hours, percent.
    pub share: f64,
}

impl Line {
    /// The cost under `policy`.
    pub fn cost(&self, policy: Policy) -> f64 {
        match policy {
            Policy::PayForUse => self.use_cost,
            Policy::FullAllocation => self.full_cost,
        }
    }
}

/// A period's chargeback: a line per group, most expensive (full allocation) first, and
/// the totals. Under full allocation the lines add up to `bill`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub by: By,
    pub lines: Vec<Line>,
    pub license_hours: f64,
    pub use_cost: f64,
    /// The licenses' cost for the period, used or not.
    pub bill: f64,
}

/// The group that carries the bill of features nobody used.
pub const UNALLOCATED: &str = "unallocated (unused features)";

fn text(v: Option<&Value>) -> Option<String> {
    v?.as_str().map(str::to_owned)
}

fn num(v: Option<&Value>) -> Option<f64> {
    v?.as_f64()
}

/// Build the statement from the rows of [`usage_sql`] and [`bill_sql`].
pub fn statement(
    by: By,
    from: NaiveDate,
    to: NaiveDate,
    usage: &[Vec<Value>],
    bill: &[Vec<Value>],
) -> Statement {
    // (server, feature) → (group → license-hours), and the price.
    let mut use_by: BTreeMap<(String, String), BTreeMap<String, f64>> = BTreeMap::new();
    let mut price_of: BTreeMap<(String, String), f64> = BTreeMap::new();
    let mut lines: BTreeMap<String, Line> = BTreeMap::new();
    let blank = |group: &str| Line {
        group: group.to_owned(),
        license_hours: 0.0,
        use_cost: 0.0,
        full_cost: 0.0,
        share: 0.0,
    };
    for r in usage {
        let g = |i| r.get(i);
        let (Some(group), Some(server), Some(feature), Some(hours)) =
            (text(g(0)), text(g(1)), text(g(2)), num(g(3)))
        else {
            continue;
        };
        let price = num(g(4)).unwrap_or(0.0);
        let line = lines.entry(group.clone()).or_insert_with(|| blank(&group));
        line.license_hours += hours;
        line.use_cost += hours * price / HOURS_PER_YEAR;
        price_of.insert((server.clone(), feature.clone()), price);
        *use_by
            .entry((server, feature))
            .or_default()
            .entry(group)
            .or_default() += hours;
    }
    let mut total_bill = 0.0;
    for r in bill {
        let g = |i| r.get(i);
        let (Some(server), Some(feature), Some(seat_days)) = (text(g(0)), text(g(1)), num(g(2)))
        else {
            continue;
        };
        let price = num(g(3)).unwrap_or(0.0);
        let cost = seat_days * price / 365.0;
        total_bill += cost;
        match use_by.get(&(server, feature)) {
            Some(groups) if groups.values().sum::<f64>() > 0.0 => {
                let all: f64 = groups.values().sum();
                for (group, hours) in groups {
                    let line = lines.entry(group.clone()).or_insert_with(|| blank(group));
                    line.full_cost += cost * hours / all;
                }
            }
            _ if cost > 0.0 => {
                lines
                    .entry(UNALLOCATED.to_owned())
                    .or_insert_with(|| blank(UNALLOCATED))
                    .full_cost += cost;
            }
            _ => {}
        }
    }
    let license_hours: f64 = lines.values().map(|l| l.license_hours).sum();
    let mut lines: Vec<Line> = lines
        .into_values()
        .map(|mut l| {
            l.share = if license_hours > 0.0 {
                100.0 * l.license_hours / license_hours
            } else {
                0.0
            };
            l
        })
        .collect();
    lines.sort_by(|a, b| {
        b.full_cost
            .total_cmp(&a.full_cost)
            .then_with(|| b.use_cost.total_cmp(&a.use_cost))
            .then_with(|| a.group.cmp(&b.group))
    });
    let use_cost = lines.iter().map(|l| l.use_cost).sum();
    Statement {
        from,
        to,
        by,
        lines,
        license_hours,
        use_cost,
        bill: total_bill,
    }
}

/// One statement per calendar month of `[from, to]` (each clipped to the period), from the
/// rows of [`usage_sql_split`] and [`bill_sql_split`] with [`Split::Monthly`]; months
/// without rows are left out.
pub fn monthly(
    by: By,
    from: NaiveDate,
    to: NaiveDate,
    usage: &[Vec<Value>],
    bill: &[Vec<Value>],
) -> Vec<Statement> {
    let by_month = |rows: &[Vec<Value>]| {
        let mut out: BTreeMap<String, Vec<Vec<Value>>> = BTreeMap::new();
        for r in rows {
            if let Some((Value::String(m), rest)) = r.split_first() {
                out.entry(m.clone()).or_default().push(rest.to_vec());
            }
        }
        out
    };
    let (usage, bill) = (by_month(usage), by_month(bill));
    let months: std::collections::BTreeSet<&String> = usage.keys().chain(bill.keys()).collect();
    months
        .into_iter()
        .filter_map(|m| {
            let first = NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok()?;
            let last = first
                .checked_add_months(chrono::Months::new(1))
                .and_then(|d| d.pred_opt())
                .unwrap_or(first);
            let rows =
                |map: &BTreeMap<String, Vec<Vec<Value>>>| map.get(m).cloned().unwrap_or_default();
            Some(statement(
                by,
                first.max(from),
                last.min(to),
                &rows(&usage),
                &rows(&bill),
            ))
        })
        .collect()
}

/// One CSV (RFC 4180) field. Text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`
/// first) gets a leading `'`: names come from license servers nobody here controls.
pub fn csv_field(text: &str) -> String {
    let guarded = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

fn money(x: f64) -> String {
    format!("{x:.2}")
}

impl Statement {
    /// CSV for finance: one row per group with both policies, then a total row.
    pub fn to_csv(&self) -> String {
        let mut out = format!(
            "period_from,period_to,{},license_hours,share_pct,pay_for_use,full_allocation\n",
            self.by.key().replace('-', "_")
        );
        for l in &self.lines {
            out.push_str(&format!(
                "{},{},{},{:.2},{:.1},{},{}\n",
                self.from,
                self.to,
                csv_field(&l.group),
                l.license_hours,
                l.share,
                money(l.use_cost),
                money(l.full_cost)
            ));
        }
        out.push_str(&format!(
            "{},{},TOTAL,{:.2},100.0,{},{}\n",
            self.from,
            self.to,
            self.license_hours,
            money(self.use_cost),
            money(self.bill)
        ));
        out
    }

    /// JSON for an ERP import: the period, the grouping, the lines and the totals.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 10, d).expect("day")
    }

    #[test]
    fn both_policies_on_a_hand_made_month() {
        // CAD: 10 seats at 8,760 a year (1 per license-hour, 24 per seat-day); used 100 h by
        // CC-A and 300 h by CC-B. IDLE: 2 seats at 3,650 a year, never used.
        let usage = vec![
            vec![
                json!("CC-A"),
                json!("s"),
                json!("CAD"),
                json!(100.0),
                json!(8760.0),
            ],
            vec![
                json!("CC-B"),
                json!("s"),
                json!("CAD"),
                json!(300.0),
                json!(8760.0),
            ],
        ];
        let bill = vec![
            vec![json!("s"), json!("CAD"), json!(310.0), json!(8760.0)],
            vec![json!("s"), json!("IDLE"), json!(62.0), json!(3650.0)],
        ];
        let s = statement(By::CostCenter, day(1), day(31), &usage, &bill);
        // Pay for use: 100 and 300. Bill: CAD 310 × 24 = 7,440; IDLE 62 × 10 = 620.
        assert_eq!(s.use_cost, 400.0);
        assert!((s.bill - 8060.0).abs() < 1e-9);
        let b = &s.lines[0];
        assert_eq!((b.group.as_str(), b.use_cost), ("CC-B", 300.0));
        assert!((b.full_cost - 5580.0).abs() < 1e-9);
        assert!((b.share - 75.0).abs() < 1e-9);
        let a = s.lines.iter().find(|l| l.group == "CC-A").expect("A");
        assert!((a.full_cost - 1860.0).abs() < 1e-9);
        let idle = s
            .lines
            .iter()
            .find(|l| l.group == UNALLOCATED)
            .expect("idle");
        assert!((idle.full_cost - 620.0).abs() < 1e-9);
        let sum: f64 = s.lines.iter().map(|l| l.full_cost).sum();
        assert!(
            (sum - s.bill).abs() < 1e-9,
            "full allocation adds up to the bill"
        );
        let csv = s.to_csv();
        assert!(csv.starts_with("period_from,period_to,cost_center,"));
        assert!(
            csv.contains("2026-10-01,2026-10-31,CC-B,300.00,75.0,300.00,5580.00\n"),
            "{csv}"
        );
        assert!(
            csv.ends_with("TOTAL,400.00,100.0,400.00,8060.00\n"),
            "{csv}"
        );
        let json: Value = serde_json::from_str(&s.to_json()).expect("json");
        assert_eq!(json["by"], "cost-center");
        assert_eq!(json["lines"][0]["group"], "CC-B");
    }

    #[test]
    fn names_cannot_become_formulas_or_break_rows() {
        let usage = vec![vec![
            json!("=HYPERLINK(\"x\",\"y\")"),
            json!("s"),
            json!("f"),
            json!(1.0),
            json!(8760.0),
        ]];
        let csv = statement(By::User, day(1), day(1), &usage, &[]).to_csv();
        assert!(
            csv.contains(",\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\","),
            "{csv}"
        );
    }

    #[test]
    fn keys_parse() {
        for b in By::ALL {
            assert_eq!(By::parse(b.key()), Some(b));
        }
        assert_eq!(By::parse("cost_center"), Some(By::CostCenter));
        assert_eq!(
            Policy::parse("full-allocation"),
            Some(Policy::FullAllocation)
        );
        assert_eq!(By::parse("division"), None);
    }

    #[test]
    fn months_split_the_period_and_add_up_to_it() {
        let row = |m: &str, g: &str, hours: f64| {
            vec![
                json!(m),
                json!(g),
                json!("s"),
                json!("CAD"),
                json!(hours),
                json!(8760.0),
            ]
        };
        let usage = vec![
            row("2026-10", "A", 10.0),
            row("2026-10", "B", 30.0),
            row("2026-11", "A", 5.0),
        ];
        let bill = vec![
            vec![
                json!("2026-10"),
                json!("s"),
                json!("CAD"),
                json!(2.0),
                json!(8760.0),
            ],
            vec![
                json!("2026-11"),
                json!("s"),
                json!("CAD"),
                json!(3.0),
                json!(8760.0),
            ],
        ];
        let (from, to) = (day(15), NaiveDate::from_ymd_opt(2026, 11, 20).expect("day"));
        let months = monthly(By::Team, from, to, &usage, &bill);
        assert_eq!(months.len(), 2);
        assert_eq!((months[0].from, months[0].to), (from, day(31)));
        assert_eq!(months[1].to, to);
        // October: the bill (2 seat-days × 24) split 1:3; November: all of it to A.
        let cost = |s: &Statement, g: &str| {
            s.lines
                .iter()
                .find(|l| l.group == g)
                .map(|l| (l.use_cost, l.full_cost))
        };
        assert_eq!(cost(&months[0], "A"), Some((10.0, 12.0)));
        assert_eq!(cost(&months[0], "B"), Some((30.0, 36.0)));
        assert_eq!(cost(&months[1], "A"), Some((5.0, 72.0)));
        assert_eq!(cost(&months[1], "B"), None);
        let whole: Vec<Vec<Value>> = usage.iter().map(|r| r[1..].to_vec()).collect();
        let period = statement(By::Team, from, to, &whole, &[]);
        let use_sum: f64 = months.iter().map(|m| m.use_cost).sum();
        assert_eq!(use_sum, period.use_cost, "pay for use adds up over months");
    }
}
