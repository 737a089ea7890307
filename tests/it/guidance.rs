//! What a citizen reads and keeps: the consultation page names where else the notice is
//! published, the notes, how personal data is used, the languages, and the contact form, and
//! speaks in the past tense once closed; the form shows the notes and counts characters (as
//! an enhancement) and lets a block be removed; the confirmation repeats the deadline and offers a change per opinion;
//! the receipt offers printing and a copy of what was sent.
use crate::helpers::{form_token, spawn_app, Backend};
use crate::on_both_backends;

const FORM: &str = "/c/ismap-2020/submit";

async fn what_a_citizen_reads_before_during_and_after(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = app.get("/c/ismap-2020?lang=en").await.text().await.unwrap();
    let also = page.split("id=\"also-published\"").nth(1).unwrap().split("</ul>").next().unwrap();
    assert!(also.contains("href=\"https://www.soumu.go.jp\"") && also.contains("href=\"https://www.e-gov.go.jp/\""));
    assert!(also.contains("paper copy"), "the counter, without a link");
    assert!(page.contains("Opinions may be written in: Japanese, English"));
    assert!(page.contains("Opinions are published, without personal data."));
    assert!(page.contains("Before you send") && page.contains("Name the place in the draft"));
    assert!(page.contains("How your personal data is used"));
    assert!(page.contains("href=\"https://www.soumu.go.jp/common/english_opinions.html\" id=\"contact-form\""));
    assert!(page.contains("How to send your opinion"));

    let form = app.get(&format!("{FORM}?lang=ja")).await.text().await.unwrap();
    assert!(form.contains("id=\"notes\"") && form.contains("案の該当箇所を明示して"), "the notes on the form");
    assert!(form.contains("data-max=\"20000\""), "the limit for the live count");
    assert!(form.contains("<script src=\"/static/pubcom.js\" defer></script>"));
    let script = app.get("/static/pubcom.js").await;
    assert!(script.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert!(script.text().await.unwrap().contains("window.print()"));

    let token = form_token(&form);
    assert!(form.contains("formaction=\"/c/ismap-2020/submit#opinion-1\""), "adding opens the page at the new block");
    let two = [
        ("token", token.as_str()),
        ("lang", "en"),
        ("opinion_count", "2"),
        ("agree_to_notes", "yes"),
        ("opinion-0-body", "the first, sent by mistake"),
        ("opinion-1-body", "the second, to keep"),
        ("action", "remove-0"),
    ];
    let removed = app.post_form(FORM, &two).await.text().await.unwrap();
    assert!(!removed.contains("the first, sent by mistake") && removed.contains("the second, to keep"));
    assert!(!removed.contains("value=\"remove-0\""), "one block left: nothing to remove");
    let f = [
        ("token", token.as_str()),
        ("lang", "en"),
        ("opinion_count", "1"),
        ("agree_to_notes", "yes"),
        ("opinion-0-draft", "audit-guidelines"),
        ("opinion-0-location", "p. 12"),
        ("opinion-0-body", "Please state the audit interval.\nOnce a year would do."),
        ("opinion-0-reason", "Clarity"),
        ("name", "Hanako Private"),
        ("email", "hanako.private@example.jp"),
        ("contact_website", ""),
    ];
    let mut confirm = f.to_vec();
    confirm.push(("action", "confirm"));
    let review = app.post_form(FORM, &confirm).await.text().await.unwrap();
    assert!(review.contains("formaction=\"/c/ismap-2020/submit#opinion-0\""), "a change button per opinion");
    let before = review.split("id=\"before-sending\"").nth(1).unwrap().split("</div>").next().unwrap();
    assert!(before.contains("Deadline") && before.contains("26 April 2020"), "{before}");
    assert!(before.contains("Opinions are published") && before.contains("You agreed to the notes"));
    assert!(review.contains("<input type=\"hidden\" name=\"agree_to_notes\" value=\"yes\">"));

    // Sending without the box ticked stores nothing and asks for the box, text kept.
    let mut unticked: Vec<_> = f.iter().copied().filter(|(k, _)| *k != "agree_to_notes").collect();
    unticked.push(("action", "send"));
    let refused = app.post_form(FORM, &unticked).await;
    assert_eq!(refused.status(), 422);
    let refused = refused.text().await.unwrap();
    assert!(refused.contains("href=\"#agree-to-notes\"") && refused.contains("tick the box to agree"), "{refused}");
    assert!(refused.contains("Once a year would do.") && refused.contains("hanako.private@example.jp"));
    assert_eq!(app.count("opinions").await, 0);
    let mut send = f.to_vec();
    send.push(("action", "send"));
    let sent = app.post_form(FORM, &send).await;
    let receipt_url = sent.headers()["location"].to_str().unwrap().to_string();
    let receipt = app.get(&format!("{receipt_url}?lang=en")).await.text().await.unwrap();
    assert!(receipt.contains("data-print hidden id=\"print-button\""), "printing offered once the script runs");
    assert!(receipt.contains("<p class=\"text\" lang=\"en\">Please state"), "people's text says its language");
    let number = receipt.split("id=\"receipt-number\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    let copy = app.get(&format!("/c/ismap-2020/receipt/{number}/copy.txt?lang=en")).await;
    assert_eq!(copy.status(), 200);
    assert!(copy.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let copy = copy.text().await.unwrap();
    assert!(copy.contains(&number) && copy.contains("Please state the audit interval.\r\nOnce a year would do."));
    assert!(copy.contains("ISMAP Information Security Audit Guidelines (draft)") && copy.contains("p. 12"));
    assert!(!copy.contains("Hanako Private") && !copy.contains("hanako.private@"), "no contact details in the copy");

    app.clock.set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2020, 5, 1, 3, 0, 0).unwrap());
    let closed = app.get("/c/ismap-2020?lang=en").await.text().await.unwrap();
    assert!(closed.contains("Was open for opinions") && closed.contains("Drafts that were open for comment"));
    assert!(!closed.contains("How to send your opinion") && !closed.contains("href=\"/c/ismap-2020/submit\""));
    assert!(closed.contains("This consultation is closed"));
}

on_both_backends!(what_a_citizen_reads_before_during_and_after);
