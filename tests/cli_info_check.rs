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
        stderr(&out)
            .contains("11 townships, 21467 land-use parcels (20812 last year), 0 data issues"),
        "{}",
        stderr(&out)
    );
}

const LV95_PRJ: &str = r#"PROJCS["CH1903+_LV95",GEOGCS["GCS_CH1903+",DATUM["D_CH1903+",SPHEROID["Bessel_1841",6377397.155,299.1528128]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Hotine_Oblique_Mercator_Azimuth_Center"],PARAMETER["False_Easting",2600000.0],PARAMETER["False_Northing",1200000.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Azimuth",90.0],PARAMETER["Longitude_Of_Center",7.439583333333333],PARAMETER["Latitude_Of_Center",46.95240555555556],UNIT["Meter",1.0]]"#;

/// A small synthetic county as shapefiles, its townships declared in Swiss LV95.
fn lv95_county(dir: &Path) {
    let out = redline(&[
        "synth",
        "--parcels",
        "200",
        "--townships",
        "2",
        "--format",
        "shp",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::write(dir.join("townships.prj"), LV95_PRJ).unwrap();
}

#[test]
fn info_describes_a_layer_whose_crs_this_build_cannot_use() {
    let dir = tempfile::tempdir().unwrap();
    lv95_county(dir.path());
    let out = redline(&["info", dir.path().join("townships.shp").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    if cfg!(feature = "proj") {
        // PROJ reads the oblique Mercator: the CRS is usable, and named.
        assert!(
            text.contains("CH1903+") && !text.contains("not usable"),
            "{text}"
        );
        return;
    }
    for expected in [
        "format:    ESRI Shapefile",
        "features:  2 (2 valid)",
        "XZQDM",
        "not usable in this build",
        "build with `--features proj`",
        "crs text:  PROJCS[\"CH1903+_LV95\"",
    ] {
        assert!(text.contains(expected), "{expected} missing:\n{text}");
    }
    // `run` refuses it, saying why once.
    let out = redline(&[
        "run",
        dir.path().join("job.toml").to_str().unwrap(),
        "-o",
        dir.path().join("out").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(
        err.matches("Hotine_Oblique_Mercator_Azimuth_Center")
            .count(),
        1,
        "{err}"
    );
    let missing = redline(&["info", "/no/such/file.shp"]);
    assert_eq!(
        stderr(&missing).matches("No such file").count(),
        1,
        "{}",
        stderr(&missing)
    );
}

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const FIELDS: [&str; 8] = [
    "severity", "kind", "file", "layer", "feature", "id", "field", "message",
];

#[test]
fn issues_as_json_lines_from_run_and_check() {
    let dir = tempfile::tempdir().unwrap();
    copy_demo(dir.path(), false);
    // One unknown class code.
    let landuse = dir.path().join("landuse.geojson");
    let text = std::fs::read_to_string(&landuse).unwrap();
    std::fs::write(
        &landuse,
        text.replacen("\"DLBM\":\"0101\"", "\"DLBM\":\"9999\"", 1),
    )
    .unwrap();
    let out = run_job(dir.path(), &["--issues", "issues.jsonl"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let lines = json_lines(&std::fs::read_to_string(dir.path().join("issues.jsonl")).unwrap());
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/report.json")).unwrap())
            .unwrap();
    // The same issues as report.json, with every field present on every line.
    assert_eq!(lines.len(), report["data_issues"].as_array().unwrap().len());
    for line in &lines {
        for field in FIELDS {
            assert!(line.get(field).is_some(), "{field} missing in {line}");
        }
        assert_eq!(line["severity"], "data_issue");
    }
    let unknown: Vec<_> = lines
        .iter()
        .filter(|l| l["kind"] == "unknown_class_code")
        .collect();
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0]["file"], "landuse.geojson");
    assert_eq!(unknown[0]["field"], "DLBM");
    assert_eq!(unknown[0]["layer"], "landuse");
    // check --json prints the same lines on stdout, nothing else.
    let check = redline(&[
        "check",
        dir.path().join("job.toml").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(json_lines(&stdout(&check)), lines);
}

#[test]
fn the_error_that_stops_a_run_is_the_last_json_line() {
    let dir = tempfile::tempdir().unwrap();
    copy_demo(dir.path(), false);
    let landuse = dir.path().join("landuse.geojson");
    let text = std::fs::read_to_string(&landuse).unwrap();
    std::fs::write(&landuse, &text[..text.len() / 2]).unwrap();
    let out = run_job(dir.path(), &["--issues", "issues.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    let lines = json_lines(&std::fs::read_to_string(dir.path().join("issues.jsonl")).unwrap());
    let last = lines.last().unwrap();
    assert_eq!(last["severity"], "error");
    assert!(
        last["file"].as_str().unwrap().ends_with("landuse.geojson"),
        "{last}"
    );
    assert!(last["feature"].as_u64().is_some(), "{last}");
    assert!(
        last["message"].as_str().unwrap().contains("truncated"),
        "{last}"
    );
    assert!(
        !dir.path().join("out").exists(),
        "a failed run writes no outputs"
    );
}
