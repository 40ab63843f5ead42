//! The overlap check — its proof by shared edges that a coverage has no overlap, and the test
//! without an overlay that settles most neighbour pairs — never misses an overlap the exact
//! intersection finds: every land-use parcel of the demo county against its neighbours, as
//! drawn (a coverage: no overlaps), with one parcel nudged 0.3 m, and with every other parcel
//! nudged 0.3 m and turned (overlaps along most shared edges); and the drawn and the every-other
//! cases again with the parcels densified past the size at which a polygon's vertices are
//! looked up in a sorted table instead of scanned.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use geo::line_measures::Densifiable;
use geo::{Area, BooleanOps, BoundingRect, Euclidean, MultiPolygon, Rotate, Translate};
use redline_index::{overlapping_pairs, EnvelopeIndex};
use redline_ingest::{read_layer, ReadOptions};
use std::path::PathBuf;

#[test]
fn the_overlap_check_equals_exact_intersections_on_the_demo_county() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/demo/landuse.geojson");
    let layer = read_layer(&path, &ReadOptions::default()).unwrap().layer;
    let drawn: Vec<MultiPolygon<f64>> = layer
        .features
        .iter()
        .take(4000)
        .map(|f| (*f.geometry).clone())
        .collect();
    let nudge = |geoms: &[MultiPolygon<f64>]| -> Vec<MultiPolygon<f64>> {
        geoms
            .iter()
            .enumerate()
            .map(|(k, g)| {
                if k % 2 == 0 {
                    g.translate(0.3, -0.2).rotate_around_centroid(0.01)
                } else {
                    g.clone()
                }
            })
            .collect()
    };
    let nudged = nudge(&drawn);
    // Every other parcel with a vertex every 2 m (a hundred or more: the sorted-table path),
    // next to parcels as drawn (a pair of two dense ones goes straight to the intersection).
    let dense: Vec<MultiPolygon<f64>> = drawn
        .iter()
        .take(1000)
        .enumerate()
        .map(|(k, g)| {
            if k % 2 == 1 {
                g.densify(&Euclidean, 2.0)
            } else {
                g.clone()
            }
        })
        .collect();
    let many = dense
        .iter()
        .filter(|g| g.0.iter().map(|p| p.exterior().0.len()).sum::<usize>() > 100)
        .count();
    assert!(
        many > 400,
        "{many} densified parcels have over 100 vertices"
    );
    let dense_nudged = nudge(&dense);
    // One parcel nudged among parcels as drawn: only it and its neighbours have edges that
    // are not shared, and the overlap it makes must still be found.
    let mut one_nudged = drawn.clone();
    one_nudged[2000] = drawn[2000].translate(0.3, -0.2);
    for (what, geoms) in [
        ("drawn", &drawn),
        ("one nudged", &one_nudged),
        ("nudged", &nudged),
        ("densified", &dense),
        ("densified and nudged", &dense_nudged),
    ] {
        let refs: Vec<&MultiPolygon<f64>> = geoms.iter().collect();
        let found = overlapping_pairs(&refs, 0.01);
        // Every pair whose boxes overlap, settled by the exact intersection alone.
        let index = EnvelopeIndex::new(&refs);
        let mut exact = Vec::new();
        for a in 0..refs.len() {
            let r = refs[a].bounding_rect().unwrap();
            for b in index.candidates([r.min().x, r.min().y], [r.max().x, r.max().y]) {
                if b > a {
                    let area = refs[a].intersection(refs[b]).unsigned_area();
                    if area > 0.01 {
                        exact.push((a, b));
                    }
                }
            }
        }
        exact.sort();
        let got: Vec<(usize, usize)> = found.iter().map(|o| (o.a, o.b)).collect();
        assert_eq!(got, exact, "{what}");
        eprintln!(
            "{what}: {} overlapping pairs, the same as the exact intersections",
            got.len()
        );
        if what == "one nudged" {
            assert!(!got.is_empty() && got.iter().all(|&(a, b)| a == 2000 || b == 2000));
        } else if what.ends_with("nudged") {
            assert!(
                got.len() > geoms.len() / 4,
                "the nudged parcels overlap their neighbours"
            );
        }
    }
}
