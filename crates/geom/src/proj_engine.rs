//! PROJ itself (feature `proj`): CRSs from any EPSG code, WKT or PROJ string, and
//! transformations with PROJ's database.
//!
//! A `proj::Proj` holds a PROJ context and is neither `Send` nor `Sync`, so a [`Pipeline`]
//! keeps only the two definitions: every thread that transforms builds its own PROJ object on
//! first use and keeps it in a thread-local cache (one per worker thread, as PROJ's threading
//! rules ask).

use crate::datum::{proj_definition, DatumStep, TransformError};
use crate::{Crs, CrsError, CrsKind, Ellipsoid, Helmert};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// A transformation between two CRSs, built per thread from its definitions.
#[derive(Debug, Clone)]
pub(crate) struct Pipeline {
    id: u64,
    from: String,
    to: String,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static PROJS: RefCell<HashMap<u64, proj::Proj>> = RefCell::new(HashMap::new());
}

/// The text PROJ is given for a CRS: its EPSG code, else its definition.
fn definition(crs: &Crs, shift: Option<Helmert>) -> Result<String, TransformError> {
    if shift.is_none() {
        if let Some(code) = crs.epsg {
            return Ok(format!("EPSG:{code}"));
        }
    }
    Ok(as_crs_text(&proj_definition(crs, shift)?))
}

/// A PROJ string gets `+type=crs`, so that PROJ reads a CRS, not an operation; other text
/// (codes, WKT, names) stays as it is.
fn as_crs_text(text: &str) -> String {
    if text.trim_start().starts_with("+proj") && !text.contains("type=crs") {
        format!("{text} +type=crs")
    } else {
        text.to_string()
    }
}

fn build(from: &str, to: &str) -> Result<proj::Proj, String> {
    proj::Proj::new_known_crs(from, to, None).map_err(|e| e.to_string())
}

impl Pipeline {
    /// Sets the pair up and checks on this thread that PROJ builds it; a pair on different
    /// datums that PROJ could bridge only by its ballpark guess is refused.
    pub(crate) fn new(from: &Crs, to: &Crs, step: DatumStep) -> Result<Pipeline, TransformError> {
        let (a, b) = step.shifts();
        let pipeline = Pipeline {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            from: definition(from, a)?,
            to: definition(to, b)?,
        };
        let proj =
            build(&pipeline.from, &pipeline.to).map_err(|message| TransformError::Setup {
                crs: format!("{from} → {to}"),
                message,
            })?;
        // Between different datums only one operation PROJ settles on up front will do: with
        // several candidates ("unavailable until proj_trans is called") PROJ picks per point by
        // area of use and falls back to its ballpark guess outside them — for Beijing 1954 that
        // is all of China but a few oil fields.
        let description = proj.proj_info().description.unwrap_or_default();
        let settled =
            !description.contains("Ballpark") && !description.contains("unavailable until");
        if step == DatumStep::Database && !settled {
            return Err(DatumStep::missing(
                from,
                to,
                "; PROJ's database has no transformation that covers them everywhere",
            ));
        }
        PROJS.with(|cache| cache.borrow_mut().insert(pipeline.id, proj));
        Ok(pipeline)
    }

    /// Runs `f` on this thread's PROJ object, built on first use; `Err` when PROJ cannot
    /// build it here.
    pub(crate) fn with_proj<T>(&self, f: impl FnOnce(&proj::Proj) -> T) -> Result<T, String> {
        PROJS.with(|cache| {
            let mut cache = cache.borrow_mut();
            let proj = match cache.entry(self.id) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(build(&self.from, &self.to)?)
                }
            };
            Ok(f(proj))
        })
    }
}

/// One point through a PROJ object.
pub(crate) fn convert(proj: &proj::Proj, x: f64, y: f64) -> Result<(f64, f64), String> {
    proj.convert((x, y)).map_err(|e| e.to_string())
}

impl crate::engine::CrsEngine for Pipeline {
    fn with_convert(
        &self,
        work: &mut dyn FnMut(crate::engine::Convert) -> Result<(), TransformError>,
    ) -> Result<(), TransformError> {
        self.with_proj(|proj| work(&|x, y| convert(proj, x, y)))
            .map_err(|message| TransformError::Setup {
                crs: format!("{} → {}", self.from, self.to),
                message,
            })?
    }
}

/// A CRS from anything PROJ reads: `EPSG:n` or another authority code, WKT (1 or 2, ESRI's
/// too), a PROJ string, a CRS name in PROJ's database.
pub(crate) fn crs_from_proj(text: &str) -> Result<Crs, CrsError> {
    let input = as_crs_text(text);
    let proj = proj::Proj::new(&input)
        .map_err(|e| CrsError::Proj(format!("cannot read {text:?} as a CRS ({e})")))?;
    let json = proj
        .to_projjson(Some(false), None, None)
        .map_err(|e| CrsError::Proj(format!("{text:?} is not a CRS: {e}")))?;
    let value: Value =
        serde_json::from_str(&json).map_err(|e| CrsError::Proj(format!("PROJJSON: {e}")))?;
    crs_from_json(&value, &input)
}

fn crs_from_json(v: &Value, input: &str) -> Result<Crs, CrsError> {
    // PROJ names CRSs from bare PROJ strings "unknown": the definition says more.
    let name = match v["name"].as_str() {
        Some(name) if name != "unknown" => name.to_string(),
        _ => input.trim_end_matches(" +type=crs").to_string(),
    };
    let epsg = (v["id"]["authority"].as_str() == Some("EPSG"))
        .then(|| v["id"]["code"].as_u64())
        .flatten()
        .and_then(|c| u32::try_from(c).ok());
    let kind = match v["type"].as_str().unwrap_or_default() {
        "GeographicCRS" => CrsKind::Geographic {
            ellipsoid: ellipsoid_of(v)?,
        },
        "ProjectedCRS" => projected_kind(v, input)?,
        "BoundCRS" => {
            let mut crs = crs_from_json(&v["source_crs"], input)?;
            crs.towgs84 = Some(helmert_of(&v["transformation"])?);
            return Ok(crs);
        }
        other => {
            return Err(CrsError::Unsupported(format!(
                "{name}: a {other}, not a geographic or projected CRS"
            )))
        }
    };
    Ok(Crs {
        epsg,
        name,
        kind,
        towgs84: None,
    })
}

/// The number of a PROJJSON value given either bare or as `{"value": …, "unit": …}`.
fn number(v: &Value) -> Option<f64> {
    v.as_f64().or_else(|| v["value"].as_f64())
}

fn ellipsoid_of(crs: &Value) -> Result<Ellipsoid, CrsError> {
    let datum = if crs["datum"].is_object() {
        &crs["datum"]
    } else {
        &crs["datum_ensemble"]
    };
    let e = &datum["ellipsoid"];
    let unsupported = || CrsError::Unsupported(format!("ellipsoid {e}"));
    if let Some(r) = number(&e["radius"]) {
        return Ok(Ellipsoid::from_a_rf(r, 0.0));
    }
    let a = number(&e["semi_major_axis"]).ok_or_else(unsupported)?;
    let rf = match (
        number(&e["inverse_flattening"]),
        number(&e["semi_minor_axis"]),
    ) {
        (Some(rf), _) => rf,
        (None, Some(b)) if b != a => a / (a - b),
        (None, Some(_)) => 0.0,
        _ => return Err(unsupported()),
    };
    Ok(Ellipsoid::from_a_rf(a, rf))
}

fn projected_kind(v: &Value, input: &str) -> Result<CrsKind, CrsError> {
    let ellipsoid = ellipsoid_of(&v["base_crs"])?;
    let axes = v["coordinate_system"]["axis"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if let Some(axis) = axes.iter().find(|a| a["unit"].as_str() != Some("metre")) {
        return Err(CrsError::Unsupported(format!(
            "{}: axis unit {} (redline measures in metres)",
            v["name"], axis["unit"]
        )));
    }
    let conversion = &v["conversion"];
    let param = |code: u64| {
        conversion["parameters"]
            .as_array()?
            .iter()
            .find(|p| p["id"]["code"].as_u64() == Some(code))
            .and_then(|p| number(&p["value"]))
    };
    let method = conversion["method"]["id"]["code"].as_u64();
    // EPSG 9807 Transverse Mercator with its origin on the equator: redline's own GK/UTM path
    // (conformal area, zone checks) applies.
    if method == Some(9807) && param(8801) == Some(0.0) {
        return Ok(CrsKind::TransverseMercator {
            ellipsoid,
            lon0: param(8802).unwrap_or(0.0),
            k0: param(8805).unwrap_or(1.0),
            x0: param(8806).unwrap_or(0.0),
            y0: param(8807).unwrap_or(0.0),
        });
    }
    Ok(CrsKind::Projected {
        ellipsoid,
        proj: input.to_string(),
    })
}

/// The `towgs84` of a BoundCRS's transformation (position vector, coordinate frame or
/// translations only), converted to PROJ's towgs84 units: metres, arc-seconds, ppm.
fn helmert_of(t: &Value) -> Result<Helmert, CrsError> {
    let method = t["method"]["name"].as_str().unwrap_or_default();
    let param = |code: u64| {
        t["parameters"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["id"]["code"].as_u64() == Some(code)))
            .map(|p| Ok(number(&p["value"]).unwrap_or(0.0) * unit_factor(&p["unit"])?))
            .unwrap_or(Ok(0.0))
    };
    const ARC_SECOND: f64 = std::f64::consts::PI / (180.0 * 3600.0);
    // SI values: metres, radians, unity; towgs84 wants m, ″ and ppm.
    let to_towgs84 = [
        1.0,
        1.0,
        1.0,
        1.0 / ARC_SECOND,
        1.0 / ARC_SECOND,
        1.0 / ARC_SECOND,
        1e6,
    ];
    let mut params = [0.0; 7];
    for (i, p) in params.iter_mut().enumerate() {
        *p = param(8605 + i as u64)? * to_towgs84[i];
    }
    if method.starts_with("Coordinate Frame") {
        for r in &mut params[3..6] {
            *r = -*r;
        }
    } else if !method.starts_with("Position Vector")
        && !method.starts_with("Geocentric translations")
    {
        return Err(CrsError::Unsupported(format!(
            "datum shift method {method:?}"
        )));
    }
    Ok(Helmert { params })
}

/// The factor from a PROJJSON unit to SI (metre, radian, unity).
fn unit_factor(unit: &Value) -> Result<f64, CrsError> {
    if let Some(factor) = unit["conversion_factor"].as_f64() {
        return Ok(factor);
    }
    match unit.as_str() {
        Some("metre") | Some("radian") | Some("unity") => Ok(1.0),
        Some("degree") => Ok(std::f64::consts::PI / 180.0),
        Some("arc-second") => Ok(std::f64::consts::PI / (180.0 * 3600.0)),
        Some("parts per million") => Ok(1e-6),
        _ => Err(CrsError::Unsupported(format!("datum shift unit {unit}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_crs_from_a_proj_string_keeps_its_towgs84() {
        let crs = crs_from_proj(
            "+proj=lcc +lat_1=25 +lat_2=47 +lon_0=105 +ellps=krass +towgs84=1,2,3,0.4,0.5,0.6,7 +units=m",
        )
        .unwrap();
        assert_eq!(crs.ellipsoid(), Ellipsoid::KRASOVSKY);
        assert!(matches!(crs.kind, CrsKind::Projected { .. }));
        let h = crs.towgs84.unwrap().params;
        let want = [1.0, 2.0, 3.0, 0.4, 0.5, 0.6, 7.0];
        assert!(
            h.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-9),
            "{h:?}"
        );
    }

    #[test]
    fn coordinate_frame_rotations_are_turned_into_position_vector_ones() {
        // WKT2's ABRIDGEDTRANSFORMATION writes the scale as a factor (1 − 3.7 ppm), which PROJ
        // turns into a scale difference in ppm.
        let wkt = r#"BOUNDCRS[SOURCECRS[GEOGCRS["Beijing 1954",DATUM["Beijing 1954",ELLIPSOID["Krassowsky 1940",6378245,298.3,LENGTHUNIT["metre",1]]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]],CS[ellipsoidal,2],AXIS["latitude",north,ORDER[1],ANGLEUNIT["degree",0.0174532925199433]],AXIS["longitude",east,ORDER[2],ANGLEUNIT["degree",0.0174532925199433]]]],TARGETCRS[GEOGCRS["WGS 84",DATUM["World Geodetic System 1984",ELLIPSOID["WGS 84",6378137,298.257223563,LENGTHUNIT["metre",1]]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]],CS[ellipsoidal,2],AXIS["latitude",north,ORDER[1],ANGLEUNIT["degree",0.0174532925199433]],AXIS["longitude",east,ORDER[2],ANGLEUNIT["degree",0.0174532925199433]]]],ABRIDGEDTRANSFORMATION["to WGS 84",METHOD["Coordinate Frame rotation (geog2D domain)",ID["EPSG",9607]],PARAMETER["X-axis translation",-12.5,LENGTHUNIT["metre",1],ID["EPSG",8605]],PARAMETER["Y-axis translation",131.6,LENGTHUNIT["metre",1],ID["EPSG",8606]],PARAMETER["Z-axis translation",83.4,LENGTHUNIT["metre",1],ID["EPSG",8607]],PARAMETER["X-axis rotation",0.63,ANGLEUNIT["arc-second",4.84813681109536E-06],ID["EPSG",8608]],PARAMETER["Y-axis rotation",0.41,ANGLEUNIT["arc-second",4.84813681109536E-06],ID["EPSG",8609]],PARAMETER["Z-axis rotation",-1.28,ANGLEUNIT["arc-second",4.84813681109536E-06],ID["EPSG",8610]],PARAMETER["Scale difference",0.9999963,ID["EPSG",8611]]]]"#;
        let crs = crs_from_proj(wkt).unwrap();
        assert!(crs.is_geographic());
        let h = crs.towgs84.unwrap().params;
        let want = [-12.5, 131.6, 83.4, -0.63, -0.41, 1.28, -3.7];
        assert!(
            h.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-9),
            "{h:?}"
        );
    }

    #[test]
    fn non_crs_definitions_are_refused() {
        assert!(matches!(crs_from_proj("EPSG:9999"), Err(CrsError::Proj(_))));
        // A vertical CRS is a CRS, but not one parcels can be drawn in.
        assert!(matches!(
            crs_from_proj("EPSG:5773"),
            Err(CrsError::Unsupported(_))
        ));
    }
}
