//! Counters for `/metrics` in the Prometheus text format, kept with atomics (no extra crate).
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
pub struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, seconds: f64) {
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                self.counts[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }
}

#[derive(Default)]
pub struct Metrics {
    pub accepted_web: Counter,
    pub accepted_api: Counter,
    pub refused_not_open: Counter,
    pub refused_closed: Counter,
    pub refused_invalid: Counter,
    pub refused_rate_limited: Counter,
    pub refused_token: Counter,
    pub refused_busy: Counter,
    pub emails_sent: Counter,
    pub email_failures: Counter,
    pub request_latency: Histogram,
}

impl Metrics {
    pub fn render(&self, outbox_pending: Option<i64>, search_backlog: Option<i64>) -> String {
        let mut out = String::new();
        out.push_str("# HELP pubcom_submissions_accepted_total Submissions stored, by channel.\n");
        out.push_str("# TYPE pubcom_submissions_accepted_total counter\n");
        let _ = writeln!(out, "pubcom_submissions_accepted_total{{channel=\"web\"}} {}", self.accepted_web.get());
        let _ = writeln!(out, "pubcom_submissions_accepted_total{{channel=\"api\"}} {}", self.accepted_api.get());
        out.push_str("# HELP pubcom_submissions_refused_total Submissions refused, by reason.\n");
        out.push_str("# TYPE pubcom_submissions_refused_total counter\n");
        for (reason, counter) in [
            ("not_open", &self.refused_not_open),
            ("closed", &self.refused_closed),
            ("invalid", &self.refused_invalid),
            ("rate_limited", &self.refused_rate_limited),
            ("bad_token", &self.refused_token),
            ("busy", &self.refused_busy),
        ] {
            let _ = writeln!(out, "pubcom_submissions_refused_total{{reason=\"{reason}\"}} {}", counter.get());
        }
        out.push_str("# HELP pubcom_emails_sent_total Emails handed to the transport.\n");
        out.push_str("# TYPE pubcom_emails_sent_total counter\n");
        let _ = writeln!(out, "pubcom_emails_sent_total {}", self.emails_sent.get());
        out.push_str("# HELP pubcom_email_failures_total Failed attempts (each is retried).\n");
        out.push_str("# TYPE pubcom_email_failures_total counter\n");
        let _ = writeln!(out, "pubcom_email_failures_total {}", self.email_failures.get());
        if let Some(depth) = outbox_pending {
            out.push_str("# HELP pubcom_outbox_pending Jobs waiting in the outbox.\n");
            out.push_str("# TYPE pubcom_outbox_pending gauge\n");
            let _ = writeln!(out, "pubcom_outbox_pending {depth}");
        }
        if let Some(depth) = search_backlog {
            out.push_str("# HELP pubcom_search_backlog Opinions not yet in the search index.\n");
            out.push_str("# TYPE pubcom_search_backlog gauge\n");
            let _ = writeln!(out, "pubcom_search_backlog {depth}");
        }
        let h = &self.request_latency;
        out.push_str("# HELP pubcom_http_request_duration_seconds Time to answer HTTP requests.\n");
        out.push_str("# TYPE pubcom_http_request_duration_seconds histogram\n");
        for (i, bound) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "pubcom_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                h.counts[i].load(Ordering::Relaxed)
            );
        }
        let count = h.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "pubcom_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "pubcom_http_request_duration_seconds_sum {}",
            h.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "pubcom_http_request_duration_seconds_count {count}");
        out
    }
}
