//! Submissions per client address per minute, in fixed one-minute windows.
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RateLimiter {
    per_minute: u32,
    clients: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self { per_minute, clients: Mutex::new(HashMap::new()) }
    }

    /// `Err(seconds)` to wait when the client is over its limit.
    pub fn check(&self, client: Option<IpAddr>) -> Result<(), u64> {
        let (Some(ip), true) = (client, self.per_minute > 0) else {
            return Ok(());
        };
        let now = Instant::now();
        let window = Duration::from_secs(60);
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if clients.len() > 100_000 {
            clients.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = clients.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        if entry.1 >= self.per_minute {
            let left = window.saturating_sub(now.duration_since(entry.0));
            return Err(left.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_counts_per_client_and_says_how_long_to_wait() {
        let limiter = RateLimiter::new(2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limiter.check(Some(a)).is_ok());
        assert!(limiter.check(Some(a)).is_ok());
        let wait = limiter.check(Some(a)).unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(limiter.check(Some(b)).is_ok());
        assert!(RateLimiter::new(0).check(Some(a)).is_ok());
    }
}
