//! `redline run` and `redline demo`: the job library's run, with progress bars and the
//! terminal table.

use crate::cli::{DemoArgs, RunArgs};
use crate::Exit;
use anyhow::{Context, Result};
use redline_job::{write_outputs, Job, Progress, WriteOptions, GPKG_NEEDS_GDAL};
use redline_report::OutputSet;
use std::sync::Mutex;

fn threads(n: Option<usize>) -> Result<()> {
    if let Some(n) = n {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .context("--threads")?;
    }
    Ok(())
}

pub(crate) fn run(args: &RunArgs) -> Result<Exit> {
    threads(args.threads)?;
    let options = WriteOptions {
        lang: args.lang.into(),
        map_ratio: args.map_ratio.into(),
        format: args.format.into(),
    };
    // Said before any work; the library's writer would refuse it only at the end.
    if options.format == redline_job::LayerFormat::GeoPackage && !cfg!(feature = "gdal") {
        anyhow::bail!(GPKG_NEEDS_GDAL);
    }
    let text = std::fs::read_to_string(&args.job)
        .with_context(|| format!("reading {}", args.job.display()))?;
    if redline_job::Province::is_province(&text) {
        return crate::province::run(args, &options);
    }
    let job = Job::load(&args.job)?;
    let output = args.output.clone().unwrap_or_else(|| job.output.clone());
    // Checked and locked before any work: a run that cannot write says so at once.
    let set = job.output_set(&output, args.force)?;
    execute(&job, set, args.quiet, &options)
}

pub(crate) fn demo(args: &DemoArgs) -> Result<Exit> {
    threads(args.threads)?;
    let data = args.output.join("data");
    let config = redline_synth::Config {
        parcels: 20_000,
        townships: 11,
        seed: 1,
        format: redline_synth::Format::GeoJson,
        previous: true,
        county_code: redline_synth::DEFAULT_COUNTY.into(),
    };
    redline_synth::generate(&config, &data)
        .with_context(|| format!("writing the demo county to {}", data.display()))?;
    let job = Job::load(&data.join("job.toml"))?;
    let set = job.output_set(&args.output.join("out"), false)?;
    eprintln!(
        "demo county (data/demo, rebuilt by the embedded generator) in {}",
        data.display()
    );
    execute(&job, set, false, &WriteOptions::default())
}

/// Progress bars on stderr, one per stage: drawn only when stderr is a terminal and not
/// `--quiet`; plain text (no colour codes), so `NO_COLOR` terminals see no colour either.
struct Bars {
    quiet: bool,
    current: Mutex<Option<indicatif::ProgressBar>>,
}

impl Bars {
    fn finish(&self) {
        if let Ok(mut current) = self.current.lock() {
            if let Some(bar) = current.take() {
                bar.finish_and_clear();
            }
        }
    }
}

impl Progress for Bars {
    fn stage(&self, name: &'static str, steps: usize) {
        self.finish();
        if self.quiet {
            return;
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(steps as u64),
            indicatif::ProgressDrawTarget::stderr(),
        );
        let style =
            indicatif::ProgressStyle::with_template("{msg:<28} [{bar:30}] {pos}/{len} [{elapsed}]")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(name);
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        if let Ok(mut current) = self.current.lock() {
            *current = Some(bar);
        }
    }

    fn step(&self) {
        if let Ok(current) = self.current.lock() {
            if let Some(bar) = current.as_ref() {
                bar.inc(1);
            }
        }
    }
}

/// Runs the job, writes every output into the set and commits it (a failure anywhere leaves
/// the output folder as it was), then prints the township table and the count line.
fn execute(job: &Job, set: OutputSet, quiet: bool, options: &WriteOptions) -> Result<Exit> {
    let bars = Bars {
        quiet,
        current: Mutex::new(None),
    };
    let run = job.run(options, &bars);
    bars.finish();
    let run = run?;
    crate::diagnostics::record(&job.relative_issues(&run.issues));
    let folder = write_outputs(job, &run, set, options)?;
    if !quiet {
        crate::summary::print_summary(&run.outcome.townships, &run.outcome.county, options.lang)?;
        if let Some(c) = &run.outcome.county.change {
            crate::summary::print_change(c, options.lang)?;
        }
        eprintln!(
            "{} parcels, {} pieces ({} clipped), {} data issues; read {:.2} s, overlay {:.2} s; wrote {}",
            run.county.landuse.len(),
            run.outcome.county.pieces,
            run.outcome.county.clipped,
            run.issues.len(),
            run.timings.read.as_secs_f64(),
            run.timings.overlay.as_secs_f64(),
            folder.join("report.json").display()
        );
    }
    let outcome = if run.issues.is_empty() {
        Exit::Clean
    } else {
        Exit::Issues
    };
    // A million parcels take a noticeable moment to free; the process is about to exit and
    // the OS takes the memory back at once.
    std::mem::forget(run);
    Ok(outcome)
}
