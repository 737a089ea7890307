//! A short circuit breaker in front of the pool: after a failed attempt to get a connection
//! (the pool waits up to its timeout), requests are refused at once for a moment instead of
//! each waiting the full timeout; then one request probes, and success closes it again.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Breaker {
    cool_off: Duration,
    /// Whether `open_until` is set: read without the lock on every checkout, so a healthy
    /// database costs no locking here.
    open: AtomicBool,
    /// While `Some`, refused until this instant; the first request after it probes.
    open_until: Mutex<Option<Instant>>,
}

impl Breaker {
    pub fn new(cool_off: Duration) -> Self {
        Self { cool_off, open: AtomicBool::new(false), open_until: Mutex::new(None) }
    }

    /// Whether a request may try the database now. Past the cool-off, the first to ask probes
    /// and the rest keep being refused until it reports.
    pub fn allow(&self, now: Instant) -> bool {
        if !self.open.load(Ordering::Acquire) {
            return true;
        }
        let mut open = self.open_until.lock().unwrap_or_else(|p| p.into_inner());
        match *open {
            None => true,
            Some(until) if now >= until => {
                *open = Some(now + self.cool_off);
                true
            }
            Some(_) => false,
        }
    }

    pub fn failed(&self, now: Instant) {
        *self.open_until.lock().unwrap_or_else(|p| p.into_inner()) = Some(now + self.cool_off);
        self.open.store(true, Ordering::Release);
    }

    pub fn succeeded(&self) {
        if !self.open.load(Ordering::Acquire) {
            return;
        }
        *self.open_until.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.open.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_a_failure_requests_are_refused_until_a_probe_succeeds() {
        let breaker = Breaker::new(Duration::from_secs(1));
        let t0 = Instant::now();
        assert!(breaker.allow(t0));
        breaker.failed(t0);
        assert!(!breaker.allow(t0 + Duration::from_millis(10)), "refused at once while open");
        assert!(breaker.allow(t0 + Duration::from_secs(1)), "one probe after the cool-off");
        assert!(!breaker.allow(t0 + Duration::from_millis(1010)), "others wait for the probe");
        breaker.failed(t0 + Duration::from_millis(1500));
        assert!(!breaker.allow(t0 + Duration::from_millis(1600)), "a failed probe opens it again");
        assert!(breaker.allow(t0 + Duration::from_millis(2500)));
        breaker.succeeded();
        assert!(breaker.allow(t0 + Duration::from_millis(2501)), "closed after a good probe");
    }
}
