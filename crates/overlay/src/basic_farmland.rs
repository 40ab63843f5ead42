//! §5.2 permanent basic farmland: its area in each township, its split by what the land is now
//! (cultivated, construction, other agricultural, unused), and the pieces that are construction.

use crate::context::LandusePieces;
use crate::landuse::gross_net;
use crate::metrics::Pbf;
use crate::pieces::Piece;
use crate::prepared::Prepared;
use crate::sharing::same_geometry;
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
    let shares: Vec<Share> = pbf_pieces
        .par_iter()
        .map(|b| share(township, b, pbf, pbf_layer))
        .collect();
    let mut p = Pbf::default();
    for s in shares {
        p.add(&s.pbf);
        losses.extend(s.losses);
    }
    p
}

/// One PBF piece: its area and what the land under it is now.
fn share(
    township: &LandusePieces,
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
    // first such piece: where the job shared the geometry, the parcel it shares (the first
    // parcel equal to it — its pieces are in parcel order), else the first among the
    // neighbours.
    let identical = |k: &usize| {
        let (parcel, farmland) = (
            landuse.geoms.get(pieces[*k].source),
            pbf.geoms.get(b.source),
        );
        b.is_whole() && pieces[*k].is_whole() && same_geometry(parcel, farmland)
    };
    let shared = b
        .is_whole()
        .then(|| pbf.shared_with(b.source, landuse))
        .flatten()
        .and_then(|j| pieces.binary_search_by_key(&j, |p| p.source).ok())
        .filter(identical);
    // One identical piece needs no list (most basic farmland is drawn from the parcels).
    let (one, near);
    let candidates: &[usize] = match shared {
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
        if planar <= township.square_metre.planar(SLIVER_M2) {
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
        (Some(ra), Some(rb)) => {
            redline_index::interiors_may_meet(la.geoms.get(a), ra, lb.geoms.get(b), rb)
        }
        _ => true,
    }
}
