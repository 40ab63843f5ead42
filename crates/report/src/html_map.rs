//! report.html's map: the townships as an SVG choropleth with their names, the basic-farmland
//! losses and the illegal parts on top, a scale bar and a north arrow computed from the working
//! CRS. Geometry is simplified for display only (to a quarter of an SVG unit, 1/4000 of the map's
//! width), never for numbers.

use crate::csv::Lang;
use crate::html_scale::{esc, pct, t, Scale};
use geo::{BoundingRect, InteriorPoint, MultiPolygon, Simplify};
use rayon::prelude::*;
use redline_geom::{Crs, Transformer};
use redline_overlay::{County, Metrics, Outcome};
use std::fmt::Write as _;

/// Working-CRS coordinates to SVG units (y down), 1000 units across.
pub(crate) struct Frame {
    x0: f64,
    y1: f64,
    /// SVG units per working-CRS unit.
    pub scale: f64,
    /// The map's height in SVG units.
    pub height: f64,
    /// The working-CRS extent's centre.
    centre: (f64, f64),
}

impl Frame {
    pub fn new(county: &County) -> Frame {
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for b in county
            .townships
            .iter()
            .filter_map(|t| t.geometry.bounding_rect())
        {
            (x0, y0) = (x0.min(b.min().x), y0.min(b.min().y));
            (x1, y1) = (x1.max(b.max().x), y1.max(b.max().y));
        }
        if x0 > x1 {
            (x0, y0, x1, y1) = (0.0, 0.0, 1.0, 1.0);
        }
        let scale = 1000.0 / (x1 - x0).max(1e-9);
        Frame {
            x0,
            y1,
            scale,
            height: ((y1 - y0) * scale).max(1.0),
            centre: ((x0 + x1) / 2.0, (y0 + y1) / 2.0),
        }
    }

    fn map(&self, x: f64, y: f64) -> (f64, f64) {
        ((x - self.x0) * self.scale, (self.y1 - y) * self.scale)
    }

    /// SVG path data of a multipolygon, simplified for display.
    fn path(&self, mp: &MultiPolygon<f64>) -> String {
        let shown = mp.simplify(0.25 / self.scale);
        let shown = if shown.0.iter().any(|p| p.exterior().0.len() >= 4) {
            &shown
        } else {
            mp
        };
        let mut d = String::new();
        for polygon in shown {
            for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                for (k, c) in ring.0.iter().enumerate() {
                    let (x, y) = self.map(c.x, c.y);
                    let _ = write!(d, "{}{x:.1},{y:.1}", if k == 0 { "M" } else { "L" });
                }
                d.push('Z');
            }
        }
        d
    }
}

/// Metres on the ground per working-CRS unit at the map's centre (1 for projected CRSs; the
/// Gauss–Krüger scale error, < 0.1 % in a 3° zone, is below what a scale bar shows).
fn metres_per_unit(crs: &Crs, frame: &Frame) -> f64 {
    if crs.is_geographic() {
        111_320.0 * frame.centre.1.to_radians().cos()
    } else {
        1.0
    }
}

/// A round scale-bar length (1, 2 or 5 × 10ⁿ m) near a fifth of the map's width, and its share
/// of the width.
pub(crate) fn scale_bar(crs: &Crs, frame: &Frame) -> (f64, f64) {
    let width_m = 1000.0 / frame.scale * metres_per_unit(crs, frame);
    let target = width_m / 5.0;
    let power = 10f64.powf(target.log10().floor());
    let length = [5.0, 2.0, 1.0]
        .iter()
        .map(|m| m * power)
        .find(|l| *l <= target)
        .unwrap_or(power);
    (length, length / width_m)
}

/// The scale bar's label: metres below 1 km, else km.
pub(crate) fn scale_label(length_m: f64) -> String {
    if length_m >= 1000.0 {
        format!("{} km", length_m / 1000.0)
    } else {
        format!("{length_m} m")
    }
}

/// The angle (degrees, clockwise from the map's up) of true north at the map's centre: the
/// grid convergence of the working CRS, from the transformation to lon/lat and back.
pub(crate) fn north_angle(crs: &Crs, frame: &Frame) -> f64 {
    let wgs84 = match Crs::from_epsg(4326) {
        Ok(c) => c,
        Err(_) => return 0.0,
    };
    let (Ok(to), Ok(back)) = (Transformer::new(crs, &wgs84), Transformer::new(&wgs84, crs)) else {
        return 0.0;
    };
    let (x, y) = frame.centre;
    let Ok((lon, lat)) = to.point(x, y) else {
        return 0.0;
    };
    let Ok((nx, ny)) = back.point(lon, lat + 0.01) else {
        return 0.0;
    };
    (nx - x).atan2(ny - y).to_degrees()
}

/// The map's SVG: a group to pan and zoom holding the township, PBF-loss, violation and label
/// layers.
pub(crate) fn map_svg(
    county: &County,
    outcome: &Outcome,
    frame: &Frame,
    scale: &Scale,
    lang: Lang,
) -> String {
    let mut svg = format!(
        "<svg id=\"map\" viewBox=\"0 0 1000 {:.0}\" data-height=\"{:.0}\" role=\"img\" aria-label=\"{}\">\n<g id=\"zoom\">\n<g id=\"l-townships\">\n",
        frame.height,
        frame.height,
        t(lang, "乡镇地图", "township map")
    );
    let labels = townships(&mut svg, county, outcome, frame, scale, lang);
    svg.push_str("</g>\n<g id=\"l-pbf\">\n");
    for l in &outcome.pbf_loss {
        let tip = format!(
            "{}\n{} {} · {} {}\n{:.0} m²",
            t(
                lang,
                "永久基本农田变为建设用地",
                "basic farmland now construction land"
            ),
            t(lang, "图斑", "PBF"),
            l.pbf_id,
            t(lang, "地类", "class"),
            l.class,
            l.area
        );
        overlay(&mut svg, "pbf-loss", &tip, &l.geometry, frame);
    }
    svg.push_str("</g>\n<g id=\"l-violations\">\n");
    for v in &outcome.violations {
        let tip = format!(
            "{} {}\n{}: {:.0} m²\n{}: {:.0} m²\n{}: {:.0} m²",
            t(lang, "卫片图斑", "change patch"),
            v.patch,
            t(lang, "违法占用", "illegal"),
            v.area,
            t(lang, "其中耕地", "of it cultivated"),
            v.cultivated,
            t(lang, "其中永久基本农田", "of it basic farmland"),
            v.pbf
        );
        overlay(&mut svg, "violation", &tip, &v.geometry, frame);
    }
    if outcome.county.change.is_some() {
        svg.push_str("</g>\n<g id=\"l-uncovered\">\n");
        for u in &outcome.uncovered {
            let tip = format!(
                "{}\n{} {} · {} → {}\n{:.0} m²",
                t(
                    lang,
                    "无卫片图斑、无批准文件的新增建设",
                    "new construction without a change patch or an approval"
                ),
                t(lang, "图斑", "parcel"),
                u.landuse_id,
                u.previous.join(","),
                u.class,
                u.area
            );
            overlay(&mut svg, "uncovered", &tip, &u.geometry, frame);
        }
    }
    let _ = write!(svg, "</g>\n<g id=\"l-labels\">\n{labels}</g>\n</g>\n</svg>");
    svg
}

/// The township paths (filled by `scale`, carrying all three ratios for the page's menu);
/// returns their name labels, drawn above every other layer.
fn townships(
    svg: &mut String,
    county: &County,
    outcome: &Outcome,
    frame: &Frame,
    scale: &Scale,
    lang: Lang,
) -> String {
    let font = (frame.height.max(1000.0) / 60.0).clamp(8.0, 24.0);
    // Each township drawn on its own thread, then joined in order: a label's interior point
    // clips the township's outline with a scan line (geo's `InteriorPoint`), tens of
    // milliseconds for the 1M-parcel county's townships, one after the other.
    let drawn: Vec<(String, String)> = outcome
        .townships
        .par_iter()
        .filter_map(|m| {
            let town = county.townships.iter().find(|x| x.code == m.code)?;
            Some(township(m, &town.geometry, frame, scale, lang, font))
        })
        .collect();
    let mut labels = String::new();
    for (path, label) in drawn {
        svg.push_str(&path);
        labels.push_str(&label);
    }
    labels
}

/// One township's path and its name label (empty where it has no interior point).
fn township(
    m: &Metrics,
    geometry: &MultiPolygon<f64>,
    frame: &Frame,
    scale: &Scale,
    lang: Lang,
    font: f64,
) -> (String, String) {
    let values = Scale::values(m);
    let tip = format!(
        "{} {}\n{}: {}\n{}: {}\n{}: {}",
        m.code,
        m.name,
        t(lang, "违法占用比例", "illegal ratio"),
        pct(values[0]),
        t(lang, "耕地保有率", "retention ratio"),
        pct(values[1]),
        t(lang, "永久基本农田耕地率", "PBF cultivated ratio"),
        pct(values[2]),
    );
    let mut path = String::new();
    let _ = writeln!(
        path,
        "<path class=\"township\" data-code=\"{}\" data-name=\"{}\" data-illegal=\"{}\" data-retention=\"{}\" data-pbf=\"{}\" data-tip=\"{}\" fill=\"{}\" d=\"{}\"/>",
        esc(&m.code),
        esc(&m.name),
        data(values[0]),
        data(values[1]),
        data(values[2]),
        esc(&tip),
        scale.colour(scale.value(m)),
        frame.path(geometry)
    );
    let mut label = String::new();
    if let Some(p) = geometry.interior_point() {
        let (x, y) = frame.map(p.x(), p.y());
        let _ = writeln!(
            label,
            "<text class=\"label\" x=\"{x:.1}\" y=\"{y:.1}\" font-size=\"{font:.1}\">{}</text>",
            esc(&m.name)
        );
    }
    (path, label)
}

/// One overlay path (an illegal part or a PBF loss) with its tooltip.
fn overlay(svg: &mut String, class: &str, tip: &str, geometry: &MultiPolygon<f64>, frame: &Frame) {
    let _ = writeln!(
        svg,
        "<path class=\"{class}\" data-tip=\"{}\" d=\"{}\"/>",
        esc(tip),
        frame.path(geometry)
    );
}

fn data(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| format!("{v:.6}"))
}

/// The scale bar and north arrow (HTML over the map: the bar's width follows the zoom).
pub(crate) fn map_furniture(frame: &Frame, crs: &Crs) -> String {
    let (length, share) = scale_bar(crs, frame);
    let angle = north_angle(crs, frame);
    format!(
        "<div class=\"scalebar\" data-metres=\"{length}\" data-share=\"{share:.6}\"><div class=\"bar\" style=\"width:{:.3}%\"></div><span>{}</span></div>\
<div class=\"north\" title=\"{angle:.2}°\"><svg viewBox=\"-12 -16 24 32\" style=\"transform:rotate({angle:.2}deg)\"><path d=\"M0,-14 L8,10 L0,5 L-8,10 Z\"/></svg><span>N</span></div>",
        100.0 * share,
        scale_label(length)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_bars_are_round_and_near_a_fifth_of_the_width() {
        let frame = |width_m: f64| Frame {
            x0: 0.0,
            y1: 0.0,
            scale: 1000.0 / width_m,
            height: 1000.0,
            centre: (0.0, 45.0),
        };
        let gk = Crs::from_epsg(4529).unwrap();
        // 15.5 km across: a fifth is 3.1 km, so 2 km (12.9 % of the width).
        let (length, share) = scale_bar(&gk, &frame(15_500.0));
        assert_eq!(length, 2000.0);
        assert!((share - 2000.0 / 15_500.0).abs() < 1e-12);
        assert_eq!(scale_label(length), "2 km");
        assert_eq!(scale_bar(&gk, &frame(900.0)).0, 100.0);
        assert_eq!(scale_label(100.0), "100 m");
        // Lon/lat: 0.2° at 45° N is 15.74 km; a fifth is 3.1 km → 2 km.
        let geo = Crs::from_epsg(4490).unwrap();
        assert_eq!(scale_bar(&geo, &frame(0.2)).0, 2000.0);
    }

    #[test]
    fn true_north_leans_by_the_grid_convergence() {
        // CGCS2000 3° zone 41 (CM 123°E); at 124°E 45.8°N the convergence is
        // atan(tan(1°)·sin(45.8°)) ≈ 0.717°: east of the central meridian true north leans west
        // of grid north, counter-clockwise (negative).
        let gk = Crs::from_epsg(4529).unwrap();
        // A map centred on a lon/lat point.
        let centred_on = |lon: f64, lat: f64| {
            let wgs84 = Crs::from_epsg(4326).unwrap();
            let (x, y) = Transformer::new(&wgs84, &gk)
                .unwrap()
                .point(lon, lat)
                .unwrap();
            Frame {
                x0: x - 500.0,
                y1: y + 500.0,
                scale: 1.0,
                height: 1000.0,
                centre: (x, y),
            }
        };
        let angle = north_angle(&gk, &centred_on(124.0, 45.8));
        let expected = -(1f64.to_radians().tan() * 45.8f64.to_radians().sin())
            .atan()
            .to_degrees();
        assert!((angle - expected).abs() < 0.01, "{angle} vs {expected}");
        // On the central meridian there is none.
        assert!(north_angle(&gk, &centred_on(123.0, 45.8)).abs() < 1e-6);
    }
}
