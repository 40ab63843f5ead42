//! Reading a layer: format dispatch, the shared feature pipeline (schema, validation in parallel
//! batches, ids), and CRS determination.

use crate::dbf::DbfReader;
use crate::encoding::{self, DbfEncoding};
use crate::error::IngestError;
use crate::geojson::{self, RawFeature, RawGeometry};
use crate::shp::ShpReader;
use crate::value::{Field, FieldType, Value};
use geo::{BoundingRect, MultiPolygon, Rect};
use rayon::prelude::*;
use redline_geom::{validate_and_repair, Crs, DataIssue, IssueKind};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

/// A file format redline reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A GeoJSON FeatureCollection.
    GeoJson,
    /// GeoJSONSeq / newline-delimited GeoJSON: one Feature per line.
    GeoJsonSeq,
    /// An ESRI Shapefile (.shp + .dbf, optional .prj/.cpg).
    Shapefile,
}

impl Format {
    /// The format of a path, from its extension.
    pub fn of_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "geojson" | "json" => Some(Format::GeoJson),
            "geojsonl" | "geojsons" | "geojsonseq" | "ndjson" | "jsonl" => Some(Format::GeoJsonSeq),
            "shp" => Some(Format::Shapefile),
            _ => None,
        }
    }

    /// A display name.
    pub fn name(self) -> &'static str {
        match self {
            Format::GeoJson => "GeoJSON",
            Format::GeoJsonSeq => "GeoJSONSeq",
            Format::Shapefile => "ESRI Shapefile",
        }
    }
}

/// One feature: valid, oriented polygons and attribute values in field order.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// 0-based position in the file.
    pub index: usize,
    /// The feature's id: GeoJSON `id`, else the value of the id field, when there is one.
    pub id: Option<String>,
    /// The geometry, validated and repaired.
    pub geometry: MultiPolygon<f64>,
    /// Values, one per [`Layer::fields`] entry.
    pub attrs: Vec<Value>,
}

impl Feature {
    /// The id, or `#index` when the feature has none: what messages call it.
    pub fn label(&self) -> String {
        self.id
            .clone()
            .unwrap_or_else(|| format!("#{}", self.index))
    }
}

/// A layer read from a file.
#[derive(Debug, Clone)]
pub struct Layer {
    /// The layer's name (the job role, the collection's name, or the file stem).
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
    /// The CRS, when it could be determined.
    pub crs: Option<Crs>,
    /// How the CRS was found: `declared`, `given`, `inferred from …`.
    pub crs_source: String,
    /// The DBF encoding used (shapefiles).
    pub encoding: Option<DbfEncoding>,
    /// The fields and their types.
    pub fields: Vec<Field>,
    /// Features that survived validation, in file order.
    pub features: Vec<Feature>,
    /// How many features the file holds.
    pub read_count: usize,
}

impl Layer {
    /// The CRS, or the error that names the file and layer when it is unknown.
    pub fn require_crs(&self) -> Result<&Crs, IngestError> {
        self.crs.as_ref().ok_or_else(|| IngestError::UnknownCrs {
            path: self.path.clone(),
            layer: self.name.clone(),
        })
    }

    /// Takes ids from a field (matched without regard to ASCII case) for the features that
    /// have none; false when the layer has no such field.
    pub fn set_id_field(&mut self, field: &str) -> bool {
        let Some(column) = self
            .fields
            .iter()
            .position(|f| f.name.eq_ignore_ascii_case(field))
        else {
            return false;
        };
        for f in &mut self.features {
            if f.id.is_none() {
                f.id = f.attrs.get(column).and_then(Value::as_text);
            }
        }
        true
    }

    /// A data issue for every feature whose id an earlier feature already has.
    pub fn duplicate_ids(&self) -> Vec<DataIssue> {
        let mut first: HashMap<&str, usize> = HashMap::new();
        let mut issues = Vec::new();
        for f in &self.features {
            let Some(id) = f.id.as_deref() else { continue };
            match first.get(id) {
                Some(&earlier) => issues.push(DataIssue {
                    file: self.path.display().to_string(),
                    layer: self.name.clone(),
                    feature: Some(f.index),
                    id: Some(id.to_string()),
                    field: None,
                    kind: IssueKind::DuplicateId,
                    message: format!("id {id:?} is also used by feature #{earlier}"),
                }),
                None => {
                    first.insert(id, f.index);
                }
            }
        }
        issues
    }

    /// The bounding box of all features.
    pub fn extent(&self) -> Option<Rect<f64>> {
        self.features
            .iter()
            .filter_map(|f| f.geometry.bounding_rect())
            .reduce(|a, b| {
                Rect::new(
                    geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                    geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
                )
            })
    }
}

/// A layer and the data issues met while reading it.
#[derive(Debug, Clone)]
pub struct LayerRead {
    /// The layer.
    pub layer: Layer,
    /// Per-feature problems the read survived.
    pub issues: Vec<DataIssue>,
}

/// How to read a layer.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The layer name used in messages (defaults to the collection name or the file stem).
    pub layer: Option<String>,
    /// A DBF encoding that overrides `.cpg` and the language driver (`gbk`, `utf-8` …).
    pub dbf_encoding: Option<String>,
    /// The CRS to assume when the file declares none.
    pub crs: Option<Crs>,
    /// A field whose value is the feature id when the format has no id of its own.
    pub id_field: Option<String>,
}

/// Reads a layer from a file, choosing the reader by extension.
pub fn read_layer(path: &Path, options: &ReadOptions) -> Result<LayerRead, IngestError> {
    let format = Format::of_path(path).ok_or_else(|| IngestError::UnsupportedFormat {
        path: path.to_path_buf(),
    })?;
    let mut collector = Collector::new(path, format, options);
    let declared = match format {
        Format::GeoJson => read_geojson(path, &mut collector)?,
        Format::GeoJsonSeq => read_geojson_seq(path, &mut collector)?,
        Format::Shapefile => read_shapefile(path, options, &mut collector)?,
    };
    collector.finish(declared)
}

/// What a reader learnt about the layer besides its features.
#[derive(Default)]
struct Declared {
    crs: Option<String>,
    name: Option<String>,
}

fn open(path: &Path) -> Result<BufReader<File>, IngestError> {
    File::open(path)
        .map(|f| BufReader::with_capacity(1 << 20, f))
        .map_err(|e| IngestError::io(path, e))
}

fn json_error(
    path: &Path,
    e: &serde_json::Error,
    feature: Option<usize>,
    line_offset: usize,
) -> IngestError {
    let what = if e.classify() == serde_json::error::Category::Eof {
        "truncated file"
    } else {
        "malformed JSON"
    };
    let message = e.to_string();
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_string();
    IngestError::Json {
        path: path.to_path_buf(),
        what,
        feature,
        line: e.line() + line_offset,
        column: e.column(),
        message,
    }
}

fn read_geojson(path: &Path, collector: &mut Collector) -> Result<Declared, IngestError> {
    let mut de = serde_json::Deserializer::from_reader(open(path)?);
    let header = geojson::read_collection(&mut de, &mut |f| collector.push_raw(f));
    let header = header.and_then(|h| de.end().map(|_| h));
    let header = header.map_err(|e| json_error(path, &e, collector.pending_index(), 0))?;
    Ok(Declared {
        crs: header.crs_name,
        name: header.name,
    })
}

fn read_geojson_seq(path: &Path, collector: &mut Collector) -> Result<Declared, IngestError> {
    let mut reader = open(path)?;
    let mut line = Vec::new();
    let mut number = 0;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| IngestError::io(path, e))?;
        if n == 0 {
            break;
        }
        number += 1;
        // RFC 8142 records start with the record separator 0x1E.
        let text = line.strip_prefix(b"\x1e").unwrap_or(&line);
        let text = text.trim_ascii_end();
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let feature: RawFeature = serde_json::from_slice(text)
            .map_err(|e| json_error(path, &e, collector.pending_index(), number - 1))?;
        collector.push_raw(feature);
    }
    Ok(Declared::default())
}

/// The sibling of `path` with another extension, in either letter case.
fn sibling(path: &Path, ext: &str) -> Option<PathBuf> {
    [ext.to_ascii_lowercase(), ext.to_ascii_uppercase()]
        .into_iter()
        .map(|e| path.with_extension(e))
        .find(|p| p.exists())
}

fn read_shapefile(
    path: &Path,
    options: &ReadOptions,
    collector: &mut Collector,
) -> Result<Declared, IngestError> {
    let mut shapes = ShpReader::open(path, open(path)?)?;
    let dbf_path = sibling(path, "dbf").ok_or_else(|| IngestError::Dbf {
        path: path.with_extension("dbf"),
        record: None,
        field: None,
        message: "missing: a shapefile needs its .dbf".into(),
    })?;
    let forced = match &options.dbf_encoding {
        Some(name) => Some(
            encoding::encoding_by_name(name)
                .ok_or_else(|| IngestError::UnknownEncoding(name.clone()))?,
        ),
        None => None,
    };
    let cpg = sibling(path, "cpg").and_then(|p| std::fs::read_to_string(p).ok());
    let choice = |ldid| encoding::choose(forced, cpg.as_deref(), ldid);
    let mut table = DbfReader::open(&dbf_path, open(&dbf_path)?, |ldid| choice(ldid).encoding)?;
    let chosen = choice(table.language_driver);
    collector.encoding = Some(chosen);
    collector.set_schema(
        table
            .fields
            .iter()
            .map(|f| Field {
                name: f.name.clone(),
                field_type: dbf_type(f.kind),
            })
            .collect(),
    );
    while let Some(geometry) = shapes.next_shape()? {
        let index = collector.pending_index().unwrap_or(0);
        let record = table
            .next_record(chosen.encoding)?
            .ok_or_else(|| IngestError::Dbf {
                path: dbf_path.clone(),
                record: Some(index),
                field: None,
                message: format!("has {} records but the .shp has more shapes", table.records),
            })?;
        for field in &record.undecodable {
            collector.issue_for_pending(
                IssueKind::UndecodableText,
                Some(field.clone()),
                format!(
                "text does not decode as {} (encoding from {}); set dbf_encoding / --dbf-encoding",
                chosen.encoding.name(),
                chosen.source
            ),
            );
        }
        collector.push(None, geometry, record.values);
    }
    let crs = sibling(path, "prj").and_then(|p| std::fs::read_to_string(p).ok());
    Ok(Declared { crs, name: None })
}

fn dbf_type(kind: u8) -> FieldType {
    match kind {
        b'N' | b'F' | b'O' | b'I' | b'B' => FieldType::Number,
        b'L' => FieldType::Bool,
        _ => FieldType::Text,
    }
}

/// Gathers raw features, validates them in parallel batches, and builds the layer.
struct Collector {
    path: PathBuf,
    format: Format,
    name: Option<String>,
    given_crs: Option<Crs>,
    id_field: Option<String>,
    encoding: Option<DbfEncoding>,
    fields: Vec<Field>,
    field_index: HashMap<String, usize>,
    fixed_schema: bool,
    batch: Vec<Pending>,
    features: Vec<Feature>,
    problems: Vec<(usize, Option<String>, Option<String>, IssueKind, String)>,
    count: usize,
}

struct Pending {
    index: usize,
    id: Option<String>,
    geometry: RawGeometry,
    attrs: Vec<Value>,
}

const BATCH: usize = 4096;

impl Collector {
    fn new(path: &Path, format: Format, options: &ReadOptions) -> Self {
        Collector {
            path: path.to_path_buf(),
            format,
            name: options.layer.clone(),
            given_crs: options.crs.clone(),
            id_field: options.id_field.clone(),
            encoding: None,
            fields: Vec::new(),
            field_index: HashMap::new(),
            fixed_schema: false,
            batch: Vec::with_capacity(BATCH),
            features: Vec::new(),
            problems: Vec::new(),
            count: 0,
        }
    }

    fn pending_index(&self) -> Option<usize> {
        Some(self.count)
    }

    fn set_schema(&mut self, fields: Vec<Field>) {
        self.field_index = fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.clone(), i))
            .collect();
        self.fields = fields;
        self.fixed_schema = true;
    }

    fn issue_for_pending(&mut self, kind: IssueKind, field: Option<String>, message: String) {
        self.problems.push((self.count, None, field, kind, message));
    }

    /// A GeoJSON feature: its properties are placed by name into the growing schema.
    fn push_raw(&mut self, raw: RawFeature) {
        let mut attrs = vec![Value::Null; self.fields.len()];
        for (name, value) in raw.properties {
            let i = match self.field_index.get(&name) {
                Some(&i) => i,
                None => {
                    self.field_index.insert(name.clone(), self.fields.len());
                    self.fields.push(Field {
                        name,
                        field_type: FieldType::Null,
                    });
                    attrs.push(Value::Null);
                    self.fields.len() - 1
                }
            };
            self.fields[i].field_type = self.fields[i].field_type.merge(value.field_type());
            attrs[i] = value;
        }
        self.push(raw.id, raw.geometry, attrs);
    }

    fn push(&mut self, id: Option<String>, geometry: RawGeometry, attrs: Vec<Value>) {
        self.batch.push(Pending {
            index: self.count,
            id,
            geometry,
            attrs,
        });
        self.count += 1;
        if self.batch.len() >= BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let batch = std::mem::take(&mut self.batch);
        let converted: Vec<_> = batch.into_par_iter().map(convert).collect();
        for (feature, problems) in converted {
            self.problems.extend(problems);
            self.features.extend(feature);
        }
    }

    fn finish(mut self, declared: Declared) -> Result<LayerRead, IngestError> {
        self.flush();
        let name = self.name.clone().or(declared.name).unwrap_or_else(|| {
            self.path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        if self.count == 0 {
            return Err(IngestError::EmptyLayer {
                path: self.path,
                layer: name,
                dropped: 0,
            });
        }
        let width = self.fields.len();
        for f in &mut self.features {
            f.attrs.resize(width, Value::Null);
        }
        let mut layer = Layer {
            name,
            path: self.path.clone(),
            format: self.format,
            crs: None,
            crs_source: String::new(),
            encoding: self.encoding,
            fields: self.fields,
            features: self.features,
            read_count: self.count,
        };
        let (crs, source) = determine_crs(&layer, declared.crs.as_deref(), self.given_crs)?;
        layer.crs = crs;
        layer.crs_source = source;
        let ids: HashMap<usize, Option<String>> = layer
            .features
            .iter()
            .map(|f| (f.index, f.id.clone()))
            .collect();
        if let Some(field) = &self.id_field {
            layer.set_id_field(field);
        }
        let mut issues: Vec<DataIssue> = self
            .problems
            .into_iter()
            .map(|(index, id, field, kind, message)| DataIssue {
                file: layer.path.display().to_string(),
                layer: layer.name.clone(),
                feature: Some(index),
                id: id.or_else(|| ids.get(&index).cloned().flatten()),
                field,
                kind,
                message,
            })
            .collect();
        issues.extend(layer.duplicate_ids());
        Ok(LayerRead { layer, issues })
    }
}

type Problem = (usize, Option<String>, Option<String>, IssueKind, String);

fn convert(p: Pending) -> (Option<Feature>, Vec<Problem>) {
    let problem = |kind, message: String| (p.index, p.id.clone(), None, kind, message);
    let raw = match p.geometry {
        RawGeometry::Polygons(raw) => raw,
        RawGeometry::Null => {
            return (
                None,
                vec![problem(
                    IssueKind::EmptyGeometry,
                    "the feature has no geometry; dropped".into(),
                )],
            )
        }
        RawGeometry::Other(kind) => {
            return (
                None,
                vec![problem(
                    IssueKind::NotAPolygon,
                    format!(
                    "geometry is a {kind}; a polygon layer needs Polygon or MultiPolygon; dropped"
                ),
                )],
            )
        }
        RawGeometry::Malformed(why) => {
            return (
                None,
                vec![problem(IssueKind::NotAPolygon, format!("{why}; dropped"))],
            )
        }
    };
    let outcome = validate_and_repair(raw);
    let problems = outcome
        .problems
        .into_iter()
        .map(|q| problem(q.kind, q.message))
        .collect();
    let feature = outcome.geometry.map(|geometry| Feature {
        index: p.index,
        id: p.id.clone(),
        geometry,
        attrs: p.attrs,
    });
    (feature, problems)
}

/// The layer's CRS: declared in the file, else given by the caller, else inferred from the
/// coordinates where that is unambiguous (lon/lat ranges in GeoJSON, per RFC 7946; a
/// Gauss–Krüger zone prefix in the easting).
fn determine_crs(
    layer: &Layer,
    declared: Option<&str>,
    given: Option<Crs>,
) -> Result<(Option<Crs>, String), IngestError> {
    if let Some(text) = declared.filter(|t| !t.trim().is_empty()) {
        let crs = Crs::from_user(text).map_err(|source| IngestError::Crs {
            path: layer.path.clone(),
            source,
        })?;
        return Ok((Some(crs), "declared".into()));
    }
    if let Some(crs) = given {
        return Ok((Some(crs), "given".into()));
    }
    let Some(extent) = layer.extent() else {
        return Ok((None, "unknown".into()));
    };
    let (min, max) = (extent.min(), extent.max());
    if layer.format != Format::Shapefile
        && min.x >= -180.0
        && max.x <= 180.0
        && min.y >= -90.0
        && max.y <= 90.0
    {
        return Ok((
            Crs::from_epsg(4326).ok(),
            "RFC 7946 default (lon/lat WGS 84)".into(),
        ));
    }
    let zone_min = Crs::zone_of_easting(min.x);
    if zone_min.is_some()
        && zone_min == Crs::zone_of_easting(max.x)
        && min.y > 0.0
        && max.y < 6_500_000.0
    {
        if let Some(crs) = Crs::gk3_from_easting(min.x) {
            return Ok((
                Some(crs),
                "inferred from the Gauss–Krüger zone prefix of the eastings".into(),
            ));
        }
    }
    Ok((None, "unknown".into()))
}
