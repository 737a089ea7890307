use crate::helpers::{spawn_app, spawn_app_with, Backend, TestApp};
use crate::on_both_backends;
use chrono::{Duration, TimeZone, Utc};
use pubcom::domain::staff::Role;
use reqwest::multipart::{Form, Part};

pub const PASSWORD: &str = "a perfectly long pass phrase";

/// One browser: its own cookies.
pub struct StaffClient {
    pub client: reqwest::Client,
    pub base: String,
}

impl StaffClient {
    pub fn new(app: &TestApp) -> Self {
        let client =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).cookie_store(true).build().unwrap();
        Self { client, base: app.url.clone() }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.base)).send().await.unwrap()
    }

    pub async fn sign_in(&self, username: &str, password: &str) -> reqwest::Response {
        let html = self.get("/staff/sign-in").await.text().await.unwrap();
        let token = crate::helpers::form_token(&html);
        self.client
            .post(format!("{}/staff/sign-in", self.base))
            .form(&[("token", token.as_str()), ("username", username), ("password", password), ("next", "/staff/")])
            .send()
            .await
            .unwrap()
    }

    /// The CSRF token of the signed-in session, read from a staff page.
    pub async fn csrf(&self) -> String {
        let html = self.get("/staff/").await.text().await.unwrap();
        let start = html.find("name=\"csrf\" value=\"").expect("signed in") + 19;
        html[start..].split('"').next().unwrap().to_string()
    }

    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client.post(format!("{}{path}", self.base)).form(fields).send().await.unwrap()
    }
}

pub async fn add_user(app: &TestApp, username: &str, role: Role) {
    let (db, name) = (app.db.clone(), username.to_string());
    let clock = app.clock.clone();
    tokio::task::spawn_blocking(move || {
        use pubcom::clock::Clock;
        let actor = pubcom::app::accounts::cli_actor();
        pubcom::app::accounts::add(&db, &actor, &name, None, role, PASSWORD, clock.now()).unwrap()
    })
    .await
    .unwrap();
}

pub async fn signed_in(app: &TestApp, username: &str, role: Role) -> StaffClient {
    add_user(app, username, role).await;
    let c = StaffClient::new(app);
    assert_eq!(c.sign_in(username, PASSWORD).await.status(), 303);
    c
}

fn redirected_to_sign_in(r: &reqwest::Response) -> bool {
    r.status() == 303 && r.headers()["location"].to_str().unwrap().starts_with("/staff/sign-in")
}

pub fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(&[0u8; 64]);
    bytes
}

/// Transcribes one letter and returns the receipt number.
pub async fn transcribe(c: &StaffClient, fields: &[(&str, &str)], scan: Option<(&str, Vec<u8>)>) -> reqwest::Response {
    let csrf = c.csrf().await;
    let mut form = Form::new().text("csrf", csrf).text("consultation", "ismap-2020").text("action", "save");
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    if let Some((name, bytes)) = scan {
        form = form.part("scan", Part::bytes(bytes).file_name(name.to_string()));
    }
    c.client.post(format!("{}/staff/transcriptions", c.base)).multipart(form).send().await.unwrap()
}

pub fn receipt_of_transcription(response: &reqwest::Response) -> String {
    receipt_of(response)
}

pub fn receipt_of(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), 303, "transcription saved");
    let location = response.headers()["location"].to_str().unwrap();
    location.trim_start_matches("/staff/transcriptions/").split('?').next().unwrap().to_string()
}

pub fn letter<'a>(channel: &'a str, date: &'a str, time: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("channel", channel),
        ("arrival_date", date),
        ("arrival_time", time),
        ("postmark_date", ""),
        ("opinion_count", "2"),
        ("agree_to_notes", "yes"),
        ("opinion-0-draft", "management-standards"),
        ("opinion-0-location", "3.2.1"),
        ("opinion-0-body", "郵送で届いた管理基準への意見"),
        ("opinion-1-draft", "audit-guidelines"),
        ("opinion-1-location", "p. 4"),
        ("opinion-1-body", "監査ガイドラインへの意見"),
        ("name", "Letter Writer"),
        ("postal_address", "Tokyo"),
    ]
}

async fn signing_in_and_out(backend: Backend) {
    let app = spawn_app(backend).await;
    add_user(&app, "clerk1", Role::Clerk).await;
    let c = StaffClient::new(&app);
    assert!(redirected_to_sign_in(&c.get("/staff/transcriptions").await));
    let wrong = c.sign_in("clerk1", "not the right pass phrase").await;
    assert_eq!(wrong.status(), 401);
    let html = wrong.text().await.unwrap();
    assert!(
        html.contains("ユーザー名またはパスワードが正しくありません")
            || html.contains("The user name or password is not right")
    );
    let unknown = c.sign_in("nobody", PASSWORD).await;
    assert_eq!(unknown.status(), 401);
    let ok = c.sign_in("clerk1", PASSWORD).await;
    assert_eq!(ok.status(), 303);
    let cookie = ok
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("pubcom_staff="))
        .unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("Path=/staff"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http in tests");
    assert_eq!(c.get("/staff/transcriptions").await.status(), 200);
    let csrf = c.csrf().await;
    assert_eq!(c.post("/staff/sign-out", &[("csrf", &csrf)]).await.status(), 303);
    assert!(redirected_to_sign_in(&c.get("/staff/transcriptions").await), "the session ended on the server");
}

/// Over https (the public base URL says so): HSTS, and cookies that only this host can set,
/// Secure and for the whole site.
async fn https_sites_send_hsts_and_host_only_cookies(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.public_base_url = "https://consult.example.jp".into()).await;
    crate::staff::add_user(&app, "clerk1", Role::Clerk).await;
    let page = app.get("/staff/sign-in").await;
    assert_eq!(page.headers()["strict-transport-security"], "max-age=31536000; includeSubDomains");
    let form_cookie = page.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(form_cookie.starts_with("__Host-pubcom_form="), "{form_cookie}");
    assert!(form_cookie.contains("Secure") && form_cookie.contains("Path=/"), "{form_cookie}");
    let token = crate::helpers::form_token(&page.text().await.unwrap());
    // The test speaks plain http, so the Secure cookie is sent back by hand.
    let pair = form_cookie.split(';').next().unwrap().to_string();
    let signed = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/staff/sign-in", app.url))
        .header("Cookie", pair)
        .form(&[("token", token.as_str()), ("username", "clerk1"), ("password", PASSWORD), ("next", "/staff/")])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303);
    let session = signed.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(session.starts_with("__Host-pubcom_staff="), "{session}");
    assert!(session.contains("Secure") && session.ends_with("Path=/") && !session.contains("Domain"), "{session}");
    let plain = spawn_app(backend).await;
    assert!(plain.get("/").await.headers().get("strict-transport-security").is_none(), "not over plain http");
}

async fn sessions_expire_when_idle_or_old(backend: Backend) {
    let app = spawn_app(backend).await;
    let c = signed_in(&app, "clerk1", Role::Clerk).await;
    app.clock.advance(Duration::minutes(29));
    assert_eq!(c.get("/staff/").await.status(), 200);
    app.clock.advance(Duration::minutes(30));
    assert!(redirected_to_sign_in(&c.get("/staff/").await), "idle for 30 minutes");

    assert_eq!(c.sign_in("clerk1", PASSWORD).await.status(), 303);
    for _ in 0..35 {
        app.clock.advance(Duration::minutes(20));
        assert_eq!(c.get("/staff/").await.status(), 200);
    }
    app.clock.advance(Duration::minutes(20));
    assert!(redirected_to_sign_in(&c.get("/staff/").await), "12 hours after sign-in, however busy");
}

async fn disabling_an_account_ends_its_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = signed_in(&app, "admin1", Role::Admin).await;
    let clerk = signed_in(&app, "clerk1", Role::Clerk).await;
    assert_eq!(clerk.get("/staff/").await.status(), 200);
    let id = app.db.run(|c| Ok(pubcom::db::staff::find_by_username(c, "clerk1")?.unwrap().id)).await.unwrap();
    let csrf = admin.csrf().await;
    assert_eq!(admin.post(&format!("/staff/users/{id}/disable"), &[("csrf", &csrf)]).await.status(), 303);
    assert!(redirected_to_sign_in(&clerk.get("/staff/").await));
    assert_eq!(clerk.sign_in("clerk1", PASSWORD).await.status(), 401, "a disabled account cannot sign in");
}

async fn failed_sign_ins_are_throttled_for_a_while(backend: Backend) {
    let app = spawn_app(backend).await;
    add_user(&app, "clerk1", Role::Clerk).await;
    let now = pubcom::clock::Clock::now(app.clock.as_ref());
    app.db
        .write(move |c| {
            for i in 0..99 {
                pubcom::db::staff::record_attempt(
                    c,
                    "clerk1",
                    &format!("198.51.100.{i}"),
                    false,
                    now - Duration::minutes(30),
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let c = StaffClient::new(&app);
    assert_eq!(c.sign_in("clerk1", "wrong pass phrase again").await.status(), 401);
    let refused = c.sign_in("clerk1", PASSWORD).await;
    assert_eq!(refused.status(), 429, "even the right password waits once 100 failures are reached");
    // Within the hour the oldest failures age out: the real user is not locked out for long.
    app.clock.advance(Duration::minutes(31));
    assert_eq!(c.sign_in("clerk1", PASSWORD).await.status(), 303);
}

async fn state_changes_need_the_csrf_token_and_this_origin(backend: Backend) {
    let app = spawn_app(backend).await;
    let c = signed_in(&app, "admin1", Role::Admin).await;
    let form = [("username", "newclerk"), ("display_name", "N"), ("role", "clerk"), ("password", PASSWORD)];
    assert_eq!(c.post("/staff/users", &form).await.status(), 403, "no token");
    let csrf = c.csrf().await;
    let mut with_token = form.to_vec();
    with_token.push(("csrf", &csrf));
    let foreign = c
        .client
        .post(format!("{}/staff/users", c.base))
        .header("origin", "https://evil.example")
        .form(&with_token)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403, "foreign Origin");
    let mut wrong = form.to_vec();
    wrong.push(("csrf", "0000"));
    assert_eq!(c.post("/staff/users", &wrong).await.status(), 403, "wrong token");
    let same = c
        .client
        .post(format!("{}/staff/users", c.base))
        .header("origin", &c.base)
        .form(&with_token)
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 303);
    assert!(c.get("/staff/users").await.text().await.unwrap().contains("newclerk"));
}

async fn transcriptions_follow_each_channels_deadline(backend: Backend) {
    let app = spawn_app(backend).await;
    // The server works in UTC; the deadlines are Tokyo's.
    app.clock.set(Utc.with_ymd_and_hms(2020, 5, 1, 3, 0, 0).unwrap());
    let clerk = signed_in(&app, "clerk1", Role::Clerk).await;
    let cases = [
        ("postal", "2020-04-26", "", false),
        ("postal", "2020-04-27", "", true),
        ("fax", "2020-04-26", "23:59", false),
        ("fax", "2020-04-27", "00:00", true),
        ("email", "2020-04-26", "23:59", false),
        ("email", "2020-04-27", "00:01", true),
    ];
    for (channel, date, time, late) in cases {
        let response = transcribe(&clerk, &letter(channel, date, time), None).await;
        let receipt = receipt_of(&response);
        assert!(receipt.parse::<pubcom::domain::ReceiptNumber>().is_ok());
        let page = clerk.get(&format!("/staff/transcriptions/{receipt}?lang=en")).await.text().await.unwrap();
        let lateness = page.split("id=\"lateness\">").nth(1).unwrap().split("</dd>").next().unwrap();
        assert_eq!(lateness.contains("Late"), late, "{channel} {date} {time}: {lateness}");
        assert!(page.contains("郵送で届いた管理基準への意見"));
        assert!(page.contains("Unverified"));
        assert!(!page.contains("Letter Writer"), "contact details only on request");
    }
    assert_eq!(app.count("submissions").await, 6);
    assert_eq!(app.count("opinions").await, 12);
    assert_eq!(app.count("outbox").await, 0, "no receipt email for letters");
    let queue = clerk.get("/staff/transcriptions?state=unverified&channel=fax&lang=en").await.text().await.unwrap();
    assert_eq!(
        queue.matches("/staff/transcriptions/").count() - queue.matches("/staff/transcriptions/new").count(),
        2,
        "two fax items"
    );

    let missing_time = transcribe(&clerk, &letter("fax", "2020-04-26", ""), None).await;
    assert_eq!(missing_time.status(), 422);
    let html = missing_time.text().await.unwrap();
    assert!(html.contains("href=\"#arrival-time\""));
    assert!(html.contains("郵送で届いた管理基準への意見"), "the typed text is kept");
    let future = transcribe(&clerk, &letter("postal", "2020-05-02", ""), None).await;
    assert_eq!(future.status(), 422);
}

async fn scans_are_checked_by_content_and_size(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.staff.upload_max_bytes = 4096).await;
    app.clock.set(Utc.with_ymd_and_hms(2020, 5, 1, 3, 0, 0).unwrap());
    let clerk = signed_in(&app, "clerk1", Role::Clerk).await;
    let fields = letter("postal", "2020-04-20", "");
    let fake_pdf = transcribe(&clerk, &fields, Some(("letter.pdf", b"MZ not a pdf at all".to_vec()))).await;
    assert_eq!(fake_pdf.status(), 422, "a file named .pdf that is not a PDF");
    let mut big = b"%PDF-1.7\n".to_vec();
    big.extend(std::iter::repeat_n(b'x', 8192));
    assert_eq!(transcribe(&clerk, &fields, Some(("big.pdf", big))).await.status(), 422);
    assert_eq!(app.count("submissions").await, 0);

    let receipt = receipt_of(&transcribe(&clerk, &fields, Some(("スキャン.png", png()))).await);
    let page = clerk.get(&format!("/staff/transcriptions/{receipt}")).await.text().await.unwrap();
    let start = page.find("/staff/attachments/").unwrap();
    let link = page[start..].split('"').next().unwrap().to_string();
    let download = clerk.get(&link).await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "image/png");
    assert!(download.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert_eq!(download.bytes().await.unwrap().to_vec(), png());
    assert!(redirected_to_sign_in(&StaffClient::new(&app).get(&link).await), "scans are for staff only");
    let stored: Vec<_> = std::fs::read_dir(app.database.dir().join("data/attachments")).unwrap().collect();
    assert_eq!(stored.len(), 1, "refused uploads leave no file behind");
    let name = stored[0].as_ref().unwrap().file_name().into_string().unwrap();
    assert!(!name.contains("スキャン") && name.ends_with(".png"), "stored under a random name: {name}");
}

async fn a_second_person_verifies_and_corrections_keep_history(backend: Backend) {
    let app = spawn_app(backend).await;
    app.clock.set(Utc.with_ymd_and_hms(2020, 5, 1, 3, 0, 0).unwrap());
    let typist = signed_in(&app, "clerk1", Role::Clerk).await;
    let checker = signed_in(&app, "clerk2", Role::Clerk).await;
    let receipt = receipt_of(&transcribe(&typist, &letter("postal", "2020-04-20", ""), None).await);
    let path = format!("/staff/transcriptions/{receipt}");

    let csrf = typist.csrf().await;
    let own = typist.post(&format!("{path}/verify"), &[("csrf", &csrf), ("decision", "verify")]).await;
    assert_eq!(own.status(), 403, "nobody checks their own typing");

    let csrf = checker.csrf().await;
    let no_comment = checker.post(&format!("{path}/verify"), &[("csrf", &csrf), ("decision", "send_back")]).await;
    assert_eq!(no_comment.status(), 422, "sending back needs a comment");
    let back = checker
        .post(
            &format!("{path}/verify"),
            &[("csrf", &csrf), ("decision", "send_back"), ("comment", "typo in opinion 1")],
        )
        .await;
    assert_eq!(back.status(), 303);
    let sent_back = typist.get(&format!("{path}?lang=en")).await.text().await.unwrap();
    assert!(sent_back.contains("Sent back"));
    assert!(sent_back.contains("<dt>Sent back by</dt><dd id=\"verified-by\">clerk2</dd>"), "named as such");

    let csrf = typist.csrf().await;
    let fix = [
        ("csrf", csrf.as_str()),
        ("opinion-0-draft", "management-standards"),
        ("opinion-0-location", "3.2.1"),
        ("opinion-0-body", "郵送で届いた管理基準への意見（訂正）"),
        ("opinion-0-reason", ""),
        ("opinion-1-draft", "audit-guidelines"),
        ("opinion-1-location", "p. 4"),
        ("opinion-1-body", "監査ガイドラインへの意見"),
        ("opinion-1-reason", ""),
    ];
    assert_eq!(typist.post(&format!("{path}/correct"), &fix).await.status(), 303);
    let csrf = checker.csrf().await;
    assert_eq!(checker.post(&format!("{path}/verify"), &[("csrf", &csrf), ("decision", "verify")]).await.status(), 303);

    // A correction after verification reopens it and keeps the verified text in history.
    let csrf = typist.csrf().await;
    let mut again = fix.to_vec();
    again[0] = ("csrf", csrf.as_str());
    again[3] = ("opinion-0-body", "三度目の文面");
    assert_eq!(typist.post(&format!("{path}/correct"), &again).await.status(), 303);
    let page = checker.get(&format!("{path}?lang=en")).await.text().await.unwrap();
    assert!(page.contains("三度目の文面"));
    assert!(page.contains("Earlier versions"));
    assert!(page.contains("郵送で届いた管理基準への意見（訂正）"), "the verified text is kept");
    assert!(
        page.contains("郵送で届いた管理基準への意見</td>") || page.contains("郵送で届いた管理基準への意見"),
        "the first text is kept"
    );
    let verification = page.split("id=\"verification\">").nth(1).unwrap().split("</dd>").next().unwrap();
    assert_eq!(verification, "Unverified");
    assert!(!page.contains("id=\"verified-by\""), "nobody is named as checker of the new text");
    assert!(page.contains("id=\"corrected-by\">clerk1<"), "the corrector is named as such");
    assert!(page.contains("When (Asia/Tokyo)"), "the history says which zone its times are in");
    assert_eq!(app.count("opinion_revisions").await, 2);
}

async fn approvers_accept_late_items_with_a_reason(backend: Backend) {
    let app = spawn_app(backend).await;
    app.clock.set(Utc.with_ymd_and_hms(2020, 5, 1, 3, 0, 0).unwrap());
    let clerk = signed_in(&app, "clerk1", Role::Clerk).await;
    let approver = signed_in(&app, "approver1", Role::Approver).await;
    let receipt = receipt_of(&transcribe(&clerk, &letter("postal", "2020-04-28", ""), None).await);
    let path = format!("/staff/transcriptions/{receipt}/accept-late");
    let csrf = clerk.csrf().await;
    assert_eq!(clerk.post(&path, &[("csrf", &csrf), ("reason", "x")]).await.status(), 403);
    let csrf = approver.csrf().await;
    assert_eq!(approver.post(&path, &[("csrf", &csrf), ("reason", "")]).await.status(), 422);
    assert_eq!(
        approver.post(&path, &[("csrf", &csrf), ("reason", "Postal delay confirmed by Japan Post")]).await.status(),
        303
    );
    let page = approver.get(&format!("/staff/transcriptions/{receipt}?lang=en")).await.text().await.unwrap();
    assert!(page.contains("Accepted late: Postal delay confirmed by Japan Post"));
}

async fn revealing_contact_details_is_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    app.clock.set(Utc.with_ymd_and_hms(2020, 5, 1, 3, 0, 0).unwrap());
    let clerk = signed_in(&app, "clerk1", Role::Clerk).await;
    let analyst = signed_in(&app, "analyst1", Role::Analyst).await;
    let admin = signed_in(&app, "admin1", Role::Admin).await;
    let receipt = receipt_of(&transcribe(&clerk, &letter("postal", "2020-04-20", ""), None).await);
    let path = format!("/staff/transcriptions/{receipt}/contact");
    let csrf = analyst.csrf().await;
    assert_eq!(analyst.post(&path, &[("csrf", &csrf)]).await.status(), 403, "analysts do not see contact details");
    let csrf = clerk.csrf().await;
    let shown = clerk.post(&path, &[("csrf", &csrf)]).await.text().await.unwrap();
    assert!(shown.contains("Letter Writer"));
    let log = admin.get(&format!("/staff/audit?action=contact_reveal&object={receipt}")).await.text().await.unwrap();
    assert!(log.contains("clerk1") && log.contains("contact_reveal"), "{log}");
    let csv = admin.get("/staff/audit.csv").await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let body = csv.text().await.unwrap();
    assert!(body.starts_with('\u{feff}'), "BOM for spreadsheet programs");
    for action in ["transcription_create", "contact_reveal", "sign_in", "user_create"] {
        assert!(body.contains(action), "{action} in the export");
    }
    assert!(!body.contains("Letter Writer"), "the audit log records the reveal, not the details");

    // Personal details typed from a letter never reach the logs, even when revealed.
    let tag = format!("{backend:?}").to_lowercase();
    let (name, email, address, phone) = (
        format!("StaffCanary{tag}Name"),
        format!("staff.canary.{tag}@example.jp"),
        format!("StaffCanary{tag}Street 9"),
        "+81-6-1111-2222",
    );
    let mut fields = letter("postal", "2020-04-20", "");
    fields.retain(|(k, _)| *k != "name" && *k != "postal_address");
    fields.extend([
        ("name", name.as_str()),
        ("email", email.as_str()),
        ("postal_address", address.as_str()),
        ("phone", phone),
    ]);
    let canary_receipt = receipt_of(&transcribe(&clerk, &fields, None).await);
    let csrf = clerk.csrf().await;
    let shown = clerk
        .post(&format!("/staff/transcriptions/{canary_receipt}/contact"), &[("csrf", &csrf)])
        .await
        .text()
        .await
        .unwrap();
    assert!(shown.contains(&name) && shown.contains(&email));
    let logs = crate::helpers::captured_logs();
    for canary in [name.as_str(), email.as_str(), address.as_str(), phone] {
        assert!(!logs.contains(canary), "{canary} reached the logs");
    }
}

async fn the_audit_log_cannot_be_changed(backend: Backend) {
    let app = spawn_app(backend).await;
    add_user(&app, "admin1", Role::Admin).await;
    assert!(app.count("audit_log").await >= 1);
    for sql in ["UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"] {
        let result = app
            .db
            .run(move |c| {
                use diesel::RunQueryDsl;
                diesel::sql_query(sql).execute(c).map_err(pubcom::db::DbError::from)
            })
            .await;
        let err = result.expect_err(sql).to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    assert!(app.count("audit_log").await >= 1);
}

/// Every staff route × every role (and signed out): allowed, forbidden, or sent to sign in.
async fn every_staff_route_checks_the_role(backend: Backend) {
    let app = spawn_app(backend).await;
    app.clock.set(Utc.with_ymd_and_hms(2020, 5, 1, 3, 0, 0).unwrap());
    let typist = signed_in(&app, "typist", Role::Clerk).await;
    add_user(&app, "target", Role::Analyst).await;
    let receipt = receipt_of(&transcribe(&typist, &letter("postal", "2020-04-28", ""), Some(("s.png", png()))).await);
    let page = typist.get(&format!("/staff/transcriptions/{receipt}")).await.text().await.unwrap();
    let attachment = page[page.find("/staff/attachments/").unwrap()..].split('"').next().unwrap().to_string();
    let (opinion_id, item_id) = app
        .db
        .write(|c| {
            use diesel::prelude::*;
            use pubcom::db::schema::opinions;
            let opinion: i64 = opinions::table.select(opinions::id).first(c)?;
            let cid = pubcom::db::consultations::find(c, "ismap-2020")?.unwrap().id;
            let text = pubcom::domain::response::ItemText {
                summary_ja: "s".into(),
                view_ja: "v".into(),
                ..Default::default()
            };
            let author = pubcom::db::staff::find_by_username(c, "typist")?.unwrap().id;
            let item = pubcom::db::responses::create(c, cid, None, &text, author, chrono::Utc::now())?;
            Ok((opinion, item))
        })
        .await
        .unwrap();
    let target_id = app.db.run(|c| Ok(pubcom::db::staff::find_by_username(c, "target")?.unwrap().id)).await.unwrap();

    use Role::*;
    let all = vec![Clerk, Analyst, Approver, Admin];
    let t = format!("/staff/transcriptions/{receipt}");
    let u = format!("/staff/users/{target_id}");
    let r = format!("/staff/responses/{item_id}");
    let o = format!("/staff/opinions/{opinion_id}");
    let id = opinion_id.to_string();
    // What each allowed role gets: the handler's own answer, never a 404 or a 400 by accident.
    // `Then(a, b)`: the first allowed role gets `a`, the later ones `b` (the change is done).
    #[derive(Clone, Copy, Debug)]
    enum Expect {
        Each(u16),
        Then(u16, u16),
    }
    use Expect::*;
    type Route<'a> = (&'a str, String, Vec<Role>, Vec<(&'a str, &'a str)>, Expect);
    let routes: Vec<Route> = vec![
        ("GET", "/staff/".into(), all.clone(), vec![], Each(200)),
        ("GET", "/staff/transcriptions".into(), all.clone(), vec![], Each(200)),
        ("GET", "/staff/transcriptions/new".into(), vec![Clerk, Admin], vec![], Each(200)),
        ("POST", "/staff/transcriptions".into(), vec![Clerk, Admin], vec![], Each(200)),
        ("GET", t.clone(), all.clone(), vec![], Each(200)),
        (
            "POST",
            format!("{t}/verify"),
            vec![Clerk, Approver, Admin],
            vec![("decision", "send_back"), ("comment", "page 2 is missing")],
            Each(303),
        ),
        (
            "POST",
            format!("{t}/correct"),
            vec![Clerk, Admin],
            vec![("opinion-0-body", "corrected text"), ("opinion-1-body", "second opinion")],
            Each(303),
        ),
        ("POST", format!("{t}/contact"), vec![Clerk, Approver, Admin], vec![], Each(200)),
        (
            "POST",
            format!("{t}/accept-late"),
            vec![Approver, Admin],
            vec![("reason", "postmarked on time")],
            Then(303, 400),
        ),
        ("GET", attachment.clone(), all.clone(), vec![], Each(200)),
        ("GET", "/staff/users".into(), vec![Admin], vec![], Each(200)),
        (
            "POST",
            "/staff/users".into(),
            vec![Admin],
            vec![("username", "new-user"), ("password", "a long pass phrase here"), ("role", "clerk")],
            Each(303),
        ),
        ("POST", format!("{u}/role"), vec![Admin], vec![("role", "approver")], Each(303)),
        ("POST", format!("{u}/disable"), vec![Admin], vec![], Each(303)),
        ("POST", format!("{u}/enable"), vec![Admin], vec![], Each(303)),
        ("GET", "/staff/audit".into(), vec![Admin], vec![], Each(200)),
        ("GET", "/staff/audit.csv".into(), vec![Admin], vec![], Each(200)),
        ("GET", "/staff/c".into(), vec![Analyst, Approver, Admin], vec![], Each(200)),
        ("GET", "/staff/c/ismap-2020".into(), vec![Analyst, Approver, Admin], vec![], Each(200)),
        ("GET", "/staff/c/ismap-2020/opinions".into(), vec![Analyst, Approver, Admin], vec![], Each(200)),
        (
            "POST",
            "/staff/c/ismap-2020/opinions/bulk".into(),
            vec![Analyst, Approver, Admin],
            vec![("scope", "selected"), ("id", &id), ("action", "tag"), ("tag", "checked")],
            Each(303),
        ),
        ("GET", o.clone(), vec![Analyst, Approver, Admin], vec![], Each(200)),
        ("POST", o.clone(), vec![Analyst, Approver, Admin], vec![("action", "note"), ("note", "read it")], Each(303)),
        ("GET", "/staff/c/ismap-2020/responses".into(), vec![Analyst, Approver, Admin], vec![], Each(200)),
        (
            "POST",
            "/staff/c/ismap-2020/responses".into(),
            vec![Analyst, Approver, Admin],
            vec![("draft", "whole"), ("summary_ja", "要旨"), ("view_ja", "考え方")],
            Each(303),
        ),
        ("GET", r.clone(), vec![Analyst, Approver, Admin], vec![], Each(200)),
        (
            "POST",
            r.clone(),
            vec![Analyst, Approver, Admin],
            vec![("summary_ja", "要旨"), ("view_ja", "考え方"), ("summary_en", "Summary"), ("view_en", "View")],
            Each(303),
        ),
        ("POST", format!("{r}/approve"), vec![Approver, Admin], vec![], Then(303, 409)),
        ("GET", "/staff/c/ismap-2020/publish".into(), vec![Approver, Admin], vec![], Each(200)),
        // Opinions are still undecided: the review page comes back with the gaps.
        ("POST", "/staff/c/ismap-2020/publish".into(), vec![Approver, Admin], vec![], Each(409)),
    ];
    let mut clients = Vec::new();
    for role in &all {
        clients.push((Some(*role), signed_in(&app, &format!("as-{}", role.as_str()), *role).await));
    }
    clients.push((None, StaffClient::new(&app)));
    for (method, path, allowed, fields, expect) in &routes {
        let mut allowed_so_far = 0;
        for (role, client) in &clients {
            let response = if *method == "GET" {
                client.get(path).await
            } else {
                let csrf = if role.is_some() { client.csrf().await } else { String::new() };
                if path == "/staff/transcriptions" {
                    let form =
                        Form::new().text("csrf", csrf.clone()).text("consultation", "ismap-2020").text("action", "add");
                    client.client.post(format!("{}{path}", client.base)).multipart(form).send().await.unwrap()
                } else {
                    let mut form = vec![("csrf", csrf.as_str())];
                    form.extend(fields.iter().copied());
                    client.post(path, &form).await
                }
            };
            let status = response.status().as_u16();
            match role {
                None => assert!(redirected_to_sign_in(&response), "{method} {path} signed out: {status}"),
                Some(r) if allowed.contains(r) => {
                    let wanted = match expect {
                        Each(s) => *s,
                        Then(first, _) if allowed_so_far == 0 => *first,
                        Then(_, later) => *later,
                    };
                    allowed_so_far += 1;
                    assert_eq!(status, wanted, "{method} {path} as {r:?}");
                }
                Some(r) => assert_eq!(status, 403, "{method} {path} as {r:?}"),
            }
        }
    }
    for (role, client) in &clients {
        let csrf = if role.is_some() { client.csrf().await } else { String::new() };
        let response = client.post("/staff/sign-out", &[("csrf", &csrf)]).await;
        match role {
            None => assert!(redirected_to_sign_in(&response)),
            Some(_) => assert_eq!(response.status(), 303),
        }
    }
}

on_both_backends!(
    https_sites_send_hsts_and_host_only_cookies,
    signing_in_and_out,
    sessions_expire_when_idle_or_old,
    disabling_an_account_ends_its_sessions,
    failed_sign_ins_are_throttled_for_a_while,
    state_changes_need_the_csrf_token_and_this_origin,
    transcriptions_follow_each_channels_deadline,
    scans_are_checked_by_content_and_size,
    a_second_person_verifies_and_corrections_keep_history,
    approvers_accept_late_items_with_a_reason,
    revealing_contact_details_is_audited,
    the_audit_log_cannot_be_changed,
    every_staff_route_checks_the_role,
);
