//! Accessibility in real Chromium: axe-core (WCAG 2.0–2.2, levels A and AA) on every public
//! and staff page in both languages, with data on them (a submission, a transcription, a
//! published answer); and the public journey done with the keyboard alone.
//!
//! Rendering does not depend on the storage backend, so these run on SQLite only.
use crate::browser::{click, fill, text_of, Browser};
use crate::helpers::{api_submission, spawn_app, Backend, TestApp};
use fantoccini::{Client, Locator};
use pubcom::domain::staff::Role;

/// axe-core, installed by `npm ci` (`.ci/run` does it).
fn axe_source() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} is needed for the accessibility tests (run `npm ci`): {e}", path.display()))
}

/// The WCAG A/AA violations axe finds on the page open now, one line each.
async fn violations(b: &Client, axe: &str) -> Vec<String> {
    b.execute(axe, vec![]).await.expect("axe-core loads into the page");
    let found = b
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
            axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})
              .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): '
                + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))))
              .catch(e => done(['axe failed: ' + e]));"#,
            vec![],
        )
        .await
        .expect("axe runs");
    serde_json::from_value(found).expect("a list of violations")
}

struct Audit<'a> {
    b: &'a Client,
    app: &'a TestApp,
    axe: String,
    failures: Vec<String>,
    pages: usize,
}

impl Audit<'_> {
    /// Checks the page open now, named `what`.
    async fn here(&mut self, what: &str) {
        self.pages += 1;
        for v in violations(self.b, &self.axe).await {
            self.failures.push(format!("{what}: {v}"));
        }
    }

    /// Opens `path` in both languages and checks each.
    async fn both(&mut self, path: &str) {
        for lang in ["ja", "en"] {
            let sep = if path.contains('?') { '&' } else { '?' };
            self.b.goto(&format!("{}{path}{sep}lang={lang}", self.app.url)).await.unwrap();
            self.here(&format!("{path} ({lang})")).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_passes_axe_in_both_languages() {
    let app = spawn_app(Backend::Sqlite).await;
    let browser = Browser::start(&app).await;
    let b = &browser.client;
    let mut audit = Audit { b, app: &app, axe: axe_source(), failures: Vec::new(), pages: 0 };

    // The form, its error summary, the confirmation and the receipt, in each language.
    for lang in ["ja", "en"] {
        b.goto(&format!("{}/c/ismap-2020/submit?lang={lang}", app.url)).await.unwrap();
        audit.here(&format!("form ({lang})")).await;
        click(b, "button[value=add]").await;
        audit.here(&format!("form with two opinions ({lang})")).await;
        click(b, "button[value=confirm]").await;
        audit.here(&format!("form with errors ({lang})")).await;
        fill(b, "opinion-0-body", "監査の頻度を明確にしてください。").await;
        fill(b, "opinion-1-body", "Please state the audit interval.").await;
        b.find(Locator::Id("agree-to-notes")).await.unwrap().click().await.unwrap();
        click(b, "button[value=confirm]").await;
        audit.here(&format!("confirmation ({lang})")).await;
        click(b, "button[value=send]").await;
        audit.here(&format!("receipt ({lang})")).await;
    }
    let receipt = crate::triage::submit(&app, api_submission("basic-rules", "個人情報の扱いについて")).await;
    audit.both("/").await;
    audit.both("/c/ismap-2020").await;
    // The demo takes attached files: its form has the file input.
    audit.both("/c/demo-open/submit").await;
    audit.both("/c/ismap-2020/receipt").await;
    audit.both(&format!("/c/ismap-2020/receipt/{receipt}")).await;
    audit.both(&format!("/c/ismap-2020/receipt/{receipt}/withdrawal")).await;
    audit.both("/c/ismap-2020/results").await;
    audit.both("/no-such-page").await;

    // Answered and published, with a letter transcribed afterwards for the staff pages.
    crate::publication::wait_for_scans(&app).await;
    app.clock.set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2020, 5, 1, 3, 0, 0).unwrap());
    let analyst = crate::staff::signed_in(&app, "analyst", Role::Analyst).await;
    let approver = crate::staff::signed_in(&app, "approver", Role::Approver).await;
    let ids = crate::triage::opinion_ids(&app).await;
    let mut item = 0;
    for draft in ["basic-rules", ""] {
        item = crate::triage::new_item(&analyst, draft, "We will consider it.").await;
        let csrf = analyst.csrf().await;
        let link = [
            ("csrf", csrf.as_str()),
            ("scope", "all"),
            ("f_draft", if draft.is_empty() { "none" } else { draft }),
            ("action", "link"),
            ("item", &item.to_string()),
            ("confirmed", "yes"),
        ];
        analyst.post("/staff/c/ismap-2020/opinions/bulk", &link).await;
        crate::triage::approve(&approver, item).await;
    }
    for id in &ids {
        let link = [("action", "link"), ("item", &item.to_string())];
        crate::triage::post_opinion(&analyst, *id, &link).await;
    }
    let published = crate::triage::publish(&approver).await;
    assert_eq!(published.status(), 303, "{}", published.text().await.unwrap());
    audit.both("/c/ismap-2020/results").await;
    audit.both("/c/ismap-2020/results/items/1/1").await;
    audit.both(&format!("/c/ismap-2020/receipt/{receipt}")).await;

    let clerk = crate::staff::signed_in(&app, "clerk", Role::Clerk).await;
    let letter = crate::staff::transcribe(&clerk, &crate::staff::letter("postal", "2020-04-24", ""), None).await;
    let letter = crate::staff::receipt_of(&letter);
    crate::staff::add_user(&app, "admin", Role::Admin).await;
    let admin = crate::staff::StaffClient::new(&app);
    assert_eq!(admin.sign_in("admin", crate::staff::PASSWORD).await.status(), 303);
    let clerk_id = app.db.run(|c| Ok(pubcom::db::staff::find_by_username(c, "clerk")?.unwrap().id)).await.unwrap();
    let csrf = admin.csrf().await;
    let issued = admin.post(&format!("/staff/users/{clerk_id}/password-reset"), &[("csrf", &csrf)]).await;
    let issued = issued.text().await.unwrap();
    let reset = format!("/staff/reset/{}", issued.split("/staff/reset/").nth(1).unwrap().split('<').next().unwrap());

    audit.both("/staff/sign-in").await;
    audit.both(&reset).await;
    b.goto(&format!("{}/staff/sign-in?lang=en", app.url)).await.unwrap();
    fill(b, "username", "admin").await;
    fill(b, "password", crate::staff::PASSWORD).await;
    click(b, "button[type=submit]").await;
    let opinion = ids[0];
    for path in [
        "/staff/".to_string(),
        "/staff/transcriptions".into(),
        "/staff/transcriptions/new".into(),
        format!("/staff/transcriptions/{letter}"),
        "/staff/users".into(),
        "/staff/audit".into(),
        "/staff/account".into(),
        "/staff/account/two-factor".into(),
        "/staff/c".into(),
        "/staff/c/ismap-2020".into(),
        "/staff/c/ismap-2020/opinions".into(),
        "/staff/c/ismap-2020/opinions?q=%E7%9B%A3%E6%9F%BB".into(),
        format!("/staff/opinions/{opinion}"),
        "/staff/c/ismap-2020/campaigns".into(),
        "/staff/c/ismap-2020/responses".into(),
        format!("/staff/responses/{item}"),
        "/staff/c/ismap-2020/publish".into(),
    ] {
        audit.both(&path).await;
    }
    browser.client.clone().close().await.unwrap();
    assert!(audit.pages >= 60, "checked {} pages", audit.pages);
    assert!(audit.failures.is_empty(), "axe found WCAG A/AA violations:\n{}", audit.failures.join("\n"));
}

/// Tab, Enter, Space, arrow keys and typing only: from the form to the receipt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journey_works_with_the_keyboard_alone() {
    let app = spawn_app(Backend::Sqlite).await;
    let browser = Browser::start(&app).await;
    let b = &browser.client;
    b.goto(&format!("{}/c/ismap-2020/submit?lang=en", app.url)).await.unwrap();
    const TAB: &str = "\u{E004}";
    const ENTER: &str = "\u{E007}";
    const DOWN: &str = "\u{E015}";
    // Tabs from the top of the page until `id` has focus; what has focus is asked of the page.
    async fn tab_to(b: &Client, want: &str) {
        for _ in 0..80 {
            let active = b.active_element().await.unwrap();
            let id = active.attr("id").await.unwrap().unwrap_or_default();
            let value = active.attr("value").await.unwrap().unwrap_or_default();
            if id == want || format!("button:{value}") == want {
                return;
            }
            active.send_keys(TAB).await.unwrap();
        }
        panic!("Tab never reached {want}");
    }
    async fn type_here(b: &Client, keys: &str) {
        b.active_element().await.unwrap().send_keys(keys).await.unwrap();
    }
    async fn wait_for_heading(b: &Client, heading: &str) {
        for _ in 0..200 {
            if let Ok(h) = b.find(Locator::Css("h1")).await {
                if h.text().await.unwrap_or_default() == heading {
                    return;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("no page headed '{heading}'");
    }
    tab_to(b, "opinion-0-draft").await;
    type_here(b, DOWN).await;
    tab_to(b, "opinion-0-body").await;
    type_here(b, "Typed without a mouse.").await;
    tab_to(b, "agree-to-notes").await;
    type_here(b, " ").await;
    tab_to(b, "button:confirm").await;
    type_here(b, ENTER).await;
    wait_for_heading(b, "Check your opinion before sending").await;
    tab_to(b, "button:send").await;
    type_here(b, " ").await;
    wait_for_heading(b, "Your opinion has been received").await;
    let receipt = text_of(b, "#receipt-number").await;
    assert!(receipt.parse::<pubcom::domain::ReceiptNumber>().is_ok(), "{receipt}");
    assert_eq!(app.count("opinions").await, 1);
    browser.client.clone().close().await.unwrap();
}
