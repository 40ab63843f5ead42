//! Clipping helpers: a polygon cut down to a rectangle (Sutherland–Hodgman per ring) before the
//! exact boolean operation, so that intersecting a small parcel with a township of thousands of
//! vertices costs what the parcel's neighbourhood costs.

use geo::{Area, BooleanOps, Coord, LineString, MultiPolygon, Polygon, Rect};

/// Which side of a clipping line is kept.
type Inside = fn(Coord<f64>, f64) -> bool;

/// The part of `mp` near `rect`: every ring clipped to the rectangle. Where a non-convex ring
/// leaves and re-enters, the result has zero-width connections along the rectangle's sides; the
/// caller keeps its operand strictly inside `rect` so these never touch it.
pub(crate) fn clip_to_rect(mp: &MultiPolygon<f64>, rect: Rect<f64>) -> MultiPolygon<f64> {
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

/// `a ∩ near`, where `near` is the large operand already cut down to `rect` (or to a rectangle
/// around it: clipping by nested rectangles is clipping by the inner one).
pub(crate) fn intersect_near(
    a: &MultiPolygon<f64>,
    near: &MultiPolygon<f64>,
    rect: Rect<f64>,
) -> MultiPolygon<f64> {
    let near = clip_to_rect(near, rect);
    if near.0.is_empty() {
        return near;
    }
    a.intersection(&near)
}

/// `a ∩ b` where `b` may be large: `b` is first cut down to `a`'s envelope, widened by a margin,
/// then intersected exactly (geo's `BooleanOps`). This is the engine's refine step.
pub fn intersect_with_large(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    match clip_rect(a) {
        Some(rect) => intersect_near(a, b, rect),
        None => MultiPolygon(vec![]),
    }
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
}
