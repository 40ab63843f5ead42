//! report.html's 年度变更 section (with a previous vintage): the county's change cards, the
//! transition matrix by first-level class, cultivated land in and out and the 进出平衡 ledger
//! per township, and the unreported new construction.

use crate::csv::Lang;
use crate::html_scale::{card, esc, t};
use redline_geom::units::m2_to_ha;
use redline_overlay::{Metrics, Outcome, VintageChange};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// How many unreported pieces the page lists (the rest are counted; the layer has them all).
const LISTED: usize = 30;

fn ha(v: f64) -> String {
    crate::html_scale::ha(Some(v))
}

/// The section, or nothing without a previous vintage.
pub(crate) fn change_section(outcome: &Outcome, lang: Lang) -> String {
    let Some(c) = &outcome.county.change else {
        return String::new();
    };
    let mut html = format!(
        "<section class=\"changebox\">\n<h2>{}</h2>\n<div class=\"cards\">{}</div>\n",
        t(lang, "年度变更", "Annual change"),
        cards(c, lang)
    );
    html.push_str(&matrix(c, lang));
    html.push_str(&flows(outcome, lang));
    html.push_str(&uncovered(outcome, lang));
    html.push_str("</section>\n");
    html
}

fn cards(c: &VintageChange, lang: Lang) -> String {
    [
        card(
            format!("{:+.2}", m2_to_ha(c.net_change())),
            t(lang, "耕地净变化(公顷)", "cultivated net change (ha)"),
            c.net_change() < 0.0,
        ),
        card(
            format!("{} / {}", ha(c.cultivated_out()), ha(c.cultivated_in())),
            t(lang, "耕地流出 / 流入(公顷)", "cultivated out / in (ha)"),
            false,
        ),
        card(
            format!("{:+.2}", m2_to_ha(c.in_out.balance())),
            t(lang, "进出平衡差额(公顷)", "in/out balance (ha)"),
            c.in_out.deficit(),
        ),
        card(
            format!("{} · {}", c.uncovered_count, ha(c.uncovered)),
            t(
                lang,
                "未报新增建设(处 · 公顷)",
                "unreported construction (pieces · ha)",
            ),
            c.uncovered_count > 0,
        ),
    ]
    .concat()
}

/// The matrix by first-level group (rows: last year, columns: this year), hectares.
fn matrix(c: &VintageChange, lang: Lang) -> String {
    let mut cells: BTreeMap<(String, String), f64> = BTreeMap::new();
    for ((from, to), area) in &c.transitions {
        *cells.entry((from.group(), to.group())).or_insert(0.0) += area;
    }
    let groups: BTreeSet<&String> = cells.keys().flat_map(|(f, t)| [f, t]).collect();
    let mut html = format!(
        "<h3>{}</h3>\n<div class=\"scroll\"><table class=\"matrix\"><thead><tr><th>{}</th>",
        t(
            lang,
            "地类流向(一级类,公顷;行:上年 列:本年)",
            "Transitions by first-level class (ha; rows: last year, columns: this year)"
        ),
        t(lang, "上年\\本年", "from\\to")
    );
    for g in &groups {
        let _ = write!(html, "<th>{}</th>", esc(g));
    }
    html.push_str("</tr></thead><tbody>\n");
    for from in &groups {
        let _ = write!(html, "<tr><th>{}</th>", esc(from));
        for to in &groups {
            let v = cells.get(&((*from).clone(), (*to).clone())).copied();
            let class = if from == to { " class=\"same\"" } else { "" };
            let _ = write!(
                html,
                "<td{class}>{}</td>",
                v.filter(|v| m2_to_ha(*v) >= 0.005)
                    .map_or(String::new(), ha)
            );
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody></table></div>\n");
    html
}

fn flow_row(m: &Metrics, lang: Lang) -> String {
    let Some(c) = &m.change else {
        return String::new();
    };
    let deficit = if c.in_out.deficit() {
        format!(
            "<span class=\"flag accountability\">{}</span>",
            t(lang, "缺口", "deficit")
        )
    } else {
        String::new()
    };
    let cells = [
        esc(&m.code),
        esc(&m.name),
        ha(c.cultivated_previous),
        ha(c.cultivated_current),
        ha(c.out.construction),
        ha(c.out.other_agri),
        ha(c.out.unused),
        ha(c.cultivated_in()),
        format!("{:+.2}", m2_to_ha(c.net_change())),
        format!("{:+.2}", m2_to_ha(c.in_out.balance())),
        deficit,
    ];
    let mut row = String::from("<tr>");
    for cell in cells {
        let _ = write!(row, "<td>{cell}</td>");
    }
    row.push_str("</tr>\n");
    row
}

/// Cultivated land out and in, and the 进出平衡 ledger, per township and for the county.
fn flows(outcome: &Outcome, lang: Lang) -> String {
    let head = [
        t(lang, "代码", "code"),
        t(lang, "乡镇", "township"),
        t(lang, "上年耕地", "cultivated last year"),
        t(lang, "本年耕地", "cultivated this year"),
        t(lang, "流出:建设", "out: construction"),
        t(lang, "流出:其他农用地", "out: other agricultural"),
        t(lang, "流出:未利用地", "out: unused"),
        t(lang, "流入", "in"),
        t(lang, "净变化", "net change"),
        t(lang, "进出平衡差额", "in/out balance"),
        t(lang, "预警", "flag"),
    ];
    let mut html = format!(
        "<h3>{}</h3>\n<div class=\"scroll\"><table class=\"flows\"><thead><tr>",
        t(
            lang,
            "耕地流入流出与进出平衡(公顷)",
            "Cultivated land in and out, and the in/out balance (ha)"
        )
    );
    for h in head {
        let _ = write!(html, "<th>{h}</th>");
    }
    html.push_str("</tr></thead><tbody>\n");
    for m in &outcome.townships {
        html.push_str(&flow_row(m, lang));
    }
    let _ = writeln!(
        html,
        "</tbody><tfoot>{}</tfoot></table></div>",
        flow_row(&outcome.county, lang)
    );
    html
}

/// The largest unreported pieces, with how many more there are.
fn uncovered(outcome: &Outcome, lang: Lang) -> String {
    let mut list: Vec<_> = outcome.uncovered.iter().collect();
    if list.is_empty() {
        return format!(
            "<p>{}</p>\n",
            t(
                lang,
                "没有无卫片图斑、无批准文件覆盖的新增建设用地。",
                "No new construction lacks a change patch or an approval."
            )
        );
    }
    list.sort_by(|a, b| b.area.total_cmp(&a.area));
    let mut html = format!(
        "<h3>{}</h3>\n<div class=\"scroll\"><table class=\"uncovered\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>\n",
        t(
            lang,
            "疑似漏报:无卫片图斑、无批准文件的新增建设(面积最大者)",
            "Possibly unreported: new construction without a change patch or an approval (largest first)"
        ),
        t(lang, "乡镇", "township"),
        t(lang, "图斑", "parcel"),
        t(lang, "本年地类", "class now"),
        t(lang, "上年地类", "class last year"),
        t(lang, "面积(平方米)", "area (m²)"),
    );
    for u in list.iter().take(LISTED) {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.0}</td></tr>",
            esc(&u.township),
            esc(&u.landuse_id),
            esc(&u.class),
            esc(&u.previous.join(",")),
            u.area
        );
    }
    html.push_str("</tbody></table></div>\n");
    if list.len() > LISTED {
        let _ = writeln!(
            html,
            "<p><small>{} {} · uncovered_construction.geojson</small></p>",
            list.len() - LISTED,
            t(lang, "处未列出", "more not listed")
        );
    }
    html
}
