//! Transformation throughput: 100 000 points of a Xian 1980 county (GK CM 114E) to CGCS2000
//! (GK CM 114E) with seven Helmert parameters, and CGCS2000 GK zone 41 to lon/lat (the GeoJSON
//! outputs), through proj4rs and — built with `--features proj` — through PROJ.
//!
//! `cargo bench --bench transform` / `cargo bench --bench transform --features proj`

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches fail loudly by design

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use redline_geom::{Crs, Helmert, Transformer};
use std::hint::black_box;

const N: usize = 100_000;

fn points(x0: f64, y0: f64) -> Vec<(f64, f64)> {
    (0..N)
        .map(|i| (x0 + (i % 317) as f64 * 61.3, y0 + (i / 317) as f64 * 47.9))
        .collect()
}

fn transform_all(t: &Transformer, pts: &[(f64, f64)]) -> f64 {
    pts.iter()
        .map(|&(x, y)| {
            let (a, b) = t.point(x, y).unwrap();
            a + b
        })
        .sum()
}

fn bench(c: &mut Criterion) {
    let mut xian = Crs::from_epsg(2383).unwrap();
    xian.towgs84 = Some(Helmert {
        params: [24.0, -123.0, -94.0, 0.02, -0.25, -0.13, 1.1],
    });
    let cases = [
        (
            "xian80_gk_to_cgcs2000_gk",
            xian,
            Crs::from_epsg(4547).unwrap(),
            points(480_000.0, 3_400_000.0),
        ),
        (
            "gk41_to_lonlat",
            Crs::from_epsg(4529).unwrap(),
            Crs::from_epsg(4326).unwrap(),
            points(41_510_000.0, 5_070_000.0),
        ),
    ];
    let mut group = c.benchmark_group("transform");
    group.throughput(Throughput::Elements(N as u64));
    group.sample_size(20);
    for (name, from, to, pts) in &cases {
        let rust = Transformer::pure_rust(from, to).unwrap();
        group.bench_function(format!("{name}/proj4rs"), |b| {
            b.iter(|| transform_all(black_box(&rust), pts))
        });
        if cfg!(feature = "proj") {
            let proj = Transformer::new(from, to).unwrap();
            group.bench_function(format!("{name}/PROJ"), |b| {
                b.iter(|| transform_all(black_box(&proj), pts))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
