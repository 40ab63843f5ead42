//! The GeoParquet reader (1.0 and 1.1): the `geo` metadata (primary column, encoding, PROJJSON
//! CRS, bbox covering), WKB or native GeoArrow polygons, attributes from Arrow's primitive,
//! string and dictionary columns; row groups decoded in parallel, and skipped by their bbox
//! statistics when the layer is read for a region.

use crate::collector::{Collector, Converted, Converter};
use crate::error::IngestError;
use crate::feature_collection::Declared;
use crate::raw::RawGeometry;
use crate::value::{Field, FieldType, Value};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, GenericListArray, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use geo::{Coord, Rect};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ProjectionMask;
use parquet::file::statistics::Statistics;
use rayon::prelude::*;
use redline_geom::{read_wkb, WkbGeometry};
use serde_json::Value as Json;
use std::fs::File;
use std::path::Path;

/// How the geometry column is encoded.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Encoding {
    Wkb,
    /// GeoArrow `polygon` (nesting 2) or `multipolygon` (nesting 3).
    Native {
        multi: bool,
    },
}

/// What the `geo` metadata says.
struct GeoMeta {
    column: String,
    encoding: Encoding,
    /// The CRS text: PROJJSON, `OGC:CRS84` when the key is absent (the specification's
    /// default), empty for an explicit `null` (unknown).
    crs: String,
    /// The bbox covering column's name, when there is one.
    bbox: Option<String>,
}

fn error(path: &Path, feature: Option<usize>, message: impl Into<String>) -> IngestError {
    IngestError::Binary {
        path: path.to_path_buf(),
        feature,
        message: format!("GeoParquet: {}", message.into()),
    }
}

fn geo_meta(path: &Path, meta: &ArrowReaderMetadata) -> Result<GeoMeta, IngestError> {
    let kv = meta.metadata().file_metadata().key_value_metadata();
    let text = kv
        .and_then(|kv| kv.iter().find(|e| e.key == "geo"))
        .and_then(|e| e.value.clone())
        .ok_or_else(|| {
            error(
                path,
                None,
                "no `geo` metadata: a Parquet file, but not GeoParquet",
            )
        })?;
    let geo: Json = serde_json::from_str(&text)
        .map_err(|e| error(path, None, format!("the `geo` metadata is not JSON ({e})")))?;
    let column = geo["primary_column"]
        .as_str()
        .ok_or_else(|| error(path, None, "the `geo` metadata has no primary_column"))?
        .to_string();
    let spec = &geo["columns"][&column];
    let encoding = match spec["encoding"].as_str().unwrap_or("") {
        e if e.eq_ignore_ascii_case("wkb") => Encoding::Wkb,
        "polygon" => Encoding::Native { multi: false },
        "multipolygon" => Encoding::Native { multi: true },
        other => {
            return Err(error(
                path,
                None,
                format!("column {column}: encoding {other:?} is not a polygon encoding (WKB, polygon, multipolygon)"),
            ))
        }
    };
    let crs = match spec.get("crs") {
        None => "OGC:CRS84".to_string(),
        Some(Json::Null) => String::new(),
        Some(Json::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    };
    let bbox = spec["covering"]["bbox"]["xmin"][0]
        .as_str()
        .map(str::to_string);
    Ok(GeoMeta {
        column,
        encoding,
        crs,
        bbox,
    })
}

/// Runs the Parquet crate on hostile bytes: it asserts on some malformed footers and column
/// chunks, and its panics become errors naming the file and `what` was being read.
fn guarded<T>(
    path: &Path,
    feature: Option<usize>,
    what: &str,
    decode: impl FnOnce() -> Result<T, IngestError>,
) -> Result<T, IngestError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode)).unwrap_or_else(|_| {
        Err(error(
            path,
            feature,
            format!("the Parquet decoder failed on {what}"),
        ))
    })
}

/// Reads a GeoParquet file into `collector`, row groups in parallel; with `region`, row groups
/// whose bbox statistics miss it are skipped and features whose extent misses it are not read.
pub(crate) fn read_geoparquet(
    path: &Path,
    region: Option<Rect<f64>>,
    wanted_fields: Option<&[String]>,
    collector: &mut Collector,
) -> Result<Declared, IngestError> {
    let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
    let meta = guarded(path, None, "the file's metadata", || {
        ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
            .map_err(|e| error(path, None, e.to_string()))
    })?;
    let geo = geo_meta(path, &meta)?;
    let (fields, layout) = layout(path, &meta, &geo, wanted_fields)?;
    collector.set_schema(fields);
    let groups = meta.metadata().row_groups();
    let mut first_row = Vec::with_capacity(groups.len());
    let mut rows = 0usize;
    for g in groups {
        first_row.push(rows);
        rows += usize::try_from(g.num_rows()).unwrap_or(0);
    }
    let wanted: Vec<usize> = (0..groups.len())
        .filter(|&g| match (region, &geo.bbox) {
            (Some(r), Some(bbox)) => group_may_meet(&meta, g, bbox, r),
            _ => true,
        })
        .collect();
    let converter = &collector.converter;
    let decoded: Vec<Result<Vec<Row>, IngestError>> = wanted
        .par_iter()
        .map(|&g| {
            guarded(path, Some(first_row[g]), &format!("row group {g}"), || {
                let at = (g, first_row[g]);
                read_group(path, &meta, at, &layout, geo.encoding, region, converter)
            })
        })
        .collect();
    // Rows actually decoded (the metadata's counts are the file's word, not to be trusted).
    collector
        .features
        .reserve(decoded.iter().flatten().map(Vec::len).sum());
    for group in decoded {
        for row in group? {
            collector.count = row.index;
            collector.accept(None, row.converted, row.attrs);
        }
    }
    collector.count = rows;
    Ok(Declared {
        crs: Some(geo.crs),
        name: None,
    })
}

/// The attribute fields to read (the wanted ones of the types redline reads) and where they and
/// the geometry sit in the projected batches.
fn layout(
    path: &Path,
    meta: &ArrowReaderMetadata,
    geo: &GeoMeta,
    wanted_fields: Option<&[String]>,
) -> Result<(Vec<Field>, Layout), IngestError> {
    let schema = meta.schema();
    let geometry_at = schema.index_of(&geo.column).map_err(|_| {
        error(
            path,
            None,
            format!("the geometry column {:?} is missing", geo.column),
        )
    })?;
    let columns: Vec<(usize, Field)> = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(i, f)| *i != geometry_at && Some(f.name()) != geo.bbox.as_ref())
        .filter(|(_, f)| {
            wanted_fields.is_none_or(|w| w.iter().any(|n| n.eq_ignore_ascii_case(f.name())))
        })
        .filter_map(|(i, f)| {
            Some((
                i,
                Field {
                    name: f.name().clone(),
                    field_type: field_type(f.data_type())?,
                },
            ))
        })
        .collect();
    // Only the geometry and the wanted columns are decoded (Parquet's column projection).
    let mut projected: Vec<usize> = columns.iter().map(|(i, _)| *i).collect();
    projected.push(geometry_at);
    projected.sort_unstable();
    let layout = Layout {
        mask: ProjectionMask::roots(meta.parquet_schema(), projected.iter().copied()),
        geometry: projected.binary_search(&geometry_at).unwrap_or(0),
        attributes: columns
            .iter()
            .map(|(i, _)| projected.binary_search(i).unwrap_or(0))
            .collect(),
    };
    Ok((columns.into_iter().map(|(_, f)| f).collect(), layout))
}

/// One decoded, validated row.
struct Row {
    index: usize,
    converted: Converted,
    attrs: Vec<Value>,
}

/// Whether a row group's bbox column statistics can meet the region.
fn group_may_meet(meta: &ArrowReaderMetadata, g: usize, bbox: &str, r: Rect<f64>) -> bool {
    let group = &meta.metadata().row_groups()[g];
    let stat = |leaf: &str, min: bool| -> Option<f64> {
        let column = group
            .columns()
            .iter()
            .find(|c| c.column_descr().path().string() == format!("{bbox}.{leaf}"))?;
        match column.statistics()? {
            Statistics::Double(s) => if min { s.min_opt() } else { s.max_opt() }.copied(),
            Statistics::Float(s) => {
                if min { s.min_opt() } else { s.max_opt() }.map(|v| f64::from(*v))
            }
            _ => None,
        }
    };
    !(stat("xmin", true).is_some_and(|v| v > r.max().x)
        || stat("ymin", true).is_some_and(|v| v > r.max().y)
        || stat("xmax", false).is_some_and(|v| v < r.min().x)
        || stat("ymax", false).is_some_and(|v| v < r.min().y))
}

/// Which columns are decoded, and where the geometry and each attribute sit in a batch.
struct Layout {
    mask: ProjectionMask,
    geometry: usize,
    attributes: Vec<usize>,
}

fn read_group(
    path: &Path,
    meta: &ArrowReaderMetadata,
    (g, first_row): (usize, usize),
    layout: &Layout,
    encoding: Encoding,
    region: Option<Rect<f64>>,
    converter: &Converter,
) -> Result<Vec<Row>, IngestError> {
    let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
    let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta.clone())
        .with_row_groups(vec![g])
        .with_projection(layout.mask.clone())
        .with_batch_size(8192)
        .build()
        .map_err(|e| error(path, Some(first_row), e.to_string()))?;
    // The group's declared row count, up to a bound: it is the file's word.
    let declared = meta.metadata().row_groups()[g].num_rows();
    let mut out = Vec::with_capacity(usize::try_from(declared).unwrap_or(0).min(1 << 20));
    let mut index = first_row;
    for batch in reader {
        let batch = batch.map_err(|e| error(path, Some(index), e.to_string()))?;
        let geometries = geometries(&batch, layout.geometry, encoding).map_err(|m| {
            error(
                path,
                Some(index),
                format!(
                    "column {}: {m}",
                    batch.schema().field(layout.geometry).name()
                ),
            )
        })?;
        for (k, raw) in geometries.into_iter().enumerate() {
            let at = index + k;
            if region.is_some_and(|r| !raw.meets(r)) {
                continue;
            }
            let attrs = layout
                .attributes
                .iter()
                .map(|c| value(batch.column(*c), k))
                .collect();
            out.push(Row {
                index: at,
                converted: converter.convert(raw),
                attrs,
            });
        }
        index += batch.num_rows();
    }
    Ok(out)
}

/// The attribute types redline reads; other columns (dates, nested types) are left out.
fn field_type(t: &DataType) -> Option<FieldType> {
    Some(match t {
        DataType::Boolean => FieldType::Bool,
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => FieldType::Number,
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => {
            FieldType::Number
        }
        DataType::Float32 | DataType::Float64 => FieldType::Number,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => FieldType::Text,
        DataType::Dictionary(_, v) if field_type(v) == Some(FieldType::Text) => FieldType::Text,
        // Dates and timestamps as ISO dates (what the 三调 date fields hold).
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(_, _) => FieldType::Text,
        DataType::Null => FieldType::Null,
        _ => return None,
    })
}

/// Row `k` of an attribute column.
fn value(a: &ArrayRef, k: usize) -> Value {
    if a.is_null(k) {
        return Value::Null;
    }
    let n = |v: f64| Value::Number(v);
    match a.data_type() {
        DataType::Boolean => Value::Bool(a.as_boolean().value(k)),
        DataType::Int8 => n(f64::from(a.as_primitive::<Int8Type>().value(k))),
        DataType::Int16 => n(f64::from(a.as_primitive::<Int16Type>().value(k))),
        DataType::Int32 => n(f64::from(a.as_primitive::<Int32Type>().value(k))),
        DataType::Int64 => n(a.as_primitive::<Int64Type>().value(k) as f64),
        DataType::UInt8 => n(f64::from(a.as_primitive::<UInt8Type>().value(k))),
        DataType::UInt16 => n(f64::from(a.as_primitive::<UInt16Type>().value(k))),
        DataType::UInt32 => n(f64::from(a.as_primitive::<UInt32Type>().value(k))),
        DataType::UInt64 => n(a.as_primitive::<UInt64Type>().value(k) as f64),
        DataType::Float32 => n(f64::from(a.as_primitive::<Float32Type>().value(k))),
        DataType::Float64 => n(a.as_primitive::<Float64Type>().value(k)),
        DataType::Utf8 => Value::Text(a.as_string::<i32>().value(k).into()),
        DataType::LargeUtf8 => Value::Text(a.as_string::<i64>().value(k).into()),
        DataType::Utf8View => Value::Text(a.as_string_view().value(k).into()),
        DataType::Date32 => iso_date(i64::from(a.as_primitive::<Date32Type>().value(k))),
        DataType::Date64 => iso_date(
            a.as_primitive::<Date64Type>()
                .value(k)
                .div_euclid(MS_PER_DAY),
        ),
        DataType::Timestamp(unit, _) => {
            let per_day = match unit {
                TimeUnit::Second => 86_400,
                TimeUnit::Millisecond => MS_PER_DAY,
                TimeUnit::Microsecond => MS_PER_DAY * 1_000,
                TimeUnit::Nanosecond => MS_PER_DAY * 1_000_000,
            };
            let raw = match unit {
                TimeUnit::Second => a.as_primitive::<TimestampSecondType>().value(k),
                TimeUnit::Millisecond => a.as_primitive::<TimestampMillisecondType>().value(k),
                TimeUnit::Microsecond => a.as_primitive::<TimestampMicrosecondType>().value(k),
                TimeUnit::Nanosecond => a.as_primitive::<TimestampNanosecondType>().value(k),
            };
            iso_date(raw.div_euclid(per_day))
        }
        DataType::Dictionary(_, _) => {
            let Some(d) = a.as_any_dictionary_opt() else {
                return Value::Null;
            };
            let key = d.normalized_keys()[k];
            value(d.values(), key)
        }
        _ => Value::Null,
    }
}

const MS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 as `YYYY-MM-DD` (the proleptic Gregorian calendar; H. Hinnant's
/// civil-from-days).
fn iso_date(days: i64) -> Value {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Value::Text(format!("{year:04}-{month:02}-{day:02}").as_str().into())
}

/// The geometry column of a batch, row by row.
fn geometries(
    batch: &RecordBatch,
    at: usize,
    encoding: Encoding,
) -> Result<Vec<RawGeometry>, String> {
    let a = batch.column(at);
    let wkb = |bytes: Option<&[u8]>| match bytes {
        None => RawGeometry::Null,
        Some(b) => match read_wkb(b) {
            Ok(WkbGeometry::Polygons(p)) => RawGeometry::Polygons(p),
            Ok(WkbGeometry::Other(kind)) => RawGeometry::Other(kind.into()),
            Err(e) => RawGeometry::Malformed(e.to_string()),
        },
    };
    match (encoding, a.data_type()) {
        (Encoding::Wkb, DataType::Binary) => Ok(a.as_binary::<i32>().iter().map(wkb).collect()),
        (Encoding::Wkb, DataType::LargeBinary) => {
            Ok(a.as_binary::<i64>().iter().map(wkb).collect())
        }
        (Encoding::Wkb, DataType::BinaryView) => Ok(a.as_binary_view().iter().map(wkb).collect()),
        (Encoding::Native { multi }, DataType::List(_)) => native(a.as_list::<i32>(), multi),
        (Encoding::Native { multi }, DataType::LargeList(_)) => native(a.as_list::<i64>(), multi),
        (_, t) => Err(format!("type {t} does not match its encoding {encoding:?}")),
    }
}

/// Lists at every level of a native GeoArrow geometry: `List<List<coords>>` for polygons,
/// one more level for multipolygons.
fn native<O: arrow_array::OffsetSizeTrait>(
    list: &GenericListArray<O>,
    multi: bool,
) -> Result<Vec<RawGeometry>, String> {
    (0..list.len())
        .map(|k| {
            if list.is_null(k) {
                return Ok(RawGeometry::Null);
            }
            let item = list.value(k);
            let polygons = if multi {
                items(&item)?.iter().map(rings).collect::<Result<_, _>>()?
            } else {
                vec![rings(&item)?]
            };
            Ok(RawGeometry::Polygons(polygons))
        })
        .collect()
}

/// The items of a list array of either offset width.
fn items(a: &ArrayRef) -> Result<Vec<ArrayRef>, String> {
    match a.data_type() {
        DataType::List(_) => Ok(a.as_list::<i32>().iter().flatten().collect()),
        DataType::LargeList(_) => Ok(a.as_list::<i64>().iter().flatten().collect()),
        t => Err(format!("a GeoArrow list was expected, found {t}")),
    }
}

fn rings(polygon: &ArrayRef) -> Result<Vec<Vec<Coord<f64>>>, String> {
    items(polygon)?.iter().map(coords).collect()
}

/// GeoArrow coordinates: separated (`Struct<x, y, …>`) or interleaved (`FixedSizeList<2..4>`).
fn coords(a: &ArrayRef) -> Result<Vec<Coord<f64>>, String> {
    match a.data_type() {
        DataType::Struct(_) => {
            let s = a.as_struct();
            let axis = |name: &str| {
                s.column_by_name(name)
                    .and_then(|c| c.as_primitive_opt::<Float64Type>())
                    .ok_or_else(|| format!("GeoArrow coordinates without a float64 {name}"))
            };
            let (x, y) = (axis("x")?, axis("y")?);
            Ok((0..s.len())
                .map(|i| Coord {
                    x: x.value(i),
                    y: y.value(i),
                })
                .collect())
        }
        DataType::FixedSizeList(_, width @ 2..=4) => {
            let l = a.as_fixed_size_list();
            let v = l
                .values()
                .as_primitive_opt::<Float64Type>()
                .ok_or("GeoArrow interleaved coordinates that are not float64")?;
            let w = *width as usize;
            let start = l.offset() * w;
            Ok((0..l.len())
                .map(|i| Coord {
                    x: v.value(start + i * w),
                    y: v.value(start + i * w + 1),
                })
                .collect())
        }
        t => Err(format!("GeoArrow coordinates of type {t}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_since_the_epoch_become_iso_dates() {
        let text = |d| iso_date(d).as_text().unwrap();
        assert_eq!(text(0), "1970-01-01");
        assert_eq!(text(-1), "1969-12-31");
        // 2024-02-29: 19 782 days after the epoch (Python: date(2024,2,29) - date(1970,1,1)).
        assert_eq!(text(19_782), "2024-02-29");
        assert_eq!(text(20_088), "2024-12-31");
    }
}
