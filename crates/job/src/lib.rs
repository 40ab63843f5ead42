//! The whole redline job as a library — what `redline run`, `check` and `demo` call, and what a
//! program of your own calls to run a county: load a job file ([`Job::load`],
//! [`Job::from_text`]), read and preflight its layers and run the overlay ([`Job::run`] → a
//! [`Run`] with the metrics and one sorted list of data issues), and write every output as one
//! unit ([`Job::output_set`], [`write_outputs`]). No terminal, no process exit: progress comes
//! through the [`Progress`] trait, errors as [`anyhow::Error`] whose context chain names the
//! file, layer, feature and field (or the job key).
//!
//! ```no_run
//! use redline_job::{write_outputs, Job, WriteOptions};
//!
//! let job = Job::load("data/demo/job.toml".as_ref())?;
//! let options = WriteOptions::default();
//! let set = job.output_set(&job.output, false)?; // checked and locked before the work
//! let run = job.run(&options, &())?;
//! for town in &run.outcome.townships {
//!     println!("{} {:.2} ha cultivated", town.name, town.landuse.cultivated_net / 1e4);
//! }
//! write_outputs(&job, &run, set, &options)?;
//! std::process::exit(if run.issues.is_empty() { 0 } else { 1 });
//! # Ok::<(), anyhow::Error>(())
//! ```
#![deny(missing_docs)]

mod job;
mod options;
mod outputs;
mod preflight;
mod province;
mod run;

pub use job::{Job, LayerSpec};
pub use options::{Lang, LayerFormat, MapRatio, WriteOptions};
pub use outputs::{write_outputs, GPKG_NEEDS_GDAL};
pub use preflight::coverage_overlaps;
pub use province::{default_jobs, CountyOutcome, Province, ProvinceProgress, ProvinceRun};
pub use run::{Progress, Run, Timings};
