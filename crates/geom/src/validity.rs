//! Geometry validation on ingest and repair of self-intersecting polygons.
//!
//! Input is raw rings as a reader found them (possibly unclosed, with NaN, crossing
//! themselves); output is a valid, oriented `MultiPolygon` (exteriors counter-clockwise, holes
//! clockwise) plus the problems met on the way.

use crate::segments::{small_ring_is_simple, Meeting, Segments};
use crate::IssueKind;
use geo::{Coord, LineString, MultiPolygon, Polygon};
use i_overlay::core::fill_rule::FillRule;
use i_overlay::float::overlay::OverlayOptions;
use i_overlay::float::simplify::SimplifyShape;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, RTreeObject};
use std::collections::HashSet;
use std::ops::ControlFlow;

/// One problem found while validating a geometry.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidityProblem {
    /// Its kind.
    pub kind: IssueKind,
    /// What exactly, for people.
    pub message: String,
}

/// The result of [`validate_and_repair`].
#[derive(Debug, Clone, PartialEq)]
pub struct RepairOutcome {
    /// The valid geometry, or `None` when nothing usable is left (the feature is dropped).
    pub geometry: Option<MultiPolygon<f64>>,
    /// Problems found, in the order met.
    pub problems: Vec<ValidityProblem>,
}

fn problem(kind: IssueKind, message: impl Into<String>) -> ValidityProblem {
    ValidityProblem {
        kind,
        message: message.into(),
    }
}

/// A multipolygon as [`validate_and_repair`] takes polygons: each polygon's rings, the exterior
/// first (what a reader has before validation).
pub fn raw_polygons(mp: &MultiPolygon<f64>) -> Vec<Vec<Vec<Coord<f64>>>> {
    mp.0.iter()
        .map(|p| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(|r| r.0.clone())
                .collect()
        })
        .collect()
}

/// Makes a geometry valid as it will be written: coordinates rounded to `decimals` places
/// (when given: GeoJSON keeps 10 in lon/lat, about 10 µm), then checked and, where rounding or
/// clipping left a collapsed hole, a spike or a pinch, repaired — again after the repair's new
/// vertices are rounded, at most three times. Every polygon redline writes goes through here.
pub fn valid_for_output(mut mp: MultiPolygon<f64>, decimals: Option<i32>) -> MultiPolygon<f64> {
    for _ in 0..3 {
        if let Some(d) = decimals {
            let f = 10f64.powi(d);
            mp.0.iter_mut().for_each(|p| {
                p.exterior_mut(|r| round_ring(r, f));
                p.interiors_mut(|hs| hs.iter_mut().for_each(|r| round_ring(r, f)));
            });
        }
        let out = validate_and_repair(raw_polygons(&mp));
        let clean = out.problems.is_empty();
        mp = out.geometry.unwrap_or_else(|| MultiPolygon(Vec::new()));
        if clean || decimals.is_none() {
            break;
        }
    }
    mp
}

fn round_ring(ring: &mut LineString<f64>, f: f64) {
    for c in &mut ring.0 {
        c.x = (c.x * f).round() / f;
        c.y = (c.y * f).round() / f;
    }
}

/// Validates raw polygons (each a list of rings, the first the exterior) and repairs what can be
/// repaired: rings are closed, repeated vertices dropped, too-short rings dropped, self-
/// intersections rebuilt by a non-zero fill of each ring (a bow-tie becomes its two lobes), and
/// everything oriented. Non-finite coordinates drop the feature.
pub fn validate_and_repair(raw: Vec<Vec<Vec<Coord<f64>>>>) -> RepairOutcome {
    let mut problems = Vec::new();
    if let Some((p, r, v)) = first_non_finite(&raw) {
        problems.push(problem(
            IssueKind::NonFiniteCoordinate,
            format!("polygon {p} ring {r} vertex {v} is not a finite number"),
        ));
        return RepairOutcome {
            geometry: None,
            problems,
        };
    }
    let mut polygons = Vec::with_capacity(raw.len());
    for (pi, rings) in raw.into_iter().enumerate() {
        let mut cleaned = rings
            .into_iter()
            .enumerate()
            .filter_map(|(ri, ring)| clean_ring(ring, pi, ri, &mut problems));
        // A polygon whose exterior is unusable is dropped with its holes.
        let Some(exterior) = cleaned.next().flatten() else {
            continue;
        };
        let holes: Vec<_> = cleaned.flatten().collect();
        polygons.push(Polygon::new(exterior, holes));
    }
    if polygons.is_empty() {
        if problems.is_empty() {
            problems.push(problem(IssueKind::EmptyGeometry, "the geometry is empty"));
        }
        return RepairOutcome {
            geometry: None,
            problems,
        };
    }
    let mut mp = MultiPolygon(polygons);
    // Most features are one small simple ring: settled without the segment table.
    let simple = match mp.0.as_slice() {
        [p] if p.interiors().is_empty() => small_ring_is_simple(&p.exterior().0) == Some(true),
        _ => false,
    };
    let verdict = if simple {
        Ok(())
    } else {
        let segments = Segments::new(&mp);
        check(&segments).map_err(|reason| {
            let cap = max_repaired_meetings(&segments);
            let (meetings, crossing) = count_meetings(&segments, cap);
            (reason, meetings, cap, crossing)
        })
    };
    if let Err((reason, meetings, cap, crossing)) = verdict {
        if meetings >= cap {
            problems.push(problem(
                IssueKind::SelfIntersection,
                format!(
                    "{reason}; its rings cross or touch {cap} times or more, too tangled to \
                     repair: dropped (fix the source geometry)"
                ),
            ));
            return RepairOutcome {
                geometry: None,
                problems,
            };
        }
        problems.push(problem(
            IssueKind::SelfIntersection,
            format!("{reason}; repaired"),
        ));
        mp = repair(&mp, &crossing);
        if mp.0.is_empty() {
            problems.push(problem(
                IssueKind::EmptyGeometry,
                "nothing is left after the repair",
            ));
            return RepairOutcome {
                geometry: None,
                problems,
            };
        }
    }
    orient(&mut mp);
    trim(&mut mp);
    RepairOutcome {
        geometry: Some(mp),
        problems,
    }
}

/// Gives back the spare capacity of every ring: a reader's parse buffer becomes the ring, and
/// its slack (a few hundred bytes for a 12-vertex parcel) would live as long as the job — at a
/// million parcels, a fifth of the memory.
fn trim(mp: &mut MultiPolygon<f64>) {
    for p in &mut mp.0 {
        p.exterior_mut(|e| e.0.shrink_to_fit());
        p.interiors_mut(|holes| holes.iter_mut().for_each(|h| h.0.shrink_to_fit()));
    }
}

/// Exteriors counter-clockwise, holes clockwise, in place (by the sign of the shoelace sum,
/// which is exact enough for the valid rings that reach this point).
fn orient(mp: &mut MultiPolygon<f64>) {
    fn twice_signed_area(ring: &LineString<f64>) -> f64 {
        ring.0
            .windows(2)
            .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
            .sum()
    }
    for p in &mut mp.0 {
        p.exterior_mut(|e| {
            if twice_signed_area(e) < 0.0 {
                e.0.reverse();
            }
        });
        p.interiors_mut(|holes| {
            for h in holes.iter_mut().filter(|h| twice_signed_area(h) > 0.0) {
                h.0.reverse();
            }
        });
    }
}

/// Whether the multipolygon is valid by the OGC rules that matter for areas: every ring
/// simple, no two rings crossing or sharing a stretch of boundary, every hole inside its
/// exterior, no hole inside another, no part inside another part's exterior (outside its
/// holes). Rings may touch at points. O(n log n) in the number of segments plus the pairs of
/// overlapping segment boxes (see [`Segments`]).
fn check(segments: &Segments) -> Result<(), String> {
    if let Some(meeting) = segments.first_meeting() {
        return Err(describe(segments, meeting));
    }
    let rings = &segments.rings;
    // Holes inside their exteriors; each polygon's rings are consecutive, exterior first.
    let mut exterior = 0;
    for (r, ring) in rings.iter().enumerate() {
        if ring.index == 0 {
            exterior = r;
        } else if !inside(segments, r, exterior) {
            return Err(format!(
                "{} (a hole) lies outside its exterior",
                ring.name()
            ));
        }
    }
    if rings.len() == 1 {
        return Ok(());
    }
    // Rings whose boxes overlap: no nested holes, no part inside another.
    let boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = rings
        .iter()
        .enumerate()
        .map(|(r, ring)| {
            let rect = geo::BoundingRect::bounding_rect(&LineString(ring.coords.to_vec()));
            let (lo, hi) = rect.map_or(([0.0; 2], [0.0; 2]), |b| (b.min().into(), b.max().into()));
            GeomWithData::new(Rectangle::from_corners(lo, hi), r)
        })
        .collect();
    let tree = RTree::bulk_load(boxes.clone());
    for a in &boxes {
        for b in tree.locate_in_envelope_intersecting(&a.geom().envelope()) {
            let (ra, rb) = (rings[a.data], rings[b.data]);
            if a.data == b.data {
                continue;
            }
            let same_polygon = ra.polygon == rb.polygon;
            if same_polygon && ra.index > 0 && rb.index > 0 && inside(segments, a.data, b.data) {
                return Err(format!(
                    "{} lies inside {} (nested holes)",
                    ra.name(),
                    rb.name()
                ));
            }
            if !same_polygon
                && ra.index == 0
                && rb.index == 0
                && inside(segments, a.data, b.data)
                && !in_a_hole(segments, &tree, a.data, rb.polygon)
            {
                return Err(format!(
                    "polygon {} lies inside polygon {} (overlapping parts)",
                    ra.polygon, rb.polygon
                ));
            }
        }
    }
    Ok(())
}

/// Whether ring `a` lies inside ring `b`, given that they do not cross: judged at the first
/// segment midpoint of `a` that is not on `b`.
fn inside(segments: &Segments, a: usize, b: usize) -> bool {
    let ring = segments.rings[a];
    (0..ring.len())
        .find_map(|s| {
            let (p, q) = (ring.coords[s], ring.coords[s + 1]);
            let mid = Coord {
                x: (p.x + q.x) / 2.0,
                y: (p.y + q.y) / 2.0,
            };
            segments.locate(mid, b)
        })
        .unwrap_or(false)
}

/// Whether exterior ring `a` lies inside one of the holes of polygon `polygon`.
fn in_a_hole(
    segments: &Segments,
    tree: &RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
    a: usize,
    polygon: usize,
) -> bool {
    let first = segments.rings[a].coords[0];
    tree.locate_all_at_point(&[first.x, first.y]).any(|h| {
        let hole = segments.rings[h.data];
        hole.polygon == polygon && hole.index > 0 && inside(segments, a, h.data)
    })
}

/// A meeting of two segments, for people.
fn describe(segments: &Segments, meeting: Meeting) -> String {
    let name = |r: usize| segments.rings[r].name();
    match meeting {
        Meeting::SelfCrossing { ring } => format!("{} crosses itself", name(ring)),
        Meeting::Crossing { a, b, at } => {
            format!("{} and {} cross at ({}, {})", name(a), name(b), at.x, at.y)
        }
        Meeting::Overlap { a, b, at } => format!(
            "{} and {} share a stretch of boundary from ({}, {})",
            name(a),
            name(b),
            at.x,
            at.y
        ),
    }
}

/// The most meetings of segments a feature may have and still be repaired: 20 000, plus four
/// per segment. The repair (a non-zero fill of every ring) costs about the square of the
/// crossings of long edges — a star of n points drawn as one ring crosses itself n²/2 times,
/// and 401 points (80 000 crossings) took 0.9 s — while many short crossings (30 000
/// overlapping squares, 240 000 meetings) take a third of a second. Past this the feature is
/// dropped with a data issue instead of stalling the run: no survey draws such a parcel.
fn max_repaired_meetings(segments: &Segments) -> usize {
    20_000 + 4 * segments.len()
}

/// The number of meetings of segments in the rings, counted up to `cap`, and which rings
/// (as `(polygon, ring)`) cross themselves.
fn count_meetings(segments: &Segments, cap: usize) -> (usize, HashSet<(usize, usize)>) {
    let mut n = 0;
    let mut crossing = HashSet::new();
    segments.meetings(|m| {
        if let Meeting::SelfCrossing { ring } = m {
            let r = segments.rings[ring];
            crossing.insert((r.polygon, r.index));
        }
        n += 1;
        if n >= cap {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    (n, crossing)
}

fn first_non_finite(raw: &[Vec<Vec<Coord<f64>>>]) -> Option<(usize, usize, usize)> {
    raw.iter().enumerate().find_map(|(p, rings)| {
        rings.iter().enumerate().find_map(|(r, ring)| {
            ring.iter()
                .position(|c| !(c.x.is_finite() && c.y.is_finite()))
                .map(|v| (p, r, v))
        })
    })
}

/// Closes the ring and drops repeated vertices. `Some(None)` marks a dropped ring that is kept
/// in position so that the caller knows whether the exterior survived.
fn clean_ring(
    mut coords: Vec<Coord<f64>>,
    pi: usize,
    ri: usize,
    problems: &mut Vec<ValidityProblem>,
) -> Option<Option<LineString<f64>>> {
    coords.dedup();
    if coords.len() > 1 && coords.first() != coords.last() {
        problems.push(problem(
            IssueKind::UnclosedRing,
            format!("polygon {pi} ring {ri} is not closed; closed it"),
        ));
        coords.push(coords[0]);
    }
    // A closed ring needs three distinct positions plus the closing one.
    if coords.len() < 4 {
        let what = if ri == 0 { "exterior" } else { "hole" };
        problems.push(problem(
            IssueKind::TooShortRing,
            format!(
                "polygon {pi} ring {ri} ({what}) has {} distinct positions, needs 3; dropped it",
                coords.len().saturating_sub(1)
            ),
        ));
        return Some(None);
    }
    Some(Some(LineString(coords)))
}

/// Rebuilds the multipolygon in one overlay: every exterior winds +1 and every hole −1 (a ring
/// that crosses itself is first replaced by its non-zero fill, so a bow-tie keeps both lobes),
/// and the region of positive winding is the union of the parts less their holes. One overlay
/// for the whole feature keeps shared vertices shared (an overlay per part snaps each part to
/// its own grid, and parts that shared an edge came out a hair apart) and costs O(n log n).
fn repair(mp: &MultiPolygon<f64>, crossing: &HashSet<(usize, usize)>) -> MultiPolygon<f64> {
    let mut contours = Vec::new();
    for (p, polygon) in mp.0.iter().enumerate() {
        for (r, ring) in std::iter::once(polygon.exterior())
            .chain(polygon.interiors())
            .enumerate()
        {
            let exterior = r == 0;
            if crossing.contains(&(p, r)) {
                push_filled(&mut contours, ring, exterior);
            } else {
                let mut pts = ring_points(ring);
                let ccw = twice_area(&pts) > 0.0;
                if ccw != exterior {
                    pts.reverse();
                }
                contours.push(pts);
            }
        }
    }
    fill(&contours, FillRule::Positive)
}

/// Twice the signed area of an open ring (positive counter-clockwise).
fn twice_area(pts: &[[f64; 2]]) -> f64 {
    let n = pts.len();
    (0..n)
        .map(|i| {
            let (a, b) = (pts[i], pts[(i + 1) % n]);
            a[0] * b[1] - b[0] * a[1]
        })
        .sum()
}

/// The closed ring's positions without the closing one.
fn ring_points(ring: &LineString<f64>) -> Vec<[f64; 2]> {
    let n = ring.0.len().saturating_sub(1);
    ring.0[..n].iter().map(|c| [c.x, c.y]).collect()
}

/// Appends the non-zero fill of `ring` as oriented contours: winding +1 inside when
/// `positive`, −1 otherwise.
fn push_filled(contours: &mut Vec<Vec<[f64; 2]>>, ring: &LineString<f64>, positive: bool) {
    let mut filled = fill_ring(ring);
    orient(&mut filled);
    for p in &filled.0 {
        for r in std::iter::once(p.exterior()).chain(p.interiors()) {
            let mut pts = ring_points(r);
            if !positive {
                pts.reverse();
            }
            contours.push(pts);
        }
    }
}

/// The region a ring encloses under the non-zero fill rule.
fn fill_ring(ring: &LineString<f64>) -> MultiPolygon<f64> {
    fill(&[ring_points(ring)], FillRule::NonZero)
}

/// The region the contours enclose under `rule`, as polygons.
fn fill(contours: &[Vec<[f64; 2]>], rule: FillRule) -> MultiPolygon<f64> {
    // OGC mode: holes that would touch their exterior along more than a point, and rings that
    // would pinch, come out as separate polygons — the output is valid by GEOS's rules.
    let shapes = contours.simplify_shape_custom(rule, OverlayOptions::ogc(), Default::default());
    let to_ring = |pts: &Vec<[f64; 2]>| {
        let mut coords: Vec<Coord<f64>> = pts.iter().map(|p| Coord { x: p[0], y: p[1] }).collect();
        coords.extend(coords.first().copied());
        LineString(coords)
    };
    MultiPolygon(
        shapes
            .iter()
            .filter_map(|shape| {
                let (outer, holes) = shape.split_first()?;
                Some(Polygon::new(
                    to_ring(outer),
                    holes.iter().map(to_ring).collect(),
                ))
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;

    fn square(x: f64, y: f64, s: f64) -> Vec<Coord<f64>> {
        c(vec![[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]])
    }

    fn c(ring: Vec<[f64; 2]>) -> Vec<Coord<f64>> {
        ring.into_iter().map(|[x, y]| Coord { x, y }).collect()
    }

    fn kinds(o: &RepairOutcome) -> Vec<IssueKind> {
        o.problems.iter().map(|p| p.kind).collect()
    }

    #[test]
    fn valid_square_passes_untouched_but_oriented() {
        let mut cw = square(0.0, 0.0, 10.0);
        cw.reverse();
        let out = validate_and_repair(vec![vec![cw]]);
        assert!(out.problems.is_empty());
        let mp = out.geometry.unwrap();
        assert_eq!(mp.signed_area(), 100.0); // counter-clockwise now
    }

    #[test]
    fn bow_tie_is_repaired_into_its_two_lobes() {
        // (0,0)→(2,2)→(2,0)→(0,2): two triangles meeting at (1,1), each of area ½·2·1 = 1.
        let bow = c(vec![
            [0.0, 0.0],
            [2.0, 2.0],
            [2.0, 0.0],
            [0.0, 2.0],
            [0.0, 0.0],
        ]);
        let out = validate_and_repair(vec![vec![bow]]);
        assert_eq!(kinds(&out), vec![IssueKind::SelfIntersection]);
        let mp = out.geometry.unwrap();
        assert_eq!(mp.0.len(), 2);
        assert!((mp.unsigned_area() - 2.0).abs() < 1e-9);
        for lobe in &mp.0 {
            assert!((lobe.unsigned_area() - 1.0).abs() < 1e-9);
        }
    }

    #[test]
    fn hole_is_kept_through_repair() {
        // A bow-tie (0,0)→(10,10)→(10,0)→(0,10) with two lobes of ½·10·5 = 25 each, and a 1×1
        // hole [1,2]×[4,5] inside the left lobe (x ≤ y ≤ 10 − x there): 25 + 25 − 1 = 49.
        let shell = c(vec![
            [0.0, 0.0],
            [10.0, 10.0],
            [10.0, 0.0],
            [0.0, 10.0],
            [0.0, 0.0],
        ]);
        let out = validate_and_repair(vec![vec![shell, square(1.0, 4.0, 1.0)]]);
        assert!(kinds(&out).contains(&IssueKind::SelfIntersection));
        let area = out.geometry.unwrap().unsigned_area();
        assert!((area - 49.0).abs() < 1e-9, "{area}");
    }

    #[test]
    fn unclosed_ring_is_closed() {
        let mut ring = square(0.0, 0.0, 1.0);
        ring.pop();
        let out = validate_and_repair(vec![vec![ring]]);
        assert_eq!(kinds(&out), vec![IssueKind::UnclosedRing]);
        assert_eq!(out.geometry.unwrap().unsigned_area(), 1.0);
    }

    #[test]
    fn too_short_rings_are_dropped() {
        let out = validate_and_repair(vec![vec![c(vec![[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]])]]);
        assert_eq!(kinds(&out), vec![IssueKind::TooShortRing]);
        assert!(out.geometry.is_none());
        // A short hole only loses the hole.
        let out = validate_and_repair(vec![vec![
            square(0.0, 0.0, 4.0),
            c(vec![[1.0, 1.0], [2.0, 2.0], [1.0, 1.0]]),
        ]]);
        assert_eq!(kinds(&out), vec![IssueKind::TooShortRing]);
        assert_eq!(out.geometry.unwrap().unsigned_area(), 16.0);
    }

    #[test]
    fn non_finite_coordinates_drop_the_feature() {
        let mut ring = square(0.0, 0.0, 1.0);
        ring[2].y = f64::NAN;
        let out = validate_and_repair(vec![vec![ring]]);
        assert_eq!(kinds(&out), vec![IssueKind::NonFiniteCoordinate]);
        assert!(out.problems[0].message.contains("vertex 2"));
        assert!(out.geometry.is_none());
    }

    /// Polygons as lists of rings of positions.
    type Polygons = Vec<Vec<Vec<[f64; 2]>>>;

    /// The check's verdict on polygons given as lists of rings.
    fn valid(polygons: Polygons) -> bool {
        let mp = MultiPolygon(
            polygons
                .into_iter()
                .map(|rings| {
                    let mut rings = rings.into_iter().map(|r| LineString(c(r)));
                    let exterior = rings.next().unwrap();
                    Polygon::new(exterior, rings.collect())
                })
                .collect(),
        );
        check(&Segments::new(&mp)).is_ok()
    }

    fn sq(x: f64, y: f64, s: f64) -> Vec<[f64; 2]> {
        vec![[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]
    }

    #[test]
    fn rings_agree_with_geo() {
        use geo::Validation;
        let rings: Vec<Vec<[f64; 2]>> = vec![
            vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]],
            vec![[0.0, 0.0], [2.0, 2.0], [2.0, 0.0], [0.0, 2.0], [0.0, 0.0]], // bow-tie
            vec![
                [0.0, 0.0],
                [4.0, 0.0],
                [4.0, 4.0],
                [2.0, 0.0],
                [0.0, 4.0],
                [0.0, 0.0],
            ], // touches its own edge
            vec![
                [0.0, 0.0],
                [4.0, 0.0],
                [4.0, 1.0],
                [4.0, 0.5],
                [0.0, 1.0],
                [0.0, 0.0],
            ], // spike back along an edge
            vec![
                [0.0, 0.0],
                [3.0, 0.0],
                [3.0, 3.0],
                [1.0, 3.0],
                [1.0, 1.0],
                [2.0, 1.0],
                [2.0, 4.0],
                [0.0, 4.0],
                [0.0, 0.0],
            ],
        ];
        for (k, ring) in rings.into_iter().enumerate() {
            let ls = LineString::from(ring.iter().map(|p| (p[0], p[1])).collect::<Vec<_>>());
            let geo_says = Polygon::new(ls.clone(), vec![]).is_valid();
            // geo accepts a spike (an edge that turns straight back); GEOS and redline do not.
            let expected = geo_says && k != 3;
            assert_eq!(valid(vec![vec![ring.clone()]]), expected, "{ring:?}");
        }
    }

    #[test]
    fn rings_of_polygons_and_parts_by_the_ogc_rules() {
        // Worked out by hand; each line says why.
        let cases: Vec<(&str, Polygons, bool)> = vec![
            (
                "hole inside",
                vec![vec![sq(0.0, 0.0, 10.0), sq(2.0, 2.0, 2.0)]],
                true,
            ),
            (
                "hole outside its exterior",
                vec![vec![sq(0.0, 0.0, 10.0), sq(20.0, 2.0, 2.0)]],
                false,
            ),
            (
                "hole crossing the exterior",
                vec![vec![sq(0.0, 0.0, 10.0), sq(8.0, 2.0, 4.0)]],
                false,
            ),
            (
                "hole touching the exterior at one point",
                vec![vec![
                    sq(0.0, 0.0, 10.0),
                    vec![[0.0, 5.0], [3.0, 4.0], [3.0, 6.0], [0.0, 5.0]],
                ]],
                true,
            ),
            (
                "nested holes",
                vec![vec![
                    sq(0.0, 0.0, 10.0),
                    sq(1.0, 1.0, 8.0),
                    sq(2.0, 2.0, 2.0),
                ]],
                false,
            ),
            (
                "two holes apart",
                vec![vec![
                    sq(0.0, 0.0, 10.0),
                    sq(1.0, 1.0, 2.0),
                    sq(5.0, 5.0, 2.0),
                ]],
                true,
            ),
            (
                "two holes sharing an edge",
                vec![vec![
                    sq(0.0, 0.0, 10.0),
                    sq(1.0, 1.0, 2.0),
                    sq(3.0, 1.0, 2.0),
                ]],
                false,
            ),
            (
                "parts apart",
                vec![vec![sq(0.0, 0.0, 1.0)], vec![sq(5.0, 5.0, 1.0)]],
                true,
            ),
            (
                "parts touching at a corner",
                vec![vec![sq(0.0, 0.0, 1.0)], vec![sq(1.0, 1.0, 1.0)]],
                true,
            ),
            (
                "parts sharing an edge",
                vec![vec![sq(0.0, 0.0, 1.0)], vec![sq(1.0, 0.0, 1.0)]],
                false,
            ),
            (
                "parts overlapping",
                vec![vec![sq(0.0, 0.0, 2.0)], vec![sq(1.0, 1.0, 2.0)]],
                false,
            ),
            (
                "part inside another",
                vec![vec![sq(0.0, 0.0, 10.0)], vec![sq(2.0, 2.0, 1.0)]],
                false,
            ),
            (
                "island in a lake",
                vec![
                    vec![sq(0.0, 0.0, 10.0), sq(2.0, 2.0, 6.0)],
                    vec![sq(4.0, 4.0, 1.0)],
                ],
                true,
            ),
            (
                "parts crossing at a shared vertex",
                vec![
                    vec![vec![
                        [0.0, 0.0],
                        [2.0, 0.0],
                        [1.0, 1.0],
                        [2.0, 2.0],
                        [0.0, 2.0],
                        [0.0, 0.0],
                    ]],
                    vec![vec![
                        [1.0, 1.0],
                        [3.0, 0.5],
                        [3.0, 3.0],
                        [0.5, 3.0],
                        [1.0, 1.0],
                    ]],
                ],
                false,
            ),
        ];
        for (what, polygons, expected) in cases {
            assert_eq!(valid(polygons.clone()), expected, "{what}");
            // geo's own validation, the previous check, agrees on every case.
            let mp = MultiPolygon(
                polygons
                    .into_iter()
                    .map(|rings| {
                        let mut rings = rings.into_iter().map(|r| LineString(c(r)));
                        let exterior = rings.next().unwrap();
                        Polygon::new(exterior, rings.collect())
                    })
                    .collect(),
            );
            assert_eq!(geo::Validation::is_valid(&mp), expected, "geo on {what}");
        }
    }

    #[test]
    fn a_tangled_star_is_dropped_quickly_not_repaired_for_minutes() {
        // A {1001/500} star: every edge crosses almost every other (about 500 000 crossings).
        let n = 1001;
        let ring: Vec<[f64; 2]> = (0..=n)
            .map(|i| {
                let t = 2.0 * std::f64::consts::PI * ((i * 500) % n) as f64 / n as f64;
                [1000.0 * t.cos(), 1000.0 * t.sin()]
            })
            .collect();
        let out = validate_and_repair(vec![vec![c(ring)]]);
        assert!(out.geometry.is_none());
        assert_eq!(kinds(&out), vec![IssueKind::SelfIntersection]);
        assert!(
            out.problems[0].message.contains("too tangled to repair"),
            "{:?}",
            out.problems
        );
        // A pentagram (5 crossings) is still repaired: its filled star.
        let ring: Vec<[f64; 2]> = (0..=5)
            .map(|i| {
                let t = 2.0 * std::f64::consts::PI * ((i * 2) % 5) as f64 / 5.0;
                [t.cos(), t.sin()]
            })
            .collect();
        let out = validate_and_repair(vec![vec![c(ring)]]);
        let area = out.geometry.unwrap().unsigned_area();
        // The filled regular pentagram: ten triangles (centre, a tip at radius 1, a notch at
        // radius cos 72°/cos 36°) with 36° between their sides: 5 · r · sin 36°.
        let deg = std::f64::consts::PI / 180.0;
        let r = (72.0 * deg).cos() / (36.0 * deg).cos();
        let expected = 5.0 * r * (36.0 * deg).sin();
        assert!((area - expected).abs() < 1e-9, "{area} vs {expected}");
    }

    #[test]
    fn empty_geometry_is_reported() {
        let out = validate_and_repair(vec![]);
        assert_eq!(kinds(&out), vec![IssueKind::EmptyGeometry]);
    }

    #[test]
    fn overlapping_parts_of_a_multipolygon_are_merged() {
        let out = validate_and_repair(vec![
            vec![square(0.0, 0.0, 2.0)],
            vec![square(1.0, 0.0, 2.0)],
        ]);
        assert_eq!(kinds(&out), vec![IssueKind::SelfIntersection]);
        assert!((out.geometry.unwrap().unsigned_area() - 6.0).abs() < 1e-9);
    }
}
