//! Network timeouts for PostgreSQL connections.

/// libpq waits forever for a server that does not answer (a dropped route, a firewall that
/// discards packets): then no connect attempt fails, the pool only times out, and the breaker
/// never learns that the database is gone. A connect timeout below the pool's wait, and TCP
/// keepalives and a TCP user timeout (unacknowledged data) for connections already open, make
/// such a database fail like a stopped one instead of holding a request for hours.
/// Parameters the operator put in the URL win.
pub fn with_timeouts(url: &str) -> String {
    const DEFAULTS: [(&str, &str); 5] = [
        ("connect_timeout", "2"),
        ("keepalives_idle", "30"),
        ("keepalives_interval", "10"),
        ("keepalives_count", "3"),
        ("tcp_user_timeout", "10000"),
    ];
    let mut out = url.to_string();
    for (name, value) in DEFAULTS {
        let present =
            url.split_once('?').is_some_and(|(_, query)| query.split('&').any(|p| p.split('=').next() == Some(name)));
        if !present {
            out.push(if out.contains('?') { '&' } else { '?' });
            out.push_str(&format!("{name}={value}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn timeouts_are_added_unless_the_url_sets_them() {
        assert_eq!(
            super::with_timeouts("postgres://u@h/db"),
            "postgres://u@h/db?connect_timeout=2&keepalives_idle=30&keepalives_interval=10&keepalives_count=3&tcp_user_timeout=10000"
        );
        let own = super::with_timeouts("postgres://u@h/db?sslmode=require&connect_timeout=9");
        assert!(own.starts_with("postgres://u@h/db?sslmode=require&connect_timeout=9&keepalives_idle=30"));
        assert_eq!(own.matches("connect_timeout").count(), 1);
    }
}
