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

pub(crate) fn land_use(parcels: &[Parcel], pieces: &[Piece], landuse: &Prepared) -> LandUse {
    let mut lu = LandUse::default();
    for piece in pieces {
        let parcel = &parcels[piece.source];
        let (gross, net) = gross_net(parcels, landuse, piece.source, piece.planar);
        lu.total += gross;
        *lu.by_class.entry(parcel.code.to_string()).or_default() += net;
        if gross > net {
            *lu.by_class.entry(crate::change::RIDGE.into()).or_default() += gross - net;
        }
        let group = lu
            .by_group
            .entry(redline_geom::first_level(&parcel.code).to_string())
            .or_default();
        group.gross += gross;
        group.net += net;
        match parcel.category {
            LandCategory::Cultivated => {
                lu.cultivated_gross += gross;
                lu.cultivated_net += net;
                let class = lu
                    .cultivated_by_class
                    .entry(parcel.code.to_string())
                    .or_default();
                class.gross += gross;
                class.net += net;
                // The deducted ridges are 1203 田坎: agricultural, group 12.
                lu.by_group
                    .entry("12".into())
                    .or_insert_with(GrossNet::default)
                    .net += gross - net;
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
        let row = villages
            .entry(parcel.village.as_deref().unwrap_or_default().to_string())
            .or_default();
        *row.entry(parcel.code.to_string()).or_default() += net;
        if gross > net {
            *row.entry(crate::change::RIDGE.into()).or_default() += gross - net;
        }
    }
    villages
}
