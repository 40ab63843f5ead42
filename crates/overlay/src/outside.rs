//! Features that lie partly or wholly outside every township. What no township holds counts
//! nowhere — a parcel's land, a basic-farmland polygon's area, a compensation project's credit,
//! a change patch's verdict — so a county's totals would quietly miss it: each layer counted
//! feature by feature is checked, from the pieces the overlay cuts anyway. A change patch only
//! when wholly outside: one across the county's border counts by its part inside (SPEC §5.4).

use crate::coverage::LEAST_REPORTED_M2;
use crate::pieces::Piece;
use crate::square_metre::SquareMetre;
use redline_geom::{DataIssue, IssueKind};

/// How much of each feature of a layer one township holds — the planar area of its pieces, by
/// feature position — kept until every township is done. A whole piece's area is its feature's,
/// so only its position is kept (4 bytes where a pair was 16, for most of a million parcels).
#[derive(Debug, Default)]
pub(crate) struct Held {
    whole: Vec<u32>,
    clipped: Vec<(usize, f64)>,
}

impl Held {
    pub(crate) fn new(pieces: &[Piece]) -> Self {
        let mut held = Held::default();
        for p in pieces {
            match u32::try_from(p.source) {
                Ok(k) if p.is_whole() => held.whole.push(k),
                _ => held.clipped.push((p.source, p.planar)),
            }
        }
        held
    }

    /// The features whose piece is the whole feature (their positions).
    pub(crate) fn whole(&self) -> &[u32] {
        &self.whole
    }

    /// Each piece's (feature position, planar area); `planar(k)` is feature `k`'s planar area.
    /// A township holds a feature at most once, so the order within one township is free.
    pub(crate) fn pieces<'h>(
        &'h self,
        planar: impl Fn(usize) -> f64 + 'h,
    ) -> impl Iterator<Item = (usize, f64)> + 'h {
        let whole = self
            .whole
            .iter()
            .map(move |&k| (k as usize, planar(k as usize)));
        whole.chain(self.clipped.iter().copied())
    }
}

/// A layer checked for features outside the townships, as its data issue names it.
#[derive(Clone, Copy)]
pub(crate) struct Outside {
    /// The layer's role name.
    pub layer: &'static str,
    /// Its features in words (plural).
    pub features: &'static str,
    /// What their parts outside miss.
    pub missed: &'static str,
    /// Whether a feature partly outside is reported, or only one wholly outside.
    pub partly: bool,
}

/// The layers checked, in the order a township's [`Held`] are kept.
pub(crate) const CHECKED: [Outside; 5] = [
    Outside {
        layer: "landuse",
        features: "land-use parcels",
        missed: "which no township counts",
        partly: true,
    },
    Outside {
        layer: "landuse_previous",
        features: "previous land-use parcels",
        missed: "which no township counts",
        partly: true,
    },
    Outside {
        layer: "basic_farmland",
        features: "basic-farmland polygons",
        missed: "which no township counts as basic farmland",
        partly: true,
    },
    Outside {
        layer: "supplements",
        features: "compensation projects credited in the period",
        missed: "whose share of the credits no township takes",
        partly: true,
    },
    Outside {
        layer: "changes",
        features: "change patches judged in the period",
        missed: "where no township judges them",
        // A patch across the county's border counts by its part inside (SPEC §5.4): only a
        // patch that no township holds at all is not the county's, or misplaced.
        partly: false,
    },
];

/// The features of one layer, summed over the townships.
pub(crate) struct HeldTotal<P> {
    /// Feature `k`'s planar area.
    planar: P,
    /// How much of feature `k` the townships hold, planar.
    held: Vec<f64>,
}

impl<P: Fn(usize) -> f64 + Copy> HeldTotal<P> {
    /// A layer of `len` features none of which is held yet.
    pub(crate) fn new(len: usize, planar: P) -> Self {
        HeldTotal {
            planar,
            held: vec![0.0; len],
        }
    }

    /// Adds what one township holds.
    pub(crate) fn add(&mut self, township: &Held) {
        for (k, planar) in township.pieces(self.planar) {
            self.held[k] += planar;
        }
    }

    /// One data issue for the layer when any of its features lies partly (where
    /// [`Outside::partly`]) or wholly outside every township by over [`LEAST_REPORTED_M2`] (and
    /// 1e-7 of its area, the pieces' rounding): how many, how much and the first few ids (the
    /// id itself when only one).
    pub(crate) fn issue<'i>(
        &self,
        what: Outside,
        id: impl Fn(usize) -> &'i str,
        square_metre: SquareMetre,
    ) -> Option<DataIssue> {
        let least = square_metre.planar(LEAST_REPORTED_M2);
        let outside: Vec<(usize, f64)> = self
            .held
            .iter()
            .enumerate()
            .filter_map(|(k, &held)| {
                let planar = (self.planar)(k);
                let missing = planar - held;
                let wholly = held <= least;
                (missing > least + 1e-7 * planar && (what.partly || wholly)).then_some((k, missing))
            })
            .collect();
        if outside.is_empty() {
            return None;
        }
        let area = square_metre.m2(outside.iter().map(|(_, a)| a).sum());
        let first: Vec<&str> = outside.iter().take(5).map(|(k, _)| id(*k)).collect();
        Some(DataIssue {
            file: String::new(),
            layer: what.layer.into(),
            feature: None,
            id: (outside.len() == 1).then(|| first[0].to_string()),
            field: None,
            kind: IssueKind::Gap,
            message: format!(
                "{} {} lie {} outside the townships, {area:.2} m² ({}) in all, {} (first: {})",
                outside.len(),
                what.features,
                if what.partly {
                    "partly or wholly"
                } else {
                    "wholly"
                },
                square_metre.label(),
                what.missed,
                first.join(", ")
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pieces::Shape;
    use geo::MultiPolygon;

    #[test]
    fn held_gives_back_every_piece_with_its_area() {
        let empty = MultiPolygon(Vec::new());
        let piece = |source, planar, whole| Piece {
            source,
            geometry: if whole {
                Shape::Whole(&empty)
            } else {
                Shape::Cut(Box::new(empty.clone()))
            },
            planar,
        };
        // Parcel 2 whole (its area is the parcels' 2.5), parcel 0 clipped to 0.75 of its 1.0.
        let planar = [1.0, 9.0, 2.5];
        let held = Held::new(&[piece(2, 2.5, true), piece(0, 0.75, false)]);
        let mut pieces: Vec<(usize, f64)> = held.pieces(|k| planar[k]).collect();
        pieces.sort_by_key(|p| p.0);
        assert_eq!(pieces, vec![(0, 0.75), (2, 2.5)]);
        assert_eq!(held.whole, vec![2], "a whole piece keeps its position only");
        assert!(Held::new(&[]).pieces(|k| planar[k]).next().is_none());
    }

    #[test]
    fn a_feature_the_townships_hold_whole_between_them_is_not_outside() {
        let empty = MultiPolygon(Vec::new());
        let cut = |source, planar| Piece {
            source,
            geometry: Shape::Cut(Box::new(empty.clone())),
            planar,
        };
        let whole = |source| Piece {
            source,
            geometry: Shape::Whole(&empty),
            planar: 0.0,
        };
        // Feature 0 (100 m²) split 60/40 between two townships; feature 1 (50 m²) whole in the
        // first; feature 2 (80 m²) with 30 m² in the second and the rest nowhere; feature 3
        // (10 m²) missing only 0.005 m², under the least reported; feature 4 (20 m²) nowhere.
        let planar = [100.0, 50.0, 80.0, 10.0, 20.0];
        let area = |k: usize| planar[k];
        let mut total = HeldTotal::new(5, area);
        total.add(&Held::new(&[cut(0, 60.0), whole(1), cut(3, 9.995)]));
        total.add(&Held::new(&[cut(0, 40.0), cut(2, 30.0)]));
        let ids = ["a", "b", "c", "d", "e"];
        let issue = total
            .issue(CHECKED[3], |k| ids[k], SquareMetre::PROJECTED)
            .unwrap();
        assert_eq!((issue.layer.as_str(), issue.id), ("supplements", None));
        assert_eq!(
            issue.message,
            "2 compensation projects credited in the period lie partly or wholly outside the \
             townships, 70.00 m² (planar) in all, whose share of the credits no township takes \
             (first: c, e)"
        );
        // Change patches: only the one no township holds at all (a patch across the border
        // counts by its part inside).
        let issue = total
            .issue(CHECKED[4], |k| ids[k], SquareMetre::PROJECTED)
            .unwrap();
        assert_eq!(issue.id.as_deref(), Some("e"));
        assert_eq!(
            issue.message,
            "1 change patches judged in the period lie wholly outside the townships, 20.00 m² \
             (planar) in all, where no township judges them (first: e)"
        );
        let mut clean = HeldTotal::new(5, area);
        clean.add(&Held::new(&[
            whole(0),
            whole(1),
            whole(2),
            whole(3),
            whole(4),
        ]));
        assert!(clean
            .issue(CHECKED[0], |k| ids[k], SquareMetre::PROJECTED)
            .is_none());
    }
}
