//! A report's charts as PNG images for e-mail, drawn natively with plotters (the site
//! draws its own on a canvas): the largest groups as horizontal bars, and license-hours per
//! day as a line. Text is set in DejaVu Sans, bundled (`assets/`), so no system font is
//! needed.

use std::sync::Once;

use chrono::NaiveDate;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

const WIDTH: u32 = 720;
const BLUE: RGBColor = RGBColor(0x1f, 0x6f, 0xb5);
static FONT: Once = Once::new();

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("chart: {0}")]
pub struct ChartError(String);

fn err(e: impl std::fmt::Display) -> ChartError {
    ChartError(e.to_string())
}

fn font() {
    FONT.call_once(|| {
        let _ = register_font(
            "sans-serif",
            FontStyle::Normal,
            include_bytes!("../../../assets/DejaVuSans.ttf"),
        );
    });
}

/// Raw RGB pixels → PNG.
fn png(pixels: &[u8], width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
    let image = image::RgbImage::from_raw(width, height, pixels.to_vec())
        .ok_or_else(|| err("buffer size"))?;
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(err)?;
    Ok(out.into_inner())
}

/// The largest groups (at most 12) as horizontal bars of `values`, labelled.
pub fn bars(title: &str, rows: &[(String, f64)]) -> Result<Vec<u8>, ChartError> {
    font();
    // Segment 0 is at the bottom: the largest group goes last, to the top.
    let mut rows: Vec<&(String, f64)> = rows.iter().take(12).collect();
    rows.reverse();
    let height = 80 + 28 * rows.len().max(1) as u32;
    let mut pixels = vec![0u8; (WIDTH * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let max = rows.iter().map(|r| r.1).fold(0.0_f64, f64::max).max(1e-9);
        let n = rows.len().max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(10)
            .margin_right(30)
            .x_label_area_size(24)
            .y_label_area_size(180)
            .build_cartesian_2d(0.0..max * 1.05, (0..n).into_segmented())
            .map_err(err)?;
        let labels: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .x_label_formatter(&|v| crate::format::grouped(*v, 0))
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels
                    .get(*i)
                    .map(|l| l.chars().take(26).collect())
                    .unwrap_or_default(),
                _ => String::new(),
            })
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(rows.iter().enumerate().map(|(i, (_, v))| {
                let mut bar = Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(i)),
                        (*v, SegmentValue::Exact(i + 1)),
                    ],
                    BLUE.filled(),
                );
                bar.set_margin(4, 4, 0, 0);
                bar
            }))
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    png(&pixels, WIDTH, height)
}

/// A daily series as a line.
pub fn daily(title: &str, points: &[(NaiveDate, f64)]) -> Result<Vec<u8>, ChartError> {
    font();
    let height = 300;
    let mut pixels = vec![0u8; (WIDTH * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let (Some(first), Some(last)) = (points.first(), points.last()) else {
            root.present().map_err(err)?;
            drop(root);
            return png(&pixels, WIDTH, height);
        };
        let max = points.iter().map(|p| p.1).fold(0.0_f64, f64::max).max(1e-9);
        // Days since the first, so the axis needs no date support.
        let start = first.0;
        let span = (last.0 - start).num_days().max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(10)
            .margin_right(30)
            .x_label_area_size(28)
            .y_label_area_size(70)
            .build_cartesian_2d(0..span, 0.0..max * 1.1)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_labels(6)
            .x_label_formatter(&|d| {
                (start + chrono::TimeDelta::days(*d))
                    .format("%b %d")
                    .to_string()
            })
            .y_label_formatter(&|v| crate::format::grouped(*v, 0))
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|(d, v)| ((*d - start).num_days(), *v)),
                BLUE.stroke_width(2),
            ))
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    png(&pixels, WIDTH, height)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_png_images_of_their_size() {
        let rows = vec![("chip".to_owned(), 120.0), ("mech <&>".to_owned(), 80.5)];
        let png = bars("License-hours", &rows).expect("bars");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).expect("day");
        let png = daily("Per day", &[(day(1), 3.0), (day(2), 5.0), (day(3), 4.0)]).expect("line");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert!(daily("Per day", &[]).is_ok());
    }
}
