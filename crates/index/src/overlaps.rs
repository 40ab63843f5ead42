//! Overlaps within a coverage (a layer whose features must not overlap: land-use parcels,
//! townships, basic farmland).

use crate::box_pairs::BoxGrid;
use geo::{Area, BooleanOps, MultiPolygon, Rect};
use rayon::prelude::*;

/// Two features whose interiors overlap.
#[derive(Debug, Clone, PartialEq)]
pub struct Overlap {
    /// The earlier feature's position.
    pub a: usize,
    /// The later feature's position.
    pub b: usize,
    /// The area they share, in CRS units squared.
    pub area: f64,
}

/// Every pair of geometries that share more than `min_area` of area, ordered by (a, b). The
/// geometries are valid, with exteriors counter-clockwise and holes clockwise (as ingest
/// leaves them).
///
/// Candidates are pairs whose envelopes overlap with positive area (neighbours in a coverage
/// only touch along edges, but their envelopes usually overlap); each is settled by an exact
/// intersection. Pairs sharing only an edge give zero area.
///
/// Most layers have no overlap at all, and that is proved first, cheaply: only a geometry with
/// an edge no neighbour shares the other way round can be the one that shows an overlap
/// (`edge_match`), so the contact tests run for those alone. Only when one of them meets a
/// neighbour's interior is every pair tested.
pub fn overlapping_pairs(geometries: &[&MultiPolygon<f64>], min_area: f64) -> Vec<Overlap> {
    overlaps_among(geometries, min_area, None).pairs
}

/// What [`overlaps_among`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct Overlaps {
    /// The pairs that share more than the minimum area, ordered by (a, b).
    pub pairs: Vec<Overlap>,
    /// True when it was proved that no two interiors meet at all: the clean case, which says
    /// more than empty `pairs` (an overlap under the minimum area leaves `pairs` empty too).
    pub none_meet: bool,
}

/// Pairs known apart, `known_apart(a, b)` for positions `a < b`.
pub type KnownApart<'f> = &'f (dyn Fn(usize, usize) -> bool + Sync);

/// [`overlapping_pairs`], and whether no two interiors meet at all. Told pairs whose interiors
/// are known not to meet (proved elsewhere, such as basic farmland drawn on land-use parcels
/// proved apart), it skips their tests, and the answer is the same; it then tests the other
/// pairs at once, without the proof by shared edges (most pairs are known, or the caller would
/// not say, and a layer that is not one coverage defeats the proof anyway).
pub fn overlaps_among(
    geometries: &[&MultiPolygon<f64>],
    min_area: f64,
    known_apart: Option<KnownApart>,
) -> Overlaps {
    // Envelopes once, for the index and for every neighbour that asks again; the edges are
    // matched meanwhile (one pass in order), unless the pairs are tested at once.
    let (suspect, boxes): (Option<Vec<bool>>, Vec<Option<Rect<f64>>>) = rayon::join(
        || {
            known_apart
                .is_none()
                .then(|| crate::edge_match::unmatched(geometries))
        },
        || {
            geometries
                .par_iter()
                .map(|g| redline_geom::envelope(g))
                .collect()
        },
    );
    let known_apart = |a: usize, b: usize| known_apart.is_some_and(|apart| apart(a, b));
    let grid = BoxGrid::new(&boxes);
    let meet = |a: usize, b: usize| match (boxes[a], boxes[b]) {
        _ if known_apart(a.min(b), a.max(b)) => false,
        (Some(ra), Some(rb)) => {
            crate::contact::interiors_may_meet(geometries[a], ra, geometries[b], rb)
        }
        _ => false,
    };
    // Where most are suspects (a layer that is not a coverage of the whole: basic farmland
    // among the parcels) their tests are most of every pair's: every pair is tested at once.
    let suspects_meet = suspect.is_none_or(|suspect| {
        let suspects = suspect.iter().filter(|s| **s).count();
        suspects * 2 > geometries.len()
            || (0..geometries.len())
                .into_par_iter()
                .filter(|&a| suspect[a])
                .any(|a| {
                    // A pair of two suspects is tested from the earlier one.
                    let mut near = Vec::new();
                    grid.overlapping_where(a, &mut near, |b| b != a && !(suspect[b] && b < a));
                    near.into_iter().any(|b| meet(a, b))
                })
    });
    if !suspects_meet {
        return Overlaps {
            pairs: Vec::new(),
            none_meet: true,
        };
    }
    let mut found: Vec<Overlap> = (0..geometries.len())
        .into_par_iter()
        .flat_map_iter(|a| {
            let mut candidates = Vec::new();
            grid.later_overlapping(a, &mut candidates);
            candidates.into_iter().filter_map(move |b| {
                // Neighbours share edges and their boxes overlap: a test without an overlay
                // settles most pairs before the exact intersection.
                if !meet(a, b) {
                    return None;
                }
                let area = geometries[a].intersection(geometries[b]).unsigned_area();
                (area > min_area).then_some(Overlap { a, b, area })
            })
        })
        .collect();
    found.sort_by_key(|o| (o.a, o.b));
    Overlaps {
        pairs: found,
        none_meet: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_shapes::{grid, square};

    #[test]
    fn shared_edges_are_not_overlaps() {
        // A 3×3 grid of unit squares: every neighbour shares an edge or a corner only.
        let cells = grid(3, 9, 0.0, 0.0);
        let refs: Vec<_> = cells.iter().collect();
        assert!(overlapping_pairs(&refs, 1e-9).is_empty());
    }

    #[test]
    fn a_clean_coverage_is_proved_and_pairs_known_apart_are_not_tested() {
        // 36 of the 100 squares own edges on the outline: suspects, whose tests find nothing.
        let cells = grid(10, 100, 0.0, 0.0);
        let refs: Vec<_> = cells.iter().collect();
        let clean = overlaps_among(&refs, 1e-9, None);
        assert_eq!((clean.pairs.len(), clean.none_meet), (0, true));
        // Two squares over one another: found, and nothing proved; told that they are apart
        // (wrongly, to show the pair is skipped), nothing is found.
        let twins = [square(0.0, 0.0, 1.0), square(0.5, 0.0, 1.0)];
        let refs: Vec<_> = twins.iter().collect();
        let found = overlaps_among(&refs, 1e-9, None);
        assert_eq!((found.pairs.len(), found.none_meet), (1, false));
        assert_eq!(found.pairs[0].area, 0.5);
        let told = overlaps_among(&refs, 1e-9, Some(&|a, b| (a, b) == (0, 1)));
        assert!(told.pairs.is_empty() && !told.none_meet);
        let nothing_known = overlaps_among(&refs, 1e-9, Some(&|_, _| false));
        assert_eq!(nothing_known, found);
    }

    #[test]
    fn overlaps_are_found_with_their_area() {
        // Squares [0,2]² and [1,3]×[0,2] share [1,2]×[0,2] = 2; a third, [1.5,1.75]², lies in
        // both: 0.0625 with each.
        let cells = [
            square(0.0, 0.0, 2.0),
            square(1.0, 0.0, 2.0),
            square(1.5, 1.5, 0.25),
            square(10.0, 10.0, 1.0),
        ];
        let refs: Vec<_> = cells.iter().collect();
        let found = overlapping_pairs(&refs, 1e-9);
        let summary: Vec<_> = found
            .iter()
            .map(|o| (o.a, o.b, (o.area * 1e6).round() / 1e6))
            .collect();
        assert_eq!(summary, vec![(0, 1, 2.0), (0, 2, 0.0625), (1, 2, 0.0625)]);
        // Identical polygons overlap entirely.
        let twins = [square(0.0, 0.0, 1.0), square(0.0, 0.0, 1.0)];
        let refs: Vec<_> = twins.iter().collect();
        assert_eq!(overlapping_pairs(&refs, 1e-9)[0].area, 1.0);
    }

    #[test]
    fn overlaps_between_polygons_whose_edges_are_all_shared_are_all_found() {
        // Two 4×4 grids of unit squares, the second moved by (0.5, 0.5). The four middle
        // squares of each grid share every edge with their own grid's squares, yet each
        // overlaps four squares of the other grid: only the outer squares own unmatched edges,
        // and once one of them is found to overlap, every pair is tested.
        let cells = [grid(4, 16, 0.0, 0.0), grid(4, 16, 0.5, 0.5)].concat();
        let refs: Vec<_> = cells.iter().collect();
        let suspects = crate::edge_match::unmatched(&refs);
        let middle = [5, 6, 9, 10, 21, 22, 25, 26];
        assert!(middle.iter().all(|&k| !suspects[k]));
        let found = overlapping_pairs(&refs, 1e-9);
        // Along each axis square a of the first grid meets squares a − 1 and a of the second
        // (a − 1 only where a > 0): 1 + 2 + 2 + 2 = 7, so 7 × 7 pairs of 0.5 × 0.5 each.
        assert_eq!(found.len(), 49);
        assert!(found.iter().all(|o| (o.area - 0.25).abs() < 1e-12));
        assert!(
            found.iter().any(|o| (o.a, o.b) == (5, 21)),
            "two middle squares"
        );
    }

    #[test]
    fn a_square_moved_sideways_overlaps_the_neighbour_it_moved_onto() {
        // A 3×3 grid whose middle square moved 0.1 to the right: 0.1 × 1 shared with the
        // right-hand square (to the overlay's snapping: 0.100000001); the squares above and
        // below it only touch it.
        let mut cells = grid(3, 9, 0.0, 0.0);
        cells[4] = square(1.1, 1.0, 1.0);
        let refs: Vec<_> = cells.iter().collect();
        let found: Vec<_> = overlapping_pairs(&refs, 1e-9)
            .iter()
            .map(|o| (o.a, o.b, (o.area * 1e6).round() / 1e6))
            .collect();
        assert_eq!(found, vec![(4, 5, 0.1)]);
    }
}
