//! §5.2 permanent basic farmland: its area in each township, its split by what the land is now
//! (cultivated, construction, other agricultural, unused), and the pieces that are construction.

use crate::context::LandusePieces;
use crate::landuse::gross_net;
use crate::metrics::Pbf;
use crate::pieces::Piece;
use crate::prepared::Prepared;
use crate::sharing::{geometry_hash, same_geometry};
use geo::{Area, BooleanOps, MultiPolygon};
use rayon::prelude::*;
use redline_geom::LandCategory;

/// A piece of basic farmland that is construction land now: where a bureau must act.
#[derive(Debug, Clone, PartialEq)]
pub struct PbfLoss {
    /// Township code.
    pub township: String,
    /// The PBF parcel's id.
    pub pbf_id: String,
    /// The land-use parcel's id.
    pub landuse_id: String,
    /// Its class code.
    pub class: String,
    /// Area, m².
    pub area: f64,
    /// The piece.
    pub geometry: MultiPolygon<f64>,
}

/// Intersections at or below this area (m², a square decimetre) are rounding noise along shared
/// edges: the boolean operations snap vertices to a grid, so parcels that share an edge exactly
/// can leave slivers of a few cm².
const SLIVER_M2: f64 = 0.01;

/// What one PBF piece contributes, computed on any thread and added up in order.
#[derive(Default)]
struct Share {
    pbf: Pbf,
    losses: Vec<PbfLoss>,
}

pub(crate) fn basic_farmland(
    township: &LandusePieces,
    pbf_pieces: &[Piece],
    pbf: &Prepared,
    pbf_layer: &[crate::model::BasicFarmland],
    losses: &mut Vec<PbfLoss>,
) -> Pbf {
    let same = SameGeometry::new(township);
    let shares: Vec<Share> = pbf_pieces
        .par_iter()
        .map(|b| share(township, &same, b, pbf, pbf_layer))
        .collect();
    let mut p = Pbf::default();
    for s in shares {
        p.add(&s.pbf);
        losses.extend(s.losses);
    }
    p
}

/// The township's whole land-use pieces by a hash of their geometry (the first piece of each
/// hash): basic farmland drawn from the parcels finds its parcel without a neighbourhood
/// query.
struct SameGeometry(redline_geom::FastMap<u64, usize>);

impl SameGeometry {
    fn new(township: &LandusePieces) -> Self {
        let mut first = redline_geom::FastMap::default();
        first.reserve(township.pieces.len());
        for (k, piece) in township.pieces.iter().enumerate().filter(|(_, p)| p.whole) {
            let g = township.landuse.geoms[piece.source];
            first.entry(geometry_hash(g)).or_insert(k);
        }
        SameGeometry(first)
    }

    /// The first whole piece whose geometry hashes like `g`'s (the caller compares them).
    fn candidate(&self, g: &MultiPolygon<f64>) -> Option<usize> {
        self.0.get(&geometry_hash(g)).copied()
    }
}

/// One PBF piece: its area and what the land under it is now.
fn share(
    township: &LandusePieces,
    same: &SameGeometry,
    b: &Piece,
    pbf: &Prepared,
    pbf_layer: &[crate::model::BasicFarmland],
) -> Share {
    let LandusePieces {
        parcels,
        code,
        pieces,
        landuse,
        ..
    } = *township;
    let mut out = Share::default();
    let p = &mut out.pbf;
    p.area += b.planar * pbf.scale(b.source);
    // Basic farmland drawn from the land-use parcels shares their geometry exactly; in a
    // coverage no other parcel then overlaps it, so that parcel alone is its land use. The
    // first such piece is found by hash (any identical piece hashes alike, so the first of its
    // hash, if identical, is the first identical one), else among the neighbours.
    let identical = |k: &usize| {
        let (parcel, farmland) = (landuse.geoms[pieces[*k].source], pbf.geoms[b.source]);
        b.whole && pieces[*k].whole && same_geometry(parcel, farmland)
    };
    let hashed = b
        .whole
        .then(|| same.candidate(pbf.geoms[b.source]))
        .flatten()
        .filter(identical);
    // One identical piece needs no list (most basic farmland is drawn from the parcels).
    let (one, near);
    let candidates: &[usize] = match hashed {
        Some(k) => {
            one = [k];
            &one
        }
        None => {
            near = township.near.around(b.geometry.as_ref());
            match near.iter().position(identical) {
                Some(i) => &near[i..=i],
                None => &near,
            }
        }
    };
    for &k in candidates {
        let piece = &pieces[k];
        let inter = if identical(&k) {
            None
        } else if !may_share_area((pbf, b.source), (landuse, piece.source)) {
            // Parcels that are neighbours along an edge: their pieces share no land, only the
            // overlay's rounding noise (the slivers skipped below), so no overlay is needed.
            continue;
        } else {
            Some(b.geometry.intersection(piece.geometry.as_ref()))
        };
        let planar = inter.as_ref().map_or(piece.planar, |g| g.unsigned_area());
        // Neighbours that only share an edge leave slivers of rounding noise, not land.
        if planar <= SLIVER_M2 {
            continue;
        }
        let (gross, net) = gross_net(parcels, landuse, piece.source, planar);
        let parcel = &parcels[piece.source];
        match parcel.category {
            LandCategory::Cultivated => {
                p.cultivated += net;
                p.other_agri += gross - net;
            }
            LandCategory::Agricultural => p.other_agri += gross,
            LandCategory::Construction => {
                p.construction += gross;
                out.losses.push(PbfLoss {
                    township: code.to_string(),
                    pbf_id: pbf_layer[b.source].id.to_string(),
                    landuse_id: parcel.id.to_string(),
                    class: parcel.code.to_string(),
                    area: gross,
                    geometry: inter.unwrap_or_else(|| piece.geometry.as_ref().clone()),
                });
            }
            LandCategory::Unused => p.unused += gross,
        }
    }
    out
}

/// Whether feature `a` of one prepared layer and feature `b` of another may share area: an
/// exact test on the features as read, without an overlay (a few orientation tests where the
/// overlay of two neighbours cost several times as much).
fn may_share_area((la, a): (&Prepared, usize), (lb, b): (&Prepared, usize)) -> bool {
    match (la.bbox(a), lb.bbox(b)) {
        (Some(ra), Some(rb)) => redline_index::interiors_may_meet(la.geoms[a], ra, lb.geoms[b], rb),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn geometries_that_compare_equal_hash_alike() {
        let square = |zero: f64| {
            MultiPolygon(vec![
                polygon![(x: zero, y: zero), (x: 1.0, y: zero), (x: 1.0, y: 1.0), (x: zero, y: 1.0)],
            ])
        };
        let (plus, minus) = (square(0.0), square(-0.0));
        assert_eq!(plus, minus);
        assert_eq!(geometry_hash(&plus), geometry_hash(&minus));
        // A vertex moved by the smallest step, or the same positions split into another ring
        // structure, hash differently.
        assert_ne!(
            geometry_hash(&plus),
            geometry_hash(&square(f64::MIN_POSITIVE))
        );
        let mut two = plus.clone();
        two.0.push(plus.0[0].clone());
        assert_ne!(geometry_hash(&plus), geometry_hash(&two));
    }
}
