//! `townships.csv` and `balance.csv`: UTF-8 with a byte-order mark (Excel then opens Chinese
//! text correctly), Excel-style quoting, m² with ha and 亩 beside them.

use redline_geom::units::{m2_to_ha, m2_to_mu};
use redline_overlay::{Metrics, Outcome};

/// Header language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Chinese headers (the default).
    #[default]
    Zh,
    /// English headers.
    En,
}

const BOM: &str = "\u{feff}";

/// A text CSV field: guarded against formula injection — text that starts with `=`, `+`, `-`,
/// `@`, a tab or a carriage return gets a leading `'`, which spreadsheets show as text (OWASP's
/// CSV-injection advice) — and quoted when it holds a comma, a quote or a line break (quotes
/// doubled). Numbers are written by [`num`] and [`ratio`], never through here.
fn field(text: &str) -> String {
    let guarded = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// A boolean as spreadsheets show it: 是/否 in Chinese tables, TRUE/FALSE in English ones.
fn yes_no(v: bool, lang: Lang) -> String {
    match (lang, v) {
        (Lang::Zh, true) => "是",
        (Lang::Zh, false) => "否",
        (Lang::En, true) => "TRUE",
        (Lang::En, false) => "FALSE",
    }
    .to_string()
}

fn num(v: f64) -> String {
    format!("{:.2}", v)
}

fn opt(v: Option<f64>, f: fn(f64) -> String) -> String {
    v.map_or_else(String::new, f)
}

fn ratio(v: f64) -> String {
    format!("{:.6}", v)
}

/// The area columns of one value: m², ha, 亩.
fn areas(v: f64) -> [String; 3] {
    [num(v), format!("{:.4}", m2_to_ha(v)), num(m2_to_mu(v))]
}

fn opt_areas(v: Option<f64>) -> [String; 3] {
    v.map_or_else(|| [String::new(), String::new(), String::new()], areas)
}

fn header(lang: Lang) -> Vec<String> {
    let (names, area_cols): (&[&str], &[&str]) = match lang {
        Lang::Zh => (
            &["行政区代码", "行政区名称"],
            &[
                "耕地面积(净)",
                "耕地保有量目标",
                "永久基本农田面积",
                "永久基本农田中耕地",
                "永久基本农田中建设用地",
                "新增建设占用耕地",
                "违法占用耕地",
                "违法占用永久基本农田",
            ],
        ),
        Lang::En => (
            &["code", "name"],
            &[
                "cultivated_net",
                "cultivated_target",
                "pbf_area",
                "pbf_cultivated",
                "pbf_construction",
                "new_construction_cultivated",
                "illegal_cultivated",
                "illegal_pbf",
            ],
        ),
    };
    let mut out: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    for a in area_cols {
        for unit in ["m2", "ha", "mu"] {
            let unit = match (lang, unit) {
                (Lang::Zh, "m2") => "平方米",
                (Lang::Zh, "ha") => "公顷",
                (Lang::Zh, _) => "亩",
                (Lang::En, u) => u,
            };
            out.push(format!("{a}_{unit}"));
        }
    }
    let tail: &[&str] = match lang {
        Lang::Zh => &[
            "耕地保有率",
            "永久基本农田耕地率",
            "占补平衡",
            "违法占用比例",
            "约谈",
            "问责",
        ],
        Lang::En => &[
            "retention_ratio",
            "pbf_cultivated_ratio",
            "balanced",
            "illegal_ratio",
            "interview",
            "accountability",
        ],
    };
    out.extend(tail.iter().map(|s| s.to_string()));
    out
}

fn row(m: &Metrics, lang: Lang) -> Vec<String> {
    let pbf = m.pbf.as_ref();
    let v = m.violations.as_ref();
    let mut out = vec![field(&m.code), field(&m.name)];
    out.extend(areas(m.landuse.cultivated_net));
    out.extend(opt_areas(m.landuse.cultivated_target));
    for x in [
        pbf.map(|p| p.area),
        pbf.map(|p| p.cultivated),
        pbf.map(|p| p.construction),
    ] {
        out.extend(opt_areas(x));
    }
    for x in [
        v.map(|v| v.new_construction_cultivated),
        v.map(|v| v.illegal_cultivated),
        v.map(|v| v.illegal_pbf),
    ] {
        out.extend(opt_areas(x));
    }
    out.push(opt(m.landuse.retention_ratio, ratio));
    out.push(opt(pbf.and_then(|p| p.cultivated_ratio), ratio));
    let flag = |b: Option<bool>| b.map_or_else(String::new, |b| yes_no(b, lang));
    out.push(flag(m.balance.as_ref().map(|b| b.balanced())));
    out.push(opt(v.map(|v| v.illegal_ratio), ratio));
    out.push(flag(v.map(|v| v.interview)));
    out.push(flag(v.map(|v| v.accountability)));
    out
}

fn lines(rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut text = String::from(BOM);
    for r in rows {
        text.push_str(&r.join(","));
        text.push_str("\r\n");
    }
    text
}

/// `townships.csv`: a row per township and the county row last.
pub fn townships_csv(outcome: &Outcome, lang: Lang) -> String {
    let rows = outcome
        .townships
        .iter()
        .chain(std::iter::once(&outcome.county))
        .map(|m| row(m, lang));
    lines(std::iter::once(header(lang)).chain(rows))
}

/// `balance.csv`: the 占补平衡 ledger, a row per township and the county row last; for quantity
/// (m²), paddy (m²) and grain capacity (kg): what was occupied, what was supplemented, the
/// balance and whether it holds; then the mean grades and 占优补优. Units are in the headers.
pub fn balance_csv(outcome: &Outcome, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let mut head: Vec<String> = vec![
        if zh { "行政区代码" } else { "code" }.into(),
        if zh { "行政区名称" } else { "name" }.into(),
    ];
    let indicators = [
        ("数量", "quantity", "平方米", "m2"),
        ("水田", "paddy", "平方米", "m2"),
        ("产能", "capacity", "千克", "kg"),
    ];
    for (zh_name, en_name, zh_unit, en_unit) in indicators {
        let parts: [(&str, &str); 4] = [
            ("占用", "debit"),
            ("补充", "credit"),
            ("平衡", "balance"),
            ("达标", "balanced"),
        ];
        for (k, (zh_part, en_part)) in parts.into_iter().enumerate() {
            head.push(match (zh, k) {
                (true, 3) => format!("{zh_name}{zh_part}"),
                (true, _) => format!("{zh_name}{zh_part}({zh_unit})"),
                (false, 3) => format!("{en_name}_{en_part}"),
                (false, _) => format!("{en_name}_{en_part}_{en_unit}"),
            });
        }
    }
    let tail: [&str; 3] = if zh {
        ["占用平均等别", "补充平均等别", "占优补优"]
    } else {
        ["debit_mean_grade", "credit_mean_grade", "quality_ok"]
    };
    head.extend(tail.iter().map(|s| s.to_string()));
    let mut rows = vec![head];
    for m in outcome
        .townships
        .iter()
        .chain(std::iter::once(&outcome.county))
    {
        let Some(b) = m.balance.as_ref() else {
            continue;
        };
        let mut row = vec![field(&m.code), field(&m.name)];
        for (debit, credit) in [
            (b.debit.quantity, b.credit.quantity),
            (b.debit.paddy, b.credit.paddy),
            (b.debit.capacity, b.credit.capacity),
        ] {
            row.extend([
                num(debit),
                num(credit),
                num(credit - debit),
                yes_no(credit - debit >= 0.0, lang),
            ]);
        }
        let grade = |g: Option<f64>| g.map_or_else(String::new, |g| format!("{g:.2}"));
        row.push(grade(b.debit.mean_grade()));
        row.push(grade(b.credit.mean_grade()));
        row.push(b.quality_ok().map_or_else(String::new, |q| yes_no(q, lang)));
        rows.push(row);
    }
    lines(rows.into_iter())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_quoting() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn formulas_are_guarded_and_numbers_are_not() {
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("+1"), "'+1");
        assert_eq!(field("-2"), "'-2");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field("\tx"), "'\tx");
        assert_eq!(field("镇赉镇"), "镇赉镇");
        assert_eq!(num(-41_697.51), "-41697.51");
        assert_eq!(yes_no(true, Lang::Zh), "是");
        assert_eq!(yes_no(false, Lang::En), "FALSE");
    }

    #[test]
    fn areas_in_three_units() {
        assert_eq!(
            areas(20_000.0),
            ["20000.00".to_string(), "2.0000".into(), "30.00".into()]
        );
    }
}
