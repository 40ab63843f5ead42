//! The Python module `redline._redline`: the county job of the `redline-job` crate, run with
//! the GIL released. The Python package (`redline/__init__.py`) builds on it.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use redline_job::{write_outputs, Job, Lang, LayerFormat, WriteOptions};
use redline_report::{report_json, JobEcho};
use std::path::Path;

create_exception!(
    _redline,
    EngineError,
    PyException,
    "A job that could not run: the message names the file, layer, feature and field."
);

/// Runs the job file at `path`; with `output`, writes every output there (`format`: geojson,
/// geoparquet or fgb; `lang`: zh or en). Returns report.json's text.
#[pyfunction]
#[pyo3(signature = (path, output=None, format="geojson", lang="zh"))]
fn run_job(
    py: Python<'_>,
    path: &str,
    output: Option<&str>,
    format: &str,
    lang: &str,
) -> PyResult<String> {
    let options = WriteOptions {
        lang: match lang {
            "en" => Lang::En,
            _ => Lang::Zh,
        },
        format: match format {
            "geoparquet" => LayerFormat::GeoParquet,
            "fgb" => LayerFormat::FlatGeobuf,
            _ => LayerFormat::GeoJson,
        },
        ..Default::default()
    };
    let (path, output) = (path.to_string(), output.map(str::to_string));
    // The engine runs without the GIL: other Python threads go on meanwhile.
    py.detach(move || run(&path, output.as_deref(), &options))
        .map_err(|e| EngineError::new_err(format!("{e:#}")))
}

fn run(path: &str, output: Option<&str>, options: &WriteOptions) -> anyhow::Result<String> {
    let job = Job::load(Path::new(path))?;
    let set = output
        .map(|o| job.output_set(Path::new(o), false))
        .transpose()?;
    let run = job.run(options, &())?;
    let file = job
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let echo = JobEcho {
        name: &job.name,
        file: &file,
        text: &job.text,
        settings: &run.settings,
    };
    let report = report_json(&echo, &run.outcome, &job.relative_issues(&run.issues));
    if let Some(set) = set {
        write_outputs(&job, &run, set, options)?;
    }
    Ok(report)
}

/// The module.
#[pymodule]
fn _redline(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run_job, m)?)?;
    m.add("EngineError", m.py().get_type::<EngineError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
