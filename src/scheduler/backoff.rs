//! Retry policy and backoff math. Pure functions: the random number for jitter is an argument.

use serde::Serialize;

/// How a failing task is retried. Resolved from the user's `opts.retry` at scheduling time and
/// stored with the task, so a later change of the defaults never alters a queued task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryPolicy {
    /// Deliveries allowed per occurrence, the first run included (1 = never retry).
    pub attempts: u32,
    /// Delay before the first retry; each further retry doubles it.
    pub backoff_ms: i64,
    /// Upper bound of the delay.
    pub max_backoff_ms: i64,
    /// Spread each delay over [delay/2, delay] so that tasks failing together (a downstream
    /// outage) do not all retry in the same millisecond.
    pub jitter: bool,
}

impl RetryPolicy {
    pub const DEFAULT_ATTEMPTS: u32 = 5;
    pub const DEFAULT_BACKOFF_MS: i64 = 1_000;
    pub const DEFAULT_MAX_BACKOFF_MS: i64 = 60_000;
    pub const DEFAULT_JITTER: bool = true;
}

impl Default for RetryPolicy {
    /// 5 attempts, then 1 s, 2 s, 4 s, 8 s between them (each jittered), capped at 60 s.
    fn default() -> Self {
        RetryPolicy {
            attempts: Self::DEFAULT_ATTEMPTS,
            backoff_ms: Self::DEFAULT_BACKOFF_MS,
            max_backoff_ms: Self::DEFAULT_MAX_BACKOFF_MS,
            jitter: Self::DEFAULT_JITTER,
        }
    }
}

/// The delay before the retry that follows the `failures`-th failed delivery (1-based):
/// `min(max_backoff_ms, backoff_ms * 2^(failures-1))`, and with jitter a point of
/// `[delay/2, delay]` chosen by `random` in `[0, 1)` (out-of-range values are clamped).
pub fn backoff_delay_ms(failures: u32, policy: &RetryPolicy, random: f64) -> i64 {
    let doublings = failures.saturating_sub(1).min(62);
    let exponential = policy.backoff_ms.max(0).saturating_mul(1_i64 << doublings);
    let capped = exponential.min(policy.max_backoff_ms.max(0));
    if !policy.jitter {
        return capped;
    }
    let random = if random.is_finite() {
        random.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let half = capped / 2;
    // Both operands fit in i64 and random <= 1, so the product stays within `capped - half`.
    half + ((capped - half) as f64 * random).floor() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(backoff_ms: i64, max_backoff_ms: i64, jitter: bool) -> RetryPolicy {
        RetryPolicy {
            attempts: 10,
            backoff_ms,
            max_backoff_ms,
            jitter,
        }
    }

    #[test]
    fn doubles_from_the_base_until_the_cap() {
        let p = policy(1_000, 10_000, false);
        let delays: Vec<i64> = (1..=6).map(|n| backoff_delay_ms(n, &p, 0.3)).collect();
        assert_eq!(delays, vec![1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
    }

    #[test]
    fn jitter_stays_between_half_and_all_of_the_delay() {
        let p = policy(1_000, 60_000, true);
        assert_eq!(backoff_delay_ms(3, &p, 0.0), 2_000);
        assert_eq!(backoff_delay_ms(3, &p, 0.5), 3_000);
        assert_eq!(backoff_delay_ms(3, &p, 0.999_999), 3_999);
        assert_eq!(backoff_delay_ms(3, &p, 7.0), 4_000, "clamped");
        assert_eq!(backoff_delay_ms(3, &p, f64::NAN), 2_000);
    }

    #[test]
    fn huge_failure_counts_do_not_overflow() {
        let p = policy(i64::MAX / 3, i64::MAX, false);
        assert_eq!(backoff_delay_ms(u32::MAX, &p, 0.0), i64::MAX);
        assert_eq!(backoff_delay_ms(0, &policy(500, 1_000, false), 0.0), 500);
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let d = RetryPolicy::default();
        assert_eq!(
            (d.attempts, d.backoff_ms, d.max_backoff_ms, d.jitter),
            (5, 1_000, 60_000, true)
        );
    }
}
