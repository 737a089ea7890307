use crate::helpers::{api_submission, seed_closes_at, seed_opens_at, spawn_app, spawn_app_with, Backend};
use crate::on_both_backends;
use chrono::Duration;
use serde_json::{json, Value};

const SUBMIT: &str = "/api/v1/consultations/ismap-2020/submissions";

async fn lists_consultations_with_status(backend: Backend) {
    let app = spawn_app(backend).await;
    let body: Value = app.get("/api/v1/consultations").await.json().await.unwrap();
    let seed = body["consultations"].as_array().unwrap().iter().find(|c| c["slug"] == "ismap-2020").unwrap().clone();
    assert_eq!(seed["status"], "open");
    assert_eq!(seed["opens_at"], "2020-03-27T06:00:00Z");
    assert_eq!(seed["closes_at"], "2020-04-26T15:00:00Z");
    assert_eq!(seed["time_zone"], "Asia/Tokyo");
    let detail: Value = app.get("/api/v1/consultations/ismap-2020").await.json().await.unwrap();
    let codes: Vec<&str> = detail["drafts"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(
        codes,
        [
            "basic-rules",
            "cloud-service-registration",
            "management-standards",
            "audit-organization-registration",
            "audit-guidelines"
        ]
    );
    let missing = app.get("/api/v1/consultations/nope").await;
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
}

async fn a_submission_is_stored_with_its_opinions(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({
        "submitter": {"name": "Hanako", "email": "hanako@example.jp"},
        "locale": "ja",
        "opinions": [
            {"draft": "management-standards", "location": "3.2.1", "body": "管理基準について", "reason": "理由"},
            {"draft": null, "body": "全体について"}
        ]
    });
    let response = app.post_json(SUBMIT, &body).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let receipt = created["receipt_number"].as_str().unwrap();
    assert!(receipt.parse::<pubcom::domain::ReceiptNumber>().is_ok(), "{receipt}");
    assert_eq!(created["received_at"], "2020-04-01T03:00:00Z");
    assert_eq!(app.count("submissions").await, 1);
    assert_eq!(app.count("opinions").await, 2);
    assert_eq!(app.count("outbox").await, 1, "the receipt email job is written with the submission");

    let page = app.get(&format!("/c/ismap-2020/receipt/{receipt}?lang=ja")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("管理基準について"));
    assert!(html.contains("全体について"));
    assert!(html.contains("2020年4月1日（水）12時00分（日本時間）"));
}

async fn the_window_is_exact_at_both_ends(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = api_submission("basic-rules", "timing");
    app.clock.set(seed_opens_at() - Duration::seconds(1));
    let early = app.post_json(SUBMIT, &body).await;
    assert_eq!(early.status(), 403);
    let early: Value = early.json().await.unwrap();
    assert_eq!(early["error"], "not_open");
    assert_eq!(early["opens_at"], "2020-03-27T06:00:00Z");
    assert_eq!(early["closes_at"], "2020-04-26T15:00:00Z");

    app.clock.set(seed_opens_at());
    assert_eq!(app.post_json(SUBMIT, &body).await.status(), 201);
    app.clock.set(seed_closes_at() - Duration::seconds(1));
    assert_eq!(app.post_json(SUBMIT, &body).await.status(), 201);
    app.clock.set(seed_closes_at());
    let late = app.post_json(SUBMIT, &body).await;
    assert_eq!(late.status(), 403);
    assert_eq!(late.json::<Value>().await.unwrap()["error"], "closed");
    app.clock.set(seed_closes_at() + Duration::seconds(1));
    assert_eq!(app.post_json(SUBMIT, &body).await.status(), 403);
    assert_eq!(app.count("submissions").await, 2);
}

async fn invalid_fields_are_listed_one_by_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({
        "submitter": {"email": "not-an-address", "name": "two\nlines"},
        "opinions": [{"draft": "no-such-draft", "body": ""}]
    });
    let response = app.post_json(SUBMIT, &body).await;
    assert_eq!(response.status(), 422);
    let err: Value = response.json().await.unwrap();
    assert_eq!(err["error"], "invalid");
    let fields: Vec<&str> = err["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"submitter.email"), "{fields:?}");
    assert!(fields.contains(&"submitter.name"), "{fields:?}");
    assert!(fields.contains(&"opinions[0].draft"), "{fields:?}");
    assert!(fields.contains(&"opinions[0].body"), "{fields:?}");
    for f in err["fields"].as_array().unwrap() {
        assert!(!f["message"].as_str().unwrap().to_lowercase().contains("invalid"), "say what to do: {f}");
    }
    let none = app.post_json(SUBMIT, &json!({"opinions": []})).await;
    assert_eq!(none.status(), 422);
    assert_eq!(app.count("submissions").await, 0);
}

async fn malformed_or_wrong_bodies_get_the_documented_errors(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.max_request_bytes = 64 * 1024).await;
    let url = format!("{}{SUBMIT}", app.url);
    let malformed =
        app.client.post(&url).header("content-type", "application/json").body("{\"opinions\": [").send().await.unwrap();
    assert_eq!(malformed.status(), 400);
    assert_eq!(malformed.json::<Value>().await.unwrap()["error"], "bad_request");

    let form = app.client.post(&url).header("content-type", "text/plain").body("hello").send().await.unwrap();
    assert_eq!(form.status(), 415);
    assert_eq!(form.json::<Value>().await.unwrap()["error"], "unsupported_media_type");

    let huge = api_submission("basic-rules", &"x".repeat(100 * 1024));
    let too_large = app.post_json(SUBMIT, &huge).await;
    assert_eq!(too_large.status(), 413);
    assert_eq!(too_large.json::<Value>().await.unwrap()["error"], "payload_too_large");

    let unknown = app.post_json("/api/v1/consultations/nope/submissions", &api_submission("x", "y")).await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(app.count("submissions").await, 0);
}

async fn submissions_are_rate_limited_per_client(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.rate_limit.submissions_per_minute = 2).await;
    let body = api_submission("basic-rules", "again");
    assert_eq!(app.post_json(SUBMIT, &body).await.status(), 201);
    assert_eq!(app.post_json(SUBMIT, &body).await.status(), 201);
    let limited = app.post_json(SUBMIT, &body).await;
    assert_eq!(limited.status(), 429);
    let wait: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait));
    assert_eq!(limited.json::<Value>().await.unwrap()["error"], "rate_limited");
    assert_eq!(app.count("submissions").await, 2);
}

async fn a_repeated_idempotency_key_returns_the_first_receipt(backend: Backend) {
    let app = spawn_app(backend).await;
    let url = format!("{}{SUBMIT}", app.url);
    let body = api_submission("basic-rules", "once");
    let first: Value =
        app.client.post(&url).header("idempotency-key", "k-1").json(&body).send().await.unwrap().json().await.unwrap();
    let second = app.client.post(&url).header("idempotency-key", "k-1").json(&body).send().await.unwrap();
    assert_eq!(second.status(), 200);
    let second: Value = second.json().await.unwrap();
    assert_eq!(first["receipt_number"], second["receipt_number"]);
    assert_eq!(app.count("submissions").await, 1);
}

/// Two clients that both use the key "1" with different bodies: the second is refused and
/// never gets the first person's receipt; bad keys are refused, not ignored.
async fn a_key_used_for_other_content_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let url = format!("{}{SUBMIT}", app.url);
    let send = |key: &'static [u8], body: Value| {
        let (client, url) = (app.client.clone(), url.clone());
        async move {
            let key = reqwest::header::HeaderValue::from_bytes(key).unwrap();
            let r = client.post(&url).header("idempotency-key", key).json(&body).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s1, first) = send(b"1", api_submission("basic-rules", "the first person's opinion")).await;
    assert_eq!(s1, 201);
    let (s2, second) = send(b"1", api_submission("basic-rules", "the second person's opinion")).await;
    assert_eq!(s2, 422);
    assert_eq!(second["error"], "idempotency_key_reused");
    assert!(second.get("receipt_number").is_none());
    let (s3, retry) = send(b"1", api_submission("basic-rules", "the first person's opinion")).await;
    assert_eq!((s3, &retry["receipt_number"]), (200, &first["receipt_number"]), "a true retry");
    assert_eq!(app.count("submissions").await, 1);
    let receipt = first["receipt_number"].as_str().unwrap();
    let page = app.get(&format!("/c/ismap-2020/receipt/{receipt}")).await.text().await.unwrap();
    assert!(!page.contains("the second person"), "nobody reads another's text");
    for key in [&b"k".repeat(101)[..], "鍵".as_bytes(), b"   "] {
        let r = app.client.post(&url).header("idempotency-key", reqwest::header::HeaderValue::from_bytes(key).unwrap());
        let r = r.json(&api_submission("basic-rules", "x")).send().await.unwrap();
        assert_eq!(r.status(), 400, "{key:?}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "bad_request");
        assert!(body["message"].as_str().unwrap().contains("Idempotency-Key"));
    }
    assert_eq!(app.count("submissions").await, 1, "refused keys store nothing");
}

on_both_backends!(
    a_key_used_for_other_content_is_refused,
    lists_consultations_with_status,
    a_submission_is_stored_with_its_opinions,
    the_window_is_exact_at_both_ends,
    invalid_fields_are_listed_one_by_one,
    malformed_or_wrong_bodies_get_the_documented_errors,
    submissions_are_rate_limited_per_client,
    a_repeated_idempotency_key_returns_the_first_receipt,
);
