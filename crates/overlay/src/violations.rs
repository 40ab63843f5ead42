//! §5.4 satellite-change violations (卫片执法): what each change patch newly took, how much of
//! that approvals make legal or "other", the illegal rest, its cultivated and basic-farmland
//! parts, the patch's verdict, and the illegal-occupation ratio with the 约谈/问责 flags.

use crate::context::{Cover, LandusePieces, LayerPieces};
use crate::model::Thresholds;
use crate::pieces::Piece;
use geo::{Area, BooleanOps, Intersects, MultiPolygon};
use rayon::prelude::*;
use redline_geom::LandCategory;
use std::collections::BTreeMap;

/// A patch's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// The base year was already construction: nothing new was taken.
    Existing,
    /// Covered by construction approvals.
    Legal,
    /// Facility agriculture, roads, temporary use …: not new construction.
    Other,
    /// Taken without approval.
    Illegal,
    /// Partly approved, partly not.
    Partial,
}

impl Verdict {
    /// Lowercase name used in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Existing => "existing",
            Verdict::Legal => "legal",
            Verdict::Other => "other",
            Verdict::Illegal => "illegal",
            Verdict::Partial => "partial",
        }
    }

    /// Legal, illegal and partial patches are new construction.
    pub fn is_construction(self) -> bool {
        matches!(self, Verdict::Legal | Verdict::Illegal | Verdict::Partial)
    }
}

/// The part of one patch inside one township.
#[derive(Debug, Clone, Default)]
pub(crate) struct PatchPart {
    pub patch: usize,
    pub new_land: f64,
    pub legal: f64,
    pub other: f64,
    pub illegal: f64,
    pub new_land_cultivated: f64,
    pub illegal_cultivated: f64,
    pub illegal_pbf: f64,
    pub illegal_geometry: Vec<MultiPolygon<f64>>,
}

/// The verdict of a whole patch from its parts (docs/metrics.md §5.4).
pub(crate) fn verdict(parts: &[&PatchPart], observed_not_construction: bool, min: f64) -> Verdict {
    let sum = |f: fn(&PatchPart) -> f64| parts.iter().map(|p| f(p)).sum::<f64>();
    let (new_land, legal, other, illegal) = (
        sum(|p| p.new_land),
        sum(|p| p.legal),
        sum(|p| p.other),
        sum(|p| p.illegal),
    );
    if new_land < min {
        Verdict::Existing
    } else if observed_not_construction {
        Verdict::Other
    } else if illegal < min {
        if legal >= other {
            Verdict::Legal
        } else {
            Verdict::Other
        }
    } else if new_land - illegal < min {
        Verdict::Illegal
    } else {
        Verdict::Partial
    }
}

/// The patches' parts in one township. `patches` are the township's pieces of the change layer
/// (already filtered to the period); `township` its land-use pieces; `pbf` its basic-farmland
/// pieces; `cover` the approvals in force.
pub(crate) fn township_parts(
    township: &LandusePieces,
    patches: &[Piece],
    pbf: &LayerPieces,
    cover: &Cover,
) -> Vec<PatchPart> {
    let LandusePieces {
        parcels,
        pieces,
        near: piece_near,
        landuse,
        ..
    } = *township;
    let (pbf, pbf_near) = (pbf.pieces, pbf.near);
    let (legal_kinds, other_kinds) = (cover.legal, cover.other);
    // Patches are judged in parallel and gathered in order.
    patches
        .par_iter()
        .map(|patch| {
            let p = patch.geometry.as_ref();
            let legal_cover = legal_kinds.union_around(p);
            let other_cover = other_kinds.union_around(p);
            let mut part = PatchPart {
                patch: patch.source,
                ..Default::default()
            };
            let near = piece_near.around(p);
            for piece in near
                .into_iter()
                .map(|k| &pieces[k])
                .filter(|n| n.geometry.intersects(p))
            {
                let parcel = &parcels[piece.source];
                if parcel.category == LandCategory::Construction {
                    continue;
                }
                let new_land = p.intersection(piece.geometry.as_ref());
                let scale = landuse.scale(piece.source);
                let keep = if parcel.category == LandCategory::Cultivated {
                    1.0 - parcel.deduction
                } else {
                    0.0
                };
                let area = |g: &MultiPolygon<f64>| g.unsigned_area() * scale;
                let legal = if legal_cover.0.is_empty() {
                    MultiPolygon(vec![])
                } else {
                    new_land.intersection(&legal_cover)
                };
                let rest = if legal.0.is_empty() {
                    new_land.clone()
                } else {
                    new_land.difference(&legal_cover)
                };
                let other = if other_cover.0.is_empty() {
                    MultiPolygon(vec![])
                } else {
                    rest.intersection(&other_cover)
                };
                let illegal = if other.0.is_empty() {
                    rest
                } else {
                    rest.difference(&other_cover)
                };
                let (n, i) = (area(&new_land), area(&illegal));
                part.new_land += n;
                part.legal += area(&legal);
                part.other += area(&other);
                part.illegal += i;
                part.new_land_cultivated += n * keep;
                part.illegal_cultivated += i * keep;
                if i > 0.0 {
                    for b in pbf_near
                        .around(&illegal)
                        .into_iter()
                        .map(|k| &pbf[k])
                        .filter(|b| b.geometry.intersects(&illegal))
                    {
                        part.illegal_pbf += area(&illegal.intersection(b.geometry.as_ref()));
                    }
                    part.illegal_geometry.push(illegal);
                }
            }
            part
        })
        .collect()
}

/// §5.4 numbers of a township or the county.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Violations {
    /// Cultivated net area newly taken by construction patches (legal, illegal, partial).
    pub new_construction_cultivated: f64,
    /// Its illegal part.
    pub illegal_cultivated: f64,
    /// Basic farmland in the illegal parts.
    pub illegal_pbf: f64,
    /// illegal_cultivated / new_construction_cultivated (0 when nothing was taken).
    pub illegal_ratio: f64,
    /// 约谈: the ratio (or the optional area) reaches the interview threshold.
    pub interview: bool,
    /// 问责: the ratio reaches the accountability threshold (15号令).
    pub accountability: bool,
    /// Patches (parts) by verdict.
    pub patches: BTreeMap<String, usize>,
}

impl Violations {
    pub(crate) fn add_part(&mut self, part: &PatchPart, verdict: Verdict) {
        *self.patches.entry(verdict.name().to_string()).or_default() += 1;
        if verdict.is_construction() {
            self.new_construction_cultivated += part.new_land_cultivated;
            self.illegal_cultivated += part.illegal_cultivated;
            self.illegal_pbf += part.illegal_pbf;
        }
    }

    pub(crate) fn add(&mut self, o: &Violations) {
        self.new_construction_cultivated += o.new_construction_cultivated;
        self.illegal_cultivated += o.illegal_cultivated;
        self.illegal_pbf += o.illegal_pbf;
        for (k, v) in &o.patches {
            *self.patches.entry(k.clone()).or_default() += v;
        }
    }

    pub(crate) fn finish(&mut self, thresholds: &Thresholds) {
        self.illegal_ratio = if self.new_construction_cultivated > 0.0 {
            self.illegal_cultivated / self.new_construction_cultivated
        } else {
            0.0
        };
        self.interview = self.illegal_ratio >= thresholds.interview_ratio
            || thresholds
                .interview_area_m2
                .is_some_and(|a| self.illegal_cultivated >= a);
        self.accountability = self.illegal_ratio >= thresholds.accountability_ratio;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A part with the given new land, legal, other and illegal areas (m²).
    fn part(new_land: f64, legal: f64, other: f64, illegal: f64) -> PatchPart {
        PatchPart {
            patch: 0,
            new_land,
            legal,
            other,
            illegal,
            new_land_cultivated: 0.0,
            illegal_cultivated: 0.0,
            illegal_pbf: 0.0,
            illegal_geometry: Vec::new(),
        }
    }

    fn judge(parts: &[PatchPart], observed_not_construction: bool) -> Verdict {
        let refs: Vec<&PatchPart> = parts.iter().collect();
        verdict(&refs, observed_not_construction, 1.0)
    }

    #[test]
    fn every_verdict_by_its_rule() {
        // No new land (the base was construction): existing, before the HSXDL rule.
        assert_eq!(judge(&[part(0.5, 0.0, 0.0, 0.5)], true), Verdict::Existing);
        // HSXDL says not construction: other.
        assert_eq!(judge(&[part(100.0, 0.0, 0.0, 100.0)], true), Verdict::Other);
        // Covered by approvals, less than 1 m² left: legal when legal cover ≥ other cover …
        assert_eq!(
            judge(&[part(100.0, 60.0, 39.5, 0.5)], false),
            Verdict::Legal
        );
        // … other when temporary/facility cover dominates.
        assert_eq!(
            judge(&[part(100.0, 30.0, 69.5, 0.5)], false),
            Verdict::Other
        );
        // Nothing covered: illegal; partly covered: partial.
        assert_eq!(
            judge(&[part(100.0, 0.0, 0.0, 100.0)], false),
            Verdict::Illegal
        );
        assert_eq!(
            judge(&[part(100.0, 0.0, 0.0, 99.5)], false),
            Verdict::Illegal
        );
        assert_eq!(
            judge(&[part(100.0, 40.0, 0.0, 60.0)], false),
            Verdict::Partial
        );
    }

    #[test]
    fn a_patch_across_townships_is_judged_on_the_sum_of_its_parts() {
        // 0.6 m² illegal on each side of a border: 1.2 m² together, past min_illegal_m2.
        let parts = [part(50.0, 49.4, 0.0, 0.6), part(50.0, 49.4, 0.0, 0.6)];
        assert_eq!(judge(&parts, false), Verdict::Partial);
        assert_eq!(judge(&parts[..1], false), Verdict::Legal);
    }
}
