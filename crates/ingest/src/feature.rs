//! One feature as read, and the attribute table its layer holds its values in.

use crate::value::Value;
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

/// A layer's attribute values, a row per feature kept, each row one value per field, all in
/// one allocation. A value vector per feature was a million small blocks between the
/// geometry's: freed once the job had taken the values, they left holes the overlay's larger
/// blocks do not fit, so the process kept their memory (a fifth of the peak at a million
/// parcels); one table is freed in one piece.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attributes {
    /// Values per row (the layer's field count once the read is finished).
    width: usize,
    values: Vec<Value>,
    /// While a read grows the schema: where each narrower run of rows began (first row, first
    /// value, width), laid out to the final width by [`Attributes::finish`].
    runs: Vec<(usize, usize, usize)>,
    rows: usize,
}

impl Attributes {
    /// The values of row `row`, one per field (empty for a row the table does not hold).
    pub fn row(&self, row: usize) -> &[Value] {
        let start = row.saturating_mul(self.width);
        self.values
            .get(start..start.saturating_add(self.width))
            .unwrap_or(&[])
    }

    /// Values per row.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Rows held.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// True when the table holds no row.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Keeps the first `rows` rows and gives the rest's memory back (a reader of a large table
    /// that is done with its last rows lets them go while it works through the others).
    pub fn truncate(&mut self, rows: usize) {
        if rows < self.rows && self.runs.is_empty() {
            self.values.truncate(rows * self.width);
            self.values.shrink_to_fit();
            self.rows = rows;
        }
    }

    /// Every row, in order.
    pub fn rows(&self) -> impl Iterator<Item = &[Value]> {
        (0..self.rows).map(|r| self.row(r))
    }

    /// Appends a row of `width` values (the schema's width now: it only grows), padding a
    /// shorter `values` with nulls; returns the row's number.
    pub(crate) fn push(&mut self, width: usize, values: impl IntoIterator<Item = Value>) -> usize {
        if width != self.width {
            if self.rows > 0 && self.runs.is_empty() {
                self.runs.push((0, 0, self.width));
            }
            if self.rows > 0 || !self.runs.is_empty() {
                self.runs.push((self.rows, self.values.len(), width));
            }
            self.width = width;
        }
        let start = self.values.len();
        self.values.extend(values.into_iter().take(width));
        self.values.resize(start + width, Value::Null);
        self.rows += 1;
        self.rows - 1
    }

    /// Lays the rows read before the schema last grew out to the final width, and gives back
    /// the spare capacity.
    pub(crate) fn finish(&mut self) {
        if !self.runs.is_empty() {
            let width = self.width;
            let mut values = Vec::with_capacity(self.rows * width);
            let ends = self.runs.iter().skip(1).map(|r| r.0).chain([self.rows]);
            for (&(first, at, w), end) in self.runs.iter().zip(ends) {
                for r in 0..end - first {
                    let row = &self.values[at + r * w..at + (r + 1) * w];
                    values.extend(row.iter().cloned());
                    values.resize(values.len() + width - w, Value::Null);
                }
            }
            self.values = values;
            self.runs = Vec::new();
        }
        self.values.shrink_to_fit();
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
    make: impl Fn(usize, Feature, &[Value]) -> Option<T> + Sync,
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

    fn text(t: &str) -> Value {
        Value::Text(t.into())
    }

    #[test]
    fn rows_read_before_the_schema_grew_are_padded_with_nulls() {
        let mut t = Attributes::default();
        assert_eq!(t.push(1, vec![text("a")]), 0);
        assert_eq!(t.push(1, vec![text("b")]), 1);
        assert_eq!(
            t.push(3, vec![text("c"), Value::Null, Value::Number(2.0)]),
            2
        );
        assert_eq!(t.push(3, vec![text("d")]), 3);
        assert_eq!(t.push(4, vec![]), 4);
        t.finish();
        assert_eq!(t.width(), 4);
        assert_eq!(t.len(), 5);
        let null = Value::Null;
        assert_eq!(
            t.row(0),
            [text("a"), null.clone(), null.clone(), null.clone()]
        );
        assert_eq!(
            t.row(1),
            [text("b"), null.clone(), null.clone(), null.clone()]
        );
        let c = [text("c"), null.clone(), Value::Number(2.0), null.clone()];
        assert_eq!(t.row(2), c);
        assert_eq!(
            t.row(3),
            [text("d"), null.clone(), null.clone(), null.clone()]
        );
        assert_eq!(t.row(4), [null.clone(), null.clone(), null.clone(), null]);
        assert!(t.row(5).is_empty());
    }

    #[test]
    fn a_schema_that_starts_wide_needs_no_layout() {
        let mut t = Attributes::default();
        t.push(2, vec![text("a"), Value::Bool(true)]);
        t.push(2, vec![text("b")]);
        assert!(t.runs.is_empty());
        t.finish();
        assert_eq!(t.rows().count(), 2);
        assert_eq!(t.row(0), [text("a"), Value::Bool(true)]);
        assert_eq!(t.row(1), [text("b"), Value::Null]);
    }

    #[test]
    fn a_truncated_table_keeps_its_first_rows_only() {
        let mut t = Attributes::default();
        for k in 0..5 {
            t.push(2, vec![Value::Number(f64::from(k)), text("x")]);
        }
        t.finish();
        t.truncate(7); // more rows than it holds: nothing changes
        assert_eq!(t.len(), 5);
        t.truncate(2);
        assert_eq!(t.len(), 2);
        assert_eq!(t.rows().count(), 2);
        assert_eq!(t.row(1), [Value::Number(1.0), text("x")]);
        assert!(t.row(2).is_empty());
        assert_eq!(
            t.values.capacity(),
            4,
            "the memory of the rows let go is given back"
        );
        t.truncate(0);
        assert!(t.is_empty() && t.row(0).is_empty());
    }

    /// Seven features whose row `r` holds the number `10 r`; `rows` maps feature to row.
    fn seven(rows: impl Fn(usize) -> usize) -> (Vec<Feature>, Attributes) {
        let mut t = Attributes::default();
        for r in 0..7 {
            t.push(1, vec![Value::Number(10.0 * r as f64)]);
        }
        t.finish();
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
                    let Value::Number(v) = row[0] else {
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
