//! One feature as read, and items made of a layer's features and their attribute rows.

use crate::attributes::{Attributes, Row};
use compact_str::CompactString;
use geo::MultiPolygon;
use rayon::prelude::*;

/// One feature: valid, oriented polygons and where its attribute values are.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// 0-based position in the file.
    pub index: usize,
    /// Its row in the layer's [`Attributes`] (see [`crate::Layer::attrs`]).
    pub row: usize,
    /// The feature's id: GeoJSON `id`, else the value of the id field, when there is one
    /// (inline up to 24 bytes: ids rarely need the heap).
    pub id: Option<CompactString>,
    /// The geometry, validated and repaired; shared with a known geometry equal to it to the
    /// bit where the read was given some ([`crate::ReadOptions::known_geometries`]).
    pub geometry: std::sync::Arc<MultiPolygon<f64>>,
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

/// Makes an item of each feature — `make(position, feature, its attribute row)`, `None` for
/// none — in parallel, a block of `block` features at a time from the last block to the first;
/// each block's features and attribute rows are given back before the next block is made, so
/// the features, their table and the items are never all whole at once (at a million parcels
/// that moment was a run's peak memory). The items come back in feature order.
pub fn items_from_the_end<T: Send>(
    mut features: Vec<Feature>,
    mut attributes: Attributes,
    block: usize,
    make: impl Fn(usize, Feature, Row<'_>) -> Option<T> + Sync,
) -> Vec<T> {
    // Rows follow the features' order as read; the table is cut only where they are seen to.
    let rows_ascend = features.windows(2).all(|w| w[0].row < w[1].row);
    let mut items = Vec::with_capacity(features.len());
    while !features.is_empty() {
        let first = features.len().saturating_sub(block.max(1));
        let chunk = features.split_off(first);
        features.shrink_to_fit();
        let made: Vec<Option<T>> = chunk
            .into_par_iter()
            .enumerate()
            .map(|(i, feature)| {
                let row = attributes.row(feature.row);
                make(first + i, feature, row)
            })
            .collect();
        items.extend(made.into_iter().rev().flatten());
        if rows_ascend {
            // The features still to make have the rows before this block's.
            attributes.truncate(features.last().map_or(0, |f| f.row + 1));
        }
    }
    items.reverse();
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Value, ValueRef};

    /// Seven features whose row `r` holds the number `10 r`; `rows` maps feature to row.
    fn seven(rows: impl Fn(usize) -> usize) -> (Vec<Feature>, Attributes) {
        let mut t = Attributes::default();
        for r in 0..7 {
            t.push(1, vec![Value::Number(10.0 * r as f64)]);
        }
        t.finish(1);
        let features = (0..7)
            .map(|k| Feature {
                index: k,
                row: rows(k),
                id: None,
                geometry: std::sync::Arc::new(MultiPolygon(Vec::new())),
            })
            .collect();
        (features, t)
    }

    #[test]
    fn items_made_from_the_end_come_back_in_feature_order() {
        // Every block size, rows in the features' order or not: each item sees its own
        // position, feature and row, features with no item are left out, and the order holds.
        let orders: [fn(usize) -> usize; 2] = [|k| k, |k| 6 - k];
        for rows in orders {
            for block in [0, 1, 2, 3, 6, 7, 100] {
                let (features, table) = seven(rows);
                let items = items_from_the_end(features, table, block, |i, f, row| {
                    assert_eq!(i, f.index);
                    let Some(ValueRef::Number(v)) = row.get(0) else {
                        panic!("row {} lost its value", f.row)
                    };
                    (f.index % 3 != 1).then_some((f.index, v))
                });
                let expected: Vec<(usize, f64)> = (0..7)
                    .filter(|k| k % 3 != 1)
                    .map(|k| (k, 10.0 * rows(k) as f64))
                    .collect();
                assert_eq!(items, expected, "block {block}");
            }
        }
    }
}
