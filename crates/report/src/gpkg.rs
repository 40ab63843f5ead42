//! `layers.gpkg` (feature `gdal`): the output layers — townships, violations, pbf_loss and, with
//! a previous vintage, uncovered_construction —
//! in one GeoPackage for ArcGIS and QGIS users, in the working CRS (not lon/lat like the GeoJSON
//! files), with the same fields.

use crate::geojson::{output_layers, Features};
use gdal::spatial_ref::SpatialRef;
use gdal::vector::{Feature, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType, ToGdal};
use gdal::DriverManager;
use redline_geom::Crs;
use redline_ingest::FieldType;
use redline_overlay::{County, Outcome};
use serde_json::Value;
use std::path::Path;

/// Writes `path` as a GeoPackage with the layers `townships`, `violations` and `pbf_loss`,
/// through a temporary in a unique folder beside it and a rename.
pub fn write_gpkg(
    path: &Path,
    county: &County,
    outcome: &Outcome,
    crs: &Crs,
) -> std::io::Result<()> {
    // The temporary keeps the name (GDAL wants the .gpkg extension) in a unique folder.
    crate::atomic::replace_atomic(path, |tmp| {
        create_gpkg(tmp, county, outcome, crs).map_err(std::io::Error::other)
    })
}

fn create_gpkg(path: &Path, county: &County, outcome: &Outcome, crs: &Crs) -> Result<(), String> {
    let driver = DriverManager::get_driver_by_name("GPKG").map_err(|e| e.to_string())?;
    let mut dataset = driver.create_vector_only(path).map_err(|e| e.to_string())?;
    let srs = match crs.epsg {
        Some(code) => Some(SpatialRef::from_epsg(code).map_err(|e| e.to_string())?),
        None => None,
    };
    let layers = output_layers(county, outcome);
    let mut transaction = dataset.start_transaction().map_err(|e| e.to_string())?;
    for (name, features) in layers {
        write_layer(&mut transaction, name, srs.as_ref(), &features)
            .map_err(|e| format!("layer {name}: {e}"))?;
    }
    transaction.commit().map_err(|e| e.to_string())
}

fn write_layer(
    dataset: &mut gdal::Dataset,
    name: &str,
    srs: Option<&SpatialRef>,
    features: &Features,
) -> gdal::errors::Result<()> {
    let layer = dataset.create_layer(LayerOptions {
        name,
        srs,
        ty: OGRwkbGeometryType::wkbMultiPolygon,
        options: None,
    })?;
    let fields = crate::columnar::schema(features);
    let defs: Vec<(&str, OGRFieldType::Type)> = fields
        .iter()
        .map(|f| {
            let t = match f.field_type {
                FieldType::Number => OGRFieldType::OFTReal,
                FieldType::Bool => OGRFieldType::OFTInteger,
                _ => OGRFieldType::OFTString,
            };
            (f.name.as_str(), t)
        })
        .collect();
    layer.create_defn_fields(&defs)?;
    for (geometry, props) in features {
        let mut feature = Feature::new(layer.defn())?;
        for (k, field) in fields.iter().enumerate() {
            match props.get(&field.name) {
                Some(Value::Number(n)) => {
                    feature.set_field_double(k, n.as_f64().unwrap_or(f64::NAN))?
                }
                Some(Value::Bool(b)) => feature.set_field_integer(k, i32::from(*b))?,
                Some(Value::String(s)) => feature.set_field_string(k, s)?,
                Some(Value::Null) | None => feature.set_field_null(k)?,
                Some(other) => feature.set_field_string(k, &other.to_string())?,
            }
        }
        feature.set_geometry(geometry.to_gdal()?)?;
        feature.create(&layer)?;
    }
    Ok(())
}
