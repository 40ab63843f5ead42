//! Reading coordinate reference systems: EPSG codes, OGC URNs, ESRI `.prj` WKT, PROJ strings
//! and (feature `proj`) anything PROJ reads. The types live in `crs.rs`, which depends on
//! nothing here; this module — and PROJ's reader behind it — builds them.

use crate::crs::{Crs, CrsError, CrsKind};
use crate::{wkt, Ellipsoid, Helmert};

/// The Gauss–Krüger CRSs EPSG defines for one Chinese datum, by the first code of each series:
/// 6° zones 13–23 (zone number in the easting), 6° by central meridian 75°E–135°E, 3° zones
/// 25–45 (zone number in the easting), 3° by central meridian 75°E–135°E.
struct GkSeries {
    datum: &'static str,
    /// The datum as ArcGIS's `.prj` names spell it (`Xian_1980_3_Degree_GK_CM_114E`).
    esri: &'static str,
    ellipsoid: Ellipsoid,
    zone6: u32,
    cm6: u32,
    zone3: u32,
    cm3: u32,
}

const GK_SERIES: [GkSeries; 3] = [
    GkSeries {
        datum: "CGCS2000",
        esri: "CGCS2000",
        ellipsoid: Ellipsoid::CGCS2000,
        zone6: 4491,
        cm6: 4502,
        zone3: 4513,
        cm3: 4534,
    },
    GkSeries {
        datum: "Xian 1980",
        esri: "Xian_1980",
        ellipsoid: Ellipsoid::IAG75,
        zone6: 2327,
        cm6: 2338,
        zone3: 2349,
        cm3: 2370,
    },
    GkSeries {
        datum: "Beijing 1954",
        esri: "Beijing_1954",
        ellipsoid: Ellipsoid::KRASOVSKY,
        zone6: 21413,
        cm6: 21453,
        zone3: 2401,
        cm3: 2422,
    },
];

/// Whether an EPSG code is one of the Chinese Gauss–Krüger CRSs above.
pub(crate) fn is_gauss_krueger(code: u32) -> bool {
    gauss_krueger(code).is_some()
}

/// A Gauss–Krüger CRS of the series above, or `None` when the code is not one of them.
fn gauss_krueger(code: u32) -> Option<Crs> {
    let in_series =
        |first: u32, count: u32| (first..first + count).contains(&code).then(|| code - first);
    GK_SERIES.iter().find_map(|s| {
        let (name, lon0, x0) = if let Some(i) = in_series(s.zone6, 11) {
            let zone = 13 + i;
            (
                format!("Gauss-Kruger zone {zone}"),
                (6 * zone) as f64 - 3.0,
                zone as f64 * 1e6 + 500_000.0,
            )
        } else if let Some(i) = in_series(s.cm6, 11) {
            let cm = 75 + 6 * i;
            (format!("Gauss-Kruger CM {cm}E"), cm as f64, 500_000.0)
        } else if let Some(i) = in_series(s.zone3, 21) {
            let zone = 25 + i;
            (
                format!("3-degree Gauss-Kruger zone {zone}"),
                (3 * zone) as f64,
                zone as f64 * 1e6 + 500_000.0,
            )
        } else {
            let cm = 75 + 3 * in_series(s.cm3, 21)?;
            (
                format!("3-degree Gauss-Kruger CM {cm}E"),
                cm as f64,
                500_000.0,
            )
        };
        Some(Crs {
            epsg: Some(code),
            name: format!("{} / {name}", s.datum),
            kind: CrsKind::TransverseMercator {
                ellipsoid: s.ellipsoid,
                lon0,
                k0: 1.0,
                x0,
                y0: 0.0,
            },
            towgs84: None,
        })
    })
}

fn geographic(epsg: u32, name: &str, ellipsoid: Ellipsoid) -> Crs {
    Crs {
        epsg: Some(epsg),
        name: name.into(),
        kind: CrsKind::Geographic { ellipsoid },
        towgs84: None,
    }
}

fn projected(epsg: u32, name: &str, ellipsoid: Ellipsoid, proj: &str) -> Crs {
    Crs {
        epsg: Some(epsg),
        name: name.into(),
        kind: CrsKind::Projected {
            ellipsoid,
            proj: proj.into(),
        },
        towgs84: None,
    }
}

impl Crs {
    /// The CRS of an EPSG code: from redline's own table, else (feature `proj`) from PROJ's
    /// database.
    pub fn from_epsg(code: u32) -> Result<Crs, CrsError> {
        match pure_rust_epsg(code) {
            Some(crs) => Ok(crs),
            None => unknown_epsg(code),
        }
    }

    /// A CRS from user text: `EPSG:4529`, `urn:ogc:def:crs:EPSG::4490`,
    /// `urn:ogc:def:crs:OGC:1.3:CRS84`, WKT, or a PROJ string (`+proj=…`).
    pub fn from_user(text: &str) -> Result<Crs, CrsError> {
        let t = text.trim();
        let upper = t.to_ascii_uppercase();
        if upper.ends_with("CRS84") || upper == "OGC:CRS84" {
            return Crs::from_epsg(4326);
        }
        if let Some(code) = epsg_code_of(&upper) {
            return Crs::from_epsg(code);
        }
        if t.starts_with('{') {
            return Crs::from_projjson(t);
        }
        if t.starts_with("+proj") || t.starts_with("proj=") {
            return Crs::from_proj_string(t);
        }
        if t.contains('[') {
            return Crs::from_wkt(t);
        }
        through_proj(t, CrsError::Unrecognised(t.to_string()))
    }

    /// A CRS from a PROJ string; Transverse Mercator strings become [`CrsKind::TransverseMercator`].
    pub fn from_proj_string(text: &str) -> Result<Crs, CrsError> {
        let param = |key: &str| {
            text.split_whitespace().find_map(|p| {
                p.trim_start_matches('+')
                    .strip_prefix(key)?
                    .strip_prefix('=')
            })
        };
        let num =
            |key: &str, default: f64| param(key).and_then(|v| v.parse().ok()).unwrap_or(default);
        let ellipsoid = match proj_string_ellipsoid(&param) {
            Ok(e) => e,
            Err(e) => return through_proj(text, e),
        };
        let towgs84 = match param("towgs84") {
            Some(v) => Some(
                v.parse::<Helmert>()
                    .map_err(|e| CrsError::Unsupported(e.to_string()))?,
            )
            .filter(|h| !is_no_shift(h, ellipsoid)),
            None if param("datum") == Some("WGS84") => None,
            None if param("nadgrids").is_some() => {
                return through_proj(
                    text,
                    CrsError::Unsupported("+nadgrids (grid shifts need the `proj` feature)".into()),
                )
            }
            None => None,
        };
        let kind = match param("proj") {
            Some("longlat") | Some("latlong") => CrsKind::Geographic { ellipsoid },
            Some("tmerc") | Some("etmerc") if num("lat_0", 0.0) == 0.0 => {
                CrsKind::TransverseMercator {
                    ellipsoid,
                    lon0: num("lon_0", 0.0),
                    k0: num("k", num("k_0", 1.0)),
                    x0: num("x_0", 0.0),
                    y0: num("y_0", 0.0),
                }
            }
            Some(_) => CrsKind::Projected {
                ellipsoid,
                proj: text.to_string(),
            },
            None => return Err(CrsError::Unrecognised(text.to_string())),
        };
        Ok(Crs {
            epsg: None,
            name: text.to_string(),
            kind,
            towgs84,
        })
    }

    /// A CRS from OGC WKT1 or ESRI `.prj` text.
    pub fn from_wkt(text: &str) -> Result<Crs, CrsError> {
        let root = wkt::parse(text).map_err(CrsError::BadWkt)?;
        let towgs84 = root
            .find("TOWGS84")
            .map(|n| {
                Helmert::from_slice(&n.numbers()).ok_or_else(|| {
                    CrsError::Unsupported(format!("TOWGS84 with {} numbers", n.numbers().len()))
                })
            })
            .transpose()?;
        let mut crs = match crs_of_wkt(&root) {
            Ok(crs) => crs,
            Err(e @ CrsError::Unsupported(_)) => through_proj(text, e)?,
            Err(e) => return Err(e),
        };
        if let Some(h) = towgs84.filter(|h| !is_no_shift(h, crs.ellipsoid())) {
            crs.towgs84 = Some(h);
        }
        Ok(crs)
    }

    /// The CGCS2000 3° Gauss–Krüger CRS (with zone prefix) whose zone an easting carries.
    pub fn gk3_from_easting(x: f64) -> Option<Crs> {
        let zone = Self::zone_of_easting(x)?;
        (25..=45)
            .contains(&zone)
            .then(|| Crs::from_epsg(4513 + zone - 25).ok())
            .flatten()
    }
}

/// The CRSs redline knows without PROJ.
fn pure_rust_epsg(code: u32) -> Option<Crs> {
    if let Some(crs) = gauss_krueger(code) {
        return Some(crs);
    }
    let crs = match code {
        4490 => geographic(code, "CGCS2000", Ellipsoid::CGCS2000),
        4326 => geographic(code, "WGS 84", Ellipsoid::WGS84),
        4258 => geographic(code, "ETRS89", Ellipsoid::CGCS2000),
        4610 => geographic(code, "Xian 1980", Ellipsoid::IAG75),
        4214 => geographic(code, "Beijing 1954", Ellipsoid::KRASOVSKY),
        32601..=32660 | 32701..=32760 => {
            let zone = code % 100;
            let south = code > 32700;
            Crs {
            epsg: Some(code),
            name: format!("WGS 84 / UTM zone {zone}{}", if south { 'S' } else { 'N' }),
            kind: CrsKind::TransverseMercator {
                ellipsoid: Ellipsoid::WGS84,
                lon0: (6 * zone) as f64 - 183.0,
                k0: 0.9996,
                x0: 500_000.0,
                y0: if south { 10_000_000.0 } else { 0.0 },
            },
            towgs84: None,
            }
        }
        2154 => projected(code, "RGF93 / Lambert-93", Ellipsoid::CGCS2000,
            "+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 +y_0=6600000 +ellps=GRS80 +units=m"),
        3857 => projected(code, "WGS 84 / Pseudo-Mercator", Ellipsoid::WGS84,
            "+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m"),
        _ => return None,
    };
    Some(crs)
}

fn geographic_epsg(ellipsoid: Ellipsoid) -> Option<u32> {
    if ellipsoid == Ellipsoid::CGCS2000 {
        Some(4490)
    } else if ellipsoid == Ellipsoid::WGS84 {
        Some(4326)
    } else {
        None
    }
}

/// The ellipsoid a PROJ string names (`+ellps=`, `+datum=`, `+a`/`+rf`/`+b`/`+f`, `+R`).
fn proj_string_ellipsoid<'a>(
    param: &dyn Fn(&str) -> Option<&'a str>,
) -> Result<Ellipsoid, CrsError> {
    let num = |key: &str| param(key).and_then(|v| v.parse::<f64>().ok());
    if let Some(a) = num("a").or_else(|| num("R")) {
        let rf = match (num("rf"), num("f"), num("b")) {
            (Some(rf), _, _) => rf,
            (None, Some(f), _) if f != 0.0 => 1.0 / f,
            (None, None, Some(b)) if b != a => a / (a - b),
            _ => 0.0,
        };
        return Ok(Ellipsoid::from_a_rf(a, rf));
    }
    // `+datum=` names PROJ knows without a shift to WGS 84; the others (NAD27, OSGB36, …)
    // carry one and go to PROJ.
    let datum_ellipsoid = param("datum").map(|d| match d {
        "WGS84" => "WGS84",
        "NAD83" => "GRS80",
        other => other,
    });
    match param("ellps").or(datum_ellipsoid) {
        Some("WGS84") => Ok(Ellipsoid::WGS84),
        Some("krass") => Ok(Ellipsoid::KRASOVSKY),
        Some("IAU76") => Ok(Ellipsoid::IAG75),
        Some("GRS80") | None => Ok(Ellipsoid::CGCS2000),
        Some(other) => Err(CrsError::Unsupported(format!("ellipsoid {other}"))),
    }
}

/// A zero `towgs84` on a GRS 80 / WGS 84 ellipsoid says "this is WGS 84": no shift at all. On a
/// local ellipsoid it is a deliberate (if rough) statement and is kept.
fn is_no_shift(h: &Helmert, ellipsoid: Ellipsoid) -> bool {
    *h == Helmert::ZERO && ellipsoid.is_wgs84_like()
}

/// Hands a definition pure Rust cannot use to PROJ (feature `proj`); without it, `fallback`.
pub(crate) fn through_proj(text: &str, fallback: CrsError) -> Result<Crs, CrsError> {
    #[cfg(feature = "proj")]
    {
        let _ = fallback;
        crate::proj_engine::crs_from_proj(text)
    }
    #[cfg(not(feature = "proj"))]
    {
        let _ = text;
        Err(fallback)
    }
}

fn unknown_epsg(code: u32) -> Result<Crs, CrsError> {
    through_proj(&format!("EPSG:{code}"), CrsError::UnknownEpsg(code))
}

/// The CRS a parsed WKT tree describes, towgs84 aside.
fn crs_of_wkt(root: &wkt::Node) -> Result<Crs, CrsError> {
    if let Some(code) = top_authority(root) {
        if let Some(crs) = pure_rust_epsg(code) {
            return Ok(crs);
        }
    }
    let name = root.name().unwrap_or_default().to_string();
    if let Some(code) = epsg_from_esri_name(&name) {
        return Crs::from_epsg(code);
    }
    let ellipsoid = root
        .find("SPHEROID")
        .or_else(|| root.find("ELLIPSOID"))
        .and_then(|s| match s.numbers()[..] {
            [a, rf, ..] => Some(Ellipsoid::from_a_rf(a, rf)),
            _ => None,
        })
        .ok_or_else(|| CrsError::Unsupported(format!("{name}: no SPHEROID")))?;
    if root.keyword.eq_ignore_ascii_case("GEOGCS") {
        return Ok(Crs {
            epsg: geographic_epsg(ellipsoid),
            name,
            kind: CrsKind::Geographic { ellipsoid },
            towgs84: None,
        });
    }
    if !root.keyword.eq_ignore_ascii_case("PROJCS") {
        return Err(CrsError::Unsupported(format!("{} {name}", root.keyword)));
    }
    projected_from_wkt(root, name, ellipsoid)
}

fn epsg_code_of(upper: &str) -> Option<u32> {
    let rest = upper
        .strip_prefix("EPSG:")
        .or_else(|| upper.strip_prefix("URN:OGC:DEF:CRS:EPSG::"))
        .or_else(|| {
            upper
                .strip_prefix("URN:OGC:DEF:CRS:EPSG:")
                .map(|r| r.rsplit(':').next().unwrap_or(r))
        })
        .or_else(|| upper.strip_prefix("HTTP://WWW.OPENGIS.NET/DEF/CRS/EPSG/0/"))?;
    rest.trim().parse().ok()
}

fn top_authority(root: &wkt::Node) -> Option<u32> {
    let auth = root.child("AUTHORITY").or_else(|| root.child("ID"))?;
    let mut texts = auth.args.iter().filter_map(|a| match a {
        wkt::Arg::Text(t) => Some(t.clone()),
        wkt::Arg::Number(n) => Some(format!("{n}")),
        _ => None,
    });
    let body = texts.next()?;
    let code = texts
        .next()
        .or_else(|| auth.numbers().first().map(|n| n.to_string()))?;
    body.eq_ignore_ascii_case("EPSG")
        .then(|| code.parse().ok())
        .flatten()
}

/// ESRI names of the CGCS2000 Gauss–Krüger CRSs and WGS 84 UTM, mapped to EPSG codes.
fn epsg_from_esri_name(name: &str) -> Option<u32> {
    let number_after = |prefix: &str| -> Option<u32> {
        let rest = name.strip_prefix(prefix)?;
        rest.trim_end_matches(['E', 'N', 'S']).parse().ok()
    };
    for series in &GK_SERIES {
        let esri = series.esri;
        if let Some(zone) = number_after(&format!("{esri}_3_Degree_GK_Zone_")) {
            return (25..=45).contains(&zone).then(|| series.zone3 + zone - 25);
        }
        if let Some(cm) = number_after(&format!("{esri}_3_Degree_GK_CM_")) {
            return (75..=135).contains(&cm).then(|| series.cm3 + (cm - 75) / 3);
        }
        if let Some(zone) = number_after(&format!("{esri}_GK_Zone_")) {
            return (13..=23).contains(&zone).then(|| series.zone6 + zone - 13);
        }
        if let Some(cm) = number_after(&format!("{esri}_GK_CM_")) {
            return (75..=135).contains(&cm).then(|| series.cm6 + (cm - 75) / 6);
        }
    }
    if let Some(zone) = number_after("WGS_1984_UTM_Zone_") {
        let base = if name.ends_with('S') { 32700 } else { 32600 };
        return (1..=60).contains(&zone).then_some(base + zone);
    }
    match name {
        "GCS_China_Geodetic_Coordinate_System_2000" | "China Geodetic Coordinate System 2000" => {
            Some(4490)
        }
        "GCS_WGS_1984" | "WGS 84" => Some(4326),
        "GCS_Xian_1980" | "Xian 1980" => Some(4610),
        "GCS_Beijing_1954" | "Beijing 1954" => Some(4214),
        _ => None,
    }
}

fn projected_from_wkt(
    root: &wkt::Node,
    name: String,
    ellipsoid: Ellipsoid,
) -> Result<Crs, CrsError> {
    let projection = root
        .child("PROJECTION")
        .and_then(|p| p.name())
        .unwrap_or_default();
    let param = |key: &str| {
        root.children("PARAMETER")
            .find(|p| p.name().is_some_and(|n| n.eq_ignore_ascii_case(key)))
            .and_then(|p| p.numbers().first().copied())
    };
    let unit = root
        .child("UNIT")
        .and_then(|u| u.numbers().first().copied())
        .unwrap_or(1.0);
    if (unit - 1.0).abs() > 1e-12 {
        return Err(CrsError::Unsupported(format!(
            "{name}: linear unit {unit} m (only metres)"
        )));
    }
    let is_tm = ["Transverse_Mercator", "Gauss_Kruger", "Gauss-Kruger"]
        .iter()
        .any(|p| projection.eq_ignore_ascii_case(p));
    if !is_tm || param("latitude_of_origin").unwrap_or(0.0) != 0.0 {
        return Err(CrsError::Unsupported(format!(
            "{name}: projection {projection:?} (pure Rust reads Transverse Mercator; build with `proj` for others)"
        )));
    }
    Ok(Crs {
        epsg: None,
        name,
        kind: CrsKind::TransverseMercator {
            ellipsoid,
            lon0: param("central_meridian").unwrap_or(0.0),
            k0: param("scale_factor").unwrap_or(1.0),
            x0: param("false_easting").unwrap_or(0.0),
            y0: param("false_northing").unwrap_or(0.0),
        },
        towgs84: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epsg_codes_of_gauss_krueger_zones() {
        let z41 = Crs::from_epsg(4529).unwrap();
        assert_eq!(
            z41.kind,
            CrsKind::TransverseMercator {
                ellipsoid: Ellipsoid::CGCS2000,
                lon0: 123.0,
                k0: 1.0,
                x0: 41_500_000.0,
                y0: 0.0
            }
        );
        let cm117 = Crs::from_epsg(4548).unwrap();
        assert!(
            matches!(cm117.kind, CrsKind::TransverseMercator { lon0, x0, .. } if lon0 == 117.0 && x0 == 500_000.0)
        );
        let cm123 = Crs::from_epsg(4550).unwrap();
        assert!(matches!(cm123.kind, CrsKind::TransverseMercator { lon0, .. } if lon0 == 123.0));
        assert!(
            matches!(Crs::from_epsg(4513).unwrap().kind, CrsKind::TransverseMercator { lon0, x0, .. } if lon0 == 75.0 && x0 == 25_500_000.0)
        );
        assert!(
            matches!(Crs::from_epsg(32651).unwrap().kind, CrsKind::TransverseMercator { lon0, k0, .. } if lon0 == 123.0 && k0 == 0.9996)
        );
        match Crs::from_epsg(9999) {
            Err(CrsError::UnknownEpsg(9999)) if !cfg!(feature = "proj") => {}
            Err(CrsError::Proj(message)) => assert!(message.contains("EPSG:9999"), "{message}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn user_strings() {
        assert_eq!(Crs::from_user("EPSG:4529").unwrap().epsg, Some(4529));
        assert_eq!(
            Crs::from_user("urn:ogc:def:crs:EPSG::4490").unwrap().epsg,
            Some(4490)
        );
        assert_eq!(
            Crs::from_user("urn:ogc:def:crs:OGC:1.3:CRS84")
                .unwrap()
                .epsg,
            Some(4326)
        );
        assert!(
            Crs::from_user("+proj=tmerc +lon_0=123 +x_0=500000 +ellps=GRS80")
                .unwrap()
                .transverse_mercator()
                .is_some()
        );
        let nonsense = Crs::from_user("nonsense");
        if cfg!(feature = "proj") {
            assert!(matches!(nonsense, Err(CrsError::Proj(_))), "{nonsense:?}");
        } else {
            assert!(matches!(nonsense, Err(CrsError::Unrecognised(_))));
        }
    }

    #[test]
    fn esri_prj_names() {
        let zone = r#"PROJCS["CGCS2000_3_Degree_GK_Zone_41",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",41500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",123.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
        assert_eq!(Crs::from_wkt(zone).unwrap().epsg, Some(4529));
        let cm = zone
            .replace(
                "CGCS2000_3_Degree_GK_Zone_41",
                "CGCS2000_3_Degree_GK_CM_123E",
            )
            .replace("41500000.0", "500000.0");
        assert_eq!(Crs::from_wkt(&cm).unwrap().epsg, Some(4550));
        let geo = r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        assert_eq!(Crs::from_wkt(geo).unwrap().epsg, Some(4490));
        // An unnamed TM with the same parameters is read from its parameters.
        let custom = zone.replace("CGCS2000_3_Degree_GK_Zone_41", "My_GK");
        let crs = Crs::from_wkt(&custom).unwrap();
        assert!(crs.same_as(&Crs::from_epsg(4529).unwrap()));
    }

    #[test]
    fn zone_from_easting() {
        assert_eq!(Crs::zone_of_easting(41_500_123.0), Some(41));
        assert_eq!(Crs::zone_of_easting(500_123.0), None);
        assert_eq!(
            Crs::gk3_from_easting(41_500_123.0).and_then(|c| c.epsg),
            Some(4529)
        );
    }
}
