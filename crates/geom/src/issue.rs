//! Data issues: per-feature problems that a run survives and reports.

use std::fmt;

/// What kind of problem a data issue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IssueKind {
    /// A coordinate is NaN or infinite; the feature is dropped.
    NonFiniteCoordinate,
    /// A ring's last position differs from its first; it was closed.
    UnclosedRing,
    /// A ring has fewer than three distinct positions; it was dropped.
    TooShortRing,
    /// The polygon crosses itself (or has touching/overlapping rings); it was repaired.
    SelfIntersection,
    /// The feature has no geometry or an empty one; it is dropped.
    EmptyGeometry,
    /// A non-polygon geometry (point, line …) in a polygon layer; the feature is dropped.
    NotAPolygon,
    /// Two features share an id.
    DuplicateId,
    /// A land-class code that is not in the table.
    UnknownClassCode,
    /// A field value that cannot be used (wrong type, out of range).
    BadValue,
    /// Text that does not decode in the file's encoding (it shows as U+FFFD).
    UndecodableText,
    /// Features of one coverage layer overlap.
    Overlap,
    /// A coverage layer leaves part of the county uncovered.
    Gap,
    /// A polygon part too small to be a real unit (a digitising leftover).
    Sliver,
}

impl IssueKind {
    /// A short stable name, used in reports and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::NonFiniteCoordinate => "non_finite_coordinate",
            Self::UnclosedRing => "unclosed_ring",
            Self::TooShortRing => "too_short_ring",
            Self::SelfIntersection => "self_intersection",
            Self::EmptyGeometry => "empty_geometry",
            Self::NotAPolygon => "not_a_polygon",
            Self::DuplicateId => "duplicate_id",
            Self::UnknownClassCode => "unknown_class_code",
            Self::BadValue => "bad_value",
            Self::UndecodableText => "undecodable_text",
            Self::Overlap => "overlap",
            Self::Gap => "gap",
            Self::Sliver => "sliver",
        }
    }
}

/// One problem with one feature (or field of a feature) of one layer.
///
/// Issues order by file, feature, kind, field and message (then layer and id): the order of
/// every list of issues redline prints or writes, whatever the order threads found them in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataIssue {
    /// The file it was read from.
    pub file: String,
    /// The layer (role or layer name).
    pub layer: String,
    /// The feature's 0-based position in the file, when the issue is about one feature.
    pub feature: Option<usize>,
    /// The feature's id, when it has one.
    pub id: Option<String>,
    /// The field involved, when there is one.
    pub field: Option<String>,
    /// What kind of problem.
    pub kind: IssueKind,
    /// A sentence for people.
    pub message: String,
}

impl DataIssue {
    fn key(&self) -> impl Ord + '_ {
        (
            &self.file,
            self.feature,
            self.kind,
            &self.field,
            &self.message,
            &self.layer,
            &self.id,
        )
    }
}

impl Ord for DataIssue {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl PartialOrd for DataIssue {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for DataIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if !self.layer.is_empty() {
            write!(f, " [layer {}]", self.layer)?;
        }
        if let Some(index) = self.feature {
            write!(f, " feature #{index}")?;
        }
        if let Some(id) = &self.id {
            write!(f, " (id {id})")?;
        }
        if let Some(field) = &self.field {
            write!(f, " field {field}")?;
        }
        write!(f, ": {}: {}", self.kind.name(), self.message)
    }
}
