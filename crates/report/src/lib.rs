//! Report writers of redline (report.json, CSV with BOM, GeoJSON, self-contained HTML), all
//! written atomically. Filled by the reports issue; the crate exists now so that the workspace
//! has its final shape.
#![deny(missing_docs)]
