//! §5.1 land use and cultivated retention: areas by class group, gross and net of the
//! field-ridge deduction, and the retention ratio.

use crate::metrics::{GrossNet, LandUse};
use crate::model::Parcel;
use crate::pieces::Piece;
use crate::prepared::Prepared;
use redline_geom::{FastMap, LandCategory};
use std::collections::BTreeMap;

/// Gross and net area of a piece of parcel `k`.
pub(crate) fn gross_net(
    parcels: &[Parcel],
    landuse: &Prepared,
    k: usize,
    planar: f64,
) -> (f64, f64) {
    let parcel = &parcels[k];
    let gross = planar * landuse.scale(k);
    let net = if parcel.category == LandCategory::Cultivated {
        gross * (1.0 - parcel.deduction)
    } else {
        gross
    };
    (gross, net)
}

/// Sums by key while the pieces are walked: a hash map keyed by the borrowed text (one hashed
/// lookup a sum, no allocation; a tree of strings compared its way down for every one), sorted
/// into the report's map once at the end. Each key still adds its pieces in piece order, so
/// every sum is the same to the bit.
struct Tally<'k, T>(FastMap<&'k str, T>);

impl<T> Default for Tally<'_, T> {
    fn default() -> Self {
        Tally(FastMap::default())
    }
}

impl<'k, T: Default> Tally<'k, T> {
    /// Updates the entry of `key` (made with its default first).
    fn at(&mut self, key: &'k str, update: impl FnOnce(&mut T)) {
        update(self.0.entry(key).or_default());
    }

    /// The sums by key, in key order.
    fn into_map(self) -> BTreeMap<String, T> {
        self.0.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }
}

pub(crate) fn land_use(parcels: &[Parcel], pieces: &[Piece], landuse: &Prepared) -> LandUse {
    let mut lu = LandUse::default();
    let (mut by_class, mut by_group, mut cultivated_by_class) =
        (Tally::default(), Tally::default(), Tally::default());
    for piece in pieces {
        let parcel = &parcels[piece.source];
        let (gross, net) = gross_net(parcels, landuse, piece.source, piece.planar);
        lu.total += gross;
        by_class.at(&parcel.code, |a: &mut f64| *a += net);
        if gross > net {
            by_class.at(crate::change::RIDGE, |a| *a += gross - net);
        }
        by_group.at(
            redline_geom::first_level(&parcel.code),
            |g: &mut GrossNet| {
                g.gross += gross;
                g.net += net;
            },
        );
        match parcel.category {
            LandCategory::Cultivated => {
                lu.cultivated_gross += gross;
                lu.cultivated_net += net;
                cultivated_by_class.at(&parcel.code, |c: &mut GrossNet| {
                    c.gross += gross;
                    c.net += net;
                });
                // The deducted ridges are 1203 田坎: agricultural, group 12.
                by_group.at("12", |g| g.net += gross - net);
                lu.agricultural += gross;
            }
            LandCategory::Agricultural => lu.agricultural += gross,
            LandCategory::Construction => lu.construction += gross,
            LandCategory::Unused => lu.unused += gross,
        }
    }
    lu.by_class = by_class.into_map();
    lu.by_group = by_group.into_map();
    lu.cultivated_by_class = cultivated_by_class.into_map();
    lu
}

/// Net area by village (the first 12 characters of ZLDWDM; `""` where a parcel has none) and
/// second-level class, the deducted ridges under 1203: the rows of the 汇总表.
pub(crate) fn by_village(
    parcels: &[Parcel],
    pieces: &[Piece],
    landuse: &Prepared,
) -> BTreeMap<String, BTreeMap<String, f64>> {
    let mut villages: Tally<Tally<f64>> = Tally::default();
    for piece in pieces {
        let parcel = &parcels[piece.source];
        let (gross, net) = gross_net(parcels, landuse, piece.source, piece.planar);
        let village = parcel.village.as_deref().unwrap_or_default();
        villages.at(village, |row| {
            row.at(&parcel.code, |a| *a += net);
            if gross > net {
                row.at(crate::change::RIDGE, |a| *a += gross - net);
            }
        });
    }
    villages
        .into_map()
        .into_iter()
        .map(|(village, row)| (village, row.into_map()))
        .collect()
}
