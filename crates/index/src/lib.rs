//! Spatial indexes of redline: a static packed R-tree of feature envelopes
//! (`static_aabb2d_index`, flatbush's Hilbert-sorted layout; queries give feature positions),
//! a grid of boxes for the coverage checks ([`overlapping_pairs`]), and those checks.
//!
//! [`EdgeIndex`] holds a township's boundary segments for the overlay's inside/outside fast path.
//!
//! ```
//! use geo::{polygon, MultiPolygon};
//! use redline_index::{overlapping_pairs, EnvelopeIndex};
//!
//! let a = MultiPolygon(vec![polygon![(x: 0., y: 0.), (x: 2., y: 0.), (x: 2., y: 2.), (x: 0., y: 2.)]]);
//! let b = MultiPolygon(vec![polygon![(x: 1., y: 0.), (x: 3., y: 0.), (x: 3., y: 2.), (x: 1., y: 2.)]]);
//! let index = EnvelopeIndex::new(&[&a, &b]);
//! assert_eq!(index.candidates([1.5, 0.5], [1.6, 0.6]).count(), 2);
//! let overlaps = overlapping_pairs(&[&a, &b], 0.01);
//! assert_eq!((overlaps[0].a, overlaps[0].b, overlaps[0].area), (0, 1, 2.0));
//! ```
#![deny(missing_docs)]

mod box_pairs;
mod contact;
mod edge_index;
mod edge_match;
mod envelope_index;
mod overlaps;
#[cfg(test)]
mod test_shapes;

pub use contact::{interiors_may_meet, lies_within};
pub use edge_index::EdgeIndex;
pub use envelope_index::EnvelopeIndex;
pub use overlaps::{overlapping_pairs, overlaps_among, KnownApart, Overlap, Overlaps};
