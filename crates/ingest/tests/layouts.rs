//! One FeatureCollection laid out in the ways writers lay it out — a feature per line (GDAL,
//! QGIS, GeoPandas), all on one line, features broken over lines, several on a line, CRLF —
//! reads to the same layer, and a malformed feature is named alike in each. The reader guesses
//! a feature per line and scans again where a guess does not parse; these layouts make it guess
//! wrong in the first chunk of features and in a later one.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches fail loudly by design

use redline_ingest::{read_layer, IngestError, Layer, ReadOptions};
use std::path::PathBuf;

/// More than one chunk of features (the reader parses 4 096 at a time).
const FEATURES: usize = 5000;

const HEAD: &str = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:4529"}},"features":["#;

/// Feature `k`: a square with an id, a class and a text holding the bytes a guess looks for.
fn feature(k: usize) -> String {
    let x = 41_500_000.0 + 100.0 * k as f64;
    format!(
        concat!(
            r#"{{"type":"Feature","id":"f{k}","properties":{{"DLBM":"0101","NOTE":"a}},\n{{b\"}}"}},"#,
            r#""geometry":{{"type":"Polygon","coordinates":[[[{x},5080000],[{x1},5080000],"#,
            r#"[{x1},5080100],[{x},5080100],[{x},5080000]]]}}}}"#
        ),
        k = k,
        x = x,
        x1 = x + 100.0
    )
}

/// The collection with feature `k` followed by `sep(k)` (the last by "\n").
fn layout(features: &[String], sep: impl Fn(usize) -> &'static str) -> String {
    let mut text = format!("{HEAD}\n");
    for (k, f) in features.iter().enumerate() {
        text.push_str(f);
        text.push_str(if k + 1 == features.len() {
            "\n"
        } else {
            sep(k)
        });
    }
    text + "]}\n"
}

fn read(name: &str, text: &str) -> Result<Layer, IngestError> {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    read_layer(&path, &ReadOptions::default()).map(|r| r.layer)
}

/// What a layer holds, for comparing layouts: id, attribute values and geometry per feature.
fn content(layer: &Layer) -> Vec<String> {
    layer
        .features
        .iter()
        .map(|f| format!("{:?} {:?} {:?}", f.id, layer.attrs(f).to_vec(), f.geometry))
        .collect()
}

fn features() -> Vec<String> {
    (0..FEATURES).map(feature).collect()
}

#[test]
fn every_layout_reads_to_the_same_layer() {
    let features = features();
    let per_line = read("lines.geojson", &layout(&features, |_| ",\n")).unwrap();
    assert_eq!(per_line.features.len(), FEATURES);
    assert_eq!(per_line.features[4321].id.as_deref(), Some("f4321"));
    let note = per_line.attrs(&per_line.features[7]).to_vec()[1].clone();
    assert_eq!(note.to_string(), "a},\n{b\"}");
    let want = content(&per_line);
    let broken = |k: usize| k == 0 || k == 4500;
    let split = |f: &String| f.replacen(r#"},"geometry""#, "},\n\"geometry\"", 1);
    let layouts: Vec<(&str, String)> = vec![
        ("one line", layout(&features, |_| ",")),
        ("CRLF", layout(&features, |_| ",\r\n")),
        (
            "pairs",
            layout(&features, |k| if k % 2 == 0 { "," } else { ",\n" }),
        ),
        (
            // Guessed wrong in the first chunk and again, after scanning resumed, in no other.
            "broken first",
            layout(
                &features
                    .iter()
                    .enumerate()
                    .map(|(k, f)| if broken(k) { split(f) } else { f.clone() })
                    .collect::<Vec<_>>(),
                |_| ",\n",
            ),
        ),
        (
            // Guessed wrong only in the second chunk.
            "broken late",
            layout(
                &features
                    .iter()
                    .enumerate()
                    .map(|(k, f)| if k == 4500 { split(f) } else { f.clone() })
                    .collect::<Vec<_>>(),
                |_| ",\n",
            ),
        ),
        (
            "all broken",
            layout(&features.iter().map(split).collect::<Vec<_>>(), |_| ",\n"),
        ),
    ];
    for (name, text) in layouts {
        let layer = read("layout.geojson", &text).unwrap();
        assert!(content(&layer) == want, "{name}");
    }
}

/// The error, feature, line and column a malformed feature `bad` gives in a layout.
fn error_at(text: &str) -> (String, Option<usize>, usize, usize) {
    match read("bad.geojson", text).unwrap_err() {
        IngestError::Json {
            what,
            feature,
            line,
            column,
            ..
        } => (what.to_string(), feature, line, column),
        other => panic!("{other}"),
    }
}

#[test]
fn a_malformed_feature_is_named_alike_in_every_layout() {
    let bad = 4500;
    let mut features = features();
    features[bad] = features[bad].replacen(r#"{"DLBM""#, r#"{DLBM"#, 1);
    // The parser stops at the unquoted key: column of its D in the feature's text.
    let column_in_feature = features[bad].find("{DLBM").unwrap() + 2;
    let per_line = layout(&features, |_| ",\n");
    assert_eq!(
        error_at(&per_line),
        (
            "malformed JSON".into(),
            Some(bad),
            bad + 2,
            column_in_feature
        )
    );
    let one_line = layout(&features, |_| ",");
    let line_start = one_line.find('\n').unwrap() + 1;
    let feature_start = one_line.find(&features[bad]).unwrap();
    assert_eq!(
        error_at(&one_line),
        (
            "malformed JSON".into(),
            Some(bad),
            2,
            feature_start - line_start + column_in_feature
        )
    );
    // A file cut inside its last feature: the scan after the guesses finds the end.
    let whole = layout(&self::features(), |_| ",\n");
    let (what, feature, line, _) = error_at(&whole[..whole.len() - 60]);
    assert_eq!(
        (what.as_str(), feature, line),
        ("truncated file", Some(FEATURES - 1), FEATURES + 1)
    );
    // A feature that ends early leaves the rest of its line where `,` or `]` belongs.
    let mut features = self::features();
    features[bad].push('}');
    let (what, feature, line, _) = error_at(&layout(&features, |_| ",\n"));
    assert_eq!(
        (what.as_str(), feature, line),
        ("malformed JSON", Some(bad + 1), bad + 2)
    );
}

#[test]
fn a_scan_error_outranks_parse_errors_before_it_as_when_nothing_is_guessed() {
    // Feature 5 is left to the scan (a space before its comma) and does not parse; after
    // feature 8 a stray byte stops the scan. Scanning finds that first, guessed or not.
    let mut features: Vec<String> = (0..10).map(feature).collect();
    features[5] = features[5].replacen(r#"{"DLBM""#, r#"{DLBM"#, 1) + " ";
    features[8].push_str(" x");
    let per_line = layout(&features, |_| ",\n");
    let (what, feature, line, column) = error_at(&per_line);
    assert_eq!(
        (what.as_str(), feature, line, column),
        ("malformed JSON", Some(9), 10, features[8].len())
    );
}

#[test]
fn names_met_in_later_chunks_become_fields_in_first_seen_order() {
    // Three chunks. A chunk is parsed while the one before it is taken, so names first met in
    // chunk 1 are new to the schema chunk 2 was arranged with: they must still land in their
    // fields, in the order the file first names them.
    let extra = |k: usize| match k {
        5000 => r#","B":1"#,
        6000 => r#","A":"a6000","B":2"#,
        9000 => r#","C":true"#,
        9500 => r#","A":"a9500""#,
        _ => "",
    };
    let features: Vec<String> = (0..10_000)
        .map(|k| {
            let with = format!(r#""{}}},"geometry""#, extra(k));
            feature(k).replacen(r#""},"geometry""#, &with, 1)
        })
        .collect();
    for text in [layout(&features, |_| ",\n"), layout(&features, |_| ",")] {
        let layer = read("names.geojson", &text).unwrap();
        let names: Vec<&str> = layer.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["DLBM", "NOTE", "B", "A", "C"]);
        let row = |k: usize| {
            layer.attrs(&layer.features[k]).to_vec()[2..]
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(row(4999), ["null", "null", "null"]);
        assert_eq!(row(5000), ["1", "null", "null"]);
        assert_eq!(row(6000), ["2", "a6000", "null"]);
        assert_eq!(row(9000), ["null", "null", "true"]);
        assert_eq!(row(9500), ["null", "a9500", "null"]);
        assert_eq!(row(9999), ["null", "null", "null"]);
    }
}

#[test]
fn a_parse_error_outranks_a_scan_error_in_a_later_chunk() {
    // Feature 100 (chunk 0) does not parse; after feature 9000 (chunk 2) a stray byte stops
    // the scan, which runs ahead of the parse: the first error in the file is the one named.
    let mut features: Vec<String> = (0..10_000).map(feature).collect();
    features[100] = features[100].replacen(r#"{"DLBM""#, r#"{DLBM"#, 1);
    features[9000].push_str(" x");
    for text in [layout(&features, |_| ",\n"), layout(&features, |_| ",")] {
        let (what, feature, _, _) = error_at(&text);
        assert_eq!((what.as_str(), feature), ("malformed JSON", Some(100)));
    }
    // Without the parse error, the scan's is named: the feature after 9000.
    features[100] = feature(100);
    let (what, feature, line, _) = error_at(&layout(&features, |_| ",\n"));
    assert_eq!(
        (what.as_str(), feature, line),
        ("malformed JSON", Some(9001), 9002)
    );
}
