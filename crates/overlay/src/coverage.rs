//! Whether the land-use layer covers each township once and only once — the 三调 topology
//! rules (no overlap, no gap) — checked from the pieces the overlay cuts anyway.
//!
//! The sum of the pieces' planar areas in a township is its area less the gaps plus the
//! overlaps (Σ pieces = area − gaps + overlaps), so a gap and an overlap of the same area
//! cancel in it — a parcel moved a metre sideways leaves both. Overlaps are therefore looked for
//! in every township, as pairs of pieces ([`redline_index::overlapping_pairs`], which proves a
//! clean coverage with pair tests for the few pieces whose edges are not all shared). With no
//! overlap the sum measures the gaps, one addition per piece; only a township whose sum
//! disagrees or that has overlaps pays for finding where the gaps are: the township minus the
//! union of its pieces.

use crate::model::{Parcel, Township};
use crate::pieces::Piece;
use crate::square_metre::SquareMetre;
use geo::{Area, BooleanOps, InteriorPoint, MultiPolygon};
use redline_geom::{DataIssue, IssueKind};

/// The discrepancy below which a township counts as covered: 1 m² plus 1e-7 of its area
/// (planar, in the working CRS's units). Clipping snaps intersection points to a grid, so pieces
/// sum to their parcels to about 1e-9 (docs/metrics.md §6); a real gap or overlap of a square
/// metre is reported.
pub(crate) fn tolerance(area: f64, square_metre: SquareMetre) -> f64 {
    square_metre.planar(1.0) + 1e-7 * area
}

/// The least overlap, or part outside every township, reported (m²): below it, the rounding of
/// shared edges (docs/metrics.md §6).
pub(crate) const LEAST_REPORTED_M2: f64 = 0.01;

/// How many overlapping pairs are listed one by one per township; the rest are counted.
const LISTED_OVERLAPS: usize = 20;

/// A land-use layer (either vintage) as the coverage checks name it.
#[derive(Clone, Copy)]
pub(crate) struct Coverage<'a> {
    /// Its parcels.
    pub parcels: &'a [Parcel],
    /// Its role name (`landuse`, `landuse_previous`).
    pub layer: &'static str,
    /// A square metre in the working CRS's planar units.
    pub square_metre: SquareMetre,
}

impl Coverage<'_> {
    /// The layer in words, for messages.
    fn noun(&self) -> &'static str {
        noun(self.layer)
    }
}

fn noun(layer: &str) -> &'static str {
    if layer == "landuse_previous" {
        "previous land-use"
    } else {
        "land-use"
    }
}

/// Data issues for the gaps and overlaps of a land-use coverage in one township, and whether
/// no two pieces' interiors meet at all (proved; false whenever that is not known).
pub(crate) fn coverage_issues(
    coverage: Coverage,
    town: &Township,
    pieces: &[Piece],
) -> (Vec<DataIssue>, bool) {
    let area = town.geometry.unsigned_area();
    let covered: f64 = pieces.iter().map(|p| p.planar).sum();
    let (mut issues, apart) = overlaps(coverage, town, pieces);
    let square_metre = coverage.square_metre;
    if issues.is_empty() && (covered - area).abs() <= tolerance(area, square_metre) {
        return (Vec::new(), apart);
    }
    issues.extend(gaps(coverage, town, pieces, area));
    if issues.is_empty() {
        // Gaps and overlaps that each stay under the tolerance but add up past it.
        issues.push(issue(
            coverage.layer,
            town,
            IssueKind::Gap,
            None,
            format!(
                "the {} parcels cover {:.2} m² of the township's {:.2} m² \
                 ({}): small gaps or overlaps",
                coverage.noun(),
                square_metre.m2(covered),
                square_metre.m2(area),
                square_metre.label()
            ),
        ));
    }
    (issues, apart)
}

fn issue(
    layer: &str,
    town: &Township,
    kind: IssueKind,
    id: Option<String>,
    message: String,
) -> DataIssue {
    DataIssue {
        file: String::new(),
        layer: layer.into(),
        feature: None,
        id,
        field: None,
        kind,
        message: format!("in township {} {}: {message}", town.code, town.name),
    }
}

/// Pairs of parcels that overlap inside the township, and whether no two pieces meet at all.
fn overlaps(coverage: Coverage, town: &Township, pieces: &[Piece]) -> (Vec<DataIssue>, bool) {
    let geoms: Vec<&MultiPolygon<f64>> = pieces.iter().map(|p| p.geometry.as_ref()).collect();
    let square_metre = coverage.square_metre;
    let least = square_metre.planar(LEAST_REPORTED_M2);
    let found = redline_index::overlaps_among(&geoms, least, None);
    let pairs = found.pairs;
    let id = |k: usize| &coverage.parcels[pieces[k].source].id;
    let mut issues: Vec<DataIssue> = pairs
        .iter()
        .take(LISTED_OVERLAPS)
        .map(|o| {
            issue(
                coverage.layer,
                town,
                IssueKind::Overlap,
                Some(id(o.b).to_string()),
                format!(
                    "parcels {} and {} overlap by {:.2} m² ({}); the overlap is counted twice",
                    id(o.a),
                    id(o.b),
                    square_metre.m2(o.area),
                    square_metre.label()
                ),
            )
        })
        .collect();
    if pairs.len() > LISTED_OVERLAPS {
        let rest = square_metre.m2(pairs[LISTED_OVERLAPS..].iter().map(|o| o.area).sum());
        issues.push(issue(
            coverage.layer,
            town,
            IssueKind::Overlap,
            None,
            format!(
                "{} more overlapping pairs of parcels, {rest:.2} m² ({}) in all",
                pairs.len() - LISTED_OVERLAPS,
                square_metre.label()
            ),
        ));
    }
    (issues, found.none_meet)
}

/// The parts of the township no parcel covers: how many, how large, and where the largest is.
fn gaps(coverage: Coverage, town: &Township, pieces: &[Piece], area: f64) -> Option<DataIssue> {
    let covered = geo::unary_union(pieces.iter().map(|p| p.geometry.as_ref()));
    let gaps = town.geometry.difference(&covered);
    let total = gaps.unsigned_area();
    let square_metre = coverage.square_metre;
    if total <= tolerance(area, square_metre) {
        return None;
    }
    let largest = gaps
        .0
        .iter()
        .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))?;
    let at = largest.interior_point()?;
    Some(issue(
        coverage.layer,
        town,
        IssueKind::Gap,
        None,
        format!(
            "{} gaps in the {} coverage, {:.2} m² ({}) in all; the largest, \
             {:.2} m², is at ({:.3}, {:.3}) in the working CRS",
            gaps.0.len(),
            coverage.noun(),
            square_metre.m2(total),
            square_metre.label(),
            square_metre.m2(largest.unsigned_area()),
            at.x(),
            at.y()
        ),
    ))
}
