//! ESRI Shapefile geometry (.shp), read record by record.
//!
//! Rings are assembled into polygons by orientation, as the format defines: clockwise rings are
//! exteriors, counter-clockwise rings are holes and belong to the smallest exterior containing
//! them. A hole that no exterior contains is kept as an exterior (GDAL does the same).

use crate::error::IngestError;
use crate::raw::{RawGeometry, RawPolygons};
use geo::Coord;
use std::io::Read;
use std::path::{Path, PathBuf};

/// A .shp file opened for sequential reading.
pub(crate) struct ShpReader<R> {
    path: PathBuf,
    reader: R,
    /// Declared file length in bytes.
    file_len: usize,
    pos: usize,
    index: usize,
}

const HEADER_LEN: usize = 100;

impl<R: Read> ShpReader<R> {
    /// Reads and checks the 100-byte header.
    pub fn open(path: &Path, mut reader: R) -> Result<Self, IngestError> {
        let mut head = [0u8; HEADER_LEN];
        reader
            .read_exact(&mut head)
            .map_err(|_| IngestError::Shapefile {
                path: path.to_path_buf(),
                feature: None,
                message: "truncated header (under 100 bytes)".into(),
            })?;
        let code = i32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        if code != 9994 {
            return Err(IngestError::Shapefile {
                path: path.to_path_buf(),
                feature: None,
                message: format!("not a shapefile (file code {code}, expected 9994)"),
            });
        }
        let words = i32::from_be_bytes([head[24], head[25], head[26], head[27]]);
        Ok(ShpReader {
            path: path.to_path_buf(),
            reader,
            file_len: words.max(0) as usize * 2,
            pos: HEADER_LEN,
            index: 0,
        })
    }

    fn fail(&self, message: impl Into<String>) -> IngestError {
        IngestError::Shapefile {
            path: self.path.clone(),
            feature: Some(self.index),
            message: message.into(),
        }
    }

    /// The next record's geometry, or `None` at the end of the file.
    pub fn next_shape(&mut self) -> Result<Option<RawGeometry>, IngestError> {
        if self.pos >= self.file_len {
            return Ok(None);
        }
        let mut head = [0u8; 8];
        self.reader
            .read_exact(&mut head)
            .map_err(|_| self.fail("truncated: record header past the end of the file"))?;
        let content_len =
            i32::from_be_bytes([head[4], head[5], head[6], head[7]]).max(0) as usize * 2;
        let mut content = vec![0u8; content_len];
        self.reader
            .read_exact(&mut content)
            .map_err(|_| self.fail(format!("truncated: the record needs {content_len} bytes")))?;
        self.pos += 8 + content_len;
        let shape = parse_record(&content).map_err(|m| self.fail(m))?;
        self.index += 1;
        Ok(Some(shape))
    }
}

fn le_i32(b: &[u8], at: usize) -> Result<i32, String> {
    b.get(at..at + 4)
        .map(|s| i32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| "record too short".to_string())
}

fn le_f64(b: &[u8], at: usize) -> Result<f64, String> {
    b.get(at..at + 8)
        .map(|s| f64::from_le_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]]))
        .ok_or_else(|| "record too short".to_string())
}

fn parse_record(content: &[u8]) -> Result<RawGeometry, String> {
    let shape_type = le_i32(content, 0)?;
    match shape_type {
        0 => return Ok(RawGeometry::Null),
        5 | 15 | 25 => {}
        1 | 11 | 21 => return Ok(RawGeometry::Other("Point".into())),
        3 | 13 | 23 => return Ok(RawGeometry::Other("PolyLine".into())),
        8 | 18 | 28 => return Ok(RawGeometry::Other("MultiPoint".into())),
        other => return Ok(RawGeometry::Other(format!("shape type {other}"))),
    }
    let parts = le_i32(content, 36)?;
    let points = le_i32(content, 40)?;
    if parts < 0 || points < 0 || 44 + parts as usize * 4 + points as usize * 16 > content.len() {
        return Err(format!(
            "polygon record claims {parts} parts and {points} points, more than it holds"
        ));
    }
    let (parts, points) = (parts as usize, points as usize);
    let starts = (0..parts)
        .map(|i| le_i32(content, 44 + 4 * i).map(|v| v as usize))
        .collect::<Result<Vec<_>, _>>()?;
    let base = 44 + 4 * parts;
    let mut rings = Vec::with_capacity(parts);
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(points);
        if start > end || end > points {
            return Err(format!(
                "part {i} has bad bounds {start}..{end} of {points} points"
            ));
        }
        let ring = (start..end)
            .map(|p| {
                Ok(Coord {
                    x: le_f64(content, base + 16 * p)?,
                    y: le_f64(content, base + 16 * p + 8)?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        rings.push(ring);
    }
    Ok(RawGeometry::Polygons(assemble(rings)))
}

fn signed_area(ring: &[Coord<f64>]) -> f64 {
    ring.windows(2)
        .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
        .sum::<f64>()
        / 2.0
}

fn contains(ring: &[Coord<f64>], p: Coord<f64>) -> bool {
    let mut inside = false;
    for w in ring.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a.y > p.y) != (b.y > p.y) && p.x < a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y) {
            inside = !inside;
        }
    }
    inside
}

/// Groups rings into polygons: clockwise (negative area) rings are exteriors.
fn assemble(rings: Vec<Vec<Coord<f64>>>) -> RawPolygons {
    let (mut outers, mut holes): (Vec<_>, Vec<_>) =
        rings.into_iter().partition(|r| signed_area(r) <= 0.0);
    if outers.is_empty() {
        // All rings counter-clockwise: a writer that ignored the convention. Treat as exteriors.
        std::mem::swap(&mut outers, &mut holes);
    }
    let mut polygons: RawPolygons = outers.into_iter().map(|o| vec![o]).collect();
    for hole in holes {
        let probe = hole.first().copied().unwrap_or(Coord {
            x: f64::NAN,
            y: f64::NAN,
        });
        let owner = polygons
            .iter()
            .enumerate()
            .filter(|(_, p)| contains(&p[0], probe))
            .min_by(|a, b| {
                signed_area(&a.1[0])
                    .abs()
                    .total_cmp(&signed_area(&b.1[0]).abs())
            })
            .map(|(i, _)| i);
        match owner {
            Some(i) => polygons[i].push(hole),
            None => polygons.push(vec![hole]),
        }
    }
    polygons
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holes_go_to_the_smallest_containing_exterior() {
        let cw = |x: f64, y: f64, s: f64| {
            [[x, y], [x, y + s], [x + s, y + s], [x + s, y], [x, y]]
                .map(|[x, y]| Coord { x, y })
                .to_vec()
        };
        let ccw = |x: f64, y: f64, s: f64| {
            let mut r = cw(x, y, s);
            r.reverse();
            r
        };
        let polys = assemble(vec![
            cw(0.0, 0.0, 100.0),
            cw(10.0, 10.0, 20.0),
            ccw(12.0, 12.0, 2.0),
            ccw(50.0, 50.0, 5.0),
        ]);
        assert_eq!(polys.len(), 2);
        assert_eq!(polys[0].len(), 2); // big square keeps the hole at (50, 50)
        assert_eq!(polys[1].len(), 2); // the small square owns the hole at (12, 12)
        assert_eq!(polys[1][1][0], Coord { x: 12.0, y: 12.0 });
    }
}
