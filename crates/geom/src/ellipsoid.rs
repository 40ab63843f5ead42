//! Reference ellipsoids.

/// A reference ellipsoid: semi-major axis `a` (metres) and flattening `f`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ellipsoid {
    /// Semi-major axis in metres.
    pub a: f64,
    /// Flattening.
    pub f: f64,
    /// The short name PROJ uses for it (`+ellps=`), or "" when given by numbers.
    pub proj_name: &'static str,
}

impl Ellipsoid {
    /// CGCS2000: a = 6378137, 1/f = 298.257222101 (the same a and f as GRS80).
    pub const CGCS2000: Ellipsoid = Ellipsoid {
        a: 6_378_137.0,
        f: 1.0 / 298.257_222_101,
        proj_name: "GRS80",
    };
    /// WGS 84: a = 6378137, 1/f = 298.257223563.
    pub const WGS84: Ellipsoid = Ellipsoid {
        a: 6_378_137.0,
        f: 1.0 / 298.257_223_563,
        proj_name: "WGS84",
    };
    /// Krasovsky 1940 (Beijing 1954): a = 6378245, 1/f = 298.3.
    pub const KRASOVSKY: Ellipsoid = Ellipsoid {
        a: 6_378_245.0,
        f: 1.0 / 298.3,
        proj_name: "krass",
    };
    /// IAG 1975 (Xian 1980): a = 6378140, 1/f = 298.257.
    pub const IAG75: Ellipsoid = Ellipsoid {
        a: 6_378_140.0,
        f: 1.0 / 298.257,
        proj_name: "IAU76",
    };

    /// An ellipsoid from a and inverse flattening, matched to a known one when equal.
    pub fn from_a_rf(a: f64, rf: f64) -> Ellipsoid {
        let f = if rf == 0.0 { 0.0 } else { 1.0 / rf };
        [Self::CGCS2000, Self::WGS84, Self::KRASOVSKY, Self::IAG75]
            .into_iter()
            .find(|e| (e.a - a).abs() < 1e-6 && (e.f - f).abs() < 1e-15)
            .unwrap_or(Ellipsoid {
                a,
                f,
                proj_name: "",
            })
    }

    /// GRS 80 (CGCS2000's) or WGS 84: their flattenings differ by 1.6e-11, a tenth of a
    /// millimetre in the polar radius.
    pub fn is_wgs84_like(&self) -> bool {
        self.a == Self::CGCS2000.a && (self.f - Self::CGCS2000.f).abs() < 1e-9
    }

    /// The PROJ parameters that name this ellipsoid.
    pub fn proj_params(&self) -> String {
        if self.proj_name.is_empty() {
            format!("+a={} +rf={}", self.a, 1.0 / self.f)
        } else {
            format!("+ellps={}", self.proj_name)
        }
    }
}
