//! A bar chart of a table's leading rows (the table beside it is its text equivalent):
//! drawn on a canvas at the screen's pixel ratio in the page's theme, with PNG export, and
//! the plotted labels and values exposed as data attributes for checks and scripts.

use leptos::html::Canvas;
use leptos::prelude::*;
use serde_json::Value;

use crate::chart;

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
    let canvas = NodeRef::<Canvas>::new();
    let error = RwSignal::new(None::<String>);
    let resized = RwSignal::new(0u32);
    let listener = window_event_listener(leptos::ev::resize, move |_| resized.update(|n| *n += 1));
    on_cleanup(move || listener.remove());
    let labels_json =
        serde_json::to_string(&bars.iter().map(|b| &b.0).collect::<Vec<_>>()).unwrap_or_default();
    let values_json =
        serde_json::to_string(&bars.iter().map(|b| b.1).collect::<Vec<_>>()).unwrap_or_default();
    let marks_json = spec
        .mark
        .as_ref()
        .map(|_| serde_json::to_string(&marks).unwrap_or_default());
    let (title, unit, mark_label) = (
        spec.title.clone(),
        spec.unit.clone(),
        spec.mark.as_ref().map(|m| m.1.clone()),
    );
    let height = format!("height: {}px", 90 + 26 * bars.len().max(1));
    let bars = StoredValue::new(bars);
    let marks = StoredValue::new(marks);
    Effect::new(move |_| {
        resized.track();
        if let Some(el) = canvas.get() {
            let (title, unit, mark_label) = (title.clone(), unit.clone(), mark_label.clone());
            let (labels_json, values_json, marks_json) =
                (labels_json.clone(), values_json.clone(), marks_json.clone());
            request_animation_frame(move || {
                let drawn = bars.with_value(|b| {
                    marks.with_value(|m| {
                        let marks = mark_label.as_deref().map(|l| (l, m.as_slice()));
                        chart::draw_bars(&el, &title, &unit, b, marks)
                    })
                });
                match drawn {
                    // What was plotted, once it is on the canvas.
                    Ok(()) => {
                        let _ = el.set_attribute("data-labels", &labels_json);
                        let _ = el.set_attribute("data-values", &values_json);
                        if let Some(m) = &marks_json {
                            let _ = el.set_attribute("data-marks", m);
                        }
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    });
    let file = format!("{testid}.png");
    let export_png = move |_| {
        if let Some(el) = canvas.get_untracked() {
            if let Err(e) = crate::bridge::download_png(&file, &el) {
                error.set(Some(format!("PNG export failed: {e}")));
            }
        }
    };
    let label = format!(
        "{}: bar chart; the table below lists the same figures",
        spec.title
    );
    view! {
        <figure class="bars">
            <button type="button" class="export" on:click=export_png data-testid=format!("{testid}-chart-png")>
                "Export PNG"
            </button>
            <canvas node_ref=canvas class="chart" style=height role="img" aria-label=label
                data-testid=format!("{testid}-chart")></canvas>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </figure>
    }
}
