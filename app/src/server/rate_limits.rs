//! Per-token request rates. Each instance counts in its own memory (GCRA, from `governor`),
//! so a limit is exact within one instance and, behind a balancer spreading calls over n
//! instances, lets through up to n times as many; a database round trip per call would cost
//! more than the limit protects.
use std::num::NonZeroU32;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};
use rustc_hash::FxHashMap;

/// The highest limit a token or the policy may set.
pub const PER_MINUTE_MAX: u32 = 10_000_000;

type Limiter<C> = RateLimiter<i64, DashMapStateStore<i64>, C, StateInformationMiddleware>;

/// Where a token stands against its limit, for the `RateLimit-*` headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateInfo {
    /// Requests a minute.
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the whole limit is available again.
    pub reset: u64,
}

/// Beyond the limit: the headers, and the seconds until the next call may pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverLimit {
    pub rate: RateInfo,
    pub retry_after: u64,
    /// The token's last day, for `Tessera-Token-Expires` on the 429 too (filled by the
    /// caller, which knows the token).
    pub expires: Option<chrono::NaiveDate>,
}

/// One keyed limiter per distinct limit (a handful: the policy default and the tokens' own),
/// keyed by token id. A token whose limit changes starts afresh under the new one.
#[derive(Debug, Default)]
pub struct RateLimits<C: Clock = DefaultClock> {
    by_limit: RwLock<FxHashMap<u32, Arc<Limiter<C>>>>,
    clock: C,
}

impl<C: Clock + Clone> RateLimits<C> {
    pub fn with_clock(clock: C) -> Self {
        Self {
            by_limit: RwLock::default(),
            clock,
        }
    }

    fn limiter(&self, per_minute: NonZeroU32) -> Option<Arc<Limiter<C>>> {
        let limit = per_minute.get();
        if let Some(limiter) = self.by_limit.read().ok()?.get(&limit) {
            return Some(limiter.clone());
        }
        let mut by_limit = self.by_limit.write().ok()?;
        let limiter = by_limit.entry(limit).or_insert_with(|| {
            Arc::new(Limiter::new(
                Quota::per_minute(per_minute),
                DashMapStateStore::default(),
                self.clock.clone(),
            ))
        });
        Some(limiter.clone())
    }

    /// Counts one call of `token_id` against `per_minute`: its standing, or how long to wait.
    pub fn check(&self, token_id: i64, per_minute: NonZeroU32) -> Result<RateInfo, OverLimit> {
        let limit = per_minute.get();
        // The whole limit refills one call per `interval`.
        let interval = Duration::from_secs(60) / limit;
        let full_in = |remaining: u32| (interval * (limit - remaining)).as_secs_f64().ceil() as u64;
        let Some(limiter) = self.limiter(per_minute) else {
            // A poisoned lock: a panic elsewhere must not lock every token out.
            return Ok(RateInfo {
                limit,
                remaining: limit,
                reset: 0,
            });
        };
        match limiter.check_key(&token_id) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                Ok(RateInfo {
                    limit,
                    remaining,
                    reset: full_in(remaining),
                })
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                Err(OverLimit {
                    rate: RateInfo {
                        limit,
                        remaining: 0,
                        reset: full_in(0),
                    },
                    retry_after: wait.as_secs_f64().ceil().max(1.0) as u64,
                    expires: None,
                })
            }
        }
    }

    /// Forgets tokens whose budget is whole again, and limits no token counts under: run
    /// by the hourly job, so memory follows the tokens in use, not every token ever used.
    pub fn forget_rested(&self) {
        let Ok(mut by_limit) = self.by_limit.write() else {
            return;
        };
        by_limit.retain(|_, limiter| {
            limiter.retain_recent();
            limiter.shrink_to_fit();
            !limiter.is_empty()
        });
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;
    use std::time::Duration;

    use governor::clock::FakeRelativeClock;

    use super::*;

    fn limit(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap()
    }

    #[test]
    fn a_burst_gets_exactly_the_limit_then_waits_for_the_refill() {
        let clock = FakeRelativeClock::default();
        let limits = RateLimits::with_clock(clock.clone());
        let remaining: Vec<u32> = (0..3)
            .map(|_| limits.check(7, limit(3)).unwrap().remaining)
            .collect();
        assert_eq!(remaining, [2, 1, 0]);
        let over = limits.check(7, limit(3)).unwrap_err();
        assert_eq!(over.rate.remaining, 0);
        assert_eq!(over.retry_after, 20, "one call refills every 20 s");
        assert_eq!(over.rate.reset, 60);
        // Another token has its own budget.
        assert_eq!(limits.check(8, limit(3)).unwrap().remaining, 2);
        clock.advance(Duration::from_secs(19));
        assert_eq!(limits.check(7, limit(3)).unwrap_err().retry_after, 1);
        clock.advance(Duration::from_secs(1));
        let rate = limits.check(7, limit(3)).unwrap();
        assert_eq!((rate.remaining, rate.reset), (0, 60));
    }

    #[test]
    fn reset_counts_the_time_until_the_whole_limit_is_back() {
        let clock = FakeRelativeClock::default();
        let limits = RateLimits::with_clock(clock.clone());
        let rate = limits.check(1, limit(60)).unwrap();
        assert_eq!((rate.limit, rate.remaining, rate.reset), (60, 59, 1));
        let rate = limits.check(1, limit(60)).unwrap();
        assert_eq!((rate.remaining, rate.reset), (58, 2));
    }

    #[test]
    fn rested_tokens_are_forgotten() {
        let clock = FakeRelativeClock::default();
        let limits = RateLimits::with_clock(clock.clone());
        limits.check(1, limit(2)).unwrap();
        limits.forget_rested();
        assert_eq!(limits.by_limit.read().unwrap().len(), 1, "still counting");
        clock.advance(Duration::from_secs(60));
        limits.forget_rested();
        assert!(limits.by_limit.read().unwrap().is_empty());
    }
}
