//! What report.html's page and map share: text escaping, labels in the page's language, and
//! the colour scales of the ratios the map can show.

use crate::csv::Lang;
use redline_geom::units::m2_to_ha;
use redline_overlay::Metrics;
use serde_json::json;

/// Escapes text for HTML.
pub(crate) fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\n', "&#10;")
}

/// A label in the page's language.
pub(crate) fn t(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
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

impl MapRatio {
    pub(crate) const ALL: [MapRatio; 3] = [
        MapRatio::Illegal,
        MapRatio::Retention,
        MapRatio::PbfCultivated,
    ];

    /// The name the page and the command line use.
    pub(crate) fn key(self) -> &'static str {
        match self {
            MapRatio::Illegal => "illegal",
            MapRatio::Retention => "retention",
            MapRatio::PbfCultivated => "pbf",
        }
    }
}

impl std::str::FromStr for MapRatio {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        MapRatio::ALL
            .into_iter()
            .find(|r| r.key() == s)
            .ok_or_else(|| format!("unknown map ratio {s:?} (illegal, retention or pbf)"))
    }
}

/// Township fills from good to bad.
pub(crate) const COLOURS: [&str; 4] = ["#7fb77e", "#c9d66b", "#e67e22", "#c0392b"];
/// A township without the ratio.
pub(crate) const NO_VALUE: &str = "#dddddd";

/// Four classes of one ratio: ascending breaks, whether high is bad, a label per class (good
/// to bad).
pub(crate) struct Scale {
    ratio: MapRatio,
    pub title: &'static str,
    breaks: [f64; 3],
    high_is_bad: bool,
    pub labels: [String; 4],
}

impl Scale {
    pub fn of(ratio: MapRatio, interview: f64, accountability: f64, lang: Lang) -> Scale {
        let p = |v: f64| format!("{:.0}%", 100.0 * v);
        match ratio {
            MapRatio::Illegal => Scale {
                ratio,
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
                ratio,
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
                ratio,
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

    /// The fill of a value (the page's script applies the same rule when the ratio changes).
    pub fn colour(&self, value: Option<f64>) -> &'static str {
        let Some(v) = value else { return NO_VALUE };
        let above = self.breaks.iter().filter(|b| v >= **b).count();
        COLOURS[if self.high_is_bad { above } else { 3 - above }]
    }

    /// The three ratios of a row, in [`MapRatio::ALL`]'s order.
    pub fn values(m: &Metrics) -> [Option<f64>; 3] {
        [
            m.violations.as_ref().map(|v| v.illegal_ratio),
            m.landuse.retention_ratio,
            m.pbf.as_ref().and_then(|p| p.cultivated_ratio),
        ]
    }

    /// This scale's ratio of a row.
    pub fn value(&self, m: &Metrics) -> Option<f64> {
        let k = MapRatio::ALL
            .iter()
            .position(|r| *r == self.ratio)
            .unwrap_or(0);
        Scale::values(m)[k]
    }

    pub fn json(&self) -> serde_json::Value {
        json!({"title": self.title, "breaks": self.breaks, "highIsBad": self.high_is_bad, "labels": self.labels})
    }
}

pub(crate) fn pct(v: Option<f64>) -> String {
    v.map_or("–".into(), |r| format!("{:.1}%", 100.0 * r))
}

/// Hectares to 2 decimals, `–` where there is no value.
pub(crate) fn ha(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{:.2}", m2_to_ha(v)))
}

/// One headline number as a card (red when `alarm`).
pub(crate) fn card(value: String, label: &str, alarm: bool) -> String {
    format!(
        "<div class=\"card{}\"><b>{value}</b><span>{label}</span></div>",
        if alarm { " alarm" } else { "" }
    )
}
