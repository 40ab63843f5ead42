//! GeoJSON FeatureCollection and GeoJSONSeq readers.
//!
//! The FeatureCollection is split into features by a byte scanner ([`crate::scan`]); features
//! are copied out in chunks of [`BATCH`], and while one chunk is parsed and validated in
//! parallel, the chunk before it is taken into the layer and the scanner finds the next. The
//! file text is read once, in blocks, and never held whole: memory holds a block, two chunks of
//! text, a parsed chunk waiting to be taken, and the geometry read so far.
//!
//! Most files hold a feature per line, and the scanner first guesses that (one newline search
//! per feature instead of a walk over its quotes and braces: 6 % of a job's instructions). A
//! chunk is taken only when every guessed feature parsed; otherwise it is scanned again
//! without guessing, so a file gives the same features or the same error either way.

use crate::collector::{Collector, Converted, Converter, Rows, Schema, BATCH};
use crate::error::IngestError;
use crate::geojson::{crs_name, parse_feature, ParseError};
use crate::scan::{ScanError, Scanner};
use crate::value::Value;
use rayon::prelude::*;
use redline_geom::TextHint;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;

/// What a FeatureCollection said about itself.
#[derive(Debug, Default)]
pub(crate) struct Declared {
    pub crs: Option<String>,
    pub name: Option<String>,
}

struct Parsed {
    id: Option<compact_str::CompactString>,
    converted: Converted,
    /// Named values the schema did not know when the feature was parsed.
    extras: Vec<(String, Value)>,
}

/// Parses features, each text a Feature object, in parallel: their values into `rows`.
fn parse_into<'t>(
    texts: impl IndexedParallelIterator<Item = &'t [u8]>,
    schema: &Schema,
    converter: &Converter,
    rows: &mut Rows,
) -> Vec<Result<Parsed, ParseError>> {
    rows.reset(schema, texts.len());
    texts
        .zip(rows.rows_mut())
        // A hint for each run of features parsed in order (`map_init` makes one a task).
        .map_init(TextHint::default, |hint, (text, row)| {
            let raw = parse_feature(text, schema.arranger(row), converter.prints(hint))?;
            let mut converted = converter.convert(raw.geometry);
            converted.print = raw.print;
            Ok(Parsed {
                id: raw.id,
                converted,
                extras: raw.properties.finish(),
            })
        })
        .collect()
}

/// Takes parsed features (their values in `rows`) into the collector in order, up to the
/// first that did not parse: the `i`-th one's parse error becomes the read's error by
/// `error(i, collector, e)`.
fn take_parsed(
    collector: &mut Collector,
    rows: &mut Rows,
    parsed: Vec<Result<Parsed, ParseError>>,
    error: impl Fn(usize, &Collector, ParseError) -> IngestError,
) -> Result<(), IngestError> {
    for (i, result) in parsed.into_iter().enumerate() {
        let p = result.map_err(|e| error(i, collector, e))?;
        collector.accept_named(p.id, p.converted, rows.take(i), p.extras);
    }
    Ok(())
}

/// Line and column (1-based) of a byte offset, found by reading the file again: only error
/// messages need them, so the fast path never counts lines.
fn line_col(path: &Path, offset: u64) -> (usize, usize) {
    let Ok(file) = File::open(path) else {
        return (0, 0);
    };
    let mut prefix = Vec::new();
    if file.take(offset).read_to_end(&mut prefix).is_err() {
        return (0, 0);
    }
    let line = prefix.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = prefix.len()
        - prefix
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    (line, col)
}

fn json_error(
    path: &Path,
    what: &'static str,
    feature: usize,
    (line, column): (usize, usize),
    message: String,
) -> IngestError {
    IngestError::Json {
        path: path.to_path_buf(),
        what,
        feature: Some(feature),
        line,
        column,
        message,
    }
}

/// A parse error inside a feature, at (line, column) of the file.
fn feature_error(path: &Path, feature: usize, at: (usize, usize), e: ParseError) -> IngestError {
    let what = if e.eof {
        "truncated file"
    } else {
        "malformed JSON"
    };
    json_error(path, what, feature, at, e.message)
}

/// Consecutive features copied out of the read buffer.
struct Chunk {
    bytes: Vec<u8>,
    /// File offset of `bytes[0]`.
    offset: u64,
    ranges: Vec<Range<usize>>,
    /// Whether some ranges are [`Scanner::line_object`]'s guesses (to be scanned again
    /// unless all parse).
    guessed: bool,
    /// Whether a scan error ended the chunk after a guess.
    stopped: bool,
}

/// A chunk's features as parsed, waiting to be taken into the collector.
struct ParsedChunk {
    /// File offset of the chunk's first byte.
    offset: u64,
    /// Each feature's bytes in the chunk.
    ranges: Vec<Range<usize>>,
    rows: Rows,
    parsed: Vec<Result<Parsed, ParseError>>,
}

impl Chunk {
    fn parse(
        &self,
        schema: &Schema,
        converter: &Converter,
        rows: &mut Rows,
    ) -> Vec<Result<Parsed, ParseError>> {
        let texts = self.ranges.par_iter().map(|r| &self.bytes[r.clone()]);
        parse_into(texts, schema, converter, rows)
    }
}

/// What taking parsed features into the collector needs of the file read: its path (for
/// errors) and its size (for the estimate of the features to come). A value of its own, copied
/// out of the [`Reader`], so that one chunk is taken while the reader scans the next.
#[derive(Clone, Copy)]
struct Source<'a> {
    path: &'a Path,
    file_len: u64,
}

impl Source<'_> {
    /// Takes a parsed chunk's features into the collector, in order, up to the first that did
    /// not parse (its error is the read's); gives back the chunk's value table for reuse.
    fn take(
        &self,
        collector: &mut Collector,
        chunk: Option<ParsedChunk>,
    ) -> Result<Option<Rows>, IngestError> {
        let Some(mut chunk) = chunk else {
            return Ok(None);
        };
        let ranges = &chunk.ranges;
        let first = collector.count == 0;
        take_parsed(
            collector,
            &mut chunk.rows,
            chunk.parsed,
            |i, collector, e| {
                let at = chunk.offset + (ranges[i].start + e.offset) as u64;
                feature_error(self.path, collector.count, line_col(self.path, at), e)
            },
        )?;
        if first {
            // After the first chunk: the columns exist by now.
            collector.expect_more(self.features_after(chunk.offset, &chunk.ranges));
        }
        Ok(Some(chunk.rows))
    }

    /// About how many features follow a chunk at file offset `offset` (its features at `ranges`
    /// in it), from its bytes per feature and the file's bytes left, and 5 % more: a guess that
    /// lets the layer's vectors grow once rather than double their way up, each doubling a copy
    /// of every row into freshly faulted pages. A wrong guess costs only that.
    fn features_after(&self, offset: u64, ranges: &[Range<usize>]) -> usize {
        let (Some(first), Some(last)) = (ranges.first(), ranges.last()) else {
            return 0;
        };
        let per_feature = (last.end - first.start) as f64 / ranges.len() as f64;
        let left = self.file_len.saturating_sub(offset + last.end as u64) as f64;
        (1.05 * left / per_feature.max(1.0)) as usize
    }
}

struct Reader<'a> {
    /// The file's path (for errors) and size (for the estimate of the features to come).
    source: Source<'a>,
    scanner: Scanner<File>,
    /// Features scanned so far: the index of the next one.
    scanned: usize,
    /// The closing `]` of `features` has been read.
    done: bool,
    /// A chunk buffer given back after parsing, reused for the next copy.
    spare: Vec<u8>,
    /// Whether features are still guessed one per line (off once a chunk had to be scanned
    /// again).
    guess: bool,
}

impl Reader<'_> {
    fn scan_error(&self, e: ScanError) -> IngestError {
        match e {
            ScanError::Io(e) => IngestError::io(self.source.path, e),
            ScanError::NotFeatures(found) => IngestError::NotFeatures {
                path: self.source.path.to_path_buf(),
                found,
            },
            ScanError::Feature(e) => *e,
            ScanError::Truncated { offset } => json_error(
                self.source.path,
                "truncated file",
                self.scanned,
                line_col(self.source.path, offset),
                "the file ends inside a value".into(),
            ),
            ScanError::Unexpected {
                offset,
                found,
                expected,
            } => json_error(
                self.source.path,
                "malformed JSON",
                self.scanned,
                line_col(self.source.path, offset),
                format!("found {found:?} where one of {expected:?} belongs"),
            ),
        }
    }

    /// Scans up to [`BATCH`] features and copies them out; `None` once `]` was read.
    fn scan_chunk(&mut self) -> Result<Option<Chunk>, ScanError> {
        if self.done {
            return Ok(None);
        }
        let mut ranges = Vec::with_capacity(BATCH);
        let (mut guessed, mut stopped) = (false, false);
        while ranges.len() < BATCH {
            match self.scan_feature(&mut ranges) {
                Ok((more, guess)) => {
                    guessed |= guess;
                    if !more {
                        break;
                    }
                }
                // After a guess the error may be the guess's doing: the chunk is scanned again.
                Err(_) if guessed => {
                    (stopped, self.done) = (true, true);
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        let (start, end) = (ranges[0].start, ranges[ranges.len() - 1].end);
        let mut bytes = std::mem::take(&mut self.spare);
        bytes.clear();
        bytes.extend_from_slice(self.scanner.slice(&(start..end)));
        self.scanner.release();
        let ranges = ranges
            .into_iter()
            .map(|r| (r.start - start) as usize..(r.end - start) as usize)
            .collect();
        Ok(Some(Chunk {
            bytes,
            offset: start,
            ranges,
            guessed,
            stopped,
        }))
    }

    /// Scans one feature into `ranges`, guessed from its line where guessing is on: whether
    /// more follow (false once the closing `]` was read), and whether it was guessed.
    fn scan_feature(&mut self, ranges: &mut Vec<Range<u64>>) -> Result<(bool, bool), ScanError> {
        if self.guess {
            if let Some(range) = self.scanner.line_object()? {
                // The guess consumed its comma.
                self.scanner.hold(range.start);
                ranges.push(range);
                self.scanned += 1;
                return Ok((true, true));
            }
        }
        let range = self.scanner.value()?;
        self.scanner.hold(range.start);
        ranges.push(range);
        self.scanned += 1;
        let more = self.scanner.expect(",]")? == b',';
        self.done = !more;
        Ok((more, false))
    }

    /// Reads the features: while one chunk is parsed in parallel, the one before it is taken
    /// into the collector and the one after it scanned (taking and scanning are serial; done
    /// one after the other they left a core idle for a third of the read).
    fn features(&mut self, collector: &mut Collector) -> Result<(), IngestError> {
        let mut current = (|| {
            self.scanner.expect("[")?;
            if self.scanner.peek()? == Some(b']') {
                self.scanner.expect("]")?;
                self.done = true;
            }
            self.scan_chunk()
        })();
        let mut waiting: Option<ParsedChunk> = None;
        // Two value tables in turn: one for the chunk parsed, one for the chunk taken.
        let mut spare_rows = Rows::default();
        loop {
            let chunk = match current {
                Ok(Some(chunk)) => chunk,
                Ok(None) => return self.source.take(collector, waiting).map(drop),
                Err(e) => {
                    self.source.take(collector, waiting)?;
                    return Err(self.scan_error(e));
                }
            };
            // Arranged by the schema as it was: names the chunk before adds are placed when
            // taken (`accept_named`), so the fields and their order are the same.
            let schema = collector.schema.clone();
            let converter = collector.converter.clone();
            let mut rows = std::mem::take(&mut spare_rows);
            let source = self.source;
            let (parsed, (took, next)) = rayon::join(
                || chunk.parse(&schema, &converter, &mut rows),
                // Taking and scanning apart too: where the parse is quick (basic farmland
                // found by its texts) the two one after the other were the read's longest
                // path (the two cores busy 70 % of the 1M county's basic-farmland read).
                || {
                    rayon::join(
                        || source.take(collector, waiting.take()),
                        || self.scan_chunk(),
                    )
                },
            );
            spare_rows = took?.unwrap_or_default();
            let Chunk {
                bytes,
                offset,
                ranges,
                guessed,
                stopped,
            } = chunk;
            self.spare = bytes;
            // A chunk with guesses is taken only when every feature parsed and the scan did
            // not stop: then each guess was right (it parsed as one object, which a scan ends
            // where it did). Otherwise the chunk is scanned again without guessing, and the
            // file gives the error it gives when nothing is guessed.
            if guessed && (stopped || parsed.iter().any(Result::is_err)) {
                spare_rows = rows;
                self.rescan_from(offset, collector.count)?;
                current = self.scan_chunk();
                continue;
            }
            waiting = Some(ParsedChunk {
                offset,
                ranges,
                rows,
                parsed,
            });
            current = next;
        }
    }

    /// Scans again from file offset `start`, where feature `index` begins, without guessing.
    fn rescan_from(&mut self, start: u64, index: usize) -> Result<(), IngestError> {
        let mut file =
            File::open(self.source.path).map_err(|e| IngestError::io(self.source.path, e))?;
        file.seek(SeekFrom::Start(start))
            .map_err(|e| IngestError::io(self.source.path, e))?;
        self.scanner = Scanner::starting_at(file, start);
        self.scanned = index;
        self.done = false;
        self.guess = false;
        Ok(())
    }

    fn small_value(&mut self) -> Result<serde_json::Value, ScanError> {
        let range = self.scanner.value()?;
        serde_json::from_slice(self.scanner.slice(&range)).map_err(|e| ScanError::Unexpected {
            offset: range.start,
            found: self
                .scanner
                .slice(&range)
                .first()
                .map_or(' ', |&b| b as char),
            expected: if e.is_eof() {
                "a complete value"
            } else {
                "a JSON value"
            },
        })
    }

    fn collection(&mut self, collector: &mut Collector) -> Result<Declared, ScanError> {
        let mut declared = Declared::default();
        let mut saw_features = false;
        self.scanner.expect("{")?;
        if self.scanner.peek()? == Some(b'}') {
            self.scanner.expect("}")?;
        } else {
            loop {
                let key = self.small_value()?;
                self.scanner.expect(":")?;
                match key.as_str() {
                    Some("features") => {
                        self.features(collector)
                            .map_err(|e| ScanError::Feature(Box::new(e)))?;
                        saw_features = true;
                    }
                    Some("type") => {
                        let kind = self.small_value()?;
                        if kind != "FeatureCollection" {
                            return Err(ScanError::NotFeatures(format!("type is {kind}")));
                        }
                    }
                    Some("crs") => declared.crs = crs_name(&self.small_value()?),
                    Some("name") => declared.name = self.small_value()?.as_str().map(String::from),
                    _ => {
                        self.scanner.value()?;
                    }
                }
                if self.scanner.expect(",}")? == b'}' {
                    break;
                }
            }
        }
        if let Some(b) = self.scanner.peek()? {
            return Err(ScanError::Unexpected {
                offset: self.scanner.offset(),
                found: b as char,
                expected: "the end of the file",
            });
        }
        if !saw_features {
            return Err(ScanError::NotFeatures("no \"features\" member".into()));
        }
        Ok(declared)
    }
}

/// Reads a FeatureCollection into `collector`.
pub(crate) fn read_collection(
    path: &Path,
    collector: &mut Collector,
) -> Result<Declared, IngestError> {
    read_guessing(path, collector, true)
}

/// [`read_collection`], guessing a feature per line or not (the tests compare the two).
fn read_guessing(
    path: &Path,
    collector: &mut Collector,
    guess: bool,
) -> Result<Declared, IngestError> {
    let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
    let file_len = file.metadata().map_or(0, |m| m.len());
    let mut reader = Reader {
        source: Source { path, file_len },
        scanner: Scanner::new(file),
        scanned: 0,
        done: false,
        spare: Vec::new(),
        guess,
    };
    reader
        .collection(collector)
        .map_err(|e| reader.scan_error(e))
}

/// Reads GeoJSONSeq (one Feature per line, optionally RFC 8142 record separators).
pub(crate) fn read_seq(path: &Path, collector: &mut Collector) -> Result<(), IngestError> {
    let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut lines: Vec<(usize, Vec<u8>)> = Vec::with_capacity(BATCH);
    let mut rows = Rows::default();
    let mut number = 0;
    loop {
        let mut line = Vec::new();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| IngestError::io(path, e))?;
        number += 1;
        let text = line.strip_prefix(b"\x1e").unwrap_or(&line).trim_ascii();
        if !text.is_empty() {
            lines.push((number, text.to_vec()));
        }
        if lines.len() >= BATCH || (n == 0 && !lines.is_empty()) {
            let texts = lines.par_iter().map(|(_, t)| t.as_slice());
            let parsed = parse_into(texts, &collector.schema, &collector.converter, &mut rows);
            take_parsed(collector, &mut rows, parsed, |i, collector, e| {
                feature_error(path, collector.count, (lines[i].0, e.offset + 1), e)
            })?;
            lines.clear();
        }
        if n == 0 {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything a read gives: the features, their values and problems, or the error.
    fn outcome(path: &Path, guess: bool) -> String {
        let mut c = Collector::inferring(None);
        match read_guessing(path, &mut c, guess) {
            Ok(declared) => {
                let problems: Vec<_> = c
                    .problems
                    .iter()
                    .map(|p| (p.index, &p.id, &p.field, p.kind, &p.message))
                    .collect();
                format!(
                    "{declared:?} {:?} {:?} {problems:?} {}",
                    c.features, c.attributes, c.count
                )
            }
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn a_repeated_properties_member_replaces_the_earlier_one() {
        // As a JSON object's repeated key does in most readers (the last one wins): feature 0
        // has only b = "y", feature 1 no properties — `a` is never a field.
        let text = concat!(
            r#"{"type":"FeatureCollection","features":["#,
            r#"{"type":"Feature","properties":{"a":1,"b":"x"},"properties":{"b":"y"},"#,
            r#""geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}},"#,
            r#"{"type":"Feature","properties":{"a":2},"properties":null,"#,
            r#""geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]}"#
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("layer.geojson");
        std::fs::write(&path, text).unwrap();
        let mut c = Collector::inferring(None);
        read_collection(&path, &mut c).unwrap();
        c.finish();
        let names: Vec<&str> = c.schema.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["b"]);
        assert_eq!(
            c.attributes.row(0).to_vec(),
            [crate::Value::Text("y".into())]
        );
        assert_eq!(c.attributes.row(1).to_vec(), [crate::Value::Null]);
    }

    #[test]
    fn guessing_a_feature_per_line_changes_no_outcome() {
        // Valid files read alike; so do files broken in every way the mutator knows: the same
        // features, or the same error naming the same feature, line and column.
        let base = concat!(
            r#"{"type":"FeatureCollection","name":"DLTB","features":["#,
            "\n",
            r#"{"type":"Feature","id":7,"properties":{"BSM":"1},","n":[1,{"a":null}]},"geometry":{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[2,2],[2,4],[4,4],[4,2],[2,2]]]}},"#,
            "\n",
            r#"{"type":"Feature","properties":{"BSM":"2\"}"},"geometry":{"type":"MultiPolygon","coordinates":[[[[10,0],[20,0],[20,10],[10,0]]],[[[30,0],[40,0],[35,5],[30,0]]]]}},"#,
            "\r\n",
            r#"{"type":"Feature","properties":{"BSM":"3"},"geometry":{"type":"Polygon","coordinates":[[[0,10],[10,20],[0,20],[10,10],[0,10]]]}}"#,
            "\n]}\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("layer.geojson");
        std::fs::write(&path, base).unwrap();
        let valid = outcome(&path, true);
        assert!(
            valid.starts_with("Declared") && valid.contains("index: 2,"),
            "{valid}"
        );
        assert_eq!(valid, outcome(&path, false));
        let mut rng = redline_testkit::Rng(17);
        let (mut read, mut refused) = (0, 0);
        for case in 0..3000 {
            let text = redline_testkit::mutate(&mut rng, base.as_bytes());
            std::fs::write(&path, &text).unwrap();
            let guessed = outcome(&path, true);
            assert_eq!(guessed, outcome(&path, false), "case {case}");
            match guessed.starts_with("error") {
                true => refused += 1,
                false => read += 1,
            }
        }
        // Both kinds of outcome were compared, many times.
        assert!(
            read > 100 && refused > 1000,
            "{read} read, {refused} refused"
        );
    }
}
