//! `redline run PROVINCE.toml`: the counties of a province, a few at a time, with a line per
//! county as it finishes and the county table at the end.

use crate::cli::RunArgs;
use crate::Exit;
use anyhow::Result;
use redline_job::{default_jobs, CountyOutcome, Province, ProvinceProgress, WriteOptions};

/// A line per county on stderr as it finishes.
struct Lines {
    quiet: bool,
}

impl ProvinceProgress for Lines {
    fn county_done(&self, done: usize, of: usize, county: &CountyOutcome) {
        if self.quiet {
            return;
        }
        let what = match (&county.error, &county.metrics) {
            (Some(e), _) => format!("FAILED: {e}"),
            (None, Some(m)) => format!("{} {}, {} data issues", m.code, m.name, county.issues),
            (None, None) => String::new(),
        };
        eprintln!(
            "[{done}/{of}] {} {:.1} s: {what}",
            county.job.display(),
            county.seconds
        );
    }
}

pub(crate) fn run(args: &RunArgs, options: &WriteOptions) -> Result<Exit> {
    let province = Province::load(&args.job)?;
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| province.output.clone());
    let set = province.output_set(&output, args.force)?;
    let jobs = args.jobs.unwrap_or_else(|| default_jobs(&province));
    if !args.quiet {
        eprintln!(
            "{}: {} counties, {jobs} at a time",
            province.name,
            province.counties.len()
        );
    }
    let (run, folder) = province.run(set, jobs, options, &Lines { quiet: args.quiet })?;
    if !args.quiet {
        let rows: Vec<_> = run
            .counties
            .iter()
            .filter_map(|c| c.metrics.clone())
            .collect();
        crate::summary::print_summary(&rows, &run.total, options.lang)?;
        eprintln!(
            "{} counties ({} failed), {} data issues; wrote {}",
            run.counties.len(),
            run.failed(),
            run.issues(),
            folder.join("report.json").display()
        );
    }
    Ok(if run.failed() > 0 {
        Exit::Failed
    } else if run.issues() > 0 {
        Exit::Issues
    } else {
        Exit::Clean
    })
}
