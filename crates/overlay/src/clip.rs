//! Clipping helpers: a polygon cut down to a rectangle (Sutherland–Hodgman per ring) before the
//! exact boolean operation, so that intersecting a small parcel with a township of thousands of
//! vertices costs what the parcel's neighbourhood costs.

use geo::{Area, BooleanOps, Coord, LineString, MultiPolygon, Polygon, Rect};

/// The part of `mp` near `rect`: every ring clipped to the rectangle. Where a non-convex ring
/// leaves and re-enters, the result has zero-width connections along the rectangle's sides; the
/// caller keeps its operand strictly inside `rect` so these never touch it.
pub(crate) fn clip_to_rect(mp: &MultiPolygon<f64>, rect: Rect<f64>) -> MultiPolygon<f64> {
    MultiPolygon(
        mp.iter()
            .filter_map(|p| {
                let exterior = clip_ring(p.exterior(), rect)?;
                let holes = p
                    .interiors()
                    .iter()
                    .filter_map(|r| clip_ring(r, rect))
                    .collect();
                Some(Polygon::new(exterior, holes))
            })
            .filter(|p| p.unsigned_area() > 0.0)
            .collect(),
    )
}

/// One ring clipped to the rectangle (Sutherland–Hodgman: the left, right, bottom and top
/// half-planes in turn), closed again; `None` when fewer than three vertices are left.
fn clip_ring(ring: &LineString<f64>, rect: Rect<f64>) -> Option<LineString<f64>> {
    let open = &ring.0[..ring.0.len().saturating_sub(1)];
    let (min, max) = (rect.min(), rect.max());
    let (mut pts, mut next) = (Vec::new(), Vec::new());
    half_plane(open, &mut pts, |c| c.x >= min.x, |a, b| at_x(a, b, min.x));
    half_plane(&pts, &mut next, |c| c.x <= max.x, |a, b| at_x(a, b, max.x));
    half_plane(&next, &mut pts, |c| c.y >= min.y, |a, b| at_y(a, b, min.y));
    half_plane(&pts, &mut next, |c| c.y <= max.y, |a, b| at_y(a, b, max.y));
    if next.len() < 3 {
        return None;
    }
    next.push(next[0]);
    Some(LineString(next))
}

/// The vertices of the closed ring `pts` (last vertex not repeated) kept by `inside`, with
/// `cross(a, b)` where an edge from `a` to `b` crosses the line, into `out`.
#[inline(always)]
fn half_plane(
    pts: &[Coord<f64>],
    out: &mut Vec<Coord<f64>>,
    inside: impl Fn(Coord<f64>) -> bool,
    cross: impl Fn(Coord<f64>, Coord<f64>) -> Coord<f64>,
) {
    out.clear();
    let Some(&first) = pts.first() else {
        return;
    };
    out.reserve(pts.len() + 4);
    let (mut a, mut ia) = (first, inside(first));
    for k in 1..=pts.len() {
        let b = pts.get(k).copied().unwrap_or(first);
        let ib = inside(b);
        if ia {
            out.push(a);
        }
        if ia != ib {
            out.push(cross(a, b));
        }
        (a, ia) = (b, ib);
    }
}

/// Where the edge from `a` to `b` crosses the vertical line at `x`.
fn at_x(a: Coord<f64>, b: Coord<f64>, x: f64) -> Coord<f64> {
    let t = (x - a.x) / (b.x - a.x);
    Coord {
        x,
        y: a.y + (b.y - a.y) * t,
    }
}

/// Where the edge from `a` to `b` crosses the horizontal line at `y`.
fn at_y(a: Coord<f64>, b: Coord<f64>, y: f64) -> Coord<f64> {
    let t = (y - a.y) / (b.y - a.y);
    Coord {
        x: a.x + (b.x - a.x) * t,
        y,
    }
}

/// The rectangle `intersect_with_large` cuts `b` down to: `a`'s envelope widened by a margin
/// relative to `a` (so it suits metres and degrees alike), never zero.
pub(crate) fn clip_rect(a: &MultiPolygon<f64>) -> Option<Rect<f64>> {
    let r = geo::BoundingRect::bounding_rect(a)?;
    let magnitude = r.max().x.abs().max(r.max().y.abs()).max(1.0);
    let margin = 0.01 * (r.width() + r.height()) + 1e-9 * magnitude;
    Some(Rect::new(
        Coord {
            x: r.min().x - margin,
            y: r.min().y - margin,
        },
        Coord {
            x: r.max().x + margin,
            y: r.max().y + margin,
        },
    ))
}

/// `a ∩ b` where `b` may be large: `b` is first cut down to `a`'s envelope, widened by a margin,
/// then intersected exactly (geo's `BooleanOps`): the engine's refine step for a feature that
/// crosses a township border (the cut settles those that do not by contact tests first).
pub fn intersect_with_large(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let Some(rect) = clip_rect(a) else {
        return MultiPolygon(vec![]);
    };
    let near = clip_to_rect(b, rect);
    if near.0.is_empty() {
        return near;
    }
    a.intersection(&near)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn clipping_a_u_shape_keeps_its_area_inside_the_rectangle() {
        // A U: [0,30]×[0,30] minus the notch [10,20]×[10,30]; area 900 − 200 = 700.
        let u = MultiPolygon(vec![polygon![
            (x: 0., y: 0.), (x: 30., y: 0.), (x: 30., y: 30.), (x: 20., y: 30.), (x: 20., y: 10.),
            (x: 10., y: 10.), (x: 10., y: 30.), (x: 0., y: 30.)
        ]]);
        let rect = Rect::new(Coord { x: 5.0, y: 5.0 }, Coord { x: 25.0, y: 25.0 });
        // Inside the rectangle: [5,25]² = 400 minus the notch part [10,20]×[10,25] = 150 → 250.
        assert!((clip_to_rect(&u, rect).unsigned_area() - 250.0).abs() < 1e-9);
        let small = MultiPolygon(vec![
            polygon![(x: 8., y: 8.), (x: 22., y: 8.), (x: 22., y: 12.), (x: 8., y: 12.)],
        ]);
        // small ∩ U = [8,22]×[8,12] minus [10,20]×[10,12] = 56 − 20 = 36.
        assert!((intersect_with_large(&small, &u).unsigned_area() - 36.0).abs() < 1e-9);
    }

    /// The clipping as first written (a vector per pass, each edge's ends tested through a
    /// function pointer): the reference the single-buffer passes are checked against.
    type Inside = fn(Coord<f64>, f64) -> bool;

    /// The part of `mp` near `rect`: every ring clipped to the rectangle. Where a non-convex ring
    /// leaves and re-enters, the result has zero-width connections along the rectangle's sides; the
    /// caller keeps its operand strictly inside `rect` so these never touch it.
    fn clip_to_rect_by_passes(mp: &MultiPolygon<f64>, rect: Rect<f64>) -> MultiPolygon<f64> {
        let clip_ring = |ring: &LineString<f64>| -> Option<LineString<f64>> {
            let mut pts: Vec<Coord<f64>> = ring.0[..ring.0.len().saturating_sub(1)].to_vec();
            let (min, max) = (rect.min(), rect.max());
            // Left, right, bottom, top half-planes in turn.
            let sides: [(Inside, f64, bool); 4] = [
                (|c, v| c.x >= v, min.x, true),
                (|c, v| c.x <= v, max.x, true),
                (|c, v| c.y >= v, min.y, false),
                (|c, v| c.y <= v, max.y, false),
            ];
            for (inside, v, vertical) in sides {
                if pts.is_empty() {
                    return None;
                }
                let mut out = Vec::with_capacity(pts.len() + 4);
                for k in 0..pts.len() {
                    let (a, b) = (pts[k], pts[(k + 1) % pts.len()]);
                    let (ia, ib) = (inside(a, v), inside(b, v));
                    if ia {
                        out.push(a);
                    }
                    if ia != ib {
                        let t = if vertical {
                            (v - a.x) / (b.x - a.x)
                        } else {
                            (v - a.y) / (b.y - a.y)
                        };
                        let c = Coord {
                            x: a.x + (b.x - a.x) * t,
                            y: a.y + (b.y - a.y) * t,
                        };
                        out.push(if vertical {
                            Coord { x: v, ..c }
                        } else {
                            Coord { y: v, ..c }
                        });
                    }
                }
                pts = out;
            }
            if pts.len() < 3 {
                return None;
            }
            pts.push(pts[0]);
            Some(LineString(pts))
        };
        MultiPolygon(
            mp.iter()
                .filter_map(|p| {
                    let exterior = clip_ring(p.exterior())?;
                    let holes = p.interiors().iter().filter_map(clip_ring).collect();
                    Some(Polygon::new(exterior, holes))
                })
                .filter(|p| p.unsigned_area() > 0.0)
                .collect(),
        )
    }

    #[test]
    fn clipping_agrees_with_the_first_version_bit_for_bit() {
        let mut rng = redline_testkit::Rng(11);
        let mut unit = move || rng.below(1 << 20) as f64 / f64::from(1 << 20);
        let mut compared = 0;
        for case in 0..3000 {
            // A star-shaped ring of 3–40 vertices (with a hole a fifth the size in every
            // third case) at projected-CRS magnitudes or near the origin (where an intersection
            // computed another way rounds differently), and a rectangle anywhere around it.
            let (x, y) = match case % 2 {
                0 => (41_500_000.0, 5_080_000.0),
                _ => (0.0, 0.0),
            };
            let (cx, cy) = (x + 1e4 * unit(), y + 1e4 * unit());
            let n = 3 + (unit() * 38.0) as usize;
            let ring = |scale: f64, unit: &mut dyn FnMut() -> f64| {
                let mut pts: Vec<Coord<f64>> = (0..n)
                    .map(|k| {
                        let angle = std::f64::consts::TAU * k as f64 / n as f64;
                        let r = scale * (20.0 + 80.0 * unit());
                        Coord {
                            x: cx + r * angle.cos(),
                            y: cy + r * angle.sin(),
                        }
                    })
                    .collect();
                pts.push(pts[0]);
                LineString(pts)
            };
            let outer = ring(1.0, &mut unit);
            let holes = match case % 3 {
                0 => vec![{
                    let mut h = ring(0.2, &mut unit);
                    h.0.reverse();
                    h
                }],
                _ => vec![],
            };
            let mp = MultiPolygon(vec![Polygon::new(outer, holes)]);
            let (x0, y0) = (cx - 120.0 + 200.0 * unit(), cy - 120.0 + 200.0 * unit());
            let rect = Rect::new(
                Coord { x: x0, y: y0 },
                Coord {
                    x: x0 + 150.0 * unit(),
                    y: y0 + 150.0 * unit(),
                },
            );
            let bits = |m: &MultiPolygon<f64>| -> Vec<u64> {
                m.iter()
                    .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                    .flat_map(|r| r.0.iter().flat_map(|c| [c.x.to_bits(), c.y.to_bits()]))
                    .collect()
            };
            let (new, old) = (clip_to_rect(&mp, rect), clip_to_rect_by_passes(&mp, rect));
            assert_eq!(bits(&new), bits(&old), "case {case}");
            assert_eq!(new, old, "case {case}");
            compared += usize::from(!old.0.is_empty());
        }
        assert!(compared > 1000, "{compared} non-empty clips");
    }
}
