//! The generator's randomness, ids and time: a splitmix64 stream, so a seed always yields the same bytes.

use super::text::fill;

/// splitmix64: small, fast and deterministic (also used by the benchmarks).
#[derive(Default)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut r = Rng(seed);
        r.next_u64();
        r
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.below_u64(n as u64) as usize
    }
    /// Uniform in `0..n` (0 when `n` is 0), for durations and byte counts.
    pub fn below_u64(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// Uniform in `lo..=hi`.
    pub(super) fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }
    pub(super) fn ms(&mut self, lo: usize, hi: usize) -> u64 {
        self.range(lo, hi) as u64
    }
    pub(super) fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
    /// A random entry of a `|`-separated list (longer entries are slightly likelier; fine here).
    pub(super) fn word(&mut self, list: &'static str) -> &'static str {
        let b = list.as_bytes();
        let p = self.below(b.len());
        let (head, tail) = b.split_at(p.min(b.len()));
        let start = head.iter().rposition(|&c| c == b'|').map_or(0, |i| i + 1);
        let end = tail
            .iter()
            .position(|&c| c == b'|')
            .map_or(b.len(), |i| p + i);
        list.get(start..end).unwrap_or("")
    }
    /// A random entry of `list` with its `{x}` slots filled.
    pub(super) fn say(&mut self, list: &'static str) -> String {
        let t = self.word(list);
        fill(self, t)
    }
    pub(super) fn uuid(&mut self) -> String {
        let a = (self.next_u64() & 0xFFFF_FFFF_FFFF_0FFF) | 0x4000;
        let b = (self.next_u64() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        let (a1, a2, a3) = (a >> 32, (a >> 16) & 0xFFFF, a & 0xFFFF);
        let (b1, b2) = (b >> 48, b & 0xFFFF_FFFF_FFFF);
        format!("{a1:08x}-{a2:04x}-{a3:04x}-{b1:04x}-{b2:012x}")
    }
    pub(super) fn token(&mut self, prefix: &str, n: usize) -> String {
        const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let mut s = prefix.to_string();
        s.extend((0..n).map(|_| char::from(B62[self.below(62)])));
        s
    }
    pub(super) fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[self.below(16)]))
            .collect()
    }
}

/// 2025-06-01T00:00:00Z.
pub(super) const BASE_MS: u64 = 1_748_736_000_000;

/// Epoch milliseconds as `2026-02-12T16:02:23.545Z`.
pub(super) fn iso(ms: u64) -> String {
    let secs = ms / 1000;
    let z = (secs / 86_400) as i64 + 719_468;
    let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let (h, mi, s, milli) = (secs % 86_400 / 3600, secs % 3600 / 60, secs % 60, ms % 1000);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

pub(super) fn base64(bytes: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sym = |n: u32| char::from(T[(n & 63) as usize]);
    let mut s = String::with_capacity(bytes.len() * 4 / 3 + 4);
    for ch in bytes.chunks(3) {
        let b = |i: usize| u32::from(ch.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        s.push(sym(n >> 18));
        s.push(sym(n >> 12));
        s.push(if ch.len() > 1 { sym(n >> 6) } else { '=' });
        s.push(if ch.len() > 2 { sym(n) } else { '=' });
    }
    s
}

/// Longest prefix of `s` of at most `max` bytes, cut on a char boundary.
pub(super) fn clip(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}
