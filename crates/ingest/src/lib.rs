//! Layer readers for redline: GeoJSON (FeatureCollection, read as a stream) and GeoJSONSeq,
//! ESRI Shapefile with its DBF text encodings (.cpg, the language-driver byte, an override),
//! GeoParquet (WKB or GeoArrow polygons, PROJJSON CRS) and FlatGeobuf,
//! field mapping with the 三调 defaults and aliases, and validation on ingest. With the `gdal`
//! feature, any OGR vector source (GeoPackage, FileGDB, GML, MapInfo, zipped) through GDAL.
//!
//! Every reader yields a [`Layer`] — CRS, fields, features with valid oriented
//! `MultiPolygon<f64>` geometry and typed attributes — plus the [`DataIssue`]s it met. Problems
//! that stop a read are [`IngestError`]s naming the file, the feature and the field.
//!
//! ```no_run
//! use redline_ingest::{read_layer, ReadOptions};
//! let read = read_layer("DLTB.shp".as_ref(), &ReadOptions::default()).unwrap();
//! println!("{} features in {:?}", read.layer.features.len(), read.layer.crs);
//! ```
#![deny(missing_docs)]

mod attributes;
mod collector;
#[cfg(feature = "gdal")]
mod curves;
mod dbf;
mod encoding;
mod error;
mod feature;
mod feature_collection;
mod fgb;
mod fields;
mod geojson;
mod geoparquet;
mod layer;
mod layer_sink;
#[cfg(feature = "gdal")]
mod ogr;
mod raw;
mod scan;
mod shapefile;
mod shp;
mod swar;
mod text_print;
mod value;

pub use attributes::{Attributes, Row};
pub use encoding::{encoding_by_name, DbfEncoding};
pub use error::IngestError;
pub use feature::{items_from_the_end, Feature};
pub use fields::{
    deduction_fraction, official_area_of, value_in, FieldSpec, LayerRole, ResolvedFields,
};
pub use layer::{looks_like_lonlat, read_layer, Format, Layer, LayerRead, ReadOptions};
pub use layer_sink::{LayerSink, SinkLayer};
pub use redline_geom::{DataIssue, IssueKind, KnownGeometries};
pub use value::{Field, FieldType, Value, ValueRef};
