//! Sign-in throttling by client, never by account alone: failed sign-ins are counted per client
//! (its network address, as the server sees it) and per (client, username), and each count past
//! its free allowance makes that client wait a delay that doubles with every further failure,
//! from [`FIRST_DELAY_MS`] up to [`MAX_DELAY_MS`]. When failures across all clients exceed
//! [`GLOBAL_FAILURES`] within [`GLOBAL_WINDOW_MS`], every client with a failure on record waits
//! for the window to move on, while clients without one still sign in.
//!
//! So a stranger's wrong passwords slow the stranger, not the officer whose name they type: the
//! account itself is never locked, and its owner signing in from their own client is not
//! delayed. Counts are kept in memory (a restart forgets them), at most [`MAX_KEYS`] of them;
//! a count is forgotten [`FORGET_MS`] after its last failure. Time is passed in (the engine's
//! session clock); this module reads no clock.

use std::collections::{HashMap, VecDeque};

/// Failures of one username from one client before delays begin.
pub const PAIR_FREE: u32 = 3;
/// Failures from one client (any usernames) before delays begin.
pub const CLIENT_FREE: u32 = 10;
/// The first delay; each further failure doubles it.
pub const FIRST_DELAY_MS: i64 = 1_000;
/// The longest delay: 15 minutes.
pub const MAX_DELAY_MS: i64 = 15 * 60 * 1000;
/// A count with no failure for this long is forgotten: 1 hour.
pub const FORGET_MS: i64 = 60 * 60 * 1000;
/// Failures across all clients within [`GLOBAL_WINDOW_MS`] that make failing clients wait.
pub const GLOBAL_FAILURES: usize = 300;
/// The window of the global count: 1 minute.
pub const GLOBAL_WINDOW_MS: i64 = 60 * 1000;
/// The most counts kept; past it the oldest are dropped.
pub const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Client(String),
    Pair(String, String),
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last_ms: i64,
}

impl Failures {
    /// Until when the next attempt waits, once `count` passed `free`.
    fn wait_until(&self, free: u32) -> Option<i64> {
        let past = self.count.checked_sub(free)?;
        let delay = FIRST_DELAY_MS
            .saturating_mul(1i64 << past.min(30))
            .min(MAX_DELAY_MS);
        Some(self.last_ms + delay)
    }
}

/// The failed sign-ins the node remembers.
#[derive(Debug, Default)]
pub struct SignInThrottle {
    counts: HashMap<Key, Failures>,
    recent: VecDeque<i64>,
}

impl SignInThrottle {
    /// Whether `client` may try `username` at `now_ms`; if not, how many milliseconds it waits.
    pub fn check(&mut self, client: &str, username: &str, now_ms: i64) -> Result<(), i64> {
        self.forget(now_ms);
        let client_count = self.counts.get(&Key::Client(client.into())).copied();
        let pair = Key::Pair(client.into(), username.into());
        let until = [
            client_count.and_then(|f| f.wait_until(CLIENT_FREE)),
            self.counts.get(&pair).and_then(|f| f.wait_until(PAIR_FREE)),
            client_count.and_then(|_| self.global_until()),
        ]
        .into_iter()
        .flatten()
        .max();
        match until {
            Some(until) if until > now_ms => Err(until - now_ms),
            _ => Ok(()),
        }
    }

    /// Records a failed sign-in of `client` for `username` at `now_ms`.
    pub fn failed(&mut self, client: &str, username: &str, now_ms: i64) {
        for key in [
            Key::Client(client.into()),
            Key::Pair(client.into(), username.into()),
        ] {
            let entry = self.counts.entry(key).or_insert(Failures {
                count: 0,
                last_ms: now_ms,
            });
            entry.count = entry.count.saturating_add(1);
            entry.last_ms = now_ms;
        }
        self.recent.push_back(now_ms);
        if self.counts.len() > MAX_KEYS {
            self.drop_oldest();
        }
    }

    /// Forgets the failures of `client` for `username` after it signed in; the client's own
    /// count stays, so a client cannot clear its record by signing in to an account it holds.
    pub fn succeeded(&mut self, client: &str, username: &str) {
        self.counts
            .remove(&Key::Pair(client.into(), username.into()));
    }

    /// When the global window has room again, while it is full.
    fn global_until(&self) -> Option<i64> {
        (self.recent.len() >= GLOBAL_FAILURES)
            .then(|| self.recent[self.recent.len() - GLOBAL_FAILURES] + GLOBAL_WINDOW_MS)
    }

    fn forget(&mut self, now_ms: i64) {
        while self
            .recent
            .front()
            .is_some_and(|t| *t <= now_ms - GLOBAL_WINDOW_MS)
        {
            self.recent.pop_front();
        }
        self.counts.retain(|_, f| now_ms - f.last_ms < FORGET_MS);
    }

    /// Keeps about the newest half of the counts (all of them gone if they are all as old).
    fn drop_oldest(&mut self) {
        let mut times: Vec<i64> = self.counts.values().map(|f| f.last_ms).collect();
        let cut = times.len() - MAX_KEYS / 2;
        let (_, newest_dropped, _) = times.select_nth_unstable(cut - 1);
        let newest_dropped = *newest_dropped;
        self.counts.retain(|_, f| f.last_ms > newest_dropped);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plays `steps` (`client username outcome` at a time in seconds, outcome `fail` or `ok`),
    /// writing what `check` answered before each: `go` or `wait <ms>`.
    fn check(steps: &[(i64, &str, &str, &str)], expected: &[&str]) {
        let mut throttle = SignInThrottle::default();
        let got: Vec<String> = steps
            .iter()
            .map(|&(at_s, client, username, outcome)| {
                let now = at_s * 1000;
                let answer = match throttle.check(client, username, now) {
                    Ok(()) => "go".to_string(),
                    Err(ms) => return format!("wait {ms}"),
                };
                match outcome {
                    "fail" => throttle.failed(client, username, now),
                    _ => throttle.succeeded(client, username),
                }
                answer
            })
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn one_username_from_one_client_waits_doubling_delays() {
        check(
            &[
                (0, "a", "lan", "fail"),
                (0, "a", "lan", "fail"),
                (0, "a", "lan", "fail"),
                (0, "a", "lan", "fail"),
                (1, "a", "lan", "fail"),
                (2, "a", "lan", "fail"),
                (3, "a", "lan", "fail"),
                (5, "a", "lan", "fail"),
                (5, "b", "lan", "ok"),
            ],
            &[
                "go",
                "go",
                "go",
                "wait 1000",
                "go",
                "wait 1000",
                "go",
                "wait 2000",
                "go",
            ],
        );
    }

    #[test]
    fn many_usernames_from_one_client_wait_too() {
        let names: Vec<String> = (0..12).map(|i| format!("user{i}")).collect();
        let steps: Vec<_> = names.iter().map(|n| (0, "a", n.as_str(), "fail")).collect();
        let mut expected = vec!["go"; 10];
        expected.extend(["wait 1000", "wait 1000"]);
        check(&steps, &expected);
    }

    #[test]
    fn delays_stop_at_fifteen_minutes_and_counts_are_forgotten() {
        let mut throttle = SignInThrottle::default();
        for _ in 0..40 {
            throttle.failed("a", "lan", 0);
        }
        assert_eq!(throttle.check("a", "lan", 0), Err(MAX_DELAY_MS));
        assert_eq!(throttle.check("a", "lan", MAX_DELAY_MS), Ok(()));
        throttle.check("a", "lan", FORGET_MS).unwrap();
        assert!(throttle.counts.is_empty());
    }

    #[test]
    fn a_full_global_window_holds_failing_clients_only() {
        let mut throttle = SignInThrottle::default();
        for i in 0..GLOBAL_FAILURES {
            throttle.failed(&format!("client{i}"), "lan", 1_000);
        }
        assert_eq!(throttle.check("client0", "other", 2_000), Err(59_000));
        assert_eq!(throttle.check("fresh", "lan", 2_000), Ok(()));
        assert_eq!(throttle.check("client0", "other", 61_000), Ok(()));
    }

    #[test]
    fn the_table_stays_bounded() {
        let mut throttle = SignInThrottle::default();
        for i in 0..MAX_KEYS {
            throttle.failed(&format!("c{i}"), "x", i as i64);
        }
        assert!(throttle.counts.len() <= MAX_KEYS);
        assert!(throttle.counts.len() >= MAX_KEYS / 2);
    }
}
