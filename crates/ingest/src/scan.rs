//! A byte scanner over a FeatureCollection that finds where each feature's text starts and
//! ends, so that features can be parsed in parallel straight from the read buffer.
//!
//! The file is read in blocks; a feature that straddles a block boundary is moved to the front
//! of the buffer before the next read, so memory holds one block plus the features being
//! parsed, never the whole text. The scanner only matches brackets outside strings; the JSON
//! inside each feature is checked by serde_json when the feature is parsed.

use std::io::Read;
use std::ops::Range;

const BLOCK: usize = 8 << 20;

/// What went wrong while scanning, with the byte offset in the file.
#[derive(Debug)]
pub(crate) enum ScanError {
    Io(std::io::Error),
    /// The file ended inside a value.
    Truncated {
        offset: u64,
    },
    /// A byte that does not belong there.
    Unexpected {
        offset: u64,
        found: char,
        expected: &'static str,
    },
    /// Valid JSON that is not a FeatureCollection.
    NotFeatures(String),
    /// A feature failed to parse (the reader's own error, passed through).
    Feature(Box<crate::IngestError>),
}

/// A buffered reader of JSON structure. Positions it returns are file offsets.
pub(crate) struct Scanner<R> {
    reader: R,
    buf: Vec<u8>,
    /// Index in `buf` of the next byte to look at.
    pos: usize,
    /// File offset of `buf[0]`.
    base: u64,
    /// The first file offset that must stay buffered (set while ranges are pending).
    held: Option<u64>,
    block: usize,
    eof: bool,
    /// Where [`Scanner::line_object`] last looked for the end of a line.
    newline: Newline,
}

impl<R: Read> Scanner<R> {
    pub fn new(reader: R) -> Self {
        Self::with_block(reader, BLOCK)
    }

    /// A scanner over a reader already moved to file offset `offset` (positions it returns
    /// stay file offsets).
    pub fn starting_at(reader: R, offset: u64) -> Self {
        Scanner {
            base: offset,
            ..Self::new(reader)
        }
    }

    /// A scanner reading `block` bytes at a time (tests use tiny blocks to cross boundaries).
    pub fn with_block(reader: R, block: usize) -> Self {
        Scanner {
            reader,
            buf: Vec::new(),
            pos: 0,
            base: 0,
            held: None,
            block: block.max(1),
            eof: false,
            newline: Newline::NoneBefore(0),
        }
    }

    /// Keeps everything from file offset `from` buffered until [`Scanner::release`].
    pub fn hold(&mut self, from: u64) {
        self.held.get_or_insert(from);
    }

    /// Lets held bytes go.
    pub fn release(&mut self) {
        self.held = None;
    }

    /// The bytes of a range returned by [`Scanner::value`] (still buffered while held).
    pub fn slice(&self, range: &Range<u64>) -> &[u8] {
        &self.buf[(range.start - self.base) as usize..(range.end - self.base) as usize]
    }

    /// The file offset of the next byte.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Reads another block, dropping buffered bytes before `needed` (and before any held
    /// offset). Returns false at the end of the file.
    fn refill(&mut self, needed: u64) -> Result<bool, ScanError> {
        if self.eof {
            return Ok(false);
        }
        let keep_from = self.held.map_or(needed, |h| h.min(needed));
        let drop = (keep_from - self.base) as usize;
        self.buf.drain(..drop);
        self.base = keep_from;
        self.pos -= drop;
        let old = self.buf.len();
        // Read into the spare capacity (`read_to_end` retries interruptions): a block zeroed
        // first was a second pass over every byte of the file.
        self.buf.reserve(self.block);
        (&mut self.reader)
            .take(self.block as u64)
            .read_to_end(&mut self.buf)
            .map_err(ScanError::Io)?;
        let filled = self.buf.len();
        if filled - old < self.block {
            self.eof = true;
        }
        if self.base == 0 && old == 0 && self.buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
            self.pos = 3; // a UTF-8 byte-order mark
        }
        Ok(filled > old)
    }

    /// The next non-whitespace byte, without consuming it; `None` at the end of the file.
    pub fn peek(&mut self) -> Result<Option<u8>, ScanError> {
        loop {
            if self.pos >= self.buf.len() && !self.refill(self.offset())? {
                return Ok(None);
            }
            let b = self.buf[self.pos];
            if !b.is_ascii_whitespace() {
                return Ok(Some(b));
            }
            self.pos += 1;
        }
    }

    /// Consumes the next non-whitespace byte, which must be one of `expected`.
    pub fn expect(&mut self, expected: &'static str) -> Result<u8, ScanError> {
        match self.peek()? {
            Some(b) if expected.as_bytes().contains(&b) => {
                self.pos += 1;
                Ok(b)
            }
            Some(b) => Err(ScanError::Unexpected {
                offset: self.offset(),
                found: b as char,
                expected,
            }),
            None => Err(ScanError::Truncated {
                offset: self.offset(),
            }),
        }
    }

    /// A guess at the next array element without scanning it: when the element starts with `{`
    /// and its line (up to a newline already buffered) ends with `}` and a `,`, the range of
    /// that object, with the comma consumed. Files written by GDAL, QGIS and GeoPandas put
    /// one feature on each line, so this is one `memchr` per feature instead of a walk over
    /// its quotes and braces. A raw newline is never inside a JSON string, so the guess starts
    /// and ends outside strings; it is right exactly when the range parses as one object
    /// (the caller checks, and scans the features again with [`Scanner::value`] from the
    /// start of a batch with a guess that did not parse). `None` when the line does not look
    /// like that (nothing consumed).
    pub fn line_object(&mut self) -> Result<Option<Range<u64>>, ScanError> {
        if self.peek()? != Some(b'{') {
            return Ok(None);
        }
        let Some(newline) = self.next_newline() else {
            return Ok(None);
        };
        let [body @ .., b'}', b','] = self.buf[self.pos..newline].trim_ascii_end() else {
            return Ok(None);
        };
        let end = body.len() + 1;
        let start = self.offset();
        self.pos += end + 1;
        Ok(Some(start..start + end as u64))
    }

    /// The index in `buf` of the first newline at or after `pos`, if one is buffered. A search
    /// is not repeated: a newline found ahead serves every feature before it (several on one
    /// line), and where none was found the next search starts at the end of the last, so a
    /// file on one line is searched once.
    fn next_newline(&mut self) -> Option<usize> {
        let at = self.offset();
        let end = self.base + self.buf.len() as u64;
        let searched = match self.newline {
            Newline::At(n) if n >= at => return Some((n - self.base) as usize),
            Newline::NoneBefore(n) if n > at => n,
            _ => at,
        };
        let from = (searched - self.base) as usize;
        let found = memchr::memchr(b'\n', &self.buf[from..]).map(|i| from + i);
        self.newline = match found {
            Some(i) => Newline::At(self.base + i as u64),
            None => Newline::NoneBefore(end),
        };
        found
    }

    /// Scans one JSON value starting at the next non-whitespace byte; returns its file range.
    pub fn value(&mut self) -> Result<Range<u64>, ScanError> {
        let Some(first) = self.peek()? else {
            return Err(ScanError::Truncated {
                offset: self.offset(),
            });
        };
        let start = self.offset();
        let mut state = ValueState::new(first);
        loop {
            if let Some(used) = state.advance(&self.buf[self.pos..]) {
                self.pos += used;
                return Ok(start..self.offset());
            }
            self.pos = self.buf.len();
            if !self.refill(start)? {
                if state.is_scalar_complete() {
                    return Ok(start..self.offset());
                }
                return Err(ScanError::Truncated {
                    offset: self.offset(),
                });
            }
        }
    }
}

/// What the last search for a newline found (file offsets).
#[derive(Clone, Copy)]
enum Newline {
    /// A newline here.
    At(u64),
    /// None in the bytes before this offset, from where the search started.
    NoneBefore(u64),
}

/// Incremental state of a value scan: the depth of the value's own bracket kind and whether
/// inside a string. JSON nests properly, so an object ends where `{`/`}` balance, whatever
/// arrays it holds, and an array where `[`/`]` balance: only three bytes matter outside strings,
/// which memchr finds with SIMD (coordinates, most of a file, are skipped wholesale).
struct ValueState {
    open: u8,
    close: u8,
    depth: usize,
    in_string: bool,
    escaped: bool,
    scalar: bool,
    started: bool,
}

impl ValueState {
    fn new(first: u8) -> Self {
        let (open, close, scalar) = match first {
            b'{' => (b'{', b'}', false),
            b'[' => (b'[', b']', false),
            b'"' => (0, 0, false),
            _ => (0, 0, true),
        };
        ValueState {
            open,
            close,
            depth: 0,
            in_string: false,
            escaped: false,
            scalar,
            started: false,
        }
    }

    fn is_scalar_complete(&self) -> bool {
        self.scalar && self.started
    }

    /// Consumes bytes; `Some(n)` when the value ends after `n` bytes of `bytes`.
    fn advance(&mut self, bytes: &[u8]) -> Option<usize> {
        if self.scalar {
            return self.advance_scalar(bytes);
        }
        let mut i = 0;
        while i < bytes.len() {
            if self.in_string {
                if self.escaped {
                    // The byte after a backslash that ended the previous block.
                    self.escaped = false;
                    i += 1;
                    continue;
                }
                i += memchr::memchr2(b'"', b'\\', &bytes[i..])?;
                if bytes[i] == b'\\' {
                    self.escaped = i + 1 == bytes.len();
                    i += 2;
                    continue;
                }
                self.in_string = false;
                if self.depth == 0 {
                    return Some(i + 1); // the value was a string
                }
                i += 1;
                continue;
            }
            i += memchr::memchr3(b'"', self.open, self.close, &bytes[i..])?;
            match bytes[i] {
                b'"' => self.in_string = true,
                b if b == self.open => self.depth += 1,
                _ => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return Some(i + 1);
                    }
                }
            }
            i += 1;
        }
        None
    }

    fn advance_scalar(&mut self, bytes: &[u8]) -> Option<usize> {
        for (i, &b) in bytes.iter().enumerate() {
            if self.started && (b.is_ascii_whitespace() || matches!(b, b',' | b'}' | b']')) {
                return Some(i);
            }
            self.started = true;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<String> {
        let mut s = Scanner::with_block(text.as_bytes(), 3);
        let mut out = Vec::new();
        while s.peek().unwrap().is_some() {
            let r = s.value().unwrap();
            out.push(String::from_utf8(s.slice(&r).to_vec()).unwrap());
        }
        out
    }

    #[test]
    fn splits_values_with_brackets_inside_strings() {
        assert_eq!(
            values(r#" {"a":"}]\"{"} [1,[2]] "x\"y" 12.5 true"#),
            vec![r#"{"a":"}]\"{"}"#, "[1,[2]]", r#""x\"y""#, "12.5", "true"]
        );
    }

    #[test]
    fn held_ranges_survive_refills() {
        let text = "[\n{\"a\":1},\n{\"b\":[2,3]},\n{\"c\":\"x\"}\n]";
        let mut s = Scanner::with_block(text.as_bytes(), 2);
        s.expect("[").unwrap();
        let mut ranges = Vec::new();
        loop {
            let r = s.value().unwrap();
            s.hold(r.start);
            ranges.push(r);
            if s.expect(",]").unwrap() == b']' {
                break;
            }
        }
        let got: Vec<&[u8]> = ranges.iter().map(|r| s.slice(r)).collect();
        assert_eq!(
            got,
            vec![&b"{\"a\":1}"[..], b"{\"b\":[2,3]}", b"{\"c\":\"x\"}"]
        );
        s.release();
        assert!(s.peek().unwrap().is_none());
    }

    #[test]
    fn escapes_across_block_boundaries() {
        // Every block size puts the backslash at a block's end somewhere.
        let text = r#"["a\\", "b\"c", "\\\""] 7"#;
        for block in 1..8 {
            let mut s = Scanner::with_block(text.as_bytes(), block);
            let r = s.value().unwrap();
            assert_eq!(
                s.slice(&r),
                &br#"["a\\", "b\"c", "\\\""]"#[..],
                "block {block}"
            );
        }
    }

    /// What [`Scanner::line_object`] makes of the elements of `text` (after its `[`): each
    /// guess, or `None` where it left the element to [`Scanner::value`].
    fn guesses(text: &str, block: usize) -> Vec<Option<String>> {
        let mut s = Scanner::with_block(text.as_bytes(), block);
        s.expect("[").unwrap();
        let mut out = Vec::new();
        loop {
            if let Some(r) = s.line_object().unwrap() {
                out.push(Some(String::from_utf8(s.slice(&r).to_vec()).unwrap()));
                continue;
            }
            out.push(None);
            s.value().unwrap();
            if s.expect(",]").unwrap() == b']' {
                return out;
            }
        }
    }

    #[test]
    fn objects_on_their_own_lines_are_guessed() {
        let text = "[\n{\"a\":{\"b\":1}},\r\n  {\"c\":\"}\"} ,\n{\"d\":2},{\"e\":3},\n{\"f\":\n4},\n[5],\n{\"g\":6}\n]";
        let want = vec![
            Some(r#"{"a":{"b":1}}"#.to_string()), // CRLF
            None,                                 // a space before the comma
            Some(r#"{"d":2},{"e":3}"#.into()),    // two on a line: a wrong guess, for the parse
            None,                                 // an object over two lines
            None,                                 // not an object
            None,                                 // the last element: no comma
        ];
        for block in [1, 5, 1 << 20] {
            // Small blocks: the newline is often not buffered yet, and the scan decides.
            let got = guesses(text, block);
            if block == 1 << 20 {
                assert_eq!(got, want);
            } else {
                assert!(got.len() >= 6, "block {block}: {got:?}");
            }
        }
    }

    #[test]
    fn one_line_files_search_for_a_newline_once() {
        // A million-feature file on one line would otherwise be searched to its end per feature.
        let text = format!("[{}{{\"z\":0}}]", "{\"a\":1},".repeat(1000));
        let mut s = Scanner::new(text.as_bytes());
        s.expect("[").unwrap();
        assert_eq!(s.line_object().unwrap(), None);
        assert!(matches!(s.newline, Newline::NoneBefore(n) if n == text.len() as u64));
        s.value().unwrap();
        s.expect(",").unwrap();
        assert_eq!(s.line_object().unwrap(), None);
        assert!(matches!(s.newline, Newline::NoneBefore(n) if n == text.len() as u64));
    }

    #[test]
    fn a_scanner_started_inside_a_file_gives_file_offsets() {
        let text = b"{\"a\":[1,2]},{\"b\":3}";
        let mut s = Scanner::starting_at(&text[12..], 12);
        let r = s.value().unwrap();
        assert_eq!((r.clone(), s.slice(&r)), (12..19, &b"{\"b\":3}"[..]));
    }

    #[test]
    fn truncated_value_is_reported() {
        let mut s = Scanner::new(&br#"{"a":[1,2"#[..]);
        assert!(matches!(s.value(), Err(ScanError::Truncated { .. })));
    }
}
