//! The staff search while the worker has not yet indexed new opinions: nothing is missed, the
//! page says the index is catching up, and corrected text is found by its new words only.
use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;
use crate::staff::{signed_in, StaffClient};
use crate::triage::{opinion_ids, submit};
use pubcom::domain::staff::Role;
use serde_json::json;

async fn opinion(app: &TestApp, body: &str) -> i64 {
    submit(
        app,
        json!({"submitter": {"name": "Searcher"}, "locale": "en",
               "opinions": [{"draft": "management-standards", "body": body}]}),
    )
    .await;
    *opinion_ids(app).await.last().unwrap()
}

/// The opinion ids a search lists, and whether the page says the index is behind.
async fn search(analyst: &StaffClient, words: &str) -> (Vec<i64>, bool) {
    let q: String = url::form_urlencoded::byte_serialize(words.as_bytes()).collect();
    let page = analyst.get(&format!("/staff/c/ismap-2020/opinions?lang=en&q={q}")).await.text().await.unwrap();
    let ids =
        page.split("href=\"/staff/opinions/").skip(1).filter_map(|rest| rest.split('"').next()?.parse().ok()).collect();
    (ids, page.contains("id=\"search-backlog\""))
}

async fn index(app: &TestApp) -> usize {
    app.db.write(|c| pubcom::db::search::index_listed(c, 5_000)).await.unwrap()
}

async fn set_body(app: &TestApp, id: i64, body: &'static str) {
    app.db
        .write(move |c| {
            use diesel::prelude::*;
            use pubcom::db::schema::opinions;
            diesel::update(opinions::table.find(id)).set(opinions::body.eq(body)).execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
}

/// SQLite's external-content index must hold exactly the text of the opinions it lists.
async fn index_is_consistent(app: &TestApp) {
    if app.db.backend() == "sqlite" {
        app.db
            .write(|c| {
                use diesel::RunQueryDsl;
                diesel::sql_query("INSERT INTO opinions_fts(opinions_fts, rank) VALUES ('integrity-check', 1)")
                    .execute(c)?;
                Ok(())
            })
            .await
            .expect("the full-text index matches the opinions it holds");
    }
}

async fn search_finds_opinions_the_worker_has_not_indexed_yet(backend: Backend) {
    let app = spawn_app(backend).await;
    app.stop_worker().await;
    let analyst = signed_in(&app, "analyst1", Role::Analyst).await;
    let audit = opinion(&app, "Please define the zebrafish audit interval; 監査頻度を明確にしてください。").await;
    let other = opinion(&app, "Nothing to do with it.").await;

    // Not indexed: found by reading the text, and the page says the index is behind.
    assert_eq!(app.count("search_backlog").await, 2);
    assert_eq!(search(&analyst, "zebrafish").await, (vec![audit], true));
    assert_eq!(search(&analyst, "監査頻度").await, (vec![audit], true));

    // Indexed: the same answers, and the notice is gone.
    assert_eq!(index(&app).await, 2);
    assert_eq!(app.count("search_backlog").await, 0);
    assert_eq!(search(&analyst, "zebrafish").await, (vec![audit], false));
    assert_eq!(search(&analyst, "監査頻度").await, (vec![audit], false));
    assert_eq!(search(&analyst, "Nothing to do").await, (vec![other], false));

    // A corrected text is found by its new words only, indexed or not.
    set_body(&app, audit, "The quokka clause needs work.").await;
    assert_eq!(search(&analyst, "quokka").await, (vec![audit], false));
    assert_eq!(search(&analyst, "zebrafish").await, (vec![], false));
    let late = opinion(&app, "An axolotl remark.").await;
    set_body(&app, late, "A narwhal remark.").await;
    assert_eq!(search(&analyst, "narwhal").await, (vec![late], true));
    assert_eq!(search(&analyst, "axolotl").await, (vec![], true));
    assert_eq!(index(&app).await, 1);
    assert_eq!(search(&analyst, "narwhal").await, (vec![late], false));
    assert_eq!(search(&analyst, "axolotl").await, (vec![], false));
    index_is_consistent(&app).await;
}

async fn the_worker_indexes_new_opinions(backend: Backend) {
    let app = spawn_app(backend).await;
    let analyst = signed_in(&app, "analyst1", Role::Analyst).await;
    let id = opinion(&app, "A remark on the pangolin requirement.").await;
    let mut waited = 0;
    while app.count("search_backlog").await > 0 {
        assert!(waited < 400, "the worker did not index the new opinion");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        waited += 1;
    }
    assert_eq!(search(&analyst, "pangolin").await, (vec![id], false));
    index_is_consistent(&app).await;
}

on_both_backends!(search_finds_opinions_the_worker_has_not_indexed_yet, the_worker_indexes_new_opinions);
