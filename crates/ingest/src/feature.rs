//! One feature as read: what the collector builds and a layer holds.

use crate::value::Value;
use compact_str::CompactString;
use geo::MultiPolygon;

/// One feature: valid, oriented polygons and attribute values in field order.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// 0-based position in the file.
    pub index: usize,
    /// The feature's id: GeoJSON `id`, else the value of the id field, when there is one
    /// (inline up to 24 bytes: ids rarely need the heap).
    pub id: Option<CompactString>,
    /// The geometry, validated and repaired.
    pub geometry: MultiPolygon<f64>,
    /// Values, one per entry of its layer's `fields`.
    pub attrs: Vec<Value>,
}

impl Feature {
    /// The id, or `#index` when the feature has none: what messages call it.
    pub fn label(&self) -> String {
        match &self.id {
            Some(id) => id.to_string(),
            None => format!("#{}", self.index),
        }
    }
}
