//! Errors that stop reading a layer. Each names the file, and the feature and field when known.

use std::path::PathBuf;

/// A problem that stops a layer from being read.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file could not be opened or read.
    #[error("{path}: {cause}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        cause: std::io::Error,
    },
    /// JSON that does not parse: malformed or truncated.
    #[error("{path}: {what} at line {line}, column {column}{}: {message}", feature_suffix(*feature))]
    Json {
        /// The file.
        path: PathBuf,
        /// "malformed JSON" or "truncated file".
        what: &'static str,
        /// The feature being read when the error was met (0-based).
        feature: Option<usize>,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's description.
        message: String,
    },
    /// GeoJSON that parses but is not a FeatureCollection / Feature stream.
    #[error("{path}: not a GeoJSON FeatureCollection ({found})")]
    NotFeatures {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        found: String,
    },
    /// The layer has no features. (A layer whose features were all dropped as invalid is
    /// read, with a data issue for each; the job then refuses it with the count.)
    #[error("{path} [layer {layer}]: the layer is empty")]
    EmptyLayer {
        /// The file.
        path: PathBuf,
        /// The layer.
        layer: String,
    },
    /// A field the layer's role needs is absent.
    #[error("{path} [layer {layer}]: required field {field} is missing (tried {}; rename it in the job's `fields`)", tried.join(", "))]
    MissingField {
        /// The file.
        path: PathBuf,
        /// The layer.
        layer: String,
        /// The logical field (e.g. `class`).
        field: String,
        /// The names that were looked for.
        tried: Vec<String>,
    },
    /// The layer declares no CRS and none was given.
    #[error("{path} [layer {layer}]: the CRS cannot be determined (no `crs` member, .prj or SRS); give one with `crs = \"EPSG:…\"` in the job or --crs")]
    UnknownCrs {
        /// The file.
        path: PathBuf,
        /// The layer.
        layer: String,
    },
    /// The declared CRS is not one redline can use.
    #[error("{path}: {cause}")]
    Crs {
        /// The file.
        path: PathBuf,
        /// Why.
        cause: redline_geom::CrsError,
    },
    /// A broken .shp/.shx file.
    #[error("{path}{}: {message}", feature_suffix(*feature))]
    Shapefile {
        /// The file.
        path: PathBuf,
        /// The record (0-based), when known.
        feature: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A broken .dbf file.
    #[error("{path}{}{}: {message}", feature_suffix(*record), field.as_ref().map(|f| format!(" field {f}")).unwrap_or_default())]
    Dbf {
        /// The file.
        path: PathBuf,
        /// The record (0-based), when known.
        record: Option<usize>,
        /// The field, when known.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// An encoding name that is not known.
    #[error("unknown text encoding {0:?} (try utf-8, gbk, gb18030, cp936, latin1)")]
    UnknownEncoding(String),
    /// A `.cpg` that names an encoding redline does not know.
    #[error("{path}: names the encoding {name:?}, which redline does not know; set dbf_encoding / --dbf-encoding (utf-8, gbk, gb18030, cp936, latin1 …)")]
    UnknownCpg {
        /// The .cpg file.
        path: PathBuf,
        /// What it says.
        name: String,
    },
    /// A source GDAL could not read (feature `gdal`).
    #[error("{path}{}: {message}", feature_suffix(*feature))]
    Ogr {
        /// The source.
        path: PathBuf,
        /// The feature (0-based), when known.
        feature: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A broken GeoParquet or FlatGeobuf file.
    #[error("{path}{}: {message}", feature_suffix(*feature))]
    Binary {
        /// The file.
        path: PathBuf,
        /// The feature (0-based), when known.
        feature: Option<usize>,
        /// What is wrong, with the format's name.
        message: String,
    },
    /// A file type redline does not read without the `gdal` feature.
    #[error("{path}: unsupported format (pure Rust reads .geojson/.json, .geojsonl/.geojsons/.ndjson, .shp, .parquet/.geoparquet and .fgb; build with `--features gdal` for others)")]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
    },
}

fn feature_suffix(feature: Option<usize>) -> String {
    feature
        .map(|i| format!(" (feature #{i})"))
        .unwrap_or_default()
}

impl IngestError {
    /// The file the error is about, when it names one.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            IngestError::Io { path, .. }
            | IngestError::Json { path, .. }
            | IngestError::NotFeatures { path, .. }
            | IngestError::EmptyLayer { path, .. }
            | IngestError::MissingField { path, .. }
            | IngestError::UnknownCrs { path, .. }
            | IngestError::Crs { path, .. }
            | IngestError::Shapefile { path, .. }
            | IngestError::Dbf { path, .. }
            | IngestError::UnknownCpg { path, .. }
            | IngestError::Ogr { path, .. }
            | IngestError::Binary { path, .. }
            | IngestError::UnsupportedFormat { path } => Some(path),
            IngestError::UnknownEncoding(_) => None,
        }
    }

    /// The layer the error is about, when it names one.
    pub fn layer(&self) -> Option<&str> {
        match self {
            IngestError::EmptyLayer { layer, .. }
            | IngestError::MissingField { layer, .. }
            | IngestError::UnknownCrs { layer, .. } => Some(layer),
            _ => None,
        }
    }

    /// The feature (0-based) the error is about, when it names one.
    pub fn feature(&self) -> Option<usize> {
        match self {
            IngestError::Json { feature, .. }
            | IngestError::Shapefile { feature, .. }
            | IngestError::Ogr { feature, .. }
            | IngestError::Binary { feature, .. } => *feature,
            IngestError::Dbf { record, .. } => *record,
            _ => None,
        }
    }

    /// The field the error is about, when it names one.
    pub fn field(&self) -> Option<&str> {
        match self {
            IngestError::MissingField { field, .. } => Some(field),
            IngestError::Dbf { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        IngestError::Io {
            path: path.to_path_buf(),
            cause: source,
        }
    }
}
