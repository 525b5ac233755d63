//! Per-connection rate limiting: a token bucket in whole-number arithmetic.
//!
//! `rateLimit: { messages, perMs }` lets a connection send a burst of up to `messages`
//! messages, refilled continuously at `messages` per `perMs` milliseconds. Time is an argument
//! (`now_ms`), so the bucket is deterministic; a clock that steps backwards refills nothing.
//! Buckets live only in memory: after a wake every bucket starts full (an object hibernates
//! after about 10 s idle, which refills any bucket whose `perMs` is at most that anyway).

use super::FanoutError;
use crate::numbers::Decimal;

/// A validated `rateLimit` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    messages: u32,
    per_ms: u32,
}

impl RateLimit {
    /// `static sockets.rateLimit` as the user wrote it (JS numbers): both must be whole numbers
    /// from 1 to `u32::MAX`. This is the only place the option is checked.
    pub fn new(messages: f64, per_ms: f64) -> Result<Self, FanoutError> {
        match (count(messages), count(per_ms)) {
            (Some(messages), Some(per_ms)) => Ok(RateLimit { messages, per_ms }),
            _ => Err(FanoutError::RateLimitInvalid {
                shown: format!(
                    "{{ messages: {}, perMs: {} }}",
                    Decimal(messages),
                    Decimal(per_ms)
                ),
            }),
        }
    }

    pub fn messages(&self) -> u32 {
        self.messages
    }

    pub fn per_ms(&self) -> u32 {
        self.per_ms
    }

    /// The bucket's size in units, where one message costs `per_ms` units and each elapsed
    /// millisecond adds `messages` units. The product of two u32 always fits in a u64.
    fn capacity(&self) -> u64 {
        u64::from(self.messages) * u64::from(self.per_ms)
    }
}

/// `value` as a whole number from 1 to `u32::MAX`, if it is one.
fn count(value: f64) -> Option<u32> {
    let in_range = value.fract() == 0.0 && (1.0..=f64::from(u32::MAX)).contains(&value);
    // In range and whole, so the cast is exact.
    in_range.then_some(value as u32)
}

/// One connection's bucket. It starts full, on the first message it sees.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenBucket {
    units: u64,
    last_ms: Option<u64>,
}

impl TokenBucket {
    /// Takes one message's worth of tokens if there are enough; false means "over the limit"
    /// (the facade closes the connection with 1008).
    pub fn admit(&mut self, limit: &RateLimit, now_ms: u64) -> bool {
        let capacity = limit.capacity();
        self.units = match self.last_ms {
            None => capacity,
            Some(last_ms) => {
                let elapsed = now_ms.saturating_sub(last_ms);
                let refill = elapsed.saturating_mul(u64::from(limit.messages));
                self.units.saturating_add(refill).min(capacity)
            }
        };
        // A clock step backwards must not make the next refill larger than the real time passed.
        self.last_ms = Some(self.last_ms.map_or(now_ms, |last_ms| last_ms.max(now_ms)));
        let cost = u64::from(limit.per_ms);
        if self.units >= cost {
            self.units -= cost;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admitted(bucket: &mut TokenBucket, limit: &RateLimit, at_ms: &[u64]) -> Vec<bool> {
        at_ms.iter().map(|&now| bucket.admit(limit, now)).collect()
    }

    #[test]
    fn invalid_limits_are_refused() {
        let max = f64::from(u32::MAX);
        for (messages, per_ms) in [
            (0.0, 1000.0),
            (20.0, 0.0),
            (max + 1.0, 1.0),
            (1.0, f64::MAX),
            (1.5, 1000.0),
            (-1.0, 1000.0),
        ] {
            let shown = format!("{{ messages: {messages}, perMs: {per_ms} }}");
            assert_eq!(
                RateLimit::new(messages, per_ms),
                Err(FanoutError::RateLimitInvalid { shown })
            );
        }
        for (messages, per_ms) in [
            (f64::NAN, 1.0),
            (1.0, f64::INFINITY),
            (f64::NEG_INFINITY, 1.0),
        ] {
            assert!(RateLimit::new(messages, per_ms).is_err());
        }
        assert!(RateLimit::new(max, max).is_ok());
    }

    #[test]
    fn a_full_bucket_admits_a_burst_then_refuses() {
        let limit = RateLimit::new(3.0, 1000.0).unwrap();
        let mut bucket = TokenBucket::default();
        assert_eq!(
            admitted(&mut bucket, &limit, &[0, 0, 0, 0, 1]),
            vec![true, true, true, false, false]
        );
    }

    #[test]
    fn tokens_refill_continuously_at_the_configured_rate() {
        let limit = RateLimit::new(2.0, 1000.0).unwrap(); // one message every 500 ms
        let mut bucket = TokenBucket::default();
        assert_eq!(
            admitted(&mut bucket, &limit, &[0, 0, 0]),
            vec![true, true, false]
        );
        assert_eq!(admitted(&mut bucket, &limit, &[499]), vec![false]);
        assert_eq!(
            admitted(&mut bucket, &limit, &[500, 500]),
            vec![true, false]
        );
        // A long pause refills only up to the burst size.
        assert_eq!(
            admitted(&mut bucket, &limit, &[60_000, 60_000, 60_000]),
            vec![true, true, false]
        );
    }

    #[test]
    fn a_steady_rate_at_the_limit_is_always_admitted() {
        let limit = RateLimit::new(20.0, 1000.0).unwrap(); // one message every 50 ms
        let mut bucket = TokenBucket::default();
        let times: Vec<u64> = (0..200).map(|i| i * 50).collect();
        assert!(admitted(&mut bucket, &limit, &times)
            .into_iter()
            .all(|admit| admit));
    }

    #[test]
    fn a_clock_stepping_back_refills_nothing() {
        let limit = RateLimit::new(1.0, 1000.0).unwrap();
        let mut bucket = TokenBucket::default();
        assert!(bucket.admit(&limit, 10_000));
        assert!(!bucket.admit(&limit, 5_000));
        // Time is measured from the latest instant seen, not from the step back.
        assert!(!bucket.admit(&limit, 10_999));
        assert!(bucket.admit(&limit, 11_000));
    }

    #[test]
    fn huge_values_do_not_overflow() {
        let limit = RateLimit::new(f64::from(u32::MAX), f64::from(u32::MAX)).unwrap();
        let mut bucket = TokenBucket::default();
        assert!(bucket.admit(&limit, 0));
        assert!(bucket.admit(&limit, u64::MAX));
    }
}
