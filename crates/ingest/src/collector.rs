//! The feature pipeline every reader feeds: geometry validation in parallel batches, the field
//! schema in first-seen order, and the data issues met on the way.

use crate::attributes::Attributes;
use crate::feature::Feature;
use crate::geojson::Properties;
use crate::raw::RawGeometry;
use crate::text_print::Prints;
use crate::value::{Field, FieldType, Value};
use compact_str::CompactString;
use geo::MultiPolygon;
use rayon::prelude::*;
use redline_geom::{validate_and_repair, IssueKind, KnownGeometries, TextHint, TextPrint};
use std::borrow::Cow;
use std::sync::Arc;

/// Features a reader hands over at once; each batch is validated in parallel.
pub(crate) const BATCH: usize = 4096;

/// A geometry after validation: what is left of it, and what was wrong.
pub(crate) struct Converted {
    pub geometry: Option<Arc<MultiPolygon<f64>>>,
    pub problems: Vec<(IssueKind, String)>,
    /// The print of the geometry's text, where the read takes them ([`Converter::prints`]).
    pub print: Option<TextPrint>,
}

/// Validates raw geometries, giving a valid one that is a known geometry to the bit that
/// geometry's allocation ([`crate::ReadOptions::known_geometries`]). Cheap to clone: a copy goes
/// to every thread that converts.
#[derive(Clone, Default)]
pub(crate) struct Converter {
    known: Option<Arc<dyn KnownGeometries>>,
    /// Whether the GeoJSON readers take each geometry's [`TextPrint`] for the layer.
    record_prints: bool,
}

impl Converter {
    /// A converter that shares the `known` geometries, where given, and has the GeoJSON
    /// readers take the geometries' text prints where `record_prints`.
    pub fn new(known: Option<Arc<dyn KnownGeometries>>, record_prints: bool) -> Self {
        Converter {
            known,
            record_prints,
        }
    }

    /// What a GeoJSON parse does with each geometry's coordinate text (`hint`: the parse's run
    /// of features', where it looks texts up).
    pub fn prints<'a>(&'a self, hint: &'a TextHint) -> Prints<'a> {
        match self.looks_up() {
            Some(known) => Prints::Lookup(known, hint),
            None if self.record_prints => Prints::Record,
            None => Prints::Ignore,
        }
    }

    /// The known geometries a parse looks its texts up in, where they know texts.
    fn looks_up(&self) -> Option<&dyn KnownGeometries> {
        self.known.as_deref().filter(|known| known.knows_texts())
    }

    /// Whether the parse takes each geometry's print with its feature ([`Prints::Record`]).
    pub fn records_prints(&self) -> bool {
        self.record_prints && self.looks_up().is_none()
    }

    /// Validates and repairs one raw geometry (pure: runs on any thread, and the copy a known
    /// geometry replaces is freed on the thread that made it).
    pub fn convert(&self, geometry: RawGeometry) -> Converted {
        let drop = |kind, message: String| Converted {
            geometry: None,
            problems: vec![(kind, message)],
            print: None,
        };
        match geometry {
            RawGeometry::Known(known) => Converted {
                geometry: Some(known),
                problems: Vec::new(),
                print: None,
            },
            RawGeometry::Polygons(raw) => {
                // Basic farmland drawn on the parcels: most of its polygons are a parcel's,
                // which validation passed as it is.
                if let Some(known) = self.known.as_ref().and_then(|k| k.validated_same_as(&raw)) {
                    return Converted {
                        geometry: Some(known),
                        problems: Vec::new(),
                        print: None,
                    };
                }
                let outcome = validate_and_repair(raw);
                Converted {
                    geometry: outcome.geometry.map(|g| self.share(g)),
                    problems: outcome
                        .problems
                        .into_iter()
                        .map(|p| (p.kind, p.message))
                        .collect(),
                    print: None,
                }
            }
            RawGeometry::Null => drop(
                IssueKind::EmptyGeometry,
                "the feature has no geometry; dropped".into(),
            ),
            RawGeometry::Other(kind) => drop(
                IssueKind::NotAPolygon,
                format!(
                    "geometry is a {kind}; a polygon layer needs Polygon or MultiPolygon; dropped"
                ),
            ),
            RawGeometry::Malformed(why) => drop(IssueKind::NotAPolygon, format!("{why}; dropped")),
        }
    }

    fn share(&self, geometry: MultiPolygon<f64>) -> Arc<MultiPolygon<f64>> {
        self.known
            .as_ref()
            .and_then(|k| k.same_as(&geometry))
            .unwrap_or_else(|| Arc::new(geometry))
    }
}

/// The fields in first-seen order (or as a format declares them), and where each property name
/// a reader meets goes.
#[derive(Default, Clone)]
pub(crate) struct Schema {
    pub fields: Vec<Field>,
    /// Every property name met, in first-seen order, with its field's position, or `None` for
    /// a name the reader leaves out (see [`Schema::wanted`]). Features usually list their
    /// properties in one order, so a feature's k-th name is looked for here first.
    seen: Vec<(String, Option<usize>)>,
    seen_index: redline_geom::FastMap<String, usize>,
    /// The only names kept (matched without regard to ASCII case); `None` keeps every name.
    wanted: Option<Vec<String>>,
}

impl Schema {
    /// Where a property's value goes: `Some(Some(i))` into field `i`, `Some(None)` nowhere (a
    /// name left out), `None` for a name not met before.
    fn place(&self, k: usize, name: &str) -> Option<Option<usize>> {
        match self.seen.get(k) {
            Some((seen, place)) if seen == name => Some(*place),
            _ => self.known(name),
        }
    }

    /// Where a name met before goes (`Some(None)`: nowhere); `None` for a name not met yet.
    fn known(&self, name: &str) -> Option<Option<usize>> {
        self.seen_index.get(name).map(|&j| self.seen[j].1)
    }

    fn add(&mut self, name: String, field_type: FieldType) -> usize {
        self.fields.push(Field { name, field_type });
        self.fields.len() - 1
    }

    /// Meets a property name for the first time: a new field, unless it is left out.
    fn meet(&mut self, name: String) -> Option<usize> {
        let keep = self
            .wanted
            .as_ref()
            .is_none_or(|w| w.iter().any(|n| n.eq_ignore_ascii_case(&name)));
        let place = keep.then(|| self.add(name.clone(), FieldType::Null));
        self.seen_index.insert(name.clone(), self.seen.len());
        self.seen.push((name, place));
        place
    }

    /// Puts a feature's named values in schema order into `row` (one value per field, as
    /// [`Rows::rows_mut`] gives) as a reader meets them (read-only, so it runs on any thread);
    /// names the schema does not know yet are kept aside, for [`Collector::accept_named`] to
    /// add.
    pub fn arranger<'r>(&self, row: &'r mut [Value]) -> Arranger<'_, 'r> {
        Arranger {
            schema: self,
            row,
            extras: Vec::new(),
        }
    }
}

/// The values of a chunk of features, a row per feature, in one buffer that a reader reuses
/// chunk after chunk. Features are parsed on some threads and taken into the [`Collector`] on
/// another: a vector of values per feature was a block freed by a thread other than the one
/// that allocated it, and glibc's `free` of such a block waits for that thread's heap lock — a
/// fifth of a GeoJSON read.
#[derive(Default)]
pub(crate) struct Rows {
    /// Fields per row (the schema's width when the rows were laid out).
    width: usize,
    /// `max(width, 1)` values per row, so that a schema with no field still has a row per
    /// feature to hand out.
    values: Vec<Value>,
}

impl Rows {
    fn stride(&self) -> usize {
        self.width.max(1)
    }

    /// Lays out `n` rows of nulls of the schema's width now, reusing the buffer.
    pub fn reset(&mut self, schema: &Schema, n: usize) {
        self.width = schema.fields.len();
        self.values.clear();
        self.values.resize(n * self.stride(), Value::Null);
    }

    /// The rows in order, each `width` values, to be filled in parallel.
    pub fn rows_mut(&mut self) -> impl IndexedParallelIterator<Item = &mut [Value]> {
        let (width, stride) = (self.width, self.stride());
        self.values
            .par_chunks_mut(stride)
            .map(move |row| &mut row[..width])
    }

    /// Row `i`'s values, moved out (nulls left behind).
    pub fn take(&mut self, i: usize) -> impl Iterator<Item = Value> + '_ {
        let start = i * self.stride();
        self.values[start..start + self.width]
            .iter_mut()
            .map(|v| std::mem::replace(v, Value::Null))
    }
}

/// One feature's values being put in schema order ([`Schema::arranger`]).
pub(crate) struct Arranger<'s, 'r> {
    schema: &'s Schema,
    row: &'r mut [Value],
    extras: Vec<(String, Value)>,
}

impl Arranger<'_, '_> {
    /// The named values the schema did not know, in the order met.
    pub fn finish(self) -> Vec<(String, Value)> {
        self.extras
    }
}

impl<'a> Properties<'a> for Arranger<'_, '_> {
    fn start(&mut self) {
        self.row.fill(Value::Null);
        self.extras.clear();
    }

    fn put(&mut self, k: usize, name: Cow<'a, str>, value: Value) {
        match self.schema.place(k, &name) {
            Some(Some(i)) => self.row[i] = value,
            Some(None) => {}
            None => self.extras.push((name.into_owned(), value)),
        }
    }
}

/// One problem of one feature.
pub(crate) struct Problem {
    pub index: usize,
    pub id: Option<String>,
    pub field: Option<String>,
    pub kind: IssueKind,
    pub message: String,
}

/// Gathers validated features in file order.
#[derive(Default)]
pub(crate) struct Collector {
    pub schema: Schema,
    /// Field types come from the values (GeoJSON), not from a declaration (DBF).
    infer_types: bool,
    pub features: Vec<Feature>,
    /// The kept features' values, a row each.
    pub attributes: Attributes,
    pub problems: Vec<Problem>,
    /// Features accepted so far (including dropped ones): the next feature's index.
    pub count: usize,
    /// How the readers validate geometry.
    pub converter: Converter,
    /// (feature index, print) of the kept features whose geometry text was printed
    /// ([`Converter::prints`]), in file order.
    pub prints: Vec<(usize, TextPrint)>,
}

impl Collector {
    /// A collector whose schema grows as named values arrive (GeoJSON), keeping only the
    /// `wanted` names where given (matched without regard to ASCII case).
    pub fn inferring(wanted: Option<Vec<String>>) -> Self {
        Collector {
            infer_types: true,
            schema: Schema {
                wanted,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    /// Fixes the schema up front (formats that declare their fields).
    pub fn set_schema(&mut self, fields: Vec<Field>) {
        for f in fields {
            self.schema.add(f.name, f.field_type);
        }
    }

    /// Takes the next feature, in file order, with values in schema order.
    pub fn accept(
        &mut self,
        id: Option<CompactString>,
        converted: Converted,
        attrs: impl IntoIterator<Item = Value>,
    ) {
        let index = self.count;
        self.count += 1;
        let problems = converted.problems.into_iter();
        self.problems
            .extend(problems.map(|(kind, message)| Problem {
                index,
                id: id.as_deref().map(str::to_string),
                field: None,
                kind,
                message,
            }));
        if let Some(geometry) = converted.geometry {
            if let Some(print) = converted.print {
                self.prints.push((index, print));
            }
            let row = self.attributes.push(self.schema.fields.len(), attrs);
            self.features.push(Feature {
                index,
                row,
                id,
                geometry,
            });
        }
    }

    /// Makes room for `more` features to come (a reader's estimate).
    pub fn expect_more(&mut self, more: usize) {
        self.features.reserve(more);
        self.attributes.reserve(more);
        if self.converter.records_prints() {
            self.prints.reserve(more);
        }
    }

    /// Takes the next feature with values placed by an [`Arranger`] (`row`, in the schema's
    /// order when it was arranged) and the names it did not know (`extras`), adding new fields.
    pub fn accept_named(
        &mut self,
        id: Option<CompactString>,
        converted: Converted,
        row: impl Iterator<Item = Value>,
        extras: Vec<(String, Value)>,
    ) {
        if extras.is_empty() {
            return self.accept(id, converted, row);
        }
        let mut attrs: Vec<Value> = row.collect();
        for (name, value) in extras {
            // A name new to the schema when the batch was arranged may have been met since.
            let place = match self.schema.known(&name) {
                Some(place) => place,
                None => self.schema.meet(name),
            };
            let Some(i) = place else { continue };
            if attrs.len() <= i {
                attrs.resize(i + 1, Value::Null);
            }
            attrs[i] = value;
        }
        self.accept(id, converted, attrs);
    }

    /// Validates a batch of positional records in parallel and accepts them in order.
    pub fn accept_batch(&mut self, batch: Vec<(Option<String>, RawGeometry, Vec<Value>)>) {
        let converter = &self.converter;
        let converted: Vec<_> = batch
            .into_par_iter()
            .map(|(id, g, values)| (id.map(CompactString::from), converter.convert(g), values))
            .collect();
        for (id, c, values) in converted {
            self.accept(id, c, values);
        }
    }

    /// Lays every row out to the final schema width and, for inferred schemas, sets each
    /// field's type from its values.
    pub fn finish(&mut self) {
        self.attributes.finish(self.schema.fields.len());
        if !self.infer_types {
            return;
        }
        let types = self.attributes.field_types();
        for (field, t) in self.schema.fields.iter_mut().zip(types) {
            field.field_type = t;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(names: &[&str]) -> Schema {
        let mut s = Schema::default();
        for n in names {
            s.add(n.to_string(), FieldType::Null);
        }
        s
    }

    #[test]
    fn rows_hand_out_a_row_per_feature_and_give_the_values_back_in_order() {
        let mut rows = Rows::default();
        rows.reset(&schema(&["a", "b"]), 3);
        rows.rows_mut().enumerate().for_each(|(i, row)| {
            assert_eq!(row.len(), 2);
            row[1] = Value::Number(i as f64);
        });
        let taken: Vec<Vec<Value>> = (0..3).map(|i| rows.take(i).collect()).collect();
        assert_eq!(
            taken,
            (0..3)
                .map(|i| vec![Value::Null, Value::Number(i as f64)])
                .collect::<Vec<_>>()
        );
        // Taken values are gone, and a reused table starts from nulls.
        assert!(rows.values.iter().all(|v| *v == Value::Null));
        rows.rows_mut().for_each(|row| row[0] = Value::Bool(true));
        rows.reset(&schema(&["a", "b", "c"]), 2);
        assert_eq!(rows.rows_mut().count(), 2);
        assert_eq!(rows.take(1).collect::<Vec<_>>(), vec![Value::Null; 3]);
        // A schema with no field still gives each feature its (empty) row.
        rows.reset(&schema(&[]), 4);
        assert_eq!(
            rows.rows_mut().map(|row| row.len()).collect::<Vec<_>>(),
            [0; 4]
        );
        assert_eq!(rows.take(3).count(), 0);
    }
}
