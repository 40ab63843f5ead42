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

/// The page's own `#selftest` result at a viewport `width` px wide: the report in an iframe of
/// that width (headless Chromium's window has a minimum width of 500 px), copied out by the
/// harness page once the report has written it.
fn selftest(chrome: &Path, html: &Path, width: u32) -> serde_json::Value {
    let dir = html.parent().unwrap();
    let harness = dir.join(format!("harness-{width}.html"));
    std::fs::write(
        &harness,
        format!(
            r#"<!DOCTYPE html><body style="margin:0"><iframe id="f" src="report.html#selftest" style="width:{width}px;height:900px;border:0"></iframe>
<script>
var tries = 0;
(function poll() {{
  var doc = document.getElementById('f').contentDocument;
  var pre = doc && doc.getElementById('selftest');
  if (pre) {{ var out = document.createElement('pre'); out.id = 'result'; out.textContent = pre.textContent; document.body.appendChild(out); return; }}
  if (++tries < 100) setTimeout(poll, 50);
}})();
</script></body>"#
        ),
    )
    .unwrap();
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chrome)
        .args(chromium_args(profile.path()))
        .arg("--allow-file-access-from-files")
        .arg(format!("--window-size={},1000", width + 40))
        .arg("--virtual-time-budget=5000")
        .arg("--dump-dom")
        .arg(format!("file://{}", harness.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    let start = dom.find("<pre id=\"result\">").unwrap_or_else(|| {
        panic!(
            "no selftest result at {width} px: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let text = &dom[start + "<pre id=\"result\">".len()..];
    let text = &text[..text.find("</pre>").unwrap()];
    let text = text
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"");
    serde_json::from_str(&text).unwrap()
}

#[test]
fn report_html_is_one_offline_file_that_fits_pans_zooms_and_explains_itself() {
    let dir = tempfile::tempdir().unwrap();
    copy_demo(dir.path(), false);
    let report: serde_json::Value = serde_json::from_str(&run_in(dir.path(), &[])).unwrap();
    let html_path = dir.path().join("out/report.html");
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert_eq!(html.matches("<path class=\"township\"").count(), 11);
    assert!(html.contains("<path class=\"violation\""));
    assert!(html.contains("<path class=\"pbf-loss\""));
    // One file, no network: no external reference, and a policy that forbids any.
    for external in ["http://", "https://", " src=", "<link", "url("] {
        assert!(
            !html.contains(external),
            "report.html must open offline: found {external:?}"
        );
    }
    assert!(html.contains("content=\"default-src 'none';"));
    // The county row carries the county's name.
    let county = report["job"]["name"].as_str().unwrap();
    let foot = &html[html.find("<tfoot>").unwrap()..];
    assert!(foot.contains(county), "{foot}");
    // Every township's name is placed on the map.
    let names: Vec<String> = report["townships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    for name in &names {
        assert!(
            html.contains(&format!(">{name}</text>")),
            "{name} has no label"
        );
    }
    let Some(chrome) = chromium() else {
        eprintln!(
            "skipped the browser part: no chromium on this machine (CI installs Debian's chromium)"
        );
        return;
    };
    for width in [390, 1280, 1920] {
        let result = selftest(&chrome, &html_path, width);
        assert_eq!(result["width"], width, "{result}");
        assert!(
            result["overflow"].as_i64().unwrap() <= 0,
            "horizontal overflow at {width} px: {result}"
        );
        assert_eq!(result["townships"], 11);
        let labels: Vec<String> = serde_json::from_value(result["labels"].clone()).unwrap();
        assert_eq!(labels, names, "labels at {width} px");
        // Hovering a township and a violation shows their numbers.
        let tip = result["tooltip"]
            .as_str()
            .unwrap_or_else(|| panic!("no tooltip at {width} px"));
        assert!(tip.contains(&names[0]) && tip.contains('%'), "{tip}");
        assert!(result["violationTooltip"].as_str().unwrap().contains("m²"));
        assert_eq!(result["zoomed"], true, "the wheel zooms");
        assert_eq!(result["dragged"], true, "a drag pans");
        assert_eq!(result["pinched"], true, "two fingers spreading zoom in");
        assert_eq!(
            result["mapVisible"], true,
            "the whole map is in view at {width} px"
        );
        assert_eq!(
            result["cards"],
            width < 640,
            "cards on a phone only ({width} px)"
        );
        assert_eq!(
            result["violationsHidden"], true,
            "the toggle hides the layer"
        );
        assert_eq!(
            result["errors"],
            serde_json::json!([]),
            "console errors at {width} px"
        );
        assert_eq!(
            result["resources"],
            serde_json::json!([]),
            "network requests at {width} px"
        );
        // The ratio chosen in the page recolours the map by the same rule as --map-ratio.
        for town in report["townships"].as_array().unwrap() {
            let code = town["code"].as_str().unwrap();
            let fill = retention_fill(town["landuse"]["retention_ratio"].as_f64().unwrap());
            assert_eq!(result["fills"][code], fill, "{code} at {width} px");
        }
        // Sorting by the illegal ratio orders the rows.
        let sorted: Vec<f64> = result["sorted"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().trim_end_matches('%').parse().unwrap())
            .collect();
        assert!(sorted.windows(2).all(|w| w[0] <= w[1]), "{sorted:?}");
    }
}

/// WCAG 2 relative luminance of `#rrggbb`.
fn luminance(hex: &str) -> f64 {
    let channel = |k: usize| {
        let c = u8::from_str_radix(&hex[1 + 2 * k..3 + 2 * k], 16).unwrap() as f64 / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2)
}

fn contrast(a: &str, b: &str) -> f64 {
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

#[test]
fn overlays_stay_visible_on_every_township_fill() {
    // The overlays as the style sheet draws them: (fill, outline). One of the two must stand
    // out from every fill by WCAG's 3:1 for graphics; the illegal red of before (#ff0000 on
    // the 问责 #c0392b) had 1.5:1.
    let css = include_str!("../crates/report/src/report.css");
    assert!(css.contains("path.violation{fill:#111111;fill-opacity:.9;stroke:#ffffff"));
    assert!(css.contains("path.pbf-loss{fill:#ffffff;fill-opacity:.85;stroke:#111"));
    let overlays = [
        ("violation", "#111111", "#ffffff"),
        ("pbf-loss", "#ffffff", "#111111"),
    ];
    for fill in [
        "#7fb77e", "#c9d66b", "#e67e22", "#c0392b", "#dddddd", "#f7f7f2",
    ] {
        for (name, inner, outline) in overlays {
            let best = contrast(inner, fill).max(contrast(outline, fill));
            assert!(best >= 3.0, "{name} on {fill}: {best:.2}");
        }
    }
    assert!(
        contrast("#ff0000", "#c0392b") < 3.0,
        "the old colour failed"
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
    assert!(
        html.contains("legend-title\">retention ratio</b>"),
        "legend names the ratio"
    );
    assert!(html.contains("aria-sort=\"none\">cultivated net (ha)</th>"));
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
    assert!(
        html.contains("legend-title\">耕地保有率</b>"),
        "legend names the ratio"
    );
    let mut fills = std::collections::BTreeSet::new();
    for town in report["townships"].as_array().unwrap() {
        let code = town["code"].as_str().unwrap();
        let ratio = town["landuse"]["retention_ratio"].as_f64().unwrap();
        let fill = retention_fill(ratio);
        fills.insert(fill);
        let at = html
            .find(&format!("<path class=\"township\" data-code=\"{code}\""))
            .unwrap();
        let tag = &html[at..at + html[at..].find(" d=").unwrap()];
        assert!(
            tag.contains(&format!("fill=\"{fill}\"")),
            "{code} (retention {ratio}) should be {fill}: {tag}"
        );
    }
    assert!(fills.len() > 1, "the demo's townships span several classes");
    let bad = run_job(dir.path(), &["--map-ratio", "yield"]);
    assert_eq!(bad.status.code(), Some(2), "clap rejects an unknown ratio");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("retention"));
}

/// Prints `dir/out/report.html` to PDF with Chromium: its page count and how many pages are A4.
fn printed_pages(chrome: &Path, dir: &Path) -> (usize, usize) {
    let pdf = dir.join("report.pdf");
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chrome)
        .args(chromium_args(profile.path()))
        .arg("--no-pdf-header-footer")
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", dir.join("out/report.html").display()))
        .output()
        .unwrap();
    let bytes = std::fs::read(&pdf)
        .unwrap_or_else(|_| panic!("no PDF: {}", String::from_utf8_lossy(&out.stderr)));
    let text = String::from_utf8_lossy(&bytes);
    // Page objects ("/Type /Page", not "/Pages") and their A4 media boxes (595 × 842 pt).
    let pages = text
        .match_indices("/Type /Page")
        .filter(|(at, _)| !text[at + 11..].starts_with('s'))
        .count();
    (pages, text.match_indices("/MediaBox [0 0 594.9").count())
}

#[test]
fn printing_gives_two_a4_pages_and_the_annual_change_after_them() {
    let Some(chrome) = chromium() else {
        eprintln!("skipped: no chromium on this machine (CI installs Debian's chromium)");
        return;
    };
    // One vintage: the headline and map on one page, the table on the next.
    let one = tempfile::tempdir().unwrap();
    copy_demo(one.path(), false);
    let job = one.path().join("job.toml");
    let text = std::fs::read_to_string(&job).unwrap();
    let single = text.replace(
        "[layers.landuse_previous]\npath = \"landuse_previous.geojson\"\n",
        "",
    );
    assert_ne!(single, text);
    std::fs::write(&job, single).unwrap();
    run_in(one.path(), &[]);
    assert_eq!(printed_pages(&chrome, one.path()), (2, 2), "two A4 pages");
    // Two vintages: the 年度变更 section starts a third page (the unreported list may run on).
    let two = tempfile::tempdir().unwrap();
    copy_demo(two.path(), false);
    run_in(two.path(), &[]);
    let (pages, a4) = printed_pages(&chrome, two.path());
    assert!((3..=4).contains(&pages), "{pages} pages");
    assert_eq!(a4, pages, "A4 pages");
}
