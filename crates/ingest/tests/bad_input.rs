//! Bad inputs (README, "Errors and data issues") that ingest meets: each gives the expected error or data issue, naming the
//! file and the feature.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches fail loudly by design

use redline_geom::LandClassTable;
use redline_ingest::{
    read_layer, IngestError, IssueKind, LayerRead, LayerRole, ReadOptions, ResolvedFields,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const CRS: &str = r#""crs":{"type":"name","properties":{"name":"EPSG:4529"}}"#;

fn square(x: f64) -> String {
    format!(
        "[[[{x},5080000],[{},5080000],[{},5080100],[{x},5080100],[{x},5080000]]]",
        x + 100.0,
        x + 100.0
    )
}

fn feature(id: &str, class: &str, coords: &str) -> String {
    format!(
        r#"{{"type":"Feature","id":"{id}","properties":{{"DLBM":"{class}","KCXS":0.05}},"geometry":{{"type":"Polygon","coordinates":{coords}}}}}"#
    )
}

fn collection(features: &[String]) -> String {
    format!(
        r#"{{"type":"FeatureCollection",{CRS},"features":[{}]}}"#,
        features.join(",")
    )
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn read(path: &Path) -> Result<LayerRead, IngestError> {
    read_layer(path, &ReadOptions::default())
}

fn issues_of(text: &str) -> LayerRead {
    let dir = tempfile::tempdir().unwrap();
    read(&write(&dir, "layer.geojson", text)).unwrap()
}

#[test]
fn malformed_json_names_file_line_and_feature() {
    let dir = tempfile::tempdir().unwrap();
    let good = feature("a", "0101", &square(41_500_000.0));
    let text = collection(&[good.clone(), good]).replace(
        r#""id":"a","properties":{"DLBM""#,
        r#""id":"a","properties":{DLBM"#,
    );
    let path = write(&dir, "bad.geojson", &text);
    match read(&path).unwrap_err() {
        IngestError::Json {
            path: p,
            what,
            feature,
            line,
            ..
        } => {
            assert_eq!(
                (p, what, feature, line),
                (path.clone(), "malformed JSON", Some(0), 1)
            );
        }
        other => panic!("{other}"),
    }
    let msg = read(&path).unwrap_err().to_string();
    assert!(
        msg.contains("bad.geojson") && msg.contains("feature #0"),
        "{msg}"
    );
}

#[test]
fn truncated_file_is_reported_as_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let text = collection(&[
        feature("a", "0101", &square(41_500_000.0)),
        feature("b", "0101", &square(41_500_100.0)),
    ]);
    let path = write(&dir, "cut.geojson", &text[..text.len() - 60]);
    let err = read(&path).unwrap_err();
    assert!(
        matches!(
            err,
            IngestError::Json {
                what: "truncated file",
                feature: Some(1),
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn truncated_shapefile_names_the_record() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad/truncated.shp");
    let err = read(&path).unwrap_err();
    assert!(
        matches!(
            err,
            IngestError::Shapefile {
                feature: Some(1),
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("truncated.shp (feature #1): truncated"),
        "{err}"
    );
}

#[test]
fn empty_layer_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "empty.geojson", &collection(&[]));
    let err = read(&path).unwrap_err();
    assert!(matches!(err, IngestError::EmptyLayer { .. }), "{err}");
    assert!(err
        .to_string()
        .contains("empty.geojson [layer empty]: the layer is empty"));
}

#[test]
fn missing_required_field_names_the_field_and_names_tried() {
    let text = collection(&[feature("a", "0101", &square(41_500_000.0))]).replace("DLBM", "CODE");
    let r = issues_of(&text);
    let err = ResolvedFields::resolve(&r.layer, LayerRole::Landuse, &BTreeMap::new()).unwrap_err();
    assert!(matches!(&err, IngestError::MissingField { field, .. } if field == "class"));
    assert!(
        err.to_string()
            .contains("required field class is missing (tried DLBM"),
        "{err}"
    );
    // The job's override makes it work.
    let overrides = BTreeMap::from([("class".to_string(), "CODE".to_string())]);
    let fields = ResolvedFields::resolve(&r.layer, LayerRole::Landuse, &overrides).unwrap();
    assert_eq!(fields.field_name("class"), Some("CODE"));
}

#[test]
fn unknown_class_code_is_a_data_issue_with_the_feature_id() {
    let r = issues_of(&collection(&[
        feature("a", "0101", &square(41_500_000.0)),
        feature("b", "9999", &square(41_500_100.0)),
    ]));
    let fields = ResolvedFields::resolve(&r.layer, LayerRole::Landuse, &BTreeMap::new()).unwrap();
    let issues = fields.check(&r.layer, LandClassTable::builtin());
    assert_eq!(issues.len(), 1);
    let i = &issues[0];
    assert_eq!(
        (i.kind, i.feature, i.id.as_deref(), i.field.as_deref()),
        (
            IssueKind::UnknownClassCode,
            Some(1),
            Some("b"),
            Some("DLBM")
        )
    );
    assert!(i.message.contains("\"9999\""));
}

#[test]
fn bad_deduction_coefficient_is_a_data_issue() {
    let text = collection(&[feature("a", "0101", &square(41_500_000.0))]).replace("0.05", "150");
    let r = issues_of(&text);
    let fields = ResolvedFields::resolve(&r.layer, LayerRole::Landuse, &BTreeMap::new()).unwrap();
    let issues = fields.check(&r.layer, LandClassTable::builtin());
    assert_eq!(
        issues.iter().map(|i| i.kind).collect::<Vec<_>>(),
        vec![IssueKind::BadValue]
    );
}

#[test]
fn nan_coordinate_drops_the_feature_with_an_issue() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad/nan.shp");
    let r = read(&path).unwrap();
    assert_eq!((r.layer.read_count, r.layer.features.len()), (1, 0));
    assert_eq!(r.issues.len(), 1);
    assert_eq!(
        (r.issues[0].kind, r.issues[0].feature),
        (IssueKind::NonFiniteCoordinate, Some(0))
    );
    assert!(r.issues[0].file.ends_with("nan.shp"));
    // JSON cannot carry NaN: a GeoJSON writer that emits it produced malformed JSON.
    let dir = tempfile::tempdir().unwrap();
    let text = collection(&[feature(
        "a",
        "0101",
        &square(41_500_000.0).replacen("5080000", "NaN", 1),
    )]);
    let err = read(&write(&dir, "nan.geojson", &text)).unwrap_err();
    assert!(
        matches!(
            err,
            IngestError::Json {
                what: "malformed JSON",
                feature: Some(0),
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn unclosed_ring_is_closed_and_reported() {
    let open = "[[[41500000,5080000],[41500100,5080000],[41500100,5080100],[41500000,5080100]]]";
    let r = issues_of(&collection(&[feature("a", "0101", open)]));
    assert_eq!(r.issues.len(), 1);
    assert_eq!(
        (r.issues[0].kind, r.issues[0].id.as_deref()),
        (IssueKind::UnclosedRing, Some("a"))
    );
    assert_eq!(r.layer.features.len(), 1);
}

#[test]
fn too_short_ring_drops_the_feature() {
    let short = "[[[41500000,5080000],[41500100,5080000],[41500000,5080000]]]";
    let r = issues_of(&collection(&[
        feature("a", "0101", short),
        feature("b", "0101", &square(41_500_000.0)),
    ]));
    assert_eq!(r.layer.features.len(), 1);
    assert_eq!(
        (r.issues[0].kind, r.issues[0].feature),
        (IssueKind::TooShortRing, Some(0))
    );
}

#[test]
fn self_intersection_is_repaired_and_reported() {
    use geo::Area;
    // A bow-tie with lobes of 50 m × 25 m / 2 … two triangles of ½·100·50 = 2 500 m² each.
    let bow = "[[[41500000,5080000],[41500100,5080100],[41500100,5080000],[41500000,5080100],[41500000,5080000]]]";
    let r = issues_of(&collection(&[feature("a", "0101", bow)]));
    assert_eq!(
        (r.issues[0].kind, r.issues[0].id.as_deref()),
        (IssueKind::SelfIntersection, Some("a"))
    );
    let area = r.layer.features[0].geometry.unsigned_area();
    assert!((area - 5_000.0).abs() < 1e-6, "{area}");
}

#[test]
fn duplicate_ids_are_reported() {
    let r = issues_of(&collection(&[
        feature("a", "0101", &square(41_500_000.0)),
        feature("a", "0101", &square(41_500_100.0)),
    ]));
    assert_eq!(r.issues.len(), 1);
    assert_eq!(
        (r.issues[0].kind, r.issues[0].feature),
        (IssueKind::DuplicateId, Some(1))
    );
    assert!(r.issues[0].message.contains("feature #0"));
}

#[test]
fn thrice_repeated_ids_all_name_the_first() {
    let f = |id| feature(id, "0101", &square(41_500_000.0));
    let r = issues_of(&collection(&[f("a"), f("b"), f("a"), f("a")]));
    let found: Vec<_> = r
        .issues
        .iter()
        .map(|i| (i.feature, i.message.contains("feature #0")))
        .collect();
    assert_eq!(found, vec![(Some(2), true), (Some(3), true)]);
}

#[test]
fn point_in_a_polygon_layer_is_dropped_with_an_issue() {
    let point = r#"{"type":"Feature","id":"p","properties":{"DLBM":"0101"},"geometry":{"type":"Point","coordinates":[41500000,5080000]}}"#;
    let r = issues_of(&collection(&[
        feature("a", "0101", &square(41_500_000.0)),
        point.to_string(),
    ]));
    assert_eq!(r.layer.features.len(), 1);
    let i = &r.issues[0];
    assert_eq!(
        (i.kind, i.feature, i.id.as_deref()),
        (IssueKind::NotAPolygon, Some(1), Some("p"))
    );
    assert!(i.message.contains("Point"));
}

#[test]
fn undeterminable_crs_is_an_error_naming_the_file() {
    // Projected coordinates with no zone prefix and no `crs` member: nothing to go by.
    let text =
        collection(&[feature("a", "0101", &square(500_000.0))]).replace(&format!("{CRS},"), "");
    let r = issues_of(&text);
    assert!(r.layer.crs.is_none());
    let err = r.layer.require_crs().unwrap_err();
    assert!(matches!(err, IngestError::UnknownCrs { .. }));
    assert!(
        err.to_string()
            .contains("layer.geojson [layer layer]: the CRS cannot be determined"),
        "{err}"
    );
}

#[test]
fn crs_is_declared_inferred_or_given() {
    let declared = issues_of(&collection(&[feature("a", "0101", &square(41_500_000.0))]));
    assert_eq!(declared.layer.crs.as_ref().and_then(|c| c.epsg), Some(4529));
    let bare =
        collection(&[feature("a", "0101", &square(41_500_000.0))]).replace(&format!("{CRS},"), "");
    let inferred = issues_of(&bare);
    assert_eq!(inferred.layer.crs.as_ref().and_then(|c| c.epsg), Some(4529));
    assert!(inferred.layer.crs_source.contains("zone prefix"));
    let urn = collection(&[feature(
        "a",
        "0101",
        "[[[123,45],[123.1,45],[123.1,45.1],[123,45]]]",
    )])
    .replace("EPSG:4529", "urn:ogc:def:crs:EPSG::4490");
    assert_eq!(
        issues_of(&urn).layer.crs.as_ref().and_then(|c| c.epsg),
        Some(4490)
    );
}

#[test]
fn geojson_seq_reads_one_feature_per_line_and_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        feature("a", "0101", &square(41_500_000.0)),
        feature("b", "0102", &square(41_500_100.0)),
    ];
    let path = write(
        &dir,
        "layer.geojsonl",
        &format!("\x1e{}\n\n{}\n", lines[0], lines[1]),
    );
    let r = read(&path).unwrap();
    assert_eq!(r.layer.features.len(), 2);
    let bad = write(
        &dir,
        "bad.geojsonl",
        &format!("{}\n{{\"type\":\"Feature\",\n", lines[0]),
    );
    let err = read(&bad).unwrap_err();
    assert!(
        matches!(
            err,
            IngestError::Json {
                line: 2,
                feature: Some(1),
                ..
            }
        ),
        "{err}"
    );
}
