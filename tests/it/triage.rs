use crate::helpers::{captured_logs, spawn_app, Backend, TestApp};
use crate::on_both_backends;
use crate::staff::{receipt_of_transcription, signed_in, transcribe, StaffClient};
use chrono::{TimeZone, Utc};
use pubcom::domain::staff::Role;
use serde_json::{json, Value};

const SUBMIT: &str = "/api/v1/consultations/ismap-2020/submissions";

pub async fn submit(app: &TestApp, body: Value) -> String {
    let r = app.post_json(SUBMIT, &body).await;
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["receipt_number"].as_str().unwrap().to_string()
}

pub async fn opinion_ids(app: &TestApp) -> Vec<i64> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    app.db
        .run(|c| {
            use diesel::RunQueryDsl;
            let rows: Vec<Id> = diesel::sql_query("SELECT id FROM opinions ORDER BY id").load(c)?;
            Ok(rows.into_iter().map(|r| r.id).collect())
        })
        .await
        .unwrap()
}

pub async fn post_opinion(c: &StaffClient, id: i64, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = c.csrf().await;
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    c.post(&format!("/staff/opinions/{id}"), &all).await
}

pub fn location_id(r: &reqwest::Response, prefix: &str) -> i64 {
    assert_eq!(r.status(), 303, "expected a redirect");
    r.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches(prefix)
        .split(['?', '/'])
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

pub async fn new_item(c: &StaffClient, draft: &str, view_en: &str) -> i64 {
    let csrf = c.csrf().await;
    let r = c
        .post(
            "/staff/c/ismap-2020/responses",
            &[
                ("csrf", &csrf),
                ("draft", draft),
                ("summary_ja", "監査の頻度を明確にすべきとのご意見"),
                ("summary_en", "Opinions asking for a **precise** audit interval"),
                ("view_ja", "ご意見を踏まえ、**年1回**と明記します。"),
                ("view_en", view_en),
                ("changed", "yes"),
                ("change_ja", "3.2.1 に年1回と追記"),
                ("change_en", "3.2.1 now says once a year"),
            ],
        )
        .await;
    location_id(&r, "/staff/responses/")
}

pub async fn publish(c: &StaffClient) -> reqwest::Response {
    let csrf = c.csrf().await;
    c.post("/staff/c/ismap-2020/publish", &[("csrf", &csrf)]).await
}

pub async fn approve(c: &StaffClient, item: i64) {
    let csrf = c.csrf().await;
    let r = c.post(&format!("/staff/responses/{item}/approve"), &[("csrf", &csrf)]).await;
    let status = r.status();
    assert_eq!(status, 303, "{}", r.text().await.unwrap());
}

/// The whole second half of the product: triage, answers, coverage, publication, exports.
async fn opinions_are_triaged_answered_and_published(backend: Backend) {
    let app = spawn_app(backend).await;
    let tag = format!("{backend:?}").to_lowercase();
    let canary_name = format!("ResultsCanary{tag}Name");
    let canary_email = format!("results.canary.{tag}@example.jp");
    let canary_address = format!("ResultsCanary{tag} Address 1-1");
    let canary_phone = "+81-3-5555-0101";
    let secret_org = format!("SecretOrg{tag}");
    submit(&app, json!({
        "submitter": {"name": canary_name, "email": canary_email, "postal_address": canary_address, "phone": canary_phone, "organization": "Public Cloud Association", "publish_organization": true},
        "locale": "ja",
        "opinions": [
            {"draft": "management-standards", "location": "3.2.1", "body": "管理基準の監査頻度を明確にしてください。", "reason": "事業者の負担"},
            {"draft": "management-standards", "location": "3.3", "body": "=HYPERLINK(\"http://evil.example\") the audit interval", "reason": ""}
        ]
    })).await;
    submit(
        &app,
        json!({
            "submitter": {"name": canary_name, "organization": secret_org, "publish_organization": false},
            "locale": "en",
            "opinions": [
                {"draft": "management-standards", "body": "Please define the audit interval precisely."},
                {"draft": null, "body": "This is unrelated to ISMAP."},
                {"draft": "basic-rules", "body": "Abusive words here."}
            ]
        }),
    )
    .await;
    let ids = opinion_ids(&app).await;
    assert_eq!(ids.len(), 5);

    // A late letter that nobody accepted: counted, never considered.
    app.clock.set(Utc.with_ymd_and_hms(2020, 5, 1, 3, 0, 0).unwrap());
    let clerk = signed_in(&app, "clerk1", Role::Clerk).await;
    let late_letter = [
        ("channel", "postal"),
        ("arrival_date", "2020-04-30"),
        ("opinion_count", "1"),
        ("agree_to_notes", "yes"),
        ("opinion-0-draft", "management-standards"),
        ("opinion-0-body", "遅れて届いた手紙"),
    ];
    let late_receipt = receipt_of_transcription(&transcribe(&clerk, &late_letter, None).await);

    let analyst = signed_in(&app, "analyst1", Role::Analyst).await;
    let approver = signed_in(&app, "approver1", Role::Approver).await;

    // The overview counts per draft.
    let overview = analyst.get("/staff/c/ismap-2020?lang=en").await.text().await.unwrap();
    assert!(overview.contains("ISMAP Management Standards (draft)"));
    // Search finds Japanese and English text.
    let found = analyst
        .get("/staff/c/ismap-2020/opinions?q=%E7%9B%A3%E6%9F%BB%E9%A0%BB%E5%BA%A6&lang=en")
        .await
        .text()
        .await
        .unwrap();
    assert!(found.contains(&format!(">#{}<", ids[0])) && !found.contains(&format!(">#{}<", ids[2])), "監査頻度");
    let found = analyst.get("/staff/c/ismap-2020/opinions?q=audit+interval&lang=en").await.text().await.unwrap();
    assert!(
        found.contains(&format!(">#{}<", ids[1]))
            && found.contains(&format!(">#{}<", ids[2]))
            && !found.contains(&format!(">#{}<", ids[0]))
    );
    let filtered = analyst
        .get("/staff/c/ismap-2020/opinions?draft=management-standards&late=no&lang=en")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        filtered.contains("<span class=\"count\" id=\"total\">(3)</span>"),
        "three on-time opinions on the management standards"
    );

    // Bulk: tag and assign the three management-standards opinions.
    let csrf = analyst.csrf().await;
    let (a, b, c) = (ids[0].to_string(), ids[1].to_string(), ids[2].to_string());
    let bulk = [
        ("csrf", csrf.as_str()),
        ("scope", "selected"),
        ("id", &a),
        ("id", &b),
        ("id", &c),
        ("action", "tag"),
        ("tag", "audit interval"),
    ];
    assert_eq!(analyst.post("/staff/c/ismap-2020/opinions/bulk", &bulk).await.status(), 303);
    let tagged = analyst.get("/staff/c/ismap-2020/opinions?tag=audit+interval").await.text().await.unwrap();
    assert!(tagged.contains("<span class=\"count\" id=\"total\">(3)</span>"));
    for id in &ids[..3] {
        assert!(tagged.contains(&format!(">#{id}<")), "opinion {id} is tagged");
    }

    // Out of scope and abusive need a reason.
    assert_eq!(
        post_opinion(&analyst, ids[3], &[("action", "state"), ("state", "out_of_scope"), ("reason", "")])
            .await
            .status(),
        422
    );
    assert_eq!(
        post_opinion(
            &analyst,
            ids[3],
            &[("action", "state"), ("state", "out_of_scope"), ("reason", "not about the drafts")]
        )
        .await
        .status(),
        303
    );
    assert_eq!(
        post_opinion(&analyst, ids[4], &[("action", "state"), ("state", "abusive"), ("reason", "insults")])
            .await
            .status(),
        303
    );

    // Nothing is answered yet: publication is refused and says what is missing.
    let refused = publish(&approver).await;
    assert_eq!(refused.status(), 409);
    let html = refused.text().await.unwrap();
    for id in &ids[..3] {
        assert!(html.contains(&format!("/staff/opinions/{id}\"")), "opinion {id} listed as missing");
    }
    assert!(!html.contains(&format!("/staff/opinions/{}\"", ids[3])), "set aside with a reason is accounted for");

    let item = new_item(
        &analyst,
        "management-standards",
        "We will state **once a year**. <script>alert(1)</script> [x](javascript:alert(1))",
    )
    .await;
    let csrf = analyst.csrf().await;
    let link = [
        ("csrf", csrf.as_str()),
        ("scope", "all"),
        ("f_tag", "audit interval"),
        ("action", "link"),
        ("item", &item.to_string()),
    ];
    let confirm = analyst.post("/staff/c/ismap-2020/opinions/bulk", &link).await;
    assert_eq!(confirm.status(), 200, "a bulk action on all results is confirmed first");
    let confirm = confirm.text().await.unwrap();
    assert!(confirm.contains("(3)"), "the confirmation names how many will change");
    let mut confirmed = link.to_vec();
    confirmed.push(("confirmed", "yes"));
    assert_eq!(analyst.post("/staff/c/ismap-2020/opinions/bulk", &confirmed).await.status(), 303);
    let item_page = analyst.get(&format!("/staff/responses/{item}")).await.text().await.unwrap();
    assert!(item_page.contains("id=\"linked-count\">3<"));
    assert!(!item_page.contains("<script>alert"), "staff Markdown is sanitized in the preview");

    // Not approved yet: still refused.
    assert_eq!(publish(&approver).await.status(), 409);
    assert_eq!(
        analyst.post(&format!("/staff/responses/{item}/approve"), &[("csrf", &analyst.csrf().await)]).await.status(),
        403,
        "analysts do not approve"
    );
    approve(&approver, item).await;

    // An approved item that is edited goes back to draft.
    let csrf = analyst.csrf().await;
    let edit = [
        ("csrf", csrf.as_str()),
        ("position", "1"),
        ("summary_ja", "監査の頻度（改）"),
        ("summary_en", "Audit interval (revised)"),
        ("view_ja", "年1回とします。"),
        ("view_en", "Once a year. <script>alert(1)</script> [x](javascript:alert(1))"),
        ("changed", "yes"),
        ("change_ja", "追記"),
        ("change_en", "Added"),
    ];
    assert_eq!(analyst.post(&format!("/staff/responses/{item}"), &edit).await.status(), 303);
    assert!(analyst
        .get(&format!("/staff/responses/{item}?lang=en"))
        .await
        .text()
        .await
        .unwrap()
        .contains("id=\"item-status\">Draft<"));
    assert_eq!(publish(&approver).await.status(), 409);
    approve(&approver, item).await;

    // The late letter is not considered, but its transcription is checked like any other.
    let refused = publish(&approver).await;
    assert_eq!(refused.status(), 409);
    assert!(refused.text().await.unwrap().contains(&format!("/staff/transcriptions/{late_receipt}\"")));
    let csrf = approver.csrf().await;
    let verified = approver
        .post(&format!("/staff/transcriptions/{late_receipt}/verify"), &[("csrf", &csrf), ("decision", "verify")])
        .await;
    assert_eq!(verified.status(), 303);

    let published = publish(&approver).await;
    assert_eq!(published.status(), 303);
    assert_eq!(published.headers()["location"], "/c/ismap-2020/results?version=1");

    // The public results page.
    let page = app.get("/c/ismap-2020/results?lang=en").await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Audit interval (revised)"));
    assert!(page.contains("Once a year."), "the body's view is shown");
    assert!(!page.contains("<script>alert"), "Markdown is sanitized");
    assert!(!page.contains("javascript:"), "no javascript: links");
    assert!(page.contains("管理基準の監査頻度を明確にしてください。"), "full text of published opinions");
    assert!(page.contains("Public Cloud Association"), "organization published where agreed");
    assert!(!page.contains(&secret_org), "organization withheld where not agreed");
    assert!(!page.contains("Abusive words here."), "abusive text is never published");
    assert!(!page.contains("遅れて届いた手紙"), "late, not accepted: not published");
    assert!(page.contains("Opinions not published (counts)"));
    let api: Value = app.get("/api/v1/consultations/ismap-2020/results").await.json().await.unwrap();
    assert_eq!(api["version"], 1);
    assert_eq!(api["totals"]["opinions"], 6);
    assert_eq!(api["totals"]["late"], 1);
    assert_eq!(api["totals"]["published"], 3);
    let not_published: Vec<(String, i64)> = api["totals"]["not_published"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["key"].as_str().unwrap().to_string(), c["count"].as_i64().unwrap()))
        .collect();
    for expected in [("late", 1), ("out_of_scope", 1), ("abusive", 1)] {
        assert!(not_published.contains(&(expected.0.to_string(), expected.1)), "{not_published:?}");
    }
    let list: Value = app.get("/api/v1/consultations").await.json().await.unwrap();
    assert!(list["consultations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["slug"] == "ismap-2020" && c["status"] == "published"));

    // Exports.
    let csv = app.get("/c/ismap-2020/results.csv?lang=en").await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert!(csv.contains("\"'=HYPERLINK"), "formula neutralized: {csv}");
    assert!(!csv.contains(",\"=HYPERLINK"));
    let json_export = app.get("/c/ismap-2020/results.json").await.text().await.unwrap();
    let xlsx = app.get("/c/ismap-2020/results.xlsx?lang=en").await;
    assert_eq!(xlsx.status(), 200);
    let xlsx = xlsx.bytes().await.unwrap();
    assert!(xlsx.starts_with(b"PK"), "an XLSX file is a zip");
    let xlsx_text = unzip_text(&xlsx);
    assert!(xlsx_text.contains("Audit interval (revised)"));
    for canary in
        [canary_name.as_str(), canary_email.as_str(), canary_address.as_str(), canary_phone, secret_org.as_str()]
    {
        for (what, text) in
            [("page", &page), ("csv", &csv), ("json", &json_export), ("xlsx", &xlsx_text), ("api", &api.to_string())]
        {
            assert!(!text.contains(canary), "{canary} in the public {what}");
        }
    }
    for path in
        ["/", "/c/ismap-2020", "/c/ismap-2020?lang=en", "/api/v1/consultations", "/api/v1/consultations/ismap-2020"]
    {
        let text = app.get(path).await.text().await.unwrap();
        assert!(!text.contains(&canary_name) && !text.contains(&canary_email), "{path}");
    }
    assert!(!captured_logs().contains(&canary_email));

    // A correction is a new version; the first stays readable as it was.
    let csrf = analyst.csrf().await;
    let mut v2 = edit.to_vec();
    v2[0] = ("csrf", csrf.as_str());
    v2[3] = ("summary_en", "Audit interval (second version)");
    assert_eq!(analyst.post(&format!("/staff/responses/{item}"), &v2).await.status(), 303);
    approve(&approver, item).await;
    assert_eq!(publish(&approver).await.headers()["location"], "/c/ismap-2020/results?version=2");
    let latest = app.get("/c/ismap-2020/results?lang=en").await.text().await.unwrap();
    assert!(latest.contains("Audit interval (second version)"));
    assert!(latest.contains("?version=1"), "earlier versions are listed");
    let first = app.get("/c/ismap-2020/results?version=1&lang=en").await.text().await.unwrap();
    assert!(first.contains("Audit interval (revised)") && !first.contains("second version"));

    // Published versions cannot be changed in the database.
    for sql in ["UPDATE result_versions SET content = '{}'", "DELETE FROM result_versions"] {
        let err = app
            .db
            .run(move |c| {
                use diesel::RunQueryDsl;
                diesel::sql_query(sql).execute(c).map_err(pubcom::db::DbError::from)
            })
            .await
            .expect_err(sql)
            .to_string();
        assert!(err.contains("immutable"), "{sql}: {err}");
    }
}

/// Reads the text of every XML part of a small XLSX (stored or deflated entries).
pub fn unzip_text(bytes: &[u8]) -> String {
    // The XLSX is written by rust_xlsxwriter; read it back with the same zip crate family.
    let reader = std::io::Cursor::new(bytes.to_vec());
    let mut archive = zip::ZipArchive::new(reader).expect("a zip archive");
    let mut out = String::new();
    for i in 0..archive.len() {
        use std::io::Read;
        let mut file = archive.by_index(i).unwrap();
        let mut s = String::new();
        let _ = file.read_to_string(&mut s);
        out.push_str(&s);
    }
    out
}

async fn moving_an_opinion_keeps_the_submitters_choice(backend: Backend) {
    let app = spawn_app(backend).await;
    submit(&app, json!({"opinions": [{"draft": "basic-rules", "body": "This is really about the audit guidelines."}]}))
        .await;
    let id = opinion_ids(&app).await[0];
    let analyst = signed_in(&app, "analyst1", Role::Analyst).await;
    assert_eq!(post_opinion(&analyst, id, &[("action", "move"), ("draft", "audit-guidelines")]).await.status(), 303);
    assert_eq!(
        post_opinion(&analyst, id, &[("action", "move"), ("draft", "management-standards")]).await.status(),
        303
    );
    let page = analyst.get(&format!("/staff/opinions/{id}?lang=en")).await.text().await.unwrap();
    assert!(page.split("id=\"draft\">").nth(1).unwrap().starts_with("ISMAP Management Standards (draft)"));
    assert!(
        page.split("id=\"original-draft\">").nth(1).unwrap().starts_with("Basic Rules"),
        "the first choice is kept"
    );
    let admin = signed_in(&app, "admin1", Role::Admin).await;
    let log = admin.get(&format!("/staff/audit?action=opinion_move&object={id}")).await.text().await.unwrap();
    assert_eq!(log.matches("<td>opinion_move</td>").count(), 2, "both moves are in the audit log");
    // Wrong references are refused with a message, never a server error.
    assert_eq!(
        post_opinion(&analyst, id, &[("action", "state"), ("state", "duplicate"), ("duplicate_of", "999999")])
            .await
            .status(),
        422
    );
    assert_eq!(
        post_opinion(&analyst, id, &[("action", "state"), ("state", "duplicate"), ("duplicate_of", &id.to_string())])
            .await
            .status(),
        422
    );
    assert_eq!(post_opinion(&analyst, id, &[("action", "assign"), ("assignee", "999999")]).await.status(), 422);
    assert_eq!(
        post_opinion(&analyst, id, &[("action", "link"), ("item", "999999")]).await.status(),
        422,
        "an unknown response item is refused"
    );
    assert!(analyst
        .get(&format!("/staff/opinions/{id}?lang=en"))
        .await
        .text()
        .await
        .unwrap()
        .contains("id=\"state\">New"));
    // Notes and assignment.
    assert_eq!(post_opinion(&analyst, id, &[("action", "note"), ("note", "ask the audit team")]).await.status(), 303);
    let analyst_id = app.db.run(|c| Ok(pubcom::db::staff::find_by_username(c, "analyst1")?.unwrap().id)).await.unwrap();
    assert_eq!(
        post_opinion(&analyst, id, &[("action", "assign"), ("assignee", &analyst_id.to_string())]).await.status(),
        303
    );
    let page = analyst.get(&format!("/staff/opinions/{id}")).await.text().await.unwrap();
    assert!(page.contains("ask the audit team"));
    let mine = analyst.get(&format!("/staff/c/ismap-2020/opinions?assignee={analyst_id}")).await.text().await.unwrap();
    assert!(mine.contains(&format!(">#{id}<")));
    let nobody = analyst.get("/staff/c/ismap-2020/opinions?assignee=none").await.text().await.unwrap();
    assert!(!nobody.contains(&format!(">#{id}<")));
}

async fn long_lists_page_by_key_without_gaps_or_repeats(backend: Backend) {
    let app = spawn_app_rate_free(backend).await;
    for i in 0..12 {
        let opinions: Vec<Value> =
            (0..10).map(|j| json!({"draft": "audit-guidelines", "body": format!("opinion {i}-{j}")})).collect();
        submit(&app, json!({"opinions": opinions})).await;
    }
    let analyst = signed_in(&app, "analyst1", Role::Analyst).await;
    let mut seen: Vec<String> = Vec::new();
    let mut url = "/staff/c/ismap-2020/opinions?draft=audit-guidelines&order=newest".to_string();
    let mut pages = 0;
    loop {
        let html = analyst.get(&url).await.text().await.unwrap();
        let ids: Vec<String> =
            html.split("name=\"id\" value=\"").skip(1).map(|s| s.split('"').next().unwrap().to_string()).collect();
        seen.extend(ids);
        pages += 1;
        assert!(pages < 10, "pagination must end");
        match html.split("<a href=\"/staff/c/ismap-2020/opinions?").nth(1).filter(|s| s.contains("after=")) {
            Some(rest) if html.contains("Next page") || html.contains("次のページ") => {
                url = format!(
                    "/staff/c/ismap-2020/opinions?{}",
                    rest.split('"').next().unwrap().replace("&amp;", "&").replace("&#38;", "&")
                );
            }
            _ => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 120);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 120, "no repeats");
    let numbers: Vec<i64> = seen.iter().map(|s| s.parse().unwrap()).collect();
    assert!(numbers.windows(2).all(|w| w[0] > w[1]), "newest first, in order");
}

async fn spawn_app_rate_free(backend: Backend) -> TestApp {
    crate::helpers::spawn_app_with(backend, |s| s.rate_limit.submissions_per_minute = 0).await
}

/// The list of response items shows their summaries rendered, as the results will.
async fn response_items_are_listed_with_their_markdown_rendered(backend: Backend) {
    let app = spawn_app(backend).await;
    let analyst = crate::staff::signed_in(&app, "analyst", Role::Analyst).await;
    new_item(&analyst, "basic-rules", "We will.").await;
    // And the opinion list says where in the draft each opinion points.
    submit(&app, json!({"opinions": [{"draft": "basic-rules", "location": "3.2.1", "body": "located"}]})).await;
    let opinions = analyst.get("/staff/c/ismap-2020/opinions?lang=en").await.text().await.unwrap();
    assert!(
        opinions.contains("Location in the draft: 3.2.1</span><br><span lang=\"en\">located</span>"),
        "location and excerpt"
    );
    let list = analyst.get("/staff/c/ismap-2020/responses?lang=en").await.text().await.unwrap();
    assert!(list.contains("a <strong>precise</strong> audit interval"), "rendered");
    assert!(!list.contains("**precise**"), "not raw Markdown");
}

async fn the_openapi_document_describes_every_api_route(backend: Backend) {
    let app = spawn_app(backend).await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            documented.push((method.clone(), path.clone()));
        }
    }
    documented.sort();
    let mut routes: Vec<(String, String)> =
        pubcom::web::api::ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    routes.sort();
    // `ROUTES` is the table the router itself is built from.
    assert_eq!(documented, routes, "the document and the routes must match");
    // Each route answers through its own handler; the receipt routes use the receipt of the
    // submission the table lists before them.
    let mut receipt = String::new();
    for (method, path) in pubcom::web::api::ROUTES {
        let url = format!("{}{}", app.url, path.replace("{slug}", "ismap-2020").replace("{receipt_number}", &receipt));
        let response = match *method {
            "get" => app.client.get(&url).send().await.unwrap(),
            _ => app
                .client
                .post(&url)
                .json(&crate::helpers::api_submission("basic-rules", "openapi check"))
                .send()
                .await
                .unwrap(),
        };
        let status = response.status().as_u16();
        if path.ends_with("/submissions") {
            assert_eq!(status, 201);
            receipt = response.json::<Value>().await.unwrap()["receipt_number"].as_str().unwrap().to_string();
        } else if path.ends_with("/results") {
            assert_eq!(status, 404);
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"], "not_found");
            assert!(body["message"].as_str().unwrap().contains("not been published"), "the results handler said so");
        } else {
            assert!(status == 200 || status == 201, "{method} {path}: {status}");
        }
    }
}

/// A list of many matches says "more than" instead of counting every one on each page.
async fn large_lists_say_more_than_instead_of_counting_everything(backend: Backend) {
    let app = spawn_app(backend).await;
    crate::helpers::generate(&app, "ismap-2020", 1200, 7).await;
    let analyst = signed_in(&app, "analyst", Role::Analyst).await;
    let all = analyst.get("/staff/c/ismap-2020/opinions?lang=en").await.text().await.unwrap();
    let total = |html: &str| html.split("id=\"total\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    assert!(total(&all).starts_with("(12"), "exact below the cap: {}", total(&all));
    let many = analyst.get("/staff/c/ismap-2020/opinions?lang=en&q=%E3%81%AE").await.text().await.unwrap();
    assert_eq!(total(&many), "(more than 200)", "a search with many matches stops counting");
    let ja = analyst.get("/staff/c/ismap-2020/opinions?lang=ja&q=%E3%81%AE").await.text().await.unwrap();
    assert_eq!(total(&ja), "(200件超)");
}

/// The tag filter offers the tags used in this consultation, each once and in order, and
/// never another consultation's.
async fn the_tag_filter_offers_only_this_consultations_tags(backend: Backend) {
    use pubcom::db::{annotations, consultations};
    let app = spawn_app_rate_free(backend).await;
    submit(&app, json!({"opinions": [{"draft": null, "body": "一つ目"}, {"draft": null, "body": "second"}]})).await;
    let ours = opinion_ids(&app).await;
    crate::helpers::generate(&app, "demo-open", 3, 1).await;
    let theirs: Vec<i64> = opinion_ids(&app).await.into_iter().filter(|id| !ours.contains(id)).collect();
    let tagged = app
        .db
        .run(move |c| {
            annotations::add_tag(c, &ours, "費用")?;
            annotations::add_tag(c, &ours[..1], "audit")?;
            annotations::add_tag(c, &theirs, "elsewhere")?;
            let id = |c: &mut _, slug| consultations::find(c, slug).map(|found| found.unwrap().id);
            let (ismap, demo) = (id(c, "ismap-2020")?, id(c, "demo-open")?);
            Ok((annotations::tags_in(c, ismap)?, annotations::tags_in(c, demo)?))
        })
        .await
        .unwrap();
    assert_eq!(tagged.0, vec!["audit".to_string(), "費用".to_string()]);
    assert_eq!(tagged.1, vec!["elsewhere".to_string()]);
}

on_both_backends!(
    the_tag_filter_offers_only_this_consultations_tags,
    large_lists_say_more_than_instead_of_counting_everything,
    opinions_are_triaged_answered_and_published,
    moving_an_opinion_keeps_the_submitters_choice,
    long_lists_page_by_key_without_gaps_or_repeats,
    the_openapi_document_describes_every_api_route,
    response_items_are_listed_with_their_markdown_rendered,
);
