//! Several instances on one PostgreSQL: they may start at the same instant (migrations and
//! the consultation import take turns under advisory locks), and a form token or staff session
//! from one is accepted by another without the operator sharing a key; rate limits counted in
//! Redis hold across them, and behind a trusted proxy each forwarded client counts alone.
use crate::helpers::{form_token, test_settings, Backend, TestDatabase};
use crate::staff::PASSWORD;
use pubcom::clock::FixedClock;
use pubcom::config::DatabaseUrl;
use pubcom::domain::staff::Role;
use pubcom::startup::{Application, StopHandle};
use std::sync::Arc;

fn url_of(db: &TestDatabase) -> String {
    match &db.url {
        DatabaseUrl::Postgres(url) => url.clone(),
        DatabaseUrl::Sqlite(_) => unreachable!("PostgreSQL only"),
    }
}

/// Three `pubcom migrate` processes at once on a fresh database, three times over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_migrating_at_once_all_succeed() {
    for trial in 0..3 {
        let database = TestDatabase::new(Backend::Postgres);
        let children: Vec<_> = (0..3)
            .map(|i| {
                std::process::Command::new(env!("CARGO_BIN_EXE_pubcom"))
                    .arg("migrate")
                    .env("PUBCOM_DATABASE_URL", url_of(&database))
                    .env("PUBCOM_DATA_DIR", database.dir().join(format!("data-{i}")))
                    .env("RUST_LOG", "warn")
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "trial {trial}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

struct Instance {
    url: String,
    stop: StopHandle,
}

impl Drop for Instance {
    fn drop(&mut self) {
        drop(self.stop.stop(false));
    }
}

async fn start(database: &TestDatabase, name: &str) -> Instance {
    let mut settings = test_settings(database);
    // Each its own data_dir, so each generates its own key file.
    settings.data_dir = database.dir().join(name);
    let clock = Arc::new(FixedClock::new(crate::helpers::inside_seed_window()));
    let app = Application::build(settings, clock).await.expect("instance starts");
    let (url, stop) = (app.url.clone(), app.stop_handle());
    tokio::spawn(app.run_until_stopped());
    Instance { url, stop }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_started_at_once_share_the_database_and_one_key() {
    let database = TestDatabase::new(Backend::Postgres);
    let (a, b) = tokio::join!(start(&database, "a"), start(&database, "b"));
    let db = pubcom::db::Db::connect(&database.url, 2).unwrap();
    let (consultations, drafts) = db
        .run(|c| {
            use diesel::prelude::*;
            use pubcom::db::schema::{consultations, drafts};
            Ok((consultations::table.count().get_result::<i64>(c)?, drafts::table.count().get_result::<i64>(c)?))
        })
        .await
        .unwrap();
    assert_eq!(consultations, 2, "the seed and the demo, each imported once");
    assert_eq!(drafts, 5 + 3, "ISMAP's five drafts and the demo's three, each once");

    // A form rendered by one instance is accepted by the other.
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).cookie_store(true).build().unwrap();
    let html = client.get(format!("{}/c/ismap-2020/submit?lang=en", a.url)).send().await.unwrap().text().await.unwrap();
    let token = form_token(&html);
    let form = [
        ("token", token.as_str()),
        ("action", "send"),
        ("opinion_count", "1"),
        ("agree_to_notes", "yes"),
        ("opinion-0-body", "two instances"),
    ];
    let sent = client.post(format!("{}/c/ismap-2020/submit", b.url)).form(&form).send().await.unwrap();
    assert_eq!(sent.status(), 303, "a token signed by one instance is accepted by another");

    // A staff member signed in on one is signed in on the other.
    let (users, actor) = (db.clone(), pubcom::app::accounts::cli_actor());
    tokio::task::spawn_blocking(move || {
        pubcom::app::accounts::add(&users, &actor, "clerk", None, Role::Clerk, PASSWORD, chrono::Utc::now()).unwrap()
    })
    .await
    .unwrap();
    let html = client.get(format!("{}/staff/sign-in", a.url)).send().await.unwrap().text().await.unwrap();
    let token = form_token(&html);
    let fields = [("token", token.as_str()), ("username", "clerk"), ("password", PASSWORD), ("next", "/staff/")];
    let signed = client.post(format!("{}/staff/sign-in", a.url)).form(&fields).send().await.unwrap();
    assert_eq!(signed.status(), 303);
    let home = client.get(format!("{}/staff/", b.url)).send().await.unwrap();
    assert_eq!(home.status(), 200, "the session holds on the other instance");
}

/// Waits, if needed, so a test of a per-minute limit does not straddle a minute boundary.
async fn early_in_a_minute() {
    let second = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() % 60;
    if second > 45 {
        tokio::time::sleep(std::time::Duration::from_secs(61 - second)).await;
    }
}

async fn post(app: &crate::helpers::TestApp, forwarded_for: Option<&str>) -> u16 {
    let mut request = app
        .client
        .post(format!("{}/api/v1/consultations/ismap-2020/submissions", app.url))
        .json(&crate::helpers::api_submission("basic-rules", "limit"));
    if let Some(addr) = forwarded_for {
        request = request.header("X-Forwarded-For", addr);
    }
    request.send().await.unwrap().status().as_u16()
}

/// With `rate_limit.redis_url`, two instances count one client together (each on its own
/// database here: the limit does not depend on it).
async fn a_redis_limit_holds_across_instances(backend: Backend) {
    let namespace = format!("pubcom-test-{}", crate::helpers::random_suffix());
    let configure = |s: &mut pubcom::config::Settings| {
        s.rate_limit.submissions_per_minute = 4;
        s.rate_limit.redis_url = Some("redis://127.0.0.1:6379".into());
        s.rate_limit.redis_namespace = namespace.clone();
    };
    early_in_a_minute().await;
    let a = crate::helpers::spawn_app_with(backend, configure).await;
    let b = crate::helpers::spawn_app_with(backend, configure).await;
    for app in [&a, &b, &a, &b] {
        assert_eq!(post(app, None).await, 201);
    }
    assert_eq!(post(&a, None).await, 429, "the fifth in the minute, whichever instance");
    assert_eq!(post(&b, None).await, 429);
}

/// Behind a trusted proxy each forwarded client has its own limit; from anyone else the
/// header is ignored.
async fn forwarded_addresses_count_only_from_trusted_proxies(backend: Backend) {
    early_in_a_minute().await;
    let behind = crate::helpers::spawn_app_with(backend, |s| {
        s.rate_limit.submissions_per_minute = 2;
        s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    for _ in 0..2 {
        assert_eq!(post(&behind, Some("203.0.113.5")).await, 201);
    }
    assert_eq!(post(&behind, Some("203.0.113.5")).await, 429);
    assert_eq!(post(&behind, Some("203.0.113.6")).await, 201, "another client behind the proxy");
    let direct = crate::helpers::spawn_app_with(backend, |s| s.rate_limit.submissions_per_minute = 2).await;
    assert_eq!(post(&direct, Some("203.0.113.5")).await, 201);
    assert_eq!(post(&direct, Some("203.0.113.6")).await, 201);
    assert_eq!(post(&direct, Some("203.0.113.7")).await, 429, "a client cannot choose its own address");
}

crate::on_both_backends!(a_redis_limit_holds_across_instances, forwarded_addresses_count_only_from_trusted_proxies);
