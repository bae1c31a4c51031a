use gemba::domain::user::Role;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{PASSWORD, Tokens, assert_problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn login_returns_a_bearer_pair_that_works() {
    let app = spawn_app().await;
    app.seed_user("kim@factory.example", Role::Inspector).await;
    let res = app.login("KIM@Factory.example", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(body["refresh_token"].as_str().unwrap().len() >= 43);
    let res = app
        .get("/api/v1/users/me", body["access_token"].as_str())
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["email"], "kim@factory.example");
}

#[tokio::test]
async fn unknown_email_and_wrong_password_are_the_same_401() {
    let app = spawn_app().await;
    app.seed_user("kim@factory.example", Role::Inspector).await;
    let a = app.login("nobody@factory.example", PASSWORD).await;
    assert!(
        a.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let mut a = assert_problem(a, StatusCode::UNAUTHORIZED).await;
    let mut b = assert_problem(
        app.login("kim@factory.example", "wrong password").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    for body in [&mut a, &mut b] {
        body.as_object_mut().unwrap().remove("request_id");
    }
    assert_eq!(a, b);
}

#[tokio::test]
async fn oauth2_password_form_works_for_the_docs_authorize_button() {
    let app = spawn_app().await;
    app.seed_user("kim@factory.example", Role::Viewer).await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", "kim@factory.example"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    let res = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("username", "kim@factory.example"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    app.seed_user("kim@factory.example", Role::Inspector).await;
    let first = app.tokens("kim@factory.example").await.refresh;

    let res = app.refresh(&first).await;
    assert_eq!(res.status(), StatusCode::OK);
    let second: Value = res.json().await.unwrap();
    let second = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(first, second);

    // The spent token comes back: theft assumed, the family dies.
    let res = app.refresh(&first).await;
    assert_problem(res, StatusCode::UNAUTHORIZED).await;
    let res = app.refresh(&second).await;
    assert_problem(res, StatusCode::UNAUTHORIZED).await;

    // Another login (another family) is unaffected.
    let other = app.tokens("kim@factory.example").await.refresh;
    let res = app.refresh(&other).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    app.seed_user("kim@factory.example", Role::Inspector).await;
    let refresh = app.tokens("kim@factory.example").await.refresh;
    let res = app.logout(&refresh).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.refresh(&refresh).await;
    assert_problem(res, StatusCode::UNAUTHORIZED).await;
    // Twice is harmless.
    let res = app.logout(&refresh).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn failed_logins_are_limited_per_account() {
    let app = spawn_app_with(|o| o.login_max_failures_per_account = Some(3)).await;
    app.seed_user("kim@factory.example", Role::Inspector).await;
    for _ in 0..3 {
        let res = app.login("kim@factory.example", "wrong password").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // Locked now, even with the right password.
    let res = app.login("kim@factory.example", PASSWORD).await;
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 900, "{retry}");
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS).await;
    // Other accounts are not affected by this one's lock.
    app.seed_user("lee@factory.example", Role::Inspector).await;
    assert_eq!(
        app.login("lee@factory.example", PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn failed_logins_are_limited_per_client_address() {
    let app = spawn_app_with(|o| o.login_max_failures_per_ip = Some(4)).await;
    app.seed_user("kim@factory.example", Role::Inspector).await;
    for i in 0..4 {
        let res = app
            .login(&format!("guess{i}@factory.example"), "wrong password")
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app.login("kim@factory.example", PASSWORD).await;
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS).await;
}

#[tokio::test]
async fn deactivated_users_cannot_log_in_or_use_their_tokens() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app.seed_user("kim@factory.example", Role::Inspector).await;
    let Tokens { access, refresh } = app.tokens("kim@factory.example").await;
    let res = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/users/{id}"),
            Some(&admin),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.login("kim@factory.example", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_problem(app.get_me(&access).await, StatusCode::UNAUTHORIZED).await;
    let res = app.refresh(&refresh).await;
    assert_problem(res, StatusCode::UNAUTHORIZED).await;
}
