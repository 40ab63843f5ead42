//! §5.3 occupation/compensation balance (耕地占补平衡): debits are the cultivated land that
//! conversion approvals dated in the period cover; credits are accepted compensation projects
//! dated in the period, split between townships by area.

use crate::context::LandusePieces;
use crate::model::Settings;
use crate::prepared::Near;
use geo::{Area, BooleanOps, Intersects, MultiPolygon};
use redline_geom::units::M2_PER_MU;
use redline_geom::LandCategory;

/// One side of the ledger (or the balance).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Ledger {
    /// Cultivated area, net m².
    pub quantity: f64,
    /// Paddy (0101), net m².
    pub paddy: f64,
    /// Grain capacity, kg.
    pub capacity: f64,
    /// Σ area × grade, for the area-weighted mean grade.
    pub grade_area: f64,
    /// Area that has a grade.
    pub graded: f64,
}

impl Ledger {
    /// Area-weighted mean quality grade (1 best), when any area is graded.
    pub fn mean_grade(&self) -> Option<f64> {
        (self.graded > 0.0).then(|| self.grade_area / self.graded)
    }

    fn add_area(&mut self, area: f64, paddy: f64, grade: Option<u8>, settings: &Settings) {
        self.quantity += area;
        self.paddy += paddy;
        self.capacity += area / M2_PER_MU * settings.yields.kg_per_mu(grade);
        if let Some(g) = grade {
            self.grade_area += area * g as f64;
            self.graded += area;
        }
    }

    pub(crate) fn add(&mut self, o: &Ledger) {
        self.quantity += o.quantity;
        self.paddy += o.paddy;
        self.capacity += o.capacity;
        self.grade_area += o.grade_area;
        self.graded += o.graded;
    }
}

/// The 占补平衡 ledger of a township or the county.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Balance {
    /// Cultivated land occupied by conversions in the period.
    pub debit: Ledger,
    /// Cultivated land created by accepted projects in the period.
    pub credit: Ledger,
}

impl Balance {
    /// credit − debit of quantity, paddy and capacity.
    pub fn net(&self) -> (f64, f64, f64) {
        (
            self.credit.quantity - self.debit.quantity,
            self.credit.paddy - self.debit.paddy,
            self.credit.capacity - self.debit.capacity,
        )
    }

    /// 占一补一、占水田补水田、占优补优 in quantity terms: all three balances ≥ 0.
    pub fn balanced(&self) -> bool {
        let (q, p, c) = self.net();
        q >= 0.0 && p >= 0.0 && c >= 0.0
    }

    /// 占优补优: the credits' mean grade is no worse (no larger) than the debits'.
    pub fn quality_ok(&self) -> Option<bool> {
        Some(self.credit.mean_grade()? <= self.debit.mean_grade()?)
    }

    pub(crate) fn add(&mut self, o: &Balance) {
        self.debit.add(&o.debit);
        self.credit.add(&o.credit);
    }
}

/// A compensation project's share of one township.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SupplementShare {
    /// The project's position in the supplements layer.
    pub source: usize,
    /// The fraction of its area inside the township.
    pub fraction: f64,
    /// Its whole area by the area method, m² (when XZGDMJ is not given).
    pub area: f64,
}

/// The township's ledger. `conversions` are the approvals that debit (in the period), already
/// chosen by the caller; `township` its land-use pieces; `boundary` its outline.
pub(crate) fn township_balance(
    township: &LandusePieces,
    settings: &Settings,
    boundary: &MultiPolygon<f64>,
    conversions: &Near,
    supplements: &[SupplementShare],
) -> Balance {
    let LandusePieces {
        county,
        parcels,
        pieces,
        near: piece_near,
        landuse,
        ..
    } = *township;
    let mut b = Balance::default();
    // The pieces under any conversion; each is cut by the union of the conversions around it
    // (so an overlap of two approvals counts once) — a union per piece stays small where one
    // union per township would be large.
    let mut under: Vec<usize> = conversions
        .around(boundary)
        .into_iter()
        .flat_map(|c| piece_near.around(conversions.geoms[c]))
        .collect();
    under.sort_unstable();
    under.dedup();
    for k in under {
        let piece = &pieces[k];
        let parcel = &parcels[piece.source];
        if parcel.category != LandCategory::Cultivated {
            continue;
        }
        let occupied = conversions.union_around(piece.geometry.as_ref());
        if occupied.0.is_empty() || !piece.geometry.intersects(&occupied) {
            continue;
        }
        let planar = piece.geometry.intersection(&occupied).unsigned_area();
        let net = planar * landuse.scale(piece.source) * (1.0 - parcel.deduction);
        let paddy = if parcel.code == "0101" { net } else { 0.0 };
        b.debit.add_area(net, paddy, parcel.grade, settings);
    }
    // Credits: each project's share of this township.
    for share in supplements {
        let s = &county.supplements.as_deref().unwrap_or_default()[share.source];
        let quantity = s.new_area.unwrap_or(share.area) * share.fraction;
        b.credit
            .add_area(quantity, s.new_paddy * share.fraction, s.grade, settings);
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings::for_tests(redline_geom::AreaMethod::Planar)
    }

    #[test]
    fn the_ledger_adds_quantity_paddy_capacity_and_grades() {
        let s = settings();
        let mut debit = Ledger::default();
        // 2 000 m² = 3 亩 of paddy at grade 1 (1 000 kg/亩 in the default table) and
        // 1 000 m² = 1.5 亩 of dry land at grade 3 (886 kg/亩).
        debit.add_area(2000.0, 2000.0, Some(1), &s);
        debit.add_area(1000.0, 0.0, Some(3), &s);
        assert_eq!(debit.quantity, 3000.0);
        assert_eq!(debit.paddy, 2000.0);
        assert!((debit.capacity - (3.0 * 1000.0 + 1.5 * 886.0)).abs() < 1e-9);
        // Area-weighted grade: (2000·1 + 1000·3) / 3000.
        assert!((debit.mean_grade().unwrap() - 5.0 / 3.0).abs() < 1e-12);
        // An ungraded area counts at the worst grade's yield and not in the mean grade.
        let mut credit = Ledger::default();
        credit.add_area(3000.0, 2000.0, None, &s);
        assert!((credit.capacity - 4.5 * 202.0).abs() < 1e-9);
        assert_eq!(credit.mean_grade(), None);
        let b = Balance { debit, credit };
        // Quantity and paddy balance, capacity does not: not balanced; quality unknown.
        assert_eq!(b.net().0, 0.0);
        assert_eq!(b.net().1, 0.0);
        assert!(b.net().2 < 0.0);
        assert!(!b.balanced());
        assert_eq!(b.quality_ok(), None);
    }

    #[test]
    fn quality_compares_mean_grades_lower_is_better() {
        let s = settings();
        let mut b = Balance::default();
        b.debit.add_area(1000.0, 0.0, Some(5), &s);
        b.credit.add_area(1000.0, 0.0, Some(4), &s);
        assert_eq!(b.quality_ok(), Some(true));
        b.credit.add_area(3000.0, 0.0, Some(8), &s); // mean (4 + 24) / 4 = 7
        assert_eq!(b.quality_ok(), Some(false));
        assert!(b.balanced(), "4 000 m² for 1 000, capacity too");
    }
}
