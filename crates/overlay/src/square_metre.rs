//! The data-issue limits are square metres (a square decimetre of overlap, a square metre of
//! gap), while the checks measure planar areas in the working CRS: square metres in a projected
//! CRS, square degrees in a geographic one (EPSG:4490, which the 三调 data may come in), where a
//! limit of 0.01 taken as it is would be 0.01 square degrees, some 87 hectares.

use crate::model::County;
use crate::prepared::AreaFailure;
use crate::Settings;
use geo::Area;
use redline_geom::EllipsoidalArea;

/// A square metre in the working CRS's planar units.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SquareMetre {
    /// Planar units per square metre.
    per_m2: f64,
    geographic: bool,
}

impl SquareMetre {
    /// A projected CRS's: the planar unit is the square metre.
    pub(crate) const PROJECTED: SquareMetre = SquareMetre {
        per_m2: 1.0,
        geographic: false,
    };

    /// The working CRS's. In a geographic CRS, the townships' planar area over their
    /// ellipsoidal area: the county's mean, within the cosine of the latitudes it spans (about
    /// 1 % over a county), which is all the limits and the issues' figures need.
    pub(crate) fn of(county: &County, settings: &Settings) -> Result<Self, AreaFailure> {
        if !settings.crs.is_geographic() {
            return Ok(SquareMetre::PROJECTED);
        }
        let failure = |feature, e| AreaFailure {
            layer: "townships",
            feature,
            method: "ellipsoidal",
            cause: Box::new(e),
        };
        let measure = EllipsoidalArea::for_crs(&settings.crs).map_err(|e| failure(0, e))?;
        let (mut planar, mut ellipsoidal) = (0.0, 0.0);
        for (k, town) in county.townships.iter().enumerate() {
            planar += town.geometry.unsigned_area();
            ellipsoidal += measure.area(&town.geometry).map_err(|e| failure(k, e))?;
        }
        // Without townships nothing is checked; a degree at the equator keeps it defined.
        let per_m2 = if planar > 0.0 && ellipsoidal > 0.0 {
            planar / ellipsoidal
        } else {
            1.0 / (111_320.0 * 111_320.0)
        };
        Ok(SquareMetre {
            per_m2,
            geographic: true,
        })
    }

    /// `m2` square metres in planar units.
    pub(crate) fn planar(self, m2: f64) -> f64 {
        m2 * self.per_m2
    }

    /// A planar area in square metres.
    pub(crate) fn m2(self, planar: f64) -> f64 {
        planar / self.per_m2
    }

    /// What the issues' figures are: planar areas, scaled from square degrees in a
    /// geographic CRS.
    pub(crate) fn label(self) -> &'static str {
        if self.geographic {
            "planar, scaled from square degrees"
        } else {
            "planar"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_projected_crs_measures_in_square_metres() {
        let m = SquareMetre::PROJECTED;
        assert_eq!(
            (m.planar(0.01), m.m2(2.5), m.label()),
            (0.01, 2.5, "planar")
        );
    }
}
