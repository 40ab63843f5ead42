//! Layer roles and their fields: the 三调 default names, the aliases tried when the default is
//! absent, job-file overrides, and the per-role attribute checks (class codes, coefficients).

use crate::attributes::Row;
use crate::error::IngestError;
use crate::feature::Feature;
use crate::layer::Layer;
use crate::value::ValueRef;
use rayon::prelude::*;
use redline_geom::{DataIssue, IssueKind, LandClassTable};
use std::collections::BTreeMap;

/// What a layer is for in a job (README, "Layers and fields").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LayerRole {
    /// Township boundaries (XZQ).
    Townships,
    /// Land-use survey parcels (DLTB, 地类图斑).
    Landuse,
    /// The previous vintage of the land-use survey (last year's 变更调查), same fields.
    LandusePrevious,
    /// Permanent basic farmland (YJJBNTTB).
    BasicFarmland,
    /// Approved land use (批次, 供地, 临时用地 …).
    Approvals,
    /// Compensation projects (补充耕地项目).
    Supplements,
    /// Satellite change patches (卫片图斑).
    Changes,
}

/// One logical field of a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// The logical name used in job files (`class`, `official_area` …).
    pub key: &'static str,
    /// The 三调 default field name.
    pub default: &'static str,
    /// Other names tried, in order, when the default is absent.
    pub aliases: &'static [&'static str],
    /// Whether the role cannot work without it.
    pub required: bool,
}

const fn spec(
    key: &'static str,
    default: &'static str,
    aliases: &'static [&'static str],
    required: bool,
) -> FieldSpec {
    FieldSpec {
        key,
        default,
        aliases,
        required,
    }
}

const TOWNSHIPS_FIELDS: &[FieldSpec] = &[
    spec("code", "XZQDM", &[], true),
    spec("name", "XZQMC", &[], false),
];
const LANDUSE_FIELDS: &[FieldSpec] = &[
    spec("id", "BSM", &["OBJECTID", "FID"], false),
    spec("class", "DLBM", &[], true),
    spec("official_area", "TBMJ", &[], false),
    spec("deduction", "KCXS", &["TKXS"], false),
    spec("deduction_area", "KCMJ", &[], false),
    spec("location", "ZLDWDM", &[], false),
    spec("location_name", "ZLDWMC", &[], false),
    spec("grade", "GDDB", &[], false),
];
const BASIC_FARMLAND_FIELDS: &[FieldSpec] = &[
    spec("id", "BSM", &["OBJECTID", "FID"], false),
    spec("declared_area", "JBNTMJ", &["YJJBNTMJ"], false),
];
const APPROVALS_FIELDS: &[FieldSpec] = &[
    spec("kind", "PZLX", &[], true),
    spec("number", "PZWH", &[], false),
    spec("date", "PZRQ", &[], false),
];
const SUPPLEMENTS_FIELDS: &[FieldSpec] = &[
    spec("id", "XMBH", &[], false),
    spec("status", "ZT", &[], true),
    spec("new_area", "XZGDMJ", &[], false),
    spec("new_paddy", "XZSTMJ", &[], false),
    spec("grade", "GDDB", &[], false),
    spec("date", "YSRQ", &[], false),
];
const CHANGES_FIELDS: &[FieldSpec] = &[
    spec("id", "JCBH", &[], false),
    spec("observed_class", "HSXDL", &[], false),
    spec("image_date", "HSX", &[], false),
    spec("monitored_area", "JCMJ", &[], false),
];

impl LayerRole {
    /// Every role, in job-file order.
    pub const ALL: [LayerRole; 7] = [
        LayerRole::Townships,
        LayerRole::Landuse,
        LayerRole::LandusePrevious,
        LayerRole::BasicFarmland,
        LayerRole::Approvals,
        LayerRole::Supplements,
        LayerRole::Changes,
    ];

    /// The job-file name: `townships`, `landuse`, `basic_farmland` …
    pub fn name(self) -> &'static str {
        match self {
            LayerRole::Townships => "townships",
            LayerRole::Landuse => "landuse",
            LayerRole::LandusePrevious => "landuse_previous",
            LayerRole::BasicFarmland => "basic_farmland",
            LayerRole::Approvals => "approvals",
            LayerRole::Supplements => "supplements",
            LayerRole::Changes => "changes",
        }
    }

    /// Whether a job may give this layer with no features: a year can have no change patches,
    /// approvals or compensation projects, but townships, land use and basic farmland are
    /// what the metrics are made of.
    pub fn may_be_empty(self) -> bool {
        matches!(
            self,
            LayerRole::Approvals | LayerRole::Supplements | LayerRole::Changes
        )
    }

    /// The role of a job-file name.
    pub fn from_name(name: &str) -> Option<LayerRole> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }

    /// The fields of this role (README, "Layers and fields").
    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            LayerRole::Townships => TOWNSHIPS_FIELDS,
            LayerRole::Landuse | LayerRole::LandusePrevious => LANDUSE_FIELDS,
            LayerRole::BasicFarmland => BASIC_FARMLAND_FIELDS,
            LayerRole::Approvals => APPROVALS_FIELDS,
            LayerRole::Supplements => SUPPLEMENTS_FIELDS,
            LayerRole::Changes => CHANGES_FIELDS,
        }
    }

    /// Either vintage of the land-use survey.
    pub fn is_landuse(self) -> bool {
        matches!(self, LayerRole::Landuse | LayerRole::LandusePrevious)
    }

    /// Guesses the role of a layer from its field names (for `redline check FILE`).
    pub fn guess(field_names: &[&str]) -> Option<LayerRole> {
        let has = |n: &str| field_names.iter().any(|f| f.eq_ignore_ascii_case(n));
        [
            // Basic farmland layers often carry DLBM too: their own fields decide first.
            (LayerRole::BasicFarmland, "JBNTMJ"),
            (LayerRole::BasicFarmland, "YJJBNTMJ"),
            (LayerRole::Landuse, "DLBM"),
            (LayerRole::Changes, "JCBH"),
            (LayerRole::Approvals, "PZLX"),
            (LayerRole::Supplements, "XZGDMJ"),
            (LayerRole::Townships, "XZQDM"),
        ]
        .into_iter()
        .find(|(_, f)| has(f))
        .map(|(r, _)| r)
    }
}

/// The fields of a role found in a layer: logical key → column index.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedFields {
    /// The role.
    pub role: LayerRole,
    /// Each logical field the layer has: its key, column and name in the file. A list, not a
    /// map: a handful of keys, looked up several times for each of a million parcels, are
    /// found faster by a scan (string equality compares lengths first) than by walking a tree
    /// of string comparisons.
    columns: Vec<(&'static str, usize, String)>,
}

impl ResolvedFields {
    /// Every field name [`ResolvedFields::resolve`] may look for in a layer of `role`: what a
    /// reader that can skip columns needs to read.
    pub fn names_tried(role: LayerRole, overrides: &BTreeMap<String, String>) -> Vec<String> {
        role.fields()
            .iter()
            .flat_map(|spec| match overrides.get(spec.key) {
                Some(name) => vec![name.clone()],
                None => std::iter::once(spec.default)
                    .chain(spec.aliases.iter().copied())
                    .map(String::from)
                    .collect(),
            })
            .collect()
    }

    /// Finds the role's fields in `layer`: an override from the job first, else the default,
    /// else the aliases, compared without regard to ASCII case. A missing required field is an
    /// error naming the file, the layer and every name tried.
    pub fn resolve(
        layer: &Layer,
        role: LayerRole,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Self, IngestError> {
        let find = |name: &str| {
            layer
                .fields
                .iter()
                .position(|f| f.name.eq_ignore_ascii_case(name))
        };
        let mut columns = Vec::new();
        for spec in role.fields() {
            let tried: Vec<String> = match overrides.get(spec.key) {
                Some(name) => vec![name.clone()],
                None => std::iter::once(spec.default)
                    .chain(spec.aliases.iter().copied())
                    .map(String::from)
                    .collect(),
            };
            match tried.iter().find_map(|n| find(n)) {
                Some(i) => {
                    columns.push((spec.key, i, layer.fields[i].name.clone()));
                }
                None if spec.required || overrides.contains_key(spec.key) => {
                    return Err(IngestError::MissingField {
                        path: layer.path.clone(),
                        layer: layer.name.clone(),
                        field: spec.key.to_string(),
                        tried,
                    })
                }
                None => {}
            }
        }
        Ok(ResolvedFields { role, columns })
    }

    /// The column index of a logical field, when the layer has it.
    pub fn column(&self, key: &str) -> Option<usize> {
        self.entry(key).map(|(_, i, _)| *i)
    }

    fn entry(&self, key: &str) -> Option<&(&'static str, usize, String)> {
        self.columns.iter().find(|(k, _, _)| *k == key)
    }

    /// The field name as in the file.
    pub fn field_name(&self, key: &str) -> Option<&str> {
        self.entry(key).map(|(_, _, n)| n.as_str())
    }

    /// A feature's value of a logical field (`Null` when the layer lacks it).
    pub fn value<'a>(&self, attrs: Row<'a>, key: &str) -> ValueRef<'a> {
        value_in(attrs, self.column(key))
    }

    /// The per-role attribute checks: unknown class codes and bad deduction coefficients in
    /// `landuse`. Each problem is a data issue naming the feature, its id and the field.
    pub fn check(&self, layer: &Layer, classes: &LandClassTable) -> Vec<DataIssue> {
        if !self.role.is_landuse() {
            return Vec::new();
        }
        // The two columns found once, not per feature; in parallel (a million parcels), each
        // feature's issues in feature order.
        let columns = [
            self.column("class"),
            self.column("deduction"),
            self.column("official_area"),
        ];
        layer
            .features
            .par_iter()
            .flat_map_iter(|f| self.feature_issues(layer, f, classes, columns))
            .collect()
    }

    /// One land-use feature's unknown class code, bad deduction coefficient and bad official
    /// area (`columns`: those of the class, the deduction and the official area).
    fn feature_issues(
        &self,
        layer: &Layer,
        f: &Feature,
        classes: &LandClassTable,
        [class, deduction, official_area]: [Option<usize>; 3],
    ) -> Vec<DataIssue> {
        let mut issues = Vec::new();
        let issue = |key: &str, kind, message: String| DataIssue {
            file: layer.path.display().to_string(),
            layer: layer.name.clone(),
            feature: Some(f.index),
            id: f.id.as_deref().map(str::to_string),
            field: self.field_name(key).map(str::to_string),
            kind,
            message,
        };
        let code = value_in(layer.attrs(f), class).as_str().unwrap_or_default();
        if classes.get(&code).is_none() {
            issues.push(issue(
                "class",
                IssueKind::UnknownClassCode,
                format!("unknown land-class code {code:?}"),
            ));
        }
        let kcxs = value_in(layer.attrs(f), deduction);
        if let Some(v) = kcxs.as_number() {
            if !(0.0..100.0).contains(&v) {
                issues.push(issue(
                    "deduction",
                    IssueKind::BadValue,
                    format!(
                        "deduction coefficient {v} is outside [0, 1) (or [0, 100) as a percentage)"
                    ),
                ));
            }
        } else if !kcxs.is_null() {
            issues.push(issue(
                "deduction",
                IssueKind::BadValue,
                format!("deduction coefficient {kcxs} is not a number"),
            ));
        }
        // Prorating scales each parcel to its official area: a negative or zero one would
        // count the parcel negative or not at all. (Left out of the parcel where it is so.)
        let tbmj = value_in(layer.attrs(f), official_area);
        if !tbmj.is_null() && official_area_of(tbmj).is_none() {
            issues.push(issue(
                "official_area",
                IssueKind::BadValue,
                format!("official area {tbmj} is not a finite number of m² above 0; left out"),
            ));
        }
        issues
    }
}

/// The value in a column of a feature's attributes ([`ResolvedFields::column`]): `Null` where
/// the layer lacks the field. Loops over a million features find their columns once and read
/// the values with this (a lookup by key for each was 1 % of a run).
#[inline]
pub fn value_in(attrs: Row<'_>, column: Option<usize>) -> ValueRef<'_> {
    column.and_then(|i| attrs.get(i)).unwrap_or(ValueRef::Null)
}

/// A parcel's official area (TBMJ) where it is one: a finite number above 0.
pub fn official_area_of(value: ValueRef<'_>) -> Option<f64> {
    value.as_number().filter(|t| t.is_finite() && *t > 0.0)
}

/// A deduction coefficient as a fraction: values above 1 are percentages (docs/metrics.md §3).
pub fn deduction_fraction(kcxs: f64) -> f64 {
    if kcxs > 1.0 {
        kcxs / 100.0
    } else {
        kcxs
    }
}
