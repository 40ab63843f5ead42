//! `redline run`: determinism, job errors, the demo's invariants, the CSV and GeoJSON outputs,
//! the output-folder rules and `--format gpkg`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::*;
use std::process::Command;

#[test]
fn report_is_byte_identical_for_any_thread_count_and_input_order() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    copy_demo(&a, false);
    copy_demo(&b, true);
    assert_ne!(
        std::fs::read(a.join("landuse.geojson")).unwrap(),
        std::fs::read(b.join("landuse.geojson")).unwrap()
    );
    let one = run_in(&a, &["--threads", "1"]);
    let all_one = all_outputs(&a);
    same(&one, &run_in(&a, &["--threads", "2"]), "2 threads");
    same(&all_one, &all_outputs(&a), "every output, 2 threads");
    same(&one, &run_in(&a, &["--threads", "8"]), "8 threads");
    same(
        &one,
        &run_in(&b, &["--threads", "2"]),
        "reversed input order",
    );
    same(
        &all_one,
        &all_outputs(&b),
        "every output, reversed input order",
    );
    let report: serde_json::Value = serde_json::from_str(&one).unwrap();
    assert_eq!(report["townships"].as_array().unwrap().len(), 11);
    // The county row is the sum of the townships.
    let sum: f64 = report["townships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["landuse"]["cultivated_net_m2"].as_f64().unwrap())
        .sum();
    let county = report["county"]["landuse"]["cultivated_net_m2"]
        .as_f64()
        .unwrap();
    assert!((sum - county).abs() < 0.01 * 11.0, "{sum} vs {county}");
}

#[test]
fn a_bad_job_names_its_key() {
    let dir = tempfile::tempdir().unwrap();
    copy_demo(dir.path(), false);
    let job = std::fs::read_to_string(dir.path().join("job.toml")).unwrap();
    for (from, to, expected) in [
        (
            "area   = \"ellipsoidal\"",
            "area = \"spherical\"",
            "area: unknown area method",
        ),
        (
            "path = \"landuse.geojson\"",
            "path = \"nope.geojson\"",
            "layers.landuse.path",
        ),
        (
            "interview_ratio = 0.10",
            "interview_ratio = 0.10\ncolour = 1",
            "unknown field `colour`",
        ),
        (
            "\"先行用地\" = \"early_use\"",
            "\"先行用地\" = \"early\"",
            "layers.approvals.kinds.先行用地",
        ),
    ] {
        std::fs::write(dir.path().join("bad.toml"), job.replace(from, to)).unwrap();
        let out = redline(&["run", dir.path().join("bad.toml").to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains(expected),
            "{expected}: {}",
            stderr(&out)
        );
    }
}

/// Every number of `county` equals the sum of the townships' (ratios excepted).
fn assert_county_is_sum(county: &serde_json::Value, towns: &[serde_json::Value], path: &str) {
    match county {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let children: Vec<serde_json::Value> = towns.iter().map(|t| t[k].clone()).collect();
                assert_county_is_sum(v, &children, &format!("{path}.{k}"));
            }
        }
        serde_json::Value::Number(n)
            if !path.contains("ratio")
                && !path.contains("share")
                && !path.contains("mean_grade") =>
        {
            let sum: f64 = towns.iter().filter_map(|t| t.as_f64()).sum();
            let c = n.as_f64().unwrap();
            assert!(
                (c - sum).abs() <= 0.005 * (towns.len() as f64 + 1.0),
                "{path}: county {c} vs Σ townships {sum}"
            );
        }
        _ => {}
    }
}

#[test]
fn demo_invariants_sums_and_splits() {
    use redline_geom::{Crs, EllipsoidalArea};
    let dir = tempfile::tempdir().unwrap();
    copy_demo(dir.path(), false);
    let report: serde_json::Value = serde_json::from_str(&run_in(dir.path(), &[])).unwrap();
    let towns = report["townships"].as_array().unwrap().clone();
    let county = &report["county"];
    // timings.json: the read's two parts add up to it (each printed to the millisecond).
    let timings: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/timings.json")).unwrap(),
    )
    .unwrap();
    let part = |k: &str| timings["read_stage_s"][k].as_f64().unwrap();
    assert!(
        part("layers") > 0.0 && part("preflight") >= 0.0,
        "{timings}"
    );
    let read = timings["read_s"].as_f64().unwrap();
    assert!(
        (part("layers") + part("preflight") - read).abs() <= 0.0015,
        "{timings}"
    );
    assert!(read < timings["total_s"].as_f64().unwrap(), "{timings}");
    for key in ["landuse", "basic_farmland"] {
        assert_county_is_sum(
            &county[key],
            &towns.iter().map(|t| t[key].clone()).collect::<Vec<_>>(),
            key,
        );
    }
    // Σ pieces = Σ parcels: the county's land-use total is the parcels' ellipsoidal area.
    let read = redline_ingest::read_layer(&dir.path().join("landuse.geojson"), &Default::default())
        .unwrap();
    let measure = EllipsoidalArea::for_crs(&Crs::from_epsg(4529).unwrap()).unwrap();
    let parcels: f64 = read
        .layer
        .features
        .iter()
        .map(|f| measure.area(&f.geometry).unwrap())
        .sum();
    let total = county["landuse"]["total_m2"].as_f64().unwrap();
    assert!(
        ((total - parcels) / parcels).abs() < 1e-9,
        "pieces {total} vs parcels {parcels}"
    );
    // The PBF split adds up to the PBF area (the coverage covers all basic farmland).
    let p = &county["basic_farmland"];
    let parts: f64 = [
        "pbf_cultivated_m2",
        "pbf_construction_m2",
        "pbf_other_agri_m2",
        "pbf_unused_m2",
    ]
    .iter()
    .map(|k| p[k].as_f64().unwrap())
    .sum();
    let area = p["pbf_area_m2"].as_f64().unwrap();
    assert!(
        ((parts - area) / area).abs() < 1e-9,
        "PBF parts {parts} vs area {area}"
    );
    // Every patch dated in the period has a verdict; the county counts them.
    let patches = report["patches"].as_array().unwrap();
    let counted: u64 = county["violations"]["patches"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(counted as usize, patches.len());
}

#[test]
fn csv_and_geojson_outputs_read_back_and_match_report_json() {
    use redline_geom::{Crs, EllipsoidalArea};
    let dir = tempfile::tempdir().unwrap();
    copy_demo(dir.path(), false);
    let report: serde_json::Value = serde_json::from_str(&run_in(dir.path(), &[])).unwrap();
    let out = dir.path().join("out");

    // townships.csv: BOM, 11 townships + county, the county's net cultivated area as in report.json.
    let csv = std::fs::read_to_string(out.join("townships.csv")).unwrap();
    assert!(csv.starts_with('\u{feff}'));
    let rows: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(rows.len(), 1 + 11 + 1);
    assert!(rows[0].starts_with(
        "行政区代码,行政区名称,耕地面积(净)_平方米,耕地面积(净)_公顷,耕地面积(净)_亩"
    ));
    let county: Vec<&str> = rows[12].split(',').collect();
    // The county row carries the county's own code and name.
    assert_eq!(county[0], "220821");
    assert_eq!(county[1], report["job"]["name"].as_str().unwrap());
    let m2: f64 = county[2].parse().unwrap();
    assert_eq!(
        m2,
        report["county"]["landuse"]["cultivated_net_m2"]
            .as_f64()
            .unwrap()
    );
    let (ha, mu): (f64, f64) = (county[3].parse().unwrap(), county[4].parse().unwrap());
    assert!((ha * 10_000.0 - m2).abs() < 1.0 && (mu * 2000.0 / 3.0 - m2).abs() < 10.0);
    // balance.csv: a row per township and the county; units in the header; 是/否 flags that
    // agree with the balance's sign and with report.json.
    let balance = std::fs::read_to_string(out.join("balance.csv")).unwrap();
    let rows: Vec<Vec<&str>> = balance
        .trim_start_matches('\u{feff}')
        .lines()
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 1 + 12);
    assert_eq!(
        &rows[0][2..6],
        [
            "数量占用(平方米)",
            "数量补充(平方米)",
            "数量平衡(平方米)",
            "数量达标"
        ]
    );
    for row in &rows[1..] {
        let (debit, credit, net): (f64, f64, f64) = (
            row[2].parse().unwrap(),
            row[3].parse().unwrap(),
            row[4].parse().unwrap(),
        );
        assert!((credit - debit - net).abs() < 0.011, "{row:?}");
        assert_eq!(row[5], if net >= 0.0 { "是" } else { "否" }, "{row:?}");
    }
    let county_balance = &report["county"]["balance"];
    let last = rows.last().unwrap();
    assert_eq!(
        last[2].parse::<f64>().unwrap(),
        county_balance["debit"]["quantity_m2"].as_f64().unwrap()
    );
    let quantity_net = county_balance["balance"]["quantity_m2"].as_f64().unwrap();
    assert_eq!(last[4].parse::<f64>().unwrap(), quantity_net);
    assert_eq!(last[5] == "是", quantity_net >= 0.0);

    // GeoJSON: RFC 7946 lon/lat inside the county's box around 123.2°E 45.8°N.
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(out.join(name)).unwrap()).unwrap()
    };
    let towns = read("townships.geojson");
    assert_eq!(towns["features"].as_array().unwrap().len(), 11);
    let violations = read("violations.geojson");
    let measure = EllipsoidalArea::for_crs(&Crs::from_epsg(4326).unwrap()).unwrap();
    let mut checked = 0;
    for f in violations["features"].as_array().unwrap() {
        let g: geojson::Geometry = serde_json::from_value(f["geometry"].clone()).unwrap();
        let mp: geo::MultiPolygon<f64> = geo::Geometry::<f64>::try_from(g.value)
            .unwrap()
            .try_into()
            .unwrap();
        for c in mp.0.iter().flat_map(|p| p.exterior().0.iter()) {
            assert!(
                (122.5..124.0).contains(&c.x) && (45.5..46.2).contains(&c.y),
                "{c:?}"
            );
        }
        // The area of the written polygon is the reported area: to 1e-6, beyond the 0.005 m² of
        // rounding the reported number to 2 decimals (pieces of 100 m² and more).
        let reported = f["properties"]["illegal_m2"].as_f64().unwrap();
        if reported >= 100.0 {
            let area = measure.area(&mp).unwrap();
            assert!(
                (area - reported).abs() <= 0.005 + 1e-6 * area,
                "{area} vs {reported}"
            );
            checked += 1;
        }
    }
    assert!(checked > 10, "{checked}");
    assert_eq!(
        read("pbf_loss.geojson")["features"]
            .as_array()
            .unwrap()
            .len(),
        report["pbf_loss"].as_array().unwrap().len()
    );
}

/// Headless Chromium, when the machine has it (CI installs Debian's `chromium`).

#[test]
fn output_folder_rules_and_no_partial_files() {
    let dir = tempfile::tempdir().unwrap();
    copy_demo(dir.path(), false);
    let job = dir.path().join("job.toml");
    // A folder with someone else's files is refused unless --force.
    let foreign = dir.path().join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let out = redline(&[
        "run",
        job.to_str().unwrap(),
        "--quiet",
        "-o",
        foreign.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("has files redline did not write"),
        "{}",
        stderr(&out)
    );
    let out = redline(&[
        "run",
        job.to_str().unwrap(),
        "--quiet",
        "--force",
        "-o",
        foreign.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(foreign.join("notes.txt")).unwrap(),
        "mine"
    );
    // The foreign file is still there and the folder did not become redline's.
    assert!(!foreign.join(".redline-output").exists());
    // (A run that fails or is killed leaves the previous set: tests/hostile.rs.)
}

/// The fill the README's legend gives a retention ratio: ≥ 100 %, 98–100 %, 95–98 %, < 95 %.

#[test]
fn a_closed_stdout_ends_quietly() {
    // `redline info … | head -1`: the reader goes away; redline must not panic.
    let mut child = Command::new(env!("CARGO_BIN_EXE_redline"))
        .args(["info"])
        .arg(root().join("data/demo/landuse.geojson"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[cfg(feature = "gdal")]
#[test]
fn gpkg_output_opens_with_ogrinfo_with_every_layer_and_field() {
    let dir = tempfile::tempdir().unwrap();
    copy_demo(dir.path(), false);
    let report: serde_json::Value =
        serde_json::from_str(&run_in(dir.path(), &["--format", "gpkg"])).unwrap();
    let out = dir.path().join("out");
    assert!(out.join("layers.gpkg").exists());
    assert!(!out.join("townships.geojson").exists() && !out.join("layers.tmp.gpkg").exists());
    let info = Command::new("ogrinfo")
        .args(["-ro", "-so", "-al"])
        .arg(out.join("layers.gpkg"))
        .output()
        .expect("ogrinfo (Debian gdal-bin) runs");
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(
        info.status.success(),
        "{}",
        String::from_utf8_lossy(&info.stderr)
    );
    let illegal = report["patches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| ["illegal", "partial"].contains(&p["verdict"].as_str().unwrap_or("")))
        .count();
    let counts = [
        ("townships", report["townships"].as_array().unwrap().len()),
        ("violations", illegal),
        ("pbf_loss", report["pbf_loss"].as_array().unwrap().len()),
    ];
    for (layer, count) in counts {
        let section = text
            .split(&format!("Layer name: {layer}\n"))
            .nth(1)
            .unwrap_or_else(|| panic!("{layer} missing:\n{text}"));
        assert!(
            section.contains(&format!("Feature Count: {count}\n")),
            "{layer} should have {count}:\n{section}"
        );
        assert!(
            section.contains("ID[\"EPSG\",4529]]"),
            "{layer} in the working CRS"
        );
    }
    for field in [
        "code: String",
        "retention_ratio: Real",
        "illegal_m2: Real",
        "pbf_id: String",
        "area_m2: Real",
    ] {
        assert!(text.contains(field), "{field} missing:\n{text}");
    }
}

#[cfg(not(feature = "gdal"))]
#[test]
fn gpkg_output_without_the_gdal_feature_says_how_to_get_it() {
    let dir = tempfile::tempdir().unwrap();
    copy_demo(dir.path(), false);
    let out = run_job(dir.path(), &["--format", "gpkg"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--features gdal"));
    assert!(!dir.path().join("out").exists(), "nothing written");
}

#[test]
fn a_layer_in_longitude_and_latitude_is_checked_where_it_lands() {
    // The demo's change patches written in lon/lat (CGCS2000, EPSG:4490) in the Gauss–Krüger
    // job: transformed on read, they meet the townships and give the demo's violations. The
    // check that every layer meets the townships must look at the extent after the
    // transformation: the one before it, in degrees, is nowhere near the county.
    use redline_geom::{Crs, Transformer};
    let dir = tempfile::tempdir().unwrap();
    let (gk, lonlat) = (dir.path().join("gk"), dir.path().join("lonlat"));
    copy_demo(&gk, false);
    copy_demo(&lonlat, false);
    let to_degrees = Transformer::new(
        &Crs::from_epsg(4529).unwrap(),
        &Crs::from_epsg(4490).unwrap(),
    )
    .unwrap();
    redraw_layer(&lonlat.join("changes.geojson"), "EPSG:4490", &mut |x, y| {
        to_degrees.point(x, y).unwrap()
    });
    let report = |dir: &std::path::Path| -> serde_json::Value {
        serde_json::from_str(&run_in(dir, &[])).unwrap()
    };
    let (a, b) = (report(&gk), report(&lonlat));
    let (a, b) = (&a["county"]["violations"], &b["county"]["violations"]);
    assert_eq!(a["patches"], b["patches"]);
    for key in [
        "illegal_cultivated_m2",
        "illegal_pbf_m2",
        "new_construction_cultivated_m2",
    ] {
        let (x, y) = (a[key].as_f64().unwrap(), b[key].as_f64().unwrap());
        assert!(x > 1000.0 && (x - y).abs() <= 1e-6 * x, "{key}: {x} vs {y}");
    }
}
