use crate::helpers::{form_token, seed_closes_at, spawn_app, Backend, TestApp};
use crate::on_both_backends;

const FORM: &str = "/c/ismap-2020/submit";

async fn open_form(app: &TestApp, lang: &str) -> String {
    let response = app.get(&format!("{FORM}?lang={lang}")).await;
    assert_eq!(response.status(), 200);
    form_token(&response.text().await.unwrap())
}

fn fields<'a>(token: &'a str, action: &'a str, body0: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("token", token),
        ("lang", "en"),
        ("action", action),
        ("opinion_count", "2"),
        ("agree_to_notes", "yes"),
        ("opinion-0-draft", "management-standards"),
        ("opinion-0-location", "3.2.1"),
        ("opinion-0-body", body0),
        ("opinion-0-reason", "Clarity"),
        ("opinion-1-draft", "audit-guidelines"),
        ("opinion-1-location", "p. 12"),
        ("opinion-1-body", "Second opinion on the audit guidelines"),
        ("opinion-1-reason", ""),
        ("name", "Taro Yamada"),
        ("organization", ""),
        ("email", ""),
        ("postal_address", ""),
        ("phone", ""),
        ("contact_website", ""),
    ]
}

async fn the_journey_form_error_confirm_send_receipt(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = open_form(&app, "en").await;

    // A missing opinion text: the page keeps everything else and says what to do.
    let response = app.post_form(FORM, &fields(&token, "confirm", "")).await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("There is a problem"));
    assert!(html.contains("href=\"#opinion-0-body\""));
    assert!(html.contains("Enter your opinion (opinion 1)"), "{html}");
    assert!(html.contains("Second opinion on the audit guidelines"), "the other opinion is kept");
    assert!(html.contains("value=\"Taro Yamada\""), "the name is kept");

    let response = app.post_form(FORM, &fields(&token, "confirm", "Define 'cloud service' precisely")).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("Check your opinion before sending"));
    assert!(html.contains("ISMAP Management Standards (draft)"));
    assert!(
        html.contains("Define &#39;cloud service&#39; precisely")
            || html.contains("Define &#x27;cloud service&#x27; precisely"),
        "{html}"
    );
    assert_eq!(app.count("submissions").await, 0, "confirming stores nothing");

    let response = app.post_form(FORM, &fields(&token, "send", "Define 'cloud service' precisely")).await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/c/ismap-2020/receipt/"), "{location}");
    let receipt = app.get(&location).await;
    assert_eq!(receipt.status(), 200);
    let html = receipt.text().await.unwrap();
    assert!(html.contains("Your opinion has been received"));
    assert!(html.contains("12:00 on Wednesday 1 April 2020 (Japan time)"));
    assert!(html.contains("Second opinion on the audit guidelines"));
    assert!(!html.contains("Taro Yamada"), "the receipt page shows no personal data");
    assert_eq!(app.count("submissions").await, 1);
    assert_eq!(app.count("opinions").await, 2);
}

async fn a_double_click_makes_one_submission(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = open_form(&app, "en").await;
    let first = app.post_form(FORM, &fields(&token, "send", "once only")).await;
    let second = app.post_form(FORM, &fields(&token, "send", "once only")).await;
    assert_eq!(first.status(), 303);
    assert_eq!(second.status(), 303);
    assert_eq!(first.headers()["location"], second.headers()["location"]);
    assert_eq!(app.count("submissions").await, 1);
}

/// Back after sending, the person changes the text and sends the same form again: the change
/// is not dropped in favour of the first receipt; the form comes back with the text and a fresh
/// token, and sending it makes a second submission.
async fn a_sent_form_sent_again_with_other_text_keeps_the_text(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = open_form(&app, "en").await;
    let first = app.post_form(FORM, &fields(&token, "send", "my first version")).await;
    assert_eq!(first.status(), 303);
    let again = app.post_form(FORM, &fields(&token, "send", "my changed version")).await;
    assert_eq!(again.status(), 409);
    let html = again.text().await.unwrap();
    assert!(html.contains(">my changed version</textarea>"), "the changed text is kept");
    assert!(html.contains("sent once already"));
    let fresh = form_token(&html);
    assert_ne!(fresh, token);
    let second = app.post_form(FORM, &fields(&fresh, "send", "my changed version")).await;
    assert_eq!(second.status(), 303);
    assert_ne!(first.headers()["location"], second.headers()["location"], "a receipt of its own");
    assert_eq!(app.count("submissions").await, 2);
}

async fn a_late_post_is_refused_and_the_text_shown_back(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = open_form(&app, "ja").await;
    app.clock.set(seed_closes_at());
    let mut f = fields(&token, "send", "締切直後に届いた私の意見");
    f[1] = ("lang", "ja");
    let response = app.post_form(FORM, &f).await;
    assert_eq!(response.status(), 403);
    let html = response.text().await.unwrap();
    assert!(html.contains("意見の受付期間が終了したため"));
    assert!(html.contains("締切直後に届いた私の意見"), "the person's own text is shown back");
    assert!(html.contains("2020年4月26日（日）23時59分（日本時間）まで"));
    assert_eq!(app.count("submissions").await, 0);
}

async fn a_post_without_a_valid_token_stores_nothing_and_keeps_the_text(backend: Backend) {
    let app = spawn_app(backend).await;
    let _ = open_form(&app, "en").await;
    let response = app.post_form(FORM, &fields("forged.token", "send", "my careful text")).await;
    assert_eq!(response.status(), 403);
    let html = response.text().await.unwrap();
    assert!(html.contains("my careful text"));
    let fresh = form_token(&html);
    assert_ne!(fresh, "forged.token");
    // The fresh token works.
    let retry = app.post_form(FORM, &fields(&fresh, "send", "my careful text")).await;
    assert_eq!(retry.status(), 303);
    assert_eq!(app.count("submissions").await, 1);
}

async fn the_honeypot_refuses_robots_without_storing(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = open_form(&app, "en").await;
    let mut f = fields(&token, "send", "spam");
    let last = f.len() - 1;
    f[last] = ("contact_website", "http://spam.example");
    let response = app.post_form(FORM, &f).await;
    assert_eq!(response.status(), 400);
    assert_eq!(app.count("submissions").await, 0);
}

async fn add_another_opinion_without_javascript(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = open_form(&app, "en").await;
    // Two blocks on the page; "add" gives a third and keeps what both hold.
    let response = app.post_form(FORM, &fields(&token, "add", "first")).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"opinion-2-body\""), "a third block is added");
    assert!(!html.contains("id=\"opinion-3-body\""), "only one block is added");
    assert!(html.contains(">first</textarea>"));
    assert!(html.contains(">Second opinion on the audit guidelines</textarea>"));
    assert_eq!(app.count("submissions").await, 0, "adding a block sends nothing");
}

async fn switching_language_keeps_what_was_typed(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = open_form(&app, "ja").await;
    let mut f = fields(&token, "confirm", "途中まで書いた意見");
    f[1] = ("lang", "ja");
    f.push(("switch_lang", "en"));
    let response = app.post_form(FORM, &f).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains(">途中まで書いた意見</textarea>"), "the text survives the switch");
    assert!(!html.contains("There is a problem"), "switching is not sending");
    assert_eq!(app.count("submissions").await, 0);
}

async fn pages_outside_the_window_say_so(backend: Backend) {
    let app = spawn_app(backend).await;
    app.clock.set(seed_closes_at());
    let html = app.get("/c/ismap-2020?lang=en").await.text().await.unwrap();
    assert!(html.contains("This consultation is closed"));
    assert!(html.contains("until 23:59 on Sunday 26 April 2020 (Japan time)"));
    let form = app.get(&format!("{FORM}?lang=en")).await.text().await.unwrap();
    assert!(form.contains("This consultation is closed"));
    assert!(!form.contains("name=\"opinion-0-body\""), "no form to fill in when closed");
}

async fn every_public_page_is_bilingual(backend: Backend) {
    let app = spawn_app(backend).await;
    for (lang, words) in [("ja", "意見募集の対象（案）"), ("en", "Drafts open for comment")] {
        let html = app.get(&format!("/c/ismap-2020?lang={lang}")).await.text().await.unwrap();
        assert!(html.contains(&format!("<html lang=\"{lang}\">")));
        assert!(html.contains(words), "{lang}");
        let other = if lang == "ja" { "en" } else { "ja" };
        assert!(html.contains(&format!("href=\"/c/ismap-2020?lang={other}\"")), "switch keeps the page");
    }
    let ja = app.get("/c/ismap-2020?lang=ja").await.text().await.unwrap();
    assert!(ja.contains("2020年4月26日（日）23時59分（日本時間）まで"));
    assert!(ja.contains("郵送の場合は、次の日までに必着"));
    assert!(ja.contains("2020年4月26日（日）"));
    let missing = app.get("/c/ismap-2020/receipt/0000-0000-0000-0000-0?lang=en").await;
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Page not found"));
}

/// The consultation page as a citizen reads it: organizers one per line, phone numbers as
/// dialled in Japan on the Japanese page; and a 404 page that says "not found" once.
async fn the_notice_reads_naturally(backend: Backend) {
    let app = spawn_app(backend).await;
    let ja = app.get("/c/ismap-2020?lang=ja").await.text().await.unwrap();
    assert!(ja.contains("03-5253-5920"), "domestic form on the Japanese page");
    let organizers = ja.split("class=\"organizers\"").nth(1).unwrap().split("</ul>").next().unwrap();
    assert_eq!(organizers.matches("<li>").count(), 4, "one organizer per line: {organizers}");
    let en = app.get("/c/ismap-2020?lang=en").await.text().await.unwrap();
    assert!(en.contains("+81 3 5253 5920"));
    let missing = app.get("/c/no-such-thing?lang=en").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.text().await.unwrap().matches("Page not found.").count(),
        2,
        "the title and the heading, no repeat"
    );
}

on_both_backends!(
    the_notice_reads_naturally,
    a_sent_form_sent_again_with_other_text_keeps_the_text,
    the_journey_form_error_confirm_send_receipt,
    a_double_click_makes_one_submission,
    a_late_post_is_refused_and_the_text_shown_back,
    a_post_without_a_valid_token_stores_nothing_and_keeps_the_text,
    the_honeypot_refuses_robots_without_storing,
    add_another_opinion_without_javascript,
    pages_outside_the_window_say_so,
    every_public_page_is_bilingual,
    switching_language_keeps_what_was_typed,
);
