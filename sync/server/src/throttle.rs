//! Password guessing, slowed down: failed sign-ins are counted per user name and per source
//! address, and after a few each costs a growing wait; password checks run a few at a time.
//!
//! A wait is never a lockout: the user's own wait stops growing at a minute, so an attacker
//! who knows a name can slow its owner down but never keep them out, and the right password
//! works as soon as the wait is over. An address that guesses across many names gets more
//! free failures before its waits start, and the same longest wait. Attempts made during a wait are answered at once (429 with
//! `Retry-After`), without a password check, so they cost the server nothing.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures of one user name before the waits start.
pub const USER_FREE_FAILURES: u32 = 5;
/// The longest wait a user name is given.
pub const USER_LONGEST_WAIT: Duration = Duration::from_mins(1);
/// Failures from one address before its waits start.
pub const ADDRESS_FREE_FAILURES: u32 = 20;
/// The longest wait an address is given (the same minute: consoles behind one address must
/// never be kept out long by one of them guessing).
pub const ADDRESS_LONGEST_WAIT: Duration = Duration::from_mins(1);
/// How long failures are remembered after the last one.
pub const FORGET_AFTER: Duration = Duration::from_mins(15);
/// The most names and addresses remembered at once (the oldest go first beyond it).
pub const MOST_REMEMBERED: usize = 50_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    Address(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    wait_until: Instant,
}

/// Failed sign-ins per user name and per address.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<Key, Failures>>,
}

impl Throttle {
    /// How long `user` from `address` must still wait before a password is checked, if at all.
    pub fn wait(&self, user: &str, address: Option<IpAddr>, now: Instant) -> Option<Duration> {
        let failures = self.lock();
        keys(user, address)
            .iter()
            .filter_map(|key| failures.get(key))
            .map(|f| f.wait_until.saturating_duration_since(now))
            .filter(|wait| !wait.is_zero())
            .max()
    }

    /// Counts a failed sign-in of `user` from `address`.
    pub fn failed(&self, user: &str, address: Option<IpAddr>, now: Instant) {
        let mut failures = self.lock();
        if failures.len() >= MOST_REMEMBERED {
            failures.retain(|_, f| now.saturating_duration_since(f.last) < FORGET_AFTER);
            if failures.len() >= MOST_REMEMBERED
                && let Some(oldest) = failures
                    .iter()
                    .min_by_key(|(_, f)| f.last)
                    .map(|(k, _)| k.clone())
            {
                failures.remove(&oldest);
            }
        }
        for key in keys(user, address) {
            let (free, longest) = match key {
                Key::User(_) => (USER_FREE_FAILURES, USER_LONGEST_WAIT),
                Key::Address(_) => (ADDRESS_FREE_FAILURES, ADDRESS_LONGEST_WAIT),
            };
            let entry = failures.entry(key).or_insert(Failures {
                count: 0,
                last: now,
                wait_until: now,
            });
            if now.saturating_duration_since(entry.last) >= FORGET_AFTER {
                entry.count = 0;
            }
            entry.count = entry.count.saturating_add(1);
            entry.last = now;
            entry.wait_until = now + wait_after(entry.count, free, longest);
        }
    }

    /// Forgets the failures of `user` and of `address` once the right password came.
    pub fn succeeded(&self, user: &str, address: Option<IpAddr>) {
        let mut failures = self.lock();
        for key in keys(user, address) {
            failures.remove(&key);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Failures>> {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn keys(user: &str, address: Option<IpAddr>) -> Vec<Key> {
    let mut keys = vec![Key::User(user.trim().to_lowercase())];
    keys.extend(address.map(Key::Address));
    keys
}

/// The wait after the `count`th failure: none for the first `free`, then 1 s, 2 s, 4 s, …
/// up to `longest`.
fn wait_after(count: u32, free: u32, longest: Duration) -> Duration {
    if count <= free {
        return Duration::ZERO;
    }
    let doublings = (count - free - 1).min(20);
    Duration::from_secs(1u64 << doublings).min(longest)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HERE: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));

    #[test]
    fn a_user_waits_longer_after_each_failure_past_five_and_never_over_a_minute() {
        let throttle = Throttle::default();
        let now = Instant::now();
        for _ in 0..USER_FREE_FAILURES {
            throttle.failed("sam", None, now);
        }
        assert_eq!(throttle.wait("sam", None, now), None);
        throttle.failed("sam", None, now);
        assert_eq!(
            throttle.wait("SAM ", None, now),
            Some(Duration::from_secs(1))
        );
        throttle.failed("sam", None, now);
        assert_eq!(
            throttle.wait("sam", None, now),
            Some(Duration::from_secs(2))
        );
        for _ in 0..100 {
            throttle.failed("sam", None, now);
        }
        assert_eq!(throttle.wait("sam", None, now), Some(USER_LONGEST_WAIT));
        // Never a lockout: after the wait, nothing stands in the way.
        assert_eq!(throttle.wait("sam", None, now + USER_LONGEST_WAIT), None);
        // Another user is not slowed by sam's failures.
        assert_eq!(throttle.wait("ada", None, now), None);
        throttle.succeeded("sam", None);
        assert_eq!(throttle.wait("sam", None, now), None);
    }

    #[test]
    fn an_address_guessing_across_names_waits_too() {
        let throttle = Throttle::default();
        let now = Instant::now();
        for n in 0..=ADDRESS_FREE_FAILURES {
            throttle.failed(&format!("user{n}"), HERE, now);
        }
        assert_eq!(
            throttle.wait("someone-else", HERE, now),
            Some(Duration::from_secs(1))
        );
        assert_eq!(throttle.wait("someone-else", None, now), None);
    }

    #[test]
    fn failures_are_forgotten_and_the_memory_is_bounded() {
        let throttle = Throttle::default();
        let now = Instant::now();
        for _ in 0..=USER_FREE_FAILURES {
            throttle.failed("sam", None, now);
        }
        let later = now + FORGET_AFTER;
        throttle.failed("sam", None, later);
        assert_eq!(throttle.wait("sam", None, later), None, "counted afresh");
        for n in 0..MOST_REMEMBERED + 10 {
            throttle.failed(&format!("u{n}"), None, later);
        }
        assert!(throttle.lock().len() <= MOST_REMEMBERED);
    }
}
