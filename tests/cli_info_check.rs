//! `redline info` and `redline check` on real and fixture files: what they show, exit codes
//! and error messages.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::*;
use std::path::Path;

#[test]
fn info_on_the_french_cadastre_reports_4241_features_in_epsg_4326() {
    let Some(path) = shared_data("parcels-fr-cadastre/cadastre-91216-parcelles.json") else {
        return;
    };
    let out = redline(&["info", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("features:  4241 (4241 valid)"), "{text}");
    assert!(text.contains("crs:       EPSG:4326"), "{text}");
    assert!(text.contains("contenance               number"), "{text}");
}

#[test]
fn info_on_a_gbk_shapefile_shows_crs_encoding_and_fields() {
    let out = redline(&["info", &format!("{}/parcels.shp", fixture("gbk_cpg936"))]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for expected in [
        "format:    ESRI Shapefile",
        "crs:       EPSG:4529 (CGCS2000 / 3-degree Gauss-Kruger zone 41) [declared]",
        "encoding:  GBK (from .cpg)",
        "features:  2 (2 valid)",
        "extent:    41500000.000000, 5080000.000000 — 41500150.000000, 5080200.000000",
        "DLBM                     text",
        "KCXS                     number",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn check_exit_codes_clean_issues_failure() {
    let clean = redline(&["check", &format!("{}/parcels.shp", fixture("utf8"))]);
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
    assert!(stderr(&clean).contains("2 features (landuse), 0 data issues"));

    let issues = redline(&["check", &format!("{}/parcels.shp", fixture("gbk_ansi"))]);
    assert_eq!(issues.status.code(), Some(1));
    let text = stdout(&issues);
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(
        text.contains("feature #0 (id BSM0001) field BZ: undecodable_text"),
        "{text}"
    );

    let fixed = redline(&[
        "check",
        "--dbf-encoding",
        "gbk",
        &format!("{}/parcels.shp", fixture("gbk_ansi")),
    ]);
    assert_eq!(fixed.status.code(), Some(0), "{}", stdout(&fixed));

    let failed = redline(&["check", &format!("{}/truncated.shp", fixture("bad"))]);
    assert_eq!(failed.status.code(), Some(2));
    assert!(
        stderr(&failed).contains("truncated.shp (feature #1): truncated"),
        "{}",
        stderr(&failed)
    );
}

#[test]
fn check_reports_unknown_codes_and_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dltb.geojson");
    std::fs::write(
        &path,
        r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:4529"}},"features":[
{"type":"Feature","properties":{"BSM":"1","DLBM":"0101"},"geometry":{"type":"Polygon","coordinates":[[[41500000,5080000],[41500100,5080000],[41500100,5080100],[41500000,5080000]]]}},
{"type":"Feature","properties":{"BSM":"2","DLBM":"0199"},"geometry":{"type":"Polygon","coordinates":[[[41500200,5080000],[41500300,5080000],[41500300,5080100],[41500200,5080000]]]}}]}"#,
    )
    .unwrap();
    let out = redline(&["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains(
            "feature #1 (id 2) field DLBM: unknown_class_code: unknown land-class code \"0199\""
        ),
        "{}",
        stdout(&out)
    );

    let missing = redline(&[
        "info",
        &dir.path().join("nope.geojson").display().to_string(),
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("nope.geojson"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn check_finds_overlaps_within_a_landuse_coverage() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dltb.geojson");
    // Parcels 1 and 2 share an edge (x = 41500100); parcel 3 overlaps parcel 2 by 20 × 100 m.
    let parcel = |id: u32, x0: u32, x1: u32| {
        format!(
            r#"{{"type":"Feature","properties":{{"BSM":"{id}","DLBM":"0103"}},"geometry":{{"type":"Polygon","coordinates":[[[{x0},5080000],[{x1},5080000],[{x1},5080100],[{x0},5080100],[{x0},5080000]]]}}}}"#
        )
    };
    let text = format!(
        r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"EPSG:4529"}}}},"features":[{},{},{}]}}"#,
        parcel(1, 41500000, 41500100),
        parcel(2, 41500100, 41500200),
        parcel(3, 41500180, 41500300)
    );
    std::fs::write(&path, text).unwrap();
    let out = redline(&["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.contains("feature #2 (id 3): overlap: overlaps feature 2 by 2000.0000 m²"),
        "{text}"
    );
}

#[test]
fn undeterminable_crs_fails_check_and_is_fixed_by_crs_flag() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plain.geojson");
    std::fs::write(
        &path,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[500000,5080000],[500100,5080000],[500100,5080100],[500000,5080000]]]}}]}"#,
    )
    .unwrap();
    let out = redline(&["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("the CRS cannot be determined"),
        "{}",
        stderr(&out)
    );
    let given = redline(&["check", "--crs", "EPSG:4550", path.to_str().unwrap()]);
    assert_eq!(given.status.code(), Some(0), "{}", stderr(&given));
}

#[test]
fn help_lists_the_commands() {
    let out = redline(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.contains("info") && text.contains("check") && text.contains("Exit codes"),
        "{text}"
    );
    assert!(Path::new(env!("CARGO_BIN_EXE_redline")).exists());
}

#[test]
fn check_a_whole_job() {
    let dir = tempfile::tempdir().unwrap();
    copy_demo(dir.path(), false);
    let out = redline(&["check", dir.path().join("job.toml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("11 townships, 20812 land-use parcels, 0 data issues"),
        "{}",
        stderr(&out)
    );
}
