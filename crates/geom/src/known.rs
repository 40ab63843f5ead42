//! Geometries a reader may share instead of keeping a copy of its own.

use geo::{Coord, MultiPolygon};
use std::sync::Arc;

/// Geometries already in memory that a layer being read may share: a feature whose validated
/// geometry is one of them to the bit takes its allocation, and its own copy is dropped as soon
/// as it is made (basic farmland is mostly drawn on the land-use parcels: a read that kept its
/// copies until the layer was whole held a third of the run's geometry twice).
pub trait KnownGeometries: Send + Sync + std::fmt::Debug {
    /// A known geometry with the same rings and the same coordinate bits as `geometry`, if
    /// there is one.
    fn same_as(&self, geometry: &MultiPolygon<f64>) -> Option<Arc<MultiPolygon<f64>>>;

    /// What [`KnownGeometries::same_as`] would give for polygons as read (each a list of rings,
    /// the exterior first) once validated, where the answer is known without validating them:
    /// a known geometry that they are to the bit and that validation gives back unchanged and
    /// without a problem. The reader then takes it and skips the validation. `None` (the
    /// default) leaves the reader to validate and ask `same_as`.
    fn validated_same_as(&self, _raw: &[Vec<Vec<Coord<f64>>>]) -> Option<Arc<MultiPolygon<f64>>> {
        None
    }
}
