use crate::helpers::{captured_logs, form_token, spawn_app, Backend};
use crate::on_both_backends;
use serde_json::json;

async fn personal_data_never_reaches_the_logs(backend: Backend) {
    let app = spawn_app(backend).await;
    let tag = format!("{:?}", backend).to_lowercase();
    let name = format!("CanaryName{tag}Zq");
    let email = format!("canary.{tag}@example.com");
    let address = format!("CanaryAddress{tag} 1-2-3");
    let phone = "+81-3-9999-7777";
    let body = json!({
        "submitter": {"name": name, "organization": "CanaryOrg", "email": email, "postal_address": address, "phone": phone},
        "opinions": [{"body": "logs"}]
    });
    assert_eq!(app.post_json("/api/v1/consultations/ismap-2020/submissions", &body).await.status(), 201);
    // And through the web form, including a refused one.
    let html = app.get("/c/ismap-2020/submit?lang=en").await.text().await.unwrap();
    let token = form_token(&html);
    for email_value in [email.as_str(), "bad address CanaryBad"] {
        let form = [
            ("token", token.as_str()),
            ("action", "send"),
            ("opinion_count", "1"),
            ("opinion-0-body", "form"),
            ("name", name.as_str()),
            ("email", email_value),
            ("postal_address", address.as_str()),
            ("phone", phone),
        ];
        app.post_form("/c/ismap-2020/submit", &form).await;
    }
    // Give the worker time to send (log transport) and log.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let logs = captured_logs();
    assert!(logs.contains("submission accepted"), "the logs were captured");
    for canary in [name.as_str(), email.as_str(), address.as_str(), phone, "CanaryBad"] {
        assert!(!logs.contains(canary), "{canary} appeared in the logs");
    }
}

async fn opinion_text_is_escaped_everywhere_it_is_shown(backend: Backend) {
    let app = spawn_app(backend).await;
    let payloads = ["<script>alert('x')</script>", "\"><img src=x onerror=alert(1)>", "javascript:alert(1)"];
    let html = app.get("/c/ismap-2020/submit?lang=en").await.text().await.unwrap();
    let token = form_token(&html);
    let joined = payloads.join(" ");
    let form = [
        ("token", token.as_str()),
        ("opinion_count", "1"),
        ("opinion-0-body", joined.as_str()),
        ("opinion-0-location", payloads[1]),
        ("opinion-0-reason", payloads[0]),
        ("organization", payloads[1]),
    ];
    let mut pages = Vec::new();
    let confirm = app.post_form("/c/ismap-2020/submit", &[&form[..], &[("action", "confirm")]].concat()).await;
    pages.push(confirm.text().await.unwrap());
    let sent = app.post_form("/c/ismap-2020/submit", &[&form[..], &[("action", "send")]].concat()).await;
    let location = sent.headers()["location"].to_str().unwrap().to_string();
    pages.push(app.get(&location).await.text().await.unwrap());
    let mut bad = form.to_vec();
    bad.push(("action", "confirm"));
    bad.push(("email", "not valid"));
    pages.push(app.post_form("/c/ismap-2020/submit", &bad).await.text().await.unwrap());
    for page in &pages {
        assert!(!page.contains("<script>alert"), "raw script tag in a page");
        assert!(!page.contains("<img src=x"), "raw img tag in a page");
        assert!(page.contains("&lt;script&gt;") || page.contains("&#60;script&#62;"), "the text is shown, escaped");
    }
}

on_both_backends!(personal_data_never_reaches_the_logs, opinion_text_is_escaped_everywhere_it_is_shown);
