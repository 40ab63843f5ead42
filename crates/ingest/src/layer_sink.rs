//! Writing a polygon layer as GeoParquet 1.1 or FlatGeobuf, feature by feature: what `redline
//! run --format` and `redline synth --format` share.
//!
//! GeoParquet: WKB geometry, a `bbox` covering column (struct of xmin/ymin/xmax/ymax, with
//! row-group statistics so readers can skip groups), PROJJSON CRS, snappy, 65 536 rows per row
//! group. FlatGeobuf: MultiPolygon with its packed R-tree (features Hilbert-sorted, as the
//! format's writer does), the CRS as an EPSG code or, without one, PROJJSON in the `wkt` slot
//! (GDAL reads either).

use crate::layer::Format;
use crate::value::{Field, FieldType, Value};
use arrow_array::builder::{BinaryBuilder, BooleanBuilder, Float64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch, StructArray};
use arrow_schema::{DataType, Field as ArrowField, Fields, Schema};
use flatgeobuf::geozero::{ColumnValue, GeomProcessor, GeozeroGeometry, PropertyProcessor};
use flatgeobuf::{ColumnType, FgbCrs, FgbWriter, FgbWriterOptions, GeometryType};
use geo::{BoundingRect, MultiPolygon};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use redline_geom::{write_wkb, Crs};
use serde_json::json;
use std::io::{self, Write};
use std::sync::Arc;

/// Rows per GeoParquet row group (and per Arrow batch).
const ROW_GROUP: usize = 65_536;

/// What an output layer is: its name, CRS (`None`: lon/lat OGC:CRS84) and fields.
#[derive(Debug, Clone, Copy)]
pub struct SinkLayer<'a> {
    /// The layer's name (FlatGeobuf keeps it in its header).
    pub name: &'a str,
    /// The coordinates' CRS; `None` for WGS 84 lon/lat.
    pub crs: Option<&'a Crs>,
    /// Field names and types; every feature's values follow them.
    pub fields: &'a [Field],
}

/// A layer being written.
pub struct LayerSink<W: Write + Send> {
    inner: Inner<W>,
}

enum Inner<W: Write + Send> {
    Parquet(Box<ParquetSink<W>>),
    Fgb(Box<FgbSink<W>>),
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

impl<W: Write + Send> LayerSink<W> {
    /// Starts a layer in `format` (GeoParquet or FlatGeobuf) written to `out`.
    pub fn create(format: Format, out: W, layer: SinkLayer<'_>) -> io::Result<Self> {
        let inner = match format {
            Format::GeoParquet => Inner::Parquet(Box::new(ParquetSink::create(out, layer)?)),
            Format::FlatGeobuf => Inner::Fgb(Box::new(FgbSink::create(out, layer)?)),
            other => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    format!("{} is not a format LayerSink writes", other.name()),
                ))
            }
        };
        Ok(LayerSink { inner })
    }

    /// Adds one feature; `values` follow the layer's fields.
    pub fn write(&mut self, geometry: &MultiPolygon<f64>, values: &[Value]) -> io::Result<()> {
        match &mut self.inner {
            Inner::Parquet(p) => p.write(geometry, values),
            Inner::Fgb(f) => f.write(geometry, values),
        }
    }

    /// Finishes the file (footer, index) and hands the writer back.
    pub fn finish(self) -> io::Result<W> {
        match self.inner {
            Inner::Parquet(p) => p.finish(),
            Inner::Fgb(f) => f.finish(),
        }
    }
}

/// The PROJJSON of a CRS, or an error naming it when it has none.
fn projjson(crs: &Crs) -> io::Result<serde_json::Value> {
    crs.to_projjson().ok_or_else(|| {
        other(format!(
            "{crs} has no PROJJSON description in redline; write lon/lat instead"
        ))
    })
}

struct ParquetSink<W: Write + Send> {
    writer: ArrowWriter<W>,
    schema: Arc<Schema>,
    fields: Vec<Field>,
    geo: serde_json::Value,
    rows: Vec<(Vec<u8>, [f64; 4], Vec<Value>)>,
    extent: [f64; 4],
}

fn bbox_fields() -> Fields {
    ["xmin", "ymin", "xmax", "ymax"]
        .into_iter()
        .map(|n| ArrowField::new(n, DataType::Float64, false))
        .collect()
}

impl<W: Write + Send> ParquetSink<W> {
    fn create(out: W, layer: SinkLayer<'_>) -> io::Result<Self> {
        let mut columns: Vec<ArrowField> = layer
            .fields
            .iter()
            .map(|f| {
                let t = match f.field_type {
                    FieldType::Number => DataType::Float64,
                    FieldType::Bool => DataType::Boolean,
                    FieldType::Text | FieldType::Null | FieldType::Mixed => DataType::Utf8,
                };
                ArrowField::new(&f.name, t, true)
            })
            .collect();
        columns.push(ArrowField::new("geometry", DataType::Binary, true));
        columns.push(ArrowField::new(
            "bbox",
            DataType::Struct(bbox_fields()),
            true,
        ));
        let schema = Arc::new(Schema::new(columns));
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP))
            .set_created_by(format!("redline {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer = ArrowWriter::try_new(out, schema.clone(), Some(props)).map_err(other)?;
        let mut column = json!({
            "encoding": "WKB",
            "geometry_types": ["MultiPolygon"],
            "covering": {"bbox": {
                "xmin": ["bbox", "xmin"], "ymin": ["bbox", "ymin"],
                "xmax": ["bbox", "xmax"], "ymax": ["bbox", "ymax"]
            }}
        });
        if let Some(crs) = layer.crs {
            column["crs"] = projjson(crs)?;
        }
        Ok(ParquetSink {
            writer,
            schema,
            fields: layer.fields.to_vec(),
            geo: json!({"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": column}}),
            rows: Vec::new(),
            extent: [f64::MAX, f64::MAX, f64::MIN, f64::MIN],
        })
    }

    fn write(&mut self, geometry: &MultiPolygon<f64>, values: &[Value]) -> io::Result<()> {
        let mut wkb = Vec::new();
        write_wkb(geometry, &mut wkb);
        let b = geometry
            .bounding_rect()
            .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
            .unwrap_or([f64::NAN; 4]);
        if !b[0].is_nan() {
            let e = &mut self.extent;
            *e = [
                e[0].min(b[0]),
                e[1].min(b[1]),
                e[2].max(b[2]),
                e[3].max(b[3]),
            ];
        }
        self.rows.push((wkb, b, values.to_vec()));
        if self.rows.len() == ROW_GROUP {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.fields.len() + 2);
        for (k, f) in self.fields.iter().enumerate() {
            let cell =
                |r: &(Vec<u8>, [f64; 4], Vec<Value>)| r.2.get(k).cloned().unwrap_or(Value::Null);
            arrays.push(match f.field_type {
                FieldType::Number => {
                    let mut b = Float64Builder::with_capacity(rows.len());
                    rows.iter()
                        .for_each(|r| b.append_option(cell(r).as_number()));
                    Arc::new(b.finish())
                }
                FieldType::Bool => {
                    let mut b = BooleanBuilder::with_capacity(rows.len());
                    rows.iter().for_each(|r| {
                        b.append_option(match cell(r) {
                            Value::Bool(v) => Some(v),
                            _ => None,
                        })
                    });
                    Arc::new(b.finish())
                }
                FieldType::Text | FieldType::Null | FieldType::Mixed => {
                    let mut b = StringBuilder::new();
                    rows.iter().for_each(|r| b.append_option(cell(r).as_text()));
                    Arc::new(b.finish())
                }
            });
        }
        let mut g = BinaryBuilder::new();
        rows.iter().for_each(|r| g.append_value(&r.0));
        arrays.push(Arc::new(g.finish()));
        let bbox: Vec<ArrayRef> = (0..4)
            .map(|i| {
                let mut b = Float64Builder::with_capacity(rows.len());
                rows.iter().for_each(|r| b.append_value(r.1[i]));
                Arc::new(b.finish()) as ArrayRef
            })
            .collect();
        arrays.push(Arc::new(StructArray::new(bbox_fields(), bbox, None)));
        let batch = RecordBatch::try_new(self.schema.clone(), arrays).map_err(other)?;
        self.writer.write(&batch).map_err(other)
    }

    fn finish(mut self) -> io::Result<W> {
        self.flush()?;
        if self.extent[0] <= self.extent[2] {
            self.geo["columns"]["geometry"]["bbox"] = json!(self.extent);
        }
        self.writer
            .append_key_value_metadata(KeyValue::new("geo".into(), self.geo.to_string()));
        self.writer.into_inner().map_err(other)
    }
}

struct FgbSink<W: Write + Send> {
    writer: FgbWriter<'static>,
    fields: Vec<Field>,
    out: W,
}

impl<W: Write + Send> FgbSink<W> {
    fn create(out: W, layer: SinkLayer<'_>) -> io::Result<Self> {
        let wkt = match layer.crs {
            Some(crs) if crs.epsg.is_none() => Some(projjson(crs)?.to_string()),
            _ => None,
        };
        let code = match layer.crs {
            Some(crs) => crs.epsg.map_or(0, |c| c as i32),
            None => 4326,
        };
        let options = FgbWriterOptions {
            write_index: true,
            detect_type: false,
            promote_to_multi: true,
            crs: FgbCrs {
                code,
                org: (code != 0).then_some("EPSG"),
                wkt: wkt.as_deref(),
                ..Default::default()
            },
            ..Default::default()
        };
        let mut writer =
            FgbWriter::create_with_options(layer.name, GeometryType::MultiPolygon, options)
                .map_err(other)?;
        for f in layer.fields {
            let t = match f.field_type {
                FieldType::Number => ColumnType::Double,
                FieldType::Bool => ColumnType::Bool,
                FieldType::Text | FieldType::Null | FieldType::Mixed => ColumnType::String,
            };
            writer.add_column(&f.name, t, |_, c| c.nullable = true);
        }
        Ok(FgbSink {
            writer,
            fields: layer.fields.to_vec(),
            out,
        })
    }

    fn write(&mut self, geometry: &MultiPolygon<f64>, values: &[Value]) -> io::Result<()> {
        let fields = &self.fields;
        let mut failed = None;
        self.writer
            .add_feature_geom(Polygons(geometry), |feature| {
                for (k, (f, v)) in fields.iter().zip(values).enumerate() {
                    let text;
                    let value = match v {
                        Value::Null => continue,
                        Value::Number(n) => ColumnValue::Double(*n),
                        Value::Bool(b) => ColumnValue::Bool(*b),
                        Value::Text(t) => {
                            text = t.to_string();
                            ColumnValue::String(&text)
                        }
                    };
                    if let Err(e) = feature.property(k, &f.name, &value) {
                        failed = Some(e);
                    }
                }
            })
            .map_err(other)?;
        failed.map_or(Ok(()), |e| Err(other(e)))
    }

    fn finish(mut self) -> io::Result<W> {
        self.writer.write(&mut self.out).map_err(other)?;
        Ok(self.out)
    }
}

/// A MultiPolygon as geozero's writers walk it.
struct Polygons<'a>(&'a MultiPolygon<f64>);

impl GeozeroGeometry for Polygons<'_> {
    fn process_geom<P: GeomProcessor>(&self, p: &mut P) -> flatgeobuf::geozero::error::Result<()> {
        p.multipolygon_begin(self.0 .0.len(), 0)?;
        for (i, polygon) in self.0 .0.iter().enumerate() {
            p.polygon_begin(false, 1 + polygon.interiors().len(), i)?;
            for (r, ring) in std::iter::once(polygon.exterior())
                .chain(polygon.interiors())
                .enumerate()
            {
                p.linestring_begin(false, ring.0.len(), r)?;
                for (k, c) in ring.0.iter().enumerate() {
                    p.xy(c.x, c.y, k)?;
                }
                p.linestring_end(false, r)?;
            }
            p.polygon_end(false, i)?;
        }
        p.multipolygon_end(0)
    }
}
