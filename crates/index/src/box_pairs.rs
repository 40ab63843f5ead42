//! The pairs of boxes whose interiors overlap, found on a uniform grid: the candidates of a
//! coverage check.
//!
//! A coverage check asks, for every feature, which later features' boxes overlap its own. Asked
//! of the packed R-tree one feature at a time, the descent through its levels cost more than
//! the answers (a fifth of the check at a million parcels). Most boxes of a layer are about the
//! same size, so a grid with cells of about that size lists each box in a few cells and finds a
//! box's neighbours in the cells it meets. Boxes far larger than the cells ("wide": a
//! township-sized block among parcels) are kept out of the cells and found by a scan or a tree
//! of their own.

use crate::EnvelopeIndex;
use geo::Rect;

/// A box listed in more cells than this is wide.
const MAX_CELLS: usize = 16;

/// Up to this many wide boxes are scanned; more are looked up in a tree of their own.
const SCANNED_WIDE: usize = 32;

/// Boxes on a grid: each narrow box listed in every cell it meets.
pub(crate) struct BoxGrid<'b> {
    boxes: &'b [Option<Rect<f64>>],
    /// The grid's lower-left corner and its cells' width and height.
    origin: (f64, f64),
    cell: (f64, f64),
    columns: usize,
    rows: usize,
    /// Cell `c` lists `entries[starts[c]..starts[c + 1]]` (row-major cells), in ascending
    /// position.
    starts: Vec<u32>,
    entries: Vec<u32>,
    /// The boxes kept out of the cells, in ascending position.
    wide: Vec<usize>,
    /// A tree of the wide boxes where there are many (its entry `i` is `wide[i]`).
    wide_index: Option<EnvelopeIndex>,
}

/// The cells a box meets: columns `x0..=x1`, rows `y0..=y1`.
#[derive(Clone, Copy)]
struct Span {
    x0: usize,
    x1: usize,
    y0: usize,
    y1: usize,
}

impl Span {
    fn cells(self) -> usize {
        (self.x1 - self.x0 + 1) * (self.y1 - self.y0 + 1)
    }

    /// Calls `f` with each cell's position in a grid of `columns` columns (row-major).
    fn each_cell(self, columns: usize, mut f: impl FnMut(usize)) {
        for y in self.y0..=self.y1 {
            for x in self.x0..=self.x1 {
                f(y * columns + x);
            }
        }
    }
}

impl<'b> BoxGrid<'b> {
    /// The grid of `boxes` (`None`, an empty geometry, is in no pair). Cells are the median
    /// box's size, made larger where that would give more than two cells a box.
    pub(crate) fn new(boxes: &'b [Option<Rect<f64>>]) -> Self {
        // Positions are kept as u32, and a box is in at most MAX_CELLS cells.
        let layout = layout(boxes).filter(|_| boxes.len() <= (u32::MAX as usize) / MAX_CELLS);
        // Without a grid every box is wide: all in the tree.
        let all_wide = layout.is_none();
        let (origin, cell, columns, rows) = layout.unwrap_or(((0.0, 0.0), (1.0, 1.0), 1, 1));
        let mut grid = BoxGrid {
            boxes,
            origin,
            cell,
            columns,
            rows,
            starts: vec![0; columns * rows + 1],
            entries: Vec::new(),
            wide: Vec::new(),
            wide_index: None,
        };
        grid.fill(all_wide);
        grid
    }

    /// The cells of box `k`, or `None` for an empty or a wide box.
    fn narrow_span(&self, k: usize) -> Option<Span> {
        let span = self.span(self.boxes[k]?);
        (span.cells() <= MAX_CELLS).then_some(span)
    }

    /// Lists the narrow boxes in their cells and sets the wide ones aside. The cells' lists
    /// are counted, then filled from their ends: no list of spans, no second table of starts
    /// (this runs while a whole layer is in memory, at the read's peak).
    fn fill(&mut self, all_wide: bool) {
        if all_wide {
            self.wide = (0..self.boxes.len())
                .filter(|&k| self.boxes[k].is_some())
                .collect();
            self.index_wide();
            return;
        }
        let (columns, cells) = (self.columns, self.columns * self.rows);
        for k in 0..self.boxes.len() {
            match self.narrow_span(k) {
                Some(s) => s.each_cell(columns, |c| self.starts[c] += 1),
                None if self.boxes[k].is_some() => self.wide.push(k),
                None => {}
            }
        }
        // Each cell's count becomes where its list ends; placing a box steps the end back, so
        // once all are placed it is where the list starts.
        for c in 1..cells {
            self.starts[c] += self.starts[c - 1];
        }
        self.starts[cells] = self.starts[cells - 1];
        self.entries = vec![0; self.starts[cells] as usize];
        for k in (0..self.boxes.len()).rev() {
            if let Some(s) = self.narrow_span(k) {
                s.each_cell(columns, |c| {
                    self.starts[c] -= 1;
                    self.entries[self.starts[c] as usize] = k as u32;
                });
            }
        }
        if self.wide.len() > SCANNED_WIDE {
            self.index_wide();
        }
    }

    /// Puts the wide boxes in a tree of their own.
    fn index_wide(&mut self) {
        let wide_boxes: Vec<Option<Rect<f64>>> = self.wide.iter().map(|&k| self.boxes[k]).collect();
        self.wide_index = Some(EnvelopeIndex::from_boxes(&wide_boxes));
    }

    /// The column of `x` (monotone in `x`, so a point inside a box has a column in the box's
    /// span).
    fn column(&self, x: f64) -> usize {
        (((x - self.origin.0) / self.cell.0) as usize).min(self.columns - 1)
    }

    fn row(&self, y: f64) -> usize {
        (((y - self.origin.1) / self.cell.1) as usize).min(self.rows - 1)
    }

    fn span(&self, r: Rect<f64>) -> Span {
        Span {
            x0: self.column(r.min().x),
            x1: self.column(r.max().x),
            y0: self.row(r.min().y),
            y1: self.row(r.max().y),
        }
    }

    /// Adds to `out` every position after `a` whose box overlaps `a`'s with positive area, each
    /// once, in no particular order.
    pub(crate) fn later_overlapping(&self, a: usize, out: &mut Vec<usize>) {
        self.overlapping_where(a, out, |b| b > a);
    }

    /// Adds to `out` every position `b` that `keep` takes whose box overlaps `a`'s with positive
    /// area, each once, in no particular order (`a` itself too, where `keep` takes it).
    pub(crate) fn overlapping_where(
        &self,
        a: usize,
        out: &mut Vec<usize>,
        keep: impl Fn(usize) -> bool,
    ) {
        let Some(ra) = self.boxes[a] else { return };
        let meets = |rb: Rect<f64>| overlap_with_area(ra, rb);
        // A pair met in several cells is taken in one: the cell of the lower-left corner of
        // the two boxes' intersection, which lies in both boxes and so in both spans.
        self.span(ra).each_cell(self.columns, |c| {
            let list = self.starts[c] as usize..self.starts[c + 1] as usize;
            for &b in &self.entries[list] {
                let b = b as usize;
                let Some(rb) = self.boxes[b].filter(|rb| keep(b) && meets(*rb)) else {
                    continue;
                };
                let corner = (ra.min().x.max(rb.min().x), ra.min().y.max(rb.min().y));
                if self.row(corner.1) * self.columns + self.column(corner.0) == c {
                    out.push(b);
                }
            }
        });
        let kept_wide = |b: &usize| keep(*b) && self.boxes[*b].is_some_and(meets);
        match &self.wide_index {
            None => out.extend(self.wide.iter().copied().filter(kept_wide)),
            Some(index) => {
                let (lo, hi) = (ra.min(), ra.max());
                let found = index
                    .candidates([lo.x, lo.y], [hi.x, hi.y])
                    .map(|i| self.wide[i]);
                out.extend(found.filter(kept_wide));
            }
        }
    }
}

/// Origin, cell width and height, columns, rows.
type Layout = ((f64, f64), (f64, f64), usize, usize);

/// Whether two boxes share an area (not only an edge or a corner).
pub(crate) fn overlap_with_area(a: Rect<f64>, b: Rect<f64>) -> bool {
    a.min().x < b.max().x && b.min().x < a.max().x && a.min().y < b.max().y && b.min().y < a.max().y
}

/// The grid's origin, cell size, columns and rows for `boxes`; `None` where no grid of about
/// as many cells as boxes has cells of a useful size (extents near the largest floats).
fn layout(boxes: &[Option<Rect<f64>>]) -> Option<Layout> {
    let present = || boxes.iter().flatten();
    let Some(first) = present().next() else {
        return Some(((0.0, 0.0), (1.0, 1.0), 1, 1));
    };
    let (mut lo, mut hi) = (first.min(), first.max());
    for r in present() {
        lo = (lo.x.min(r.min().x), lo.y.min(r.min().y)).into();
        hi = (hi.x.max(r.max().x), hi.y.max(r.max().y)).into();
    }
    let (width, height) = (hi.x - lo.x, hi.y - lo.y);
    let median = |size: fn(&Rect<f64>) -> f64| {
        let mut sizes: Vec<f64> = present().map(size).collect();
        let middle = sizes.len() / 2;
        *sizes.select_nth_unstable_by(middle, f64::total_cmp).1
    };
    // Cells at least the median box, and about two a box at most: a box then meets four or
    // so, and the grid is never much larger than the list of boxes.
    let most = 2 * present().count() + 2;
    let fallback = (width * height / most as f64).sqrt();
    let pick = |m: f64, extent: f64| {
        [m, fallback, extent, 1.0]
            .into_iter()
            .find(|s| *s > 0.0 && s.is_finite())
            .unwrap_or(1.0)
    };
    let (mut cx, mut cy) = (
        pick(median(|r| r.width()), width),
        pick(median(|r| r.height()), height),
    );
    // At most `most` columns and rows each (a float too large for a usize saturates).
    let count = |extent: f64, cell: f64| ((extent / cell) as usize).saturating_add(1).min(most);
    for _ in 0..100 {
        if !(width.is_finite() && height.is_finite() && cx.is_finite() && cy.is_finite()) {
            break;
        }
        if count(width, cx) * count(height, cy) <= 2 * most {
            return Some(((lo.x, lo.y), (cx, cy), count(width, cx), count(height, cy)));
        }
        (cx, cy) = (cx * 1.5, cy * 1.5);
    }
    None // extents no grid of this size fits (spans near the largest floats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::coord;

    /// Boxes from a fixed xorshift sequence on a 100 × 100 field: most a unit or two wide,
    /// every `wide_every`-th up to half the field, every eleventh `None`, some on a shared
    /// grid of edges (neighbours that only touch) and some the same box twice.
    fn boxes(n: usize, wide_every: usize) -> Vec<Option<Rect<f64>>> {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        (0..n)
            .map(|i| {
                if i % 11 == 5 {
                    return None;
                }
                let (x, y) = (next() * 100.0, next() * 100.0);
                let (w, h) = if i % wide_every == 3 {
                    (next() * 50.0, next() * 50.0)
                } else if i % 7 == 2 {
                    // Snapped to whole units: touching neighbours and exact twins.
                    return Some(Rect::new(
                        coord! { x: x.floor(), y: y.floor() },
                        coord! { x: x.floor() + 1.0, y: y.floor() + 1.0 },
                    ));
                } else {
                    (next() * 2.0, next() * 2.0)
                };
                Some(Rect::new(
                    coord! { x: x, y: y },
                    coord! { x: x + w, y: y + h },
                ))
            })
            .collect()
    }

    fn by_grid(boxes: &[Option<Rect<f64>>]) -> Vec<(usize, usize)> {
        let grid = BoxGrid::new(boxes);
        let mut pairs = Vec::new();
        for a in 0..boxes.len() {
            let mut later = Vec::new();
            grid.later_overlapping(a, &mut later);
            pairs.extend(later.into_iter().map(|b| (a, b)));
        }
        pairs.sort_unstable();
        pairs
    }

    fn by_every_pair(boxes: &[Option<Rect<f64>>]) -> Vec<(usize, usize)> {
        let mut pairs = Vec::new();
        for a in 0..boxes.len() {
            for b in a + 1..boxes.len() {
                if let (Some(ra), Some(rb)) = (boxes[a], boxes[b]) {
                    if overlap_with_area(ra, rb) {
                        pairs.push((a, b));
                    }
                }
            }
        }
        pairs
    }

    #[test]
    fn finds_every_overlapping_pair_once() {
        // A few wide boxes (scanned), then many (in their own tree).
        for wide_every in [500, 20] {
            let boxes = boxes(3000, wide_every);
            let grid = BoxGrid::new(&boxes);
            assert_eq!(grid.wide_index.is_some(), wide_every == 20);
            assert!(!grid.wide.is_empty());
            let expected = by_every_pair(&boxes);
            assert!(expected.len() > 1500, "{}", expected.len());
            // No pair twice: the sorted list has no neighbours alike.
            let found = by_grid(&boxes);
            assert!(found.windows(2).all(|w| w[0] != w[1]));
            assert_eq!(found, expected);
        }
    }

    #[test]
    fn degenerate_layouts() {
        // Nothing, one box, every box the same, boxes of zero width in a column, and a
        // box far away stretching the field.
        assert!(by_grid(&[]).is_empty());
        assert!(by_grid(&[None, None]).is_empty());
        let unit = Some(Rect::new(coord! { x: 0., y: 0. }, coord! { x: 1., y: 1. }));
        assert!(by_grid(&[unit]).is_empty());
        assert_eq!(by_grid(&[unit, unit, unit]), vec![(0, 1), (0, 2), (1, 2)]);
        let thin: Vec<_> = (0..5)
            .map(|i| {
                Some(Rect::new(
                    coord! { x: 2., y: f64::from(i) },
                    coord! { x: 2., y: 9. },
                ))
            })
            .collect();
        assert!(by_grid(&thin).is_empty()); // no width, no area in common
        let far = Some(Rect::new(
            coord! { x: 1e6, y: 1e6 },
            coord! { x: 1e6 + 1., y: 1e6 + 1. },
        ));
        let half = Some(Rect::new(
            coord! { x: 0.5, y: 0.5 },
            coord! { x: 2., y: 2. },
        ));
        assert_eq!(by_grid(&[unit, far, half, far]), vec![(0, 2), (1, 3)]);
        // Extents no grid fits (a span wider than the largest float): every box in the tree.
        let huge = |x: f64| {
            let far = x + x.abs() / 100.0;
            Some(Rect::new(coord! { x: x, y: x }, coord! { x: far, y: far }))
        };
        let spread = [huge(-1e308), huge(1e308), unit, half, huge(-1e308)];
        let grid = BoxGrid::new(&spread);
        assert!(grid.entries.is_empty() && grid.wide_index.is_some());
        assert_eq!(by_grid(&spread), vec![(0, 4), (2, 3)]);
    }
}
