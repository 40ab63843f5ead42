//! Ellipsoidal areas against the PROJ/GeographicLib reference values of
//! `../shared/reference/ellipsoidal-area.json` (a copy lives in tests/fixtures).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches fail loudly by design

use geo::{Coord, LineString, MultiPolygon, Polygon};
use redline_geom::{planar_area, Crs, EllipsoidalArea};
use serde_json::Value;

fn reference() -> Value {
    let shared = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/reference/ellipsoidal-area.json"
    );
    let local = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/ellipsoidal-area.json"
    );
    let text = std::fs::read_to_string(shared)
        .or_else(|_| std::fs::read_to_string(local))
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn ring(v: &Value) -> LineString<f64> {
    LineString(
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| Coord {
                x: p[0].as_f64().unwrap(),
                y: p[1].as_f64().unwrap(),
            })
            .collect(),
    )
}

fn polygon(case: &Value) -> MultiPolygon<f64> {
    let holes = case["holes"].as_array().unwrap().iter().map(ring).collect();
    MultiPolygon(vec![Polygon::new(ring(&case["exterior"]), holes)])
}

fn rel(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

#[test]
fn every_reference_case_to_1e_8() {
    let cases = reference()["cases"].as_array().unwrap().clone();
    assert_eq!(cases.len(), 7);
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let crs = Crs::from_epsg(case["epsg"].as_u64().unwrap() as u32).unwrap();
        let mp = polygon(case);
        let measure = EllipsoidalArea::for_crs(&crs).unwrap();
        let area = measure.area(&mp).unwrap();
        let expected = case["ellipsoidal_area_m2_gk_densified_1m"]
            .as_f64()
            .or_else(|| case["ellipsoidal_area_m2_vertices_geodesic"].as_f64())
            .unwrap();
        eprintln!(
            "{name:<32} redline {area:>22.6} reference {expected:>22.6} rel {:.1e}",
            rel(area, expected)
        );
        assert!(
            rel(area, expected) < 1e-8,
            "{name}: {area} vs {expected} ({:e})",
            rel(area, expected)
        );
        if let Some(planar) = case["planar_area_m2"].as_f64() {
            assert!(rel(planar_area(&mp), planar) < 1e-12, "{name} planar");
            // The 三调 method written out (70 m densification + geodesic area) agrees too.
            let dense = measure.densified_geodesic(&crs, &mp, 70.0).unwrap();
            assert!(
                rel(dense, expected) < 1e-8,
                "{name}: densified {dense} vs {expected}"
            );
        }
    }
}

#[test]
fn undensified_township_is_off_by_about_0_8_ppm() {
    // docs/metrics.md §1: without densifying, a 20 km township comes out ~0.8 ppm off.
    let case = reference()["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "township_20km_zone41")
        .unwrap()
        .clone();
    let crs = Crs::from_epsg(4529).unwrap();
    let measure = EllipsoidalArea::for_crs(&crs).unwrap();
    let coarse = measure
        .densified_geodesic(&crs, &polygon(&case), 1e9)
        .unwrap();
    let exact = case["ellipsoidal_area_m2_gk_densified_1m"]
        .as_f64()
        .unwrap();
    let ppm = rel(coarse, exact) * 1e6;
    assert!((0.7..0.9).contains(&ppm), "{ppm} ppm");
    assert!(
        rel(
            coarse,
            case["ellipsoidal_area_m2_vertices_geodesic"]
                .as_f64()
                .unwrap()
        ) < 1e-9
    );
}
