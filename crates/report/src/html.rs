//! `report.html`: one self-contained file (no external resources, opens offline) with the
//! county's headline, the township table, and an SVG choropleth of the townships coloured by the
//! illegal-occupation ratio (or another ratio, [`MapRatio`]), with the illegal parts of change
//! patches drawn on top.

use geo::{BoundingRect, MultiPolygon};
use redline_geom::units::m2_to_ha;
use redline_overlay::{County, Metrics, Outcome};
use std::fmt::Write as _;

/// Escapes text for HTML.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Which ratio colours the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MapRatio {
    /// 违法占用比例 (the default).
    #[default]
    Illegal,
    /// 耕地保有率: cultivated net / target.
    Retention,
    /// 永久基本农田耕地率: PBF still cultivated.
    PbfCultivated,
}

impl std::str::FromStr for MapRatio {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "illegal" => Ok(MapRatio::Illegal),
            "retention" => Ok(MapRatio::Retention),
            "pbf" => Ok(MapRatio::PbfCultivated),
            other => Err(format!(
                "unknown map ratio {other:?} (illegal, retention or pbf)"
            )),
        }
    }
}

/// Colours from good to bad.
const COLOURS: [&str; 4] = ["#7fb77e", "#c9d66b", "#e67e22", "#c0392b"];

/// Four classes of one ratio: ascending breaks, whether high is bad, a label per class (good
/// to bad).
struct Scale {
    title: &'static str,
    breaks: [f64; 3],
    high_is_bad: bool,
    labels: [String; 4],
}

impl Scale {
    fn of(ratio: MapRatio, interview: f64, accountability: f64) -> Scale {
        let p = |v: f64| format!("{:.0}%", 100.0 * v);
        match ratio {
            MapRatio::Illegal => Scale {
                title: "违法占用比例 illegal ratio",
                breaks: [interview / 2.0, interview, accountability],
                high_is_bad: true,
                labels: [
                    format!("< {}", p(interview / 2.0)),
                    format!("< {}", p(interview)),
                    format!("约谈 ≥ {}", p(interview)),
                    format!("问责 ≥ {}", p(accountability)),
                ],
            },
            MapRatio::Retention => Scale {
                title: "耕地保有率 retention",
                breaks: [0.95, 0.98, 1.0],
                high_is_bad: false,
                labels: [
                    "≥ 100%".into(),
                    "98–100%".into(),
                    "95–98%".into(),
                    "< 95%".into(),
                ],
            },
            MapRatio::PbfCultivated => Scale {
                title: "永久基本农田耕地率 PBF cultivated",
                breaks: [0.8, 0.9, 0.95],
                high_is_bad: false,
                labels: [
                    "≥ 95%".into(),
                    "90–95%".into(),
                    "80–90%".into(),
                    "< 80%".into(),
                ],
            },
        }
    }

    fn colour(&self, value: Option<f64>) -> &'static str {
        let Some(v) = value else { return "#dddddd" };
        let above = self.breaks.iter().filter(|b| v >= **b).count();
        COLOURS[if self.high_is_bad { above } else { 3 - above }]
    }

    fn value(ratio: MapRatio, m: &Metrics) -> Option<f64> {
        match ratio {
            MapRatio::Illegal => m.violations.as_ref().map(|v| v.illegal_ratio),
            MapRatio::Retention => m.landuse.retention_ratio,
            MapRatio::PbfCultivated => m.pbf.as_ref().and_then(|p| p.cultivated_ratio),
        }
    }
}

/// SVG path data of a multipolygon in the map's frame.
fn path(mp: &MultiPolygon<f64>, frame: &Frame) -> String {
    let mut d = String::new();
    for polygon in mp {
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            for (k, c) in ring.0.iter().enumerate() {
                let (x, y) = frame.map(c.x, c.y);
                let _ = write!(d, "{}{x:.1},{y:.1}", if k == 0 { "M" } else { "L" });
            }
            d.push('Z');
        }
    }
    d
}

/// Working-CRS coordinates to SVG units (y down), 1000 units across.
struct Frame {
    x0: f64,
    y1: f64,
    scale: f64,
    height: f64,
}

impl Frame {
    fn new(county: &County) -> Frame {
        let boxes = county
            .townships
            .iter()
            .filter_map(|t| t.geometry.bounding_rect());
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for b in boxes {
            (x0, y0, x1, y1) = (
                x0.min(b.min().x),
                y0.min(b.min().y),
                x1.max(b.max().x),
                y1.max(b.max().y),
            );
        }
        let scale = 1000.0 / (x1 - x0).max(1e-9);
        Frame {
            x0,
            y1,
            scale,
            height: (y1 - y0) * scale,
        }
    }

    fn map(&self, x: f64, y: f64) -> (f64, f64) {
        ((x - self.x0) * self.scale, (self.y1 - y) * self.scale)
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or("–".into(), |r| format!("{:.1}%", 100.0 * r))
}

fn ha(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{:.2}", m2_to_ha(v)))
}

fn table_row(m: &Metrics) -> String {
    let pbf = m.pbf.as_ref();
    let v = m.violations.as_ref();
    let flags = v.map_or(String::new(), |v| {
        let mut f = String::new();
        if v.interview {
            f.push_str("<span class=\"flag interview\">约谈</span>");
        }
        if v.accountability {
            f.push_str("<span class=\"flag accountability\">问责</span>");
        }
        f
    });
    let balance = m
        .balance
        .as_ref()
        .map_or("–", |b| if b.balanced() { "平衡" } else { "缺口" });
    format!(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
        esc(&m.code),
        esc(&m.name),
        ha(Some(m.landuse.cultivated_net)),
        pct(m.landuse.retention_ratio),
        ha(pbf.map(|p| p.area)),
        pct(pbf.and_then(|p| p.cultivated_ratio)),
        balance,
        pct(v.map(|v| v.illegal_ratio)),
        flags
    )
}

/// The whole report, its map coloured by `ratio`; `interview` and `accountability` are the
/// 约谈 and 问责 lines of the illegal ratio.
pub fn report_html(
    title: &str,
    county: &County,
    outcome: &Outcome,
    interview: f64,
    accountability: f64,
    ratio: MapRatio,
) -> String {
    let scale = Scale::of(ratio, interview, accountability);
    let svg = map_svg(county, outcome, ratio, &scale);
    let c = &outcome.county;
    let headline = headline(c);
    let rows: String = outcome
        .townships
        .iter()
        .chain(std::iter::once(c))
        .map(table_row)
        .collect();
    let legend = legend(&scale);
    page(title, &headline, &svg, &legend, &rows)
}

/// The SVG map: the townships coloured by `ratio`, the illegal parts on top.
fn map_svg(county: &County, outcome: &Outcome, ratio: MapRatio, scale: &Scale) -> String {
    let frame = Frame::new(county);
    let mut svg = format!(
        "<svg viewBox=\"0 0 1000 {:.0}\" role=\"img\" aria-label=\"township map\">\n",
        frame.height
    );
    for m in &outcome.townships {
        let Some(town) = county.townships.iter().find(|t| t.code == m.code) else {
            continue;
        };
        let value = Scale::value(ratio, m);
        let _ = writeln!(
            svg,
            "<path class=\"township\" data-code=\"{}\" fill=\"{}\" d=\"{}\"><title>{} {} {} {}</title></path>",
            esc(&m.code),
            scale.colour(value),
            path(&town.geometry, &frame),
            esc(&m.code),
            esc(&m.name),
            scale.title,
            pct(value)
        );
    }
    for v in &outcome.violations {
        let _ = writeln!(
            svg,
            "<path class=\"violation\" d=\"{}\"><title>{} {:.0} m²</title></path>",
            path(&v.geometry, &frame),
            esc(&v.patch),
            v.area
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The county's four headline numbers as cards.
fn headline(c: &Metrics) -> String {
    let v = c.violations.as_ref();
    format!(
        "<div class=\"cards\"><div class=\"card\"><b>{}</b><span>耕地保有率 retention</span></div><div class=\"card\"><b>{}</b><span>永久基本农田耕地率 PBF cultivated</span></div><div class=\"card\"><b>{}</b><span>占补平衡 balance</span></div><div class=\"card{}\"><b>{}</b><span>违法占用比例 illegal ratio{}</span></div></div>",
        pct(c.landuse.retention_ratio),
        pct(c.pbf.as_ref().and_then(|p| p.cultivated_ratio)),
        c.balance.as_ref().map_or("–", |b| if b.balanced() { "平衡 balanced" } else { "缺口 deficit" }),
        if v.is_some_and(|v| v.accountability) { " alarm" } else { "" },
        pct(v.map(|v| v.illegal_ratio)),
        v.map_or(String::new(), |v| format!("{}{}", if v.interview { " · 约谈" } else { "" }, if v.accountability { " · 问责" } else { "" }))
    )
}

/// The map's legend: the colour classes and the illegal parts.
fn legend(scale: &Scale) -> String {
    let classes: String = COLOURS
        .iter()
        .zip(&scale.labels)
        .map(|(c, l)| format!("<span style=\"background:{c}\"></span>{} ", esc(l)))
        .collect();
    format!(
        "<div class=\"legend\">{}: {classes}<span class=\"v\"></span>违法图斑 illegal parts</div>",
        scale.title
    )
}

/// The whole page around its parts.
fn page(title: &str, headline: &str, svg: &str, legend: &str, rows: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="zh">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{css}</style>
</head>
<body>
<h1>{title}</h1>
{headline}
<div class="layout">
<div>{svg}
{legend}</div>
<div class="table"><table>
<thead><tr><th>代码</th><th>乡镇</th><th>耕地(净) 公顷</th><th>保有率</th><th>基本农田 公顷</th><th>基本农田耕地率</th><th>占补平衡</th><th>违法占用比例</th><th></th></tr></thead>
<tbody>
{rows}</tbody></table></div>
</div>
<p><small>redline {version} · areas on the CGCS2000 ellipsoid unless the job says otherwise · the county row is the official one, township flags are internal warnings</small></p>
</body>
</html>
"#,
        title = esc(title),
        version = env!("CARGO_PKG_VERSION"),
        css = CSS,
    )
}

/// The page's style sheet, inlined so that the file opens offline.
const CSS: &str = include_str!("report.css");
