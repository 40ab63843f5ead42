//! Ingest throughput: redline's streaming GeoJSON reader (parse, validate, orient, typed
//! attributes) side by side with the plain path — `serde_json` → `geojson::FeatureCollection`
//! → geo types — on the same file of 100 000 polygons.
//!
//! `cargo bench --bench ingest` (set `REDLINE_BENCH_POLYGONS` to change the size).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches fail loudly by design

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A deterministic county-like layer: `n` irregular 12-vertex parcels in GK zone 41 with the
/// 三调 attribute set, written as one FeatureCollection.
fn write_layer(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join(format!("parcels_{n}.geojson"));
    let mut text = String::with_capacity(n * 600);
    text.push_str(r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:4529"}},"features":["#);
    let side = (n as f64).sqrt().ceil() as usize;
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut jitter = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 1000) as f64 / 100.0
    };
    let classes = ["0101", "0102", "0103", "0301", "0702", "1006", "1104"];
    for i in 0..n {
        let (x0, y0) = (
            41_500_000.0 + (i % side) as f64 * 100.0,
            5_080_000.0 + (i / side) as f64 * 100.0,
        );
        let mut ring = String::new();
        let mut first = String::new();
        for k in 0..12 {
            let a = std::f64::consts::TAU * k as f64 / 12.0;
            let r = 40.0 + jitter();
            let p = format!(
                "[{:.3},{:.3}]",
                x0 + 50.0 + r * a.cos(),
                y0 + 50.0 + r * a.sin()
            );
            if k == 0 {
                first = p.clone();
            }
            ring.push_str(&p);
            ring.push(',');
        }
        ring.push_str(&first);
        if i > 0 {
            text.push(',');
        }
        let _ = write!(
            text,
            r#"{{"type":"Feature","properties":{{"BSM":"{i:010}","DLBM":"{}","DLMC":"旱地","TBMJ":{:.2},"KCXS":0.05,"ZLDWDM":"220821100001000000{}"}},"geometry":{{"type":"Polygon","coordinates":[[{ring}]]}}}}"#,
            classes[i % classes.len()],
            5000.0 + jitter(),
            i % 10
        );
    }
    text.push_str("]}");
    std::fs::write(&path, text).expect("write the bench layer");
    path
}

/// The plain path: the whole text in memory, a `geojson::FeatureCollection`, then geo types.
fn baseline(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).expect("read");
    let fc: geojson::FeatureCollection = serde_json::from_str(&text).expect("parse");
    fc.features
        .into_iter()
        .filter_map(|f| f.geometry)
        .filter_map(|g| geo::Geometry::<f64>::try_from(g.value).ok())
        .count()
}

fn redline(path: &Path) -> usize {
    let read =
        redline_ingest::read_layer(path, &redline_ingest::ReadOptions::default()).expect("read");
    read.layer.features.len()
}

fn ingest(c: &mut Criterion) {
    let n: usize = std::env::var("REDLINE_BENCH_POLYGONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_layer(dir.path(), n);
    let bytes = std::fs::metadata(&path).expect("stat").len();
    assert_eq!(baseline(&path), n);
    assert_eq!(redline(&path), n);
    let mut group = c.benchmark_group(format!("geojson_{n}_polygons"));
    group.sample_size(10).throughput(Throughput::Bytes(bytes));
    group.bench_function("redline_read_layer", |b| b.iter(|| redline(&path)));
    group.bench_function("serde_json_geojson_geo", |b| b.iter(|| baseline(&path)));
    group.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
