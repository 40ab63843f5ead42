//! Curved geometries (CurvePolygon, MultiSurface, with CircularString and CompoundCurve rings)
//! as FileGDB and GeoPackage store them, linearised from their ISO WKB.
//!
//! The gdal crate has no safe wrapper for `OGR_G_GetLinearGeometry`, and its GeoJSON export
//! refuses curves, so redline reads the WKB GDAL gives and replaces every circular arc by chords
//! whose sagitta is at most [`SAGITTA`] of the arc's radius (a disc loses 4/3 · 1e-7 of its area, far
//! finer than GDAL's default 4° steps, whose chords lose 8e-4 of a circle's area). The arc's
//! middle point is kept as a vertex, so a neighbour drawing the same arc gets the same vertices.

use geo::Coord;
use std::f64::consts::TAU;

/// Largest chord-to-arc distance, relative to the radius.
pub(crate) const SAGITTA: f64 = 1e-7;

use crate::raw::RawPolygons as Rings;

/// The polygons of a surface geometry's ISO WKB (Polygon, MultiPolygon, CurvePolygon,
/// MultiSurface), arcs linearised; `Err` says what could not be read.
pub(crate) fn surface_from_wkb(wkb: &[u8]) -> Result<Rings, String> {
    let mut reader = Wkb { bytes: wkb, at: 0 };
    let mut polygons = Vec::new();
    reader.surface(&mut polygons)?;
    Ok(polygons)
}

struct Wkb<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// A geometry header: base type (1–17), coordinate count per point, little-endian.
struct Header {
    kind: u32,
    dims: usize,
    little: bool,
}

impl Wkb<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let end = self.at + N;
        let bytes = self
            .bytes
            .get(self.at..end)
            .ok_or_else(|| format!("WKB ends at byte {} inside a geometry", self.bytes.len()))?;
        self.at = end;
        let mut out = [0; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    fn u32(&mut self, little: bool) -> Result<u32, String> {
        let b = self.take::<4>()?;
        Ok(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    fn f64(&mut self, little: bool) -> Result<f64, String> {
        let b = self.take::<8>()?;
        Ok(if little {
            f64::from_le_bytes(b)
        } else {
            f64::from_be_bytes(b)
        })
    }

    fn header(&mut self) -> Result<Header, String> {
        let little = match self.take::<1>()?[0] {
            0 => false,
            1 => true,
            b => return Err(format!("bad WKB byte order {b}")),
        };
        let code = self.u32(little)?;
        let (kind, dims) = match code / 1000 {
            0 => (code, 2),
            1 | 2 => (code % 1000, 3),
            3 => (code % 1000, 4),
            _ => return Err(format!("WKB type {code} is not ISO WKB")),
        };
        Ok(Header { kind, dims, little })
    }

    fn points(&mut self, h: &Header) -> Result<Vec<Coord<f64>>, String> {
        let n = self.u32(h.little)? as usize;
        if n > (self.bytes.len() - self.at) / (8 * h.dims) {
            return Err(format!("WKB claims {n} points, more than it holds"));
        }
        (0..n)
            .map(|_| {
                let x = self.f64(h.little)?;
                let y = self.f64(h.little)?;
                for _ in 2..h.dims {
                    self.f64(h.little)?;
                }
                Ok(Coord { x, y })
            })
            .collect()
    }

    fn count(&mut self, h: &Header) -> Result<usize, String> {
        let n = self.u32(h.little)? as usize;
        // Every member takes at least a 5-byte header.
        if n > (self.bytes.len() - self.at) / 5 {
            return Err(format!("WKB claims {n} members, more than it holds"));
        }
        Ok(n)
    }

    /// A surface (or a collection of them) appended to `out`.
    fn surface(&mut self, out: &mut Rings) -> Result<(), String> {
        let h = self.header()?;
        match h.kind {
            3 => {
                let rings = (0..self.count(&h)?)
                    .map(|_| self.points(&h))
                    .collect::<Result<_, _>>()?;
                out.push(rings);
            }
            10 => {
                let rings = (0..self.count(&h)?)
                    .map(|_| self.curve())
                    .collect::<Result<_, _>>()?;
                out.push(rings);
            }
            6 | 12 => {
                for _ in 0..self.count(&h)? {
                    self.surface(out)?;
                }
            }
            other => return Err(format!("WKB type {other} is not a surface")),
        }
        Ok(())
    }

    /// A ring: LineString, CircularString or CompoundCurve, linearised.
    fn curve(&mut self) -> Result<Vec<Coord<f64>>, String> {
        let h = self.header()?;
        match h.kind {
            2 => self.points(&h),
            8 => Ok(linearise_circular(&self.points(&h)?)),
            9 => {
                let mut out: Vec<Coord<f64>> = Vec::new();
                for _ in 0..self.count(&h)? {
                    let part = self.curve()?;
                    // Consecutive parts share their end point.
                    let skip = usize::from(out.last().is_some() && out.last() == part.first());
                    out.extend(part.into_iter().skip(skip));
                }
                Ok(out)
            }
            other => Err(format!("WKB type {other} is not a curve")),
        }
    }
}

/// A CircularString (arcs through points 0-1-2, 2-3-4, …) as a polyline.
pub(crate) fn linearise_circular(points: &[Coord<f64>]) -> Vec<Coord<f64>> {
    let mut out = points.first().copied().into_iter().collect::<Vec<_>>();
    for arc in points.windows(3).step_by(2) {
        linearise_arc(arc[0], arc[1], arc[2], &mut out);
    }
    out
}

/// Appends the vertices after `a` of the arc a → b → c: b itself and chord ends on both halves.
fn linearise_arc(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>, out: &mut Vec<Coord<f64>>) {
    let Some(centre) = circumcentre(a, b, c) else {
        // Collinear (or repeated) points: the "arc" is straight.
        out.extend([b, c]);
        return;
    };
    let radius = (a.x - centre.x).hypot(a.y - centre.y);
    let angle = |p: Coord<f64>| (p.y - centre.y).atan2(p.x - centre.x);
    let cross = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
    // A full circle (a = c) has no turn to read a direction from: draw it counter-clockwise.
    let ccw = cross > 0.0 || a == c;
    let sweep = |from: f64, to: f64| {
        let d = if ccw { to - from } else { from - to };
        let d = d.rem_euclid(TAU);
        if d == 0.0 {
            TAU
        } else {
            d
        }
    };
    let step = 2.0 * (1.0 - SAGITTA).acos();
    let sign = if ccw { 1.0 } else { -1.0 };
    for (from, to, end) in [(a, b, b), (b, c, c)] {
        let (start, total) = (angle(from), sweep(angle(from), angle(to)));
        let n = (total / step).ceil().max(1.0) as usize;
        for i in 1..n {
            let t = start + sign * total * i as f64 / n as f64;
            out.push(Coord {
                x: centre.x + radius * t.cos(),
                y: centre.y + radius * t.sin(),
            });
        }
        out.push(end);
    }
}

/// The centre of the circle through three points; for a = c (a full circle), the midpoint of
/// a and b. `None` for collinear points.
fn circumcentre(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> Option<Coord<f64>> {
    if a == c {
        return (a != b).then(|| Coord {
            x: (a.x + b.x) / 2.0,
            y: (a.y + b.y) / 2.0,
        });
    }
    // Relative to a, for precision with large projected coordinates.
    let (bx, by, cx, cy) = (b.x - a.x, b.y - a.y, c.x - a.x, c.y - a.y);
    let d = 2.0 * (bx * cy - by * cx);
    let scale = (bx * bx + by * by).max(cx * cx + cy * cy);
    if d.abs() <= 1e-12 * scale {
        return None;
    }
    let (b2, c2) = (bx * bx + by * by, cx * cx + cy * cy);
    Some(Coord {
        x: a.x + (cy * b2 - by * c2) / d,
        y: a.y + (bx * c2 - cx * b2) / d,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, LineString, Polygon};

    fn le_header(out: &mut Vec<u8>, kind: u32) {
        out.push(1);
        out.extend(kind.to_le_bytes());
    }

    fn le_points(out: &mut Vec<u8>, kind: u32, points: &[(f64, f64)]) {
        le_header(out, kind);
        out.extend((points.len() as u32).to_le_bytes());
        for &(x, y) in points {
            out.extend(x.to_le_bytes());
            out.extend(y.to_le_bytes());
        }
    }

    fn area(rings: &Rings) -> f64 {
        rings
            .iter()
            .map(|p| {
                let ring = |r: &Vec<Coord<f64>>| LineString(r.clone());
                Polygon::new(ring(&p[0]), p[1..].iter().map(ring).collect()).unsigned_area()
            })
            .sum()
    }

    #[test]
    fn a_half_disc_has_area_pi_over_two() {
        // CURVEPOLYGON(COMPOUNDCURVE(CIRCULARSTRING(0 0,1 1,2 0),(2 0,0 0)))
        let mut wkb = Vec::new();
        le_header(&mut wkb, 10);
        wkb.extend(1u32.to_le_bytes());
        le_header(&mut wkb, 9);
        wkb.extend(2u32.to_le_bytes());
        le_points(&mut wkb, 8, &[(0.0, 0.0), (1.0, 1.0), (2.0, 0.0)]);
        le_points(&mut wkb, 2, &[(2.0, 0.0), (0.0, 0.0)]);
        let rings = surface_from_wkb(&wkb).unwrap();
        let ring = &rings[0][0];
        assert_eq!(ring.first(), ring.last());
        assert!(ring.contains(&Coord { x: 1.0, y: 1.0 }));
        let a = area(&rings);
        // Chords with sagitta ε·r lose 4ε/3 of a disc's area.
        let want = std::f64::consts::FRAC_PI_2;
        assert!((a - want).abs() < 1.4e-7 * want, "{a}");
        // Every vertex is on the unit circle around (1, 0), or on the diameter.
        for p in ring {
            let r = (p.x - 1.0).hypot(p.y);
            assert!(p.y == 0.0 || (r - 1.0).abs() < 1e-12, "{p:?}");
        }
    }

    #[test]
    fn a_full_circle_in_projected_coordinates_keeps_its_area() {
        // CIRCULARSTRING(a, b, a) with b opposite: a circle of radius 50 m near GK zone 41.
        let (x0, y0) = (41_512_345.0, 5_080_000.0);
        let mut wkb = Vec::new();
        le_header(&mut wkb, 12);
        wkb.extend(1u32.to_le_bytes());
        le_header(&mut wkb, 10);
        wkb.extend(1u32.to_le_bytes());
        le_points(&mut wkb, 8, &[(x0, y0), (x0 + 100.0, y0), (x0, y0)]);
        let rings = surface_from_wkb(&wkb).unwrap();
        let want = std::f64::consts::PI * 50.0 * 50.0;
        let a = area(&rings);
        assert!((a - want).abs() < 1.4e-7 * want, "{a} vs {want}");
    }

    #[test]
    fn clockwise_arcs_and_straight_arcs() {
        // Clockwise: (0,0) → (1,-1)... drawn below the axis; collinear points stay a line.
        let ring = linearise_circular(&[
            Coord { x: 0.0, y: 0.0 },
            Coord { x: 1.0, y: -1.0 },
            Coord { x: 2.0, y: 0.0 },
        ]);
        assert!(ring.iter().all(|p| p.y <= 1e-12));
        let line = linearise_circular(&[
            Coord { x: 0.0, y: 0.0 },
            Coord { x: 1.0, y: 1.0 },
            Coord { x: 2.0, y: 2.0 },
        ]);
        assert_eq!(line.len(), 3);
    }

    #[test]
    fn truncated_and_foreign_wkb_is_an_error_not_a_panic() {
        let mut wkb = Vec::new();
        le_points(&mut wkb, 8, &[(0.0, 0.0), (1.0, 1.0), (2.0, 0.0)]);
        assert!(surface_from_wkb(&wkb)
            .unwrap_err()
            .contains("not a surface"));
        let mut wkb = Vec::new();
        le_header(&mut wkb, 10);
        wkb.extend(1u32.to_le_bytes());
        le_points(&mut wkb, 8, &[(0.0, 0.0), (1.0, 1.0), (2.0, 0.0)]);
        for cut in 0..wkb.len() {
            assert!(surface_from_wkb(&wkb[..cut]).is_err());
        }
        let mut huge = Vec::new();
        le_header(&mut huge, 12);
        huge.extend(u32::MAX.to_le_bytes());
        assert!(surface_from_wkb(&huge)
            .unwrap_err()
            .contains("more than it holds"));
    }
}
