//! Filter and refine: land-use parcels cut by a township.
//!
//! *Filter*: parcels whose envelope meets the township's envelope (R-tree). A parcel whose
//! envelope meets none of the township's boundary segments lies wholly inside or wholly outside
//! and is never clipped: one point-in-polygon test decides. *Refine*: for the rest, the township
//! is cut down to the parcel's neighbourhood; exact contact tests settle a parcel that only
//! touches it from outside (no piece) or lies within it (the whole parcel), and the few that
//! cross the border are intersected with it (geo's `BooleanOps`).

use crate::clip::{clip_rect, clip_to_rect};
use crate::prepared::{Near, Prepared};
use geo::{Area, BooleanOps, BoundingRect, Intersects, MultiPolygon};
use rayon::prelude::*;
use redline_geom::envelope;
use redline_index::{interiors_may_meet, lies_within, EdgeIndex};
use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A piece of a source feature inside one township: 32 bytes, for a piece of every parcel of
/// the townships in work.
#[derive(Debug, Clone)]
pub(crate) struct Piece<'a> {
    /// The source feature's position in its layer.
    pub source: usize,
    /// The piece (the feature itself when it lies wholly inside).
    pub geometry: Shape<'a>,
    /// Planar area of the piece.
    pub planar: f64,
}

impl Piece<'_> {
    /// True when the piece is the whole feature.
    pub fn is_whole(&self) -> bool {
        matches!(self.geometry, Shape::Whole(_))
    }
}

/// A piece's polygons: the feature's own, borrowed, or the part of it a township holds (a
/// parcel in twenty-five is cut: boxed, the other pieces need not make room for it).
#[derive(Debug, Clone)]
pub(crate) enum Shape<'a> {
    /// The whole feature.
    Whole(&'a MultiPolygon<f64>),
    /// The part inside the township.
    Cut(Box<MultiPolygon<f64>>),
}

impl Deref for Shape<'_> {
    type Target = MultiPolygon<f64>;
    fn deref(&self) -> &MultiPolygon<f64> {
        match self {
            Shape::Whole(g) => g,
            Shape::Cut(g) => g,
        }
    }
}

impl AsRef<MultiPolygon<f64>> for Shape<'_> {
    fn as_ref(&self) -> &MultiPolygon<f64> {
        self
    }
}

/// The pieces' neighbourhood index; a whole piece's envelope is its feature's, already known.
pub(crate) fn near<'p>(pieces: &'p [Piece<'_>], layer: &Prepared<'_>) -> Near<'p> {
    let boxes: Vec<_> = pieces
        .par_iter()
        .map(|p| {
            if p.is_whole() {
                layer.bbox(p.source)
            } else {
                redline_geom::envelope(&p.geometry)
            }
        })
        .collect();
    Near::with_boxes(pieces.iter().map(|x| x.geometry.as_ref()).collect(), &boxes)
}

/// A coarse grid over a township: each cell wholly inside, wholly outside, or on the border.
/// A feature whose envelope covers only inside (or only outside) cells is decided without
/// touching the township's edges at all.
pub(crate) struct Cells {
    min: (f64, f64),
    step: (f64, f64),
    n: usize,
    state: Vec<u8>,
}

const OUTSIDE: u8 = 0;
const INSIDE: u8 = 1;
const BORDER: u8 = 2;

impl Cells {
    pub fn new(township: &MultiPolygon<f64>, edges: &EdgeIndex, n: usize) -> Cells {
        let Some(b) = township.bounding_rect() else {
            return Cells {
                min: (0.0, 0.0),
                step: (1.0, 1.0),
                n: 0,
                state: Vec::new(),
            };
        };
        let step = (
            b.width().max(1e-9) / n as f64,
            b.height().max(1e-9) / n as f64,
        );
        let min = (b.min().x, b.min().y);
        // Neighbouring cells in a row that no boundary segment's envelope touches are on the
        // same side of the boundary (a crossing between their centres would touch one of
        // them), so a run of them takes one point-in-polygon test instead of one a cell. The
        // ray test at the other centres then counts the same segments, unless a cell is so
        // small that rounding reaches across it: tiny cells are tested one by one.
        let magnitude = b.max().x.abs().max(b.max().y.abs()).max(1.0);
        let runs = step.0.min(step.1) > 1e-6 * magnitude;
        let mut state = Vec::with_capacity(n * n);
        for j in 0..n {
            let mut run: Option<u8> = None;
            for i in 0..n {
                let (x0, y0) = (min.0 + i as f64 * step.0, min.1 + j as f64 * step.1);
                let (x1, y1) = (x0 + step.0, y0 + step.1);
                let cell = if edges.meets([x0, y0], [x1, y1]) {
                    BORDER
                } else if let Some(side) = run.filter(|_| runs) {
                    side
                } else if edges.contains_point(geo::Coord {
                    x: (x0 + x1) / 2.0,
                    y: (y0 + y1) / 2.0,
                }) {
                    INSIDE
                } else {
                    OUTSIDE
                };
                run = (cell != BORDER).then_some(cell);
                state.push(cell);
            }
        }
        Cells {
            min,
            step,
            n,
            state,
        }
    }

    /// `Some(true)` when the box lies in inside cells only, `Some(false)` in outside cells
    /// only, `None` when it touches a border cell (or mixes).
    fn classify(&self, r: geo::Rect<f64>) -> Option<bool> {
        if self.n == 0 {
            return None;
        }
        let cell = |v: f64, lo: f64, step: f64| {
            (((v - lo) / step).floor().max(0.0) as usize).min(self.n - 1)
        };
        let (i0, i1) = (
            cell(r.min().x, self.min.0, self.step.0),
            cell(r.max().x, self.min.0, self.step.0),
        );
        let (j0, j1) = (
            cell(r.min().y, self.min.1, self.step.1),
            cell(r.max().y, self.min.1, self.step.1),
        );
        let first = self.state[j0 * self.n + i0];
        if first == BORDER {
            return None;
        }
        for j in j0..=j1 {
            for i in i0..=i1 {
                if self.state[j * self.n + i] != first {
                    return None;
                }
            }
        }
        Some(first == INSIDE)
    }
}

/// The township cut down to tiles of a 16 × 16 grid (each widened by a quarter tile), made when
/// first needed: a feature near the border is clipped against its tile's few vertices instead of
/// the whole township's.
pub(crate) struct Tiles<'a> {
    township: &'a MultiPolygon<f64>,
    min: (f64, f64),
    step: (f64, f64),
    parts: Vec<std::sync::OnceLock<(MultiPolygon<f64>, geo::Rect<f64>)>>,
}

const TILES: usize = 16;

impl<'a> Tiles<'a> {
    pub fn new(township: &'a MultiPolygon<f64>) -> Tiles<'a> {
        let b = township.bounding_rect();
        let (min, step) = b.map_or(((0.0, 0.0), (1.0, 1.0)), |b| {
            (
                (b.min().x, b.min().y),
                (
                    b.width().max(1e-9) / TILES as f64,
                    b.height().max(1e-9) / TILES as f64,
                ),
            )
        });
        Tiles {
            township,
            min,
            step,
            parts: (0..TILES * TILES)
                .map(|_| std::sync::OnceLock::new())
                .collect(),
        }
    }

    /// The township near `rect`: its tile's cut when `rect` fits in the widened tile, else the
    /// whole township.
    fn near(&self, rect: geo::Rect<f64>) -> &MultiPolygon<f64> {
        let (cx, cy) = (rect.center().x, rect.center().y);
        let i = (((cx - self.min.0) / self.step.0).floor().max(0.0) as usize).min(TILES - 1);
        let j = (((cy - self.min.1) / self.step.1).floor().max(0.0) as usize).min(TILES - 1);
        let (part, widened) = self.parts[j * TILES + i].get_or_init(|| {
            let (x0, y0) = (
                self.min.0 + i as f64 * self.step.0,
                self.min.1 + j as f64 * self.step.1,
            );
            let (mx, my) = (self.step.0 / 4.0, self.step.1 / 4.0);
            let widened = geo::Rect::new(
                geo::Coord {
                    x: x0 - mx,
                    y: y0 - my,
                },
                geo::Coord {
                    x: x0 + self.step.0 + mx,
                    y: y0 + self.step.1 + my,
                },
            );
            (crate::clip::clip_to_rect(self.township, widened), widened)
        });
        let inside = widened.min().x < rect.min().x
            && rect.max().x < widened.max().x
            && widened.min().y < rect.min().y
            && rect.max().y < widened.max().y;
        if inside {
            part
        } else {
            self.township
        }
    }
}

/// What cutting a layer by one township needs.
pub(crate) struct Cutter<'a> {
    pub township: &'a MultiPolygon<f64>,
    pub edges: &'a EdgeIndex,
    pub cells: &'a Cells,
    pub tiles: &'a Tiles<'a>,
}

impl<'a> Cutter<'a> {
    /// The pieces of `features` inside the township, in feature order, and how many were clipped.
    pub fn pieces<'f>(&self, layer: &Prepared<'f>) -> (Vec<Piece<'f>>, usize) {
        let features = &layer.geoms;
        let Some(bbox) = self.township.bounding_rect() else {
            return (Vec::new(), 0);
        };
        // The features whose envelope meets the township's, in order: a scan of the envelopes
        // (a dozen townships ask once each; an R-tree of a million envelopes cost more to build
        // than all their scans).
        let candidates: Vec<usize> = (0..layer.len())
            .into_par_iter()
            .filter(|&k| layer.bbox(k).is_some_and(|r| r.intersects(&bbox)))
            .collect();
        // Features are cut in parallel (a big township is many features), gathered in order
        // straight into the pieces (a list of pairs counting the clipped ones was 56 bytes a
        // feature beside them).
        let clipped_count = AtomicUsize::new(0);
        let pieces: Vec<Piece<'f>> = candidates
            .into_par_iter()
            .filter_map(|k| {
                let mut clipped = false;
                let piece = (|| {
                    let g: &'f MultiPolygon<f64> = features.get(k);
                    let r = layer.bbox(k)?;
                    let whole = || Piece {
                        source: k,
                        geometry: Shape::Whole(g),
                        planar: layer.planar(k),
                    };
                    match self.cells.classify(r) {
                        Some(true) => return Some(whole()),
                        Some(false) => return None,
                        None => {}
                    }
                    if !self
                        .edges
                        .meets([r.min().x, r.min().y], [r.max().x, r.max().y])
                    {
                        let probe = g.0.first()?.exterior().0.first()?;
                        return self.edges.contains_point(*probe).then(whole);
                    }
                    clipped = true;
                    let rect = clip_rect(g)?;
                    // The tile's cut (or the township) clipped again to the feature's
                    // rectangle: clipping by nested rectangles is clipping by the inner one.
                    let near = clip_to_rect(self.tiles.near(rect), rect);
                    // Most features near the border only touch the township from outside
                    // (they are the neighbour's): an exact contact test says so without the
                    // overlay, whose answer would be empty.
                    let near_box = envelope(&near)?;
                    if !interiors_may_meet(g, r, &near, near_box) {
                        return None;
                    }
                    // The others mostly lie inside, along the border: the feature itself, as
                    // exact as it was read (the overlay would snap its vertices to its grid).
                    if lies_within(g, r, &near, near_box) {
                        return Some(whole());
                    }
                    let cut = g.intersection(&near);
                    let area = cut.unsigned_area();
                    (area > 0.0).then(|| Piece {
                        source: k,
                        geometry: Shape::Cut(Box::new(cut)),
                        planar: area,
                    })
                })();
                if clipped {
                    clipped_count.fetch_add(1, Ordering::Relaxed);
                }
                piece
            })
            .collect();
        (pieces, clipped_count.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    /// Every cell's own test, as the cells were first classified: the reference for the runs.
    fn one_by_one(township: &MultiPolygon<f64>, edges: &EdgeIndex, n: usize) -> Vec<u8> {
        let Some(b) = township.bounding_rect() else {
            return Vec::new();
        };
        let step = (b.width() / n as f64, b.height() / n as f64);
        let mut state = Vec::new();
        for j in 0..n {
            for i in 0..n {
                let (x0, y0) = (b.min().x + i as f64 * step.0, b.min().y + j as f64 * step.1);
                let (x1, y1) = (x0 + step.0, y0 + step.1);
                let centre = geo::Coord {
                    x: (x0 + x1) / 2.0,
                    y: (y0 + y1) / 2.0,
                };
                state.push(if edges.meets([x0, y0], [x1, y1]) {
                    BORDER
                } else if edges.contains_point(centre) {
                    INSIDE
                } else {
                    OUTSIDE
                });
            }
        }
        state
    }

    /// The pieces of `features` in `township`, as the engine cuts them (planar area, whether the
    /// piece is the whole feature), with the number of features that went to the exact cut.
    fn cut(
        township: &MultiPolygon<f64>,
        features: &[MultiPolygon<f64>],
    ) -> (Vec<Option<(f64, bool)>>, usize) {
        let edges = EdgeIndex::new(township);
        let cells = Cells::new(township, &edges, 128);
        let tiles = Tiles::new(township);
        let cutter = Cutter {
            township,
            edges: &edges,
            cells: &cells,
            tiles: &tiles,
        };
        let settings = crate::model::Settings::for_tests(redline_geom::AreaMethod::Planar);
        let layer = Prepared::new(
            "landuse",
            features.iter().collect::<Vec<_>>().into(),
            &settings,
        )
        .unwrap();
        let (pieces, clipped) = cutter.pieces(&layer);
        let area = |k: usize| {
            let piece = pieces.iter().find(|p| p.source == k);
            piece.map(|p| (p.planar, p.is_whole()))
        };
        ((0..features.len()).map(area).collect(), clipped)
    }

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![
            polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)],
        ])
    }

    #[test]
    fn features_along_the_border_are_settled_exactly() {
        // An L: [0,100]² without its top right quarter [50,100]².
        let township = MultiPolygon(vec![polygon![
            (x: 0., y: 0.), (x: 100., y: 0.), (x: 100., y: 50.), (x: 50., y: 50.),
            (x: 50., y: 100.), (x: 0., y: 100.)
        ]]);
        let features = [
            rect(100.0, 10.0, 120.0, 30.0), // the neighbour's, sharing a side
            rect(90.0, 20.0, 110.0, 40.0),  // across the border: 10 × 20 inside
            rect(80.0, 30.0, 100.0, 50.0),  // inside, sharing two sides
            rect(-20.0, -20.0, 0.0, 0.0),   // outside, touching a corner
            rect(10.0, 10.0, 20.0, 20.0),   // far from the border
            rect(50.0, 50.0, 70.0, 70.0),   // in the notch, touching its corner
            rect(40.0, 40.0, 50.0, 50.0),   // inside, its corner on the notch's
            rect(40.0, 40.0, 60.0, 60.0),   // around the notch's corner: three quarters
        ];
        let (areas, clipped) = cut(&township, &features);
        assert_eq!(areas[0], None);
        let (cut_area, whole) = areas[1].unwrap();
        assert!((cut_area - 200.0).abs() < 1e-6 && !whole, "{areas:?}");
        // The features that lie within are themselves, to the bit.
        assert_eq!(areas[2], Some((400.0, true)));
        assert_eq!(areas[3], None);
        assert_eq!(areas[4], Some((100.0, true)));
        assert_eq!(areas[5], None);
        assert_eq!(areas[6], Some((100.0, true)));
        let (cut_area, whole) = areas[7].unwrap();
        assert!((cut_area - 300.0).abs() < 1e-6 && !whole, "{areas:?}");
        // Every feature whose box meets the border's went to the exact tests, the outside ones
        // too.
        assert_eq!(clipped, 7);
    }

    #[test]
    fn a_vertex_a_hair_outside_the_border_makes_no_sliver() {
        // From the demo county (the township as the cut clips it near the parcel): a parcel of
        // the neighbouring township, cut along the border and rounded to the micrometre, has a
        // vertex 2.2e-8 m outside the border edge (the exact cross product, by hand with
        // rationals, is −4.95e-7). The overlay snapped it across the edge and made a 4.4e-6 m²
        // sliver, which listed the parcel's village in this township's table; the exact
        // contact test makes no piece.
        let township = MultiPolygon(vec![polygon![
            (x: 41516161.23597451, y: 5074248.180016159),
            (x: 41516159.205, y: 5074236.348),
            (x: 41516158.569, y: 5074214.043),
            (x: 41516156.338, y: 5074191.764),
            (x: 41516158.169, y: 5074169.421),
            (x: 41516158.549859434, y: 5074155.62798384),
            (x: 41516164.27401616, y: 5074155.62798384),
            (x: 41516164.27401616, y: 5074248.180016159),
        ]]);
        let parcel = MultiPolygon(vec![polygon![
            (x: 41515739.35, y: 5074203.561),
            (x: 41515738.869, y: 5074175.058),
            (x: 41515776.982, y: 5074173.367),
            (x: 41515814.856, y: 5074169.204),
            (x: 41515852.629, y: 5074164.012),
            (x: 41515932.393, y: 5074162.77),
            (x: 41516012.139, y: 5074160.697),
            (x: 41516060.663, y: 5074166.164),
            (x: 41516071.084693, y: 5074166.327142),
            (x: 41516071.799, y: 5074167.943),
            (x: 41516122.928, y: 5074206.488),
            (x: 41516158.667101, y: 5074217.483477),
            (x: 41516159.205, y: 5074236.348),
            (x: 41516096.965, y: 5074237.708),
            (x: 41516034.848, y: 5074241.851),
            (x: 41515939.855, y: 5074243.111),
            (x: 41515844.869, y: 5074241.391),
            (x: 41515809.714, y: 5074238.045),
            (x: 41515774.427, y: 5074236.191),
            (x: 41515739.341, y: 5074232.068),
        ]]);
        assert_eq!(cut(&township, &[parcel]), (vec![None], 1));
    }

    #[test]
    fn a_piece_is_four_words() {
        // What its documentation claims: the whole flag is the shape's own, a cut is boxed.
        assert_eq!(std::mem::size_of::<Piece>(), 32);
    }

    #[test]
    fn runs_of_cells_are_classified_as_each_cell_alone() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/demo/townships.geojson"
        );
        let read = redline_ingest::read_layer(path.as_ref(), &Default::default()).unwrap();
        // A comb: teeth one cell wide and gaps between them, with a hole in its back.
        let comb =
            MultiPolygon(vec![geo::Polygon::new(
            geo::LineString::from(
                [(0.0, 0.0), (100.0, 0.0), (100.0, 50.0)]
                    .into_iter()
                    .chain((0..10).rev().flat_map(|t| {
                        let x = t as f64 * 10.0;
                        [(x + 7.0, 50.0), (x + 7.0, 100.0), (x + 3.0, 100.0), (x + 3.0, 50.0)]
                    }))
                    .chain([(0.0, 50.0), (0.0, 0.0)])
                    .collect::<Vec<_>>(),
            ),
            vec![polygon![(x: 20., y: 10.), (x: 20., y: 30.), (x: 60., y: 30.), (x: 60., y: 10.)]
                .exterior()
                .clone()],
        )]);
        let shapes = read.layer.features.iter().map(|f| (*f.geometry).clone());
        let mut classified = 0;
        for shape in shapes.chain([comb]) {
            let edges = EdgeIndex::new(&shape);
            for n in [128, 37, 9] {
                let cells = Cells::new(&shape, &edges, n);
                assert_eq!(cells.state, one_by_one(&shape, &edges, n), "n = {n}");
                classified += cells.state.iter().filter(|&&c| c != BORDER).count();
            }
        }
        // Most cells are decided without touching the boundary: the runs were exercised.
        assert!(classified > 100_000, "{classified}");
    }
}
