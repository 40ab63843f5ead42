//! GeoJSON outputs in RFC 7946 form: lon/lat (WGS 84 / CGCS2000, the same at this scale),
//! exteriors counter-clockwise, no `crs` member. `townships.geojson` carries every township's
//! headline metrics; `violations.geojson` the illegal parts of change patches; `pbf_loss.geojson`
//! the basic-farmland pieces that are construction land now.

use geo::MultiPolygon;
use rayon::prelude::*;
use redline_geom::{Crs, TransformError, Transformer};
use redline_overlay::{County, Metrics, Outcome};
use serde_json::{json, Map, Value};
use std::fmt::Write as _;

fn coordinates(mp: &MultiPolygon<f64>) -> String {
    let mut out = String::new();
    redline_geom::push_multipolygon_coordinates(&mut out, mp, |o, c| {
        let _ = write!(o, "{:.10},{:.10}", c.x, c.y);
    });
    out
}

/// A FeatureCollection, one feature per line.
fn collection(name: &str, features: Features) -> String {
    let mut out = format!(
        "{{\"type\":\"FeatureCollection\",\"name\":{},\"features\":[\n",
        json!(name)
    );
    for (k, (g, props)) in features.iter().enumerate() {
        if k > 0 {
            out.push_str(",\n");
        }
        let _ = write!(
            out,
            "{{\"type\":\"Feature\",\"properties\":{},\"geometry\":{{\"type\":\"MultiPolygon\",\"coordinates\":{}}}}}",
            Value::Object(props.clone()),
            coordinates(g)
        );
    }
    out.push_str("\n]}\n");
    out
}

/// The decimals of lon/lat in the GeoJSON outputs (1e-10° is about 10 µm).
const LONLAT_DECIMALS: i32 = 10;

/// Geometry from the working CRS to lon/lat, valid as written at [`LONLAT_DECIMALS`].
fn lonlat(mut g: MultiPolygon<f64>, t: &Transformer) -> Result<MultiPolygon<f64>, TransformError> {
    t.multipolygon(&mut g)?;
    Ok(redline_geom::valid_for_output(g, Some(LONLAT_DECIMALS)))
}

/// The transformation the GeoJSON outputs take from the working CRS to WGS 84 lon/lat; fails
/// for a local datum (Xian 1980, Beijing 1954) without `towgs84`, which a run checks before
/// the overlay.
pub fn to_wgs84(crs: &Crs) -> Result<Transformer, TransformError> {
    let wgs84 = Crs::from_epsg(4326).map_err(|e| TransformError::Setup {
        crs: "EPSG:4326".into(),
        message: e.to_string(),
    })?;
    Transformer::new(crs, &wgs84)
}

fn round(v: f64, digits: i32) -> Value {
    let f = 10f64.powi(digits);
    json!((v * f).round() / f)
}

fn metrics_props(m: &Metrics) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("code".into(), json!(m.code));
    p.insert("name".into(), json!(m.name));
    p.insert(
        "cultivated_net_m2".into(),
        round(m.landuse.cultivated_net, 2),
    );
    p.insert(
        "cultivated_target_m2".into(),
        m.landuse
            .cultivated_target
            .map_or(Value::Null, |v| round(v, 2)),
    );
    p.insert(
        "retention_ratio".into(),
        m.landuse
            .retention_ratio
            .map_or(Value::Null, |v| round(v, 6)),
    );
    if let Some(b) = &m.pbf {
        p.insert("pbf_area_m2".into(), round(b.area, 2));
        p.insert("pbf_construction_m2".into(), round(b.construction, 2));
        p.insert(
            "pbf_cultivated_ratio".into(),
            b.cultivated_ratio.map_or(Value::Null, |v| round(v, 6)),
        );
    }
    if let Some(b) = &m.balance {
        p.insert("balanced".into(), json!(b.balanced()));
    }
    if let Some(v) = &m.violations {
        p.insert(
            "illegal_cultivated_m2".into(),
            round(v.illegal_cultivated, 2),
        );
        p.insert("illegal_ratio".into(), round(v.illegal_ratio, 6));
        p.insert("interview".into(), json!(v.interview));
        p.insert("accountability".into(), json!(v.accountability));
    }
    p
}

/// One output layer: geometry in the working CRS and each feature's properties.
pub type Features = Vec<(MultiPolygon<f64>, Map<String, Value>)>;

/// Township polygons with their metrics, in township-code order.
pub fn township_features(county: &County, outcome: &Outcome) -> Features {
    // In parallel: a township's boundary is a large polygon to check for output.
    outcome
        .townships
        .par_iter()
        .filter_map(|m| {
            let town = county.townships.iter().find(|x| x.code == m.code)?;
            let geometry = redline_geom::valid_for_output(town.geometry.clone(), None);
            Some((geometry, metrics_props(m)))
        })
        .collect()
}

/// The illegal parts of change patches (illegal and partial verdicts).
pub fn violation_features(outcome: &Outcome) -> Features {
    outcome
        .violations
        .iter()
        .map(|v| {
            let mut p = Map::new();
            p.insert("patch".into(), json!(v.patch));
            p.insert("township".into(), json!(v.township));
            p.insert("verdict".into(), json!(v.verdict.name()));
            p.insert("illegal_m2".into(), round(v.area, 2));
            p.insert("illegal_cultivated_m2".into(), round(v.cultivated, 2));
            p.insert("illegal_pbf_m2".into(), round(v.pbf, 2));
            (redline_geom::valid_for_output(v.geometry.clone(), None), p)
        })
        .collect()
}

/// Basic-farmland pieces that are construction land now.
pub fn pbf_loss_features(outcome: &Outcome) -> Features {
    outcome
        .pbf_loss
        .iter()
        .map(|l| {
            let mut p = Map::new();
            p.insert("township".into(), json!(l.township));
            p.insert("pbf_id".into(), json!(l.pbf_id));
            p.insert("landuse_id".into(), json!(l.landuse_id));
            p.insert("class".into(), json!(l.class));
            p.insert("area_m2".into(), round(l.area, 2));
            (redline_geom::valid_for_output(l.geometry.clone(), None), p)
        })
        .collect()
}

/// New construction since the previous vintage that no change patch and no approval covers.
pub fn uncovered_features(outcome: &Outcome) -> Features {
    outcome
        .uncovered
        .iter()
        .map(|u| {
            let mut p = Map::new();
            p.insert("township".into(), json!(u.township));
            p.insert("landuse_id".into(), json!(u.landuse_id));
            p.insert("class".into(), json!(u.class));
            p.insert("previous_classes".into(), json!(u.previous.join(",")));
            p.insert("area_m2".into(), round(u.area, 2));
            (redline_geom::valid_for_output(u.geometry.clone(), None), p)
        })
        .collect()
}

/// The output layers of a run, by name: townships, violations, pbf_loss, and — with a previous
/// vintage — uncovered_construction. Every format writes this list.
pub fn output_layers(county: &County, outcome: &Outcome) -> Vec<(&'static str, Features)> {
    let mut layers = vec![
        ("townships", township_features(county, outcome)),
        ("violations", violation_features(outcome)),
        ("pbf_loss", pbf_loss_features(outcome)),
    ];
    if county.landuse_previous.is_some() {
        layers.push(("uncovered_construction", uncovered_features(outcome)));
    }
    layers
}

/// A layer as a GeoJSON FeatureCollection in lon/lat.
pub fn layer_geojson(name: &str, features: Features, crs: &Crs) -> Result<String, TransformError> {
    lonlat_collection(name, features, crs)
}

/// `features` moved from the working CRS to lon/lat.
pub(crate) fn lonlat_features(features: Features, crs: &Crs) -> Result<Features, TransformError> {
    let t = to_wgs84(crs)?;
    // Feature by feature in parallel (a township's boundary is a large polygon to transform and
    // check, and the township layer was the last output written); gathered in order first, so
    // the first failure in feature order is the one reported.
    features
        .into_par_iter()
        .map(|(g, p)| Ok((lonlat(g, &t)?, p)))
        .collect::<Vec<Result<_, _>>>()
        .into_iter()
        .collect()
}

/// A FeatureCollection of `features` moved to lon/lat.
fn lonlat_collection(name: &str, features: Features, crs: &Crs) -> Result<String, TransformError> {
    Ok(collection(name, lonlat_features(features, crs)?))
}

/// `townships.geojson`: township polygons with their metrics, in township-code order.
pub fn townships_geojson(
    county: &County,
    outcome: &Outcome,
    crs: &Crs,
) -> Result<String, TransformError> {
    lonlat_collection("townships", township_features(county, outcome), crs)
}

/// `violations.geojson`: the illegal parts of change patches (illegal and partial verdicts).
pub fn violations_geojson(outcome: &Outcome, crs: &Crs) -> Result<String, TransformError> {
    lonlat_collection("violations", violation_features(outcome), crs)
}

/// `pbf_loss.geojson`: basic-farmland pieces that are construction land now.
pub fn pbf_loss_geojson(outcome: &Outcome, crs: &Crs) -> Result<String, TransformError> {
    lonlat_collection("pbf_loss", pbf_loss_features(outcome), crs)
}
