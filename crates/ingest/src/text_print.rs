//! Prints of geometry texts: basic farmland drawn on the land-use parcels is written with the
//! parcels' own coordinate text, and a polygon whose text is a parcel's needs no parse — the
//! parcel's geometry is what parsing and validating it would give ([`TextPrint`]).

use crate::swar::word_at;
use redline_geom::{KnownGeometries, TextHint, TextPrint};
use twox_hash::XxHash3_128;

/// What a GeoJSON parse does with the print of each polygon geometry's coordinate text.
#[derive(Clone, Copy, Default)]
pub(crate) enum Prints<'k> {
    /// Nothing (most layers).
    #[default]
    Ignore,
    /// Takes it with the feature (the land use: the texts basic farmland is matched against).
    Record,
    /// Asks the known geometries for one read from the same text; parses only where there is
    /// none. The hint is this run of features' ([`TextHint`]).
    Lookup(&'k dyn KnownGeometries, &'k TextHint),
}

/// The print of a `kind` geometry's coordinate text (`[` to its `]`); `None` for a type that
/// is not a polygon's (nothing is known by those).
pub(crate) fn print_of(kind: &str, coordinates: &[u8]) -> Option<TextPrint> {
    // The type is the seed: the same brackets read as a Polygon and as a MultiPolygon are
    // different geometries (one of them malformed).
    let seed = match kind {
        "Polygon" => 1,
        "MultiPolygon" => 2,
        _ => return None,
    };
    let h = XxHash3_128::oneshot_with_seed(seed, coordinates);
    Some(TextPrint([(h >> 64) as u64, h as u64]))
}

/// Where the coordinates array opening at `b[start]` closes, `b` a whole feature's text: the
/// last `]` of the text where only closing braces follow it (GDAL and redline write the
/// geometry last, its coordinates last: a look at the text's tail, not a scan of the
/// coordinates), else [`coordinates_end`]. A guess that is not the array's end takes a
/// stretch of text that is not the array: its print is no known text's, and the text is parsed.
pub(crate) fn coordinates_end_in_feature(b: &[u8], start: usize) -> Option<usize> {
    let last = memchr::memrchr(b']', b.get(start..)?)? + start;
    let tail_is_closing = b[last + 1..]
        .iter()
        .all(|c| matches!(c, b'}' | b' ' | b'\n' | b'\r' | b'\t'));
    if tail_is_closing {
        Some(last + 1)
    } else {
        coordinates_end(b, start)
    }
}

/// Where the array opening at `b[start]` (a `[`) closes: the position after its `]`, found by
/// counting brackets eight bytes at a time. `None` when it does not close. Strings are not
/// looked into: coordinates hold none, and a text that does is not a parcel's — its print
/// finds nothing, and the parse that follows reports it.
pub(crate) fn coordinates_end(b: &[u8], start: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // 0x80 in each byte of `w` that is zero, and only there (no borrow between bytes).
    let zero = |w: u64| !(((w & !(ONES * 0x80)) + !(ONES * 0x80)) | w | !(ONES * 0x80));
    if b.get(start) != Some(&b'[') {
        return None;
    }
    let (mut depth, mut at) = (1usize, start + 1);
    while let Some(w) = word_at(b, at) {
        // A byte count by one multiplication (no popcount instruction in the baseline x86-64).
        let count = |marks: u64| ((marks >> 7).wrapping_mul(ONES) >> 56) as usize;
        let opens = count(zero(w ^ (ONES * u64::from(b'['))));
        let closes = count(zero(w ^ (ONES * u64::from(b']'))));
        if closes < depth {
            // Even if every `]` came first, the array stays open through these eight bytes.
            depth = depth + opens - closes;
            at += 8;
            continue;
        }
        if let Some(end) = close_in(&b[at..at + 8], &mut depth) {
            return Some(at + end);
        }
        at += 8;
    }
    close_in(b.get(at..)?, &mut depth).map(|end| at + end)
}

/// Counts the brackets of `bytes` into `depth`, one at a time: the position after the `]` that
/// brings it to 0, if one does.
fn close_in(bytes: &[u8], depth: &mut usize) -> Option<usize> {
    for (i, &c) in bytes.iter().enumerate() {
        match c {
            b'[' => *depth += 1,
            b']' => *depth -= 1,
            _ => continue,
        }
        if *depth == 0 {
            return Some(i + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The end a byte-by-byte count finds.
    fn counted_end(b: &[u8], start: usize) -> Option<usize> {
        if b.get(start) != Some(&b'[') {
            return None;
        }
        let mut depth = 0i64;
        for (i, &c) in b.iter().enumerate().skip(start) {
            depth += match c {
                b'[' => 1,
                b']' => -1,
                _ => 0,
            };
            if depth == 0 {
                return Some(i + 1);
            }
        }
        None
    }

    #[test]
    fn the_end_is_where_a_byte_by_byte_count_finds_it() {
        let texts: [&[u8]; 7] = [
            b"[[[0,0],[1,0],[1,1],[0,0]]], \"x\": 1}",
            b"[[[[41510480.624,5059043.859],[41510510.668,5059047.299]]],[[[1,2],[3,4]]]]}",
            b"[]",
            b"[ [ [ 1 , 2 ] ] ]",
            b"[[[1,2],[3,4]]",
            b"[[]]]]]]]]]]]]]]]",
            b"[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]xx",
        ];
        for text in texts {
            // Every start and every cut, so that each end falls at every place in a word.
            for cut in 0..=text.len() {
                for start in 0..cut {
                    let b = &text[..cut];
                    assert_eq!(
                        coordinates_end(b, start),
                        counted_end(b, start),
                        "{:?} from {start}",
                        String::from_utf8_lossy(b)
                    );
                }
            }
        }
    }

    #[test]
    fn prints_tell_types_and_texts_apart() {
        let text = b"[[[0,0],[1,0],[1,1],[0,0]]]";
        let p = print_of("Polygon", text).unwrap();
        assert_eq!(print_of("Polygon", text), Some(p));
        assert_ne!(print_of("MultiPolygon", text), Some(p));
        assert_ne!(
            print_of("Polygon", b"[[[0,0],[1,0],[1,1],[0,0.0]]]"),
            Some(p)
        );
        assert_eq!(print_of("LineString", text), None);
    }
}
