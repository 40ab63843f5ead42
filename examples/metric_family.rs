//! One metric family — land use and cultivated retention — of the demo county through the job
//! library: the job's own reading (field mapping, KCXS→KCMJ fallback, 9-digit codes,
//! reprojection, the preflight), the overlay, then the land-use numbers per township.
//!
//! `cargo run --example metric_family -- data/demo`

use redline_geom::units;
use redline_job::{Job, LayerFormat, WriteOptions};
use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "data/demo".into()),
    );
    let job = Job::load(&dir.join("job.toml"))?;
    // Nothing is written: no lon/lat outputs to prepare for.
    let options = WriteOptions {
        format: LayerFormat::GeoPackage,
        ..Default::default()
    };
    let run = job.run(&options, &())?;
    for m in run.outcome.townships.iter().chain([&run.outcome.county]) {
        let l = &m.landuse;
        println!(
            "{:<10} {:<16} cultivated {:>10.2} ha net of {:>10.2} ha gross",
            m.code,
            m.name,
            units::m2_to_ha(l.cultivated_net),
            units::m2_to_ha(l.cultivated_gross)
        );
    }
    Ok(())
}
