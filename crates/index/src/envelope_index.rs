//! The packed R-tree of feature envelopes.

use geo::{MultiPolygon, Rect};
use rayon::prelude::*;
use static_aabb2d_index::{StaticAABB2DIndex, StaticAABB2DIndexBuilder};

/// Envelopes of features in a static packed R-tree (Hilbert-sorted, flatbush's layout);
/// queries give feature positions.
pub struct EnvelopeIndex {
    tree: Option<StaticAABB2DIndex<f64>>,
    /// The feature position of each indexed envelope, where empty geometries were left out
    /// (empty when none was: the tree's item `i` is feature `i`).
    positions: Vec<usize>,
}

impl EnvelopeIndex {
    /// Indexes the envelopes of `geometries` (computed in parallel); entry `i` stands for
    /// `geometries[i]`. Empty geometries are left out.
    pub fn new(geometries: &[&MultiPolygon<f64>]) -> EnvelopeIndex {
        let boxes: Vec<Option<Rect<f64>>> = geometries
            .par_iter()
            .map(|g| redline_geom::envelope(g))
            .collect();
        EnvelopeIndex::from_boxes(&boxes)
    }

    /// Indexes envelopes a caller already has (`None` for an empty geometry, left out); entry
    /// `i` stands for `boxes[i]`.
    pub fn from_boxes(boxes: &[Option<Rect<f64>>]) -> EnvelopeIndex {
        let count = boxes.iter().flatten().count();
        let positions = if count == boxes.len() {
            Vec::new()
        } else {
            (0..boxes.len()).filter(|&i| boxes[i].is_some()).collect()
        };
        let mut builder = StaticAABB2DIndexBuilder::new(count);
        for r in boxes.iter().flatten() {
            builder.add(r.min().x, r.min().y, r.max().x, r.max().y);
        }
        // The builder fails only when the count differs from the boxes added (not here) or
        // a value does not convert to f64 (they are f64).
        EnvelopeIndex {
            tree: builder.build().ok(),
            positions,
        }
    }

    /// Positions of the features whose envelope meets the box `min`–`max` (boundaries
    /// included), in tree order.
    pub fn candidates(&self, min: [f64; 2], max: [f64; 2]) -> impl Iterator<Item = usize> + '_ {
        self.tree
            .iter()
            .flat_map(move |t| t.query_iter(min[0], min[1], max[0], max[1]))
            .map(|i| self.positions.get(i).copied().unwrap_or(i))
    }

    /// Number of indexed features.
    pub fn len(&self) -> usize {
        self.tree.as_ref().map_or(0, |t| t.count())
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::coord;

    /// Boxes on a 60 × 60 field from a fixed xorshift sequence: sizes from a point to a fifth
    /// of the field, so they touch, nest and overlap; every seventh is empty (`None`).
    fn boxes(n: usize) -> Vec<Option<Rect<f64>>> {
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 600) as f64 / 10.0
        };
        (0..n)
            .map(|i| {
                let (x, y, w, h) = (next(), next(), next() / 5.0, next() / 5.0);
                let r = Rect::new(coord! { x: x, y: y }, coord! { x: x + w, y: y + h });
                (i % 7 != 3).then_some(r)
            })
            .collect()
    }

    /// What a scan of every box finds: those meeting `min`–`max`, boundaries included.
    fn scanned(boxes: &[Option<Rect<f64>>], min: [f64; 2], max: [f64; 2]) -> Vec<usize> {
        (0..boxes.len())
            .filter(|&i| {
                boxes[i].is_some_and(|r| {
                    r.min().x <= max[0]
                        && min[0] <= r.max().x
                        && r.min().y <= max[1]
                        && min[1] <= r.max().y
                })
            })
            .collect()
    }

    #[test]
    fn candidates_are_the_boxes_a_scan_finds() {
        for n in [0, 1, 5, 16, 17, 300, 2000] {
            let all = boxes(n);
            let index = EnvelopeIndex::from_boxes(&all);
            assert_eq!(index.len(), all.iter().flatten().count());
            // Every box as a query (it meets itself and whatever touches it), and a few more.
            let mut queries: Vec<([f64; 2], [f64; 2])> = all
                .iter()
                .flatten()
                .map(|r| ([r.min().x, r.min().y], [r.max().x, r.max().y]))
                .collect();
            queries.extend([([-5.0, -5.0], [-1.0, -1.0]), ([0.0, 0.0], [80.0, 80.0])]);
            queries.push(([30.0, 30.0], [30.0, 30.0]));
            for (min, max) in queries {
                let mut found: Vec<usize> = index.candidates(min, max).collect();
                found.sort_unstable();
                assert_eq!(found, scanned(&all, min, max), "n = {n}, {min:?}–{max:?}");
            }
        }
    }

    #[test]
    fn boxes_that_only_touch_are_candidates() {
        let unit = |x: f64, y: f64| {
            Some(Rect::new(
                coord! { x: x, y: y },
                coord! { x: x + 1.0, y: y + 1.0 },
            ))
        };
        let index =
            EnvelopeIndex::from_boxes(&[unit(0.0, 0.0), None, unit(1.0, 0.0), unit(2.5, 0.0)]);
        let mut found: Vec<usize> = index.candidates([1.0, 0.5], [1.0, 0.5]).collect();
        found.sort_unstable();
        assert_eq!(found, vec![0, 2]);
        assert!(EnvelopeIndex::from_boxes(&[None, None]).is_empty());
        assert_eq!(
            EnvelopeIndex::from_boxes(&[None, None])
                .candidates([0.0; 2], [9.0; 2])
                .count(),
            0
        );
    }
}
