//! One feature as read, and the attribute table its layer holds its values in.

use crate::value::Value;
use compact_str::CompactString;
use geo::MultiPolygon;

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
}
