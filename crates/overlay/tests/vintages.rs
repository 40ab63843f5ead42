//! The vintage comparison on hand-built vintages of rectangles, every number worked out by hand
//! (planar areas): one township 300 m × 100 m, three previous parcels of 100 m × 100 m, of which
//! the current vintage keeps one (with a new ridge coefficient) and splits two.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use geo::{polygon, MultiPolygon};
use redline_geom::{AreaMethod, Crs, LandCategory};
use redline_overlay::*;
use std::collections::BTreeMap;

fn rect(x0: f64, x1: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![polygon![
        (x: x0, y: 0.0), (x: x1, y: 0.0), (x: x1, y: 100.0), (x: x0, y: 100.0)
    ]])
}

fn parcel(id: &str, code: &str, deduction: f64, x0: f64, x1: f64) -> Parcel {
    let category = match &code[..2] {
        "01" => LandCategory::Cultivated,
        "07" => LandCategory::Construction,
        _ => LandCategory::Agricultural,
    };
    Parcel {
        id: id.into(),
        code: ClassCode::new(code).unwrap(),
        category,
        official_area: None,
        deduction,
        grade: Some(5),
        village: Some(format!("220821100{:03}", if x0 < 150.0 { 1 } else { 2 }).into()),
        geometry: rect(x0, x1).into(),
    }
}

fn county() -> County {
    let mut county = County {
        townships: vec![Township {
            code: "220821100".into(),
            name: "镇赉镇".into(),
            geometry: rect(0.0, 300.0),
        }],
        // A 0101 (KCXS 0.10), B 0201 orchard, C 0103 (KCXS 0.05).
        landuse_previous: Some(vec![
            parcel("A", "0101", 0.10, 0.0, 100.0),
            parcel("B", "0201", 0.0, 100.0, 200.0),
            parcel("C", "0103", 0.05, 200.0, 300.0),
        ]),
        // A keeps its geometry, its coefficient becomes 0.15; B's west half is brought back to
        // cultivation (0103, KCXS 0.02); C's west half becomes forest, its east half housing.
        landuse: vec![
            parcel("A", "0101", 0.15, 0.0, 100.0),
            parcel("B1", "0103", 0.02, 100.0, 150.0),
            parcel("B2", "0201", 0.0, 150.0, 200.0),
            parcel("C1", "0301", 0.0, 200.0, 250.0),
            parcel("C2", "0702", 0.0, 250.0, 300.0),
        ],
        // The housing is approved on [250, 270] and seen by a change patch on [270, 280]:
        // [280, 300] is new construction nobody reported.
        approvals: Some(vec![Approval {
            number: "P1".into(),
            kind: ApprovalKind::Conversion,
            date: Date::parse("2025-05-01"),
            geometry: rect(250.0, 270.0),
        }]),
        changes: Some(vec![Change {
            id: "W1".into(),
            observed: Some("0702".into()),
            observed_category: Some(LandCategory::Construction),
            image_date: Date::parse("2025-09-01"),
            geometry: rect(270.0, 280.0),
        }]),
        ..Default::default()
    };
    county.sort();
    county
}

fn settings(change: ChangeRules) -> Settings {
    Settings {
        period: Period {
            start: Date::parse("2025-01-01").unwrap(),
            end: Date::parse("2025-12-31").unwrap(),
        },
        area: AreaMethod::Planar,
        crs: Crs::from_epsg(4529).unwrap(),
        thresholds: Thresholds::default(),
        yields: YieldTable::default(),
        change,
    }
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() <= 1e-6, "{what}: {a} != {b}");
}

fn matrix(c: &VintageChange) -> BTreeMap<String, f64> {
    c.transitions
        .iter()
        .map(|((f, t), a)| (format!("{}>{}", f.code, t.code), *a))
        .collect()
}

#[test]
fn the_matrix_holds_every_square_metre_with_ridges_coupled() {
    let outcome = run(&county(), &settings(ChangeRules::default()), "hand").unwrap();
    assert!(outcome.issues.is_empty(), "{:?}", outcome.issues);
    let c = outcome.county.change.as_ref().unwrap();
    let expected: BTreeMap<String, f64> = [
        ("0101>0101", 8500.0), // 10 000 × (1 − max(0.10, 0.15))
        ("1203>1203", 1000.0), // 10 000 × min(0.10, 0.15)
        ("0101>1203", 500.0),  // 10 000 × (0.15 − 0.10)
        ("0201>0103", 4900.0), // 5 000 × 0.98
        ("0201>1203", 100.0),  // 5 000 × 0.02
        ("0201>0201", 5000.0),
        ("0103>0301", 4750.0), // 5 000 × 0.95
        ("1203>0301", 250.0),
        ("0103>0702", 4750.0),
        ("1203>0702", 250.0),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let got = matrix(c);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (k, v) in &expected {
        close(got[k], *v, k);
    }
    // Rows sum to the previous vintage's net class areas, columns to the current one's.
    let sum = |pick: fn(&str) -> &str, code: &str| -> f64 {
        got.iter()
            .filter(|(k, _)| pick(k) == code)
            .map(|(_, a)| a)
            .sum()
    };
    fn from(k: &str) -> &str {
        k.split('>').next().unwrap()
    }
    fn to(k: &str) -> &str {
        k.split('>').nth(1).unwrap()
    }
    close(sum(from, "0101"), 9000.0, "row 0101");
    close(sum(from, "0103"), 9500.0, "row 0103");
    close(sum(from, "1203"), 1500.0, "row 1203");
    close(sum(from, "0201"), 10000.0, "row 0201");
    let current = &outcome.county.landuse.by_class;
    for code in ["0101", "0103", "0201", "0301", "0702", "1203"] {
        close(sum(to, code), current[code], code);
    }
    close(c.cultivated_previous, 18500.0, "previous");
    close(c.cultivated_current, 13400.0, "current");
    close(
        c.cultivated_current,
        outcome.county.landuse.cultivated_net,
        "current = landuse",
    );
    close(c.cultivated_out(), 10000.0, "out");
    close(c.out.construction, 4750.0, "out construction");
    close(c.out.other_agri, 5250.0, "out other agri");
    close(c.cultivated_in(), 4900.0, "in");
    close(c.net_change(), 13400.0 - 18500.0, "net");
    close(c.out_by_group["03"], 4750.0, "out 03");
    close(c.out_by_group["07"], 4750.0, "out 07");
    close(c.out_by_group["12"], 500.0, "out 12");
    close(c.in_by_group["02"], 4900.0, "in 02");
    // 进出平衡 without the ridges: out 0103 → 0301, in 0201 → 0103.
    close(c.in_out.out, 4750.0, "ledger out");
    close(c.in_out.inflow, 4900.0, "ledger in");
    close(c.in_out.balance(), 150.0, "balance");
    assert!(!c.in_out.deficit());
    close(c.new_construction, 5000.0, "new construction");
}

#[test]
fn counting_the_ridges_turns_the_ledger_into_a_deficit() {
    let rules = ChangeRules {
        ridges: true,
        ..Default::default()
    };
    let outcome = run(&county(), &settings(rules), "hand").unwrap();
    let c = outcome.townships[0].change.as_ref().unwrap();
    close(c.in_out.out, 5250.0, "out with 0101 → 1203");
    close(c.in_out.balance(), -350.0, "balance");
    assert!(c.in_out.deficit());
}

#[test]
fn new_construction_no_patch_or_approval_covers_is_listed() {
    let outcome = run(&county(), &settings(ChangeRules::default()), "hand").unwrap();
    assert_eq!(outcome.uncovered.len(), 1);
    let u = &outcome.uncovered[0];
    assert_eq!((u.landuse_id.as_str(), u.class.as_str()), ("C2", "0702"));
    assert_eq!(u.previous, vec!["0103".to_string()]);
    close(u.area, 2000.0, "uncovered [280, 300] × [0, 100]");
    let c = outcome.county.change.as_ref().unwrap();
    assert_eq!(c.uncovered_count, 1);
    close(c.uncovered, 2000.0, "uncovered total");
    // A threshold above it lists nothing.
    let rules = ChangeRules {
        min_uncovered_m2: 2500.0,
        ..Default::default()
    };
    let outcome = run(&county(), &settings(rules), "hand").unwrap();
    assert!(outcome.uncovered.is_empty());
}

#[test]
fn the_balance_and_the_patches_are_judged_on_the_previous_vintage() {
    let outcome = run(&county(), &settings(ChangeRules::default()), "hand").unwrap();
    // The conversion took 2 000 m² of 0103 (KCXS 0.05) as it was before: 1 900 m² net.
    let b = outcome.county.balance.as_ref().unwrap();
    close(b.debit.quantity, 1900.0, "debit");
    // The patch took 1 000 m² of 0103, no approval covers it: 950 m² of illegal cultivated.
    let v = outcome.county.violations.as_ref().unwrap();
    close(v.illegal_cultivated, 950.0, "illegal cultivated");
    // Without the previous vintage the current land use is the base: already construction.
    let mut one = county();
    one.landuse_previous = None;
    let outcome = run(&one, &settings(ChangeRules::default()), "hand").unwrap();
    assert!(outcome.county.change.is_none());
    close(outcome.county.balance.unwrap().debit.quantity, 0.0, "debit");
}

#[test]
fn vintages_that_do_not_cover_the_same_ground_are_a_data_issue() {
    let mut county = county();
    // The previous vintage loses parcel B: a gap of 10 000 m².
    county
        .landuse_previous
        .as_mut()
        .unwrap()
        .retain(|p| p.id != "B");
    let outcome = run(&county, &settings(ChangeRules::default()), "hand").unwrap();
    let layers: Vec<&str> = outcome.issues.iter().map(|i| i.layer.as_str()).collect();
    assert!(layers.contains(&"landuse_previous"), "{:?}", outcome.issues);
    assert!(outcome
        .issues
        .iter()
        .any(|i| i.message.contains("the two vintages share")));
}

#[test]
fn villages_hold_the_class_areas_of_their_parcels() {
    let outcome = run(&county(), &settings(ChangeRules::default()), "hand").unwrap();
    let v = &outcome.townships[0].villages;
    // Village 001 holds A and B1 (x < 150), village 002 the rest.
    let one = &v["220821100001"];
    close(one["0101"], 8500.0, "0101");
    close(one["0103"], 4900.0, "0103");
    close(one["1203"], 1500.0 + 100.0, "1203");
    let two = &v["220821100002"];
    close(two["0201"] + two["0301"] + two["0702"], 15000.0, "rest");
}
