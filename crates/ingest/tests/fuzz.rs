//! Seeded mutation fuzzing of every reader: GeoJSON FeatureCollections, GeoJSONSeq, the
//! shapefile's .shp, .dbf, .prj and .cpg, and CRS text (WKT, PROJ strings, codes). Each input is
//! a valid file mutated by byte flips, structural characters, deletions, duplications,
//! truncations and hostile numbers; a reader may refuse it with an error or read it with data
//! issues, but never panic. Same seed, same inputs: a failure names the seed and the case.
//!
//! `cargo test -p redline-ingest --test fuzz -- --nocapture` prints how many inputs were tried.
//! `REDLINE_FUZZ_SCALE=10` runs ten times as many.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use redline_geom::Crs;
use redline_ingest::{read_layer, ReadOptions};
use redline_testkit::{fuzz, scale};
use std::path::{Path, PathBuf};

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn read(path: &Path) {
    let options = ReadOptions {
        crs: Crs::from_epsg(4529).ok(),
        ..ReadOptions::default()
    };
    let _ = read_layer(path, &options);
}

const COLLECTION: &str = r#"{"type":"FeatureCollection","name":"DLTB","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4529"}},"features":[
{"type":"Feature","id":7,"properties":{"BSM":"1","DLBM":"0101","TBMJ":100.5,"KCXS":0.05,"n":[1,{"a":null}]},"geometry":{"type":"Polygon","coordinates":[[[41500000,5080000],[41500010,5080000],[41500010,5080010],[41500000,5080010],[41500000,5080000]],[[41500002,5080002],[41500002,5080004],[41500004,5080004],[41500004,5080002],[41500002,5080002]]]}},
{"type":"Feature","properties":{"BSM":"2","DLBM":"0702","ZLDWDM":"2208211000000000000"},"geometry":{"type":"MultiPolygon","coordinates":[[[[41500010,5080000],[41500020,5080000],[41500020,5080010],[41500010,5080000]]],[[[41500030,5080000],[41500040,5080000],[41500035,5080005],[41500030,5080000]]]]}},
{"type":"Feature","properties":{"BSM":"3","DLBM":"1203"},"geometry":{"type":"Polygon","coordinates":[[[41500000,5080010],[41500010,5080020],[41500000,5080020],[41500010,5080010],[41500000,5080010]]]}}
]}"#;

#[test]
fn geojson_collections_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layer.geojson");
    fuzz(
        "GeoJSON FeatureCollection",
        1,
        1500 * scale(),
        COLLECTION.as_bytes(),
        |b| {
            std::fs::write(&path, b).unwrap();
            read(&path);
        },
    );
}

#[test]
fn geojson_sequences_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layer.geojsonl");
    let seq: String = COLLECTION
        .lines()
        .skip(1)
        .filter(|l| l.starts_with('{'))
        .map(|l| format!("\x1e{}\n", l.trim_end_matches(',')))
        .collect();
    fuzz("GeoJSONSeq", 2, 1000 * scale(), seq.as_bytes(), |b| {
        std::fs::write(&path, b).unwrap();
        read(&path);
    });
}

/// Copies the GBK fixture shapefile into `dir`; returns the .shp path.
fn shapefile(dir: &Path) -> PathBuf {
    for ext in ["shp", "shx", "dbf", "prj", "cpg"] {
        std::fs::copy(
            fixture(&format!("gbk_cpg936/parcels.{ext}")),
            dir.join(format!("parcels.{ext}")),
        )
        .unwrap();
    }
    dir.join("parcels.shp")
}

#[test]
fn shapefile_parts_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let shp = shapefile(dir.path());
    let mut total = 0;
    for (ext, seed, count) in [
        ("shp", 3, 800),
        ("dbf", 4, 800),
        ("prj", 5, 500),
        ("cpg", 6, 200),
    ] {
        let file = shp.with_extension(ext);
        let base = std::fs::read(&file).unwrap();
        total += fuzz(
            &format!("shapefile .{ext}"),
            seed,
            count * scale(),
            &base,
            |b| {
                std::fs::write(&file, b).unwrap();
                read(&shp);
            },
        );
        std::fs::write(&file, &base).unwrap();
    }
    eprintln!("shapefile: {total} mutated inputs in all");
}

#[test]
fn crs_text_never_panics() {
    let wkt = std::fs::read(fixture("gbk_cpg936/parcels.prj")).unwrap();
    let wkt2 = br#"PROJCRS["CGCS2000 / 3-degree Gauss-Kruger zone 41",BASEGEOGCRS["China Geodetic Coordinate System 2000",DATUM["China 2000",ELLIPSOID["CGCS2000",6378137,298.257222101,LENGTHUNIT["metre",1]]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]]],CONVERSION["Gauss-Kruger zone 41",METHOD["Transverse Mercator",ID["EPSG",9807]],PARAMETER["Latitude of natural origin",0],PARAMETER["Longitude of natural origin",123],PARAMETER["Scale factor at natural origin",1],PARAMETER["False easting",41500000],PARAMETER["False northing",0]],CS[Cartesian,2],AXIS["northing (X)",north,ORDER[1]],AXIS["easting (Y)",east,ORDER[2]],LENGTHUNIT["metre",1]]"#;
    let proj = b"+proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=500000 +y_0=0 +a=6378140 +rf=298.257 +towgs84=24,-123,-94,0.02,-0.25,-0.13,1.1 +units=m +no_defs";
    let parse = |b: &[u8]| {
        let _ = Crs::from_user(&String::from_utf8_lossy(b));
    };
    fuzz("WKT 1 (.prj)", 7, 2000 * scale(), &wkt, parse);
    fuzz("WKT 2", 8, 2000 * scale(), wkt2, parse);
    fuzz("PROJ string", 9, 1000 * scale(), proj, parse);
    fuzz(
        "CRS code",
        10,
        500 * scale(),
        b"urn:ogc:def:crs:EPSG::4529",
        parse,
    );
}

/// A small valid layer in a binary format (GeoParquet or FlatGeobuf): two squares, one with a
/// hole, with text, number and missing values.
fn binary_layer(format: redline_ingest::Format) -> Vec<u8> {
    use geo::{polygon, MultiPolygon};
    use redline_ingest::{Field, FieldType, LayerSink, SinkLayer, Value};
    let crs = Crs::from_epsg(4529).unwrap();
    let fields = [
        Field {
            name: "BSM".into(),
            field_type: FieldType::Text,
        },
        Field {
            name: "DLBM".into(),
            field_type: FieldType::Text,
        },
        Field {
            name: "KCXS".into(),
            field_type: FieldType::Number,
        },
    ];
    let layer = SinkLayer {
        name: "DLTB",
        crs: Some(&crs),
        fields: &fields,
    };
    let mut sink = LayerSink::create(format, Vec::new(), layer).unwrap();
    let square = |x: f64| {
        MultiPolygon(vec![polygon![
            (x: 41_500_000.0 + x, y: 5_080_000.0), (x: 41_500_010.0 + x, y: 5_080_000.0),
            (x: 41_500_010.0 + x, y: 5_080_010.0), (x: 41_500_000.0 + x, y: 5_080_010.0),
        ]])
    };
    sink.write(
        &square(0.0),
        &[
            Value::Text("1".into()),
            Value::Text("0101".into()),
            Value::Number(0.05),
        ],
    )
    .unwrap();
    sink.write(
        &square(10.0),
        &[Value::Text("2".into()), Value::Null, Value::Null],
    )
    .unwrap();
    sink.finish().unwrap()
}

#[test]
fn geoparquet_files_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layer.parquet");
    let valid = binary_layer(redline_ingest::Format::GeoParquet);
    fuzz("GeoParquet", 11, 300 * scale(), &valid, |b| {
        std::fs::write(&path, b).unwrap();
        read(&path);
    });
}

#[test]
fn flatgeobuf_files_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layer.fgb");
    let valid = binary_layer(redline_ingest::Format::FlatGeobuf);
    fuzz("FlatGeobuf", 12, 600 * scale(), &valid, |b| {
        std::fs::write(&path, b).unwrap();
        read(&path);
    });
}

#[test]
fn a_flatgeobuf_size_prefix_past_the_end_is_refused_before_any_allocation() {
    // The crate allocates a feature's buffer from its size prefix: a 4 GB claim in a tiny file
    // made it allocate 4 GB (found by the fuzzer above). The first feature follows the index.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layer.fgb");
    let mut bytes = binary_layer(redline_ingest::Format::FlatGeobuf);
    let header = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    // Two features, node size 16: a root and two leaves of 40 bytes each.
    let first = 12 + header + 3 * 40;
    bytes[first..first + 4].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let err = read_layer(&path, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("runs past the end of the file") && err.contains("feature #0"),
        "{err}"
    );
}
