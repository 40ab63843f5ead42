//! The Shapefile reader: .shp geometry and .dbf attributes in lockstep, the .cpg / language
//! driver / override encoding choice, and the .prj CRS.

use crate::collector::{Collector, Problem, BATCH};
use crate::dbf::DbfReader;
use crate::encoding::{self, DbfEncoding};
use crate::error::IngestError;
use crate::shp::ShpReader;
use crate::value::{Field, FieldType};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

fn open(path: &Path) -> Result<BufReader<File>, IngestError> {
    File::open(path)
        .map(|f| BufReader::with_capacity(1 << 20, f))
        .map_err(|e| IngestError::io(path, e))
}

/// The sibling of `path` with another extension, in either letter case.
fn sibling(path: &Path, ext: &str) -> Option<PathBuf> {
    [ext.to_ascii_lowercase(), ext.to_ascii_uppercase()]
        .into_iter()
        .map(|e| path.with_extension(e))
        .find(|p| p.exists())
}

fn dbf_type(kind: u8) -> FieldType {
    match kind {
        b'N' | b'F' | b'O' | b'I' | b'B' => FieldType::Number,
        b'L' => FieldType::Bool,
        _ => FieldType::Text,
    }
}

/// Reads a shapefile into `collector`; returns the .prj text and the encoding used.
pub(crate) fn read_shapefile(
    path: &Path,
    encoding_override: Option<&str>,
    collector: &mut Collector,
) -> Result<(Option<String>, DbfEncoding), IngestError> {
    let mut shapes = ShpReader::open(path, open(path)?)?;
    let dbf_path = sibling(path, "dbf").ok_or_else(|| IngestError::Dbf {
        path: path.with_extension("dbf"),
        record: None,
        field: None,
        message: "missing: a shapefile needs its .dbf".into(),
    })?;
    let forced = match encoding_override {
        Some(name) => Some(
            encoding::encoding_by_name(name)
                .ok_or_else(|| IngestError::UnknownEncoding(name.to_string()))?,
        ),
        None => None,
    };
    let cpg = sibling(path, "cpg").and_then(|p| std::fs::read_to_string(p).ok());
    // A .cpg that names an encoding redline does not know would otherwise fall through to the
    // language driver or UTF-8 and decode the text wrongly without a word.
    if let Some(name) = cpg.as_deref().map(str::trim) {
        if forced.is_none()
            && !encoding::names_none(name)
            && encoding::encoding_by_name(name).is_none()
        {
            return Err(IngestError::UnknownCpg {
                path: path.with_extension("cpg"),
                name: name.to_string(),
            });
        }
    }
    let choose = |ldid| encoding::choose(forced, cpg.as_deref(), ldid);
    let mut table = DbfReader::open(&dbf_path, open(&dbf_path)?, |ldid| choose(ldid).encoding)?;
    let chosen = choose(table.language_driver);
    collector.set_schema(
        table
            .fields
            .iter()
            .map(|f| Field {
                name: f.name.clone(),
                field_type: dbf_type(f.kind),
            })
            .collect(),
    );
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(geometry) = shapes.next_shape()? {
        let index = collector.count + batch.len();
        let record = table
            .next_record(chosen.encoding)?
            .ok_or_else(|| IngestError::Dbf {
                path: dbf_path.clone(),
                record: Some(index),
                field: None,
                message: format!("has {} records but the .shp has more shapes", table.records),
            })?;
        for field in record.undecodable {
            let message = format!(
                "text does not decode as {} (encoding from {}); set dbf_encoding / --dbf-encoding",
                chosen.encoding.name(),
                chosen.source
            );
            let kind = redline_geom::IssueKind::UndecodableText;
            collector.problems.push(Problem {
                index,
                id: None,
                field: Some(field),
                kind,
                message,
            });
        }
        for (field, text) in record.unparsable {
            collector.problems.push(Problem {
                index,
                id: None,
                field: Some(field),
                kind: redline_geom::IssueKind::BadValue,
                message: format!("{text:?} is not a number; the value is left empty"),
            });
        }
        batch.push((None, geometry, record.values));
        if batch.len() >= BATCH {
            collector.accept_batch(std::mem::take(&mut batch));
        }
    }
    collector.accept_batch(batch);
    let prj = sibling(path, "prj").and_then(|p| std::fs::read_to_string(p).ok());
    Ok((prj, chosen))
}
