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

/// A CSV field: quoted when it holds a comma, a quote or a line break (quotes doubled).
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
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

fn row(m: &Metrics) -> Vec<String> {
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
    out.push(
        m.balance
            .as_ref()
            .map_or_else(String::new, |b| b.balanced().to_string()),
    );
    out.push(opt(v.map(|v| v.illegal_ratio), ratio));
    out.push(v.map_or_else(String::new, |v| v.interview.to_string()));
    out.push(v.map_or_else(String::new, |v| v.accountability.to_string()));
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
        .map(row);
    lines(std::iter::once(header(lang)).chain(rows))
}

/// `balance.csv`: the 占补平衡 ledger, a row per township (and the county) and indicator.
pub fn balance_csv(outcome: &Outcome, lang: Lang) -> String {
    let head: Vec<String> = match lang {
        Lang::Zh => [
            "行政区代码",
            "行政区名称",
            "指标",
            "占用(补出)",
            "补充(补入)",
            "平衡",
            "达标",
            "占优补优",
        ],
        Lang::En => [
            "code",
            "name",
            "indicator",
            "debit",
            "credit",
            "balance",
            "balanced",
            "quality_ok",
        ],
    }
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut rows = vec![head];
    for m in outcome
        .townships
        .iter()
        .chain(std::iter::once(&outcome.county))
    {
        let Some(b) = m.balance.as_ref() else {
            continue;
        };
        let quality = b.quality_ok().map_or_else(String::new, |q| q.to_string());
        let indicators = [
            (
                "quantity_m2",
                "数量(平方米)",
                b.debit.quantity,
                b.credit.quantity,
            ),
            ("paddy_m2", "水田(平方米)", b.debit.paddy, b.credit.paddy),
            (
                "capacity_kg",
                "产能(千克)",
                b.debit.capacity,
                b.credit.capacity,
            ),
        ];
        for (en, zh, debit, credit) in indicators {
            let name = if lang == Lang::Zh { zh } else { en };
            rows.push(vec![
                field(&m.code),
                field(&m.name),
                name.to_string(),
                num(debit),
                num(credit),
                num(credit - debit),
                (credit - debit >= 0.0).to_string(),
                quality.clone(),
            ]);
        }
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
    fn areas_in_three_units() {
        assert_eq!(
            areas(20_000.0),
            ["20000.00".to_string(), "2.0000".into(), "30.00".into()]
        );
    }
}
