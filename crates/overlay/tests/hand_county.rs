//! A tiny county built by hand — squares and L-shapes, a basic-farmland parcel half converted,
//! one conversion batch, accepted and pending compensation projects, and change patches of every
//! verdict — with every docs/metrics.md §5 metric asserted against arithmetic done by hand (planar areas,
//! so the numbers are exact). Local coordinates are offset to EPSG:4529 (zone 41).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use geo::{Coord, LineString, MultiPolygon, Polygon};
use redline_geom::{AreaMethod, Crs, LandCategory};
use redline_overlay::*;
use std::collections::BTreeMap;

const X0: f64 = 41_500_000.0;
const Y0: f64 = 5_080_000.0;

fn poly(points: &[(f64, f64)]) -> MultiPolygon<f64> {
    let mut ring: Vec<Coord<f64>> = points
        .iter()
        .map(|&(x, y)| Coord {
            x: X0 + x,
            y: Y0 + y,
        })
        .collect();
    ring.push(ring[0]);
    MultiPolygon(vec![Polygon::new(LineString(ring), vec![])])
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    poly(&[(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
}

fn date(s: &str) -> Option<Date> {
    Date::parse(s)
}

fn parcel(
    id: &str,
    code: &str,
    category: LandCategory,
    deduction: f64,
    grade: Option<u8>,
    geometry: MultiPolygon<f64>,
) -> Parcel {
    Parcel {
        id: id.into(),
        code: ClassCode::new(code).unwrap(),
        category,
        official_area: None,
        deduction,
        grade,
        village: None,
        geometry: geometry.into(),
    }
}

fn change(
    id: &str,
    observed: &str,
    category: LandCategory,
    day: &str,
    geometry: MultiPolygon<f64>,
) -> Change {
    Change {
        id: id.into(),
        observed: Some(observed.into()),
        observed_category: Some(category),
        image_date: date(day),
        geometry,
    }
}

fn county() -> County {
    use LandCategory::*;
    let townships = vec![
        // Given out of code order: the engine sorts.
        Township {
            code: "220821101".into(),
            name: "T2".into(),
            geometry: rect(200.0, 0.0, 400.0, 100.0),
        },
        Township {
            code: "220821100".into(),
            name: "T1".into(),
            geometry: rect(0.0, 0.0, 200.0, 100.0),
        },
    ];
    let landuse = vec![
        // P1 100×100 dry land, 10 % ridges. P2 200×50 paddy across the border, 5 % ridges.
        parcel(
            "P1",
            "0103",
            Cultivated,
            0.10,
            Some(5),
            rect(0.0, 0.0, 100.0, 100.0),
        ),
        parcel(
            "P2",
            "0101",
            Cultivated,
            0.05,
            Some(2),
            rect(100.0, 0.0, 300.0, 50.0),
        ),
        // P3: an L of settlement, 200×50 + 50×25 = 11 250 m²; P4: forest, the L that fills the rest,
        // 100×100 − 50×25 = 8 750 m².
        parcel(
            "P3",
            "0702",
            Construction,
            0.0,
            None,
            poly(&[
                (100.0, 50.0),
                (300.0, 50.0),
                (300.0, 75.0),
                (350.0, 75.0),
                (350.0, 100.0),
                (100.0, 100.0),
            ]),
        ),
        parcel(
            "P4",
            "0301",
            Agricultural,
            0.0,
            None,
            poly(&[
                (300.0, 0.0),
                (400.0, 0.0),
                (400.0, 100.0),
                (350.0, 100.0),
                (350.0, 75.0),
                (300.0, 75.0),
            ]),
        ),
    ];
    let basic_farmland = vec![
        BasicFarmland {
            id: "JB1".into(),
            geometry: rect(0.0, 0.0, 100.0, 100.0).into(),
        }, // = P1
        BasicFarmland {
            id: "JB2".into(),
            geometry: rect(150.0, 0.0, 250.0, 100.0).into(),
        }, // half paddy, half settlement
    ];
    let approvals = vec![
        Approval {
            number: "A1".into(),
            kind: ApprovalKind::Conversion,
            date: date("2025-05-01"),
            geometry: rect(0.0, 0.0, 50.0, 100.0),
        },
        Approval {
            number: "A2".into(),
            kind: ApprovalKind::Conversion,
            date: date("2024-01-01"),
            geometry: rect(60.0, 0.0, 100.0, 100.0),
        },
        Approval {
            number: "A3".into(),
            kind: ApprovalKind::Temporary,
            date: date("2025-02-01"),
            geometry: rect(215.0, 25.0, 245.0, 50.0),
        },
    ];
    let supplement =
        |id: &str, accepted: bool, area: f64, paddy: f64, grade: u8, day: &str, g| Supplement {
            id: id.into(),
            accepted,
            new_area: Some(area),
            new_paddy: paddy,
            grade: Some(grade),
            date: date(day),
            geometry: g,
        };
    let supplements = vec![
        supplement(
            "S1",
            true,
            6000.0,
            1000.0,
            3,
            "2025-08-01",
            rect(0.0, 0.0, 100.0, 100.0),
        ),
        supplement(
            "S2",
            false,
            5000.0,
            0.0,
            1,
            "",
            rect(300.0, 0.0, 400.0, 50.0),
        ),
        supplement(
            "S3",
            true,
            1800.0,
            0.0,
            4,
            "2025-03-01",
            rect(150.0, 0.0, 250.0, 20.0),
        ),
        supplement(
            "S4",
            true,
            9999.0,
            0.0,
            1,
            "2024-12-31",
            rect(300.0, 0.0, 400.0, 50.0),
        ),
    ];
    let changes = vec![
        change(
            "C1",
            "0702",
            Construction,
            "2025-06-01",
            rect(70.0, 20.0, 90.0, 40.0),
        ),
        change(
            "C2",
            "0702",
            Construction,
            "2025-06-01",
            rect(260.0, 10.0, 280.0, 30.0),
        ),
        change(
            "C3",
            "0702",
            Construction,
            "2025-06-01",
            rect(45.0, 60.0, 65.0, 80.0),
        ),
        change(
            "C4",
            "0702",
            Construction,
            "2025-06-01",
            rect(120.0, 60.0, 140.0, 80.0),
        ),
        change(
            "C5",
            "1202",
            Agricultural,
            "2025-06-01",
            rect(20.0, 10.0, 30.0, 20.0),
        ),
        change(
            "C6",
            "0702",
            Construction,
            "2025-06-01",
            rect(160.0, 10.0, 180.0, 30.0),
        ),
        change(
            "C7",
            "0702",
            Construction,
            "2025-06-01",
            rect(220.0, 30.0, 240.0, 45.0),
        ),
        change(
            "C8",
            "0702",
            Construction,
            "2024-06-01",
            rect(10.0, 80.0, 20.0, 90.0),
        ),
    ];
    let targets = BTreeMap::from([
        (
            "220821100".to_string(),
            Targets {
                cultivated: Some(14_000.0),
                pbf: Some(16_000.0),
            },
        ),
        (
            "220821101".to_string(),
            Targets {
                cultivated: Some(4_000.0),
                pbf: None,
            },
        ),
    ]);
    County {
        townships,
        landuse,
        basic_farmland: Some(basic_farmland),
        approvals: Some(approvals),
        supplements: Some(supplements),
        changes: Some(changes),
        targets,
        ..Default::default()
    }
}

fn settings() -> Settings {
    Settings {
        period: Period {
            start: Date::parse("2025-01-01").unwrap(),
            end: Date::parse("2025-12-31").unwrap(),
        },
        area: AreaMethod::Planar,
        crs: Crs::from_epsg(4529).unwrap(),
        thresholds: Thresholds::default(),
        yields: YieldTable::default(),
        change: Default::default(),
    }
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-6 * b.abs().max(1.0), "{a} != {b}");
}

fn outcome() -> Outcome {
    run(&county(), &settings(), "hand county").unwrap()
}

#[test]
fn land_use_and_retention() {
    let o = outcome();
    let (t1, t2) = (&o.townships[0], &o.townships[1]);
    assert_eq!(
        (t1.code.as_str(), t2.code.as_str()),
        ("220821100", "220821101")
    );
    // T1: P1 10 000 (net 9 000) + half of P2 5 000 (net 4 750) + half of P3 5 000.
    let l = &t1.landuse;
    close(l.total, 20_000.0);
    close(l.cultivated_gross, 15_000.0);
    close(l.cultivated_net, 13_750.0);
    close(l.construction, 5_000.0);
    close(l.agricultural, 15_000.0); // cultivated land with its ridges
    close(l.unused, 0.0);
    close(l.by_group["01"].net, 13_750.0);
    close(l.by_group["12"].net, 1_250.0); // the deducted ridges: 1 000 + 250
    close(l.cultivated_by_class["0101"].net, 4_750.0);
    close(l.cultivated_by_class["0103"].gross, 10_000.0);
    close(l.retention_ratio.unwrap(), 13_750.0 / 14_000.0);
    // T2: half of P2 5 000 (net 4 750), the rest of P3 6 250, P4 8 750.
    let l = &t2.landuse;
    close(l.total, 20_000.0);
    close(l.cultivated_net, 4_750.0);
    close(l.construction, 6_250.0);
    close(l.agricultural, 13_750.0);
    close(l.by_group["03"].gross, 8_750.0);
    close(l.retention_ratio.unwrap(), 4_750.0 / 4_000.0);
    // County = Σ townships. Six pieces (P2 and P3 cut in two); every parcel here touches a
    // township boundary (the county edge included), so every piece went through the exact clip.
    let c = &o.county.landuse;
    close(c.total, 40_000.0);
    close(c.cultivated_net, 18_500.0);
    close(c.retention_ratio.unwrap(), 18_500.0 / 18_000.0);
    assert_eq!((o.county.pieces, t1.clipped + t2.clipped), (6, 6));
}

#[test]
fn basic_farmland_split_and_losses() {
    let o = outcome();
    // T1: JB1 (= P1) 10 000 → 9 000 cultivated + 1 000 ridges; JB2's west half 5 000 → 2 500 of
    // P2 (2 375 net + 125 ridges) and 2 500 of settlement P3.
    let p = o.townships[0].pbf.as_ref().unwrap();
    close(p.area, 15_000.0);
    close(p.cultivated, 11_375.0);
    close(p.other_agri, 1_125.0);
    close(p.construction, 2_500.0);
    close(p.unused, 0.0);
    close(
        p.cultivated + p.other_agri + p.construction + p.unused,
        p.area,
    );
    close(p.cultivated_ratio.unwrap(), 11_375.0 / 15_000.0);
    close(p.task_ratio.unwrap(), 15_000.0 / 16_000.0);
    close(p.share.unwrap(), 15_000.0 / 13_750.0);
    // T2: JB2's east half the same way; no PBF target.
    let p = o.townships[1].pbf.as_ref().unwrap();
    close(p.area, 5_000.0);
    close(p.cultivated, 2_375.0);
    close(p.construction, 2_500.0);
    close(p.cultivated_ratio.unwrap(), 0.475);
    assert_eq!(p.task_ratio, None);
    // The settlement under JB2, once per township.
    let losses: Vec<_> = o
        .pbf_loss
        .iter()
        .map(|l| {
            (
                l.township.as_str(),
                l.pbf_id.as_str(),
                l.landuse_id.as_str(),
                l.class.as_str(),
            )
        })
        .collect();
    assert_eq!(
        losses,
        vec![
            ("220821100", "JB2", "P3", "0702"),
            ("220821101", "JB2", "P3", "0702")
        ]
    );
    close(o.pbf_loss[0].area, 2_500.0);
    close(o.county.pbf.as_ref().unwrap().area, 20_000.0);
}

#[test]
fn occupation_compensation_balance() {
    let o = outcome();
    let b = o.townships[0].balance.as_ref().unwrap();
    // Debit: A1 (2025) takes 50×100 of P1: 5 000 × 0.9 = 4 500 net, grade 5 (772 kg/亩):
    // 4 500 / (2000/3) × 772 = 6.75 × 772 = 5 211 kg. A2 is dated 2024: no debit.
    close(b.debit.quantity, 4_500.0);
    close(b.debit.paddy, 0.0);
    close(b.debit.capacity, 5_211.0);
    // Credit: S1 6 000 (1 000 paddy, grade 3: 886 kg/亩 → 9 亩 × 886 = 7 974 kg) and half of S3
    // (1 800 split 1 000 : 1 000 by area → 900, grade 4: 1.35 亩 × 829 = 1 119.15 kg). S2 is
    // only 立项, S4 dated 2024.
    close(b.credit.quantity, 6_900.0);
    close(b.credit.paddy, 1_000.0);
    close(b.credit.capacity, 7_974.0 + 1_119.15);
    close(
        b.credit.mean_grade().unwrap(),
        (6_000.0 * 3.0 + 900.0 * 4.0) / 6_900.0,
    );
    let (q, p, c) = b.net();
    close(q, 2_400.0);
    close(p, 1_000.0);
    close(c, 9_093.15 - 5_211.0);
    assert!(b.balanced());
    assert_eq!(b.quality_ok(), Some(true));
    let b2 = o.townships[1].balance.as_ref().unwrap();
    close(b2.credit.quantity, 900.0);
    close(b2.debit.quantity, 0.0);
    assert_eq!(b2.quality_ok(), None); // nothing debited, no grade to compare
    let county = o.county.balance.as_ref().unwrap();
    close(county.net().0, 7_800.0 - 4_500.0);
}

#[test]
fn change_patch_verdicts_and_ratios() {
    let o = outcome();
    let verdicts: Vec<(&str, &str)> = o
        .patches
        .iter()
        .map(|p| (p.id.as_str(), p.verdict.name()))
        .collect();
    // C1 inside A2 (2024 still covers 2025 building); C2 on paddy, no approval; C3 half in A1 and
    // A2, 200 m² between them; C4 on settlement; C5 seen as 1202; C6 on paddy and JB2; C7 under
    // the temporary A3; C8 seen in 2024, outside the period.
    assert_eq!(
        verdicts,
        vec![
            ("C1", "legal"),
            ("C2", "illegal"),
            ("C3", "partial"),
            ("C4", "existing"),
            ("C5", "other"),
            ("C6", "illegal"),
            ("C7", "other")
        ]
    );
    let c3 = &o.patches[2];
    close(c3.new_land, 400.0);
    close(c3.legal, 200.0);
    close(c3.illegal, 200.0);
    close(c3.illegal_cultivated, 180.0);
    close(c3.illegal_pbf, 200.0); // JB1 = P1
    close(o.patches[6].other, 300.0);
    // T1: new construction on cultivated land C1 360 + C3 360 + C6 380 = 1 100 (net);
    // illegal C3 180 + C6 380 = 560 → ratio 0.509…, both flags; illegal PBF 200 + 400.
    let v = o.townships[0].violations.as_ref().unwrap();
    close(v.new_construction_cultivated, 1_100.0);
    close(v.illegal_cultivated, 560.0);
    close(v.illegal_pbf, 600.0);
    close(v.illegal_ratio, 560.0 / 1_100.0);
    assert!(v.interview && v.accountability);
    // T2: C2 alone: 380 of 380.
    let v = o.townships[1].violations.as_ref().unwrap();
    close(v.illegal_ratio, 1.0);
    close(v.illegal_pbf, 0.0);
    let v = o.county.violations.as_ref().unwrap();
    close(v.new_construction_cultivated, 1_480.0);
    close(v.illegal_cultivated, 940.0);
    close(v.illegal_ratio, 940.0 / 1_480.0);
    assert_eq!(v.patches.values().sum::<usize>(), 7);
    // The illegal parts: C3 and C6 in T1, C2 in T2.
    let parts: Vec<(&str, &str)> = o
        .violations
        .iter()
        .map(|p| (p.township.as_str(), p.patch.as_str()))
        .collect();
    assert_eq!(
        parts,
        vec![
            ("220821100", "C3"),
            ("220821100", "C6"),
            ("220821101", "C2")
        ]
    );
    close(o.violations[0].area, 200.0);
}

#[test]
fn thresholds_move_the_flags() {
    let mut s = settings();
    s.thresholds.interview_ratio = 0.6;
    s.thresholds.accountability_ratio = 0.7;
    let o = run(&county(), &s, "hand county").unwrap();
    let v = o.county.violations.as_ref().unwrap();
    // 0.635: an interview, not accountability.
    assert!(v.interview && !v.accountability);
}

#[test]
fn prorated_areas_split_the_official_area() {
    // With area = "prorate", a piece of a parcel gets TBMJ × planar(piece) / planar(parcel):
    // P2's official 10 400 m² splits 5 200 : 5 200 at the border (planar halves of 5 000 each).
    let mut c = county();
    c.landuse[1].official_area = Some(10_400.0);
    let mut s = settings();
    s.area = AreaMethod::Prorate;
    let o = run(&c, &s, "hand county").unwrap();
    close(
        o.townships[0].landuse.cultivated_by_class["0101"].gross,
        5_200.0,
    );
    close(
        o.townships[1].landuse.cultivated_by_class["0101"].gross,
        5_200.0,
    );
    close(
        o.townships[0].landuse.cultivated_by_class["0101"].net,
        5_200.0 * 0.95,
    );
    // Parcels without TBMJ use the ellipsoidal area: P1 (10 000 m² drawn 400 m east of the
    // central meridian) comes out a hair under its planar area.
    let p1 = o.townships[0].landuse.cultivated_by_class["0103"].gross;
    assert!(p1 < 10_000.0 && p1 > 9_999.9, "{p1}");
}

#[test]
fn an_ellipsoidal_area_that_cannot_be_measured_is_an_error_not_a_planar_fallback() {
    // A projection proj4rs does not know: the ellipsoidal measure cannot be set up. Before,
    // every area quietly became the planar one.
    let mut s = settings();
    s.area = AreaMethod::Ellipsoidal;
    s.crs = Crs {
        epsg: None,
        name: "a projection nobody knows".into(),
        kind: redline_geom::CrsKind::Projected {
            ellipsoid: redline_geom::Ellipsoid::CGCS2000,
            proj: "+proj=no_such_projection +units=m".into(),
        },
        towgs84: None,
    };
    let err = run(&county(), &s, "hand county").unwrap_err();
    assert_eq!(err.layer, "landuse");
    assert!(
        err.to_string()
            .contains("the ellipsoidal area cannot be measured"),
        "{err}"
    );
    // The planar method needs no measure and runs.
    s.area = AreaMethod::Planar;
    assert!(run(&county(), &s, "hand county").is_ok());
}
