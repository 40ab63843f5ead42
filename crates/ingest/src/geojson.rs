//! GeoJSON features parsed by hand, straight from bytes into redline's own records: no
//! `serde_json::Value` tree, no intermediate `geojson` types, one pass over the text. Strings
//! without escapes are borrowed; coordinates of any nesting go into one flat buffer and are cut
//! into rings and polygons afterwards; numbers are parsed by fast-float2 (correctly rounded).
//!
//! The parser is strict JSON: anything else is an error with its byte offset, which the readers
//! turn into a file line and column.

use crate::raw::RawGeometry;
use crate::swar::word_at;
use crate::text_print::{coordinates_end_in_feature, print_of, Prints};
use crate::value::Value;
use geo::Coord;
use redline_geom::TextPrint;
use smallvec::SmallVec;
use std::borrow::Cow;
use std::cell::Cell;

/// A feature as read, before validation, with its properties in `P`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawFeature<P> {
    pub id: Option<compact_str::CompactString>,
    pub geometry: RawGeometry,
    pub properties: P,
    /// The print of the geometry's coordinate text, where the parse takes them
    /// ([`Prints::Record`]).
    pub print: Option<TextPrint>,
}

/// Where a feature's properties go as they are read: a reader puts them in its schema's order
/// straight away, with no list of names and values in between.
pub(crate) trait Properties<'a> {
    /// A `properties` member begins (a repeated member replaces the earlier one).
    fn start(&mut self);
    /// The member's `k`-th property. Names borrow from the text where they can (no escapes).
    fn put(&mut self, k: usize, name: Cow<'a, str>, value: Value);
}

/// The properties as a list, in the order written.
impl<'a> Properties<'a> for Vec<(Cow<'a, str>, Value)> {
    fn start(&mut self) {
        self.clear();
    }

    fn put(&mut self, _: usize, name: Cow<'a, str>, value: Value) {
        self.push((name, value));
    }
}

/// A parse error: what, and the byte offset in the feature's text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParseError {
    pub offset: usize,
    pub message: String,
    /// The text ended before the value did.
    pub eof: bool,
}

/// The name in a legacy `crs` member: `{"type": "name", "properties": {"name": "EPSG:4529"}}`.
pub(crate) fn crs_name(crs: &serde_json::Value) -> Option<String> {
    crs.pointer("/properties/name")
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

/// Parses one GeoJSON Feature object, its properties into `properties`.
pub(crate) fn parse_feature<'a, P: Properties<'a>>(
    bytes: &'a [u8],
    properties: P,
    prints: Prints<'_>,
) -> Result<RawFeature<P>, ParseError> {
    // The SIMD check first (a feature is mostly ASCII digits: several times std's speed);
    // std's, which says where the text goes wrong, only for a feature that fails it.
    let text = match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => std::str::from_utf8(bytes).map_err(|e| ParseError {
            offset: e.valid_up_to(),
            message: "invalid UTF-8".into(),
            eof: false,
        })?,
    };
    let mut cur = Cursor {
        text,
        at: 0,
        depth: 0,
    };
    let feature = cur.feature(properties, prints)?;
    cur.ws();
    if cur.at < text.len() {
        return Err(cur.error("trailing characters after the feature"));
    }
    Ok(feature)
}

/// How deep arrays and objects may nest in a property or a foreign member. The skipper
/// recurses once per level; without a limit a file of `[[[[…` would overflow a worker
/// thread's stack and abort the process. Real attributes nest a few levels at most.
pub(crate) const MAX_NESTING: u32 = 128;

struct Cursor<'a> {
    text: &'a str,
    at: usize,
    /// Arrays and objects open around the cursor in [`Cursor::skip`].
    depth: u32,
}

impl<'a> Cursor<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            offset: self.at,
            message: message.into(),
            eof: self.at >= self.text.len(),
        }
    }

    fn ws(&mut self) {
        while self
            .bytes()
            .get(self.at)
            .is_some_and(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
        {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.bytes().get(self.at).copied()
    }

    fn expect(&mut self, byte: u8) -> Result<(), ParseError> {
        match self.peek() {
            Some(b) if b == byte => {
                self.at += 1;
                Ok(())
            }
            Some(b) => Err(self.error(format!(
                "expected {:?}, found {:?}",
                byte as char, b as char
            ))),
            None => Err(self.error(format!("expected {:?}, found the end", byte as char))),
        }
    }

    /// After a member: `,` (true, more follow) or the closing byte (false).
    fn more(&mut self, close: u8) -> Result<bool, ParseError> {
        match self.peek() {
            Some(b',') => {
                self.at += 1;
                Ok(true)
            }
            Some(b) if b == close => {
                self.at += 1;
                Ok(false)
            }
            Some(b) => Err(self.error(format!(
                "expected ',' or {:?}, found {:?}",
                close as char, b as char
            ))),
            None => Err(self.error("the text ends inside an object or array")),
        }
    }

    /// Iterates the members of an object: calls `member(cursor, key)` with the cursor after `:`.
    fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Result<(), ParseError>,
    ) -> Result<(), ParseError> {
        self.expect(b'{')?;
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(());
        }
        loop {
            let key = self.string()?;
            self.expect(b':')?;
            member(self, key)?;
            if !self.more(b'}')? {
                return Ok(());
            }
        }
    }

    fn string(&mut self) -> Result<Cow<'a, str>, ParseError> {
        self.expect(b'"')?;
        let start = self.at;
        let rest = &self.bytes()[start..];
        let (end, control) = string_end(rest).ok_or_else(|| self.error("unterminated string"))?;
        if rest[end] == b'"' && !control {
            self.at = start + end + 1;
            return Ok(Cow::Borrowed(&self.text[start..start + end]));
        }
        // Escapes (or control characters, which serde_json rejects): let serde_json decode it.
        let mut i = start + end;
        loop {
            match self.bytes().get(i) {
                Some(b'\\') => i += 2,
                Some(b'"') => break,
                Some(_) => i += 1,
                None => {
                    return Err(ParseError {
                        offset: i,
                        message: "unterminated string".into(),
                        eof: true,
                    })
                }
            }
        }
        let quoted = &self.text[start - 1..i + 1];
        let decoded: String = serde_json::from_str(quoted).map_err(|e| ParseError {
            offset: start,
            message: format!("bad string: {e}"),
            eof: false,
        })?;
        self.at = i + 1;
        Ok(Cow::Owned(decoded))
    }

    /// A number (at '-' or a digit). Coordinates are short decimals: the exact fast path is
    /// inlined where numbers are read, the general parse is a call away.
    #[inline(always)]
    fn number(&mut self) -> Result<f64, ParseError> {
        let rest = &self.bytes()[self.at..];
        if let Some((v, used)) = simple_decimal(rest) {
            self.at += used;
            return Ok(v);
        }
        self.general_number()
    }

    #[cold]
    #[inline(never)]
    fn general_number(&mut self) -> Result<f64, ParseError> {
        let rest = &self.bytes()[self.at..];
        // Only called at '-' or a digit, so the "inf"/"nan" words fast-float2 also knows cannot
        // start here; "-inf" is caught by the finiteness check.
        match fast_float2::parse_partial::<f64, _>(rest) {
            Ok((v, used)) if used > 0 && v.is_finite() => {
                self.at += used;
                Ok(v)
            }
            _ => Err(self.error("bad number")),
        }
    }

    fn literal(&mut self, word: &str) -> Result<(), ParseError> {
        if self.text[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(())
        } else {
            Err(self.error(format!("expected {word}")))
        }
    }

    /// A property value: scalars as they are, arrays and objects kept as their JSON text.
    fn value(&mut self) -> Result<Value, ParseError> {
        match self.peek() {
            Some(b'"') => Ok(Value::Text(self.string()?.as_ref().into())),
            Some(b'-' | b'0'..=b'9') => Ok(Value::Number(self.number()?)),
            Some(b't') => self.literal("true").map(|_| Value::Bool(true)),
            Some(b'f') => self.literal("false").map(|_| Value::Bool(false)),
            Some(b'n') => self.literal("null").map(|_| Value::Null),
            Some(b'[' | b'{') => {
                let start = self.at;
                self.skip()?;
                let nested: serde_json::Value = serde_json::from_str(&self.text[start..self.at])
                    .map_err(|e| ParseError {
                        offset: start,
                        message: e.to_string(),
                        eof: false,
                    })?;
                Ok(Value::Text(nested.to_string().into()))
            }
            Some(b) => Err(self.error(format!("expected a value, found {:?}", b as char))),
            None => Err(self.error("expected a value, found the end")),
        }
    }

    /// Skips any JSON value, nested at most [`MAX_NESTING`] deep.
    fn skip(&mut self) -> Result<(), ParseError> {
        if matches!(self.peek(), Some(b'{' | b'[')) {
            if self.depth >= MAX_NESTING {
                return Err(self.error(format!(
                    "arrays and objects nested more than {MAX_NESTING} deep"
                )));
            }
            self.depth += 1;
            let skipped = self.skip_value();
            self.depth -= 1;
            return skipped;
        }
        self.skip_value()
    }

    fn skip_value(&mut self) -> Result<(), ParseError> {
        match self.peek() {
            Some(b'{') => self.object(|cur, _| cur.skip()),
            Some(b'[') => {
                self.at += 1;
                if self.peek() == Some(b']') {
                    self.at += 1;
                    return Ok(());
                }
                loop {
                    self.skip()?;
                    if !self.more(b']')? {
                        return Ok(());
                    }
                }
            }
            _ => self.value().map(|_| ()),
        }
    }

    fn feature<P: Properties<'a>>(
        &mut self,
        properties: P,
        prints: Prints<'_>,
    ) -> Result<RawFeature<P>, ParseError> {
        let mut feature = RawFeature {
            id: None,
            geometry: RawGeometry::Null,
            properties,
            print: None,
        };
        self.object(|cur, key| {
            match key.as_ref() {
                "type" => {
                    let kind = cur.string()?;
                    if kind != "Feature" {
                        return Err(cur.error(format!("type is {kind:?}, expected \"Feature\"")));
                    }
                }
                "id" => feature.id = cur.value()?.as_compact(),
                "geometry" => (feature.geometry, feature.print) = cur.geometry(prints)?,
                "properties" => cur.properties(&mut feature.properties)?,
                _ => cur.skip()?,
            }
            Ok(())
        })?;
        Ok(feature)
    }

    fn properties(&mut self, out: &mut impl Properties<'a>) -> Result<(), ParseError> {
        out.start();
        if self.peek() == Some(b'n') {
            return self.literal("null");
        }
        let mut k = 0;
        self.object(|cur, key| {
            out.put(k, key, cur.value()?);
            k += 1;
            Ok(())
        })
    }

    /// The geometry, and the print of its coordinate text where `prints` takes it. Where
    /// `prints` looks texts up, coordinates whose text is a known geometry's are not parsed.
    fn geometry(
        &mut self,
        prints: Prints<'_>,
    ) -> Result<(RawGeometry, Option<TextPrint>), ParseError> {
        if self.peek() == Some(b'n') {
            self.literal("null")?;
            return Ok((RawGeometry::Null, None));
        }
        // The type stays borrowed from the text, and no buffer is made before "coordinates":
        // three allocations a feature fewer.
        let (mut kind, mut tree, mut text, mut known) = (None, None, None, None);
        self.object(|cur, key| {
            match key.as_ref() {
                "type" => kind = Some(cur.string()?),
                "coordinates" => {
                    cur.ws();
                    let start = cur.at;
                    (tree, known) = (None, None);
                    if let (Prints::Lookup(k, hint), Some(kind)) = (prints, &kind) {
                        let end = coordinates_end_in_feature(cur.bytes(), start);
                        known = end.and_then(|end| {
                            let print = print_of(kind, &cur.bytes()[start..end])?;
                            let found = k.same_text(print, hint)?;
                            Some((found, kind.clone()))
                        });
                        if let (Some(end), Some(_)) = (end, &known) {
                            cur.at = end;
                        }
                    }
                    if known.is_none() {
                        tree = Some(cur.coordinates()?);
                    }
                    text = Some(start..cur.at);
                }
                _ => cur.skip()?,
            }
            Ok(())
        })?;
        let kind = kind.ok_or_else(|| self.error("geometry has no \"type\""))?;
        if let (Some((geometry, printed)), Some(span)) = (known, &text) {
            if printed == kind {
                return Ok((RawGeometry::Known(geometry), None));
            }
            // A second "type" after the coordinates: they are parsed as that type says.
            let mut again = Cursor {
                text: self.text,
                at: span.start,
                depth: 0,
            };
            tree = Some(again.coordinates()?);
        }
        let print = match (prints, text) {
            (Prints::Record, Some(span)) => print_of(&kind, &self.bytes()[span]),
            _ => None,
        };
        Ok((
            tree.unwrap_or_else(CoordTree::empty).into_geometry(kind),
            print,
        ))
    }

    /// Nested coordinate arrays: brackets and numbers.
    fn coordinates(&mut self) -> Result<CoordTree, ParseError> {
        let mut tree = CoordTree::with_buffer(POSITIONS.take());
        // Found by fuzzing: a bare number here once closed more arrays than were open.
        if self.peek() != Some(b'[') {
            return Err(self.error("\"coordinates\" must be an array"));
        }
        // The position's first two numbers in two locals, not an array indexed by `count`:
        // writing one half of an array and then reading it whole stalled every number on a
        // failed store-to-load forward (a fifth of the parse's time).
        let (mut depth, mut count, mut x, mut y) = (0u8, 0usize, 0.0f64, 0.0f64);
        loop {
            match self.peek() {
                Some(b'[') => {
                    self.at += 1;
                    depth = depth
                        .checked_add(1)
                        .ok_or_else(|| self.error("coordinates nested too deep"))?;
                    count = 0;
                    if self.peek() != Some(b']') {
                        continue; // the array's first element comes next
                    }
                    // An empty array: fall through to the closing bracket.
                }
                Some(b'-' | b'0'..=b'9') => {
                    let number = self.number()?;
                    match count {
                        0 => x = number,
                        1 => y = number,
                        _ => {}
                    }
                    count += 1;
                }
                Some(b) => {
                    return Err(self.error(format!("expected a coordinate, found {:?}", b as char)))
                }
                None => return Err(self.error("the text ends inside coordinates")),
            }
            // After an element: `,` then another element, or `]` closing arrays.
            loop {
                match self.peek() {
                    Some(b',') => {
                        self.at += 1;
                        break;
                    }
                    Some(b']') => {
                        self.at += 1;
                        if count > 0 {
                            if count < 2 {
                                return Err(self.error("a position needs at least two numbers"));
                            }
                            tree.push_position(Coord { x, y }, depth);
                            count = 0;
                        } else {
                            tree.closes.push((depth, tree.xy.len()));
                        }
                        depth -= 1;
                        if depth == 0 {
                            return Ok(tree);
                        }
                    }
                    Some(b) => {
                        return Err(
                            self.error(format!("expected ',' or ']', found {:?}", b as char))
                        )
                    }
                    None => return Err(self.error("the text ends inside coordinates")),
                }
            }
        }
    }
}

/// Powers of ten that an f64 holds exactly.
const EXACT_POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// A number `[-]digits[.digits]` (no exponent) whose digits, read as an integer `m` with `k`
/// of them after the point, have `m` ≤ 2⁵³ and `k` ≤ 22: then `m` and `10ᵏ` are exact f64s
/// and one division is correctly rounded (Clinger's fast path), so the value is the one
/// fast-float2 returns, bit for bit. The value and the bytes used; `None` for anything else
/// (fast-float2 decides those).
#[inline(always)]
fn simple_decimal(b: &[u8]) -> Option<(f64, usize)> {
    let negative = b.first() == Some(&b'-');
    let mut at = usize::from(negative);
    let (m, int_digits) = digit_run(b, &mut at, 0);
    if int_digits == 0 {
        return None;
    }
    let (mut m, mut k) = (m, 0);
    if b.get(at) == Some(&b'.') {
        at += 1;
        (m, k) = digit_run(b, &mut at, m);
        if k == 0 {
            return None;
        }
    }
    // 19 digits always fit in a u64 (a longer run wrapped around: left to fast-float2).
    if int_digits + k > 19
        || matches!(b.get(at), Some(b'.' | b'e' | b'E'))
        || m > 1 << 53
        || k >= EXACT_POW10.len()
    {
        return None;
    }
    let v = m as f64 / EXACT_POW10[k];
    Some((if negative { -v } else { v }, at))
}

/// The digits from `at` on, appended to `m` (wrapping when there are more than 19: the caller
/// counts them), and how many there were; `at` ends after them. Up to eight digits at once
/// where eight bytes are left (the SWAR steps of fast-float and simdjson): a coordinate's
/// integer part and its decimals are a step each, where a loop took a dozen — the number
/// parse is the largest single cost of reading GeoJSON.
#[inline(always)]
fn digit_run(b: &[u8], at: &mut usize, mut m: u64) -> (u64, usize) {
    let start = *at;
    let mut i = start;
    while let Some(word) = word_at(b, i) {
        let digits = word.wrapping_sub(0x3030_3030_3030_3030);
        // A byte that is not a digit has its top bit set here: below '0' it borrowed, above
        // '9' adding 0x76 carried into it. Bytes after the first such one may be garbled by
        // that borrow or carry, and are not looked at.
        let other = (digits.wrapping_add(0x7676_7676_7676_7676) | digits) & 0x8080_8080_8080_8080;
        let len = (other.trailing_zeros() / 8) as usize;
        if len > 0 {
            // The run's bytes moved to the top: the bytes below become leading zeros.
            m = m
                .wrapping_mul(POW10_U64[len])
                .wrapping_add(eight_digits(digits << (8 * (8 - len))));
            i += len;
        }
        if len < 8 {
            *at = i;
            return (m, i - start);
        }
    }
    while let Some(&c) = b.get(i) {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        m = m.wrapping_mul(10).wrapping_add(u64::from(d));
        i += 1;
    }
    *at = i;
    (m, i - start)
}

/// 10⁰ … 10⁸.
const POW10_U64: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// The position of the first `"` or `\` in `b`, and whether a control character (below
/// 0x20, which a JSON string must escape) comes before it; `None` when there is neither.
/// Eight bytes at a time: keys and values are short, and a `memchr` call and a second pass
/// for control characters cost more than the string.
fn string_end(b: &[u8]) -> Option<(usize, bool)> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The top bit of each byte that is zero (of each byte below `n`): exact up to the first
    // such byte; the borrow may mark bytes after it, which are not looked at.
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let below = |v: u64, n: u64| v.wrapping_sub(ONES * n) & !v & HIGH;
    let mut at = 0;
    while let Some(w) = word_at(b, at) {
        let stop = zero(w ^ (ONES * u64::from(b'"'))) | zero(w ^ (ONES * u64::from(b'\\')));
        let control = below(w, 0x20);
        if stop != 0 {
            let first = stop.trailing_zeros() as usize / 8;
            let before = (1u64 << (8 * first)) - 1;
            return Some((at + first, control & before != 0));
        }
        if control != 0 {
            // Rare (the string is refused or decoded): the plain search settles it.
            let end = at + memchr::memchr2(b'"', b'\\', &b[at..])?;
            return Some((end, true));
        }
        at += 8;
    }
    let end = at + memchr::memchr2(b'"', b'\\', &b[at..])?;
    Some((end, b[at..end].iter().any(|&c| c < 0x20)))
}

/// The value of eight digits 0–9, one per byte, the first in the lowest byte: pairs, then
/// fours, then all eight, in three multiplications.
fn eight_digits(digits: u64) -> u64 {
    let pairs = digits * 10 + (digits >> 8);
    let low = (pairs & 0x0000_00FF_0000_00FF).wrapping_mul(100 + (1_000_000 << 32));
    let high = ((pairs >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32));
    u64::from((low.wrapping_add(high) >> 32) as u32)
}

/// Nested coordinate arrays of any depth, flattened: every position, and where each array
/// that holds arrays closed (its depth and the number of positions read so far).
struct CoordTree {
    xy: Vec<Coord<f64>>,
    /// Inline: a parcel's coordinates close three or four arrays.
    closes: SmallVec<[(u8, usize); 8]>,
    position_depth: Option<u8>,
    mixed: bool,
}

thread_local! {
    /// The thread's buffer for a geometry's positions, reused feature after feature: each ring
    /// is copied out of it at its exact size, one allocation. A buffer per feature, grown and
    /// then trimmed to the ring, was two, and left a hole in glibc's heap for every feature.
    /// The buffer keeps the size of the largest geometry its thread met (a township boundary's
    /// few hundred kilobytes).
    static POSITIONS: Cell<Vec<Coord<f64>>> = const { Cell::new(Vec::new()) };
}

impl CoordTree {
    /// A tree filling `buffer` (emptied; most parcels have a few dozen vertices, so it starts
    /// big enough to rarely grow).
    fn with_buffer(mut buffer: Vec<Coord<f64>>) -> Self {
        buffer.clear();
        buffer.reserve(32);
        CoordTree {
            xy: buffer,
            closes: SmallVec::new(),
            position_depth: None,
            mixed: false,
        }
    }

    /// A tree with no position, for a geometry without "coordinates" (no buffer allocated).
    fn empty() -> Self {
        CoordTree {
            xy: Vec::new(),
            closes: SmallVec::new(),
            position_depth: None,
            mixed: false,
        }
    }

    fn push_position(&mut self, c: Coord<f64>, depth: u8) {
        self.xy.push(c);
        match self.position_depth {
            None => self.position_depth = Some(depth),
            Some(d) if d != depth => self.mixed = true,
            _ => {}
        }
    }

    /// The geometry, its rings copied out; the buffer goes back to the thread for the next.
    fn into_geometry(self, kind: Cow<'_, str>) -> RawGeometry {
        let geometry = self.cut(kind);
        if self.xy.capacity() > 0 {
            POSITIONS.set(self.xy);
        }
        geometry
    }

    /// The geometry the positions and the closed arrays make, each ring a copy of its run of
    /// positions.
    fn cut(&self, kind: Cow<'_, str>) -> RawGeometry {
        let expected = match kind.as_ref() {
            "Polygon" => 3,
            "MultiPolygon" => 4,
            _ => return RawGeometry::Other(kind.into_owned()),
        };
        let depth = match self.position_depth {
            None => return RawGeometry::Polygons(Vec::new()), // empty coordinates
            Some(d) if d == expected && !self.mixed && self.closes.iter().all(|(c, _)| *c < d) => d,
            Some(_) => {
                return RawGeometry::Malformed(format!(
                    "{kind} coordinates are not nested {} deep",
                    expected - 1
                ))
            }
        };
        if self.closes.iter().filter(|(d, _)| *d == depth - 1).count() == 1 {
            // One ring, the common case: its positions are the whole buffer.
            return RawGeometry::Polygons(vec![vec![self.xy.to_vec()]]);
        }
        let (mut polygons, mut rings, mut start) = (Vec::new(), Vec::new(), 0);
        for &(d, end) in &self.closes {
            if d == depth - 1 {
                rings.push(self.xy[start..end].to_vec());
                start = end;
            } else if d == depth - 2 {
                polygons.push(std::mem::take(&mut rings));
            }
        }
        RawGeometry::Polygons(polygons)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_one(json: &str) -> RawFeature<Vec<(Cow<'_, str>, Value)>> {
        parse_feature(json.as_bytes(), Vec::new(), Prints::Ignore).unwrap()
    }

    fn error_of(json: &str) -> ParseError {
        parse_feature(json.as_bytes(), Vec::new(), Prints::Ignore).unwrap_err()
    }

    /// The fast path as first written (a digit-at-a-time closure that stops at the 20th
    /// digit): the reference for [`simple_decimal`].
    fn simple_decimal_by_digit(b: &[u8]) -> Option<(u64, usize)> {
        let negative = b.first() == Some(&b'-');
        let mut at = usize::from(negative);
        let (mut m, mut digits) = (0u64, 0u32);
        let mut run = |at: &mut usize| {
            let start = *at;
            while let Some(d) = b.get(*at).filter(|c| c.is_ascii_digit()) {
                digits += 1;
                if digits > 19 {
                    return None;
                }
                m = m * 10 + u64::from(d - b'0');
                *at += 1;
            }
            Some(*at - start)
        };
        if run(&mut at)? == 0 {
            return None;
        }
        let mut k = 0;
        if b.get(at) == Some(&b'.') {
            at += 1;
            k = run(&mut at)?;
            if k == 0 {
                return None;
            }
        }
        if matches!(b.get(at), Some(b'.' | b'e' | b'E')) || m > 1 << 53 || k >= EXACT_POW10.len() {
            return None;
        }
        let v = m as f64 / EXACT_POW10[k];
        Some(((if negative { -v } else { v }).to_bits(), at))
    }

    #[test]
    fn string_ends_are_found_as_a_byte_search_finds_them() {
        // Every special byte (and a multibyte character) at every position of strings of
        // 0–20 bytes, with control characters before, at and after the end.
        let plain = |b: &[u8]| {
            let end = memchr::memchr2(b'"', b'\\', b)?;
            Some((end, b[..end].iter().any(|&c| c < 0x20)))
        };
        let mut rng = redline_testkit::Rng(5);
        let bytes = [
            b'a', b'"', b'\\', 0x1f, 0x00, 0x20, 0x7f, 0xe4, 0x80, 0xff, b'}',
        ];
        let mut tried = 0;
        for len in 0..=20 {
            for _ in 0..2000 {
                let text: Vec<u8> = (0..len)
                    .map(|_| match rng.below(4) {
                        0 => bytes[rng.below(bytes.len())],
                        _ => b'a' + rng.below(26) as u8,
                    })
                    .collect();
                assert_eq!(string_end(&text), plain(&text), "{text:?}");
                tried += 1;
            }
        }
        assert_eq!(string_end(b"type\":1"), Some((4, false)));
        assert_eq!(string_end(b"a\x01bcdefghij\""), Some((11, true)));
        assert_eq!(string_end("李家店村\"".as_bytes()), Some((12, false)));
        assert_eq!(tried, 42_000);
    }

    #[test]
    fn digit_runs_of_every_length_read_as_one_number() {
        // Runs of 0–30 digits followed by each kind of byte that ends a number, at the end of
        // the text or not, read at offsets that put the run across the eight-byte steps.
        for len in 0..=30usize {
            let run: String = (0..len)
                .map(|k| char::from(b'0' + ((k * 7 + 3) % 10) as u8))
                .collect();
            for tail in ["", ",", "]", ".", "e", "/", ":", " ", "\u{7f}", "é"] {
                for lead in ["", "x", "xxxxxxx"] {
                    let text = format!("{lead}{run}{tail}");
                    let mut at = lead.len();
                    let (m, n) = digit_run(text.as_bytes(), &mut at, 0);
                    assert_eq!((n, at), (len, lead.len() + len), "{text:?}");
                    if len <= 19 {
                        assert_eq!(m, run.parse::<u64>().unwrap_or(0), "{text:?}");
                    }
                }
            }
        }
        assert_eq!(eight_digits(0x0909_0909_0909_0909), 99_999_999);
        assert_eq!(
            eight_digits(u64::from_le_bytes(*b"41510181") - 0x3030_3030_3030_3030),
            41_510_181
        );
    }

    #[test]
    fn the_decimal_fast_path_is_fast_float_bit_for_bit() {
        let mut rng = redline_testkit::Rng(0x9E37_79B9_7F4A_7C15);
        let mut next = move |m: u64| rng.below(m as usize) as u64;
        let mut cases: Vec<String> = [
            "0",
            "-0",
            "0.0",
            "-0.000",
            "007.50",
            "41498657.628",
            "5026282.591",
            "1.",
            "1.e5",
            "1e5",
            "2.5E-3",
            "9007199254740992",
            "9007199254740993",
            "0.1",
            "123.456,",
            "7]",
            "99999999999999999999",
            "1.0000000000000000000001",
            "12345678901234567890123456789.5",
            "1234567890.1234567890",
            "123456789.0123456789",
            "-0.00000000000000000001",
            "-12.5}",
            "3.",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for _ in 0..200_000 {
            let int: String = (0..1 + next(17))
                .map(|_| char::from(b'0' + next(10) as u8))
                .collect();
            let frac: String = (0..next(12))
                .map(|_| char::from(b'0' + next(10) as u8))
                .collect();
            let sign = if next(3) == 0 { "-" } else { "" };
            let tail = [",", "]", "", "e3", ".", " "][next(6) as usize];
            let point = if frac.is_empty() && next(4) > 0 {
                ""
            } else {
                "."
            };
            cases.push(format!("{sign}{int}{point}{frac}{tail}"));
        }
        let mut fast = 0;
        for case in &cases {
            // The loop over locals and the digit-at-a-time closure it replaced: the same
            // answer, `None` included.
            let found = simple_decimal(case.as_bytes());
            let by_digit = simple_decimal_by_digit(case.as_bytes());
            assert_eq!(found.map(|(v, n)| (v.to_bits(), n)), by_digit, "{case}");
            if let Some((v, used)) = found {
                fast += 1;
                let (w, used_ff) = fast_float2::parse_partial::<f64, _>(case.as_bytes()).unwrap();
                assert_eq!((v.to_bits(), used), (w.to_bits(), used_ff), "{case}");
            }
        }
        // Both paths are well exercised: the fast one, and fast-float2 for the rest.
        assert!(
            fast > 50_000 && fast < cases.len() - 50_000,
            "{fast} of {}",
            cases.len()
        );
        assert_eq!(simple_decimal(b"41498657.628,"), Some((41_498_657.628, 12)));
        assert_eq!(simple_decimal(b"1e5"), None);
        assert_eq!(simple_decimal(b"9007199254740993"), None);
    }

    #[test]
    fn polygon_and_multipolygon_nesting() {
        let f = parse_one(
            r#"{"type":"Feature","id":7,"properties":{"DLBM":"0101","TBMJ":12.5,"X":null},
            "geometry":{"coordinates":[[[0,0],[1,0],[1,1],[0,0]],[[0.1,0.1],[0.2,0.1],[0.2,0.2],[0.1,0.1]]],"type":"Polygon"}}"#,
        );
        assert_eq!(f.id.as_deref(), Some("7"));
        assert_eq!(
            f.properties[0],
            (Cow::Borrowed("DLBM"), Value::Text("0101".into()))
        );
        assert_eq!(f.properties[1].1, Value::Number(12.5));
        assert_eq!(f.properties[2].1, Value::Null);
        let RawGeometry::Polygons(p) = f.geometry else {
            panic!()
        };
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].len(), 2);
        assert_eq!(p[0][1][2], Coord { x: 0.2, y: 0.2 });

        let f = parse_one(
            r#"{"type":"Feature","properties":{},"geometry":{"type":"MultiPolygon","coordinates":
            [[[[0,0,5],[1,0,5],[1,1,5],[0,0,5]]],[[[2,2],[3,2],[3,3],[2,2]]]]}}"#,
        );
        let RawGeometry::Polygons(p) = f.geometry else {
            panic!()
        };
        assert_eq!((p.len(), p[1][0][1]), (2, Coord { x: 3.0, y: 2.0 }));
    }

    /// JSON's four whitespace bytes around every token parse as the compact text does.
    #[test]
    fn whitespace_between_any_tokens_changes_nothing() {
        let compact = r#"{"type":"Feature","id":"a\"b","properties":{"DLBM":"0101","TBMJ":-12.5,"X":null,"L":[1,{"y":true}]},"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1.5,0],[1,1],[0,0]]],[[[2,2],[3,2],[3,3],[2,2]]]]}}"#;
        // After every opening bracket, comma and colon and before every closing bracket,
        // outside strings.
        let (mut spaced, mut in_string, mut escaped) = (String::new(), false, false);
        for c in compact.chars() {
            let structural = !in_string && "{}[],:".contains(c);
            if structural && "}]".contains(c) {
                spaced.push_str(" \t\r\n ");
            }
            spaced.push(c);
            if structural && !"}]".contains(c) {
                spaced.push_str("\n\t \r");
            }
            if in_string {
                (in_string, escaped) = (escaped || c != '"', !escaped && c == '\\');
            } else {
                in_string = c == '"';
            }
        }
        assert!(spaced.len() > compact.len() + 100);
        let (a, b) = (parse_one(compact), parse_one(&spaced));
        assert_eq!(a.id, b.id);
        assert_eq!(a.properties, b.properties);
        assert_eq!(a.geometry, b.geometry);
        assert_eq!(a.properties[3].1, Value::Text("[1,{\"y\":true}]".into()));
    }

    #[test]
    fn other_and_malformed_geometries() {
        let f = parse_one(
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":null}"#,
        );
        assert_eq!(f.geometry, RawGeometry::Other("Point".into()));
        let f = parse_one(
            r#"{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[0,0],[1,1]]}}"#,
        );
        assert!(matches!(f.geometry, RawGeometry::Malformed(_)));
        let f = parse_one(r#"{"type":"Feature","geometry":null,"properties":{}}"#);
        assert_eq!(f.geometry, RawGeometry::Null);
    }

    #[test]
    fn strings_with_escapes_and_nested_values() {
        let f = parse_one(
            r#"{"type":"Feature","id":"a\"b","properties":{"名称":"基本\u519c田","n\tk":[1,{"x":2}],"b":true},"geometry":null,"bbox":[0,0,1,1]}"#,
        );
        assert_eq!(f.id.as_deref(), Some("a\"b"));
        assert_eq!(
            f.properties[0],
            (Cow::Borrowed("名称"), Value::Text("基本农田".into()))
        );
        assert_eq!(
            f.properties[1],
            (
                Cow::Owned("n\tk".into()),
                Value::Text("[1,{\"x\":2}]".into())
            )
        );
        assert_eq!(f.properties[2].1, Value::Bool(true));
    }

    #[test]
    fn empty_coordinates_are_an_empty_geometry() {
        let f = parse_one(r#"{"type":"Feature","geometry":{"type":"Polygon","coordinates":[]}}"#);
        assert_eq!(f.geometry, RawGeometry::Polygons(vec![]));
        let f = parse_one(
            r#"{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[],[]]}}"#,
        );
        assert!(matches!(f.geometry, RawGeometry::Polygons(p) if p.is_empty()));
    }

    #[test]
    fn invalid_utf8_is_an_error_where_the_text_goes_wrong() {
        // A GBK-encoded name (旱地 is BA B5 B5 D8) in a file read as UTF-8, long enough that the
        // SIMD check runs over whole blocks, after valid multi-byte text.
        let mut bytes = r#"{"type":"Feature","properties":{"DLMC":"水田","ZLDWMC":""#
            .as_bytes()
            .to_vec();
        let at = bytes.len();
        bytes.extend_from_slice(&[0xBA, 0xB5, 0xB5, 0xD8]);
        bytes.extend_from_slice(format!(r#"","pad":"{}"}}}}"#, "x".repeat(100)).as_bytes());
        let e = parse_feature(&bytes, Vec::new(), Prints::Ignore).unwrap_err();
        assert_eq!(
            (e.offset, e.message.as_str(), e.eof),
            (at, "invalid UTF-8", false)
        );
        // The same bytes in valid UTF-8 parse.
        let good = String::from_utf8_lossy(&bytes).replace('\u{FFFD}', "旱");
        assert!(parse_feature(good.as_bytes(), Vec::new(), Prints::Ignore).is_ok());
    }

    #[test]
    fn malformed_json_is_an_error_with_its_offset() {
        let e = error_of(r#"{"type":"Feature","properties":{DLBM:"0101"}}"#);
        assert_eq!(e.offset, 32); // the D of DLBM
        assert!(e.message.contains("expected '\"'"), "{}", e.message);
        assert!(error_of(r#"{"type":"Feature","properties":{"a":1,}}"#)
            .message
            .contains("expected '\"'"));
        let nan = error_of(
            r#"{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[NaN,0]]]}}"#,
        );
        assert!(
            nan.message.contains("expected a coordinate"),
            "{}",
            nan.message
        );
        let cut = error_of(r#"{"type":"Feature","properties":{"a":"#);
        assert!(cut.eof);
        assert!(error_of(r#"{"type":"Point"}"#)
            .message
            .contains("expected \"Feature\""));
        assert!(error_of(r#"{"type":"Feature"} x"#)
            .message
            .contains("trailing"));
        assert!(error_of(r#"{"type":"Feature","properties":{"a":01x}}"#)
            .message
            .contains("expected ','"));
    }

    #[test]
    fn no_panic_on_any_truncation_or_byte_flip() {
        // Cheap fuzzing: every prefix, and every byte replaced by each structural character.
        let good = r#"{"type":"Feature","id":"a\u00e9","properties":{"DLBM":"0101","n":[1,{"x":"y"}],"TBMJ":-1.5e3},"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}}"#;
        assert!(parse_feature(good.as_bytes(), Vec::new(), Prints::Ignore).is_ok());
        for end in 0..good.len() {
            let _ = parse_feature(&good.as_bytes()[..end], Vec::new(), Prints::Ignore);
        }
        let mut bytes = good.as_bytes().to_vec();
        for i in 0..bytes.len() {
            let saved = bytes[i];
            for b in [
                b'"', b'[', b']', b'{', b'}', b',', b':', b'\\', b'-', b'0', 0xFF,
            ] {
                bytes[i] = b;
                let _ = parse_feature(&bytes, Vec::new(), Prints::Ignore);
            }
            bytes[i] = saved;
        }
    }

    #[test]
    fn deep_nesting_in_a_property_or_foreign_member_is_an_error() {
        let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
        let geometry = r#""geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}"#;
        for feature in [
            format!(r#"{{"type":"Feature","properties":{{"X":{deep}}},{geometry}}}"#),
            format!(r#"{{"type":"Feature","foreign":{deep},"properties":{{}},{geometry}}}"#),
        ] {
            let err = error_of(&feature);
            assert!(err.message.contains("nested more than 128 deep"), "{err:?}");
        }
        // Ordinary nesting still reads, kept as its JSON text.
        let nested =
            format!(r#"{{"type":"Feature","properties":{{"X":[[{{"a":[1]}}]]}},{geometry}}}"#);
        assert!(parse_one(&nested).properties[0].1.as_text().is_some());
    }

    #[test]
    fn coordinates_that_are_not_an_array_are_an_error() {
        for bad in ["5]", "5,6]]", "\"x\"", "{}"] {
            let feature = format!(
                r#"{{"type":"Feature","properties":{{}},"geometry":{{"type":"Polygon","coordinates":{bad}}}}}"#
            );
            assert!(
                parse_feature(feature.as_bytes(), Vec::new(), Prints::Ignore).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn legacy_crs_member() {
        let crs = serde_json::json!({"type": "name", "properties": {"name": "EPSG:4529"}});
        assert_eq!(crs_name(&crs).as_deref(), Some("EPSG:4529"));
    }
}
