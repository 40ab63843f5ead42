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
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// xorshift64*: small, seeded, the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const STRUCTURAL: &[&[u8]] = &[
    b"\"",
    b"[",
    b"]",
    b"{",
    b"}",
    b",",
    b":",
    b"\\",
    b"-",
    b"0",
    b"\xff",
    b"\x00",
    b"NaN",
    b"1e309",
    b"-0",
    b"null",
    b"\"\\u0000\"",
    b"[[[[",
    b"]]]]",
    b"\n",
    b"\x1e",
    b"9999999999999999999999",
];

/// One mutation of `bytes`.
fn mutate(rng: &mut Rng, bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = out.len();
        let at = rng.below(len + 1);
        match rng.below(7) {
            0 if len > 0 => out[at.min(len - 1)] = rng.next() as u8,
            1 => {
                let s = STRUCTURAL[rng.below(STRUCTURAL.len())];
                out.splice(at..at, s.iter().copied());
            }
            2 if len > 0 => {
                let end = (at + 1 + rng.below(64)).min(len);
                out.drain(at.min(len)..end);
            }
            3 if len > 0 => {
                let end = (at + 1 + rng.below(256)).min(len);
                let piece: Vec<u8> = out[at.min(len)..end].to_vec();
                let to = rng.below(out.len() + 1);
                out.splice(to..to, piece);
            }
            4 => out.truncate(at),
            5 if len > 0 => {
                // A number somewhere replaced by a hostile one.
                if let Some(p) = out[at.min(len - 1)..].iter().position(u8::is_ascii_digit) {
                    let p = at.min(len - 1) + p;
                    let s =
                        [b"NaN" as &[u8], b"inf", b"1e308", b"-1e308", b"0.0", b"-0"][rng.below(6)];
                    out.splice(p..p + 1, s.iter().copied());
                }
            }
            _ => {
                let s = STRUCTURAL[rng.below(STRUCTURAL.len())];
                let at = at.min(out.len());
                let end = (at + s.len()).min(out.len());
                out.splice(at..end, s.iter().copied());
            }
        }
    }
    out
}

fn scale() -> usize {
    std::env::var("REDLINE_FUZZ_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

/// Runs `count` mutated inputs through `read`; panics if any panicked. Returns the count.
fn fuzz(what: &str, seed: u64, count: usize, base: &[u8], mut read: impl FnMut(&[u8])) -> usize {
    let mut rng = Rng(seed);
    let mut panics = Vec::new();
    for case in 0..count {
        let input = mutate(&mut rng, base);
        if catch_unwind(AssertUnwindSafe(|| read(&input))).is_err() {
            panics.push(case);
        }
    }
    assert!(
        panics.is_empty(),
        "{what}: seed {seed}: cases {panics:?} panicked"
    );
    eprintln!("{what}: {count} mutated inputs, 0 panics");
    count
}

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
