//! Geometry foundations of redline: the land-class table, units, coordinate reference systems
//! and transforms, area methods (ellipsoidal, planar) and geometry validation with repair.
//!
//! Everything here is pure Rust and knows nothing about files or metrics.
//!
//! ```
//! use redline_geom::{units, Crs, EllipsoidalArea};
//! use geo::{polygon, MultiPolygon};
//!
//! // A 1 km square on the central meridian of CGCS2000 3° Gauss–Krüger zone 41.
//! let square = MultiPolygon(vec![polygon![
//!     (x: 41_500_000.0, y: 5_080_000.0), (x: 41_501_000.0, y: 5_080_000.0),
//!     (x: 41_501_000.0, y: 5_081_000.0), (x: 41_500_000.0, y: 5_081_000.0),
//! ]]);
//! let crs = Crs::from_epsg(4529).unwrap();
//! let area = EllipsoidalArea::for_crs(&crs).unwrap().area(&square).unwrap();
//! assert!((area - 999_999.991_780_826).abs() < 1e-2);
//! assert_eq!(units::m2_to_mu(2000.0 / 3.0), 1.0);
//! ```
#![deny(missing_docs)]

mod approval;
mod area;
mod crs;
mod crs_parse;
mod datum;
mod ellipsoid;
mod engine;
mod envelope;
mod geojson_text;
mod helmert;
mod issue;
mod known;
mod landclass;
#[cfg(feature = "proj")]
mod proj_engine;
mod projjson;
mod segments;
mod tm;
mod transform;
pub mod units;
mod validity;
mod wedge;
mod wkb;
mod wkt;

pub use approval::DEFAULT_APPROVAL_KINDS;
pub use area::{planar_area, AreaError, AreaMethod, CachedArea, EllipsoidalArea, DENSIFY_STEP_M};
pub use crs::{Crs, CrsError, CrsKind};
pub use ellipsoid::Ellipsoid;
pub use envelope::envelope;

/// A hash map for lookup tables: foldhash with a fixed seed, several times cheaper than the
/// standard SipHash on short keys. Only for maps whose iteration order reaches no output.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;
pub use geojson_text::push_multipolygon_coordinates;
pub use helmert::{Helmert, HelmertError};
pub use issue::{DataIssue, IssueKind};
pub use known::{KnownGeometries, TextHint, TextPrint};
pub use landclass::{first_level, ClassCode, LandCategory, LandClass, LandClassTable};
pub use tm::TransverseMercator;
pub use transform::{TransformError, Transformer};
pub use validity::{
    raw_polygons, valid_for_output, validate_and_repair, RepairOutcome, ValidityProblem,
};
pub use wedge::Wedge;
pub use wkb::{read_wkb, write_wkb, RawRings, WkbError, WkbGeometry};
