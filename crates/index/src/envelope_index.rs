//! The R-tree of feature envelopes.

use geo::{MultiPolygon, Rect};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// Envelopes of features in a bulk-loaded R-tree; queries give feature positions.
pub struct EnvelopeIndex {
    tree: RTree<Entry>,
}

impl EnvelopeIndex {
    /// Indexes the envelopes of `geometries` (computed in parallel); entry `i` stands for
    /// `geometries[i]`. Empty geometries are left out.
    pub fn new(geometries: &[&MultiPolygon<f64>]) -> EnvelopeIndex {
        let boxes: Vec<Option<Rect<f64>>> = geometries
            .par_iter()
            .map(|g| redline_geom::envelope(g))
            .collect();
        EnvelopeIndex::from_boxes(&boxes)
    }

    /// Indexes envelopes a caller already has (`None` for an empty geometry, left out); entry
    /// `i` stands for `boxes[i]`.
    pub fn from_boxes(boxes: &[Option<Rect<f64>>]) -> EnvelopeIndex {
        let entries = boxes
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let r = r.as_ref()?;
                let rect = Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
                Some(GeomWithData::new(rect, i))
            })
            .collect();
        EnvelopeIndex {
            tree: RTree::bulk_load(entries),
        }
    }

    /// Positions of the features whose envelope meets the box `min`–`max`, in tree order.
    pub fn candidates(&self, min: [f64; 2], max: [f64; 2]) -> impl Iterator<Item = usize> + '_ {
        self.tree
            .locate_in_envelope_intersecting(&AABB::from_corners(min, max))
            .map(|e| e.data)
    }

    /// Number of indexed features.
    pub fn len(&self) -> usize {
        self.tree.size()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }
}
