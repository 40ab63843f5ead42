//! The transformation engine behind [`crate::Transformer`], as a small trait (after sedona-db's
//! `CrsEngine`): the engine converts points; the transformer checks results, names failures
//! and walks geometries. proj4rs implements it here; PROJ (feature `proj`) in `proj_engine`.

use crate::datum::TransformError;
use proj4rs::Proj;

/// One point conversion of an engine: (x, y) → (x, y), or the engine's message.
pub(crate) type Convert<'a> = &'a dyn Fn(f64, f64) -> Result<(f64, f64), String>;

/// A transformation engine set up for one pair of CRSs.
pub(crate) trait CrsEngine: std::fmt::Debug + Send + Sync {
    /// Calls `work` with the engine's point conversion, set up once for the call (PROJ looks
    /// its thread's object up once per geometry, not per vertex).
    fn with_convert(
        &self,
        work: &mut dyn FnMut(Convert) -> Result<(), TransformError>,
    ) -> Result<(), TransformError>;
}

/// proj4rs: the pure-Rust engine of the default build.
#[derive(Debug)]
pub(crate) struct Proj4rs {
    /// Source and target definitions.
    pub src: Proj,
    pub dst: Proj,
}

impl CrsEngine for Proj4rs {
    fn with_convert(
        &self,
        work: &mut dyn FnMut(Convert) -> Result<(), TransformError>,
    ) -> Result<(), TransformError> {
        work(&|x, y| {
            let to_rad = |v: f64| {
                if self.src.is_latlong() {
                    v.to_radians()
                } else {
                    v
                }
            };
            let mut p = (to_rad(x), to_rad(y), 0.0);
            proj4rs::transform::transform(&self.src, &self.dst, &mut p)
                .map_err(|e| e.to_string())?;
            let from_rad = |v: f64| {
                if self.dst.is_latlong() {
                    v.to_degrees()
                } else {
                    v
                }
            };
            Ok((from_rad(p.0), from_rad(p.1)))
        })
    }
}
