//! An R-tree of a polygon's boundary segments, for the overlay's inside/outside fast path: a
//! feature whose envelope meets no boundary segment lies wholly inside or wholly outside.

use geo::{Coord, MultiPolygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

type Segment = GeomWithData<Rectangle<[f64; 2]>, [Coord<f64>; 2]>;

/// Boundary segments of one (multi)polygon, by envelope.
pub struct EdgeIndex {
    tree: RTree<Segment>,
}

impl EdgeIndex {
    /// Indexes every ring segment of `mp`.
    pub fn new(mp: &MultiPolygon<f64>) -> EdgeIndex {
        let segments = mp
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(|ring| ring.0.windows(2).map(|w| (w[0], w[1])))
            .map(|(a, b): (Coord<f64>, Coord<f64>)| {
                GeomWithData::new(Rectangle::from_corners([a.x, a.y], [b.x, b.y]), [a, b])
            })
            .collect();
        EdgeIndex {
            tree: RTree::bulk_load(segments),
        }
    }

    /// True when some boundary segment's envelope meets the box `min`–`max` (touching counts).
    pub fn meets(&self, min: [f64; 2], max: [f64; 2]) -> bool {
        self.tree
            .locate_in_envelope_intersecting(&AABB::from_corners(min, max))
            .next()
            .is_some()
    }
}

impl EdgeIndex {
    /// Point in polygon by a ray to the right, counting only the segments the index finds near
    /// the ray (even–odd rule; a point exactly on the boundary may go either way, which callers
    /// avoid by asking only about points off the boundary).
    pub fn contains_point(&self, p: Coord<f64>) -> bool {
        let x_max = self.tree.root().envelope().upper()[0];
        if p.x > x_max {
            return false;
        }
        let ray = AABB::from_corners([p.x, p.y], [x_max, p.y]);
        let mut inside = false;
        for s in self.tree.locate_in_envelope_intersecting(&ray) {
            let [a, b] = s.data;
            if (a.y > p.y) != (b.y > p.y) && p.x < a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y) {
                inside = !inside;
            }
        }
        inside
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn boxes_near_the_boundary_meet_it() {
        let square = MultiPolygon(vec![
            polygon![(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.)],
        ]);
        let index = EdgeIndex::new(&square);
        assert!(!index.meets([2.0, 2.0], [8.0, 8.0])); // inside
        assert!(!index.meets([12.0, 2.0], [18.0, 8.0])); // outside
        assert!(index.meets([8.0, 2.0], [12.0, 8.0])); // across the right edge
        assert!(index.meets([10.0, 2.0], [12.0, 8.0])); // touching it
    }

    #[test]
    fn point_in_polygon_with_a_hole() {
        let mp = MultiPolygon(vec![polygon!(
            exterior: [(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.)],
            interiors: [[(x: 4., y: 4.), (x: 6., y: 4.), (x: 6., y: 6.), (x: 4., y: 6.)]],
        )]);
        let index = EdgeIndex::new(&mp);
        let at = |x, y| index.contains_point(Coord { x, y });
        assert!(at(1.0, 1.0) && at(9.0, 5.0) && at(5.0, 7.0));
        assert!(!at(5.0, 5.0) && !at(11.0, 5.0) && !at(-1.0, 5.0) && !at(5.0, 11.0));
    }
}
