//! The terminal table of `redline run`: a row per township (or county) and the total, CJK
//! aligned, and the 年度变更 line.

use anyhow::Result;
use redline_geom::units::m2_to_ha;
use redline_job::Lang;
use redline_overlay::Metrics;

/// `text` right-aligned in `width` terminal columns (CJK characters take two).
fn lpad(text: &str, width: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(text);
    format!("{}{text}", " ".repeat(width.saturating_sub(w)))
}

/// `text` padded with spaces to `width` terminal columns (CJK characters take two).
fn pad(text: &str, width: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(w)))
}

/// The county's 年度变更 in one line (stdout, after the table).
pub(crate) fn print_change(c: &redline_overlay::VintageChange, lang: Lang) -> Result<()> {
    let ha = |v: f64| format!("{:.2}", m2_to_ha(v));
    let zh = lang == Lang::Zh;
    // The same line in either language: its words, then the numbers in one order.
    let [head, cultivated, unit, out, into, balance, deficit, unreported, pieces] = if zh {
        [
            "年度变更",
            "耕地",
            " 公顷",
            "流出",
            "流入",
            "进出平衡",
            " 缺口",
            "未报新增建设",
            " 处",
        ]
    } else {
        [
            "annual change",
            "cultivated",
            " ha",
            "out",
            "in",
            "in/out balance",
            " deficit",
            "unreported construction",
            " pieces,",
        ]
    };
    out!(
        "{head}: {cultivated} {} → {}{unit} ({out} {}, {into} {}); {balance} {:+.2}{unit}{}; {unreported} {}{pieces} {}{unit}",
        ha(c.cultivated_previous),
        ha(c.cultivated_current),
        ha(c.cultivated_out()),
        ha(c.cultivated_in()),
        m2_to_ha(c.in_out.balance()),
        if c.in_out.deficit() { deficit } else { "" },
        c.uncovered_count,
        ha(c.uncovered)
    );
    Ok(())
}

pub(crate) fn print_summary(townships: &[Metrics], county: &Metrics, lang: Lang) -> Result<()> {
    let zh = lang == Lang::Zh;
    let t = |zh_text: &'static str, en: &'static str| if zh { zh_text } else { en };
    let head = [
        t("代码", "code"),
        t("名称", "name"),
        t("耕地净公顷", "cult_net_ha"),
        t("目标公顷", "target_ha"),
        t("保有率", "retain"),
        t("基农公顷", "pbf_ha"),
        t("基农耕地率", "pbf_cul"),
        t("占补", "balance"),
        t("违法比例", "illegal"),
        t("标记", "flags"),
    ];
    out!(
        "{} {} {} {} {} {} {} {} {} {}",
        pad(head[0], 10),
        pad(head[1], 24),
        lpad(head[2], 11),
        lpad(head[3], 11),
        lpad(head[4], 7),
        lpad(head[5], 10),
        lpad(head[6], 10),
        lpad(head[7], 9),
        lpad(head[8], 8),
        head[9]
    );
    let ratio = |r: Option<f64>| r.map_or("-".to_string(), |r| format!("{:.3}", r));
    let ha = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.2}", m2_to_ha(v)));
    for m in townships.iter().chain(std::iter::once(county)) {
        let pbf = m.pbf.as_ref();
        let balance = m.balance.as_ref().map_or("-", |b| match b.balanced() {
            true => t("平衡", "balanced"),
            false => t("缺口", "deficit"),
        });
        let v = m.violations.as_ref();
        let flags = v.map_or(String::new(), |v| {
            [
                (v.interview, t("约谈", "interview")),
                (v.accountability, t("问责", "accountability")),
            ]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, f)| *f)
            .collect::<Vec<_>>()
            .join(" ")
        });
        let line = format!(
            "{:<10} {} {:>11.2} {:>11} {:>7} {:>10} {:>10} {} {:>8} {}",
            m.code,
            pad(&m.name, 24),
            m2_to_ha(m.landuse.cultivated_net),
            ha(m.landuse.cultivated_target),
            ratio(m.landuse.retention_ratio),
            ha(pbf.map(|p| p.area)),
            ratio(pbf.and_then(|p| p.cultivated_ratio)),
            lpad(balance, 9),
            ratio(v.map(|v| v.illegal_ratio)),
            flags
        );
        out!("{}", line.trim_end());
    }
    Ok(())
}
