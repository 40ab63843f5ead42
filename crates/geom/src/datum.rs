//! The datum rules, in one leaf module both transformation engines (proj4rs in
//! [`crate::transform`], PROJ in `proj_engine`) read: WGS 84-like datums are one datum, a
//! local datum moves only with its `towgs84`, and how a CRS and its shift become a PROJ string.

use crate::{Crs, Helmert};

/// Why a transformation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TransformError {
    /// The transformation engine did not accept a CRS definition.
    #[error("cannot set up {crs}: {message}")]
    Setup {
        /// The CRS.
        crs: String,
        /// The engine's message.
        message: String,
    },
    /// The two CRSs are on different datums and nothing says how to shift between them.
    #[error("{from} and {to} are on different datums and no datum shift is known for {missing}: give its seven Helmert parameters (`towgs84 = \"dx,dy,dz,rx,ry,rz,ds\"` on the layer in the job, or +towgs84=… in a PROJ string){hint}")]
    NeedsDatumShift {
        /// Source CRS.
        from: String,
        /// Target CRS.
        to: String,
        /// The CRS whose shift to WGS 84 is missing.
        missing: String,
        /// What else could help.
        hint: &'static str,
    },
    /// A point could not be transformed (outside the projection's domain).
    #[error("cannot transform ({x}, {y}) from {from} to {to}: {message}")]
    Point {
        /// Source x.
        x: f64,
        /// Source y.
        y: f64,
        /// Source CRS.
        from: String,
        /// Target CRS.
        to: String,
        /// The engine's message.
        message: String,
    },
}

/// How the datums of a CRS pair are bridged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum DatumStep {
    /// The same datum (or two WGS 84-like ones): no shift.
    Same,
    /// Through WGS 84 with each side's Helmert parameters.
    Helmert {
        /// Source datum → WGS 84.
        from: Helmert,
        /// Target datum → WGS 84.
        to: Helmert,
    },
    /// Different datums and a side without parameters: only PROJ's database can bridge them.
    Database,
}

impl DatumStep {
    pub(crate) fn between(from: &Crs, to: &Crs) -> DatumStep {
        if from.shares_datum_with(to) {
            return DatumStep::Same;
        }
        match (from.shift_to_wgs84(), to.shift_to_wgs84()) {
            (Some(from), Some(to)) => DatumStep::Helmert { from, to },
            _ => DatumStep::Database,
        }
    }

    /// The shift each side's definition carries: both sides' for a Helmert step, none else.
    pub(crate) fn shifts(self) -> (Option<Helmert>, Option<Helmert>) {
        match self {
            DatumStep::Helmert { from, to } => (Some(from), Some(to)),
            DatumStep::Same | DatumStep::Database => (None, None),
        }
    }

    /// The error for a pair no engine here can bridge.
    pub(crate) fn missing(from: &Crs, to: &Crs, hint: &'static str) -> TransformError {
        let missing = if from.shift_to_wgs84().is_none() {
            from
        } else {
            to
        };
        TransformError::NeedsDatumShift {
            from: from.to_string(),
            to: to.to_string(),
            missing: missing.to_string(),
            hint,
        }
    }
}

/// A CRS as a PROJ string with the datum shift attached when the pair needs one (any shift the
/// definition already carries is replaced). Understood by proj4rs and PROJ alike.
pub(crate) fn proj_definition(crs: &Crs, shift: Option<Helmert>) -> Result<String, TransformError> {
    let base = crs.proj_string();
    let Some(shift) = shift else {
        return Ok(base);
    };
    if !base.trim_start().starts_with("+proj") {
        return Err(TransformError::Setup {
            crs: crs.to_string(),
            message: "a towgs84 shift needs the CRS as a PROJ string (+proj=…), not a code".into(),
        });
    }
    let mut parts: Vec<&str> = base
        .split_whitespace()
        .filter(|p| !p.trim_start_matches('+').starts_with("towgs84="))
        .collect();
    let param = shift.proj_param();
    parts.push(&param);
    Ok(parts.join(" "))
}
