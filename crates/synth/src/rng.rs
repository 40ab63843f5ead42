//! Deterministic randomness as a pure function of (seed, what, i, j): every vertex, edge and
//! cell can be recomputed anywhere without state, which is what lets neighbouring parcels share
//! identical vertices and lets the generator stream.

/// SplitMix64's finaliser: a good 64-bit mixer.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A hash of the seed, a tag naming what is drawn, and two integer coordinates.
pub(crate) fn hash(seed: u64, tag: u64, i: i64, j: i64) -> u64 {
    mix(
        mix(mix(seed ^ tag.wrapping_mul(0x9E37_79B9_7F4A_7C15)) ^ i as u64)
            ^ (j as u64).rotate_left(32),
    )
}

/// A uniform number in [0, 1) from a hash.
pub(crate) fn unit(seed: u64, tag: u64, i: i64, j: i64) -> f64 {
    (hash(seed, tag, i, j) >> 11) as f64 / (1u64 << 53) as f64
}

/// A uniform number in [lo, hi).
pub(crate) fn range(seed: u64, tag: u64, i: i64, j: i64, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * unit(seed, tag, i, j)
}

/// Smooth value noise in [0, 1): bilinear interpolation, smoothstepped, of lattice values
/// `cell` units apart.
pub(crate) fn noise(seed: u64, tag: u64, x: f64, y: f64, cell: f64) -> f64 {
    let (gx, gy) = (x / cell, y / cell);
    let (ix, iy) = (gx.floor(), gy.floor());
    let (fx, fy) = (gx - ix, gy - iy);
    let smooth = |t: f64| t * t * (3.0 - 2.0 * t);
    let (sx, sy) = (smooth(fx), smooth(fy));
    let v = |dx: i64, dy: i64| unit(seed, tag, ix as i64 + dx, iy as i64 + dy);
    let bottom = v(0, 0) + (v(1, 0) - v(0, 0)) * sx;
    let top = v(0, 1) + (v(1, 1) - v(0, 1)) * sx;
    bottom + (top - bottom) * sy
}

/// sin(x) from additions and multiplications only, so that the generator gives the same bytes on
/// every machine (libm's sin may differ in the last bit between CPUs and library builds, and a
/// last bit can move a cell across a class threshold). Accurate to ~1e-15 near zero, ~1e-14 at
/// |x| ≈ 30 (the range reduction).
pub(crate) fn psin(x: f64) -> f64 {
    use std::f64::consts::{FRAC_PI_2, PI, TAU};
    // Reduce to [-π, π], then to [-π/2, π/2] by sin(π − t) = sin(t).
    let mut t = x - TAU * (x / TAU).round();
    if t > FRAC_PI_2 {
        t = PI - t;
    } else if t < -FRAC_PI_2 {
        t = -PI - t;
    }
    // Taylor series to t¹⁹: the first neglected term is below 3e-17 at π/2.
    let t2 = t * t;
    let mut term = t;
    let mut sum = t;
    for k in 1..10 {
        term *= -t2 / ((2 * k) as f64 * (2 * k + 1) as f64);
        sum += term;
    }
    sum
}

/// cos(x), portably (see [`psin`]).
pub(crate) fn pcos(x: f64) -> f64 {
    psin(x + std::f64::consts::FRAC_PI_2)
}

/// √(dx² + dy²) with IEEE operations only (`hypot` is a libm function).
pub(crate) fn dist(dx: f64, dy: f64) -> f64 {
    (dx * dx + dy * dy).sqrt()
}

/// A sequential generator for the few places that draw a list (seeds of townships …).
pub(crate) struct Stream {
    seed: u64,
    tag: u64,
    n: i64,
}

impl Stream {
    pub fn new(seed: u64, tag: u64) -> Self {
        Stream { seed, tag, n: 0 }
    }

    pub fn unit(&mut self) -> f64 {
        self.n += 1;
        unit(self.seed, self.tag, self.n, 0)
    }

    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_stable_and_spread() {
        assert_eq!(hash(1, 2, 3, 4), hash(1, 2, 3, 4));
        assert_ne!(hash(1, 2, 3, 4), hash(1, 2, 4, 3));
        let mean = (0..10_000).map(|i| unit(7, 1, i, 0)).sum::<f64>() / 10_000.0;
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
        let n = noise(7, 1, 12.3, 45.6, 10.0);
        assert!((0.0..1.0).contains(&n));
        // Smooth: close points have close values.
        assert!((noise(7, 1, 12.3, 45.6, 10.0) - noise(7, 1, 12.31, 45.6, 10.0)).abs() < 0.01);
    }

    #[test]
    fn portable_sine_matches_libm() {
        for k in -2000..2000 {
            let x = k as f64 * 0.0137;
            assert!((psin(x) - x.sin()).abs() < 1e-13, "{x}");
            assert!((pcos(x) - x.cos()).abs() < 1e-13, "{x}");
        }
    }
}
