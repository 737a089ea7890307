//! Staff credentials: changing one's own password, reset links from an administrator, and
//! two-factor sign-in with real TOTP codes and recovery codes.
use crate::helpers::{form_token, spawn_app_with, Backend, TestApp};
use crate::on_both_backends;
use crate::staff::{add_user, signed_in, StaffClient, PASSWORD};
use pubcom::clock::Clock;
use pubcom::domain::staff::Role;
use pubcom::domain::two_factor::TotpSecret;

const NEW_PASSWORD: &str = "a fresh and longer pass phrase";

/// The CSRF token on a staff page (the account pages work before two-factor set-up).
async fn csrf_on(c: &StaffClient, path: &str) -> String {
    let html = c.get(path).await.text().await.unwrap();
    let start = html.find("name=\"csrf\" value=\"").expect("a staff form") + 19;
    html[start..].split('"').next().unwrap().to_string()
}

async fn audited(app: &TestApp, action: &'static str) -> i64 {
    app.db
        .run(move |c| {
            use diesel::prelude::*;
            use pubcom::db::schema::audit_log;
            Ok(audit_log::table.filter(audit_log::action.eq(action)).count().get_result(c)?)
        })
        .await
        .unwrap()
}

async fn sign_in_with_code(app: &TestApp, username: &str, password: &str, code: &str) -> reqwest::Response {
    let c = StaffClient::new(app);
    let html = c.get("/staff/sign-in?lang=en").await.text().await.unwrap();
    let token = form_token(&html);
    let fields = [
        ("token", token.as_str()),
        ("username", username),
        ("password", password),
        ("code", code),
        ("next", "/staff/"),
    ];
    c.client.post(format!("{}/staff/sign-in", c.base)).form(&fields).send().await.unwrap()
}

async fn a_password_is_changed_and_other_sessions_end(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let here = signed_in(&app, "hana", Role::Analyst).await;
    let elsewhere = StaffClient::new(&app);
    assert_eq!(elsewhere.sign_in("hana", PASSWORD).await.status(), 303);
    let change = |current: &'static str, new: &'static str, again: &'static str| {
        let here = &here;
        async move {
            let csrf = csrf_on(here, "/staff/account?lang=en").await;
            let fields = [
                ("csrf", csrf.as_str()),
                ("current_password", current),
                ("new_password", new),
                ("confirm_password", again),
            ];
            here.post("/staff/account/password?lang=en", &fields).await
        }
    };
    let wrong = change("not my password at all", NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(wrong.status(), 422);
    assert!(wrong.text().await.unwrap().contains("The current password is not right."));
    let differ = change(PASSWORD, NEW_PASSWORD, "something else entirely").await;
    assert!(differ.text().await.unwrap().contains("The new password and its confirmation differ."));
    let short = change(PASSWORD, "short", "short").await;
    assert!(short.text().await.unwrap().contains("Use at least 12 characters"));
    let done = change(PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("You are signed out everywhere else."));
    assert_eq!(here.get("/staff/").await.status(), 200, "this session goes on");
    assert_eq!(elsewhere.get("/staff/").await.status(), 303, "the other one ended");
    assert_eq!(StaffClient::new(&app).sign_in("hana", PASSWORD).await.status(), 401);
    assert_eq!(StaffClient::new(&app).sign_in("hana", NEW_PASSWORD).await.status(), 303);
    assert_eq!(audited(&app, "password_change").await, 1);
}

async fn a_reset_link_works_once_until_it_expires_and_ends_sessions(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let admin = signed_in(&app, "admin", Role::Admin).await;
    let taro = signed_in(&app, "taro", Role::Clerk).await;
    let issue = |id: String| {
        let admin = &admin;
        async move {
            let csrf = admin.csrf().await;
            let page = admin.post(&format!("/staff/users/{id}/password-reset?lang=en"), &[("csrf", &csrf)]).await;
            assert_eq!(page.status(), 200);
            let html = page.text().await.unwrap();
            let link = html.split("id=\"reset-link\">").nth(1).unwrap().split('<').next().unwrap().to_string();
            // The link names the public address; the test server listens elsewhere.
            format!("/staff/reset/{}", link.split("/staff/reset/").nth(1).unwrap())
        }
    };
    let taro_id: String =
        app.db.run(|c| Ok(pubcom::db::staff::find_by_username(c, "taro")?.unwrap().id.to_string())).await.unwrap();
    let users = admin.get("/staff/users").await.text().await.unwrap();
    assert!(users.contains(&format!("action=\"/staff/users/{taro_id}/password-reset\"")), "offered per account");
    let link = issue(taro_id.clone()).await;
    assert!(link.starts_with("/staff/reset/"), "{link}");
    assert_eq!(taro.get("/staff/").await.status(), 303, "issuing a link ends the account's sessions");

    let person = StaffClient::new(&app);
    let form = person.get(&format!("{link}?lang=en")).await;
    assert_eq!(form.status(), 200);
    let html = form.text().await.unwrap();
    assert!(html.contains("taro"), "the page names the account");
    let token = form_token(&html);
    let set = |new: &'static str, again: &'static str| {
        let (person, link, token) = (&person, link.clone(), token.clone());
        async move {
            let fields = [("token", token.as_str()), ("new_password", new), ("confirm_password", again)];
            person.post(&format!("{link}?lang=en"), &fields).await
        }
    };
    let differ = set(NEW_PASSWORD, "not the same one at all").await;
    assert_eq!(differ.status(), 422);
    let done = set(NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("Your new password is set."));
    let again = set("yet another pass phrase", "yet another pass phrase").await;
    assert_eq!(again.status(), 410);
    assert!(again.text().await.unwrap().contains("already been used"));
    assert_eq!(StaffClient::new(&app).sign_in("taro", NEW_PASSWORD).await.status(), 303);

    let late = issue(taro_id).await;
    app.clock.advance(chrono::Duration::hours(25));
    let expired = StaffClient::new(&app).get(&format!("{late}?lang=en")).await;
    assert_eq!(expired.status(), 410);
    assert!(expired.text().await.unwrap().contains("has expired"));
    assert_eq!(StaffClient::new(&app).get("/staff/reset/not-a-real-token").await.status(), 410);
    assert_eq!(audited(&app, "password_reset_issue").await, 2);
    assert_eq!(audited(&app, "password_reset").await, 1);
}

async fn two_factor_sign_in_with_codes_and_recovery_codes(backend: Backend) {
    // The production default: approvers and administrators must use a second factor.
    let app = spawn_app_with(backend, |s| s.staff.two_factor_roles = vec![Role::Approver, Role::Admin]).await;
    add_user(&app, "aki", Role::Approver).await;
    let aki = StaffClient::new(&app);
    let first = aki.sign_in("aki", PASSWORD).await;
    assert_eq!(first.status(), 303);
    assert_eq!(first.headers()["location"], "/staff/account/two-factor", "set up first");
    let elsewhere = aki.get("/staff/c/ismap-2020/publish").await;
    assert_eq!(elsewhere.status(), 303, "no other page without the second factor");
    assert_eq!(elsewhere.headers()["location"], "/staff/account/two-factor");

    let page = aki.get("/staff/account/two-factor?lang=en").await.text().await.unwrap();
    assert!(page.contains("<svg") && page.contains("QR code for your authenticator app"), "a QR code as SVG");
    let key: String = page.split("id=\"totp-key\">").nth(1).unwrap().split('<').next().unwrap().replace(' ', "");
    let secret = TotpSecret::parse(&key).expect("the key shown is the secret, in base32");
    let csrf = csrf_on(&aki, "/staff/account/two-factor").await;
    let wrong = aki.post("/staff/account/two-factor?lang=en", &[("csrf", &csrf), ("code", "000000")]).await;
    assert_eq!(wrong.status(), 422);
    let code = secret.code_at(app.clock.now());
    let codes_page = aki.post("/staff/account/two-factor", &[("csrf", &csrf), ("code", &code)]).await;
    assert_eq!(codes_page.status(), 200);
    let html = codes_page.text().await.unwrap();
    let recovery: Vec<String> =
        html.split("<li><code>").skip(1).map(|s| s.split('<').next().unwrap().to_string()).collect();
    assert_eq!(recovery.len(), 10, "ten recovery codes, shown once");
    assert_eq!(aki.get("/staff/").await.status(), 200, "set up: the workspace opens");

    let needed = sign_in_with_code(&app, "aki", PASSWORD, "").await;
    assert_eq!(needed.status(), 401, "the password alone is refused");
    assert!(needed.text().await.unwrap().contains("type the code from your app"));
    assert_eq!(sign_in_with_code(&app, "aki", PASSWORD, &code).await.status(), 401, "a code works once");
    app.clock.advance(chrono::Duration::seconds(30));
    let next = secret.code_at(app.clock.now());
    let signed = sign_in_with_code(&app, "aki", PASSWORD, &next).await;
    assert_eq!(signed.status(), 303);
    assert_eq!(signed.headers()["location"], "/staff/");
    assert_eq!(sign_in_with_code(&app, "aki", "a wrong pass phrase here", &next).await.status(), 401);

    let spare = &recovery[3];
    assert_eq!(sign_in_with_code(&app, "aki", PASSWORD, &spare.to_uppercase()).await.status(), 303, "a recovery code");
    assert_eq!(sign_in_with_code(&app, "aki", PASSWORD, spare).await.status(), 401, "used up");
    let account = aki.get("/staff/account?lang=en").await.text().await.unwrap();
    assert!(account.contains("<dd>9</dd>"), "nine recovery codes left");
    assert_eq!(audited(&app, "two_factor_enable").await, 1);
    assert_eq!(audited(&app, "two_factor_recovery_use").await, 1);
}

on_both_backends!(
    a_password_is_changed_and_other_sessions_end,
    a_reset_link_works_once_until_it_expires_and_ends_sessions,
    two_factor_sign_in_with_codes_and_recovery_codes,
);
