//! Real headless Chromium (Debian's chromium and chromium-driver): the public journey in both
//! languages (two opinions for two drafts, a field error fixed, confirm, receipt), continued
//! from the receipt (one submission withdrawn, the other followed to its published answer), and an
//! analyst signing in and reading a campaign against its template.
use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;
use fantoccini::{Client, ClientBuilder, Locator};
use pubcom::domain::staff::Role;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempdir::Dir,
}

mod tempdir {
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Browser {
    pub async fn start(app: &TestApp) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is needed for browser tests (Debian package chromium-driver; .ci/run installs it)");
        let profile = tempdir::Dir(app.database.dir().join("chromium-profile"));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-quic", "--no-first-run", "--window-size=1024,900",
                    format!("--user-data-dir={}", profile.0.display()),
                ]
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let mut last_error = None;
        for _ in 0..100 {
            match ClientBuilder::new(connector.clone())
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => return Browser { client, driver, _profile: profile },
                Err(e) => last_error = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("could not start Chromium through chromedriver: {last_error:?}");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

pub async fn fill(b: &Client, id: &str, text: &str) {
    let field = b.find(Locator::Id(id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Clicks a submit button and waits until the browser has replaced the page.
pub async fn click(b: &Client, css: &str) {
    let old_page = b.find(Locator::Css("html")).await.unwrap();
    b.find(Locator::Css(css)).await.unwrap().click().await.unwrap();
    for _ in 0..200 {
        if old_page.attr("lang").await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("clicking {css} did not load a new page");
}

pub async fn text_of(b: &Client, css: &str) -> String {
    b.find(Locator::Css(css)).await.unwrap().text().await.unwrap()
}

struct Words {
    lang: &'static str,
    error_heading: &'static str,
    body_error: &'static str,
    confirm_heading: &'static str,
    receipt_heading: &'static str,
}

async fn journey(b: &Client, app: &TestApp, w: &Words) -> String {
    b.goto(&format!("{}/c/ismap-2020/submit?lang={}", app.url, w.lang)).await.unwrap();
    assert_eq!(b.find(Locator::Css("html")).await.unwrap().attr("lang").await.unwrap().as_deref(), Some(w.lang));
    b.find(Locator::Id("opinion-0-draft")).await.unwrap().select_by_value("management-standards").await.unwrap();
    fill(b, "opinion-0-location", "3.2.1").await;
    fill(b, "opinion-0-body", &format!("first opinion ({})", w.lang)).await;
    click(b, "button[value=add]").await;

    // The second block came from the server; the first kept its text.
    assert_eq!(
        b.find(Locator::Id("opinion-0-body")).await.unwrap().prop("value").await.unwrap().as_deref(),
        Some(format!("first opinion ({})", w.lang).as_str())
    );
    b.find(Locator::Id("opinion-1-draft")).await.unwrap().select_by_value("audit-guidelines").await.unwrap();
    fill(b, "opinion-1-location", "p. 12").await;
    click(b, "button[value=confirm]").await;

    // The second opinion has no text and the notes were not agreed to: the summary says both,
    // in page order, and links to the fields.
    assert_eq!(text_of(b, "#error-summary h2").await, w.error_heading);
    let link = text_of(b, "#error-summary a[href='#opinion-1-body']").await;
    assert!(link.contains(w.body_error), "{link}");
    assert_eq!(text_of(b, "#opinion-1-body-error").await.trim_start_matches("⚠ "), link);
    let order: Vec<String> = {
        let mut hrefs = Vec::new();
        for a in b.find_all(Locator::Css("#error-summary a")).await.unwrap() {
            hrefs.push(a.attr("href").await.unwrap().unwrap_or_default());
        }
        hrefs
    };
    assert_eq!(order, ["#opinion-1-body", "#agree-to-notes"]);
    fill(b, "opinion-1-body", &format!("second opinion ({})", w.lang)).await;
    b.find(Locator::Id("agree-to-notes")).await.unwrap().click().await.unwrap();
    click(b, "button[value=confirm]").await;

    assert_eq!(text_of(b, "h1").await, w.confirm_heading);
    let review = text_of(b, "main").await;
    assert!(review.contains(&format!("first opinion ({})", w.lang)));
    assert!(review.contains(&format!("second opinion ({})", w.lang)));
    click(b, "button[value=send]").await;

    assert_eq!(text_of(b, "h1").await, w.receipt_heading);
    let receipt = text_of(b, "#receipt-number").await;
    assert!(receipt.parse::<pubcom::domain::ReceiptNumber>().is_ok(), "{receipt}");
    assert!(b.current_url().await.unwrap().path().ends_with(&receipt));
    receipt
}

async fn the_public_journey_in_chromium_in_both_languages(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::start(&app).await;
    let b = &browser.client;
    let ja = Words {
        lang: "ja",
        error_heading: "入力内容を確認してください",
        body_error: "意見2の意見を入力してください。",
        confirm_heading: "送信内容の確認",
        receipt_heading: "意見を受け付けました",
    };
    let en = Words {
        lang: "en",
        error_heading: "There is a problem",
        body_error: "Enter your opinion (opinion 2)",
        confirm_heading: "Check your opinion before sending",
        receipt_heading: "Your opinion has been received",
    };
    let first = journey(b, &app, &ja).await;
    let second = journey(b, &app, &en).await;
    assert_ne!(first, second);
    assert_eq!(app.count("submissions").await, 2);
    assert_eq!(app.count("opinions").await, 4);

    // The second was sent by mistake: withdrawn from its receipt page, with a confirmation.
    click(b, "#withdraw-link").await;
    click(b, "#withdraw-confirm").await;
    assert_eq!(text_of(b, "#withdrawn-notice").await, "Your submission has been withdrawn.");
    assert!(b.find(Locator::Css("#withdraw-link")).await.is_err(), "no second withdrawal");

    // The first is answered and published; its receipt page links to the answer.
    crate::publication::wait_for_scans(&app).await;
    app.clock.set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2020, 5, 1, 3, 0, 0).unwrap());
    let analyst = crate::staff::signed_in(&app, "analyst", Role::Analyst).await;
    let approver = crate::staff::signed_in(&app, "approver", Role::Approver).await;
    let ids = crate::triage::opinion_ids(&app).await;
    for (id, draft) in [(ids[0], "management-standards"), (ids[1], "audit-guidelines")] {
        let item = crate::triage::new_item(&analyst, draft, "We will consider it.").await;
        let link = [("action", "link"), ("item", &item.to_string())];
        assert_eq!(crate::triage::post_opinion(&analyst, id, &link).await.status(), 303);
        crate::triage::approve(&approver, item).await;
    }
    assert_eq!(crate::triage::publish(&approver).await.status(), 303);
    let results = app.get("/c/ismap-2020/results?lang=en").await.text().await.unwrap();
    let second_draft = results.split("id=\"item-2-1\"").nth(1).expect("the second draft's first item");
    assert!(second_draft.trim_start_matches('>').trim_start().starts_with("<td>2</td>"), "numbered through the page");
    b.goto(&format!("{}/c/ismap-2020/receipt/{first}?lang=en", app.url)).await.unwrap();
    assert!(text_of(b, "#receipt-status").await.starts_with("The results are published."));
    click(b, "#opinion-1 a.answer-link").await;
    let url = b.current_url().await.unwrap();
    assert_eq!(url.path(), "/c/ismap-2020/results");
    let anchor = url.fragment().expect("the link names the answer").to_string();
    let row = text_of(b, &format!("tr#{anchor}")).await;
    assert!(row.contains("We will consider it."), "{row}");
    browser.client.clone().close().await.unwrap();
}

async fn an_analyst_reads_a_campaign_in_chromium(backend: Backend) {
    let app = crate::campaigns::app(backend).await;
    let ids = crate::campaigns::send_campaigns(&app).await;
    crate::staff::add_user(&app, "analyst", Role::Analyst).await;
    let browser = Browser::start(&app).await;
    let b = &browser.client;
    b.goto(&format!("{}/staff/sign-in?lang=en", app.url)).await.unwrap();
    fill(b, "username", "analyst").await;
    fill(b, "password", crate::staff::PASSWORD).await;
    click(b, "button[type=submit]").await;
    b.goto(&format!("{}/staff/c/ismap-2020?lang=en", app.url)).await.unwrap();
    click(b, "a[href='/staff/c/ismap-2020/campaigns']").await;
    assert_eq!(text_of(b, "h1").await, "Campaigns");
    assert_eq!(text_of(b, "#cluster-count").await, "2");

    // The largest campaign first; its page shows every member against the template.
    click(b, "table.data tbody tr:first-child a").await;
    assert!(text_of(b, "h1").await.ends_with("(5)"), "{}", text_of(b, "h1").await);
    assert!(text_of(b, "#template").await.contains("登録手数料と監査費用の上限"));
    let rows = b.find_all(Locator::Css("tr[id^=member-]")).await.unwrap();
    assert_eq!(rows.len(), 4, "every member but the template, shown against it");
    let own = text_of(b, &format!("#member-{}", ids[4])).await;
    assert!(own.contains("Has own text"), "{own}");
    // Additions are marked in words for screen readers, not by colour alone.
    let added = b.find(Locator::Css(&format!("#member-{} ins", ids[4]))).await.unwrap();
    assert!(added.html(false).await.unwrap().contains("[added: "));

    // Only the members with text of their own, without JavaScript.
    click(b, &format!("a[href='/staff/c/ismap-2020/campaigns/{}?own=yes']", ids[0])).await;
    assert_eq!(text_of(b, &format!("a[href='/staff/c/ismap-2020/campaigns/{}']", ids[0])).await, "Show all members");
    let rows = b.find_all(Locator::Css("tr[id^=member-]")).await.unwrap();
    assert_eq!(rows.len(), 1);
    browser.client.clone().close().await.unwrap();
}

on_both_backends!(the_public_journey_in_chromium_in_both_languages, an_analyst_reads_a_campaign_in_chromium);
