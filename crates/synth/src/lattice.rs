//! The jittered, non-uniform lattice every synthetic geometry is drawn on.
//!
//! Columns and rows have their own widths (fields 60–160 m, thin 6–12 m strips for roads and
//! ditches); every lattice vertex is jittered and every lattice edge gets a few "wiggle"
//! vertices, all as pure functions of the seed and the lattice indices. Two parcels that share
//! an edge therefore compute the very same vertices, rounded to the millimetre: the coverage has
//! no gaps, no overlaps and identical shared vertices by construction.

use crate::rng::{range, unit};
use geo::Coord;

const TAG_COL: u64 = 1;
const TAG_ROW: u64 = 2;
const TAG_JX: u64 = 3;
const TAG_JY: u64 = 4;
const TAG_WIGGLE: u64 = 5;

/// A lattice vertex: column and row index.
pub(crate) type Vertex = (usize, usize);

/// Column/row boundaries and where the lattice sits in the projected CRS.
pub(crate) struct Lattice {
    seed: u64,
    /// Column boundaries in local metres (ncols + 1 values).
    pub xs: Vec<f64>,
    /// Row boundaries in local metres (nrows + 1 values).
    pub ys: Vec<f64>,
    /// Thin columns (ditches, field roads).
    pub thin_col: Vec<bool>,
    /// Thin rows (roads).
    pub thin_row: Vec<bool>,
    /// Projected coordinates of local (0, 0).
    pub origin: Coord<f64>,
}

fn boundaries(
    seed: u64,
    tag: u64,
    n: usize,
    scale: f64,
    field: (f64, f64),
    thin_every: f64,
) -> (Vec<f64>, Vec<bool>) {
    let mut edges = Vec::with_capacity(n + 1);
    let mut thin: Vec<bool> = Vec::with_capacity(n);
    let mut at = 0.0;
    edges.push(at);
    for k in 0..n {
        // A thin strip now and then, never two side by side.
        let is_thin = k > 0 && !thin[k - 1] && unit(seed, tag, k as i64, 1) < 1.0 / thin_every;
        let width = if is_thin {
            range(seed, tag, k as i64, 2, 6.0, 12.0)
        } else {
            range(seed, tag, k as i64, 2, field.0, field.1) * scale
        };
        thin.push(is_thin);
        at += width;
        edges.push(at);
    }
    (edges, thin)
}

impl Lattice {
    /// A lattice of `ncols` × `nrows` cells; field widths are multiplied by `scale`.
    pub fn new(seed: u64, ncols: usize, nrows: usize, scale: f64, center: Coord<f64>) -> Lattice {
        let (xs, thin_col) = boundaries(seed, TAG_COL, ncols, scale, (80.0, 160.0), 9.0);
        let (ys, thin_row) = boundaries(seed, TAG_ROW, nrows, scale, (35.0, 75.0), 7.0);
        let origin = Coord {
            x: center.x - xs[ncols] / 2.0,
            y: center.y - ys[nrows] / 2.0,
        };
        Lattice {
            seed,
            xs,
            ys,
            thin_col,
            thin_row,
            origin,
        }
    }

    /// The lattice moved so that its centre is `center`.
    pub fn centred_at(mut self, center: Coord<f64>) -> Lattice {
        self.origin = Coord {
            x: center.x - self.xs[self.ncols()] / 2.0,
            y: center.y - self.ys[self.nrows()] / 2.0,
        };
        self
    }

    /// Number of cell columns.
    pub fn ncols(&self) -> usize {
        self.thin_col.len()
    }

    /// Number of cell rows.
    pub fn nrows(&self) -> usize {
        self.thin_row.len()
    }

    fn spacing_x(&self, i: usize) -> f64 {
        let left = if i > 0 {
            self.xs[i] - self.xs[i - 1]
        } else {
            f64::INFINITY
        };
        let right = self.xs.get(i + 1).map_or(f64::INFINITY, |x| x - self.xs[i]);
        left.min(right)
    }

    fn spacing_y(&self, j: usize) -> f64 {
        let below = if j > 0 {
            self.ys[j] - self.ys[j - 1]
        } else {
            f64::INFINITY
        };
        let above = self.ys.get(j + 1).map_or(f64::INFINITY, |y| y - self.ys[j]);
        below.min(above)
    }

    /// Rounds a local point to a projected coordinate on the millimetre.
    fn place(&self, x: f64, y: f64) -> Coord<f64> {
        let mm = |v: f64| (v * 1000.0).round() / 1000.0;
        Coord {
            x: mm(self.origin.x + x),
            y: mm(self.origin.y + y),
        }
    }

    /// A lattice vertex, jittered by up to 20 % of the narrower neighbouring strip. The two
    /// sides of a thin strip share their jitter along it, so roads and ditches keep their width
    /// instead of turning into slivers.
    pub fn vertex(&self, (i, j): Vertex) -> Coord<f64> {
        let below_thin = j > 0 && self.thin_row.get(j - 1).copied().unwrap_or(false);
        let left_thin = i > 0 && self.thin_col.get(i - 1).copied().unwrap_or(false);
        let jx_row = if below_thin { j - 1 } else { j };
        let jy_col = if left_thin { i - 1 } else { i };
        let jx = 0.2
            * self.spacing_x(i)
            * (2.0 * unit(self.seed, TAG_JX, i as i64, jx_row as i64) - 1.0);
        let jy = 0.2
            * self.spacing_y(j)
            * (2.0 * unit(self.seed, TAG_JY, jy_col as i64, j as i64) - 1.0);
        self.place(self.xs[i] + jx, self.ys[j] + jy)
    }

    /// The local (unjittered) centre of cell (i, j).
    pub fn cell_center(&self, i: usize, j: usize) -> (f64, f64) {
        (
            (self.xs[i] + self.xs[i + 1]) / 2.0,
            (self.ys[j] + self.ys[j + 1]) / 2.0,
        )
    }

    /// Pushes the wiggle vertices of the lattice edge `a`→`b` (adjacent vertices), in that
    /// direction, without `a` or `b`. The same points, reversed, come out for `b`→`a`.
    pub fn push_edge(&self, a: Vertex, b: Vertex, out: &mut Vec<Coord<f64>>) {
        let (lo, hi, reversed) = if a < b { (a, b, false) } else { (b, a, true) };
        let horizontal = lo.1 == hi.1;
        // Wiggles bulge across the edge by a few percent of the strips on either side; edges
        // that touch a thin strip stay nearly straight so roads and ditches keep their width.
        let (across, thin) = if horizontal {
            (
                strip_gap(&self.ys, lo.1),
                touches_thin(&self.thin_col, lo.0, &self.thin_row, lo.1),
            )
        } else {
            (
                strip_gap(&self.xs, lo.0),
                touches_thin(&self.thin_row, lo.1, &self.thin_col, lo.0),
            )
        };
        let key = (lo.0 as i64) << 1 | horizontal as i64;
        // Every edge gets a wiggle (so every parcel has at least 8 vertices); edges along roads and
        // ditches only one, so long thin parcels stay under 40.
        let count = if thin {
            1
        } else {
            1 + (crate::rng::hash(self.seed, TAG_WIGGLE, key, lo.1 as i64) % 2) as usize
        };
        let (pa, pb) = (self.vertex(lo), self.vertex(hi));
        let start = out.len();
        for k in 1..=count {
            let t = k as f64 / (count + 1) as f64;
            let (dx, dy) = (pb.x - pa.x, pb.y - pa.y);
            let len = crate::rng::dist(dx, dy).max(1e-9);
            // Short edges (across a road or ditch) get a straight-line vertex: in a cell a few
            // metres wide a bulge could cross the neighbouring edge.
            let bulge = if len < 20.0 {
                0.0
            } else {
                (0.04 * across.min(200.0)).min(0.1 * len)
            };
            let offset =
                bulge * (2.0 * unit(self.seed, TAG_WIGGLE + k as u64, key, lo.1 as i64) - 1.0);
            let (nx, ny) = (-dy / len, dx / len);
            out.push(self.place(
                pa.x - self.origin.x + dx * t + nx * offset,
                pa.y - self.origin.y + dy * t + ny * offset,
            ));
        }
        if reversed {
            out[start..].reverse();
        }
    }

    /// The ring (closed, counter-clockwise) through lattice vertices `path`, with the wiggles of
    /// every edge between consecutive vertices. `path` lists each corner once.
    pub fn ring(&self, path: &[Vertex]) -> Vec<Coord<f64>> {
        let mut out = Vec::with_capacity(path.len() * 3 + 1);
        for (k, &v) in path.iter().enumerate() {
            out.push(self.vertex(v));
            self.push_edge(v, path[(k + 1) % path.len()], &mut out);
        }
        out.push(out[0]);
        out
    }

    /// The lattice vertices around a horizontal run of cells `i0..=i1` in row `j`, CCW.
    pub fn row_run(i0: usize, i1: usize, j: usize) -> Vec<Vertex> {
        let mut path: Vec<Vertex> = (i0..=i1 + 1).map(|i| (i, j)).collect();
        path.extend((i0..=i1 + 1).rev().map(|i| (i, j + 1)));
        path
    }

    /// The lattice vertices around a vertical run of cells `j0..=j1` in column `i`, CCW.
    pub fn column_run(i: usize, j0: usize, j1: usize) -> Vec<Vertex> {
        let mut path: Vec<Vertex> = (j0..=j1 + 1).map(|j| (i + 1, j)).collect();
        path.extend((j0..=j1 + 1).rev().map(|j| (i, j)));
        path
    }
}

/// The narrower of the two strips either side of grid line `i` (infinite past the ends).
fn strip_gap(lines: &[f64], i: usize) -> f64 {
    let before = if i > 0 {
        lines[i] - lines[i - 1]
    } else {
        f64::INFINITY
    };
    let after = lines.get(i + 1).map_or(f64::INFINITY, |l| l - lines[i]);
    before.min(after)
}

/// Whether an edge on grid line `across_i`, inside strip `along_i` of the other direction,
/// touches a thin strip: its own strip, or either strip beside its line.
fn touches_thin(along: &[bool], along_i: usize, across: &[bool], across_i: usize) -> bool {
    along[along_i]
        || across.get(across_i).copied().unwrap_or(false)
        || (across_i > 0 && across[across_i - 1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, LineString, Polygon};

    #[test]
    fn neighbouring_runs_share_identical_vertices() {
        let lattice = Lattice::new(
            3,
            20,
            20,
            1.0,
            Coord {
                x: 41_500_000.0,
                y: 5_080_000.0,
            },
        );
        let a = lattice.ring(&Lattice::row_run(2, 3, 5));
        let b = lattice.ring(&Lattice::row_run(4, 4, 5));
        // a's right side runs up x = col 4; b's left side runs down it: same points reversed.
        let shared: Vec<_> = a.iter().filter(|p| b.contains(p)).collect();
        assert!(shared.len() >= 2);
        let area = |r: Vec<Coord<f64>>| Polygon::new(LineString(r), vec![]).signed_area();
        assert!(area(a) > 0.0 && area(b) > 0.0); // counter-clockwise
    }

    #[test]
    fn runs_tile_their_bounding_runs() {
        // Cells 0..=2 of a row as one run, or as three runs, cover the same area.
        let lattice = Lattice::new(9, 10, 10, 1.0, Coord { x: 0.0, y: 0.0 });
        let area = |r: Vec<Coord<f64>>| Polygon::new(LineString(r), vec![]).unsigned_area();
        let whole = area(lattice.ring(&Lattice::row_run(0, 2, 4)));
        let parts: f64 = (0..=2)
            .map(|i| area(lattice.ring(&Lattice::row_run(i, i, 4))))
            .sum();
        assert!((whole - parts).abs() < 1e-6 * whole, "{whole} vs {parts}");
        let column: f64 = (3..=5)
            .map(|j| area(lattice.ring(&Lattice::column_run(7, j, j))))
            .sum();
        assert!((area(lattice.ring(&Lattice::column_run(7, 3, 5))) - column).abs() < 1e-6 * column);
    }
}
