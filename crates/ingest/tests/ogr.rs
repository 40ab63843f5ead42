//! The `gdal` feature: OGR sources read through GDAL. Counts and CRSs are those `ogrinfo -so`
//! reports for the fiboa extracts in ../shared/data (see their SOURCE.md); the committed
//! shapefile fixtures check that GDAL and the pure-Rust reader agree on geometry and text.
#![cfg(feature = "gdal")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use geo::Area;
use redline_geom::CrsKind;
use redline_ingest::{read_layer, Format, LayerRead, ReadOptions, Value};
use std::path::{Path, PathBuf};

fn fiboa(rel: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/parcels-fiboa");
    if !path.exists() {
        eprintln!("skipped: ../shared/data/parcels-fiboa is absent on this machine");
        return None;
    }
    Some(path.join(rel))
}

fn read(path: &Path, options: ReadOptions) -> LayerRead {
    read_layer(path, &options).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The declared CRS in a few words: `geographic`, `tm lon0 k0`, or the PROJ string.
fn crs_summary(r: &LayerRead) -> String {
    match &r.layer.crs.as_ref().expect("a declared CRS").kind {
        CrsKind::TransverseMercator { lon0, k0, .. } => format!("tm {lon0:.9} {k0}"),
        CrsKind::Geographic { .. } => "geographic".into(),
        CrsKind::Projected { proj, .. } => proj.clone(),
    }
}

#[test]
fn fiboa_sources_have_ogrinfo_counts_and_crs() {
    // (source, layer, features, CRS): EPSG:3067 ETRS89 / TM35FIN = UTM 35N, EPSG:4269 NAD83
    // geographic, EPSG:3006 SWEREF99 TM = UTM 33N, EPSG:3763 PT-TM06 (lon0 -8°07'59.19"),
    // EPSG:4258 ETRS89 geographic — as `ogrinfo -ro -so -al` reports them.
    // The CRS summary is GDAL's PROJ string where redline's own table lacks the EPSG code, and
    // with redline-geom's `proj` feature (seen here by its knowing EPSG:3067) the CRS PROJ's
    // database gives for that code.
    let (fi, se, pt) = if redline_geom::Crs::from_epsg(3067).is_ok() {
        (
            "tm 27.000000000 0.9996",
            "tm 15.000000000 0.9996",
            "EPSG:3763",
        )
    } else {
        (
            "+proj=utm +zone=35 +ellps=GRS80",
            "+proj=utm +zone=33 +ellps=GRS80",
            "+proj=tmerc +lat_0=39.6682583333333 +lon_0=-8.13310833333333 +k=1 +x_0=0 +y_0=0 +ellps=GRS80",
        )
    };
    let cases = [
        (
            "fi/LandUse.ExistingLandUse.GSAAAgriculturalParcel.gpkg",
            "hvd_kasvulohko",
            100,
            fi,
        ),
        (
            "us_ca_scm/i15_crop_mapping_2023_provisional_20241127.gdb.zip",
            "i15_Crop_Mapping_2023_Provisional",
            100,
            "geographic",
        ),
        ("se/se2023.zip", "arslager_skiftePolygon", 10, se),
        (
            "pt/Continente.gpkg#Culturas_Aveiro",
            "Culturas_Aveiro",
            100,
            pt,
        ),
        // GML (INSPIRE GSAA, ETRS89 = EPSG:4258) in a zip archive.
        (
            "ie/GSAA_2024.zip",
            "ExistingLandUseObject",
            100,
            "geographic",
        ),
    ];
    for (rel, layer, count, crs) in cases {
        let Some(path) = fiboa(rel) else { return };
        let r = read(&path, ReadOptions::default());
        assert_eq!(r.layer.name, layer, "{rel}");
        assert_eq!(r.layer.format, Format::Ogr, "{rel}");
        assert_eq!(r.layer.read_count, count, "{rel}");
        assert_eq!(r.layer.features.len(), count, "{rel}: {:?}", r.issues);
        assert_eq!(r.layer.crs_source, "declared", "{rel}");
        let summary = crs_summary(&r);
        assert!(summary.contains(crs), "{rel}: {summary}");
    }
}

#[test]
fn a_missing_layer_is_named_with_the_layers_there() {
    let Some(path) = fiboa("pt/Continente.gpkg#Vinhas") else {
        return;
    };
    let e = read_layer(&path, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Continente.gpkg") && e.contains("\"Vinhas\""),
        "{e}"
    );
    assert!(
        e.contains("Culturas_Aveiro") && e.contains("OcupacoesSolo_Aveiro"),
        "{e}"
    );
}

fn fixture(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
        .join("parcels.shp")
}

fn text(r: &LayerRead, field: &str, feature: usize) -> Value {
    let column = r.layer.fields.iter().position(|f| f.name == field).unwrap();
    r.layer.attrs(&r.layer.features[feature]).to_vec()[column].clone()
}

/// Reads through GDAL whatever the file is.
fn read_ogr(path: &Path, options: ReadOptions) -> LayerRead {
    read(
        path,
        ReadOptions {
            format: Some(Format::Ogr),
            region: None,
            ..options
        },
    )
}

/// Every feature's planar area, in order.
fn areas(r: &LayerRead) -> Vec<f64> {
    r.layer
        .features
        .iter()
        .map(|f| f.geometry.unsigned_area())
        .collect()
}

/// Feature by feature, the same areas within `rel` of the larger of the area and 1.
fn assert_same_areas(what: &str, ours: &[f64], theirs: &[f64], rel: f64) {
    assert_eq!(ours.len(), theirs.len(), "{what}");
    for (k, (a, b)) in ours.iter().zip(theirs).enumerate() {
        assert!(
            (a - b).abs() <= rel * b.max(1.0),
            "{what} feature {k}: {a} vs {b}"
        );
    }
}

#[test]
fn gdal_and_pure_rust_agree_on_a_shapefile() {
    let path = fixture("utf8");
    let pure = read(&path, ReadOptions::default());
    let ogr = read_ogr(&path, ReadOptions::default());
    assert_eq!(pure.layer.features.len(), ogr.layer.features.len());
    for (a, b) in pure.layer.features.iter().zip(&ogr.layer.features) {
        assert_eq!(a.geometry.unsigned_area(), b.geometry.unsigned_area());
        assert_eq!(
            (a.index, &a.id, pure.layer.attrs(a).to_vec()),
            (b.index, &b.id, ogr.layer.attrs(b).to_vec())
        );
    }
    // 100 × 100 and 50 × 200 squares (the fixture's script).
    assert_eq!(ogr.layer.features[0].geometry.unsigned_area(), 10_000.0);
    assert_eq!(ogr.layer.crs.as_ref().and_then(|c| c.epsg), Some(4529));
    assert_eq!(text(&ogr, "DLMC", 1), Value::Text("旱地".into()));
}

#[test]
fn gbk_with_ansi_cpg_reads_through_the_encoding_open_option() {
    let ogr = |encoding: Option<&str>| {
        read_ogr(
            &fixture("gbk_ansi"),
            ReadOptions {
                dbf_encoding: encoding.map(String::from),
                ..Default::default()
            },
        )
    };
    let r = ogr(Some("CP936"));
    assert_eq!(text(&r, "BZ", 0), Value::Text("基本农田".into()));
    assert_eq!(text(&r, "DLMC", 1), Value::Text("旱地".into()));
    assert_eq!(text(&r, "KCXS", 1), Value::Number(0.1));
    // Without the override GDAL takes `ANSI` as Latin-1: no Chinese comes out.
    assert_ne!(text(&ogr(None), "DLMC", 1), Value::Text("旱地".into()));
}

#[test]
fn a_committed_geopackage_equals_its_shapefile() {
    // gpkg/parcels.gpkg is `ogr2ogr -f GPKG gpkg/parcels.gpkg utf8/parcels.shp -nln DLTB`.
    let gpkg = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gpkg/parcels.gpkg#DLTB");
    let r = read(&gpkg, ReadOptions::default());
    let shp = read(&fixture("utf8"), ReadOptions::default());
    assert_eq!((r.layer.name.as_str(), r.layer.read_count), ("DLTB", 2));
    assert_eq!(r.layer.crs.as_ref().and_then(|c| c.epsg), Some(4529));
    assert_eq!(areas(&r), vec![10_000.0, 10_000.0]);
    assert_eq!(areas(&r), areas(&shp));
    assert_eq!(text(&r, "BZ", 0), Value::Text("基本农田".into()));
    assert_eq!(
        r.layer.features[0].id.as_deref(),
        Some("1"),
        "the GeoPackage fid"
    );
    // The job file's `layer = "DLTB"` is the same as `#DLTB`.
    let by_option = read(
        &gpkg.with_file_name("parcels.gpkg"),
        ReadOptions {
            source_layer: Some("DLTB".into()),
            ..Default::default()
        },
    );
    assert_eq!(areas(&by_option), areas(&r));
}

#[test]
fn a_layer_name_on_a_single_layer_file_is_an_error() {
    let options = ReadOptions {
        source_layer: Some("DLTB".into()),
        ..Default::default()
    };
    let e = read_layer(&fixture("utf8"), &options)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("parcels.shp") && e.contains("\"DLTB\"") && e.contains("one layer"),
        "{e}"
    );
}

/// Planar areas of every feature as GDAL itself computes them (`OGR_G_Area`).
fn gdal_areas(path: &Path) -> Vec<f64> {
    use gdal::vector::LayerAccess;
    let dataset = gdal::Dataset::open(path).unwrap();
    let mut layer = dataset.layer(0).unwrap();
    layer
        .features()
        .map(|f| f.geometry().map_or(0.0, |g| g.area()))
        .collect()
}

#[test]
fn eolearn_geopackages_match_ogrinfo_and_gdal_areas() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/parcels-eolearn");
    if !root.exists() {
        eprintln!("skipped: ../shared/data/parcels-eolearn is absent on this machine");
        return;
    }
    // SOURCE.md and ogrinfo: 193 French RPG parcels in EPSG:2154, 88 RABA polygons in 32633.
    for (file, layer, count, epsg) in [
        ("fr_rpg_lpis_iacs_193.gpkg", "lpis_iacs", 193, 2154),
        ("si_raba_lulc_88.gpkg", "LULC", 88, 32633),
    ] {
        let path = root.join(file);
        let r = read(&path, ReadOptions::default());
        assert_eq!(
            (r.layer.name.as_str(), r.layer.features.len()),
            (layer, count)
        );
        assert_eq!(r.layer.crs.as_ref().and_then(|c| c.epsg), Some(epsg));
        assert_same_areas(file, &areas(&r), &gdal_areas(&path), 1e-6);
    }
}

/// The utf8 fixture with another `.prj`, in a temporary folder.
fn with_prj(prj: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for ext in ["shp", "shx", "dbf", "cpg"] {
        let from = fixture("utf8").with_extension(ext);
        std::fs::copy(&from, dir.path().join("parcels").with_extension(ext)).unwrap();
    }
    std::fs::write(dir.path().join("parcels.prj"), prj).unwrap();
    let path = dir.path().join("parcels.shp");
    (dir, path)
}

#[test]
fn xian80_prj_files_read_the_same_through_gdal_and_pure_rust() {
    use redline_geom::{Ellipsoid, Helmert};
    // ArcGIS's .prj for Xian 1980 (no datum shift in it), and an OGC WKT1 with TOWGS84.
    let esri = r#"PROJCS["Xian_1980_3_Degree_GK_CM_114E",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
    let ogc = r#"PROJCS["Xian 1980 / 3-degree Gauss-Kruger CM 114E",GEOGCS["Xian 1980",DATUM["Xian_1980",SPHEROID["IAG 1975",6378140,298.257],TOWGS84[24,-123,-94,0.02,-0.25,-0.13,1.1]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",114],PARAMETER["scale_factor",1],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1]]"#;
    let shift = Helmert {
        params: [24.0, -123.0, -94.0, 0.02, -0.25, -0.13, 1.1],
    };
    for (prj, towgs84) in [(esri, None), (ogc, Some(shift))] {
        let (_dir, path) = with_prj(prj);
        let pure = read(&path, ReadOptions::default());
        let ogr = read_ogr(&path, ReadOptions::default());
        for r in [&pure, &ogr] {
            let crs = r.layer.crs.as_ref().unwrap();
            assert_eq!(crs.ellipsoid(), Ellipsoid::IAG75, "{crs}");
            assert_eq!(crs_summary(r), "tm 114.000000000 1");
            assert_eq!(crs.towgs84, towgs84, "{crs}");
        }
    }
}

#[test]
fn curved_polygons_are_linearised_to_their_exact_area() {
    use gdal::vector::{Feature, Geometry, LayerAccess, LayerOptions, OGRwkbGeometryType};
    use gdal::DriverManager;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("curves.gpkg");
    // A half disc of radius 1 (π/2), a 50 m circle in GK zone 41 (2500π m²) beside a 10 × 10
    // square, and a square with a circular hole of radius 1 (100 − π).
    let wkts = [
        "CURVEPOLYGON(COMPOUNDCURVE(CIRCULARSTRING(0 0,1 1,2 0),(2 0,0 0)))",
        "MULTISURFACE(CURVEPOLYGON(CIRCULARSTRING(41512345 5080000,41512445 5080000,41512345 5080000)),((41512500 5080000,41512510 5080000,41512510 5080010,41512500 5080010,41512500 5080000)))",
        "CURVEPOLYGON((0 0,10 0,10 10,0 10,0 0),CIRCULARSTRING(4 5,6 5,4 5))",
    ];
    let by_hand = [
        std::f64::consts::FRAC_PI_2,
        2500.0 * std::f64::consts::PI + 100.0,
        100.0 - std::f64::consts::PI,
    ];
    {
        let driver = DriverManager::get_driver_by_name("GPKG").unwrap();
        let mut ds = driver.create_vector_only(&path).unwrap();
        let layer = ds
            .create_layer(LayerOptions {
                name: "curves",
                srs: None,
                ty: OGRwkbGeometryType::wkbUnknown,
                options: None,
            })
            .unwrap();
        for wkt in wkts {
            let mut f = Feature::new(layer.defn()).unwrap();
            f.set_geometry(Geometry::from_wkt(wkt).unwrap()).unwrap();
            f.create(&layer).unwrap();
        }
    }
    let r = read(
        &path,
        ReadOptions {
            crs: redline_geom::Crs::from_epsg(4529).ok(),
            ..Default::default()
        },
    );
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    assert_eq!(r.layer.features.len(), 3);
    for ((f, want), wkt) in r.layer.features.iter().zip(by_hand).zip(wkts) {
        let gdal_area = Geometry::from_wkt(wkt).unwrap().area();
        let area = f.geometry.unsigned_area();
        assert!((area - want).abs() < 1e-6 * want, "{wkt}: {area} vs {want}");
        assert!(
            (gdal_area - want).abs() < 1e-9 * want,
            "GDAL's own curve area {gdal_area}"
        );
    }
}

#[test]
fn bessel_sources_are_read_through_proj_and_refused_without_it() {
    // ogrinfo: 100 features each, EPSG:2056 CH1903+ / LV95 (oblique Mercator) and EPSG:28992
    // Amersfoort / RD New (oblique stereographic), both on the Bessel 1841 ellipsoid.
    let with_proj = redline_geom::Crs::from_epsg(3067).is_ok();
    for (rel, layer) in [
        ("ch/lwb_nutzungsflaechen_v2_0_lv95.gpkg", "nutzungsflaechen"),
        ("nl/brpgewaspercelen_definitief_2023.gpkg", "brp_gewas"),
    ] {
        let Some(path) = fiboa(rel) else { return };
        let result = read_layer(&path, &ReadOptions::default());
        if !with_proj {
            let e = result.expect_err("a Bessel CRS without PROJ").to_string();
            assert!(e.contains("bessel"), "{rel}: {e}");
            continue;
        }
        let r = result.unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(
            (r.layer.name.as_str(), r.layer.features.len()),
            (layer, 100)
        );
        let crs = r.layer.crs.as_ref().unwrap();
        assert!(
            (crs.ellipsoid().a - 6_377_397.155).abs() < 1e-3,
            "{rel}: {crs}"
        );
        assert!(
            matches!(crs.kind, CrsKind::Projected { .. }),
            "{rel}: {crs}"
        );
        assert_same_areas(rel, &areas(&r), &gdal_areas(&path), 1e-6);
    }
}

#[test]
fn zipped_shapefiles_read_the_same_through_gdal_and_the_pure_rust_reader() {
    use gdal::raster::RasterCreationOptions;
    use gdal::{Dataset, DriverManager};
    // ogrinfo -ro -so -al /vsizip/…: layer and feature count of each zipped shapefile.
    let cases = [
        ("se/se2023.zip", "arslager_skiftePolygon", 10),
        ("dk/Marker_2026.zip", "Marker_2026", 100),
        ("de_bb/antrag.zip", "antrag_land_gem", 100),
        ("bg/bg_arable_land_2024.zip", "Arable_Land_2024", 100),
        ("india_10k/india_10k.zip", "india_10k", 100),
    ];
    for (rel, layer, count) in cases {
        let Some(zip) = fiboa(rel) else { return };
        let through_gdal = read(&zip, ReadOptions::default());
        assert_eq!(through_gdal.layer.name, layer, "{rel}");
        assert_eq!(through_gdal.layer.features.len(), count, "{rel}");
        // The same shapefile taken out of the archive by GDAL, then read by redline's own
        // .shp/.dbf reader.
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join(format!("{layer}.shp"));
        let source = Dataset::open(format!("/vsizip/{}", zip.display())).unwrap();
        let driver = DriverManager::get_driver_by_name("ESRI Shapefile").unwrap();
        drop(
            source
                .create_copy(&driver, &copy, &RasterCreationOptions::default())
                .unwrap(),
        );
        let pure = read(&copy, ReadOptions::default());
        assert_eq!(pure.layer.format, Format::Shapefile);
        assert_eq!(pure.layer.features.len(), count, "{rel}: {:?}", pure.issues);
        assert_same_areas(rel, &areas(&pure), &areas(&through_gdal), 1e-9);
    }
}
