//! Several instances on one PostgreSQL: they may start at the same instant (migrations and
//! the consultation import take turns under advisory locks), and a form token or staff session
//! from one is accepted by another without the operator sharing a key.
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
    let form =
        [("token", token.as_str()), ("action", "send"), ("opinion_count", "1"), ("opinion-0-body", "two instances")];
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
