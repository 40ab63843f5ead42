//! Outlines of block regions (a township, the county) as polygons on the lattice.

use crate::lattice::{Lattice, Vertex};
use crate::plan::BLOCK;
use geo::{Area, Contains, Coord, LineString, MultiPolygon, Point, Polygon};
use std::collections::BTreeMap;

/// The outline of the blocks for which `inside` is true: rings of lattice vertices chained from
/// the directed cell edges on the region's border (region on the left, so exteriors run
/// counter-clockwise and holes clockwise), drawn with the lattice's wiggles.
pub(crate) fn outline(
    lattice: &Lattice,
    bcols: usize,
    brows: usize,
    inside: impl Fn(usize, usize) -> bool,
) -> MultiPolygon<f64> {
    let at = |bi: isize, bj: isize| {
        bi >= 0
            && bj >= 0
            && (bi as usize) < bcols
            && (bj as usize) < brows
            && inside(bi as usize, bj as usize)
    };
    let mut next: BTreeMap<Vertex, Vertex> = BTreeMap::new();
    for bj in 0..brows {
        for bi in 0..bcols {
            if !inside(bi, bj) {
                continue;
            }
            let (i0, i1) = (bi * BLOCK, ((bi + 1) * BLOCK).min(lattice.ncols()));
            let (j0, j1) = (bj * BLOCK, ((bj + 1) * BLOCK).min(lattice.nrows()));
            let (x, y) = (bi as isize, bj as isize);
            if !at(x, y - 1) {
                next.extend((i0..i1).map(|i| ((i, j0), (i + 1, j0))));
            }
            if !at(x + 1, y) {
                next.extend((j0..j1).map(|j| ((i1, j), (i1, j + 1))));
            }
            if !at(x, y + 1) {
                next.extend((i0..i1).map(|i| ((i + 1, j1), (i, j1))));
            }
            if !at(x - 1, y) {
                next.extend((j0..j1).map(|j| ((i0, j + 1), (i0, j))));
            }
        }
    }
    let mut rings = Vec::new();
    while let Some((&start, _)) = next.iter().next() {
        let mut path = vec![start];
        let mut v = next.remove(&start).unwrap_or(start);
        while v != start {
            path.push(v);
            match next.remove(&v) {
                Some(n) => v = n,
                None => break, // cannot happen for a closed border; stop rather than loop
            }
        }
        rings.push(LineString(lattice.ring(&path)));
    }
    assemble(rings)
}

/// Exteriors (counter-clockwise) with the holes (clockwise) they contain.
fn assemble(rings: Vec<LineString<f64>>) -> MultiPolygon<f64> {
    let signed = |r: &LineString<f64>| Polygon::new(r.clone(), vec![]).signed_area();
    let (outers, holes): (Vec<_>, Vec<_>) = rings.into_iter().partition(|r| signed(r) > 0.0);
    let mut polygons: Vec<Polygon<f64>> = outers
        .into_iter()
        .map(|r| Polygon::new(r, vec![]))
        .collect();
    for hole in holes {
        let probe = Point(hole.0.first().copied().unwrap_or(Coord {
            x: f64::NAN,
            y: f64::NAN,
        }));
        // The smallest exterior around the hole; the probe is a hole vertex, so nudge it inward
        // is unnecessary: lattice holes never share vertices with their own exterior.
        let owner = polygons
            .iter()
            .enumerate()
            .filter(|(_, p)| Polygon::new(p.exterior().clone(), vec![]).contains(&probe))
            .min_by(|a, b| a.1.unsigned_area().total_cmp(&b.1.unsigned_area()))
            .map(|(k, _)| k);
        if let Some(k) = owner {
            polygons[k].interiors_push(hole);
        }
    }
    MultiPolygon(polygons)
}
