//! 年度变更 (docs/change.md): the previous vintage of the land-use survey overlaid on the
//! current one, per township — the transition matrix, cultivated land out and in by group, the
//! 进出平衡 ledger, and new construction that no change patch and no approval covers.

use crate::context::LandusePieces;
use crate::model::{ChangeRules, Parcel};
use crate::pieces::Piece;
use crate::prepared::Near;
use crate::sharing::same_geometry;
use geo::{Area, BooleanOps, MultiPolygon};
use rayon::prelude::*;
use redline_geom::LandCategory;
use std::collections::{BTreeMap, BTreeSet};

/// 1203 田坎: the deducted field ridges of cultivated land count as this class.
pub const RIDGE: &str = "1203";

/// One side of a transition: a class code as in the data and what it counts as.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClassSide {
    /// DLBM code (`1203` for deducted ridges).
    pub code: String,
    /// Its category (after the job's class overrides).
    pub category: LandCategory,
}

impl ClassSide {
    /// The first-level group: the code's first two characters.
    pub fn group(&self) -> String {
        redline_geom::first_level(&self.code).to_string()
    }
}

/// Areas by what the other side of a cultivated-land flow is.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Flows {
    /// Construction land (建设用地).
    pub construction: f64,
    /// Agricultural land that is not cultivated (garden, forest, grassland, ponds, 1202, 1203…).
    pub other_agri: f64,
    /// Unused land (未利用地).
    pub unused: f64,
}

impl Flows {
    fn add_to(&mut self, category: LandCategory, area: f64) {
        match category {
            LandCategory::Construction => self.construction += area,
            LandCategory::Agricultural => self.other_agri += area,
            LandCategory::Unused => self.unused += area,
            LandCategory::Cultivated => {}
        }
    }

    fn add(&mut self, o: &Flows) {
        self.construction += o.construction;
        self.other_agri += o.other_agri;
        self.unused += o.unused;
    }

    /// The sum of the three.
    pub fn total(&self) -> f64 {
        self.construction + self.other_agri + self.unused
    }
}

/// The 耕地进出平衡 ledger (自然资发〔2021〕166号): cultivated land turned into other
/// agricultural land against other agricultural land turned into cultivated land, as the job's
/// [`ChangeRules`] count them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct InOut {
    /// 出: cultivated → counted other agricultural land, net m².
    pub out: f64,
    /// 进: counted other agricultural land → cultivated, net m².
    pub inflow: f64,
}

impl InOut {
    /// 进 − 出.
    pub fn balance(&self) -> f64 {
        self.inflow - self.out
    }

    /// A deficit: more went out than came in, by more than the written precision (0.005 m²).
    pub fn deficit(&self) -> bool {
        self.balance() < -0.005
    }
}

/// The vintage comparison of one township or the county. Cultivated areas are net of the
/// field-ridge deduction: a cultivated side contributes its net area, its ridges go to 1203.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VintageChange {
    /// Area (m²) from each previous class to each current class, the unchanged diagonal
    /// included; only non-zero cells are present.
    pub transitions: BTreeMap<(ClassSide, ClassSide), f64>,
    /// Cultivated land in the previous vintage (the cultivated rows' sum), net.
    pub cultivated_previous: f64,
    /// Cultivated land in the current vintage (the cultivated columns' sum), net.
    pub cultivated_current: f64,
    /// Cultivated land that became something else, by what it became.
    pub out: Flows,
    /// Land that became cultivated, by what it was.
    pub inflow: Flows,
    /// Cultivated out by the first-level group it went to.
    pub out_by_group: BTreeMap<String, f64>,
    /// Cultivated in by the first-level group it came from.
    pub in_by_group: BTreeMap<String, f64>,
    /// The 进出平衡 ledger.
    pub in_out: InOut,
    /// Land that was not construction and is now (gross m²).
    pub new_construction: f64,
    /// Of it, what no change patch and no approval covers (pieces ≥ the listing threshold).
    pub uncovered: f64,
    /// How many uncovered pieces are listed.
    pub uncovered_count: usize,
}

impl VintageChange {
    /// Cultivated out, all of it.
    pub fn cultivated_out(&self) -> f64 {
        self.out.total()
    }

    /// Cultivated in, all of it.
    pub fn cultivated_in(&self) -> f64 {
        self.inflow.total()
    }

    /// Net change of cultivated land: in − out.
    pub fn net_change(&self) -> f64 {
        self.cultivated_in() - self.cultivated_out()
    }

    /// Adds one cell of the matrix and every flow it makes.
    fn add_cell(&mut self, from: ClassSide, to: ClassSide, area: f64, rules: &ChangeRules) {
        if area <= 0.0 {
            return;
        }
        let (was, is) = (
            from.category == LandCategory::Cultivated,
            to.category == LandCategory::Cultivated,
        );
        if was {
            self.cultivated_previous += area;
        }
        if is {
            self.cultivated_current += area;
        }
        if was && !is {
            self.out.add_to(to.category, area);
            *self.out_by_group.entry(to.group()).or_default() += area;
            if counts_in_out(&to, rules) {
                self.in_out.out += area;
            }
        }
        if is && !was {
            self.inflow.add_to(from.category, area);
            *self.in_by_group.entry(from.group()).or_default() += area;
            if counts_in_out(&from, rules) {
                self.in_out.inflow += area;
            }
        }
        if from.category != LandCategory::Construction && to.category == LandCategory::Construction
        {
            self.new_construction += area;
        }
        *self.transitions.entry((from, to)).or_default() += area;
    }

    /// Adds another township's comparison (the county row).
    pub(crate) fn add(&mut self, o: &VintageChange) {
        for (k, v) in &o.transitions {
            *self.transitions.entry(k.clone()).or_default() += v;
        }
        self.cultivated_previous += o.cultivated_previous;
        self.cultivated_current += o.cultivated_current;
        self.out.add(&o.out);
        self.inflow.add(&o.inflow);
        for (k, v) in &o.out_by_group {
            *self.out_by_group.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &o.in_by_group {
            *self.in_by_group.entry(k.clone()).or_default() += v;
        }
        self.in_out.out += o.in_out.out;
        self.in_out.inflow += o.in_out.inflow;
        self.new_construction += o.new_construction;
        self.uncovered += o.uncovered;
        self.uncovered_count += o.uncovered_count;
    }
}

/// Whether a non-cultivated class is "other agricultural land" in the 进出平衡 ledger.
fn counts_in_out(side: &ClassSide, rules: &ChangeRules) -> bool {
    side.category == LandCategory::Agricultural
        && (rules.ridges || side.code != RIDGE)
        && (rules.facility_land || side.code != "1202")
        && (rules.adjustable || !side.code.ends_with('K'))
}

/// New construction in a township that no change patch and no approval covers (possible 漏报).
#[derive(Debug, Clone, PartialEq)]
pub struct UncoveredConstruction {
    /// Township code.
    pub township: String,
    /// The current land-use parcel's id.
    pub landuse_id: String,
    /// Its class code now.
    pub class: String,
    /// The previous vintage's classes under it.
    pub previous: Vec<String>,
    /// Area, m².
    pub area: f64,
    /// The uncovered part.
    pub geometry: MultiPolygon<f64>,
}

/// What explains new construction: the change patches (any date) and the approvals in force.
#[derive(Clone, Copy)]
pub(crate) struct Explained<'p> {
    /// Every change patch.
    pub patches: &'p Near<'p>,
    /// Every approval dated by the period's end, of any kind.
    pub approvals: &'p Near<'p>,
}

/// What one previous-vintage piece meets in the current land use.
#[derive(Default)]
struct Meeting {
    /// (current piece, area in the current parcel's scale) of each overlap.
    cells: Vec<(usize, f64)>,
    /// Planar area of the overlaps.
    matched: f64,
    /// New construction: (current piece, the overlap).
    built: Vec<(usize, MultiPolygon<f64>)>,
}

/// The comparison of one township, its uncovered new construction, and the planar area the two
/// vintages' pieces have in common (for the coverage check).
pub(crate) fn township_change(
    current: &LandusePieces,
    previous: &LandusePieces,
    rules: &ChangeRules,
    explained: &Explained,
) -> (VintageChange, Vec<UncoveredConstruction>, f64) {
    let meetings: Vec<Meeting> = previous
        .pieces
        .par_iter()
        .map(|b| meet(current, previous, b))
        .collect();
    let mut matched = 0.0;
    let mut built: BTreeMap<usize, (Vec<MultiPolygon<f64>>, BTreeSet<&str>)> = BTreeMap::new();
    // Cells are summed by borrowed class first (no allocation per overlap), then each distinct
    // cell makes its flows once.
    let mut cells: BTreeMap<(Side, Side), f64> = BTreeMap::new();
    for (b, m) in previous.pieces.iter().zip(meetings) {
        matched += m.matched;
        let was = &previous.parcels[b.source];
        for (k, area) in m.cells {
            let is = &current.parcels[current.pieces[k].source];
            for (from, to, a) in couple(was, is, area) {
                if a > 0.0 {
                    *cells.entry((from, to)).or_insert(0.0) += a;
                }
            }
        }
        for (k, g) in m.built {
            let entry = built.entry(k).or_default();
            entry.0.push(g);
            entry.1.insert(was.code.as_str());
        }
    }
    let mut change = VintageChange::default();
    for ((from, to), a) in cells {
        change.add_cell(from.owned(), to.owned(), a, rules);
    }
    let uncovered = uncovered(current, built, rules, explained);
    change.uncovered = uncovered.iter().map(|u| u.area).sum();
    change.uncovered_count = uncovered.len();
    (change, uncovered, matched)
}

/// The overlaps of one previous piece with the current pieces around it.
fn meet(current: &LandusePieces, previous: &LandusePieces, b: &Piece) -> Meeting {
    let mut out = Meeting::default();
    let mut near = current.near.around(b.geometry.as_ref());
    // An unchanged parcel has the same geometry in both vintages, so the township cuts it into
    // the same piece (whole or clipped alike): in a coverage no other current piece overlaps it.
    let identical = |k: &usize| {
        let piece = &current.pieces[*k];
        b.is_whole() == piece.is_whole()
            && same_geometry(
                current.landuse.geoms.get(piece.source),
                previous.landuse.geoms.get(b.source),
            )
    };
    if let Some(k) = near.iter().copied().find(identical) {
        near = vec![k];
    }
    let was_built = previous.parcels[b.source].category == LandCategory::Construction;
    for k in near {
        let piece = &current.pieces[k];
        let inter = if identical(&k) {
            None
        } else {
            Some(b.geometry.intersection(piece.geometry.as_ref()))
        };
        let planar = inter.as_ref().map_or(piece.planar, |g| g.unsigned_area());
        // Every overlap counts, however small: the matrix must hold every square metre of both
        // vintages (slivers along shared edges are cells that round to nothing in report.json).
        if planar <= 0.0 {
            continue;
        }
        out.matched += planar;
        out.cells
            .push((k, planar * current.landuse.scale(piece.source)));
        let is_built = current.parcels[piece.source].category == LandCategory::Construction;
        if is_built && !was_built {
            let g = inter.unwrap_or_else(|| piece.geometry.as_ref().clone());
            out.built.push((k, g));
        }
    }
    out
}

/// The cells one overlap of area `a` makes. Each side is split into its class (net) and its
/// deducted ridges (1203); the split is coupled so that field meets field and ridge meets
/// ridge as far as they go, and only the difference of the coefficients changes hands:
/// `P>C = a·min(1−kp, 1−kc)`, `1203>1203 = a·min(kp, kc)`, and `1203>C = a·(kp−kc)` or
/// `P>1203 = a·(kc−kp)`. Row sums are the previous classes' net areas, column sums the current
/// ones'.
fn couple<'a>(was: &'a Parcel, is: &'a Parcel, a: f64) -> [(Side<'a>, Side<'a>, f64); 3] {
    let side = |p: &'a Parcel| Side(p.code.as_str(), p.category);
    let ridge = Side(RIDGE, LandCategory::Agricultural);
    let kp = if was.category == LandCategory::Cultivated {
        was.deduction
    } else {
        0.0
    };
    let kc = if is.category == LandCategory::Cultivated {
        is.deduction
    } else {
        0.0
    };
    // The ridges that change hands: last year's that became this year's class, or this
    // year's that were last year's class (zero when the coefficients agree).
    let handed = if kp > kc {
        (ridge, side(is), a * (kp - kc))
    } else {
        (side(was), ridge, a * (kc - kp))
    };
    [
        (side(was), side(is), a * (1.0 - kp.max(kc))),
        (ridge, ridge, a * kp.min(kc)),
        handed,
    ]
}

/// A class on one side of a cell, borrowed from a parcel while a township's cells are summed.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Side<'a>(&'a str, LandCategory);

impl Side<'_> {
    fn owned(self) -> ClassSide {
        ClassSide {
            code: self.0.to_string(),
            category: self.1,
        }
    }
}

/// New construction, per current parcel, minus the change patches and approvals around it;
/// what is left and reaches the listing threshold.
fn uncovered(
    current: &LandusePieces,
    built: BTreeMap<usize, (Vec<MultiPolygon<f64>>, BTreeSet<&str>)>,
    rules: &ChangeRules,
    explained: &Explained,
) -> Vec<UncoveredConstruction> {
    let built: Vec<_> = built.into_iter().collect();
    built
        .par_iter()
        .filter_map(|(k, (parts, previous))| {
            let piece = &current.pieces[*k];
            let parcel = &current.parcels[piece.source];
            let mut g = if parts.len() == 1 {
                parts[0].clone()
            } else {
                geo::unary_union(parts)
            };
            for near in [explained.patches, explained.approvals] {
                let cover = near.union_around(&g);
                if !cover.0.is_empty() {
                    g = g.difference(&cover);
                }
            }
            let area = g.unsigned_area() * current.landuse.scale(piece.source);
            (area >= rules.min_uncovered_m2 && area > 0.0).then(|| UncoveredConstruction {
                township: current.code.to_string(),
                landuse_id: parcel.id.to_string(),
                class: parcel.code.to_string(),
                previous: previous.iter().map(|c| c.to_string()).collect(),
                area,
                geometry: g,
            })
        })
        .collect()
}
