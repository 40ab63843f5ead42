//! Validation on pathological shapes: the cases that made the old all-pairs check take
//! minutes. Each must validate (and repair or drop) in well under half a second.
//!
//! `cargo bench --bench pathological`

#![allow(clippy::unwrap_used, clippy::expect_used)] // benches fail loudly by design

use criterion::{criterion_group, criterion_main, Criterion};
use geo::Coord;
use redline_geom::validate_and_repair;
use std::f64::consts::PI;

type Rings = Vec<Vec<Vec<Coord<f64>>>>;

fn c(x: f64, y: f64) -> Coord<f64> {
    Coord { x, y }
}

fn square(x: f64, y: f64, s: f64) -> Vec<Coord<f64>> {
    vec![c(x, y), c(x + s, y), c(x + s, y + s), c(x, y + s), c(x, y)]
}

/// A star of `n` points drawn as one ring, each vertex `step` points on: with `step ≈ n/2`
/// every edge crosses almost every other.
fn tangled_star(n: usize, step: usize) -> Rings {
    let ring = (0..=n)
        .map(|i| {
            let t = 2.0 * PI * ((i * step) % n) as f64 / n as f64;
            c(1000.0 * t.cos(), 1000.0 * t.sin())
        })
        .collect();
    vec![vec![ring]]
}

/// A valid star-shaped ring of `n` vertices alternating between two radii.
fn spiky_star(n: usize) -> Rings {
    let mut ring: Vec<_> = (0..n)
        .map(|i| {
            let t = 2.0 * PI * i as f64 / n as f64;
            let r = if i % 2 == 0 { 1000.0 } else { 100.0 };
            c(r * t.cos(), r * t.sin())
        })
        .collect();
    ring.push(ring[0]);
    vec![vec![ring]]
}

/// `n` squares of side `s` on a 10-unit grid: apart for `s` < 10, each overlapping its
/// neighbours (a sloppy merge, repaired by one union) for `s` > 10.
fn grid_of_squares(n: usize, s: f64) -> Vec<Vec<Coord<f64>>> {
    let side = (n as f64).sqrt().ceil() as usize;
    (0..n)
        .map(|i| square((i % side) as f64 * 10.0, (i / side) as f64 * 10.0, s))
        .collect()
}

/// `n` squares of side `s` as the parts of one multipolygon.
fn many_parts(n: usize, s: f64) -> Rings {
    grid_of_squares(n, s).into_iter().map(|r| vec![r]).collect()
}

/// One square with `n` square holes on a grid.
fn many_holes(n: usize) -> Rings {
    let side = (n as f64).sqrt().ceil() as usize;
    let extent = side as f64 * 10.0;
    let mut rings = vec![square(-10.0, -10.0, extent + 20.0)];
    rings.extend(grid_of_squares(n, 5.0));
    vec![rings]
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("validate_and_repair");
    group.sample_size(10);
    let cases: [(&str, Rings); 6] = [
        (
            "tangled star, 10 001 vertices (dropped)",
            tangled_star(10_001, 5_000),
        ),
        (
            "tangled star, 201 vertices (repaired)",
            tangled_star(201, 100),
        ),
        ("spiky star, 10 000 vertices (valid)", spiky_star(10_000)),
        ("30 000 parts (valid)", many_parts(30_000, 5.0)),
        ("30 000 holes (valid)", many_holes(30_000)),
        (
            "30 000 overlapping parts (repaired)",
            many_parts(30_000, 12.0),
        ),
    ];
    for (name, rings) in cases {
        group.bench_function(name, |b| {
            b.iter_batched(
                || rings.clone(),
                validate_and_repair,
                criterion::BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
