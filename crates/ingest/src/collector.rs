//! The feature pipeline every reader feeds: geometry validation in parallel batches, the field
//! schema in first-seen order, and the data issues met on the way.

use crate::feature::Feature;
use crate::raw::RawGeometry;
use crate::value::{Field, FieldType, Value};
use compact_str::CompactString;
use geo::MultiPolygon;
use rayon::prelude::*;
use redline_geom::{validate_and_repair, IssueKind};
use std::borrow::Cow;
use std::collections::HashMap;

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

/// Field names in first-seen order and their positions.
#[derive(Default)]
pub(crate) struct Schema {
    pub fields: Vec<Field>,
    index: HashMap<String, usize>,
}

impl Schema {
    fn position(&self, k: usize, name: &str) -> Option<usize> {
        // Features usually list their properties in one order: try position k before hashing.
        match self.fields.get(k) {
            Some(f) if f.name == name => Some(k),
            _ => self.index.get(name).copied(),
        }
    }

    fn add(&mut self, name: String, field_type: FieldType) -> usize {
        let i = self.fields.len();
        self.index.insert(name.clone(), i);
        self.fields.push(Field { name, field_type });
        i
    }

    /// Puts named values in schema order (read-only, so it runs on any thread); names the
    /// schema does not know yet come back separately, for [`Collector::accept`] to add.
    pub fn arrange(&self, named: Vec<(Cow<'_, str>, Value)>) -> Named {
        let mut attrs = vec![Value::Null; self.fields.len()];
        let mut extras = Vec::new();
        for (k, (name, value)) in named.into_iter().enumerate() {
            match self.position(k, &name) {
                Some(i) => attrs[i] = value,
                None => extras.push((name.into_owned(), value)),
            }
        }
        Named { attrs, extras }
    }
}

/// Values placed by [`Schema::arrange`].
pub(crate) struct Named {
    attrs: Vec<Value>,
    extras: Vec<(String, Value)>,
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
    pub problems: Vec<Problem>,
    /// Features accepted so far (including dropped ones): the next feature's index.
    pub count: usize,
}

impl Collector {
    /// A collector whose schema grows as named values arrive (GeoJSON).
    pub fn inferring() -> Self {
        Collector {
            infer_types: true,
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
            self.features.push(Feature {
                index,
                id,
                geometry,
                attrs,
            });
        }
    }

    /// Takes the next feature with values arranged by [`Schema::arrange`], adding new fields.
    pub fn accept_named(
        &mut self,
        id: Option<CompactString>,
        converted: Converted,
        named: Named,
    ) {
        let mut attrs = named.attrs;
        for (name, value) in named.extras {
            let i = match self.schema.index.get(&name) {
                Some(&i) => i,
                None => self.schema.add(name, FieldType::Null),
            };
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

    /// Pads every feature's attributes to the final schema width and, for inferred schemas,
    /// sets each field's type from its values.
    pub fn finish(&mut self) {
        let width = self.schema.fields.len();
        self.features
            .par_iter_mut()
            .for_each(|f| f.attrs.resize(width, Value::Null));
        if !self.infer_types {
            return;
        }
        let types = self
            .features
            .par_iter()
            .fold(
                || vec![FieldType::Null; width],
                |mut acc, f| {
                    for (t, v) in acc.iter_mut().zip(&f.attrs) {
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
