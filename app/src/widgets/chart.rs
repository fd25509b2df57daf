//! The charts, drawn with plotters on a canvas at the screen's device pixel ratio in the
//! page's theme: in use vs issued over time, forecasts, bars, stacked bars and lines.

use chrono::DateTime;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

use crate::data::SeriesPoint;

/// A chart's colours, following the page's light or dark theme (the stylesheet's card,
/// text, line, accent and alarm colours).
#[derive(Clone, Copy)]
struct Palette {
    bg: RGBColor,
    fg: RGBColor,
    grid: RGBColor,
    in_use: RGBColor,
    issued: RGBColor,
}

const LIGHT: Palette = Palette {
    bg: RGBColor(255, 255, 255),
    fg: RGBColor(15, 23, 42),
    grid: RGBColor(226, 232, 240),
    in_use: RGBColor(37, 99, 235),
    issued: RGBColor(220, 38, 38),
};

const DARK: Palette = Palette {
    bg: RGBColor(17, 24, 39),
    fg: RGBColor(226, 232, 240),
    grid: RGBColor(55, 65, 81),
    in_use: RGBColor(96, 165, 250),
    issued: RGBColor(248, 113, 113),
};

/// The palette of the system's colour scheme, as the stylesheet follows it.
fn palette() -> Palette {
    let dark = web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches());
    if dark {
        DARK
    } else {
        LIGHT
    }
}

/// The canvas sized to its CSS box at the device pixel ratio, cleared to the theme's
/// background, as a drawing area; the ratio (fonts and strokes scale with it) and palette.
fn surface(
    canvas: &HtmlCanvasElement,
) -> Result<
    (
        DrawingArea<CanvasBackend, plotters::coord::Shift>,
        f64,
        Palette,
    ),
    String,
> {
    let ratio = web_sys::window()
        .map_or(1.0, |w| w.device_pixel_ratio())
        .max(1.0);
    let css_width = f64::from(canvas.client_width().max(320));
    let css_height = f64::from(canvas.client_height().max(100));
    canvas.set_width((css_width * ratio) as u32);
    canvas.set_height((css_height * ratio) as u32);
    let backend =
        CanvasBackend::with_canvas_object(canvas.clone()).ok_or("no 2D canvas context")?;
    let root = backend.into_drawing_area();
    let colors = palette();
    root.fill(&colors.bg).map_err(|e| e.to_string())?;
    Ok((root, ratio, colors))
}

type TimeChart<'a> = ChartContext<
    'a,
    CanvasBackend,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// A chart over time (epoch milliseconds) and licenses, with its caption and labelled axes.
fn time_chart<'a>(
    root: &DrawingArea<CanvasBackend, plotters::coord::Shift>,
    caption: &str,
    ratio: f64,
    x: std::ops::Range<f64>,
    y_max: f64,
    y_desc: &str,
    colors: Palette,
) -> Result<TimeChart<'a>, String> {
    let font = 14.0 * ratio;
    let text = |size: f64| ("sans-serif", size).into_font().color(&colors.fg);
    let mut chart = ChartBuilder::on(root)
        .caption(caption, text(font + 4.0))
        .margin((10.0 * ratio) as u32)
        .x_label_area_size((40.0 * ratio) as u32)
        .y_label_area_size((56.0 * ratio) as u32)
        .build_cartesian_2d(x, 0.0..y_max)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&day_label)
        .y_label_formatter(&|v| format!("{v:.0}"))
        .x_desc("date (UTC)")
        .y_desc(y_desc)
        .label_style(text(font))
        .axis_desc_style(text(font))
        .axis_style(colors.fg)
        .bold_line_style(colors.grid)
        .light_line_style(colors.grid.mix(0.4))
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(chart)
}

/// A line series with its legend entry.
fn line(
    chart: &mut TimeChart<'_>,
    points: impl IntoIterator<Item = (f64, f64)>,
    style: ShapeStyle,
    label: &str,
) -> Result<(), String> {
    let key = ShapeStyle {
        stroke_width: 3,
        ..style
    };
    chart
        .draw_series(LineSeries::new(points, style))
        .map_err(|e| e.to_string())?
        .label(label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], key));
    Ok(())
}

/// The series' legend at `position`, on a box of the background colour.
fn legend<CT: CoordTranslate>(
    chart: &mut ChartContext<'_, CanvasBackend, CT>,
    font: f64,
    colors: Palette,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .label_font(("sans-serif", font).into_font().color(&colors.fg))
        .background_style(colors.bg.mix(0.85))
        .border_style(colors.fg)
        .position(position)
        .draw()
        .map_err(|e| e.to_string())
}

/// Epoch milliseconds → `Nov 18`.
fn day_label(ms: &f64) -> String {
    DateTime::from_timestamp_millis(*ms as i64)
        .map(|t| t.format("%b %d").to_string())
        .unwrap_or_default()
}

/// Draw `points` for `feature` onto `canvas`, sized to its CSS box.
pub fn draw(
    canvas: &HtmlCanvasElement,
    feature: &str,
    points: &[SeriesPoint],
) -> Result<(), String> {
    let (root, ratio, colors) = surface(canvas)?;
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
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
    let mut chart = time_chart(
        &root,
        &format!("{feature}: licenses in use vs issued"),
        ratio,
        first.t_ms..x_end,
        y_max,
        "licenses",
        colors,
    )?;
    let stroke = (1.5 * ratio).max(1.0) as u32;
    line(
        &mut chart,
        points.iter().map(|p| (p.t_ms, p.issued)),
        colors.issued.stroke_width(stroke),
        "issued",
    )?;
    line(
        &mut chart,
        points.iter().map(|p| (p.t_ms, p.peak_in_use)),
        colors.in_use.stroke_width(stroke),
        "peak in use (hourly)",
    )?;
    legend(&mut chart, font, colors, SeriesLabelPosition::UpperLeft)?;
    root.present().map_err(err)
}

/// History `(ms, peak)`, the forecast `(ms, mean, low, high)` with its 95 % band, and the
/// issued count, for the forecast page. Small multiples share one legend beside them
/// (`with_legend` false): on a small canvas a legend would cover the lines.
pub fn draw_forecast(
    canvas: &HtmlCanvasElement,
    title: &str,
    history: &[(f64, f64)],
    forecast: &[(f64, f64, f64, f64)],
    issued: f64,
    with_legend: bool,
) -> Result<(), String> {
    let (root, ratio, colors) = surface(canvas)?;
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    let x0 = history
        .first()
        .map(|p| p.0)
        .or(forecast.first().map(|p| p.0));
    let x1 = forecast.last().map(|p| p.0).or(history.last().map(|p| p.0));
    let (Some(x0), Some(x1)) = (x0, x1) else {
        return Ok(());
    };
    let y_max = history
        .iter()
        .map(|p| p.1)
        .chain(forecast.iter().map(|p| p.3))
        .fold(issued.max(1.0), f64::max)
        * 1.3;
    let font = 14.0 * ratio;
    let mut chart = time_chart(
        &root,
        title,
        ratio,
        x0..x1.max(x0 + 86_400_000.0),
        y_max,
        "licenses (daily peak)",
        colors,
    )?;
    let stroke = (1.5 * ratio).max(1.0) as u32;
    let band: Vec<(f64, f64)> = forecast
        .iter()
        .map(|p| (p.0, p.3))
        .chain(forecast.iter().rev().map(|p| (p.0, p.2)))
        .collect();
    chart
        .draw_series(std::iter::once(Polygon::new(
            band,
            colors.in_use.mix(0.18).filled(),
        )))
        .map_err(err)?
        .label("95 % prediction interval")
        .legend(move |(x, y)| {
            Rectangle::new(
                [(x, y - 5), (x + 20, y + 5)],
                colors.in_use.mix(0.18).filled(),
            )
        });
    line(
        &mut chart,
        [(x0, issued), (x1, issued)],
        colors.issued.stroke_width(stroke),
        "issued",
    )?;
    line(
        &mut chart,
        history.iter().copied(),
        colors.fg.mix(0.7).stroke_width(stroke),
        "daily peak in use",
    )?;
    line(
        &mut chart,
        forecast.iter().map(|p| (p.0, p.1)),
        colors.in_use.stroke_width(stroke),
        "forecast",
    )?;
    if with_legend {
        legend(&mut chart, font, colors, SeriesLabelPosition::UpperLeft)?;
    }
    root.present().map_err(err)
}

/// Horizontal bars, one per label, longest first as given; `marks` draws a reference per
/// bar (a budget) as a tick across it. `unit` names the value axis.
pub fn draw_bars(
    canvas: &HtmlCanvasElement,
    title: &str,
    unit: &str,
    bars: &[(String, f64)],
    marks: Option<(&str, &[Option<f64>])>,
) -> Result<(), String> {
    let (root, ratio, colors) = surface(canvas)?;
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    if bars.is_empty() {
        return root.present().map_err(err);
    }
    let n = bars.len();
    let x_max = bars
        .iter()
        .map(|b| b.1)
        .chain(marks.iter().flat_map(|(_, m)| m.iter().flatten().copied()))
        .fold(0.0_f64, f64::max)
        .max(1e-9)
        * 1.08;
    let font = 13.0 * ratio;
    let text = |size: f64| ("sans-serif", size).into_font().color(&colors.fg);
    let longest = bars
        .iter()
        .map(|b| b.0.chars().count())
        .max()
        .unwrap_or(4)
        .min(24);
    let labels: Vec<String> = bars.iter().map(|b| short_label(&b.0, 24)).collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(title, text(font + 4.0))
        .margin((10.0 * ratio) as u32)
        .x_label_area_size((40.0 * ratio) as u32)
        .y_label_area_size(((longest as f64 * 7.5 + 16.0) * ratio) as u32)
        .build_cartesian_2d(0.0..x_max, (0..n).into_segmented())
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_labels(6)
        .y_labels(n)
        .x_label_formatter(&|v| compact(*v))
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) if *i < n => {
                // Row 0 at the top: the segments count from the bottom.
                labels.get(n - 1 - *i).cloned().unwrap_or_default()
            }
            _ => String::new(),
        })
        .x_desc(unit)
        .label_style(text(font))
        .axis_desc_style(text(font))
        .axis_style(colors.fg)
        .bold_line_style(colors.grid)
        .light_line_style(colors.grid.mix(0.4))
        .draw()
        .map_err(|e| e.to_string())?;
    let fill = colors.in_use.filled();
    chart
        .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
            let row = n - 1 - i;
            let mut bar = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(row)),
                    (*v, SegmentValue::Exact(row + 1)),
                ],
                fill,
            );
            bar.set_margin((3.0 * ratio) as u32, (3.0 * ratio) as u32, 0, 0);
            bar
        }))
        .map_err(err)?
        .label(unit)
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], fill));
    if let Some((label, marks)) = marks {
        let stroke = colors.issued.stroke_width((2.5 * ratio).max(1.0) as u32);
        chart
            .draw_series(marks.iter().enumerate().filter_map(|(i, m)| {
                let row = n - 1 - i;
                m.map(|m| {
                    PathElement::new(
                        vec![
                            (m, SegmentValue::Exact(row)),
                            (m, SegmentValue::Exact(row + 1)),
                        ],
                        stroke,
                    )
                })
            }))
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x + 10, y - 6), (x + 10, y + 6)], stroke));
    }
    legend(&mut chart, font, colors, SeriesLabelPosition::LowerRight)?;
    root.present().map_err(err)
}

/// Colours told apart in both themes, one per series of a stacked or multi-line chart.
fn series_color(i: usize, colors: Palette) -> RGBColor {
    const LIGHT_SERIES: [RGBColor; 7] = [
        RGBColor(37, 99, 235),
        RGBColor(234, 88, 12),
        RGBColor(22, 163, 74),
        RGBColor(147, 51, 234),
        RGBColor(202, 138, 4),
        RGBColor(8, 145, 178),
        RGBColor(100, 116, 139),
    ];
    const DARK_SERIES: [RGBColor; 7] = [
        RGBColor(96, 165, 250),
        RGBColor(251, 146, 60),
        RGBColor(74, 222, 128),
        RGBColor(192, 132, 252),
        RGBColor(250, 204, 21),
        RGBColor(34, 211, 238),
        RGBColor(148, 163, 184),
    ];
    let dark = colors.bg == DARK.bg;
    let set = if dark { DARK_SERIES } else { LIGHT_SERIES };
    set[i % set.len()]
}

/// Vertical bars, one per column (a month), each stacked from `series` (name, one value
/// per column) in the order given, with a legend. `unit` names the value axis.
pub fn draw_stacked(
    canvas: &HtmlCanvasElement,
    title: &str,
    unit: &str,
    columns: &[String],
    series: &[(String, Vec<f64>)],
) -> Result<(), String> {
    let (root, ratio, colors) = surface(canvas)?;
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    let n = columns.len();
    if n == 0 {
        return root.present().map_err(err);
    }
    let totals: Vec<f64> = (0..n)
        .map(|c| {
            series
                .iter()
                .map(|s| s.1.get(c).copied().unwrap_or(0.0))
                .sum()
        })
        .collect();
    // Headroom above the tallest stack for the legend (about 18 px a series, of a plot
    // about 110 px shorter than the canvas).
    let plot = (f64::from(canvas.height()) / ratio - 110.0).max(100.0);
    let legend_share = (18.0 * series.len() as f64 + 24.0) / plot;
    let y_max =
        totals.iter().copied().fold(0.0_f64, f64::max).max(1e-9) / (1.0 - legend_share).max(0.35);
    let font = 13.0 * ratio;
    let text = |size: f64| ("sans-serif", size).into_font().color(&colors.fg);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, text(font + 4.0))
        .margin((10.0 * ratio) as u32)
        .x_label_area_size((40.0 * ratio) as u32)
        .y_label_area_size((56.0 * ratio) as u32)
        .build_cartesian_2d((0..n).into_segmented(), 0.0..y_max)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .y_labels(6)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                columns.get(*i).cloned().unwrap_or_default()
            }
            SegmentValue::Last => String::new(),
        })
        .y_label_formatter(&|v| compact(*v))
        .y_desc(unit)
        .label_style(text(font))
        .axis_desc_style(text(font))
        .axis_style(colors.fg)
        .bold_line_style(colors.grid)
        .light_line_style(colors.grid.mix(0.4))
        .draw()
        .map_err(|e| e.to_string())?;
    let mut base = vec![0.0; n];
    for (k, (name, values)) in series.iter().enumerate() {
        let fill = series_color(k, colors).filled();
        let bottoms = base.clone();
        chart
            .draw_series((0..n).map(|c| {
                let v = values.get(c).copied().unwrap_or(0.0);
                let mut bar = Rectangle::new(
                    [
                        (SegmentValue::Exact(c), bottoms[c]),
                        (SegmentValue::Exact(c + 1), bottoms[c] + v),
                    ],
                    fill,
                );
                bar.set_margin(0, 0, (6.0 * ratio) as u32, (6.0 * ratio) as u32);
                bar
            }))
            .map_err(err)?
            .label(short_label(name, 28))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], fill));
        for (c, b) in base.iter_mut().enumerate() {
            *b += values.get(c).copied().unwrap_or(0.0);
        }
    }
    legend(&mut chart, font, colors, SeriesLabelPosition::UpperLeft)?;
    root.present().map_err(err)
}

/// Lines over a numeric x axis (`x_desc`), one per series (name, points), with a legend;
/// the first series is drawn boldest.
pub fn draw_lines(
    canvas: &HtmlCanvasElement,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[(String, Vec<(f64, f64)>)],
) -> Result<(), String> {
    let (root, ratio, colors) = surface(canvas)?;
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    let points = || series.iter().flat_map(|s| s.1.iter());
    let x_max = points().map(|p| p.0).fold(1.0_f64, f64::max);
    let y_max = points().map(|p| p.1).fold(0.0_f64, f64::max).max(1e-9) * 1.3;
    let font = 13.0 * ratio;
    let text = |size: f64| ("sans-serif", size).into_font().color(&colors.fg);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, text(font + 4.0))
        .margin((10.0 * ratio) as u32)
        .x_label_area_size((40.0 * ratio) as u32)
        .y_label_area_size((56.0 * ratio) as u32)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_labels(8)
        .y_labels(6)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| compact(*v))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style(text(font))
        .axis_desc_style(text(font))
        .axis_style(colors.fg)
        .bold_line_style(colors.grid)
        .light_line_style(colors.grid.mix(0.4))
        .draw()
        .map_err(|e| e.to_string())?;
    for (k, (name, pts)) in series.iter().enumerate() {
        let width = if k == 0 { 2.5 } else { 1.5 };
        let style = series_color(k, colors).stroke_width((width * ratio).max(1.0) as u32);
        let key = ShapeStyle {
            stroke_width: 3,
            ..style
        };
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), style))
            .map_err(err)?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], key));
    }
    legend(&mut chart, font, colors, SeriesLabelPosition::UpperLeft)?;
    root.present().map_err(err)
}

/// An axis figure in few characters: `950`, `12.5k`, `3.1M`.
fn compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else if a >= 10.0 || v == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// A label cut to `max` characters with an ellipsis (the table beside has it whole).
fn short_label(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let cut: String = s.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}
