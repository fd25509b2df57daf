//! A chart's frame: a canvas drawn after layout (and again when the window resizes) by the
//! given drawing function, its plotted figures exposed as data attributes once drawn (for
//! checks and scripts), a PNG export button and any drawing error shown in the page.

use std::rc::Rc;

use leptos::html::Canvas;
use leptos::prelude::*;
use web_sys::HtmlCanvasElement;

/// Draws a chart onto its canvas (sized to its CSS box by the drawing code).
pub type Draw = Rc<dyn Fn(&HtmlCanvasElement) -> Result<(), String>>;

/// A canvas named `TESTID-chart`, `height_px` tall, described by `label` for screen
/// readers; `data` (attribute name without `data-`, value) is set once `draw` succeeded.
#[component]
pub fn Figure(
    testid: String,
    label: String,
    height_px: u32,
    data: Vec<(&'static str, String)>,
    draw: Draw,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let error = RwSignal::new(None::<String>);
    let resized = RwSignal::new(0u32);
    let listener = window_event_listener(leptos::ev::resize, move |_| resized.update(|n| *n += 1));
    on_cleanup(move || listener.remove());
    let data = Rc::new(data);
    Effect::new(move |_| {
        resized.track();
        if let Some(el) = canvas.get() {
            let (draw, data) = (draw.clone(), data.clone());
            // Draw once the canvas is laid out, so it is measured at its real size.
            request_animation_frame(move || match draw(&el) {
                Ok(()) => {
                    for (name, value) in data.iter() {
                        let _ = el.set_attribute(&format!("data-{name}"), value);
                    }
                }
                Err(e) => error.set(Some(e)),
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
    view! {
        <figure class="bars">
            <button type="button" class="export" on:click=export_png data-testid=format!("{testid}-chart-png")>
                "Export PNG"
            </button>
            <canvas node_ref=canvas class="chart" style=format!("height: {height_px}px") role="img"
                aria-label=label data-testid=format!("{testid}-chart")></canvas>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </figure>
    }
}

/// `value` as JSON text for a data attribute (empty if it cannot be written).
pub fn json_attr(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
