//! Report writers of redline: `report.json`, `townships.csv`, `balance.csv`, the GeoJSON layers,
//! `report.html` (and `layers.gpkg` with the `gdal` feature), each a function from the engine's
//! outcome to text; and the output folder as one unit ([`OutputSet`]: checked against the
//! inputs, locked, staged and swapped in whole).
//!
//! ```
//! use redline_report::{OutputSet, write_atomic};
//! let dir = tempfile::tempdir().unwrap();
//! let input = dir.path().join("inputs/job.toml");
//! // The folder of an input is never an output folder …
//! assert!(OutputSet::begin(&dir.path().join("inputs"), &[input.clone()], false).is_err());
//! // … a new folder beside it is; its files appear together at the commit.
//! let set = OutputSet::begin(&dir.path().join("out"), &[input], false).unwrap();
//! write_atomic(&set.dir().join("report.json"), b"{}").unwrap();
//! assert!(!dir.path().join("out/report.json").exists());
//! let out = set.commit().unwrap();
//! assert_eq!(std::fs::read(out.join("report.json")).unwrap(), b"{}");
//! ```
#![deny(missing_docs)]

mod atomic;
mod columnar;
mod csv;
mod geojson;
#[cfg(feature = "gdal")]
mod gpkg;
mod html;
mod html_change;
mod html_map;
mod html_scale;
mod json;
mod output;
mod xlsx;

pub use atomic::write_atomic;
pub use columnar::{layer_bytes, ColumnarError};
pub use csv::{balance_csv, townships_csv, Lang};
pub use geojson::{
    layer_geojson, output_layers, pbf_loss_features, pbf_loss_geojson, to_wgs84, township_features,
    townships_geojson, uncovered_features, violation_features, violations_geojson, Features,
};
#[cfg(feature = "gdal")]
pub use gpkg::write_gpkg;
pub use html::{report_html, MapRatio, Rows};
pub use json::{issue_json, province_json, report_json, CountyEntry, JobEcho, SCHEMA_VERSION};
pub use output::{lock_path, mark, resolve, OutputError, OutputSet, MARKER, OUTPUT_FILES};
pub use xlsx::summary_workbook;
