use crate::helpers::{spawn_app, Backend, TestDatabase};
use crate::on_both_backends;
use pubcom::clock::SystemClock;
use pubcom::db::{self, consultations, Db};
use pubcom::startup;
use std::path::PathBuf;

#[tokio::test]
async fn sqlite_connections_are_durable_and_enforce_foreign_keys() {
    let database = TestDatabase::new(Backend::Sqlite);
    let db = Db::connect(&database.url, 2).unwrap();
    let pragmas = db.run(db::sqlite_pragmas).await.unwrap();
    let get = |k: &str| pragmas.iter().find(|(p, _)| p == k).map(|(_, v)| v.clone()).unwrap();
    assert_eq!(get("journal_mode"), "wal");
    assert_eq!(get("synchronous"), "2", "synchronous=FULL");
    assert_eq!(get("foreign_keys"), "1");
    assert_eq!(get("busy_timeout"), "10000");
    // Every pooled connection fills its page cache as the file grows: at 64 MB each, a 3x
    // surge held over 200 MB. Negative means KiB.
    let cache_kib = -get("cache_size").parse::<i64>().unwrap();
    assert!((1..=4096).contains(&cache_kib), "page cache per connection: {cache_kib} KiB");
}

#[tokio::test]
async fn a_wrong_postgres_url_reports_the_real_error() {
    let url =
        pubcom::config::DatabaseUrl::try_from("postgres://postgres@127.0.0.1:5432/no_such_database_xyz".to_string())
            .unwrap();
    let err = Db::connect(&url, 1).err().expect("connection must fail").to_string();
    assert!(err.contains("no_such_database_xyz"), "{err}");
}

async fn migrations_and_seed_load_on_start(backend: Backend) {
    let app = spawn_app(backend).await;
    let list = app.db.run(consultations::list).await.unwrap();
    let slugs: Vec<&str> = list.iter().map(|c| c.slug.as_str()).collect();
    assert!(slugs.contains(&"ismap-2020"), "{slugs:?}");
    assert!(slugs.contains(&"demo-open"), "{slugs:?}");
    let seed = app.db.run(|c| consultations::find(c, "ismap-2020")).await.unwrap().unwrap();
    assert_eq!(seed.consultation.drafts.len(), 5);
    assert_eq!(seed.draft_ids.len(), 5);
    assert_eq!(seed.consultation.opens_at, crate::helpers::seed_opens_at());
    assert_eq!(seed.consultation.closes_at, crate::helpers::seed_closes_at());
    assert_eq!(seed.consultation.postal_deadline().to_string(), "2020-04-26");
}

async fn import_is_idempotent_by_slug_and_updates(backend: Backend) {
    let app = spawn_app(backend).await;
    let seed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/consultations/ismap-2020.toml");
    let db = app.db.clone();
    let again =
        tokio::task::spawn_blocking(move || startup::import_files(&db, &[seed], &SystemClock)).await.unwrap().unwrap();
    assert_eq!(again[0].1, consultations::ImportOutcome::Unchanged);
    let before = app.count("drafts").await;

    // An edited file updates the same consultation rather than adding one.
    let text =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/consultations/ismap-2020.toml"))
            .unwrap()
            .replace(
                "ISMAP Information Security Audit Guidelines (draft)",
                "ISMAP Information Security Audit Guidelines (revised draft)",
            );
    let edited = app.database.dir().join("edited.toml");
    std::fs::write(&edited, text).unwrap();
    let db = app.db.clone();
    let done = tokio::task::spawn_blocking(move || startup::import_files(&db, &[edited], &SystemClock))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done[0].1, consultations::ImportOutcome::Updated);
    assert_eq!(app.count("consultations").await, 2);
    assert_eq!(app.count("drafts").await, before);
    let seed = app.db.run(|c| consultations::find(c, "ismap-2020")).await.unwrap().unwrap();
    assert!(seed.consultation.draft("audit-guidelines").unwrap().title.en.as_deref().unwrap().contains("revised"));
}

async fn a_draft_with_opinions_cannot_be_dropped_by_an_import(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .post_json(
            "/api/v1/consultations/ismap-2020/submissions",
            &crate::helpers::api_submission("audit-guidelines", "keep me"),
        )
        .await;
    assert_eq!(response.status(), 201);
    let text =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/consultations/ismap-2020.toml"))
            .unwrap();
    let cut = text.find("[[drafts]]\ncode = \"audit-guidelines\"").unwrap();
    let edited = app.database.dir().join("fewer.toml");
    std::fs::write(&edited, &text[..cut]).unwrap();
    let db = app.db.clone();
    let err = tokio::task::spawn_blocking(move || startup::import_files(&db, &[edited], &SystemClock))
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.to_string().contains("audit-guidelines"), "{err}");
    assert_eq!(app.count("drafts").await, 5 + 3, "nothing was removed");
}

/// SQLite keeps no planner statistics unless asked: the worker gathers them once the opinions
/// have grown, and not again until they have doubled. PostgreSQL's autovacuum does its own.
async fn the_worker_gathers_planner_statistics_as_the_opinions_grow(backend: Backend) {
    let app = spawn_app(backend).await;
    app.stop_worker().await;
    crate::helpers::generate(&app, "ismap-2020", 1_200, 3).await;
    let sqlite = backend == Backend::Sqlite;
    if sqlite {
        let analyzed = app.db.run(db::opinions_when_analyzed).await.unwrap();
        assert!(analyzed.is_some_and(|n| n >= 1_200), "the generator leaves statistics: {analyzed:?}");
        // As a database that grew through the web would be: no statistics yet.
        app.db
            .write(|c| {
                use diesel::RunQueryDsl;
                diesel::sql_query("DELETE FROM sqlite_stat1").execute(c)?;
                Ok(())
            })
            .await
            .unwrap();
    }
    let settings = std::sync::Arc::new(crate::helpers::test_settings(&app.database));
    let (db, clock) = (app.db.clone(), app.clock.clone());
    let worker = startup::build_worker(settings, db, clock, Default::default(), Default::default()).unwrap();
    assert_eq!(worker.statistics_once().await.unwrap(), sqlite, "gathered once the table has grown");
    if sqlite {
        let analyzed = app.db.run(db::opinions_when_analyzed).await.unwrap();
        assert!(analyzed.is_some_and(|n| n >= 1_200), "{analyzed:?}");
    }
    assert!(!worker.statistics_once().await.unwrap(), "not again until the opinions have doubled");
}

on_both_backends!(
    the_worker_gathers_planner_statistics_as_the_opinions_grow,
    migrations_and_seed_load_on_start,
    import_is_idempotent_by_slug_and_updates,
    a_draft_with_opinions_cannot_be_dropped_by_an_import
);
