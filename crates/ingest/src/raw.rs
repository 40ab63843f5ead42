//! Geometry as a reader found it, before validation: what every reader (GeoJSON, shapefile,
//! OGR) hands the collector.

use geo::{BoundingRect, Coord, MultiPolygon, Rect};
use std::sync::Arc;

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
    /// A known geometry read from the same coordinate text, validated without a word: the
    /// text was not parsed ([`redline_geom::KnownGeometries::same_text`]).
    Known(Arc<MultiPolygon<f64>>),
}

impl RawGeometry {
    /// Whether the extent of the positions meets `region` (null, empty and non-polygon
    /// geometries are kept, so that a region read still reports them).
    pub fn meets(&self, region: Rect<f64>) -> bool {
        let p = match self {
            RawGeometry::Polygons(p) => p,
            RawGeometry::Known(g) => {
                return g.bounding_rect().is_none_or(|b| {
                    b.min().x <= region.max().x
                        && b.max().x >= region.min().x
                        && b.min().y <= region.max().y
                        && b.max().y >= region.min().y
                })
            }
            _ => return true,
        };
        let mut coords = p.iter().flatten().flatten();
        let Some(first) = coords.next() else {
            return true;
        };
        let (mut min, mut max) = (*first, *first);
        for c in coords {
            (min.x, min.y) = (min.x.min(c.x), min.y.min(c.y));
            (max.x, max.y) = (max.x.max(c.x), max.y.max(c.y));
        }
        min.x <= region.max().x
            && max.x >= region.min().x
            && min.y <= region.max().y
            && max.y >= region.min().y
    }
}
