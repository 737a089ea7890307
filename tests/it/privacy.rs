use crate::helpers::{captured_logs, form_token, spawn_app, Backend, TestApp};
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
    let api = app.post_json("/api/v1/consultations/ismap-2020/submissions", &body).await;
    assert_eq!(api.status(), 201);
    let api_receipt = api.json::<serde_json::Value>().await.unwrap()["receipt_number"].as_str().unwrap().to_string();
    // And through the web form: one refused for its address, then one sent.
    let html = app.get("/c/ismap-2020/submit?lang=en").await.text().await.unwrap();
    let token = form_token(&html);
    let mut form_receipt = String::new();
    for (email_value, expected) in [("bad address CanaryBad", 422), (email.as_str(), 303)] {
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
        let response = app.post_form("/c/ismap-2020/submit", &form).await;
        assert_eq!(response.status(), expected, "{email_value}");
        if let Some(location) = response.headers().get("location") {
            form_receipt = location.to_str().unwrap().split('/').nth(4).unwrap().split('?').next().unwrap().into();
        }
    }
    // Both receipt emails go out (the log transport writes a line for each).
    wait_for_outbox_to_drain(&app).await;
    let logs = captured_logs();
    // This test's own lines are there: the log lines name the receipts, never the people.
    for receipt in [&api_receipt, &form_receipt] {
        assert!(logs.contains(&format!("\"receipt\":\"{receipt}\"")), "the log line for {receipt} was captured");
    }
    for canary in [name.as_str(), email.as_str(), address.as_str(), phone, "CanaryBad"] {
        assert!(!logs.contains(canary), "{canary} appeared in the logs");
    }
}

async fn wait_for_outbox_to_drain(app: &TestApp) {
    for _ in 0..200 {
        if app.db.run(pubcom::db::outbox::pending).await.unwrap() == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the receipt emails were not sent within 5 s");
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
