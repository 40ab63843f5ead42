//! The overlay engine of redline: land-use parcels cut by townships (filter on an R-tree,
//! exact refine only where a parcel meets a township border), and the metric families of SPEC §5
//! accumulated per township and for the county. It reads no file and calls no C library.
#![deny(missing_docs)]

mod balance;
mod basic_farmland;
mod clip;
mod context;
mod coverage;
mod engine;
mod landuse;
mod metrics;
mod model;
mod pieces;
mod prepared;
mod violations;

pub use balance::{Balance, Ledger};
pub use basic_farmland::PbfLoss;
pub use clip::intersect_with_large as clip_intersection;
pub use engine::{run, run_with_progress, Outcome, PatchVerdict, ViolationPiece};
pub use metrics::{GrossNet, LandUse, Metrics, Pbf};
pub use model::{
    Approval, ApprovalKind, BasicFarmland, Change, County, Date, Parcel, Period, Settings,
    Supplement, Targets, Thresholds, Township, YieldTable,
};
pub use prepared::AreaFailure;
pub use violations::{Verdict, Violations};
