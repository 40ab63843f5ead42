//! Transverse Mercator by Krüger's series to sixth order in n (Karney 2011, "Transverse
//! Mercator with an accuracy of a few nanometers"), with the point scale factor.
//!
//! redline transforms coordinates with proj4rs; this module exists for the scale factor k,
//! which the ellipsoidal area needs: Gauss–Krüger is conformal, so a region's area on the
//! ellipsoid is ∬ k(x, y)⁻² dx dy over the region as drawn in the plane.

use crate::Ellipsoid;

/// A Transverse Mercator projection (Gauss–Krüger, UTM) on an ellipsoid.
#[derive(Debug, Clone, PartialEq)]
pub struct TransverseMercator {
    /// Central meridian, degrees.
    pub lon0: f64,
    /// Scale on the central meridian.
    pub k0: f64,
    /// False easting, metres (includes the zone prefix, e.g. 41 500 000).
    pub x0: f64,
    /// False northing, metres.
    pub y0: f64,
    e: f64,
    e2m: f64,
    n: f64,
    a: f64,
    big_a: f64,
    alp: [f64; 7],
    bet: [f64; 7],
}

fn horner(coeffs: &[f64], n: f64) -> f64 {
    coeffs.iter().rev().fold(0.0, |acc, c| acc * n + c)
}

/// The α (forward) and β (inverse) series coefficients and the rectifying radius A
/// (Karney 2011, eqs. 14, 35 and 36), as polynomials in the third flattening n.
#[rustfmt::skip]
fn krueger_coefficients(n: f64, a: f64) -> ([f64; 7], [f64; 7], f64) {
        let alp = [
            0.0,
            horner(&[0.0, 1./2., -2./3., 5./16., 41./180., -127./288., 7891./37800.], n),
            horner(&[0.0, 0.0, 13./48., -3./5., 557./1440., 281./630., -1983433./1935360.], n),
            horner(&[0.0, 0.0, 0.0, 61./240., -103./140., 15061./26880., 167603./181440.], n),
            horner(&[0.0, 0.0, 0.0, 0.0, 49561./161280., -179./168., 6601661./7257600.], n),
            horner(&[0.0, 0.0, 0.0, 0.0, 0.0, 34729./80640., -3418889./1995840.], n),
            horner(&[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 212378941./319334400.], n),
        ];
        let bet = [
            0.0,
            horner(&[0.0, 1./2., -2./3., 37./96., -1./360., -81./512., 96199./604800.], n),
            horner(&[0.0, 0.0, 1./48., 1./15., -437./1440., 46./105., -1118711./3870720.], n),
            horner(&[0.0, 0.0, 0.0, 17./480., -37./840., -209./4480., 5569./90720.], n),
            horner(&[0.0, 0.0, 0.0, 0.0, 4397./161280., -11./504., -830251./7257600.], n),
            horner(&[0.0, 0.0, 0.0, 0.0, 0.0, 4583./161280., -108847./3991680.], n),
            horner(&[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 20648693./638668800.], n),
        ];
        let big_a = a / (1.0 + n) * horner(&[1.0, 0.0, 1./4., 0.0, 1./64., 0.0, 1./256.], n);
    (alp, bet, big_a)
}

impl TransverseMercator {
    /// A projection on `ellps` with the given central meridian (degrees), scale and false origin.
    pub fn new(ellps: Ellipsoid, lon0: f64, k0: f64, x0: f64, y0: f64) -> Self {
        let f = ellps.f;
        let n = f / (2.0 - f);
        let e2 = f * (2.0 - f);
        let (alp, bet, big_a) = krueger_coefficients(n, ellps.a);
        TransverseMercator {
            lon0,
            k0,
            x0,
            y0,
            e: e2.sqrt(),
            e2m: 1.0 - e2,
            n,
            a: ellps.a,
            big_a,
            alp,
            bet,
        }
    }

    /// tan of the conformal latitude from tan of the geodetic latitude.
    fn taupf(&self, tau: f64) -> f64 {
        let tau1 = tau.hypot(1.0);
        let sig = (self.e * (self.e * tau / tau1).atanh()).sinh();
        tau * sig.hypot(1.0) - sig * tau1
    }

    /// tan of the geodetic latitude from tan of the conformal latitude (Newton's method).
    fn tauf(&self, taup: f64) -> f64 {
        let mut tau = taup / self.e2m;
        for _ in 0..8 {
            let taupa = self.taupf(tau);
            let dtau = (taup - taupa) * (1.0 + self.e2m * tau * tau)
                / (self.e2m * tau.hypot(1.0) * taupa.hypot(1.0));
            tau += dtau;
            if dtau.abs() < 1e-15 * tau.abs().max(1.0) {
                break;
            }
        }
        tau
    }

    /// Forward: (lon, lat) in degrees → (x, y) in metres and the point scale k.
    pub fn forward(&self, lon: f64, lat: f64) -> (f64, f64, f64) {
        let lam = (lon - self.lon0).to_radians();
        let phi = lat.to_radians();
        let tau = phi.tan();
        let taup = self.taupf(tau);
        let (sl, cl) = lam.sin_cos();
        let xip = taup.atan2(cl);
        let etap = (sl / taup.hypot(cl)).asinh();
        let (mut xi, mut eta, mut p, mut q) = (xip, etap, 1.0, 0.0);
        for j in 1..=6 {
            let j2 = 2.0 * j as f64;
            let (s, c) = (j2 * xip).sin_cos();
            let (sh, ch) = ((j2 * etap).sinh(), (j2 * etap).cosh());
            xi += self.alp[j] * s * ch;
            eta += self.alp[j] * c * sh;
            p += j2 * self.alp[j] * c * ch;
            q += j2 * self.alp[j] * s * sh;
        }
        let ratio = (1.0 - self.n) / (1.0 + self.n) * tau;
        let k = self.k0 * (self.big_a / self.a) * ratio.hypot(1.0) * (p.hypot(q) / taup.hypot(cl));
        let x = self.x0 + self.k0 * self.big_a * eta;
        let y = self.y0 + self.k0 * self.big_a * xi;
        (x, y, k)
    }

    /// Inverse: (x, y) in metres → (lon, lat) in degrees.
    pub fn inverse(&self, x: f64, y: f64) -> (f64, f64) {
        let xi = (y - self.y0) / (self.k0 * self.big_a);
        let eta = (x - self.x0) / (self.k0 * self.big_a);
        let (mut xip, mut etap) = (xi, eta);
        for j in 1..=6 {
            let j2 = 2.0 * j as f64;
            xip -= self.bet[j] * (j2 * xi).sin() * (j2 * eta).cosh();
            etap -= self.bet[j] * (j2 * xi).cos() * (j2 * eta).sinh();
        }
        let (s, c) = xip.sin_cos();
        let r = etap.sinh().hypot(c);
        let lam = etap.sinh().atan2(c);
        let taup = s / r;
        let phi = self.tauf(taup).atan();
        (self.lon0 + lam.to_degrees(), phi.to_degrees())
    }

    /// The point scale factor at projected (x, y).
    pub fn scale_at(&self, x: f64, y: f64) -> f64 {
        let (lon, lat) = self.inverse(x, y);
        self.forward(lon, lat).2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone41() -> TransverseMercator {
        TransverseMercator::new(Ellipsoid::CGCS2000, 123.0, 1.0, 41_500_000.0, 0.0)
    }

    #[test]
    fn central_meridian_has_scale_k0_and_false_easting() {
        let tm = zone41();
        let (x, _, k) = tm.forward(123.0, 45.8);
        assert!((x - 41_500_000.0).abs() < 1e-9);
        assert!((k - 1.0).abs() < 1e-15);
    }

    #[test]
    fn round_trip_is_nanometre_exact() {
        let tm = zone41();
        for &(lon, lat) in &[(121.6, 44.0), (123.0, 45.8), (124.4, 47.5), (122.1, 3.0)] {
            let (x, y, _) = tm.forward(lon, lat);
            let (lon2, lat2) = tm.inverse(x, y);
            assert!(
                (lon - lon2).abs() < 1e-12 && (lat - lat2).abs() < 1e-12,
                "{lon} {lat}"
            );
        }
    }

    #[test]
    fn scale_grows_as_the_square_of_the_distance_from_the_meridian() {
        // Away from the meridian k ≈ 1 + u²/(2 ρ ν): at u = 120 km and 45.8°N, ρν ≈ (6.378e6)²,
        // so k − 1 ≈ 1.77e-4 (the planar area excess of ~354 ppm quoted for 120 km).
        let tm = zone41();
        let k = tm.scale_at(41_620_000.0, 5_080_000.0);
        let approx = 1.0 + 120_000.0_f64.powi(2) / (2.0 * 6_378_000.0_f64.powi(2));
        assert!((k - approx).abs() < 2e-6, "{k} vs {approx}");
    }
}
