//! Range planning: a user range `{ prefix, start, startAfter, end, reverse, limit }` (the
//! meaning of `ctx.storage.list`: start inclusive, end exclusive) becomes encoded string bounds
//! that `ctx.storage.kv.list` and the index table's `BETWEEN`-style queries both understand.
//!
//! This module owns the bounds arithmetic. It never reads storage.

#[cfg(test)]
use super::keys::encode;
use super::keys::{KeyError, KeyFormat, KeyPart, NAMESPACE};

/// A range of keys as the user gives it. Every bound is a key tuple.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Range {
    /// Only keys whose first elements equal these (the prefix key itself included).
    pub prefix: Option<Vec<KeyPart>>,
    /// Inclusive lower bound.
    pub start: Option<Vec<KeyPart>>,
    /// Exclusive lower bound; with `start` too, the tighter of the two wins.
    pub start_after: Option<Vec<KeyPart>>,
    /// Exclusive upper bound.
    pub end: Option<Vec<KeyPart>>,
    pub reverse: bool,
    pub limit: Option<u32>,
}

/// The lower bound of a planned range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lower {
    /// `kv.list({ start })`, SQL `>=`.
    Inclusive(String),
    /// `kv.list({ startAfter })`, SQL `>`.
    Exclusive(String),
}

impl Lower {
    pub fn key(&self) -> &str {
        match self {
            Lower::Inclusive(key) | Lower::Exclusive(key) => key,
        }
    }
}

/// Encoded bounds, always both present so the user's own raw kv keys never show up.
/// `end` is exclusive. An empty plan ([`KvRange::is_empty`]) needs no storage call at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvRange {
    pub lower: Lower,
    pub end: String,
    pub reverse: bool,
    pub limit: Option<u32>,
}

impl KvRange {
    /// Plans `range` over keys of the current format; errors only for a bound that is not a valid key.
    pub fn plan(range: &Range) -> Result<KvRange, KeyError> {
        KvRange::plan_in(range, KeyFormat::CURRENT)
    }

    /// Plans `range` over keys of `format` (an object's keys are all in one format).
    pub fn plan_in(range: &Range, format: KeyFormat) -> Result<KvRange, KeyError> {
        let encode = |parts: &[KeyPart]| format.encode(parts);
        let namespace = NAMESPACE.to_string();
        let mut lower = Lower::Inclusive(namespace.clone());
        let mut end = successor(&namespace);
        if let Some(prefix) = &range.prefix {
            let encoded = encode(prefix)?;
            end = successor(&encoded);
            lower = Lower::Inclusive(encoded);
        }
        if let Some(start) = &range.start {
            lower = tighter(lower, Lower::Inclusive(encode(start)?));
        }
        if let Some(after) = &range.start_after {
            lower = tighter(lower, Lower::Exclusive(encode(after)?));
        }
        if let Some(upper) = &range.end {
            end = end.min(encode(upper)?);
        }
        Ok(KvRange {
            lower,
            end,
            reverse: range.reverse,
            limit: range.limit,
        })
    }

    /// Every key under the encoded `prefix` (the prefix key itself included), unlimited.
    pub fn within(prefix: &str) -> KvRange {
        KvRange {
            lower: Lower::Inclusive(prefix.to_owned()),
            end: successor(prefix),
            reverse: false,
            limit: None,
        }
    }

    /// True when no key can be in the range (bounds crossed, or `limit: 0`).
    pub fn is_empty(&self) -> bool {
        self.limit == Some(0) || self.lower.key() >= self.end.as_str()
    }

    /// Whether `key` (an encoded kv key) lies within the bounds; the limit is not considered.
    pub fn contains(&self, key: &str) -> bool {
        let above = match &self.lower {
            Lower::Inclusive(lower) => key >= lower.as_str(),
            Lower::Exclusive(lower) => key > lower.as_str(),
        };
        above && key < self.end.as_str()
    }

    /// The plan for the rest of the range after a page that ended at `last_key` and returned
    /// `returned` entries: how `entries()` walks a range page by page.
    pub fn after_page(&self, last_key: &str, returned: u32) -> KvRange {
        let mut next = self.clone();
        if self.reverse {
            next.end = last_key.to_owned();
        } else {
            next.lower = Lower::Exclusive(last_key.to_owned());
        }
        next.limit = self.limit.map(|limit| limit.saturating_sub(returned));
        next
    }
}

fn tighter(a: Lower, b: Lower) -> Lower {
    match a.key().cmp(b.key()) {
        std::cmp::Ordering::Greater => a,
        std::cmp::Ordering::Less => b,
        // Same key: exclusive is the tighter.
        std::cmp::Ordering::Equal => match a {
            Lower::Exclusive(_) => a,
            Lower::Inclusive(_) => b,
        },
    }
}

/// The smallest string above every string that starts with `prefix`: its last character plus
/// one. Every encoded key ends in an ASCII character below `~`, so the increment stays ASCII.
fn successor(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    if let Some(last) = chars.pop() {
        let next = char::from_u32(u32::from(last) + 1).unwrap_or(char::MAX);
        chars.push(next);
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> KeyPart {
        KeyPart::String(text.into())
    }

    fn n(value: f64) -> KeyPart {
        KeyPart::Number(value)
    }

    #[test]
    fn a_prefix_excludes_longer_numbers_and_neighbours() {
        let plan = KvRange::plan(&Range {
            prefix: Some(vec![s("user"), n(42.0)]),
            ..Range::default()
        })
        .unwrap();
        let inside = [
            vec![s("user"), n(42.0)],
            vec![s("user"), n(42.0), s("session")],
        ];
        let outside = [
            vec![s("user"), n(420.0)],
            vec![s("user"), n(41.0)],
            vec![s("user")],
            vec![s("users")],
        ];
        for key in inside {
            assert!(plan.contains(&encode(&key).unwrap()), "{key:?}");
        }
        for key in outside {
            assert!(!plan.contains(&encode(&key).unwrap()), "{key:?}");
        }
    }

    #[test]
    fn the_whole_store_excludes_keys_outside_the_namespace() {
        let plan = KvRange::plan(&Range::default()).unwrap();
        assert!(plan.contains(&encode(&[s("\u{10ffff}")]).unwrap()));
        assert!(!plan.contains("user-raw-key"));
        assert!(!plan.contains(" "));
    }

    #[test]
    fn start_after_beats_an_equal_start_and_end_clips_the_prefix() {
        let plan = KvRange::plan(&Range {
            prefix: Some(vec![s("a")]),
            start: Some(vec![s("a"), n(1.0)]),
            start_after: Some(vec![s("a"), n(1.0)]),
            end: Some(vec![s("a"), n(3.0)]),
            ..Range::default()
        })
        .unwrap();
        assert_eq!(
            plan.lower,
            Lower::Exclusive(encode(&[s("a"), n(1.0)]).unwrap())
        );
        assert_eq!(plan.end, encode(&[s("a"), n(3.0)]).unwrap());
        assert!(plan.contains(&encode(&[s("a"), n(2.0)]).unwrap()));
    }

    #[test]
    fn crossed_bounds_and_zero_limit_are_empty() {
        let crossed = Range {
            start: Some(vec![n(5.0)]),
            end: Some(vec![n(1.0)]),
            ..Range::default()
        };
        assert!(KvRange::plan(&crossed).unwrap().is_empty());
        assert!(KvRange::plan(&Range {
            limit: Some(0),
            ..Range::default()
        })
        .unwrap()
        .is_empty());
        assert!(!KvRange::plan(&Range::default()).unwrap().is_empty());
    }

    #[test]
    fn pages_continue_after_the_last_key_in_either_direction() {
        let plan = KvRange::plan(&Range {
            limit: Some(10),
            ..Range::default()
        })
        .unwrap();
        let last = encode(&[n(7.0)]).unwrap();
        let forward = plan.after_page(&last, 4);
        assert_eq!(forward.lower, Lower::Exclusive(last.clone()));
        assert_eq!(forward.limit, Some(6));
        let backward = KvRange {
            reverse: true,
            ..plan
        }
        .after_page(&last, 4);
        assert_eq!(backward.end, last);
        assert_eq!(backward.lower, Lower::Inclusive(NAMESPACE.to_string()));
    }
}
