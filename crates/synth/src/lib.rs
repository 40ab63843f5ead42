//! A seeded synthetic county for redline: every layer a job reads (README, "Layers and fields") — townships with wiggly,
//! exactly shared borders; a land-use coverage of irregular parcels with spatially structured
//! classes and the 三调 attributes; basic farmland; approvals of every kind; compensation
//! projects; satellite change patches of every verdict; a targets table and a job file.
//!
//! Same seed, same bytes. Parcels are streamed to disk row by row, so memory does not grow with
//! the number of parcels (only with the county's outline and its block grid).
//!
//! ```no_run
//! use redline_synth::{generate, Config, Format};
//! let config = Config { parcels: 20_000, townships: 11, seed: 1, format: Format::GeoJson, previous: false,
//!     county_code: redline_synth::DEFAULT_COUNTY.into() };
//! let summary = generate(&config, "county".as_ref()).unwrap();
//! println!("{} parcels in {} townships", summary.parcels, summary.townships);
//! ```
#![deny(missing_docs)]

mod county;
mod lattice;
mod plan;
mod rng;
mod trace;
mod write;

pub use county::{
    generate, Config, Summary, SynthError, DEFAULT_COUNTY, MAX_PARCELS, MAX_TOWNSHIPS,
    MIN_PARCELS_PER_TOWNSHIP,
};
pub use write::Format;
