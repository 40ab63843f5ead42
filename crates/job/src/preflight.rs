//! The job's preflight: the conditions that would make a reported number wrong, found before
//! the overlay and turned into an error (exit 2) or a data issue (exit 1) — docs/metrics.md §7: a number
//! that may be wrong never leaves with exit 0. `run` and `check JOB.toml` both go through it
//! (it runs inside [`crate::job::Job::read`]); the README's "Errors and data issues" table lists
//! every class.

use anyhow::{bail, Result};
use geo::{Area, Rect};
use rayon::prelude::*;
use redline_geom::{Crs, CrsKind};
use redline_index::KnownApart;
use redline_ingest::{DataIssue, IssueKind, Layer, LayerRole};
use redline_overlay::{Parcel, Targets, Township};
use std::collections::BTreeMap;
use std::sync::Arc;

/// `file [layer name]`, as every message starts.
fn place(layer: &Layer) -> String {
    format!("{} [layer {}]", layer.path.display(), layer.name)
}

fn describe(r: Rect<f64>) -> String {
    format!(
        "({}, {}) — ({}, {})",
        r.min().x,
        r.min().y,
        r.max().x,
        r.max().y
    )
}

/// The layer's coordinates must fit its CRS (declared, given by the job, or inferred): lon/lat
/// in a projected CRS, metres in a geographic one and eastings of another Gauss–Krüger zone are
/// errors, since the overlay would read them as something else and find nothing.
/// `extent` is the layer's ([`Layer::extent`]).
pub(crate) fn coordinates_fit_crs(
    role: LayerRole,
    layer: &Layer,
    extent: Option<Rect<f64>>,
) -> Result<()> {
    let (Some(crs), Some(extent)) = (&layer.crs, extent) else {
        return Ok(());
    };
    let how = format!("{crs} ({})", layer.crs_source);
    let fix = format!(
        "give the file its real CRS (a GeoJSON `crs` member, a .prj) or set layers.{}.crs",
        role.name()
    );
    let degrees = redline_ingest::looks_like_lonlat(extent);
    if crs.is_geographic() && !degrees {
        bail!(
            "{}: coordinates span {}, which are not longitudes and latitudes, but the layer's \
             CRS is {how}; {fix}",
            place(layer),
            describe(extent)
        );
    }
    if !crs.is_geographic() && degrees {
        bail!(
            "{}: coordinates span {}, which look like longitudes and latitudes (WGS 84, as RFC \
             7946 reads a GeoJSON without `crs`), but the layer's CRS is {how}, in metres; {fix}",
            place(layer),
            describe(extent)
        );
    }
    if let Some(problem) = easting_problem(crs, extent) {
        bail!(
            "{}: {problem}; the layer's CRS is {how}; {fix}",
            place(layer)
        );
    }
    Ok(())
}

/// Eastings that cannot belong to a Transverse Mercator CRS: another zone's prefix, or more
/// than 1 000 km from the central meridian.
fn easting_problem(crs: &Crs, extent: Rect<f64>) -> Option<String> {
    let CrsKind::TransverseMercator { x0, .. } = crs.kind else {
        return None;
    };
    let (lo, hi) = (extent.min().x, extent.max().x);
    if x0 >= 1_000_000.0 {
        let zone = Crs::zone_of_easting(x0);
        let (a, b) = (Crs::zone_of_easting(lo), Crs::zone_of_easting(hi));
        if a != zone || b != zone {
            let shown = |z: Option<u32>| z.map_or("no zone".to_string(), |z| format!("zone {z}"));
            return Some(format!(
                "eastings from {lo} to {hi} carry {} … {}, not the CRS's {}",
                shown(a),
                shown(b),
                shown(zone)
            ));
        }
    } else if (lo - x0).abs() > 1_000_000.0 || (hi - x0).abs() > 1_000_000.0 {
        return Some(format!(
            "eastings from {lo} to {hi} lie more than 1 000 km from the false easting {x0}"
        ));
    }
    None
}

/// Every layer must meet the county: a layer whose extent misses the townships' extent is from
/// elsewhere or in another CRS than it says, and would contribute nothing without a word.
/// `extents` are the layers' ([`Layer::extent`]) in the working CRS.
pub(crate) fn layers_meet_townships(
    layers: &BTreeMap<LayerRole, Layer>,
    extents: &BTreeMap<LayerRole, Option<Rect<f64>>>,
) -> Result<()> {
    for (role, layer) in layers {
        layer_meets_townships(*role, layer, extents)?;
    }
    Ok(())
}

/// [`layers_meet_townships`] for one layer.
pub(crate) fn layer_meets_townships(
    role: LayerRole,
    layer: &Layer,
    extents: &BTreeMap<LayerRole, Option<Rect<f64>>>,
) -> Result<()> {
    let extent = |role| extents.get(&role).copied().flatten();
    let (Some(county), Some(extent)) = (extent(LayerRole::Townships), extent(role)) else {
        return Ok(());
    };
    if role != LayerRole::Townships && !geo::Intersects::intersects(&extent, &county) {
        bail!(
            "{}: the {} layer spans {} in the working CRS and misses the townships, which \
             span {}: a layer from another county, or in another CRS than it declares",
            place(layer),
            role.name(),
            describe(extent),
            describe(county)
        );
    }
    Ok(())
}

/// The townships as reporting units: codes present and unique after normalising to their
/// first 9 characters (errors: two rows would merge into one code, or a row would have none),
/// 9 or 12 digits (a data issue otherwise); no overlaps (the county would count the overlap
/// twice) and no sliver parts (data issues). `codes` are the XZQDM values as read.
pub(crate) fn townships(layer: &Layer, codes: &[String]) -> Result<Vec<DataIssue>> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut issues = Vec::new();
    for (feature, raw) in layer.features.iter().zip(codes) {
        let raw = raw.trim();
        if raw.is_empty() {
            bail!(
                "{} feature #{} (id {}): the township code is empty",
                place(layer),
                feature.index,
                feature.label()
            );
        }
        let code = township_code(raw);
        if let Some(first) = seen.insert(code.clone(), feature.index) {
            bail!(
                "{} features #{first} and #{}: both have the township code {code} (codes are \
                 compared by their first 9 digits); each township must be one feature",
                place(layer),
                feature.index
            );
        }
        if !raw.chars().all(|c| c.is_ascii_digit()) || !matches!(raw.len(), 9 | 12) {
            issues.push(issue(
                layer,
                feature,
                IssueKind::BadValue,
                format!("township code {raw:?} is not 9 or 12 digits (XZQDM)"),
            ));
        }
    }
    issues.extend(coverage_overlaps(layer));
    issues.extend(slivers(layer));
    Ok(issues)
}

/// The code a township is reported under: 12-digit codes name the same township as their
/// first 9 digits.
pub(crate) fn township_code(raw: &str) -> String {
    raw.trim().chars().take(9).collect()
}

/// A data issue about one feature (and, where given, one of its fields).
pub(crate) fn feature_issue(
    layer: &Layer,
    feature: &redline_ingest::Feature,
    field: Option<&str>,
    kind: IssueKind,
    message: String,
) -> DataIssue {
    DataIssue {
        file: layer.path.display().to_string(),
        layer: layer.name.clone(),
        feature: Some(feature.index),
        id: feature.id.as_deref().map(str::to_string),
        field: field.map(str::to_string),
        kind,
        message,
    }
}

fn issue(
    layer: &Layer,
    feature: &redline_ingest::Feature,
    kind: IssueKind,
    message: String,
) -> DataIssue {
    feature_issue(layer, feature, None, kind, message)
}

/// 1 m², or about that in square degrees for a geographic layer.
fn square_metre(layer: &Layer) -> f64 {
    if layer.crs.as_ref().is_some_and(|c| c.is_geographic()) {
        1.0 / (111_000.0 * 111_000.0)
    } else {
        1.0
    }
}

/// Polygon parts under 1 m²: digitising leftovers that a reporting unit should not have.
fn slivers(layer: &Layer) -> Vec<DataIssue> {
    let limit = square_metre(layer);
    layer
        .features
        .iter()
        .filter_map(|f| {
            let tiny = f
                .geometry
                .0
                .iter()
                .filter(|p| p.unsigned_area() < limit)
                .count();
            (tiny > 0).then(|| {
                issue(
                    layer,
                    f,
                    IssueKind::Sliver,
                    format!("{tiny} polygon parts under 1 m² (slivers)"),
                )
            })
        })
        .collect()
}

/// Overlaps between features of a layer that must be a coverage, as data issues on the later
/// feature of each pair. Areas are planar, in the layer's units (m² for projected CRSs).
pub fn coverage_overlaps(layer: &Layer) -> Vec<DataIssue> {
    coverage_overlaps_among(layer, None)
}

/// The basic farmland's [`coverage_overlaps`] after the overlay: two of its polygons that are
/// two land-use parcels (the same allocation, [`redline_overlay::ParcelGeometries`]) which the
/// land-use coverage check proved apart in one township (`apart`, by parcel position:
/// [`redline_overlay::Outcome::landuse_apart`]) do not overlap, so only the other pairs are
/// tested. Where basic farmland is drawn on the parcels that is most pairs; the issues are the
/// same as testing all.
pub(crate) fn farmland_overlaps(
    layer: &Layer,
    parcels: &[Parcel],
    apart: &[Option<u32>],
) -> Vec<DataIssue> {
    let parcel = redline_overlay::same_allocations(
        layer.features.par_iter().map(|f| &*f.geometry),
        parcels.par_iter().map(|p| &*p.geometry),
    );
    let township: Vec<Option<u32>> = parcel
        .into_iter()
        .map(|k| apart.get(k?).copied().flatten())
        .collect();
    let features = &layer.features;
    coverage_overlaps_among(
        layer,
        Some(&|a, b| {
            matches!((township[a], township[b]), (Some(s), Some(t)) if s == t)
                && !Arc::ptr_eq(&features[a].geometry, &features[b].geometry)
        }),
    )
}

/// [`coverage_overlaps`], told pairs known not to overlap ([`redline_index::overlaps_among`]).
fn coverage_overlaps_among(layer: &Layer, known_apart: Option<KnownApart>) -> Vec<DataIssue> {
    let geometries: Vec<_> = layer.features.iter().map(|f| &*f.geometry).collect();
    let geographic = layer.crs.as_ref().is_some_and(|c| c.is_geographic());
    let unit = if geographic { "square degrees" } else { "m²" };
    redline_index::overlaps_among(&geometries, 0.01 * square_metre(layer), known_apart)
        .pairs
        .into_iter()
        .map(|o| {
            let (a, b) = (&layer.features[o.a], &layer.features[o.b]);
            issue(
                layer,
                b,
                IssueKind::Overlap,
                format!(
                    "overlaps feature {} by {:.4} {unit} (the layer must be a coverage)",
                    a.label(),
                    o.area
                ),
            )
        })
        .collect()
}

/// The targets table against the townships: every township has its row, no row names a
/// township that is not there (a mistyped code is a missing township). Otherwise the county
/// target would be a partial sum.
pub(crate) fn targets(
    path: &std::path::Path,
    townships: &[Township],
    targets: &BTreeMap<String, Targets>,
) -> Result<()> {
    let missing: Vec<&str> = townships
        .iter()
        .map(|t| t.code.as_str())
        .filter(|c| !targets.contains_key(*c))
        .collect();
    if !missing.is_empty() {
        bail!(
            "{}: no row for the townships {}: every township needs its targets, or the \
             county's target is a partial sum",
            path.display(),
            missing.join(", ")
        );
    }
    // A column given for some townships and empty for others would make the county's target
    // a partial sum just the same.
    for (what, get) in [
        (
            "cultivated_target",
            (|t: &Targets| t.cultivated) as fn(&Targets) -> Option<f64>,
        ),
        ("pbf_target", |t: &Targets| t.pbf),
    ] {
        let given = townships
            .iter()
            .filter(|t| get(&targets[&t.code]).is_some())
            .count();
        if given > 0 && given < townships.len() {
            let empty: Vec<&str> = townships
                .iter()
                .filter(|t| get(&targets[&t.code]).is_none())
                .map(|t| t.code.as_str())
                .collect();
            bail!(
                "{}: {what} is empty for {} but given for the other townships",
                path.display(),
                empty.join(", ")
            );
        }
    }
    let known: std::collections::BTreeSet<&str> =
        townships.iter().map(|t| t.code.as_str()).collect();
    let unknown: Vec<&str> = targets
        .keys()
        .map(String::as_str)
        .filter(|c| !known.contains(c))
        .collect();
    if !unknown.is_empty() {
        bail!(
            "{}: rows for {} name no township of the townships layer",
            path.display(),
            unknown.join(", ")
        );
    }
    Ok(())
}
