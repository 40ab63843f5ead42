//! The output layers as GeoParquet (`*.parquet`) or FlatGeobuf (`*.fgb`): the same features and
//! fields as the GeoJSON files, in the working CRS (PROJJSON / EPSG code in the file) where
//! redline can describe it, else in WGS 84 lon/lat.

use crate::geojson::{lonlat_features, Features};
use redline_geom::{Crs, TransformError};
use redline_ingest::{Field, FieldType, Format, LayerSink, SinkLayer, Value};
use serde_json::Value as Json;

/// Field names in first-seen order with their types (from the first non-null value): what
/// every written layer format declares.
pub(crate) fn schema(features: &Features) -> Vec<Field> {
    let mut fields: Vec<Field> = Vec::new();
    for (_, props) in features {
        for (key, value) in props {
            let field_type = match value {
                Json::Number(_) => FieldType::Number,
                Json::Bool(_) => FieldType::Bool,
                Json::Null => continue,
                _ => FieldType::Text,
            };
            if !fields.iter().any(|f| &f.name == key) {
                fields.push(Field {
                    name: key.clone(),
                    field_type,
                });
            }
        }
    }
    fields
}

fn value(v: Option<&Json>) -> Value {
    match v {
        None | Some(Json::Null) => Value::Null,
        Some(Json::Number(n)) => n.as_f64().map_or(Value::Null, Value::Number),
        Some(Json::Bool(b)) => Value::Bool(*b),
        Some(Json::String(s)) => Value::Text(s.as_str().into()),
        Some(other) => Value::Text(other.to_string().as_str().into()),
    }
}

/// One output layer in `format` (GeoParquet or FlatGeobuf), as the file's bytes.
pub fn layer_bytes(
    format: Format,
    name: &str,
    features: Features,
    crs: &Crs,
) -> Result<Vec<u8>, ColumnarError> {
    let (features, crs) = if crs.to_projjson().is_some() {
        (features, Some(crs))
    } else {
        (lonlat_features(features, crs)?, None)
    };
    let fields = schema(&features);
    let layer = SinkLayer {
        name,
        crs,
        fields: &fields,
    };
    let mut sink = LayerSink::create(format, Vec::new(), layer)?;
    for (geometry, props) in &features {
        let values: Vec<Value> = fields.iter().map(|f| value(props.get(&f.name))).collect();
        sink.write(geometry, &values)?;
    }
    Ok(sink.finish()?)
}

/// Why a GeoParquet or FlatGeobuf layer could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ColumnarError {
    /// The move to lon/lat failed.
    #[error(transparent)]
    Transform(#[from] TransformError),
    /// The encoder failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
