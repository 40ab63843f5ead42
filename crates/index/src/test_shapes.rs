//! Shapes the unit tests of the coverage checks share.

use geo::{polygon, MultiPolygon};

/// The axis-aligned square with lower-left corner (x, y) and side s, counter-clockwise.
pub(crate) fn square(x: f64, y: f64, s: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![
        polygon![(x: x, y: y), (x: x + s, y: y), (x: x + s, y: y + s), (x: x, y: y + s)],
    ])
}

/// `count` unit squares in rows of `columns`, the first with its lower-left corner at
/// (`x`, `y`), row by row: neighbours share their edges and vertices.
pub(crate) fn grid(columns: usize, count: usize, x: f64, y: f64) -> Vec<MultiPolygon<f64>> {
    (0..count)
        .map(|i| square((i % columns) as f64 + x, (i / columns) as f64 + y, 1.0))
        .collect()
}
