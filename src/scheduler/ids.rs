//! Task ids for tasks scheduled without one: 96 random bits as 24 hex digits, drawn from a
//! generator seeded by the facade (the core reads no random source of its own).

/// SplitMix64: tiny, fast, and statistically sound for ids; not a cryptographic generator
/// (ids are names, not secrets).
#[derive(Debug, Clone)]
pub(crate) struct IdGenerator {
    state: u64,
}

impl IdGenerator {
    pub(crate) fn new(seed: u64) -> Self {
        IdGenerator { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// `{high:016x}{low:08x}`, written digit by digit: `format!` would run its formatter
    /// machinery and grow its buffer on every one-shot `at()`.
    pub(crate) fn next_id(&mut self) -> String {
        let high = self.next_u64();
        let low = self.next_u64() >> 32;
        let mut id = String::with_capacity(ID_DIGITS);
        push_hex(&mut id, high, 16);
        push_hex(&mut id, low, 8);
        id
    }
}

/// Hex digits in a generated id: 64 bits, then 32.
const ID_DIGITS: usize = 24;

/// The lowest `digits` hex digits of `value`, most significant first, lowercase, zero-padded.
fn push_hex(out: &mut String, value: u64, digits: u32) {
    for shift in (0..digits).rev() {
        let nibble = ((value >> (shift * 4)) & 0xf) as u32;
        out.push(char::from_digit(nibble, 16).unwrap_or('0'));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_distinct_and_seeded() {
        let mut ids = IdGenerator::new(42);
        let drawn: HashSet<String> = (0..10_000).map(|_| ids.next_id()).collect();
        assert_eq!(drawn.len(), 10_000);
        assert!(drawn
            .iter()
            .all(|id| id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit())));
        assert_eq!(IdGenerator::new(7).next_id(), IdGenerator::new(7).next_id());
        assert_ne!(IdGenerator::new(7).next_id(), IdGenerator::new(8).next_id());
    }

    /// The digits are those `format!("{high:016x}{low:08x}")` writes, leading zeros included.
    #[test]
    fn ids_are_the_formatted_draws() {
        for seed in [0, 1, 7, 42, u64::MAX] {
            let mut ids = IdGenerator::new(seed);
            let mut draws = IdGenerator::new(seed);
            for _ in 0..1000 {
                let high = draws.next_u64();
                let low = draws.next_u64() >> 32;
                assert_eq!(ids.next_id(), format!("{high:016x}{low:08x}"));
            }
        }
        let mut zeros = String::new();
        push_hex(&mut zeros, 0xab, 8);
        assert_eq!(zeros, "000000ab");
    }
}
