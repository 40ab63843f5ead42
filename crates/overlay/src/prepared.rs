//! Layers prepared for the overlay — geometries, planar areas, area scales and an R-tree — and
//! neighbourhoods ("which of these are near that"). A leaf module: the families and the engine
//! depend on it, it depends on none of them.

use crate::model::Settings;
use geo::{Area, BooleanOps, MultiPolygon, Rect};
use rayon::prelude::*;
use redline_geom::{envelope, AreaMethod, EllipsoidalArea};
use redline_index::EnvelopeIndex;

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
/// parcel, so pieces need no re-projection). An area that cannot be measured is an error.
fn scales(
    layer: &'static str,
    geoms: &[&MultiPolygon<f64>],
    planar: &[f64],
    official: Option<&[Option<f64>]>,
    settings: &Settings,
) -> Result<Vec<f64>, AreaFailure> {
    let failure = |feature, source| AreaFailure {
        layer,
        feature,
        method: "ellipsoidal",
        cause: Box::new(source),
    };
    let measure = match settings.area {
        AreaMethod::Planar => None,
        _ => Some(EllipsoidalArea::for_crs(&settings.crs).map_err(|e| failure(0, e))?),
    };
    let official = |k: usize| official.and_then(|o| o[k]);
    // Prorating, a parcel with its official area is not measured: its cells need no filling.
    let measured = |k: usize| {
        planar[k] > 0.0 && !(settings.area == AreaMethod::Prorate && official(k).is_some())
    };
    let cached = measure.as_ref().map(|m| {
        let mut cached = m.cached();
        let to_measure = geoms.par_iter().enumerate().filter(|&(k, _)| measured(k));
        cached.fill(to_measure.map(|(_, g)| *g));
        cached
    });
    geoms
        .par_iter()
        .enumerate()
        .map(|(k, g)| {
            let p = planar[k];
            if p <= 0.0 {
                return Ok(1.0);
            }
            match (settings.area, official(k), &cached) {
                (AreaMethod::Planar, _, _) => Ok(1.0),
                (AreaMethod::Prorate, Some(tbmj), _) => Ok(tbmj / p),
                (_, _, Some(c)) => c.area_filled(g).map(|a| a / p).map_err(|e| failure(k, e)),
                (_, _, None) => Ok(1.0),
            }
        })
        .collect()
}

/// A layer prepared for overlay: geometries, planar areas, area scales, envelopes.
pub(crate) struct Prepared<'a> {
    pub geoms: Vec<&'a MultiPolygon<f64>>,
    pub planar: Vec<f64>,
    pub scale: Vec<f64>,
    /// Envelopes, computed once (every township whose envelope overlaps asks again).
    pub bboxes: Vec<Option<Rect<f64>>>,
}

impl<'a> Prepared<'a> {
    pub(crate) fn new(
        layer: &'static str,
        geoms: Vec<&'a MultiPolygon<f64>>,
        official: Option<&[Option<f64>]>,
        settings: &Settings,
    ) -> Result<Self, AreaFailure> {
        let planar: Vec<f64> = geoms.par_iter().map(|g| g.unsigned_area()).collect();
        let scale = scales(layer, &geoms, &planar, official, settings)?;
        let bboxes: Vec<_> = geoms.par_iter().map(|g| envelope(g)).collect();
        Ok(Prepared {
            geoms,
            planar,
            scale,
            bboxes,
        })
    }
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
