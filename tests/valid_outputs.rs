//! Every polygon redline writes is valid by OGC rules, as GEOS judges it: the townships, the
//! illegal parts of change patches (dissolved per patch and township) and the PBF-loss pieces
//! of the demo county and of a second synthetic county.
//!
//! `cargo test --features geos-oracle --test valid_outputs` (needs libgeos-dev).

#![cfg(feature = "geos-oracle")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use geos::Geom;
use std::path::Path;
use std::process::Command;

fn redline(dir: &Path, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_redline"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    // Exit 1 is fine here: data issues (seed 42 has two overlapping conversion approvals) do
    // not change which polygons are written.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Checks every feature of a GeoJSON output; returns how many polygons were checked.
fn check_file(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    let collection: geojson::FeatureCollection = text.parse().unwrap();
    let mut polygons = 0;
    for (k, feature) in collection.features.iter().enumerate() {
        let geometry = feature.geometry.as_ref().unwrap();
        let mp: geo::MultiPolygon<f64> =
            match geo::Geometry::try_from(geometry.value.clone()).unwrap() {
                geo::Geometry::MultiPolygon(mp) => mp,
                geo::Geometry::Polygon(p) => geo::MultiPolygon(vec![p]),
                other => panic!(
                    "{}: feature {k} is not a polygon: {other:?}",
                    path.display()
                ),
            };
        let g = geos::Geometry::try_from(&mp).unwrap();
        assert!(
            g.is_valid().unwrap(),
            "{} feature {k}: {}",
            path.display(),
            g.is_valid_reason().unwrap()
        );
        polygons += mp.0.len();
    }
    polygons
}

fn check_outputs(out: &Path, what: &str) {
    let vintages = out.join("uncovered_construction.geojson").exists();
    for name in [
        "townships.geojson",
        "violations.geojson",
        "pbf_loss.geojson",
        "uncovered_construction.geojson",
    ]
    .into_iter()
    .filter(|n| vintages || !n.starts_with("uncovered"))
    {
        let n = check_file(&out.join(name));
        assert!(n > 0, "{what}: {name} has polygons to check");
        eprintln!("{what}: {name}: {n} polygons, all valid");
    }
}

#[test]
fn every_output_polygon_of_two_counties_is_valid_by_geos() {
    let dir = tempfile::tempdir().unwrap();
    redline(dir.path(), &["demo", "-o", "demo"]);
    check_outputs(&dir.path().join("demo/out"), "demo");
    redline(
        dir.path(),
        &[
            "synth",
            "-o",
            "county",
            "--parcels",
            "8000",
            "--townships",
            "7",
            "--seed",
            "42",
        ],
    );
    redline(
        dir.path(),
        &["run", "county/job.toml", "--quiet", "-o", "county-out"],
    );
    check_outputs(&dir.path().join("county-out"), "seed 42");
}
