//! The envelope (bounding box) of a polygon set, computed in one tight pass.

use geo::{LineString, MultiPolygon, Polygon, Rect};

/// The envelope of `g`'s exterior rings, or `None` for an empty set: the same box as geo's
/// `BoundingRect` (the same coordinates kept, the first of equal ones included). Every layer's
/// envelopes are taken several times a run, and geo's loop branches per coordinate where this
/// one compiles to `minpd`/`maxpd`.
pub fn envelope(g: &MultiPolygon<f64>) -> Option<Rect<f64>> {
    rings_envelope(g.0.iter().map(Polygon::exterior))
}

/// [`envelope`] of one polygon (its exterior): geo's `BoundingRect` of the polygon.
pub(crate) fn polygon_envelope(p: &Polygon<f64>) -> Option<Rect<f64>> {
    rings_envelope(std::iter::once(p.exterior()))
}

fn rings_envelope<'a>(
    rings: impl Iterator<Item = &'a LineString<f64>> + Clone,
) -> Option<Rect<f64>> {
    let mut exteriors = rings.map(|r| &r.0);
    let first = exteriors.clone().find_map(|ring| ring.first())?;
    let (mut min_x, mut min_y, mut max_x, mut max_y) = (first.x, first.y, first.x, first.y);
    for ring in exteriors.by_ref() {
        for c in ring {
            // `if less { new } else { old }`: what geo keeps, and one min/max instruction each.
            min_x = if c.x < min_x { c.x } else { min_x };
            min_y = if c.y < min_y { c.y } else { min_y };
            max_x = if c.x > max_x { c.x } else { max_x };
            max_y = if c.y > max_y { c.y } else { max_y };
        }
    }
    Some(Rect::new((min_x, min_y), (max_x, max_y)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, BoundingRect};

    #[test]
    fn the_box_is_geos_own() {
        let a = polygon![(x: 3.0, y: -1.0), (x: 7.5, y: 2.0), (x: 4.0, y: 9.25), (x: 3.0, y: -1.0)];
        let b =
            polygon![(x: -2.0, y: 0.0), (x: 0.0, y: -0.0), (x: -0.0, y: 4.0), (x: -2.0, y: 0.0)];
        for g in [
            MultiPolygon(vec![a.clone()]),
            MultiPolygon(vec![a.clone(), b.clone()]),
            MultiPolygon(vec![b.clone(), a]),
            MultiPolygon(vec![b]),
        ] {
            let (mine, geos) = (envelope(&g).unwrap(), g.bounding_rect().unwrap());
            assert_eq!(mine, geos);
            // Zeros of either sign compare equal: the sign kept must be geo's too.
            let signs =
                |r: Rect<f64>| [r.min().x, r.min().y, r.max().x, r.max().y].map(f64::to_bits);
            assert_eq!(signs(mine), signs(geos));
        }
        assert_eq!(envelope(&MultiPolygon(vec![])), None);
        // Hand-worked: the two triangles together span x −2 … 7.5, y −1 … 9.25.
        let both = MultiPolygon(vec![
            polygon![(x: 3.0, y: -1.0), (x: 7.5, y: 2.0), (x: 4.0, y: 9.25), (x: 3.0, y: -1.0)],
            polygon![(x: -2.0, y: 0.0), (x: 0.0, y: 0.0), (x: 0.0, y: 4.0), (x: -2.0, y: 0.0)],
        ]);
        assert_eq!(envelope(&both), Some(Rect::new((-2.0, -1.0), (7.5, 9.25))));
    }
}
