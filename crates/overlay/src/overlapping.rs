//! Features of one layer that overlap where each square metre may count only once: conversion
//! approvals (debits), accepted compensation projects (credits) and change patches (judged
//! one by one). Conversions are unioned, so their overlap is debited once; a project or a patch
//! counts its own land whole, so land that two of them share is credited, or judged and
//! counted, twice. Either way the overlap is a data issue: the exit code must say that a
//! figure rests on it.

use crate::coverage::LEAST_REPORTED_M2;
use crate::model::{County, Period};
use crate::square_metre::SquareMetre;
use geo::MultiPolygon;
use redline_geom::{DataIssue, IssueKind};

/// The features of one layer that count in the period, and what their overlap does.
struct Counted<'a> {
    layer: &'static str,
    /// What two of them are called in a message ("conversion approvals").
    plural: &'static str,
    /// What becomes of their overlap ("the overlap is debited once").
    consequence: &'static str,
    /// Each feature's id and geometry.
    features: Vec<(&'a str, &'a MultiPolygon<f64>)>,
}

/// The overlaps of conversion approvals, accepted projects and change patches that count in
/// `period`, each pair a data issue, in the order of the layers and of the pairs.
pub(crate) fn overlapping_features(
    county: &County,
    period: Period,
    square_metre: SquareMetre,
) -> Vec<DataIssue> {
    let approvals = county.approvals.as_deref().unwrap_or_default();
    let supplements = county.supplements.as_deref().unwrap_or_default();
    let changes = county.changes.as_deref().unwrap_or_default();
    let layers = [
        Counted {
            layer: "approvals",
            plural: "conversion approvals",
            consequence: "the overlap is debited once",
            features: approvals
                .iter()
                .filter(|a| a.debits(period))
                .map(|a| (a.number.as_str(), &a.geometry))
                .collect(),
        },
        Counted {
            layer: "supplements",
            plural: "compensation projects",
            consequence: "each credits it, so the overlap is credited twice",
            features: supplements
                .iter()
                .filter(|s| s.credits(period))
                .map(|s| (s.id.as_str(), &s.geometry))
                .collect(),
        },
        Counted {
            layer: "changes",
            plural: "change patches",
            consequence: "each is judged on it, so the overlap counts twice in the violations",
            features: changes
                .iter()
                .filter(|c| c.judged_in(period))
                .map(|c| (c.id.as_str(), &c.geometry))
                .collect(),
        },
    ];
    layers
        .iter()
        .flat_map(|counted| overlaps(counted, square_metre))
        .collect()
}

/// Each pair of `counted`'s features overlapping by more than [`LEAST_REPORTED_M2`].
fn overlaps(counted: &Counted, square_metre: SquareMetre) -> Vec<DataIssue> {
    let geometries: Vec<&MultiPolygon<f64>> = counted.features.iter().map(|f| f.1).collect();
    redline_index::overlapping_pairs(&geometries, square_metre.planar(LEAST_REPORTED_M2))
        .into_iter()
        .map(|o| {
            let (a, b) = (counted.features[o.a].0, counted.features[o.b].0);
            DataIssue {
                file: String::new(),
                layer: counted.layer.into(),
                feature: None,
                id: Some(b.to_string()),
                field: None,
                kind: IssueKind::Overlap,
                message: format!(
                    "{} {a} and {b} overlap by {:.2} m² ({}); {}",
                    counted.plural,
                    square_metre.m2(o.area),
                    square_metre.label(),
                    counted.consequence,
                ),
            }
        })
        .collect()
}
