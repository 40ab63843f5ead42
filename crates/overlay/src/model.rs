//! What the engine is given: the county's layers as plain geometry and typed fields, and the
//! job's settings. Readers (redline-ingest) and jobs build these; the engine knows no file.

use compact_str::CompactString;
use geo::MultiPolygon;
use redline_geom::{AreaMethod, ClassCode, LandCategory};
use std::fmt;
use std::sync::Arc;

/// A calendar date (proleptic Gregorian), compared as (year, month, day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month 1–12.
    pub month: u8,
    /// Day 1–31.
    pub day: u8,
}

impl Date {
    /// Parses `YYYY-MM-DD`, `YYYY/MM/DD` or `YYYYMMDD` (an ISO date-time keeps its date part).
    pub fn parse(text: &str) -> Option<Date> {
        let t = text.trim();
        let t = t.split(['T', ' ']).next().unwrap_or(t);
        let digits: String = t.chars().filter(|c| c.is_ascii_digit()).collect();
        let (y, m, d) = if t.len() == 8 && digits.len() == 8 {
            (&digits[..4], &digits[4..6], &digits[6..8])
        } else {
            let mut parts = t.split(['-', '/', '.']);
            (parts.next()?, parts.next()?, parts.next()?)
        };
        let date = Date {
            year: y.parse().ok()?,
            month: m.parse().ok()?,
            day: d.parse().ok()?,
        };
        let days = match date.month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if date.year % 4 == 0 && (date.year % 100 != 0 || date.year % 400 == 0) => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days).contains(&date.day).then_some(date)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// The job's period: approvals, supplements and changes are dated in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// First day.
    pub start: Date,
    /// Last day.
    pub end: Date,
}

impl Period {
    /// True when `date` falls in the period (both ends included).
    pub fn contains(&self, date: Date) -> bool {
        self.start <= date && date <= self.end
    }
}

/// A township (the unit reported on).
#[derive(Debug, Clone)]
pub struct Township {
    /// 9-digit code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Boundary.
    pub geometry: MultiPolygon<f64>,
}

/// A land-use parcel (地类图斑).
#[derive(Debug, Clone)]
pub struct Parcel {
    /// Its id (BSM), used for ordering and in outputs. Ids, codes and village codes are
    /// short: they live inline, not in an allocation of their own per parcel.
    pub id: CompactString,
    /// DLBM, inline in eight bytes (with it the parcel is 96 bytes, not 112).
    pub code: ClassCode,
    /// What the code counts as.
    pub category: LandCategory,
    /// TBMJ, the official area (m²), when given.
    pub official_area: Option<f64>,
    /// Field-ridge deduction as a fraction (KCXS; percentages already divided by 100).
    pub deduction: f64,
    /// Quality grade 1–15 (GDDB), when given.
    pub grade: Option<u8>,
    /// The village (村) it lies in: the first 12 characters of ZLDWDM, when given.
    pub village: Option<CompactString>,
    /// Geometry, shared with the basic farmland and the other vintage's parcels that are the
    /// same polygon to the bit ([`crate::ParcelGeometries`]).
    pub geometry: Arc<MultiPolygon<f64>>,
}

/// A permanent basic farmland parcel.
#[derive(Debug, Clone)]
pub struct BasicFarmland {
    /// Its id.
    pub id: CompactString,
    /// Geometry: basic farmland is mostly drawn on the land-use parcels, whose geometry it then
    /// shares ([`crate::ParcelGeometries`]).
    pub geometry: Arc<MultiPolygon<f64>>,
}

/// What an approval permits (docs/metrics.md §5.3), mapped from `PZLX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApprovalKind {
    /// 农用地转用 / 土地征收 批次.
    Conversion,
    /// 供地.
    Supply,
    /// 先行用地.
    EarlyUse,
    /// 临时用地.
    Temporary,
    /// 设施农用地备案.
    FacilityAgri,
}

impl ApprovalKind {
    /// The job-file name of the kind.
    pub fn name(self) -> &'static str {
        match self {
            ApprovalKind::Conversion => "conversion",
            ApprovalKind::Supply => "supply",
            ApprovalKind::EarlyUse => "early_use",
            ApprovalKind::Temporary => "temporary",
            ApprovalKind::FacilityAgri => "facility_agri",
        }
    }

    /// Every kind, in the order the job file documents them.
    pub const ALL: [ApprovalKind; 5] = [
        Self::Conversion,
        Self::Supply,
        Self::EarlyUse,
        Self::Temporary,
        Self::FacilityAgri,
    ];

    /// The kind of a job-file name.
    pub fn from_name(name: &str) -> Option<ApprovalKind> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Construction-permitting kinds make a change patch legal.
    pub fn permits_construction(self) -> bool {
        matches!(self, Self::Conversion | Self::Supply | Self::EarlyUse)
    }
}

/// An approval.
#[derive(Debug, Clone)]
pub struct Approval {
    /// PZWH, the approval number (or a feature label).
    pub number: String,
    /// Kind.
    pub kind: ApprovalKind,
    /// PZRQ.
    pub date: Option<Date>,
    /// Geometry.
    pub geometry: MultiPolygon<f64>,
}

impl Approval {
    /// Whether it debits the occupation/compensation ledger of `period`: a conversion approval
    /// dated in the period (an undated one debits no year).
    pub fn debits(&self, period: Period) -> bool {
        self.kind == ApprovalKind::Conversion && self.date.is_some_and(|d| period.contains(d))
    }
}

/// A compensation project (补充耕地项目).
#[derive(Debug, Clone)]
pub struct Supplement {
    /// XMBH.
    pub id: String,
    /// True for 验收 / 备案 (accepted), false for 立项.
    pub accepted: bool,
    /// XZGDMJ, new cultivated m² (else the geometric area).
    pub new_area: Option<f64>,
    /// XZSTMJ, new paddy m².
    pub new_paddy: f64,
    /// GDDB.
    pub grade: Option<u8>,
    /// YSRQ.
    pub date: Option<Date>,
    /// Geometry.
    pub geometry: MultiPolygon<f64>,
}

impl Supplement {
    /// Whether it credits the ledger of `period`: accepted (验收 / 备案) and dated in the period
    /// (an undated one credits no year).
    pub fn credits(&self, period: Period) -> bool {
        self.accepted && self.date.is_some_and(|d| period.contains(d))
    }
}

/// A satellite change patch (卫片图斑).
#[derive(Debug, Clone)]
pub struct Change {
    /// JCBH.
    pub id: String,
    /// HSXDL, the observed post-change class code.
    pub observed: Option<String>,
    /// What `observed` counts as, when known.
    pub observed_category: Option<LandCategory>,
    /// HSX, the post-change image date.
    pub image_date: Option<Date>,
    /// Geometry.
    pub geometry: MultiPolygon<f64>,
}

impl Change {
    /// Whether it is judged in `period`: its image date falls in the period, or it has none
    /// (a layer without dates is all of one period).
    pub fn judged_in(&self, period: Period) -> bool {
        self.image_date.is_none_or(|d| period.contains(d))
    }
}

/// Targets of one township, m².
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Targets {
    /// 耕地保有量.
    pub cultivated: Option<f64>,
    /// 永久基本农田保护任务.
    pub pbf: Option<f64>,
}

/// The county's layers, in the working CRS. Only townships and land use are required.
#[derive(Debug, Clone, Default)]
pub struct County {
    /// Townships.
    pub townships: Vec<Township>,
    /// Land-use parcels (a coverage): the current vintage.
    pub landuse: Vec<Parcel>,
    /// The previous vintage of the land-use survey, when the job has it (年度变更).
    pub landuse_previous: Option<Vec<Parcel>>,
    /// Village names (ZLDWMC) by 12-character village code, where the land use gives them.
    pub village_names: std::collections::BTreeMap<String, String>,
    /// Basic farmland, when the job has the layer.
    pub basic_farmland: Option<Vec<BasicFarmland>>,
    /// Approvals, when the job has the layer.
    pub approvals: Option<Vec<Approval>>,
    /// Compensation projects, when the job has the layer.
    pub supplements: Option<Vec<Supplement>>,
    /// Change patches, when the job has the layer.
    pub changes: Option<Vec<Change>>,
    /// Targets by township code.
    pub targets: std::collections::BTreeMap<String, Targets>,
}

impl County {
    /// Puts every layer in id order (townships by code), so that results — down to the last bit
    /// of every sum — do not depend on the order features came in. Ties keep their order.
    pub fn sort(&mut self) {
        self.townships.sort_by(|a, b| a.code.cmp(&b.code));
        // Stable parallel sorts: ties (duplicate ids) keep their input order.
        use rayon::slice::ParallelSliceMut;
        self.landuse.par_sort_by(|a, b| a.id.cmp(&b.id));
        if let Some(v) = self.landuse_previous.as_mut() {
            v.par_sort_by(|a, b| a.id.cmp(&b.id));
        }
        if let Some(v) = self.basic_farmland.as_mut() {
            v.par_sort_by(|a, b| a.id.cmp(&b.id));
        }
        if let Some(v) = self.approvals.as_mut() {
            v.sort_by(|a, b| a.number.cmp(&b.number));
        }
        if let Some(v) = self.supplements.as_mut() {
            v.sort_by(|a, b| a.id.cmp(&b.id));
        }
        if let Some(v) = self.changes.as_mut() {
            v.sort_by(|a, b| a.id.cmp(&b.id));
        }
    }
}

/// Thresholds of the violation flags (docs/metrics.md §5.4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// 约谈 at this illegal ratio (default 0.10).
    pub interview_ratio: f64,
    /// Optional absolute 约谈 threshold on illegal cultivated area, m².
    pub interview_area_m2: Option<f64>,
    /// 问责 at this illegal ratio (15号令: 0.15).
    pub accountability_ratio: f64,
    /// Parts smaller than this (m²) count as empty in verdicts (default 1).
    pub min_illegal_m2: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            interview_ratio: 0.10,
            interview_area_m2: None,
            accountability_ratio: 0.15,
            min_illegal_m2: 1.0,
        }
    }
}

/// Grain capacity per quality grade, kg per 亩, grades 1 (best) to 15.
#[derive(Debug, Clone, PartialEq)]
pub struct YieldTable {
    /// kg/亩 for grades 1..=len.
    pub per_grade: Vec<f64>,
    /// True when this is redline's built-in table, not a provincial one.
    pub is_default: bool,
}

impl Default for YieldTable {
    /// A placeholder table, to be replaced with the province's: 1 000 kg/亩 at grade 1 falling by
    /// 57 kg per grade to 202 kg/亩 at grade 15. Reports mark it as a default.
    fn default() -> Self {
        YieldTable {
            per_grade: (0..15).map(|g| 1000.0 - 57.0 * g as f64).collect(),
            is_default: true,
        }
    }
}

impl YieldTable {
    /// kg/亩 of a grade (the worst listed grade when unknown or out of range).
    pub fn kg_per_mu(&self, grade: Option<u8>) -> f64 {
        let last = self.per_grade.len().saturating_sub(1);
        let index = grade.map_or(last, |g| (g.max(1) as usize - 1).min(last));
        self.per_grade.get(index).copied().unwrap_or(0.0)
    }
}

/// How the engine runs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The period.
    pub period: Period,
    /// Area method.
    pub area: AreaMethod,
    /// The working CRS (for ellipsoidal areas).
    pub crs: redline_geom::Crs,
    /// Flag thresholds.
    pub thresholds: Thresholds,
    /// Grain capacity per grade.
    pub yields: YieldTable,
    /// What the vintage comparison counts (docs/change.md).
    pub change: ChangeRules,
}

/// The debatable choices of the vintage comparison's 进出平衡 ledger and its cross-check
/// (docs/change.md), set in the job's `[change]` table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChangeRules {
    /// Count 1202 设施农用地 as other agricultural land (自然资发〔2021〕166号 names
    /// 农业设施建设用地 beside forest, grassland and garden): default true.
    pub facility_land: bool,
    /// Count the K codes (可调整地类: 0201K, 0202K, 0203K, 0204K, 0301K, 0302K, 0307K,
    /// 0404K, 1104K) as other agricultural land: default true.
    pub adjustable: bool,
    /// Count 1203 田坎 — ridge parcels and changes of the deduction coefficient — in the
    /// ledger: default false (a new coefficient is a survey correction, not a land change).
    pub ridges: bool,
    /// New construction smaller than this (m²) is not listed as uncovered (default 1).
    pub min_uncovered_m2: f64,
}

impl Default for ChangeRules {
    fn default() -> Self {
        ChangeRules {
            facility_land: true,
            adjustable: true,
            ridges: false,
            min_uncovered_m2: 1.0,
        }
    }
}

#[cfg(test)]
impl Settings {
    /// Settings for the unit tests: the 2025 period, zone-41 Gauss–Krüger, `area`.
    pub(crate) fn for_tests(area: AreaMethod) -> Settings {
        let day = |year| Date {
            year,
            month: 1,
            day: 1,
        };
        Settings {
            period: Period {
                start: day(2025),
                end: day(2026),
            },
            area,
            crs: redline_geom::Crs::from_epsg(4529).unwrap(),
            thresholds: Thresholds::default(),
            yields: YieldTable::default(),
            change: ChangeRules::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_every_usual_form() {
        let d = Date {
            year: 2025,
            month: 3,
            day: 9,
        };
        for text in [
            "2025-03-09",
            "20250309",
            "2025/3/9",
            "2025-03-09T10:00:00",
            "2025.03.09",
        ] {
            assert_eq!(Date::parse(text), Some(d), "{text}");
        }
        assert_eq!(Date::parse("2025-02-29"), None);
        assert_eq!(Date::parse("2024-02-29").map(|d| d.day), Some(29));
        assert_eq!(Date::parse("2025-13-01"), None);
        assert_eq!(Date::parse("soon"), None);
        assert_eq!(d.to_string(), "2025-03-09");
    }

    #[test]
    fn yields_by_grade() {
        let y = YieldTable::default();
        assert_eq!(
            (
                y.kg_per_mu(Some(1)),
                y.kg_per_mu(Some(15)),
                y.kg_per_mu(None)
            ),
            (1000.0, 202.0, 202.0)
        );
    }
}
