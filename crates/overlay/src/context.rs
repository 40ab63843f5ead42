//! What every metric family of one township reads: the township's land-use pieces, their
//! neighbourhood and the prepared land-use layer they were cut from — one struct instead of
//! the same five arguments to every family.

use crate::model::{County, Parcel};
use crate::pieces::Piece;
use crate::prepared::{Near, Prepared};

/// One township's land-use pieces, as the families see them.
#[derive(Clone, Copy)]
pub(crate) struct LandusePieces<'p, 'a> {
    /// The county model.
    pub county: &'p County,
    /// The parcels the pieces were cut from (attributes by piece source): the current land
    /// use, or the previous vintage where a family measures the land as it was.
    pub parcels: &'p [Parcel],
    /// The township's code (for the output pieces).
    pub code: &'p str,
    /// Its land-use pieces, in land-use layer order.
    pub pieces: &'p [Piece<'a>],
    /// The pieces' neighbourhood.
    pub near: &'p Near<'p>,
    /// The land-use layer the pieces were cut from (scales for areas).
    pub landuse: &'p Prepared<'a>,
    /// A square metre in the working CRS's planar units (limits given in m²).
    pub square_metre: crate::square_metre::SquareMetre,
}

/// Pieces of another layer in the township with their neighbourhood (basic farmland).
#[derive(Clone, Copy)]
pub(crate) struct LayerPieces<'p, 'a> {
    /// The pieces.
    pub pieces: &'p [Piece<'a>],
    /// Their neighbourhood.
    pub near: &'p Near<'p>,
}

/// The approvals in force that cover change patches: those that permit construction (legal
/// cover) and temporary / facility ones (other cover).
#[derive(Clone, Copy)]
pub(crate) struct Cover<'p> {
    /// Conversion, supply and early-use approvals dated by the period's end.
    pub legal: &'p Near<'p>,
    /// Temporary and facility-agriculture approvals.
    pub other: &'p Near<'p>,
}
