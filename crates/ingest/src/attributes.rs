//! A layer's attribute table: a column per field, numbers kept as plain `f64`s.

use crate::value::{FieldType, Value, ValueRef};
use rayon::prelude::*;

/// A null in a column of numbers: a NaN no reader makes. A real NaN turns its column into
/// values, so this pattern only ever means "no value".
const NULL_BITS: u64 = 0x7ff8_0000_dead_beef;

/// One field's values, a row each.
#[derive(Debug, Clone)]
enum Column {
    /// Numbers and nulls ([`NULL_BITS`]): 8 bytes a value, where a [`Value`] takes 24. Most
    /// columns of a survey's parcels are numbers (areas, coefficients, grades).
    Numbers(Vec<f64>),
    /// Any values: the column of numbers a text, a boolean or a NaN was met in becomes one.
    Values(Vec<Value>),
}

impl Column {
    /// A column of `rows` nulls.
    fn nulls(rows: usize) -> Self {
        Column::Numbers(vec![f64::from_bits(NULL_BITS); rows])
    }

    fn len(&self) -> usize {
        match self {
            Column::Numbers(n) => n.len(),
            Column::Values(v) => v.len(),
        }
    }

    #[inline]
    fn get(&self, row: usize) -> Option<ValueRef<'_>> {
        match self {
            Column::Numbers(n) => n.get(row).map(|&x| number_or_null(x)),
            Column::Values(v) => v.get(row).map(Value::view),
        }
    }

    #[inline]
    fn push(&mut self, value: Value) {
        match self {
            Column::Numbers(n) => match value {
                Value::Null => n.push(f64::from_bits(NULL_BITS)),
                Value::Number(x) if !x.is_nan() => n.push(x),
                // The first value not a number: the column holds values from here on.
                other => {
                    self.widen();
                    self.push(other);
                }
            },
            Column::Values(v) => v.push(value),
        }
    }

    /// Turns a column of numbers into values.
    #[cold]
    fn widen(&mut self) {
        if let Column::Numbers(n) = self {
            let mut values: Vec<Value> = Vec::with_capacity(n.capacity());
            values.extend(n.iter().map(|&x| number_or_null(x).to_value()));
            *self = Column::Values(values);
        }
    }

    fn truncate(&mut self, rows: usize) {
        match self {
            Column::Numbers(n) => n.truncate(rows),
            Column::Values(v) => v.truncate(rows),
        }
        self.shrink_to_fit();
    }

    fn reserve(&mut self, more: usize) {
        match self {
            Column::Numbers(n) => n.reserve(more),
            Column::Values(v) => v.reserve(more),
        }
    }

    fn shrink_to_fit(&mut self) {
        match self {
            Column::Numbers(n) => n.shrink_to_fit(),
            Column::Values(v) => v.shrink_to_fit(),
        }
    }

    /// The type over the column's values.
    fn field_type(&self) -> FieldType {
        match self {
            Column::Numbers(n) if n.iter().all(|x| x.to_bits() == NULL_BITS) => FieldType::Null,
            Column::Numbers(_) => FieldType::Number,
            Column::Values(v) => v
                .par_iter()
                .fold(|| FieldType::Null, |t, v| t.merge(v.field_type()))
                .reduce(|| FieldType::Null, FieldType::merge),
        }
    }

    /// The memory the column holds, in bytes.
    fn capacity_bytes(&self) -> usize {
        match self {
            Column::Numbers(n) => n.capacity() * std::mem::size_of::<f64>(),
            Column::Values(v) => v.capacity() * std::mem::size_of::<Value>(),
        }
    }
}

#[inline]
fn number_or_null(x: f64) -> ValueRef<'static> {
    if x.to_bits() == NULL_BITS {
        ValueRef::Null
    } else {
        ValueRef::Number(x)
    }
}

/// A layer's attribute values, a row per feature kept and a column per field. A column of
/// numbers keeps them as `f64`s, a third of what a [`Value`] each takes: at three million
/// parcels the table was the read's peak. Each column is one allocation, freed in one piece
/// (a value vector per feature was a million small blocks the overlay's larger ones did not
/// fit in, which the process kept).
#[derive(Debug, Clone, Default)]
pub struct Attributes {
    columns: Vec<Column>,
    rows: usize,
}

impl Attributes {
    /// The values of row `row`, one per field (none for a row the table does not hold).
    #[inline]
    pub fn row(&self, row: usize) -> Row<'_> {
        Row { table: self, row }
    }

    /// Values per row: the layer's field count once the read is finished.
    pub fn width(&self) -> usize {
        self.columns.len()
    }

    /// Rows held.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// True when the table holds no row.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The memory the table holds, in bytes (its values; not the heap text longer than 24
    /// bytes refers to).
    pub fn capacity_bytes(&self) -> usize {
        self.columns.iter().map(Column::capacity_bytes).sum()
    }

    /// Keeps the first `rows` rows and gives the rest's memory back (a reader of a large table
    /// that is done with its last rows lets them go while it works through the others).
    pub fn truncate(&mut self, rows: usize) {
        if rows < self.rows {
            self.columns.iter_mut().for_each(|c| c.truncate(rows));
            self.rows = rows;
        }
    }

    /// Each column's type over its values.
    pub(crate) fn field_types(&self) -> Vec<FieldType> {
        self.columns.iter().map(Column::field_type).collect()
    }

    /// Every row, in order.
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        (0..self.rows).map(|r| self.row(r))
    }

    /// Appends a row of `width` values (the schema's width now: it only grows; the rows before
    /// have nulls in the new fields), padding a shorter `values` with nulls; returns the row's
    /// number.
    pub(crate) fn push(&mut self, width: usize, values: impl IntoIterator<Item = Value>) -> usize {
        self.widen_to(width);
        let mut values = values.into_iter();
        for column in &mut self.columns {
            column.push(values.next().unwrap_or(Value::Null));
        }
        self.rows += 1;
        self.rows - 1
    }

    /// Makes room for `more` rows in every column.
    pub(crate) fn reserve(&mut self, more: usize) {
        self.columns.iter_mut().for_each(|c| c.reserve(more));
    }

    /// Adds columns of nulls, one for each row held, up to `width` fields.
    fn widen_to(&mut self, width: usize) {
        while self.columns.len() < width {
            self.columns.push(Column::nulls(self.rows));
        }
    }

    /// Gives back the spare capacity once every row is in; `width`: the schema's final width
    /// (a field met only on features that were dropped has no value in any row).
    pub(crate) fn finish(&mut self, width: usize) {
        self.widen_to(width);
        self.columns.iter_mut().for_each(Column::shrink_to_fit);
        debug_assert!(self.columns.iter().all(|c| c.len() == self.rows));
    }
}

/// One row of an [`Attributes`] table: its values, one per field of the layer.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    table: &'a Attributes,
    row: usize,
}

impl<'a> Row<'a> {
    /// The value in column `column`; `None` past the last column or for a row the table does
    /// not hold.
    #[inline]
    pub fn get(&self, column: usize) -> Option<ValueRef<'a>> {
        self.table.columns.get(column)?.get(self.row)
    }

    /// Values in the row: the table's width, or 0 for a row the table does not hold.
    #[inline]
    pub fn len(&self) -> usize {
        if self.row < self.table.rows {
            self.table.columns.len()
        } else {
            0
        }
    }

    /// True when the row has no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values in column order.
    pub fn iter(&self) -> impl Iterator<Item = ValueRef<'a>> + 'a {
        let row = *self;
        (0..row.len()).filter_map(move |c| row.get(c))
    }

    /// The values, owned.
    pub fn to_vec(&self) -> Vec<Value> {
        self.iter().map(ValueRef::to_value).collect()
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
        t.finish(t.width());
        assert_eq!(t.width(), 4);
        assert_eq!(t.len(), 5);
        let null = Value::Null;
        let n = || null.clone();
        assert_eq!(t.row(0).to_vec(), [text("a"), n(), n(), n()]);
        assert_eq!(t.row(1).to_vec(), [text("b"), n(), n(), n()]);
        let c = [text("c"), n(), Value::Number(2.0), n()];
        assert_eq!(t.row(2).to_vec(), c);
        assert_eq!(t.row(3).to_vec(), [text("d"), n(), n(), n()]);
        assert_eq!(t.row(4).to_vec(), [n(), n(), n(), null]);
        assert!(t.row(5).is_empty());
        assert_eq!(t.row(5).get(0), None);
        assert_eq!(t.row(2).get(4), None);
    }

    #[test]
    fn numbers_take_eight_bytes_until_a_column_holds_something_else() {
        let mut t = Attributes::default();
        for k in 0..4 {
            let kind = if k == 2 {
                text("x")
            } else {
                Value::Number(0.5)
            };
            let nan = if k == 3 { f64::NAN } else { -0.0 };
            t.push(
                3,
                vec![Value::Number(f64::from(k)), kind, Value::Number(nan)],
            );
        }
        t.push(3, vec![Value::Null, Value::Null]);
        t.finish(4); // a fourth field, met on no feature kept
                     // Column 0: numbers and a null; column 1 met text; column 2 met a NaN; column 3 nulls.
        assert_eq!(t.capacity_bytes(), 5 * 8 + 5 * 24 + 5 * 24 + 5 * 8);
        let types = [
            FieldType::Number,
            FieldType::Mixed,
            FieldType::Number,
            FieldType::Null,
        ];
        assert_eq!(t.field_types(), types);
        assert_eq!(t.row(4).get(3), Some(ValueRef::Null));
        assert_eq!(t.row(1).get(0), Some(ValueRef::Number(1.0)));
        assert_eq!(t.row(4).get(0), Some(ValueRef::Null));
        assert_eq!(t.row(0).get(1), Some(ValueRef::Number(0.5)));
        assert_eq!(t.row(2).get(1), Some(ValueRef::Text("x")));
        assert_eq!(t.row(4).get(1), Some(ValueRef::Null));
        let Some(ValueRef::Number(z)) = t.row(0).get(2) else {
            panic!("-0.0 lost")
        };
        assert!(z == 0.0 && z.is_sign_negative());
        assert!(matches!(t.row(3).get(2), Some(ValueRef::Number(x)) if x.is_nan()));
        assert_eq!(t.row(4).get(2), Some(ValueRef::Null));
        // The null pattern is told from the NaN only a column of numbers keeps.
        assert!(f64::from_bits(NULL_BITS).is_nan());
        assert_ne!(f64::NAN.to_bits(), NULL_BITS);
    }

    #[test]
    fn a_column_widened_late_keeps_every_value() {
        // A text met after a thousand numbers, a field first met after two thousand rows.
        let n = 2500;
        let (text_at, grown_at) = (1300, 2100);
        let mut t = Attributes::default();
        for r in 0..n {
            let second = if r == text_at {
                text("x")
            } else {
                Value::Number(r as f64 / 2.0)
            };
            let mut row = vec![Value::Number(r as f64), second];
            let width = if r >= grown_at { 3 } else { 2 };
            if r >= grown_at {
                row.push(if r % 2 == 0 {
                    Value::Null
                } else {
                    Value::Bool(true)
                });
            }
            assert_eq!(t.push(width, row), r);
        }
        t.finish(3);
        assert_eq!((t.len(), t.width()), (n, 3));
        assert_eq!(
            t.field_types(),
            [FieldType::Number, FieldType::Mixed, FieldType::Bool]
        );
        // Column 0 stays numbers, column 1 became values: 8 + 24 + 24 bytes a row.
        assert_eq!(t.capacity_bytes(), n * (8 + 24 + 24));
        for r in 0..n {
            let row = t.row(r);
            assert_eq!(row.get(0), Some(ValueRef::Number(r as f64)), "row {r}");
            let second = if r == text_at {
                ValueRef::Text("x")
            } else {
                ValueRef::Number(r as f64 / 2.0)
            };
            assert_eq!(row.get(1), Some(second), "row {r}");
            let third = if r >= grown_at && r % 2 == 1 {
                ValueRef::Bool(true)
            } else {
                ValueRef::Null
            };
            assert_eq!(row.get(2), Some(third), "row {r}");
        }
    }

    #[test]
    fn a_truncated_table_keeps_its_first_rows_only() {
        let mut t = Attributes::default();
        for k in 0..5 {
            t.push(2, vec![Value::Number(f64::from(k)), text("x")]);
        }
        t.finish(t.width());
        t.truncate(7); // more rows than it holds: nothing changes
        assert_eq!(t.len(), 5);
        t.truncate(2);
        assert_eq!(t.len(), 2);
        assert_eq!(t.rows().count(), 2);
        assert_eq!(t.row(1).to_vec(), [Value::Number(1.0), text("x")]);
        assert!(t.row(2).is_empty());
        assert_eq!(
            t.capacity_bytes(),
            2 * 8 + 2 * 24,
            "the memory of the rows let go is given back"
        );
        t.truncate(0);
        assert!(t.is_empty() && t.row(0).is_empty());
    }
}
