//! A per-client limit that holds across instances: counted in Redis when
//! `rate_limit.redis_url` is set (fixed one-minute windows, one `INCR` and `EXPIRE` per
//! request), in this process's memory otherwise. When Redis cannot be reached the memory
//! count stands in, so a limit still holds per instance.
use super::RateLimiter;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub struct SharedLimit {
    memory: RateLimiter,
    redis: Option<RedisCounter>,
}

struct RedisCounter {
    conn: redis::aio::ConnectionManager,
    /// `namespace:what`, so several limits and several deployments can share one Redis.
    prefix: String,
    per_minute: u32,
    /// When a Redis failure was last logged (seconds since the epoch), to log it once a minute.
    last_warned: AtomicU64,
}

impl SharedLimit {
    pub fn in_memory(per_minute: u32) -> Self {
        Self { memory: RateLimiter::new(per_minute), redis: None }
    }

    /// Connects to Redis; fails when it cannot be reached at start (a configured shared limit
    /// that silently held per instance would be worse than a clear start-up error).
    pub async fn in_redis(url: &str, namespace: &str, what: &str, per_minute: u32) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| format!("rate_limit.redis_url: {e}"))?;
        let conn = redis::aio::ConnectionManager::new(client)
            .await
            .map_err(|e| format!("rate_limit.redis_url: cannot connect: {e}"))?;
        let redis =
            RedisCounter { conn, prefix: format!("{namespace}:{what}"), per_minute, last_warned: AtomicU64::new(0) };
        Ok(Self { memory: RateLimiter::new(per_minute), redis: Some(redis) })
    }

    /// `Err(seconds)` to wait when the client is over its limit.
    pub async fn check(&self, client: Option<IpAddr>) -> Result<(), u64> {
        let (Some(redis), Some(ip)) = (&self.redis, client) else {
            return self.memory.check(client);
        };
        if redis.per_minute == 0 {
            return Ok(());
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let key = format!("{}:{ip}:{}", redis.prefix, now / 60);
        let counted: redis::RedisResult<(u64,)> = redis::pipe()
            .atomic()
            .incr(&key, 1u64)
            .expire(&key, 120)
            .ignore()
            .query_async(&mut redis.conn.clone())
            .await;
        match counted {
            Ok((n,)) if n > u64::from(redis.per_minute) => Err((60 - now % 60).max(1)),
            Ok(_) => Ok(()),
            Err(error) => {
                if redis.last_warned.swap(now / 60, Ordering::Relaxed) != now / 60 {
                    tracing::warn!(%error, "rate limit: Redis unreachable, counting in this instance meanwhile");
                }
                self.memory.check(client)
            }
        }
    }
}
