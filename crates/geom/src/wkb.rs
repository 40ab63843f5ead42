//! Well-known binary (ISO/OGC WKB, either byte order) for the polygon layers redline reads and
//! writes: GeoParquet's `WKB` encoding and FlatGeobuf's neighbours in pipelines.

use geo::{Coord, MultiPolygon};

/// Raw polygons as a reader found them: polygon → rings → positions.
pub type RawRings = Vec<Vec<Vec<Coord<f64>>>>;

/// What a WKB value holds, for a polygon layer.
#[derive(Debug, Clone, PartialEq)]
pub enum WkbGeometry {
    /// Polygon or MultiPolygon (Z/M ordinates dropped), possibly empty.
    Polygons(RawRings),
    /// Any other geometry type, by name.
    Other(&'static str),
}

/// Why WKB bytes could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("malformed WKB: {0}")]
pub struct WkbError(pub String);

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], WkbError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| {
            WkbError(format!(
                "{} bytes end before the value at byte {} is complete",
                self.bytes.len(),
                self.at
            ))
        })?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn u32(&mut self, little: bool) -> Result<u32, WkbError> {
        let b: [u8; 4] = self
            .take(4)?
            .try_into()
            .map_err(|_| WkbError("u32".into()))?;
        Ok(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    /// A count that the remaining bytes can hold at `min_size` bytes per item (so a hostile
    /// count cannot make the reader allocate gigabytes).
    fn count(&mut self, little: bool, min_size: usize) -> Result<usize, WkbError> {
        let n = self.u32(little)? as usize;
        let left = self.bytes.len() - self.at;
        if n.saturating_mul(min_size) > left {
            return Err(WkbError(format!(
                "a count of {n} at byte {} does not fit in the {left} bytes left",
                self.at - 4
            )));
        }
        Ok(n)
    }
}

/// The header of one geometry: byte order, base type (1–7) and ordinates per position.
fn header(c: &mut Cursor<'_>) -> Result<(bool, u32, usize), WkbError> {
    let little = match c.take(1)?[0] {
        0 => false,
        1 => true,
        b => return Err(WkbError(format!("byte order {b} (0 or 1)"))),
    };
    let code = c.u32(little)?;
    // ISO codes (1000s for Z, 2000s for M, 3000s for ZM) and EWKB flags.
    let (z, m) = (code & 0x8000_0000 != 0, code & 0x4000_0000 != 0);
    if code & 0x2000_0000 != 0 {
        c.take(4)?; // EWKB SRID
    }
    let iso = code & 0x0FFF_FFFF;
    let (base, dims) = match iso / 1000 {
        0 => (iso, 2 + usize::from(z) + usize::from(m)),
        1 | 2 => (iso % 1000, 3),
        3 => (iso % 1000, 4),
        _ => return Err(WkbError(format!("geometry type code {code}"))),
    };
    Ok((little, base, dims))
}

fn polygon(
    c: &mut Cursor<'_>,
    little: bool,
    dims: usize,
) -> Result<Vec<Vec<Coord<f64>>>, WkbError> {
    let rings = c.count(little, 4)?;
    let mut out = Vec::with_capacity(rings);
    for _ in 0..rings {
        let n = c.count(little, 8 * dims)?;
        // The count was checked against the bytes left: the ring's block is taken at once.
        let block = c.take(n * 8 * dims)?;
        let f64_at = |b: &[u8]| {
            let b: [u8; 8] = b.try_into().unwrap_or_default();
            if little {
                f64::from_le_bytes(b)
            } else {
                f64::from_be_bytes(b)
            }
        };
        let ring: Vec<Coord<f64>> = block
            .chunks_exact(8 * dims)
            .map(|p| Coord {
                x: f64_at(&p[..8]),
                y: f64_at(&p[8..16]),
            })
            .collect();
        out.push(ring);
    }
    Ok(out)
}

fn geometry(c: &mut Cursor<'_>) -> Result<WkbGeometry, WkbError> {
    let (little, base, dims) = header(c)?;
    match base {
        3 => Ok(WkbGeometry::Polygons(vec![polygon(c, little, dims)?]).without_empty()),
        6 => {
            let n = c.count(little, 9)?;
            let mut polygons = Vec::with_capacity(n);
            for _ in 0..n {
                // Parts are Polygons: nothing nests deeper, so hostile nesting cannot recurse.
                let (little, base, dims) = header(c)?;
                if base != 3 {
                    return Err(WkbError(format!(
                        "a MultiPolygon part of geometry type {base}, not a Polygon"
                    )));
                }
                polygons.push(polygon(c, little, dims)?);
            }
            Ok(WkbGeometry::Polygons(polygons).without_empty())
        }
        1 => Ok(WkbGeometry::Other("Point")),
        2 => Ok(WkbGeometry::Other("LineString")),
        4 => Ok(WkbGeometry::Other("MultiPoint")),
        5 => Ok(WkbGeometry::Other("MultiLineString")),
        7 => Ok(WkbGeometry::Other("GeometryCollection")),
        other => Err(WkbError(format!("geometry type {other}"))),
    }
}

impl WkbGeometry {
    /// `POLYGON EMPTY` is a polygon with no rings: no polygons at all.
    fn without_empty(self) -> WkbGeometry {
        match self {
            WkbGeometry::Polygons(p) => {
                WkbGeometry::Polygons(p.into_iter().filter(|r| !r.is_empty()).collect())
            }
            other => other,
        }
    }
}

/// Reads one WKB value; bytes after the geometry are an error.
pub fn read_wkb(bytes: &[u8]) -> Result<WkbGeometry, WkbError> {
    let mut c = Cursor { bytes, at: 0 };
    let g = geometry(&mut c)?;
    // Other types are named, not walked: their length is not checked.
    if matches!(g, WkbGeometry::Polygons(_)) && c.at != bytes.len() {
        return Err(WkbError(format!(
            "{} bytes after the geometry",
            bytes.len() - c.at
        )));
    }
    Ok(g)
}

/// Writes a MultiPolygon as little-endian ISO WKB, rings closed as stored.
pub fn write_wkb(mp: &MultiPolygon<f64>, out: &mut Vec<u8>) {
    let put_u32 = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
    let put_len = |out: &mut Vec<u8>, n: usize| put_u32(out, u32::try_from(n).unwrap_or(u32::MAX));
    out.push(1);
    put_u32(out, 6);
    put_len(out, mp.0.len());
    for p in &mp.0 {
        out.push(1);
        put_u32(out, 3);
        put_len(out, 1 + p.interiors().len());
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            put_len(out, ring.0.len());
            for c in &ring.0 {
                out.extend_from_slice(&c.x.to_le_bytes());
                out.extend_from_slice(&c.y.to_le_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn a_multipolygon_round_trips_and_its_bytes_are_the_standard_ones() {
        let mp = MultiPolygon(vec![
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 0.0, y: 1.0)],
        ]);
        let mut bytes = Vec::new();
        write_wkb(&mp, &mut bytes);
        // 1+4+4 (multi) + 1+4+4 (polygon) + 4 (ring count) + 4 positions × 16.
        assert_eq!(bytes.len(), 9 + 9 + 4 + 64);
        assert_eq!(&bytes[..5], &[1, 6, 0, 0, 0]);
        let WkbGeometry::Polygons(rings) = read_wkb(&bytes).unwrap() else {
            panic!("not polygons")
        };
        assert_eq!(rings.len(), 1);
        assert_eq!(rings[0][0].len(), 4);
        assert_eq!(rings[0][0][1], Coord { x: 1.0, y: 0.0 });
    }

    #[test]
    fn big_endian_z_polygons_are_read_and_z_dropped() {
        // POLYGON Z ((0 0 5, 2 0 5, 0 2 5, 0 0 5)), big-endian ISO code 1003.
        let mut b = vec![0u8];
        b.extend_from_slice(&1003u32.to_be_bytes());
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(&4u32.to_be_bytes());
        for (x, y) in [(0.0, 0.0), (2.0, 0.0), (0.0, 2.0), (0.0, 0.0)] {
            for v in [x, y, 5.0f64] {
                b.extend_from_slice(&v.to_be_bytes());
            }
        }
        let g = read_wkb(&b).unwrap();
        assert_eq!(
            g,
            WkbGeometry::Polygons(vec![vec![vec![
                Coord { x: 0.0, y: 0.0 },
                Coord { x: 2.0, y: 0.0 },
                Coord { x: 0.0, y: 2.0 },
                Coord { x: 0.0, y: 0.0 }
            ]]])
        );
    }

    #[test]
    fn hostile_bytes_are_errors_not_panics_or_huge_allocations() {
        assert!(read_wkb(&[]).is_err());
        assert!(read_wkb(&[7]).is_err());
        // A polygon claiming 4 billion rings in 9 bytes.
        let mut b = vec![1u8, 3, 0, 0, 0];
        b.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(read_wkb(&b).unwrap_err().0.contains("does not fit"));
        // A MultiPolygon whose part is a MultiPolygon.
        let mut nested = vec![1u8, 6, 0, 0, 0, 1, 0, 0, 0, 1, 6, 0, 0, 0];
        nested.extend_from_slice(&0u32.to_le_bytes());
        assert!(read_wkb(&nested).is_err());
        // Trailing bytes.
        let mut point = vec![1u8, 1, 0, 0, 0];
        point.extend_from_slice(&[0; 16]);
        assert_eq!(read_wkb(&point).unwrap(), WkbGeometry::Other("Point"));
        let mut square = Vec::new();
        write_wkb(
            &MultiPolygon(vec![
                polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 0.0, y: 1.0)],
            ]),
            &mut square,
        );
        square.push(0);
        assert!(read_wkb(&square)
            .unwrap_err()
            .0
            .contains("after the geometry"));
    }
}
