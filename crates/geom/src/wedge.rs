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
