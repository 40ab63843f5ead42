//! Read a layer with the library, the way a pipeline that embeds redline would: CRS, feature
//! count, ellipsoidal area of the whole layer, and the data issues found.
//!
//! `cargo run --example read_layer -- crates/ingest/tests/fixtures/gbk_cpg936/parcels.shp`

use redline_geom::{units, EllipsoidalArea};
use redline_ingest::{read_layer, ReadOptions};

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: read_layer FILE"))?;
    let read = read_layer(path.as_ref(), &ReadOptions::default())?;
    let crs = read.layer.require_crs()?;
    let measure = EllipsoidalArea::for_crs(crs)?;
    let mut total = 0.0;
    for feature in &read.layer.features {
        total += measure.area(&feature.geometry)?;
    }
    println!(
        "{}: {} features in {crs}",
        read.layer.name,
        read.layer.features.len()
    );
    println!(
        "ellipsoidal area: {total:.2} m² = {:.4} ha = {:.2} 亩",
        units::m2_to_ha(total),
        units::m2_to_mu(total)
    );
    for issue in &read.issues {
        println!("issue: {issue}");
    }
    Ok(())
}
