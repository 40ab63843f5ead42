//! `redline check FILE`.

use crate::cli::CheckArgs;
use crate::Exit;
use anyhow::{anyhow, Result};
use redline_geom::LandClassTable;
use redline_ingest::DataIssue;
use redline_ingest::{IssueKind, LayerRole, ResolvedFields};
use std::collections::BTreeMap;

/// Prints the count line and says whether issues were found.
fn report(what: &str, issues: &[DataIssue]) -> Exit {
    let plural = if issues.len() == 1 { "" } else { "s" };
    eprintln!("{what}, {} data issue{plural}", issues.len());
    if issues.is_empty() {
        Exit::Clean
    } else {
        Exit::Issues
    }
}

/// `redline check JOB.toml`: every layer of the job read, preflighted and overlaid as `run`
/// would — the coverage of the land use is judged from the overlay's pieces — without writing
/// anything. Reports the same data issues, and the same count, as `run`.
fn check_job(args: &CheckArgs) -> Result<Exit> {
    let job = redline_job::Job::load(&args.layer.file)?;
    // No outputs are written, so none needs the lon/lat transformation: as --format gpkg.
    let options = redline_job::WriteOptions {
        format: redline_job::LayerFormat::GeoPackage,
        ..Default::default()
    };
    let run = job.run(&options, &())?;
    let (county, issues) = (&run.county, &job.relative_issues(&run.issues));
    print_issues(args, issues)?;
    let previous = county
        .landuse_previous
        .as_ref()
        .map_or_else(String::new, |p| format!(" ({} last year)", p.len()));
    let what = format!(
        "{}: {} townships, {} land-use parcels{previous}",
        args.layer.file.display(),
        county.townships.len(),
        county.landuse.len()
    );
    Ok(report(&what, issues))
}

/// The issues as text lines, unless `--json` prints them as JSON Lines at the end; kept for
/// `--issues`/`--json` either way.
fn print_issues(args: &CheckArgs, issues: &[DataIssue]) -> Result<()> {
    crate::diagnostics::record(issues);
    if !args.json {
        for issue in issues {
            out!("{issue}");
        }
    }
    Ok(())
}

pub(crate) fn run(args: &CheckArgs) -> Result<Exit> {
    if args.layer.file.extension().is_some_and(|e| e == "toml") {
        return check_job(args);
    }
    let role = match &args.role {
        Some(name) => Some(LayerRole::from_name(name).ok_or_else(|| {
            let roles: Vec<&str> = LayerRole::ALL.iter().map(|r| r.name()).collect();
            anyhow!("unknown role {name:?} ({})", roles.join(", "))
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
            LayerRole::Landuse
                | LayerRole::LandusePrevious
                | LayerRole::Townships
                | LayerRole::BasicFarmland
        ) {
            issues.extend(redline_job::coverage_overlaps(layer));
        }
    }
    issues.sort_by_key(|i| (i.feature, i.kind));
    print_issues(args, &issues)?;
    let role_name = role.map_or("unknown role", |r| r.name());
    let what = format!(
        "{}: {} features ({role_name})",
        layer.path.display(),
        layer.read_count
    );
    Ok(report(&what, &issues))
}
