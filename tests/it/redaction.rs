//! Redaction: suggestions found in the background, staff withholding text, and what every
//! public output then carries; the original stays with staff and the submitter.
use crate::helpers::{spawn_app_with, Backend, TestApp};
use crate::on_both_backends;
use crate::publication::wait_for_scans;
use crate::staff::{signed_in, StaffClient};
use crate::triage::{approve, new_item, opinion_ids, post_opinion, publish, submit, unzip_text};
use chrono::{TimeZone, Utc};
use pubcom::domain::staff::Role;
use serde_json::{json, Value};

async fn app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |s| s.rate_limit.submissions_per_minute = 0).await
}

/// The staff export, as (kind, status, field) per row.
async fn export(c: &StaffClient) -> Vec<(String, String, String)> {
    let csv = c.get("/staff/c/ismap-2020/redactions.csv").await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    assert_eq!(
        lines.next().unwrap(),
        "\"receipt_number\",\"opinion_id\",\"field\",\"start\",\"end\",\"kind\",\"status\",\"reason\""
    );
    lines
        .map(|l| {
            let cells: Vec<String> = l.split(',').map(|c| c.trim_matches('"').to_string()).collect();
            (cells[5].clone(), cells[6].clone(), cells[2].clone())
        })
        .collect()
}

/// Every redaction row's id as the opinion page lists it, in order.
pub fn redaction_ids(page: &str) -> Vec<String> {
    page.split("id=\"redaction-").skip(1).map(|s| s.split('"').next().unwrap().to_string()).collect()
}

/// Each kind of personal data is suggested, in Japanese and English text and full-width digits.
async fn personal_data_is_suggested_after_it_is_stored(backend: Backend) {
    let app = app(backend).await;
    let body = "山田太郎様へ。私の電話番号は０９０－１１１１－２２２２、メールは taro@example.jp、\
                住所は〒100-8926 東京都千代田区霞が関2-1-2です。カード4111 1111 1111 1111。";
    let receipt = submit(
        &app,
        json!({"opinions": [
            {"draft": "basic-rules", "body": body, "reason": "Call me on +81 3 1234 5678", "location": "2.1"},
            {"draft": "basic-rules", "body": "監査は2020-04-26までに年1回とすべき。"}
        ]}),
    )
    .await;
    wait_for_scans(&app).await;
    let analyst = signed_in(&app, "analyst", Role::Analyst).await;
    let mut rows = export(&analyst).await;
    rows.sort();
    let kinds: Vec<&str> = rows.iter().map(|(k, ..)| k.as_str()).collect();
    assert_eq!(kinds, vec!["address", "email", "name", "payment_card", "phone", "phone", "postal_code"]);
    assert!(rows.iter().all(|(_, status, _)| status == "suggested"));
    assert!(rows.iter().any(|(k, _, field)| k == "phone" && field == "reason"), "the reason is scanned too");
    let csv = analyst.get("/staff/c/ismap-2020/redactions.csv").await.text().await.unwrap();
    assert!(csv.contains(&receipt), "each row names the receipt");
    // The list filter finds the opinion with suggestions, not the other one.
    let ids = opinion_ids(&app).await;
    let list = analyst.get("/staff/c/ismap-2020/opinions?suggested=yes").await.text().await.unwrap();
    assert!(list.contains(&format!(">#{}<", ids[0])) && !list.contains(&format!(">#{}<", ids[1])));
}

/// A canary phone number and email in a body: suggested, accepted, and absent from every public
/// output while staff and the submitter still see them; a name staff withhold themselves; and
/// a redaction made after publication appearing only in the next version.
async fn withheld_text_never_reaches_the_public(backend: Backend) {
    let app = app(backend).await;
    let tag = format!("{backend:?}").to_lowercase();
    let email = format!("canary.{tag}@example.jp");
    let body = format!("私の電話番号は090-1111-2222です。メールは{email}。鈴木花子の件で意見します。");
    let receipt = submit(&app, json!({"opinions": [{"draft": "management-standards", "body": body}]})).await;
    wait_for_scans(&app).await;
    app.clock.set(Utc.with_ymd_and_hms(2020, 5, 1, 3, 0, 0).unwrap());
    let analyst = signed_in(&app, "analyst", Role::Analyst).await;
    let approver = signed_in(&app, "approver", Role::Approver).await;
    let id = opinion_ids(&app).await[0];
    let page = analyst.get(&format!("/staff/opinions/{id}?lang=en")).await.text().await.unwrap();
    let suggested = redaction_ids(&page);
    assert_eq!(suggested.len(), 2, "phone and email are suggested");

    // Unresolved suggestions stop publication.
    let item = new_item(&analyst, "management-standards", "We will consider it.").await;
    let item_s = item.to_string();
    assert_eq!(post_opinion(&analyst, id, &[("action", "link"), ("item", &item_s)]).await.status(), 303);
    approve(&approver, item).await;
    let refused = publish(&approver).await;
    assert_eq!(refused.status(), 409);
    assert!(refused.text().await.unwrap().contains(&format!("/staff/opinions/{id}\"")));

    let csrf = analyst.csrf().await;
    for r in &suggested {
        let path = format!("/staff/opinions/{id}/redactions/{r}");
        let fields = [("csrf", csrf.as_str()), ("decision", "accept"), ("reason", "own_personal_data"), ("note", "")];
        assert_eq!(analyst.post(&path, &fields).await.status(), 303);
    }
    // Staff withhold a third party's name by typing it; "other" needs a note.
    let withhold = |reason: &'static str, note: &'static str| {
        [("field", "body"), ("text", "鈴木花子"), ("reason", reason), ("note", note)]
    };
    let path = format!("/staff/opinions/{id}/redactions");
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend(withhold("other", ""));
    assert_eq!(analyst.post(&path, &fields).await.status(), 422, "other without a note");
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend(withhold("third_party_personal_data", ""));
    assert_eq!(analyst.post(&path, &fields).await.status(), 303);
    let published = publish(&approver).await;
    assert_eq!(published.status(), 303, "everything decided");

    let canaries = ["090-1111-2222", email.as_str(), "鈴木花子"];
    let ja = app.get("/c/ismap-2020/results?lang=ja").await.text().await.unwrap();
    let en = app.get("/c/ismap-2020/results?lang=en").await.text().await.unwrap();
    assert!(ja.contains("私の電話番号は［個人情報のため削除］です。"), "the marker in Japanese");
    assert!(en.contains("私の電話番号は[personal data removed]です。"), "the marker in English");
    let csv = app.get("/c/ismap-2020/results.csv?lang=ja").await.text().await.unwrap();
    let json = app.get("/c/ismap-2020/results.json?lang=en").await.text().await.unwrap();
    let api: Value = app.get("/api/v1/consultations/ismap-2020/results?lang=en").await.json().await.unwrap();
    let xlsx = unzip_text(&app.get("/c/ismap-2020/results.xlsx?lang=ja").await.bytes().await.unwrap());
    assert!(csv.contains("［個人情報のため削除］") && xlsx.contains("［個人情報のため削除］"));
    let api_body = api["sections"][0]["items"][0]["opinions"][0]["body"].as_str().unwrap();
    assert!(api_body.contains("[personal data removed]"), "{api_body}");
    assert_eq!(api["sections"][0]["items"][0]["opinions"][0]["withheld"], 3);
    for canary in canaries {
        for (what, text) in [("ja page", &ja), ("en page", &en), ("csv", &csv), ("json", &json), ("xlsx", &xlsx)] {
            assert!(!text.contains(canary), "{canary} in the {what}");
        }
        assert!(!api.to_string().contains(canary), "{canary} in the API");
    }
    // Staff and the submitter still read what was written.
    let staff_page = analyst.get(&format!("/staff/opinions/{id}")).await.text().await.unwrap();
    assert!(staff_page.contains("090-1111-2222") && staff_page.contains("［個人情報のため削除］"));
    let own = app.get(&format!("/c/ismap-2020/receipt/{receipt}")).await.text().await.unwrap();
    assert!(own.contains("090-1111-2222"), "the receipt page keeps the person's own text");

    // Lifting a redaction changes nothing published until the next version.
    let page = analyst.get(&format!("/staff/opinions/{id}")).await.text().await.unwrap();
    let last = redaction_ids(&page).pop().unwrap();
    let lift = [("csrf", csrf.as_str()), ("decision", "lift")];
    assert_eq!(analyst.post(&format!("/staff/opinions/{id}/redactions/{last}"), &lift).await.status(), 303);
    assert!(!app.get("/c/ismap-2020/results").await.text().await.unwrap().contains("鈴木花子"), "version 1 stays");
    assert_eq!(publish(&approver).await.status(), 303);
    assert!(app.get("/c/ismap-2020/results?version=2").await.text().await.unwrap().contains("鈴木花子"));
    assert!(!app.get("/c/ismap-2020/results?version=1").await.text().await.unwrap().contains("鈴木花子"));
    let log = signed_in(&app, "admin", Role::Admin).await;
    let audit = log.get("/staff/audit?object=").await.text().await.unwrap();
    for action in ["redaction_accept", "redaction_add", "redaction_lift"] {
        assert!(audit.contains(action), "{action} is audited");
    }
}

/// Staff see a web submitter's contact details only by asking, and each look is audited.
async fn staff_reveal_contact_details_of_web_submitters(backend: Backend) {
    let app = app(backend).await;
    let body =
        json!({"submitter": {"name": "Revealed Person", "email": "revealed@example.jp"}, "opinions": [{"body": "x"}]});
    let receipt = submit(&app, body).await;
    let id = opinion_ids(&app).await[0];
    let analyst = signed_in(&app, "analyst", Role::Analyst).await;
    let approver = signed_in(&app, "approver", Role::Approver).await;
    let page = approver.get(&format!("/staff/opinions/{id}")).await.text().await.unwrap();
    assert!(!page.contains("Revealed Person"), "not shown until asked for");
    let path = format!("/staff/opinions/{id}/contact");
    let csrf = analyst.csrf().await;
    assert_eq!(analyst.post(&path, &[("csrf", &csrf)]).await.status(), 403, "analysts do not see contact details");
    let csrf = approver.csrf().await;
    let shown = approver.post(&path, &[("csrf", &csrf)]).await;
    assert_eq!(shown.status(), 200);
    let shown = shown.text().await.unwrap();
    assert!(shown.contains("Revealed Person") && shown.contains("revealed@example.jp"));
    let admin = signed_in(&app, "admin", Role::Admin).await;
    let log = admin.get(&format!("/staff/audit?action=contact_reveal&object={receipt}")).await.text().await.unwrap();
    assert!(log.contains("approver"), "{log}");
}

on_both_backends!(
    personal_data_is_suggested_after_it_is_stored,
    withheld_text_never_reaches_the_public,
    staff_reveal_contact_details_of_web_submitters,
);
