//! PROJJSON, the CRS encoding of GeoParquet's `geo` metadata: read (an EPSG `id`; else a
//! geographic or Transverse Mercator definition; else, with the `proj` feature, whatever PROJ
//! reads) and written for the CRSs redline works in.

use crate::crs::{Crs, CrsError, CrsKind};
use crate::Ellipsoid;
use serde_json::{json, Value};

const SCHEMA: &str = "https://proj.org/schemas/v0.7/projjson.schema.json";

/// The datum of an ellipsoid and its geographic CRS, as EPSG names them (redline's CRSs use
/// one datum per ellipsoid).
fn datum_of(e: &Ellipsoid) -> (&'static str, &'static str, Option<u32>) {
    match e.proj_name {
        "GRS80" => (
            "China 2000",
            "China Geodetic Coordinate System 2000",
            Some(4490),
        ),
        "WGS84" => ("World Geodetic System 1984", "WGS 84", Some(4326)),
        "krass" => ("Beijing 1954", "Beijing 1954", Some(4214)),
        "IAU76" => ("Xian 1980", "Xian 1980", Some(4610)),
        _ => ("Unknown based on ellipsoid", "Unknown", None),
    }
}

fn datum_name(e: &Ellipsoid) -> &'static str {
    datum_of(e).0
}

fn ellipsoid_json(e: &Ellipsoid) -> Value {
    json!({
        "name": if e.proj_name.is_empty() { "unnamed" } else { e.proj_name },
        "semi_major_axis": e.a,
        "inverse_flattening": if e.f == 0.0 { 0.0 } else { 1.0 / e.f },
    })
}

/// A geographic CRS. Axes as EPSG orders them (latitude first) when the CRS is EPSG's, so that
/// readers identify it; GeoParquet and FlatGeobuf store x = longitude whatever the order.
fn geographic_json(name: &str, e: &Ellipsoid, epsg_order: bool) -> Value {
    let axis = |name: &str, abbreviation: &str, direction: &str| json!({"name": name, "abbreviation": abbreviation, "direction": direction, "unit": "degree"});
    let (lat, lon) = (
        axis("Geodetic latitude", "Lat", "north"),
        axis("Geodetic longitude", "Lon", "east"),
    );
    let axes = if epsg_order { [lat, lon] } else { [lon, lat] };
    json!({
        "type": "GeographicCRS",
        "name": name,
        "datum": {"type": "GeodeticReferenceFrame", "name": datum_name(e), "ellipsoid": ellipsoid_json(e)},
        "coordinate_system": {"subtype": "ellipsoidal", "axis": axes}
    })
}

fn parameter(name: &str, value: f64, unit: &str) -> Value {
    json!({"name": name, "value": value, "unit": unit})
}

impl Crs {
    /// The CRS as PROJJSON (with its EPSG `id` where known), for geographic and Transverse
    /// Mercator CRSs; `None` for other projections, which redline only knows as PROJ strings.
    pub fn to_projjson(&self) -> Option<Value> {
        let mut value = match &self.kind {
            CrsKind::Geographic { ellipsoid } => {
                geographic_json(&self.name, ellipsoid, self.epsg.is_some())
            }
            CrsKind::TransverseMercator {
                ellipsoid,
                lon0,
                k0,
                x0,
                y0,
            } => {
                let axis = |name: &str, abbreviation: &str, direction: &str| json!({"name": name, "abbreviation": abbreviation, "direction": direction, "unit": "metre"});
                // EPSG's Chinese Gauss–Krüger CRSs list northing (X) first.
                let axes = if self.epsg.is_some_and(crate::crs_parse::is_gauss_krueger) {
                    [axis("Northing", "X", "north"), axis("Easting", "Y", "east")]
                } else {
                    [axis("Easting", "E", "east"), axis("Northing", "N", "north")]
                };
                let (_, base_name, base_id) = datum_of(ellipsoid);
                let mut base = geographic_json(base_name, ellipsoid, base_id.is_some());
                if let Some(code) = base_id {
                    base["id"] = json!({"authority": "EPSG", "code": code});
                }
                json!({
                    "type": "ProjectedCRS",
                    "name": self.name,
                    "base_crs": base,
                    "conversion": {
                        "name": "Transverse Mercator",
                        "method": {"name": "Transverse Mercator", "id": {"authority": "EPSG", "code": 9807}},
                        "parameters": [
                            parameter("Latitude of natural origin", 0.0, "degree"),
                            parameter("Longitude of natural origin", *lon0, "degree"),
                            parameter("Scale factor at natural origin", *k0, "unity"),
                            parameter("False easting", *x0, "metre"),
                            parameter("False northing", *y0, "metre"),
                        ]
                    },
                    "coordinate_system": {"subtype": "Cartesian", "axis": axes}
                })
            }
            CrsKind::Projected { .. } => return None,
        };
        value["$schema"] = json!(SCHEMA);
        if let Some(code) = self.epsg {
            value["id"] = json!({"authority": "EPSG", "code": code});
        }
        Some(value)
    }

    /// A CRS from PROJJSON text: its EPSG `id`, else its definition where it is geographic or
    /// Transverse Mercator, else (feature `proj`) PROJ's reading of it.
    pub fn from_projjson(text: &str) -> Result<Crs, CrsError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| CrsError::Unrecognised(format!("PROJJSON that does not parse ({e})")))?;
        let id = value
            .get("id")
            .or_else(|| value.get("ids").and_then(|ids| ids.get(0)));
        if let Some(id) = id {
            let authority = id.get("authority").and_then(Value::as_str).unwrap_or("");
            let code = &id["code"];
            let number = code.as_u64().or_else(|| code.as_str()?.parse().ok());
            match (authority.to_ascii_uppercase().as_str(), number) {
                ("EPSG", Some(n)) if n <= u64::from(u32::MAX) => {
                    if let Ok(crs) = Crs::from_epsg(n as u32) {
                        return Ok(crs);
                    }
                }
                ("OGC", _) if code.as_str() == Some("CRS84") => return Crs::from_epsg(4326),
                _ => {}
            }
        }
        if let Some(crs) = definition(&value) {
            return Ok(crs);
        }
        crate::crs_parse::through_proj(text, CrsError::Unsupported(describe(&value)))
    }
}

/// `name (type)` for messages.
fn describe(value: &Value) -> String {
    let field = |k: &str| {
        value
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    };
    let id = value
        .get("id")
        .map(|id| {
            format!(
                ", id {}:{}",
                id["authority"].as_str().unwrap_or("?"),
                id["code"]
            )
        })
        .unwrap_or_default();
    format!("PROJJSON {} ({}{id})", field("name"), field("type"))
}

fn ellipsoid_of(geographic: &Value) -> Option<Ellipsoid> {
    let datum = geographic
        .get("datum")
        .or_else(|| geographic.get("datum_ensemble"))?;
    let e = datum.get("ellipsoid")?;
    Some(Ellipsoid::from_a_rf(
        e.get("semi_major_axis")?.as_f64()?,
        e.get("inverse_flattening")?.as_f64()?,
    ))
}

/// A geographic or Transverse Mercator CRS from its PROJJSON definition.
fn definition(value: &Value) -> Option<Crs> {
    let name = value
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let kind = match value.get("type")?.as_str()? {
        "GeographicCRS" => CrsKind::Geographic {
            ellipsoid: ellipsoid_of(value)?,
        },
        "ProjectedCRS" => {
            let conversion = value.get("conversion")?;
            let method = conversion.get("method")?.get("name")?.as_str()?;
            if method != "Transverse Mercator" {
                return None;
            }
            let p = |name: &str| {
                conversion
                    .get("parameters")?
                    .as_array()?
                    .iter()
                    .find_map(|p| {
                        (p.get("name")?.as_str()? == name).then(|| p.get("value")?.as_f64())?
                    })
            };
            if p("Latitude of natural origin")? != 0.0 {
                return None;
            }
            CrsKind::TransverseMercator {
                ellipsoid: ellipsoid_of(value.get("base_crs")?)?,
                lon0: p("Longitude of natural origin")?,
                k0: p("Scale factor at natural origin")?,
                x0: p("False easting")?,
                y0: p("False northing")?,
            }
        }
        _ => return None,
    };
    Some(Crs {
        epsg: None,
        name,
        kind,
        towgs84: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_krueger_round_trips_by_id_and_by_definition() {
        let crs = Crs::from_epsg(4527).unwrap();
        let mut json = crs.to_projjson().unwrap();
        assert_eq!(json["id"]["code"], 4527);
        assert_eq!(json["conversion"]["parameters"][1]["value"], 117.0);
        assert_eq!(json["conversion"]["parameters"][3]["value"], 39_500_000.0);
        assert_eq!(Crs::from_projjson(&json.to_string()).unwrap(), crs);
        json.as_object_mut().unwrap().remove("id");
        let read = Crs::from_projjson(&json.to_string()).unwrap();
        assert_eq!(read.kind, crs.kind);
        assert_eq!(read.epsg, None);
    }

    #[test]
    fn crs84_and_geographic_definitions_are_read() {
        let crs84 = r#"{"type":"GeographicCRS","name":"WGS 84 (CRS84)","id":{"authority":"OGC","code":"CRS84"}}"#;
        assert_eq!(Crs::from_projjson(crs84).unwrap().epsg, Some(4326));
        let cgcs = Crs::from_epsg(4490).unwrap().to_projjson().unwrap();
        assert_eq!(cgcs["datum"]["name"], "China 2000");
        assert_eq!(
            Crs::from_projjson(&cgcs.to_string()).unwrap().epsg,
            Some(4490)
        );
    }

    #[cfg(not(feature = "proj"))]
    #[test]
    fn an_unknown_projection_is_an_error_naming_it_once() {
        let lv95 = r#"{"type":"ProjectedCRS","name":"CH1903+ / LV95","conversion":{"method":{"name":"Hotine Oblique Mercator (variant B)"}},"id":{"authority":"EPSG","code":2056}}"#;
        let e = Crs::from_projjson(lv95).unwrap_err().to_string();
        assert_eq!(e.matches("CH1903+ / LV95").count(), 1, "{e}");
        assert!(Crs::from_projjson("{not json").is_err());
    }
}
