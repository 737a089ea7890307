//! Files the public attaches (別紙): accepted ones listed on the receipt with their SHA-256,
//! refusals that name the file and store nothing, the virus-scan hook, and files left by a
//! crash between writing and committing removed by the worker.
use crate::helpers::{api_submission, spawn_app_with, test_settings, Backend, TestApp, TestDatabase};
use pubcom::clock::FixedClock;
use pubcom::config::Settings;
use pubcom::startup::Application;
use reqwest::multipart::{Form, Part};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const API: &str = "/api/v1/consultations/ismap-2020/submissions";
pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// The seed consultation, taking up to three files of 64 KiB (100,000 bytes in all).
pub fn consultations_taking_files(dir: &Path) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/consultations");
    let out = dir.join("consultations");
    std::fs::create_dir_all(&out).unwrap();
    let seed = std::fs::read_to_string(root.join("ismap-2020.toml")).unwrap();
    let rules = "\n[rules.attachments]\nmax_files = 3\nmax_file_bytes = 65536\nmax_total_bytes = 100000\n";
    std::fs::write(out.join("ismap-2020.toml"), seed + rules).unwrap();
    out
}

fn taking_files(s: &mut Settings) {
    s.consultations_dir = consultations_taking_files(&s.data_dir.with_file_name("files"));
}

pub fn with_files(json: &serde_json::Value, files: &[(&str, &[u8])]) -> Form {
    let mut form = Form::new().part("submission", Part::text(json.to_string()).mime_str("application/json").unwrap());
    for (name, bytes) in files {
        form = form.part("files", Part::bytes(bytes.to_vec()).file_name(name.to_string()));
    }
    form
}

async fn post(app: &TestApp, form: Form) -> reqwest::Response {
    app.client.post(format!("{}{API}", app.url)).multipart(form).send().await.unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Files in the attachment folder, whatever their state.
fn files_on_disk(data_dir: &Path) -> Vec<String> {
    match std::fs::read_dir(data_dir.join("attachments")) {
        Ok(entries) => entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    }
}

fn data_dir(app: &TestApp) -> PathBuf {
    app.database.dir().join("data")
}

crate::on_both_backends!(accepted_files_are_listed_on_the_receipt_with_their_hash);
async fn accepted_files_are_listed_on_the_receipt_with_their_hash(backend: Backend) {
    let app = spawn_app_with(backend, taking_files).await;
    let note = "表1の補足です。\n".repeat(20);
    let form = with_files(
        &api_submission("basic-rules", "See the attached table."),
        &[("表1 comments.pdf", PDF), ("notes.exe", note.as_bytes())],
    );
    let response = post(&app, form).await;
    assert_eq!(response.status(), 201);
    let receipt = response.json::<serde_json::Value>().await.unwrap()["receipt_number"].as_str().unwrap().to_string();
    assert_eq!(app.count("attachments").await, 2);
    let kept = files_on_disk(&data_dir(&app));
    assert_eq!(kept.len(), 2, "both files kept, nothing else");
    for name in &kept {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data_dir(&app).join("attachments").join(name)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{name} is readable by pubcom's user only");
    }

    let page = app.get(&format!("/c/ismap-2020/receipt/{receipt}?lang=en")).await.text().await.unwrap();
    let table = page.split("id=\"attachments\"").nth(1).expect("the receipt lists the files");
    assert!(table.contains("表1 comments.pdf") && table.contains(&sha256(PDF)), "{table}");
    assert!(table.contains("notes.txt"), "named by what the file is, not by what it was called: {table}");
    assert!(table.contains(&sha256(note.as_bytes())));
    assert!(table.contains(&format!("{} bytes", PDF.len())));

    // JSON-only submissions work as before on the same endpoint.
    let plain = app.post_json(API, &api_submission("basic-rules", "no files")).await;
    assert_eq!(plain.status(), 201);
}

crate::on_both_backends!(refusals_name_the_file_and_keep_nothing);
async fn refusals_name_the_file_and_keep_nothing(backend: Backend) {
    let app = spawn_app_with(backend, taking_files).await;
    let json = api_submission("basic-rules", "text that must not be lost");
    let html = b"<html><script>alert(1)</script></html>\x00";
    let big = [b"%PDF-1.4\n".as_slice(), &vec![b'x'; 70_000]].concat();
    for (files, want) in [
        (vec![("table.pdf", html.as_slice())], "\"table.pdf\" is not a kind of file this consultation takes"),
        (vec![("scan.pdf", big.as_slice())], "\"scan.pdf\" is too large: each file may be at most 64 KB"),
        (vec![("a.pdf", PDF), ("b.pdf", PDF), ("c.pdf", PDF), ("d.pdf", PDF)], "Attach at most 3 files"),
    ] {
        let response = post(&app, with_files(&json, &files)).await;
        assert_eq!(response.status(), 422);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid");
        let messages: Vec<&str> =
            body["fields"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap()).collect();
        assert!(messages.iter().any(|m| m.contains(want)), "{messages:?}");
        assert!(body["fields"].as_array().unwrap().iter().all(|f| f["field"] == "attachments"));
    }
    assert_eq!(app.count("submissions").await, 0);
    assert_eq!(app.count("attachments").await, 0);
    assert!(files_on_disk(&data_dir(&app)).is_empty(), "refused files are removed at once");

    // A consultation that says nothing about attachments takes none.
    let plain = spawn_app_with(backend, |_| {}).await;
    let response = post(&plain, with_files(&json, &[("a.pdf", PDF)])).await;
    assert_eq!(response.status(), 422);
    let body = response.text().await.unwrap();
    assert!(body.contains("does not take attached files"), "{body}");
    assert!(files_on_disk(&data_dir(&plain)).is_empty());
}

crate::on_both_backends!(the_scanner_hook_refuses_what_it_flags);
async fn the_scanner_hook_refuses_what_it_flags(backend: Backend) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/refuse-eicar.sh");
    let app = spawn_app_with(backend, |s| {
        taking_files(s);
        s.attachments.scan_command = Some(format!("sh {}", script.display()));
    })
    .await;
    // The EICAR test string: every virus scanner flags it, and it harms nothing.
    let eicar = concat!("X5O!P%@AP[4\\PZX54(P^)7CC)7}$", "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*");
    let json = api_submission("basic-rules", "with a test file");
    let refused = post(&app, with_files(&json, &[("eicar.txt", eicar.as_bytes())])).await;
    assert_eq!(refused.status(), 422);
    let body = refused.text().await.unwrap();
    assert!(body.contains("\\\"eicar.txt\\\" was refused by the virus check"), "{body}");
    assert_eq!(app.count("submissions").await, 0);
    let clean = post(&app, with_files(&json, &[("ok.txt", b"an ordinary note")])).await;
    assert_eq!(clean.status(), 201, "the scanner passes a clean file");
    assert_eq!(app.count("attachments").await, 1);
}

crate::on_both_backends!(a_crash_before_the_commit_leaves_no_receipt_and_the_file_is_swept);
async fn a_crash_before_the_commit_leaves_no_receipt_and_the_file_is_swept(backend: Backend) {
    let database = TestDatabase::new(backend);
    let mut settings = test_settings(&database);
    taking_files(&mut settings);
    let start = |settings: Settings| async move {
        let clock = Arc::new(FixedClock::new(crate::helpers::inside_seed_window()));
        let app = Application::build(settings, clock).await.expect("application builds");
        let (url, stop, writer) = (app.url.clone(), app.stop_handle(), app.writer.clone());
        let task = tokio::spawn(app.run_until_stopped());
        (url, stop, writer, task)
    };
    let (url, stop, writer, task) = start(settings.clone()).await;
    // The writer holds the submission between writing its file and committing it.
    writer.pause();
    let client = reqwest::Client::new();
    let form = with_files(&api_submission("basic-rules", "lost in a crash"), &[("a.pdf", PDF)]);
    let request = tokio::spawn(client.post(format!("{url}{API}")).multipart(form).send());
    let mut waited = 0;
    while !files_on_disk(&settings.data_dir).iter().any(|f| f.ends_with(".pdf")) {
        waited += 1;
        assert!(waited < 400, "the file was never written");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    // The process dies: no graceful stop, the queued submission is never committed.
    drop(stop.stop(false));
    task.abort();
    assert!(request.await.unwrap().is_err(), "no answer, so no receipt");

    let mut again = settings.clone();
    again.attachments.orphan_grace_secs = 1;
    let (_url, stop, _writer, _task) = start(again).await;
    let mut waited = 0;
    while !files_on_disk(&settings.data_dir).is_empty() {
        waited += 1;
        assert!(waited < 400, "the unrecorded file was not swept: {:?}", files_on_disk(&settings.data_dir));
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let db = pubcom::db::Db::connect(&database.url, 1).unwrap();
    let count = db
        .run(|c| {
            use diesel::prelude::*;
            Ok(pubcom::db::schema::submissions::table.count().get_result::<i64>(c)?)
        })
        .await
        .unwrap();
    assert_eq!(count, 0);
    drop(stop.stop(false));
}

/// The value of a hidden input, as the browser would send it back.
fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let raw = html[start..].split('"').next()?;
    Some(
        raw.replace("&#39;", "'")
            .replace("&#34;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

crate::on_both_backends!(the_form_keeps_files_from_step_to_step);
async fn the_form_keeps_files_from_step_to_step(backend: Backend) {
    let app = spawn_app_with(backend, taking_files).await;
    let page = app.get("/c/ismap-2020/submit?lang=en").await.text().await.unwrap();
    assert!(page.contains("enctype=\"multipart/form-data\"") && page.contains("type=\"file\" id=\"files\""));
    assert!(page.contains("up to 3 files of 64 KB each: PDF, PNG, JPEG, TXT"), "the input says what it takes");
    let token = crate::helpers::form_token(&page);
    let text = |form: Form| {
        form.text("token", token.clone())
            .text("lang", "en")
            .text("opinion_count", "1")
            .text("agree_to_notes", "yes")
            .text("opinion-0-draft", "basic-rules")
            .text("opinion-0-body", "See the attached comments.")
    };
    let file = |name: &str, bytes: &[u8]| Part::bytes(bytes.to_vec()).file_name(name.to_string());
    let post = |form: Form| app.client.post(format!("{}/c/ismap-2020/submit", app.url)).multipart(form).send();

    // A wrong file is refused by name; the text and the good file stay.
    let form = text(Form::new())
        .text("action", "confirm")
        .part("files", file("comments.pdf", PDF))
        .part("files", file("table.pdf", b"<html>not a pdf</html>\x00"));
    let refused = post(form).await.unwrap();
    assert_eq!(refused.status(), 422);
    let refused = refused.text().await.unwrap();
    assert!(
        refused.contains("href=\"#files\"") && refused.contains("&#34;table.pdf&#34; is not a kind of file"),
        "{refused}"
    );
    assert!(refused.contains("See the attached comments."));
    assert!(refused.contains("<span class=\"file-name\">comments.pdf</span>"), "the good file stays attached");
    let kept = hidden(&refused, "attached-0").expect("the kept file rides in a hidden field");
    assert!(hidden(&refused, "attached-1").is_none());

    // Confirm: the file is listed and carried without being sent again.
    let review = post(text(Form::new()).text("action", "confirm").text("attached-0", kept.clone())).await.unwrap();
    assert_eq!(review.status(), 200);
    let review = review.text().await.unwrap();
    assert!(review.contains("<span class=\"file-name\">comments.pdf</span>"));
    let carried = hidden(&review, "attached-0").unwrap();

    // A seal someone changed, or one made for another form, attaches nothing.
    let forged = format!("00{}", &carried[2..]);
    for attached in [forged, carried.clone()] {
        let page = app.get("/c/ismap-2020/submit?lang=en").await.text().await.unwrap();
        let other = Form::new()
            .text("token", crate::helpers::form_token(&page))
            .text("opinion_count", "1")
            .text("agree_to_notes", "yes")
            .text("opinion-0-body", "Another form.")
            .text("action", "send")
            .text("attached-0", attached);
        let sent = post(other).await.unwrap();
        assert_eq!(sent.status(), 303);
        let listed = app.get(sent.headers()["location"].to_str().unwrap()).await.text().await.unwrap();
        assert!(!listed.contains("id=\"attachments\""), "nothing attached");
    }

    // Sent from its own form, the file is attached; a double click gives one receipt.
    let send = |attached: String| text(Form::new()).text("action", "send").text("attached-0", attached);
    let (a, b) = tokio::join!(post(send(carried.clone())), post(send(carried.clone())));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.headers()["location"], b.headers()["location"], "one receipt for a double click");
    let page = app.get(a.headers()["location"].to_str().unwrap()).await.text().await.unwrap();
    assert!(page.contains(&sha256(PDF)), "the receipt lists the file with its hash");
    assert_eq!(app.count("attachments").await, 1);
    assert_eq!(files_on_disk(&data_dir(&app)).iter().filter(|f| f.ends_with(".pdf")).count(), 1);
}

/// A one-page PDF that says `text` in Helvetica, with a correct cross-reference table.
pub fn pdf_saying(text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 12 Tf 72 712 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    pdf
}

crate::on_both_backends!(the_triage_search_finds_text_inside_an_attached_pdf);
async fn the_triage_search_finds_text_inside_an_attached_pdf(backend: Backend) {
    let app = spawn_app_with(backend, taking_files).await;
    let pdf = pdf_saying("Quarterly penetration testing schedule");
    let form = with_files(&api_submission("basic-rules", "Please see the table."), &[("table.pdf", &pdf)]);
    assert_eq!(post(&app, form).await.status(), 201);
    let other = app.post_json(API, &api_submission("basic-rules", "Nothing attached here.")).await;
    assert_eq!(other.status(), 201);

    let analyst = crate::staff::signed_in(&app, "ana", pubcom::domain::staff::Role::Analyst).await;
    let mut found = String::new();
    for _ in 0..200 {
        found = analyst.get("/staff/c/ismap-2020/opinions?q=penetration+testing&lang=en").await.text().await.unwrap();
        if found.contains("Please see the table.") {
            break;
        }
        // The worker reads the file's text shortly after the submission is stored.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(found.contains("Please see the table."), "the PDF's words find its opinion: {found}");
    assert!(!found.contains("Nothing attached here."));
}

crate::on_both_backends!(only_files_marked_publishable_reach_the_public);
async fn only_files_marked_publishable_reach_the_public(backend: Backend) {
    use crate::triage::{approve, new_item, opinion_ids, post_opinion, publish};
    use pubcom::domain::staff::Role;
    let app = spawn_app_with(backend, taking_files).await;
    let shown = pdf_saying("Shown table");
    let kept = b"Kept back: it names Hanako Private at 1-2-3 Chiyoda.".to_vec();
    let answered = with_files(
        &api_submission("management-standards", "Define the audit interval."),
        &[("shown.pdf", &shown), ("kept.txt", &kept)],
    );
    assert_eq!(post(&app, answered).await.status(), 201);
    let unanswered = pdf_saying("Set aside");
    let aside = with_files(&api_submission("basic-rules", "Unrelated to ISMAP."), &[("aside.pdf", &unanswered)]);
    assert_eq!(post(&app, aside).await.status(), 201);
    crate::publication::wait_for_scans(&app).await;
    let ids = opinion_ids(&app).await;
    let files: Vec<(i64, String)> = app
        .db
        .run(|c| {
            use diesel::prelude::*;
            use pubcom::db::schema::attachments;
            Ok(attachments::table
                .order(attachments::id)
                .select((attachments::id, attachments::original_name))
                .load(c)?)
        })
        .await
        .unwrap();
    let id_of = |name: &str| files.iter().find(|(_, n)| n == name).unwrap().0;

    app.clock.set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2020, 5, 1, 3, 0, 0).unwrap());
    let analyst = crate::staff::signed_in(&app, "analyst", Role::Analyst).await;
    let approver = crate::staff::signed_in(&app, "approver", Role::Approver).await;
    let page = analyst.get(&format!("/staff/opinions/{}?lang=en", ids[0])).await.text().await.unwrap();
    assert!(page.contains("shown.pdf") && page.contains("kept.txt") && page.contains("Not published"), "{page}");
    let mark = |opinion: i64, file: i64, publishable: &'static str| {
        let analyst = &analyst;
        async move {
            let csrf = analyst.csrf().await;
            let path = format!("/staff/opinions/{opinion}/attachments/{file}");
            analyst.post(&path, &[("csrf", csrf.as_str()), ("publishable", publishable)]).await.status()
        }
    };
    assert_eq!(mark(ids[0], id_of("shown.pdf"), "yes").await, 303);
    assert_eq!(mark(ids[1], id_of("aside.pdf"), "yes").await, 303, "marked, but its opinion is not answered");
    let state = [("action", "state"), ("state", "out_of_scope"), ("reason", "not about the drafts")];
    assert_eq!(post_opinion(&analyst, ids[1], &state).await.status(), 303);
    let item = new_item(&analyst, "management-standards", "We will state it.").await;
    let link = [("action", "link"), ("item", &item.to_string())];
    assert_eq!(post_opinion(&analyst, ids[0], &link).await.status(), 303);
    approve(&approver, item).await;
    let published = publish(&approver).await;
    assert_eq!(published.status(), 303, "{}", published.text().await.unwrap());

    let results = app.get("/c/ismap-2020/results?lang=en").await.text().await.unwrap();
    let shown_link = format!("/c/ismap-2020/results/files/{}", id_of("shown.pdf"));
    assert!(results.contains(&shown_link) && results.contains(&sha256(&shown)));
    assert!(!results.contains("kept.txt") && !results.contains("aside.pdf"), "unmarked or unanswered: not published");
    let json: serde_json::Value = app.get("/c/ismap-2020/results.json").await.json().await.unwrap();
    assert_eq!(json["files"].as_array().unwrap().len(), 1);
    assert_eq!(json["files"][0]["path"], shown_link.as_str());
    assert_eq!(
        (json["totals"]["files_published"].as_i64(), json["totals"]["files_not_published"].as_i64()),
        (Some(1), Some(2))
    );
    let api: serde_json::Value = app.get("/api/v1/consultations/ismap-2020/results").await.json().await.unwrap();
    assert_eq!(api["files"][0]["sha256"], sha256(&shown).as_str());
    let csv = app.get("/c/ismap-2020/results.csv?lang=en").await.text().await.unwrap();
    assert!(csv.contains(&sha256(&shown)) && !csv.contains(&sha256(&kept)));
    for output in [&results, &csv, &json.to_string()] {
        assert!(!output.contains("Hanako Private"), "the kept file's content never shows");
    }

    let download = app.get(&shown_link).await;
    assert_eq!(download.status(), 200);
    assert!(download.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert_eq!(download.headers()["x-content-type-options"], "nosniff");
    assert_eq!(download.bytes().await.unwrap().as_ref(), shown.as_slice());
    for name in ["kept.txt", "aside.pdf"] {
        let path = format!("/c/ismap-2020/results/files/{}", id_of(name));
        assert_eq!(app.get(&path).await.status(), 404, "{name} is not downloadable");
    }
    // Staff withdraw the mark: the file is gone from the public at once.
    assert_eq!(mark(ids[0], id_of("shown.pdf"), "no").await, 303);
    assert_eq!(app.get(&shown_link).await.status(), 404);

    // Staff downloads are audited.
    let staff_copy = analyst.get(&format!("/staff/attachments/{}", id_of("kept.txt"))).await;
    assert_eq!(staff_copy.status(), 200);
    assert_eq!(staff_copy.bytes().await.unwrap().as_ref(), kept.as_slice());
    let audit = app
        .db
        .run(|c| {
            use diesel::prelude::*;
            use pubcom::db::schema::audit_log;
            Ok(audit_log::table.select(audit_log::action).load::<String>(c)?)
        })
        .await
        .unwrap();
    assert_eq!(audit.iter().filter(|a| *a == "attachment_publishable").count(), 3);
    assert!(audit.iter().any(|a| a == "attachment_download"));
}

/// Real Chromium: a file chosen in the form's file input travels through the confirmation to
/// the receipt, which lists it with its hash.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_is_attached_through_the_form_in_chromium() {
    use crate::browser::{click, fill, text_of, Browser};
    use fantoccini::Locator;
    let app = spawn_app_with(Backend::Sqlite, taking_files).await;
    let pdf = pdf_saying("Annex with the audit schedule");
    let path = app.database.dir().join("annex.pdf");
    std::fs::write(&path, &pdf).unwrap();

    let browser = Browser::start(&app).await;
    let b = &browser.client;
    b.goto(&format!("{}/c/ismap-2020/submit?lang=en", app.url)).await.unwrap();
    fill(b, "opinion-0-body", "The annex lists the schedule.").await;
    b.find(Locator::Id("agree-to-notes")).await.unwrap().click().await.unwrap();
    b.find(Locator::Id("files")).await.unwrap().send_keys(path.to_str().unwrap()).await.unwrap();
    click(b, "button[value=confirm]").await;
    assert_eq!(text_of(b, "h1").await, "Check your opinion before sending");
    assert_eq!(text_of(b, "#attached-files .file-name").await, "annex.pdf", "the confirmation lists the file");
    click(b, "button[value=send]").await;
    assert_eq!(text_of(b, "h1").await, "Your opinion has been received");
    let listed = text_of(b, "#attachments").await;
    assert!(listed.contains("annex.pdf") && listed.contains(&sha256(&pdf)), "{listed}");
    assert_eq!(app.count("attachments").await, 1);
    browser.client.clone().close().await.unwrap();
}

crate::on_both_backends!(the_receipt_email_lists_the_files_with_their_hash);
async fn the_receipt_email_lists_the_files_with_their_hash(backend: Backend) {
    let smtp = crate::smtp::SmtpServer::start().await;
    let url = smtp.url();
    let app = spawn_app_with(backend, |s| {
        taking_files(s);
        s.mail.transport = pubcom::config::MailTransport::Smtp;
        s.mail.smtp_url = Some(url);
    })
    .await;
    let json = serde_json::json!({
        "submitter": {"email": "sender@example.jp"},
        "locale": "en",
        "opinions": [{"draft": "basic-rules", "body": "With an annex."}]
    });
    assert_eq!(post(&app, with_files(&json, &[("annex.pdf", PDF)])).await.status(), 201);
    let m = smtp.mailbox.wait_for(1, 20).await.remove(0);
    // Quoted-printable may fold long lines; unfolded, the text part says it plainly.
    let text = m.data.replace("=\r\n", "").replace("=\n", "");
    assert!(text.contains("annex.pdf") && text.contains(&sha256(PDF)), "{text}");
    assert!(text.contains(&format!("{} bytes", PDF.len())));
}
