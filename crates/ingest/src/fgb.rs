//! The FlatGeobuf reader: header CRS and columns, Polygon/MultiPolygon geometry straight from
//! the flatbuffers, properties decoded with bounds checks (a hostile file gets an error, not a
//! panic); with a region, the packed R-tree picks the features to read.

use crate::collector::{Collector, BATCH};
use crate::error::IngestError;
use crate::feature_collection::Declared;
use crate::raw::RawGeometry;
use crate::value::{Field, FieldType, Value};
use flatgeobuf::packed_r_tree::PackedRTree;
use flatgeobuf::{
    ColumnType, FallibleStreamingIterator, FgbReader, Geometry, GeometryType, Header,
};
use geo::{Coord, Rect};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

fn error(path: &Path, feature: Option<usize>, message: impl std::fmt::Display) -> IngestError {
    IngestError::Binary {
        path: path.to_path_buf(),
        feature,
        message: format!("FlatGeobuf: {message}"),
    }
}

/// The header's CRS as text redline reads: `EPSG:code`, else its WKT.
fn crs_text(header: &Header<'_>) -> Option<String> {
    let crs = header.crs()?;
    let org = crs.org().unwrap_or("EPSG");
    if crs.code() > 0 && org.eq_ignore_ascii_case("EPSG") {
        return Some(format!("EPSG:{}", crs.code()));
    }
    crs.wkt()
        .map(str::to_string)
        .or_else(|| crs.code_string().map(|c| format!("{org}:{c}")))
}

fn column_type(t: ColumnType) -> FieldType {
    match t {
        ColumnType::Bool => FieldType::Bool,
        ColumnType::String | ColumnType::Json | ColumnType::DateTime => FieldType::Text,
        ColumnType::Binary => FieldType::Null,
        _ => FieldType::Number,
    }
}

/// Reads a FlatGeobuf file into `collector`; with `region` and a packed R-tree, only the features
/// whose boxes meet it (without an index, every feature: `read_layer` drops the rest).
pub(crate) fn read_fgb(
    path: &Path,
    region: Option<Rect<f64>>,
    collector: &mut Collector,
) -> Result<Declared, IngestError> {
    let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
    let reader = FgbReader::open(BufReader::with_capacity(1 << 20, file))
        .map_err(|e| error(path, None, e))?;
    let header = reader.header();
    let declared = Declared {
        crs: crs_text(&header),
        name: header.name().filter(|n| !n.is_empty()).map(str::to_string),
    };
    let columns: Vec<(String, ColumnType)> = header
        .columns()
        .map(|cs| {
            cs.iter()
                .map(|c| (c.name().to_string(), c.type_()))
                .collect()
        })
        .unwrap_or_default();
    collector.set_schema(
        columns
            .iter()
            .map(|(name, t)| Field {
                name: name.clone(),
                field_type: column_type(*t),
            })
            .collect(),
    );
    check_sizes(path, &header)?;
    let layer_type = header.geometry_type();
    let indexed =
        header.index_node_size() == PackedRTree::DEFAULT_NODE_SIZE && header.features_count() > 0;
    let mut features = match region {
        Some(r) if indexed => reader.select_bbox(r.min().x, r.min().y, r.max().x, r.max().y),
        _ => reader.select_all(),
    }
    .map_err(|e| error(path, None, e))?;
    let mut batch = Vec::with_capacity(BATCH);
    let mut index = 0usize;
    while let Some(feature) = features.next().map_err(|e| error(path, Some(index), e))? {
        let raw = match feature.geometry() {
            None => RawGeometry::Null,
            Some(g) => raw_geometry(&g, layer_type),
        };
        let bytes = feature
            .fbs_feature()
            .properties()
            .map(|p| p.bytes())
            .unwrap_or(&[]);
        let attrs = properties(bytes, &columns).map_err(|m| error(path, Some(index), m))?;
        batch.push((None, raw, attrs));
        if batch.len() == BATCH {
            collector.accept_batch(std::mem::take(&mut batch));
        }
        index += 1;
    }
    collector.accept_batch(batch);
    Ok(declared)
}

/// Checks every size the file declares against its length before the crate reads it: the
/// crate allocates a feature's buffer from its size prefix, so a 700-byte file claiming a
/// 4 GB feature would make it allocate 4 GB (found by fuzzing), and an index node size of 1
/// trips an assertion.
fn check_sizes(path: &Path, header: &Header<'_>) -> Result<(), IngestError> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = BufReader::new(File::open(path).map_err(|e| IngestError::io(path, e))?);
    let len = file
        .get_ref()
        .metadata()
        .map_err(|e| IngestError::io(path, e))?
        .len();
    let mut word = [0u8; 4];
    file.seek(SeekFrom::Start(8))
        .and_then(|_| file.read_exact(&mut word))
        .map_err(|e| IngestError::io(path, e))?;
    let header_size = u64::from(u32::from_le_bytes(word));
    let (count, node) = (header.features_count(), header.index_node_size());
    if node == 1 {
        return Err(error(path, None, "an index node size of 1 (at least 2)"));
    }
    if count > len {
        return Err(error(
            path,
            None,
            format!("the header claims {count} features in {len} bytes"),
        ));
    }
    let index = match (node, count) {
        (0, _) | (_, 0) => 0,
        _ => PackedRTree::index_size(count as usize, node) as u64,
    };
    let mut at = 12 + header_size + index;
    if at > len {
        return Err(error(
            path,
            None,
            format!("the header and index claim {at} bytes of {len}"),
        ));
    }
    file.seek(SeekFrom::Start(at))
        .map_err(|e| IngestError::io(path, e))?;
    let mut k = 0usize;
    while at < len {
        if at + 4 > len {
            return Err(error(
                path,
                Some(k),
                "a size prefix cut short at the end of the file",
            ));
        }
        file.read_exact(&mut word)
            .map_err(|e| IngestError::io(path, e))?;
        let size = u64::from(u32::from_le_bytes(word));
        if at + 4 + size > len {
            return Err(error(
                path,
                Some(k),
                format!("a feature of {size} bytes runs past the end of the file"),
            ));
        }
        file.seek_relative(size as i64)
            .map_err(|e| IngestError::io(path, e))?;
        at += 4 + size;
        k += 1;
    }
    Ok(())
}

/// Rings of one polygon: `xy` split at `ends` (one ring when `ends` is absent).
fn polygon(g: &Geometry<'_>) -> Result<Vec<Vec<Coord<f64>>>, String> {
    let xy: Vec<f64> = g.xy().map(|v| v.iter().collect()).unwrap_or_default();
    if !xy.len().is_multiple_of(2) {
        return Err("an odd number of ordinates".into());
    }
    let n = xy.len() / 2;
    let ends: Vec<usize> = match g.ends() {
        Some(e) => e.iter().map(|v| v as usize).collect(),
        None => vec![n],
    };
    let mut rings = Vec::with_capacity(ends.len());
    let mut start = 0;
    for end in ends {
        if end < start || end > n {
            return Err(format!("ring end {end} outside the {n} positions"));
        }
        rings.push(
            (start..end)
                .map(|i| Coord {
                    x: xy[2 * i],
                    y: xy[2 * i + 1],
                })
                .collect(),
        );
        start = end;
    }
    Ok(rings)
}

fn raw_geometry(g: &Geometry<'_>, layer_type: GeometryType) -> RawGeometry {
    let t = if layer_type == GeometryType::Unknown {
        g.type_()
    } else {
        layer_type
    };
    let result = match t {
        GeometryType::Polygon => polygon(g).map(|p| vec![p]),
        GeometryType::MultiPolygon => match g.parts() {
            Some(parts) => parts.iter().map(|p| polygon(&p)).collect(),
            None => polygon(g).map(|p| vec![p]),
        },
        other => return RawGeometry::Other(format!("{other:?}")),
    };
    match result {
        Ok(p) => RawGeometry::Polygons(p.into_iter().filter(|r| !r.is_empty()).collect()),
        Err(why) => RawGeometry::Malformed(why),
    }
}

/// Decodes a feature's property bytes: (u16 column, value) pairs in the header's types.
fn properties(bytes: &[u8], columns: &[(String, ColumnType)]) -> Result<Vec<Value>, String> {
    let mut values = vec![Value::Null; columns.len()];
    let mut at = 0usize;
    let take = |at: &mut usize, n: usize| -> Result<&[u8], String> {
        let end = at
            .checked_add(n)
            .filter(|&e| e <= bytes.len())
            .ok_or("properties end early")?;
        let s = &bytes[*at..end];
        *at = end;
        Ok(s)
    };
    let fixed = |at: &mut usize, n: usize| -> Result<[u8; 8], String> {
        let mut b = [0u8; 8];
        b[..n].copy_from_slice(take(at, n)?);
        Ok(b)
    };
    while at + 1 < bytes.len() {
        let c = u16::from_le_bytes([bytes[at], bytes[at + 1]]) as usize;
        at += 2;
        let (_, t) = columns
            .get(c)
            .ok_or(format!("property of column {c}, which the header lacks"))?;
        let n = |v: f64| Value::Number(v);
        values[c] = match *t {
            ColumnType::Bool => Value::Bool(take(&mut at, 1)?[0] != 0),
            ColumnType::Byte => n(f64::from(take(&mut at, 1)?[0] as i8)),
            ColumnType::UByte => n(f64::from(take(&mut at, 1)?[0])),
            ColumnType::Short => n(f64::from(i16::from_le_bytes(
                fixed(&mut at, 2)?[..2].try_into().unwrap_or_default(),
            ))),
            ColumnType::UShort => n(f64::from(u16::from_le_bytes(
                fixed(&mut at, 2)?[..2].try_into().unwrap_or_default(),
            ))),
            ColumnType::Int => n(f64::from(i32::from_le_bytes(
                fixed(&mut at, 4)?[..4].try_into().unwrap_or_default(),
            ))),
            ColumnType::UInt => n(f64::from(u32::from_le_bytes(
                fixed(&mut at, 4)?[..4].try_into().unwrap_or_default(),
            ))),
            ColumnType::Long => n(i64::from_le_bytes(fixed(&mut at, 8)?) as f64),
            ColumnType::ULong => n(u64::from_le_bytes(fixed(&mut at, 8)?) as f64),
            ColumnType::Float => n(f64::from(f32::from_le_bytes(
                fixed(&mut at, 4)?[..4].try_into().unwrap_or_default(),
            ))),
            ColumnType::Double => n(f64::from_le_bytes(fixed(&mut at, 8)?)),
            ColumnType::String | ColumnType::Json | ColumnType::DateTime | ColumnType::Binary => {
                let len = u32::from_le_bytes(fixed(&mut at, 4)?[..4].try_into().unwrap_or_default())
                    as usize;
                let raw = take(&mut at, len)?;
                if *t == ColumnType::Binary {
                    Value::Null
                } else {
                    Value::Text(String::from_utf8_lossy(raw).as_ref().into())
                }
            }
            other => return Err(format!("column {c} has type {other:?}")),
        };
    }
    Ok(values)
}
