//! Drawing the charts with plotters' SVG backend, in the dark wall style: no background
//! (the screen's shows through), light text and lines. Text is emitted as `<text>`
//! elements, so the browser sets the Chinese labels in its own CJK font; plotters only
//! estimates their width (no font files are read), which is enough for laying out axes.

use plotters::coord::ranged1d::{SegmentValue, SegmentedCoord};
use plotters::coord::types::{RangedCoordf64, RangedCoordusize};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::{DayCount, DomainCount, RegionRate};

/// Every chart's size in SVG user units (it carries a viewBox and scales with its box).
pub const SIZE: (u32, u32) = (640, 360);

const FONT: &str = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif";
const TEXT: RGBColor = RGBColor(0xd8, 0xe6, 0xff);
const AXIS: RGBColor = RGBColor(0x5a, 0x72, 0x99);
const RED: RGBColor = RGBColor(0xff, 0x5b, 0x5b);
const GREEN: RGBColor = RGBColor(0x3d, 0xdc, 0x84);
const BLUE: RGBColor = RGBColor(0x4d, 0xa3, 0xff);

/// A chart could not be drawn (a plotters error; not expected with in-memory SVG).
#[derive(Debug, thiserror::Error)]
#[error("drawing the chart failed: {0}")]
pub struct DrawError(String);

fn failed(error: impl std::fmt::Display) -> DrawError {
    DrawError(error.to_string())
}

/// A text style `size` pixels high. plotters writes a font's size divided by 1.24 into
/// the SVG, so the size asked of it is scaled up by as much.
fn font(size: u32) -> TextStyle<'static> {
    (FONT, f64::from(size) * 1.24).into_font().color(&TEXT)
}

fn grid() -> ShapeStyle {
    RGBAColor(0xff, 0xff, 0xff, 0.10).stroke_width(1)
}

/// Raised and rectified per day, two lines.
pub fn trend(title: &str, days: &[DayCount]) -> Result<String, DrawError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let top = days
            .iter()
            .map(|d| d.raised.max(d.rectified))
            .max()
            .unwrap_or(0);
        let y_max = top + top / 5 + 2;
        let x_max = days.len().saturating_sub(1).max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, font(22))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d(0..x_max, 0..y_max)
            .map_err(failed)?;
        let day_label = |i: &usize| {
            days.get(*i)
                .map(|d| d.day.format("%m-%d").to_string())
                .unwrap_or_default()
        };
        chart
            .configure_mesh()
            .axis_style(AXIS)
            .bold_line_style(grid())
            .light_line_style(TRANSPARENT)
            .disable_x_mesh()
            .x_labels(8)
            .x_label_formatter(&day_label)
            .y_labels(6)
            .label_style(font(19))
            .draw()
            .map_err(failed)?;
        for (name, colour, value) in [
            (
                "新增预警",
                RED,
                (|d: &DayCount| d.raised) as fn(&DayCount) -> u32,
            ),
            ("整改销号", GREEN, |d: &DayCount| d.rectified),
        ] {
            let points = days.iter().enumerate().map(|(i, d)| (i, value(d)));
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(3)))
                .map_err(failed)?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 22, y)], colour.stroke_width(3))
                });
        }
        legend(&mut chart)?;
        root.present().map_err(failed)?;
    }
    Ok(svg)
}

/// One group of bars per category.
pub struct Bars<'a> {
    pub name: &'a str,
    pub colour: RGBColor,
    /// `None` draws no bar (no data), unlike zero.
    pub values: Vec<Option<f64>>,
}

/// Up to this many children are drawn as columns; more as horizontal bars, whose names
/// stay readable however many there are.
pub const MAX_COLUMNS: usize = 8;
/// The most rows a horizontal chart shows (the rest folded into one, see
/// `data::worst_first`).
pub const MAX_ROWS: usize = 8;

/// On-time rate and rectified share per child region, in percent.
pub fn rectification(title: &str, rates: &[RegionRate]) -> Result<String, DrawError> {
    if rates.len() > MAX_COLUMNS {
        let rows = super::data::worst_first(rates.to_vec(), MAX_ROWS);
        return rectification_rows(title, &rows);
    }
    let names: Vec<String> = rates.iter().map(|r| r.name.clone()).collect();
    let series = [
        Bars {
            name: "按期整改率",
            colour: GREEN,
            values: rates.iter().map(RegionRate::on_time_percent).collect(),
        },
        Bars {
            name: "整改完成率",
            colour: BLUE,
            values: rates.iter().map(RegionRate::rectified_percent).collect(),
        },
    ];
    grouped_bars(title, &names, &series, 100.0, "%")
}

/// The same figures as horizontal bars, one row per region, the first at the top.
fn rectification_rows(title: &str, rates: &[RegionRate]) -> Result<String, DrawError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let n = rates.len().max(1);
        let name_width = rates
            .iter()
            .map(|r| r.name.chars().count())
            .max()
            .unwrap_or(2)
            .clamp(2, 6) as u32;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, font(22))
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(name_width * 21 + 16)
            .build_cartesian_2d(0.0..100.0, (0..n - 1).into_segmented())
            .map_err(failed)?;
        // Segment 0 is at the bottom: the first region goes to the top.
        let row_name = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) => rates
                .get(n - 1 - *i)
                .map(|r| short_name(&r.name, 6))
                .unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .axis_style(AXIS)
            .bold_line_style(grid())
            .light_line_style(TRANSPARENT)
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&row_name)
            .x_labels(6)
            .x_label_formatter(&|v: &f64| format!("{v:.0}%"))
            .label_style(font(19))
            .draw()
            .map_err(failed)?;
        let slot = f64::from(chart.plotting_area().dim_in_pixel().1) / n as f64;
        let series = [
            (
                "按期整改率",
                GREEN,
                RegionRate::on_time_percent as fn(&RegionRate) -> Option<f64>,
            ),
            ("整改完成率", BLUE, RegionRate::rectified_percent),
        ];
        for (k, (name, colour, value)) in series.into_iter().enumerate() {
            let bar = slot * 0.7 / 2.0;
            let top = slot * 0.15 + bar * k as f64;
            let bottom = (slot - top - bar).max(0.0);
            let drawn = rates
                .iter()
                .enumerate()
                .filter_map(|(i, r)| Some((n - 1 - i, value(r)?)));
            chart
                .draw_series(drawn.map(|(row, v)| {
                    let mut rect = Rectangle::new(
                        [
                            (0.0, SegmentValue::Exact(row + 1)),
                            (v, SegmentValue::Exact(row)),
                        ],
                        colour.filled(),
                    );
                    rect.set_margin(top.round() as u32, bottom.round() as u32, 0, 0);
                    rect
                }))
                .map_err(failed)?
                .label(name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 14, y + 6)], colour.filled())
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font(font(17))
            .background_style(RGBAColor(0x0b, 0x16, 0x2c, 0.8))
            .border_style(TRANSPARENT)
            .draw()
            .map_err(failed)?;
        root.present().map_err(failed)?;
    }
    Ok(svg)
}

/// A name cut to `max` characters with "…", for an axis label.
fn short_name(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        return name.to_owned();
    }
    let kept: String = name.chars().take(max - 1).collect();
    format!("{kept}…")
}

/// Open and total warnings per rule domain.
pub fn domains(title: &str, counts: &[DomainCount]) -> Result<String, DrawError> {
    let names: Vec<String> = counts.iter().map(|c| c.label.to_owned()).collect();
    let top = counts.iter().map(|c| c.total).max().unwrap_or(0);
    let series = [
        Bars {
            name: "未销号",
            colour: RED,
            values: counts.iter().map(|c| Some(f64::from(c.open))).collect(),
        },
        Bars {
            name: "累计",
            colour: BLUE,
            values: counts.iter().map(|c| Some(f64::from(c.total))).collect(),
        },
    ];
    let y_max = (f64::from(top) * 1.2).ceil().max(5.0);
    grouped_bars(title, &names, &series, y_max, "")
}

/// Bars side by side in each category's slot, the category named under it and each bar's
/// value above it.
fn grouped_bars(
    title: &str,
    categories: &[String],
    series: &[Bars<'_>],
    y_max: f64,
    unit: &str,
) -> Result<String, DrawError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let n = categories.len().max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, font(22))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(64)
            // plotters' integer ranges include their end: `0..n - 1` holds n slots.
            .build_cartesian_2d((0..n - 1).into_segmented(), 0.0..y_max)
            .map_err(failed)?;
        let category = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) => categories.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        let value_label = |v: &f64| format!("{v:.0}{unit}");
        chart
            .configure_mesh()
            .axis_style(AXIS)
            .bold_line_style(grid())
            .light_line_style(TRANSPARENT)
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&category)
            .y_labels(6)
            .y_label_formatter(&value_label)
            .label_style(font(19))
            .draw()
            .map_err(failed)?;
        // Each slot is split in pixels: a fifth of margin on either side, bars between.
        let slot = f64::from(chart.plotting_area().dim_in_pixel().0) / n as f64;
        for (k, bars) in series.iter().enumerate() {
            draw_bars(&mut chart, bars, (k, series.len()), slot, &value_label)?;
        }
        legend(&mut chart)?;
        root.present().map_err(failed)?;
    }
    Ok(svg)
}

type BarChart<'a> =
    ChartContext<'a, SVGBackend<'a>, Cartesian2d<SegmentedCoord<RangedCoordusize>, RangedCoordf64>>;

/// Draws series `k` of `of` in every slot `slot` pixels wide, with its values above.
fn draw_bars(
    chart: &mut BarChart<'_>,
    bars: &Bars<'_>,
    (k, of): (usize, usize),
    slot: f64,
    value_label: &dyn Fn(&f64) -> String,
) -> Result<(), DrawError> {
    let bar = slot * 0.6 / of.max(1) as f64;
    let left = slot * 0.2 + bar * k as f64;
    let right = (slot - left - bar).max(0.0);
    let colour = bars.colour;
    let drawn = bars
        .values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| Some((i, (*v)?)));
    chart
        .draw_series(drawn.clone().map(|(i, v)| {
            let mut rect = Rectangle::new(
                [
                    (SegmentValue::Exact(i), 0.0),
                    (SegmentValue::Exact(i + 1), v),
                ],
                colour.filled(),
            );
            rect.set_margin(0, 0, left.round() as u32, right.round() as u32);
            rect
        }))
        .map_err(failed)?
        .label(bars.name)
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], colour.filled()));
    let centre = (left + bar / 2.0).round() as i32;
    let style = font(17).pos(Pos::new(HPos::Center, VPos::Bottom));
    chart
        .draw_series(drawn.map(|(i, v)| {
            EmptyElement::at((SegmentValue::Exact(i), v))
                + Text::new(value_label(&v), (centre, -4), style.clone())
        }))
        .map_err(failed)?;
    Ok(())
}

fn legend<'a, X, Y>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, Y>>,
) -> Result<(), DrawError>
where
    X: plotters::coord::ranged1d::Ranged,
    Y: plotters::coord::ranged1d::Ranged,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(font(19))
        .background_style(TRANSPARENT)
        .border_style(TRANSPARENT)
        .draw()
        .map_err(failed)
}
