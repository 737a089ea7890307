//! Campaigns: near-identical opinions found in the background, shown against their template,
//! corrected by staff (choices that survive re-clustering), worked on as one, and counted in
//! the published results.
use crate::helpers::{spawn_app_with, Backend, TestApp};
use crate::on_both_backends;
use crate::publication::wait_for_scans;
use crate::staff::{signed_in, StaffClient};
use crate::triage::{approve, new_item, opinion_ids, publish, submit};
use chrono::{TimeZone, Utc};
use pubcom::domain::staff::Role;
use serde_json::json;

const JA: &str = "中小クラウド事業者の参入障壁とならないよう、登録手数料と監査費用の上限を定めてください。\
                  特に地方の事業者にとって、現行案の費用負担は過大です。";
const EN: &str =
    "Please publish the list of registered cloud services in a machine-readable form, updated every month, \
                  so that procurement officers can rely on it.";

pub async fn app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |s| s.rate_limit.submissions_per_minute = 0).await
}

/// Waits until every queued fingerprint and re-clustering has run.
pub async fn wait_for_campaigns(app: &TestApp) {
    use pubcom::db::jobs;
    for _ in 0..400 {
        let waiting = app
            .db
            .run(|c| Ok(jobs::waiting(c, jobs::FINGERPRINT)? + jobs::waiting(c, jobs::RECLUSTER)?))
            .await
            .unwrap();
        if waiting == 0 {
            // The job is taken before its work commits: give that commit a moment.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("campaign work did not finish");
}

/// Japanese and English campaigns, a quoting-but-distinct opinion and unrelated ones; returns
/// the opinion ids in the order sent.
pub async fn send_campaigns(app: &TestApp) -> Vec<i64> {
    let ja_variants = [
        JA.to_string(),
        JA.replace("定めてください", "設けてください"),
        JA.replace("特に", "とりわけ").replace("過大", "大きすぎ"),
        JA.replace("、", "").replace("。", "．"),
        format!("{JA}当社は従業員五名の小さな会社で、昨年ようやくクラウドサービスの提供を始めたところです。審査期間についても配慮をお願いします。"),
    ];
    for body in &ja_variants {
        submit(app, json!({"opinions": [{"draft": "basic-rules", "body": body}]})).await;
    }
    for body in [EN.to_string(), EN.replace("every month", "each month"), EN.to_uppercase()] {
        submit(app, json!({"opinions": [{"draft": "management-standards", "body": body}]})).await;
    }
    let quote = "登録手数料と監査費用の上限を定めてください、という声もありますが、私は監査の頻度を年一回に減らすことこそ重要だと考えます。\
                 管理基準の適用範囲も明確にしてください。国際規格との整合性も示すべきです。";
    submit(app, json!({"opinions": [{"draft": "basic-rules", "body": quote}]})).await;
    submit(
        app,
        json!({"opinions": [{"draft": "audit-guidelines", "body": "監査法人の登録要件を明確にしてください。"}]}),
    )
    .await;
    wait_for_campaigns(app).await;
    opinion_ids(app).await
}

/// (opinion id, cluster id, cluster size, has own text) per row of the staff export.
async fn export(c: &StaffClient) -> Vec<(i64, i64, usize, bool)> {
    let csv = c.get("/staff/c/ismap-2020/campaigns.csv").await.text().await.unwrap();
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with(
        "\"receipt_number\",\"opinion_id\",\"cluster_id\",\"cluster_size\",\"similarity_to_template\",\"has_own_text\""
    ));
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').map(|c| c.trim_matches('"')).collect();
            (cells[1].parse().unwrap(), cells[2].parse().unwrap(), cells[3].parse().unwrap(), cells[5] == "true")
        })
        .collect()
}

async fn campaigns_are_found_in_both_languages_and_quotes_stay_out(backend: Backend) {
    let app = app(backend).await;
    let ids = send_campaigns(&app).await;
    let analyst = signed_in(&app, "analyst", Role::Analyst).await;
    let rows = export(&analyst).await;
    let members = |cluster: i64| -> Vec<i64> { rows.iter().filter(|r| r.1 == cluster).map(|r| r.0).collect() };
    assert_eq!(members(ids[0]), ids[..5].to_vec(), "the Japanese campaign");
    assert_eq!(members(ids[5]), ids[5..8].to_vec(), "the English campaign");
    assert!(!rows.iter().any(|r| r.0 == ids[8]), "quoting a sentence is not joining a campaign");
    assert!(!rows.iter().any(|r| r.0 == ids[9]));
    let own: Vec<i64> = rows.iter().filter(|r| r.3).map(|r| r.0).collect();
    assert_eq!(own, vec![ids[4]], "only the one with a paragraph of its own");

    let list = analyst.get("/staff/c/ismap-2020/campaigns?lang=en").await.text().await.unwrap();
    assert!(list.contains("<span id=\"cluster-count\">2</span>"));
    let per_draft = analyst.get("/staff/c/ismap-2020/campaigns?draft=management-standards").await.text().await.unwrap();
    assert!(per_draft.contains("<span id=\"cluster-count\">1</span>"), "per draft");
    let page = analyst.get(&format!("/staff/c/ismap-2020/campaigns/{}?lang=en", ids[0])).await.text().await.unwrap();
    assert!(page.contains("<ins><span class=\"visually-hidden\">[added: </span>"), "additions marked in words too");
    assert!(page.contains("Has own text"));
    let own_only =
        analyst.get(&format!("/staff/c/ismap-2020/campaigns/{}?own=yes", ids[0])).await.text().await.unwrap();
    assert!(
        own_only.contains(&format!("id=\"member-{}\"", ids[4]))
            && !own_only.contains(&format!("id=\"member-{}\"", ids[1]))
    );
}

async fn staff_choices_survive_reclustering(backend: Backend) {
    let app = app(backend).await;
    let ids = send_campaigns(&app).await;
    let analyst = signed_in(&app, "analyst", Role::Analyst).await;
    let csrf = analyst.csrf().await;
    let detach = format!("/staff/c/ismap-2020/campaigns/{}/detach", ids[0]);
    let detached = ids[3].to_string();
    assert_eq!(analyst.post(&detach, &[("csrf", &csrf), ("opinion", &detached)]).await.status(), 303);
    let join = format!("/staff/c/ismap-2020/campaigns/{}/join", ids[0]);
    let other = ids[5].to_string();
    assert_eq!(analyst.post(&join, &[("csrf", &csrf), ("other", &other)]).await.status(), 303);
    let recluster = analyst.post("/staff/c/ismap-2020/campaigns/recluster", &[("csrf", &csrf)]).await;
    assert_eq!(recluster.status(), 303);
    wait_for_campaigns(&app).await;
    let rows = export(&analyst).await;
    assert!(!rows.iter().any(|r| r.0 == ids[3]), "still taken out");
    let clusters: std::collections::BTreeSet<i64> = rows.iter().map(|r| r.1).collect();
    assert_eq!(clusters.len(), 1, "still joined");
    assert_eq!(rows.len(), 7);
    let admin = signed_in(&app, "admin", Role::Admin).await;
    let audit = admin.get("/staff/audit").await.text().await.unwrap();
    assert!(audit.contains("cluster_detach") && audit.contains("cluster_join"));
}

async fn a_campaign_is_answered_once_and_counted_in_full(backend: Backend) {
    let app = app(backend).await;
    let ids = send_campaigns(&app).await;
    wait_for_scans(&app).await;
    app.clock.set(Utc.with_ymd_and_hms(2020, 5, 1, 3, 0, 0).unwrap());
    let analyst = signed_in(&app, "analyst", Role::Analyst).await;
    let approver = signed_in(&app, "approver", Role::Approver).await;
    let item = new_item(&analyst, "basic-rules", "We will set an upper limit.").await;
    let csrf = analyst.csrf().await;
    // Every member of the Japanese campaign, with the confirmation step.
    let cluster = ids[0].to_string();
    let item_s = item.to_string();
    let mut link =
        vec![("csrf", csrf.as_str()), ("scope", "all"), ("f_cluster", &cluster), ("action", "link"), ("item", &item_s)];
    let confirm = analyst.post("/staff/c/ismap-2020/opinions/bulk", &link).await;
    assert_eq!(confirm.status(), 200);
    assert!(confirm.text().await.unwrap().contains("(5)"));
    link.push(("confirmed", "yes"));
    assert_eq!(analyst.post("/staff/c/ismap-2020/opinions/bulk", &link).await.status(), 303);
    // The English campaign: duplicates of its template, the template answered.
    let en_item = new_item(&analyst, "management-standards", "We will publish the list.").await;
    let (template, en_item_s) = (ids[5].to_string(), en_item.to_string());
    let fields =
        [("csrf", csrf.as_str()), ("scope", "selected"), ("id", &template), ("action", "link"), ("item", &en_item_s)];
    assert_eq!(analyst.post("/staff/c/ismap-2020/opinions/bulk", &fields).await.status(), 303);
    let en_cluster = ids[5].to_string();
    let dupes = [
        ("csrf", csrf.as_str()),
        ("scope", "all"),
        ("f_cluster", &en_cluster),
        ("action", "state"),
        ("state", "duplicate"),
        ("duplicate_of", &template),
        ("confirmed", "yes"),
    ];
    assert_eq!(analyst.post("/staff/c/ismap-2020/opinions/bulk", &dupes).await.status(), 303);
    let states = analyst.get(&format!("/staff/opinions/{}?lang=en", ids[6])).await.text().await.unwrap();
    assert!(states.contains(&format!("#{}", ids[5])), "marked as a duplicate of the template");
    for rest in &ids[8..] {
        let csrf = analyst.csrf().await;
        let r = crate::triage::post_opinion(
            &analyst,
            *rest,
            &[("action", "state"), ("state", "out_of_scope"), ("reason", "other topic")],
        )
        .await;
        assert_eq!(r.status(), 303, "{csrf}");
    }
    approve(&approver, item).await;
    approve(&approver, en_item).await;
    assert_eq!(publish(&approver).await.status(), 303);
    let page = app.get("/c/ismap-2020/results?lang=ja").await.text().await.unwrap();
    assert!(page.contains("うち同趣旨 5件"), "counted as one campaign of five");
    let api: serde_json::Value = app.get("/api/v1/consultations/ismap-2020/results").await.json().await.unwrap();
    assert_eq!(api["totals"]["opinions"], 10);
    assert_eq!(api["totals"]["distinct"], 4, "two campaigns and two distinct opinions");
    let items = api["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["items"].as_array().unwrap().clone())
        .collect::<Vec<_>>();
    assert!(items.iter().any(|i| i["opinion_count"] == 5 && i["same_content"] == 5));
}

on_both_backends!(
    campaigns_are_found_in_both_languages_and_quotes_stay_out,
    staff_choices_survive_reclustering,
    a_campaign_is_answered_once_and_counted_in_full,
    a_stopping_worker_leaves_its_backlog_for_later,
);

/// A worker asked to stop finishes the pass it is in and leaves the rest of a backlog (here,
/// fingerprints) for the next start, instead of draining it first.
async fn a_stopping_worker_leaves_its_backlog_for_later(backend: Backend) {
    use pubcom::app::generate::{fill, Plan};
    use pubcom::clock::Clock;
    use pubcom::db::jobs;
    use std::sync::Arc;
    let database = crate::helpers::TestDatabase::new(backend);
    let settings = Arc::new(crate::helpers::test_settings(&database));
    let db = pubcom::startup::open_database(&settings).unwrap();
    let clock: Arc<dyn Clock> = Arc::new(pubcom::clock::SystemClock);
    let seed = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/consultations/ismap-2020.toml");
    pubcom::startup::import_files(&db, &[seed], clock.as_ref()).unwrap();
    let plan = Plan { opinions: 200, seed: 1, campaigns: 2, campaign_share: 0.5 };
    fill(&db, "ismap-2020", plan, clock.as_ref(), &mut |_| {}).unwrap();
    let now = clock.now();
    db.write(move |c| {
        let ids: Vec<i64> = {
            use diesel::prelude::*;
            use pubcom::db::schema::submissions;
            submissions::table.select(submissions::id).load(c)?
        };
        jobs::take(c, jobs::FINGERPRINT, 1_000)?; // the generator's: one job per batch
        for id in ids.iter().cycle().take(100) {
            jobs::queue(c, jobs::FINGERPRINT, &format!("[{id}]"), now)?;
        }
        Ok(())
    })
    .await
    .unwrap();
    let waiting = || db.run(|c| jobs::waiting(c, jobs::FINGERPRINT));
    let before = waiting().await.unwrap();
    let worker =
        pubcom::startup::build_worker(settings.clone(), db.clone(), clock, Default::default(), Default::default())
            .unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    stop.send(true).unwrap();
    worker.run(stopped).await;
    let after = waiting().await.unwrap();
    assert!(after < before, "the pass it was in is done ({before} → {after})");
    assert!(after > 0, "the rest waits for the next start");

    // A job naming more submissions than a pass takes is done in parts, none lost.
    let all = db
        .write(move |c| {
            jobs::take(c, jobs::FINGERPRINT, 1_000)?;
            use diesel::prelude::*;
            use pubcom::db::schema::{fingerprint_bands, fingerprints, opinions, submissions};
            diesel::delete(fingerprint_bands::table).execute(c)?;
            diesel::delete(fingerprints::table).execute(c)?;
            let ids: Vec<i64> = submissions::table.select(submissions::id).load(c)?;
            jobs::queue(c, jobs::FINGERPRINT, &serde_json::to_string(&ids).unwrap(), now)?;
            Ok(opinions::table.count().get_result::<i64>(c)?)
        })
        .await
        .unwrap();
    let mut passes = 0;
    while waiting().await.unwrap() > 0 {
        pubcom::app::campaigns::fingerprint_pending(&db, now).unwrap();
        passes += 1;
    }
    let stored: i64 = db
        .run(|c| {
            use diesel::prelude::*;
            Ok(pubcom::db::schema::fingerprints::table.count().get_result(c)?)
        })
        .await
        .unwrap();
    assert_eq!(stored, all, "every opinion fingerprinted");
    assert!(passes > 1, "in {passes} passes");
}
