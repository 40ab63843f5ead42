//! `report.json`: the job echo, per-township and county metrics, PBF-loss pieces and data
//! issues. Keys are sorted and numbers rounded when written (m² to 2 decimals, ratios to 6), so
//! the same inputs give the same bytes.

use redline_geom::DataIssue;
use redline_overlay::{
    Balance, Flows, GrossNet, LandUse, Ledger, Metrics, Outcome, Pbf, Settings, VintageChange,
    Violations,
};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The version of report.json's layout (`schema/report.schema.json`): the major number changes
/// when a key is removed or changes meaning, the minor when keys are added.
pub const SCHEMA_VERSION: &str = "1.1";

/// What the report repeats of the job.
pub struct JobEcho<'a> {
    /// Job name.
    pub name: &'a str,
    /// The job file as the report names it (its file name: paths in the report are relative
    /// to the job file's folder).
    pub file: &'a str,
    /// The job file's text.
    pub text: &'a str,
    /// Settings the engine ran with.
    pub settings: &'a Settings,
}

fn m2(v: f64) -> Value {
    json!((v * 100.0).round() / 100.0)
}

fn ratio(v: Option<f64>) -> Value {
    v.map_or(Value::Null, |r| json!((r * 1e6).round() / 1e6))
}

fn opt_m2(v: Option<f64>) -> Value {
    v.map_or(Value::Null, m2)
}

/// The first-level classes of the 三调 (00 湿地 … 12 其他土地): `by_group` always has them.
const GROUPS: [&str; 13] = [
    "00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12",
];
/// The cultivated classes (水田, 水浇地, 旱地): `cultivated_by_class` always has them.
const CULTIVATED: [&str; 3] = ["0101", "0102", "0103"];

/// `{key: {gross_m2, net_m2}}` with every key of `keys` present (zeros where the map lacks it).
fn gross_net(map: &BTreeMap<String, GrossNet>, keys: &BTreeSet<String>) -> Value {
    Value::Object(
        keys.iter()
            .map(|k| {
                let v = map.get(k).copied().unwrap_or_default();
                (
                    k.clone(),
                    json!({"gross_m2": m2(v.gross), "net_m2": m2(v.net)}),
                )
            })
            .collect::<Map<_, _>>(),
    )
}

/// The keys every row's class maps carry: the fixed ones and any the county has.
struct ClassKeys {
    groups: BTreeSet<String>,
    cultivated: BTreeSet<String>,
    classes: BTreeSet<String>,
}

impl ClassKeys {
    fn of(county: &LandUse) -> ClassKeys {
        let with = |fixed: &[&str], seen: &BTreeMap<String, GrossNet>| {
            fixed
                .iter()
                .map(|k| k.to_string())
                .chain(seen.keys().cloned())
                .collect()
        };
        ClassKeys {
            groups: with(&GROUPS, &county.by_group),
            cultivated: with(&CULTIVATED, &county.cultivated_by_class),
            classes: county.by_class.keys().cloned().collect(),
        }
    }
}

fn land_use(l: &LandUse, keys: &ClassKeys) -> Value {
    json!({
        "by_group": gross_net(&l.by_group, &keys.groups),
        "cultivated_by_class": gross_net(&l.cultivated_by_class, &keys.cultivated),
        "by_class": areas(&l.by_class, &keys.classes),
        "agricultural_m2": m2(l.agricultural),
        "construction_m2": m2(l.construction),
        "unused_m2": m2(l.unused),
        "total_m2": m2(l.total),
        "cultivated_gross_m2": m2(l.cultivated_gross),
        "cultivated_net_m2": m2(l.cultivated_net),
        "cultivated_target_m2": opt_m2(l.cultivated_target),
        "retention_ratio": ratio(l.retention_ratio),
    })
}

/// `{key: m²}` with every key of `keys` present (zeros where the map lacks it).
fn areas<'k>(map: &BTreeMap<String, f64>, keys: impl IntoIterator<Item = &'k String>) -> Value {
    Value::Object(
        keys.into_iter()
            .map(|k| (k.clone(), m2(map.get(k).copied().unwrap_or(0.0))))
            .collect(),
    )
}

fn flows(f: &Flows) -> Value {
    json!({
        "construction_m2": m2(f.construction),
        "other_agri_m2": m2(f.other_agri),
        "unused_m2": m2(f.unused),
    })
}

/// The vintage comparison: the matrix keyed `FROM>TO` (non-zero cells only), the flows of
/// cultivated land and the 进出平衡 ledger.
fn change(c: &VintageChange) -> Value {
    let mut transitions: BTreeMap<String, f64> = BTreeMap::new();
    for ((from, to), area) in &c.transitions {
        *transitions
            .entry(format!("{}>{}", from.code, to.code))
            .or_default() += area;
    }
    let transitions: Map<String, Value> = transitions
        .into_iter()
        .filter(|(_, a)| (a * 100.0).round() != 0.0)
        .map(|(k, a)| (k, m2(a)))
        .collect();
    let groups: Vec<String> = GROUPS.iter().map(|g| g.to_string()).collect();
    json!({
        "transitions": transitions,
        "cultivated_previous_m2": m2(c.cultivated_previous),
        "cultivated_current_m2": m2(c.cultivated_current),
        "cultivated_out_m2": m2(c.cultivated_out()),
        "cultivated_in_m2": m2(c.cultivated_in()),
        "net_change_m2": m2(c.net_change()),
        "out": flows(&c.out),
        "in": flows(&c.inflow),
        "out_by_group": areas(&c.out_by_group, &groups),
        "in_by_group": areas(&c.in_by_group, &groups),
        "in_out": {
            "out_m2": m2(c.in_out.out),
            "in_m2": m2(c.in_out.inflow),
            "balance_m2": m2(c.in_out.balance()),
            "deficit": c.in_out.deficit(),
        },
        "new_construction_m2": m2(c.new_construction),
        "uncovered_construction_m2": m2(c.uncovered),
        "uncovered_construction_count": c.uncovered_count,
    })
}

fn pbf(p: &Pbf) -> Value {
    json!({
        "pbf_area_m2": m2(p.area),
        "pbf_cultivated_m2": m2(p.cultivated),
        "pbf_construction_m2": m2(p.construction),
        "pbf_other_agri_m2": m2(p.other_agri),
        "pbf_unused_m2": m2(p.unused),
        "pbf_target_m2": opt_m2(p.target),
        "pbf_cultivated_ratio": ratio(p.cultivated_ratio),
        "pbf_task_ratio": ratio(p.task_ratio),
        "pbf_share": ratio(p.share),
    })
}

fn ledger(l: &Ledger) -> Value {
    json!({
        "quantity_m2": m2(l.quantity),
        "paddy_m2": m2(l.paddy),
        "capacity_kg": m2(l.capacity),
        "mean_grade": ratio(l.mean_grade()),
    })
}

fn balance(b: &Balance) -> Value {
    let (q, p, c) = b.net();
    json!({
        "debit": ledger(&b.debit),
        "credit": ledger(&b.credit),
        "balance": {"quantity_m2": m2(q), "paddy_m2": m2(p), "capacity_kg": m2(c)},
        "balanced": b.balanced(),
        "quality_ok": b.quality_ok(),
    })
}

/// Patches by verdict: every verdict, zero where no patch has it.
fn patch_counts(v: &Violations) -> Map<String, Value> {
    ["existing", "legal", "other", "illegal", "partial"]
        .iter()
        .map(|k| {
            (
                k.to_string(),
                json!(v.patches.get(*k).copied().unwrap_or(0)),
            )
        })
        .collect()
}

fn violations(v: &Violations) -> Value {
    json!({
        "new_construction_cultivated_m2": m2(v.new_construction_cultivated),
        "illegal_cultivated_m2": m2(v.illegal_cultivated),
        "illegal_pbf_m2": m2(v.illegal_pbf),
        "illegal_ratio": ratio(Some(v.illegal_ratio)),
        "interview": v.interview,
        "accountability": v.accountability,
        "patches": patch_counts(v),
    })
}

fn metrics(m: &Metrics, keys: &ClassKeys) -> Value {
    json!({
        "code": m.code,
        "name": m.name,
        "landuse": land_use(&m.landuse, keys),
        "basic_farmland": m.pbf.as_ref().map_or(Value::Null, pbf),
        "balance": m.balance.as_ref().map_or(Value::Null, balance),
        "violations": m.violations.as_ref().map_or(Value::Null, violations),
        "change": m.change.as_ref().map_or(Value::Null, change),
        "pieces": m.pieces,
        "clipped_pieces": m.clipped,
    })
}

/// A data issue as report.json lists it (and the JSON Lines diagnostics, with a severity).
pub fn issue_json(i: &DataIssue) -> Value {
    json!({"file": i.file, "layer": i.layer, "feature": i.feature, "id": i.id, "field": i.field, "kind": i.kind.name(), "message": i.message})
}

/// The whole report as JSON text (pretty-printed, sorted keys, trailing newline).
pub fn report_json(job: &JobEcho, outcome: &Outcome, issues: &[DataIssue]) -> String {
    let s = job.settings;
    let t = &s.thresholds;
    let keys = ClassKeys::of(&outcome.county.landuse);
    let value = json!({
        "schema_version": SCHEMA_VERSION,
        "redline_version": env!("CARGO_PKG_VERSION"),
        "job": {
            "name": job.name,
            "file": job.file,
            "period": {"start": s.period.start.to_string(), "end": s.period.end.to_string()},
            "crs": s.crs.to_string(),
            "area_method": format!("{:?}", s.area).to_lowercase(),
            "thresholds": {
                "interview_ratio": t.interview_ratio,
                "interview_area_m2": t.interview_area_m2,
                "accountability_ratio": t.accountability_ratio,
                "min_illegal_m2": t.min_illegal_m2,
            },
            "yield_kg_per_mu": {"per_grade": s.yields.per_grade, "is_default": s.yields.is_default},
            "change": {
                "facility_land": s.change.facility_land,
                "adjustable": s.change.adjustable,
                "ridges": s.change.ridges,
                "min_uncovered_m2": s.change.min_uncovered_m2,
            },
            "text": job.text,
        },
        "county": metrics(&outcome.county, &keys),
        "townships": outcome.townships.iter().map(|m| metrics(m, &keys)).collect::<Vec<_>>(),
        "pbf_loss": outcome.pbf_loss.iter().map(|l| json!({
            "township": l.township, "pbf_id": l.pbf_id, "landuse_id": l.landuse_id, "class": l.class, "area_m2": m2(l.area)
        })).collect::<Vec<_>>(),
        "uncovered_construction": outcome.uncovered.iter().map(|u| json!({
            "township": u.township, "landuse_id": u.landuse_id, "class": u.class,
            "previous_classes": u.previous, "area_m2": m2(u.area),
        })).collect::<Vec<_>>(),
        "patches": outcome.patches.iter().map(|p| json!({
            "id": p.id, "verdict": p.verdict.name(), "townships": p.townships,
            "new_land_m2": m2(p.new_land), "legal_m2": m2(p.legal), "other_m2": m2(p.other), "illegal_m2": m2(p.illegal),
            "illegal_cultivated_m2": m2(p.illegal_cultivated), "illegal_pbf_m2": m2(p.illegal_pbf),
        })).collect::<Vec<_>>(),
        "data_issues": issues.iter().map(issue_json).collect::<Vec<_>>(),
        "notes": outcome.notes,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// One county of a province's report.json.
pub struct CountyEntry<'a> {
    /// The county's job file, relative to the province file.
    pub job: &'a str,
    /// Its output folder inside the province's (its 6-digit code), when it ran.
    pub folder: Option<&'a str>,
    /// Its county row, when it ran.
    pub metrics: Option<&'a Metrics>,
    /// Its data issues (listed in its own report.json).
    pub data_issues: usize,
    /// Why it failed, when it did.
    pub error: Option<&'a str>,
}

/// A province's report.json: the province total (the sum of the county rows that ran, as a
/// county's row sums its townships) and a row per county with the same metric names, failed
/// counties included with their error.
pub fn province_json(name: &str, file: &str, counties: &[CountyEntry], total: &Metrics) -> String {
    let keys = ClassKeys::of(&total.landuse);
    let failed = counties.iter().filter(|c| c.error.is_some()).count();
    let value = json!({
        "schema_version": SCHEMA_VERSION,
        "redline_version": env!("CARGO_PKG_VERSION"),
        "province": {"name": name, "file": file},
        "complete": failed == 0,
        "failed_counties": failed,
        "total": metrics(total, &keys),
        "counties": counties.iter().map(|c| json!({
            "job": c.job,
            "folder": c.folder,
            "status": if c.error.is_some() { "failed" } else { "ok" },
            "error": c.error,
            "data_issues": c.data_issues,
            "metrics": c.metrics.map(|m| metrics(m, &keys)),
        })).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}
