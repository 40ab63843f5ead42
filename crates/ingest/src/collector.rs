//! The feature pipeline every reader feeds: geometry validation in parallel batches, the field
//! schema in first-seen order, and the data issues met on the way.

use crate::geojson::RawGeometry;
use crate::value::{Field, FieldType, Value};
use crate::Feature;
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

/// A feature's attributes as a reader has them.
pub(crate) enum Attrs<'a> {
    /// By name (GeoJSON properties): placed into the growing schema.
    Named(Vec<(Cow<'a, str>, Value)>),
    /// In schema order (DBF records).
    Positional(Vec<Value>),
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
    pub fields: Vec<Field>,
    field_index: HashMap<String, usize>,
    pub features: Vec<Feature>,
    pub problems: Vec<Problem>,
    /// Features accepted so far (including dropped ones): the next feature's index.
    pub count: usize,
}

impl Collector {
    /// Fixes the schema up front (formats that declare their fields).
    pub fn set_schema(&mut self, fields: Vec<Field>) {
        self.field_index = fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.clone(), i))
            .collect();
        self.fields = fields;
    }

    /// Takes the next feature, in file order.
    pub fn accept(&mut self, id: Option<String>, converted: Converted, attrs: Attrs<'_>) {
        let index = self.count;
        self.count += 1;
        let attrs = match attrs {
            Attrs::Positional(values) => values,
            Attrs::Named(named) => self.place(named),
        };
        let problems = converted.problems.into_iter();
        self.problems
            .extend(problems.map(|(kind, message)| Problem {
                index,
                id: id.clone(),
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

    /// Puts named values in schema order. Features usually list their properties in the same
    /// order, so the name at position k is first compared with field k before any hashing.
    fn place(&mut self, named: Vec<(Cow<'_, str>, Value)>) -> Vec<Value> {
        let mut attrs = vec![Value::Null; self.fields.len()];
        for (k, (name, value)) in named.into_iter().enumerate() {
            let i = match self.fields.get(k) {
                Some(f) if f.name == name => k,
                _ => match self.field_index.get(name.as_ref()) {
                    Some(&i) => i,
                    None => {
                        self.field_index.insert(name.to_string(), self.fields.len());
                        self.fields.push(Field {
                            name: name.into_owned(),
                            field_type: FieldType::Null,
                        });
                        attrs.push(Value::Null);
                        self.fields.len() - 1
                    }
                },
            };
            self.fields[i].field_type = self.fields[i].field_type.merge(value.field_type());
            attrs[i] = value;
        }
        attrs
    }

    /// Validates a batch of positional records in parallel and accepts them in order.
    pub fn accept_batch(&mut self, batch: Vec<(Option<String>, RawGeometry, Vec<Value>)>) {
        let converted: Vec<_> = batch
            .into_par_iter()
            .map(|(id, g, values)| (id, convert_geometry(g), values))
            .collect();
        for (id, c, values) in converted {
            self.accept(id, c, Attrs::Positional(values));
        }
    }

    /// Pads every feature's attributes to the final schema width.
    pub fn finish(&mut self) {
        let width = self.fields.len();
        for f in &mut self.features {
            f.attrs.resize(width, Value::Null);
        }
    }
}
