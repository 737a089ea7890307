use crate::helpers::{api_submission, spawn_app, Backend};
use crate::on_both_backends;

async fn probes_and_metrics_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    let head = app.client.head(format!("{}/healthz", app.url)).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(app.get("/readyz").await.status(), 200);
    app.post_json("/api/v1/consultations/ismap-2020/submissions", &api_submission("basic-rules", "m")).await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("pubcom_submissions_accepted_total{channel=\"api\"} 1"), "{metrics}");
    assert!(metrics.contains("pubcom_outbox_pending 0"));
    assert!(metrics.contains("pubcom_http_request_duration_seconds_count"));
}

async fn every_response_carries_security_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/", "/c/ismap-2020", "/c/ismap-2020/submit", "/api/v1/consultations", "/nowhere"] {
        let response = app.get(path).await;
        let h = response.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(h.contains_key("referrer-policy"), "{path}");
    }
}

on_both_backends!(probes_and_metrics_answer, every_response_carries_security_headers);
