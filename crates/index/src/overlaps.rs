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

/// Every pair of geometries that share more than `min_area` of area, ordered by (a, b).
///
/// Candidates are pairs whose envelopes overlap with positive area (neighbours in a coverage
/// only touch along edges, but their envelopes usually overlap); each is settled by an exact
/// intersection. Pairs sharing only an edge give zero area.
pub fn overlapping_pairs(geometries: &[&MultiPolygon<f64>], min_area: f64) -> Vec<Overlap> {
    // Envelopes once, for the index and for every neighbour that asks again.
    let boxes: Vec<Option<Rect<f64>>> = geometries
        .par_iter()
        .map(|g| redline_geom::envelope(g))
        .collect();
    let grid = BoxGrid::new(&boxes);
    let boxes = &boxes;
    let mut found: Vec<Overlap> = (0..geometries.len())
        .into_par_iter()
        .flat_map_iter(|a| {
            let ga = geometries[a];
            let mut candidates = Vec::new();
            grid.later_overlapping(a, &mut candidates);
            candidates.into_iter().filter_map(move |b| {
                // Neighbours share edges and their boxes overlap: a test without an overlay
                // settles most pairs before the exact intersection.
                let (ra, rb) = (boxes[a]?, boxes[b]?);
                if !crate::contact::interiors_may_meet(ga, ra, geometries[b], rb) {
                    return None;
                }
                let area = ga.intersection(geometries[b]).unsigned_area();
                (area > min_area).then_some(Overlap { a, b, area })
            })
        })
        .collect();
    found.sort_by_key(|o| (o.a, o.b));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn square(x: f64, y: f64, s: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![
            polygon![(x: x, y: y), (x: x + s, y: y), (x: x + s, y: y + s), (x: x, y: y + s)],
        ])
    }

    #[test]
    fn shared_edges_are_not_overlaps() {
        // A 3×3 grid of unit squares: every neighbour shares an edge or a corner only.
        let cells: Vec<_> = (0..9)
            .map(|i| square((i % 3) as f64, (i / 3) as f64, 1.0))
            .collect();
        let refs: Vec<_> = cells.iter().collect();
        assert!(overlapping_pairs(&refs, 1e-9).is_empty());
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
}
