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
        let extent = match self {
            RawGeometry::Polygons(p) => {
                let mut coords = p.iter().flatten().flatten();
                coords.next().map(|first| {
                    coords.fold(Rect::new(*first, *first), |r, c| {
                        Rect::new(
                            Coord {
                                x: r.min().x.min(c.x),
                                y: r.min().y.min(c.y),
                            },
                            Coord {
                                x: r.max().x.max(c.x),
                                y: r.max().y.max(c.y),
                            },
                        )
                    })
                })
            }
            RawGeometry::Known(g) => g.bounding_rect(),
            _ => None,
        };
        extent.is_none_or(|e| {
            e.min().x <= region.max().x
                && e.max().x >= region.min().x
                && e.min().y <= region.max().y
                && e.max().y >= region.min().y
        })
    }
}
