//! A bar chart of a table's leading rows (the table beside it is its text equivalent):
//! drawn on a canvas at the screen's pixel ratio in the page's theme, with PNG export, and
//! the plotted labels and values exposed as data attributes for checks and scripts.

use std::rc::Rc;

use leptos::prelude::*;
use serde_json::Value;

use crate::widgets::chart;
use crate::widgets::figure::{json_attr, Draw, Figure};

/// What to chart of a table's rows: the value column, the axis unit, how many rows.
#[derive(Clone, Debug, PartialEq)]
pub struct BarSpec {
    /// The chart's caption.
    pub title: String,
    /// Index of the plotted column in each row.
    pub column: usize,
    /// The value axis' description, with its unit.
    pub unit: String,
    /// How many leading rows are plotted.
    pub top: usize,
    /// A second column drawn as a tick across each bar (a budget), with its legend.
    pub mark: Option<(usize, String)>,
}

impl BarSpec {
    pub fn new(title: impl Into<String>, column: usize, unit: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            column,
            unit: unit.into(),
            top: 12,
            mark: None,
        }
    }

    /// Plot the first `top` rows (time series show all their periods).
    pub fn with_top(mut self, top: usize) -> Self {
        self.top = top;
        self
    }

    /// Draw column `column` of each row as a tick labelled `label`.
    pub fn with_mark(mut self, column: usize, label: impl Into<String>) -> Self {
        self.mark = Some((column, label.into()));
        self
    }

    /// The bars of `rows`: the first cell's text (a weekday without its ordinal), and the
    /// value; rows without a number are skipped.
    pub fn bars(&self, rows: &[Vec<Value>]) -> (Vec<(String, f64)>, Vec<Option<f64>>) {
        rows.iter()
            .filter_map(|r| {
                let v = r.get(self.column)?.as_f64()?;
                let label = match r.first() {
                    Some(Value::String(s)) => weekday_name(s).to_owned(),
                    Some(Value::Null) | None => "—".to_owned(),
                    Some(other) => other.to_string(),
                };
                let mark = self
                    .mark
                    .as_ref()
                    .and_then(|(c, _)| r.get(*c))
                    .and_then(Value::as_f64);
                Some(((label, v), mark))
            })
            .take(self.top)
            .unzip()
    }
}

/// `3 Wednesday` → `Wednesday`; any other text as it is.
fn weekday_name(s: &str) -> &str {
    match s.split_once(' ') {
        Some((n, name)) if n.len() == 1 && n.parse::<u8>().is_ok() => name,
        _ => s,
    }
}

/// The chart of `rows` as `spec` says, named `testid` (its canvas `TESTID-chart`).
#[component]
pub fn BarChart(testid: &'static str, spec: BarSpec, rows: Vec<Vec<Value>>) -> impl IntoView {
    let (bars, marks) = spec.bars(&rows);
    let mut data = vec![
        (
            "labels",
            json_attr(&bars.iter().map(|b| &b.0).collect::<Vec<_>>()),
        ),
        (
            "values",
            json_attr(&bars.iter().map(|b| b.1).collect::<Vec<_>>()),
        ),
    ];
    if spec.mark.is_some() {
        data.push(("marks", json_attr(&marks)));
    }
    let height_px = (90 + 26 * bars.len() as u32).max(170);
    let label = format!(
        "{}: bar chart; the table below lists the same figures",
        spec.title
    );
    let draw: Draw = Rc::new(move |el| {
        let marks = spec
            .mark
            .as_ref()
            .map(|(_, label)| (label.as_str(), marks.as_slice()));
        chart::draw_bars(el, &spec.title, &spec.unit, &bars, marks)
    });
    view! { <Figure testid=testid.to_owned() label height_px data draw /> }
}
