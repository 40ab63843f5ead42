//! Validation gives back what it produced: a geometry that `validate_and_repair` returned
//! without a problem comes back unchanged, to the bit, and again without a problem. A reader
//! given a known geometry that its polygons are to the bit, and that validation passed as read,
//! takes it without validating them (`KnownGeometries::validated_same_as`): this property is
//! what makes that the same answer. Checked on the real parcels and the polygon-clipping cases
//! in `../shared/data` (skipped where it is absent).

use geo::Coord;
use redline_geom::{raw_polygons, validate_and_repair};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn shared() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    path.exists().then_some(path).or_else(|| {
        eprintln!("skipped: ../shared/data is absent");
        None
    })
}

type Raw = Vec<Vec<Vec<Coord<f64>>>>;

/// Every Polygon and MultiPolygon in a GeoJSON text, as raw polygons.
fn polygons(json: &Value, out: &mut Vec<Raw>) {
    let ring = |r: &Value| -> Vec<Coord<f64>> {
        r.as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| {
                Some(Coord {
                    x: p.get(0)?.as_f64()?,
                    y: p.get(1)?.as_f64()?,
                })
            })
            .collect()
    };
    let polygon = |p: &Value| -> Vec<Vec<Coord<f64>>> {
        p.as_array().into_iter().flatten().map(ring).collect()
    };
    match json {
        Value::Object(o) => match (o.get("type").and_then(Value::as_str), o.get("coordinates")) {
            (Some("Polygon"), Some(c)) => out.push(vec![polygon(c)]),
            (Some("MultiPolygon"), Some(c)) => {
                out.push(c.as_array().into_iter().flatten().map(polygon).collect())
            }
            _ => o.values().for_each(|v| polygons(v, out)),
        },
        Value::Array(a) => a.iter().for_each(|v| polygons(v, out)),
        _ => {}
    }
}

fn bits(raw: &Raw) -> Vec<Vec<Vec<(u64, u64)>>> {
    raw.iter()
        .map(|p| {
            p.iter()
                .map(|r| r.iter().map(|c| (c.x.to_bits(), c.y.to_bits())).collect())
                .collect()
        })
        .collect()
}

#[test]
fn a_geometry_validation_passed_comes_back_unchanged() {
    let Some(data) = shared() else { return };
    let mut all = Vec::new();
    let mut files = vec![
        data.join("parcels-fr-cadastre/cadastre-75118-parcelles.json"),
        data.join("parcels-fr-cadastre/cadastre-91216-parcelles.json"),
    ];
    for case in std::fs::read_dir(data.join("polygon-clipping-e2e"))
        .unwrap()
        .flatten()
    {
        files.extend(
            std::fs::read_dir(case.path())
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path()),
        );
    }
    for file in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "geojson" || e == "json"))
    {
        let text = std::fs::read_to_string(file).unwrap();
        polygons(&serde_json::from_str(&text).unwrap(), &mut all);
    }
    let (mut passed, mut repaired) = (0, 0);
    for raw in all {
        let first = validate_and_repair(raw);
        let Some(g) = first.geometry else { continue };
        if !first.problems.is_empty() {
            repaired += 1;
            continue;
        }
        passed += 1;
        let again = validate_and_repair(raw_polygons(&g));
        assert!(again.problems.is_empty(), "{:?}", again.problems);
        let back = again.geometry.expect("a geometry validation passed");
        assert_eq!(bits(&raw_polygons(&back)), bits(&raw_polygons(&g)));
    }

    eprintln!("{passed} passed as read, {repaired} repaired");
    // Thousands of real parcels, and the clipping cases' polygons (some repaired).
    assert!(passed > 9000, "{passed} passed");
    assert!(repaired > 0, "{repaired} repaired");
}
