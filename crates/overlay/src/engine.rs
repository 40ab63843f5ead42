//! The engine: per township in parallel, land use cut into pieces and every metric family
//! accumulated in a fixed order, so the output does not depend on thread count or input order.

use crate::balance::{township_balance, SupplementShare};
use crate::basic_farmland::{basic_farmland, PbfLoss};
use crate::change::{township_change, Explained, UncoveredConstruction};
use crate::context::{Cover, LandusePieces, LayerPieces};
use crate::coverage::{coverage_issues, tolerance as coverage_tolerance, Coverage};
use crate::declared::overstated_projects;
use crate::landuse::{by_village, land_use};
use crate::metrics::Metrics;
use crate::model::{County, Settings, Township};
use crate::outside::{Held, HeldTotal, CHECKED};
use crate::overlapping::overlapping_features;
use crate::pieces::{self, Cells, Cutter, Piece, Tiles};
use crate::prepared::{AreaFailure, Geoms, Near, Prepared};
use crate::square_metre::SquareMetre;
use crate::violations::{township_parts, verdict, PatchPart, Verdict, Violations};
use geo::MultiPolygon;
use rayon::prelude::*;
use redline_geom::{AreaMethod, LandCategory};
use redline_geom::{DataIssue, IssueKind};
use redline_index::EdgeIndex;

/// The verdict of one change patch.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchVerdict {
    /// JCBH.
    pub id: String,
    /// Verdict.
    pub verdict: Verdict,
    /// New land (not construction in the base year), m².
    pub new_land: f64,
    /// Of it, covered by construction approvals.
    pub legal: f64,
    /// Of it, covered by temporary / facility approvals.
    pub other: f64,
    /// Of it, illegal.
    pub illegal: f64,
    /// Illegal cultivated land, net m².
    pub illegal_cultivated: f64,
    /// Illegal basic farmland, m².
    pub illegal_pbf: f64,
    /// Townships it lies in.
    pub townships: Vec<String>,
}

/// The illegal part of a patch in one township.
#[derive(Debug, Clone, PartialEq)]
pub struct ViolationPiece {
    /// JCBH.
    pub patch: String,
    /// Township code.
    pub township: String,
    /// The patch's verdict (illegal or partial).
    pub verdict: Verdict,
    /// Illegal area in this township, m².
    pub area: f64,
    /// Illegal cultivated net area, m².
    pub cultivated: f64,
    /// Illegal basic farmland, m².
    pub pbf: f64,
    /// The illegal parts.
    pub geometry: MultiPolygon<f64>,
}

/// Everything the engine found.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Verdicts of the change patches dated in the period, in patch-id order.
    pub patches: Vec<PatchVerdict>,
    /// Illegal parts of patches, by township then patch.
    pub violations: Vec<ViolationPiece>,
    /// Data issues the overlay found: gaps and overlaps of the land-use coverage per township,
    /// overlapping conversion approvals.
    pub issues: Vec<DataIssue>,
    /// One row per township, in township-code order.
    pub townships: Vec<Metrics>,
    /// The county row.
    pub county: Metrics,
    /// PBF pieces that are construction now, by township then ids.
    pub pbf_loss: Vec<PbfLoss>,
    /// New construction since the previous vintage that no change patch and no approval
    /// covers, by township then parcel id (empty without a previous vintage).
    pub uncovered: Vec<UncoveredConstruction>,
    /// Notes for the report (skipped families, default tables).
    pub notes: Vec<String>,
    /// For each land-use parcel (in [`County::landuse`] order), a township (its position in
    /// [`County::townships`]) it lies whole in where the coverage check proved that no two
    /// parcels' interiors meet (the clean case); `None` where that is not known. Two parcels
    /// proved apart in the same township do not overlap: checks of layers drawn on the parcels
    /// need not test them again.
    pub landuse_apart: Vec<Option<u32>>,
    /// Seconds spent per stage, summed over the townships (townships run in parallel, so the sum
    /// can exceed the wall time):
    /// `cut`, `landuse`, `basic_farmland`, `balance`, `violations`, `change` (with a previous
    /// vintage), plus `prepare` and `judge`.
    pub stage_seconds: std::collections::BTreeMap<&'static str, f64>,
}

/// The layers of a run, prepared once.
struct PreparedLayers<'a> {
    /// A square metre in the working CRS's planar units (the data issues' limits).
    square_metre: SquareMetre,
    landuse: Prepared<'a>,
    /// The previous vintage, when the job has it.
    previous: Option<Prepared<'a>>,
    /// Every change patch, whatever its date, and every approval in force by the period's
    /// end, of any kind: what explains new construction between the vintages.
    all_patches: Near<'a>,
    all_approvals: Near<'a>,
    pbf: Option<Prepared<'a>>,
    supplements: Option<Prepared<'a>>,
    changes: Option<Prepared<'a>>,
    /// Approvals in force by the period's end that permit construction (legal cover).
    legal: Near<'a>,
    /// Temporary and facility approvals in force (other cover).
    other_cover: Near<'a>,
    /// Conversion approvals dated in the period (the debits).
    conversions: Near<'a>,
}

impl PreparedLayers<'_> {
    /// The layers of [`CHECKED`], in that order, where the job has them.
    fn checked(&self) -> [Option<&Prepared<'_>>; 5] {
        [
            Some(&self.landuse),
            self.previous.as_ref(),
            self.pbf.as_ref(),
            self.supplements.as_ref(),
            self.changes.as_ref(),
        ]
    }
}

/// The id of feature `k` of a layer of [`CHECKED`].
fn checked_id<'a>(county: &'a County, layer: &str, k: usize) -> &'a str {
    let id = match layer {
        "landuse" => county.landuse.get(k).map(|p| p.id.as_str()),
        "landuse_previous" => county
            .landuse_previous
            .as_ref()
            .and_then(|p| p.get(k))
            .map(|p| p.id.as_str()),
        "basic_farmland" => county
            .basic_farmland
            .as_ref()
            .and_then(|b| b.get(k))
            .map(|b| b.id.as_str()),
        "supplements" => county
            .supplements
            .as_ref()
            .and_then(|s| s.get(k))
            .map(|s| s.id.as_str()),
        "changes" => county
            .changes
            .as_ref()
            .and_then(|c| c.get(k))
            .map(|c| c.id.as_str()),
        _ => None,
    };
    id.unwrap_or_default()
}

/// Runs every metric family on the county. Townships are processed in parallel and gathered in
/// code order; within a township features are taken in layer order, so a county put in id
/// order by [`County::sort`] gives the same bits whatever the input order or thread count.
///
/// # Errors
/// An area that the job's method cannot measure (see [`AreaFailure`]).
pub fn run(
    county: &County,
    settings: &Settings,
    county_name: &str,
) -> Result<Outcome, AreaFailure> {
    run_with_progress(county, settings, county_name, &|| {})
}

/// [`run`], calling `township_done` (from any thread) as each township finishes — for progress
/// bars.
pub fn run_with_progress(
    county: &County,
    settings: &Settings,
    county_name: &str,
    township_done: &(dyn Fn() + Sync),
) -> Result<Outcome, AreaFailure> {
    let mut order: Vec<usize> = (0..county.townships.len()).collect();
    order.sort_by(|&a, &b| county.townships[a].code.cmp(&county.townships[b].code));
    let started = std::time::Instant::now();
    let layers = prepare(county, settings)?;
    let mut stage_seconds = std::collections::BTreeMap::new();
    stage_seconds.insert("prepare", started.elapsed().as_secs_f64());
    let results: Vec<TownshipResult> = order
        .par_iter()
        .map(|&index| {
            let result = township(county, settings, index, &layers);
            township_done();
            result
        })
        .collect();
    let mut townships = Vec::with_capacity(results.len());
    let mut pbf_loss = Vec::new();
    let mut parts: Vec<Vec<PatchPart>> = Vec::new();
    let mut issues = Vec::new();
    let mut uncovered = Vec::new();
    let checked = layers.checked();
    let mut held = checked.map(|p| p.map(|p| HeldTotal::new(p.len(), |k| p.planar(k))));
    let mut landuse_apart = vec![None; county.landuse.len()];
    for (&t, r) in order.iter().zip(results) {
        issues.extend(r.issues);
        if let (true, Ok(t)) = (r.apart, u32::try_from(t)) {
            // Land use is the first layer of CHECKED.
            for &k in r.held[0].whole() {
                landuse_apart[k as usize] = Some(t);
            }
        }
        for (total, township) in held.iter_mut().zip(&r.held) {
            if let Some(total) = total {
                total.add(township);
            }
        }
        for (k, v) in r.stages.0 {
            *stage_seconds.entry(k).or_insert(0.0) += v;
        }
        townships.push(r.metrics);
        pbf_loss.extend(r.losses);
        parts.push(r.parts);
        uncovered.extend(r.uncovered);
    }
    for (total, what) in held.iter().zip(CHECKED) {
        if let Some(total) = total {
            let id = |k| checked_id(county, what.layer, k);
            issues.extend(total.issue(what, id, layers.square_metre));
        }
    }
    let judging = std::time::Instant::now();
    let (patches, violations) = judge(county, settings, &mut townships, &parts);
    stage_seconds.insert("judge", judging.elapsed().as_secs_f64());
    let mut notes = Vec::new();
    for (present, what) in [
        (
            layers.pbf.is_some(),
            "basic farmland (§5.2) skipped: the job has no basic_farmland layer",
        ),
        (
            county.approvals.is_some() || county.supplements.is_some(),
            "balance (§5.3) skipped: the job has neither approvals nor supplements",
        ),
        (
            layers.changes.is_some(),
            "violations (§5.4) skipped: the job has no changes layer",
        ),
    ] {
        if !present {
            notes.push(what.to_string());
        }
    }
    if settings.yields.is_default && (county.approvals.is_some() || county.supplements.is_some()) {
        notes.push("grain capacity uses redline's default yield-per-grade table; give the provincial one in [capacity]".into());
    }
    let mut county_row = Metrics::county(&townships, county_name, &settings.thresholds);
    if let Some(v) = county_row.violations.as_mut() {
        // Patches, not parts: a patch across a border is one patch of the county.
        v.patches = Default::default();
        for p in &patches {
            *v.patches.entry(p.verdict.name().to_string()).or_default() += 1;
        }
    }
    Ok(Outcome {
        townships,
        county: county_row,
        pbf_loss,
        uncovered,
        patches,
        violations,
        issues: {
            issues.extend(overlapping_features(
                county,
                settings.period,
                layers.square_metre,
            ));
            issues.extend(overstated_projects(
                county,
                layers.supplements.as_ref(),
                settings.period,
            ));
            issues
        },
        notes,
        stage_seconds,
        landuse_apart,
    })
}

fn prepare<'a>(county: &'a County, settings: &Settings) -> Result<PreparedLayers<'a>, AreaFailure> {
    let landuse = Prepared::new("landuse", Geoms::Parcels(&county.landuse), settings)?;
    let previous = county
        .landuse_previous
        .as_ref()
        .map(|parcels| {
            // Prorating, each vintage's official areas make its scales.
            let base = Some((&landuse, settings.area != AreaMethod::Prorate));
            Prepared::over("landuse_previous", Geoms::Parcels(parcels), settings, base)
        })
        .transpose()?;
    // Pieces not cut from land use are measured on the ellipsoid (or planar, when asked).
    let other = Settings {
        area: if settings.area == AreaMethod::Planar {
            AreaMethod::Planar
        } else {
            AreaMethod::Ellipsoidal
        },
        ..settings.clone()
    };
    let pbf = county
        .basic_farmland
        .as_ref()
        .map(|b| {
            let same_scales = other.area == settings.area;
            let base = Some((&landuse, same_scales));
            Prepared::over("basic_farmland", Geoms::Farmland(b), &other, base)
        })
        .transpose()?;
    let period = settings.period;
    let supplements = county.supplements.as_ref().map(|s| {
        let geoms = counted(s, |x| x.credits(period), |x| &x.geometry);
        Prepared::new("supplements", geoms.into(), &other)
    });
    let supplements = supplements.transpose()?;
    let changes = county.changes.as_ref().map(|c| {
        let geoms = counted(c, |x| x.judged_in(period), |x| &x.geometry);
        Prepared::new("changes", geoms.into(), &other)
    });
    let changes = changes.transpose()?;
    let approvals = county.approvals.as_deref().unwrap_or_default();
    let in_force: Vec<_> = approvals
        .iter()
        .filter(|a| a.date.is_none_or(|d| d <= period.end))
        .collect();
    let legal = Near::new(
        in_force
            .iter()
            .filter(|a| a.kind.permits_construction())
            .map(|a| &a.geometry)
            .collect(),
    );
    let other_cover = Near::new(
        in_force
            .iter()
            .filter(|a| !a.kind.permits_construction())
            .map(|a| &a.geometry)
            .collect(),
    );
    let debits = |a: &&crate::model::Approval| a.debits(period);
    let conversions = Near::new(
        approvals
            .iter()
            .filter(debits)
            .map(|a| &a.geometry)
            .collect(),
    );
    // What explains new construction between the vintages (indexed only when there are two).
    let explains = |geoms: Vec<&'a MultiPolygon<f64>>| {
        Near::new(if previous.is_some() {
            geoms
        } else {
            Vec::new()
        })
    };
    let patches = county.changes.as_deref().unwrap_or_default();
    let all_patches = explains(patches.iter().map(|c| &c.geometry).collect());
    let all_approvals = explains(in_force.iter().map(|a| &a.geometry).collect());
    Ok(PreparedLayers {
        square_metre: SquareMetre::of(county, settings)?,
        landuse,
        previous,
        all_patches,
        all_approvals,
        pbf,
        supplements,
        changes,
        legal,
        other_cover,
        conversions,
    })
}

/// An empty geometry stands in for features a family leaves out, so positions still match.
static EMPTY: MultiPolygon<f64> = MultiPolygon(Vec::new());

/// Each feature's geometry where it counts in the family, [`EMPTY`] where not.
fn counted<'a, T>(
    features: &'a [T],
    counts: impl Fn(&T) -> bool,
    geometry: impl Fn(&'a T) -> &'a MultiPolygon<f64>,
) -> Vec<&'a MultiPolygon<f64>> {
    features
        .iter()
        .map(|x| if counts(x) { geometry(x) } else { &EMPTY })
        .collect()
}

/// Time per stage of one township.
#[derive(Default)]
struct Stages(Vec<(&'static str, f64)>);

impl Stages {
    fn lap(&mut self, stage: &'static str, since: &mut std::time::Instant) {
        let now = std::time::Instant::now();
        self.0.push((stage, (now - *since).as_secs_f64()));
        *since = now;
    }
}

/// What one township gives the county: its metrics, PBF losses, patch parts, uncovered new
/// construction, stage times, coverage issues, and the planar area of its pieces by parcel of
/// each vintage.
struct TownshipResult {
    metrics: Metrics,
    losses: Vec<PbfLoss>,
    parts: Vec<PatchPart>,
    uncovered: Vec<UncoveredConstruction>,
    stages: Stages,
    issues: Vec<DataIssue>,
    /// What it holds of each layer of [`CHECKED`], in that order.
    held: [Held; 5],
    /// Whether no two land-use pieces' interiors meet (proved by the coverage check).
    apart: bool,
}

fn township(
    county: &County,
    settings: &Settings,
    index: usize,
    layers: &PreparedLayers,
) -> TownshipResult {
    let (mut stages, mut clock) = (Stages::default(), std::time::Instant::now());
    let town = &county.townships[index];
    let edges = EdgeIndex::new(&town.geometry);
    // A 128 × 128 grid decides most features without touching the township's edges.
    let cells = Cells::new(&town.geometry, &edges, 128);
    let tiles = Tiles::new(&town.geometry);
    let cutter = Cutter {
        township: &town.geometry,
        edges: &edges,
        cells: &cells,
        tiles: &tiles,
    };
    let landuse = &layers.landuse;
    let (pieces, clipped) = cutter.pieces(landuse);
    let current = Coverage {
        parcels: &county.landuse,
        layer: "landuse",
        square_metre: layers.square_metre,
    };
    let (mut issues, apart) = coverage_issues(current, town, &pieces);
    let held_landuse = Held::new(&pieces);
    let piece_near = pieces::near(&pieces, landuse);
    let township = LandusePieces {
        county,
        parcels: &county.landuse,
        code: &town.code,
        pieces: &pieces,
        near: &piece_near,
        landuse,
        square_metre: layers.square_metre,
    };
    // The previous vintage, when given, is the land as it was before the period: what
    // conversions debit and what change patches newly took.
    let previous_pieces = layers
        .previous
        .as_ref()
        .map_or_else(Vec::new, |p| cutter.pieces(p).0);
    let previous_near = layers.previous.as_ref().map_or_else(
        || Near::new(Vec::new()),
        |p| pieces::near(&previous_pieces, p),
    );
    let previous = match (&layers.previous, &county.landuse_previous) {
        (Some(prepared), Some(parcels)) => {
            let coverage = Coverage {
                parcels,
                layer: "landuse_previous",
                square_metre: layers.square_metre,
            };
            issues.extend(coverage_issues(coverage, town, &previous_pieces).0);
            Some(LandusePieces {
                parcels,
                pieces: &previous_pieces,
                near: &previous_near,
                landuse: prepared,
                ..township
            })
        }
        _ => None,
    };
    let base = previous.as_ref().unwrap_or(&township);
    stages.lap("cut", &mut clock);
    let targets = county.targets.get(&town.code).copied().unwrap_or_default();
    let mut m = Metrics {
        code: town.code.clone(),
        name: town.name.clone(),
        pieces: pieces.len(),
        clipped,
        ..Default::default()
    };
    m.landuse = land_use(&county.landuse, &pieces, landuse);
    m.landuse.cultivated_target = targets.cultivated;
    m.landuse.finish();
    m.villages = by_village(&county.landuse, &pieces, landuse);
    stages.lap("landuse", &mut clock);
    let mut losses = Vec::new();
    let pbf_pieces = layers
        .pbf
        .as_ref()
        .map_or_else(Vec::new, |pbf| cutter.pieces(pbf).0);
    let pbf_near = layers
        .pbf
        .as_ref()
        .map_or_else(|| Near::new(Vec::new()), |p| pieces::near(&pbf_pieces, p));
    if let (Some(pbf), Some(pbf_layer)) = (layers.pbf.as_ref(), county.basic_farmland.as_ref()) {
        let mut p = basic_farmland(&township, &pbf_pieces, pbf, pbf_layer, &mut losses);
        p.target = targets.pbf;
        p.finish(m.landuse.cultivated_net);
        m.pbf = Some(p);
    }
    stages.lap("basic_farmland", &mut clock);
    let mut held_supplements = Held::default();
    if county.approvals.is_some() || county.supplements.is_some() {
        let shares: Vec<SupplementShare> = layers.supplements.as_ref().map_or_else(Vec::new, |s| {
            let (cut, _) = cutter.pieces(s);
            held_supplements = Held::new(&cut);
            cut.iter()
                .map(|x| SupplementShare {
                    source: x.source,
                    fraction: x.planar / s.planar(x.source),
                    area: s.area(x.source),
                })
                .collect()
        });
        m.balance = Some(township_balance(
            base,
            settings,
            &town.geometry,
            &layers.conversions,
            &shares,
        ));
    }
    stages.lap("balance", &mut clock);
    let mut held_changes = Held::default();
    let parts = layers.changes.as_ref().map_or_else(Vec::new, |c| {
        let (patches, _) = cutter.pieces(c);
        held_changes = Held::new(&patches);
        let pbf = LayerPieces {
            pieces: &pbf_pieces,
            near: &pbf_near,
        };
        let cover = Cover {
            legal: &layers.legal,
            other: &layers.other_cover,
        };
        township_parts(base, &patches, &pbf, &cover)
    });
    stages.lap("violations", &mut clock);
    let mut uncovered = Vec::new();
    if let Some(previous) = &previous {
        let explained = Explained {
            patches: &layers.all_patches,
            approvals: &layers.all_approvals,
        };
        let (change, found, matched) =
            township_change(&township, previous, &settings.change, &explained);
        issues.extend(vintages_mismatch(
            town,
            &pieces,
            &previous_pieces,
            matched,
            layers.square_metre,
        ));
        m.change = Some(change);
        uncovered = found;
        stages.lap("change", &mut clock);
    }
    TownshipResult {
        metrics: m,
        losses,
        parts,
        uncovered,
        stages,
        issues,
        held: [
            held_landuse,
            Held::new(&previous_pieces),
            Held::new(&pbf_pieces),
            held_supplements,
            held_changes,
        ],
        apart,
    }
}

/// The two vintages must cover the same ground for the matrix to hold every square metre: a
/// data issue when the area they share differs from either vintage's pieces by more than the
/// coverage tolerance.
fn vintages_mismatch(
    town: &Township,
    current: &[Piece],
    previous: &[Piece],
    matched: f64,
    square_metre: SquareMetre,
) -> Option<DataIssue> {
    let sum = |p: &[Piece]| p.iter().map(|x| x.planar).sum::<f64>();
    let (now, before) = (sum(current), sum(previous));
    let off = (now - matched).abs().max((before - matched).abs());
    let m2 = |a: f64| square_metre.m2(a);
    (off > coverage_tolerance(now, square_metre)).then(|| DataIssue {
        file: String::new(),
        layer: "landuse_previous".into(),
        feature: None,
        id: None,
        field: None,
        kind: IssueKind::Gap,
        message: format!(
            "in township {} {}: the two vintages share {:.2} m² ({}) of the current land \
             use's {:.2} m² and the previous one's {:.2} m²; the transition matrix misses the \
             difference",
            town.code,
            town.name,
            m2(matched),
            square_metre.label(),
            m2(now),
            m2(before)
        ),
    })
}

/// Verdicts per patch from its parts in every township, then the townships' §5.4 numbers.
fn judge(
    county: &County,
    settings: &Settings,
    townships: &mut [Metrics],
    parts: &[Vec<PatchPart>],
) -> (Vec<PatchVerdict>, Vec<ViolationPiece>) {
    let Some(changes) = county.changes.as_ref() else {
        return (Vec::new(), Vec::new());
    };
    let mut by_patch: std::collections::BTreeMap<usize, Vec<(usize, &PatchPart)>> =
        Default::default();
    for (town, list) in parts.iter().enumerate() {
        for part in list {
            by_patch.entry(part.patch).or_default().push((town, part));
        }
    }
    let thresholds = &settings.thresholds;
    let mut verdicts: Vec<PatchVerdict> = Vec::new();
    let mut pieces = Vec::new();
    let mut per_town: Vec<Violations> = vec![Violations::default(); townships.len()];
    for (&k, list) in &by_patch {
        let patch = &changes[k];
        let observed_other = patch
            .observed_category
            .is_some_and(|c| c != LandCategory::Construction);
        let only: Vec<&PatchPart> = list.iter().map(|(_, p)| *p).collect();
        let v = verdict(&only, observed_other, thresholds.min_illegal_m2);
        let sum = |f: fn(&PatchPart) -> f64| only.iter().map(|p| f(p)).sum::<f64>();
        for &(town, part) in list {
            per_town[town].add_part(part, v);
            if matches!(v, Verdict::Illegal | Verdict::Partial) && part.illegal > 0.0 {
                // The illegal parts of one patch in one township, cut from neighbouring parcels,
                // touch along the parcels' shared edges: dissolved into one valid multipolygon
                // (appended as they were, GEOS and QGIS reject the feature).
                let geometry = geo::unary_union(&part.illegal_geometry);
                pieces.push(ViolationPiece {
                    patch: patch.id.clone(),
                    township: townships[town].code.clone(),
                    verdict: v,
                    area: part.illegal,
                    cultivated: part.illegal_cultivated,
                    pbf: part.illegal_pbf,
                    geometry,
                });
            }
        }
        verdicts.push(PatchVerdict {
            id: patch.id.clone(),
            verdict: v,
            new_land: sum(|p| p.new_land),
            legal: sum(|p| p.legal),
            other: sum(|p| p.other),
            illegal: sum(|p| p.illegal),
            illegal_cultivated: if v.is_construction() {
                sum(|p| p.illegal_cultivated)
            } else {
                0.0
            },
            illegal_pbf: if v.is_construction() {
                sum(|p| p.illegal_pbf)
            } else {
                0.0
            },
            townships: list
                .iter()
                .map(|(town, _)| townships[*town].code.clone())
                .collect(),
        });
    }
    for (m, mut v) in townships.iter_mut().zip(per_town) {
        v.finish(thresholds);
        m.violations = Some(v);
    }
    verdicts.sort_by(|a, b| a.id.cmp(&b.id));
    pieces.sort_by(|a, b| (&a.township, &a.patch).cmp(&(&b.township, &b.patch)));
    (verdicts, pieces)
}
