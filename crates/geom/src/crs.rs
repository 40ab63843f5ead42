//! Coordinate reference systems: the ones Chinese land data uses (CGCS2000 geographic and its
//! 3°/6° Gauss–Krüger zones), WGS 84 and UTM, recognised from EPSG codes, OGC URNs, ESRI `.prj`
//! WKT and PROJ strings.

use crate::{Ellipsoid, Helmert, TransverseMercator};
use std::fmt;

/// Why a CRS could not be determined.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CrsError {
    /// An EPSG code redline does not know in pure Rust.
    #[error("EPSG:{0} is not a CRS redline knows without the `proj` feature (known: 4490, 4610, 4214, 4326, 4258, the CGCS2000, Xian 1980 and Beijing 1954 Gauss–Krüger zones, 326xx/327xx UTM, 2154, 3857)")]
    UnknownEpsg(u32),
    /// PROJ (feature `proj`) could not read or use the definition.
    #[error("PROJ: {0}")]
    Proj(String),
    /// Text that is neither an EPSG code, an OGC URN, WKT nor a PROJ string.
    #[error("cannot read a CRS from {0:?}")]
    Unrecognised(String),
    /// WKT that does not parse.
    #[error("malformed WKT: {0}")]
    BadWkt(String),
    /// A definition that parses but describes something redline cannot use.
    #[error("unsupported CRS: {0}")]
    Unsupported(String),
}

/// What kind of CRS and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum CrsKind {
    /// Longitude/latitude in degrees (files store lon, lat).
    Geographic {
        /// The ellipsoid.
        ellipsoid: Ellipsoid,
    },
    /// Transverse Mercator / Gauss–Krüger / UTM, in metres.
    TransverseMercator {
        /// The ellipsoid.
        ellipsoid: Ellipsoid,
        /// Central meridian, degrees.
        lon0: f64,
        /// Scale factor on the central meridian.
        k0: f64,
        /// False easting (with the zone prefix where the CRS has one).
        x0: f64,
        /// False northing.
        y0: f64,
    },
    /// Any other projection, described by a PROJ string that proj4rs understands.
    Projected {
        /// The ellipsoid.
        ellipsoid: Ellipsoid,
        /// `+proj=… ` definition.
        proj: String,
    },
}

/// A coordinate reference system.
#[derive(Debug, Clone, PartialEq)]
pub struct Crs {
    /// The EPSG code, when known.
    pub epsg: Option<u32>,
    /// A human name, e.g. `CGCS2000 / 3-degree Gauss-Kruger zone 41`.
    pub name: String,
    /// Its definition.
    pub kind: CrsKind,
    /// The shift from its datum to WGS 84 / CGCS2000, where the datum is a local one (Xian 1980,
    /// Beijing 1954) and the user gave it (`towgs84` in a job, `+towgs84` in a PROJ string,
    /// `TOWGS84[…]` in WKT).
    pub towgs84: Option<Helmert>,
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.epsg {
            Some(code) => write!(f, "EPSG:{code} ({})", self.name)?,
            None => write!(f, "{}", self.name)?,
        }
        match &self.towgs84 {
            Some(h) if !self.name.contains("towgs84") => write!(f, " {}", h.proj_param()),
            _ => Ok(()),
        }
    }
}

impl Crs {
    /// True for longitude/latitude CRSs.
    pub fn is_geographic(&self) -> bool {
        matches!(self.kind, CrsKind::Geographic { .. })
    }

    /// The CRS's ellipsoid.
    pub fn ellipsoid(&self) -> Ellipsoid {
        match &self.kind {
            CrsKind::Geographic { ellipsoid }
            | CrsKind::TransverseMercator { ellipsoid, .. }
            | CrsKind::Projected { ellipsoid, .. } => *ellipsoid,
        }
    }

    /// The Transverse Mercator projection of a TM CRS.
    pub fn transverse_mercator(&self) -> Option<TransverseMercator> {
        match self.kind {
            CrsKind::TransverseMercator {
                ellipsoid,
                lon0,
                k0,
                x0,
                y0,
            } => Some(TransverseMercator::new(ellipsoid, lon0, k0, x0, y0)),
            _ => None,
        }
    }

    /// The PROJ string proj4rs is given for this CRS (Transverse Mercator uses the exact
    /// Poder/Engsager algorithm, as PROJ does).
    pub fn proj_string(&self) -> String {
        match &self.kind {
            CrsKind::Geographic { ellipsoid } => {
                format!("+proj=longlat {} +no_defs", ellipsoid.proj_params())
            }
            CrsKind::TransverseMercator { ellipsoid, lon0, k0, x0, y0 } => format!(
                "+proj=tmerc +lat_0=0 +lon_0={lon0} +k={k0} +x_0={x0} +y_0={y0} {} +units=m +no_defs",
                ellipsoid.proj_params()
            ),
            CrsKind::Projected { proj, .. } => proj.clone(),
        }
    }

    /// Whether two CRSs describe the same coordinates (EPSG code or definition equal, and
    /// datum shifts that agree).
    pub fn same_as(&self, other: &Crs) -> bool {
        let same_definition = match (self.epsg, other.epsg) {
            (Some(a), Some(b)) => a == b,
            _ => self.kind == other.kind,
        };
        same_definition && self.shifts_agree(other)
    }

    /// True when the CRS's datum is WGS 84, CGCS2000 or another GRS 80 / WGS 84-ellipsoid datum
    /// (ETRS89, RGF93): redline treats these as one datum, as PROJ's ballpark does — they differ
    /// by centimetres to a metre, far below a parcel survey's accuracy.
    pub fn is_wgs84_like(&self) -> bool {
        self.ellipsoid().is_wgs84_like()
    }

    /// Equal `towgs84`s; or, on a local datum, one side without: Xian 1980 with its parameters
    /// and Xian 1980 without are the same datum, the parameters only say where it lies. (On a
    /// WGS 84-like datum a missing `towgs84` means "no shift", which a given one contradicts.)
    fn shifts_agree(&self, other: &Crs) -> bool {
        match (self.towgs84, other.towgs84) {
            (a, b) if a == b => true,
            (None, _) | (_, None) => !self.is_wgs84_like() && !other.is_wgs84_like(),
            _ => false,
        }
    }

    /// Whether coordinates can go between the two CRSs without a datum shift: both WGS 84-like,
    /// or both on the same local ellipsoid, with datum shifts that agree.
    pub fn shares_datum_with(&self, other: &Crs) -> bool {
        let same_ellipsoid = (self.is_wgs84_like() && other.is_wgs84_like())
            || self.ellipsoid() == other.ellipsoid();
        same_ellipsoid && self.shifts_agree(other)
    }

    /// The datum shift to WGS 84 this CRS takes part in a transformation with: its own
    /// `towgs84`, zero for WGS 84-like datums, `None` for a local datum without one.
    pub fn shift_to_wgs84(&self) -> Option<Helmert> {
        self.towgs84
            .or_else(|| self.is_wgs84_like().then_some(Helmert::ZERO))
    }

    /// The 3° Gauss–Krüger zone carried in an easting > 1 000 000 (zone = ⌊x / 10⁶⌋).
    pub fn zone_of_easting(x: f64) -> Option<u32> {
        (x > 1_000_000.0 && x < 100_000_000.0).then(|| (x / 1e6).floor() as u32)
    }
}
