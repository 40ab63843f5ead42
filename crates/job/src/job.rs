//! The job file (README, "The job file"): parsed, checked key by key, and turned into the engine's inputs.

use crate::preflight;
use anyhow::{anyhow, bail, Context, Result};
use rayon::prelude::*;
use redline_geom::{
    AreaMethod, ClassCode, Crs, Helmert, KnownGeometries, LandCategory, LandClassTable, TextPrint,
    Transformer,
};
use redline_ingest::{
    deduction_fraction, items_from_the_end, official_area_of, read_layer, value_in, DataIssue,
    IngestError, IssueKind, Layer, LayerRole, ReadOptions, ResolvedFields, Row, ValueRef,
};
use redline_overlay::{
    Approval, ApprovalKind, BasicFarmland, Change, ChangeRules, CompactString, County, Date,
    Parcel, ParcelGeometries, Period, Settings, Supplement, Targets, Thresholds, Township,
    YieldTable,
};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError};

/// One layer of the job.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerSpec {
    /// File, relative to the job file.
    pub path: PathBuf,
    /// Field renames: logical key → field name.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// DBF text encoding override.
    pub dbf_encoding: Option<String>,
    /// The layer inside a multi-layer source (`gdal` feature: GeoPackage, FileGDB …).
    pub layer: Option<String>,
    /// The layer's CRS where its file declares none (else the job's `crs` is assumed).
    pub crs: Option<String>,
    /// Helmert parameters from the layer's datum (Xian 1980, Beijing 1954) to CGCS2000:
    /// `"dx,dy,dz,rx,ry,rz,ds"` in m, arc-seconds (position vector), ppm.
    pub towgs84: Option<String>,
    /// Approval kinds: `PZLX` value → kind (approvals only).
    pub kinds: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LayerSpecs {
    townships: LayerSpec,
    landuse: LayerSpec,
    landuse_previous: Option<LayerSpec>,
    basic_farmland: Option<LayerSpec>,
    approvals: Option<LayerSpec>,
    supplements: Option<LayerSpec>,
    changes: Option<LayerSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PeriodSpec {
    start: String,
    end: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetsSpec {
    path: PathBuf,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThresholdSpec {
    interview_ratio: Option<f64>,
    interview_area_m2: Option<f64>,
    accountability_ratio: Option<f64>,
    min_illegal_m2: Option<f64>,
}

/// `[change]`: what the vintage comparison counts (docs/change.md).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeSpec {
    facility_land: Option<bool>,
    adjustable: Option<bool>,
    ridges: Option<bool>,
    min_uncovered_m2: Option<f64>,
}

fn change_rules(c: ChangeSpec) -> Result<ChangeRules> {
    let d = ChangeRules::default();
    let min = c.min_uncovered_m2.unwrap_or(d.min_uncovered_m2);
    if !(min.is_finite() && min >= 0.0) {
        bail!("change.min_uncovered_m2 = {min}: an area of 0 m² or more");
    }
    Ok(ChangeRules {
        facility_land: c.facility_land.unwrap_or(d.facility_land),
        adjustable: c.adjustable.unwrap_or(d.adjustable),
        ridges: c.ridges.unwrap_or(d.ridges),
        min_uncovered_m2: min,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CapacitySpec {
    yield_per_grade: Vec<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JobFile {
    name: Option<String>,
    period: Option<PeriodSpec>,
    crs: Option<String>,
    /// The working CRS's datum shift, where `crs` is on Xian 1980 / Beijing 1954.
    towgs84: Option<String>,
    area: Option<String>,
    output: Option<PathBuf>,
    layers: LayerSpecs,
    targets: Option<TargetsSpec>,
    thresholds: Option<ThresholdSpec>,
    capacity: Option<CapacitySpec>,
    change: Option<ChangeSpec>,
    /// Land-class overrides: code → C, N, J or W.
    classes: Option<BTreeMap<String, String>>,
}

/// A checked job, ready to load.
#[derive(Debug)]
pub struct Job {
    /// The job's name.
    pub name: String,
    /// The file it came from.
    pub path: PathBuf,
    /// Output folder (resolved).
    pub output: PathBuf,
    /// Engine settings (the CRS is settled when the layers are read).
    pub period: Period,
    area: AreaMethod,
    crs: Option<Crs>,
    thresholds: Thresholds,
    yields: YieldTable,
    change: ChangeRules,
    classes: LandClassTable,
    layers: Vec<(LayerRole, LayerSpec)>,
    /// Each layer's `crs` and `towgs84`, parsed when the job is loaded.
    datums: BTreeMap<LayerRole, LayerDatum>,
    kinds: BTreeMap<String, ApprovalKind>,
    targets: Option<PathBuf>,
    /// The job file's text, echoed in the report.
    pub text: String,
}

/// One layer as read: its role, the layer (`None` for an empty optional layer) and its issues.
type LayerRead = (LayerRole, Option<Layer>, Vec<DataIssue>);

/// A layer's `crs` (where its file declares none) and `towgs84`, from the job file.
#[derive(Debug)]
struct LayerDatum {
    crs: Option<Crs>,
    towgs84: Option<Helmert>,
}

/// The default mapping of `PZLX` values ([`redline_geom::DEFAULT_APPROVAL_KINDS`]).
fn default_kinds() -> BTreeMap<String, ApprovalKind> {
    redline_geom::DEFAULT_APPROVAL_KINDS
        .iter()
        .filter_map(|(value, kind)| Some((value.to_string(), ApprovalKind::from_name(kind)?)))
        .collect()
}

/// `period`: both dates valid and in order; without it every dated feature counts.
fn period(spec: Option<&PeriodSpec>, path: &Path) -> Result<Period> {
    let period = match spec {
        Some(p) => Period {
            start: date(&p.start, "period.start")?,
            end: date(&p.end, "period.end")?,
        },
        None => Period {
            start: Date {
                year: 0,
                month: 1,
                day: 1,
            },
            end: Date {
                year: 9999,
                month: 12,
                day: 31,
            },
        },
    };
    if period.start > period.end {
        bail!("{}: period.start is after period.end", path.display());
    }
    Ok(period)
}

/// `crs` and its `towgs84` (which needs the `crs`).
fn working_crs(crs: Option<&str>, towgs84: Option<&str>) -> Result<Option<Crs>> {
    let mut crs = crs
        .map(Crs::from_user)
        .transpose()
        .map_err(|e| anyhow!("crs: {e}"))?;
    if let Some(text) = towgs84 {
        let h = text.parse().map_err(|e| anyhow!("towgs84: {e}"))?;
        match crs.as_mut() {
            Some(crs) => crs.towgs84 = Some(h),
            None => bail!("towgs84 is the datum shift of the job's `crs`: give `crs` too"),
        }
    }
    Ok(crs)
}

/// `[thresholds]` over the defaults, checked.
fn thresholds(t: ThresholdSpec) -> Result<Thresholds> {
    let defaults = Thresholds::default();
    let thresholds = Thresholds {
        interview_ratio: t.interview_ratio.unwrap_or(defaults.interview_ratio),
        interview_area_m2: t.interview_area_m2,
        accountability_ratio: t
            .accountability_ratio
            .unwrap_or(defaults.accountability_ratio),
        min_illegal_m2: t.min_illegal_m2.unwrap_or(defaults.min_illegal_m2),
    };
    check_thresholds(&thresholds)?;
    Ok(thresholds)
}

/// The built-in land-class table with the job's `[classes]` overrides.
fn classes(overrides: BTreeMap<String, String>) -> Result<LandClassTable> {
    let mut classes = LandClassTable::builtin().clone();
    for (code, letter) in overrides {
        let Some(class) = ClassCode::new(&code).filter(|_| is_class_code(&code)) else {
            bail!(
                "classes.{code:?}: a land-class code starts with its two-digit first-level \
                 group (0101, 1107A, 05H1)"
            );
        };
        let category = match letter.as_str() {
            "C" => LandCategory::Cultivated,
            "N" => LandCategory::Agricultural,
            "J" => LandCategory::Construction,
            "W" => LandCategory::Unused,
            other => bail!("classes.{code} = {other:?}: use C, N, J or W"),
        };
        classes.set_category(class, category);
    }
    Ok(classes)
}

/// `layers.approvals.kinds`, or the default mapping.
fn kinds(custom: Option<BTreeMap<String, String>>) -> Result<BTreeMap<String, ApprovalKind>> {
    let Some(custom) = custom else {
        return Ok(default_kinds());
    };
    let mut kinds = BTreeMap::new();
    for (value, kind) in custom {
        let k = ApprovalKind::from_name(&kind).ok_or_else(|| {
            let names: Vec<&str> = ApprovalKind::ALL.iter().map(|k| k.name()).collect();
            anyhow!(
                "layers.approvals.kinds.{value} = {kind:?}: use one of {}",
                names.join(", ")
            )
        })?;
        kinds.insert(value, k);
    }
    Ok(kinds)
}

/// The layers given, in role order.
fn layer_list(l: LayerSpecs) -> Vec<(LayerRole, LayerSpec)> {
    let mut layers = vec![
        (LayerRole::Townships, l.townships),
        (LayerRole::Landuse, l.landuse),
    ];
    for (role, spec) in [
        (LayerRole::LandusePrevious, l.landuse_previous),
        (LayerRole::BasicFarmland, l.basic_farmland),
        (LayerRole::Approvals, l.approvals),
        (LayerRole::Supplements, l.supplements),
        (LayerRole::Changes, l.changes),
    ] {
        layers.extend(spec.map(|s| (role, s)));
    }
    layers
}

/// One `[layers.X]`: its `crs` and `towgs84` parsed, its `dbf_encoding` known, its path made
/// relative to the job file and existing, its field keys known.
fn check_layer(role: LayerRole, spec: &mut LayerSpec, base: &Path) -> Result<LayerDatum> {
    let key = |k: &str| format!("layers.{}.{k}", role.name());
    let crs = spec.crs.as_deref().map(Crs::from_user).transpose();
    let towgs84 = spec
        .towgs84
        .as_deref()
        .map(str::parse::<Helmert>)
        .transpose();
    let datum = LayerDatum {
        crs: crs.map_err(|e| anyhow!("{}: {e}", key("crs")))?,
        towgs84: towgs84.map_err(|e| anyhow!("{}: {e}", key("towgs84")))?,
    };
    if let Some(name) = &spec.dbf_encoding {
        if redline_ingest::encoding_by_name(name).is_none() {
            bail!(
                "{}: {name:?} is not an encoding redline knows (utf-8, gbk, gb18030, cp936, \
                 big5, latin1 …)",
                key("dbf_encoding")
            );
        }
    }
    spec.path = base.join(&spec.path);
    if !spec.path.exists() {
        bail!("{}: {} does not exist", key("path"), spec.path.display());
    }
    let known: Vec<&str> = role.fields().iter().map(|f| f.key).collect();
    if let Some(bad) = spec.fields.keys().find(|k| !known.contains(&k.as_str())) {
        bail!(
            "{}.{bad}: unknown field key (known: {})",
            key("fields"),
            known.join(", ")
        );
    }
    Ok(datum)
}

/// Thresholds that can be met: ratios in [0, 1] with the interview line at or below the
/// accountability line, areas finite and not negative. A NaN or negative line would flag
/// every county or none.
fn check_thresholds(t: &Thresholds) -> Result<()> {
    let ratio = |key: &str, v: f64| -> Result<()> {
        if !(0.0..=1.0).contains(&v) {
            bail!("thresholds.{key} = {v}: a ratio between 0 and 1");
        }
        Ok(())
    };
    ratio("interview_ratio", t.interview_ratio)?;
    ratio("accountability_ratio", t.accountability_ratio)?;
    if t.interview_ratio > t.accountability_ratio {
        bail!(
            "thresholds.interview_ratio = {} is above accountability_ratio = {}: interviews \
             (约谈) come before accountability (问责)",
            t.interview_ratio,
            t.accountability_ratio
        );
    }
    let area = |key: &str, v: f64| -> Result<()> {
        if !(v.is_finite() && v >= 0.0) {
            bail!("thresholds.{key} = {v}: an area in m², zero or more");
        }
        Ok(())
    };
    area("min_illegal_m2", t.min_illegal_m2)?;
    if let Some(a) = t.interview_area_m2 {
        area("interview_area_m2", a)?;
    }
    Ok(())
}

/// A yield table has one finite, non-negative yield for each of the 15 grades (GB/T
/// 28407-2012's 耕地质量等别 run 1–15).
fn check_yields(table: &[f64]) -> Result<()> {
    if table.len() != 15 {
        bail!(
            "capacity.yield_per_grade has {} entries: give one yield (kg/亩) for each of the 15 \
             grades",
            table.len()
        );
    }
    if let Some((i, v)) = table
        .iter()
        .enumerate()
        .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
    {
        bail!(
            "capacity.yield_per_grade: grade {} has {v}: a yield is a finite number, zero or more",
            i + 1
        );
    }
    Ok(())
}

/// A plausible land-class code: two digits (the first-level group), then up to six digits or
/// capital letters.
fn is_class_code(code: &str) -> bool {
    let b = code.as_bytes();
    (2..=8).contains(&b.len())
        && b[..2].iter().all(u8::is_ascii_digit)
        && b[2..]
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
}

fn date(text: &str, key: &str) -> Result<Date> {
    Date::parse(text).ok_or_else(|| anyhow!("{key} = {text:?} is not a date (YYYY-MM-DD)"))
}

impl Job {
    /// Reads and checks a job file; every problem names its key.
    ///
    /// ```
    /// let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/demo/job.toml");
    /// let job = redline_job::Job::load(demo.as_ref()).unwrap();
    /// assert_eq!(job.name, "合成县 2025 年度 (seed 1)");
    /// assert_eq!(job.layer_count(), 7); // two vintages of the land use
    /// ```
    pub fn load(path: &Path) -> Result<Job> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the job file {}", path.display()))?;
        Job::from_text(&text, path)
    }

    /// Checks a job given as TOML text; `path` is where it stands for (the folder layer paths
    /// are relative to, the name when the job has none, the file echoed in report.json), and
    /// need not exist.
    ///
    /// ```
    /// let text = r#"
    ///     crs = "EPSG:4529"
    ///     [layers.townships]
    ///     path = "townships.geojson"
    ///     [layers.landuse]
    ///     path = "landuse.geojson"
    ///     [thresholds]
    ///     interview_ratio = 0.2
    /// "#;
    /// let err = redline_job::Job::from_text(text, "my.toml".as_ref()).unwrap_err();
    /// assert!(err.to_string().contains("is above accountability_ratio"));
    /// ```
    pub fn from_text(text: &str, path: &Path) -> Result<Job> {
        let file: JobFile = toml::from_str(text)
            .map_err(|e| anyhow!("{}: {}", path.display(), e.to_string().trim_end()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let period = period(file.period.as_ref(), path)?;
        let area = file
            .area
            .as_deref()
            .unwrap_or("ellipsoidal")
            .parse::<AreaMethod>()
            .map_err(|e| anyhow!("area: {e}"))?;
        let crs = working_crs(file.crs.as_deref(), file.towgs84.as_deref())?;
        let thresholds = thresholds(file.thresholds.unwrap_or_default())?;
        let yields = match file.capacity {
            Some(c) => {
                check_yields(&c.yield_per_grade)?;
                YieldTable {
                    per_grade: c.yield_per_grade,
                    is_default: false,
                }
            }
            None => YieldTable::default(),
        };
        let classes = classes(file.classes.unwrap_or_default())?;
        let change = change_rules(file.change.unwrap_or_default())?;
        let kinds = kinds(file.layers.approvals.as_ref().and_then(|a| a.kinds.clone()))?;
        let mut layers = layer_list(file.layers);
        let mut datums = BTreeMap::new();
        for (role, spec) in &mut layers {
            datums.insert(*role, check_layer(*role, spec, base)?);
        }
        if file
            .output
            .as_ref()
            .is_some_and(|o| o.as_os_str().is_empty())
        {
            bail!("output = \"\": give the reports a folder of their own");
        }
        let targets = file.targets.map(|t| base.join(t.path));
        if let Some(t) = targets.as_ref().filter(|t| !t.exists()) {
            bail!("targets.path: {} does not exist", t.display());
        }
        Ok(Job {
            name: name_or_stem(file.name, path),
            path: path.to_path_buf(),
            output: output_folder(base, file.output),
            period,
            area,
            crs,
            thresholds,
            yields,
            change,
            classes,
            layers,
            datums,
            kinds,
            targets,
            text: text.to_string(),
        })
    }

    /// Reads every layer (in parallel), brings them to one CRS and builds the engine's inputs.
    /// Per-feature problems come back as data issues.
    pub fn read(&self) -> Result<(County, Settings, Vec<DataIssue>)> {
        self.read_with_progress(&|| {})
    }

    /// Every file the job reads: the job file, each layer's file (without a `#LAYER` suffix)
    /// and the targets table. The output folder may not be, or contain, their folders.
    pub fn inputs(&self) -> Vec<PathBuf> {
        let layer_file = |p: &Path| {
            let text = p.to_string_lossy();
            match text.rsplit_once('#') {
                Some((file, _)) if !Path::new(&text.as_ref()).exists() => PathBuf::from(file),
                _ => p.to_path_buf(),
            }
        };
        std::iter::once(self.path.clone())
            .chain(self.layers.iter().map(|(_, s)| layer_file(&s.path)))
            .chain(self.targets.clone())
            .collect()
    }

    /// Gives the overlay's data issues (which know their layer, not their file) the file of
    /// their layer, and the field its name in the file where the job renamed it (the overlay
    /// names a field by its default).
    pub fn locate(&self, mut issues: Vec<DataIssue>) -> Vec<DataIssue> {
        for issue in issues.iter_mut().filter(|i| i.file.is_empty()) {
            if let Some((role, spec)) = self.layers.iter().find(|(r, _)| r.name() == issue.layer) {
                issue.file = spec.path.display().to_string();
                let renamed = |field: &String| {
                    let key = role.fields().iter().find(|f| f.default == field)?.key;
                    spec.fields.get(key).cloned()
                };
                if let Some(name) = issue.field.as_ref().and_then(renamed) {
                    issue.field = Some(name);
                }
            }
        }
        issues
    }

    /// A rough peak memory of running this job, bytes: the land-use layers' file sizes times
    /// what a byte of each format becomes in memory (measured on the synthetic counties: a 1M
    /// parcel county of 815 MB of GeoJSON peaks at 1.7 GB), plus 64 MB. For choosing how many
    /// counties of a province run at once.
    pub fn estimated_peak_bytes(&self) -> u64 {
        let per_byte = |path: &Path| match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some(
                "geojson" | "json" | "geojsonl" | "geojsons" | "geojsonseq" | "ndjson" | "jsonl",
            ) => 2.2,
            Some("parquet" | "geoparquet") => 7.0,
            Some("fgb") => 2.0,
            Some("shp") => 3.0,
            _ => 3.0,
        };
        let size = |path: &Path| std::fs::metadata(path).map_or(0, |m| m.len()) as f64;
        let layers: f64 = self
            .layers
            .iter()
            .filter(|(role, _)| role.is_landuse())
            .map(|(_, spec)| size(&spec.path) * per_byte(&spec.path))
            .sum();
        layers as u64 + (64 << 20)
    }

    /// The number of layers the job reads.
    pub fn layer_count(&self) -> usize {
        self.layers.len()
    }

    /// Whether the job reads a layer of `role`.
    fn has_layer(&self, role: LayerRole) -> bool {
        self.layers.iter().any(|(r, _)| *r == role)
    }

    /// [`Job::read`], calling `layer_done` (from any thread) as each layer is read.
    pub fn read_with_progress(
        &self,
        layer_done: &(dyn Fn() + Sync),
    ) -> Result<(County, Settings, Vec<DataIssue>)> {
        let (county, settings, issues, _) = self.read_deferring(layer_done, false)?;
        Ok((county, settings, issues))
    }

    /// [`Job::read_with_progress`]; with `defer_farmland_overlaps`, the basic farmland's
    /// overlap check is left to the caller, who gets the layer back (its features, without
    /// attributes) to run it after the overlay, which proves most parcels apart
    /// ([`preflight::farmland_overlaps`]).
    pub(crate) fn read_deferring(
        &self,
        layer_done: &(dyn Fn() + Sync),
        defer_farmland_overlaps: bool,
    ) -> Result<(County, Settings, Vec<DataIssue>, Option<Layer>)> {
        // Basic farmland is read once the land use is parcels: the land-use layer's attribute
        // table and the basic farmland are then never in memory together (at a million parcels
        // that moment was the run's peak), and the basic farmland drawn on the parcels takes
        // their geometry as soon as it is read.
        let later = |role: LayerRole| role == LayerRole::BasicFarmland;
        let reads: Vec<Result<LayerRead>> = {
            self.layers
                .par_iter()
                .filter(|(role, _)| !later(*role))
                .map(|(role, spec)| {
                    let read = self.read_one(*role, spec, None);
                    layer_done();
                    read
                })
                .collect()
        };
        let mut layers = BTreeMap::new();
        let mut empty = Vec::new();
        let mut issues = Vec::new();
        // The land-use features with an issue of their own: their geometry may be a repair.
        let mut landuse_flagged: Vec<usize> = Vec::new();
        for r in reads {
            let (role, layer, found) = r?;
            if role == LayerRole::Landuse {
                landuse_flagged = found.iter().filter_map(|i| i.feature).collect();
                landuse_flagged.sort_unstable();
            }
            issues.extend(found);
            match layer {
                Some(layer) => drop(layers.insert(role, layer)),
                None => empty.push(role),
            }
        }
        let crs = match &self.crs {
            Some(c) => c.clone(),
            None => layers[&LayerRole::Townships].require_crs()?.clone(),
        };
        if self.area == AreaMethod::Planar && crs.is_geographic() {
            // Shoelace areas of lon/lat are square degrees: every figure would be ~1e-10 of the
            // truth, and every limit in m² some ten billion times too large.
            bail!(
                "{}: area = \"planar\" in the geographic working CRS {crs}: planar areas would be \
                 square degrees; use area = \"ellipsoidal\" (the default) or \"prorate\", or a \
                 projected working CRS",
                self.path.display()
            );
        }
        // Each layer's extent, a pass over every coordinate: taken once, again only for a
        // layer whose coordinates were transformed.
        let mut extents: BTreeMap<LayerRole, Option<geo::Rect<f64>>> =
            layers.iter().map(|(role, l)| (*role, l.extent())).collect();
        for (role, layer) in &layers {
            preflight::coordinates_fit_crs(*role, layer, extents[role])?;
        }
        let mut landuse_transformed = false;
        for (role, layer) in layers.iter_mut() {
            if to_crs(layer, &crs)? {
                extents.insert(*role, layer.extent());
                landuse_transformed |= *role == LayerRole::Landuse;
            }
        }
        preflight::layers_meet_townships(&layers, &extents)?;
        let mut county = County::default();
        let mut take = |role| layers.remove(&role);
        let spec = |role: LayerRole| self.layers.iter().find(|(r, _)| *r == role).map(|(_, s)| s);
        let fields = |layer: &Layer, role: LayerRole| {
            ResolvedFields::resolve(
                layer,
                role,
                &spec(role).map(|s| s.fields.clone()).unwrap_or_default(),
            )
        };
        if let Some(l) = take(LayerRole::Townships) {
            let f = fields(&l, LayerRole::Townships)?;
            let codes = township_codes(&l, &f);
            issues.extend(preflight::townships(&l, &codes)?);
            county.townships = townships(l, &f, &codes);
        }
        // The allocations of the parcel geometries that are not validation's answer for the
        // polygons as read: a feature with an issue, or every one where the layer was
        // transformed since.
        let mut unvalidated: Option<Vec<usize>> = None;
        let mut texts = Vec::new();
        if let Some(mut l) = take(LayerRole::Landuse) {
            let f = fields(&l, LayerRole::Landuse)?;
            let printed = std::mem::take(&mut l.text_prints);
            if !landuse_transformed {
                texts = validated_texts(&l.features, &printed, &landuse_flagged);
            }
            county.village_names = village_names(&l, &f);
            unvalidated = (!landuse_transformed).then(|| {
                let flagged =
                    |f: &&redline_ingest::Feature| landuse_flagged.binary_search(&f.index).is_ok();
                let mut at: Vec<usize> = l
                    .features
                    .iter()
                    .filter(flagged)
                    .map(|f| allocation(&f.geometry))
                    .collect();
                at.sort_unstable();
                at
            });
            let (parcels, skipped) = self.parcels(l, &f, &mut issues);
            texts_by_parcel(&mut texts, &skipped);
            county.landuse = parcels;
        }
        // Polygons of the other layers that are a parcel's take the parcel's allocation; the
        // basic farmland's, as it is read, without validating those validation passed as read.
        let needed =
            self.has_layer(LayerRole::LandusePrevious) || self.has_layer(LayerRole::BasicFarmland);
        let geometries = needed.then(|| {
            let landuse = &county.landuse;
            let geometries = ParcelGeometries::with_validated(landuse, |k| {
                unvalidated
                    .as_ref()
                    .is_some_and(|u| u.binary_search(&allocation(&landuse[k].geometry)).is_err())
            });
            Arc::new(geometries.with_texts(std::mem::take(&mut texts)))
        });
        if let Some(l) = take(LayerRole::LandusePrevious) {
            let f = fields(&l, LayerRole::LandusePrevious)?;
            let (mut previous, _) = self.parcels(l, &f, &mut issues);
            if let Some(g) = &geometries {
                g.share_all(&mut previous, |p| &mut p.geometry);
            }
            county.landuse_previous = Some(previous);
        }
        let mut deferred = None;
        for (role, spec) in self.layers.iter().filter(|(role, _)| later(*role)) {
            // Read after the parcels, it shares their geometry as it is read: its own copies
            // are dropped as soon as they are made.
            let known = geometries.clone().map(|g| g as Arc<dyn KnownGeometries>);
            let (role, layer, found) = self.read_one(*role, spec, known)?;
            layer_done();
            issues.extend(found);
            let Some(mut l) = layer else { continue };
            // The checks and the transform every layer read with the others had.
            let mut extent = l.extent();
            preflight::coordinates_fit_crs(role, &l, extent)?;
            let transformed = to_crs(&mut l, &crs)?;
            if transformed {
                extent = l.extent();
            }
            extents.insert(role, extent);
            preflight::layer_meets_townships(role, &l, &extents)?;
            // Overlapping basic farmland would count its overlap twice in every PBF number.
            if !defer_farmland_overlaps {
                issues.extend(preflight::coverage_overlaps(&l));
            }
            // Shared as read unless the coordinates were transformed since. The layer's own
            // features share too: the check after the overlay knows a parcel's polygons by
            // their allocation.
            if let (Some(g), true) = (&geometries, transformed) {
                g.share_all(&mut l.features, |f| &mut f.geometry);
            }
            county.basic_farmland = Some(basic_farmland(&l));
            if defer_farmland_overlaps {
                l.attributes = Default::default();
                deferred = Some(l);
            }
        }
        if let Some(l) = take(LayerRole::Approvals) {
            let f = fields(&l, LayerRole::Approvals)?;
            county.approvals = Some(self.approvals(l, &f, &mut issues));
        }
        if let Some(l) = take(LayerRole::Supplements) {
            let f = fields(&l, LayerRole::Supplements)?;
            county.supplements = Some(supplements(l, &f, &mut issues));
        }
        if let Some(l) = take(LayerRole::Changes) {
            let f = fields(&l, LayerRole::Changes)?;
            county.changes = Some(self.changes(l, &f, &mut issues));
        }
        for role in empty {
            match role {
                LayerRole::Approvals => county.approvals = Some(Vec::new()),
                LayerRole::Supplements => county.supplements = Some(Vec::new()),
                LayerRole::Changes => county.changes = Some(Vec::new()),
                _ => {}
            }
        }
        if let Some(path) = &self.targets {
            county.targets = read_targets(path)?;
            preflight::targets(path, &county.townships, &county.targets)?;
        }
        county.sort();
        let settings = Settings {
            period: self.period,
            area: self.area,
            crs,
            thresholds: self.thresholds,
            yields: self.yields.clone(),
            change: self.change,
        };
        Ok((county, settings, issues, deferred))
    }

    /// Reads one layer; its features share the `known` geometries they are to the bit.
    fn read_one(
        &self,
        role: LayerRole,
        spec: &LayerSpec,
        known: Option<Arc<dyn KnownGeometries>>,
    ) -> Result<LayerRead> {
        let id_field = role.fields().iter().find(|f| f.key == "id").map(|f| {
            spec.fields
                .get("id")
                .cloned()
                .unwrap_or_else(|| f.default.to_string())
        });
        let datum = &self.datums[&role];
        // The role's fields (and the id field) are all a job reads: GeoParquet skips the rest.
        let mut columns = ResolvedFields::names_tried(role, &spec.fields);
        columns.extend(id_field.clone());
        let options = ReadOptions {
            display_name: Some(role.name().to_string()),
            dbf_encoding: spec.dbf_encoding.clone(),
            crs: datum.crs.clone().or_else(|| self.crs.clone()),
            columns: Some(columns),
            id_field,
            source_layer: spec.layer.clone(),
            known_geometries: known,
            // Basic farmland drawn on the parcels is matched to them text for text, unparsed.
            text_prints: role == LayerRole::Landuse && self.has_layer(LayerRole::BasicFarmland),
            ..Default::default()
        };
        let mut read = match read_layer(&spec.path, &options) {
            // A year without change patches, approvals or projects is normal: the family runs
            // on no features. The layers the metrics are made of may not be empty.
            Err(IngestError::EmptyLayer { .. }) if role.may_be_empty() => {
                return Ok((role, None, Vec::new()));
            }
            read => read.with_context(|| format!("layers.{}", role.name()))?,
        };
        if let (Some(h), Some(crs)) = (datum.towgs84, read.layer.crs.as_mut()) {
            crs.towgs84 = Some(h);
        }
        if read.layer.features.is_empty() {
            bail!(
                "layers.{}: {} has no usable feature ({} read, all invalid)",
                role.name(),
                spec.path.display(),
                read.layer.read_count
            );
        }
        let mut issues = read.issues;
        let fields = ResolvedFields::resolve(&read.layer, role, &spec.fields)?;
        issues.extend(fields.check(&read.layer, &self.classes));
        Ok((role, Some(read.layer), issues))
    }

    /// The layer's features as parcels, in order, and the positions of the features that
    /// became none (ascending).
    fn parcels(
        &self,
        mut layer: Layer,
        f: &ResolvedFields,
        issues: &mut Vec<DataIssue>,
    ) -> (Vec<Parcel>, Vec<usize>) {
        // Unknown codes were reported by ResolvedFields::check. Grades matter where the
        // balance family weighs capacity by them.
        let weighs_capacity = self.has_layer(LayerRole::Approvals);
        let columns = ParcelColumns::new(f);
        let features = std::mem::take(&mut layer.features);
        let attributes = std::mem::take(&mut layer.attributes);
        let layer = &layer;
        // The few parcels with issues leave them in one list with their position, put in order
        // afterwards: a list per parcel was 24 bytes a parcel at the read's peak.
        let found = std::sync::Mutex::new(Vec::new());
        let skipped = std::sync::Mutex::new(Vec::new());
        let parcels = items_from_the_end(features, attributes, PARCEL_BLOCK, |i, feature, a| {
            let mut own = Vec::new();
            let parcel = self.parcel(layer, feature, a, &columns, weighs_capacity, &mut own);
            if !own.is_empty() {
                let mut found = found.lock().unwrap_or_else(PoisonError::into_inner);
                found.push((i, own));
            }
            if parcel.is_none() {
                skipped
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(i);
            }
            parcel
        });
        let mut found = found.into_inner().unwrap_or_else(PoisonError::into_inner);
        found.sort_unstable_by_key(|(i, _)| *i);
        issues.extend(found.into_iter().flat_map(|(_, own)| own));
        let mut skipped = skipped.into_inner().unwrap_or_else(PoisonError::into_inner);
        skipped.sort_unstable();
        (parcels, skipped)
    }

    /// One land-use feature as a parcel; `None` for a class the table does not know (reported
    /// by `ResolvedFields::check`).
    fn parcel(
        &self,
        layer: &Layer,
        feature: redline_ingest::Feature,
        a: Row<'_>,
        c: &ParcelColumns,
        weighs_capacity: bool,
        issues: &mut Vec<DataIssue>,
    ) -> Option<Parcel> {
        let code = value_in(a, c.class).as_str()?;
        let class = self.classes.get(code.trim())?;
        // A bad official area is a data issue of the field checks, and left out here.
        let official = official_area_of(value_in(a, c.official_area));
        let kcxs = value_in(a, c.deduction).as_number().map(deduction_fraction);
        let from_kcmj = value_in(a, c.deduction_area)
            .as_number()
            .zip(official)
            .filter(|(_, t)| *t > 0.0)
            .map(|(k, t)| k / t);
        let deduction = kcxs.or(from_kcmj).unwrap_or(0.0).clamp(0.0, 1.0);
        Some(Parcel {
            id: inline_label(&feature),
            code: class.code,
            category: class.category,
            official_area: official,
            deduction: if class.category == LandCategory::Cultivated {
                deduction
            } else {
                0.0
            },
            grade: grade(
                layer,
                &feature,
                (value_in(a, c.grade), c.grade_name),
                weighs_capacity && class.category == LandCategory::Cultivated,
                issues,
            ),
            village: value_in(a, c.location)
                .as_str()
                .map(|t| CompactString::from(village_code(&t)))
                .filter(|t| !t.is_empty()),
            geometry: feature.geometry,
        })
    }

    fn approvals(
        &self,
        mut layer: Layer,
        f: &ResolvedFields,
        issues: &mut Vec<DataIssue>,
    ) -> Vec<Approval> {
        std::mem::take(&mut layer.features)
            .into_iter()
            .filter_map(|feature| {
                let a = layer.attrs(&feature);
                let value = f.value(a, "kind").as_text().unwrap_or_default();
                let Some(&kind) = self.kinds.get(value.trim()) else {
                    issues.push(issue(
                        &layer,
                        &feature,
                        f.field_name("kind"),
                        format!(
                            "approval kind {value:?} is not in the job's kinds mapping; left out"
                        ),
                    ));
                    return None;
                };
                // A conversion's date places its debit in the period.
                let needed = kind == redline_overlay::ApprovalKind::Conversion;
                let date = dated(&layer, &feature, f, "date", needed, issues);
                Some(Approval {
                    number: f
                        .value(a, "number")
                        .as_text()
                        .unwrap_or_else(|| feature.label()),
                    kind,
                    date,
                    geometry: Arc::unwrap_or_clone(feature.geometry),
                })
            })
            .collect()
    }

    fn changes(
        &self,
        mut layer: Layer,
        f: &ResolvedFields,
        issues: &mut Vec<DataIssue>,
    ) -> Vec<Change> {
        std::mem::take(&mut layer.features)
            .into_iter()
            .map(|feature| {
                let a = layer.attrs(&feature);
                let observed = f
                    .value(a, "observed_class")
                    .as_text()
                    .filter(|s| !s.trim().is_empty());
                let observed_category = observed
                    .as_deref()
                    .and_then(|c| self.classes.get(c.trim()))
                    .map(|c| c.category);
                if let (Some(code), None) = (&observed, observed_category) {
                    // Judged as construction, though the patch may have seen a road or a
                    // facility: the verdict may be wrong, so said.
                    issues.push(preflight::feature_issue(
                        &layer,
                        &feature,
                        f.field_name("observed_class"),
                        IssueKind::UnknownClassCode,
                        format!("unknown land-class code {code:?}; judged as construction"),
                    ));
                }
                // Optional (the patch is then judged in the period), but a date that does not
                // read would judge last year's patch again, say: a data issue.
                let image_date = dated(&layer, &feature, f, "image_date", false, issues);
                Change {
                    id: feature.label(),
                    observed,
                    observed_category,
                    image_date,
                    geometry: Arc::unwrap_or_clone(feature.geometry),
                }
            })
            .collect()
    }
}

fn issue(
    layer: &Layer,
    feature: &redline_ingest::Feature,
    field: Option<&str>,
    message: String,
) -> DataIssue {
    preflight::feature_issue(layer, feature, field, IssueKind::BadValue, message)
}

fn dated(
    layer: &Layer,
    feature: &redline_ingest::Feature,
    f: &ResolvedFields,
    key: &str,
    needed: bool,
    issues: &mut Vec<DataIssue>,
) -> Option<Date> {
    let value = f.value(layer.attrs(feature), key);
    let Some(text) = value.as_text().filter(|t| !t.trim().is_empty()) else {
        if !needed {
            return None;
        }
        // Undated, it cannot be placed in the period: left out of the balance, which is then
        // short of it — said, so that the run does not end clean.
        issues.push(issue(
            layer,
            feature,
            f.field_name(key),
            "has no date: it cannot be placed in the job's period and is left out".into(),
        ));
        return None;
    };
    let date = Date::parse(&text);
    if date.is_none() {
        issues.push(issue(
            layer,
            feature,
            f.field_name(key),
            format!("{text:?} is not a date"),
        ));
    }
    date
}

/// The XZQDM values as read (empty where missing: the preflight refuses that).
/// A job's (or province's) name: the file's `name`, else the file's stem.
pub(crate) fn name_or_stem(name: Option<String>, path: &Path) -> String {
    name.unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    })
}

/// The output folder: the file's `output` (default `out`) relative to the file's folder.
pub(crate) fn output_folder(base: &Path, output: Option<PathBuf>) -> PathBuf {
    base.join(output.unwrap_or_else(|| PathBuf::from("out")))
}

/// A village's code: the first 12 characters of the 19-character ZLDWDM (县 6, 乡 3, 村 3).
const VILLAGE_CODE_LEN: usize = 12;

/// (print, position in `features`) of each feature whose text was printed and that no issue
/// was found with (`flagged`, ascending feature indices): a geometry validation passed without
/// a word, as read from that text. Features and prints are both in file order: one merge.
fn validated_texts(
    features: &[redline_ingest::Feature],
    printed: &[(usize, TextPrint)],
    flagged: &[usize],
) -> Vec<(TextPrint, usize)> {
    let mut prints = printed.iter().peekable();
    let mut texts = Vec::with_capacity(printed.len());
    for (at, f) in features.iter().enumerate() {
        while prints.next_if(|(index, _)| *index < f.index).is_some() {}
        if let Some((_, print)) = prints.next_if(|(index, _)| *index == f.index) {
            if flagged.binary_search(&f.index).is_err() {
                texts.push((*print, at));
            }
        }
    }
    texts
}

/// `texts` (print, feature position, ascending) with the position of the parcel each feature
/// became instead: the features at the positions `skipped` (ascending) became none, and the
/// others became the parcels in order.
fn texts_by_parcel(texts: &mut Vec<(TextPrint, usize)>, skipped: &[usize]) {
    let mut skipped = skipped.iter().copied().peekable();
    let mut before = 0;
    texts.retain_mut(|(_, at)| {
        while skipped.next_if(|s| s < at).is_some() {
            before += 1;
        }
        *at -= before;
        skipped.peek() != Some(&(*at + before))
    });
}

/// Where a geometry lives: features and the parcels made of them share the allocation.
fn allocation(geometry: &Arc<geo::MultiPolygon<f64>>) -> usize {
    Arc::as_ptr(geometry) as usize
}

/// Village names (ZLDWMC) by village code, the first name met for each code.
fn village_names(layer: &Layer, f: &ResolvedFields) -> BTreeMap<String, String> {
    if f.column("location_name").is_none() {
        return BTreeMap::new();
    }
    // A million parcels name a thousand villages: each block of features finds its own first
    // names (text is borrowed, and copied only for a village the block has not seen), and the
    // blocks are merged in file order, so the first block to name a village names it.
    let (location, location_name) = (f.column("location"), f.column("location_name"));
    let firsts: Vec<BTreeMap<String, String>> = layer
        .features
        .par_chunks(VILLAGE_BLOCK)
        .map(|block| {
            let mut names = BTreeMap::new();
            for feature in block {
                let code = value_in(layer.attrs(feature), location).as_str();
                let name = value_in(layer.attrs(feature), location_name).as_str();
                if let (Some(code), Some(name)) = (code, name) {
                    let (code, name) = (village_code(&code), name.trim());
                    if !code.is_empty() && !name.is_empty() && !names.contains_key(code) {
                        names.insert(code.to_string(), name.to_string());
                    }
                }
            }
            names
        })
        .collect();
    let mut names = BTreeMap::new();
    for block in firsts {
        for (code, name) in block {
            names.entry(code).or_insert(name);
        }
    }
    names
}

/// Features per block when village names are gathered in parallel.
const VILLAGE_BLOCK: usize = 16_384;

/// Land-use features made parcels at a time ([`items_from_the_end`]): each block's features and
/// attribute rows go back before the next is made (of ~250 MB at a million parcels, 16 MB).
const PARCEL_BLOCK: usize = 1 << 16;

/// The land-use fields a parcel is made of: their columns, found once per layer (found by key
/// for each parcel they were 1 % of a run).
struct ParcelColumns<'f> {
    class: Option<usize>,
    official_area: Option<usize>,
    deduction: Option<usize>,
    deduction_area: Option<usize>,
    grade: Option<usize>,
    grade_name: Option<&'f str>,
    location: Option<usize>,
}

impl<'f> ParcelColumns<'f> {
    fn new(f: &'f ResolvedFields) -> Self {
        ParcelColumns {
            class: f.column("class"),
            official_area: f.column("official_area"),
            deduction: f.column("deduction"),
            deduction_area: f.column("deduction_area"),
            grade: f.column("grade"),
            grade_name: f.field_name("grade"),
            location: f.column("location"),
        }
    }
}

/// The basic farmland layer's features, each with its id and geometry.
fn basic_farmland(layer: &Layer) -> Vec<BasicFarmland> {
    layer
        .features
        .par_iter()
        .map(|f| BasicFarmland {
            id: inline_label(f),
            geometry: Arc::clone(&f.geometry),
        })
        .collect()
}

/// [`redline_ingest::Feature::label`] as inline text (a parcel's id lives as long as the job).
fn inline_label(feature: &redline_ingest::Feature) -> CompactString {
    match &feature.id {
        Some(id) => id.clone(),
        None => feature.label().into(),
    }
}

/// The village (村) part of a ZLDWDM code: its first [`VILLAGE_CODE_LEN`] characters.
fn village_code(zldwdm: &str) -> &str {
    let code = zldwdm.trim();
    let end = code
        .char_indices()
        .nth(VILLAGE_CODE_LEN)
        .map_or(code.len(), |(k, _)| k);
    &code[..end]
}

fn township_codes(layer: &Layer, f: &ResolvedFields) -> Vec<String> {
    layer
        .features
        .iter()
        .map(|feature| {
            f.value(layer.attrs(feature), "code")
                .as_text()
                .unwrap_or_default()
        })
        .collect()
}

/// A quality grade (GDDB, 1 best … 15): a value that is not a whole number from 1 to 15 is a
/// data issue (and, rounded and clamped, still used); a missing one is a data issue where
/// `needed` (a cultivated parcel when approvals are debited, an accepted project), since grain
/// capacity then takes the worst grade's yield.
fn grade(
    layer: &Layer,
    feature: &redline_ingest::Feature,
    (value, field): (ValueRef<'_>, Option<&str>),
    needed: bool,
    issues: &mut Vec<DataIssue>,
) -> Option<u8> {
    let field = field.or(Some("GDDB"));
    let Some(g) = value.as_number() else {
        if needed {
            let shown = value
                .as_text()
                .map_or("missing".into(), |t| format!("{t:?}"));
            issues.push(issue(
                layer,
                feature,
                field,
                format!("quality grade {shown}; grain capacity takes the worst grade (15)"),
            ));
        }
        return None;
    };
    if !(1.0..=15.0).contains(&g) || g.fract() != 0.0 {
        issues.push(issue(
            layer,
            feature,
            field,
            format!(
                "quality grade {g} is not a whole number from 1 to 15; taken as {}",
                g.round().clamp(1.0, 15.0)
            ),
        ));
    }
    Some(g.round().clamp(1.0, 15.0) as u8)
}

fn townships(mut layer: Layer, f: &ResolvedFields, codes: &[String]) -> Vec<Township> {
    std::mem::take(&mut layer.features)
        .into_iter()
        .zip(codes)
        .map(|(feature, raw)| {
            let code = preflight::township_code(raw);
            let name = f
                .value(layer.attrs(&feature), "name")
                .as_text()
                .unwrap_or_else(|| code.clone());
            Township {
                code,
                name,
                geometry: Arc::unwrap_or_clone(feature.geometry),
            }
        })
        .collect()
}

fn supplements(
    mut layer: Layer,
    f: &ResolvedFields,
    issues: &mut Vec<DataIssue>,
) -> Vec<Supplement> {
    std::mem::take(&mut layer.features)
        .into_iter()
        .filter_map(|feature| {
            let a = layer.attrs(&feature);
            let status = f.value(a, "status").as_text().unwrap_or_default();
            let accepted = match status.trim() {
                "验收" | "备案" => true,
                "立项" => false,
                other => {
                    issues.push(issue(
                        &layer,
                        &feature,
                        f.field_name("status"),
                        format!("status {other:?} is not 立项, 验收 or 备案; left out"),
                    ));
                    return None;
                }
            };
            Some(Supplement {
                id: f
                    .value(a, "id")
                    .as_text()
                    .unwrap_or_else(|| feature.label()),
                accepted,
                new_area: declared_area(&layer, &feature, f, NEW_AREA, issues),
                new_paddy: declared_area(&layer, &feature, f, NEW_PADDY, issues).unwrap_or(0.0),
                grade: grade(
                    &layer,
                    &feature,
                    (f.value(a, "grade"), f.field_name("grade")),
                    accepted,
                    issues,
                ),
                // Only an accepted project's date places its credit in the period.
                date: dated(&layer, &feature, f, "date", accepted, issues),
                geometry: Arc::unwrap_or_clone(feature.geometry),
            })
        })
        .collect()
}

/// A declared area of a compensation project: its field's key, and what stands in for a value
/// that is missing or bad.
struct Declared {
    key: &'static str,
    instead: &'static str,
}

/// XZGDMJ: a missing one credits the project's own area (§5.3).
const NEW_AREA: Declared = Declared {
    key: "new_area",
    instead: "the project's own area is credited",
};

/// XZSTMJ: 0 where missing.
const NEW_PADDY: Declared = Declared {
    key: "new_paddy",
    instead: "taken as 0",
};

/// A compensation project's declared area: `None` where missing, and, with a data issue, where
/// it is not a finite number ≥ 0 — a negative XZGDMJ would be debited from the credits.
fn declared_area(
    layer: &Layer,
    feature: &redline_ingest::Feature,
    f: &ResolvedFields,
    Declared { key, instead }: Declared,
    issues: &mut Vec<DataIssue>,
) -> Option<f64> {
    let value = f.value(layer.attrs(feature), key);
    if value.is_null() {
        return None;
    }
    let area = value.as_number().filter(|v| v.is_finite() && *v >= 0.0);
    if area.is_none() {
        issues.push(issue(
            layer,
            feature,
            f.field_name(key),
            format!("declared area {value} is not a finite number of m² ≥ 0; {instead}"),
        ));
    }
    area
}

/// Brings a layer to the working CRS; mismatched CRSs with no transformation are an error.
/// Features are transformed in parallel (with `proj`, each worker thread has its own PROJ
/// object); the error reported is the first feature's, whatever the thread count. Returns
/// whether the coordinates changed (false when the layer was in the working CRS already).
fn to_crs(layer: &mut Layer, crs: &Crs) -> Result<bool> {
    let from = layer.require_crs()?.clone();
    if from.same_as(crs) {
        return Ok(false);
    }
    let where_ = format!("{} [layer {}]", layer.path.display(), layer.name);
    let t = Transformer::new(&from, crs)
        .with_context(|| format!("{where_}: from {from} to the working CRS {crs}"))?;
    let failure = layer
        .features
        .par_iter_mut()
        .filter_map(|f| {
            t.multipolygon(Arc::make_mut(&mut f.geometry))
                .err()
                .map(|e| (f.index, e))
        })
        .min_by_key(|(index, _)| *index);
    if let Some((index, e)) = failure {
        return Err(anyhow::Error::new(e).context(format!("{where_} feature #{index}")));
    }
    layer.crs = Some(crs.clone());
    Ok(true)
}

/// The targets table: `code` and `cultivated_target_*`, `pbf_target_*` columns in m², ha or 亩.
fn read_targets(path: &Path) -> Result<BTreeMap<String, Targets>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut lines = text
        .trim_start_matches('\u{feff}')
        .lines()
        .filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .ok_or_else(|| anyhow!("{}: empty", path.display()))?
        .split(',')
        .map(|h| h.trim().to_string())
        .collect();
    let column = |prefix: &str| -> Option<(usize, redline_geom::units::AreaUnit)> {
        header.iter().enumerate().find_map(|(i, h)| {
            let suffix = h.strip_prefix(prefix)?.strip_prefix('_')?;
            redline_geom::units::AreaUnit::from_suffix(suffix).map(|u| (i, u))
        })
    };
    let code_col = header
        .iter()
        .position(|h| h == "code")
        .ok_or_else(|| anyhow!("{}: no `code` column", path.display()))?;
    let (cult, pbf) = (column("cultivated_target"), column("pbf_target"));
    let mut out = BTreeMap::new();
    for (n, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let get = |c: Option<(usize, redline_geom::units::AreaUnit)>| -> Result<Option<f64>> {
            let Some((i, unit)) = c else { return Ok(None) };
            let cell = cells.get(i).copied().unwrap_or("");
            if cell.is_empty() {
                return Ok(None);
            }
            let v: f64 = cell.parse().map_err(|_| {
                anyhow!(
                    "{} line {}: {:?} is not a number",
                    path.display(),
                    n + 2,
                    cell
                )
            })?;
            if !(v.is_finite() && v >= 0.0) {
                bail!(
                    "{} line {}: {cell:?}: a target is a finite area of zero or more",
                    path.display(),
                    n + 2
                );
            }
            Ok(Some(unit.to_m2(v)))
        };
        let code = preflight::township_code(cells.get(code_col).copied().unwrap_or(""));
        if code.is_empty() {
            bail!("{} line {}: the code is empty", path.display(), n + 2);
        }
        let row = Targets {
            cultivated: get(cult)?,
            pbf: get(pbf)?,
        };
        if out.insert(code.clone(), row).is_some() {
            bail!(
                "{} line {}: a second row for township {code}",
                path.display(),
                n + 2
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    //! `Job::from_text` errors: each names its key.
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A job beside the demo county's layers, with `extra` appended.
    fn load(extra: &str) -> Result<Job> {
        let text = format!(
            "crs = \"EPSG:4529\"\n{extra}\n[layers.townships]\npath = \"townships.geojson\"\n\
             [layers.landuse]\npath = \"landuse.geojson\"\n"
        );
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo/test.toml");
        Job::from_text(&text, &path)
    }

    #[test]
    fn a_plain_job_loads_with_the_defaults() {
        let job = load("").unwrap();
        assert_eq!(job.name, "test");
        assert_eq!(job.layer_count(), 2);
        assert_eq!(job.thresholds.interview_ratio, 0.10);
        assert!(job.yields.is_default);
        assert_eq!(job.kinds.len(), redline_geom::DEFAULT_APPROVAL_KINDS.len());
        assert!(job.output.ends_with("data/demo/out"));
    }

    #[test]
    fn every_bad_key_is_named() {
        let cases = [
            ("bogus = 1", "unknown field `bogus`"),
            ("area = \"spherical\"", "area:"),
            (
                "period = { start = \"2025-13-01\", end = \"2025-12-31\" }",
                "period.start",
            ),
            (
                "period = { start = \"2025-06-01\", end = \"2025-01-01\" }",
                "period.start is after",
            ),
            ("towgs84 = \"1,2\"", "towgs84"),
            ("output = \"\"", "output = \"\""),
            (
                "[thresholds]\naccountability_ratio = 1.5",
                "thresholds.accountability_ratio = 1.5",
            ),
            (
                "[thresholds]\nmin_illegal_m2 = -1",
                "thresholds.min_illegal_m2 = -1",
            ),
            ("[capacity]\nyield_per_grade = []", "has 0 entries"),
            (
                "[classes]\n\"0101\" = \"X\"",
                "classes.0101 = \"X\": use C, N, J or W",
            ),
            ("[targets]\npath = \"missing.csv\"", "targets.path"),
        ];
        for (extra, expected) in cases {
            let err = format!("{:#}", load(extra).unwrap_err());
            assert!(err.contains(expected), "{extra}: {err}");
        }
    }

    #[test]
    fn layer_keys_are_named_with_their_layer() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo/test.toml");
        let with = |landuse: &str| {
            let text = format!(
                "[layers.townships]\npath = \"townships.geojson\"\n[layers.landuse]\n{landuse}\n"
            );
            format!("{:#}", Job::from_text(&text, &path).unwrap_err())
        };
        assert!(with("path = \"nowhere.geojson\"").contains("layers.landuse.path"));
        let e = with("path = \"landuse.geojson\"\nfields = { klass = \"DLBM\" }");
        assert!(e.contains("layers.landuse.fields.klass"), "{e}");
        let e = with("path = \"landuse.geojson\"\ncrs = \"EPSG:0\"");
        assert!(e.contains("layers.landuse.crs"), "{e}");
        let e = with("path = \"landuse.geojson\"\ndbf_encoding = \"ebcdic-ish\"");
        assert!(e.contains("layers.landuse.dbf_encoding"), "{e}");
    }
}

#[cfg(test)]
mod fuzz {
    //! Seeded mutation fuzzing of the job file and the targets table: errors, never panics.
    //! `cargo test -p redline-job fuzz -- --nocapture` prints how many inputs were tried.
    #![allow(clippy::unwrap_used)]

    use super::*;
    use redline_testkit::{fuzz, scale};

    fn demo(name: &str) -> Vec<u8> {
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../data/demo")
                .join(name),
        )
        .unwrap()
    }

    #[test]
    fn job_files_never_panic() {
        let dir = tempfile::tempdir().unwrap();
        // Loading checks that the layers exist; their contents are not read.
        for layer in LayerRole::ALL {
            std::fs::write(dir.path().join(format!("{}.geojson", layer.name())), "").unwrap();
        }
        std::fs::write(dir.path().join("targets.csv"), "").unwrap();
        let path = dir.path().join("job.toml");
        let mut job = demo("job.toml");
        job.extend_from_slice(b"\n[capacity]\nyield_per_grade = [1000, 943, 886, 829, 772, 715, 658, 601, 544, 487, 430, 373, 316, 259, 202]\n[classes]\n\"1107A\" = \"N\"\n");
        assert!(Job::load(&{
            std::fs::write(&path, &job).unwrap();
            path.clone()
        })
        .is_ok());
        fuzz("job TOML", 11, 2000 * scale(), &job, |b| {
            std::fs::write(&path, b).unwrap();
            let _ = Job::load(&path);
        });
    }

    #[test]
    fn targets_tables_never_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("targets.csv");
        let mut table = demo("targets.csv");
        table.extend_from_slice(b"220821199,1.5,2\n");
        fuzz("targets.csv", 12, 2000 * scale(), &table, |b| {
            std::fs::write(&path, b).unwrap();
            let _ = read_targets(&path);
        });
    }
}

#[cfg(test)]
mod text_positions {
    //! The land use's validated texts, from feature positions to parcel positions.

    use super::*;

    #[test]
    fn texts_move_to_the_parcels_their_features_became() {
        let p = |k: u64| TextPrint([k, k]);
        // Features 0..8; 1, 4 and 5 became no parcel (a class the table does not know), so
        // features 0, 2, 3, 6, 7 are parcels 0, 1, 2, 3, 4. Feature 4's text goes with it.
        let mut texts = vec![(p(0), 0), (p(2), 2), (p(3), 3), (p(4), 4), (p(7), 7)];
        texts_by_parcel(&mut texts, &[1, 4, 5]);
        assert_eq!(texts, vec![(p(0), 0), (p(2), 1), (p(3), 2), (p(7), 4)]);
        // None skipped: the positions stay; the first and the last skipped: both go.
        let mut same = vec![(p(1), 1), (p(5), 5)];
        texts_by_parcel(&mut same, &[]);
        assert_eq!(same, vec![(p(1), 1), (p(5), 5)]);
        let mut ends = vec![(p(0), 0), (p(1), 1), (p(2), 2)];
        texts_by_parcel(&mut ends, &[0, 2]);
        assert_eq!(ends, vec![(p(1), 0)]);
    }
}
