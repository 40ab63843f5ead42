//! DBF text encodings: GBK through .cpg, the language-driver byte, and the override; UTF-8
//! untouched. Fixtures are made by tests/fixtures/make_fixtures.py (pyshp) and committed;
//! gpkg/parcels.gpkg is `ogr2ogr -f GPKG gpkg/parcels.gpkg utf8/parcels.shp -nln DLTB`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches fail loudly by design

use redline_ingest::{read_layer, IssueKind, LayerRead, ReadOptions, Value};
use std::path::PathBuf;

fn fixture(dir: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
        .join("parcels.shp")
}

fn read(dir: &str, encoding: Option<&str>) -> LayerRead {
    let options = ReadOptions {
        dbf_encoding: encoding.map(String::from),
        ..Default::default()
    };
    read_layer(&fixture(dir), &options).unwrap()
}

fn text_of(read: &LayerRead, field: &str, feature: usize) -> Value {
    let column = read
        .layer
        .fields
        .iter()
        .position(|f| f.name == field)
        .unwrap();
    read.layer.attrs(&read.layer.features[feature]).to_vec()[column].clone()
}

fn assert_chinese_text(read: &LayerRead) {
    assert!(read.issues.is_empty(), "{:?}", read.issues);
    assert_eq!(read.layer.features.len(), 2);
    assert_eq!(text_of(read, "BZ", 0), Value::Text("基本农田".into()));
    assert_eq!(text_of(read, "DLMC", 1), Value::Text("旱地".into()));
    assert_eq!(text_of(read, "KCXS", 1), Value::Number(0.1));
}

#[test]
fn gbk_with_cpg_936() {
    let r = read("gbk_cpg936", None);
    assert_chinese_text(&r);
    let enc = r.layer.encoding.unwrap();
    assert_eq!((enc.encoding.name(), enc.source), ("GBK", ".cpg"));
}

#[test]
fn gbk_with_language_driver_0x4d_and_no_cpg() {
    let r = read("gbk_ldid", None);
    assert_chinese_text(&r);
    assert_eq!(r.layer.encoding.unwrap().source, "language driver");
}

#[test]
fn gbk_with_ansi_cpg_needs_the_override() {
    assert_chinese_text(&read("gbk_ansi", Some("gbk")));
    // Without it the text does not decode as UTF-8: a data issue per field, never silent.
    let r = read("gbk_ansi", None);
    let undecodable: Vec<_> = r
        .issues
        .iter()
        .filter(|i| i.kind == IssueKind::UndecodableText)
        .collect();
    assert_eq!(undecodable.len(), 4); // DLMC and BZ of both features
    assert_eq!(undecodable[0].feature, Some(0));
    assert_eq!(undecodable[0].field.as_deref(), Some("DLMC"));
    assert!(undecodable[0].file.ends_with("parcels.shp"));
    assert!(text_of(&r, "BZ", 0).as_text().unwrap().contains('\u{fffd}'));
}

#[test]
fn utf8_stays_correct_without_override() {
    let r = read("utf8", None);
    assert_chinese_text(&r);
    assert_eq!(r.layer.encoding.unwrap().encoding.name(), "UTF-8");
}

#[test]
fn shapefile_geometry_crs_and_orientation() {
    let r = read("utf8", None);
    assert_eq!(r.layer.crs.as_ref().and_then(|c| c.epsg), Some(4529));
    // Clockwise in the file, counter-clockwise after ingest; areas 100×100 and 50×200.
    use geo::Area;
    let areas: Vec<f64> = r
        .layer
        .features
        .iter()
        .map(|f| f.geometry.signed_area())
        .collect();
    assert_eq!(areas, vec![10_000.0, 10_000.0]);
}

#[test]
fn unknown_override_is_an_error() {
    let options = ReadOptions {
        dbf_encoding: Some("klingon".into()),
        ..Default::default()
    };
    let err = read_layer(&fixture("utf8"), &options).unwrap_err();
    assert!(err.to_string().contains("klingon"), "{err}");
}
