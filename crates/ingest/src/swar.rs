//! Eight bytes at a time (SWAR: SIMD within a register), for the GeoJSON parse's scans.

/// The eight bytes from `at` as one word, the first in the lowest byte (the SWAR steps' unit);
/// `None` where fewer are left.
#[inline(always)]
pub(crate) fn word_at(b: &[u8], at: usize) -> Option<u64> {
    let chunk = b.get(at..)?.first_chunk::<8>()?;
    Some(u64::from_le_bytes(*chunk))
}
