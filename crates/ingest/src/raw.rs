//! Geometry as a reader found it, before validation: what every reader (GeoJSON, shapefile,
//! OGR) hands the collector.

use geo::Coord;

/// Raw polygons: polygon → rings → positions, as the file has them.
pub(crate) type RawPolygons = Vec<Vec<Vec<Coord<f64>>>>;

/// A feature's geometry as read, before validation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawGeometry {
    /// `null` or absent.
    Null,
    /// Polygon or MultiPolygon.
    Polygons(RawPolygons),
    /// Any other geometry type (the name).
    Other(String),
    /// A Polygon/MultiPolygon whose coordinates have the wrong nesting.
    Malformed(String),
}
