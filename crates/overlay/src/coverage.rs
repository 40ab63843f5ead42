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

/// How much of each land-use parcel one township holds — the planar area of its pieces, by
/// parcel position — kept until every township is done. A whole piece's area is its parcel's,
/// so only its position is kept (4 bytes where a pair was 16, for most of a million parcels).
#[derive(Debug, Default)]
pub(crate) struct Held {
    whole: Vec<u32>,
    clipped: Vec<(usize, f64)>,
}

impl Held {
    pub(crate) fn new(pieces: &[Piece]) -> Self {
        let mut held = Held::default();
        for p in pieces {
            match u32::try_from(p.source) {
                Ok(k) if p.is_whole() => held.whole.push(k),
                _ => held.clipped.push((p.source, p.planar)),
            }
        }
        held
    }

    /// The parcels whose piece is the whole parcel (their positions).
    pub(crate) fn whole(&self) -> &[u32] {
        &self.whole
    }

    /// Each piece's (parcel position, planar area); `planar(k)` is parcel `k`'s planar area. A
    /// township holds a parcel at most once, so the order within one township is free.
    pub(crate) fn pieces<'h>(
        &'h self,
        planar: impl Fn(usize) -> f64 + 'h,
    ) -> impl Iterator<Item = (usize, f64)> + 'h {
        let whole = self
            .whole
            .iter()
            .map(move |&k| (k as usize, planar(k as usize)));
        whole.chain(self.clipped.iter().copied())
    }
}

/// Land-use parcels that lie partly or wholly outside every township (the 三调 rule: inside
/// XZQ): one data issue for the layer, with how many, how much and the first few ids. Their
/// outside parts count nowhere, so a county's totals would quietly miss them.
pub(crate) fn outside_issue(
    coverage: Coverage,
    planar: impl Fn(usize) -> f64,
    held: &[f64],
) -> Option<DataIssue> {
    let (parcels, layer) = (coverage.parcels, coverage.layer);
    let least = coverage.square_metre.planar(LEAST_REPORTED_M2);
    let outside: Vec<(usize, f64)> = held
        .iter()
        .enumerate()
        .map(|(k, h)| (k, planar(k) - h))
        .filter(|(k, missing)| *missing > least + 1e-7 * planar(*k))
        .collect();
    if outside.is_empty() {
        return None;
    }
    let area = coverage
        .square_metre
        .m2(outside.iter().map(|(_, a)| a).sum());
    let first: Vec<&str> = outside
        .iter()
        .take(5)
        .map(|(k, _)| parcels[*k].id.as_str())
        .collect();
    Some(DataIssue {
        file: String::new(),
        layer: layer.into(),
        feature: None,
        id: None,
        field: None,
        kind: IssueKind::Gap,
        message: format!(
            "{} {} parcels lie partly or wholly outside the townships, {area:.2} m² \
             ({}) in all, which no township counts (first: {})",
            outside.len(),
            noun(layer),
            coverage.square_metre.label(),
            first.join(", ")
        ),
    })
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pieces::Shape;

    #[test]
    fn held_gives_back_every_piece_with_its_area() {
        let empty = MultiPolygon(Vec::new());
        let piece = |source, planar, whole| Piece {
            source,
            geometry: if whole {
                Shape::Whole(&empty)
            } else {
                Shape::Cut(Box::new(empty.clone()))
            },
            planar,
        };
        // Parcel 2 whole (its area is the parcels' 2.5), parcel 0 clipped to 0.75 of its 1.0.
        let planar = [1.0, 9.0, 2.5];
        let held = Held::new(&[piece(2, 2.5, true), piece(0, 0.75, false)]);
        let mut pieces: Vec<(usize, f64)> = held.pieces(|k| planar[k]).collect();
        pieces.sort_by_key(|p| p.0);
        assert_eq!(pieces, vec![(0, 0.75), (2, 2.5)]);
        assert_eq!(held.whole, vec![2], "a whole piece keeps its position only");
        assert!(Held::new(&[]).pieces(|k| planar[k]).next().is_none());
    }
}
