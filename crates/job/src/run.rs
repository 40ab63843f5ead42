//! A job run end to end in memory: read and preflight the layers, overlay, one list of issues.

use crate::job::Job;
use crate::options::{LayerFormat, WriteOptions};
use anyhow::{Context, Result};
use redline_ingest::DataIssue;
use redline_overlay::{County, Outcome, Settings};
use std::time::{Duration, Instant};

/// Callbacks as a run advances (from any thread); every method has a do-nothing default, and
/// `()` is the progress that shows nothing.
pub trait Progress: Sync {
    /// A stage begins: `"reading layers"` (a step per layer) or `"overlay"` (a step per
    /// township).
    fn stage(&self, _name: &'static str, _steps: usize) {}
    /// One step of the current stage is done.
    fn step(&self) {}
}

impl Progress for () {}

/// A finished run: the county as read, the engine's settings and outcome, and every data issue.
pub struct Run {
    /// The county model, in the working CRS.
    pub county: County,
    /// What the engine ran with (period, area method, working CRS, thresholds, yields).
    pub settings: Settings,
    /// The metrics, verdicts and output pieces. Its own `issues` are moved into
    /// [`Run::issues`].
    pub outcome: Outcome,
    /// Every data issue — the readers', the preflight's and the overlay's — in one sorted
    /// list: the count a run reports and the reason for its exit code.
    pub issues: Vec<DataIssue>,
    /// When the run started, and how long reading and the overlay took.
    pub timings: Timings,
}

/// How long a run took.
#[derive(Debug, Clone, Copy)]
pub struct Timings {
    /// When reading began.
    pub started: Instant,
    /// Reading, converting and preflighting every layer.
    pub read: Duration,
    /// The part of `read` until every layer file was decoded, validated and its fields
    /// checked (the rest: CRS, preflight, the basic-farmland overlap check, conversion).
    pub layers: Duration,
    /// The overlay and the coverage checks.
    pub overlay: Duration,
}

impl Job {
    /// Reads the layers, runs the preflight and the overlay, and merges every data issue into
    /// one sorted list. `options` says which outputs will be written: GeoJSON needs the
    /// working CRS's way to WGS 84 lon/lat, which is checked before the overlay.
    ///
    /// ```
    /// use redline_job::{Job, WriteOptions};
    /// let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/demo/job.toml");
    /// let job = Job::load(demo.as_ref()).unwrap();
    /// let run = job.run(&WriteOptions::default(), &()).unwrap();
    /// assert!(run.issues.is_empty());
    /// assert_eq!(run.outcome.townships.len(), 11);
    /// let county = &run.outcome.county;
    /// assert!((county.landuse.cultivated_net / 1e4 - 10_528.98).abs() < 0.01); // hectares
    /// // The demo has last year's land use too: its cultivated land, and the net change.
    /// let change = county.change.as_ref().unwrap();
    /// assert!((change.cultivated_previous / 1e4 - 10_693.59).abs() < 0.01);
    /// assert!((change.net_change() / 1e4 + 164.61).abs() < 0.01);
    /// ```
    pub fn run(&self, options: &WriteOptions, progress: &dyn Progress) -> Result<Run> {
        let started = Instant::now();
        progress.stage("reading layers", self.layer_count());
        // The moment the last layer file is done splits the read in two (timings.json).
        let last_layer = std::sync::Mutex::new(started);
        let read_done = || {
            if let Ok(mut at) = last_layer.lock() {
                *at = Instant::now();
            }
            progress.step();
        };
        let (county, settings, mut issues, farmland) = self.read_deferring(&read_done, true)?;
        let layers = last_layer.lock().map_or(Duration::ZERO, |at| *at - started);
        if options.format == LayerFormat::GeoJson {
            // Fail before the overlay, not after it, when the lon/lat outputs cannot be made.
            redline_report::to_wgs84(&settings.crs).with_context(|| {
                "the GeoJSON outputs are WGS 84 lon/lat (RFC 7946): give the working CRS its \
                 datum shift (`towgs84` beside `crs` in the job), or write --format gpkg \
                 (working CRS)"
            })?;
        }
        let read = started.elapsed();
        progress.stage("overlay", county.townships.len());
        let mut outcome =
            redline_overlay::run_with_progress(&county, &settings, &self.name, &|| {
                progress.step()
            })?;
        if let Some(layer) = farmland {
            // Overlapping basic farmland would count its overlap twice in every PBF number.
            issues.extend(crate::preflight::farmland_overlaps(
                &layer,
                &county.landuse,
                &outcome.landuse_apart,
            ));
        }
        let overlay = started.elapsed() - read;
        issues.append(&mut self.locate(std::mem::take(&mut outcome.issues)));
        issues.sort();
        Ok(Run {
            county,
            settings,
            outcome,
            issues,
            timings: Timings {
                started,
                read,
                layers,
                overlay,
            },
        })
    }
}
