//! The directions around a point of a ring, as a wedge: whether two rings that meet at a point
//! cross there (validation) or whether two polygons' interiors meet there (the overlap check).
//! Every side test is geo's robust orientation predicate on the points themselves, so rays of
//! different lengths along one line compare as collinear.

use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::Coord;

fn orient(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> Orientation {
    RobustKernel::orient2d(a, b, c)
}

/// `b` lies on the ray from `v` through `a`.
fn same_direction(v: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> bool {
    orient(v, a, b) == Orientation::Collinear
        && (a.x - v.x) * (b.x - v.x) + (a.y - v.y) * (b.y - v.y) > 0.0
}

/// The directions from a point `v` towards `s`, turning counter-clockwise to the direction
/// towards `e` (open at both rays).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wedge {
    /// The apex.
    pub v: Coord<f64>,
    /// A point on the start ray.
    pub s: Coord<f64>,
    /// A point on the end ray.
    pub e: Coord<f64>,
}

impl Wedge {
    /// The interior wedge at a vertex `v` of a ring (exterior counter-clockwise, holes
    /// clockwise) arriving from `prev` and leaving to `next`: the interior is on the left, from
    /// `next` turning counter-clockwise to `prev`. Inside an edge, `prev` and `next` are its
    /// ends and the wedge is the half-plane to its left.
    pub fn interior(v: Coord<f64>, prev: Coord<f64>, next: Coord<f64>) -> Wedge {
        Wedge {
            v,
            s: next,
            e: prev,
        }
    }

    /// Zero width: both rays the same (a spike).
    pub fn is_degenerate(&self) -> bool {
        same_direction(self.v, self.s, self.e)
    }

    /// Whether `t` lies on one of the two rays.
    pub fn on_a_ray(&self, t: Coord<f64>) -> bool {
        same_direction(self.v, self.s, t) || same_direction(self.v, self.e, t)
    }

    /// Whether the direction towards `t` lies strictly inside the wedge.
    pub fn contains(&self, t: Coord<f64>) -> bool {
        let Wedge { v, s, e } = *self;
        match orient(v, s, e) {
            // Less than a half turn: left of the start ray and right of the end ray.
            Orientation::CounterClockwise => {
                orient(v, s, t) == Orientation::CounterClockwise
                    && orient(v, t, e) == Orientation::CounterClockwise
            }
            // More than a half turn: anywhere but the closed complement, which turns less.
            Orientation::Clockwise => {
                let left_of_e =
                    orient(v, e, t) == Orientation::CounterClockwise || same_direction(v, e, t);
                let right_of_s =
                    orient(v, t, s) == Orientation::CounterClockwise || same_direction(v, t, s);
                !(left_of_e && right_of_s)
            }
            // A half turn: the half-plane left of the start ray.
            Orientation::Collinear => orient(v, s, t) == Orientation::CounterClockwise,
        }
    }

    /// Whether two wedges at the same point share an open set of directions. A degenerate
    /// one (a spike, a ring through the point twice) may: the answer is yes, for an exact test
    /// to settle.
    pub fn overlaps(&self, other: &Wedge) -> bool {
        // The two sides of one stretch of boundary (neighbours in a coverage, at every vertex
        // they share): the same rays, swapped. Each wedge holds neither of the other's rays
        // (both are open), so only a spike shares directions — the answer the tests below give,
        // without their eight orientation tests.
        if self.v == other.v && self.s == other.e && self.e == other.s {
            return self.is_degenerate();
        }
        self.overlaps_by_rays(other)
    }

    /// [`Wedge::overlaps`] from the rays alone.
    fn overlaps_by_rays(&self, other: &Wedge) -> bool {
        if self.is_degenerate() || other.is_degenerate() {
            return true;
        }
        same_direction(self.v, self.s, other.s) || self.contains(other.s) || other.contains(self.s)
    }

    /// Whether the two rays of another ring at the same point lie on different sides of this
    /// wedge's rays — the rings cross there instead of touching. A shared direction is a shared
    /// stretch of boundary (found as an overlap by the segments along it), not a crossing.
    pub fn separates(&self, rays: [Coord<f64>; 2]) -> bool {
        if self.is_degenerate() || rays.iter().any(|&t| self.on_a_ray(t)) {
            return false;
        }
        self.contains(rays[0]) != self.contains(rays[1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shortcut for swapped rays answers what the rays do, on every kind of wedge: less
    /// than, more than and exactly a half turn, and spikes (both rays one direction, at other
    /// lengths too).
    #[test]
    fn swapped_rays_answer_as_the_rays_do() {
        let v = Coord { x: 0.0, y: 0.0 };
        let mut points = Vec::new();
        for x in -2..=2 {
            for y in -2..=2 {
                if (x, y) != (0, 0) {
                    points.push(Coord {
                        x: f64::from(x),
                        y: f64::from(y),
                    });
                }
            }
        }
        let (mut disjoint, mut spikes) = (0, 0);
        for &s in &points {
            for &e in &points {
                let (a, b) = (Wedge { v, s, e }, Wedge { v, s: e, e: s });
                assert_eq!(a.overlaps(&b), a.overlaps_by_rays(&b), "{a:?}");
                assert_eq!(b.overlaps(&a), b.overlaps_by_rays(&a), "{b:?}");
                if a.is_degenerate() {
                    spikes += 1;
                    assert!(a.overlaps(&b));
                } else {
                    disjoint += 1;
                    assert!(!a.overlaps(&b));
                }
            }
        }
        assert!(spikes > 24 && disjoint > 400, "{spikes} {disjoint}");
        // Not swapped (one ray turned): the rays decide, as before.
        let a = Wedge {
            v,
            s: points[0],
            e: points[5],
        };
        let b = Wedge {
            v,
            s: points[6],
            e: points[0],
        };
        assert_eq!(a.overlaps(&b), a.overlaps_by_rays(&b));
    }
}
