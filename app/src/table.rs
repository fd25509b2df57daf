//! A data table: a real `<table>` with header cells, sortable by any column, its first
//! rows drawn and the rest on request, and a CSV export of all its rows in the order shown.

use leptos::prelude::*;
use serde_json::Value;

use crate::bridge;

/// One column: its header and whether it holds numbers (right-aligned, sorted numerically).
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub label: String,
    pub numeric: bool,
}

impl Column {
    pub fn text(label: &str) -> Self {
        Self {
            label: label.to_owned(),
            numeric: false,
        }
    }
    pub fn number(label: &str) -> Self {
        Self {
            label: label.to_owned(),
            numeric: true,
        }
    }
}

/// A cell as shown: numbers with at most two decimals, text as text (escaped by Leptos).
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
    use lmscope::chargeback::csv_field as field;
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
    let body = move || {
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
                            let text = cell_text(v);
                            if i == 0 {
                                match href.clone() {
                                    Some(h) => view! { <th scope="row"><a href=h>{text}</a></th> }
                                        .into_any(),
                                    None => view! { <th scope="row">{text}</th> }.into_any(),
                                }
                            } else {
                                let num = numeric.get(i).copied().unwrap_or(false);
                                view! { <td class:num=num>{text}</td> }.into_any()
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
