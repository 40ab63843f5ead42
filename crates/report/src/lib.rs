//! Report writers of redline. Every file is written under a temporary name in the output folder
//! and renamed into place, so a failed run leaves no half-written file.
//!
//! Here now: `report.json`. The CSV, GeoJSON and HTML writers arrive with the reports issue.
#![deny(missing_docs)]

mod atomic;
mod json;

pub use atomic::write_atomic;
pub use json::{report_json, JobEcho};
