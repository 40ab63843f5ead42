//! A county run with the job library alone — what a program of your own does: load a job,
//! run it, write every output (byte-identical to `redline run JOB -o OUT --quiet`), and exit
//! 0 clean, 1 with data issues.
//!
//! `cargo run --example run_job -- data/demo/job.toml /tmp/demo-out`

use redline_job::{write_outputs, Job, WriteOptions};
use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let job_file = PathBuf::from(args.next().unwrap_or_else(|| "data/demo/job.toml".into()));
    let job = Job::load(&job_file)?;
    let folder = args
        .next()
        .map_or_else(|| job.output.clone(), PathBuf::from);
    let options = WriteOptions::default();
    let set = job.output_set(&folder, false)?;
    let run = job.run(&options, &())?;
    let written = write_outputs(&job, &run, set, &options)?;
    let county = &run.outcome.county;
    println!(
        "{}: cultivated {:.2} ha net, illegal ratio {:.3}, {} data issues; wrote {}",
        county.name,
        county.landuse.cultivated_net / 1e4,
        county.violations.as_ref().map_or(0.0, |v| v.illegal_ratio),
        run.issues.len(),
        written.display()
    );
    std::process::exit(if run.issues.is_empty() { 0 } else { 1 });
}
