//! Run one metric family — land use and cultivated retention (SPEC §5.1) — on the demo county
//! with the library alone: read two layers, build the engine's inputs, run, print.
//!
//! `cargo run --example metric_family -- data/demo`

use redline_geom::{units, AreaMethod, Crs, LandClassTable};
use redline_ingest::{read_layer, LayerRole, ReadOptions, ResolvedFields};
use redline_overlay::{County, Date, Parcel, Period, Settings, Thresholds, Township, YieldTable};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "data/demo".into()),
    );
    let classes = LandClassTable::builtin();
    let towns = read_layer(&dir.join("townships.geojson"), &ReadOptions::default())?.layer;
    let landuse = read_layer(
        &dir.join("landuse.geojson"),
        &ReadOptions {
            id_field: Some("BSM".into()),
            ..Default::default()
        },
    )?
    .layer;
    let tf = ResolvedFields::resolve(&towns, LayerRole::Townships, &BTreeMap::new())?;
    let lf = ResolvedFields::resolve(&landuse, LayerRole::Landuse, &BTreeMap::new())?;
    let mut county = County::default();
    for f in &towns.features {
        let code = tf.value(&f.attrs, "code").as_text().unwrap_or_default();
        let name = tf.value(&f.attrs, "name").as_text().unwrap_or_default();
        county.townships.push(Township {
            code,
            name,
            geometry: f.geometry.clone(),
        });
    }
    for f in &landuse.features {
        let Some(class) = lf
            .value(&f.attrs, "class")
            .as_text()
            .and_then(|c| classes.get(&c))
        else {
            continue;
        };
        county.landuse.push(Parcel {
            id: f.label(),
            code: class.code.clone(),
            category: class.category,
            official_area: lf.value(&f.attrs, "official_area").as_number(),
            deduction: lf
                .value(&f.attrs, "deduction")
                .as_number()
                .map_or(0.0, redline_ingest::deduction_fraction),
            grade: None,
            geometry: f.geometry.clone(),
        });
    }
    county.sort();
    let year = |m, d| Date {
        year: 2025,
        month: m,
        day: d,
    };
    let settings = Settings {
        period: Period {
            start: year(1, 1),
            end: year(12, 31),
        },
        area: AreaMethod::Ellipsoidal,
        crs: Crs::from_epsg(4529)?,
        thresholds: Thresholds::default(),
        yields: YieldTable::default(),
    };
    let outcome = redline_overlay::run(&county, &settings, "demo")?;
    for m in outcome.townships.iter().chain([&outcome.county]) {
        let l = &m.landuse;
        println!(
            "{:<10} {:<16} cultivated {:>10.2} ha net of {:>10.2} ha gross",
            m.code,
            m.name,
            units::m2_to_ha(l.cultivated_net),
            units::m2_to_ha(l.cultivated_gross)
        );
    }
    Ok(())
}
