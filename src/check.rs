//! `redline check FILE`.

use crate::cli::CheckArgs;
use crate::Outcome;
use anyhow::{anyhow, Result};
use redline_geom::LandClassTable;
use redline_ingest::{DataIssue, Layer};
use redline_ingest::{IssueKind, LayerRole, ResolvedFields};
use std::collections::BTreeMap;

/// Overlaps between features of a layer that must be a coverage, as data issues on the later
/// feature of each pair. Areas are planar, in the layer's units (m² for projected CRSs).
fn coverage_overlaps(layer: &Layer) -> Vec<DataIssue> {
    let geometries: Vec<_> = layer.features.iter().map(|f| &f.geometry).collect();
    // 0.01 m², or about that in square degrees for geographic layers.
    let geographic = layer.crs.as_ref().is_some_and(|c| c.is_geographic());
    let min_area = if geographic { 1e-12 } else { 0.01 };
    let unit = if geographic { "square degrees" } else { "m²" };
    redline_index::overlapping_pairs(&geometries, min_area)
        .into_iter()
        .map(|o| {
            let (a, b) = (&layer.features[o.a], &layer.features[o.b]);
            DataIssue {
                file: layer.path.display().to_string(),
                layer: layer.name.clone(),
                feature: Some(b.index),
                id: b.id.clone(),
                field: None,
                kind: IssueKind::Overlap,
                message: format!(
                    "overlaps feature {} by {:.4} {unit} (the layer must be a coverage)",
                    a.label(),
                    o.area
                ),
            }
        })
        .collect()
}

/// Prints the count line and says whether issues were found.
fn report(what: &str, issues: &[DataIssue]) -> Outcome {
    let plural = if issues.len() == 1 { "" } else { "s" };
    eprintln!("{what}, {} data issue{plural}", issues.len());
    if issues.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Issues
    }
}

/// `redline check JOB.toml`: every layer of the job read and checked as `run` would, without the
/// overlay.
fn check_job(args: &CheckArgs) -> Result<Outcome> {
    let job = crate::job::Job::load(&args.layer.file)?;
    let (county, _, mut issues) = job.read()?;
    issues.sort_by(|a, b| (&a.file, a.feature, a.kind).cmp(&(&b.file, b.feature, b.kind)));
    for issue in &issues {
        out!("{issue}");
    }
    let what = format!(
        "{}: {} townships, {} land-use parcels",
        args.layer.file.display(),
        county.townships.len(),
        county.landuse.len()
    );
    Ok(report(&what, &issues))
}

pub(crate) fn run(args: &CheckArgs) -> Result<Outcome> {
    if args.layer.file.extension().is_some_and(|e| e == "toml") {
        return check_job(args);
    }
    let role = match &args.role {
        Some(name) => Some(LayerRole::from_name(name).ok_or_else(|| {
            anyhow!("unknown role {name:?} (townships, landuse, basic_farmland, approvals, supplements, changes)")
        })?),
        None => None,
    };
    let mut read = crate::info::read(&args.layer)?;
    read.layer.require_crs()?;
    let names: Vec<&str> = read.layer.fields.iter().map(|f| f.name.as_str()).collect();
    let role = role.or_else(|| LayerRole::guess(&names));
    let mut issues = read.issues;
    // Ids come from the role's id field (BSM, JCBH …) unless --id-field or the format gave them.
    let id_field = role.and_then(|r| r.fields().iter().find(|f| f.key == "id"));
    if let Some(spec) = id_field.filter(|_| args.layer.id_field.is_none()) {
        if read.layer.set_id_field(spec.default) {
            issues.retain(|i| i.kind != IssueKind::DuplicateId);
            read.layer.fill_issue_ids(&mut issues);
            issues.extend(read.layer.duplicate_ids());
        }
    }
    let layer = &read.layer;
    if let Some(role) = role {
        let fields = ResolvedFields::resolve(layer, role, &BTreeMap::new())?;
        issues.extend(fields.check(layer, LandClassTable::builtin()));
        if matches!(
            role,
            LayerRole::Landuse | LayerRole::Townships | LayerRole::BasicFarmland
        ) {
            issues.extend(coverage_overlaps(layer));
        }
    }
    issues.sort_by_key(|i| (i.feature, i.kind));
    for issue in &issues {
        out!("{issue}");
    }
    let role_name = role.map_or("unknown role", |r| r.name());
    let what = format!(
        "{}: {} features ({role_name})",
        layer.path.display(),
        layer.read_count
    );
    Ok(report(&what, &issues))
}
