//! The overlay engine of redline: land-use parcels cut by townships (filter on an R-tree,
//! exact refine only where a parcel meets a township border), and the metric families of
//! docs/metrics.md §5 accumulated per township and for the county. It reads no file and calls no C library.
//!
//! ```
//! use geo::{polygon, MultiPolygon};
//! use redline_geom::{AreaMethod, Crs, LandCategory};
//! use redline_overlay::*;
//!
//! let square = |x: f64, y: f64, s: f64| MultiPolygon(vec![polygon![
//!     (x: x, y: y), (x: x + s, y: y), (x: x + s, y: y + s), (x: x, y: y + s)]]);
//! let mut county = County::default();
//! county.townships.push(Township {
//!     code: "220821100".into(),
//!     name: "镇赉镇".into(),
//!     geometry: square(0.0, 0.0, 100.0),
//! });
//! // One paddy parcel of 100 m × 100 m straddling the township's east border, KCXS 0.1.
//! county.landuse.push(Parcel {
//!     id: "1".into(),
//!     code: ClassCode::new("0101").unwrap(),
//!     category: LandCategory::Cultivated,
//!     official_area: None,
//!     deduction: 0.1,
//!     grade: None,
//!     village: None,
//!     geometry: square(50.0, 0.0, 100.0).into(),
//! });
//! let settings = Settings {
//!     period: Period { start: Date::parse("2025-01-01").unwrap(), end: Date::parse("2025-12-31").unwrap() },
//!     area: AreaMethod::Planar,
//!     crs: Crs::from_epsg(4529).unwrap(),
//!     thresholds: Thresholds::default(),
//!     yields: YieldTable::default(),
//!     change: ChangeRules::default(),
//! };
//! let outcome = run(&county, &settings, "example").unwrap();
//! // Half the parcel lies in the township: 5 000 m² gross, 4 500 m² net of field ridges.
//! assert_eq!(outcome.county.landuse.cultivated_gross, 5000.0);
//! assert_eq!(outcome.county.landuse.cultivated_net, 4500.0);
//! // The other half lies outside every township: a data issue (inside XZQ), and a gap.
//! assert!(outcome.issues.iter().any(|i| i.message.contains("outside the townships")));
//! ```
#![deny(missing_docs)]

mod balance;
mod basic_farmland;
mod change;
mod clip;
mod context;
mod coverage;
mod declared;
mod engine;
mod landuse;
mod metrics;
mod model;
mod outside;
mod overlapping;
mod pieces;
mod prepared;
mod sharing;
mod square_metre;
mod violations;

pub use balance::{Balance, Ledger};
pub use basic_farmland::PbfLoss;
pub use change::{ClassSide, Flows, InOut, UncoveredConstruction, VintageChange, RIDGE};
pub use clip::intersect_with_large as clip_intersection;
/// Inline short text: parcel ids, class codes and village codes.
pub use compact_str::CompactString;
pub use engine::{run, run_with_progress, Outcome, PatchVerdict, ViolationPiece};
pub use metrics::{shared_code_prefix, GrossNet, LandUse, Metrics, Pbf};
pub use model::{
    Approval, ApprovalKind, BasicFarmland, Change, ChangeRules, County, Date, Parcel, Period,
    Settings, Supplement, Targets, Thresholds, Township, YieldTable,
};
pub use prepared::AreaFailure;
pub use redline_geom::ClassCode;
pub use sharing::{same_allocations, ParcelGeometries};
pub use violations::{Verdict, Violations};
