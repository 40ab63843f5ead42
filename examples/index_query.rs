//! Build a `EnvelopeIndex` over the demo county's land-use parcels and ask it which parcels lie
//! near a point — the R-tree the overlay engine filters with, on its own.
//!
//! `cargo run --example index_query -- data/demo/landuse.geojson 41515000 5073000`

use geo::{Area, BoundingRect};
use redline_index::EnvelopeIndex;
use redline_ingest::{read_layer, ReadOptions};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| "data/demo/landuse.geojson".into());
    let x: f64 = args.next().map_or(Ok(41_515_000.0), |v| v.parse())?;
    let y: f64 = args.next().map_or(Ok(5_073_000.0), |v| v.parse())?;
    let read = read_layer(
        path.as_ref(),
        &ReadOptions {
            id_field: Some("BSM".into()),
            ..Default::default()
        },
    )?;
    let geometries: Vec<_> = read.layer.features.iter().map(|f| &*f.geometry).collect();
    let index = EnvelopeIndex::new(&geometries);
    println!("{} parcels indexed", index.len());
    // Everything within 100 m of the point, by envelope, then the parcels' own sizes.
    let mut near: Vec<usize> = index
        .candidates([x - 100.0, y - 100.0], [x + 100.0, y + 100.0])
        .collect();
    near.sort_unstable();
    for k in near {
        let f = &read.layer.features[k];
        let r = f
            .geometry
            .bounding_rect()
            .ok_or_else(|| anyhow::anyhow!("empty parcel"))?;
        println!(
            "{:>20}  {:>10.1} m²  x {:.0}–{:.0}  y {:.0}–{:.0}",
            f.label(),
            f.geometry.unsigned_area(),
            r.min().x,
            r.max().x,
            r.min().y,
            r.max().y
        );
    }
    Ok(())
}
