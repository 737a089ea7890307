//! A submitter's own submission by receipt number: its status through the window and after
//! publication (its answer, redaction and campaign count), withdrawal before the deadline and
//! not after, the check form, the private headers, and receipt numbers kept out of the logs and
//! the public outputs.
use crate::campaigns::app;
use crate::helpers::{captured_logs, form_token, Backend, TestApp};
use crate::on_both_backends;
use crate::publication::wait_for_scans;
use crate::staff::signed_in;
use crate::triage::{approve, new_item, opinion_ids, post_opinion, publish, submit};
use chrono::{TimeZone, Utc};
use pubcom::domain::staff::Role;
use serde_json::{json, Value};

const CAMPAIGN: &str = "中小クラウド事業者の参入障壁とならないよう、登録手数料と監査費用の上限を定めてください。\
                        特に地方の事業者にとって、現行案の費用負担は過大です。";

fn assert_private(r: &reqwest::Response, what: &str) {
    let h = r.headers();
    assert_eq!(h.get("referrer-policy").unwrap(), "no-referrer", "{what}");
    assert_eq!(h.get("cache-control").unwrap(), "no-store", "{what}");
    assert_eq!(h.get("x-robots-tag").unwrap(), "noindex", "{what}");
}

async fn page(app: &TestApp, receipt: &str, lang: &str) -> String {
    let r = app.get(&format!("/c/ismap-2020/receipt/{receipt}?lang={lang}")).await;
    assert_eq!(r.status(), 200);
    assert_private(&r, "receipt page");
    r.text().await.unwrap()
}

async fn status(app: &TestApp, receipt: &str) -> Value {
    let r = app.get(&format!("/api/v1/consultations/ismap-2020/submissions/{receipt}?lang=ja")).await;
    assert_eq!(r.status(), 200);
    assert_private(&r, "status API");
    r.json().await.unwrap()
}

async fn withdraw_api(app: &TestApp, receipt: &str) -> reqwest::Response {
    let r =
        app.post_json(&format!("/api/v1/consultations/ismap-2020/submissions/{receipt}/withdrawal"), &json!({})).await;
    assert_private(&r, "withdrawal API");
    r
}

/// A submission is followed from receipt to answer; one is withdrawn while the window is
/// open and counted as withdrawn, and withdrawal is refused once it has closed.
async fn a_receipt_follows_the_opinion_to_its_answer(backend: Backend) {
    let app = app(backend).await;
    let named = submit(
        &app,
        json!({"opinions": [{"draft": "management-standards", "body": "鈴木花子さんの件も踏まえ、監査の頻度を明確にしてください。"}]}),
    )
    .await;
    let mut campaign = Vec::new();
    for body in [CAMPAIGN.to_string(), CAMPAIGN.replace("特に", "とりわけ"), CAMPAIGN.replace("定めて", "設けて")]
    {
        campaign.push(submit(&app, json!({"opinions": [{"draft": "basic-rules", "body": body}]})).await);
    }
    let mistaken = submit(
        &app,
        json!({"opinions": [{"draft": "basic-rules", "body": "WithdrawnCanary: sent by mistake, call 090-1234-5678."}], "submitter": {"email": "w@example.jp"}}),
    )
    .await;

    // While the window is open: received, and may be withdrawn (with a confirmation step).
    let open = page(&app, &named, "en").await;
    assert!(open.contains("While the consultation is open you can withdraw it."));
    assert!(open.contains("id=\"withdraw-link\""));
    assert_eq!(status(&app, &named).await["status"], "received");
    let confirm = app.get(&format!("/c/ismap-2020/receipt/{mistaken}/withdrawal?lang=en")).await;
    assert_eq!(confirm.status(), 200);
    assert_private(&confirm, "confirmation page");
    let token = form_token(&confirm.text().await.unwrap());
    let forged = app.post_form(&format!("/c/ismap-2020/receipt/{mistaken}/withdrawal"), &[("token", "0.0")]).await;
    assert_eq!(forged.status(), 403, "not without the confirmation form's token");
    assert_eq!(status(&app, &mistaken).await["status"], "received");
    let done = app.post_form(&format!("/c/ismap-2020/receipt/{mistaken}/withdrawal"), &[("token", &token)]).await;
    assert_eq!(done.status(), 303);
    let location = done.headers()["location"].to_str().unwrap().to_string();
    let withdrawn = app.get(&location).await.text().await.unwrap();
    assert!(withdrawn.contains("Your submission has been withdrawn."), "{withdrawn}");
    assert!(!withdrawn.contains("id=\"withdraw-link\""));
    let again = withdraw_api(&app, &mistaken).await;
    assert_eq!(again.status(), 409);
    assert_eq!(again.json::<Value>().await.unwrap()["error"], "already_withdrawn");
    assert_eq!(app.count("audit_log WHERE action = 'submission_withdraw'").await, 1, "audited once");
    assert_eq!(app.count("outbox WHERE kind = 'withdrawal_email'").await, 1, "confirmed by email");

    wait_for_scans(&app).await;
    crate::campaigns::wait_for_campaigns(&app).await;
    // The window closes: under consideration, and no withdrawal any more.
    app.clock.set(Utc.with_ymd_and_hms(2020, 5, 1, 3, 0, 0).unwrap());
    let closed = page(&app, &named, "en").await;
    assert!(closed.contains("The consultation has closed; the opinions sent are being considered."));
    assert!(!closed.contains("id=\"withdraw-link\""));
    let refused = withdraw_api(&app, &campaign[0]).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.json::<Value>().await.unwrap()["error"], "closed");
    let refused_page = app.get(&format!("/c/ismap-2020/receipt/{}/withdrawal?lang=en", campaign[0])).await;
    assert_eq!(refused_page.status(), 403);
    assert!(refused_page.text().await.unwrap().contains("submissions can no longer be withdrawn"));

    // Staff withhold a third party's name, answer both, and publish. The withdrawn opinion is
    // not in triage's coverage: nothing has to be decided about it.
    let analyst = signed_in(&app, "analyst", Role::Analyst).await;
    let approver = signed_in(&app, "approver", Role::Approver).await;
    let ids = opinion_ids(&app).await;
    let list = analyst.get("/staff/c/ismap-2020/opinions?lang=en").await.text().await.unwrap();
    assert!(list.contains(&format!("/staff/opinions/{}\"", ids[0])));
    assert!(!list.contains(&format!("/staff/opinions/{}\"", ids[4])), "withdrawn: out of the triage list");
    let staff_view = analyst.get(&format!("/staff/opinions/{}?lang=en", ids[4])).await.text().await.unwrap();
    assert!(staff_view.contains("id=\"withdrawn\""), "staff can still open it, marked withdrawn");
    let csrf = analyst.csrf().await;
    let fields = [
        ("csrf", csrf.as_str()),
        ("field", "body"),
        ("text", "鈴木花子"),
        ("reason", "third_party_personal_data"),
        ("note", ""),
    ];
    assert_eq!(analyst.post(&format!("/staff/opinions/{}/redactions", ids[0]), &fields).await.status(), 303);
    // What the background found in the named opinion is decided; the phone number found in
    // the withdrawn one needs no decision, since it will never be published.
    let staff_page = analyst.get(&format!("/staff/opinions/{}", ids[0])).await.text().await.unwrap();
    for r in crate::redaction::redaction_ids(&staff_page) {
        let path = format!("/staff/opinions/{}/redactions/{r}", ids[0]);
        let decide =
            [("csrf", csrf.as_str()), ("decision", "accept"), ("reason", "third_party_personal_data"), ("note", "")];
        analyst.post(&path, &decide).await;
    }
    let audit_item = new_item(&analyst, "management-standards", "We will state how often audits happen.").await;
    let fee_item = new_item(&analyst, "basic-rules", "We will set an upper limit.").await;
    let (a, f) = (audit_item.to_string(), fee_item.to_string());
    assert_eq!(post_opinion(&analyst, ids[0], &[("action", "link"), ("item", &a)]).await.status(), 303);
    let cluster = ids[1].to_string();
    let link = [
        ("csrf", csrf.as_str()),
        ("scope", "all"),
        ("f_cluster", &cluster),
        ("action", "link"),
        ("item", &f),
        ("confirmed", "yes"),
    ];
    assert_eq!(analyst.post("/staff/c/ismap-2020/opinions/bulk", &link).await.status(), 303);
    approve(&approver, audit_item).await;
    approve(&approver, fee_item).await;
    let published = publish(&approver).await;
    assert_eq!(published.status(), 303, "{}", published.text().await.unwrap());

    // The named opinion: as published (with the marker), the original kept, and its answer.
    let ja = page(&app, &named, "ja").await;
    assert!(ja.contains("結果が公示されました"));
    assert!(ja.contains("［個人情報のため削除］さんの件も踏まえ"), "published form with the marker");
    assert!(ja.contains("鈴木花子さんの件も踏まえ"), "the submitter's own text kept");
    let anchor = ja.split("href=\"/c/ismap-2020/results#").nth(1).unwrap().split('"').next().unwrap().to_string();
    let results = app.get("/c/ismap-2020/results?lang=ja").await.text().await.unwrap();
    assert!(results.contains(&format!("id=\"{anchor}\"")), "the link lands on the answer");
    let named_status = status(&app, &named).await;
    assert_eq!(named_status["status"], "published");
    assert_eq!(named_status["opinions"][0]["outcome"], "answered");
    assert_eq!(named_status["opinions"][0]["response_item_ids"], json!([audit_item]));
    // A campaign member: answered with the others of the same content.
    let member = page(&app, &campaign[2], "en").await;
    assert!(member.contains("It was answered together with other opinions of the same content."));
    let member_status = status(&app, &campaign[2]).await;
    assert_eq!(member_status["opinions"][0]["same_content"], true);
    assert_eq!(member_status["opinions"][0]["response_item_ids"], json!([fee_item]));
    // The withdrawn one: counted as withdrawn, never published.
    let gone = status(&app, &mistaken).await;
    assert_eq!(gone["status"], "withdrawn");
    assert_eq!(gone["opinions"][0]["outcome"], "withdrawn");
    let api: Value = app.get("/api/v1/consultations/ismap-2020/results").await.json().await.unwrap();
    assert!(api["totals"]["not_published"].as_array().unwrap().contains(&json!({"key": "withdrawn", "count": 1})));
    let csv = app.get("/c/ismap-2020/results.csv?lang=ja").await.text().await.unwrap();
    for public in [&results, &csv, &api.to_string()] {
        assert!(!public.contains("WithdrawnCanary"), "a withdrawn opinion is never published");
        for receipt in campaign.iter().chain([&named, &mistaken]) {
            assert!(!public.contains(receipt.as_str()), "receipt numbers stay out of public outputs");
        }
    }
    // Receipt numbers are bearer secrets: never written to the log.
    let logs = captured_logs();
    for receipt in campaign.iter().chain([&named, &mistaken]) {
        assert!(!logs.contains(receipt.as_str()), "{receipt} in the logs");
    }
}

/// The check form: typos are caught and said; malformed and unknown numbers look alike.
async fn the_check_form_catches_typos_and_tells_nothing_else(backend: Backend) {
    let app = app(backend).await;
    let receipt = submit(&app, json!({"opinions": [{"body": "check form"}]})).await;
    let typed = receipt.replace('-', " ").to_lowercase();
    let found = app.get(&format!("/c/ismap-2020/receipt?number={}", urlencode(&typed))).await;
    assert_eq!(found.status(), 303, "spaces and lower case are accepted");
    assert_private(&found, "check form");
    assert_eq!(found.headers()["location"], format!("/c/ismap-2020/receipt/{receipt}").as_str());
    // Change the check character: a typo, said as such.
    let last = receipt.chars().last().unwrap();
    let typo = format!("{}{}", &receipt[..receipt.len() - 1], if last == '0' { '1' } else { '0' });
    let r = app.get(&format!("/c/ismap-2020/receipt?number={typo}&lang=en")).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("the check character"));
    let api = app.get(&format!("/api/v1/consultations/ismap-2020/submissions/{typo}")).await;
    assert_eq!(api.status(), 422);
    assert_eq!(api.json::<Value>().await.unwrap()["error"], "receipt_number_typo");
    // An unknown number with a right check character, and one that is not a number at all.
    let unknown = "0000-0000-0000-0000-0";
    let mut answers = Vec::new();
    for number in [unknown, "hello"] {
        let r = app.get(&format!("/c/ismap-2020/receipt?number={number}&lang=en")).await;
        let status = r.status();
        let text = r.text().await.unwrap().replace(number, "");
        answers.push((status, text));
        let api = app.get(&format!("/api/v1/consultations/ismap-2020/submissions/{number}")).await;
        assert_eq!(api.status(), 404);
        assert_eq!(api.json::<Value>().await.unwrap()["error"], "not_found");
    }
    assert_eq!(answers[0].0, 404);
    assert_eq!(answers[0], answers[1], "unknown and malformed numbers get the same answer");
    assert_eq!(app.get(&format!("/c/ismap-2020/receipt/{unknown}")).await.status(), 404);
}

fn urlencode(s: &str) -> String {
    s.replace(' ', "+")
}

/// Lookups are limited per client, so receipt numbers cannot be guessed at speed.
async fn lookups_are_rate_limited(backend: Backend) {
    let app = crate::helpers::spawn_app_with(backend, |s| s.rate_limit.lookups_per_minute = 3).await;
    let receipt = submit(&app, json!({"opinions": [{"body": "limit"}]})).await;
    for _ in 0..3 {
        assert_eq!(app.get(&format!("/c/ismap-2020/receipt/{receipt}")).await.status(), 200);
    }
    let limited = app.get(&format!("/api/v1/consultations/ismap-2020/submissions/{receipt}")).await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    assert_private(&limited, "a refusal too");
}

on_both_backends!(
    a_receipt_follows_the_opinion_to_its_answer,
    the_check_form_catches_typos_and_tells_nothing_else,
    lookups_are_rate_limited,
);
