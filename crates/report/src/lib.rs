//! Report writers of redline. Every file is written under a temporary name in the output folder
//! and renamed into place, so a failed run leaves no half-written file.
//!
//! Here now: `report.json`, `townships.csv`, `balance.csv`, and the GeoJSON layers. The HTML
//! report arrives with the reports issue.
#![deny(missing_docs)]

mod atomic;
mod csv;
mod geojson;
mod json;

pub use atomic::write_atomic;
pub use csv::{balance_csv, townships_csv, Lang};
pub use geojson::{pbf_loss_geojson, townships_geojson, violations_geojson};
pub use json::{report_json, JobEcho};
