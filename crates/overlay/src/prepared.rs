//! Layers prepared for the overlay — geometries, planar areas, area scales and an R-tree — and
//! neighbourhoods ("which of these are near that"). A leaf module: the families and the engine
//! depend on it, it depends on none of them.

use crate::model::{BasicFarmland, Parcel, Settings};
use crate::sharing::same_allocations;
use geo::{Area, BooleanOps, Coord, MultiPolygon, Rect};
use rayon::prelude::*;
use redline_geom::{envelope, AreaMethod, EllipsoidalArea};
use redline_index::EnvelopeIndex;
use std::sync::Arc;

/// A reported area that could not be measured: the run stops rather than fall back to another
/// method (a planar area is up to 560 ppm off in Gauss–Krüger and must never pass for the
/// ellipsoidal one).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{layer} feature #{feature}: the {method} area cannot be measured: {cause}")]
pub struct AreaFailure {
    /// The layer (`landuse`, `basic_farmland`, `supplements`, `changes`).
    pub layer: &'static str,
    /// The feature's position in the engine's list of that layer.
    pub feature: usize,
    /// The area method asked for.
    pub method: &'static str,
    /// Why (boxed: the error travels through every `Result` of the engine).
    pub cause: Box<redline_geom::AreaError>,
}

/// Area per unit of planar area of each feature, by the job's method: the scale that turns a
/// piece's planar area into its reported area (the scale does not change measurably across one
/// parcel, so pieces need no re-projection); `None` for planar areas, where every scale is 1.
/// An area that cannot be measured is an error. `known(k)`, where it gives one, is feature
/// `k`'s scale measured already (a geometry shared with a layer measured alike): taken as it
/// is, and its cells not filled. `layer`'s geometries and planar areas are its own already.
fn scales(
    name: &'static str,
    layer: &Prepared,
    settings: &Settings,
    known: impl Fn(usize) -> Option<f64> + Sync,
) -> Result<Option<Vec<f64>>, AreaFailure> {
    let failure = |feature, source| AreaFailure {
        layer: name,
        feature,
        method: "ellipsoidal",
        cause: Box::new(source),
    };
    let measure = match settings.area {
        // Every branch below gives 1 for planar areas: the scale of a shared geometry is its
        // base's, measured alike, and so 1 too.
        AreaMethod::Planar => return Ok(None),
        _ => EllipsoidalArea::for_crs(&settings.crs).map_err(|e| failure(0, e))?,
    };
    let (geoms, planar) = (&layer.geoms, |k| layer.planar(k));
    let official = |k: usize| geoms.official_area(k);
    // Prorating, a parcel with its official area is not measured: its cells need no filling.
    let measured = |k: usize| {
        known(k).is_none()
            && planar(k) > 0.0
            && !(settings.area == AreaMethod::Prorate && official(k).is_some())
    };
    let mut cached = measure.cached();
    let to_measure = geoms.par_iter().enumerate().filter(|&(k, _)| measured(k));
    cached.fill(to_measure.map(|(_, g)| g));
    geoms
        .par_iter()
        .enumerate()
        .map(|(k, g)| {
            if let Some(scale) = known(k) {
                return Ok(scale);
            }
            let p = planar(k);
            if p <= 0.0 {
                return Ok(1.0);
            }
            match (settings.area, official(k)) {
                (AreaMethod::Prorate, Some(tbmj)) => Ok(tbmj / p),
                _ => cached
                    .area_filled(g)
                    .map(|a| a / p)
                    .map_err(|e| failure(k, e)),
            }
        })
        .collect::<Result<Vec<f64>, AreaFailure>>()
        .map(Some)
}

/// Where a prepared layer's geometries are: in its features, for the parcels and the basic
/// farmland (a list of references was 8 bytes a feature, for a million and a half features at
/// a million parcels, kept through the overlay), or listed.
pub(crate) enum Geoms<'a> {
    /// Land-use parcels' geometries; their official areas make the scales when prorating.
    Parcels(&'a [Parcel]),
    /// Basic-farmland polygons.
    Farmland(&'a [BasicFarmland]),
    /// Any other geometries.
    Listed(Vec<&'a MultiPolygon<f64>>),
}

impl<'a> Geoms<'a> {
    /// Geometry `k`.
    #[inline]
    pub fn get(&self, k: usize) -> &'a MultiPolygon<f64> {
        match self {
            Geoms::Parcels(p) => {
                let p: &'a [Parcel] = p;
                &p[k].geometry
            }
            Geoms::Farmland(b) => {
                let b: &'a [BasicFarmland] = b;
                &b[k].geometry
            }
            Geoms::Listed(g) => g[k],
        }
    }

    /// How many geometries.
    pub fn len(&self) -> usize {
        match self {
            Geoms::Parcels(p) => p.len(),
            Geoms::Farmland(b) => b.len(),
            Geoms::Listed(g) => g.len(),
        }
    }

    /// The geometries in order, in parallel.
    pub fn par_iter(
        &self,
    ) -> impl IndexedParallelIterator<Item = &'a MultiPolygon<f64>> + Clone + '_ {
        (0..self.len()).into_par_iter().map(|k| self.get(k))
    }

    /// Feature `k`'s official area: a parcel's, where it has one.
    fn official_area(&self, k: usize) -> Option<f64> {
        match self {
            Geoms::Parcels(p) => p[k].official_area,
            _ => None,
        }
    }
}

impl<'a> From<Vec<&'a MultiPolygon<f64>>> for Geoms<'a> {
    fn from(geoms: Vec<&'a MultiPolygon<f64>>) -> Self {
        Geoms::Listed(geoms)
    }
}

/// A layer prepared for overlay: geometries, planar areas, area scales, envelopes.
pub(crate) struct Prepared<'a> {
    pub geoms: Geoms<'a>,
    /// Each feature's area scale; `None` where every scale is 1 (planar areas asked for).
    scale: Option<Vec<f64>>,
    /// Planar areas and envelopes: of every feature, or, for a layer drawn on a base, of the
    /// features it does not share with the base.
    measures: Arc<Measures>,
    /// For a layer drawn on a base: the base's measures, and where each feature's are.
    base: Option<(Arc<Measures>, Vec<Slot>)>,
}

/// Planar areas and envelopes, computed once (every township whose envelope overlaps asks
/// again).
struct Measures {
    planar: Vec<f64>,
    bboxes: Envelopes,
}

impl Measures {
    /// The planar areas and envelopes of `geoms`, in order.
    fn of<'g>(geoms: impl IndexedParallelIterator<Item = &'g MultiPolygon<f64>> + Clone) -> Self {
        Measures {
            planar: geoms.clone().map(|g| g.unsigned_area()).collect(),
            bboxes: geoms.map(envelope).collect(),
        }
    }
}

/// Where a feature's measures are: the base's position with [`IN_BASE`] set, else the
/// position among the layer's own.
type Slot = u32;

/// A [`Slot`]'s flag for a position in the base's measures.
const IN_BASE: Slot = 1 << 31;

/// A layer's envelopes, `None` for an empty geometry, without an `Option` each (40 → 32 bytes,
/// for a million and a half geometries at a million parcels): an empty geometry's is kept as
/// NaN corners, which no other envelope has (a non-finite coordinate drops its feature on
/// ingest).
pub(crate) struct Envelopes(Vec<Rect<f64>>);

impl Envelopes {
    /// Geometry `k`'s envelope.
    pub fn get(&self, k: usize) -> Option<Rect<f64>> {
        let r = self.0[k];
        (!r.min().x.is_nan()).then_some(r)
    }
}

impl FromParallelIterator<Option<Rect<f64>>> for Envelopes {
    fn from_par_iter<I: IntoParallelIterator<Item = Option<Rect<f64>>>>(boxes: I) -> Self {
        let none = Rect::new(
            Coord::from((f64::NAN, f64::NAN)),
            Coord::from((f64::NAN, f64::NAN)),
        );
        Envelopes(boxes.into_par_iter().map(|b| b.unwrap_or(none)).collect())
    }
}

impl<'a> Prepared<'a> {
    /// Measures every geometry of a layer.
    pub(crate) fn new(
        layer: &'static str,
        geoms: Geoms<'a>,
        settings: &Settings,
    ) -> Result<Self, AreaFailure> {
        Self::over(layer, geoms, settings, None)
    }

    /// [`Prepared::new`] for a layer whose geometries may be `base`'s own allocations (the job
    /// shares the basic farmland drawn on the parcels, and the unchanged parcels of the previous
    /// vintage, with the current parcels): a shared geometry's planar area and envelope are
    /// read from the base's (kept once: 40 bytes a geometry, for half a million basic farmland
    /// polygons at a million parcels), and its scale is taken from the base's where the base's
    /// scales apply (`base.1`: both layers measured alike), instead of walking its coordinates
    /// again — the same functions of the same geometry, the same bits.
    pub(crate) fn over(
        layer: &'static str,
        geoms: Geoms<'a>,
        settings: &Settings,
        base: Option<(&Prepared<'_>, bool)>,
    ) -> Result<Self, AreaFailure> {
        // A base drawn on a base of its own would need its slots followed: not shared from
        // (nor is a layer too long for a slot to name its own features).
        let base = base.filter(|(b, _)| b.base.is_none() && geoms.len() < IN_BASE as usize);
        let in_base = base.map_or_else(Vec::new, |(b, _)| positions_in(&geoms, &b.geoms));
        // Feature k's position in the base, when it is a base geometry (and slots can say so).
        let fits = |j: usize| Slot::try_from(j).is_ok_and(|j| j < IN_BASE);
        let shared = |k: usize| in_base.get(k).copied().flatten().filter(|&j| fits(j));
        let measures = Arc::new(match base {
            Some(_) => {
                let own: Vec<usize> = (0..geoms.len()).filter(|&k| shared(k).is_none()).collect();
                Measures::of(own.par_iter().map(|&k| geoms.get(k)))
            }
            None => Measures::of(geoms.par_iter()),
        });
        let (base, same_scales) = base.map_or((None, false), |(b, same)| (Some(b), same));
        let slots = base.map(|_| {
            let mut next: Slot = 0;
            (0..geoms.len())
                .map(|k| match shared(k) {
                    Some(j) => j as Slot | IN_BASE,
                    None => {
                        next += 1;
                        next - 1
                    }
                })
                .collect()
        });
        let mut prepared = Prepared {
            geoms,
            scale: None,
            measures,
            base: base
                .zip(slots)
                .map(|(b, slots)| (b.measures.clone(), slots)),
        };
        let known = |k: usize| {
            let b = base.filter(|_| same_scales)?;
            shared(k).map(|j| b.scale(j))
        };
        let scale = scales(layer, &prepared, settings, known)?;
        prepared.scale = scale;
        Ok(prepared)
    }

    /// Where feature `k`'s planar area and envelope are.
    fn measures_of(&self, k: usize) -> (&Measures, usize) {
        match &self.base {
            Some((base, slots)) if slots[k] & IN_BASE != 0 => {
                (base, (slots[k] & !IN_BASE) as usize)
            }
            Some((_, slots)) => (&self.measures, slots[k] as usize),
            None => (&self.measures, k),
        }
    }

    /// The position in `base` of feature `k`, when it is one of `base`'s geometries (shared
    /// when this layer was prepared over `base`).
    pub fn shared_with(&self, k: usize, base: &Prepared) -> Option<usize> {
        let (measures, slots) = self.base.as_ref()?;
        let slot = slots[k];
        (slot & IN_BASE != 0 && Arc::ptr_eq(measures, &base.measures))
            .then_some((slot & !IN_BASE) as usize)
    }

    /// Feature `k`'s planar area.
    pub fn planar(&self, k: usize) -> f64 {
        let (m, j) = self.measures_of(k);
        m.planar[j]
    }

    /// Feature `k`'s area scale: its reported area per unit of planar area.
    pub fn scale(&self, k: usize) -> f64 {
        self.scale.as_ref().map_or(1.0, |s| s[k])
    }

    /// Feature `k`'s reported area: its planar area times its scale.
    pub fn area(&self, k: usize) -> f64 {
        self.planar(k) * self.scale(k)
    }

    /// Feature `k`'s envelope, `None` for an empty geometry.
    pub fn bbox(&self, k: usize) -> Option<Rect<f64>> {
        let (m, j) = self.measures_of(k);
        m.bboxes.get(j)
    }

    /// How many features.
    pub fn len(&self) -> usize {
        self.geoms.len()
    }
}

/// For each of `geoms`, the position in `base` of the same allocation, if it is one of
/// `base`'s (the two lists' addresses merged).
fn positions_in(geoms: &Geoms, base: &Geoms) -> Vec<Option<usize>> {
    same_allocations(geoms.par_iter(), base.par_iter())
}

/// Geometries with an R-tree of their envelopes, for "which of these are near that".
pub(crate) struct Near<'a> {
    pub geoms: Vec<&'a MultiPolygon<f64>>,
    index: EnvelopeIndex,
}

impl<'a> Near<'a> {
    pub fn new(geoms: Vec<&'a MultiPolygon<f64>>) -> Self {
        let index = EnvelopeIndex::new(&geoms);
        Near { geoms, index }
    }

    /// [`Near::new`] with the envelopes already known (`boxes[i]` is `geoms[i]`'s).
    pub fn with_boxes(geoms: Vec<&'a MultiPolygon<f64>>, boxes: &[Option<Rect<f64>>]) -> Self {
        let index = EnvelopeIndex::from_boxes(boxes);
        Near { geoms, index }
    }

    /// Positions of the geometries whose envelope meets `g`'s, in ascending order.
    pub fn around(&self, g: &MultiPolygon<f64>) -> Vec<usize> {
        let Some(r) = envelope(g) else {
            return Vec::new();
        };
        let mut found: Vec<usize> = self
            .index
            .candidates([r.min().x, r.min().y], [r.max().x, r.max().y])
            .collect();
        found.sort_unstable();
        found
    }

    /// The union of the geometries near `g`, in position order (deterministic).
    pub fn union_around(&self, g: &MultiPolygon<f64>) -> MultiPolygon<f64> {
        self.around(g)
            .into_iter()
            .fold(MultiPolygon(vec![]), |acc, k| {
                if acc.0.is_empty() {
                    self.geoms[k].clone()
                } else {
                    acc.union(self.geoms[k])
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    /// A 3-4-5-ish quadrilateral at (x, y) in zone-41 Gauss–Krüger metres.
    fn parcel(x: f64, y: f64) -> MultiPolygon<f64> {
        let (x, y) = (41_500_000.0 + x, 5_070_000.0 + y);
        MultiPolygon(vec![polygon![
            (x: x, y: y),
            (x: x + 30.0, y: y + 1.0),
            (x: x + 31.0, y: y + 41.0),
            (x: x - 2.0, y: y + 40.0),
            (x: x, y: y),
        ]])
    }

    fn bits(p: &Prepared) -> Vec<(u64, u64, Option<[u64; 4]>)> {
        let rect = |r: Rect<f64>| {
            let (a, b) = (r.min(), r.max());
            [a.x.to_bits(), a.y.to_bits(), b.x.to_bits(), b.y.to_bits()]
        };
        (0..p.len())
            .map(|k| {
                let bbox = p.bbox(k).map(rect);
                (p.planar(k).to_bits(), p.scale(k).to_bits(), bbox)
            })
            .collect()
    }

    /// An envelope comes back to the bit, and an empty geometry's as `None`.
    #[test]
    fn envelopes_give_back_what_they_were_given() {
        let boxes = [
            Some(Rect::new(Coord::from((-0.0, 1.5)), Coord::from((2.0, 3.0)))),
            None,
            Some(Rect::new(
                Coord::from((-1e300, -5.0)),
                Coord::from((1e300, -5.0)),
            )),
        ];
        let envelopes: Envelopes = boxes.into_par_iter().collect();
        assert_eq!(envelopes.0.len(), 3);
        let bits = |r: Option<Rect<f64>>| {
            r.map(|r| [r.min().x, r.min().y, r.max().x, r.max().y].map(f64::to_bits))
        };
        for (k, b) in boxes.into_iter().enumerate() {
            assert_eq!(bits(envelopes.get(k)), bits(b), "{k}");
        }
    }

    /// A layer drawing some geometries from the base (the same allocations) and holding others
    /// of its own — equal copies among them — is prepared to the bit as if measured alone, by
    /// every method; only the shared allocations are found in the base.
    #[test]
    fn shared_geometries_take_the_base_values_and_others_are_measured() {
        let base_geoms: Vec<_> = (0..40)
            .map(|i| parcel(f64::from(i % 8) * 50.0, f64::from(i / 8) * 60.0))
            .collect();
        let copy = base_geoms[3].clone();
        let own = [parcel(1000.0, 0.0), copy];
        let layer: Vec<&MultiPolygon<f64>> = vec![
            &base_geoms[7],
            &own[0],
            &base_geoms[0],
            &own[1],
            &base_geoms[39],
        ];
        assert_eq!(
            positions_in(
                &layer.clone().into(),
                &base_geoms.iter().collect::<Vec<_>>().into()
            ),
            [Some(7), None, Some(0), None, Some(39)]
        );
        for area in [AreaMethod::Ellipsoidal, AreaMethod::Planar] {
            let s = Settings::for_tests(area);
            let listed = base_geoms.iter().collect::<Vec<_>>().into();
            let base = Prepared::new("landuse", listed, &s).unwrap();
            let alone = Prepared::new("basic_farmland", layer.clone().into(), &s).unwrap();
            for same_scales in [true, false] {
                let over = Prepared::over(
                    "basic_farmland",
                    layer.clone().into(),
                    &s,
                    Some((&base, same_scales)),
                )
                .unwrap();
                assert_eq!(bits(&over), bits(&alone), "{area:?} {same_scales}");
                // The shared ones are known as the base's, and only as the base's.
                let found: Vec<_> = (0..5).map(|k| over.shared_with(k, &base)).collect();
                assert_eq!(found, [Some(7), None, Some(0), None, Some(39)]);
                assert!((0..5).all(|k| over.shared_with(k, &alone).is_none()));
                assert!((0..40).all(|k| base.shared_with(k, &base).is_none()));
                // Only the two geometries of its own are measured and kept.
                assert_eq!(over.measures.planar.len(), 2);
                assert_eq!(over.measures.bboxes.0.len(), 2);
                assert_eq!(alone.measures.planar.len(), 5);
                // Planar areas need no scales: every one is 1.
                assert_eq!(over.scale.is_none(), area == AreaMethod::Planar);
            }
        }
        // Ellipsoidal scales differ from 1 in Gauss–Krüger: the comparison above saw them.
        let s = Settings::for_tests(AreaMethod::Ellipsoidal);
        let alone = Prepared::new("basic_farmland", layer.into(), &s).unwrap();
        assert!((0..alone.len())
            .map(|k| alone.scale(k))
            .all(|k| k != 1.0 && (k - 1.0).abs() < 1e-3));
    }
}
