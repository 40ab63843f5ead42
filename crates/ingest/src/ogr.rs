//! Any OGR vector source through GDAL (feature `gdal`): GeoPackage, FileGDB (OpenFileGDB), GML,
//! MapInfo, zipped sources through `/vsizip/`. A `Dataset` is `Send` but not `Sync`, so one
//! thread reads the source and converts every feature to plain values; validation then runs in
//! parallel batches like every other reader.

use crate::collector::{Collector, BATCH};
use crate::curves::surface_from_wkb;
use crate::raw::RawGeometry;
use crate::value::{Field, FieldType, Value};
use crate::IngestError;
use gdal::vector::{
    geometry_type_flatten, FieldValue, Geometry, LayerAccess, OGRFieldType, OGRwkbGeometryType,
};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use geo::Coord;
use redline_geom::Crs;
use std::path::Path;

/// What an OGR source declares: its CRS (`EPSG:n` or WKT) and the layer's name.
pub(crate) struct OgrDeclared {
    pub crs: Option<String>,
    pub name: String,
}

fn error(path: &Path, message: impl Into<String>) -> IngestError {
    IngestError::Ogr {
        path: path.to_path_buf(),
        feature: None,
        message: message.into(),
    }
}

/// Reads layer `layer` (the first one when `None`) of the source at `path`. `encoding` is passed
/// as the per-file `ENCODING` open option (shapefiles), never as the process-global
/// `SHAPE_ENCODING`.
pub(crate) fn read_ogr(
    path: &Path,
    layer: Option<&str>,
    encoding: Option<&str>,
    collector: &mut Collector,
) -> Result<OgrDeclared, IngestError> {
    let source = ogr_name(path);
    let option = encoding.map(|e| format!("ENCODING={e}"));
    let options: Vec<&str> = option.iter().map(String::as_str).collect();
    let dataset = Dataset::open_ex(
        &source,
        DatasetOptions {
            open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
            open_options: Some(&options),
            ..Default::default()
        },
    )
    .map_err(|e| error(path, format!("GDAL cannot open it: {e}")))?;
    let mut source_layer = match layer {
        Some(name) => dataset.layer_by_name(name).map_err(|_| {
            let names: Vec<String> = dataset.layers().map(|l| l.name()).collect();
            error(
                path,
                format!("has no layer {name:?} (layers: {})", names.join(", ")),
            )
        })?,
        None => dataset.layer(0).map_err(|_| error(path, "has no layers"))?,
    };
    let crs = source_layer.spatial_ref().map(|srs| declared_crs(&srs));
    let fields: Vec<Field> = source_layer
        .defn()
        .fields()
        .map(|f| Field {
            name: f.name(),
            field_type: field_type(f.field_type()),
        })
        .collect();
    let width = fields.len();
    collector.set_schema(fields);
    let name = source_layer.name();
    // A shapefile's fid is only the record number: like the pure-Rust reader, give no id.
    let fid_is_id = dataset.driver().short_name() != "ESRI Shapefile";
    let mut batch = Vec::with_capacity(BATCH);
    for feature in source_layer.features() {
        let index = collector.count + batch.len();
        let mut values = Vec::with_capacity(width);
        for k in 0..width {
            let value = feature.field(k).map_err(|e| IngestError::Ogr {
                path: path.to_path_buf(),
                feature: Some(index),
                message: format!("field {k}: {e}"),
            })?;
            values.push(value.map_or(Value::Null, value_of));
        }
        let geometry = feature.geometry().map_or(RawGeometry::Null, raw_geometry);
        let id = feature
            .fid()
            .filter(|_| fid_is_id)
            .map(|fid| fid.to_string());
        batch.push((id, geometry, values));
        if batch.len() == BATCH {
            collector.accept_batch(std::mem::take(&mut batch));
        }
    }
    collector.accept_batch(batch);
    Ok(OgrDeclared { crs, name })
}

/// The CRS as redline's parser takes it: `EPSG:n` where redline knows the code, else the PROJ
/// string GDAL derives (any transverse Mercator, UTM or geographic CRS), else the WKT.
fn declared_crs(srs: &gdal::spatial_ref::SpatialRef) -> String {
    // A datum shift (TOWGS84 in the .prj) lives only in the PROJ string: GDAL's authority code
    // is the code of the CRS without it.
    let proj4 = srs.to_proj4().unwrap_or_default();
    let shift = Crs::from_proj_string(&proj4).is_ok_and(|crs| crs.towgs84.is_some());
    if shift {
        return proj4;
    }
    if let (Some(auth), Ok(code)) = (srs.auth_name(), srs.auth_code()) {
        let epsg = format!("EPSG:{code}");
        if auth == "EPSG" && Crs::from_user(&epsg).is_ok() {
            return epsg;
        }
    }
    // The PROJ string even when redline cannot use it: its error then names the projection.
    if proj4.is_empty() {
        srs.to_wkt().unwrap_or_default()
    } else {
        proj4
    }
}

/// The name GDAL opens: zip archives go through `/vsizip/`.
fn ogr_name(path: &Path) -> String {
    let text = path.to_string_lossy();
    let zipped = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    if zipped && !text.starts_with("/vsizip/") {
        format!("/vsizip/{text}")
    } else {
        text.into_owned()
    }
}

fn field_type(t: OGRFieldType::Type) -> FieldType {
    match t {
        OGRFieldType::OFTInteger | OGRFieldType::OFTInteger64 | OGRFieldType::OFTReal => {
            FieldType::Number
        }
        _ => FieldType::Text,
    }
}

fn value_of(value: FieldValue) -> Value {
    match value {
        FieldValue::IntegerValue(v) => Value::Number(f64::from(v)),
        // Ids above 2^53 lose digits as numbers: keep them exact as text.
        FieldValue::Integer64Value(v) if v.unsigned_abs() > 1 << 53 => {
            Value::Text(v.to_string().into())
        }
        FieldValue::Integer64Value(v) => Value::Number(v as f64),
        FieldValue::RealValue(v) => Value::Number(v),
        FieldValue::StringValue(v) => Value::Text(v.into()),
        FieldValue::DateValue(d) => Value::Text(d.to_string().into()),
        FieldValue::DateTimeValue(d) => Value::Text(d.to_string().into()),
        other => Value::Text(format!("{other:?}").into()),
    }
}

/// Polygon and MultiPolygon (any Z/M flavour) become rings of 2-D coordinates; other types are
/// reported by name (curved geometries included: GDAL's linearisation is not wrapped yet).
fn raw_geometry(geometry: &Geometry) -> RawGeometry {
    match geometry_type_flatten(geometry.geometry_type()) {
        OGRwkbGeometryType::wkbPolygon => RawGeometry::Polygons(vec![polygon(geometry)]),
        OGRwkbGeometryType::wkbMultiPolygon => RawGeometry::Polygons(
            (0..geometry.geometry_count())
                .map(|i| polygon(&geometry.get_geometry(i)))
                .collect(),
        ),
        _ if geometry.is_empty() => RawGeometry::Null,
        OGRwkbGeometryType::wkbCurvePolygon | OGRwkbGeometryType::wkbMultiSurface => match geometry
            .iso_wkb()
            .map_err(|e| e.to_string())
            .and_then(|wkb| surface_from_wkb(&wkb))
        {
            Ok(rings) => RawGeometry::Polygons(rings),
            Err(e) => RawGeometry::Other(format!("{} ({e})", geometry.geometry_name())),
        },
        _ => RawGeometry::Other(geometry.geometry_name()),
    }
}

fn polygon(polygon: &Geometry) -> Vec<Vec<Coord<f64>>> {
    let mut points = Vec::new();
    (0..polygon.geometry_count())
        .map(|r| {
            points.clear();
            polygon.get_geometry(r).get_points(&mut points);
            points.iter().map(|&(x, y, _)| Coord { x, y }).collect()
        })
        .collect()
}
