//! The coverage check (`overlapping_pairs`) on the basic farmland of a synthetic county: the
//! pairs of features whose boxes overlap, each settled by the contact test (no overlap in a
//! clean coverage, so no overlay). At a million parcels this check was a sixth of a run. And
//! the land use's (`overlaps_among`), where shared edges prove most parcels apart first.
//!
//! `cargo bench --bench coverage` (a 100 000-parcel county, made once in a temporary folder).

#![allow(clippy::unwrap_used, clippy::expect_used)] // benches fail loudly by design

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use redline_ingest::{read_layer, ReadOptions};

fn coverage(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let config = redline_synth::Config {
        parcels: 100_000,
        townships: 11,
        seed: 1,
        format: redline_synth::Format::GeoJson,
        previous: false,
        county_code: redline_synth::DEFAULT_COUNTY.into(),
    };
    redline_synth::generate(&config, dir.path()).unwrap();
    let read = read_layer(
        &dir.path().join("basic_farmland.geojson"),
        &ReadOptions::default(),
    );
    let layer = read.unwrap().layer;
    let geometries: Vec<_> = layer.features.iter().map(|f| &*f.geometry).collect();
    // A clean coverage: every candidate pair is settled without an overlay.
    assert!(redline_index::overlapping_pairs(&geometries, 0.01).is_empty());
    let mut group = c.benchmark_group("coverage");
    group
        .sample_size(20)
        .throughput(Throughput::Elements(geometries.len() as u64));
    group.bench_function("basic_farmland_100k_county", |b| {
        b.iter(|| redline_index::overlapping_pairs(&geometries, 0.01))
    });
    // The land use: one coverage of the ground in the order of the ground, so most parcels
    // are proved apart by their shared edges (`edge_match`) and the pair tests run for the rest.
    let landuse = read_layer(&dir.path().join("landuse.geojson"), &ReadOptions::default());
    let landuse = landuse.unwrap().layer;
    let parcels: Vec<_> = landuse.features.iter().map(|f| &*f.geometry).collect();
    assert!(redline_index::overlaps_among(&parcels, 0.01, None)
        .pairs
        .is_empty());
    group.throughput(Throughput::Elements(parcels.len() as u64));
    group.bench_function("landuse_100k_county", |b| {
        b.iter(|| redline_index::overlaps_among(&parcels, 0.01, None))
    });
    group.finish();
}

criterion_group!(benches, coverage);
criterion_main!(benches);
