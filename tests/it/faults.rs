//! Faults that explain themselves: when storage is full (here a SQLite file held to a size
//! cap, as a small disk would), people are told storage is unavailable, not that the service
//! is busy, with their text shown back; `/readyz` says why; the log names the cause.
use crate::helpers::{captured_logs, form_token, spawn_app, spawn_app_with, Backend, TestApp};
use serde_json::Value;

async fn page_count(app: &TestApp) -> u64 {
    #[derive(diesel::QueryableByName)]
    struct Pages {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        page_count: i64,
    }
    app.db
        .run(|c| {
            use diesel::RunQueryDsl;
            Ok(diesel::sql_query("PRAGMA page_count").load::<Pages>(c)?[0].page_count as u64)
        })
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_reported_as_such() {
    // The size a fresh database has after start-up, and a cap a little above it.
    let pages = page_count(&spawn_app(Backend::Sqlite).await).await;
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.database.sqlite_max_pages = Some(pages + 40);
        s.rate_limit.submissions_per_minute = 0;
    })
    .await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    let long = "ストレージ試験の意見です。".repeat(600);
    let mut refused = None;
    for _ in 0..100 {
        let r = app
            .post_json(
                "/api/v1/consultations/ismap-2020/submissions",
                &crate::helpers::api_submission("basic-rules", &long),
            )
            .await;
        if r.status() != 201 {
            refused = Some(r);
            break;
        }
    }
    let refused = refused.expect("the capped database fills up");
    assert_eq!(refused.status(), 503);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "storage_unavailable", "{body}");

    // The form keeps the person's text and says what is wrong.
    let html = app.get("/c/ismap-2020/submit?lang=en").await.text().await.unwrap();
    let token = form_token(&html);
    let form = [
        ("token", token.as_str()),
        ("action", "send"),
        ("opinion_count", "1"),
        ("agree_to_notes", "yes"),
        ("opinion-0-body", long.as_str()),
    ];
    let page = app.post_form("/c/ismap-2020/submit", &form).await;
    assert_eq!(page.status(), 503);
    let text = page.text().await.unwrap();
    assert!(text.contains("a problem with our storage"), "not 'busy'");
    assert!(text.contains("ストレージ試験の意見です。"), "the text is shown back");

    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    let reason = ready.text().await.unwrap();
    assert!(reason.starts_with("storage unavailable: ") && reason.contains("full"), "{reason}");
    assert!(captured_logs().contains("storage unavailable"), "the log names it");
}

/// A staff query past the statement timeout is stopped and said so; the public pages, which
/// have no such limit, are not affected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_staff_query_is_stopped_and_said_so() {
    use diesel::{Connection, RunQueryDsl};
    let app = spawn_app_with(Backend::Postgres, |s| s.staff.statement_timeout_ms = 300).await;
    let analyst = crate::staff::signed_in(&app, "analyst", pubcom::domain::staff::Role::Analyst).await;
    // A search slower than the limit, whatever the machine's speed: the search index is held
    // by another transaction, and waiting for a lock counts towards the statement timeout.
    let pubcom::config::DatabaseUrl::Postgres(url) = &app.database.url else { unreachable!() };
    let mut holder = diesel::PgConnection::establish(url).unwrap();
    diesel::sql_query("BEGIN").execute(&mut holder).unwrap();
    diesel::sql_query("LOCK TABLE opinion_search IN ACCESS EXCLUSIVE MODE").execute(&mut holder).unwrap();
    let search = analyst.get("/staff/c/ismap-2020/opinions?q=%E7%AE%A1%E7%90%86%E5%9F%BA%E6%BA%96&lang=en");
    let r = tokio::time::timeout(std::time::Duration::from_secs(20), search).await.expect("the search is stopped");
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("This search took too long and was stopped."));
    diesel::sql_query("ROLLBACK").execute(&mut holder).unwrap();
    let r = analyst.get("/staff/c/ismap-2020/opinions?q=%E7%AE%A1%E7%90%86%E5%9F%BA%E6%BA%96&lang=en").await;
    assert_eq!(r.status(), 200, "the same search within the limit is answered");
    assert_eq!(app.get("/c/ismap-2020").await.status(), 200, "public pages have no such limit");
    assert_eq!(
        app.post_json(
            "/api/v1/consultations/ismap-2020/submissions",
            &crate::helpers::api_submission("basic-rules", "x")
        )
        .await
        .status(),
        201
    );
}

/// A TCP proxy to PostgreSQL that can be cut: then it closes its connections and refuses new
/// ones at once, as a stopped database server does. Blackholed, it also drops its open
/// connections but takes new ones and never answers, as an unreachable server's route does.
struct CuttableProxy {
    port: u16,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
    blackhole: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl CuttableProxy {
    async fn start(target: &str) -> Self {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let blackhole = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (flag, silent, target) = (cut.clone(), blackhole.clone(), target.to_string());
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                if silent.load(Ordering::SeqCst) {
                    held.push(inbound);
                    continue;
                }
                if flag.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let (flag, target) = (flag.clone(), target.clone());
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else { return };
                    let copy = tokio::io::copy_bidirectional(&mut inbound, &mut outbound);
                    let watch = async {
                        while !flag.load(Ordering::SeqCst) {
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        }
                    };
                    tokio::select! { _ = copy => {}, _ = watch => {} }
                });
            }
        });
        Self { port, cut, blackhole }
    }
}

/// An application whose PostgreSQL database is reached through a proxy the test can cut.
async fn behind_a_proxy() -> (crate::helpers::TestDatabase, CuttableProxy, crate::helpers::TestApp) {
    let database = crate::helpers::TestDatabase::new(Backend::Postgres);
    let pubcom::config::DatabaseUrl::Postgres(direct) = database.url.clone() else { unreachable!() };
    let proxy = CuttableProxy::start("127.0.0.1:5432").await;
    let through = direct.replacen("127.0.0.1:5432", &format!("127.0.0.1:{}", proxy.port), 1);
    let app = spawn_app_with(Backend::Postgres, |s| {
        s.database_url = pubcom::config::DatabaseUrl::Postgres(through.clone());
    })
    .await;
    (database, proxy, app)
}

/// When the database goes away, the first request waits for the pool and gets a 503; the
/// ones right after it are refused by the circuit breaker without waiting; once the database
/// is back, a probe closes the breaker and requests succeed again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_database_is_refused_at_once_until_it_is_back() {
    use std::sync::atomic::Ordering;
    let (_database, proxy, app) = behind_a_proxy().await;
    let body = crate::helpers::api_submission("basic-rules", "breaker");
    let submit = || app.post_json("/api/v1/consultations/ismap-2020/submissions", &body);
    assert_eq!(submit().await.status(), 201);
    proxy.cut.store(true, Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(app.get("/readyz").await.status(), 503, "the first one waits for the pool, then 503");
    assert_eq!(app.get("/c/ismap-2020/results").await.status(), 503);
    assert!(captured_logs().contains("the database did not answer a moment ago"), "refused by the breaker");
    proxy.cut.store(false, Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let mut back = false;
    for _ in 0..50 {
        if app.get("/readyz").await.status() == 200 {
            back = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(back, "a probe closes the breaker once the database is back");
    assert_eq!(submit().await.status(), 201);
}

/// A database that stops answering without refusing (packets dropped on the way) must not
/// make every request wait: connects time out, the breaker opens, and the requests after the
/// first are refused within 100 ms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_that_never_answers_trips_the_breaker() {
    use std::sync::atomic::Ordering;
    let (_database, proxy, app) = behind_a_proxy().await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    proxy.blackhole.store(true, Ordering::SeqCst);
    proxy.cut.store(true, Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    // The first requests wait for the pool while new connections hang until their timeout.
    let started = std::time::Instant::now();
    let mut refused_at_once = false;
    while started.elapsed() < std::time::Duration::from_secs(20) {
        let asked = std::time::Instant::now();
        let status = app.get("/c/ismap-2020/results").await.status();
        assert_eq!(status, 503);
        assert!(asked.elapsed() < std::time::Duration::from_millis(3500), "no request waits past the pool's wait");
        if asked.elapsed() < std::time::Duration::from_millis(100) {
            refused_at_once = true;
            break;
        }
    }
    assert!(refused_at_once, "after a failed connect, refusals come at once");
    assert!(captured_logs().contains("the database did not answer a moment ago"), "refused by the breaker");
}
