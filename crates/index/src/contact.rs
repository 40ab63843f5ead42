//! Whether the interiors of two valid, oriented polygons can meet, decided without an overlay.
//!
//! Neighbours in a coverage share edges, so their envelopes overlap and the overlap check would
//! run an exact intersection for every pair of neighbours — most of a check's time. For valid
//! polygons with exteriors counter-clockwise and holes clockwise (as ingest leaves them), the
//! interiors meet exactly when
//! - a vertex of one lies strictly inside the other, or
//! - an edge of one properly crosses an edge of the other, or
//! - at a point where the boundaries touch (a vertex of one on the other's boundary), the
//!   interior wedges of the two meet: both lie to the left of their directed edges.
//!
//! (A region shared by both interiors is bounded by parts of the two boundaries; where the
//! boundary of that region passes from one to the other there is a crossing or a touching
//! point, and if it never does, a whole ring of one lies inside the other.) Wedge angles are
//! compared in floating point: an error can only make the test say "may meet", which the exact
//! intersection then settles, never "cannot meet" for a wedge overlap wider than ~1e-15 rad.

use geo::coordinate_position::{CoordPos, CoordinatePosition};
use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::{Coord, LineString, MultiPolygon, Rect};

/// Above this many segment pairs the exact intersection is cheaper than the all-pairs test.
const MAX_PAIRS: usize = 4096;

/// `false` when the interiors of `a` and `b` (with their bounding boxes) certainly do not
/// meet; `true` when they may.
pub(crate) fn interiors_may_meet(
    a: &MultiPolygon<f64>,
    box_a: Rect<f64>,
    b: &MultiPolygon<f64>,
    box_b: Rect<f64>,
) -> bool {
    let (na, nb) = (segments(a), segments(b));
    if na * nb > MAX_PAIRS {
        return true;
    }
    one_way(a, b, box_b) || one_way(b, a, box_a) || properly_cross(a, b)
}

fn rings(mp: &MultiPolygon<f64>) -> impl Iterator<Item = &LineString<f64>> {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
}

fn segments(mp: &MultiPolygon<f64>) -> usize {
    rings(mp).map(|r| r.0.len().saturating_sub(1)).sum()
}

/// A vertex of `a` strictly inside `b`, or a vertex of `a` on `b`'s boundary where the two
/// interiors' wedges meet.
fn one_way(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>, bbox: Rect<f64>) -> bool {
    for ring in rings(a) {
        let n = ring.0.len().saturating_sub(1);
        for i in 0..n {
            let v = ring.0[i];
            if v.x < bbox.min().x || v.x > bbox.max().x || v.y < bbox.min().y || v.y > bbox.max().y
            {
                continue;
            }
            match b.coordinate_position(&v) {
                CoordPos::Inside => return true,
                CoordPos::OnBoundary => {
                    let prev = ring.0[(i + n - 1) % n];
                    let next = ring.0[i + 1];
                    let wedge_a = wedge(v, prev, next);
                    if wedges_at(b, v).any(|wedge_b| overlap(wedge_a, wedge_b)) {
                        return true;
                    }
                }
                CoordPos::Outside => {}
            }
        }
    }
    false
}

/// The interior wedge at vertex `v` of a ring arriving from `prev` and leaving to `next`: the
/// directions from `next` turning counter-clockwise to `prev` (the interior is on the left).
fn wedge(v: Coord<f64>, prev: Coord<f64>, next: Coord<f64>) -> (f64, f64) {
    (angle(next - v), angle(prev - v))
}

fn angle(d: Coord<f64>) -> f64 {
    d.y.atan2(d.x).rem_euclid(std::f64::consts::TAU)
}

/// The interior wedges of `mp` at `p`, a point of its boundary: at a vertex, the ring's turn
/// there; inside an edge, the half-plane to its left.
fn wedges_at(mp: &MultiPolygon<f64>, p: Coord<f64>) -> impl Iterator<Item = (f64, f64)> + '_ {
    rings(mp).flat_map(move |ring| {
        let n = ring.0.len().saturating_sub(1);
        (0..n).filter_map(move |i| {
            let (s, e) = (ring.0[i], ring.0[i + 1]);
            if p == s {
                Some(wedge(p, ring.0[(i + n - 1) % n], e))
            } else if p != e && on_segment(p, s, e) {
                Some(wedge(p, s, e))
            } else {
                None
            }
        })
    })
}

fn on_segment(p: Coord<f64>, s: Coord<f64>, e: Coord<f64>) -> bool {
    p.x >= s.x.min(e.x)
        && p.x <= s.x.max(e.x)
        && p.y >= s.y.min(e.y)
        && p.y <= s.y.max(e.y)
        && RobustKernel::orient2d(s, e, p) == Orientation::Collinear
}

/// Whether two counter-clockwise angular intervals share an open set of directions.
fn overlap(a: (f64, f64), b: (f64, f64)) -> bool {
    let width = |(s, e): (f64, f64)| (e - s).rem_euclid(std::f64::consts::TAU);
    let inside = |t: f64, (s, e): (f64, f64)| {
        let w = width((s, e));
        let d = (t - s).rem_euclid(std::f64::consts::TAU);
        d > 0.0 && d < w
    };
    let (wa, wb) = (width(a), width(b));
    if wa == 0.0 || wb == 0.0 {
        // A zero width means a full turn here (a ring through the point twice) or a spike:
        // let the exact intersection decide.
        return true;
    }
    a.0 == b.0 || inside(b.0, a) || inside(a.0, b)
}

/// An edge of `a` properly crossing an edge of `b` (at a point inside both).
fn properly_cross(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> bool {
    let edges = |mp| rings(mp).flat_map(|r| r.0.windows(2).map(|w| (w[0], w[1])));
    edges(a).any(|(p, q)| {
        edges(b).any(|(r, s)| {
            // Boxes first: most pairs of edges of two neighbours are far apart.
            if p.x.max(q.x) < r.x.min(s.x)
                || r.x.max(s.x) < p.x.min(q.x)
                || p.y.max(q.y) < r.y.min(s.y)
                || r.y.max(s.y) < p.y.min(q.y)
            {
                return false;
            }
            let o1 = RobustKernel::orient2d(p, q, r);
            let o2 = RobustKernel::orient2d(p, q, s);
            let o3 = RobustKernel::orient2d(r, s, p);
            let o4 = RobustKernel::orient2d(r, s, q);
            let opposite = |x: Orientation, y: Orientation| {
                matches!(
                    (x, y),
                    (Orientation::Clockwise, Orientation::CounterClockwise)
                        | (Orientation::CounterClockwise, Orientation::Clockwise)
                )
            };
            opposite(o1, o2) && opposite(o3, o4)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, BooleanOps, BoundingRect, Polygon};

    fn sq(x: f64, y: f64, s: f64) -> MultiPolygon<f64> {
        let ring = vec![(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)];
        MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])])
    }

    #[test]
    fn agrees_with_the_exact_intersection() {
        let l_shape = MultiPolygon(vec![Polygon::new(
            LineString::from(vec![
                (0., 0.),
                (2., 0.),
                (2., 1.),
                (1., 1.),
                (1., 2.),
                (0., 2.),
                (0., 0.),
            ]),
            vec![],
        )]);
        let with_hole = MultiPolygon(vec![Polygon::new(
            LineString::from(vec![(0., 0.), (4., 0.), (4., 4.), (0., 4.), (0., 0.)]),
            vec![LineString::from(vec![
                (1., 1.),
                (1., 3.),
                (3., 3.),
                (3., 1.),
                (1., 1.),
            ])],
        )]);
        let cases = [
            (sq(0., 0., 1.), sq(1., 0., 1.), false),      // shared edge
            (sq(0., 0., 1.), sq(1., 1., 1.), false),      // shared corner
            (sq(0., 0., 2.), sq(1., 0., 1.), true),       // shares two edges, inside
            (sq(0., 0., 1.), sq(0., 0., 1.), true),       // identical
            (sq(0., 0., 2.), sq(1., 1., 2.), true),       // proper crossings
            (sq(0., 0., 4.), sq(1., 1., 1.), true),       // contained, no contact
            (sq(0., 0., 1.), sq(1., 0.5, 1.), false),     // T-junction along an edge
            (l_shape.clone(), sq(1., 1., 1.), false),     // fills the L's notch
            (l_shape, sq(0.5, 0.5, 1.), true),            // overlaps the L's corner
            (with_hole.clone(), sq(1., 1., 2.), false),   // fills the hole exactly
            (with_hole.clone(), sq(1.5, 1.5, 1.), false), // inside the hole
            (with_hole, sq(0.5, 0.5, 1.), true),          // across the hole's corner
        ];
        for (k, (a, b, expected)) in cases.iter().enumerate() {
            let exact = a.intersection(b).unsigned_area() > 1e-12;
            assert_eq!(exact, *expected, "case {k}: the exact intersection");
            let (ra, rb) = (a.bounding_rect().unwrap(), b.bounding_rect().unwrap());
            assert_eq!(interiors_may_meet(a, ra, b, rb), *expected, "case {k}");
            assert_eq!(
                interiors_may_meet(b, rb, a, ra),
                *expected,
                "case {k}, swapped"
            );
        }
    }
}
