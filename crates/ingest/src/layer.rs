//! Reading a layer: format dispatch, ids, and CRS determination.

use crate::attributes::{Attributes, Row};
use crate::collector::{Collector, Converter};
use crate::encoding::DbfEncoding;
use crate::error::IngestError;
use crate::feature::Feature;
use crate::feature_collection::{self, Declared};
use crate::shapefile;
use crate::value::{Field, ValueRef};
use geo::{BoundingRect, Rect};
use rayon::prelude::*;
use redline_geom::{Crs, DataIssue, IssueKind, KnownGeometries, TextPrint};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A file format redline reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A GeoJSON FeatureCollection.
    GeoJson,
    /// GeoJSONSeq / newline-delimited GeoJSON: one Feature per line.
    GeoJsonSeq,
    /// An ESRI Shapefile (.shp + .dbf, optional .prj/.cpg).
    Shapefile,
    /// GeoParquet 1.0/1.1 (`.parquet`, `.geoparquet`).
    GeoParquet,
    /// FlatGeobuf (`.fgb`).
    FlatGeobuf,
    /// Any other OGR vector source, read through GDAL (feature `gdal`): GeoPackage, FileGDB,
    /// GML, MapInfo, zipped sources.
    Ogr,
}

/// Extensions read through GDAL when the `gdal` feature is on.
const OGR_EXTENSIONS: &[&str] = &["gpkg", "gdb", "gml", "tab", "mif", "zip", "kml", "sqlite"];

impl Format {
    /// The format of a path, from its extension.
    pub fn of_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "geojson" | "json" => Some(Format::GeoJson),
            "geojsonl" | "geojsons" | "geojsonseq" | "ndjson" | "jsonl" => Some(Format::GeoJsonSeq),
            "shp" => Some(Format::Shapefile),
            "parquet" | "geoparquet" => Some(Format::GeoParquet),
            "fgb" => Some(Format::FlatGeobuf),
            e if cfg!(feature = "gdal") && OGR_EXTENSIONS.contains(&e) => Some(Format::Ogr),
            _ => None,
        }
    }

    /// The file extension redline writes for a layer in this format.
    pub fn extension(self) -> &'static str {
        match self {
            Format::GeoJson => "geojson",
            Format::GeoJsonSeq => "geojsonl",
            Format::Shapefile => "shp",
            Format::GeoParquet => "parquet",
            Format::FlatGeobuf => "fgb",
            Format::Ogr => "gpkg",
        }
    }

    /// A display name.
    pub fn name(self) -> &'static str {
        match self {
            Format::GeoJson => "GeoJSON",
            Format::GeoJsonSeq => "GeoJSONSeq",
            Format::Shapefile => "ESRI Shapefile",
            Format::GeoParquet => "GeoParquet",
            Format::FlatGeobuf => "FlatGeobuf",
            Format::Ogr => "OGR (GDAL)",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    /// `geojson`, `geojsonseq` (or `geojsonl`), `shp` (or `shapefile`), `geoparquet` (or
    /// `parquet`), `fgb` (or `flatgeobuf`).
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "geojson" => Ok(Format::GeoJson),
            "geojsonseq" | "geojsonl" => Ok(Format::GeoJsonSeq),
            "shp" | "shapefile" => Ok(Format::Shapefile),
            "geoparquet" | "parquet" => Ok(Format::GeoParquet),
            "fgb" | "flatgeobuf" => Ok(Format::FlatGeobuf),
            other => Err(format!(
                "unknown format {other:?} (geojson, geojsonseq, shp, geoparquet or fgb)"
            )),
        }
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
    /// The CRS text the file declares (`.prj` WKT, GeoJSON `crs`, PROJJSON …), as written.
    pub declared_crs: Option<String>,
    /// The DBF encoding used (shapefiles).
    pub encoding: Option<DbfEncoding>,
    /// The fields and their types.
    pub fields: Vec<Field>,
    /// Features that survived validation, in file order.
    pub features: Vec<Feature>,
    /// Their attribute values, a row per feature ([`Layer::attrs`]).
    pub attributes: Attributes,
    /// How many features the file holds.
    pub read_count: usize,
    /// (feature index, print) of each feature's geometry text, in file order, where the read
    /// was asked for them ([`ReadOptions::text_prints`]; GeoJSON and GeoJSONSeq only).
    pub text_prints: Vec<(usize, TextPrint)>,
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
        // A million ids, each its own text: in parallel.
        let attributes = &self.attributes;
        self.features.par_iter_mut().for_each(|f| {
            if f.id.is_none() {
                f.id = attributes
                    .row(f.row)
                    .get(column)
                    .and_then(ValueRef::as_compact);
            }
        });
        true
    }

    /// A feature's attribute values, one per entry of [`Layer::fields`].
    pub fn attrs(&self, feature: &Feature) -> Row<'_> {
        self.attributes.row(feature.row)
    }

    /// Gives issues about a feature the feature's id, where they lack one (ids can come from
    /// a field that is chosen after the issues were found).
    pub fn fill_issue_ids(&self, issues: &mut [DataIssue]) {
        // Only the features the issues name are looked up: a handful of issues need not map a
        // million features.
        let wanted: HashSet<usize> = issues
            .iter()
            .filter(|i| i.id.is_none())
            .filter_map(|i| i.feature)
            .collect();
        if wanted.is_empty() {
            return;
        }
        let ids: HashMap<usize, &str> = self
            .features
            .iter()
            .filter(|f| wanted.contains(&f.index))
            .filter_map(|f| Some((f.index, f.id.as_deref()?)))
            .collect();
        for issue in issues.iter_mut().filter(|i| i.id.is_none()) {
            issue.id = issue
                .feature
                .and_then(|index| ids.get(&index))
                .map(|id| id.to_string());
        }
    }

    /// A data issue for every feature whose id an earlier feature already has.
    pub fn duplicate_ids(&self) -> Vec<DataIssue> {
        // Sorting (id, position) pairs in parallel finds repeats without a million-entry hash map;
        // the stable sort keeps each id's first feature first.
        // Room for every feature at once: a list grown by doubling copied itself into fresh
        // pages each time.
        let mut ids: Vec<(&str, usize)> = Vec::with_capacity(self.features.len());
        ids.extend(
            (self.features.iter().enumerate()).filter_map(|(k, f)| Some((f.id.as_deref()?, k))),
        );
        ids.par_sort_by(|a, b| a.0.cmp(b.0));
        let mut found: Vec<(usize, usize)> = ids
            .windows(2)
            .filter(|w| w[0].0 == w[1].0)
            .map(|w| (w[1].1, w[0].1))
            .collect();
        // A run of three or more names its first feature every time.
        for k in 1..found.len() {
            if self.features[found[k].0].id == self.features[found[k - 1].0].id {
                found[k].1 = found[k - 1].1;
            }
        }
        found.sort_unstable();
        found
            .into_iter()
            .map(|(k, first)| {
                let (f, id) = (
                    &self.features[k],
                    self.features[k]
                        .id
                        .as_deref()
                        .unwrap_or_default()
                        .to_string(),
                );
                DataIssue {
                    file: self.path.display().to_string(),
                    layer: self.name.clone(),
                    feature: Some(f.index),
                    message: format!(
                        "id {id:?} is also used by feature #{}",
                        self.features[first].index
                    ),
                    id: Some(id),
                    field: None,
                    kind: IssueKind::DuplicateId,
                }
            })
            .collect()
    }

    /// The bounding box of all features (in parallel: a million-parcel layer's boxes take a
    /// noticeable moment, and min/max combine in any order to the same box).
    pub fn extent(&self) -> Option<Rect<f64>> {
        self.features
            .par_iter()
            .filter_map(|f| redline_geom::envelope(&f.geometry))
            .reduce_with(|a, b| {
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
    pub display_name: Option<String>,
    /// A DBF encoding that overrides `.cpg` and the language driver (`gbk`, `utf-8` …).
    pub dbf_encoding: Option<String>,
    /// The CRS to assume when the file declares none.
    pub crs: Option<Crs>,
    /// A field whose value is the feature id when the format has no id of its own.
    pub id_field: Option<String>,
    /// The layer inside a multi-layer source (GeoPackage, FileGDB …; feature `gdal`), the same
    /// as writing `source.gpkg#LAYER`.
    pub source_layer: Option<String>,
    /// The reader to use instead of the one the extension picks (`Format::Ogr` reads any file
    /// GDAL opens, a shapefile included).
    pub format: Option<Format>,
    /// Read only these attribute fields (names matched without regard to ASCII case) where the
    /// format can skip the others (GeoParquet reads only those columns; GeoJSON and GeoJSONSeq
    /// keep only those properties); `None` reads every field. Formats that store rows in a
    /// declared schema (shapefile, FlatGeobuf, GDAL sources) read every field whatever this
    /// says.
    pub columns: Option<Vec<String>>,
    /// Describe rather than use: a declared CRS this build cannot use leaves `crs` unknown
    /// (with the reason in `crs_source`) instead of failing the read (`redline info`).
    pub describe_only: bool,
    /// Read only the features whose extent meets this rectangle (in the file's coordinates):
    /// FlatGeobuf asks its packed R-tree, GeoParquet skips row groups by their bbox statistics;
    /// other formats read everything and drop the rest. Feature numbers stay file positions,
    /// except in an indexed FlatGeobuf read, which numbers the selected features in file order.
    pub region: Option<Rect<f64>>,
    /// Geometries the features may share: a feature whose validated geometry is one of these to
    /// the bit takes its allocation (the job gives the basic farmland the land-use parcels').
    /// Nothing about the layer read changes but where its geometry lives.
    pub known_geometries: Option<Arc<dyn KnownGeometries>>,
    /// Take the print of each feature's geometry text ([`Layer::text_prints`]): what a layer
    /// read later may be matched against, text for text, unparsed
    /// ([`KnownGeometries::same_text`]).
    pub text_prints: bool,
}

/// Splits `source.gpkg#DLTB` into the source and the layer inside it (OGR sources only).
fn split_layer(path: &Path) -> (PathBuf, Option<String>) {
    let text = path.to_string_lossy();
    if let Some((source, layer)) = text.rsplit_once('#') {
        let source = PathBuf::from(source);
        if Format::of_path(&source) == Some(Format::Ogr) && !layer.is_empty() {
            return (source, Some(layer.to_string()));
        }
    }
    (path.to_path_buf(), None)
}

/// Reads a layer from a file, choosing the reader by extension. With the `gdal` feature,
/// `source.gpkg#DLTB` names a layer inside a multi-layer source (the first layer otherwise).
pub fn read_layer(path: &Path, options: &ReadOptions) -> Result<LayerRead, IngestError> {
    let (source, named) = split_layer(path);
    let source_layer = named.or_else(|| options.source_layer.clone());
    let path = source.as_path();
    let format = options
        .format
        .or_else(|| Format::of_path(path))
        .ok_or_else(|| IngestError::UnsupportedFormat {
            path: path.to_path_buf(),
        })?;
    if let (Some(layer), true) = (&source_layer, format != Format::Ogr) {
        return Err(IngestError::Ogr {
            path: path.to_path_buf(),
            feature: None,
            message: format!(
                "layer {layer:?} asked for, but a {} file holds one layer (layers are for GDAL sources such as .gpkg and .gdb)",
                format.name()
            ),
        });
    }
    let mut collector = match format {
        Format::Shapefile | Format::Ogr | Format::GeoParquet | Format::FlatGeobuf => {
            Collector::default()
        }
        // GeoJSON is read whole either way, but the fields nobody asked for are not kept.
        _ => Collector::inferring(options.columns.clone()),
    };
    collector.converter = Converter::new(options.known_geometries.clone(), options.text_prints);
    let mut encoding = None;
    let declared = match format {
        Format::GeoJson => feature_collection::read_collection(path, &mut collector)?,
        Format::GeoJsonSeq => {
            feature_collection::read_seq(path, &mut collector)?;
            Declared::default()
        }
        Format::Shapefile => {
            let (crs, enc) =
                shapefile::read_shapefile(path, options.dbf_encoding.as_deref(), &mut collector)?;
            encoding = Some(enc);
            Declared { crs, name: None }
        }
        Format::GeoParquet => crate::geoparquet::read_geoparquet(
            path,
            options.region,
            options.columns.as_deref(),
            &mut collector,
        )?,
        Format::FlatGeobuf => crate::fgb::read_fgb(path, options.region, &mut collector)?,
        Format::Ogr => read_ogr(path, source_layer.as_deref(), options, &mut collector)?,
    };
    collector.finish();
    if let Some(region) = options.region {
        // GeoParquet and an indexed FlatGeobuf read only what meets the region; every other
        // read drops the rest now (for those two, a test that keeps everything).
        use geo::Intersects;
        collector.features.retain(|f| {
            f.geometry
                .bounding_rect()
                .is_some_and(|b| b.intersects(&region))
        });
    }
    let name = options
        .display_name
        .clone()
        .or(declared.name)
        .unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
    if collector.count == 0 {
        return Err(IngestError::EmptyLayer {
            path: path.to_path_buf(),
            layer: name,
        });
    }
    let mut layer = Layer {
        name,
        path: path.to_path_buf(),
        format,
        crs: None,
        crs_source: String::new(),
        declared_crs: declared.crs.clone(),
        encoding,
        fields: collector.schema.fields,
        features: collector.features,
        attributes: collector.attributes,
        read_count: collector.count,
        text_prints: collector.prints,
    };
    (layer.crs, layer.crs_source) =
        match determine_crs(&layer, declared.crs.as_deref(), options.crs.clone()) {
            Ok(found) => found,
            Err(IngestError::Crs { cause, .. }) if options.describe_only => {
                (None, format!("not usable in this build: {cause}"))
            }
            Err(e) => return Err(e),
        };
    if let Some(field) = &options.id_field {
        layer.set_id_field(field);
    }
    let mut issues: Vec<DataIssue> = collector
        .problems
        .into_iter()
        .map(|p| DataIssue {
            file: layer.path.display().to_string(),
            layer: layer.name.clone(),
            feature: Some(p.index),
            id: p.id,
            field: p.field,
            kind: p.kind,
            message: p.message,
        })
        .collect();
    layer.fill_issue_ids(&mut issues);
    issues.extend(layer.duplicate_ids());
    Ok(LayerRead { layer, issues })
}

#[cfg(feature = "gdal")]
fn read_ogr(
    path: &Path,
    layer: Option<&str>,
    options: &ReadOptions,
    collector: &mut Collector,
) -> Result<Declared, IngestError> {
    let declared = crate::ogr::read_ogr(path, layer, options.dbf_encoding.as_deref(), collector)?;
    Ok(Declared {
        crs: declared.crs,
        name: Some(declared.name),
    })
}

#[cfg(not(feature = "gdal"))]
fn read_ogr(
    path: &Path,
    _: Option<&str>,
    _: &ReadOptions,
    _: &mut Collector,
) -> Result<Declared, IngestError> {
    Err(IngestError::UnsupportedFormat {
        path: path.to_path_buf(),
    })
}

/// Whether every coordinate of an extent lies in the longitude and latitude ranges.
pub fn looks_like_lonlat(extent: Rect<f64>) -> bool {
    let (min, max) = (extent.min(), extent.max());
    min.x >= -180.0 && max.x <= 180.0 && min.y >= -90.0 && max.y <= 90.0
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
            cause: source,
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
    if layer.format != Format::Shapefile && looks_like_lonlat(extent) {
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
