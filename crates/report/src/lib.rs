//! Report writers of redline. Every file is written under a temporary name in the output folder
//! and renamed into place, so a failed run leaves no half-written file.
//!
//! `report.json`, `townships.csv`, `balance.csv`, the GeoJSON layers and `report.html`.
#![deny(missing_docs)]

mod atomic;
mod csv;
mod geojson;
#[cfg(feature = "gdal")]
mod gpkg;
mod html;
mod json;
mod output;

pub use atomic::write_atomic;
pub use csv::{balance_csv, townships_csv, Lang};
pub use geojson::{pbf_loss_geojson, to_wgs84, townships_geojson, violations_geojson};
#[cfg(feature = "gdal")]
pub use gpkg::write_gpkg;
pub use html::{report_html, MapRatio};
pub use json::{report_json, JobEcho};
pub use output::{lock_path, resolve, OutputError, OutputSet, MARKER, OUTPUT_FILES};
