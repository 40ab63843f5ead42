//! `report.html`: one self-contained file (no external resources, opens offline) with the
//! county's headline, the township table, and an SVG choropleth of the townships coloured by the
//! illegal-occupation ratio (or another ratio, [`MapRatio`]), with the illegal parts of change
//! patches drawn on top.

use crate::csv::Lang;
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
    fn of(ratio: MapRatio, interview: f64, accountability: f64, lang: Lang) -> Scale {
        let p = |v: f64| format!("{:.0}%", 100.0 * v);
        match ratio {
            MapRatio::Illegal => Scale {
                title: t(lang, "违法占用比例", "illegal ratio"),
                breaks: [interview / 2.0, interview, accountability],
                high_is_bad: true,
                labels: [
                    format!("< {}", p(interview / 2.0)),
                    format!("< {}", p(interview)),
                    format!("{} ≥ {}", t(lang, "约谈", "interview"), p(interview)),
                    format!(
                        "{} ≥ {}",
                        t(lang, "问责", "accountability"),
                        p(accountability)
                    ),
                ],
            },
            MapRatio::Retention => Scale {
                title: t(lang, "耕地保有率", "retention ratio"),
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
                title: t(lang, "永久基本农田耕地率", "PBF cultivated ratio"),
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

fn table_row(m: &Metrics, lang: Lang) -> String {
    let pbf = m.pbf.as_ref();
    let v = m.violations.as_ref();
    let flags = v.map_or(String::new(), |v| {
        let mut f = String::new();
        if v.interview {
            let _ = write!(
                f,
                "<span class=\"flag interview\">{}</span>",
                t(lang, "约谈", "interview")
            );
        }
        if v.accountability {
            let _ = write!(
                f,
                "<span class=\"flag accountability\">{}</span>",
                t(lang, "问责", "accountability")
            );
        }
        f
    });
    let balance = m
        .balance
        .as_ref()
        .map_or("–", |b| balanced(b.balanced(), lang));
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

/// A label in the page's language.
fn t(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

fn balanced(ok: bool, lang: Lang) -> &'static str {
    match ok {
        true => t(lang, "平衡", "balanced"),
        false => t(lang, "缺口", "deficit"),
    }
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
    lang: Lang,
) -> String {
    let scale = Scale::of(ratio, interview, accountability, lang);
    let svg = map_svg(county, outcome, ratio, &scale);
    let c = &outcome.county;
    let headline = headline(c, lang);
    let rows: String = outcome
        .townships
        .iter()
        .chain(std::iter::once(c))
        .map(|m| table_row(m, lang))
        .collect();
    let legend = legend(&scale, lang);
    page(title, &headline, &svg, &legend, &rows, lang)
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
fn headline(c: &Metrics, lang: Lang) -> String {
    let v = c.violations.as_ref();
    format!(
        "<div class=\"cards\"><div class=\"card\"><b>{}</b><span>{}</span></div><div class=\"card\"><b>{}</b><span>{}</span></div><div class=\"card\"><b>{}</b><span>{}</span></div><div class=\"card{}\"><b>{}</b><span>{}{}</span></div></div>",
        pct(c.landuse.retention_ratio),
        t(lang, "耕地保有率", "retention ratio"),
        pct(c.pbf.as_ref().and_then(|p| p.cultivated_ratio)),
        t(lang, "永久基本农田耕地率", "PBF cultivated ratio"),
        c.balance.as_ref().map_or("–", |b| balanced(b.balanced(), lang)),
        t(lang, "占补平衡", "occupation/compensation balance"),
        if v.is_some_and(|v| v.accountability) { " alarm" } else { "" },
        pct(v.map(|v| v.illegal_ratio)),
        t(lang, "违法占用比例", "illegal ratio"),
        v.map_or(String::new(), |v| format!(
            "{}{}",
            if v.interview { format!(" · {}", t(lang, "约谈", "interview")) } else { String::new() },
            if v.accountability { format!(" · {}", t(lang, "问责", "accountability")) } else { String::new() }
        ))
    )
}

/// The map's legend: the colour classes and the illegal parts.
fn legend(scale: &Scale, lang: Lang) -> String {
    let classes: String = COLOURS
        .iter()
        .zip(&scale.labels)
        .map(|(c, l)| format!("<span style=\"background:{c}\"></span>{} ", esc(l)))
        .collect();
    format!(
        "<div class=\"legend\">{}: {classes}<span class=\"v\"></span>{}</div>",
        scale.title,
        t(lang, "违法图斑", "illegal parts")
    )
}

/// The whole page around its parts.
fn page(title: &str, headline: &str, svg: &str, legend: &str, rows: &str, lang: Lang) -> String {
    let th: String = [
        ("代码", "code"),
        ("乡镇", "township"),
        ("耕地(净)(公顷)", "cultivated net (ha)"),
        ("保有率", "retention"),
        ("基本农田(公顷)", "PBF (ha)"),
        ("基本农田耕地率", "PBF cultivated"),
        ("占补平衡", "balance"),
        ("违法占用比例", "illegal ratio"),
        ("", ""),
    ]
    .iter()
    .map(|(zh, en)| format!("<th>{}</th>", t(lang, zh, en)))
    .collect();
    let footer = t(
        lang,
        "面积按 CGCS2000 椭球计算(作业另有规定者除外) · 县级行为正式数据,乡镇标记为内部预警",
        "areas on the CGCS2000 ellipsoid unless the job says otherwise · the county row is the official one, township flags are internal warnings",
    );
    format!(
        r#"<!DOCTYPE html>
<html lang="{html_lang}">
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
<thead><tr>{th}</tr></thead>
<tbody>
{rows}</tbody></table></div>
</div>
<p><small>redline {version} · {footer}</small></p>
</body>
</html>
"#,
        title = esc(title),
        html_lang = t(lang, "zh", "en"),
        version = env!("CARGO_PKG_VERSION"),
        css = CSS,
    )
}

/// The page's style sheet, inlined so that the file opens offline.
const CSS: &str = include_str!("report.css");
