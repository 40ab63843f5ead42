//! The transition matrix against GEOS: the demo county's two vintages overlaid pair by pair with
//! GEOS (planar areas), the field ridges split as docs/change.md says, give every `FROM>TO` cell
//! of report.json; the rows sum to the previous vintage's class areas and the columns to the
//! current one's, within 1e-9 of the county's area.
//!
//! `cargo test --features geos-oracle --test vintages_geos` (needs libgeos-dev).

#![cfg(feature = "geos-oracle")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::*;
use geo::{Area, BoundingRect, MultiPolygon};
use geos::Geom;
use std::collections::BTreeMap;
use std::path::Path;

/// A parcel as the oracle needs it: class code, ridge coefficient (cultivated only), geometry.
struct Parcel {
    code: String,
    ridge: f64,
    geometry: MultiPolygon<f64>,
}

fn parcels(path: &Path) -> Vec<Parcel> {
    let layer = redline_ingest::read_layer(path, &Default::default())
        .unwrap()
        .layer;
    let column = |name: &str| layer.fields.iter().position(|f| f.name == name).unwrap();
    let (dlbm, kcxs) = (column("DLBM"), column("KCXS"));
    layer
        .features
        .iter()
        .map(|f| {
            let code = layer.attrs(f).to_vec()[dlbm].as_text().unwrap().to_string();
            let cultivated = matches!(code.as_str(), "0101" | "0102" | "0103");
            let k = layer.attrs(f).to_vec()[kcxs].as_number().unwrap_or(0.0);
            Parcel {
                ridge: if cultivated { k } else { 0.0 },
                code,
                geometry: (*f.geometry).clone(),
            }
        })
        .collect()
}

/// Net area by class, the ridges under 1203.
fn class_areas(parcels: &[Parcel]) -> BTreeMap<String, f64> {
    let mut areas = BTreeMap::new();
    for p in parcels {
        let a = p.geometry.unsigned_area();
        *areas.entry(p.code.clone()).or_insert(0.0) += a * (1.0 - p.ridge);
        *areas.entry("1203".to_string()).or_insert(0.0) += a * p.ridge;
    }
    areas
}

#[test]
fn the_demo_matrix_is_what_geos_overlays_give() {
    let dir = tempfile::tempdir().unwrap();
    copy_demo(dir.path(), false);
    let job = dir.path().join("job.toml");
    let text = std::fs::read_to_string(&job).unwrap();
    std::fs::write(
        &job,
        text.replace("area   = \"ellipsoidal\"", "area   = \"planar\""),
    )
    .unwrap();
    let report: serde_json::Value = serde_json::from_str(&run_in(dir.path(), &[])).unwrap();
    let engine = report["county"]["change"]["transitions"]
        .as_object()
        .unwrap()
        .clone();

    let before = parcels(&dir.path().join("landuse_previous.geojson"));
    let after = parcels(&dir.path().join("landuse.geojson"));
    let geos_after: Vec<geos::Geometry> = after
        .iter()
        .map(|p| geos::Geometry::try_from(&p.geometry).unwrap())
        .collect();
    let index =
        redline_index::EnvelopeIndex::new(&after.iter().map(|p| &p.geometry).collect::<Vec<_>>());
    let mut oracle: BTreeMap<String, f64> = BTreeMap::new();
    let mut cell = |from: &str, to: &str, a: f64| {
        if a > 0.0 {
            *oracle.entry(format!("{from}>{to}")).or_insert(0.0) += a;
        }
    };
    for p in &before {
        let g = geos::Geometry::try_from(&p.geometry).unwrap();
        let r = p.geometry.bounding_rect().unwrap();
        for k in index.candidates([r.min().x, r.min().y], [r.max().x, r.max().y]) {
            let a = g.intersection(&geos_after[k]).unwrap().area().unwrap();
            let c = &after[k];
            let (kp, kc) = (p.ridge, c.ridge);
            cell(&p.code, &c.code, a * (1.0 - kp.max(kc)));
            cell("1203", "1203", a * kp.min(kc));
            cell("1203", &c.code, a * (kp - kc));
            cell(&p.code, "1203", a * (kc - kp));
        }
    }
    // Every cell report.json lists, GEOS finds; every cell GEOS finds of a centiare or more,
    // report.json lists.
    for (key, value) in &engine {
        let ours = value.as_f64().unwrap();
        let theirs = oracle.get(key).copied().unwrap_or(0.0);
        assert!(
            (ours - theirs).abs() <= 0.01 + 1e-7 * theirs,
            "{key}: redline {ours} vs GEOS {theirs}"
        );
    }
    for (key, theirs) in &oracle {
        assert!(
            engine.contains_key(key) || *theirs < 0.01,
            "{key}: GEOS {theirs}, not in report.json"
        );
    }
    // Rows sum to the previous vintage's class areas, columns to the current one's.
    let county: f64 = before.iter().map(|p| p.geometry.unsigned_area()).sum();
    let sums = |side: usize| {
        let mut s: BTreeMap<String, f64> = BTreeMap::new();
        for (key, v) in &engine {
            let code = key.split('>').nth(side).unwrap().to_string();
            *s.entry(code).or_insert(0.0) += v.as_f64().unwrap();
        }
        s
    };
    for (side, areas) in [(0, class_areas(&before)), (1, class_areas(&after))] {
        let sums = sums(side);
        for (code, area) in &areas {
            let got = sums.get(code).copied().unwrap_or(0.0);
            assert!(
                (got - area).abs() <= 1e-9 * county,
                "{} {code}: matrix {got} vs layer {area} (county {county})",
                ["row", "column"][side]
            );
        }
        eprintln!(
            "{}: {} classes agree with the layer within 1e-9 of the county ({county:.0} m²)",
            ["rows", "columns"][side],
            areas.len()
        );
    }
    eprintln!(
        "{} cells of report.json agree with GEOS; {} cells from GEOS",
        engine.len(),
        oracle.len()
    );
}
