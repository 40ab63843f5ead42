//! `redline synth`.

use crate::cli::SynthArgs;
use crate::Exit;
use anyhow::{anyhow, Context, Result};
use redline_synth::{generate, Config, Format};
use std::time::Instant;

pub(crate) fn run(args: &SynthArgs) -> Result<Exit> {
    let format: Format = args.format.parse().map_err(|e: String| anyhow!(e))?;
    let config = Config {
        parcels: args.parcels,
        townships: args.townships,
        seed: args.seed,
        format,
        previous: args.previous_vintage,
        county_code: args.county_code.clone(),
    };
    let started = Instant::now();
    let summary = generate(&config, &args.output)
        .with_context(|| format!("generating into {}", args.output.display()))?;
    eprintln!(
        "{} parcels ({:.1}% cultivated by area), {} townships, {} villages, {} basic-farmland parcels, {} approvals, {} supplements, {} change patches in {:.2} s",
        summary.parcels,
        100.0 * summary.cultivated_share,
        summary.townships,
        summary.villages,
        summary.basic_farmland,
        summary.approvals,
        summary.supplements,
        summary.changes,
        started.elapsed().as_secs_f64()
    );
    if args.previous_vintage {
        eprintln!(
            "the current vintage has {} parcels more than the previous one (cut by the year's changes)",
            summary.changed_parcels
        );
    }
    for file in &summary.files {
        let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        out!("{:>12}  {}", size, file.display());
    }
    Ok(Exit::Clean)
}
