//! Geometry kept once: basic farmland is mostly drawn on the land-use parcels, and the previous
//! vintage of the survey is mostly the current one, polygon for polygon. A geometry that is the
//! same to the bit as a current parcel's shares that parcel's allocation (at a million parcels
//! the basic farmland's own copies were a sixth of the run's memory).

use crate::model::Parcel;
use geo::{Coord, LineString, MultiPolygon, Polygon};
use rayon::prelude::*;
use redline_geom::{KnownGeometries, TextHint, TextPrint};
use std::sync::Arc;

/// FNV-1a over the rings' lengths and the coordinates' bits: equal geometries hash alike (−0
/// is added to 0 first, so the two zeros that compare equal hash alike too).
pub(crate) fn geometry_hash(g: &MultiPolygon<f64>) -> u64 {
    hash_rings(g.0.iter().flat_map(|p| rings(p).map(|r| r.0.as_slice())))
}

/// [`geometry_hash`] of polygons as a reader has them before validation (each a list of rings,
/// the exterior first): the same rings give the same hash.
fn raw_hash(raw: &[Vec<Vec<Coord<f64>>>]) -> u64 {
    hash_rings(raw.iter().flatten().map(Vec::as_slice))
}

fn hash_rings<'r>(rings: impl Iterator<Item = &'r [Coord<f64>]>) -> u64 {
    let mix = |h: u64, v: f64| (h ^ (v + 0.0).to_bits()).wrapping_mul(0x0100_0000_01b3);
    let mut h = 0xcbf2_9ce4_8422_2325;
    for ring in rings {
        h = mix(h, ring.len() as f64);
        for c in ring {
            h = mix(mix(h, c.x), c.y);
        }
    }
    h
}

/// `a == b`, answered at once for a geometry shared with a parcel (one allocation).
pub(crate) fn same_geometry(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> bool {
    std::ptr::eq(a, b) || a == b
}

/// A polygon's exterior, then its holes.
fn rings(p: &Polygon<f64>) -> impl Iterator<Item = &LineString<f64>> {
    std::iter::once(p.exterior()).chain(p.interiors())
}

/// The same coordinates to the bit (stricter than `==`, for which −0 equals 0).
fn same_ring(r: &[Coord<f64>], s: &[Coord<f64>]) -> bool {
    r.len() == s.len()
        && r.iter()
            .zip(s)
            .all(|(c, d)| c.x.to_bits() == d.x.to_bits() && c.y.to_bits() == d.y.to_bits())
}

/// True when `a` and `b` have the same rings with the same coordinates to the bit (sharing
/// never changes a bit of any input).
fn same_bits(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> bool {
    a.0.len() == b.0.len()
        && a.0.iter().zip(&b.0).all(|(p, q)| {
            p.interiors().len() == q.interiors().len()
                && rings(p).zip(rings(q)).all(|(r, s)| same_ring(&r.0, &s.0))
        })
}

/// [`same_bits`] against polygons as read (each a list of rings, the exterior first).
fn same_bits_raw(a: &MultiPolygon<f64>, raw: &[Vec<Vec<Coord<f64>>>]) -> bool {
    a.0.len() == raw.len()
        && a.0.iter().zip(raw).all(|(p, q)| {
            p.interiors().len() + 1 == q.len() && rings(p).zip(q).all(|(r, s)| same_ring(&r.0, s))
        })
}

/// The land-use parcels' geometries by hash: where another layer's polygon is a parcel's to the
/// bit, it takes the parcel's allocation instead of keeping its own copy. Results do not change:
/// the geometries are the same. A reader given them ([`KnownGeometries`]) shares as it reads.
#[derive(Debug)]
pub struct ParcelGeometries {
    /// Every parcel's geometry, in parcel order.
    geometries: Vec<Arc<MultiPolygon<f64>>>,
    /// (hash, parcel) for every parcel, sorted: matched against another layer's hashes, sorted
    /// too, in one pass (a hash map probed a million times at random was three times slower).
    by_hash: Vec<(u64, usize)>,
    /// Where in `by_hash` the hashes with each value of their top bits start: a reader's
    /// lookup goes straight to the one or two entries its hash may be (a binary search of a
    /// million entries waited on a cache miss at each of its last steps).
    buckets: HashBuckets,
    /// Whether each parcel's geometry is what validation gives back for it unchanged and
    /// without a problem (empty: not known for any).
    validated: Vec<bool>,
    /// The geometries read from coordinate texts, by the texts' prints
    /// ([`ParcelGeometries::with_texts`]).
    texts: TextIndex,
}

impl ParcelGeometries {
    /// Hashes every parcel's geometry (in parallel).
    pub fn new(parcels: &[Parcel]) -> Self {
        // Each geometry cloned as it is hashed: its count lives beside the rings' header the
        // hash reads, and a pass of its own waited on a cache miss per parcel.
        let (geometries, mut by_hash): (Vec<_>, Vec<_>) = (parcels.par_iter().enumerate())
            .map(|(k, p)| (Arc::clone(&p.geometry), (geometry_hash(&p.geometry), k)))
            .unzip();
        by_hash.par_sort_unstable();
        ParcelGeometries {
            geometries,
            buckets: HashBuckets::new(by_hash.len(), |i| by_hash[i].0),
            by_hash,
            validated: Vec::new(),
            texts: TextIndex::default(),
        }
    }

    /// Adds the parcels' geometries read from coordinate texts, by the texts' prints: (print,
    /// position of the parcel), each a geometry that validation passed without a word, as read
    /// from that text. A reader may then take one for a text with the same print without
    /// parsing it ([`KnownGeometries::same_text`]). A print that more than one geometry was
    /// read from is left out: those texts are parsed, and shared by their coordinates.
    ///
    /// Positions, not the geometries' `Arc`s: a clone and a drop of each were two atomic
    /// writes to a million cold allocations, each waiting on its cache miss.
    pub fn with_texts(self, texts: Vec<(TextPrint, usize)>) -> Self {
        ParcelGeometries {
            texts: TextIndex::new(texts, self.geometries.len()),
            ..self
        }
    }

    /// [`ParcelGeometries::new`], told which parcels' geometries validation gives back
    /// unchanged and without a problem (`validated(k)` for parcel `k`: one that validation
    /// passed without a word, as read). A reader may then take such a geometry for polygons
    /// that are it to the bit without validating them
    /// ([`KnownGeometries::validated_same_as`]).
    pub fn with_validated(parcels: &[Parcel], validated: impl Fn(usize) -> bool) -> Self {
        ParcelGeometries {
            validated: (0..parcels.len()).map(validated).collect(),
            ..ParcelGeometries::new(parcels)
        }
    }

    /// The first parcel with `hash` (parcels with equal hashes are in parcel order), if any.
    fn first_with(&self, hash: u64) -> Option<usize> {
        let bucket = &self.by_hash[self.buckets.range(hash)];
        let &(h, k) = bucket.get(bucket.partition_point(|&(h, _)| h < hash))?;
        (h == hash).then_some(k)
    }

    /// Gives each item whose geometry is a parcel's to the bit the parcel's allocation (in
    /// parallel); returns how many now share one they did not before.
    pub fn share_all<T: Send>(
        &self,
        items: &mut [T],
        geometry: impl Fn(&mut T) -> &mut Arc<MultiPolygon<f64>> + Sync + Send,
    ) -> usize {
        let theirs = sorted_keys(items.par_iter_mut().map(|t| &**geometry(t)), geometry_hash);
        // For each item, the first parcel with its hash (among equal hashes the parcels are in
        // parcel order).
        let parcel_of = first_matches(&theirs, &self.by_hash, items.len());
        items
            .par_iter_mut()
            .zip(parcel_of)
            .map(|(t, k)| {
                let g = geometry(t);
                match k.and_then(|k| self.geometries.get(k)) {
                    Some(parcel) if !Arc::ptr_eq(parcel, g) && same_bits(parcel, g) => {
                        *g = Arc::clone(parcel);
                        1
                    }
                    _ => 0,
                }
            })
            .sum()
    }
}

impl KnownGeometries for ParcelGeometries {
    /// The parcel [`ParcelGeometries::share_all`] would share, found through the directory of
    /// hash buckets (for a reader that meets the geometries one at a time; `share_all` merges a
    /// whole layer's sorted hashes instead, faster in bulk).
    fn same_as(&self, geometry: &MultiPolygon<f64>) -> Option<Arc<MultiPolygon<f64>>> {
        let parcel = &self.geometries[self.first_with(geometry_hash(geometry))?];
        same_bits(parcel, geometry).then(|| Arc::clone(parcel))
    }

    /// The parcel [`KnownGeometries::same_as`] would give for the validated polygons, where it
    /// is the polygons as read to the bit and validation passed it without a word: validating
    /// the polygons would then give that geometry back with no problem, so the answer is the
    /// same without the validation. `None` for any other (the reader validates, then asks
    /// `same_as`).
    fn validated_same_as(&self, raw: &[Vec<Vec<Coord<f64>>>]) -> Option<Arc<MultiPolygon<f64>>> {
        let k = self.first_with(raw_hash(raw))?;
        let parcel = &self.geometries[k];
        let validated = self.validated.get(k).copied().unwrap_or(false);
        (validated && same_bits_raw(parcel, raw)).then(|| Arc::clone(parcel))
    }

    fn knows_texts(&self) -> bool {
        !self.texts.entries.is_empty()
    }

    /// The geometry [`ParcelGeometries::with_texts`] was given for `print`; the hint is a
    /// parcel position.
    fn same_text(&self, print: TextPrint, hint: &TextHint) -> Option<Arc<MultiPolygon<f64>>> {
        self.geometries
            .get(self.texts.get(print, hint)?)
            .map(Arc::clone)
    }
}

/// Parcel positions by the print of the text each one's geometry was read from, sorted by
/// print, with a directory of their first words; and each parcel's print, in parcel order.
#[derive(Debug, Default)]
struct TextIndex {
    entries: Vec<(TextPrint, usize)>,
    buckets: HashBuckets,
    /// The print of each parcel's text where it is in `entries`, [`NO_TEXT`] where not: the
    /// places after a reader's last answer, looked at before the directory.
    by_parcel: Vec<TextPrint>,
}

/// The print of no parcel in [`TextIndex::by_parcel`] (nor looked up: a text with this print
/// is parsed).
const NO_TEXT: TextPrint = TextPrint([0, 0]);

/// How many parcels after a reader's last answer are looked at before the directory: basic
/// farmland drawn from the parcels in their order skips the parcels that are not farmland,
/// a few at a time (in the synthetic 100k county 99.8 % of its polygons come within 32
/// parcels of the one before, at most 131 after it).
const LOOK_AHEAD: usize = 32;

impl TextIndex {
    /// The index of `texts` (print, parcel position below `parcels`), without the prints that
    /// come more than once.
    fn new(mut texts: Vec<(TextPrint, usize)>, parcels: usize) -> Self {
        texts.par_sort_unstable_by_key(|(print, _)| *print);
        // Each entry kept where its print's run of entries is itself alone.
        let keep: Vec<bool> = texts
            .chunk_by(|a, b| a.0 == b.0)
            .flat_map(|run| std::iter::repeat_n(run.len() == 1, run.len()))
            .collect();
        let mut keep = keep.into_iter();
        texts.retain(|&(print, at)| {
            keep.next().unwrap_or(false) && print != NO_TEXT && at < parcels
        });
        let mut by_parcel = vec![NO_TEXT; parcels];
        for &(print, at) in &texts {
            by_parcel[at] = print;
        }
        TextIndex {
            buckets: HashBuckets::new(texts.len(), |i| texts[i].0 .0[0]),
            entries: texts,
            by_parcel,
        }
    }

    /// The parcel whose text has `print`: first among the [`LOOK_AHEAD`] parcels after the
    /// hint's, then through the directory; the hint moved to it. A layer in the parcels'
    /// order finds nearly every answer in the parcels it is reading past, already in cache,
    /// and the directory's and the entries' cache misses are not waited on.
    fn get(&self, print: TextPrint, hint: &TextHint) -> Option<usize> {
        if self.entries.is_empty() || print == NO_TEXT {
            return None;
        }
        let next = hint.get().saturating_add(1);
        let ahead = self
            .by_parcel
            .get(next..next.saturating_add(LOOK_AHEAD).min(self.by_parcel.len()))
            .and_then(|after| after.iter().position(|p| *p == print))
            .map(|i| next + i);
        let at = ahead.or_else(|| {
            let bucket = &self.entries[self.buckets.range(print.0[0])];
            let i = bucket.binary_search_by_key(&print, |(p, _)| *p).ok()?;
            Some(bucket[i].1)
        })?;
        hint.set(at);
        Some(at)
    }
}

/// A directory of sorted hashes by their top bits: two to four hashes a bucket (a bucket's
/// entries span a cache line or two), so that the directory is a quarter of the hashes to
/// build and to hold. (A lookup still waits on a miss in it and another in the entries: the
/// basic farmland's lookups were a third of its read at a million parcels with a bucket per
/// hash and are with this one.)
#[derive(Debug, Default)]
struct HashBuckets {
    /// How far a hash is shifted to give its bucket (64 − the directory's bits).
    shift: u32,
    /// `starts[b]..starts[b + 1]`: the positions of bucket `b`'s hashes.
    starts: Vec<usize>,
}

impl HashBuckets {
    /// The directory of `len` hashes in ascending order, the `i`-th `hash(i)`.
    fn new(len: usize, hash: impl Fn(usize) -> u64) -> Self {
        let bits = (len / 4).max(1).next_power_of_two().trailing_zeros().max(1);
        let shift = 64 - bits;
        let mut starts = Vec::with_capacity((1 << bits) + 1);
        let mut at = 0;
        for b in 0..=(1u64 << bits) {
            while at < len && hash(at) >> shift < b {
                at += 1;
            }
            starts.push(at);
        }
        HashBuckets { shift, starts }
    }

    /// The positions of the hashes with `hash`'s top bits.
    fn range(&self, hash: u64) -> std::ops::Range<usize> {
        let b = (hash >> self.shift) as usize;
        self.starts[b]..self.starts[b + 1]
    }
}

/// For each of `ours`, the position of the first of `theirs` that is the same allocation (a
/// geometry one shares with the other), if any: both sides' addresses sorted and merged.
pub fn same_allocations<'g>(
    ours: impl IndexedParallelIterator<Item = &'g MultiPolygon<f64>>,
    theirs: impl IndexedParallelIterator<Item = &'g MultiPolygon<f64>>,
) -> Vec<Option<usize>> {
    let address = |g: &MultiPolygon<f64>| std::ptr::from_ref(g) as usize as u64;
    let n = ours.len();
    let (ours, theirs) = rayon::join(
        || sorted_keys(ours, address),
        || sorted_keys(theirs, address),
    );
    first_matches(&ours, &theirs, n)
}

/// (key, position) of each geometry, sorted: one side of a [`first_matches`].
pub(crate) fn sorted_keys<'g>(
    geometries: impl IndexedParallelIterator<Item = &'g MultiPolygon<f64>>,
    key: impl Fn(&MultiPolygon<f64>) -> u64 + Sync + Send,
) -> Vec<(u64, usize)> {
    let mut keys: Vec<(u64, usize)> = geometries.enumerate().map(|(k, g)| (key(g), k)).collect();
    keys.par_sort_unstable();
    keys
}

/// For each of `n` positions listed in `ours`, the position of the first entry of `theirs`
/// with the same key, if any: both [`sorted_keys`], merged in one pass (a lookup per entry
/// probed memory at random, several times slower at a million entries).
pub(crate) fn first_matches(
    ours: &[(u64, usize)],
    theirs: &[(u64, usize)],
    n: usize,
) -> Vec<Option<usize>> {
    let mut found = vec![None; n];
    let mut at = 0;
    for &(key, k) in ours {
        while theirs.get(at).is_some_and(|&(t, _)| t < key) {
            at += 1;
        }
        if let Some(&(_, j)) = theirs.get(at).filter(|(t, _)| *t == key) {
            found[k] = Some(j);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Parcel;
    use geo::polygon;
    use redline_geom::{raw_polygons, LandCategory};

    fn square(x: f64, side: f64) -> Arc<MultiPolygon<f64>> {
        Arc::new(MultiPolygon(vec![polygon![
            (x: x, y: 0.0),
            (x: x + side, y: 0.0),
            (x: x + side, y: side),
            (x: x, y: side),
            (x: x, y: 0.0),
        ]]))
    }

    fn parcel(id: &str, geometry: Arc<MultiPolygon<f64>>) -> Parcel {
        Parcel {
            id: id.into(),
            code: crate::ClassCode::new("0101").unwrap(),
            category: LandCategory::Cultivated,
            official_area: None,
            deduction: 0.0,
            grade: None,
            village: None,
            geometry,
        }
    }

    /// Shares `geometries` against `index`; each comes back with whether it is now the
    /// allocation of parcel `k` (`Some(k)`) or its own. A reader asking for them one at a time
    /// ([`KnownGeometries::same_as`]) must be given the same allocations.
    fn shared(
        index: &ParcelGeometries,
        landuse: &[Parcel],
        geometries: Vec<MultiPolygon<f64>>,
    ) -> (usize, Vec<Option<usize>>) {
        let whose_arc =
            |g: &Arc<MultiPolygon<f64>>| landuse.iter().position(|p| Arc::ptr_eq(&p.geometry, g));
        let one_at_a_time: Vec<Option<usize>> = geometries
            .iter()
            .map(|g| index.same_as(g).and_then(|a| whose_arc(&a)))
            .collect();
        let mut arcs: Vec<_> = geometries.into_iter().map(Arc::new).collect();
        let count = index.share_all(&mut arcs, |g| g);
        let whose: Vec<Option<usize>> = arcs.iter().map(whose_arc).collect();
        assert_eq!(one_at_a_time, whose);
        (count, whose)
    }

    #[test]
    fn equal_geometries_share_the_parcels_and_others_keep_their_own() {
        let landuse = vec![
            parcel("1", square(0.0, 10.0)),
            parcel("2", square(10.0, 10.0)),
            parcel("3", square(0.0, 10.0)), // a duplicate of 1: the first is shared
        ];
        let index = ParcelGeometries::new(&landuse);
        // −0 equals 0, but its bits differ: the same polygon with a negative zero keeps its own.
        let mut negative_zero = (*square(0.0, 10.0)).clone();
        negative_zero.0[0].exterior_mut(|r| r.0[0].y = -0.0);
        assert_eq!(negative_zero, *landuse[0].geometry);
        // The same vertices with a hole more are not the parcel's either.
        let mut holed = (*square(0.0, 10.0)).clone();
        holed.0[0].interiors_push(vec![(1.0, 1.0), (2.0, 1.0), (2.0, 2.0), (1.0, 1.0)]);
        let (count, whose) = shared(
            &index,
            &landuse,
            vec![
                (*square(10.0, 10.0)).clone(),
                (*square(10.0, 9.0)).clone(),
                negative_zero,
                holed,
                (*square(0.0, 10.0)).clone(),
                (*square(10.0, 10.0)).clone(),
            ],
        );
        assert_eq!(whose, [Some(1), None, None, None, Some(0), Some(1)]);
        assert_eq!(count, 3);
    }

    #[test]
    fn sharing_twice_finds_nothing_more_and_keeps_the_geometry() {
        let landuse = vec![parcel("1", square(0.0, 10.0))];
        let index = ParcelGeometries::new(&landuse);
        let mut previous = vec![
            parcel("1", square(0.0, 10.0)),
            parcel("2", square(5.0, 1.0)),
        ];
        assert_eq!(index.share_all(&mut previous, |p| &mut p.geometry), 1);
        assert!(Arc::ptr_eq(&previous[0].geometry, &landuse[0].geometry));
        assert_eq!(index.share_all(&mut previous, |p| &mut p.geometry), 0);
        assert_eq!(*previous[1].geometry, *square(5.0, 1.0));
    }

    #[test]
    fn every_hash_is_found_in_its_bucket_and_only_its_top_bits_share_it() {
        for n in [0usize, 1, 2, 3, 1000, 4097] {
            // Spread over the whole range, with clumps and the extremes.
            let mut keys: Vec<(u64, usize)> = (0..n)
                .map(|k| {
                    let h = (k as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                    (if k % 7 == 0 { h & 0xffff } else { h }, k)
                })
                .chain([(0, n), (u64::MAX, n + 1)])
                .collect();
            keys.sort_unstable();
            let buckets = HashBuckets::new(keys.len(), |i| keys[i].0);
            assert_eq!(*buckets.starts.last().unwrap(), keys.len());
            for &(h, k) in &keys {
                let range = buckets.range(h);
                assert!(keys[range.clone()].contains(&(h, k)), "n = {n}, hash {h:x}");
                let top = |x: u64| x >> buckets.shift;
                assert!(keys[range].iter().all(|&(g, _)| top(g) == top(h)));
            }
        }
    }

    #[test]
    fn polygons_as_read_take_a_parcel_that_validation_passed_as_read() {
        let landuse = vec![
            parcel("1", square(0.0, 10.0)),
            parcel("2", square(10.0, 10.0)),
            parcel("3", square(20.0, 10.0)),
            parcel("4", square(0.0, 10.0)), // a duplicate of 1, not validated as read
        ];
        let index = ParcelGeometries::with_validated(&landuse, |k| k != 1);
        let whose = |g: MultiPolygon<f64>| {
            let found = index.validated_same_as(&raw_polygons(&g));
            // Where the answer comes without validating, it is the one `same_as` gives after.
            if let Some(a) = &found {
                assert!(Arc::ptr_eq(a, &index.same_as(&g).unwrap()));
            }
            found.and_then(|a| landuse.iter().position(|p| Arc::ptr_eq(&p.geometry, &a)))
        };
        assert_eq!(whose((*square(0.0, 10.0)).clone()), Some(0));
        assert_eq!(whose((*square(20.0, 10.0)).clone()), Some(2));
        // Parcel 2 is not known to be validation's answer as read: the reader validates.
        assert_eq!(whose((*square(10.0, 10.0)).clone()), None);
        // −0 for 0, a vertex moved, a hole more: not the parcel's polygons to the bit.
        let mut negative_zero = (*square(0.0, 10.0)).clone();
        negative_zero.0[0].exterior_mut(|r| r.0[0].y = -0.0);
        assert_eq!(whose(negative_zero), None);
        assert_eq!(whose((*square(0.0, 9.0)).clone()), None);
        let mut holed = (*square(20.0, 10.0)).clone();
        holed.0[0].interiors_push(vec![(21.0, 1.0), (22.0, 1.0), (22.0, 2.0), (21.0, 1.0)]);
        assert_eq!(whose(holed.clone()), None);
        // The hole's ring alone as a second polygon: the same coordinates, other structure.
        let mut split = raw_polygons(&square(20.0, 10.0));
        split.push(raw_polygons(&holed)[0][1..].to_vec());
        assert!(index.validated_same_as(&split).is_none());
        // Without being told, no parcel is known to be validation's answer.
        let untold = ParcelGeometries::new(&landuse);
        assert!(untold
            .validated_same_as(&raw_polygons(&square(0.0, 10.0)))
            .is_none());
    }

    #[test]
    fn a_text_printed_once_finds_its_geometry_and_one_printed_twice_finds_none() {
        let landuse = vec![
            parcel("1", square(0.0, 10.0)),
            parcel("2", square(10.0, 10.0)),
        ];
        let print = |a: u64, b: u64| TextPrint([a, b]);
        let index = ParcelGeometries::new(&landuse);
        assert!(!index.knows_texts());
        assert!(index.same_text(print(1, 1), &TextHint::default()).is_none());
        let texts = vec![
            (print(7, 1), 0),
            (print(3, 9), 1),
            // Two geometries read from texts with one print: neither is taken.
            (print(7, 2), 0),
            (print(7, 2), 1),
            // A position past the parcels finds nothing.
            (print(5, 5), 2),
        ];
        let index = index.with_texts(texts);
        assert!(index.knows_texts());
        let found = |p| {
            let hint = TextHint::default();
            index.same_text(p, &hint).map(|g| Arc::as_ptr(&g))
        };
        assert_eq!(found(print(7, 1)), Some(Arc::as_ptr(&landuse[0].geometry)));
        assert_eq!(found(print(3, 9)), Some(Arc::as_ptr(&landuse[1].geometry)));
        assert_eq!(found(print(7, 2)), None);
        assert_eq!(found(print(7, 3)), None);
        assert_eq!(found(print(5, 5)), None);
        assert_eq!(found(print(u64::MAX, 0)), None);
    }

    #[test]
    fn a_hint_anywhere_finds_what_the_directory_finds_and_moves_to_it() {
        let parcels = 100;
        let print = |k: usize| TextPrint([k as u64 * 7919 + 1, k as u64]);
        // Texts for most parcels in their order, a gap at every fifth; parcel 12 read from a
        // text with parcel 10's print (neither taken); a text past the parcels; the print
        // that stands for none.
        let mut texts: Vec<(TextPrint, usize)> = (0..parcels)
            .filter(|k| k % 5 != 3)
            .map(|k| (print(if k == 12 { 10 } else { k }), k))
            .collect();
        texts.extend([(print(500), parcels + 50), (NO_TEXT, 13)]);
        let expected = |p: TextPrint| {
            (0..parcels).find(|&k| k % 5 != 3 && k != 10 && k != 12 && print(k) == p)
        };
        let index = TextIndex::new(texts, parcels);
        let looked_up = (0..parcels + 2).map(print).chain([print(500), NO_TEXT]);
        for p in looked_up {
            for start in [0, 5, 9, 11, 40, 98, 99, 100, 130, usize::MAX] {
                let hint = TextHint::default();
                hint.set(start);
                let found = index.get(p, &hint);
                assert_eq!(found, expected(p), "{p:?} from {start}");
                assert_eq!(hint.get(), found.unwrap_or(start), "{p:?} from {start}");
            }
        }
        // One hint through the parcels in order, as a reader of a layer drawn from them.
        let hint = TextHint::default();
        let walked: Vec<_> = (0..parcels)
            .filter_map(|k| index.get(print(k), &hint))
            .collect();
        let every: Vec<_> = (0..parcels).filter_map(|k| expected(print(k))).collect();
        assert_eq!(walked, every);
    }

    #[test]
    fn no_parcels_share_nothing() {
        let index = ParcelGeometries::new(&[]);
        let (count, whose) = shared(&index, &[], vec![(*square(0.0, 10.0)).clone()]);
        assert_eq!((count, whose), (0, vec![None]));
    }

    #[test]
    fn geometries_that_compare_equal_hash_alike() {
        let square = |zero: f64| {
            MultiPolygon(vec![
                polygon![(x: zero, y: zero), (x: 1.0, y: zero), (x: 1.0, y: 1.0), (x: zero, y: 1.0)],
            ])
        };
        let (plus, minus) = (square(0.0), square(-0.0));
        assert_eq!(plus, minus);
        assert_eq!(geometry_hash(&plus), geometry_hash(&minus));
        // A vertex moved by the smallest step, or the same positions split into another ring
        // structure, hash differently.
        assert_ne!(
            geometry_hash(&plus),
            geometry_hash(&square(f64::MIN_POSITIVE))
        );
        let mut two = plus.clone();
        two.0.push(plus.0[0].clone());
        assert_ne!(geometry_hash(&plus), geometry_hash(&two));
    }
}
