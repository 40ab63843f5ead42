//! Filter and refine: land-use parcels cut by a township.
//!
//! *Filter*: parcels whose envelope meets the township's envelope (R-tree). A parcel whose
//! envelope meets none of the township's boundary segments lies wholly inside or wholly outside
//! and is never clipped: one point-in-polygon test decides. *Refine*: the rest are intersected
//! exactly with the township (cut down to the parcel's neighbourhood first).

use crate::clip::intersect_with_large;
use geo::{Area, BoundingRect, MultiPolygon};
use redline_index::{EdgeIndex, ParcelIndex};
use std::borrow::Cow;

/// A piece of a source feature inside one township.
#[derive(Debug, Clone)]
pub(crate) struct Piece<'a> {
    /// The source feature's position in its layer.
    pub source: usize,
    /// The piece (the feature itself when it lies wholly inside).
    pub geometry: Cow<'a, MultiPolygon<f64>>,
    /// Planar area of the piece.
    pub planar: f64,
    /// True when the piece is the whole feature.
    pub whole: bool,
}

/// What cutting a layer by one township needs.
pub(crate) struct Cutter<'a> {
    pub township: &'a MultiPolygon<f64>,
    pub edges: &'a EdgeIndex,
}

impl<'a> Cutter<'a> {
    /// The pieces of `features` inside the township, in feature order, and how many were clipped.
    pub fn pieces<'f>(
        &self,
        features: &'f [&'f MultiPolygon<f64>],
        index: &ParcelIndex,
        planar: &[f64],
    ) -> (Vec<Piece<'f>>, usize) {
        let Some(bbox) = self.township.bounding_rect() else {
            return (Vec::new(), 0);
        };
        let mut candidates: Vec<usize> = index
            .candidates([bbox.min().x, bbox.min().y], [bbox.max().x, bbox.max().y])
            .collect();
        candidates.sort_unstable();
        let mut clipped = 0;
        let pieces = candidates
            .into_iter()
            .filter_map(|k| {
                let g = features[k];
                let r = g.bounding_rect()?;
                if !self
                    .edges
                    .meets([r.min().x, r.min().y], [r.max().x, r.max().y])
                {
                    let probe = g.0.first()?.exterior().0.first()?;
                    return self.edges.contains_point(*probe).then(|| Piece {
                        source: k,
                        geometry: Cow::Borrowed(g),
                        planar: planar[k],
                        whole: true,
                    });
                }
                clipped += 1;
                let cut = intersect_with_large(g, self.township);
                let area = cut.unsigned_area();
                (area > 0.0).then_some(Piece {
                    source: k,
                    geometry: Cow::Owned(cut),
                    planar: area,
                    whole: false,
                })
            })
            .collect();
        (pieces, clipped)
    }
}
