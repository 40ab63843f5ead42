//! Seven-parameter Helmert (Bursa–Wolf) datum shifts, as PROJ's `+towgs84` takes them.
//!
//! Xian 1980 and Beijing 1954 are local datums: their latitudes and longitudes differ from
//! CGCS2000's by tens of metres, and EPSG publishes no transformation to CGCS2000 for them.
//! Bureaus get seven parameters for their area (fitted on common points) and give them here.

use std::fmt;
use std::str::FromStr;

/// A datum shift to WGS 84 / CGCS2000 in PROJ's `+towgs84` convention: translations in metres,
/// rotations in arc-seconds in the *position vector* convention (EPSG method 9606), scale
/// difference in ppm. Parameters published in the *coordinate frame* convention (EPSG 9607,
/// ArcGIS's `Coordinate_Frame`) become position vector ones by negating the three rotations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Helmert {
    /// dx, dy, dz (m), rx, ry, rz (″), ds (ppm).
    pub params: [f64; 7],
}

/// Why `towgs84` text was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("towgs84 {text:?}: {reason}")]
pub struct HelmertError {
    /// The text given.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Helmert {
    /// The zero shift (the datum is WGS 84 / CGCS2000 itself).
    pub const ZERO: Helmert = Helmert { params: [0.0; 7] };

    /// A shift from 3 (translations only) or 7 numbers.
    pub fn from_slice(values: &[f64]) -> Option<Helmert> {
        let mut params = [0.0; 7];
        match values.len() {
            3 | 7 if values.iter().all(|v| v.is_finite()) => {
                params[..values.len()].copy_from_slice(values);
                Some(Helmert { params })
            }
            _ => None,
        }
    }

    /// The `+towgs84=…` PROJ parameter.
    pub fn proj_param(&self) -> String {
        format!("+towgs84={self}")
    }
}

impl fmt::Display for Helmert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let texts: Vec<String> = self.params.iter().map(|p| p.to_string()).collect();
        f.write_str(&texts.join(","))
    }
}

impl FromStr for Helmert {
    type Err = HelmertError;

    /// `"dx,dy,dz"` or `"dx,dy,dz,rx,ry,rz,ds"`; commas and/or spaces separate.
    fn from_str(text: &str) -> Result<Helmert, HelmertError> {
        let fail = |reason: String| HelmertError {
            text: text.to_string(),
            reason,
        };
        let values = text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<f64>()
                    .map_err(|_| fail(format!("{s:?} is not a number")))
            })
            .collect::<Result<Vec<f64>, _>>()?;
        Helmert::from_slice(&values).ok_or_else(|| {
            fail(format!(
                "{} finite numbers; give 3 (dx,dy,dz in m) or 7 (… rx,ry,rz in arc-seconds, ds in ppm)",
                values.len()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_three_or_seven_numbers() {
        let h: Helmert = "15.8, -154.4, -82.3".parse().unwrap();
        assert_eq!(h.params, [15.8, -154.4, -82.3, 0.0, 0.0, 0.0, 0.0]);
        let h: Helmert = "24 -123 -94 0.02 -0.25 -0.13 1.1".parse().unwrap();
        assert_eq!(h.params[6], 1.1);
        assert_eq!(h.proj_param(), "+towgs84=24,-123,-94,0.02,-0.25,-0.13,1.1");
        assert_eq!(h.to_string().parse::<Helmert>().unwrap(), h);
    }

    #[test]
    fn refuses_other_counts_and_non_numbers() {
        let e = "1,2".parse::<Helmert>().unwrap_err();
        assert!(e.to_string().contains("2 finite numbers"), "{e}");
        let e = "1,2,x".parse::<Helmert>().unwrap_err();
        assert!(e.to_string().contains("\"x\" is not a number"), "{e}");
        assert!("1,2,NaN".parse::<Helmert>().is_err());
    }
}
