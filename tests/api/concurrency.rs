//! The test that broke the FastAPI original: hundreds of concurrent mixed
//! requests sharing one token.

use gemba::domain::user::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, spawn_app_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_hundred_concurrent_mixed_requests_with_one_token() {
    let app = spawn_app_with(|o| o.login_max_failures_per_ip = Some(10_000)).await;
    let admin_email = "admin@factory.example";
    app.seed_user(admin_email, Role::Admin).await;
    let token = app.tokens(admin_email).await.access;
    let app = std::sync::Arc::new(app);

    let mut tasks = Vec::new();
    for i in 0..500 {
        let app = app.clone();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            match i % 5 {
                0 => {
                    let email = format!("worker{i}@factory.example");
                    let res = app
                        .create_user(&token, &json!({
                            "email": email, "name": format!("작업자 {i}"), "role": "inspector", "password": PASSWORD}))
                        .await;
                    let status = res.status();
                    let id = if status == StatusCode::CREATED {
                        res.json::<Value>().await.unwrap()["id"].as_i64()
                    } else {
                        None
                    };
                    ("create", status, id)
                }
                1 => ("login", app.login(admin_email, PASSWORD).await.status(), None),
                2 => ("me", app.get_me(&token).await.status(), None),
                3 => ("list", app.list_users(&token, "limit=100").await.status(), None),
                _ => ("ready", app.get("/health/ready", None).await.status(), None),
            }
        }));
    }
    let mut created = Vec::new();
    let mut server_errors = 0;
    let mut unexpected = Vec::new();
    for t in tasks {
        let (kind, status, id) = t.await.unwrap();
        if status.is_server_error() {
            server_errors += 1;
        }
        let expected = if kind == "create" {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        if status != expected {
            unexpected.push(format!("{kind}: {status}"));
        }
        created.extend(id);
    }
    println!(
        "concurrency: 500 requests on {}, {server_errors} 5xx, {} users created",
        app.state.db.get_database_backend().as_str(),
        created.len()
    );
    assert_eq!(server_errors, 0, "{unexpected:?}");
    assert!(unexpected.is_empty(), "{unexpected:?}");
    assert_eq!(created.len(), 100);
    for id in created {
        let res = app.get_user(&token, id).await;
        assert_eq!(res.status(), StatusCode::OK, "user {id} readable after");
    }
}
