//! Inline SVG charts: stacked horizontal bars and a line chart over dates. Every label is
//! escaped; every mark has a `<title>` with its exact number, and each chart sits beside a
//! table with the same numbers (the chart is a picture of the table, not the only copy).

use super::page::esc;
use super::summary::Counts;
use crate::date::Date;
use crate::model::Severity;
use std::fmt::Write;

const WIDTH: u32 = 720;
const LABEL_W: u32 = 290;
const NUMBER_W: u32 = 60;
const ROW_H: u32 = 24;
const LABEL_CHARS: usize = 44;

/// The colour of a severity, in charts and badges.
pub fn color(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "#a4161a",
        Severity::High => "#e85d04",
        Severity::Medium => "#c9a000",
        Severity::Low => "#3a6ea5",
        Severity::Info => "#6c757d",
    }
}

fn shorten(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(LABEL_CHARS - 1).collect();
        s.push('…');
        s
    }
}

/// One bar per row, split by severity, with the row's total at its end.
pub fn bars(caption: &str, rows: &[(String, Counts)]) -> String {
    let max = rows
        .iter()
        .map(|(_, c)| c.total())
        .max()
        .unwrap_or(0)
        .max(1);
    let bar_w = WIDTH - LABEL_W - NUMBER_W;
    let height = rows.len() as u32 * ROW_H + 8;
    let mut out = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} \
         {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-label=\"{}\">",
        esc(caption)
    );
    for (i, (label, counts)) in rows.iter().enumerate() {
        let y = i as u32 * ROW_H + 4;
        let _ = write!(
            out,
            "<g><title>{}: {}</title><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            esc(label),
            counts.total(),
            LABEL_W - 8,
            y + 16,
            esc(&shorten(label))
        );
        let mut x = f64::from(LABEL_W);
        for s in Severity::DESCENDING {
            let n = counts.get(s);
            if n == 0 {
                continue;
            }
            let w = n as f64 / max as f64 * f64::from(bar_w);
            let _ = write!(
                out,
                "<rect x=\"{x:.1}\" y=\"{}\" width=\"{w:.1}\" height=\"{}\" fill=\"{}\">\
                 <title>{} {}: {n}</title></rect>",
                y + 3,
                ROW_H - 6,
                color(s),
                esc(label),
                s.as_str()
            );
            x += w;
        }
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{}\">{}</text></g>",
            x + 6.0,
            y + 16,
            counts.total()
        );
    }
    out.push_str("</svg>");
    out
}

/// A rounded-up axis maximum and its step: 1, 2 or 5 times a power of ten.
fn axis(max: usize) -> (usize, usize) {
    let max = max.max(1);
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if max <= step * m * 4 {
                let s = step * m;
                return (max.div_ceil(s) * s, s);
            }
        }
        step *= 10;
    }
}

/// Open findings per severity over dates: one line per severity and a dashed total, x
/// proportional to time.
pub fn trend(caption: &str, points: &[(Date, Counts)]) -> String {
    let (w, h) = (WIDTH, 280u32);
    let (left, right, top, bottom) = (48.0, 120.0, 16.0, 44.0);
    let plot_w = f64::from(w) - left - right;
    let plot_h = f64::from(h) - top - bottom;
    let max_total = points.iter().map(|(_, c)| c.total()).max().unwrap_or(0);
    let (y_max, y_step) = axis(max_total);
    let first = points.first().map_or(0, |(d, _)| d.days());
    let span = points.last().map_or(0, |(d, _)| d.days()) - first;
    let x_of = |d: &Date| {
        if span == 0 {
            left + plot_w / 2.0
        } else {
            left + (d.days() - first) as f64 / span as f64 * plot_w
        }
    };
    let y_of = |n: usize| top + plot_h - n as f64 / y_max as f64 * plot_h;
    let mut out = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" \
         width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{}\">",
        esc(caption)
    );
    // Horizontal grid with the counts.
    let mut tick = 0;
    while tick <= y_max {
        let y = y_of(tick);
        let _ = write!(
            out,
            "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" class=\"grid\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{tick}</text>",
            left + plot_w,
            left - 6.0,
            y + 4.0
        );
        tick += y_step;
    }
    // Dates along the bottom; when crowded, every k-th (the table lists them all).
    let every = points.len().div_ceil(8).max(1);
    for (i, (d, _)) in points.iter().enumerate() {
        if i % every == 0 || i + 1 == points.len() {
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{d}</text>",
                x_of(d),
                top + plot_h + 20.0
            );
        }
    }
    // One line per severity, then the total (severity `None`).
    let mut series: Vec<(&str, &str, Option<Severity>)> = Severity::DESCENDING
        .iter()
        .map(|s| (s.as_str(), color(*s), Some(*s)))
        .collect();
    series.push(("TOTAL", "#222", None));
    let value = |c: &Counts, s: Option<Severity>| s.map_or_else(|| c.total(), |s| c.get(s));
    for (i, (name, stroke, sev)) in series.iter().enumerate() {
        let dash = if *name == "TOTAL" {
            " stroke-dasharray=\"5 4\""
        } else {
            ""
        };
        let coords: Vec<String> = points
            .iter()
            .map(|(d, c)| format!("{:.1},{:.1}", x_of(d), y_of(value(c, *sev))))
            .collect();
        let _ = write!(
            out,
            "<g><polyline points=\"{}\" fill=\"none\" stroke=\"{stroke}\" \
             stroke-width=\"2\"{dash}/>",
            coords.join(" ")
        );
        for (d, c) in points {
            let _ = write!(
                out,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{stroke}\">\
                 <title>{d} {name}: {}</title></circle>",
                x_of(d),
                y_of(value(c, *sev)),
                value(c, *sev)
            );
        }
        // Legend on the right.
        let ly = top + 8.0 + i as f64 * 18.0;
        let lx = f64::from(w) - right + 16.0;
        let _ = write!(
            out,
            "<line x1=\"{lx:.1}\" y1=\"{ly:.1}\" x2=\"{:.1}\" y2=\"{ly:.1}\" \
             stroke=\"{stroke}\" stroke-width=\"3\"{dash}/><text x=\"{:.1}\" y=\"{:.1}\">\
             {name}</text></g>",
            lx + 18.0,
            lx + 24.0,
            ly + 4.0
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_round_up_to_readable_steps() {
        assert_eq!(axis(0), (1, 1));
        assert_eq!(axis(3), (3, 1));
        assert_eq!(axis(7), (8, 2));
        assert_eq!(axis(37), (40, 10));
        assert_eq!(axis(1234), (1500, 500));
    }

    #[test]
    fn labels_are_escaped_and_shortened() {
        let svg = bars("c", &[("<b>".repeat(30), Counts([1, 0, 0, 0, 0]))]);
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("&lt;b&gt;"));
        assert!(svg.contains('…'));
    }
}
