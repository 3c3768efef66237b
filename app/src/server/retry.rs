//! When a failed send is tried again: webhook deliveries and notice emails alike are
//! retried with backoff for a day after their event.
use chrono::{DateTime, Duration, Utc};

/// How long a send is retried before it is given up.
pub const RETRY_FOR: Duration = Duration::hours(24);

/// Waits after the 1st, 2nd, … failure, as the Standard Webhooks reference schedule has
/// them; the last repeats until the day is over.
const BACKOFF: [i64; 6] = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600];

/// When to try again after `failures` failed attempts, the last at `now`; `None` once the
/// day (`retry_until`) is over.
pub fn next_attempt(
    failures: i32,
    now: DateTime<Utc>,
    retry_until: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if now >= retry_until {
        return None;
    }
    let step = usize::try_from(failures.max(1) - 1).unwrap_or_default();
    let wait = BACKOFF[step.min(BACKOFF.len() - 1)];
    Some((now + Duration::seconds(wait)).min(retry_until))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_ends_with_the_day() {
        let start = Utc::now();
        let until = start + RETRY_FOR;
        assert_eq!(
            next_attempt(1, start, until),
            Some(start + Duration::seconds(5))
        );
        assert_eq!(
            next_attempt(2, start, until),
            Some(start + Duration::minutes(5))
        );
        assert_eq!(
            next_attempt(9, start, until),
            Some(start + Duration::hours(10))
        );
        let late = until - Duration::hours(1);
        assert_eq!(next_attempt(9, late, until), Some(until));
        assert_eq!(next_attempt(10, until, until), None);
    }
}
