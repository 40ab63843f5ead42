//! End-to-end tests of the `redline` binary: `info` and `check` on real and fixture files,
//! exit codes, and error messages.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches fail loudly by design

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn redline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_redline"))
        .args(args)
        .output()
        .expect("run redline")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(dir: &str) -> String {
    root()
        .join("crates/ingest/tests/fixtures")
        .join(dir)
        .display()
        .to_string()
}

/// `../shared/data`, when this checkout has it beside it.
fn shared_data(rel: &str) -> Option<PathBuf> {
    let path = root().join("../shared/data").join(rel);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "skipped: {} is absent (the shared data folder is not beside this checkout)",
            path.display()
        );
        None
    }
}

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

fn copy_demo(to: &Path, reverse_landuse: bool) {
    let demo = root().join("data/demo");
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(&demo).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_owned();
        if reverse_landuse && name == "landuse.geojson" {
            // The same features in the opposite order.
            let text = std::fs::read_to_string(&path).unwrap();
            let (head, rest) = text.split_once("\n").unwrap();
            let body = rest.trim_end().trim_end_matches("]}").trim_end();
            let mut lines: Vec<&str> = body.split(",\n").collect();
            lines.reverse();
            std::fs::write(
                to.join(&name),
                format!("{head}\n{}\n]}}\n", lines.join(",\n")),
            )
            .unwrap();
        } else {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
}

/// `redline run job.toml --quiet -o out EXTRA…` in `dir`, whatever its outcome.
fn run_job(dir: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_redline"))
        .current_dir(dir)
        .args(["run", "job.toml", "--quiet", "-o", "out"])
        .args(extra)
        .output()
        .unwrap()
}

/// [`run_job`], which must succeed; report.json's text.
fn run_in(dir: &Path, extra: &[&str]) -> String {
    let out = run_job(dir, extra);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(dir.join("out/report.json")).unwrap()
}

/// Every output but timings.json, concatenated (for the determinism test).
fn all_outputs(dir: &Path) -> String {
    [
        "report.json",
        "townships.csv",
        "balance.csv",
        "townships.geojson",
        "violations.geojson",
        "pbf_loss.geojson",
    ]
    .iter()
    .map(|n| std::fs::read_to_string(dir.join("out").join(n)).unwrap())
    .collect::<Vec<_>>()
    .join("\n")
}

/// Equal texts, or a panic that shows the first line that differs.
fn same(a: &str, b: &str, what: &str) {
    if let Some((n, (x, y))) = a
        .lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y)
    {
        panic!("{what}: line {} differs:\n{x}\n{y}", n + 1);
    }
    assert_eq!(a.len(), b.len(), "{what}");
}

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
    assert_eq!(county[0], "county");
    let m2: f64 = county[2].parse().unwrap();
    assert_eq!(
        m2,
        report["county"]["landuse"]["cultivated_net_m2"]
            .as_f64()
            .unwrap()
    );
    let (ha, mu): (f64, f64) = (county[3].parse().unwrap(), county[4].parse().unwrap());
    assert!((ha * 10_000.0 - m2).abs() < 1.0 && (mu * 2000.0 / 3.0 - m2).abs() < 10.0);
    let balance = std::fs::read_to_string(out.join("balance.csv")).unwrap();
    assert_eq!(
        balance.trim_start_matches('\u{feff}').lines().count(),
        1 + 12 * 3
    );

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
fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            let out = Command::new("which").arg(name).output().ok()?;
            out.status
                .success()
                .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        })
}

fn chromium_args(profile: &Path) -> Vec<String> {
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(std::iter::once(format!(
        "--user-data-dir={}",
        profile.display()
    )))
    .collect()
}

#[test]
fn report_html_is_self_contained_and_renders() {
    let dir = tempfile::tempdir().unwrap();
    copy_demo(dir.path(), false);
    run_in(dir.path(), &[]);
    let html_path = dir.path().join("out/report.html");
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert_eq!(html.matches("<path class=\"township\"").count(), 11);
    assert!(html.contains("<path class=\"violation\""));
    for external in ["http://", "https://", " src=", "<link", "<script"] {
        assert!(
            !html.contains(external),
            "report.html must open offline: found {external:?}"
        );
    }
    let Some(chrome) = chromium() else {
        eprintln!(
            "skipped the browser part: no chromium on this machine (CI installs Debian's chromium)"
        );
        return;
    };
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", html_path.display());
    let dom = Command::new(&chrome)
        .args(chromium_args(profile.path()))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    let dom_text = String::from_utf8_lossy(&dom.stdout);
    assert_eq!(
        dom_text.matches("class=\"township\"").count(),
        11,
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let log = String::from_utf8_lossy(&dom.stderr);
    assert!(
        !log.contains(":CONSOLE") || !log.to_lowercase().contains("error"),
        "console errors: {log}"
    );
    let shot = dir.path().join("report.png");
    let out = Command::new(&chrome)
        .args(chromium_args(profile.path()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1280,1000")
        .arg(&url)
        .output()
        .unwrap();
    let bytes = std::fs::read(&shot)
        .unwrap_or_else(|_| panic!("no screenshot: {}", String::from_utf8_lossy(&out.stderr)));
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000,
        "{} bytes",
        bytes.len()
    );
}

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
fn retention_fill(ratio: f64) -> &'static str {
    if ratio >= 1.0 {
        "#7fb77e"
    } else if ratio >= 0.98 {
        "#c9d66b"
    } else if ratio >= 0.95 {
        "#e67e22"
    } else {
        "#c0392b"
    }
}

#[test]
fn map_ratio_recolours_the_map_by_the_chosen_ratio() {
    let dir = tempfile::tempdir().unwrap();
    copy_demo(dir.path(), false);
    let report: serde_json::Value =
        serde_json::from_str(&run_in(dir.path(), &["--map-ratio", "retention"])).unwrap();
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    assert!(
        html.contains("耕地保有率 retention: "),
        "legend names the ratio"
    );
    let mut fills = std::collections::BTreeSet::new();
    for town in report["townships"].as_array().unwrap() {
        let code = town["code"].as_str().unwrap();
        let ratio = town["landuse"]["retention_ratio"].as_f64().unwrap();
        let fill = retention_fill(ratio);
        fills.insert(fill);
        let tag = format!("data-code=\"{code}\" fill=\"{fill}\"");
        assert!(
            html.contains(&tag),
            "{code} (retention {ratio}) should be {fill}"
        );
    }
    assert!(fills.len() > 1, "the demo's townships span several classes");
    let bad = run_job(dir.path(), &["--map-ratio", "yield"]);
    assert_eq!(bad.status.code(), Some(2), "clap rejects an unknown ratio");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("retention"));
}

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
        let mut doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        doc["crs"]["properties"]["name"] = "EPSG:2365".into();
        for f in doc["features"].as_array_mut().unwrap() {
            for polygon in f["geometry"]["coordinates"].as_array_mut().unwrap() {
                for ring in polygon.as_array_mut().unwrap() {
                    for c in ring.as_array_mut().unwrap() {
                        let (x, y) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
                        let (tx, ty) = t.point(x, y).unwrap();
                        // The datum shift moves every vertex by tens of metres.
                        assert!((tx - x).hypot(ty - y) > 10.0);
                        *c = serde_json::json!([tx, ty]);
                    }
                }
            }
        }
        std::fs::write(&path, doc.to_string()).unwrap();
    }
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
    assert_eq!(a["county"]["pieces"], b["county"]["pieces"]);
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
    assert_eq!(a["county"]["pieces"], b["county"]["pieces"]);
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
