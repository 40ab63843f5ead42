//! GeoParquet and FlatGeobuf end to end: a county read from either gives the numbers the same
//! county gives as GeoJSON; the output layers in either read back with the same features; and
//! report.json holds to schema/report.schema.json.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{redline, stderr};
use redline_ingest::{read_layer, ReadOptions};
use serde_json::Value;
use std::path::Path;

fn synth(dir: &Path, format: &str) {
    let out = redline(
        &[
            "synth",
            "--parcels",
            "3000",
            "--townships",
            "4",
            "--seed",
            "7",
            "--format",
            format,
            "-o",
        ]
        .iter()
        .copied()
        .chain([dir.to_str().unwrap()])
        .collect::<Vec<_>>(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

fn run(dir: &Path, extra: &[&str]) -> Value {
    let out_dir = dir.join("out");
    let mut args = vec![
        "run",
        dir.join("job.toml").to_str().unwrap().to_string().leak() as &str,
    ];
    args.extend([
        "--quiet",
        "-o",
        out_dir.to_str().unwrap().to_string().leak(),
    ]);
    args.extend(extra);
    let out = redline(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_str(&std::fs::read_to_string(out_dir.join("report.json")).unwrap()).unwrap()
}

/// report.json without the job echo (whose text names the layer files).
fn numbers(mut report: Value) -> Value {
    report.as_object_mut().unwrap().remove("job");
    report
}

#[test]
fn geoparquet_and_flatgeobuf_counties_give_the_geojson_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let reports: Vec<Value> = ["geojson", "geoparquet", "fgb"]
        .iter()
        .map(|format| {
            let dir = tmp.path().join(format);
            synth(&dir, format);
            numbers(run(&dir, &[]))
        })
        .collect();
    assert!(reports[0]["townships"].as_array().unwrap().len() == 4);
    assert_eq!(reports[0], reports[1], "GeoParquet differs from GeoJSON");
    assert_eq!(reports[0], reports[2], "FlatGeobuf differs from GeoJSON");
}

/// The basic farmland of a synthetic county is drawn on its parcels: read in any format, every
/// basic farmland polygon equal to a parcel's holds that parcel's allocation (its own copy was
/// dropped as it was read), and the ones equal to no parcel keep their own.
#[test]
fn basic_farmland_read_in_any_format_shares_the_parcels_geometry() {
    let tmp = tempfile::tempdir().unwrap();
    for format in ["geojson", "geojsonseq", "geoparquet", "fgb", "shp"] {
        let dir = tmp.path().join(format);
        synth(&dir, format);
        let job = redline_job::Job::load(&dir.join("job.toml")).unwrap();
        let (county, _, _) = job.read().unwrap();
        let bits = |g: &geo::MultiPolygon<f64>| -> Vec<u64> {
            g.0.iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .flat_map(|r| {
                    std::iter::once(r.0.len() as u64)
                        .chain(r.0.iter().flat_map(|c| [c.x.to_bits(), c.y.to_bits()]))
                })
                .collect()
        };
        let parcels: std::collections::HashMap<Vec<u64>, &std::sync::Arc<geo::MultiPolygon<f64>>> =
            county
                .landuse
                .iter()
                .rev()
                .map(|p| (bits(&p.geometry), &p.geometry))
                .collect();
        let farmland = county.basic_farmland.as_deref().unwrap();
        let (mut equal, mut shared) = (0, 0);
        for b in farmland {
            if let Some(parcel) = parcels.get(&bits(&b.geometry)) {
                equal += 1;
                shared += usize::from(std::sync::Arc::ptr_eq(parcel, &b.geometry));
            } else {
                assert!(
                    county
                        .landuse
                        .iter()
                        .all(|p| !std::sync::Arc::ptr_eq(&p.geometry, &b.geometry)),
                    "{format}: basic farmland {} shares a parcel it does not equal",
                    b.id
                );
            }
        }
        assert!(
            equal > farmland.len() / 2,
            "{format}: {equal} of {}",
            farmland.len()
        );
        assert_eq!(shared, equal, "{format}");
    }
}

/// A GeoJSON county whose land use has features that become no parcel (a class code the table
/// does not know, here and there before the others): the basic farmland drawn on the parcels
/// after them still takes each its own parcel's geometry, unparsed, by the text it shares with
/// the parcel. Read plainly, feature by feature, the basic farmland has the same coordinates.
#[test]
fn basic_farmland_by_text_finds_its_parcel_after_features_that_made_none() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("county");
    synth(&dir, "geojson");
    let landuse = dir.join("landuse.geojson");
    let text = std::fs::read_to_string(&landuse).unwrap();
    let mut unknown = 0;
    let lines: Vec<String> = (text.lines().enumerate())
        .map(|(k, line)| {
            if k % 97 == 3 && line.contains("\"DLBM\":\"") {
                unknown += 1;
                let at = line.find("\"DLBM\":\"").unwrap() + 8;
                format!("{}9999{}", &line[..at], &line[at + 4..])
            } else {
                line.to_string()
            }
        })
        .collect();
    assert!(unknown > 10, "{unknown} features given an unknown class");
    std::fs::write(&landuse, lines.join("\n")).unwrap();
    let job = redline_job::Job::load(&dir.join("job.toml")).unwrap();
    let (county, _, issues) = job.read().unwrap();
    let unknown_issues = issues.iter().filter(|i| i.message.contains("9999")).count();
    assert_eq!(unknown_issues, unknown, "every unknown class is reported");
    let farmland = county.basic_farmland.as_deref().unwrap();
    let plain = read_layer(&dir.join("basic_farmland.geojson"), &ReadOptions::default()).unwrap();
    assert_eq!(farmland.len(), plain.layer.features.len());
    let mut shared = 0;
    for (b, f) in farmland.iter().zip(&plain.layer.features) {
        assert_eq!(*b.geometry, *f.geometry, "basic farmland {}", b.id);
        let parcel = county
            .landuse
            .iter()
            .find(|p| std::sync::Arc::ptr_eq(&p.geometry, &b.geometry));
        shared += usize::from(parcel.is_some());
    }
    assert!(
        shared > farmland.len() / 2,
        "{shared} of {} shared",
        farmland.len()
    );
}

/// Feature count, planar area, EPSG code and the sum of a number field of a written layer.
fn planar_area(path: &Path, field: &str) -> (usize, f64, Option<u32>, f64) {
    let read = read_layer(path, &ReadOptions::default()).unwrap();
    let layer = read.layer;
    let area = layer
        .features
        .iter()
        .map(|f| redline_geom::planar_area(&f.geometry))
        .sum();
    let column = layer.fields.iter().position(|f| f.name == field);
    let total = layer
        .features
        .iter()
        .filter_map(|f| layer.attrs(f).get(column?)?.as_number())
        .sum();
    (
        layer.features.len(),
        area,
        layer.crs.and_then(|c| c.epsg),
        total,
    )
}

#[test]
fn output_layers_in_each_format_read_back_with_the_same_features_and_areas() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("county");
    synth(&dir, "geojson");
    let townships_in = planar_area(&dir.join("townships.geojson"), "");
    let mut layers = Vec::new();
    for format in ["geoparquet", "fgb"] {
        run(&dir, &["--format", format, "--force"]);
        let ext = if format == "fgb" { "fgb" } else { "parquet" };
        let out = dir.join("out");
        let townships = planar_area(&out.join(format!("townships.{ext}")), "");
        // The working CRS, declared in the file; the polygons are the townships' own.
        assert_eq!(townships.2, Some(4529), "{format}");
        assert_eq!(townships.0, townships_in.0, "{format}");
        assert!(
            (townships.1 - townships_in.1).abs() < 1e-6 * townships_in.1,
            "{format}: {} vs {}",
            townships.1,
            townships_in.1
        );
        let violations = planar_area(&out.join(format!("violations.{ext}")), "illegal_m2");
        assert!(violations.0 > 0, "{format}: no violations written");
        // Planar areas of the written parts against their own (ellipsoidal) illegal_m2: the
        // zone's scale here is within 0.1 % of 1.
        let illegal = violations.3;
        assert!(
            (violations.1 - illegal).abs() < 1e-3 * illegal,
            "{format}: {} vs {illegal}",
            violations.1
        );
        layers.push(violations);
    }
    assert_eq!(layers[0].0, layers[1].0);
    assert!((layers[0].1 - layers[1].1).abs() < 1e-6 * layers[0].1);
}

#[test]
fn region_reads_take_the_features_that_meet_the_rectangle() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    synth(&dir, "geoparquet");
    let fgb = tmp.path().join("f");
    synth(&fgb, "fgb");
    let all = read_layer(&dir.join("landuse.parquet"), &ReadOptions::default())
        .unwrap()
        .layer;
    let e = all.extent().unwrap();
    let region = geo::Rect::new(
        e.min(),
        geo::coord! { x: (e.min().x + e.max().x) / 2.0, y: (e.min().y + e.max().y) / 2.0 },
    );
    let meets = |f: &redline_ingest::Feature| {
        use geo::{BoundingRect, Intersects};
        f.geometry.bounding_rect().unwrap().intersects(&region)
    };
    let ids = |path: &Path,
               region: Option<geo::Rect<f64>>,
               keep: &dyn Fn(&redline_ingest::Feature) -> bool| {
        let options = ReadOptions {
            region,
            id_field: Some("BSM".into()),
            ..Default::default()
        };
        let layer = read_layer(path, &options).unwrap().layer;
        let mut ids: Vec<String> = layer
            .features
            .iter()
            .filter(|f| keep(f))
            .map(|f| f.id.as_deref().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let want = ids(&dir.join("landuse.parquet"), None, &meets);
    assert!(want.len() > 10 && want.len() < all.features.len());
    let parquet_ids = ids(&dir.join("landuse.parquet"), Some(region), &|_| true);
    let fgb_ids = ids(&fgb.join("landuse.fgb"), Some(region), &|_| true);
    let geojson = tmp.path().join("j");
    synth(&geojson, "geojson");
    assert_eq!(
        ids(&geojson.join("landuse.geojson"), Some(region), &|_| true),
        want
    );
    assert_eq!(parquet_ids, want);
    // The R-tree tests feature extents, the same test as above.
    assert_eq!(fgb_ids, want);
}

#[test]
fn truncated_binary_layers_are_errors_naming_the_file_not_panics() {
    let tmp = tempfile::tempdir().unwrap();
    for format in ["geoparquet", "fgb"] {
        let dir = tmp.path().join(format);
        synth(&dir, format);
        let ext = if format == "fgb" { "fgb" } else { "parquet" };
        let bytes = std::fs::read(dir.join(format!("townships.{ext}"))).unwrap();
        for cut in [0, 7, bytes.len() / 3, bytes.len() / 2, bytes.len() - 9] {
            let path = dir.join(format!("cut{cut}.{ext}"));
            std::fs::write(&path, &bytes[..cut]).unwrap();
            let out = redline(&["info", path.to_str().unwrap()]);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{format} cut at {cut}: {}",
                stderr(&out)
            );
            assert!(
                stderr(&out).contains(&format!("cut{cut}.{ext}")),
                "{}",
                stderr(&out)
            );
        }
    }
}

fn schema() -> jsonschema::Validator {
    common::schema_validator(None)
}

fn assert_valid(validator: &jsonschema::Validator, report: &Value, what: &str) {
    common::assert_schema_valid(validator, report, what);
}

#[test]
fn report_json_holds_to_its_schema_on_the_demo_and_a_synthetic_county() {
    let validator = schema();
    let tmp = tempfile::tempdir().unwrap();
    common::copy_demo(&tmp.path().join("demo"), false);
    let demo = run(&tmp.path().join("demo"), &[]);
    assert_valid(&validator, &demo, "demo");
    assert_eq!(demo["schema_version"], redline_report::SCHEMA_VERSION);
    assert_eq!(demo["job"]["file"], "job.toml");
    assert_eq!(demo["county"]["code"], "220821");
    // Every row has the same class keys, zeros where it has none of a class.
    let keys = |m: &Value| {
        m["landuse"]["cultivated_by_class"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    for t in demo["townships"].as_array().unwrap() {
        assert_eq!(keys(t), keys(&demo["county"]));
        assert_eq!(
            t["landuse"]["by_group"].as_object().unwrap().len(),
            demo["county"]["landuse"]["by_group"]
                .as_object()
                .unwrap()
                .len()
        );
    }
    let dir = tmp.path().join("synth");
    synth(&dir, "geojson");
    let synthetic = run(&dir, &[]);
    assert_valid(&validator, &synthetic, "synthetic county");
    // The schema is not vacuous: a report missing a key, or with a stray one, fails it.
    let mut broken = synthetic.clone();
    broken["county"]["landuse"]
        .as_object_mut()
        .unwrap()
        .remove("retention_ratio");
    assert!(!validator.is_valid(&broken));
    let mut stray = synthetic;
    stray["county"]["extra"] = Value::Bool(true);
    assert!(!validator.is_valid(&stray));
}

#[test]
fn dash_as_the_output_folder_is_refused_with_a_reason() {
    let tmp = tempfile::tempdir().unwrap();
    common::copy_demo(tmp.path(), false);
    let out = redline(&[
        "run",
        tmp.path().join("job.toml").to_str().unwrap(),
        "-o",
        "-",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("-o - is not supported"),
        "{}",
        stderr(&out)
    );
    assert!(!Path::new("-").exists());
}

#[test]
fn a_real_geoparquet_file_from_another_writer_reads_with_its_crs_and_areas() {
    // fiboa's Japanese field polygons (GeoParquet 1.1, WKB, PROJJSON JGD2011 without an EPSG
    // code redline's pure table knows): read by its definition.
    let Some(path) = common::shared_data("parcels-fiboa/jp/jp_field_polygons_2024.parquet") else {
        return;
    };
    let read = read_layer(&path, &ReadOptions::default()).unwrap();
    assert!(read.issues.is_empty(), "{:?}", read.issues);
    let layer = read.layer;
    assert_eq!(layer.features.len(), 100);
    assert_eq!(layer.fields.len(), 14);
    let crs = layer.crs.clone().unwrap();
    assert_eq!(crs.name, "JGD2011");
    assert!(crs.is_geographic());
    let area = redline_geom::EllipsoidalArea::for_crs(&crs).unwrap();
    let total: f64 = layer
        .features
        .iter()
        .map(|f| area.area(&f.geometry).unwrap())
        .sum();
    // pyproj 3.7 Geod(ellps="GRS80").geometry_area_perimeter over the same 100 polygons,
    // read by GeoPandas 1.2: 1 189 690.8966872632 m².
    assert!(
        (total - 1_189_690.896_687_263_2).abs() < 1e-6 * total,
        "{total}"
    );
}

#[test]
fn geoparquet_and_flatgeobuf_outputs_are_byte_identical_whatever_the_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("county");
    synth(&dir, "geojson");
    for (format, ext) in [("geoparquet", "parquet"), ("fgb", "fgb")] {
        let bytes = |threads: &str| {
            let out = dir.join(format!("out-{format}-{threads}"));
            let done = redline(&[
                "run",
                dir.join("job.toml").to_str().unwrap(),
                "--quiet",
                "--format",
                format,
                "--threads",
                threads,
                "-o",
                out.to_str().unwrap(),
            ]);
            assert_eq!(done.status.code(), Some(0), "{}", stderr(&done));
            ["townships", "violations", "pbf_loss"]
                .map(|layer| std::fs::read(out.join(format!("{layer}.{ext}"))).unwrap())
        };
        assert_eq!(bytes("1"), bytes("2"), "{format}");
    }
}

#[test]
fn geoparquet_and_geojson_read_only_the_columns_asked_for() {
    for (format, file) in [
        ("geoparquet", "landuse.parquet"),
        ("geojson", "landuse.geojson"),
        ("geojsonseq", "landuse.geojsonl"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p");
        synth(&dir, format);
        reads_only_the_columns_asked_for(&dir.join(file));
    }
}

fn reads_only_the_columns_asked_for(path: &Path) {
    let all = read_layer(path, &ReadOptions::default()).unwrap().layer;
    assert!(all.fields.len() > 3, "{:?}", all.fields);
    let options = ReadOptions {
        columns: Some(vec!["dlbm".into(), "BSM".into(), "NO_SUCH".into()]),
        ..Default::default()
    };
    let some = read_layer(path, &options).unwrap().layer;
    let names: Vec<&str> = some.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["BSM", "DLBM"],
        "in file order, matched without regard to case"
    );
    assert_eq!(some.features.len(), all.features.len());
    let column = |layer: &redline_ingest::Layer, name: &str| -> Vec<String> {
        let k = layer.fields.iter().position(|f| f.name == name).unwrap();
        layer
            .features
            .iter()
            .map(|f| layer.attrs(f).to_vec()[k].as_text().unwrap_or_default())
            .collect()
    };
    assert_eq!(column(&some, "DLBM"), column(&all, "DLBM"));
    assert_eq!(column(&some, "BSM"), column(&all, "BSM"));
}

#[test]
fn geojson_keeps_the_asked_for_properties_whatever_their_order() {
    // Properties in changing order, missing, and first met late: the kept fields are the asked
    // for names in first-seen order, each value in its own field.
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("few.geojson");
    let square = r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"#;
    let features = [
        r#"{"A":1,"b":"x","C":true}"#,
        r#"{"C":false,"A":2}"#,
        r#"{"A":3,"E":"left out","D":"late"}"#,
        r#"{"D":"again","b":"y","A":4}"#,
    ]
    .map(|p| format!(r#"{{"type":"Feature","properties":{p},"geometry":{square}}}"#));
    let text = format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",")
    );
    std::fs::write(&path, text).unwrap();
    let read = |columns: Option<Vec<String>>| {
        let options = ReadOptions {
            columns,
            ..Default::default()
        };
        let layer = read_layer(&path, &options).unwrap().layer;
        let names: Vec<String> = layer.fields.iter().map(|f| f.name.clone()).collect();
        let rows: Vec<Vec<String>> = layer
            .features
            .iter()
            .map(|f| {
                layer
                    .attrs(f)
                    .iter()
                    .map(|v| v.as_text().unwrap_or_else(|| "-".into()))
                    .collect()
            })
            .collect();
        (names, rows)
    };
    let (names, rows) = read(Some(vec!["a".into(), "B".into(), "d".into()]));
    assert_eq!(names, ["A", "b", "D"]);
    assert_eq!(
        rows,
        [
            ["1", "x", "-"],
            ["2", "-", "-"],
            ["3", "-", "late"],
            ["4", "y", "again"]
        ]
    );
    let (names, rows) = read(None);
    assert_eq!(names, ["A", "b", "C", "E", "D"]);
    assert_eq!(rows[2], ["3", "-", "-", "left out", "late"]);
}
