//! Area units. The internal unit is the square metre (f64); hectares (公顷) and 亩 (mu) exist
//! only at the edges, and rounding happens only when writing.

/// Square metres in one hectare (公顷).
pub const M2_PER_HA: f64 = 10_000.0;
/// Square metres in one 亩 (mu): 2000/3 m², so that 1 ha = 15 mu exactly.
pub const M2_PER_MU: f64 = 2000.0 / 3.0;

/// Square metres to hectares.
pub fn m2_to_ha(m2: f64) -> f64 {
    m2 / M2_PER_HA
}

/// Square metres to 亩. Computed as `m2 * 3 / 2000`, which is exact for every m² value that is
/// a multiple of 2000/3 representable in f64 (the division by 2000/3 would round twice).
pub fn m2_to_mu(m2: f64) -> f64 {
    m2 * 3.0 / 2000.0
}

/// Hectares to square metres.
pub fn ha_to_m2(ha: f64) -> f64 {
    ha * M2_PER_HA
}

/// 亩 to square metres.
pub fn mu_to_m2(mu: f64) -> f64 {
    mu * 2000.0 / 3.0
}

/// A unit a table column can be given in (`_m2`, `_ha`, `_mu` suffixes of the targets CSV).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AreaUnit {
    /// Square metres.
    SquareMetre,
    /// Hectares (公顷).
    Hectare,
    /// 亩.
    Mu,
}

impl AreaUnit {
    /// The unit named by a column suffix: `m2`, `ha` or `mu` (case-insensitive).
    pub fn from_suffix(suffix: &str) -> Option<Self> {
        match suffix.to_ascii_lowercase().as_str() {
            "m2" => Some(Self::SquareMetre),
            "ha" => Some(Self::Hectare),
            "mu" => Some(Self::Mu),
            _ => None,
        }
    }

    /// A value in this unit, in square metres.
    pub fn to_m2(self, value: f64) -> f64 {
        match self {
            Self::SquareMetre => value,
            Self::Hectare => ha_to_m2(value),
            Self::Mu => mu_to_m2(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_are_exact() {
        assert_eq!(m2_to_ha(10_000.0), 1.0);
        assert_eq!(m2_to_ha(123_456.0), 12.3456);
        assert_eq!(m2_to_mu(2000.0), 3.0);
        assert_eq!(m2_to_mu(10_000.0), 15.0);
        assert_eq!(m2_to_mu(1_000_000.0), 1500.0);
        assert_eq!(mu_to_m2(15.0), 10_000.0);
        assert_eq!(mu_to_m2(3.0), 2000.0);
        assert_eq!(ha_to_m2(2.5), 25_000.0);
        // 1 ha = 15 mu, both ways.
        assert_eq!(m2_to_mu(ha_to_m2(1.0)), 15.0);
        assert_eq!(m2_to_ha(mu_to_m2(15.0)), 1.0);
    }

    #[test]
    fn unit_suffixes() {
        assert_eq!(AreaUnit::from_suffix("HA"), Some(AreaUnit::Hectare));
        assert_eq!(
            AreaUnit::from_suffix("mu").map(|u| u.to_m2(1.5)),
            Some(1000.0)
        );
        assert_eq!(AreaUnit::from_suffix("acre"), None);
    }
}
