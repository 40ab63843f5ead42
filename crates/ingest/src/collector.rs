//! The feature pipeline every reader feeds: geometry validation in parallel batches, the field
//! schema in first-seen order, and the data issues met on the way.

use crate::feature::{Attributes, Feature};
use crate::geojson::Properties;
use crate::raw::RawGeometry;
use crate::value::{Field, FieldType, Value};
use compact_str::CompactString;
use geo::MultiPolygon;
use rayon::prelude::*;
use redline_geom::{validate_and_repair, IssueKind};
use std::borrow::Cow;

/// Features a reader hands over at once; each batch is validated in parallel.
pub(crate) const BATCH: usize = 4096;

/// A geometry after validation: what is left of it, and what was wrong.
pub(crate) struct Converted {
    pub geometry: Option<MultiPolygon<f64>>,
    pub problems: Vec<(IssueKind, String)>,
}

/// Validates and repairs one raw geometry (pure: runs on any thread).
pub(crate) fn convert_geometry(geometry: RawGeometry) -> Converted {
    let drop = |kind, message: String| Converted {
        geometry: None,
        problems: vec![(kind, message)],
    };
    match geometry {
        RawGeometry::Polygons(raw) => {
            let outcome = validate_and_repair(raw);
            Converted {
                geometry: outcome.geometry,
                problems: outcome
                    .problems
                    .into_iter()
                    .map(|p| (p.kind, p.message))
                    .collect(),
            }
        }
        RawGeometry::Null => drop(
            IssueKind::EmptyGeometry,
            "the feature has no geometry; dropped".into(),
        ),
        RawGeometry::Other(kind) => drop(
            IssueKind::NotAPolygon,
            format!("geometry is a {kind}; a polygon layer needs Polygon or MultiPolygon; dropped"),
        ),
        RawGeometry::Malformed(why) => drop(IssueKind::NotAPolygon, format!("{why}; dropped")),
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

    /// Puts a feature's named values in schema order as a reader meets them (read-only, so
    /// it runs on any thread); names the schema does not know yet are kept aside, for
    /// [`Collector::accept_named`] to add.
    pub fn arranger(&self) -> Arranger<'_> {
        Arranger {
            schema: self,
            named: Named {
                attrs: vec![Value::Null; self.fields.len()],
                extras: Vec::new(),
            },
        }
    }
}

/// Values placed by an [`Arranger`].
pub(crate) struct Named {
    attrs: Vec<Value>,
    extras: Vec<(String, Value)>,
}

/// One feature's values being put in schema order ([`Schema::arranger`]).
pub(crate) struct Arranger<'s> {
    schema: &'s Schema,
    named: Named,
}

impl Arranger<'_> {
    /// The values placed.
    pub fn finish(self) -> Named {
        self.named
    }
}

impl<'a> Properties<'a> for Arranger<'_> {
    fn start(&mut self) {
        self.named.attrs.fill(Value::Null);
        self.named.extras.clear();
    }

    fn put(&mut self, k: usize, name: Cow<'a, str>, value: Value) {
        match self.schema.place(k, &name) {
            Some(Some(i)) => self.named.attrs[i] = value,
            Some(None) => {}
            None => self.named.extras.push((name.into_owned(), value)),
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
    pub fn accept(&mut self, id: Option<CompactString>, converted: Converted, attrs: Vec<Value>) {
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
            let row = self.attributes.push(self.schema.fields.len(), attrs);
            self.features.push(Feature {
                index,
                row,
                id,
                geometry,
            });
        }
    }

    /// Takes the next feature with values placed by an [`Arranger`], adding new fields.
    pub fn accept_named(&mut self, id: Option<CompactString>, converted: Converted, named: Named) {
        let mut attrs = named.attrs;
        for (name, value) in named.extras {
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
        let converted: Vec<_> = batch
            .into_par_iter()
            .map(|(id, g, values)| (id.map(CompactString::from), convert_geometry(g), values))
            .collect();
        for (id, c, values) in converted {
            self.accept(id, c, values);
        }
    }

    /// Lays every row out to the final schema width and, for inferred schemas, sets each
    /// field's type from its values.
    pub fn finish(&mut self) {
        self.attributes.finish();
        if !self.infer_types {
            return;
        }
        let width = self.schema.fields.len();
        let attributes = &self.attributes;
        let types = (0..attributes.len())
            .into_par_iter()
            .fold(
                || vec![FieldType::Null; width],
                |mut acc, row| {
                    for (t, v) in acc.iter_mut().zip(attributes.row(row)) {
                        *t = t.merge(v.field_type());
                    }
                    acc
                },
            )
            .reduce(
                || vec![FieldType::Null; width],
                |a, b| a.into_iter().zip(b).map(|(x, y)| x.merge(y)).collect(),
            );
        for (field, t) in self.schema.fields.iter_mut().zip(types) {
            field.field_type = t;
        }
    }
}
