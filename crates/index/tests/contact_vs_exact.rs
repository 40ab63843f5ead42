//! The no-overlay test that settles most neighbour pairs in the overlap check never misses an
//! overlap the exact intersection finds: every land-use parcel of the demo county against its
//! neighbours, as drawn (a coverage: no overlaps) and with every other parcel nudged 0.3 m and
//! turned (overlaps along most shared edges).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use geo::{Area, BooleanOps, BoundingRect, MultiPolygon, Rotate, Translate};
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
        .map(|f| f.geometry.clone())
        .collect();
    let nudged: Vec<MultiPolygon<f64>> = drawn
        .iter()
        .enumerate()
        .map(|(k, g)| {
            if k % 2 == 0 {
                g.translate(0.3, -0.2).rotate_around_centroid(0.01)
            } else {
                g.clone()
            }
        })
        .collect();
    for (what, geoms) in [("drawn", &drawn), ("nudged", &nudged)] {
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
        if what == "nudged" {
            assert!(
                got.len() > 1000,
                "the nudged parcels overlap their neighbours"
            );
        }
    }
}
