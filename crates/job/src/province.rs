//! Province jobs: many county jobs in one command. A province file names the counties' job
//! files (paths and globs); they run concurrently, each read, run, written into its own folder
//! (named by its 6-digit code) and dropped before the next, so memory is bounded by the counties
//! in flight, not by the province. The province's report.json, counties.csv and report.html
//! (a map of the counties) sum the county rows as a county sums its townships. A county that
//! fails is reported with its error and the others finish.

use crate::job::{name_or_stem, output_folder, Job};
use crate::options::WriteOptions;
use crate::outputs::{write, write_files};
use anyhow::{anyhow, bail, Context, Result};
use geo::MultiPolygon;
use redline_geom::{Crs, Transformer};
use redline_overlay::{shared_code_prefix, County, Metrics, Outcome, Thresholds, Township};
use redline_report::{
    mark, province_json, report_html, townships_csv, CountyEntry, OutputSet, Rows,
};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvinceFile {
    name: Option<String>,
    output: Option<PathBuf>,
    counties: Vec<String>,
}

/// A checked province job.
#[derive(Debug)]
pub struct Province {
    /// Its name.
    pub name: String,
    /// The file it came from.
    pub path: PathBuf,
    /// Output folder (resolved against the province file's folder).
    pub output: PathBuf,
    /// The counties' job files, in the order the patterns give them (globs sorted), each once.
    pub counties: Vec<PathBuf>,
}

/// How one county went.
#[derive(Debug, Clone)]
pub struct CountyOutcome {
    /// Its job file.
    pub job: PathBuf,
    /// Its folder in the province's output (its code), when it ran.
    pub folder: Option<String>,
    /// Its county row, when it ran.
    pub metrics: Option<Metrics>,
    /// How many data issues it had.
    pub issues: usize,
    /// Why it failed (the whole error chain), when it did.
    pub error: Option<String>,
    /// Wall seconds.
    pub seconds: f64,
    /// Its outline (the union of its townships) in lon/lat (EPSG:4490), for the province map.
    outline: Option<MultiPolygon<f64>>,
    /// Its thresholds and working CRS (the province's report takes the first county's).
    settings: Option<(Thresholds, Crs)>,
}

/// What a province run found.
#[derive(Debug)]
pub struct ProvinceRun {
    /// Every county, in code order (failed ones by job path, after them).
    pub counties: Vec<CountyOutcome>,
    /// The province total: the sum of the county rows that ran.
    pub total: Metrics,
}

impl ProvinceRun {
    /// Counties that failed.
    pub fn failed(&self) -> usize {
        self.counties.iter().filter(|c| c.error.is_some()).count()
    }

    /// Data issues over every county.
    pub fn issues(&self) -> usize {
        self.counties.iter().map(|c| c.issues).sum()
    }
}

/// Progress of a province run, called from the worker threads.
pub trait ProvinceProgress: Sync {
    /// A county finished (or failed).
    fn county_done(&self, _done: usize, _of: usize, _county: &CountyOutcome) {}
}

impl ProvinceProgress for () {}

impl Province {
    /// Whether a job file's text is a province file: it lists `counties`.
    pub fn is_province(text: &str) -> bool {
        text.parse::<toml::Table>()
            .is_ok_and(|t| t.contains_key("counties") && !t.contains_key("layers"))
    }

    /// Reads a province file and expands its county patterns (relative to the file).
    ///
    /// # Errors
    /// A file that does not parse, an unknown key, a pattern that is not valid or matches
    /// nothing.
    pub fn load(path: &Path) -> Result<Province> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let file: ProvinceFile = toml::from_str(&text)
            .map_err(|e| anyhow!("{}: {}", path.display(), e.to_string().trim_end()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut counties = Vec::new();
        let mut seen = BTreeSet::new();
        for pattern in &file.counties {
            let full = base.join(pattern);
            let mut matched: Vec<PathBuf> = glob::glob(&full.to_string_lossy())
                .map_err(|e| anyhow!("counties: {pattern:?}: {e}"))?
                .filter_map(|p| p.ok())
                .collect();
            if matched.is_empty() {
                bail!(
                    "counties: {pattern:?} matches no file (relative to {})",
                    base.display()
                );
            }
            matched.sort();
            for m in matched {
                if seen.insert(m.clone()) {
                    counties.push(m);
                }
            }
        }
        if counties.is_empty() {
            bail!("counties = []: a province needs at least one county job");
        }
        Ok(Province {
            name: name_or_stem(file.name, path),
            path: path.to_path_buf(),
            output: output_folder(base, file.output),
            counties,
        })
    }

    /// The output folder checked against every county's inputs and locked.
    ///
    /// # Errors
    /// The rules of [`Job::output_set`].
    pub fn output_set(&self, folder: &Path, force: bool) -> Result<OutputSet> {
        let mut inputs = vec![self.path.clone()];
        for county in &self.counties {
            // A county that does not load fails when it runs; its inputs are its job file.
            match Job::load(county) {
                Ok(job) => inputs.extend(job.inputs()),
                Err(_) => inputs.push(county.clone()),
            }
        }
        Ok(OutputSet::begin(folder, &inputs, force)?)
    }

    /// Runs every county, `jobs` at a time, writing each into `set` as it finishes, then the
    /// province's own outputs, and commits the set.
    ///
    /// # Errors
    /// Writing the province's outputs or committing the set; a county's failure is not an
    /// error of the province (it is in [`ProvinceRun::counties`]).
    pub fn run(
        &self,
        set: OutputSet,
        jobs: usize,
        options: &WriteOptions,
        progress: &dyn ProvinceProgress,
    ) -> Result<(ProvinceRun, PathBuf)> {
        let n = self.counties.len();
        let next = AtomicUsize::new(0);
        let done = AtomicUsize::new(0);
        let folders = Mutex::new(BTreeSet::new());
        let slots: Mutex<Vec<Option<CountyOutcome>>> = Mutex::new(vec![None; n]);
        std::thread::scope(|scope| {
            for _ in 0..jobs.clamp(1, n) {
                scope.spawn(|| loop {
                    let k = next.fetch_add(1, Ordering::SeqCst);
                    if k >= n {
                        break;
                    }
                    let outcome = self.county(&self.counties[k], set.dir(), options, &folders);
                    let finished = done.fetch_add(1, Ordering::SeqCst) + 1;
                    progress.county_done(finished, n, &outcome);
                    if let Ok(mut slots) = slots.lock() {
                        slots[k] = Some(outcome);
                    }
                });
            }
        });
        let mut counties: Vec<CountyOutcome> = slots
            .into_inner()
            .map_err(|_| anyhow!("a county worker panicked"))?
            .into_iter()
            .flatten()
            .collect();
        counties.sort_by(|a, b| {
            (a.folder.is_none(), &a.folder, &a.job).cmp(&(b.folder.is_none(), &b.folder, &b.job))
        });
        let run = self.total(counties);
        self.write(set.dir(), &run, options)?;
        let folder = set.commit()?;
        Ok((run, folder))
    }

    /// One county: run, written into its folder, reduced to its row and outline.
    fn county(
        &self,
        path: &Path,
        staging: &Path,
        options: &WriteOptions,
        folders: &Mutex<BTreeSet<String>>,
    ) -> CountyOutcome {
        let started = Instant::now();
        let mut outcome = CountyOutcome {
            job: path.to_path_buf(),
            folder: None,
            metrics: None,
            issues: 0,
            error: None,
            seconds: 0.0,
            outline: None,
            settings: None,
        };
        let result = (|| -> Result<()> {
            let job = Job::load(path)?;
            let run = job.run(options, &())?;
            let code = &run.outcome.county.code;
            let folder = if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
                code.clone()
            } else {
                path.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "county".into())
            };
            let fresh = folders.lock().is_ok_and(|mut f| f.insert(folder.clone()));
            if !fresh {
                bail!("another county of the province has the folder {folder} (the same code)");
            }
            let dir = staging.join(&folder);
            std::fs::create_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
            mark(&dir).with_context(|| format!("marking {}", dir.display()))?;
            write_files(&dir, &job, &run, options)?;
            outcome.outline = lonlat_outline(&run.county, &run.settings.crs);
            outcome.settings = Some((run.settings.thresholds, run.settings.crs.clone()));
            outcome.metrics = Some(run.outcome.county.clone());
            outcome.issues = run.issues.len();
            outcome.folder = Some(folder);
            Ok(())
        })();
        if let Err(e) = result {
            outcome.error = Some(format!("{e:#}"));
            outcome.folder = None;
        }
        outcome.seconds = started.elapsed().as_secs_f64();
        outcome
    }

    /// The province total of the counties that ran.
    fn total(&self, counties: Vec<CountyOutcome>) -> ProvinceRun {
        let rows: Vec<Metrics> = counties.iter().filter_map(|c| c.metrics.clone()).collect();
        let thresholds = counties
            .iter()
            .find_map(|c| c.settings.as_ref().map(|s| s.0))
            .unwrap_or_default();
        let total = Metrics::total(&rows, &province_code(&rows), &self.name, &thresholds);
        ProvinceRun { counties, total }
    }

    /// report.json, counties.csv and report.html of the province.
    fn write(&self, dir: &Path, run: &ProvinceRun, options: &WriteOptions) -> Result<()> {
        let base = self.path.parent().unwrap_or(Path::new(""));
        let jobs: Vec<String> = run
            .counties
            .iter()
            .map(|c| {
                c.job
                    .strip_prefix(base)
                    .unwrap_or(&c.job)
                    .display()
                    .to_string()
            })
            .collect();
        let entries: Vec<CountyEntry> = run
            .counties
            .iter()
            .zip(&jobs)
            .map(|(c, job)| CountyEntry {
                job,
                folder: c.folder.as_deref(),
                metrics: c.metrics.as_ref(),
                data_issues: c.issues,
                error: c.error.as_deref(),
            })
            .collect();
        let file = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let report = province_json(&self.name, &file, &entries, &run.total);
        write(dir, "report.json", report.as_bytes())?;
        // The counties as a level below the province: the same tables a county's townships get.
        let outcome = Outcome {
            townships: run
                .counties
                .iter()
                .filter_map(|c| c.metrics.clone())
                .collect(),
            county: run.total.clone(),
            ..Default::default()
        };
        write(
            dir,
            "counties.csv",
            townships_csv(&outcome, options.lang).as_bytes(),
        )?;
        let Some((thresholds, crs)) = run.counties.iter().find_map(|c| c.settings.clone()) else {
            return Ok(()); // no county ran: nothing to map
        };
        let map = County {
            townships: run
                .counties
                .iter()
                .filter_map(|c| {
                    let m = c.metrics.as_ref()?;
                    Some(Township {
                        code: m.code.clone(),
                        name: m.name.clone(),
                        geometry: from_lonlat(c.outline.as_ref()?, &crs)?,
                    })
                })
                .collect(),
            ..Default::default()
        };
        let html = report_html(
            &self.name,
            &map,
            &outcome,
            Rows::Counties,
            &crs,
            thresholds.interview_ratio,
            thresholds.accountability_ratio,
            options.map_ratio,
            options.lang,
        );
        write(dir, "report.html", html.as_bytes())
    }
}

/// The province's code: the two digits every county code starts with and `0000`, else
/// `province`.
fn province_code(rows: &[Metrics]) -> String {
    shared_code_prefix(rows, 2).map_or_else(|| "province".into(), |p| format!("{p}0000"))
}

/// A county's outline (its townships dissolved) in lon/lat: counties of one province may lie
/// in different zones, and the province map draws them in one CRS.
fn lonlat_outline(county: &County, crs: &Crs) -> Option<MultiPolygon<f64>> {
    let mut outline = geo::unary_union(county.townships.iter().map(|t| &t.geometry));
    let t = Transformer::new(crs, &Crs::from_epsg(4490).ok()?).ok()?;
    t.multipolygon(&mut outline).ok()?;
    Some(outline)
}

/// `outline` from lon/lat into `crs` (the province map's: the first county's working CRS).
fn from_lonlat(outline: &MultiPolygon<f64>, crs: &Crs) -> Option<MultiPolygon<f64>> {
    let t = Transformer::new(&Crs::from_epsg(4490).ok()?, crs).ok()?;
    let mut moved = outline.clone();
    t.multipolygon(&mut moved).ok()?;
    Some(moved)
}

/// How many counties may run at once: as many as the available memory holds at the largest
/// county's estimated peak (its land-use files' size times what redline needs per byte of each
/// format), at most one per four cores (a county's own run keeps about four cores busy: on two
/// cores, ten 1M-parcel counties took 84.6 s one at a time and 109 s two at a time), at least
/// one.
pub fn default_jobs(province: &Province) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) / 4;
    let largest = province
        .counties
        .iter()
        .filter_map(|c| Job::load(c).ok())
        .map(|job| job.estimated_peak_bytes())
        .max()
        .unwrap_or(0);
    let available = available_memory().unwrap_or(4 << 30);
    let fit = (available as f64 * 0.8 / largest.max(1) as f64) as usize;
    fit.clamp(1, cores.max(1))
}

/// MemAvailable from /proc/meminfo (Linux), bytes.
fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
