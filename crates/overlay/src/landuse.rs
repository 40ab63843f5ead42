//! §5.1 land use and cultivated retention: areas by class group, gross and net of the
//! field-ridge deduction, and the retention ratio.

use crate::metrics::{GrossNet, LandUse};
use crate::model::Parcel;
use crate::pieces::Piece;
use crate::prepared::Prepared;
use redline_geom::LandCategory;
use std::collections::BTreeMap;

/// Gross and net area of a piece of parcel `k`.
pub(crate) fn gross_net(
    parcels: &[Parcel],
    landuse: &Prepared,
    k: usize,
    planar: f64,
) -> (f64, f64) {
    let parcel = &parcels[k];
    let gross = planar * landuse.scale[k];
    let net = if parcel.category == LandCategory::Cultivated {
        gross * (1.0 - parcel.deduction)
    } else {
        gross
    };
    (gross, net)
}

/// Updates `map[key]` (made with its default first): looked up by `&str`, so the key is copied
/// only when it is new — not once per parcel.
fn at<T: Default>(map: &mut BTreeMap<String, T>, key: &str, update: impl FnOnce(&mut T)) {
    match map.get_mut(key) {
        Some(value) => update(value),
        None => update(map.entry(key.to_owned()).or_default()),
    }
}

pub(crate) fn land_use(parcels: &[Parcel], pieces: &[Piece], landuse: &Prepared) -> LandUse {
    let mut lu = LandUse::default();
    for piece in pieces {
        let parcel = &parcels[piece.source];
        let (gross, net) = gross_net(parcels, landuse, piece.source, piece.planar);
        lu.total += gross;
        at(&mut lu.by_class, &parcel.code, |a| *a += net);
        if gross > net {
            at(&mut lu.by_class, crate::change::RIDGE, |a| {
                *a += gross - net
            });
        }
        at(
            &mut lu.by_group,
            redline_geom::first_level(&parcel.code),
            |g| {
                g.gross += gross;
                g.net += net;
            },
        );
        match parcel.category {
            LandCategory::Cultivated => {
                lu.cultivated_gross += gross;
                lu.cultivated_net += net;
                at(&mut lu.cultivated_by_class, &parcel.code, |c| {
                    c.gross += gross;
                    c.net += net;
                });
                // The deducted ridges are 1203 田坎: agricultural, group 12.
                at(&mut lu.by_group, "12", |g: &mut GrossNet| {
                    g.net += gross - net
                });
                lu.agricultural += gross;
            }
            LandCategory::Agricultural => lu.agricultural += gross,
            LandCategory::Construction => lu.construction += gross,
            LandCategory::Unused => lu.unused += gross,
        }
    }
    lu
}

/// Net area by village (the first 12 characters of ZLDWDM; `""` where a parcel has none) and
/// second-level class, the deducted ridges under 1203: the rows of the 汇总表.
pub(crate) fn by_village(
    parcels: &[Parcel],
    pieces: &[Piece],
    landuse: &Prepared,
) -> BTreeMap<String, BTreeMap<String, f64>> {
    let mut villages: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for piece in pieces {
        let parcel = &parcels[piece.source];
        let (gross, net) = gross_net(parcels, landuse, piece.source, piece.planar);
        let village = parcel.village.as_deref().unwrap_or_default();
        at(&mut villages, village, |row| {
            at(row, &parcel.code, |a| *a += net);
            if gross > net {
                at(row, crate::change::RIDGE, |a| *a += gross - net);
            }
        });
    }
    villages
}
