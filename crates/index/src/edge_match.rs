//! Which polygons of a would-be coverage may overlap another: those with an edge that no
//! other polygon has the other way round.
//!
//! Let `w(p)` count the polygons whose interior holds `p`. Crossing an edge of a polygon
//! (interior on the left, as ingest orients rings) changes `w` by one — unless another polygon
//! has the same edge the other way round, when one polygon is left as another is entered and
//! `w` stays. So `w` changes only across *unmatched* edges. Where two interiors overlap,
//! `w ≥ 2`; that region is bounded, so it has a boundary, made of unmatched edges, and the
//! owner of such an edge has its interior on the `w ≥ 2` side: it overlaps some polygon right
//! there. Hence: if no owner of an unmatched edge overlaps a neighbour, no two polygons
//! overlap at all. In a clean coverage whose neighbours share their vertices, only the
//! polygons along the outer boundary own unmatched edges — a few in a hundred — so the exact
//! pair tests run for those alone.
//!
//! Matching is exact: an edge cancels an open edge with the same two endpoints, bit for bit
//! (`-0.0` read as `0.0`), of another polygon, the other way round. Anything else — the same
//! edge the same way round, or twice in one polygon — makes the polygons involved suspects, and
//! so does every edge left open at the end; a suspect costs pair tests, never a wrong answer.
//! (An edge that finds its twin already cancelled stays open: the edges' sum is the same.)
//!
//! The edges are cancelled as the polygons come, in a table of the edges still open: in a layer
//! whose order follows the ground (ids by village, parcels as surveyed) that table holds about
//! one front of edges, and every edge is one lookup in a table that stays in cache. (A layer in
//! another order fills the table past [`OPEN_AT_LEAST`] and every pair is tested, as without
//! this proof.) Matching each polygon's edges among its neighbours' instead read every
//! neighbour's coordinates again from memory: three times this table's cost at 1M parcels.

use crate::contact::{rings, segments};
use geo::{Coord, MultiPolygon};
use redline_geom::FastMap;
use std::collections::hash_map::Entry;
use std::hash::{Hash, Hasher};

/// An undirected edge: its two endpoints' coordinate bits, the lower endpoint first.
#[derive(PartialEq, Eq)]
struct Key([u64; 4]);

impl Hash for Key {
    /// The four words folded into one for the table's hasher to mix: an array hashes as its
    /// length and then its 32 bytes through the byte hasher, for every edge of the layer (1.8 %
    /// of the 100k job's instructions). Keys that fold alike only share a probe sequence;
    /// equality still compares all four words.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let [a, b, c, d] = self.0;
        state.write_u64(a ^ b.rotate_left(16) ^ c.rotate_left(32) ^ d.rotate_left(48));
    }
}

/// An edge still open: its polygon, whether it runs from the lower endpoint to the higher, and
/// whether it was met the same way round or within one polygon (then whoever meets it is a
/// suspect too).
struct Open {
    owner: u32,
    forward: bool,
    spoilt: bool,
}

/// The open edges a layer may hold before the matching gives up: this many, or a 32nd of its
/// edges where that is more. A coverage in the order of the ground holds about one front of
/// them (at most 7 163 at once in the townships of the 1M-parcel county, which have 0.3 to 2.3
/// million edges each); a layer that is not one coverage of the ground (basic farmland among
/// the parcels: every patch's outline stays open) would grow the table to most of its edges.
const OPEN_AT_LEAST: usize = 16_384;

/// For each geometry, whether it owns an edge left unmatched (see the module's docs): `false`
/// proves that its boundary is all shared, each edge with one neighbour the other way round.
pub(crate) fn unmatched(geometries: &[&MultiPolygon<f64>]) -> Vec<bool> {
    let mut suspect = vec![false; geometries.len()];
    if u32::try_from(geometries.len()).is_err() {
        suspect.fill(true);
        return suspect;
    }
    let total: usize = geometries.iter().map(|g| segments(g)).sum();
    let most_open = OPEN_AT_LEAST.max(total / 32);
    let mut open: FastMap<Key, Open> = FastMap::default();
    for (k, g) in geometries.iter().enumerate() {
        if open.len() > most_open {
            // Not one coverage of the ground, or not in its order: all are suspects.
            suspect.fill(true);
            return suspect;
        }
        for (p, q) in edges(g) {
            let Some((key, forward)) = canonical(p, q) else {
                continue;
            };
            match open.entry(key) {
                Entry::Vacant(v) => {
                    v.insert(Open {
                        owner: k as u32,
                        forward,
                        spoilt: false,
                    });
                }
                Entry::Occupied(mut o) => {
                    let e = o.get_mut();
                    if !e.spoilt && e.forward != forward && e.owner as usize != k {
                        o.remove();
                    } else {
                        e.spoilt = true;
                        suspect[k] = true;
                        suspect[e.owner as usize] = true;
                    }
                }
            }
        }
    }
    for e in open.values() {
        suspect[e.owner as usize] = true;
    }
    suspect
}

/// Every edge of a geometry's rings.
fn edges(mp: &MultiPolygon<f64>) -> impl Iterator<Item = (Coord<f64>, Coord<f64>)> + '_ {
    rings(mp).flat_map(|r| r.0.windows(2).map(|w| (w[0], w[1])))
}

/// The edge's key and whether it runs from its lower endpoint to the higher (by their bits:
/// any order serves that both sides compute alike); `None` for a zero-length edge.
fn canonical(p: Coord<f64>, q: Coord<f64>) -> Option<(Key, bool)> {
    // Adding zero turns -0.0 into 0.0: equal coordinates, now equal bits too.
    let bits = |c: Coord<f64>| [(c.x + 0.0).to_bits(), (c.y + 0.0).to_bits()];
    let (p, q) = (bits(p), bits(q));
    match p.cmp(&q) {
        std::cmp::Ordering::Less => Some((Key([p[0], p[1], q[0], q[1]]), true)),
        std::cmp::Ordering::Greater => Some((Key([q[0], q[1], p[0], p[1]]), false)),
        std::cmp::Ordering::Equal => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_shapes::{grid, square};
    use geo::polygon;

    #[test]
    fn only_the_outer_ring_of_a_grid_is_unmatched() {
        // A 3×3 grid of unit squares sharing their vertices: the middle one's four edges are
        // all its neighbours', the eight around it have outer edges.
        let cells = grid(3, 9, 0.0, 0.0);
        let refs: Vec<_> = cells.iter().collect();
        let expected: Vec<bool> = (0..9).map(|i| i != 4).collect();
        assert_eq!(unmatched(&refs), expected);
    }

    #[test]
    fn a_vertex_in_the_middle_of_a_neighbours_edge_leaves_both_unmatched() {
        // Left: the square (0,0)–(2,2) with a vertex at (2,1) that its right neighbour lacks.
        let left = MultiPolygon(vec![polygon![
            (x: 0., y: 0.), (x: 2., y: 0.), (x: 2., y: 1.), (x: 2., y: 2.), (x: 0., y: 2.)
        ]]);
        let right = square(2.0, 0.0, 2.0);
        assert_eq!(unmatched(&[&left, &right]), vec![true, true]);
    }

    #[test]
    fn the_same_edge_in_the_same_direction_is_a_suspect_even_when_matched_otherwise() {
        // Two copies of one square and a neighbour: the copies' edges run the same way in
        // both (spoilt), and the neighbour's twin of their right-hand edge meets a spoilt one.
        let (a, b, c) = (
            square(0.0, 0.0, 1.0),
            square(0.0, 0.0, 1.0),
            square(1.0, 0.0, 1.0),
        );
        assert_eq!(unmatched(&[&a, &b, &c]), vec![true, true, true]);
    }

    #[test]
    fn negative_zero_matches_zero() {
        // The 3×3 grid moved one to the left, its middle square written with -0.0 where the
        // left column writes 0.0: still all shared.
        let mut cells = grid(3, 9, -1.0, 0.0);
        cells[4] = MultiPolygon(vec![polygon![
            (x: -0., y: 1.), (x: 1., y: 1.), (x: 1., y: 2.), (x: -0., y: 2.)
        ]]);
        let refs: Vec<_> = cells.iter().collect();
        let expected: Vec<bool> = (0..9).map(|i| i != 4).collect();
        assert_eq!(unmatched(&refs), expected);
    }

    #[test]
    fn a_layer_of_patches_apart_makes_every_polygon_a_suspect() {
        // 5 000 squares with gaps between them: 20 000 edges, all open, past the table's
        // 16 384 — the matching gives up and leaves every pair to the tests.
        let cells: Vec<_> = (0..5000)
            .map(|i| square((i % 100) as f64 * 2.0, (i / 100) as f64 * 2.0, 1.0))
            .collect();
        let refs: Vec<_> = cells.iter().collect();
        assert!(unmatched(&refs).iter().all(|s| *s));
        // The same squares packed edge to edge: only the outer ones are suspects.
        let packed = grid(100, 5000, 0.0, 0.0);
        let refs: Vec<_> = packed.iter().collect();
        let suspects = unmatched(&refs).iter().filter(|s| **s).count();
        assert_eq!(suspects, 2 * 100 + 2 * 48);
    }
}
