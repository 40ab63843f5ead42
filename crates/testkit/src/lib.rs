//! Test helpers shared by redline's crates: a seeded mutation fuzzer. Dev-only.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly by design

use std::panic::{catch_unwind, AssertUnwindSafe};

/// xorshift64*: small, seeded, the same on every machine.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

const STRUCTURAL: &[&[u8]] = &[
    b"\"",
    b"[",
    b"]",
    b"{",
    b"}",
    b",",
    b":",
    b"\\",
    b"-",
    b"0",
    b"\xff",
    b"\x00",
    b"NaN",
    b"1e309",
    b"-0",
    b"null",
    b"\"\\u0000\"",
    b"[[[[",
    b"]]]]",
    b"\n",
    b"\x1e",
    b"9999999999999999999999",
];

/// One mutation of `bytes`.
pub fn mutate(rng: &mut Rng, bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = out.len();
        let at = rng.below(len + 1);
        match rng.below(7) {
            0 if len > 0 => out[at.min(len - 1)] = rng.next_u64() as u8,
            1 => {
                let s = STRUCTURAL[rng.below(STRUCTURAL.len())];
                out.splice(at..at, s.iter().copied());
            }
            2 if len > 0 => {
                let end = (at + 1 + rng.below(64)).min(len);
                out.drain(at.min(len)..end);
            }
            3 if len > 0 => {
                let end = (at + 1 + rng.below(256)).min(len);
                let piece: Vec<u8> = out[at.min(len)..end].to_vec();
                let to = rng.below(out.len() + 1);
                out.splice(to..to, piece);
            }
            4 => out.truncate(at),
            5 if len > 0 => {
                // A number somewhere replaced by a hostile one.
                if let Some(p) = out[at.min(len - 1)..].iter().position(u8::is_ascii_digit) {
                    let p = at.min(len - 1) + p;
                    let s =
                        [b"NaN" as &[u8], b"inf", b"1e308", b"-1e308", b"0.0", b"-0"][rng.below(6)];
                    out.splice(p..p + 1, s.iter().copied());
                }
            }
            _ => {
                let s = STRUCTURAL[rng.below(STRUCTURAL.len())];
                let at = at.min(out.len());
                let end = (at + s.len()).min(out.len());
                out.splice(at..end, s.iter().copied());
            }
        }
    }
    out
}

/// `REDLINE_FUZZ_SCALE` (default 1): how many times the usual number of inputs to try.
pub fn scale() -> usize {
    std::env::var("REDLINE_FUZZ_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

/// Runs `count` mutated inputs through `read`; panics if any panicked. Returns the count.
pub fn fuzz(
    what: &str,
    seed: u64,
    count: usize,
    base: &[u8],
    mut read: impl FnMut(&[u8]),
) -> usize {
    let mut rng = Rng(seed);
    let mut panics = Vec::new();
    for case in 0..count {
        let input = mutate(&mut rng, base);
        if catch_unwind(AssertUnwindSafe(|| read(&input))).is_err() {
            panics.push(case);
        }
    }
    assert!(
        panics.is_empty(),
        "{what}: seed {seed}: cases {panics:?} panicked"
    );
    eprintln!("{what}: {count} mutated inputs, 0 panics");
    count
}
