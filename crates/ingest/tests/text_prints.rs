//! A layer read against known texts (`ReadOptions::text_prints`, `KnownGeometries::same_text`):
//! a polygon written with a known geometry's coordinate text takes that geometry unparsed, and
//! every other one is parsed — the layer read is the one a plain read gives, feature for
//! feature, issue for issue.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use geo::MultiPolygon;
use redline_geom::{Crs, TextHint, TextPrint};
use redline_ingest::{read_layer, IssueKind, KnownGeometries, LayerRead, ReadOptions};
use redline_testkit::{fuzz, scale};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The land use: a Polygon, a MultiPolygon, and a bow tie (repaired: validation did not pass
/// it as read, so its text is not offered).
const LANDUSE: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"BSM":"1"},"geometry":{"type":"Polygon","coordinates":[[[41500000,5080000],[41500010,5080000],[41500010,5080010],[41500000,5080010],[41500000,5080000]]]}},
{"type":"Feature","properties":{"BSM":"2"},"geometry":{"type":"MultiPolygon","coordinates":[[[[41500010.5,5080000],[41500020,5080000],[41500020,5080010],[41500010.5,5080000]]]]}},
{"type":"Feature","properties":{"BSM":"3"},"geometry":{"type":"Polygon","coordinates":[[[41500000,5080010],[41500010,5080020],[41500000,5080020],[41500010,5080010],[41500000,5080010]]]}}
]}"#;

/// Basic farmland: the parcels' texts, and texts that read as them but are other texts, or
/// other types, or with members after the coordinates.
const FARMLAND: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"BSM":"a"},"geometry":{"type":"Polygon","coordinates":[[[41500000,5080000],[41500010,5080000],[41500010,5080010],[41500000,5080010],[41500000,5080000]]]}},
{"type":"Feature","properties":{"BSM":"b"},"geometry":{"type":"MultiPolygon","coordinates":[[[[41500010.5,5080000],[41500020,5080000],[41500020,5080010],[41500010.5,5080000]]]]}},
{"type":"Feature","properties":{"BSM":"c"},"geometry":{"type":"Polygon","coordinates":[[[41500000,5080010],[41500010,5080020],[41500000,5080020],[41500010,5080010],[41500000,5080010]]]}},
{"type":"Feature","properties":{"BSM":"d"},"geometry":{"type":"MultiPolygon","coordinates":[[[[41500010.50,5080000],[41500020,5080000],[41500020,5080010],[41500010.50,5080000]]]]}},
{"type":"Feature","properties":{"BSM":"e"},"geometry":{"type":"Polygon","coordinates":[[[[41500010.5,5080000],[41500020,5080000],[41500020,5080010],[41500010.5,5080000]]]]}},
{"type":"Feature","properties":{"BSM":"f"},"geometry":{"coordinates":[[[41500000,5080000],[41500010,5080000],[41500010,5080010],[41500000,5080010],[41500000,5080000]]],"type":"Polygon"}},
{"type":"Feature","properties":{"BSM":"g"},"geometry":{"type":"Polygon","coordinates":[[[41500000,5080000],[41500010,5080000],[41500010,5080010],[41500000,5080010],[41500000,5080000]]],"type":"MultiPolygon"}},
{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[41500000,5080000],[41500010,5080000],[41500010,5080010],[41500000,5080010],[41500000,5080000]]],"bbox":[0,1,2,3]},"properties":{"BSM":"h","n":[[1]]}},
{"type":"Feature","properties":{"BSM":"i"},"geometry":{"type":"Polygon","coordinates":[[[41500000,5080000],[41500010,5080000],[41500010,5080010],[41500000,5080010],[41500000,5080000]]] } } 
]}"#;

/// The land use's texts as a reader is offered them: the ones validation passed as read, by
/// print, counting the answers given.
#[derive(Debug, Default)]
struct Texts {
    by_print: HashMap<TextPrint, Arc<MultiPolygon<f64>>>,
    answered: AtomicUsize,
}

impl KnownGeometries for Texts {
    fn same_as(&self, _: &MultiPolygon<f64>) -> Option<Arc<MultiPolygon<f64>>> {
        None
    }

    fn knows_texts(&self) -> bool {
        true
    }

    fn same_text(&self, print: TextPrint, _: &TextHint) -> Option<Arc<MultiPolygon<f64>>> {
        let found = self.by_print.get(&print).cloned();
        self.answered
            .fetch_add(usize::from(found.is_some()), Ordering::Relaxed);
        found
    }
}

fn options() -> ReadOptions {
    ReadOptions {
        crs: Crs::from_epsg(4529).ok(),
        id_field: Some("BSM".into()),
        ..ReadOptions::default()
    }
}

/// A folder with the land use written in it, and the paths of the land use and the basic
/// farmland.
fn files() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let landuse = dir.path().join("dltb.geojson");
    std::fs::write(&landuse, LANDUSE).unwrap();
    let farmland = dir.path().join("jbnt.geojson");
    (dir, landuse, farmland)
}

/// The land use read with its prints, and the texts of the features it has no issue with.
fn landuse_texts(path: &Path) -> (LayerRead, Texts) {
    let read = read_layer(
        path,
        &ReadOptions {
            text_prints: true,
            ..options()
        },
    )
    .unwrap();
    let flagged: Vec<usize> = read.issues.iter().filter_map(|i| i.feature).collect();
    let by_index: HashMap<usize, &Arc<MultiPolygon<f64>>> = read
        .layer
        .features
        .iter()
        .map(|f| (f.index, &f.geometry))
        .collect();
    let by_print = read
        .layer
        .text_prints
        .iter()
        .filter(|(index, _)| !flagged.contains(index))
        .map(|(index, print)| (*print, Arc::clone(by_index[index])))
        .collect();
    let texts = Texts {
        by_print,
        answered: AtomicUsize::new(0),
    };
    (read, texts)
}

/// Ids and geometries of the features, and the issues.
type Outcome = (Vec<(Option<String>, MultiPolygon<f64>)>, Vec<String>);

/// What a read gives, but where its geometry lives.
fn outcome(read: &LayerRead) -> Outcome {
    let features = read
        .layer
        .features
        .iter()
        .map(|f| (f.id.as_deref().map(str::to_string), (*f.geometry).clone()))
        .collect();
    let issues = read.issues.iter().map(|i| format!("{i:?}")).collect();
    (features, issues)
}

#[test]
fn texts_that_are_a_parcels_take_its_geometry_and_every_read_is_a_plain_reads() {
    let (_dir, landuse, farmland) = files();
    std::fs::write(&farmland, FARMLAND).unwrap();
    let (parcels, texts) = landuse_texts(&landuse);
    // Every parcel's text is printed; the bow tie's is not offered (validation repaired it).
    assert_eq!(parcels.layer.text_prints.len(), 3);
    assert_eq!(texts.by_print.len(), 2);
    let texts = Arc::new(texts);
    let known = Arc::clone(&texts) as Arc<dyn KnownGeometries>;
    let read = read_layer(
        &farmland,
        &ReadOptions {
            known_geometries: Some(known),
            ..options()
        },
    )
    .unwrap();
    let plain = read_layer(&farmland, &options()).unwrap();
    assert_eq!(outcome(&read), outcome(&plain));
    // a and b are the parcels' texts, i with spaces after its coordinates: shared. c is the
    // bow tie's text (validated again, with its issue), d the same numbers written otherwise,
    // e a MultiPolygon's text typed Polygon (malformed), f typed after its coordinates, g
    // typed twice (a's text found, then parsed as the second type says), h a's text with
    // brackets after it (a bbox, properties after the geometry: the text's tail is not the
    // coordinates' end, and the stretch printed is no parcel's): all parsed.
    let shared: Vec<&str> = read
        .layer
        .features
        .iter()
        .filter(|f| {
            parcels
                .layer
                .features
                .iter()
                .any(|p| Arc::ptr_eq(&p.geometry, &f.geometry))
        })
        .map(|f| f.id.as_deref().unwrap())
        .collect();
    assert_eq!(shared, ["a", "b", "i"]);
    assert_eq!(texts.answered.load(Ordering::Relaxed), 4);
    // c repaired, e and g dropped (the feature positions: dropped features have no id).
    let issues: Vec<(Option<usize>, IssueKind)> =
        read.issues.iter().map(|i| (i.feature, i.kind)).collect();
    assert_eq!(
        issues,
        [
            (Some(2), IssueKind::SelfIntersection),
            (Some(4), IssueKind::NotAPolygon),
            (Some(6), IssueKind::NotAPolygon)
        ]
    );
}

/// Mutated basic farmland read against the parcels' texts: never a panic, and always what a
/// plain read gives (or the same error).
#[test]
fn mutated_texts_read_as_a_plain_read_does() {
    let (_dir, landuse, farmland) = files();
    let (_, texts) = landuse_texts(&landuse);
    let known = Arc::new(texts) as Arc<dyn KnownGeometries>;
    let with_texts = ReadOptions {
        known_geometries: Some(known),
        ..options()
    };
    fuzz(
        "basic farmland against known texts",
        3,
        500 * scale(),
        FARMLAND.as_bytes(),
        |b| {
            std::fs::write(&farmland, b).unwrap();
            let read = read_layer(&farmland, &with_texts).map(|r| outcome(&r));
            let plain = read_layer(&farmland, &options()).map(|r| outcome(&r));
            match (read, plain) {
                (Ok(read), Ok(plain)) => assert_eq!(read, plain),
                (Err(e), Err(f)) => assert_eq!(e.to_string(), f.to_string()),
                (read, plain) => panic!("{read:?} against {plain:?}"),
            }
        },
    );
}
