//! GeoJSON text of a MultiPolygon's `coordinates` — one loop for every writer in redline; the
//! caller decides how a number is written (millimetres, 10 decimals …).

use geo::{Coord, MultiPolygon};

/// Appends `[[[[x,y],…]…]…]` for `mp` to `out`, writing each position with `position`.
pub fn push_multipolygon_coordinates(
    out: &mut String,
    mp: &MultiPolygon<f64>,
    mut position: impl FnMut(&mut String, Coord<f64>),
) {
    out.push('[');
    for (p, polygon) in mp.iter().enumerate() {
        out.push_str(if p > 0 { ",[" } else { "[" });
        for (r, ring) in std::iter::once(polygon.exterior())
            .chain(polygon.interiors())
            .enumerate()
        {
            out.push_str(if r > 0 { ",[" } else { "[" });
            for (k, c) in ring.0.iter().enumerate() {
                out.push_str(if k > 0 { ",[" } else { "[" });
                position(out, *c);
                out.push(']');
            }
            out.push(']');
        }
        out.push(']');
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn nesting_of_a_square() {
        let mp = MultiPolygon(vec![
            polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.)],
        ]);
        let mut out = String::new();
        push_multipolygon_coordinates(&mut out, &mp, |o, c| {
            o.push_str(&format!("{},{}", c.x, c.y))
        });
        assert_eq!(out, "[[[[0,0],[1,0],[1,1],[0,0]]]]");
    }
}
