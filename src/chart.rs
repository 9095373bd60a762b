//! Draws a [`Market`] as a PNG: the weekly median monthly price (with each
//! week's count) above, the distribution of price per m² below, with the
//! user's range and a listing marked. Rendered in memory with a font built
//! into the binary (no system font, no browser).

use std::{io::Write, sync::OnceLock};

use plotters::{
    prelude::*,
    style::{FontStyle, register_font},
};

use crate::market::{Market, WEEKS};

/// The chart's size in pixels.
pub const WIDTH: u32 = 960;
pub const HEIGHT: u32 = 720;

/// The font every label is drawn with (Latin and Cyrillic).
static FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

/// The texts of a chart, in the reader's language.
#[derive(Debug, Clone)]
pub struct Labels {
    /// Above the chart: what it shows (the filter).
    pub title: String,
    /// The upper panel: median monthly price per week.
    pub weekly: String,
    /// The lower panel: price per m².
    pub per_m2: String,
    /// The user's price range, marked below.
    pub yours: String,
    /// The listing the chart was opened for, marked below.
    pub listing: String,
    /// Instead of a panel without data.
    pub no_data: String,
}

/// What marks the lower panel.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Marks {
    /// The user's range in price per m².
    pub range: Option<(f64, f64)>,
    /// A listing's price per m².
    pub listing: Option<f64>,
}

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("the chart font could not be loaded")]
    Font,
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    #[error("encoding the chart failed: {0}")]
    Encode(#[from] std::io::Error),
}

fn font_ready() -> bool {
    static READY: OnceLock<bool> = OnceLock::new();
    *READY.get_or_init(|| register_font(FAMILY, FontStyle::Normal, FONT).is_ok())
}

fn draw_err<E: std::fmt::Debug>(e: E) -> ChartError {
    ChartError::Draw(format!("{e:?}"))
}

/// The PNG of `m`.
pub fn render(m: &Market, labels: &Labels, marks: Marks) -> Result<Vec<u8>, ChartError> {
    if !font_ready() {
        return Err(ChartError::Font);
    }
    let mut rgb = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let root = root.titled(&labels.title, (FAMILY, 24)).map_err(draw_err)?;
        let (upper, lower) = root.split_vertically(HEIGHT * 48 / 100);
        weekly(&upper, m, labels)?;
        per_m2(&lower, m, labels, marks)?;
        root.present().map_err(draw_err)?;
    }
    png(&rgb, WIDTH, HEIGHT)
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

fn no_data(area: &Area<'_>, caption: &str, text: &str) -> Result<(), ChartError> {
    area.draw(&Text::new(caption.to_owned(), (70, 10), (FAMILY, 18))).map_err(draw_err)?;
    area.draw(&Text::new(text.to_owned(), (70, 60), (FAMILY, 18).into_font().color(&RGBColor(120, 120, 120))))
        .map_err(draw_err)
}

/// The median monthly price of each week, its count above each point.
fn weekly(area: &Area<'_>, m: &Market, labels: &Labels) -> Result<(), ChartError> {
    let top = m.weeks.iter().filter_map(|w| w.median).max();
    let Some(top) = top else { return no_data(area, &labels.weekly, &labels.no_data) };
    let bottom = m.weeks.iter().filter_map(|w| w.median).min().unwrap_or(0);
    let pad = ((top - bottom) as f64 * 0.2).max(top as f64 * 0.05).max(1.0);
    let y = ((bottom as f64 - pad).max(0.0))..(top as f64 + pad);
    let mut chart = ChartBuilder::on(area)
        .caption(&labels.weekly, (FAMILY, 18))
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(70)
        .build_cartesian_2d(-0.5f64..(WEEKS as f64 - 0.5), y)
        .map_err(draw_err)?;
    let weeks = m.weeks.clone();
    chart
        .configure_mesh()
        .x_labels(WEEKS)
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() > 0.01 || i < 0.0 {
                return String::new();
            }
            weeks.get(i as usize).map(|w| w.start.format("%d.%m").to_string()).unwrap_or_default()
        })
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style((FAMILY, 13))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(draw_err)?;
    let points: Vec<(f64, f64)> =
        m.weeks.iter().enumerate().filter_map(|(i, w)| Some((i as f64, w.median? as f64))).collect();
    let blue = RGBColor(33, 102, 172);
    chart.draw_series(LineSeries::new(points.clone(), blue.stroke_width(3))).map_err(draw_err)?;
    chart.draw_series(points.iter().map(|p| Circle::new(*p, 5, blue.filled()))).map_err(draw_err)?;
    let counts = m.weeks.iter().enumerate().filter_map(|(i, w)| {
        let median = w.median? as f64;
        Some(Text::new(format!("{}", w.count), (i as f64 - 0.15, median + pad * 0.35), (FAMILY, 13)))
    });
    chart.draw_series(counts).map_err(draw_err)?;
    Ok(())
}

/// The distribution of price per m², the user's range and a listing marked.
fn per_m2(area: &Area<'_>, m: &Market, labels: &Labels, marks: Marks) -> Result<(), ChartError> {
    let (Some(first), Some(last)) = (m.per_m2.first(), m.per_m2.last()) else {
        return no_data(area, &labels.per_m2, &labels.no_data);
    };
    let mut low = first.from;
    let mut high = last.to;
    if let Some(x) = marks.listing {
        (low, high) = (low.min(x), high.max(x));
    }
    let span = (high - low).max(1.0);
    let x = (low - span * 0.03)..(high + span * 0.03);
    let most = m.per_m2.iter().map(|b| b.count).max().unwrap_or(1).max(1) as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(&labels.per_m2, (FAMILY, 18))
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(70)
        .build_cartesian_2d(x.clone(), 0f64..most * 1.15)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .x_label_formatter(&|v| format!("{v:.1}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style((FAMILY, 13))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(draw_err)?;
    if let Some((from, to)) = marks.range {
        let (from, to) = (from.max(x.start), to.min(x.end));
        if from < to {
            let green = RGBColor(46, 160, 67);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(from, 0.0), (to, most * 1.15)],
                    green.mix(0.18).filled(),
                )))
                .map_err(draw_err)?
                .label(&labels.yours)
                .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], green.mix(0.4).filled()));
        }
    }
    let bars = m
        .per_m2
        .iter()
        .map(|b| Rectangle::new([(b.from, 0.0), (b.to, b.count as f64)], RGBColor(33, 102, 172).mix(0.75).filled()));
    chart.draw_series(bars).map_err(draw_err)?;
    if let Some(at) = marks.listing {
        let red = RGBColor(214, 39, 40);
        chart
            .draw_series(LineSeries::new([(at, 0.0), (at, most * 1.1)], red.stroke_width(3)))
            .map_err(draw_err)?
            .label(&labels.listing)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], red.stroke_width(3)));
    }
    if marks.range.is_some() || marks.listing.is_some() {
        chart
            .configure_series_labels()
            .label_font((FAMILY, 14))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(200, 200, 200))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(draw_err)?;
    }
    Ok(())
}

/// An RGB image as PNG (8 bits per channel, no interlace, each row
/// filtered with "Sub", deflated).
fn png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc = crc32fast::Hasher::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(&crc.finalize().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &header);
    let stride = width as usize * 3;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut filtered = vec![0u8; stride + 1];
    for row in rgb.chunks(stride) {
        filtered[0] = 1; // Sub: each byte minus the byte one pixel to its left
        for (i, byte) in row.iter().enumerate() {
            let left = if i >= 3 { row[i - 3] } else { 0 };
            filtered[i + 1] = byte.wrapping_sub(left);
        }
        z.write_all(&filtered)?;
    }
    chunk(&mut out, b"IDAT", &z.finish()?);
    chunk(&mut out, b"IEND", &[]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeDelta};

    use super::*;
    use crate::market::{Point, market};

    fn labels() -> Labels {
        Labels {
            title: "Mitte · 2 rooms".into(),
            weekly: "Median monthly price per week (EUR)".into(),
            per_m2: "Price per m² (EUR)".into(),
            yours: "your price range".into(),
            listing: "this listing".into(),
            no_data: "no listings".into(),
        }
    }

    #[test]
    fn a_chart_is_a_valid_png_of_its_size() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let points: Vec<Point> = (0..500)
            .map(|i| Point {
                first_seen_at: now - TimeDelta::hours(i * 4),
                monthly_price: 800 + (i * 37) % 900,
                area_m2: Some(35.0 + (i % 50) as f64),
            })
            .collect();
        let m = market(&points, 1, now);
        let marks = Marks { range: Some((20.0, 30.0)), listing: Some(25.0) };
        let png = render(&m, &labels(), marks).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), WIDTH);
        assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), HEIGHT);
        assert!(png.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]), "IEND with its CRC");
        assert!(png.len() < 200_000, "{} bytes", png.len());
        // The pixels decode back (zlib stream of WIDTH*3+1 bytes a row).
        let idat_len = u32::from_be_bytes(png[33..37].try_into().unwrap()) as usize;
        assert_eq!(&png[37..41], b"IDAT");
        let mut raw = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::ZlibDecoder::new(&png[41..41 + idat_len]), &mut raw).unwrap();
        assert_eq!(raw.len(), (WIDTH as usize * 3 + 1) * HEIGHT as usize);
        // Something was drawn: not every byte of the image is white.
        assert!(raw.chunks(WIDTH as usize * 3 + 1).any(|row| row[1..].iter().any(|b| *b != 0)));
        // Cyrillic labels and an empty market draw as well.
        let ru = Labels {
            title: "Митте · 2 комнаты".into(), no_data: "нет объявлений".into(), ..labels()
        };
        assert!(render(&market(&[], 1, now), &ru, Marks::default()).is_ok());
    }
}
