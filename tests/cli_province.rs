//! `redline run PROVINCE.toml`: counties run a few at a time into folders named by their codes,
//! each the same bytes as the county run alone; the province total is the sum of the county
//! rows; a failing county is reported and the others finish (exit 2); the outputs do not depend
//! on how many run at once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn redline_in(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_redline"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

/// Three small counties 220821–220823 (different seeds) under `dir/counties/`, and a province
/// file naming them by a glob.
fn province(dir: &Path) {
    for (k, code) in ["220821", "220822", "220823"].iter().enumerate() {
        let out = redline_in(
            dir,
            &[
                "synth",
                "-o",
                &format!("counties/{code}"),
                "--parcels",
                "1500",
                "--townships",
                "3",
                "--seed",
                &(30 + k).to_string(),
                "--county-code",
                code,
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }
    std::fs::write(
        dir.join("province.toml"),
        "name = \"合成省\"\noutput = \"out\"\ncounties = [\"counties/*/job.toml\"]\n",
    )
    .unwrap();
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// report.json of a province against `#/$defs/province` of schema/report.schema.json.
fn assert_province_schema(report: &Value) {
    let validator = schema_validator(Some("province"));
    assert_schema_valid(&validator, report, "province");
    // And the schema says no: a county row without its status.
    let mut bad = report.clone();
    bad["counties"][0].as_object_mut().unwrap().remove("status");
    assert!(!validator.is_valid(&bad));
}

fn number(v: &Value, pointer: &str) -> f64 {
    v.pointer(pointer).and_then(Value::as_f64).unwrap()
}

#[test]
fn a_province_is_its_counties_run_alone_and_summed() {
    let dir = tempfile::tempdir().unwrap();
    province(dir.path());
    let out = redline_in(dir.path(), &["run", "province.toml", "--jobs", "2"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let report = json(&dir.path().join("out/report.json"));
    assert_province_schema(&report);
    assert_eq!(report["complete"], true);
    assert_eq!(report["total"]["code"], "220000");
    let counties = report["counties"].as_array().unwrap();
    let folders: Vec<&str> = counties
        .iter()
        .map(|c| c["folder"].as_str().unwrap())
        .collect();
    assert_eq!(folders, ["220821", "220822", "220823"]);
    // Each county's folder holds what `redline run` writes for it alone, byte for byte.
    for code in &folders {
        let alone = dir.path().join(format!("alone-{code}"));
        let run = redline_in(
            dir.path(),
            &[
                "run",
                &format!("counties/{code}/job.toml"),
                "--quiet",
                "-o",
                alone.to_str().unwrap(),
            ],
        );
        assert!(matches!(run.status.code(), Some(0 | 1)), "{}", stderr(&run));
        for file in [
            "report.json",
            "townships.csv",
            "汇总表.xlsx",
            "violations.geojson",
        ] {
            let a = std::fs::read(alone.join(file)).unwrap();
            let b = std::fs::read(dir.path().join("out").join(code).join(file)).unwrap();
            assert!(a == b, "{code}/{file} differs from the county run alone");
        }
        let county = json(&alone.join("report.json"));
        let mut row = counties.iter().find(|c| c["folder"] == *code).unwrap()["metrics"].clone();
        // Every row of the province carries the classes any county has (zeros elsewhere).
        let own = county["county"]["landuse"]["by_class"].as_object().unwrap();
        let classes = row["landuse"]["by_class"].as_object_mut().unwrap();
        classes.retain(|k, v| own.contains_key(k) || v.as_f64() != Some(0.0));
        assert_eq!(row, county["county"], "{code}'s row");
    }
    // The total is the sum of the county rows, as a county's row sums its townships.
    for key in [
        "/landuse/cultivated_net_m2",
        "/landuse/total_m2",
        "/basic_farmland/pbf_area_m2",
        "/balance/debit/quantity_m2",
        "/violations/illegal_cultivated_m2",
    ] {
        let sum: f64 = counties.iter().map(|c| number(&c["metrics"], key)).sum();
        let total = number(&report["total"], key);
        assert!((sum - total).abs() <= 0.01 * 3.0, "{key}: {sum} vs {total}");
    }
    let illegal = number(&report["total"], "/violations/illegal_cultivated_m2");
    let taken = number(
        &report["total"],
        "/violations/new_construction_cultivated_m2",
    );
    let ratio = number(&report["total"], "/violations/illegal_ratio");
    assert!((ratio - illegal / taken).abs() < 1e-6);
    // counties.csv: a row per county and the province's.
    let csv = std::fs::read_to_string(dir.path().join("out/counties.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 3 + 1);
    assert!(csv.lines().last().unwrap().starts_with("220000,合成省,"));
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    // The map and the table: a path and a row per county.
    for code in &folders {
        assert!(
            html.matches(&format!("data-code=\"{code}\"")).count() >= 2,
            "{code}"
        );
    }

    // The same outputs with one county at a time; a second run replaces the folder.
    let again = redline_in(
        dir.path(),
        &["run", "province.toml", "--jobs", "1", "--quiet"],
    );
    assert!(
        matches!(again.status.code(), Some(0 | 1)),
        "{}",
        stderr(&again)
    );
    assert_eq!(json(&dir.path().join("out/report.json")), report);
}

#[test]
fn a_failing_county_is_reported_and_the_others_finish() {
    let dir = tempfile::tempdir().unwrap();
    province(dir.path());
    // One county's land use is gone: its job fails when it runs.
    std::fs::remove_file(dir.path().join("counties/220822/landuse.geojson")).unwrap();
    let out = redline_in(dir.path(), &["run", "province.toml", "--quiet"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let report = json(&dir.path().join("out/report.json"));
    assert_province_schema(&report);
    assert_eq!(report["complete"], false);
    assert_eq!(report["failed_counties"], 1);
    let failed: Vec<&Value> = report["counties"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1);
    assert!(failed[0]["error"]
        .as_str()
        .unwrap()
        .contains("landuse.geojson"));
    assert_eq!(failed[0]["metrics"], Value::Null);
    assert!(dir.path().join("out/220821/report.json").exists());
    assert!(dir.path().join("out/220823/report.json").exists());
    assert!(!dir.path().join("out/220822").exists());
}

#[test]
fn province_files_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    for (text, expected) in [
        ("counties = [\"nowhere/*.toml\"]\n", "matches no file"),
        ("counties = []\n", "at least one county"),
        ("counties = [\"a.toml\"]\nlayerz = 1\n", "unknown field"),
    ] {
        std::fs::write(dir.path().join("p.toml"), text).unwrap();
        let out = redline_in(dir.path(), &["run", "p.toml"]);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(stderr(&out).contains(expected), "{text}: {}", stderr(&out));
    }
}
