//! Xian 1980 counties: refused without their datum shift, and with it the same numbers as the
//! CGCS2000 run.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::*;
use std::path::Path;

/// Seven illustrative Xian 1980 → CGCS2000 parameters (position vector: m, ″, ppm).
const XIAN80_TOWGS84: &str = "24,-123,-94,0.02,-0.25,-0.13,1.1";

/// The demo county redrawn in Xian 1980 / 3-degree GK zone 41 (EPSG:2365) by the seven
/// parameters above: every layer, so that shared vertices stay shared.
fn demo_in_xian80(dir: &Path) {
    use redline_geom::{Crs, Transformer};
    copy_demo(dir, false);
    let mut xian = Crs::from_epsg(2365).unwrap();
    xian.towgs84 = Some(XIAN80_TOWGS84.parse().unwrap());
    let t = Transformer::new(&Crs::from_epsg(4529).unwrap(), &xian).unwrap();
    for layer in layer_names() {
        let path = dir.join(format!("{layer}.geojson"));
        redraw_layer(&path, "EPSG:2365", &mut |x, y| {
            let (tx, ty) = t.point(x, y).unwrap();
            // The datum shift moves every vertex by tens of metres.
            assert!((tx - x).hypot(ty - y) > 10.0);
            (tx, ty)
        });
    }
}

/// The pieces of two runs agree to 0.1 %: the current vintage's cut vertices lie within a
/// micrometre of township borders, so a copy moved through a datum shift and back clips a few
/// slivers of µm² differently (every area still agrees to 1e-8).
fn same_pieces(a: &serde_json::Value, b: &serde_json::Value) {
    let (x, y) = (
        a["county"]["pieces"].as_f64().unwrap(),
        b["county"]["pieces"].as_f64().unwrap(),
    );
    assert!((x - y).abs() <= 1e-3 * x, "pieces {x} vs {y}");
}

/// The demo county's layer names (its files are `NAME.geojson`).
fn layer_names() -> impl Iterator<Item = &'static str> {
    redline_ingest::LayerRole::ALL.into_iter().map(|r| r.name())
}

/// A number of report.json's county row, by JSON pointer.
fn county_number(report: &serde_json::Value, key: &str) -> f64 {
    report["county"].pointer(key).unwrap().as_f64().unwrap()
}

/// The demo job with `towgs84 = "…"` on every layer.
fn with_towgs84(job: &str, towgs84: &str) -> String {
    layer_names().fold(job.to_string(), |job, layer| {
        job.replace(
            &format!("path = \"{layer}.geojson\""),
            &format!("path = \"{layer}.geojson\"\ntowgs84 = \"{towgs84}\""),
        )
    })
}

#[test]
fn a_xian80_county_needs_towgs84_and_then_matches_the_cgcs2000_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (cgcs, xian) = (tmp.path().join("cgcs"), tmp.path().join("xian"));
    copy_demo(&cgcs, false);
    demo_in_xian80(&xian);

    // No parameters: refused, naming the layer and what to give; no ballpark guess.
    let out = run_job(&xian, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(".geojson") && err.contains("towgs84"), "{err}");
    assert!(err.contains("EPSG:2365"), "{err}");

    let job = std::fs::read_to_string(xian.join("job.toml")).unwrap();
    std::fs::write(xian.join("job.toml"), with_towgs84(&job, "1,2")).unwrap();
    let out = redline(&["check", &xian.join("job.toml").display().to_string()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(".towgs84"), "{}", stderr(&out));

    std::fs::write(xian.join("job.toml"), with_towgs84(&job, XIAN80_TOWGS84)).unwrap();
    let a: serde_json::Value = serde_json::from_str(&run_in(&cgcs, &[])).unwrap();
    let b: serde_json::Value = serde_json::from_str(&run_in(&xian, &[])).unwrap();
    // Forward and back through a 2D datum shift is not exact (the height the shift creates is
    // dropped, as PROJ drops it): vertices come back within a millimetre, county areas within 1e-8.
    for key in [
        "/landuse/total_m2",
        "/landuse/cultivated_net_m2",
        "/landuse/construction_m2",
        "/basic_farmland/pbf_cultivated_m2",
        "/violations/illegal_cultivated_m2",
        "/balance/debit/quantity_m2",
    ] {
        let (x, y) = (county_number(&a, key), county_number(&b, key));
        println!("{key}: CGCS2000 {x} m², via Xian 1980 {y} m²");
        assert!((x - y).abs() <= 1e-8 * x.abs(), "{key}: {x} vs {y}");
    }
    same_pieces(&a, &b);
}

#[test]
fn a_xian80_working_crs_needs_its_towgs84_for_the_lonlat_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let xian = tmp.path().join("xian");
    demo_in_xian80(&xian);
    let job = std::fs::read_to_string(xian.join("job.toml"))
        .unwrap()
        .replace("crs    = \"EPSG:4529\"", "crs    = \"EPSG:2365\"");
    std::fs::write(xian.join("job.toml"), &job).unwrap();
    // Every layer on Xian 1980 with no parameters: the overlay needs none, but the GeoJSON
    // outputs are WGS 84 lon/lat, so the run stops before the overlay and says why.
    let out = run_job(&xian, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("RFC 7946") && err.contains("towgs84"), "{err}");
    assert!(!xian.join("out/report.json").exists());

    // The job's `towgs84` gives the working CRS its shift; the layers (Xian 1980 without
    // parameters) are the same datum and need no transformation.
    let with_shift = job.replace(
        "crs    = \"EPSG:2365\"",
        &format!("crs    = \"EPSG:2365\"\ntowgs84 = \"{XIAN80_TOWGS84}\""),
    );
    std::fs::write(xian.join("job.toml"), with_shift).unwrap();
    let b: serde_json::Value = serde_json::from_str(&run_in(&xian, &[])).unwrap();
    let cgcs = tmp.path().join("cgcs");
    copy_demo(&cgcs, false);
    let a: serde_json::Value = serde_json::from_str(&run_in(&cgcs, &[])).unwrap();
    // Areas are now taken on the Xian 1980 ellipsoid. With these parameters its surface lies
    // 145 m above CGCS2000's here (ground at h = 0 on CGCS2000 → geocentric → inverse Helmert →
    // h = 145.3 m on IAG 1975, worked out beside the test), and an area moved down a normal by
    // h shrinks by 2h/R = 4.55e-5 — the kind of gap bureaus saw between 二调 (Xian 1980) and
    // 三调 (CGCS2000) areas.
    let key = "/landuse/total_m2";
    let (x, y) = (county_number(&a, key), county_number(&b, key));
    let shrink = (x - y) / x;
    println!("{key}: CGCS2000 {x} m², Xian 1980 working CRS {y} m², {shrink:.3e} smaller");
    assert!((shrink - 4.55e-5).abs() < 2e-6, "{x} vs {y}: {shrink}");
    same_pieces(&a, &b);
    // The lon/lat outputs went through the shift: the county lies where the CGCS2000 run puts it.
    let lonlat = |dir: &Path| -> Vec<f64> {
        let text = std::fs::read_to_string(dir.join("out/townships.geojson")).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let c = &doc["features"][0]["geometry"]["coordinates"][0][0][0];
        vec![c[0].as_f64().unwrap(), c[1].as_f64().unwrap()]
    };
    let (p, q) = (lonlat(&cgcs), lonlat(&xian));
    // Within the ~1 mm a forward-and-back 2D shift leaves (3e-8° ≈ 2 mm).
    assert!(
        (p[0] - q[0]).abs() < 3e-8 && (p[1] - q[1]).abs() < 3e-8,
        "{p:?} {q:?}"
    );
}
