//! Coordinate transformation between CRSs: pure Rust with proj4rs by default, PROJ itself with
//! the `proj` feature. Datum shifts are explicit: WGS 84-like datums (WGS 84, CGCS2000, ETRS89)
//! are one datum; a local datum (Xian 1980, Beijing 1954) moves only with its `towgs84`
//! parameters, or (feature `proj`) with a transformation from PROJ's database — never by
//! PROJ's "ballpark" guess, which leaves Xian 1980 coordinates tens of metres off.

use crate::{Crs, Helmert};
use geo::{Coord, MultiPolygon};
use proj4rs::Proj;

/// Why a transformation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TransformError {
    /// The transformation engine did not accept a CRS definition.
    #[error("cannot set up {crs}: {message}")]
    Setup {
        /// The CRS.
        crs: String,
        /// The engine's message.
        message: String,
    },
    /// The two CRSs are on different datums and nothing says how to shift between them.
    #[error("{from} and {to} are on different datums and no datum shift is known for {missing}: give its seven Helmert parameters (`towgs84 = \"dx,dy,dz,rx,ry,rz,ds\"` on the layer in the job, or +towgs84=… in a PROJ string){hint}")]
    NeedsDatumShift {
        /// Source CRS.
        from: String,
        /// Target CRS.
        to: String,
        /// The CRS whose shift to WGS 84 is missing.
        missing: String,
        /// What else could help.
        hint: &'static str,
    },
    /// A point could not be transformed (outside the projection's domain).
    #[error("cannot transform ({x}, {y}) from {from} to {to}: {message}")]
    Point {
        /// Source x.
        x: f64,
        /// Source y.
        y: f64,
        /// Source CRS.
        from: String,
        /// Target CRS.
        to: String,
        /// The engine's message.
        message: String,
    },
}

/// How the datums of a CRS pair are bridged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum DatumStep {
    /// The same datum (or two WGS 84-like ones): no shift.
    Same,
    /// Through WGS 84 with each side's Helmert parameters.
    Helmert {
        /// Source datum → WGS 84.
        from: Helmert,
        /// Target datum → WGS 84.
        to: Helmert,
    },
    /// Different datums and a side without parameters: only PROJ's database can bridge them.
    Database,
}

impl DatumStep {
    fn between(from: &Crs, to: &Crs) -> DatumStep {
        if from.shares_datum_with(to) {
            return DatumStep::Same;
        }
        match (from.shift_to_wgs84(), to.shift_to_wgs84()) {
            (Some(from), Some(to)) => DatumStep::Helmert { from, to },
            _ => DatumStep::Database,
        }
    }

    /// The shift each side's definition carries: both sides' for a Helmert step, none else.
    pub(crate) fn shifts(self) -> (Option<Helmert>, Option<Helmert>) {
        match self {
            DatumStep::Helmert { from, to } => (Some(from), Some(to)),
            DatumStep::Same | DatumStep::Database => (None, None),
        }
    }

    /// The error for a pair no engine here can bridge.
    pub(crate) fn missing(from: &Crs, to: &Crs, hint: &'static str) -> TransformError {
        let missing = if from.shift_to_wgs84().is_none() {
            from
        } else {
            to
        };
        TransformError::NeedsDatumShift {
            from: from.to_string(),
            to: to.to_string(),
            missing: missing.to_string(),
            hint,
        }
    }
}

/// A CRS as a PROJ string with the datum shift attached when the pair needs one (any shift the
/// definition already carries is replaced). Understood by proj4rs and PROJ alike.
pub(crate) fn proj_definition(crs: &Crs, shift: Option<Helmert>) -> Result<String, TransformError> {
    let base = crs.proj_string();
    let Some(shift) = shift else {
        return Ok(base);
    };
    if !base.trim_start().starts_with("+proj") {
        return Err(TransformError::Setup {
            crs: crs.to_string(),
            message: "a towgs84 shift needs the CRS as a PROJ string (+proj=…), not a code".into(),
        });
    }
    let mut parts: Vec<&str> = base
        .split_whitespace()
        .filter(|p| !p.trim_start_matches('+').starts_with("towgs84="))
        .collect();
    let param = shift.proj_param();
    parts.push(&param);
    Ok(parts.join(" "))
}

#[derive(Debug, Clone)]
enum Engine {
    Identity,
    Rust(Box<(Proj, Proj)>),
    #[cfg(feature = "proj")]
    Proj(crate::proj_engine::Pipeline),
}

/// Transforms coordinates from one CRS to another. Geographic coordinates are lon/lat in
/// degrees, in that order (traditional GIS order, as files store them). Cheap to clone and
/// shareable between threads (with `proj`, each thread makes its own PROJ object on first use).
#[derive(Debug, Clone)]
pub struct Transformer {
    from: Crs,
    to: Crs,
    engine: Engine,
}

fn setup(crs: &Crs, shift: Option<Helmert>) -> Result<Proj, TransformError> {
    Proj::from_proj_string(&proj_definition(crs, shift)?).map_err(|e| TransformError::Setup {
        crs: crs.to_string(),
        message: e.to_string(),
    })
}

impl Transformer {
    /// A transformer; the identity when both CRSs are the same. With the `proj` feature the
    /// engine is PROJ, otherwise proj4rs.
    pub fn new(from: &Crs, to: &Crs) -> Result<Transformer, TransformError> {
        #[cfg(feature = "proj")]
        {
            if !from.same_as(to) {
                let step = DatumStep::between(from, to);
                let pipeline = crate::proj_engine::Pipeline::new(from, to, step)?;
                return Ok(Transformer {
                    from: from.clone(),
                    to: to.clone(),
                    engine: Engine::Proj(pipeline),
                });
            }
        }
        Transformer::pure_rust(from, to)
    }

    /// A transformer that uses proj4rs whatever the features (to compare engines).
    pub fn pure_rust(from: &Crs, to: &Crs) -> Result<Transformer, TransformError> {
        let engine = if from.same_as(to) {
            Engine::Identity
        } else {
            let step = DatumStep::between(from, to);
            if step == DatumStep::Database {
                return Err(DatumStep::missing(
                    from,
                    to,
                    "; with the `proj` feature, PROJ's database is searched too",
                ));
            }
            let (a, b) = step.shifts();
            Engine::Rust(Box::new((setup(from, a)?, setup(to, b)?)))
        };
        Ok(Transformer {
            from: from.clone(),
            to: to.clone(),
            engine,
        })
    }

    /// True when the transformer changes nothing.
    pub fn is_identity(&self) -> bool {
        matches!(self.engine, Engine::Identity)
    }

    /// Transforms one point.
    pub fn point(&self, x: f64, y: f64) -> Result<(f64, f64), TransformError> {
        match &self.engine {
            Engine::Identity => Ok((x, y)),
            Engine::Rust(projs) => self.checked(x, y, proj4rs_point(&projs.0, &projs.1, x, y)),
            #[cfg(feature = "proj")]
            Engine::Proj(pipeline) => {
                let out = pipeline.with_proj(|proj| crate::proj_engine::convert(proj, x, y));
                self.checked(x, y, out.and_then(|r| r))
            }
        }
    }

    /// Transforms every coordinate of a multipolygon in place.
    pub fn multipolygon(&self, mp: &mut MultiPolygon<f64>) -> Result<(), TransformError> {
        match &self.engine {
            Engine::Identity => Ok(()),
            // One look-up of the thread's PROJ object per geometry, not per vertex.
            #[cfg(feature = "proj")]
            Engine::Proj(pipeline) => pipeline
                .with_proj(|proj| {
                    map_coords(mp, |x, y| {
                        self.checked(x, y, crate::proj_engine::convert(proj, x, y))
                    })
                })
                .map_err(|message| TransformError::Setup {
                    crs: format!("{} → {}", self.from, self.to),
                    message,
                })?,
            Engine::Rust(_) => map_coords(mp, |x, y| self.point(x, y)),
        }
    }

    /// An engine's result as the transformer's: errors name the point and both CRSs, and a
    /// non-finite result is an error.
    fn checked(
        &self,
        x: f64,
        y: f64,
        out: Result<(f64, f64), String>,
    ) -> Result<(f64, f64), TransformError> {
        let fail = |message: String| TransformError::Point {
            x,
            y,
            from: self.from.to_string(),
            to: self.to.to_string(),
            message,
        };
        match out {
            Ok(p) if p.0.is_finite() && p.1.is_finite() => Ok(p),
            Ok(_) => Err(fail("result is not finite".into())),
            Err(message) => Err(fail(message)),
        }
    }
}

/// Replaces every coordinate of `mp` by `f`'s result.
fn map_coords(
    mp: &mut MultiPolygon<f64>,
    f: impl Fn(f64, f64) -> Result<(f64, f64), TransformError>,
) -> Result<(), TransformError> {
    use geo::MapCoords;
    *mp = mp.try_map_coords(|c| f(c.x, c.y).map(|(x, y)| Coord { x, y }))?;
    Ok(())
}

fn proj4rs_point(src: &Proj, dst: &Proj, x: f64, y: f64) -> Result<(f64, f64), String> {
    let to_rad = |v: f64| if src.is_latlong() { v.to_radians() } else { v };
    let mut p = (to_rad(x), to_rad(y), 0.0);
    proj4rs::transform::transform(src, dst, &mut p).map_err(|e| e.to_string())?;
    let from_rad = |v: f64| if dst.is_latlong() { v.to_degrees() } else { v };
    Ok((from_rad(p.0), from_rad(p.1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proj4rs_agrees_with_krueger_series_to_a_micrometre() {
        // Two independent Transverse Mercator implementations: proj4rs (Poder/Engsager, as in
        // PROJ) and redline's own Krüger series (Karney 2011).
        let geo = Crs::from_epsg(4490).unwrap();
        let z41 = Crs::from_epsg(4529).unwrap();
        let tm = z41.transverse_mercator().unwrap();
        let t = Transformer::new(&geo, &z41).unwrap();
        for &(lon, lat) in &[(123.0, 45.8), (121.55, 44.1), (124.45, 47.9)] {
            let (x, y) = t.point(lon, lat).unwrap();
            let (x2, y2, _) = tm.forward(lon, lat);
            assert!(
                (x - x2).abs() < 1e-6 && (y - y2).abs() < 1e-6,
                "{x} {x2} {y} {y2}"
            );
        }
    }

    #[test]
    fn round_trip_between_zone_and_cm_forms() {
        let z41 = Crs::from_epsg(4529).unwrap();
        let cm123 = Crs::from_epsg(4550).unwrap();
        let (x, y) = Transformer::new(&z41, &cm123)
            .unwrap()
            .point(41_512_345.0, 5_080_000.0)
            .unwrap();
        assert!((x - 512_345.0).abs() < 1e-6 && (y - 5_080_000.0).abs() < 1e-6);
        let back = Transformer::new(&cm123, &z41).unwrap().point(x, y).unwrap();
        assert!((back.0 - 41_512_345.0).abs() < 1e-6);
    }

    #[test]
    fn wgs84_utm_to_cgcs2000_geographic() {
        // UTM 51N and GK zone 41 share the 123°E meridian: a point on it stays on it.
        let utm = Crs::from_epsg(32651).unwrap();
        let geo = Crs::from_epsg(4490).unwrap();
        let (lon, _) = Transformer::new(&utm, &geo)
            .unwrap()
            .point(500_000.0, 5_000_000.0)
            .unwrap();
        assert!((lon - 123.0).abs() < 1e-9);
    }
}
