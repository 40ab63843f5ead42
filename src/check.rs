//! `redline check FILE`.

use crate::cli::CheckArgs;
use crate::Outcome;
use anyhow::{anyhow, Result};
use redline_geom::LandClassTable;
use redline_ingest::{IssueKind, LayerRole, ResolvedFields};
use std::collections::BTreeMap;

pub(crate) fn run(args: &CheckArgs) -> Result<Outcome> {
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
    }
    issues.sort_by_key(|i| (i.feature, i.kind));
    for issue in &issues {
        println!("{issue}");
    }
    let role_name = role.map_or("unknown role", |r| r.name());
    eprintln!(
        "{}: {} features ({role_name}), {} data issue{}",
        layer.path.display(),
        layer.read_count,
        issues.len(),
        if issues.len() == 1 { "" } else { "s" }
    );
    Ok(if issues.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Issues
    })
}
