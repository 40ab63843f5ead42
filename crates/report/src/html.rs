//! `report.html`: one self-contained file (no external resources, no network: a Content
//! Security Policy forbids it) for a bureau director: the county's headline numbers, a map that
//! pans and zooms with township names, tooltips, layer toggles and a choice of ratio, and the
//! township table (sortable; cards on a phone; an A4 print layout). Labels follow `--lang`.

use crate::csv::Lang;
use crate::html_map::{map_furniture, map_svg, Frame};
pub use crate::html_scale::MapRatio;
use crate::html_scale::{card, esc, ha, pct, t, Scale, COLOURS, NO_VALUE};
use redline_geom::Crs;
use redline_overlay::{County, Metrics, Outcome};
use serde_json::json;
use std::fmt::Write as _;

fn balanced(ok: bool, lang: Lang) -> &'static str {
    match ok {
        true => t(lang, "平衡", "balanced"),
        false => t(lang, "缺口", "deficit"),
    }
}

/// What the rows of the page (table and map) are: a county's townships or a province's
/// counties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// A county's report: a row per township.
    Townships,
    /// A province's report: a row per county.
    Counties,
}

impl Rows {
    fn label(self, lang: Lang) -> &'static str {
        match self {
            Rows::Townships => t(lang, "乡镇", "township"),
            Rows::Counties => t(lang, "县", "county"),
        }
    }

    fn layer(self, lang: Lang) -> &'static str {
        match self {
            Rows::Townships => t(lang, "乡镇", "townships"),
            Rows::Counties => t(lang, "县", "counties"),
        }
    }
}

/// The table's columns: header label and whether it sorts as a number.
fn columns(lang: Lang, rows: Rows) -> [(&'static str, bool); 9] {
    [
        (t(lang, "代码", "code"), false),
        (rows.label(lang), false),
        (t(lang, "耕地(净)(公顷)", "cultivated net (ha)"), true),
        (t(lang, "耕地保有率", "retention"), true),
        (t(lang, "基本农田(公顷)", "PBF (ha)"), true),
        (t(lang, "基本农田耕地率", "PBF cultivated"), true),
        (t(lang, "占补平衡", "balance"), false),
        (t(lang, "违法占用比例", "illegal ratio"), true),
        (t(lang, "预警", "flags"), false),
    ]
}

fn table_row(m: &Metrics, lang: Lang, rows: Rows) -> String {
    let pbf = m.pbf.as_ref();
    let v = m.violations.as_ref();
    let mut flags = String::new();
    if let Some(v) = v {
        if v.interview {
            let _ = write!(
                flags,
                "<span class=\"flag interview\">{}</span>",
                t(lang, "约谈", "interview")
            );
        }
        if v.accountability {
            let _ = write!(
                flags,
                "<span class=\"flag accountability\">{}</span>",
                t(lang, "问责", "accountability")
            );
        }
    }
    let cells = [
        esc(&m.code),
        esc(&m.name),
        ha(Some(m.landuse.cultivated_net)),
        pct(m.landuse.retention_ratio),
        ha(pbf.map(|p| p.area)),
        pct(pbf.and_then(|p| p.cultivated_ratio)),
        m.balance
            .as_ref()
            .map_or("–", |b| balanced(b.balanced(), lang))
            .to_string(),
        pct(v.map(|v| v.illegal_ratio)),
        flags,
    ];
    let mut row = format!("<tr data-code=\"{}\">", esc(&m.code));
    for ((label, _), cell) in columns(lang, rows).iter().zip(cells) {
        let _ = write!(row, "<td data-label=\"{}\">{cell}</td>", esc(label));
    }
    row.push_str("</tr>\n");
    row
}

/// The county's four headline numbers as cards.
fn headline(c: &Metrics, lang: Lang) -> String {
    let v = c.violations.as_ref();
    let flags = v.map_or(String::new(), |v| {
        let mut f = String::new();
        if v.interview {
            f.push_str(&format!(" · {}", t(lang, "约谈", "interview")));
        }
        if v.accountability {
            f.push_str(&format!(" · {}", t(lang, "问责", "accountability")));
        }
        f
    });
    [
        card(
            pct(c.landuse.retention_ratio),
            t(lang, "耕地保有率", "retention ratio"),
            false,
        ),
        card(
            pct(c.pbf.as_ref().and_then(|p| p.cultivated_ratio)),
            t(lang, "永久基本农田耕地率", "PBF cultivated ratio"),
            false,
        ),
        card(
            c.balance
                .as_ref()
                .map_or("–", |b| balanced(b.balanced(), lang))
                .to_string(),
            t(lang, "占补平衡", "occupation/compensation balance"),
            false,
        ),
        card(
            pct(v.map(|v| v.illegal_ratio)),
            &format!("{}{flags}", t(lang, "违法占用比例", "illegal ratio")),
            v.is_some_and(|v| v.accountability),
        ),
    ]
    .concat()
}

/// The legend: the colour classes of the current ratio and the overlays (the unreported
/// construction with a previous vintage).
fn legend(scale: &Scale, lang: Lang, vintages: bool) -> String {
    let uncovered = if vintages {
        format!(
            " <span class=\"key u\"></span>{}",
            t(lang, "未报新增建设", "unreported construction")
        )
    } else {
        String::new()
    };
    let classes: String = COLOURS
        .iter()
        .zip(&scale.labels)
        .map(|(c, l)| format!("<span class=\"key\" style=\"background:{c}\"></span><span class=\"class\">{}</span> ", esc(l)))
        .collect();
    format!(
        "<div class=\"legend\"><b id=\"legend-title\">{}</b>: <span id=\"legend-classes\">{classes}</span><span class=\"key none\"></span>{} <span class=\"key v\"></span>{} <span class=\"key p\"></span>{}{uncovered}</div>",
        scale.title,
        t(lang, "无数据", "no data"),
        t(lang, "违法占用", "illegal parts"),
        t(lang, "基本农田变建设用地", "PBF now construction"),
    )
}

/// The controls over the map: ratio choice, layer toggles (the unreported construction with a
/// previous vintage), zoom buttons.
fn controls(ratio: MapRatio, scales: &[Scale], lang: Lang, vintages: bool, rows: Rows) -> String {
    let options: String = MapRatio::ALL
        .iter()
        .zip(scales)
        .map(|(r, s)| {
            format!(
                "<option value=\"{}\"{}>{}</option>",
                r.key(),
                if *r == ratio { " selected" } else { "" },
                s.title
            )
        })
        .collect();
    let toggle = |id: &str, label: &str| {
        format!("<label><input type=\"checkbox\" data-layer=\"{id}\" checked> {label}</label>")
    };
    format!(
        "<div class=\"controls\"><label>{} <select id=\"ratio\">{options}</select></label>{}{}{}{}{}<span class=\"zoom\"><button type=\"button\" data-zoom=\"in\" aria-label=\"zoom in\">+</button><button type=\"button\" data-zoom=\"out\" aria-label=\"zoom out\">−</button><button type=\"button\" data-zoom=\"reset\">{}</button></span></div>",
        t(lang, "着色", "colour by"),
        toggle("l-townships", rows.layer(lang)),
        toggle("l-labels", t(lang, "名称", "names")),
        toggle("l-violations", t(lang, "违法占用", "illegal parts")),
        toggle("l-pbf", t(lang, "基本农田损失", "PBF loss")),
        if vintages {
            toggle("l-uncovered", t(lang, "未报新增建设", "unreported construction"))
        } else {
            String::new()
        },
        t(lang, "复位", "reset"),
    )
}

/// The whole report (`kind`: a county's townships or a province's counties), its map coloured
/// by `ratio` at first; `interview` and `accountability` are
/// the 约谈 and 问责 lines of the illegal ratio; `crs` the working CRS (scale bar, north arrow).
#[allow(clippy::too_many_arguments)]
pub fn report_html(
    title: &str,
    county: &County,
    outcome: &Outcome,
    kind: Rows,
    crs: &Crs,
    interview: f64,
    accountability: f64,
    ratio: MapRatio,
    lang: Lang,
) -> String {
    let scales: Vec<Scale> = MapRatio::ALL
        .iter()
        .map(|r| Scale::of(*r, interview, accountability, lang))
        .collect();
    let scale = &scales[MapRatio::ALL.iter().position(|r| *r == ratio).unwrap_or(0)];
    let c = &outcome.county;
    let frame = Frame::new(county);
    let rows: String = outcome
        .townships
        .iter()
        .map(|m| table_row(m, lang, kind))
        .collect();
    let scales_json = json!({
        "colours": COLOURS, "none": NO_VALUE,
        "scales": MapRatio::ALL.iter().zip(&scales).map(|(r, s)| (r.key().to_string(), s.json())).collect::<serde_json::Map<_, _>>(),
    });
    let head: String = columns(lang, kind)
        .iter()
        .enumerate()
        .map(|(k, (label, numeric))| {
            format!("<th data-col=\"{k}\" data-numeric=\"{numeric}\" tabindex=\"0\" aria-sort=\"none\">{label}</th>")
        })
        .collect();
    Page {
        title,
        lang,
        headline: headline(c, lang),
        controls: controls(ratio, &scales, lang, c.change.is_some(), kind),
        svg: map_svg(county, outcome, &frame, scale, lang),
        furniture: map_furniture(&frame, crs),
        legend: legend(scale, lang, c.change.is_some()),
        head,
        rows,
        county_row: table_row(c, lang, kind),
        change: crate::html_change::change_section(outcome, lang),
        scales_json: scales_json.to_string().replace("</", "<\\/"),
    }
    .render()
}

/// The parts of the page.
struct Page<'a> {
    title: &'a str,
    lang: Lang,
    headline: String,
    controls: String,
    svg: String,
    furniture: String,
    legend: String,
    head: String,
    rows: String,
    county_row: String,
    /// The 年度变更 section (empty without a previous vintage).
    change: String,
    scales_json: String,
}

impl Page<'_> {
    fn render(&self) -> String {
        let lang = self.lang;
        let footer = t(
            lang,
            "面积按 CGCS2000 椭球计算(作业另有规定者除外) · 县级行为正式数据,乡镇标记为内部预警 · 地图几何仅为显示而简化",
            "areas on the CGCS2000 ellipsoid unless the job says otherwise · the county row is the official one, township flags are internal warnings · map geometry simplified for display only",
        );
        format!(
            r#"<!DOCTYPE html>
<html lang="{html_lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>{title}</title>
<style>
{css}</style>
</head>
<body>
<h1>{title}</h1>
<div class="cards">{headline}</div>
<section class="mapbox">
{controls}
<div class="map">{svg}
{furniture}
<div class="tooltip" id="tooltip" role="tooltip" hidden></div>
</div>
{legend}
</section>
<section class="tablebox">
<table id="townships">
<thead><tr>{head}</tr></thead>
<tbody>
{rows}</tbody>
<tfoot>
{county_row}</tfoot></table>
</section>
{change}<p class="footer"><small>redline {version} · {footer}</small></p>
<script type="application/json" id="scales">{scales}</script>
<script>
{js}</script>
</body>
</html>
"#,
            html_lang = t(lang, "zh", "en"),
            title = esc(self.title),
            css = CSS,
            headline = self.headline,
            controls = self.controls,
            svg = self.svg,
            furniture = self.furniture,
            legend = self.legend,
            head = self.head,
            rows = self.rows,
            county_row = self.county_row,
            change = self.change,
            version = env!("CARGO_PKG_VERSION"),
            scales = self.scales_json,
            js = JS,
        )
    }
}

/// The page's style sheet, inlined so that the file opens offline.
const CSS: &str = include_str!("report.css");
/// The page's script (hand-written, no library): pan and zoom, tooltips, layer toggles, the
/// ratio choice, sorting, and the `#selftest` checks the browser tests read.
const JS: &str = include_str!("report.js");
