//! Load generator for BENCHMARKS.md: real HTTP against a running pubcom, plus the raw
//! single-writer SQLite baseline measured in the same run.
//!
//!   cargo run --release --example loadgen -- journey URL SLUG CLIENTS SECONDS
//!   cargo run --release --example loadgen -- journey-pdf URL SLUG CLIENTS SECONDS
//!   cargo run --release --example loadgen -- disk-baseline DIR SECONDS
//!   cargo run --release --example loadgen -- api     URL SLUG CLIENTS SECONDS
//!   cargo run --release --example loadgen -- api-email URL SLUG CLIENTS SECONDS
//!   cargo run --release --example loadgen -- smtp-sink PORT FILE
//!   cargo run --release --example loadgen -- record URL SLUG CLIENTS SECONDS FILE
//!   cargo run --release --example loadgen -- surge URL SLUG RATE SECONDS [CONNECTIONS]
//!   cargo run --release --example loadgen -- sqlite-baseline PATH SECONDS
//!
//! `journey` is what a person's browser does: GET the form (token and cookie), then POST the
//! send. `journey-pdf` attaches a 1 MB PDF: GET the form, POST it with the file to the
//! confirmation, POST the send (the file rides along sealed in the page). `disk-baseline` writes
//! and flushes 1 MB files one after another, the raw rate such a journey cannot beat. `api` posts JSON submissions (`api-email` with an address, so each queues a receipt
//! email); `smtp-sink` is a mail relay that writes each Message-ID it receives to FILE. Each client is one connection doing one request after
//! another; requests are bounded by the duration.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const OPINION: &str = "クラウドサービスの登録要件について、第3章の監査頻度を明確にしてください。The audit interval in chapter 3 should be stated precisely. ";

fn opinion_text() -> String {
    // About 2 KB of UTF-8, like the database baseline rows.
    OPINION.repeat(12)
}

/// The API request body, serialized once: the generator shares the server's two cores, so it
/// should spend as little of them as it can.
fn api_payload(body: &str) -> &'static [u8] {
    api_payload_with(body, None)
}

/// The same, with a submitter address, so that each submission also queues a receipt email.
fn api_payload_with(body: &str, email: Option<&str>) -> &'static [u8] {
    let mut payload =
        serde_json::json!({"locale": "en", "opinions": [{"draft": null, "location": "3.2", "body": body}]});
    if let Some(address) = email {
        payload["submitter"] = serde_json::json!({"email": address});
    }
    Box::leak(serde_json::to_vec(&payload).unwrap().into_boxed_slice())
}

fn post_api(client: &reqwest::Client, url: &str, slug: &str, payload: &'static [u8]) -> reqwest::RequestBuilder {
    client
        .post(format!("{url}/api/v1/consultations/{slug}/submissions"))
        .header("content-type", "application/json")
        .body(payload)
}

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    ok: u64,
    errors: u64,
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

async fn journey_once(client: &reqwest::Client, url: &str, slug: &str, body: &str) -> Result<(), String> {
    let form = client.get(format!("{url}/c/{slug}/submit?lang=en")).send().await.map_err(|e| e.to_string())?;
    let html = form.text().await.map_err(|e| e.to_string())?;
    let start = html.find("name=\"token\" value=\"").ok_or("no token")? + 20;
    let token = html[start..].split('"').next().ok_or("no token")?.to_string();
    let response = client
        .post(format!("{url}/c/{slug}/submit"))
        .form(&[
            ("token", token.as_str()),
            ("lang", "en"),
            ("action", "send"),
            ("agree_to_notes", "yes"),
            ("opinion_count", "1"),
            ("opinion-0-draft", ""),
            ("opinion-0-location", "3.2"),
            ("opinion-0-body", body),
            ("opinion-0-reason", ""),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.status() == 303 {
        Ok(())
    } else {
        Err(format!("status {}", response.status()))
    }
}

/// A 1 MiB PDF whose one page holds lines of text, so the worker's text reading has real work.
fn one_megabyte_pdf() -> &'static [u8] {
    let mut content = String::from("BT /F1 10 Tf 40 800 Td 12 TL\n");
    while content.len() < 1024 * 1024 - 600 {
        content.push_str("(Annex: audit interval per service category, quarterly review schedule) Tj T*\n");
    }
    content.push_str("ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(b"xref\n0 6\n0000000000 65535 f \n");
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(format!("trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes());
    Box::leak(pdf.into_boxed_slice())
}

async fn journey_pdf_once(
    client: &reqwest::Client,
    url: &str,
    slug: &str,
    body: &str,
    pdf: &'static [u8],
) -> Result<(), String> {
    let form = client.get(format!("{url}/c/{slug}/submit?lang=en")).send().await.map_err(|e| e.to_string())?;
    let html = form.text().await.map_err(|e| e.to_string())?;
    let start = html.find("name=\"token\" value=\"").ok_or("no token")? + 20;
    let token = html[start..].split('"').next().ok_or("no token")?.to_string();
    let text = |f: reqwest::multipart::Form| {
        f.text("token", token.clone())
            .text("lang", "en")
            .text("agree_to_notes", "yes")
            .text("opinion_count", "1")
            .text("opinion-0-body", body.to_string())
    };
    let part = reqwest::multipart::Part::bytes(pdf).file_name("annex.pdf");
    let confirm = text(reqwest::multipart::Form::new()).text("action", "confirm").part("files", part);
    let review =
        client.post(format!("{url}/c/{slug}/submit")).multipart(confirm).send().await.map_err(|e| e.to_string())?;
    if review.status() != 200 {
        return Err(format!("confirm: status {}", review.status()));
    }
    let html = review.text().await.map_err(|e| e.to_string())?;
    let marker = "name=\"attached-0\" value=\"";
    let start = html.find(marker).ok_or("the confirmation carries no file")? + marker.len();
    let sealed = html[start..]
        .split('"')
        .next()
        .ok_or("no file")?
        .replace("&#39;", "'")
        .replace("&#34;", "\"")
        .replace("&amp;", "&");
    let send = text(reqwest::multipart::Form::new()).text("action", "send").text("attached-0", sealed);
    let response =
        client.post(format!("{url}/c/{slug}/submit")).multipart(send).send().await.map_err(|e| e.to_string())?;
    if response.status() == 303 {
        Ok(())
    } else {
        Err(format!("send: status {}", response.status()))
    }
}

/// Writes and flushes 1 MiB files one after another for `seconds`: the disk's own rate.
fn disk_baseline(dir: &str, seconds: u64) {
    use std::io::Write;
    let block = vec![b'x'; 1024 * 1024];
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < Duration::from_secs(seconds) {
        let path = std::path::Path::new(dir).join(format!("baseline-{}", n % 64));
        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(&block).unwrap();
        f.sync_all().unwrap();
        n += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "disk-baseline: {n} files of 1 MiB written and flushed in {elapsed:.1}s = {:.0} files/s",
        n as f64 / elapsed
    );
}

async fn api_once(client: &reqwest::Client, url: &str, slug: &str, payload: &'static [u8]) -> Result<(), String> {
    let response = post_api(client, url, slug, payload).send().await.map_err(|e| e.to_string())?;
    if response.status() == 201 {
        Ok(())
    } else {
        Err(format!("status {}", response.status()))
    }
}

async fn http_load(mode: &str, url: String, slug: String, clients: usize, seconds: u64) {
    let stop = Arc::new(AtomicBool::new(false));
    let body = Arc::new(opinion_text());
    let payload = api_payload_with(&body, (mode == "api-email").then_some("load@example.com"));
    let pdf = one_megabyte_pdf();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (stop, url, slug, body, mode) = (stop.clone(), url.clone(), slug.clone(), body.clone(), mode.to_string());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap();
            let mut tally = Tally::default();
            let mut first_error = None;
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let result = if mode == "journey" {
                    journey_once(&client, &url, &slug, &body).await
                } else if mode == "journey-pdf" {
                    journey_pdf_once(&client, &url, &slug, &body, pdf).await
                } else {
                    api_once(&client, &url, &slug, payload).await
                };
                tally.latencies_us.push(started.elapsed().as_micros() as u64);
                match result {
                    Ok(()) => tally.ok += 1,
                    Err(e) => {
                        tally.errors += 1;
                        first_error.get_or_insert(e);
                    }
                }
            }
            (tally, first_error)
        }));
    }
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Tally::default();
    let mut errors = Vec::new();
    for t in tasks {
        let (tally, error) = t.await.unwrap();
        all.latencies_us.extend(tally.latencies_us);
        all.ok += tally.ok;
        all.errors += tally.errors;
        errors.extend(error);
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.latencies_us.sort_unstable();
    println!(
        "mode={mode} clients={clients} seconds={elapsed:.1} submissions={} errors={} rate={:.0}/s p50={:.1}ms p99={:.1}ms max={:.1}ms",
        all.ok,
        all.errors,
        all.ok as f64 / elapsed,
        percentile(&all.latencies_us, 0.5),
        percentile(&all.latencies_us, 0.99),
        percentile(&all.latencies_us, 1.0),
    );
    if let Some(e) = errors.first() {
        println!("first error: {e}");
    }
}

/// Submits through the API for `seconds`, appending every receipt number answered with 201 to
/// `file` as soon as it arrives, and carrying on through refused connections (the server is
/// being killed and restarted under it). Prints the status counts.
async fn record(url: String, slug: String, clients: usize, seconds: u64, file: String) {
    use std::io::Write;
    let out =
        Arc::new(std::sync::Mutex::new(std::fs::OpenOptions::new().create(true).append(true).open(&file).unwrap()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (stop, url, slug, out) = (stop.clone(), url.clone(), slug.clone(), out.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
            let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let body = serde_json::json!({
                    "submitter": {"email": format!("durability{c}-{n}@example.jp")},
                    "locale": "ja",
                    "opinions": [{"draft": null, "body": format!("durability {c}-{n}")}, {"draft": null, "body": "second opinion"}]
                });
                let result = client.post(format!("{url}/api/v1/consultations/{slug}/submissions")).json(&body).send().await;
                let key = match result {
                    Ok(r) if r.status() == 201 => {
                        let v: serde_json::Value = r.json().await.unwrap_or_default();
                        if let Some(receipt) = v["receipt_number"].as_str() {
                            let mut f = out.lock().unwrap();
                            let _ = writeln!(f, "{receipt}");
                            let _ = f.flush();
                        }
                        "201".to_string()
                    }
                    Ok(r) => r.status().as_u16().to_string(),
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        "connection error".to_string()
                    }
                };
                *counts.entry(key).or_default() += 1;
            }
            counts
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all: std::collections::BTreeMap<String, u64> = Default::default();
    for t in tasks {
        for (k, v) in t.await.unwrap() {
            *all.entry(k).or_default() += v;
        }
    }
    println!("mode=record responses={all:?}");
}

/// Sends one request on a keep-alive connection and reads the answer: the status (with
/// "+Retry-After" when that header came), and whether the connection may be used again.
async fn exchange(
    conn: &mut tokio::io::BufReader<tokio::net::TcpStream>,
    request: &[u8],
) -> Result<(String, bool), String> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
    conn.get_mut().write_all(request).await.map_err(|_| "connection reset".to_string())?;
    let mut line = String::new();
    if conn.read_line(&mut line).await.map_err(|_| "connection reset".to_string())? == 0 {
        return Err("connection reset".into());
    }
    let code = line.split(' ').nth(1).unwrap_or("?").to_string();
    let (mut length, mut keep, mut retry) = (0usize, true, false);
    loop {
        line.clear();
        if conn.read_line(&mut line).await.map_err(|_| "connection reset".to_string())? == 0 {
            return Err("connection reset".into());
        }
        let header = line.trim_end().to_ascii_lowercase();
        if header.is_empty() {
            break;
        }
        if let Some(v) = header.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        } else if header.starts_with("connection:") && header.contains("close") {
            keep = false;
        } else if header.starts_with("retry-after:") {
            retry = true;
        }
    }
    let mut body = vec![0u8; length];
    conn.read_exact(&mut body).await.map_err(|_| "connection reset".to_string())?;
    Ok((format!("{code}{}", if retry { "+Retry-After" } else { "" }), keep))
}

/// Open-loop overload, measured the way wrk2 does: `rate` API submissions a second are
/// scheduled for `seconds` whatever the server's pace, and sent over `connections` keep-alive
/// connections speaking plain HTTP/1.1 (a generator with a connection per request would spend
/// the two cores itself). A request's time counts from when it was scheduled, so waiting for a
/// free connection counts against the server. Past 5 s a request counts as timed out. Reports
/// how many were answered within 1 s, by status. Then measures recovery: 8 closed-loop clients
/// for 10 s, p99 per second.
async fn surge(url: String, slug: String, rate: u64, seconds: u64, connections: usize) {
    let payload = api_payload(&opinion_text());
    let addr = url.trim_start_matches("http://").trim_end_matches('/').to_string();
    let request: &'static [u8] = Box::leak(
        [
            format!(
                "POST /api/v1/consultations/{slug}/submissions HTTP/1.1\r\nHost: {addr}\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                payload.len()
            )
            .as_bytes(),
            payload,
        ]
        .concat()
        .into_boxed_slice(),
    );
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let results = Arc::new(std::sync::Mutex::new(Vec::<(String, u64)>::with_capacity((rate * seconds) as usize)));
    let reconnects = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut workers = Vec::new();
    for _ in 0..connections {
        let (rx, results, addr, reconnects) = (rx.clone(), results.clone(), addr.clone(), reconnects.clone());
        workers.push(tokio::spawn(async move {
            let mut conn: Option<tokio::io::BufReader<tokio::net::TcpStream>> = None;
            loop {
                let Some(scheduled) = rx.lock().await.recv().await else { return };
                let deadline = scheduled + Duration::from_secs(5);
                let outcome = tokio::time::timeout_at(deadline.into(), async {
                    if conn.is_none() {
                        let stream =
                            tokio::net::TcpStream::connect(&addr).await.map_err(|e| format!("connect error ({e})"))?;
                        stream.set_nodelay(true).ok();
                        reconnects.fetch_add(1, Ordering::Relaxed);
                        conn = Some(tokio::io::BufReader::new(stream));
                    }
                    let c = conn.as_mut().unwrap();
                    exchange(c, request).await
                })
                .await;
                let status = match outcome {
                    Ok(Ok((status, keep))) => {
                        if !keep {
                            conn = None;
                        }
                        status
                    }
                    Ok(Err(e)) => {
                        conn = None;
                        e
                    }
                    Err(_) => {
                        conn = None;
                        "timeout".to_string()
                    }
                };
                results.lock().unwrap().push((status, scheduled.elapsed().as_millis() as u64));
            }
        }));
    }
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let per_tick = (rate / 100).max(1);
    while started.elapsed() < Duration::from_secs(seconds) {
        let at = tick.tick().await.into_std();
        for _ in 0..per_tick {
            let _ = tx.send(at);
        }
    }
    drop(tx);
    for w in workers {
        let _ = w.await;
    }
    let all = results.lock().unwrap().clone();
    let mut by_status: std::collections::BTreeMap<String, u64> = Default::default();
    for (s, _) in &all {
        *by_status.entry(s.clone()).or_default() += 1;
    }
    // Answered: an HTTP status came back (not a time-out or a failed connection).
    let within = all.iter().filter(|(status, ms)| *ms <= 1000 && status.starts_with(char::is_numeric)).count();
    let mut answered: Vec<u64> =
        all.iter().filter(|(status, _)| status.starts_with(char::is_numeric)).map(|(_, ms)| *ms * 1000).collect();
    answered.sort_unstable();
    println!(
        "mode=surge offered={rate}/s seconds={seconds} connections={connections} requests={} answered_within_1s={within} \
         p50={:.0}ms p99={:.0}ms max={:.0}ms connects={} statuses={by_status:?}",
        all.len(),
        percentile(&answered, 0.5),
        percentile(&answered, 0.99),
        percentile(&answered, 1.0),
        reconnects.load(Ordering::Relaxed),
    );
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    // Recovery: normal load right after the surge.
    let stop = Arc::new(AtomicBool::new(false));
    let lat = Arc::new(std::sync::Mutex::new(Vec::<(u64, u64)>::new()));
    let t_recover = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (client, url, slug, stop, lat) = (client.clone(), url.clone(), slug.clone(), stop.clone(), lat.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let t0 = Instant::now();
                let _ = post_api(&client, &url, &slug, payload).send().await;
                lat.lock().unwrap().push((t_recover.elapsed().as_secs(), t0.elapsed().as_micros() as u64));
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(10)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let lat = lat.lock().unwrap().clone();
    let per_second: Vec<String> = (0..10)
        .map(|s| {
            let mut v: Vec<u64> = lat.iter().filter(|(sec, _)| *sec == s).map(|(_, us)| *us).collect();
            v.sort_unstable();
            format!("{:.1}", percentile(&v, 0.99))
        })
        .collect();
    println!("mode=recovery p99_ms_per_second=[{}]", per_second.join(", "));
}

/// A mail relay that accepts everything and appends each message's Message-ID to `file`, one
/// line per message received, so duplicates can be counted afterwards.
async fn smtp_sink(port: u16, file: String) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("sink port is free");
    let out = Arc::new(std::sync::Mutex::new(
        std::fs::OpenOptions::new().create(true).append(true).open(&file).expect("sink file opens"),
    ));
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        stream.set_nodelay(true).ok();
        let out = out.clone();
        tokio::spawn(async move {
            let (read, write) = stream.into_split();
            let mut lines = tokio::io::BufReader::new(read);
            // Replies to pipelined commands go out together, once the commands read so far
            // are answered (as Postfix does).
            let mut write = tokio::io::BufWriter::new(write);
            let mut line = String::new();
            write.write_all(b"220 sink ESMTP\r\n").await?;
            write.flush().await?;
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok::<(), std::io::Error>(());
                }
                let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                match verb.as_str() {
                    "EHLO" | "HELO" => write.write_all(b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n").await?,
                    "DATA" => {
                        write.write_all(b"354 go ahead\r\n").await?;
                        write.flush().await?;
                        let mut id = String::new();
                        loop {
                            line.clear();
                            if lines.read_line(&mut line).await? == 0 {
                                return Ok(());
                            }
                            if line == ".\r\n" {
                                break;
                            }
                            if id.is_empty() && line.to_ascii_lowercase().starts_with("message-id:") {
                                id = line[11..].trim().to_string();
                            }
                        }
                        {
                            use std::io::Write;
                            let mut f = out.lock().unwrap();
                            writeln!(f, "{id}")?;
                        }
                        write.write_all(b"250 queued\r\n").await?;
                    }
                    "QUIT" => {
                        write.write_all(b"221 bye\r\n").await?;
                        write.flush().await?;
                        return Ok(());
                    }
                    _ => write.write_all(b"250 ok\r\n").await?,
                }
                if lines.buffer().is_empty() {
                    write.flush().await?;
                }
            }
        });
    }
}

/// One writer, one durable commit per 2 KB row, synchronous=FULL: the flush-bound floor.
fn sqlite_baseline(path: &str, seconds: u64) {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, RunQueryDsl};
    let _ = std::fs::remove_file(path);
    let mut conn = diesel::SqliteConnection::establish(path).unwrap();
    conn.batch_execute(
        "PRAGMA busy_timeout=10000; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; \
         CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL);",
    )
    .unwrap();
    let body = opinion_text();
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < Duration::from_secs(seconds) {
        diesel::sql_query("INSERT INTO rows (body) VALUES (?)")
            .bind::<diesel::sql_types::Text, _>(&body)
            .execute(&mut conn)
            .unwrap();
        n += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!("mode=sqlite-baseline rows={n} seconds={elapsed:.1} rate={:.0}/s", n as f64 / elapsed);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: loadgen journey|journey-pdf|api|api-email URL SLUG CLIENTS SECONDS | loadgen smtp-sink PORT FILE | loadgen record URL SLUG CLIENTS SECONDS FILE | loadgen surge URL SLUG RATE SECONDS [CONNECTIONS] | loadgen sqlite-baseline PATH SECONDS | loadgen disk-baseline DIR SECONDS";
    match args.first().map(String::as_str) {
        Some(mode @ ("journey" | "journey-pdf" | "api" | "api-email")) if args.len() == 5 => {
            let clients: usize = args[3].parse().expect(usage);
            let seconds: u64 = args[4].parse().expect(usage);
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
            rt.block_on(http_load(mode, args[1].clone(), args[2].clone(), clients, seconds.min(600)));
        }
        Some("record") if args.len() == 6 => {
            let clients: usize = args[3].parse().expect(usage);
            let seconds: u64 = args[4].parse().expect(usage);
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
            rt.block_on(record(args[1].clone(), args[2].clone(), clients, seconds.min(600), args[5].clone()));
        }
        Some("surge") if args.len() == 5 || args.len() == 6 => {
            let rate: u64 = args[3].parse().expect(usage);
            let seconds: u64 = args[4].parse().expect(usage);
            let connections: usize = args.get(5).map_or(512, |c| c.parse().expect(usage));
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
            rt.block_on(surge(args[1].clone(), args[2].clone(), rate, seconds.min(120), connections));
        }
        Some("smtp-sink") if args.len() == 3 => {
            let port: u16 = args[1].parse().expect(usage);
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
            rt.block_on(smtp_sink(port, args[2].clone()));
        }
        Some("disk-baseline") if args.len() == 3 => {
            disk_baseline(&args[1], args[2].parse::<u64>().expect(usage).min(600))
        }
        Some("sqlite-baseline") if args.len() == 3 => {
            sqlite_baseline(&args[1], args[2].parse::<u64>().expect(usage).min(600))
        }
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    }
}
