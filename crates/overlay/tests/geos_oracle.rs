//! GEOS as an independent oracle: areas of parcel ∩ township and change ∩ parcel on the demo
//! county, and of plot ∩ zone on the Dutch cadastral fixtures (nl_plots × nl_zones), computed by
//! redline's refine step and by GEOS, agree to 1e-7 relative.
//!
//! `cargo test -p redline-overlay --features geos-oracle` (needs libgeos-dev; `.ci/run` installs it).

#![cfg(feature = "geos-oracle")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use geo::{Area, BoundingRect, Intersects, MultiPolygon, Polygon};
use geos::{Geom, Geometry as GGeometry};
use redline_overlay::clip_intersection;
use std::path::PathBuf;
use std::str::FromStr;

fn to_geos(mp: &MultiPolygon<f64>) -> GGeometry {
    GGeometry::try_from(mp).unwrap()
}

fn geos_area(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> f64 {
    to_geos(a)
        .intersection(&to_geos(b))
        .unwrap()
        .area()
        .unwrap()
}

/// Compares every pair whose envelopes overlap; returns how many were compared.
///
/// The bound is 1e-7 of the result or of the smaller operand, whichever is larger: both engines
/// round to a grid relative to their operands (i_overlay snaps to an integer grid over the pair's
/// envelope), so a sliver result carries an error relative to the polygons it was cut from.
fn compare(left: &[MultiPolygon<f64>], right: &[MultiPolygon<f64>], what: &str) -> usize {
    let (mut compared, mut worst_result, mut worst_operand) = (0, 0.0f64, 0.0f64);
    for a in left {
        let ra = a.bounding_rect().unwrap();
        for b in right
            .iter()
            .filter(|b| b.bounding_rect().unwrap().intersects(&ra))
        {
            let ours = clip_intersection(a, b).unsigned_area();
            let theirs = geos_area(a, b);
            let operand = a.unsigned_area().min(b.unsigned_area());
            let diff = (ours - theirs).abs();
            assert!(
                diff <= 1e-7 * theirs.max(operand),
                "{what}: redline {ours} vs GEOS {theirs} (operand {operand})"
            );
            if theirs > 0.01 * operand {
                worst_result = worst_result.max(diff / theirs);
            }
            worst_operand = worst_operand.max(diff / operand);
            compared += 1;
        }
    }
    eprintln!("{what}: {compared} pairs; worst |Δ|/result {worst_result:.1e} (results ≥ 1 % of the operand), worst |Δ|/operand {worst_operand:.1e}");
    compared
}

fn shared(rel: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel);
    path.exists().then_some(path).or_else(|| {
        eprintln!("skipped: {rel} is absent");
        None
    })
}

fn split(mp: MultiPolygon<f64>) -> Vec<MultiPolygon<f64>> {
    mp.0.into_iter()
        .map(|p: Polygon<f64>| MultiPolygon(vec![p]))
        .collect()
}

fn read_wkt(path: PathBuf) -> MultiPolygon<f64> {
    let text = std::fs::read_to_string(path).unwrap();
    let w = wkt::Wkt::<f64>::from_str(text.trim()).unwrap();
    match geo::Geometry::try_from(w).unwrap() {
        geo::Geometry::MultiPolygon(mp) => mp,
        geo::Geometry::Polygon(p) => MultiPolygon(vec![p]),
        other => panic!("not polygonal: {other:?}"),
    }
}

#[test]
fn dutch_plots_by_zones_agree_with_geos() {
    let dir = "georust-fixtures/geo-test-fixtures/fixtures";
    let (Some(plots), Some(zones)) = (
        shared(&format!("{dir}/nl_plots.wkt")),
        shared(&format!("{dir}/nl_zones.wkt")),
    ) else {
        return;
    };
    let n = compare(
        &split(read_wkt(plots)),
        &split(read_wkt(zones)),
        "nl_plots ∩ nl_zones",
    );
    eprintln!("nl_plots × nl_zones: {n} pairs agree with GEOS");
    assert!(n > 300);
}

fn demo_layer(name: &str) -> Vec<MultiPolygon<f64>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/demo")
        .join(name);
    let read = redline_ingest::read_layer(&path, &Default::default()).unwrap();
    read.layer
        .features
        .into_iter()
        .map(|f| std::sync::Arc::unwrap_or_clone(f.geometry))
        .collect()
}

#[test]
fn demo_county_clips_agree_with_geos() {
    let townships = demo_layer("townships.geojson");
    let parcels = demo_layer("landuse.geojson");
    let changes = demo_layer("changes.geojson");
    // The parcels the engine clips: those whose envelope meets a township border.
    let border: Vec<MultiPolygon<f64>> = parcels
        .iter()
        .filter(|p| {
            let r = p.bounding_rect().unwrap();
            townships.iter().any(|t| {
                t.0.iter()
                    .any(|poly| poly.exterior().0.iter().any(|c| r.intersects(c)))
            })
        })
        .cloned()
        .collect();
    let n = compare(&border, &townships, "parcel ∩ township");
    let m = compare(&changes, &parcels, "change ∩ parcel");
    eprintln!("demo county: {n} parcel × township and {m} change × parcel pairs agree with GEOS");
    assert!(n > 1000 && m > 500);
}
