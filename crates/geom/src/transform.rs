//! Coordinate transformation between CRSs: pure Rust with proj4rs by default, PROJ itself with
//! the `proj` feature. Datum shifts are explicit: WGS 84-like datums (WGS 84, CGCS2000, ETRS89)
//! are one datum; a local datum (Xian 1980, Beijing 1954) moves only with its `towgs84`
//! parameters, or (feature `proj`) with a transformation from PROJ's database — never by
//! PROJ's "ballpark" guess, which leaves Xian 1980 coordinates tens of metres off.

pub use crate::datum::TransformError;
use crate::datum::{proj_definition, DatumStep};
use crate::engine::{Convert, CrsEngine, Proj4rs};
use crate::{Crs, Helmert};
use geo::{Coord, MultiPolygon};
use proj4rs::Proj;
use std::sync::Arc;

/// Transforms coordinates from one CRS to another. Geographic coordinates are lon/lat in
/// degrees, in that order (traditional GIS order, as files store them). Cheap to clone and
/// shareable between threads (with `proj`, each thread makes its own PROJ object on first use).
#[derive(Debug, Clone)]
pub struct Transformer {
    from: Crs,
    to: Crs,
    /// `None` for the identity.
    engine: Option<Arc<dyn CrsEngine>>,
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
                    engine: Some(Arc::new(pipeline)),
                });
            }
        }
        Transformer::pure_rust(from, to)
    }

    /// A transformer that uses proj4rs whatever the features (to compare engines).
    pub fn pure_rust(from: &Crs, to: &Crs) -> Result<Transformer, TransformError> {
        let engine: Option<Arc<dyn CrsEngine>> = if from.same_as(to) {
            None
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
            Some(Arc::new(Proj4rs {
                src: setup(from, a)?,
                dst: setup(to, b)?,
            }))
        };
        Ok(Transformer {
            from: from.clone(),
            to: to.clone(),
            engine,
        })
    }

    /// True when the transformer changes nothing.
    pub fn is_identity(&self) -> bool {
        self.engine.is_none()
    }

    /// Transforms one point.
    pub fn point(&self, x: f64, y: f64) -> Result<(f64, f64), TransformError> {
        let Some(engine) = &self.engine else {
            return Ok((x, y));
        };
        let mut out = (x, y);
        engine.with_convert(&mut |convert: Convert| {
            out = self.checked(x, y, convert(x, y))?;
            Ok(())
        })?;
        Ok(out)
    }

    /// Transforms every coordinate of a multipolygon in place.
    pub fn multipolygon(&self, mp: &mut MultiPolygon<f64>) -> Result<(), TransformError> {
        let Some(engine) = &self.engine else {
            return Ok(());
        };
        engine.with_convert(&mut |convert: Convert| {
            map_coords(mp, |x, y| self.checked(x, y, convert(x, y)))
        })
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
