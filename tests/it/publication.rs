//! Publication gates: each refuses publication until it holds, and the review page lists every
//! failure with true counts, a page at a time and as CSV.
use crate::helpers::{spawn_app_with, Backend, TestApp};
use crate::on_both_backends;
use crate::staff::{letter, receipt_of, signed_in, transcribe, StaffClient, PASSWORD};
use crate::triage::{approve, new_item, opinion_ids, post_opinion, publish, submit};
use chrono::{TimeZone, Utc};
use pubcom::domain::staff::Role;
use serde_json::json;

/// After the window and the postal deadline (26 April) of the seed consultation, in Tokyo.
fn after_the_window() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 5, 1, 3, 0, 0).unwrap()
}

async fn app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |s| s.rate_limit.submissions_per_minute = 0).await
}

/// Waits until the background scan has read every stored opinion.
pub async fn wait_for_scans(app: &TestApp) {
    use pubcom::db::jobs;
    for _ in 0..400 {
        if app.db.run(|c| jobs::waiting(c, jobs::SCAN_PERSONAL_DATA)).await.unwrap() == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the personal-data scan did not finish");
}

async fn refused_page(approver: &StaffClient) -> String {
    let refused = publish(approver).await;
    assert_eq!(refused.status(), 409, "publication is refused");
    refused.text().await.unwrap()
}

async fn link(c: &StaffClient, opinion: i64, item: i64) {
    let item = item.to_string();
    assert_eq!(post_opinion(c, opinion, &[("action", "link"), ("item", &item)]).await.status(), 303);
}

async fn verify(c: &StaffClient, receipt: &str) -> u16 {
    let csrf = c.csrf().await;
    let path = format!("/staff/transcriptions/{receipt}/verify");
    c.post(&path, &[("csrf", &csrf), ("decision", "verify")]).await.status().as_u16()
}

/// Each gate in turn: the window, four eyes on transcriptions (across corrections) and on
/// response items, every publication language, and coverage; publication goes through once
/// all hold.
async fn every_gate_refuses_until_it_holds(backend: Backend) {
    let app = app(backend).await;
    app.clock.set(Utc.with_ymd_and_hms(2020, 4, 21, 3, 0, 0).unwrap());
    submit(&app, json!({"opinions": [{"draft": "management-standards", "body": "監査の頻度を明確にしてください。"}]}))
        .await;
    let opinion = opinion_ids(&app).await[0];
    let approver = signed_in(&app, "approver", Role::Approver).await;

    // The window is open: results cannot be published while opinions may still arrive.
    let window = "href=\"/c/ismap-2020\"";
    let page = refused_page(&approver).await;
    assert!(page.contains(window) && page.contains("意見募集期間の終了"), "the window gate fails");
    // 23:00 on 26 April in Tokyo, the last hour: still open (sessions end when days pass, so
    // the approver signs in again).
    app.clock.set(Utc.with_ymd_and_hms(2020, 4, 26, 14, 0, 0).unwrap());
    assert_eq!(approver.sign_in("approver", PASSWORD).await.status(), 303);
    assert!(refused_page(&approver).await.contains(window), "still open in its last hour");
    app.clock.set(after_the_window());
    assert_eq!(approver.sign_in("approver", PASSWORD).await.status(), 303);
    assert!(!refused_page(&approver).await.contains(window), "the window gate holds");

    let clerk_a = signed_in(&app, "clerk-a", Role::Clerk).await;
    let clerk_b = signed_in(&app, "clerk-b", Role::Clerk).await;
    let analyst = signed_in(&app, "analyst", Role::Analyst).await;
    let approver2 = signed_in(&app, "approver2", Role::Approver).await;
    let fax = receipt_of(&transcribe(&clerk_a, &letter("fax", "2020-04-20", "10:00"), None).await);

    // Four eyes on transcriptions, across corrections: B corrects A's verified fax, then may
    // not verify it; neither may A, who typed it; a third person may.
    assert_eq!(verify(&clerk_b, &fax).await, 303);
    let path = format!("/staff/transcriptions/{fax}");
    assert!(!refused_page(&approver).await.contains(&format!("{path}\"")), "verified by a second person");
    let csrf = clerk_b.csrf().await;
    let correction = [("csrf", csrf.as_str()), ("opinion-0-body", "訂正後の本文"), ("opinion-1-body", "二つ目")];
    assert_eq!(clerk_b.post(&format!("{path}/correct"), &correction).await.status(), 303);
    assert!(refused_page(&approver).await.contains(&format!("{path}\"")), "a correction needs a new check");
    assert_eq!(verify(&clerk_b, &fax).await, 403, "the corrector cannot verify");
    assert_eq!(verify(&clerk_a, &fax).await, 403, "nor the typist");
    let detail = clerk_a.get(&path).await.text().await.unwrap();
    assert!(detail.contains("id=\"corrected-by\">clerk-b<"), "the corrector is named as such");
    assert_eq!(verify(&approver2, &fax).await, 303);
    assert!(!refused_page(&approver).await.contains(&format!("{path}\"")));

    // Coverage: every opinion answered or set aside.
    let ids = opinion_ids(&app).await;
    for id in &ids[1..] {
        let r =
            post_opinion(&analyst, *id, &[("action", "state"), ("state", "out_of_scope"), ("reason", "letter")]).await;
        assert_eq!(r.status(), 303);
    }
    assert!(refused_page(&approver).await.contains(&format!("/staff/opinions/{opinion}\"")), "not yet answered");

    // Four eyes on response items: an approver who wrote an item cannot approve it.
    let own = new_item(&approver, "management-standards", "We will state the interval.").await;
    let csrf = approver.csrf().await;
    let own_approval = approver.post(&format!("/staff/responses/{own}/approve"), &[("csrf", &csrf)]).await;
    assert_eq!(own_approval.status(), 403, "the author may not approve");
    link(&analyst, opinion, own).await;
    assert!(refused_page(&approver).await.contains(&format!("/staff/responses/{own}\"")), "an unapproved item");
    approve(&approver2, own).await;

    // Every publication language: an item without English is not approved.
    let item = new_item(&analyst, "management-standards", "").await;
    let csrf = approver.csrf().await;
    let refused = approver.post(&format!("/staff/responses/{item}/approve"), &[("csrf", &csrf)]).await;
    assert_eq!(refused.status(), 422, "no English view");
    let ok = new_item(&analyst, "management-standards", "We will state once a year.").await;
    approve(&approver, ok).await;

    // An item approved by its own author (as data from before the rule would be) is listed.
    app.db
        .run(move |c| {
            use diesel::prelude::*;
            use pubcom::db::schema::response_items;
            diesel::update(response_items::table.find(ok))
                .set(response_items::approved_by.eq(response_items::created_by))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    assert!(refused_page(&approver).await.contains(&format!("/staff/responses/{ok}\"")), "approved by its author");
    // Edited, it goes back to draft and, answering nothing, is not published.
    let csrf = analyst.csrf().await;
    let text =
        [("csrf", csrf.as_str()), ("summary_ja", "要旨"), ("view_ja", "考え方"), ("summary_en", "S"), ("view_en", "V")];
    assert_eq!(analyst.post(&format!("/staff/responses/{ok}"), &text).await.status(), 303);

    let published = publish(&approver).await;
    assert_eq!(published.status(), 303, "every gate holds");
    let results = app.get("/c/ismap-2020/results?lang=en").await.text().await.unwrap();
    assert!(results.contains("We will state the interval."));
}

/// With many failures the heading says how many there really are, the list pages, and the
/// CSV has every one.
async fn the_review_page_counts_every_failure(backend: Backend) {
    let app = app(backend).await;
    let opinions: Vec<_> = (0..250).map(|i| json!({"body": format!("意見 {i}")})).collect();
    for chunk in opinions.chunks(20) {
        submit(&app, json!({"opinions": chunk})).await;
    }
    app.clock.set(after_the_window());
    let approver = signed_in(&app, "approver", Role::Approver).await;
    let page = approver.get("/staff/c/ismap-2020/publish?lang=en").await.text().await.unwrap();
    assert!(page.contains("<span id=\"failure-count\">250</span>"), "the true count");
    assert_eq!(page.matches("/staff/opinions/").count(), 200, "one page at a time");
    assert!(page.contains("/staff/c/ismap-2020/publish?page=2"));
    let second = approver.get("/staff/c/ismap-2020/publish?page=2&lang=en").await.text().await.unwrap();
    assert_eq!(second.matches("/staff/opinions/").count(), 50);
    let csv = approver.get("/staff/c/ismap-2020/publish/check.csv").await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert_eq!(csv.lines().filter(|l| l.starts_with("\"coverage\"")).count(), 250);
    let analyst = signed_in(&app, "analyst", Role::Analyst).await;
    assert_eq!(analyst.get("/staff/c/ismap-2020/publish/check.csv").await.status(), 403);
}

/// The page, CSV, XLSX, JSON and API carry the same fields; spreadsheets get plain text from
/// the Markdown, neutralized formulas (full-width too), numbers as numbers, a named sheet with a
/// frozen header, and the window and totals.
async fn exports_are_honest(backend: Backend) {
    let app = app(backend).await;
    let body = json!({"opinions": [{"draft": "management-standards", "location": "3.2", "body": "＝SUM(A1) 全角の式", "reason": "理由はこれです"}]});
    submit(&app, body).await;
    app.clock.set(after_the_window());
    let analyst = signed_in(&app, "analyst", Role::Analyst).await;
    let approver = signed_in(&app, "approver", Role::Approver).await;
    let item = new_item(&analyst, "management-standards", "We **will** state it. <script>alert(1)</script>").await;
    link(&analyst, opinion_ids(&app).await[0], item).await;
    approve(&approver, item).await;
    wait_for_scans(&app).await;
    assert_eq!(publish(&approver).await.status(), 303);

    let page = app.get("/c/ismap-2020/results?lang=en").await.text().await.unwrap();
    assert!(page.contains("理由はこれです") && page.contains("Open for opinions"), "reason and window on the page");
    let csv = app.get("/c/ismap-2020/results.csv?lang=en").await.text().await.unwrap();
    let header = csv.lines().find(|l| l.starts_with("\"draft\"")).expect("the table's header");
    assert!(header.contains("\"opinion_reason\"") && header.contains("\"opinion_location\""));
    assert!(csv.contains("\"理由はこれです\""), "the reason column");
    assert!(csv.contains("\"'＝SUM(A1) 全角の式\""), "a full-width formula is neutralized");
    assert!(csv.contains("We will state it."), "Markdown as plain text");
    assert!(!csv.contains("**") && !csv.contains("<script"), "no raw marks or HTML");
    assert!(csv.contains("\"Open for opinions\"") && csv.contains("\"Opinions received\",\"1\""), "window and totals");

    let json: serde_json::Value = app.get("/c/ismap-2020/results.json?lang=en").await.json().await.unwrap();
    let api: serde_json::Value =
        app.get("/api/v1/consultations/ismap-2020/results?lang=en").await.json().await.unwrap();
    assert_eq!(json, api, "the download and the API are the same document");
    let i = &json["sections"][0]["items"][0];
    assert!(i["view"]["en"].as_str().unwrap().contains("**will**"), "the Markdown");
    let html = i["view"]["html"]["en"].as_str().unwrap();
    assert!(html.contains("<strong>will</strong>") && !html.contains("<script"), "and the sanitized HTML");
    assert_eq!(i["opinions"][0]["reason"], "理由はこれです");
    assert_eq!(json["totals"]["opinions"], 1);
    assert!(json["window"]["closes_at"].is_string());

    let xlsx = app.get("/c/ismap-2020/results.xlsx?lang=en").await.bytes().await.unwrap();
    let archive = crate::triage::unzip_text(&xlsx);
    assert!(archive.contains("name=\"Results\"") && archive.contains("name=\"Summary\""), "named sheets");
    assert!(archive.contains("state=\"frozen\""), "the header row stays in view");
    assert!(archive.contains("<c r=\"C2\" s=\"") || archive.contains("<c r=\"C2\"><v>1</v>"), "item number cell");
    let c2 = archive.split("<c r=\"C2\"").nth(1).unwrap().split("</c>").next().unwrap();
    assert!(!c2.contains("t=\"s\"") && c2.contains("<v>1</v>"), "the item number is a number: {c2}");
    assert!(archive.contains("理由はこれです") && archive.contains("'＝SUM(A1)"));
}

/// An item answering many opinions shows the first ones on the results page and every one on
/// its own pages, a hundred at a time.
async fn a_large_item_is_read_page_by_page(backend: Backend) {
    let app = app(backend).await;
    let body = json!({"opinions": (0..13).map(|i| json!({"draft": "basic-rules", "body": format!("page test {i}")})).collect::<Vec<_>>()});
    for _ in 0..10 {
        submit(&app, body.clone()).await;
    }
    wait_for_scans(&app).await;
    app.clock.set(after_the_window());
    let analyst = signed_in(&app, "analyst", Role::Analyst).await;
    let approver = signed_in(&app, "approver", Role::Approver).await;
    let item = new_item(&analyst, "basic-rules", "We will consider them all.").await;
    let (csrf, item_s) = (analyst.csrf().await, item.to_string());
    let link = [
        ("csrf", csrf.as_str()),
        ("scope", "all"),
        ("f_draft", "basic-rules"),
        ("action", "link"),
        ("item", &item_s),
        ("confirmed", "yes"),
    ];
    assert_eq!(analyst.post("/staff/c/ismap-2020/opinions/bulk", &link).await.status(), 303);
    approve(&approver, item).await;
    let review = approver.get("/staff/c/ismap-2020/publish?lang=ja").await.text().await.unwrap();
    assert!(review.contains("公示する（版番号 1）"), "the button's brackets match");
    assert_eq!(publish(&approver).await.status(), 303);

    let results = app.get("/c/ismap-2020/results?lang=en").await.text().await.unwrap();
    assert!(results.contains("Our response"), "考え方 in natural English");
    assert!(results.contains("href=\"https://www.ismap.go.jp/\" id=\"final-document\""), "the final document linked");
    assert_eq!(results.matches("class=\"opinion-review\"").count(), 20, "the first twenty inline");
    let all = results.split("href=\"/c/ismap-2020/results/items/").nth(1).unwrap().split('"').next().unwrap();
    let first =
        app.get(&format!("/c/ismap-2020/results/items/{}", all.replace("&amp;", "&"))).await.text().await.unwrap();
    assert_eq!(first.matches("class=\"opinion-review\"").count(), 100);
    assert!(first.contains("1–100 / 130"), "the page says which ones");
    let next =
        first.split("id=\"next-page\"").next().unwrap().rsplit("href=\"").next().unwrap().split('"').next().unwrap();
    let second = app.get(&next.replace("&#38;", "&")).await.text().await.unwrap();
    assert_eq!(second.matches("class=\"opinion-review\"").count(), 30);
    assert!(second.contains("101–130 / 130") && !second.contains("id=\"next-page\""));
    assert_eq!(app.get("/c/ismap-2020/results/items/1/1?page=3").await.status(), 404);
    assert_eq!(app.get("/c/ismap-2020/results/items/9/1").await.status(), 404);

    // The version document holds the frame; each opinion is its own row, read as needed.
    let document: String = app
        .db
        .run(|c| {
            use diesel::prelude::*;
            use pubcom::db::schema::result_versions;
            Ok(result_versions::table.select(result_versions::content).first(c)?)
        })
        .await
        .unwrap();
    assert!(!document.contains("page test"), "no opinion text in the version document");
    // Downloads are sent as they are read (chunked, no length known up front) and hold all.
    let csv = app.get("/c/ismap-2020/results.csv?lang=en").await;
    assert!(csv.headers().get("content-length").is_none(), "streamed, not built in memory first");
    let csv = csv.text().await.unwrap();
    assert_eq!(csv.matches("page test").count(), 130);
    let json: serde_json::Value = app.get("/api/v1/consultations/ismap-2020/results").await.json().await.unwrap();
    let numbers: Vec<u64> = json["sections"][0]["items"][0]["opinions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, (1..=130).collect::<Vec<u64>>(), "every opinion once, in order");
    let xlsx = app.get("/c/ismap-2020/results.xlsx").await.bytes().await.unwrap();
    assert_eq!(crate::triage::unzip_text(&xlsx).matches("page test").count(), 130);
}

on_both_backends!(
    every_gate_refuses_until_it_holds,
    the_review_page_counts_every_failure,
    exports_are_honest,
    a_large_item_is_read_page_by_page,
);
