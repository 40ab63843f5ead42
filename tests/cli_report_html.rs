//! report.html: self-contained, rendered by headless Chromium, and its map coloured by the
//! chosen ratio.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

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
fn lang_en_labels_the_whole_page_in_english() {
    let dir = tempfile::tempdir().unwrap();
    copy_demo(dir.path(), false);
    run_in(dir.path(), &["--lang", "en", "--map-ratio", "retention"]);
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("retention ratio: "), "legend names the ratio");
    assert!(html.contains("<th>cultivated net (ha)</th>"));
    // No Chinese label is left: the only CJK text is the county's and townships' own names.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/report.json")).unwrap())
            .unwrap();
    let mut names: Vec<String> = report["townships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    names.push(report["job"]["name"].as_str().unwrap().to_string());
    let mut rest = html.clone();
    for name in &names {
        rest = rest.replace(name.as_str(), "");
    }
    for label in ["约谈", "问责", "乡镇", "耕地", "平衡", "缺口", "违法"] {
        assert!(!rest.contains(label), "{label} left in the English page");
    }
}

#[test]
fn map_ratio_recolours_the_map_by_the_chosen_ratio() {
    let dir = tempfile::tempdir().unwrap();
    copy_demo(dir.path(), false);
    let report: serde_json::Value =
        serde_json::from_str(&run_in(dir.path(), &["--map-ratio", "retention"])).unwrap();
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    assert!(html.contains("耕地保有率: "), "legend names the ratio");
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
