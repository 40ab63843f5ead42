//! Geometry validation on ingest and repair of self-intersecting polygons.
//!
//! Input is raw rings as a reader found them (possibly unclosed, with NaN, crossing
//! themselves); output is a valid, oriented `MultiPolygon` (exteriors counter-clockwise, holes
//! clockwise) plus the problems met on the way.

use crate::IssueKind;
use geo::{BooleanOps, Coord, Intersects, Line, LineString, MultiPolygon, Polygon, Validation};
use i_overlay::core::fill_rule::FillRule;
use i_overlay::float::simplify::SimplifyShape;

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
    if let Err(reason) = check(&mp) {
        problems.push(problem(
            IssueKind::SelfIntersection,
            format!("{reason}; repaired"),
        ));
        mp = repair(&mp);
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
    RepairOutcome {
        geometry: Some(mp),
        problems,
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

/// geo's validation, after a fast path: a single polygon without holes is valid exactly when
/// its ring does not cross itself, which a sweep over segments sorted by x answers in
/// O(n log n). geo's own ring check compares every pair of segments (O(n²)), which a township
/// border of tens of thousands of vertices cannot afford.
fn check(mp: &MultiPolygon<f64>) -> Result<(), String> {
    let rings = mp
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()));
    if let Some(i) = rings.into_iter().position(ring_crosses_itself) {
        return Err(format!("ring {i} crosses itself"));
    }
    if mp.0.len() == 1 && mp.0[0].interiors().is_empty() {
        return Ok(());
    }
    mp.check_validation().map_err(|e| e.to_string())
}

/// True when two segments of a closed ring meet anywhere other than at the vertex they share
/// (geo's rule: segments sharing an end point are not compared).
pub(crate) fn ring_crosses_itself(ring: &LineString<f64>) -> bool {
    let n = ring.0.len().saturating_sub(1);
    let line = |i: usize| Line::new(ring.0[i], ring.0[i + 1]);
    let bbox = |i: usize| {
        let (a, b) = (ring.0[i], ring.0[i + 1]);
        [a.x.min(b.x), a.x.max(b.x), a.y.min(b.y), a.y.max(b.y)]
    };
    // Boxes overlap in y (x is checked by the caller), then the exact test.
    let meets = |i: usize, bi: [f64; 4], j: usize, bj: [f64; 4]| {
        let (a, b) = (line(i), line(j));
        bj[3] >= bi[2] && bj[2] <= bi[3] && a.start != b.end && a.end != b.start && a.intersects(&b)
    };
    const SMALL: usize = 32;
    if n <= SMALL {
        // Few segments: every pair, boxes on the stack, no sorting.
        let mut boxes = [[0.0; 4]; SMALL];
        for (i, b) in boxes.iter_mut().enumerate().take(n) {
            *b = bbox(i);
        }
        return (0..n).any(|i| {
            (i + 1..n).any(|j| {
                boxes[j][1] >= boxes[i][0]
                    && boxes[j][0] <= boxes[i][1]
                    && meets(i, boxes[i], j, boxes[j])
            })
        });
    }
    let boxes: Vec<[f64; 4]> = (0..n).map(bbox).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by(|&a, &b| boxes[a][0].total_cmp(&boxes[b][0]));
    for (k, &i) in order.iter().enumerate() {
        for &j in &order[k + 1..] {
            if boxes[j][0] > boxes[i][1] {
                break;
            }
            if meets(i, boxes[i], j, boxes[j]) {
                return true;
            }
        }
    }
    false
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

/// Rebuilds each polygon as (non-zero fill of its exterior) minus (non-zero fill of its holes),
/// then unions the polygons.
fn repair(mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let mut result = MultiPolygon::<f64>(vec![]);
    for polygon in &mp.0 {
        let shell = fill_ring(polygon.exterior());
        let holes = polygon
            .interiors()
            .iter()
            .fold(MultiPolygon(vec![]), |acc, h| acc.union(&fill_ring(h)));
        let piece = if holes.0.is_empty() {
            shell
        } else {
            shell.difference(&holes)
        };
        result = if result.0.is_empty() {
            piece
        } else {
            result.union(&piece)
        };
    }
    result
}

/// The region a ring encloses under the non-zero fill rule.
fn fill_ring(ring: &LineString<f64>) -> MultiPolygon<f64> {
    let n = ring.0.len().saturating_sub(1);
    let contour: Vec<[f64; 2]> = ring.0[..n].iter().map(|c| [c.x, c.y]).collect();
    let shapes = contour.simplify_shape(FillRule::NonZero);
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

    #[test]
    fn sweep_agrees_with_geo_on_rings() {
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
        for ring in rings {
            let ls = LineString::from(ring.iter().map(|p| (p[0], p[1])).collect::<Vec<_>>());
            let geo_says = !Polygon::new(ls.clone(), vec![]).is_valid();
            assert_eq!(ring_crosses_itself(&ls), geo_says, "{ring:?}");
        }
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
