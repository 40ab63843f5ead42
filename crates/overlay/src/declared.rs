//! Declared areas that the geometry cannot hold. A compensation project's new cultivated land
//! (XZGDMJ) lies inside the project, so it cannot exceed the project's own area; the credit
//! takes the declared figure, so one that does (a digit too many, a project drawn in part)
//! would credit land that is not there.

use crate::model::{County, Period};
use crate::prepared::Prepared;
use redline_geom::{DataIssue, IssueKind};

/// What a declared area may exceed the measured one by: 1 % (another area method, a surveyed
/// figure against a drawn outline) and 1 m² (rounding).
const SLACK_RELATIVE: f64 = 0.01;
const SLACK_M2: f64 = 1.0;

/// Accepted projects of `period` whose declared new cultivated area exceeds their own area, as
/// measured for the credits (`prepared`: the supplements in layer order).
pub(crate) fn overstated_projects(
    county: &County,
    prepared: Option<&Prepared>,
    period: Period,
) -> Vec<DataIssue> {
    let (Some(projects), Some(prepared)) = (county.supplements.as_deref(), prepared) else {
        return Vec::new();
    };
    projects
        .iter()
        .enumerate()
        .filter(|(_, s)| s.credits(period))
        .filter_map(|(k, s)| {
            let declared = s.new_area?;
            let area = prepared.area(k);
            (declared > area * (1.0 + SLACK_RELATIVE) + SLACK_M2).then(|| DataIssue {
                file: String::new(),
                layer: "supplements".into(),
                feature: None,
                id: Some(s.id.clone()),
                field: Some("XZGDMJ".into()),
                kind: IssueKind::BadValue,
                message: format!(
                    "project {} declares {declared:.2} m² of new cultivated land, more than its \
                     own area of {area:.2} m²; the credit takes the declared figure",
                    s.id
                ),
            })
        })
        .collect()
}
