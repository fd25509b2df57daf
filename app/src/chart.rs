//! The in-use vs issued line chart, drawn with plotters on a canvas at the screen's
//! device pixel ratio.

use chrono::DateTime;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

use crate::data::SeriesPoint;

const IN_USE: RGBColor = RGBColor(37, 99, 235);
const ISSUED: RGBColor = RGBColor(220, 38, 38);

/// Draw `points` for `feature` onto `canvas`, sized to its CSS box.
pub fn draw(
    canvas: &HtmlCanvasElement,
    feature: &str,
    points: &[SeriesPoint],
) -> Result<(), String> {
    let ratio = web_sys::window()
        .map_or(1.0, |w| w.device_pixel_ratio())
        .max(1.0);
    let css_width = f64::from(canvas.client_width().max(320));
    let css_height = f64::from(canvas.client_height().max(240));
    canvas.set_width((css_width * ratio) as u32);
    canvas.set_height((css_height * ratio) as u32);
    let backend =
        CanvasBackend::with_canvas_object(canvas.clone()).ok_or("no 2D canvas context")?;
    let root = backend.into_drawing_area();
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Ok(());
    };
    let y_max = points
        .iter()
        .map(|p| p.peak_in_use.max(p.issued))
        .fold(1.0_f64, f64::max)
        * 1.35; // headroom for the legend above the issued line
    let x_end = if last.t_ms > first.t_ms {
        last.t_ms
    } else {
        first.t_ms + 3_600_000.0
    };
    let font = 14.0 * ratio;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{feature}: licenses in use vs issued"),
            ("sans-serif", font + 4.0),
        )
        .margin((10.0 * ratio) as u32)
        .x_label_area_size((40.0 * ratio) as u32)
        .y_label_area_size((56.0 * ratio) as u32)
        .build_cartesian_2d(first.t_ms..x_end, 0.0..y_max)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&|ms| {
            DateTime::from_timestamp_millis(*ms as i64)
                .map(|t| t.format("%b %d").to_string())
                .unwrap_or_default()
        })
        .y_label_formatter(&|v| format!("{v:.0}"))
        .x_desc("date (UTC)")
        .y_desc("licenses")
        .label_style(("sans-serif", font))
        .draw()
        .map_err(err)?;
    let stroke = (1.5 * ratio).max(1.0) as u32;
    chart
        .draw_series(LineSeries::new(
            points.iter().map(|p| (p.t_ms, p.issued)),
            ISSUED.stroke_width(stroke),
        ))
        .map_err(err)?
        .label("issued")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], ISSUED.stroke_width(3)));
    chart
        .draw_series(LineSeries::new(
            points.iter().map(|p| (p.t_ms, p.peak_in_use)),
            IN_USE.stroke_width(stroke),
        ))
        .map_err(err)?
        .label("peak in use (hourly)")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], IN_USE.stroke_width(3)));
    chart
        .configure_series_labels()
        .label_font(("sans-serif", font))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)
}
