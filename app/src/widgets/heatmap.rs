//! The hour × weekday heatmap: a real table (weekdays by hours of the day), each cell's
//! shade scaled to the largest average, its number as text.

use leptos::prelude::*;
use serde_json::Value;

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// `rows`: ISO weekday (1–7), hour (0–23), average in use, peak in use.
#[component]
pub fn Heatmap(title: String, rows: Vec<Vec<Value>>) -> impl IntoView {
    let mut grid = [[None::<(f64, f64)>; 24]; 7];
    for r in &rows {
        let num = |i: usize| r.get(i).and_then(Value::as_f64);
        if let (Some(d), Some(h), Some(avg), Some(peak)) = (num(0), num(1), num(2), num(3)) {
            let (d, h) = (d as usize, h as usize);
            if (1..=7).contains(&d) && h < 24 {
                grid[d - 1][h] = Some((avg, peak));
            }
        }
    }
    let max = grid
        .iter()
        .flatten()
        .flatten()
        .map(|(avg, _)| *avg)
        .fold(0.0_f64, f64::max);
    let head = (0..24)
        .map(|h| view! { <th scope="col" class="num">{format!("{h:02}")}</th> })
        .collect_view();
    let body = grid
        .iter()
        .zip(WEEKDAYS)
        .map(|(hours, day)| {
            let cells = hours
                .iter()
                .map(|cell| match cell {
                    Some((avg, peak)) => {
                        let share = if max > 0.0 { avg / max } else { 0.0 };
                        let style = format!(
                            "background: color-mix(in srgb, var(--accent) {:.0}%, transparent)",
                            share * 85.0
                        );
                        let tip = format!("average {avg:.2}, peak {peak:.0}");
                        view! { <td class="num" style=style title=tip>{format!("{avg:.1}")}</td> }
                            .into_any()
                    }
                    None => view! { <td class="num muted">"—"</td> }.into_any(),
                })
                .collect_view();
            view! { <tr><th scope="row">{day}</th>{cells}</tr> }
        })
        .collect_view();
    view! {
        <section>
            <h2>{title}</h2>
            <p class="muted">"Average licenses in use in each hour of the week (UTC); hover a cell for the peak."</p>
            <div class="scroll">
                <table class="heatmap" data-testid="heatmap">
                    <thead><tr><th scope="col">"Day"</th>{head}</tr></thead>
                    <tbody>{body}</tbody>
                </table>
            </div>
        </section>
    }
}
