//! Every output of a run, written into an output set and committed as one unit.

use crate::job::Job;
use crate::options::{LayerFormat, WriteOptions};
use crate::run::Run;
use anyhow::{Context, Result};
use rayon::prelude::*;
use redline_geom::DataIssue;
use redline_ingest::Format;
use redline_report::{
    balance_csv, layer_bytes, layer_geojson, output_layers, report_html, report_json,
    summary_workbook, townships_csv, write_atomic, JobEcho, OutputSet, Rows,
};
use std::path::{Path, PathBuf};

/// Why `--format gpkg` cannot run in a build without the `gdal` feature.
pub const GPKG_NEEDS_GDAL: &str = "--format gpkg needs redline built with `--features gdal`";

impl Job {
    /// Issues whose files are named relative to the job file's folder (as the job names them),
    /// so that report.json does not depend on where the job was run from.
    pub fn relative_issues(&self, issues: &[DataIssue]) -> Vec<DataIssue> {
        let base = self.path.parent().unwrap_or(Path::new(""));
        issues
            .iter()
            .map(|i| {
                let mut i = i.clone();
                if let Ok(rel) = Path::new(&i.file).strip_prefix(base) {
                    i.file = rel.display().to_string();
                }
                i
            })
            .collect()
    }

    /// The output folder checked against the rules (not an input's folder, redline's or empty
    /// unless `force`) and locked, ready for [`write_outputs`]: take it before the run, so that
    /// a run that could not write fails at once.
    pub fn output_set(&self, folder: &Path, force: bool) -> Result<OutputSet> {
        Ok(OutputSet::begin(folder, &self.inputs(), force)?)
    }
}

/// Writes every output of `run` into `set` and commits it: report.json, the CSV tables,
/// report.html, the layers and timings.json appear together or not at all. Returns the output
/// folder.
///
/// ```no_run
/// use redline_job::{write_outputs, Job, WriteOptions};
/// let job = Job::load("data/demo/job.toml".as_ref())?;
/// let set = job.output_set("demo-out".as_ref(), false)?;
/// let options = WriteOptions::default();
/// let run = job.run(&options, &())?;
/// let folder = write_outputs(&job, &run, set, &options)?;
/// assert!(folder.join("report.json").exists());
/// # Ok::<(), anyhow::Error>(())
/// ```
pub fn write_outputs(
    job: &Job,
    run: &Run,
    set: OutputSet,
    options: &WriteOptions,
) -> Result<PathBuf> {
    write_files(set.dir(), job, run, options)?;
    Ok(set.commit()?)
}

/// Writes every output of `run` into `dir` (a folder of an output set being staged: a county's
/// folder inside a province's set).
pub(crate) fn write_files(dir: &Path, job: &Job, run: &Run, options: &WriteOptions) -> Result<()> {
    let file_name = job
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let echo = JobEcho {
        name: &job.name,
        file: file_name.as_deref().unwrap_or_default(),
        text: &job.text,
        settings: &run.settings,
    };
    let (county, outcome, settings) = (&run.county, &run.outcome, &run.settings);
    let thresholds = &settings.thresholds;
    let report = || {
        let issues = job.relative_issues(&run.issues);
        let json = report_json(&echo, outcome, &issues);
        Ok(vec![("report.json".into(), json.into_bytes())])
    };
    let tables = || {
        Ok(vec![
            (
                "townships.csv".into(),
                townships_csv(outcome, options.lang).into_bytes(),
            ),
            (
                "balance.csv".into(),
                balance_csv(outcome, options.lang).into_bytes(),
            ),
        ])
    };
    let html = || {
        let text = report_html(
            &outcome.county.name,
            county,
            outcome,
            Rows::Townships,
            &settings.crs,
            thresholds.interview_ratio,
            thresholds.accountability_ratio,
            options.map_ratio,
            options.lang,
        );
        Ok(vec![("report.html".into(), text.into_bytes())])
    };
    let workbook = || {
        let bytes = summary_workbook(county, outcome, settings).context("building 汇总表.xlsx")?;
        Ok(vec![("汇总表.xlsx".into(), bytes)])
    };
    let layers = || layer_files(run, options.format);
    // Each file is rendered on its own thread; they are written in this order, and the first
    // failure in this order is the one reported.
    let renderers: [&Render<'_>; 5] = [&report, &tables, &html, &workbook, &layers];
    let rendered: Vec<Result<Files>> = renderers.par_iter().map(|r| r()).collect();
    for files in rendered {
        for (name, bytes) in files? {
            write(dir, &name, &bytes)?;
        }
    }
    if options.format == LayerFormat::GeoPackage {
        write_gpkg(dir, run)?;
    }
    // Timings change from run to run: they live beside report.json, not in it, so that the
    // report stays byte-identical for the same inputs.
    write(dir, "timings.json", timings_json(run).as_bytes())
}

pub(crate) fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let path = dir.join(name);
    write_atomic(&path, bytes).with_context(|| format!("writing {name}"))
}

/// `timings.json`: read (and its two parts), overlay and total seconds, counts, per-stage
/// seconds.
fn timings_json(run: &Run) -> String {
    let stages: Vec<String> = run
        .outcome
        .stage_seconds
        .iter()
        .map(|(k, v)| format!("\"{k}\": {v:.3}"))
        .collect();
    let t = &run.timings;
    format!(
        "{{\"read_s\": {:.3}, \"read_stage_s\": {{\"layers\": {:.3}, \"preflight\": {:.3}}}, \"overlay_s\": {:.3}, \"total_s\": {:.3}, \"parcels\": {}, \"pieces\": {}, \"clipped_pieces\": {}, \"overlay_stage_s\": {{{}}}}}\n",
        t.read.as_secs_f64(),
        t.layers.as_secs_f64(),
        t.read.saturating_sub(t.layers).as_secs_f64(),
        t.overlay.as_secs_f64(),
        t.started.elapsed().as_secs_f64(),
        run.county.landuse.len(),
        run.outcome.county.pieces,
        run.outcome.county.clipped,
        stages.join(", ")
    )
}

/// Output files, each with its name and bytes.
type Files = Vec<(String, Vec<u8>)>;

/// A renderer of output files.
type Render<'a> = dyn Fn() -> Result<Files> + Sync + 'a;

/// The output layers as files: three GeoJSON, GeoParquet or FlatGeobuf files, each encoded on
/// its own thread; none for a GeoPackage, which [`write_gpkg`] writes itself (`layers.gpkg`).
fn layer_files(run: &Run, format: LayerFormat) -> Result<Files> {
    let (county, outcome, crs) = (&run.county, &run.outcome, &run.settings.crs);
    let columnar = match format {
        LayerFormat::GeoPackage => return Ok(Vec::new()),
        LayerFormat::GeoJson => None,
        LayerFormat::GeoParquet => Some(Format::GeoParquet),
        LayerFormat::FlatGeobuf => Some(Format::FlatGeobuf),
    };
    output_layers(county, outcome)
        .into_par_iter()
        .map(|(name, features)| match columnar {
            Some(format) => Ok((
                format!("{name}.{}", format.extension()),
                layer_bytes(format, name, features, crs)
                    .with_context(|| format!("encoding the {name} layer"))?,
            )),
            None => Ok((
                format!("{name}.geojson"),
                layer_geojson(name, features, crs)?.into_bytes(),
            )),
        })
        // Gathered in layer order first, so that the first failure in that order is reported
        // (a parallel collect into a Result would return whichever failed first in time).
        .collect::<Vec<Result<_>>>()
        .into_iter()
        .collect()
}

/// `layers.gpkg`, written under a temporary name and renamed like every other output.
#[cfg(feature = "gdal")]
fn write_gpkg(dir: &Path, run: &Run) -> Result<()> {
    let path = dir.join("layers.gpkg");
    redline_report::write_gpkg(&path, &run.county, &run.outcome, &run.settings.crs)
        .context("writing layers.gpkg")
}

#[cfg(not(feature = "gdal"))]
fn write_gpkg(_: &Path, _: &Run) -> Result<()> {
    anyhow::bail!(GPKG_NEEDS_GDAL)
}
