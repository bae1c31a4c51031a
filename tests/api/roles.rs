//! The role matrix: every route × every role (and no token at all).

use std::collections::BTreeSet;

use gemba::domain::user::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

#[derive(Clone, Copy, Debug)]
enum Caller {
    Anonymous,
    As(Role),
}

const CALLERS: [Caller; 5] = [
    Caller::As(Role::Admin),
    Caller::As(Role::Manager),
    Caller::As(Role::Inspector),
    Caller::As(Role::Viewer),
    Caller::Anonymous,
];

/// (method, route template, expected status for admin, manager, inspector, viewer, anonymous)
fn matrix() -> Vec<(Method, &'static str, [u16; 5])> {
    vec![
        (Method::POST, "/api/v1/users", [201, 201, 403, 403, 401]),
        (Method::GET, "/api/v1/users", [200, 200, 403, 403, 401]),
        (Method::GET, "/api/v1/users/{id}", [200, 200, 403, 403, 401]),
        (
            Method::PATCH,
            "/api/v1/users/{id}",
            [200, 200, 403, 403, 401],
        ),
        (
            Method::DELETE,
            "/api/v1/users/{id}",
            [204, 204, 403, 403, 401],
        ),
        (Method::GET, "/api/v1/users/me", [200, 200, 200, 200, 401]),
        (Method::PATCH, "/api/v1/users/me", [200, 200, 200, 200, 401]),
        // A wrong current password keeps the callers' passwords intact.
        (
            Method::PUT,
            "/api/v1/users/me/password",
            [422, 422, 422, 422, 401],
        ),
        (
            Method::POST,
            "/api/v1/auth/login",
            [401, 401, 401, 401, 401],
        ),
        (
            Method::POST,
            "/api/v1/auth/token",
            [401, 401, 401, 401, 401],
        ),
        (
            Method::POST,
            "/api/v1/auth/refresh",
            [401, 401, 401, 401, 401],
        ),
        (
            Method::POST,
            "/api/v1/auth/logout",
            [204, 204, 204, 204, 204],
        ),
        (Method::GET, "/api/v1/countries", [200, 200, 200, 200, 401]),
        (
            Method::GET,
            "/api/v1/countries/{code}",
            [200, 200, 200, 200, 401],
        ),
        (Method::POST, "/api/v1/sites", [201, 403, 403, 403, 401]),
        (Method::GET, "/api/v1/sites", [200, 200, 200, 200, 401]),
        (Method::GET, "/api/v1/sites/{id}", [200, 200, 200, 200, 401]),
        (
            Method::PATCH,
            "/api/v1/sites/{id}",
            [200, 403, 403, 403, 401],
        ),
        (
            Method::DELETE,
            "/api/v1/sites/{id}",
            [204, 403, 403, 403, 401],
        ),
        (
            Method::GET,
            "/api/v1/sites/{id}/members",
            [200, 200, 403, 403, 401],
        ),
        (
            Method::PUT,
            "/api/v1/sites/{id}/members/{user_id}",
            [204, 204, 403, 403, 401],
        ),
        (
            Method::DELETE,
            "/api/v1/sites/{id}/members/{user_id}",
            [204, 204, 403, 403, 401],
        ),
        (Method::POST, "/api/v1/equipment", [201, 201, 403, 403, 401]),
        (Method::GET, "/api/v1/equipment", [200, 200, 200, 200, 401]),
        (
            Method::GET,
            "/api/v1/equipment/{id}",
            [200, 200, 200, 200, 401],
        ),
        (
            Method::PATCH,
            "/api/v1/equipment/{id}",
            [200, 200, 403, 403, 401],
        ),
        (
            Method::DELETE,
            "/api/v1/equipment/{id}",
            [204, 204, 403, 403, 401],
        ),
        (
            Method::GET,
            "/api/v1/audit-events",
            [200, 200, 403, 403, 401],
        ),
        (Method::POST, "/api/v1/plans", [201, 201, 403, 403, 401]),
        (Method::GET, "/api/v1/plans", [200, 200, 200, 200, 401]),
        (Method::GET, "/api/v1/plans/{id}", [200, 200, 200, 200, 401]),
        (
            Method::PATCH,
            "/api/v1/plans/{id}",
            [200, 200, 403, 403, 401],
        ),
        (
            Method::DELETE,
            "/api/v1/plans/{id}",
            [204, 204, 403, 403, 401],
        ),
        (
            Method::GET,
            "/api/v1/plans/{id}/occurrences",
            [200, 200, 200, 200, 401],
        ),
        (Method::GET, "/api/v1/schedules", [200, 200, 200, 200, 401]),
        (
            Method::PUT,
            "/api/v1/schedules/{id}/result",
            [201, 201, 201, 403, 401],
        ),
        (
            Method::GET,
            "/api/v1/schedules/{id}/result",
            [200, 200, 200, 200, 401],
        ),
        (
            Method::GET,
            "/api/v1/stats/summary",
            [200, 200, 200, 200, 401],
        ),
        (
            Method::GET,
            "/api/v1/stats/daily",
            [200, 200, 200, 200, 401],
        ),
        (
            Method::GET,
            "/api/v1/schedules/{id}",
            [200, 200, 200, 200, 401],
        ),
        (
            Method::PATCH,
            "/api/v1/schedules/{id}",
            [200, 200, 403, 403, 401],
        ),
        (
            Method::POST,
            "/api/v1/schedules/{id}/start",
            [200, 200, 200, 403, 401],
        ),
        (Method::POST, "/api/v1/reports", [202, 202, 403, 403, 401]),
        (Method::GET, "/api/v1/reports", [200, 200, 200, 200, 401]),
        (
            Method::GET,
            "/api/v1/reports/{id}",
            [200, 200, 200, 200, 401],
        ),
        (
            Method::GET,
            "/api/v1/reports/{id}/content",
            [200, 200, 200, 200, 401],
        ),
        (
            Method::POST,
            "/api/v1/schedules/{id}/attachments",
            [201, 201, 201, 403, 401],
        ),
        (
            Method::GET,
            "/api/v1/schedules/{id}/attachments",
            [200, 200, 200, 200, 401],
        ),
        (
            Method::GET,
            "/api/v1/attachments/{id}",
            [200, 200, 200, 200, 401],
        ),
        (
            Method::GET,
            "/api/v1/attachments/{id}/content",
            [200, 200, 200, 200, 401],
        ),
        // Inspectors delete only their own uploads (this one is the system's).
        (
            Method::DELETE,
            "/api/v1/attachments/{id}",
            [204, 204, 403, 403, 401],
        ),
        (Method::GET, "/health/live", [200, 200, 200, 200, 200]),
        (Method::GET, "/health/ready", [200, 200, 200, 200, 200]),
        (Method::GET, "/metrics", [200, 200, 200, 200, 200]),
    ]
}

async fn call(
    app: &TestApp,
    site: i64,
    method: &Method,
    route: &str,
    token: Option<&str>,
) -> StatusCode {
    let rb = |path: String| app.request(method.clone(), &path, token);
    let fresh_viewer = || async {
        let email = format!("target-{}@factory.example", uuid::Uuid::new_v4().simple());
        let id = app.seed_user(&email, Role::Viewer).await;
        // On the caller's site: managers manage the users of their sites.
        app.seed_member(site, id).await;
        id
    };
    // Fresh targets where a call would consume them (deletes), the shared
    // site (every caller is a member) otherwise.
    let id = match (route, method.clone()) {
        (r, _) if r.starts_with("/api/v1/users/{id}") => fresh_viewer().await,
        ("/api/v1/sites/{id}", Method::DELETE) => {
            app.seed_site(
                &format!("S{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
                "Asia/Seoul",
            )
            .await
        }
        (r, _) if r.starts_with("/api/v1/sites/{id}") => site,
        (r, _) if r.starts_with("/api/v1/plans/{id}") => app.seed_plan(site).await.plan_id,
        ("/api/v1/schedules/{id}/result", Method::GET) => {
            let id = app.seed_plan(site).await.schedule_id;
            let body = serde_json::from_value(
                json!({"values": {"oil_pressure": 12, "guard_closed": true}}),
            )
            .unwrap();
            let system = gemba::domain::auth::CurrentUser::system();
            gemba::services::results::submit(&app.state, &system, id, None, body)
                .await
                .unwrap();
            id
        }
        (r, _) if r.starts_with("/api/v1/schedules/{id}") => app.seed_plan(site).await.schedule_id,
        (r, _) if r.starts_with("/api/v1/reports/{id}") => {
            let body = crate::helpers::parse(json!({
                "kind": "schedules", "format": "csv", "site_id": site,
                "from": "2026-01-01T00:00:00Z", "to": "2027-01-01T00:00:00Z"}));
            let system = gemba::domain::auth::CurrentUser::system();
            let report = gemba::services::reports::create(&app.state, &system, body)
                .await
                .unwrap();
            while gemba::jobs::run_one(&app.state, "roles").await.unwrap() {}
            report.id
        }
        (r, _) if r.starts_with("/api/v1/attachments/{id}") => {
            let schedule = app.seed_plan(site).await.schedule_id;
            app.seed_attachment(schedule).await
        }
        (r, _) if r.starts_with("/api/v1/equipment/{id}") => {
            app.seed_equipment(
                site,
                &format!("E{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
                "A",
            )
            .await
        }
        _ => 0,
    };
    let user_id = if route.contains("{user_id}") {
        fresh_viewer().await
    } else {
        0
    };
    let path = route
        .replace("{id}", &id.to_string())
        .replace("{user_id}", &user_id.to_string())
        .replace("{code}", "KR")
        + if route.ends_with("/occurrences") || route.ends_with("/daily") {
            "?from=2026-12-01&to=2026-12-07"
        } else {
            ""
        };
    let unique = || uuid::Uuid::new_v4().simple().to_string();
    let req = match (method.clone(), route) {
        (Method::POST, "/api/v1/users") => rb(path).json(&json!({
            "email": format!("new-{}@factory.example", unique()),
            "name": "New", "role": "viewer", "password": "a good long password"})),
        (Method::POST, "/api/v1/sites") => rb(path).json(&json!({
            "code": format!("N{}", &unique()[..8]), "name": "New", "country_code": "VN", "timezone": "Asia/Ho_Chi_Minh"})),
        (Method::POST, "/api/v1/equipment") => rb(path).json(&json!({
            "site_id": site, "code": format!("N{}", &unique()[..8]), "name": "New", "line": "A", "kind": "press"})),
        (Method::POST, "/api/v1/plans") => {
            let eq = app.seed_equipment(site, &format!("N{}", &unique()[..8]), "A").await;
            rb(path).json(&crate::helpers::daily_plan(eq, "2026-12-01", "09:00"))
        }
        (Method::POST, "/api/v1/reports") => rb(path).json(&json!({
            "kind": "results", "format": "xlsx", "site_id": site,
            "from": "2026-01-01T00:00:00Z", "to": "2027-01-01T00:00:00Z"})),
        (Method::POST, "/api/v1/schedules/{id}/attachments") => {
            let part = reqwest::multipart::Part::bytes(crate::helpers::jpeg(&unique()))
                .file_name("matrix.jpg")
                .mime_str("image/jpeg")
                .unwrap();
            rb(path).multipart(reqwest::multipart::Form::new().part("file", part))
        }
        (Method::PATCH, "/api/v1/plans/{id}") => rb(path).header("if-match", "*").json(&json!({"title": "Renamed"})),
        (Method::PUT, "/api/v1/schedules/{id}/result") => {
            rb(path).json(&json!({"values": {"oil_pressure": 12, "guard_closed": true}}))
        }
        (Method::PATCH, "/api/v1/schedules/{id}") => rb(path).json(&json!({"assignee_id": null})),
        (Method::PATCH, _) => rb(path).json(&json!({"name": "Renamed"})),
        (Method::PUT, "/api/v1/users/me/password") => rb(path).json(&json!({"current_password": "not my password", "new_password": "another good one"})),
        (Method::POST, "/api/v1/auth/login") => rb(path).json(&json!({"email": nobody(), "password": "wrong password"})),
        (Method::POST, "/api/v1/auth/token") => rb(path).form(&[("username", nobody().as_str()), ("password", "wrong password")]),
        (Method::POST, r) if r.starts_with("/api/v1/auth/") => rb(path).json(&json!({"refresh_token": "not-a-token"})),
        _ => rb(path),
    };
    req.send().await.unwrap().status()
}

#[tokio::test]
async fn role_matrix_covers_every_route() {
    let app = spawn_app_with_generous_login_limits().await;
    let site = app.seed_site("MATRIX", "Asia/Seoul").await;
    let mut tokens = Vec::new();
    for caller in CALLERS {
        tokens.push(match caller {
            Caller::As(role) => Some(app.member(role, site).await.token),
            Caller::Anonymous => None,
        });
    }
    let mut failures = Vec::new();
    for (method, route, expected) in matrix() {
        for (i, caller) in CALLERS.iter().enumerate() {
            let got = call(&app, site, &method, route, tokens[i].as_deref()).await;
            if got.as_u16() != expected[i] {
                failures.push(format!(
                    "{method} {route} as {caller:?}: expected {}, got {got}",
                    expected[i]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");

    // The matrix lists every operation of the API.
    let spec: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    let mut documented = BTreeSet::new();
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            documented.insert(format!("{} {path}", method.to_uppercase()));
        }
    }
    let tested: BTreeSet<String> = matrix()
        .iter()
        .map(|(m, r, _)| format!("{m} {r}"))
        .collect();
    assert_eq!(documented, tested);
}

/// A different unknown account each time, so no account lock interferes.
fn nobody() -> String {
    format!("nobody-{}@factory.example", uuid::Uuid::new_v4().simple())
}

async fn spawn_app_with_generous_login_limits() -> TestApp {
    crate::helpers::spawn_app_with(|o| o.login_max_failures_per_ip = Some(1000)).await
}

#[tokio::test]
async fn spawn_app_is_isolated() {
    // Two apps never see each other's data.
    let a = spawn_app().await;
    let b = spawn_app().await;
    a.seed_user("only-in-a@factory.example", Role::Viewer).await;
    let admin_b = b.admin_token().await;
    let page: Value = b.list_users(&admin_b, "").await.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}
