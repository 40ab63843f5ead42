//! The `proj` feature: PROJ itself as the transformation engine. Run with
//! `cargo test -p redline-geom --features proj`.
#![cfg(feature = "proj")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use redline_geom::{Crs, CrsKind, Ellipsoid, Transformer};

/// Every Gauss–Krüger CRS of CGCS2000, Xian 1980 and Beijing 1954 (6° and 3°, with and without
/// the zone prefix) and the geographic CRS of its datum.
fn gauss_krueger_codes() -> Vec<(u32, u32)> {
    let series = [
        (4490, [4491..=4501, 4502..=4512, 4513..=4533, 4534..=4554]),
        (4610, [2327..=2337, 2338..=2348, 2349..=2369, 2370..=2390]),
        (
            4214,
            [21413..=21423, 21453..=21463, 2401..=2421, 2422..=2442],
        ),
    ];
    series
        .into_iter()
        .flat_map(|(geo, ranges)| ranges.into_iter().flatten().map(move |c| (geo, c)))
        .collect()
}

#[test]
fn proj_and_pure_rust_agree_on_every_gauss_krueger_zone_to_a_micrometre() {
    let mut worst = 0.0f64;
    let codes = gauss_krueger_codes();
    assert_eq!(codes.len(), 3 * 64);
    for (geo_code, code) in codes {
        let geo = Crs::from_epsg(geo_code).unwrap();
        let zone = Crs::from_epsg(code).unwrap();
        let CrsKind::TransverseMercator { lon0, .. } = zone.kind else {
            panic!("EPSG:{code} is not TM");
        };
        let width = if zone.name.contains("3-degree") {
            1.5
        } else {
            3.0
        };
        let proj = Transformer::new(&geo, &zone).unwrap();
        let rust = Transformer::pure_rust(&geo, &zone).unwrap();
        let back = Transformer::new(&zone, &geo).unwrap();
        let krueger = zone.transverse_mercator().unwrap();
        for dlon in [-width, -0.7 * width, 0.0, 0.31, width] {
            for lat in [18.2, 25.0, 33.3, 41.7, 53.5] {
                let (lon, lat) = (lon0 + dlon, lat);
                let (px, py) = proj.point(lon, lat).unwrap();
                let (rx, ry) = rust.point(lon, lat).unwrap();
                let (kx, ky, _) = krueger.forward(lon, lat);
                worst = worst
                    .max((px - rx).hypot(py - ry))
                    .max((px - kx).hypot(py - ky));
                let (blon, blat) = back.point(px, py).unwrap();
                assert!((blon - lon).abs() < 1e-9 && (blat - lat).abs() < 1e-9);
            }
        }
    }
    println!("worst PROJ vs proj4rs / Krüger series over 192 zones: {worst:.2e} m");
    assert!(worst < 1e-6, "{worst} m");
}

#[test]
fn any_epsg_code_comes_from_the_proj_database() {
    // World Mercator is not in redline's own table.
    let mercator = Crs::from_epsg(3395).unwrap();
    assert_eq!(mercator.epsg, Some(3395));
    assert_eq!(mercator.ellipsoid(), Ellipsoid::WGS84);
    assert!(matches!(mercator.kind, CrsKind::Projected { .. }));
    let t = Transformer::new(&Crs::from_epsg(4326).unwrap(), &mercator).unwrap();
    // Ellipsoidal Mercator written out: x = aλ, y = a(atanh(sin φ) − e·atanh(e sin φ)).
    let e = Ellipsoid::WGS84;
    let ecc = (e.f * (2.0 - e.f)).sqrt();
    for (lon, lat) in [(123.0, 45.8), (-3.5, -12.25), (0.0, 0.0)] {
        let (x, y) = t.point(lon, lat).unwrap();
        let s = f64::sin(lat.to_radians());
        let ey = e.a * (s.atanh() - ecc * (ecc * s).atanh());
        assert!((x - e.a * lon.to_radians()).abs() < 1e-6, "{x}");
        assert!((y - ey).abs() < 1e-6, "{y} vs {ey}");
    }
}

#[test]
fn names_and_wkt2_are_read_by_proj() {
    let by_name = Crs::from_user("Xian 1980 / 3-degree Gauss-Kruger CM 114E").unwrap();
    assert_eq!(by_name.epsg, Some(2383));
    assert_eq!(by_name.kind, Crs::from_epsg(2383).unwrap().kind);
    // A WKT2 Lambert Conformal Conic (pure Rust reads only Transverse Mercator WKT).
    let wkt2 = r#"PROJCRS["China Albers-like LCC",BASEGEOGCRS["China Geodetic Coordinate System 2000",DATUM["China 2000",ELLIPSOID["CGCS2000",6378137,298.257222101,LENGTHUNIT["metre",1]]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]]],CONVERSION["LCC",METHOD["Lambert Conic Conformal (2SP)",ID["EPSG",9802]],PARAMETER["Latitude of false origin",0,ANGLEUNIT["degree",0.0174532925199433]],PARAMETER["Longitude of false origin",105,ANGLEUNIT["degree",0.0174532925199433]],PARAMETER["Latitude of 1st standard parallel",25,ANGLEUNIT["degree",0.0174532925199433]],PARAMETER["Latitude of 2nd standard parallel",47,ANGLEUNIT["degree",0.0174532925199433]],PARAMETER["Easting at false origin",0,LENGTHUNIT["metre",1]],PARAMETER["Northing at false origin",0,LENGTHUNIT["metre",1]]],CS[Cartesian,2],AXIS["easting",east,ORDER[1],LENGTHUNIT["metre",1]],AXIS["northing",north,ORDER[2],LENGTHUNIT["metre",1]]]"#;
    let lcc = Crs::from_user(wkt2).unwrap();
    assert!(matches!(lcc.kind, CrsKind::Projected { .. }), "{lcc:?}");
    assert!(lcc.is_wgs84_like());
    // On the central meridian the easting is zero.
    let t = Transformer::new(&Crs::from_epsg(4490).unwrap(), &lcc).unwrap();
    let (x, y) = t.point(105.0, 36.0).unwrap();
    assert!(x.abs() < 1e-6 && y > 3.9e6, "{x} {y}");
}

#[test]
fn each_thread_builds_its_own_proj_object_with_identical_results() {
    let geo = Crs::from_epsg(4490).unwrap();
    let zone = Crs::from_epsg(4529).unwrap();
    let t = Transformer::new(&geo, &zone).unwrap();
    let points: Vec<(f64, f64)> = (0..200)
        .map(|i| (121.6 + i as f64 * 0.014, 44.1 + i as f64 * 0.019))
        .collect();
    let here: Vec<(f64, f64)> = points
        .iter()
        .map(|&(x, y)| t.point(x, y).unwrap())
        .collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let t = t.clone();
                let points = &points;
                s.spawn(move || {
                    points
                        .iter()
                        .map(|&(x, y)| t.point(x, y).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), here);
        }
    });
}
