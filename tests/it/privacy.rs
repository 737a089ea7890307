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
            ("agree_to_notes", "yes"),
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
    // This test's lines are there; they name neither the people nor the receipt numbers (a
    // receipt number can withdraw the submission).
    assert!(logs.contains("submission accepted"), "the log was captured");
    for receipt in [&api_receipt, &form_receipt] {
        assert!(!receipt.is_empty() && !logs.contains(receipt.as_str()), "{receipt} appeared in the logs");
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
        ("agree_to_notes", "yes"),
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

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

/// Everything pubcom writes holds or may hold personal data: only its own user may read it.
/// A scan named `evil.html` that holds PNG bytes downloads as a PNG.
async fn files_on_disk_are_private_and_scans_download_as_what_they_are(backend: Backend) {
    let app = crate::helpers::spawn_app_with(backend, |s| s.mail.transport = pubcom::config::MailTransport::File).await;
    let body = json!({"submitter": {"email": "files@example.jp"}, "opinions": [{"body": "files"}]});
    assert_eq!(app.post_json("/api/v1/consultations/ismap-2020/submissions", &body).await.status(), 201);
    wait_for_outbox_to_drain(&app).await;
    let root = app.database.dir().to_path_buf();
    assert_eq!(mode(&root.join("data")), 0o700, "data_dir");
    assert_eq!(mode(&root.join("data/secret_key")), 0o600);
    assert_eq!(mode(&root.join("mail")), 0o700, "mail.file_dir");
    let mails: Vec<_> = std::fs::read_dir(root.join("mail")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(mails.len(), 1, "one receipt email written");
    assert_eq!(mode(&mails[0]), 0o600, "{}", mails[0].display());
    if backend == Backend::Sqlite {
        for file in ["pubcom.sqlite3", "pubcom.sqlite3-wal", "pubcom.sqlite3-shm"] {
            assert_eq!(mode(&root.join(file)), 0o600, "{file}");
        }
    }
    app.clock.set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2020, 4, 21, 3, 0, 0).unwrap());
    let clerk = crate::staff::signed_in(&app, "clerk", pubcom::domain::staff::Role::Clerk).await;
    let letter = crate::staff::letter("postal", "2020-04-20", "");
    let saved = crate::staff::transcribe(&clerk, &letter, Some(("evil.html", crate::staff::png()))).await;
    let receipt = crate::staff::receipt_of(&saved);
    let scans: Vec<_> = std::fs::read_dir(root.join("data/attachments")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(mode(&root.join("data/attachments")), 0o700);
    assert_eq!(mode(&scans[0]), 0o600);
    let page = clerk.get(&format!("/staff/transcriptions/{receipt}")).await.text().await.unwrap();
    let link = page[page.find("/staff/attachments/").unwrap()..].split('"').next().unwrap().to_string();
    let download = clerk.get(&link).await;
    assert_eq!(download.headers()["content-type"], "image/png");
    let disposition = download.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(disposition.starts_with("attachment; filename=\"evil.png\""), "{disposition}");
    assert!(disposition.ends_with("filename*=UTF-8''evil.png"), "the UTF-8 name is the same: {disposition}");
}

on_both_backends!(files_on_disk_are_private_and_scans_download_as_what_they_are);
