//! Area methods: ellipsoidal (the 三调 椭球面积, the default), planar, and the choice of method.
//!
//! The ellipsoidal area of a polygon drawn in a Transverse Mercator plane is the area on the
//! ellipsoid of the region whose image is that polygon. Gauss–Krüger is conformal, so that area
//! is ∬ k⁻² dx dy over the planar polygon, k being the point scale. k⁻² is smooth on the scale of
//! a zone (it changes by ~1e-8 across a kilometre), so a second-order Taylor expansion about the
//! polygon's centre, integrated exactly with the polygon's moments (Green's theorem), is exact to
//! ~1e-13 for parcels and townships alike. That is the fast path.
//!
//! The 三调 rule itself — densify edges every 70 m in the plane, inverse-project the vertices,
//! take the geodesic polygon area on the ellipsoid (GeographicLib) — is kept as
//! [`EllipsoidalArea::densified_geodesic`]; tests show both agree with the PROJ reference values.

use crate::{Crs, CrsKind, Transformer, TransverseMercator};
use geo::{Area, LineString, MultiPolygon, Polygon};
use geographiclib_rs::{Geodesic, PolygonArea, Winding};
use rayon::prelude::*;
use std::str::FromStr;

/// The 三调 densification step: edges longer than this (metres, in the plane) are split.
pub const DENSIFY_STEP_M: f64 = 70.0;

/// How areas are measured (the job's `area = "…"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AreaMethod {
    /// On the CGCS2000 (or the CRS's) ellipsoid: the 三调 椭球面积. The default.
    #[default]
    Ellipsoidal,
    /// Shoelace area in the working CRS.
    Planar,
    /// A piece of a landuse parcel gets `TBMJ × planar(piece) / planar(parcel)`.
    Prorate,
}

impl FromStr for AreaMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ellipsoidal" => Ok(Self::Ellipsoidal),
            "planar" => Ok(Self::Planar),
            "prorate" => Ok(Self::Prorate),
            other => Err(format!(
                "unknown area method {other:?} (ellipsoidal, planar or prorate)"
            )),
        }
    }
}

/// Why an area could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AreaError {
    /// The vertices could not be inverse-projected.
    #[error(transparent)]
    Transform(#[from] crate::TransformError),
}

/// The plain shoelace area (holes subtracted), in CRS units squared.
pub fn planar_area(mp: &MultiPolygon<f64>) -> f64 {
    mp.unsigned_area()
}

/// Measures ellipsoidal areas of polygons given in one CRS.
#[derive(Debug, Clone)]
pub struct EllipsoidalArea {
    geodesic: Geodesic,
    how: How,
}

#[derive(Debug, Clone)]
enum How {
    /// Lon/lat vertices joined by geodesics.
    Geographic,
    /// Transverse Mercator: the conformal integral.
    Conformal(TransverseMercator),
    /// Any other projection: densify, inverse-project, geodesic area.
    Densified(Box<Transformer>),
}

impl EllipsoidalArea {
    /// The measure for polygons in `crs`.
    pub fn for_crs(crs: &Crs) -> Result<EllipsoidalArea, AreaError> {
        let e = crs.ellipsoid();
        let how = match &crs.kind {
            CrsKind::Geographic { .. } => How::Geographic,
            CrsKind::TransverseMercator { .. } => match crs.transverse_mercator() {
                Some(tm) => How::Conformal(tm),
                None => How::Densified(Box::new(Transformer::new(crs, &geographic_of(crs))?)),
            },
            CrsKind::Projected { .. } => {
                How::Densified(Box::new(Transformer::new(crs, &geographic_of(crs))?))
            }
        };
        Ok(EllipsoidalArea {
            geodesic: Geodesic::new(e.a, e.f),
            how,
        })
    }

    /// The ellipsoidal area of a multipolygon (holes subtracted), m².
    pub fn area(&self, mp: &MultiPolygon<f64>) -> Result<f64, AreaError> {
        match &self.how {
            How::Geographic => Ok(mp
                .iter()
                .map(|p| self.geodesic_polygon(p, Ok))
                .sum::<Result<f64, _>>()?),
            How::Conformal(tm) => Ok(mp.iter().map(|p| conformal_area(tm, p)).sum()),
            How::Densified(t) => self.densified_with(t, mp, DENSIFY_STEP_M),
        }
    }

    /// A measurer with a scale-field cache, for many polygons on one thread.
    pub fn cached(&self) -> CachedArea<'_> {
        CachedArea {
            measure: self,
            cells: crate::FastMap::default(),
        }
    }

    /// The 三调 method written out: densify every `step` metres in the plane, inverse-project,
    /// geodesic polygon area. For geographic CRSs the vertices are used as they are.
    pub fn densified_geodesic(
        &self,
        crs: &Crs,
        mp: &MultiPolygon<f64>,
        step: f64,
    ) -> Result<f64, AreaError> {
        if crs.is_geographic() {
            return self.area(mp);
        }
        let t = Transformer::new(crs, &geographic_of(crs))?;
        self.densified_with(&t, mp, step)
    }

    fn densified_with(
        &self,
        t: &Transformer,
        mp: &MultiPolygon<f64>,
        step: f64,
    ) -> Result<f64, AreaError> {
        mp.iter()
            .map(|p| {
                let dense = densify_polygon(p, step);
                self.geodesic_polygon(&dense, |c| Ok(t.point(c.0, c.1)?))
            })
            .sum()
    }

    /// Geodesic area of a polygon whose vertices `to_lonlat` maps to lon/lat degrees.
    fn geodesic_polygon(
        &self,
        p: &Polygon<f64>,
        to_lonlat: impl Fn((f64, f64)) -> Result<(f64, f64), AreaError>,
    ) -> Result<f64, AreaError> {
        let ring_area = |ring: &LineString<f64>| -> Result<f64, AreaError> {
            let mut pa = PolygonArea::new(&self.geodesic, Winding::CounterClockwise);
            let n = ring.0.len().saturating_sub(1); // the closing vertex repeats the first
            for c in &ring.0[..n] {
                let (lon, lat) = to_lonlat((c.x, c.y))?;
                pa.add_point(lat, lon);
            }
            Ok(pa.compute(true).1.abs())
        };
        let holes: f64 = p
            .interiors()
            .iter()
            .map(ring_area)
            .sum::<Result<f64, _>>()?;
        Ok(ring_area(p.exterior())? - holes)
    }
}

fn geographic_of(crs: &Crs) -> Crs {
    Crs {
        epsg: None,
        name: format!("geographic of {}", crs.name),
        kind: CrsKind::Geographic {
            ellipsoid: crs.ellipsoid(),
        },
        towgs84: crs.towgs84,
    }
}

/// Splits every edge longer than `step` into equal parts no longer than `step`.
fn densify_polygon(p: &Polygon<f64>, step: f64) -> Polygon<f64> {
    let densify = |ring: &LineString<f64>| {
        let mut out = Vec::with_capacity(ring.0.len());
        for w in ring.0.windows(2) {
            let (a, b) = (w[0], w[1]);
            let parts = ((b.x - a.x).hypot(b.y - a.y) / step).ceil().max(1.0) as usize;
            out.extend((0..parts).map(|i| {
                let t = i as f64 / parts as f64;
                geo::coord! { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t }
            }));
        }
        out.extend(ring.0.last().copied());
        LineString(out)
    };
    Polygon::new(
        densify(p.exterior()),
        p.interiors().iter().map(densify).collect(),
    )
}

/// k⁻² to second order about a point: value, gradient and Hessian.
#[derive(Debug, Clone, Copy)]
struct Quadratic {
    f: f64,
    fx: f64,
    fy: f64,
    fxx: f64,
    fxy: f64,
    fyy: f64,
}

impl Quadratic {
    /// The expansion of k⁻² about (x0, y0) by finite differences on a 1 km stencil: k⁻² is a
    /// polynomial to ~1e-13 at that scale.
    fn at(tm: &TransverseMercator, x0: f64, y0: f64) -> Quadratic {
        const H: f64 = 1000.0;
        let f = |dx: f64, dy: f64| tm.scale_at(x0 + dx, y0 + dy).powi(-2);
        let f00 = f(0.0, 0.0);
        let (fxp, fxm, fyp, fym) = (f(H, 0.0), f(-H, 0.0), f(0.0, H), f(0.0, -H));
        Quadratic {
            f: f00,
            fx: (fxp - fxm) / (2.0 * H),
            fy: (fyp - fym) / (2.0 * H),
            fxx: (fxp - 2.0 * f00 + fxm) / (H * H),
            fyy: (fyp - 2.0 * f00 + fym) / (H * H),
            fxy: (f(H, H) - f(H, -H) - f(-H, H) + f(-H, -H)) / (4.0 * H * H),
        }
    }

    /// The same quadratic expanded about a point (dx, dy) away (exact for a quadratic; the
    /// dropped third-order terms of k⁻² are below 1e-12 relative within a couple of km).
    fn shifted(&self, dx: f64, dy: f64) -> Quadratic {
        Quadratic {
            f: self.f
                + self.fx * dx
                + self.fy * dy
                + 0.5 * self.fxx * dx * dx
                + self.fxy * dx * dy
                + 0.5 * self.fyy * dy * dy,
            fx: self.fx + self.fxx * dx + self.fxy * dy,
            fy: self.fy + self.fxy * dx + self.fyy * dy,
            ..*self
        }
    }

    /// ∬ of the quadratic over a region with moments `m` about the expansion point.
    fn integrate(&self, m: &Moments) -> f64 {
        self.f * m.m00
            + self.fx * m.m10
            + self.fy * m.m01
            + 0.5 * self.fxx * m.m20
            + self.fxy * m.m11
            + 0.5 * self.fyy * m.m02
    }
}

fn bbox_center(p: &Polygon<f64>) -> Option<(f64, f64)> {
    let bbox = crate::envelope::polygon_envelope(p)?;
    Some((bbox.center().x, bbox.center().y))
}

/// ∬ k⁻² dx dy over the polygon, with k⁻² expanded to second order about the polygon's
/// bounding-box centre and integrated exactly through the polygon's moments.
fn conformal_area(tm: &TransverseMercator, p: &Polygon<f64>) -> f64 {
    let Some((x0, y0)) = bbox_center(p) else {
        return 0.0;
    };
    Quadratic::at(tm, x0, y0).integrate(&Moments::of_polygon(p, x0, y0))
}

/// An [`EllipsoidalArea`] with a cache of the scale field on a 2 km grid, for measuring many
/// polygons: each polygon re-expands its grid cell's quadratic instead of evaluating the
/// projection nine times. Not shared between threads: make one per worker.
pub struct CachedArea<'a> {
    measure: &'a EllipsoidalArea,
    cells: crate::FastMap<(i64, i64), Quadratic>,
}

const CACHE_CELL_M: f64 = 2000.0;

/// The cache cell of a point, and the cell's centre.
fn cell_of(x0: f64, y0: f64) -> ((i64, i64), (f64, f64)) {
    let key = (
        (x0 / CACHE_CELL_M).floor() as i64,
        (y0 / CACHE_CELL_M).floor() as i64,
    );
    let centre = (
        (key.0 as f64 + 0.5) * CACHE_CELL_M,
        (key.1 as f64 + 0.5) * CACHE_CELL_M,
    );
    (key, centre)
}

impl CachedArea<'_> {
    /// The ellipsoidal area of a multipolygon, m² (agrees with [`EllipsoidalArea::area`] to
    /// ~1e-12 relative).
    pub fn area(&mut self, mp: &MultiPolygon<f64>) -> Result<f64, AreaError> {
        let How::Conformal(tm) = &self.measure.how else {
            return self.measure.area(mp);
        };
        Ok(conformal_sum(mp, |key, (cx, cy)| {
            *self
                .cells
                .entry(key)
                .or_insert_with(|| Quadratic::at(tm, cx, cy))
        }))
    }

    /// Fills the cache for every cell one of `geoms`' polygons is centred in, each cell
    /// computed once and the cells in parallel: then [`CachedArea::area_filled`] serves every
    /// thread from one cache (a cache per thread computed most cells once per thread).
    pub fn fill<'g>(&mut self, geoms: impl ParallelIterator<Item = &'g MultiPolygon<f64>>) {
        let How::Conformal(tm) = &self.measure.how else {
            return;
        };
        // A county's polygons fall in a few hundred cells: each thread gathers its cells in a
        // small map rather than a key per polygon in one long list to sort.
        type Cells = crate::FastMap<(i64, i64), (f64, f64)>;
        let gathered = geoms
            .flat_map_iter(|g| g.iter().filter_map(bbox_center))
            .fold(Cells::default, |mut cells, (x0, y0)| {
                let (key, centre) = cell_of(x0, y0);
                cells.insert(key, centre);
                cells
            })
            .reduce(Cells::default, |mut a, b| {
                a.extend(b);
                a
            });
        let keys: Vec<_> = gathered
            .into_iter()
            .filter(|(key, _)| !self.cells.contains_key(key))
            .collect();
        let cells: Vec<_> = keys
            .par_iter()
            .map(|&(key, (cx, cy))| (key, Quadratic::at(tm, cx, cy)))
            .collect();
        self.cells.extend(cells);
    }

    /// [`CachedArea::area`] from the cache as it is, from any thread (the same value: a cell
    /// not filled is computed for this polygon alone).
    pub fn area_filled(&self, mp: &MultiPolygon<f64>) -> Result<f64, AreaError> {
        let How::Conformal(tm) = &self.measure.how else {
            return self.measure.area(mp);
        };
        Ok(conformal_sum(mp, |key, (cx, cy)| {
            match self.cells.get(&key) {
                Some(q) => *q,
                None => Quadratic::at(tm, cx, cy),
            }
        }))
    }
}

/// The conformal area of each polygon from its cell's quadratic (`cell(key, centre)`), summed.
fn conformal_sum(
    mp: &MultiPolygon<f64>,
    mut cell: impl FnMut((i64, i64), (f64, f64)) -> Quadratic,
) -> f64 {
    let mut total = 0.0;
    for p in mp {
        let Some((x0, y0)) = bbox_center(p) else {
            continue;
        };
        let (key, (cx, cy)) = cell_of(x0, y0);
        total += cell(key, (cx, cy))
            .shifted(x0 - cx, y0 - cy)
            .integrate(&Moments::of_polygon(p, x0, y0));
    }
    total
}

/// Area moments ∬ uᵃ vᵇ du dv of a polygon in coordinates u = x − x0, v = y − y0.
#[derive(Debug, Default)]
struct Moments {
    m00: f64,
    m10: f64,
    m01: f64,
    m20: f64,
    m11: f64,
    m02: f64,
}

impl Moments {
    fn of_polygon(p: &Polygon<f64>, x0: f64, y0: f64) -> Moments {
        let mut m = Moments::default();
        let ext = ring_moments(p.exterior(), x0, y0);
        // Signed ring moments: orient by the exterior's sign, subtract holes by their own sign.
        let sign = if ext.m00 < 0.0 { -1.0 } else { 1.0 };
        m.add(&ext, sign);
        for hole in p.interiors() {
            let h = ring_moments(hole, x0, y0);
            m.add(&h, if h.m00 < 0.0 { 1.0 } else { -1.0 });
        }
        m
    }

    fn add(&mut self, o: &Moments, s: f64) {
        self.m00 += s * o.m00;
        self.m10 += s * o.m10;
        self.m01 += s * o.m01;
        self.m20 += s * o.m20;
        self.m11 += s * o.m11;
        self.m02 += s * o.m02;
    }
}

/// Signed moments of a closed ring (positive when counter-clockwise), by Green's theorem.
fn ring_moments(ring: &LineString<f64>, x0: f64, y0: f64) -> Moments {
    let mut m = Moments::default();
    for w in ring.0.windows(2) {
        let (ua, va) = (w[0].x - x0, w[0].y - y0);
        let (ub, vb) = (w[1].x - x0, w[1].y - y0);
        let cross = ua * vb - ub * va;
        m.m00 += cross / 2.0;
        m.m10 += cross * (ua + ub) / 6.0;
        m.m01 += cross * (va + vb) / 6.0;
        m.m20 += cross * (ua * ua + ua * ub + ub * ub) / 12.0;
        m.m02 += cross * (va * va + va * vb + vb * vb) / 12.0;
        m.m11 += cross * (2.0 * ua * va + ua * vb + ub * va + 2.0 * ub * vb) / 24.0;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn moments_of_a_unit_square() {
        let p = polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 0.0, y: 1.0)];
        let m = Moments::of_polygon(&p, 0.0, 0.0);
        // ∬ over [0,2]×[0,1]: area 2, ∬u = 2, ∬v = 1, ∬u² = 8/3, ∬uv = 1, ∬v² = 2/3.
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(m.m00, 2.0) && close(m.m10, 2.0) && close(m.m01, 1.0));
        assert!(close(m.m20, 8.0 / 3.0) && close(m.m11, 1.0) && close(m.m02, 2.0 / 3.0));
    }

    #[test]
    fn cached_area_agrees_with_direct_area() {
        let crs = crate::Crs::from_epsg(4529).unwrap();
        let measure = EllipsoidalArea::for_crs(&crs).unwrap();
        let mut cached = measure.cached();
        // Parcels spread over 150 km of the zone, including a 20 km one.
        for k in 0..50 {
            let (x, y) = (
                41_420_000.0 + 3_000.0 * k as f64,
                5_000_000.0 + 1_777.0 * k as f64,
            );
            let s = if k == 7 { 20_000.0 } else { 60.0 + k as f64 };
            let mp = MultiPolygon(vec![
                polygon![(x: x, y: y), (x: x + s, y: y + 3.0), (x: x + s, y: y + s), (x: x, y: y + 0.7 * s)],
            ]);
            let (a, b) = (measure.area(&mp).unwrap(), cached.area(&mp).unwrap());
            assert!(((a - b) / a).abs() < 1e-12, "{k}: {a} vs {b}");
        }
    }

    #[test]
    fn a_filled_cache_gives_the_values_of_a_cache_filled_as_it_goes() {
        let crs = crate::Crs::from_epsg(4529).unwrap();
        let measure = EllipsoidalArea::for_crs(&crs).unwrap();
        let parcels: Vec<MultiPolygon<f64>> = (0..400)
            .map(|k| {
                let (x, y) = (
                    41_420_000.0 + 377.0 * k as f64,
                    5_000_000.0 + 911.0 * (k % 37) as f64,
                );
                let s = 40.0 + (k % 13) as f64;
                MultiPolygon(vec![
                    polygon![(x: x, y: y), (x: x + s, y: y + 3.0), (x: x + s, y: y + s), (x: x, y: y + 0.7 * s)],
                ])
            })
            .collect();
        let refs: Vec<&MultiPolygon<f64>> = parcels.iter().collect();
        let mut as_it_goes = measure.cached();
        let mut filled = measure.cached();
        filled.fill(refs[..300].par_iter().copied());
        let cells = filled.cells.len();
        assert!(cells > 20, "{cells} cells");
        for (k, g) in parcels.iter().enumerate() {
            // Bit for bit, for the parcels filled for and the 100 that were not.
            let want = as_it_goes.area(g).unwrap();
            assert_eq!(
                filled.area_filled(g).unwrap().to_bits(),
                want.to_bits(),
                "{k}"
            );
        }
        assert_eq!(filled.cells.len(), cells);
        assert!(as_it_goes.cells.len() > cells);
    }

    #[test]
    fn area_method_names() {
        assert_eq!("prorate".parse(), Ok(AreaMethod::Prorate));
        assert!("square".parse::<AreaMethod>().is_err());
    }
}
