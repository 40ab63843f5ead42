//! The segments of a multipolygon's rings in one R-tree: where rings meet and on which side of
//! a ring a point lies, in O(n log n + k) for n segments and k pairs of overlapping segment
//! boxes, where geo's validation compares every pair of segments (O(n²): a 30 000-part feature
//! took half a minute).

use crate::Wedge;
use geo::line_intersection::{line_intersection, LineIntersection};
use geo::{Coord, Line, LineString, MultiPolygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{Envelope, RTree, RTreeObject, AABB};
use std::collections::HashSet;
use std::ops::ControlFlow;

/// A ring of the multipolygon: its polygon, its place in the polygon (0 = exterior) and its
/// closed coordinates.
#[derive(Clone, Copy)]
pub(crate) struct Ring<'a> {
    pub polygon: usize,
    pub index: usize,
    pub coords: &'a [Coord<f64>],
}

impl Ring<'_> {
    /// Number of segments (the ring is closed: first = last).
    pub fn len(&self) -> usize {
        self.coords.len().saturating_sub(1)
    }

    fn line(&self, s: usize) -> Line<f64> {
        Line::new(self.coords[s], self.coords[s + 1])
    }

    /// A readable name: "polygon 2 ring 0".
    pub fn name(&self) -> String {
        format!("polygon {} ring {}", self.polygon, self.index)
    }
}

/// How two segments of the rings meet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Meeting {
    /// Two segments of one ring that are not neighbours meet: the ring is not simple.
    SelfCrossing { ring: usize },
    /// Two rings cross (properly, or through a shared vertex).
    Crossing { a: usize, b: usize, at: Coord<f64> },
    /// Two rings share a stretch of boundary.
    Overlap { a: usize, b: usize, at: Coord<f64> },
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, (u32, u32)>;

/// Up to this many segments are compared pair by pair: for a parcel of 8–40 vertices that is
/// cheaper than building an R-tree (a million parcels are validated on every run).
const SMALL: usize = 64;

/// Every segment of every ring, indexed by its bounding box.
pub(crate) struct Segments<'a> {
    pub rings: Vec<Ring<'a>>,
    entries: Vec<Entry>,
    /// The R-tree of the entries, for more than [`SMALL`] segments.
    tree: Option<RTree<Entry>>,
}

fn envelope(line: Line<f64>) -> Rectangle<[f64; 2]> {
    Rectangle::from_corners([line.start.x, line.start.y], [line.end.x, line.end.y])
}

impl<'a> Segments<'a> {
    /// Indexes the rings of `mp` (each ring closed).
    pub fn new(mp: &'a MultiPolygon<f64>) -> Self {
        let rings: Vec<Ring<'a>> =
            mp.0.iter()
                .enumerate()
                .flat_map(|(p, polygon)| {
                    std::iter::once(polygon.exterior())
                        .chain(polygon.interiors())
                        .enumerate()
                        .map(move |(i, ls): (usize, &'a LineString<f64>)| Ring {
                            polygon: p,
                            index: i,
                            coords: &ls.0,
                        })
                })
                .collect();
        let entries: Vec<Entry> = rings
            .iter()
            .enumerate()
            .flat_map(|(r, ring)| {
                (0..ring.len())
                    .map(move |s| Entry::new(envelope(ring.line(s)), (r as u32, s as u32)))
            })
            .collect();
        let tree = (entries.len() > SMALL).then(|| RTree::bulk_load(entries.clone()));
        Segments {
            rings,
            entries,
            tree,
        }
    }

    /// The number of segments.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Calls `visit` with every meeting of two segments (each pair once) until it breaks.
    /// Segments of one ring that share a vertex are neighbours and are not compared (geo's
    /// rule); two rings that only touch at a point do not meet unless they cross there.
    pub fn meetings(&self, mut visit: impl FnMut(Meeting) -> ControlFlow<()>) {
        let mut touches = HashSet::new();
        let mut pair = |a: &Entry, b: &Entry| -> ControlFlow<()> {
            let key = |e: &Entry| (e.data.0 as usize, e.data.1 as usize);
            match self.meet(key(a), key(b), &mut touches) {
                Some(m) => visit(m),
                None => ControlFlow::Continue(()),
            }
        };
        let Some(tree) = &self.tree else {
            // Few segments: every later one, boxes first (entries are in (ring, segment) order).
            for (i, a) in self.entries.iter().enumerate() {
                let bbox = a.geom().envelope();
                for b in &self.entries[i + 1..] {
                    if b.geom().envelope().intersects(&bbox) && pair(a, b).is_break() {
                        return;
                    }
                }
            }
            return;
        };
        for a in &self.entries {
            let bbox = a.geom().envelope();
            for b in tree.locate_in_envelope_intersecting(&bbox) {
                if b.data > a.data && pair(a, b).is_break() {
                    return;
                }
            }
        }
    }

    /// The first meeting, if any.
    pub fn first_meeting(&self) -> Option<Meeting> {
        let mut found = None;
        self.meetings(|m| {
            found = Some(m);
            ControlFlow::Break(())
        });
        found
    }

    fn meet(
        &self,
        (ra, sa): (usize, usize),
        (rb, sb): (usize, usize),
        touches: &mut HashSet<(usize, usize, u64, u64)>,
    ) -> Option<Meeting> {
        let (ring_a, ring_b) = (self.rings[ra], self.rings[rb]);
        let (a, b) = (ring_a.line(sa), ring_b.line(sb));
        if ra == rb {
            return same_ring_cross(a, b).then_some(Meeting::SelfCrossing { ring: ra });
        }
        match line_intersection(a, b)? {
            LineIntersection::Collinear { intersection } => {
                (intersection.start != intersection.end).then_some(Meeting::Overlap {
                    a: ra,
                    b: rb,
                    at: intersection.start,
                })
            }
            LineIntersection::SinglePoint {
                intersection,
                is_proper: true,
            } => Some(Meeting::Crossing {
                a: ra,
                b: rb,
                at: intersection,
            }),
            LineIntersection::SinglePoint {
                intersection: p, ..
            } => {
                // A touch: analysed once per pair of rings and point.
                if !touches.insert((ra, rb, p.x.to_bits(), p.y.to_bits())) {
                    return None;
                }
                let [prev, next] = rays(&ring_a, sa, p);
                Wedge::interior(p, prev, next)
                    .separates(rays(&ring_b, sb, p))
                    .then_some(Meeting::Crossing {
                        a: ra,
                        b: rb,
                        at: p,
                    })
            }
        }
    }

    /// Where `p` lies against ring `r`: `Some(true)` inside, `Some(false)` outside, `None` on
    /// its boundary. Small rings are walked; large ones are asked through the tree (only the
    /// segments that a ray from `p` to the right can cross).
    pub fn locate(&self, p: Coord<f64>, r: usize) -> Option<bool> {
        let ring = self.rings[r];
        let mut inside = false;
        let mut on_boundary = false;
        let mut cross = |line: Line<f64>| {
            let (a, b) = (line.start, line.end);
            if geo::Intersects::intersects(&line, &p) {
                on_boundary = true;
            }
            if (a.y > p.y) != (b.y > p.y) {
                let x = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y);
                if x > p.x {
                    inside = !inside;
                }
            }
        };
        match &self.tree {
            // A ring of more than SMALL segments means there is a tree.
            Some(tree) if ring.len() > SMALL => {
                let ray = AABB::from_corners([p.x, p.y], [f64::INFINITY, p.y]);
                for e in tree.locate_in_envelope_intersecting(&ray) {
                    if e.data.0 as usize == r {
                        cross(ring.line(e.data.1 as usize));
                    }
                }
            }
            _ => (0..ring.len()).for_each(|s| cross(ring.line(s))),
        }
        (!on_boundary).then_some(inside)
    }
}

/// Whether two segments of one ring meet where they should not: anywhere, for segments that
/// are not neighbours; by folding back, for neighbours (`a` ends where `b` starts or the
/// reverse).
fn same_ring_cross(a: Line<f64>, b: Line<f64>) -> bool {
    if a.end == b.start {
        folds_back(a.start, a.end, b.end)
    } else if a.start == b.end {
        folds_back(b.start, b.end, a.end)
    } else {
        geo::Intersects::intersects(&a, &b)
    }
}

/// Whether a lone closed ring of at most [`SMALL`] segments is simple — what
/// [`Segments::first_meeting`] finds for it, without building the segment table (a parcel is one
/// such ring, and a million are validated on every run). `None` for a longer ring.
pub(crate) fn small_ring_is_simple(coords: &[Coord<f64>]) -> Option<bool> {
    let n = coords.len().checked_sub(1).filter(|&n| n <= SMALL)?;
    // Neighbours (a segment and the next) share a vertex: only their fold-back test is run,
    // inline (its cheap half settles almost every vertex). The last and the first are
    // neighbours too, through the closing vertex.
    let spike = coords.windows(3).any(|w| folds_back(w[0], w[1], w[2]));
    if spike || (n >= 3 && same_ring_cross(line(coords, 0), line(coords, n - 1))) {
        return Some(false);
    }
    // The segments' boxes as four columns: each segment's pass over the later ones is a
    // branch-free sweep over slices (`&`, not `&&`, and no index to check), and only a
    // segment whose box meets another's looks at pairs one by one.
    let mut cols = [[0.0_f64; SMALL]; 4];
    for (s, w) in coords.windows(2).enumerate() {
        cols[0][s] = w[0].x.min(w[1].x);
        cols[1][s] = w[0].x.max(w[1].x);
        cols[2][s] = w[0].y.min(w[1].y);
        cols[3][s] = w[0].y.max(w[1].y);
    }
    let [x0, x1, y0, y1] = &cols;
    for i in 0..n {
        // The segments after i that are not its neighbours.
        let later = i + 2..if i == 0 { n.saturating_sub(1) } else { n };
        if later.is_empty() {
            continue;
        }
        let (ax0, ax1, ay0, ay1) = (x0[i], x1[i], y0[i], y1[i]);
        let any = x0[later.clone()]
            .iter()
            .zip(&x1[later.clone()])
            .zip(&y0[later.clone()])
            .zip(&y1[later.clone()])
            .fold(false, |hit, (((bx0, bx1), by0), by1)| {
                hit | ((ax0 <= *bx1) & (*bx0 <= ax1) & (ay0 <= *by1) & (*by0 <= ay1))
            });
        let meet = |j: usize| (ax0 <= x1[j]) & (x0[j] <= ax1) & (ay0 <= y1[j]) & (y0[j] <= ay1);
        if any
            && later
                .into_iter()
                .any(|j| meet(j) && same_ring_cross(line(coords, i), line(coords, j)))
        {
            return Some(false);
        }
    }
    Some(true)
}

/// Segment `s` of a ring's coordinates.
fn line(coords: &[Coord<f64>], s: usize) -> Line<f64> {
    Line::new(coords[s], coords[s + 1])
}

/// Whether the path p → q → r turns straight back along itself (a spike): r lies on the line
/// through p and q, on p's side of q. Neighbouring segments meet only at q otherwise; GEOS
/// calls a spike a self-intersection, and so does redline.
#[inline]
fn folds_back(p: Coord<f64>, q: Coord<f64>, r: Coord<f64>) -> bool {
    use geo::kernels::{Kernel, Orientation, RobustKernel};
    // The cheap test first: along a densified straight edge the path goes on, not back, and
    // the robust predicate would fall back to exact arithmetic for nearly collinear points.
    (q.x - p.x) * (r.x - q.x) + (q.y - p.y) * (r.y - q.y) < 0.0
        && RobustKernel::orient2d(p, q, r) == Orientation::Collinear
}

/// The two points towards which a ring leaves `p`, where `p` is on segment `s` of the ring
/// (at its start, its end or inside it).
fn rays(ring: &Ring, s: usize, p: Coord<f64>) -> [Coord<f64>; 2] {
    let n = ring.len();
    let line = ring.line(s);
    let (prev, next) = if p == line.start {
        (ring.line((s + n - 1) % n).start, line.end)
    } else if p == line.end {
        (line.start, ring.line((s + 1) % n).end)
    } else {
        (line.start, line.end)
    };
    [prev, next]
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Polygon;

    /// Rings of every shape the fast path must judge as the segment table does: stars with
    /// random radii (some self-crossing once points are shuffled), spikes, repeated vertices,
    /// collinear runs and bow-ties, on a coarse grid so that touches and overlaps are common.
    fn rings() -> Vec<Vec<Coord<f64>>> {
        let mut rng = redline_testkit::Rng(0x2545_F491_4F6C_DD1D);
        let mut next = move |m: u64| rng.below(m as usize) as u64;
        let mut out = Vec::new();
        for k in 0..4000 {
            let n = 3 + next(14) as usize;
            let mut ring: Vec<Coord<f64>> = (0..n)
                .map(|i| {
                    let a = std::f64::consts::TAU * i as f64 / n as f64;
                    let r = 2.0 + next(6) as f64;
                    Coord {
                        x: (r * a.cos()).round(),
                        y: (r * a.sin()).round(),
                    }
                })
                .collect();
            match k % 4 {
                // Swap two vertices: often a crossing.
                1 => {
                    let (i, j) = (next(n as u64) as usize, next(n as u64) as usize);
                    ring.swap(i, j);
                }
                // A spike: out and straight back.
                2 => {
                    let at = next(n as u64) as usize;
                    let p = ring[at];
                    ring.insert(
                        at + 1,
                        Coord {
                            x: p.x + 3.0,
                            y: p.y,
                        },
                    );
                    ring.insert(at + 2, p);
                }
                // A vertex repeated further on (a pinch).
                3 => {
                    let at = next(n as u64) as usize;
                    ring.insert((at + 2).min(ring.len()), ring[at]);
                }
                _ => {}
            }
            ring.dedup();
            ring.push(ring[0]);
            if ring.len() >= 4 {
                out.push(ring);
            }
        }
        out
    }

    #[test]
    fn the_small_ring_path_agrees_with_the_segment_table() {
        let (mut simple, mut not) = (0, 0);
        for ring in rings() {
            let mp = MultiPolygon(vec![Polygon::new(LineString(ring.clone()), vec![])]);
            let table = Segments::new(&mp).first_meeting().is_none();
            assert_eq!(small_ring_is_simple(&ring), Some(table), "{ring:?}");
            if table {
                simple += 1;
            } else {
                not += 1;
            }
        }
        // Both verdicts are well represented.
        assert!(simple > 1000 && not > 1000, "{simple} simple, {not} not");
    }

    #[test]
    fn long_rings_are_left_to_the_table() {
        let ring: Vec<Coord<f64>> = (0..=SMALL + 1)
            .map(|i| {
                let a = std::f64::consts::TAU * i as f64 / (SMALL + 1) as f64;
                Coord {
                    x: a.cos(),
                    y: a.sin(),
                }
            })
            .collect();
        assert_eq!(small_ring_is_simple(&ring), None);
        assert_eq!(small_ring_is_simple(&ring[..SMALL + 1]), Some(true));
    }
}
