//! Bad input gets a clear answer in the documented shape, never a 500 or the framework's own
//! text: control characters in the staff search, a `next` that would split a header, and query
//! strings or paths the framework cannot read.
use crate::helpers::{spawn_app, Backend};
use crate::on_both_backends;
use crate::staff::{signed_in, StaffClient, PASSWORD};
use pubcom::domain::staff::Role;
use serde_json::Value;

async fn bad_input_gets_a_clear_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    let analyst = signed_in(&app, "analyst", Role::Analyst).await;
    for q in ["%00", "a%00b", "%1B[31m"] {
        let r = analyst.get(&format!("/staff/c/ismap-2020/opinions?q={q}&lang=en")).await;
        assert_eq!(r.status(), 400, "{q}");
        assert!(r.text().await.unwrap().contains("The search holds control characters."));
    }
    // A search that is only odd, not broken, still works.
    assert_eq!(analyst.get("/staff/c/ismap-2020/opinions?q=%25_%5C'").await.status(), 200);

    // Sign-in never redirects to a header-splitting or foreign `next`.
    crate::staff::add_user(&app, "clerk", Role::Clerk).await;
    for next in ["/staff/%0D%0ASet-Cookie:%20x=1", "https://evil.example/staff", "/staff/%E2%80%AE"] {
        let c = StaffClient::new(&app);
        let page = c.get(&format!("/staff/sign-in?next={next}")).await;
        assert_eq!(page.status(), 200, "{next}");
        let html = page.text().await.unwrap();
        let token = crate::helpers::form_token(&html);
        let decoded = percent_decode(next);
        let r = c
            .client
            .post(format!("{}/staff/sign-in", app.url))
            .form(&[("token", token.as_str()), ("username", "clerk"), ("password", PASSWORD), ("next", &decoded)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{next}");
        assert_eq!(r.headers()["location"], "/staff/", "{next}");
    }

    // The API answers unreadable query strings and paths with its documented body.
    let r = app.get("/api/v1/consultations/ismap-2020/results?version=abc").await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "bad_request");
    assert!(!body["message"].as_str().unwrap().contains("deserialize"), "{body}");
    // And pages with a page: a word where an id goes names nothing.
    let r = analyst.get("/staff/opinions/abc?lang=en").await;
    assert_eq!(r.status(), 404);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let r = app.get("/c/ismap-2020/results?version=abc&lang=en").await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("The query string could not be read."));
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

on_both_backends!(bad_input_gets_a_clear_answer);
