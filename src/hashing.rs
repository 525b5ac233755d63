//! Hash maps keyed by strings that users choose (topics, patterns, index keys).
//!
//! std's `RandomState` draws its keys from the operating system; on `wasm32-unknown-unknown`
//! there is none, so std falls back to fixed keys, the same in every published binary. Anyone
//! could then pick topic names that all land in one bucket and turn a lookup into a scan.
//! [`SeededState`] keys SipHash-1-3 (std's own algorithm) with 128 bits the facade draws from
//! `crypto.getRandomValues` and passes in, so the core stays pure and the keys are secret.
//!
//! There is no `Default` on wasm32: a map that forgot its seed does not compile there.

use std::collections::HashMap;
use std::hash::BuildHasher;

use siphasher::sip::SipHasher13;

/// A `HashMap` whose hasher is keyed by a secret seed.
pub type SeededMap<K, V> = HashMap<K, V, SeededState>;

/// Builds SipHash-1-3 hashers keyed by a 128-bit seed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SeededState {
    k0: u64,
    k1: u64,
}

impl SeededState {
    /// From 128 random bits (four 32-bit words, as `crypto.getRandomValues(new Uint32Array(4))`
    /// gives them). Missing words count as zero: the facade always passes four.
    pub fn from_words(words: &[u32]) -> Self {
        let word = |i: usize| u64::from(words.get(i).copied().unwrap_or(0));
        SeededState {
            k0: (word(0) << 32) | word(1),
            k1: (word(2) << 32) | word(3),
        }
    }
}

/// Keys are secrets: never printed.
impl std::fmt::Debug for SeededState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SeededState(..)")
    }
}

impl BuildHasher for SeededState {
    type Hasher = SipHasher13;

    fn build_hasher(&self) -> SipHasher13 {
        SipHasher13::new_with_keys(self.k0, self.k1)
    }
}

/// Natively (tests, tools) the operating system has randomness: draw the keys from std's
/// `RandomState`, which is seeded from it.
#[cfg(not(target_arch = "wasm32"))]
impl Default for SeededState {
    fn default() -> Self {
        let random = std::collections::hash_map::RandomState::new();
        SeededState {
            k0: random.hash_one(0u8),
            k1: random.hash_one(1u8),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_decides_the_hash() {
        let a = SeededState::from_words(&[1, 2, 3, 4]);
        let b = SeededState::from_words(&[1, 2, 3, 5]);
        assert_eq!(
            a.hash_one("room/lobby"),
            SeededState::from_words(&[1, 2, 3, 4]).hash_one("room/lobby")
        );
        assert_ne!(a.hash_one("room/lobby"), b.hash_one("room/lobby"));
    }

    #[test]
    fn native_defaults_differ() {
        assert_ne!(
            SeededState::default().hash_one("x"),
            SeededState::default().hash_one("x")
        );
    }

    #[test]
    fn the_keys_are_not_printed() {
        assert_eq!(
            format!("{:?}", SeededState::from_words(&[7, 7, 7, 7])),
            "SeededState(..)"
        );
    }
}
