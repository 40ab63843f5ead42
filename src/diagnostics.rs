//! Machine-readable diagnostics: `--issues FILE.jsonl` (run, check) and `check --json`. One
//! JSON object per line with stable fields — `severity` (`data_issue` or `error`), `kind`,
//! `file`, `layer`, `feature`, `id`, `field`, `message` — every data issue, then the error
//! that stopped the command, if one did.

use crate::cli::Command;
use redline_geom::DataIssue;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Mutex;

/// Where the lines go.
pub(crate) enum Destination {
    /// A file, written atomically when the command ends.
    File(PathBuf),
    /// Standard output (`check --json`).
    Stdout,
}

/// The issues the command found, kept for the lines written when it ends.
static ISSUES: Mutex<Vec<DataIssue>> = Mutex::new(Vec::new());

/// Where the command asked for diagnostics, if it did.
pub(crate) fn destination(command: &Command) -> Option<Destination> {
    match command {
        Command::Run(args) => args.issues.clone().map(Destination::File),
        Command::Check(args) if args.json => Some(Destination::Stdout),
        Command::Check(args) => args.issues.clone().map(Destination::File),
        _ => None,
    }
}

/// Keeps the command's data issues for [`write`].
pub(crate) fn record(issues: &[DataIssue]) {
    if let Ok(mut kept) = ISSUES.lock() {
        kept.extend_from_slice(issues);
    }
}

/// An issue as report.json lists it, marked as a data issue.
fn issue_line(i: &DataIssue) -> Value {
    let mut line = redline_report::issue_json(i);
    line["severity"] = json!("data_issue");
    line
}

/// The error as a line: the file and feature where a reader's error names them.
fn error_line(err: &anyhow::Error) -> Value {
    let ingest = err
        .chain()
        .find_map(|e| e.downcast_ref::<redline_ingest::IngestError>());
    json!({
        "severity": "error", "kind": "error",
        "file": ingest.and_then(|e| e.path()).map(|p| p.display().to_string()),
        "layer": ingest.and_then(|e| e.layer()),
        "feature": ingest.and_then(|e| e.feature()),
        "id": null, "field": ingest.and_then(|e| e.field()),
        "message": format!("{err:#}"),
    })
}

/// The JSON Lines text: every recorded issue, then the error.
fn lines(error: Option<&anyhow::Error>) -> String {
    let issues = ISSUES.lock().map(|i| i.clone()).unwrap_or_default();
    let mut text = String::new();
    for line in issues.iter().map(issue_line).chain(error.map(error_line)) {
        text.push_str(&line.to_string());
        text.push('\n');
    }
    text
}

/// Writes the lines where they were asked for.
pub(crate) fn write(
    destination: &Destination,
    error: Option<&anyhow::Error>,
) -> std::io::Result<()> {
    let text = lines(error);
    match destination {
        Destination::File(path) => redline_report::write_atomic(path, text.as_bytes()),
        Destination::Stdout => {
            use std::io::Write as _;
            std::io::stdout().write_all(text.as_bytes())
        }
    }
}
