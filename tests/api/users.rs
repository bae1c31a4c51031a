use gemba::domain::user::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    Actor, PASSWORD, Tokens, assert_problem, field_codes, json_body, spawn_app, spawn_app_with,
};

fn new_user(email: &str, role: &str) -> Value {
    json!({"email": email, "name": "박지훈", "role": role, "password": "공장 점검 비밀번호"})
}

#[tokio::test]
async fn create_user_returns_201_location_and_no_password() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let res = app
        .create_user(&admin, &new_user("Park@Factory.Example", "inspector"))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let raw = res.text().await.unwrap();
    assert!(!raw.contains("password"), "{raw}");
    assert!(!raw.contains("argon2"), "{raw}");
    let body: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(body["email"], "park@factory.example");
    assert_eq!(body["name"], "박지훈");
    assert_eq!(body["role"], "inspector");
    assert_eq!(body["is_active"], true);
    assert_eq!(location, format!("/api/v1/users/{}", body["id"]));
    // Readable at its Location, and the new user can log in.
    let res = app.get(&location, Some(&admin)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.login("park@factory.example", "공장 점검 비밀번호")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn duplicate_email_is_409_whatever_the_case() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let res = app
        .create_user(&admin, &new_user("park@factory.example", "viewer"))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .create_user(&admin, &new_user("PARK@factory.example", "viewer"))
        .await;
    let body = assert_problem(res, StatusCode::CONFLICT).await;
    assert!(body["detail"].as_str().unwrap().contains("e-mail"));
}

#[tokio::test]
async fn every_invalid_field_is_reported_at_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let body =
        json!({"email": "not-an-email", "name": "  ", "role": "viewer", "password": "short"});
    let res = app.create_user(&admin, &body).await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        field_codes(&body),
        [
            ("email".to_owned(), "invalid_email".to_owned()),
            ("name".to_owned(), "blank".to_owned()),
            ("password".to_owned(), "too_short".to_owned()),
        ]
    );
    let cases = [
        (
            json!({"email": "a@factory.example", "name": "A", "role": "viewer", "password": "a@factory.example"}),
            "password",
            "same_as_email",
        ),
        (
            json!({"email": "a@factory.example", "name": "A", "role": "viewer", "password": "Password123"}),
            "password",
            "common_password",
        ),
        (
            json!({"email": "a@factory.example", "name": "A", "role": "viewer", "password": "x".repeat(129)}),
            "password",
            "too_long",
        ),
        (
            json!({"email": "a@factory.example", "name": "A".repeat(101), "role": "viewer", "password": PASSWORD}),
            "name",
            "length",
        ),
        (
            json!({"email": format!("{}@factory.example", "a".repeat(250)), "name": "A", "role": "viewer", "password": PASSWORD}),
            "email",
            "too_long",
        ),
        (
            json!({"email": "a@factory.example", "name": "A", "role": "owner", "password": PASSWORD}),
            "role",
            "invalid_type",
        ),
    ];
    for (body, field, code) in cases {
        let res = app.create_user(&admin, &body).await;
        let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(
            field_codes(&problem),
            [(field.to_owned(), code.to_owned())],
            "{body}"
        );
    }
    // Nothing was written by any of them.
    let res = app.list_users(&admin, "").await;
    let page: Value = res.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn email_domain_policy_from_config() {
    let app = spawn_app_with(|o| {
        o.email_allowed_domains = Some(vec!["factory.example".into()]);
        o.email_denied_domains = Some(vec!["contractor.factory.example".into()]);
    })
    .await;
    let admin = app.admin_token().await;
    let res = app
        .create_user(&admin, &new_user("a@gmail.com", "viewer"))
        .await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        field_codes(&body),
        [("email".to_owned(), "domain_not_allowed".to_owned())]
    );
    let res = app
        .create_user(&admin, &new_user("b@contractor.factory.example", "viewer"))
        .await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        field_codes(&body),
        [("email".to_owned(), "domain_denied".to_owned())]
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("contractor.factory.example")
    );
    let res = app
        .create_user(&admin, &new_user("c@kr.factory.example", "viewer"))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn managers_create_only_floor_roles() {
    let app = spawn_app().await;
    let manager = app.actor(Role::Manager).await.token;
    let res = app
        .create_user(&manager, &new_user("i@factory.example", "inspector"))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    for role in ["admin", "manager"] {
        let res = app
            .create_user(
                &manager,
                &new_user(&format!("{role}@factory.example"), role),
            )
            .await;
        assert_problem(res, StatusCode::FORBIDDEN).await;
    }
}

#[tokio::test]
async fn list_pages_and_filters() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for i in 0..5 {
        app.seed_user(&format!("i{i}@factory.example"), Role::Inspector)
            .await;
    }
    app.seed_user("v@factory.example", Role::Viewer).await;
    let mut seen = Vec::new();
    let mut path = "/api/v1/users?role=inspector&limit=2".to_owned();
    loop {
        let page: Value = app.get(&path, Some(&admin)).await.json().await.unwrap();
        for u in page["items"].as_array().unwrap() {
            assert_eq!(u["role"], "inspector");
            seen.push(u["email"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/users?role=inspector&limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        (0..5)
            .map(|i| format!("i{i}@factory.example"))
            .collect::<Vec<_>>()
    );
    let page: Value = app
        .list_users(&admin, "active=false")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
    let res = app.list_users(&admin, "limit=0").await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let res = app.list_users(&admin, "cursor=!!").await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
}

#[tokio::test]
async fn patch_and_delete_users() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app.seed_user("kim@factory.example", Role::Inspector).await;
    let res = app
        .update_user(&admin, id, &json!({"name": "김민준", "role": "manager"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let user = json_body(res).await;
    assert_eq!(user["name"], "김민준");
    assert_eq!(user["role"], "manager");
    // Email uniqueness holds on update too.
    app.seed_user("lee@factory.example", Role::Viewer).await;
    let res = app
        .update_user(&admin, id, &json!({"email": "LEE@factory.example"}))
        .await;
    assert_problem(res, StatusCode::CONFLICT).await;
    let res = app
        .update_user(&admin, 999_999, &json!({"name": "x"}))
        .await;
    assert_problem(res, StatusCode::NOT_FOUND).await;

    // Delete deactivates: the user stays readable and listed as inactive,
    // cannot log in, and a PATCH brings them back.
    assert_eq!(
        app.delete_user(&admin, id).await.status(),
        StatusCode::NO_CONTENT
    );
    let user = json_body(app.get_user(&admin, id).await).await;
    assert_eq!(user["is_active"], false);
    let inactive = json_body(app.get("/api/v1/users?active=false", Some(&admin)).await).await;
    assert!(
        inactive["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == id),
        "{inactive}"
    );
    let res = app.login("kim@factory.example", PASSWORD).await;
    assert_problem(res, StatusCode::UNAUTHORIZED).await;
    let res = app
        .update_user(&admin, id, &json!({"is_active": true}))
        .await;
    assert_eq!(json_body(res).await["is_active"], true);
    assert_eq!(
        app.login("kim@factory.example", PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn nobody_removes_or_demotes_themself_so_an_admin_remains() {
    let app = spawn_app().await;
    let Actor { id, token: admin } = app.actor(Role::Admin).await;
    let res = app.delete_user(&admin, id).await;
    assert_problem(res, StatusCode::CONFLICT).await;
    let res = app
        .update_user(&admin, id, &json!({"role": "viewer"}))
        .await;
    assert_problem(res, StatusCode::CONFLICT).await;
    let me = json_body(app.get_me(&admin).await).await;
    assert_eq!(
        (me["role"].as_str(), me["is_active"].as_bool()),
        (Some("admin"), Some(true))
    );
    // Renaming oneself is fine; another admin may demote and deactivate.
    let res = app
        .update_user(&admin, id, &json!({"name": "관리자"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let other = app.actor(Role::Admin).await.token;
    let res = app
        .update_user(&other, id, &json!({"role": "manager"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.delete_user(&other, id).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn managers_see_only_the_users_of_their_sites() {
    let app = spawn_app().await;
    let (own, other) = (
        app.seed_site("KR-OWN", "Asia/Seoul").await,
        app.seed_site("KR-OTHER", "Asia/Seoul").await,
    );
    let manager = app.member(Role::Manager, own).await;
    let colleague = app
        .seed_user("colleague@factory.example", Role::Inspector)
        .await;
    app.seed_member(own, colleague).await;
    let stranger = app
        .seed_user("stranger@factory.example", Role::Inspector)
        .await;
    app.seed_member(other, stranger).await;
    let unplaced = app
        .seed_user("unplaced@factory.example", Role::Inspector)
        .await;

    let res = app.list_users(&manager.token, "").await;
    assert_eq!(res.status(), StatusCode::OK);
    let ids: Vec<i64> = json_body(res).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [manager.id, colleague]);
    for id in [stranger, unplaced] {
        assert_problem(
            app.get_user(&manager.token, id).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let res = app
            .update_user(&manager.token, id, &json!({"name": "x"}))
            .await;
        assert_problem(res, StatusCode::NOT_FOUND).await;
        assert_problem(
            app.delete_user(&manager.token, id).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    assert_eq!(
        app.get_user(&manager.token, colleague).await.status(),
        StatusCode::OK
    );
    // Once placed on the manager's site, the new user is theirs to manage.
    app.seed_member(own, unplaced).await;
    let res = app
        .update_user(&manager.token, unplaced, &json!({"name": "현장 점검자"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // Admins see everyone.
    let admin = app.admin_token().await;
    let res = app.list_users(&admin, "").await;
    assert_eq!(json_body(res).await["items"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn managers_cannot_touch_admins() {
    let app = spawn_app().await;
    let site = app.seed_site("KR-A", "Asia/Seoul").await;
    let admin_id = app.seed_user("root@factory.example", Role::Admin).await;
    app.seed_member(site, admin_id).await;
    let manager = app.member(Role::Manager, site).await.token;
    let res = app
        .update_user(&manager, admin_id, &json!({"name": "x"}))
        .await;
    assert_problem(res, StatusCode::FORBIDDEN).await;
    let inspector = app.seed_user("i@factory.example", Role::Inspector).await;
    app.seed_member(site, inspector).await;
    let res = app
        .update_user(&manager, inspector, &json!({"role": "admin"}))
        .await;
    assert_problem(res, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn me_and_password_change() {
    let app = spawn_app().await;
    app.seed_user("kim@factory.example", Role::Inspector).await;
    let Tokens {
        access: token,
        refresh,
    } = app.tokens("kim@factory.example").await;
    let res = app.update_me(&token, &json!({"name": "김 반장"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["name"], "김 반장");
    // Users cannot raise their own role through /me.
    let res = app.update_me(&token, &json!({"role": "admin"})).await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        field_codes(&body),
        [("role".to_owned(), "unknown_field".to_owned())]
    );

    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let res = app
        .change_password(&token, &change("wrong one!", "a brand new secret"))
        .await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        field_codes(&body),
        [("current_password".to_owned(), "incorrect".to_owned())]
    );
    let res = app
        .change_password(&token, &change(PASSWORD, "short"))
        .await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        field_codes(&body),
        [("new_password".to_owned(), "too_short".to_owned())]
    );
    let res = app
        .change_password(&token, &change(PASSWORD, "a brand new secret"))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.login("kim@factory.example", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("kim@factory.example", "a brand new secret")
            .await
            .status(),
        StatusCode::OK
    );
    // Other sessions ended.
    let res = app.refresh(&refresh).await;
    assert_problem(res, StatusCode::UNAUTHORIZED).await;
}
