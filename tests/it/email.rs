use crate::helpers::{spawn_app_with, Backend};
use crate::on_both_backends;
use crate::smtp::SmtpServer;
use chrono::Duration;
use pubcom::config::MailTransport;
use serde_json::{json, Value};

const SUBMIT: &str = "/api/v1/consultations/ismap-2020/submissions";

async fn the_receipt_email_arrives_over_smtp_in_the_submitters_language(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let app = spawn_app_with(backend, |s| {
        s.mail.transport = MailTransport::Smtp;
        s.mail.smtp_url = Some(url);
        s.mail.from = "ISMAP意見募集 <no-reply@ismap.example.jp>".into();
    })
    .await;
    let body = json!({
        "submitter": {"name": "山田 太郎", "email": "taro@example.jp"},
        "locale": "ja",
        "opinions": [{"draft": "basic-rules", "body": "基本規程への意見\n二行目"}]
    });
    let created: Value = app.post_json(SUBMIT, &body).await.json().await.unwrap();
    let receipt = created["receipt_number"].as_str().unwrap().to_string();
    let messages = smtp.mailbox.wait_for(1, 20).await;
    let m = &messages[0];
    assert_eq!(m.rcpt_to, vec!["<taro@example.jp>".to_string()]);
    assert!(m.mail_from.contains("no-reply@ismap.example.jp"));
    let subject = m.header("Subject").unwrap();
    // lettre encodes non-ASCII subjects; the receipt number is ASCII and visible either way.
    let subject = decode_words(&subject);
    assert!(subject.contains(&receipt), "{subject}");
    assert!(subject.contains("意見を受け付けました"), "{subject}");
    // The Message-ID is stable per job but never holds the receipt number (it reaches logs).
    let message_id = m.header("Message-ID").unwrap();
    assert!(message_id.starts_with("<pubcom-receipt-") && !message_id.contains(&receipt), "{message_id}");
    assert!(m.data.contains("multipart/alternative"));
    assert!(m.data.contains("text/plain") && m.data.contains("text/html"));
    assert_eq!(app.count("outbox").await, 1);
    // Sent once: marked in the outbox, and nothing else arrives.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(smtp.mailbox.messages().len(), 1);
}

/// Where the relay offers PIPELINING, each message's MAIL, RCPT and DATA go out together;
/// where it does not, each command waits for its reply. Either way every receipt arrives
/// whole, once, on connections kept for the next message.
async fn commands_are_pipelined_only_where_the_relay_offers_it(backend: Backend) {
    for (smtp, offered) in [(SmtpServer::start().await, false), (SmtpServer::start_pipelining().await, true)] {
        let url = smtp.url();
        let app = spawn_app_with(backend, |s| {
            s.mail.transport = MailTransport::Smtp;
            s.mail.smtp_url = Some(url);
        })
        .await;
        let mut receipts = Vec::new();
        for (i, text) in ["an English opinion", "日本語の意見（8BITMIME）", "a third"].iter().enumerate() {
            let body = json!({"submitter": {"email": format!("p{i}@example.jp")}, "opinions": [{"body": text}]});
            let created: Value = app.post_json(SUBMIT, &body).await.json().await.unwrap();
            receipts.push(created["receipt_number"].as_str().unwrap().to_string());
        }
        smtp.mailbox.wait_for(3, 20).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let messages = smtp.mailbox.messages();
        assert_eq!(messages.len(), 3, "each email once (relay offers pipelining: {offered})");
        for (i, receipt) in receipts.iter().enumerate() {
            let m = messages
                .iter()
                .find(|m| decode_words(&m.header("Subject").unwrap()).contains(receipt))
                .expect("every receipt arrives");
            assert_eq!(m.pipelined, offered, "relay offers pipelining: {offered}");
            assert_eq!(m.rcpt_to, vec![format!("<p{i}@example.jp>")]);
            assert!(m.data.contains("text/plain") && m.data.contains("text/html"));
        }
        // The outbox records each email's Message-ID as sent.
        let mut recorded = stored_message_ids(&app).await;
        let mut sent: Vec<String> = messages.iter().map(|m| m.header("Message-ID").unwrap()).collect();
        recorded.sort();
        sent.sort();
        assert_eq!(recorded, sent);
    }
}

async fn stored_message_ids(app: &crate::helpers::TestApp) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        message_id: String,
    }
    app.db
        .run(|c| {
            use diesel::RunQueryDsl;
            let rows = diesel::sql_query("SELECT message_id FROM outbox WHERE sent_at IS NOT NULL").load::<Row>(c)?;
            Ok(rows.into_iter().map(|r| r.message_id).collect())
        })
        .await
        .unwrap()
}

/// Decodes RFC 2047 encoded words (=?utf-8?b?…?=), as a mail program would.
fn decode_words(s: &str) -> String {
    use base64::Engine;
    s.split("?=")
        .map(|part| match part.find("=?utf-8?b?") {
            Some(start) => {
                let bytes = base64::engine::general_purpose::STANDARD.decode(&part[start + 10..]).unwrap_or_default();
                format!("{}{}", &part[..start], String::from_utf8_lossy(&bytes))
            }
            None => part.to_string(),
        })
        .collect()
}

async fn user_text_cannot_inject_headers(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let app = spawn_app_with(backend, |s| {
        s.mail.transport = MailTransport::Smtp;
        s.mail.smtp_url = Some(url);
    })
    .await;
    let injected = json!({
        "submitter": {"name": "Eve\r\nBcc: victim@evil.test", "email": "eve@example.com\r\nBcc: victim@evil.test"},
        "opinions": [{"body": "x"}]
    });
    assert_eq!(app.post_json(SUBMIT, &injected).await.status(), 422, "line breaks are refused at the edge");
    let clean_but_odd = json!({
        "submitter": {"name": "Eve Bcc: victim@evil.test", "email": "eve@example.com"},
        "locale": "en",
        "opinions": [{"body": "Subject: fake\r\nBcc: victim@evil.test\r\n\r\nbody"}]
    });
    assert_eq!(app.post_json(SUBMIT, &clean_but_odd).await.status(), 201);
    let m = smtp.mailbox.wait_for(1, 20).await.remove(0);
    assert_eq!(m.rcpt_to, vec!["<eve@example.com>".to_string()]);
    assert!(!m.header_names().contains(&"bcc".to_string()));
    assert_eq!(m.header_names().iter().filter(|h| *h == "subject").count(), 1);
}

/// An application whose mail relay refuses connections until a server is started on `port`.
async fn spawn_with_refusing_relay(
    backend: Backend,
    configure: impl FnOnce(&mut pubcom::config::Settings),
) -> (crate::helpers::TestApp, u16) {
    // Reserve a port, then close it: connections to it are refused until the server starts.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let app = spawn_app_with(backend, |s| {
        s.mail.transport = MailTransport::Smtp;
        s.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        configure(s);
    })
    .await;
    (app, port)
}

async fn emails_wait_for_smtp_and_go_out_once_it_is_back(backend: Backend) {
    let (app, port) = spawn_with_refusing_relay(backend, |_| {}).await;
    let mut receipts = Vec::new();
    for i in 0..3 {
        let body = json!({"submitter": {"email": format!("p{i}@example.com")}, "opinions": [{"body": format!("opinion {i}")}]});
        let response = app.post_json(SUBMIT, &body).await;
        assert_eq!(response.status(), 201, "submissions succeed while SMTP is down");
        receipts.push(response.json::<Value>().await.unwrap()["receipt_number"].as_str().unwrap().to_string());
    }
    // Let the worker try and fail.
    wait_until(|| async { failed_attempts(&app).await >= 3 }).await;

    let smtp = SmtpServer::start_on(port).await;
    // Still waiting for the back-off: nothing is sent before it is due.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(smtp.mailbox.messages().is_empty());
    app.clock.advance(Duration::seconds(11));
    let messages = smtp.mailbox.wait_for(3, 20).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let messages = if smtp.mailbox.messages().len() > messages.len() { smtp.mailbox.messages() } else { messages };
    assert_eq!(messages.len(), 3, "each email exactly once");
    for receipt in receipts {
        assert_eq!(
            messages.iter().filter(|m| decode_words(&m.header("Subject").unwrap()).contains(&receipt)).count(),
            1
        );
    }
}

/// A surge of submissions while the mail relay refuses every connection: all are stored, and
/// once the relay is back each receipt email arrives exactly once, counted by Message-ID.
async fn a_surge_while_smtp_refuses_gets_every_email_exactly_once(backend: Backend) {
    const SUBMISSIONS: usize = 400;
    let (app, port) = spawn_with_refusing_relay(backend, |s| s.rate_limit.submissions_per_minute = 0).await;
    let mut receipts = std::collections::HashSet::new();
    for wave in 0..SUBMISSIONS / 50 {
        let posts: Vec<_> = (0..50).map(|i| {
            let n = wave * 50 + i;
            let body = json!({"submitter": {"email": format!("p{n}@example.com")}, "opinions": [{"body": format!("opinion {n}")}]});
            let (client, url) = (app.client.clone(), format!("{}{SUBMIT}", app.url));
            tokio::spawn(async move { client.post(url).json(&body).send().await.unwrap() })
        }).collect();
        for post in posts {
            let response = post.await.unwrap();
            assert_eq!(response.status(), 201, "submissions succeed while SMTP refuses");
            receipts.insert(response.json::<Value>().await.unwrap()["receipt_number"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(receipts.len(), SUBMISSIONS);
    wait_until(|| async { failed_attempts(&app).await == SUBMISSIONS as i64 }).await;

    let smtp = SmtpServer::start_on(port).await;
    app.clock.advance(Duration::minutes(10));
    let messages = smtp.mailbox.wait_for(SUBMISSIONS, 60).await;
    // Anything sent twice would arrive after the last first copy: give it time to show.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    app.clock.advance(Duration::hours(2));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let messages = if smtp.mailbox.messages().len() > messages.len() { smtp.mailbox.messages() } else { messages };
    let mut by_id: std::collections::HashMap<String, usize> = Default::default();
    for m in &messages {
        *by_id.entry(m.header("Message-ID").expect("every email has a Message-ID")).or_default() += 1;
    }
    assert_eq!(by_id.len(), SUBMISSIONS, "one Message-ID per submission");
    assert!(by_id.values().all(|&n| n == 1), "no email sent twice");
    for receipt in &receipts {
        let with_it =
            messages.iter().filter(|m| decode_words(&m.header("Subject").unwrap()).contains(receipt.as_str()));
        assert_eq!(with_it.count(), 1, "{receipt} has its email");
    }
    wait_until(|| async { unsent(&app).await == 0 }).await;
}

/// Outbox jobs not yet sent.
async fn unsent(app: &crate::helpers::TestApp) -> i64 {
    outbox_count(app, "sent_at IS NULL").await
}

/// Outbox jobs tried at least once and not yet sent.
async fn failed_attempts(app: &crate::helpers::TestApp) -> i64 {
    outbox_count(app, "attempts > 0 AND sent_at IS NULL").await
}

async fn outbox_count(app: &crate::helpers::TestApp, condition: &'static str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    app.db
        .run(move |c| {
            use diesel::RunQueryDsl;
            let rows: Vec<N> =
                diesel::sql_query(format!("SELECT COUNT(*) AS n FROM outbox WHERE {condition}")).load(c)?;
            Ok(rows[0].n)
        })
        .await
        .unwrap()
}

async fn wait_until<F, Fut>(mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..400 {
        if condition().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("condition not reached in 20 s");
}

/// A withdrawal is confirmed by email, in the submitter's language, after the receipt.
async fn a_withdrawal_is_confirmed_by_email(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let app = spawn_app_with(backend, |s| {
        s.mail.transport = MailTransport::Smtp;
        s.mail.smtp_url = Some(url);
    })
    .await;
    let body = json!({
        "submitter": {"email": "jane@example.com"},
        "locale": "en",
        "opinions": [{"draft": "basic-rules", "body": "sent by mistake"}]
    });
    let created: Value = app.post_json(SUBMIT, &body).await.json().await.unwrap();
    let receipt = created["receipt_number"].as_str().unwrap().to_string();
    smtp.mailbox.wait_for(1, 20).await;
    let withdrawn = app.post_json(&format!("{SUBMIT}/{receipt}/withdrawal"), &json!({})).await;
    assert_eq!(withdrawn.status(), 200);
    let messages = smtp.mailbox.wait_for(2, 20).await;
    let subject = decode_words(&messages[1].header("Subject").unwrap());
    assert_eq!(subject, format!("Receipt {receipt}: your submission has been withdrawn"));
    assert!(messages[1].data.contains("A withdrawn submission is not considered or published."));
    assert!(messages[1].header("Message-ID").unwrap().starts_with("<pubcom-withdrawal-"));
}

/// Two workers and a slow relay: a pass outlasts the lease it started with (the clock runs
/// five minutes while it sends), yet each email goes out once, because the worker renews its
/// lease as it goes and the other worker never gets the jobs.
async fn two_workers_and_a_slow_relay_send_each_email_once(backend: Backend) {
    const SUBMISSIONS: usize = 30;
    let smtp = SmtpServer::start_slow(std::time::Duration::from_millis(150)).await;
    let url = smtp.url();
    let app = spawn_app_with(backend, |s| {
        s.mail.transport = MailTransport::Smtp;
        s.mail.smtp_url = Some(url);
        s.worker.concurrency = 2;
        s.rate_limit.submissions_per_minute = 0;
    })
    .await;
    // A second worker on the same database, as a second instance would run.
    let settings = {
        let mut s = crate::helpers::test_settings(&app.database);
        s.mail.transport = MailTransport::Smtp;
        s.mail.smtp_url = Some(smtp.url());
        s.worker.concurrency = 2;
        std::sync::Arc::new(s)
    };
    let second = pubcom::startup::build_worker(
        settings,
        app.db.clone(),
        app.clock.clone(),
        Default::default(),
        Default::default(),
    )
    .unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let second = tokio::spawn(second.run(stopped));
    for i in 0..SUBMISSIONS {
        let body =
            json!({"submitter": {"email": format!("p{i}@example.jp")}, "opinions": [{"body": format!("lease {i}")}]});
        assert_eq!(app.post_json(SUBMIT, &body).await.status(), 201);
    }
    // 30 emails two at a time at 150 ms: over two seconds of sending, while the clock runs
    // 20 s every 100 ms, far past the 120 s lease.
    for _ in 0..30 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        app.clock.advance(Duration::seconds(20));
    }
    smtp.mailbox.wait_for(SUBMISSIONS, 60).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let messages = smtp.mailbox.messages();
    let mut per_address: std::collections::HashMap<String, usize> = Default::default();
    for m in &messages {
        *per_address.entry(m.rcpt_to.join(",")).or_default() += 1;
    }
    assert_eq!(per_address.len(), SUBMISSIONS);
    let twice: Vec<_> = per_address.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
    stop.send(true).unwrap();
    second.await.unwrap();
}

/// A worker claims the next batch while it sends the current one; stopped, it gives back what
/// it claimed and did not send, so another worker sends it at once, not after the lease.
async fn a_stopped_worker_gives_back_the_emails_it_claimed_ahead(backend: Backend) {
    const SUBMISSIONS: usize = 250;
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let app = spawn_app_with(backend, |s| {
        s.mail.transport = MailTransport::Smtp;
        s.mail.smtp_url = Some(url);
        s.rate_limit.submissions_per_minute = 0;
    })
    .await;
    app.stop_worker().await;
    for i in 0..SUBMISSIONS {
        let body = json!({"submitter": {"email": format!("p{i}@example.jp")}, "opinions": [{"body": "ahead"}]});
        assert_eq!(app.post_json(SUBMIT, &body).await.status(), 201);
    }
    let worker = |app: &crate::helpers::TestApp| {
        let mut s = crate::helpers::test_settings(&app.database);
        s.mail.transport = MailTransport::Smtp;
        s.mail.smtp_url = Some(smtp.url());
        pubcom::startup::build_worker(
            std::sync::Arc::new(s),
            app.db.clone(),
            app.clock.clone(),
            Default::default(),
            Default::default(),
        )
        .unwrap()
    };
    // Told to stop before it starts: it does one pass of 200 (the first batch) and claims the
    // other 50 meanwhile, then stops.
    let (_stop, stopped) = tokio::sync::watch::channel(true);
    worker(&app).run(stopped).await;
    assert_eq!(smtp.mailbox.messages().len(), 200);
    assert_eq!(unsent(&app).await, 50);
    assert_eq!(outbox_count(&app, "sent_at IS NULL AND locked_until IS NOT NULL").await, 0, "nothing held");
    // Another worker sends them with the clock where it was.
    assert_eq!(worker(&app).run_once().await.unwrap(), 50);
    assert_eq!(smtp.mailbox.wait_for(SUBMISSIONS, 20).await.len(), SUBMISSIONS);
}

on_both_backends!(
    a_stopped_worker_gives_back_the_emails_it_claimed_ahead,
    two_workers_and_a_slow_relay_send_each_email_once,
    a_withdrawal_is_confirmed_by_email,
    the_receipt_email_arrives_over_smtp_in_the_submitters_language,
    commands_are_pipelined_only_where_the_relay_offers_it,
    user_text_cannot_inject_headers,
    emails_wait_for_smtp_and_go_out_once_it_is_back,
    a_surge_while_smtp_refuses_gets_every_email_exactly_once,
);
