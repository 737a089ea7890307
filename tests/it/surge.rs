//! Group commit and admission control, tested for behaviour, not speed.
use crate::helpers::{api_submission, seed_closes_at, spawn_app, spawn_app_with, Backend, TestApp};
use crate::on_both_backends;
use chrono::Duration;
use serde_json::Value;
use std::sync::atomic::Ordering;

const SUBMIT: &str = "/api/v1/consultations/ismap-2020/submissions";

async fn wait_queued(app: &TestApp, n: i64) {
    for _ in 0..400 {
        if app.writer.stats.handed_over.load(Ordering::SeqCst) >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{n} requests never reached the queue");
}

fn post(app: &TestApp, body: Value, key: Option<&str>) -> tokio::task::JoinHandle<(u16, Value)> {
    let (client, url, key) = (app.client.clone(), format!("{}{SUBMIT}", app.url), key.map(str::to_string));
    tokio::spawn(async move {
        let mut request = client.post(url).json(&body);
        if let Some(k) = key {
            request = request.header("idempotency-key", k);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
    })
}

async fn waiting_submissions_commit_together_with_their_own_receipts(backend: Backend) {
    let app = spawn_app(backend).await;
    app.writer.pause();
    let tasks: Vec<_> =
        (0..20).map(|i| post(&app, api_submission("basic-rules", &format!("batch {i}")), None)).collect();
    wait_queued(&app, 20).await;
    assert_eq!(app.count("submissions").await, 0, "nothing is answered before it is written");
    app.writer.resume();
    let mut receipts = Vec::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 201);
        receipts.push(body["receipt_number"].as_str().unwrap().to_string());
    }
    receipts.sort();
    receipts.dedup();
    assert_eq!(receipts.len(), 20);
    assert_eq!(app.writer.stats.batches.load(Ordering::Relaxed), 1, "one transaction for all twenty");
    assert_eq!(app.writer.stats.largest_batch.load(Ordering::Relaxed), 20);
    assert_eq!(app.count("submissions").await, 20);
    assert_eq!(app.count("opinions").await, 20);
}

/// One batch of different submissions (PostgreSQL stores it in a single statement): each
/// receipt holds its own opinions in order, only those with an address queue a receipt email,
/// every opinion waits for the search index, and the text work is queued once for the batch.
async fn a_mixed_batch_stores_each_submission_with_its_own_rows(backend: Backend) {
    let app = spawn_app(backend).await;
    app.stop_worker().await;
    app.writer.pause();
    let mut tasks = Vec::new();
    for i in 0..6 {
        let mut body = api_submission("basic-rules", &format!("first of {i}"));
        if i % 2 == 0 {
            body["submitter"]["email"] = format!("person{i}@example.jp").into();
            body["opinions"].as_array_mut().unwrap().push(
                serde_json::json!({"draft": null, "location": null, "body": format!("second of {i}"), "reason": null}),
            );
        }
        tasks.push(post(&app, body, None));
    }
    wait_queued(&app, 6).await;
    app.writer.resume();
    let mut expected = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 201, "{body}");
        let receipt = body["receipt_number"].as_str().unwrap().replace('-', "");
        expected.push((receipt.clone(), format!("first of {i}")));
        if i % 2 == 0 {
            expected.push((receipt, format!("second of {i}")));
        }
    }
    assert_eq!(app.writer.stats.batches.load(Ordering::Relaxed), 1, "all six in one batch");
    #[derive(diesel::QueryableByName, Debug, PartialEq)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        receipt_number: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        body: String,
    }
    let mut stored: Vec<(String, String)> = app
        .db
        .run(|c| {
            use diesel::RunQueryDsl;
            Ok(diesel::sql_query(
                "SELECT s.receipt_number, o.body FROM opinions o JOIN submissions s ON s.id = o.submission_id \
                 ORDER BY s.id, o.position",
            )
            .load::<Row>(c)?)
        })
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.receipt_number.replace('-', ""), r.body))
        .collect();
    stored.sort();
    expected.sort();
    assert_eq!(stored, expected, "each receipt holds exactly its own opinions");
    assert_eq!(app.count("outbox").await, 3, "a receipt email for each submission with an address");
    assert_eq!(app.count("search_backlog").await, 9, "every opinion waits for the search index");
    assert_eq!(app.count("jobs").await, 2, "one personal-data scan and one fingerprint job for the batch");
}

/// Submissions are numbered in the order they arrived, even when one batch writes them all.
async fn a_batch_keeps_the_order_of_arrival(backend: Backend) {
    let app = spawn_app(backend).await;
    app.writer.pause();
    let mut tasks = Vec::new();
    for i in 0..6 {
        tasks.push(post(&app, api_submission("basic-rules", &format!("arrived {i}")), None));
        wait_queued(&app, i + 1).await;
    }
    app.writer.resume();
    let mut receipts = Vec::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 201);
        receipts.push(body["receipt_number"].as_str().unwrap().replace('-', ""));
    }
    assert_eq!(app.writer.stats.batches.load(Ordering::Relaxed), 1, "all six in one batch");
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        receipt_number: String,
    }
    let stored: Vec<String> = app
        .db
        .run(|c| {
            use diesel::RunQueryDsl;
            let rows: Vec<Row> = diesel::sql_query("SELECT receipt_number FROM submissions ORDER BY id").load(c)?;
            Ok(rows.into_iter().map(|r| r.receipt_number.replace('-', "")).collect())
        })
        .await
        .unwrap();
    assert_eq!(stored, receipts, "ids follow the order of arrival");
}

/// Within one batch, a key repeated with the same content (a retry) gets the first receipt;
/// repeated with other content it is refused and nothing of it is stored.
async fn a_key_repeated_in_one_batch_gets_the_first_receipt(backend: Backend) {
    let app = spawn_app(backend).await;
    app.writer.pause();
    let first = post(&app, api_submission("basic-rules", "first"), Some("same-key"));
    wait_queued(&app, 1).await;
    let retry = post(&app, api_submission("basic-rules", "first"), Some("same-key"));
    let clash = post(&app, api_submission("basic-rules", "second with the same key"), Some("same-key"));
    let other = post(&app, api_submission("audit-guidelines", "unrelated"), None);
    wait_queued(&app, 4).await;
    app.writer.resume();
    let (s1, b1) = first.await.unwrap();
    let (s2, b2) = retry.await.unwrap();
    let (s3, b3) = clash.await.unwrap();
    let (s4, _) = other.await.unwrap();
    assert_eq!((s1, s2, s3, s4), (201, 200, 422, 201));
    assert_eq!(b1["receipt_number"], b2["receipt_number"], "the retry gets the first receipt");
    assert_eq!(b3["error"], "idempotency_key_reused");
    assert!(b3.get("receipt_number").is_none(), "never someone else's receipt");
    assert_eq!(app.writer.stats.batches.load(Ordering::Relaxed), 1);
    assert_eq!(app.count("submissions").await, 2);
}

/// A row the database itself refuses (here a trigger standing in for any constraint) rolls the
/// batch's one-statement insert back; the writer then stores the rest one by one.
async fn a_row_the_database_refuses_fails_alone(backend: Backend) {
    let app = spawn_app(backend).await;
    let poison: &[&str] = match backend {
        Backend::Sqlite => &["CREATE TRIGGER refuse_poison BEFORE INSERT ON opinions WHEN NEW.body = 'poison' \
             BEGIN SELECT RAISE(ABORT, 'poison refused'); END"],
        Backend::Postgres => &[
            "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.body = 'poison' THEN RAISE EXCEPTION 'poison refused' USING ERRCODE = 'check_violation'; \
             END IF; RETURN NEW; END $$",
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON opinions FOR EACH ROW EXECUTE FUNCTION refuse_poison()",
        ],
    };
    app.db
        .run(move |c| {
            use diesel::RunQueryDsl;
            for sql in poison {
                diesel::sql_query(*sql).execute(c)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    app.writer.pause();
    let before = post(&app, api_submission("basic-rules", "stored before"), None);
    wait_queued(&app, 1).await;
    let bad = post(&app, api_submission("basic-rules", "poison"), None);
    wait_queued(&app, 2).await;
    let after = post(&app, api_submission("audit-guidelines", "stored after"), None);
    wait_queued(&app, 3).await;
    app.writer.resume();
    let (s1, b1) = before.await.unwrap();
    let (s2, b2) = bad.await.unwrap();
    let (s3, b3) = after.await.unwrap();
    assert_eq!((s1, s3), (201, 201), "the others in the batch are stored");
    // A refused row is not an outage: no receipt, and no "try again shortly" either.
    assert_eq!((s2, b2["error"].as_str()), (500, Some("internal")), "the refused one gets no receipt");
    assert_ne!(b1["receipt_number"], b3["receipt_number"]);
    assert_eq!(app.count("submissions").await, 2);
    assert_eq!(app.count("opinions").await, 2, "nothing of the refused one is half-written");
}

/// Past the in-flight limit a request is refused before its body is checked or parsed: even one
/// too large to accept gets the busy answer, not the 413 that checking it would give.
async fn too_many_at_once_are_refused_before_the_body_is_checked(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.intake.max_in_flight = 2;
        s.max_request_bytes = 64 * 1024;
    })
    .await;
    app.writer.pause();
    let waiting: Vec<_> =
        (0..2).map(|i| post(&app, api_submission("basic-rules", &format!("in flight {i}")), None)).collect();
    wait_queued(&app, 2).await;
    assert_eq!(app.writer.stats.in_flight.load(Ordering::SeqCst), 2);
    let huge = "x".repeat(64 * 1024 + 1);
    let refused = app.post_json(SUBMIT, &api_submission("basic-rules", &huge)).await;
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(refused.json::<Value>().await.unwrap()["error"], "unavailable");
    app.writer.resume();
    for t in waiting {
        assert_eq!(t.await.unwrap().0, 201, "those admitted are stored");
    }
    assert_eq!(app.writer.stats.in_flight.load(Ordering::SeqCst), 0, "answered requests free their place");
    let again = app.post_json(SUBMIT, &api_submission("basic-rules", "room again")).await;
    assert_eq!(again.status(), 201);
    assert_eq!(app.count("submissions").await, 3);
}

async fn a_full_queue_refuses_at_once_and_keeps_the_text(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.intake.queue_capacity = 2).await;
    let html = app.get("/c/ismap-2020/submit?lang=en").await.text().await.unwrap();
    let token = crate::helpers::form_token(&html);
    app.writer.pause();
    let waiting: Vec<_> =
        (0..2).map(|i| post(&app, api_submission("basic-rules", &format!("queued {i}")), None)).collect();
    wait_queued(&app, 2).await;
    let refused = app.post_json(SUBMIT, &api_submission("basic-rules", "one too many")).await;
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(refused.json::<Value>().await.unwrap()["error"], "unavailable");
    let form = [
        ("token", token.as_str()),
        ("action", "send"),
        ("opinion_count", "1"),
        ("agree_to_notes", "yes"),
        ("opinion-0-body", "my carefully written opinion"),
        ("lang", "en"),
    ];
    let busy = app.post_form("/c/ismap-2020/submit", &form).await;
    assert_eq!(busy.status(), 503);
    assert!(busy.headers().contains_key("retry-after"));
    let page = busy.text().await.unwrap();
    assert!(page.contains("The service is busy"));
    assert!(page.contains("my carefully written opinion"), "the person's text is shown back");
    app.writer.resume();
    for t in waiting {
        assert_eq!(t.await.unwrap().0, 201, "those already queued are stored");
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("pubcom_submissions_refused_total{reason=\"busy\"} 2"), "{metrics}");
    assert_eq!(app.count("submissions").await, 2);
}

async fn arriving_before_the_deadline_counts_even_if_written_after(backend: Backend) {
    let app = spawn_app(backend).await;
    app.writer.pause();
    app.clock.set(seed_closes_at() - Duration::seconds(1));
    let task = post(&app, api_submission("basic-rules", "just in time"), None);
    wait_queued(&app, 1).await;
    app.clock.set(seed_closes_at() + Duration::minutes(1));
    app.writer.resume();
    let (status, body) = task.await.unwrap();
    assert_eq!(status, 201);
    assert_eq!(body["received_at"], "2020-04-26T14:59:59Z");
    #[derive(diesel::QueryableByName)]
    struct Late {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        late: bool,
    }
    let late = app
        .db
        .run(|c| {
            use diesel::RunQueryDsl;
            let rows: Vec<Late> = diesel::sql_query("SELECT late FROM submissions").load(c)?;
            Ok(rows[0].late)
        })
        .await
        .unwrap();
    assert!(!late, "stored as on time");
}

on_both_backends!(
    waiting_submissions_commit_together_with_their_own_receipts,
    a_key_repeated_in_one_batch_gets_the_first_receipt,
    a_batch_keeps_the_order_of_arrival,
    a_mixed_batch_stores_each_submission_with_its_own_rows,
    a_full_queue_refuses_at_once_and_keeps_the_text,
    a_row_the_database_refuses_fails_alone,
    too_many_at_once_are_refused_before_the_body_is_checked,
    arriving_before_the_deadline_counts_even_if_written_after,
);
