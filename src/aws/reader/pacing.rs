//! Timing rules for one shard: call spacing, back-off with jitter, and rates.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::{sleep_until, Instant};

/// Spaces calls so that no two start closer than `min_interval`, and lets the reader push
/// the next call further out (idle at the tip, backing off after an error).
#[derive(Debug)]
pub struct Pacer {
    min_interval: Duration,
    next_allowed: Instant,
}

impl Pacer {
    pub fn new(min_interval: Duration) -> Self {
        Pacer { min_interval, next_allowed: Instant::now() }
    }

    /// Waits until the next call may start and books the slot.
    pub async fn ready(&mut self) {
        sleep_until(self.next_allowed).await;
        self.next_allowed = Instant::now() + self.min_interval;
    }

    /// Makes the next call wait at least `delay` from now.
    pub fn hold_for(&mut self, delay: Duration) {
        self.next_allowed = self.next_allowed.max(Instant::now() + delay);
    }
}

/// Exponential back-off with jitter. Each delay lies in `[d, d * 1.5)` where `d` doubles
/// from `base` up to `cap`, so the first delay is never shorter than `base`.
#[derive(Debug)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Self {
        Backoff { base, cap, attempt: 0 }
    }

    pub fn next_delay(&mut self) -> Duration {
        let doubled = self.base.saturating_mul(1u32 << self.attempt.min(16));
        self.attempt = self.attempt.saturating_add(1);
        let d = doubled.min(self.cap);
        d + d.mul_f64(fastrand::f64() * 0.5)
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// Records and bytes per second over a short sliding window.
#[derive(Debug)]
pub struct RateMeter {
    window: Duration,
    started: Instant,
    samples: VecDeque<(Instant, u64, u64)>,
}

impl RateMeter {
    pub fn new(window: Duration) -> Self {
        RateMeter { window, started: Instant::now(), samples: VecDeque::new() }
    }

    pub fn add(&mut self, records: u64, bytes: u64) {
        let now = Instant::now();
        self.samples.push_back((now, records, bytes));
        self.expire(now);
    }

    /// (records/s, bytes/s)
    pub fn rates(&mut self) -> (f64, f64) {
        let now = Instant::now();
        self.expire(now);
        let span = self.window.min(now - self.started).as_secs_f64().max(1.0);
        let (records, bytes) = self.samples.iter().fold((0, 0), |(r, b), s| (r + s.1, b + s.2));
        (records as f64 / span, bytes as f64 / span)
    }

    fn expire(&mut self, now: Instant) {
        while let Some(&(at, _, _)) = self.samples.front() {
            if now - at > self.window {
                self.samples.pop_front();
            } else {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn pacer_spaces_calls() {
        let mut pacer = Pacer::new(Duration::from_millis(200));
        let start = Instant::now();
        for _ in 0..6 {
            pacer.ready().await;
        }
        assert_eq!(Instant::now() - start, Duration::from_millis(1000));
        pacer.hold_for(Duration::from_secs(3));
        pacer.ready().await;
        assert_eq!(Instant::now() - start, Duration::from_millis(4000));
    }

    #[test]
    fn backoff_grows_with_jitter_and_never_undercuts_the_base() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(8));
        let delays: Vec<Duration> = (0..6).map(|_| backoff.next_delay()).collect();
        for (i, d) in delays.iter().enumerate() {
            let floor = Duration::from_secs(1 << i.min(3));
            assert!(*d >= floor && *d < floor.mul_f64(1.5), "attempt {i}: {d:?}");
        }
        backoff.reset();
        assert!(backoff.next_delay() < Duration::from_millis(1500));
    }

    #[tokio::test(start_paused = true)]
    async fn rate_meter_forgets_old_samples() {
        let mut meter = RateMeter::new(Duration::from_secs(5));
        tokio::time::advance(Duration::from_secs(10)).await;
        meter.add(500, 50_000);
        assert_eq!(meter.rates(), (100.0, 10_000.0));
        tokio::time::advance(Duration::from_secs(6)).await;
        assert_eq!(meter.rates(), (0.0, 0.0));
    }
}
