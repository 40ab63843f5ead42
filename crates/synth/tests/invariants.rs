//! The generator's own invariants, checked by reading its output back with redline's readers.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use geo::{Area, Contains, InteriorPoint, MultiPolygon};
use redline_geom::{Crs, EllipsoidalArea, LandClassTable};
use redline_index::overlapping_pairs;
use redline_ingest::{read_layer, Layer, ReadOptions, ValueRef};
use redline_synth::{generate, Config, Format};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

fn county(
    dir: &Path,
    parcels: usize,
    townships: usize,
    seed: u64,
    format: Format,
) -> redline_synth::Summary {
    generate(
        &Config {
            parcels,
            townships,
            seed,
            format,
            previous: false,
            county_code: redline_synth::DEFAULT_COUNTY.into(),
        },
        dir,
    )
    .unwrap()
}

/// A county with two vintages of land use.
fn two_vintages(dir: &Path, parcels: usize, townships: usize, seed: u64) -> redline_synth::Summary {
    generate(
        &Config {
            parcels,
            townships,
            seed,
            format: Format::GeoJson,
            previous: true,
            county_code: redline_synth::DEFAULT_COUNTY.into(),
        },
        dir,
    )
    .unwrap()
}

fn layer(dir: &Path, name: &str, ext: &str) -> Layer {
    let read = read_layer(&dir.join(format!("{name}.{ext}")), &ReadOptions::default()).unwrap();
    assert!(
        read.issues.is_empty(),
        "{name}: {:?}",
        &read.issues[..read.issues.len().min(3)]
    );
    read.layer
}

fn text(layer: &Layer, feature: usize, field: &str) -> String {
    let column = layer.fields.iter().position(|f| f.name == field).unwrap();
    layer.attrs(&layer.features[feature]).to_vec()[column]
        .as_text()
        .unwrap_or_default()
}

fn number(layer: &Layer, feature: usize, field: &str) -> f64 {
    let column = layer.fields.iter().position(|f| f.name == field).unwrap();
    layer.attrs(&layer.features[feature]).to_vec()[column]
        .as_number()
        .unwrap_or(f64::NAN)
}

fn geoms(l: &Layer) -> Vec<&MultiPolygon<f64>> {
    l.features.iter().map(|f| &*f.geometry).collect()
}

fn rel(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

#[test]
fn the_coverage_tiles_the_county_and_the_townships() {
    let dir = tempfile::tempdir().unwrap();
    let summary = county(dir.path(), 4000, 4, 11, Format::GeoJson);
    let parcels = layer(dir.path(), "landuse", "geojson");
    let towns = layer(dir.path(), "townships", "geojson");
    assert_eq!(
        (parcels.features.len(), towns.features.len()),
        (summary.parcels, 4)
    );
    assert_eq!(parcels.crs.as_ref().and_then(|c| c.epsg), Some(4529));

    // Σ parcels = county (= Σ townships) to 1e-9, planar and ellipsoidal.
    let planar = |l: &Layer| {
        l.features
            .iter()
            .map(|f| f.geometry.unsigned_area())
            .sum::<f64>()
    };
    assert!(
        rel(planar(&parcels), planar(&towns)) < 1e-9,
        "{} vs {}",
        planar(&parcels),
        planar(&towns)
    );
    let measure = EllipsoidalArea::for_crs(&Crs::from_epsg(4529).unwrap()).unwrap();
    let ellipsoidal = |l: &Layer| {
        l.features
            .iter()
            .map(|f| measure.area(&f.geometry).unwrap())
            .sum::<f64>()
    };
    assert!(rel(ellipsoidal(&parcels), ellipsoidal(&towns)) < 1e-9);
    // TBMJ is the parcel's ellipsoidal area, rounded to the cm².
    for (k, f) in parcels.features.iter().enumerate().step_by(97) {
        assert!(
            (number(&parcels, k, "TBMJ") - measure.area(&f.geometry).unwrap()).abs()
                <= 0.005 + 1e-9
        );
    }

    // No two parcels overlap; no two townships overlap.
    assert!(overlapping_pairs(&geoms(&parcels), 1e-6).is_empty());
    assert!(overlapping_pairs(&geoms(&towns), 1e-6).is_empty());

    // Every parcel lies in the township its ZLDWDM names, and ZLDWDM has 19 characters.
    for (k, f) in parcels.features.iter().enumerate().step_by(13) {
        let zldwdm = text(&parcels, k, "ZLDWDM");
        assert_eq!(zldwdm.len(), 19);
        let inside = f.geometry.interior_point().unwrap();
        let town = (0..towns.features.len())
            .find(|&t| towns.features[t].geometry.contains(&inside))
            .unwrap();
        assert_eq!(&zldwdm[..9], text(&towns, town, "XZQDM"));
    }
}

#[test]
fn parcels_have_valid_classes_and_6_to_40_vertices() {
    let dir = tempfile::tempdir().unwrap();
    county(dir.path(), 3000, 3, 5, Format::GeoJson);
    let parcels = layer(dir.path(), "landuse", "geojson");
    let table = LandClassTable::builtin();
    let mut codes = HashSet::new();
    for (k, f) in parcels.features.iter().enumerate() {
        let code = text(&parcels, k, "DLBM");
        let class = table
            .get(&code)
            .unwrap_or_else(|| panic!("unknown code {code}"));
        assert_eq!(text(&parcels, k, "DLMC"), class.name);
        let vertices = f.geometry.0[0].exterior().0.len() - 1;
        assert!(
            (6..=40).contains(&vertices),
            "parcel {k} ({code}) has {vertices} vertices"
        );
        codes.insert(code);
    }
    // Spatial structure: settlements, roads, ditches, water, forest and all three farmland kinds.
    for code in [
        "0101", "0102", "0103", "0702", "1006", "1107", "1101", "0301", "1202",
    ] {
        assert!(codes.contains(code), "no {code} among {codes:?}");
    }
}

#[test]
fn basic_farmland_copies_parcels_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let summary = county(dir.path(), 3000, 3, 9, Format::GeoJson);
    let parcels = layer(dir.path(), "landuse", "geojson");
    let pbf = layer(dir.path(), "basic_farmland", "geojson");
    assert_eq!(pbf.features.len(), summary.basic_farmland);
    let key = |g: &MultiPolygon<f64>| format!("{:?}", g.0[0].exterior().0);
    let by_geometry: std::collections::HashMap<String, usize> = parcels
        .features
        .iter()
        .enumerate()
        .map(|(k, f)| (key(&f.geometry), k))
        .collect();
    let mut cultivated = 0;
    for (k, f) in pbf.features.iter().enumerate() {
        let parcel = by_geometry[&key(&f.geometry)];
        assert_eq!(text(&pbf, k, "DLBM"), text(&parcels, parcel, "DLBM"));
        cultivated += text(&pbf, k, "DLBM").starts_with("010") as usize;
    }
    // Mostly cultivated, with some loss cases (garden, forest, construction).
    assert!(cultivated < pbf.features.len() && cultivated * 10 > pbf.features.len() * 8);
}

#[test]
fn every_layer_and_format_reads_back_clean() {
    let dir = tempfile::tempdir().unwrap();
    let seq = dir.path().join("seq");
    let shp = dir.path().join("shp");
    county(dir.path(), 1500, 3, 4, Format::GeoJson);
    county(&seq, 1500, 3, 4, Format::GeoJsonSeq);
    county(&shp, 1500, 3, 4, Format::Shapefile);
    for name in [
        "townships",
        "landuse",
        "basic_farmland",
        "approvals",
        "supplements",
        "changes",
    ] {
        let a = layer(dir.path(), name, "geojson");
        let b = layer(&seq, name, "geojsonl");
        let c = layer(&shp, name, "shp");
        assert_eq!(c.encoding.map(|e| e.encoding.name()), Some("UTF-8"));
        assert_eq!(c.crs.as_ref().and_then(|x| x.epsg), Some(4529));
        assert_eq!(
            (a.features.len(), b.features.len()),
            (c.features.len(), c.features.len()),
            "{name}"
        );
        for ((fa, fb), fc) in a.features.iter().zip(&b.features).zip(&c.features) {
            assert_eq!(fa.geometry, fb.geometry, "{name}");
            assert!(
                rel(fa.geometry.unsigned_area(), fc.geometry.unsigned_area()) < 1e-12,
                "{name}"
            );
            // Text the same in every format (the DBF pads numbers to their declared decimals).
            let texts = |l: &Layer, f: &redline_ingest::Feature| {
                l.attrs(f)
                    .iter()
                    .zip(&l.fields)
                    .filter(|(v, _)| matches!(v, ValueRef::Text(_)))
                    .map(|(v, _)| v.as_text())
                    .collect::<Vec<_>>()
            };
            assert_eq!(texts(&a, fa), texts(&c, fc), "{name}");
        }
    }
    let targets = std::fs::read_to_string(dir.path().join("targets.csv")).unwrap();
    assert_eq!(targets.lines().count(), 4);
    assert!(targets.starts_with("code,cultivated_target_m2,pbf_target_m2\n220821100,"));
    let job = std::fs::read_to_string(dir.path().join("job.toml")).unwrap();
    assert!(
        job.contains("path = \"landuse.geojson\"")
            && job.contains("period = { start = \"2025-01-01\"")
    );
}

fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    county(a.path(), 1200, 3, 21, Format::Shapefile);
    county(b.path(), 1200, 3, 21, Format::Shapefile);
    county(c.path(), 1200, 3, 22, Format::Shapefile);
    let (fa, fb, fc) = (files(a.path()), files(b.path()), files(c.path()));
    assert_eq!(fa.len(), 6 * 5 + 2); // five files per shapefile layer, targets, job
    for ((pa, ba), (_, bb)) in fa.iter().zip(&fb) {
        assert_eq!(
            ba,
            bb,
            "{} differs between two runs of one seed",
            pa.display()
        );
    }
    let landuse = |f: &[(PathBuf, Vec<u8>)]| {
        f.iter()
            .find(|(p, _)| p.ends_with("landuse.shp"))
            .unwrap()
            .1
            .clone()
    };
    assert_ne!(landuse(&fa), landuse(&fc));
}

#[test]
fn the_committed_demo_county_is_what_the_generator_makes() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo");
    let dir = tempfile::tempdir().unwrap();
    let summary = two_vintages(dir.path(), 20_000, 11, 1);
    assert_eq!((summary.townships, summary.villages), (11, 141));
    for name in [
        "townships.geojson",
        "landuse.geojson",
        "landuse_previous.geojson",
        "basic_farmland.geojson",
        "approvals.geojson",
        "supplements.geojson",
        "changes.geojson",
        "targets.csv",
        "job.toml",
    ] {
        let committed = std::fs::read(demo.join(name)).unwrap();
        let made = std::fs::read(dir.path().join(name)).unwrap();
        assert!(committed == made, "data/demo/{name} is not what `redline synth --parcels 20000 --townships 11 --seed 1 --previous-vintage` makes");
    }
}

#[test]
fn the_current_vintage_tiles_the_same_county_and_the_previous_one_is_the_single_vintage() {
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    county(one.path(), 3000, 3, 7, Format::GeoJson);
    let summary = two_vintages(two.path(), 3000, 3, 7);
    // The previous vintage is what a single-vintage county has as its land use.
    let body = |p: PathBuf| {
        let text = std::fs::read_to_string(p).unwrap();
        text.split_once('\n').unwrap().1.to_string()
    };
    assert!(
        body(one.path().join("landuse.geojson"))
            == body(two.path().join("landuse_previous.geojson"))
    );
    let previous = layer(two.path(), "landuse_previous", "geojson");
    let current = layer(two.path(), "landuse", "geojson");
    assert_eq!(
        current.features.len(),
        summary.parcels + summary.changed_parcels
    );
    assert!(summary.changed_parcels > 0);
    let planar = |l: &Layer| {
        l.features
            .iter()
            .map(|f| f.geometry.unsigned_area())
            .sum::<f64>()
    };
    assert!(rel(planar(&current), planar(&previous)) < 1e-9);
    // Where a region's edge crosses a parcel's, the new vertex is written to the micrometre:
    // off the neighbour's straight edge by at most 0.5 µm, a sliver of a few mm² at most.
    let overlaps = overlapping_pairs(&geoms(&current), 1e-9);
    let largest = overlaps.iter().map(|o| o.area).fold(0.0, f64::max);
    assert!(largest < 1e-4, "{largest} m²");
    // Ids are unique, and some classes changed.
    let ids: HashSet<String> = (0..current.features.len())
        .map(|k| text(&current, k, "BSM"))
        .collect();
    assert_eq!(ids.len(), current.features.len());
    let classes = |l: &Layer| -> HashSet<String> {
        (0..l.features.len())
            .map(|k| format!("{}:{}", text(l, k, "BSM"), text(l, k, "DLBM")))
            .collect()
    };
    assert!(classes(&current).difference(&classes(&previous)).count() > 10);
}

#[test]
fn change_patches_cover_every_case() {
    use geo::{Intersects, Within};
    let dir = tempfile::tempdir().unwrap();
    county(dir.path(), 6000, 3, 3, Format::GeoJson);
    let changes = layer(dir.path(), "changes", "geojson");
    let approvals = layer(dir.path(), "approvals", "geojson");
    let parcels = layer(dir.path(), "landuse", "geojson");
    let conversions: Vec<_> = (0..approvals.features.len())
        .filter(|&k| {
            matches!(
                text(&approvals, k, "PZLX").as_str(),
                "农用地转用" | "土地征收"
            )
        })
        .map(|k| &*approvals.features[k].geometry)
        .collect();
    let kinds: HashSet<String> = (0..approvals.features.len())
        .map(|k| text(&approvals, k, "PZLX"))
        .collect();
    assert_eq!(kinds.len(), 6, "{kinds:?}");
    let (mut inside, mut partial, mut outside, mut facility, mut on_settlement) = (0, 0, 0, 0, 0);
    for (k, c) in changes.features.iter().enumerate() {
        let hits = conversions
            .iter()
            .filter(|a| a.intersects(&*c.geometry))
            .count();
        if conversions.iter().any(|a| (*c.geometry).is_within(*a)) {
            inside += 1;
        } else if hits > 0 {
            partial += 1;
        } else {
            outside += 1;
        }
        facility += (text(&changes, k, "HSXDL") == "1202") as usize;
        let center = c.geometry.interior_point().unwrap();
        let under = parcels
            .features
            .iter()
            .position(|p| p.geometry.contains(&center));
        on_settlement +=
            under.is_some_and(|p| text(&parcels, p, "DLBM").starts_with("07")) as usize;
    }
    assert!(
        inside > 0 && partial > 0 && outside > 0 && facility > 0 && on_settlement > 0,
        "{inside} {partial} {outside} {facility} {on_settlement}"
    );
}

#[test]
fn every_size_works_or_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let refused = [
        (50, 11, "too few for 11 townships"),
        (0, 1, "too few for 1 townships"),
        (1_000, 0, "--townships must be at least 1"),
        (1_000, 900, "at most 899"),
        (100_000_001, 11, "at most 100000000"),
        (usize::MAX, 11, "at most 100000000"),
        (6_000, 120, "cannot be laid out in 120 townships"),
    ];
    for (parcels, townships, message) in refused {
        let out = dir.path().join(format!("refused_{parcels}_{townships}"));
        let config = redline_synth::Config {
            parcels,
            townships,
            seed: 1,
            format: redline_synth::Format::GeoJson,
            previous: false,
            county_code: redline_synth::DEFAULT_COUNTY.into(),
        };
        let err = redline_synth::generate(&config, &out).unwrap_err();
        assert!(
            err.to_string().contains(message),
            "{parcels}/{townships}: {err}"
        );
        assert!(
            !out.exists(),
            "{parcels}/{townships} wrote {}",
            out.display()
        );
    }
    // Small counties at the limit, and a few townships more or fewer, are generated whole.
    for (parcels, townships) in [(50, 1), (110, 2), (550, 11), (1_500, 30), (12_500, 250)] {
        let out = dir.path().join(format!("ok_{parcels}_{townships}"));
        let config = redline_synth::Config {
            parcels,
            townships,
            seed: 1,
            format: redline_synth::Format::GeoJson,
            previous: false,
            county_code: redline_synth::DEFAULT_COUNTY.into(),
        };
        let summary = redline_synth::generate(&config, &out).unwrap();
        assert_eq!(summary.townships, townships);
        assert!(summary.parcels > 0);
    }
}

#[test]
fn other_county_codes_lie_side_by_side() {
    use geo::BoundingRect;
    let dir = tempfile::tempdir().unwrap();
    let mut boxes = Vec::new();
    let config = |code: &str| Config {
        parcels: 600,
        townships: 3,
        seed: 5,
        format: Format::GeoJson,
        previous: false,
        county_code: code.into(),
    };
    // Small counties lie close together, all in zone 41 (a county of a million parcels, 200 km
    // across, would get a zone per column of the grid).
    for (code, epsg) in [("220821", 4529), ("220822", 4529), ("220825", 4529)] {
        let out = dir.path().join(code);
        generate(&config(code), &out).unwrap();
        let towns = layer(&out, "townships", "geojson");
        assert_eq!(
            towns.crs.as_ref().and_then(|c| c.epsg),
            Some(epsg),
            "{code}"
        );
        for k in 0..towns.features.len() {
            assert!(text(&towns, k, "XZQDM").starts_with(code));
        }
        let parcels = layer(&out, "landuse", "geojson");
        assert!(text(&parcels, 0, "BSM").starts_with(code));
        assert!(text(&parcels, 0, "ZLDWDM").starts_with(code));
        // The outline in lon/lat, to compare counties drawn in different zones.
        let t = redline_geom::Transformer::new(
            towns.crs.as_ref().unwrap(),
            &Crs::from_epsg(4490).unwrap(),
        )
        .unwrap();
        let corners: Vec<(f64, f64)> = towns
            .features
            .iter()
            .flat_map(|f| {
                let r = f.geometry.bounding_rect().unwrap();
                [
                    (r.min().x, r.min().y),
                    (r.max().x, r.max().y),
                    (r.min().x, r.max().y),
                    (r.max().x, r.min().y),
                ]
            })
            .map(|(x, y)| t.point(x, y).unwrap())
            .collect();
        let (lon, lat): (Vec<f64>, Vec<f64>) = corners.into_iter().unzip();
        let min = |v: &[f64]| v.iter().copied().fold(f64::MAX, f64::min);
        let max = |v: &[f64]| v.iter().copied().fold(f64::MIN, f64::max);
        boxes.push((code, min(&lon), min(&lat), max(&lon), max(&lat)));
        let job = std::fs::read_to_string(out.join("job.toml")).unwrap();
        assert!(job.contains(&format!("EPSG:{epsg}")), "{job}");
    }
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            let apart = a.3 < b.1 || b.3 < a.1 || a.4 < b.2 || b.4 < a.2;
            assert!(apart, "{a:?} and {b:?} overlap");
        }
    }
    for bad in ["22082", "2208210", "abcdef", ""] {
        let err = generate(&config(bad), &dir.path().join("bad")).unwrap_err();
        assert!(err.to_string().contains("6 digits"), "{bad}: {err}");
    }
}
