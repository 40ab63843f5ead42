//! Geometries a reader may share instead of keeping a copy of its own.

use geo::{Coord, MultiPolygon};
use std::cell::Cell;
use std::sync::Arc;

/// Geometries already in memory that a layer being read may share: a feature whose validated
/// geometry is one of them to the bit takes its allocation, and its own copy is dropped as soon
/// as it is made (basic farmland is mostly drawn on the land-use parcels: a read that kept its
/// copies until the layer was whole held a third of the run's geometry twice).
pub trait KnownGeometries: Send + Sync + std::fmt::Debug {
    /// A known geometry with the same rings and the same coordinate bits as `geometry`, if
    /// there is one.
    fn same_as(&self, geometry: &MultiPolygon<f64>) -> Option<Arc<MultiPolygon<f64>>>;

    /// What [`KnownGeometries::same_as`] would give for polygons as read (each a list of rings,
    /// the exterior first) once validated, where the answer is known without validating them:
    /// a known geometry that they are to the bit and that validation gives back unchanged and
    /// without a problem. The reader then takes it and skips the validation. `None` (the
    /// default) leaves the reader to validate and ask `same_as`.
    fn validated_same_as(&self, _raw: &[Vec<Vec<Coord<f64>>>]) -> Option<Arc<MultiPolygon<f64>>> {
        None
    }

    /// Whether [`KnownGeometries::same_text`] may answer: a GeoJSON reader then takes the
    /// print of each geometry's coordinate text before parsing it, and parses only where no
    /// known geometry was read from that text.
    fn knows_texts(&self) -> bool {
        false
    }

    /// The known geometry read from the coordinate text with this [`TextPrint`], where that
    /// text gave it to the bit and validation passed it without a word: parsing and validating
    /// the same text again would give the same geometry, so a reader takes it unparsed.
    /// `None` (the default) for a print no known geometry was read from, or several were.
    /// `hint` is where the reader's previous answer was found: the known geometries may look
    /// near it first, and move it to this answer.
    fn same_text(&self, _print: TextPrint, _hint: &TextHint) -> Option<Arc<MultiPolygon<f64>>> {
        None
    }
}

/// Where a reader's last [`KnownGeometries::same_text`] answer was found (a place of the known
/// geometries' own choosing; 0 before the first): a layer drawn from the parcels tends to keep
/// their order, so the next answer is likely just after it. A reader keeps one for each run
/// of features it reads in order. Only ever a place to look first: a wrong one costs a look.
#[derive(Debug, Default)]
pub struct TextHint(Cell<usize>);

impl TextHint {
    /// The place of the last answer.
    pub fn get(&self) -> usize {
        self.0.get()
    }

    /// Records the place of an answer.
    pub fn set(&self, at: usize) {
        self.0.set(at);
    }
}

/// The print of a polygon geometry's text: its type and the bytes of its `coordinates` value,
/// from the opening bracket to the closing one, hashed to 128 bits (XXH3). Equal texts give
/// equal prints; texts that differ give equal prints with a chance of 2⁻¹²⁸ a pair — among a
/// million basic-farmland polygons and a million parcels, about 10⁻²⁷ that one polygon takes a
/// parcel whose text is not its own. Texts that read as the same numbers but are written apart
/// (`1.5` and `1.50`, other spacing) give different prints: those polygons are parsed, and
/// shared by their coordinates as before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TextPrint(pub [u64; 2]);
