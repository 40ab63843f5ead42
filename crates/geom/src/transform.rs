//! Coordinate transformation between CRSs, in pure Rust with proj4rs.

use crate::Crs;
use geo::{Coord, MultiPolygon};
use proj4rs::Proj;

/// Why a transformation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TransformError {
    /// proj4rs did not accept a CRS definition.
    #[error("cannot set up {crs}: {message}")]
    Setup {
        /// The CRS.
        crs: String,
        /// proj4rs's message.
        message: String,
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
        /// proj4rs's message.
        message: String,
    },
}

/// Transforms coordinates from one CRS to another. Geographic coordinates are lon/lat in
/// degrees, in that order (traditional GIS order, as files store them).
#[derive(Debug, Clone)]
pub struct Transformer {
    from: Crs,
    to: Crs,
    projs: Option<(Proj, Proj)>,
}

fn setup(crs: &Crs) -> Result<Proj, TransformError> {
    Proj::from_proj_string(&crs.proj_string()).map_err(|e| TransformError::Setup {
        crs: crs.to_string(),
        message: e.to_string(),
    })
}

impl Transformer {
    /// A transformer; the identity when both CRSs are the same.
    pub fn new(from: &Crs, to: &Crs) -> Result<Transformer, TransformError> {
        let projs = if from.same_as(to) {
            None
        } else {
            Some((setup(from)?, setup(to)?))
        };
        Ok(Transformer {
            from: from.clone(),
            to: to.clone(),
            projs,
        })
    }

    /// True when the transformer changes nothing.
    pub fn is_identity(&self) -> bool {
        self.projs.is_none()
    }

    /// Transforms one point.
    pub fn point(&self, x: f64, y: f64) -> Result<(f64, f64), TransformError> {
        let Some((src, dst)) = &self.projs else {
            return Ok((x, y));
        };
        let to_rad = |v: f64, geo: bool| if geo { v.to_radians() } else { v };
        let mut p = (
            to_rad(x, src.is_latlong()),
            to_rad(y, src.is_latlong()),
            0.0,
        );
        proj4rs::transform::transform(src, dst, &mut p).map_err(|e| TransformError::Point {
            x,
            y,
            from: self.from.to_string(),
            to: self.to.to_string(),
            message: e.to_string(),
        })?;
        let from_rad = |v: f64| if dst.is_latlong() { v.to_degrees() } else { v };
        let out = (from_rad(p.0), from_rad(p.1));
        if out.0.is_finite() && out.1.is_finite() {
            Ok(out)
        } else {
            Err(TransformError::Point {
                x,
                y,
                from: self.from.to_string(),
                to: self.to.to_string(),
                message: "result is not finite".into(),
            })
        }
    }

    /// Transforms every coordinate of a multipolygon in place.
    pub fn multipolygon(&self, mp: &mut MultiPolygon<f64>) -> Result<(), TransformError> {
        if self.is_identity() {
            return Ok(());
        }
        use geo::MapCoords;
        *mp = mp.try_map_coords(|c| self.point(c.x, c.y).map(|(x, y)| Coord { x, y }))?;
        Ok(())
    }
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
