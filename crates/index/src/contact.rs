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
//! point, and if it never does, a whole ring of one lies inside the other.) Every side test is
//! geo's robust orientation predicate on the input points, so the answer is exact; a "may
//! meet" is then measured by the exact intersection.

use geo::coordinate_position::{CoordPos, CoordinatePosition};
use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::{Coord, LineString, MultiPolygon, Rect};
use redline_geom::Wedge;
use smallvec::SmallVec;

/// Above this many segment pairs the exact intersection is cheaper than the all-pairs test.
const MAX_PAIRS: usize = 4096;

/// `false` when the interiors of `a` and `b` (valid, oriented, with their bounding boxes)
/// certainly do not meet — they share no area; `true` when they may.
pub fn interiors_may_meet(
    a: &MultiPolygon<f64>,
    box_a: Rect<f64>,
    b: &MultiPolygon<f64>,
    box_b: Rect<f64>,
) -> bool {
    may_meet(a, box_a, b, box_b, Side::Interior)
}

/// `true` when the interior of `a` certainly lies inside `b` (valid, oriented, with their
/// bounding boxes): `a`'s interior does not meet `b`'s exterior, though the boundaries may
/// touch; `false` when part of it may lie outside.
///
/// The same test as [`interiors_may_meet`], against `b`'s exterior: `b` with every ring
/// reversed has the exterior on the left of its edges (so its wedges are the exterior's), and
/// a vertex of `a` is in that region when it lies outside `b`.
pub fn lies_within(
    a: &MultiPolygon<f64>,
    box_a: Rect<f64>,
    b: &MultiPolygon<f64>,
    box_b: Rect<f64>,
) -> bool {
    let mut reversed = b.clone();
    for p in &mut reversed.0 {
        p.exterior_mut(|r| r.0.reverse());
        p.interiors_mut(|holes| holes.iter_mut().for_each(|r| r.0.reverse()));
    }
    !may_meet(a, box_a, &reversed, box_b, Side::Exterior)
}

/// Which region of the polygon `b` the contact test is about: its interior, or (`b` given
/// with its rings reversed) its exterior.
#[derive(Clone, Copy, PartialEq)]
enum Side {
    Interior,
    Exterior,
}

fn may_meet(
    a: &MultiPolygon<f64>,
    box_a: Rect<f64>,
    b: &MultiPolygon<f64>,
    box_b: Rect<f64>,
    side: Side,
) -> bool {
    let (na, nb) = (segments(a), segments(b));
    if na * nb > MAX_PAIRS {
        return true;
    }
    // The wedges at shared vertices are compared once, on the way from `a` to `b`: every
    // shared vertex is a vertex of `a` inside `b`'s box. That way also marks which of `b`'s
    // vertices are shared, so the way back need not look for them again.
    let (met, marks) = one_way(a, (b, side), box_b, Shared::Compare);
    met || one_way(
        b,
        (a, Side::Interior),
        box_a,
        marks.map_or(Shared::Skip, Shared::Marked),
    )
    .0 || properly_cross(a, box_a, b, box_b)
}

/// What [`one_way`] does at a vertex the two polygons share.
#[derive(Clone, Copy, PartialEq)]
enum Shared {
    /// Compares the interior wedges of both there.
    Compare,
    /// Nothing: the other direction compared them.
    Skip,
    /// Nothing, and the shared vertices are known: the set bits, by position among the
    /// polygon's ring vertices (exterior first, each ring without its closing vertex), as the
    /// other direction's [`Shared::Compare`] marked them.
    Marked(u64),
}

/// Every ring of a multipolygon: each polygon's exterior, then its holes.
pub(crate) fn rings(mp: &MultiPolygon<f64>) -> impl Iterator<Item = &LineString<f64>> {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
}

/// How many edges a multipolygon's rings have.
pub(crate) fn segments(mp: &MultiPolygon<f64>) -> usize {
    rings(mp).map(|r| r.0.len().saturating_sub(1)).sum()
}

/// Below this many vertices a polygon's vertices are found by a scan; above, by a sorted table
/// (a parcel has a dozen: sorting them for every neighbour cost more than it saved).
const SCAN_VERTICES: usize = 64;

/// Finds the vertices of a multipolygon's rings that sit at a point.
enum Vertices<'a> {
    /// A small polygon: scanned.
    Few(&'a MultiPolygon<f64>),
    /// A large one: (x, y, ring, position) sorted by x then y, and its rings.
    Many(Vec<(f64, f64, usize, usize)>, Vec<&'a LineString<f64>>),
}

impl<'a> Vertices<'a> {
    fn new(mp: &'a MultiPolygon<f64>) -> Self {
        if segments(mp) <= SCAN_VERTICES {
            return Vertices::Few(mp);
        }
        let mut table: Vec<(f64, f64, usize, usize)> = rings(mp)
            .enumerate()
            .flat_map(|(r, ring)| {
                let n = ring.0.len().saturating_sub(1);
                ring.0[..n]
                    .iter()
                    .enumerate()
                    .map(move |(i, c)| (c.x, c.y, r, i))
            })
            .collect();
        table.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        Vertices::Many(table, rings(mp).collect())
    }

    /// The interior wedges at `v` of the rings that have `v` as a vertex, each given to `f`
    /// until it returns true; whether any ring has `v` as a vertex, and whether `f` did. A
    /// small polygon's vertices found are marked in `marks`, by position (see
    /// [`Shared::Marked`]).
    fn wedges_at(
        &self,
        v: Coord<f64>,
        marks: &mut u64,
        mut f: impl FnMut(Wedge) -> bool,
    ) -> (bool, bool) {
        let wedge = |ring: &LineString<f64>, j: usize| {
            let m = ring.0.len() - 1;
            Wedge::interior(v, ring.0[(j + m - 1) % m], ring.0[j + 1])
        };
        let mut shared = false;
        match self {
            Vertices::Few(mp) => {
                // Plain loops over slices: this scan runs for every vertex of a neighbour.
                let mut position = 0;
                for p in &mp.0 {
                    for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                        let m = ring.0.len().saturating_sub(1);
                        for (j, c) in ring.0[..m].iter().enumerate() {
                            let here = position + j;
                            if *c == v {
                                shared = true;
                                // At most SCAN_VERTICES (64) positions in a small polygon.
                                *marks |= 1u64.checked_shl(here as u32).unwrap_or(0);
                                if f(wedge(ring, j)) {
                                    return (true, true);
                                }
                            }
                        }
                        position += m;
                    }
                }
            }
            Vertices::Many(table, ring_list) => {
                let first = table.partition_point(|e| (e.0, e.1) < (v.x, v.y));
                for &(_, _, r, j) in table[first..]
                    .iter()
                    .take_while(|e| e.0 == v.x && e.1 == v.y)
                {
                    shared = true;
                    if f(wedge(ring_list[r], j)) {
                        return (true, true);
                    }
                }
            }
        }
        (shared, false)
    }
}

/// A vertex of `a` strictly inside `b`, or a vertex of `a` on `b`'s boundary where the two
/// interiors' wedges meet. Vertices the two share (the usual contact of neighbours) are found
/// among `b`'s vertices, without a point-in-polygon walk. With [`Shared::Compare`] and a small
/// `b`, also which of `b`'s vertices are shared (for [`Shared::Marked`] on the way back).
fn one_way(
    a: &MultiPolygon<f64>,
    (b, side): (&MultiPolygon<f64>, Side),
    bbox: Rect<f64>,
    shared: Shared,
) -> (bool, Option<u64>) {
    // With the marks, `b`'s vertices are not searched: a large one's table is not built.
    let vertices = (!matches!(shared, Shared::Marked(_))).then(|| Vertices::new(b));
    let mut marks = 0u64;
    let mut position = 0;
    for ring in rings(a) {
        let n = ring.0.len().saturating_sub(1);
        for i in 0..n {
            let (v, here) = (ring.0[i], position + i);
            if v.x < bbox.min().x || v.x > bbox.max().x || v.y < bbox.min().y || v.y > bbox.max().y
            {
                // Outside `b`'s box is outside `b`: in its exterior.
                if side == Side::Exterior {
                    return (true, None);
                }
                continue;
            }
            let wedge_a = Wedge::interior(v, ring.0[(i + n - 1) % n], ring.0[i + 1]);
            let is_shared = match shared {
                Shared::Marked(known) => known.checked_shr(here as u32).unwrap_or(0) & 1 == 1,
                Shared::Compare | Shared::Skip => {
                    let found = vertices.as_ref().map(|vs| {
                        vs.wedges_at(v, &mut marks, |wedge_b| {
                            shared == Shared::Compare && wedge_a.overlaps(&wedge_b)
                        })
                    });
                    let (is_shared, met) = found.unwrap_or((false, false));
                    if met {
                        return (true, None);
                    }
                    is_shared
                }
            };
            if is_shared {
                continue;
            }
            // Reversing the rings left the point-in-polygon test as it was.
            match (b.coordinate_position(&v), side) {
                (CoordPos::Inside, Side::Interior) | (CoordPos::Outside, Side::Exterior) => {
                    return (true, None)
                }
                (CoordPos::OnBoundary, _)
                    if wedges_at(b, v).any(|wedge_b| wedge_a.overlaps(&wedge_b)) =>
                {
                    return (true, None)
                }
                _ => {}
            }
        }
        position += n;
    }
    let small = matches!(vertices, Some(Vertices::Few(_)));
    (false, (small && shared == Shared::Compare).then_some(marks))
}

/// The interior wedges of `mp` at `p`, a point of its boundary: at a vertex, the ring's turn
/// there; inside an edge, the half-plane to its left.
fn wedges_at(mp: &MultiPolygon<f64>, p: Coord<f64>) -> impl Iterator<Item = Wedge> + '_ {
    rings(mp).flat_map(move |ring| {
        let n = ring.0.len().saturating_sub(1);
        (0..n).filter_map(move |i| {
            let (s, e) = (ring.0[i], ring.0[i + 1]);
            if p == s {
                Some(Wedge::interior(p, ring.0[(i + n - 1) % n], e))
            } else if p != e && on_segment(p, s, e) {
                Some(Wedge::interior(p, s, e))
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

/// An edge of `a` properly crossing an edge of `b` (at a point inside both); `box_a` and
/// `box_b` bound them.
fn properly_cross(
    a: &MultiPolygon<f64>,
    box_a: Rect<f64>,
    b: &MultiPolygon<f64>,
    box_b: Rect<f64>,
) -> bool {
    // Only an edge that meets the other polygon's box can cross one of its edges: of two
    // neighbours, only the edges along their common side are paired up. `b`'s with their
    // boxes, once (plain loops: collected through iterator adapters, the list cost more than
    // the tests).
    let (box_a, box_b) = (rect_box(box_a), rect_box(box_b));
    let mut b_edges: SmallVec<[Edge; 16]> = SmallVec::new();
    for ring in rings(b) {
        for w in ring.0.windows(2) {
            let f = edge_box(w[0], w[1]);
            if boxes_meet(f, box_a) {
                b_edges.push((w[0], w[1], f));
            }
        }
    }
    if b_edges.is_empty() {
        return false;
    }
    let opposite = |x: Orientation, y: Orientation| {
        matches!(
            (x, y),
            (Orientation::Clockwise, Orientation::CounterClockwise)
                | (Orientation::CounterClockwise, Orientation::Clockwise)
        )
    };
    for ring in rings(a) {
        for w in ring.0.windows(2) {
            let (p, q) = (w[0], w[1]);
            let e = edge_box(p, q);
            if !boxes_meet(e, box_b) {
                continue;
            }
            let crosses = b_edges.iter().any(|&(r, s, f)| {
                boxes_meet(e, f)
                // Edges that share an endpoint (neighbours along their common boundary) meet
                // there or along a stretch, never properly; an endpoint of one on the other's
                // line is collinear, which the robust predicate settles only by exact
                // arithmetic.
                && p != r
                && p != s
                && q != r
                && q != s
                && opposite(
                    RobustKernel::orient2d(p, q, r),
                    RobustKernel::orient2d(p, q, s),
                )
                && opposite(
                    RobustKernel::orient2d(r, s, p),
                    RobustKernel::orient2d(r, s, q),
                )
            });
            if crosses {
                return true;
            }
        }
    }
    false
}

/// An edge's ends and its box (as [`edge_box`] lays it out).
type Edge = (Coord<f64>, Coord<f64>, [f64; 4]);

/// min x, max x, min y, max y of an edge.
fn edge_box(p: Coord<f64>, q: Coord<f64>) -> [f64; 4] {
    [p.x.min(q.x), p.x.max(q.x), p.y.min(q.y), p.y.max(q.y)]
}

/// A rectangle as [`edge_box`] lays a box out.
fn rect_box(r: Rect<f64>) -> [f64; 4] {
    [r.min().x, r.max().x, r.min().y, r.max().y]
}

/// Whether two boxes (laid out as [`edge_box`] gives them) meet, boundary included.
fn boxes_meet([x0, x1, y0, y1]: [f64; 4], [u0, u1, v0, v1]: [f64; 4]) -> bool {
    x1 >= u0 && u1 >= x0 && y1 >= v0 && v1 >= y0
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, BooleanOps, BoundingRect, Polygon};

    fn sq(x: f64, y: f64, s: f64) -> MultiPolygon<f64> {
        let ring = vec![(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)];
        MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])])
    }

    /// [0,2]² without its top right quarter (the notch [1,2]²).
    fn l_shape() -> MultiPolygon<f64> {
        let ring = vec![
            (0., 0.),
            (2., 0.),
            (2., 1.),
            (1., 1.),
            (1., 2.),
            (0., 2.),
            (0., 0.),
        ];
        MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])])
    }

    /// [0,4]² with the hole [1,3]².
    fn with_hole() -> MultiPolygon<f64> {
        let mut p = sq(0., 0., 4.);
        p.0[0].interiors_push(vec![(1., 1.), (1., 3.), (3., 3.), (3., 1.), (1., 1.)]);
        p
    }

    #[test]
    fn large_polygons_look_vertices_up_in_a_table() {
        // A 10 × 10 square with a vertex every 0.1 along its bottom edge (103 segments).
        let mut ring: Vec<(f64, f64)> = (0..100).map(|i| (f64::from(i) * 0.1, 0.)).collect();
        ring.extend([(10., 0.), (10., 10.), (0., 10.), (0., 0.)]);
        let big = MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])]);
        assert!(matches!(Vertices::new(&big), Vertices::Many(..)));
        assert!(matches!(Vertices::new(&sq(0., 0., 1.)), Vertices::Few(_)));
        let bbox = |g: &MultiPolygon<f64>| g.bounding_rect().unwrap();
        // Below the bottom edge, sharing its vertices: touching only.
        let below = sq(2., -1., 1.);
        assert!(!one_way(&below, (&big, Side::Interior), bbox(&big), Shared::Compare).0);
        assert!(!interiors_may_meet(&below, bbox(&below), &big, bbox(&big)));
        // Pushed up 0.5: its top vertices lie inside.
        let inside = sq(2., -0.5, 1.);
        assert!(one_way(&inside, (&big, Side::Interior), bbox(&big), Shared::Compare).0);
        // Sharing two vertices of the bottom edge from above: the wedges meet.
        let above = sq(2., 0., 1.);
        assert!(one_way(&above, (&big, Side::Interior), bbox(&big), Shared::Compare).0);
    }

    /// The way there marks exactly the vertices of `b` that are `a`'s too, and the way back
    /// with those marks answers as the way back that looks for them.
    #[test]
    fn the_way_there_marks_the_shared_vertices() {
        let bbox = |g: &MultiPolygon<f64>| g.bounding_rect().unwrap();
        // A unit square, its neighbours on each side and corner, one overlapping it, one with
        // a hole the square's size around it, and one touching it along half an edge.
        let mut cases = vec![
            sq(1., 0., 1.),
            sq(1., 1., 1.),
            sq(0., 1., 1.),
            sq(0.5, 0.5, 1.),
        ];
        cases.push(sq(-1., -1., 3.));
        cases[4].0[0].interiors_push(vec![(0., 0.), (0., 1.), (1., 1.), (1., 0.), (0., 0.)]);
        cases.push(sq(0.5, -0.5, 0.5));
        let a = sq(0., 0., 1.);
        for b in &cases {
            let (met, marks) = one_way(&a, (b, Side::Interior), bbox(b), Shared::Compare);
            let Some(marks) = marks.filter(|_| !met) else {
                continue;
            };
            let vertices: Vec<Coord<f64>> = rings(b)
                .flat_map(|r| r.0[..r.0.len() - 1].to_vec())
                .collect();
            let expected = vertices
                .iter()
                .enumerate()
                .filter(|(_, v)| a.0[0].exterior().0.contains(v))
                .fold(0u64, |m, (k, _)| m | 1 << k);
            assert_eq!(marks, expected, "{b:?}");
            assert_eq!(
                one_way(b, (&a, Side::Interior), bbox(&a), Shared::Marked(marks)).0,
                one_way(b, (&a, Side::Interior), bbox(&a), Shared::Skip).0,
                "{b:?}"
            );
        }
        // The neighbours share vertices, the holed square all four.
        let marks =
            |b: &MultiPolygon<f64>| one_way(&a, (b, Side::Interior), bbox(b), Shared::Compare).1;
        assert_eq!(marks(&cases[0]), Some(0b1001));
        assert_eq!(marks(&cases[4]).map(u64::count_ones), Some(4));
    }

    #[test]
    fn agrees_with_the_exact_intersection() {
        let (l_shape, with_hole) = (l_shape(), with_hole());
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

    #[test]
    fn lies_within_agrees_with_the_exact_difference() {
        let (l_shape, with_hole) = (l_shape(), with_hole());
        // Its three vertices are the L's, its edge from (2, 1) to (1, 2) crosses the notch.
        let across_the_notch = MultiPolygon(vec![Polygon::new(
            LineString::from(vec![(0., 0.), (2., 1.), (1., 2.), (0., 0.)]),
            vec![],
        )]);
        let cases = [
            (sq(1., 1., 1.), sq(0., 0., 4.), true),  // inside, no contact
            (sq(0., 0., 1.), sq(0., 0., 2.), true),  // inside, two sides shared
            (sq(0., 0., 1.), sq(0., 0., 1.), true),  // identical
            (sq(0., 0., 1.), sq(1., 0., 1.), false), // a neighbour
            (sq(0.5, 0.5, 1.), sq(0., 0., 1.), false), // overlapping
            (sq(0., 0., 4.), sq(1., 1., 1.), false), // around it
            (sq(0., 0., 1.), sq(5., 5., 1.), false), // far apart
            (sq(0., 0., 1.), l_shape.clone(), true), // the L's corner square
            (sq(1., 1., 1.), l_shape.clone(), false), // the L's notch
            (sq(1.25, 1.25, 0.5), l_shape.clone(), false), // in the notch, no contact
            (sq(0., 0., 2.), l_shape.clone(), false), // the L and its notch
            (across_the_notch, l_shape, false),      // shared vertices only
            (sq(0., 0., 1.), with_hole.clone(), true), // touches both rings
            (sq(0.25, 0.25, 0.5), with_hole.clone(), true), // between the rings
            (sq(1., 1., 2.), with_hole.clone(), false), // the hole
            (sq(1.5, 1.5, 1.), with_hole.clone(), false), // in the hole, no contact
            (sq(0.5, 0.5, 1.), with_hole, false),    // across the hole's corner
        ];
        for (k, (a, b, expected)) in cases.iter().enumerate() {
            let exact = a.difference(b).unsigned_area() < 1e-12;
            assert_eq!(exact, *expected, "case {k}: the exact difference");
            let (ra, rb) = (a.bounding_rect().unwrap(), b.bounding_rect().unwrap());
            assert_eq!(lies_within(a, ra, b, rb), *expected, "case {k}");
        }
    }
}
