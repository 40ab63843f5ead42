//! dBASE III (.dbf) attribute tables, read record by record with an explicit text encoding.
//!
//! Written here rather than taken from a crate so that text which does not decode can be
//! reported (never silently replaced) and every error names the record and field.

use crate::error::IngestError;
use crate::value::Value;
use encoding_rs::Encoding;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One column of a DBF table.
#[derive(Debug, Clone)]
pub(crate) struct DbfField {
    pub name: String,
    pub kind: u8,
    pub length: usize,
}

/// A DBF table opened for reading.
pub(crate) struct DbfReader<R> {
    path: PathBuf,
    reader: R,
    pub fields: Vec<DbfField>,
    pub records: usize,
    pub language_driver: u8,
    next: usize,
    buf: Vec<u8>,
}

/// A decoded record: the values and the names of fields whose text did not decode.
pub(crate) struct DbfRecord {
    pub values: Vec<Value>,
    /// Text fields that did not decode in the encoding.
    pub undecodable: Vec<String>,
    /// Number fields whose text is not a number (field, the text): left empty, reported.
    pub unparsable: Vec<(String, String)>,
}

/// How one field's bytes decoded.
#[derive(Debug, Clone, PartialEq)]
enum Decoded {
    /// As the field's type says.
    Fine,
    /// Text that does not decode in the encoding (shown with U+FFFD).
    Undecodable,
    /// A number field holding something else (`abc.de`, or `****` for a value too wide for
    /// the field): the value is lost, and a lost KCXS silently drops a deduction.
    NotANumber(String),
}

impl<R: Read> DbfReader<R> {
    /// Reads the header and field descriptors. Field names are decoded with `encoding`.
    pub fn open(
        path: &Path,
        mut reader: R,
        encoding: impl Fn(u8) -> &'static Encoding,
    ) -> Result<Self, IngestError> {
        let err = |message: String| IngestError::Dbf {
            path: path.to_path_buf(),
            record: None,
            field: None,
            message,
        };
        let mut head = [0u8; 32];
        reader
            .read_exact(&mut head)
            .map_err(|_| err("truncated header (under 32 bytes)".into()))?;
        let records = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
        let header_len = u16::from_le_bytes([head[8], head[9]]) as usize;
        let record_len = u16::from_le_bytes([head[10], head[11]]) as usize;
        let language_driver = head[29];
        if header_len < 33 || record_len == 0 {
            return Err(err(format!(
                "bad header: header length {header_len}, record length {record_len}"
            )));
        }
        let mut rest = vec![0u8; header_len - 32];
        reader
            .read_exact(&mut rest)
            .map_err(|_| err("truncated field descriptors".into()))?;
        let enc = encoding(language_driver);
        let fields = parse_descriptors(&rest, enc);
        let total: usize = 1 + fields.iter().map(|f| f.length).sum::<usize>();
        if total != record_len {
            return Err(err(format!(
                "field lengths add up to {total} bytes but records are {record_len}"
            )));
        }
        Ok(DbfReader {
            path: path.to_path_buf(),
            reader,
            fields,
            records,
            language_driver,
            next: 0,
            buf: vec![0; record_len],
        })
    }

    /// Reads the next record, decoding text with `encoding`.
    pub fn next_record(
        &mut self,
        encoding: &'static Encoding,
    ) -> Result<Option<DbfRecord>, IngestError> {
        if self.next >= self.records {
            return Ok(None);
        }
        let index = self.next;
        self.reader
            .read_exact(&mut self.buf)
            .map_err(|_| IngestError::Dbf {
                path: self.path.clone(),
                record: Some(index),
                field: None,
                message: format!("truncated: the header promises {} records", self.records),
            })?;
        self.next += 1;
        let mut values = Vec::with_capacity(self.fields.len());
        let (mut undecodable, mut unparsable) = (Vec::new(), Vec::new());
        let mut at = 1; // byte 0 is the deletion flag; deleted rows still pair with their shapes
        for field in &self.fields {
            let raw = &self.buf[at..at + field.length];
            at += field.length;
            let (value, decoded) = decode_value(field.kind, raw, encoding);
            match decoded {
                Decoded::Fine => {}
                Decoded::Undecodable => undecodable.push(field.name.clone()),
                Decoded::NotANumber(text) => unparsable.push((field.name.clone(), text)),
            }
            values.push(value);
        }
        Ok(Some(DbfRecord {
            values,
            undecodable,
            unparsable,
        }))
    }
}

fn parse_descriptors(bytes: &[u8], encoding: &'static Encoding) -> Vec<DbfField> {
    bytes
        .chunks_exact(32)
        .take_while(|d| d[0] != 0x0D)
        .map(|d| {
            let name_end = d[..11].iter().position(|&b| b == 0).unwrap_or(11);
            let (name, _, _) = encoding.decode(&d[..name_end]);
            DbfField {
                name: name.trim().to_string(),
                kind: d[11],
                length: d[16] as usize,
            }
        })
        .collect()
}

/// Decodes one field, saying whether it decoded as its type says.
fn decode_value(kind: u8, raw: &[u8], encoding: &'static Encoding) -> (Value, Decoded) {
    let trimmed = trim(raw);
    match kind {
        b'N' | b'F' | b'O' | b'I' | b'B' => {
            let text = String::from_utf8_lossy(trimmed);
            let text = text.trim();
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => (Value::Number(v), Decoded::Fine),
                _ if text.is_empty() => (Value::Null, Decoded::Fine),
                _ => (Value::Null, Decoded::NotANumber(text.to_string())),
            }
        }
        b'L' => (
            match trimmed.first() {
                Some(b'T' | b't' | b'Y' | b'y') => Value::Bool(true),
                Some(b'F' | b'f' | b'N' | b'n') => Value::Bool(false),
                _ => Value::Null,
            },
            Decoded::Fine,
        ),
        _ if trimmed.is_empty() => (Value::Null, Decoded::Fine),
        _ => match encoding.decode_without_bom_handling_and_without_replacement(trimmed) {
            Some(text) => (Value::Text(text.as_ref().into()), Decoded::Fine),
            None => {
                let (lossy, _) = encoding.decode_without_bom_handling(trimmed);
                (Value::Text(lossy.as_ref().into()), Decoded::Undecodable)
            }
        },
    }
}

fn trim(raw: &[u8]) -> &[u8] {
    let start = raw
        .iter()
        .position(|&b| b != b' ' && b != 0)
        .unwrap_or(raw.len());
    let end = raw
        .iter()
        .rposition(|&b| b != b' ' && b != 0)
        .map_or(start, |e| e + 1);
    &raw[start..end.max(start)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{GBK, UTF_8};

    #[test]
    fn values_by_type() {
        assert_eq!(
            decode_value(b'N', b"   12.50", UTF_8).0,
            Value::Number(12.5)
        );
        assert_eq!(
            decode_value(b'N', b"        ", UTF_8),
            (Value::Null, Decoded::Fine)
        );
        // Text in a number field, and the stars of a value too wide for it: lost, reported.
        assert_eq!(
            decode_value(b'N', b"  abc.de", UTF_8),
            (Value::Null, Decoded::NotANumber("abc.de".into()))
        );
        assert_eq!(
            decode_value(b'N', b"********", UTF_8),
            (Value::Null, Decoded::NotANumber("********".into()))
        );
        assert_eq!(decode_value(b'L', b"T", UTF_8).0, Value::Bool(true));
        assert_eq!(
            decode_value(b'C', b"0101      ", UTF_8).0,
            Value::Text("0101".into())
        );
        // "基本农田" in GBK.
        let gbk = [0xBB, 0xF9, 0xB1, 0xBE, 0xC5, 0xA9, 0xCC, 0xEF];
        assert_eq!(
            decode_value(b'C', &gbk, GBK),
            (Value::Text("基本农田".into()), Decoded::Fine)
        );
        let (v, decoded) = decode_value(b'C', &gbk, UTF_8);
        assert_eq!(decoded, Decoded::Undecodable);
        assert!(v.as_text().unwrap().contains('\u{fffd}'));
    }
}
