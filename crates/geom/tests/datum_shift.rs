//! Xian 1980 and Beijing 1954 to CGCS2000 with seven Helmert parameters, checked against a
//! Bursa–Wolf transformation written out here (geodetic → geocentric → Helmert → geodetic,
//! redline's own Krüger-series Transverse Mercator for the planes) and, where Debian's `cs2cs`
//! (proj-bin) is installed, against the system PROJ. Runs in the default build (proj4rs) and,
//! with `--features proj`, checks PROJ and proj4rs both.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use redline_geom::{Crs, Ellipsoid, Helmert, TransformError, Transformer};

/// Illustrative Xian 1980 → CGCS2000 parameters of the size bureaus get (position vector:
/// m, arc-seconds, ppm); real ones are fitted on a county's common points.
const XIAN80: [f64; 7] = [24.0, -123.0, -94.0, 0.02, -0.25, -0.13, 1.1];
/// The same for Beijing 1954 (larger translations: Krasovsky ellipsoid, Pulkovo origin).
const BEIJING54: [f64; 7] = [-12.5, 131.6, 83.4, -0.63, -0.41, 1.28, -3.7];

fn ecef(lon: f64, lat: f64, e: Ellipsoid) -> [f64; 3] {
    let (lon, lat) = (lon.to_radians(), lat.to_radians());
    let e2 = e.f * (2.0 - e.f);
    let n = e.a / (1.0 - e2 * lat.sin().powi(2)).sqrt();
    [
        n * lat.cos() * lon.cos(),
        n * lat.cos() * lon.sin(),
        n * (1.0 - e2) * lat.sin(),
    ]
}

/// Geodetic lon/lat (degrees) of a geocentric point, by fixed-point iteration on the latitude.
fn geodetic(p: [f64; 3], e: Ellipsoid) -> (f64, f64) {
    let e2 = e.f * (2.0 - e.f);
    let r = p[0].hypot(p[1]);
    let mut lat = (p[2] / (r * (1.0 - e2))).atan();
    for _ in 0..20 {
        let n = e.a / (1.0 - e2 * lat.sin().powi(2)).sqrt();
        let h = r / lat.cos() - n;
        lat = (p[2] / (r * (1.0 - e2 * n / (n + h)))).atan();
    }
    (p[1].atan2(p[0]).to_degrees(), lat.to_degrees())
}

/// Bursa–Wolf, position vector convention (PROJ's towgs84 and EPSG method 9606).
fn bursa_wolf(p: [f64; 3], h: [f64; 7]) -> [f64; 3] {
    let sec = std::f64::consts::PI / (180.0 * 3600.0);
    let (rx, ry, rz, m) = (h[3] * sec, h[4] * sec, h[5] * sec, 1.0 + h[6] * 1e-6);
    [
        h[0] + m * (p[0] - rz * p[1] + ry * p[2]),
        h[1] + m * (rz * p[0] + p[1] - rx * p[2]),
        h[2] + m * (-ry * p[0] + rx * p[1] + p[2]),
    ]
}

/// The independent result: local GK plane → local lon/lat → geocentric → Helmert → CGCS2000
/// lon/lat → CGCS2000 GK plane.
fn expected(local: &Crs, target: &Crs, h: [f64; 7], x: f64, y: f64) -> (f64, f64) {
    let (lon, lat) = local.transverse_mercator().unwrap().inverse(x, y);
    let shifted = bursa_wolf(ecef(lon, lat, local.ellipsoid()), h);
    let (lon, lat) = geodetic(shifted, Ellipsoid::CGCS2000);
    let (x, y, _) = target.transverse_mercator().unwrap().forward(lon, lat);
    (x, y)
}

fn with_shift(code: u32, h: [f64; 7]) -> Crs {
    let mut crs = Crs::from_epsg(code).unwrap();
    crs.towgs84 = Some(Helmert { params: h });
    crs
}

/// Points across the CM 114°E / CM 123°E strips, southern China to Heilongjiang.
fn points() -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for x in [381_000.0, 455_500.5, 500_000.0, 547_250.25, 618_900.0] {
        for y in [
            2_500_000.0,
            3_300_123.4,
            4_100_000.0,
            5_000_000.0,
            5_600_000.0,
        ] {
            out.push((x, y));
        }
    }
    out
}

/// Every engine this build has: PROJ (feature `proj`) and proj4rs.
fn engines(from: &Crs, to: &Crs) -> Vec<(&'static str, Transformer)> {
    let mut out = vec![("proj4rs", Transformer::pure_rust(from, to).unwrap())];
    if cfg!(feature = "proj") {
        out.push(("PROJ", Transformer::new(from, to).unwrap()));
    }
    out
}

fn check_to_cgcs2000(local_code: u32, target_code: u32, h: [f64; 7]) {
    let local = with_shift(local_code, h);
    let target = Crs::from_epsg(target_code).unwrap();
    for (engine, t) in engines(&local, &target) {
        let mut worst = 0.0f64;
        for &(x, y) in &points() {
            let (ex, ey) = expected(&local, &target, h, x, y);
            let (gx, gy) = t.point(x, y).unwrap();
            worst = worst.max((gx - ex).hypot(gy - ey));
            // The shift itself is tens to hundreds of metres: the test would see a skipped datum.
            assert!(
                (gx - x).hypot(gy - y) > 10.0,
                "{engine}: no shift at ({x}, {y})"
            );
        }
        println!("EPSG:{local_code} → EPSG:{target_code} {engine}: worst {worst:.2e} m");
        assert!(
            worst < 1e-3,
            "{engine}: {worst} m from the Bursa–Wolf result"
        );
    }
}

#[test]
fn xian80_gk_to_cgcs2000_gk_agrees_with_bursa_wolf_to_a_millimetre() {
    // EPSG:2383 Xian 1980 / 3-degree GK CM 114E → EPSG:4547 CGCS2000 / 3-degree GK CM 114E.
    check_to_cgcs2000(2383, 4547, XIAN80);
    // Translations only.
    check_to_cgcs2000(2383, 4547, [24.0, -123.0, -94.0, 0.0, 0.0, 0.0, 0.0]);
}

#[test]
fn beijing54_gk_to_cgcs2000_gk_agrees_with_bursa_wolf_to_a_millimetre() {
    // EPSG:2438 Beijing 1954 / 3-degree GK CM 123E → EPSG:4550 CGCS2000 / 3-degree GK CM 123E.
    check_to_cgcs2000(2438, 4550, BEIJING54);
}

/// The inverse of [`bursa_wolf`], solved exactly (Cramer's rule on the rotation matrix).
fn bursa_wolf_inverse(p: [f64; 3], h: [f64; 7]) -> [f64; 3] {
    let sec = std::f64::consts::PI / (180.0 * 3600.0);
    let (rx, ry, rz, m) = (h[3] * sec, h[4] * sec, h[5] * sec, 1.0 + h[6] * 1e-6);
    let r = [[1.0, -rz, ry], [rz, 1.0, -rx], [-ry, rx, 1.0]];
    let v = [(p[0] - h[0]) / m, (p[1] - h[1]) / m, (p[2] - h[2]) / m];
    let det = |m: [[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(r);
    std::array::from_fn(|col| {
        let mut c = r;
        for row in 0..3 {
            c[row][col] = v[row];
        }
        det(c) / d
    })
}

#[test]
fn cgcs2000_back_to_xian80_agrees_with_the_inverse_bursa_wolf() {
    // The reverse direction, heights zero on the CGCS2000 side (2D data, as PROJ's pipelines
    // push and pop the height). A forward-then-back round trip is therefore not exact: the
    // forward shift leaves a height of tens of metres that 2D data drops, worth ~1 mm.
    let local = with_shift(2383, XIAN80);
    let target = Crs::from_epsg(4547).unwrap();
    for (engine, _) in engines(&local, &target) {
        let back = match engine {
            "PROJ" => Transformer::new(&target, &local).unwrap(),
            _ => Transformer::pure_rust(&target, &local).unwrap(),
        };
        let mut worst = 0.0f64;
        for &(x, y) in &points() {
            let (lon, lat) = target.transverse_mercator().unwrap().inverse(x, y);
            let p = bursa_wolf_inverse(ecef(lon, lat, Ellipsoid::CGCS2000), XIAN80);
            let (lon, lat) = geodetic(p, local.ellipsoid());
            let (ex, ey, _) = local.transverse_mercator().unwrap().forward(lon, lat);
            let (bx, by) = back.point(x, y).unwrap();
            worst = worst.max((bx - ex).hypot(by - ey));
        }
        println!("EPSG:4547 → EPSG:2383 {engine}: worst {worst:.2e} m");
        assert!(worst < 1e-3, "{engine}: {worst} m");
    }
}

#[test]
fn a_local_datum_without_parameters_is_refused_not_guessed() {
    // PROJ would make a "ballpark" transformation here: Xian 1980 lat/lon taken as CGCS2000's.
    for (from, to) in [(2383, 4547), (4610, 4490), (4214, 4490), (2438, 4326)] {
        let (from, to) = (Crs::from_epsg(from).unwrap(), Crs::from_epsg(to).unwrap());
        for result in [
            Transformer::new(&from, &to),
            Transformer::pure_rust(&from, &to),
        ] {
            match result {
                Err(TransformError::NeedsDatumShift { missing, .. }) => {
                    assert_eq!(missing, from.to_string())
                }
                other => panic!("{from} → {to}: {other:?}"),
            }
        }
    }
    let e = Transformer::new(
        &Crs::from_epsg(2383).unwrap(),
        &Crs::from_epsg(4547).unwrap(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("towgs84"), "{e}");
}

#[test]
fn the_same_local_datum_needs_no_parameters() {
    // Xian 1980 GK CM 114E → Xian 1980 geographic: a projection, no datum change.
    let t = Transformer::new(
        &Crs::from_epsg(2383).unwrap(),
        &Crs::from_epsg(4610).unwrap(),
    )
    .unwrap();
    let (lon, _) = t.point(500_000.0, 3_400_000.0).unwrap();
    assert!((lon - 114.0).abs() < 1e-9);
    // Xian 1980 with its parameters and without is one datum: nothing to do between them.
    let plain = Crs::from_epsg(2383).unwrap();
    let shifted = with_shift(2383, XIAN80);
    assert!(plain.same_as(&shifted) && shifted.same_as(&plain));
    assert!(Transformer::new(&plain, &shifted).unwrap().is_identity());
    // Two different shifts of one local datum are two realisations: a transformation.
    let other = with_shift(2383, [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    assert!(!other.same_as(&shifted));
    let (x, _) = Transformer::new(&shifted, &other)
        .unwrap()
        .point(500_000.0, 3_400_000.0)
        .unwrap();
    assert!((x - 500_000.0).abs() > 1.0);
    // On CGCS2000 a given towgs84 contradicts "no shift" and is applied.
    let cgcs = Crs::from_epsg(4547).unwrap();
    let mut odd = cgcs.clone();
    odd.towgs84 = Some(Helmert { params: XIAN80 });
    assert!(!cgcs.same_as(&odd) && !cgcs.shares_datum_with(&odd));
}

#[test]
fn towgs84_in_proj_strings_and_wkt_is_read() {
    let text = "+proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=500000 +y_0=0 +a=6378140 +rf=298.257 \
                +towgs84=24,-123,-94,0.02,-0.25,-0.13,1.1 +units=m +no_defs";
    let crs = Crs::from_user(text).unwrap();
    assert_eq!(crs.ellipsoid(), Ellipsoid::IAG75);
    assert_eq!(crs.towgs84, Some(Helmert { params: XIAN80 }));
    let target = Crs::from_epsg(4547).unwrap();
    let (x, y) = Transformer::new(&crs, &target)
        .unwrap()
        .point(455_500.5, 3_300_123.4)
        .unwrap();
    let (ex, ey) = expected(&crs, &target, XIAN80, 455_500.5, 3_300_123.4);
    assert!((x - ex).hypot(y - ey) < 1e-3);

    let wkt = r#"PROJCS["Xian_1980_3_Degree_GK_CM_114E",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257],TOWGS84[24,-123,-94,0.02,-0.25,-0.13,1.1]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
    let crs = Crs::from_wkt(wkt).unwrap();
    assert_eq!(crs.epsg, Some(2383));
    assert_eq!(crs.towgs84, Some(Helmert { params: XIAN80 }));
    assert!(crs.to_string().contains("+towgs84=24,-123,-94"), "{crs}");
}

/// Debian's `cs2cs` (PROJ 9.1, proj-bin) as a third engine, where it is installed.
#[test]
fn system_cs2cs_agrees_where_installed() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let h = XIAN80.map(|v| v.to_string()).join(",");
    let args = format!(
        "-f %.6f +proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=500000 +y_0=0 +ellps=IAU76 +towgs84={h} \
         +units=m +to +proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 \
         +towgs84=0,0,0 +units=m"
    );
    let child = Command::new("cs2cs")
        .args(args.split_whitespace())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("skipped: cs2cs is not installed (Debian proj-bin)");
        return;
    };
    let input: String = points().iter().map(|(x, y)| format!("{x} {y}\n")).collect();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let local = with_shift(2383, XIAN80);
    let target = Crs::from_epsg(4547).unwrap();
    let t = Transformer::new(&local, &target).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), points().len(), "{text}");
    for (line, &(x, y)) in lines.iter().zip(&points()) {
        let v: Vec<f64> = line
            .split_whitespace()
            .map(|s| s.parse().unwrap())
            .collect();
        let (gx, gy) = t.point(x, y).unwrap();
        assert!(
            (gx - v[0]).hypot(gy - v[1]) < 1e-3,
            "cs2cs {line} vs redline {gx} {gy}"
        );
    }
}
