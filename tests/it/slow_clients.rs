//! Slow clients cannot hold intake: a body must arrive within the deadline or the request is
//! answered 408 and its connection closed, freeing its slot; and one address may hold only so
//! many slots at once.
use crate::helpers::{api_submission, spawn_app_with, Backend, TestApp};
use crate::on_both_backends;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SUBMIT: &str = "/api/v1/consultations/ismap-2020/submissions";

/// Opens a submission whose body trickles in a byte every 300 ms; returns the status line
/// the server finally answers with (or "closed").
fn trickle(app: &TestApp) -> tokio::task::JoinHandle<String> {
    let addr = app.url.trim_start_matches("http://").to_string();
    tokio::spawn(async move {
        let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST {SUBMIT} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{{"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        for _ in 0..40 {
            let mut buf = [0u8; 1024];
            match tokio::time::timeout(Duration::from_millis(300), stream.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(n)) => {
                    answer.extend_from_slice(&buf[..n]);
                    break;
                }
                Err(_) => {
                    if stream.write_all(b" ").await.is_err() {
                        break;
                    }
                }
            }
        }
        let text = String::from_utf8_lossy(&answer).to_string();
        text.lines().next().unwrap_or("closed").to_string()
    })
}

async fn submit_status(app: &TestApp) -> u16 {
    app.post_json(SUBMIT, &api_submission("basic-rules", "a quick one")).await.status().as_u16()
}

async fn slow_bodies_are_cut_off_and_free_their_slots(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.intake.max_in_flight = 4;
        s.intake.max_in_flight_per_client = 0;
        s.intake.body_deadline_secs = 2;
        s.rate_limit.submissions_per_minute = 0;
    })
    .await;
    let slow: Vec<_> = (0..4).map(|_| trickle(&app)).collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(submit_status(&app).await, 503, "four slow bodies hold the four slots");
    for s in slow {
        let status = s.await.unwrap();
        assert!(status.starts_with("HTTP/1.1 408"), "{status}");
    }
    assert_eq!(submit_status(&app).await, 201, "their slots are free again");
}

async fn one_address_holds_only_its_share(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.intake.max_in_flight_per_client = 2;
        s.intake.body_deadline_secs = 2;
        s.rate_limit.submissions_per_minute = 0;
    })
    .await;
    let slow: Vec<_> = (0..2).map(|_| trickle(&app)).collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(submit_status(&app).await, 503, "this address already holds two");
    for s in slow {
        s.await.unwrap();
    }
    assert_eq!(submit_status(&app).await, 201);
}

on_both_backends!(
    slow_bodies_are_cut_off_and_free_their_slots,
    one_address_holds_only_its_share,
    a_busy_staff_workspace_says_so_and_public_pages_do_not_wait,
);

/// Staff work cannot take the public's capacity: with one staff place, held by a sign-in
/// whose body trickles in, another staff request waits `slot_wait_ms` and gets the busy page
/// in the reader's language, while public pages answer at once; the place is free again once
/// the slow request ends.
async fn a_busy_staff_workspace_says_so_and_public_pages_do_not_wait(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.staff.max_concurrent = 1;
        s.staff.slot_wait_ms = 300;
        s.intake.body_deadline_secs = 2;
    })
    .await;
    let addr = app.url.trim_start_matches("http://").to_string();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /staff/sign-in HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\nusername="
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let busy = app.get("/staff/sign-in?lang=en").await;
    assert_eq!(busy.status(), 503);
    assert!(busy.text().await.unwrap().contains("The staff workspace is busy"));
    let started = std::time::Instant::now();
    assert_eq!(app.get("/c/ismap-2020").await.status(), 200);
    assert!(started.elapsed() < Duration::from_millis(300), "the public page did not wait for a staff place");
    drop(slow);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(app.get("/staff/sign-in").await.status(), 200, "the place is free again");
}
