//! A data table: a real `<table>` with header cells, sortable by any column, its first
//! rows drawn and the rest on request, and a CSV export of all its rows in the order shown.

use leptos::prelude::*;
use serde_json::Value;

use crate::bridge;
use crate::widgets::bars::{BarChart, BarSpec};

/// How a column's numbers read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// Thousands separators; no decimals when every value is whole, else one (two below 100).
    Number,
    /// A percentage (the header says `%`): one decimal.
    Percent,
    /// A probability in whole percent (the header says `%`): no decimals.
    Chance,
    /// Money in the org's currency: whole units from 1,000 up, else cents.
    Money,
    /// A weekday as the queries give it for ordering (`1 Monday`), shown as `Monday`.
    Weekday,
    /// Numbers of different measures in one column (a row per measure): each whole number
    /// without decimals, any other with one.
    Mixed,
    /// A department id, shown by its name.
    Department,
    /// A team id, shown by its name.
    Team,
}

/// One column: its header and how its values read (numbers are right-aligned and sorted
/// numerically).
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub label: String,
    pub numeric: bool,
    pub kind: Kind,
}

impl Column {
    pub fn text(label: &str) -> Self {
        Self {
            label: label.to_owned(),
            numeric: false,
            kind: Kind::Text,
        }
    }
    /// A number column; a header with `%` in it holds percentages.
    pub fn number(label: &str) -> Self {
        let kind = if label.contains('%') {
            Kind::Percent
        } else {
            Kind::Number
        };
        Self {
            label: label.to_owned(),
            numeric: true,
            kind,
        }
    }
    /// Probabilities in whole percent, shown without decimals.
    pub fn chance(label: &str) -> Self {
        Self {
            label: label.to_owned(),
            numeric: true,
            kind: Kind::Chance,
        }
    }
    /// Weekdays (`1 Monday` … `7 Sunday`), sorted Monday first and shown by name.
    pub fn weekday(label: &str) -> Self {
        Self {
            label: label.to_owned(),
            numeric: false,
            kind: Kind::Weekday,
        }
    }
    /// A column of figures of different measures (one per row).
    pub fn mixed(label: &str) -> Self {
        Self {
            label: label.to_owned(),
            numeric: true,
            kind: Kind::Mixed,
        }
    }
    /// Org ids (departments, teams) shown by their names.
    pub fn named(label: &str, kind: Kind) -> Self {
        Self {
            label: label.to_owned(),
            numeric: false,
            kind,
        }
    }
    /// Amounts of money, shown in the org's currency.
    pub fn money(label: &str) -> Self {
        Self {
            label: label.to_owned(),
            numeric: true,
            kind: Kind::Money,
        }
    }
}

/// How the org's figures and ids read (its currency, department and team names),
/// provided by the shell.
#[derive(Clone, Debug, Default)]
pub struct Display {
    pub currency: String,
    pub names: crate::data::Names,
}

/// A column's display rule, fixed for all its rows: how many decimals its numbers get.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Shape {
    kind: Kind,
    decimals: usize,
}

impl Shape {
    fn of(kind: Kind, values: impl Iterator<Item = f64> + Clone) -> Shape {
        let whole = values.clone().all(|x| x.fract() == 0.0);
        let largest = values.fold(0.0_f64, |m, x| m.max(x.abs()));
        let decimals = match kind {
            Kind::Text | Kind::Weekday | Kind::Department | Kind::Team | Kind::Chance => 0,
            Kind::Percent => 1,
            Kind::Money if largest >= 1000.0 => 0,
            Kind::Money => 2,
            Kind::Number | Kind::Mixed if whole => 0,
            Kind::Mixed => 1,
            Kind::Number if largest >= 100.0 => 1,
            Kind::Number => 2,
        };
        Shape { kind, decimals }
    }

    fn show(self, v: &Value, display: &Display) -> String {
        match (v.as_f64(), self.kind) {
            (_, Kind::Department | Kind::Team) => {
                let names = if self.kind == Kind::Team {
                    &display.names.teams
                } else {
                    &display.names.departments
                };
                let id = cell_text(v);
                names.get(&id).cloned().unwrap_or(id)
            }
            (_, Kind::Weekday) => {
                let text = cell_text(v);
                match text.split_once(' ') {
                    Some((n, name)) if n.parse::<u8>().is_ok() => name.to_owned(),
                    _ => text,
                }
            }
            (None, _) | (_, Kind::Text) => cell_text(v),
            (Some(x), Kind::Money) => crate::format::money(x, &display.currency, self.decimals),
            (Some(x), Kind::Mixed) if x.fract() == 0.0 => crate::format::grouped(x, 0),
            (Some(x), _) => crate::format::grouped(x, self.decimals),
        }
    }
}

/// A cell as plain text (exports, sorting text): numbers with at most two decimals, text
/// as text (escaped by Leptos).
pub fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => "—".to_owned(),
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(0.0);
            if x.fract() == 0.0 && x.abs() < 1e15 {
                format!("{x:.0}")
            } else {
                format!("{x:.2}")
            }
        }
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        _ => cell_text(a).cmp(&cell_text(b)),
    }
}

/// CSV (RFC 4180) of `rows` under `columns`. A text cell that a spreadsheet would read as
/// a formula (`=`, `+`, `-`, `@` first) gets a leading `'`: names come from license
/// servers nobody here controls.
pub fn to_csv(columns: &[Column], rows: &[Vec<Value>]) -> String {
    use lmscope::analytics::chargeback::csv_field as field;
    let mut out = columns
        .iter()
        .map(|c| field(&c.label))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    for row in rows {
        let line = row
            .iter()
            .take(columns.len())
            .map(|v| match v {
                Value::Number(n) => n.to_string(),
                Value::Null => String::new(),
                other => field(&cell_text(other)),
            })
            .collect::<Vec<_>>()
            .join(",");
        out.push_str(&line);
        out.push_str("\r\n");
    }
    out
}

/// Rows drawn until the reader asks for all: the layout of a 500-row table alone cost a
/// filter change some 40 ms (scripts/measure-site.sh).
pub const FIRST_ROWS: usize = 100;

/// A sortable table with CSV export. `link` turns a row's first cell into a link. Values
/// beyond the columns are not shown (a link may ride there).
#[component]
pub fn DataTable(
    testid: &'static str,
    title: String,
    columns: Vec<Column>,
    rows: Vec<Vec<Value>>,
    #[prop(optional)] link: Option<Callback<Vec<Value>, String>>,
    /// A bar chart of the leading rows, between the title and the table.
    #[prop(optional)]
    chart: Option<BarSpec>,
) -> impl IntoView {
    let sort: RwSignal<Option<(usize, bool)>> = RwSignal::new(None);
    let all = RwSignal::new(false);
    let columns = StoredValue::new(columns);
    let rows = StoredValue::new(rows);
    let sorted = Memo::new(move |_| {
        let mut r = rows.get_value();
        if let Some((col, ascending)) = sort.get() {
            r.sort_by(|a, b| {
                let o = compare(
                    a.get(col).unwrap_or(&Value::Null),
                    b.get(col).unwrap_or(&Value::Null),
                );
                if ascending {
                    o
                } else {
                    o.reverse()
                }
            });
        }
        r
    });
    let file = format!("{testid}.csv");
    let export = move |_| {
        let csv = to_csv(&columns.get_value(), &sorted.get());
        if let Err(e) = bridge::download(&file, "text/csv;charset=utf-8", &csv) {
            leptos::logging::error!("CSV export failed: {e}");
        }
    };
    let header = move || {
        columns
            .get_value()
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let state = move || match sort.get() {
                    Some((col, true)) if col == i => "ascending",
                    Some((col, false)) if col == i => "descending",
                    _ => "none",
                };
                let numeric = c.numeric;
                let click = move |_| {
                    sort.update(|s| {
                        *s = match *s {
                            Some((col, asc)) if col == i => Some((i, !asc)),
                            // Numbers start largest first, text A→Z.
                            _ => Some((i, !numeric)),
                        }
                    })
                };
                view! {
                    <th scope="col" class:num=numeric aria-sort=state>
                        <button type="button" class="sort" on:click=click>{c.label}</button>
                    </th>
                }
            })
            .collect_view()
    };
    let display = use_context::<Display>().unwrap_or_default();
    let shapes = Memo::new(move |_| {
        let cols = columns.get_value();
        rows.with_value(|rows| {
            cols.iter()
                .enumerate()
                .map(|(i, c)| {
                    Shape::of(
                        c.kind,
                        rows.iter()
                            .filter_map(move |r| r.get(i).and_then(Value::as_f64)),
                    )
                })
                .collect::<Vec<_>>()
        })
    });
    // The chart labels its bars as the table's first column reads.
    let chart = chart.map(|spec| {
        let first = shapes.get_untracked().first().copied();
        let rows: Vec<Vec<Value>> = rows.with_value(|rows| {
            rows.iter()
                .map(|r| {
                    let mut r = r.clone();
                    if let (Some(cell), Some(shape)) = (r.first_mut(), first) {
                        *cell = Value::String(shape.show(cell, &display));
                    }
                    r
                })
                .collect()
        });
        view! { <BarChart testid spec rows /> }
    });
    let body = move || {
        let shapes = shapes.get();
        let numeric: Vec<bool> = columns.get_value().iter().map(|c| c.numeric).collect();
        sorted
            .get()
            .into_iter()
            .take(if all.get() { usize::MAX } else { FIRST_ROWS })
            .map(|row| {
                let href = link.map(|l| l.run(row.clone()));
                let cells =
                    row.iter()
                        .take(numeric.len())
                        .enumerate()
                        .map(|(i, v)| {
                            let text = shapes
                                .get(i)
                                .map_or_else(|| cell_text(v), |s| s.show(v, &display));
                            // The value itself where the text differs, for tests and
                            // scripts that read the page.
                            let raw = cell_text(v);
                            let value = (raw != text).then_some(raw);
                            if i == 0 {
                                match href.clone() {
                                    Some(h) => view! { <th scope="row" data-value=value><a href=h>{text}</a></th> }
                                        .into_any(),
                                    None => view! { <th scope="row" data-value=value>{text}</th> }.into_any(),
                                }
                            } else {
                                let num = numeric.get(i).copied().unwrap_or(false);
                                view! { <td class:num=num data-value=value>{text}</td> }.into_any()
                            }
                        })
                        .collect_view();
                view! { <tr>{cells}</tr> }
            })
            .collect_view()
    };
    let total = move || sorted.with(Vec::len);
    let cut = move || !all.get() && total() > FIRST_ROWS;
    let count = move || {
        if cut() {
            format!("first {FIRST_ROWS} of {} rows", total())
        } else {
            format!("{} rows", total())
        }
    };
    let more = move || {
        cut().then(|| {
            view! {
                <button type="button" class="more" data-testid=format!("{testid}-all")
                        on:click=move |_| all.set(true)>
                    {format!("Show all {} rows", total())}
                </button>
            }
        })
    };
    view! {
        <section>
            <div class="section-head">
                <h2>{title}</h2>
                <span class="muted">{count}</span>
                <button type="button" class="export" on:click=export data-testid=format!("{testid}-csv")>
                    "Export CSV"
                </button>
            </div>
            {chart}
            <div class="scroll">
                <table data-testid=testid>
                    <thead>
                        <tr>{header}</tr>
                    </thead>
                    <tbody>{body}</tbody>
                </table>
            </div>
            {more}
        </section>
    }
}
