use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn live_and_ready_answer_ok() {
    let app = spawn_app().await;
    for path in ["/health/live", "/health/ready"] {
        let res = app.get(path, None).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["status"], "ok");
    }
}

#[tokio::test]
async fn ready_is_503_when_the_database_is_gone_and_live_stays_up() {
    let app = spawn_app().await;
    app.state.db.get_database_backend();
    // Closing the pool is what an unreachable database looks like to gemba.
    app.state.db.clone().close().await.unwrap();
    let res = app.get("/health/ready", None).await;
    crate::helpers::assert_problem(res, StatusCode::SERVICE_UNAVAILABLE).await;
    let res = app.get("/health/live", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    // A request that needs the database is 503 too, not 500.
    let res = app
        .post_json(
            "/api/v1/auth/login",
            None,
            &serde_json::json!({"email": "a@factory.example", "password": "whatever1"}),
        )
        .await;
    crate::helpers::assert_problem(res, StatusCode::SERVICE_UNAVAILABLE).await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_show_the_pool() {
    let app = spawn_app().await;
    app.get("/health/live", None).await;
    app.get("/api/v1/users/123", None).await;
    let res = app.get("/metrics", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    assert!(
        text.contains(
            r#"gemba_http_requests_total{method="GET",route="/health/live",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"route="/api/v1/users/{id}",status="401"} 1"#),
        "{text}"
    );
    assert!(text.contains("gemba_http_request_duration_seconds_bucket"));
    assert!(text.contains("gemba_db_pool_connections_in_use"));
    assert!(text.contains("gemba_db_pool_connections_idle"));
    assert!(text.contains("gemba_database_up 1"), "{text}");
}

#[tokio::test]
async fn metrics_can_require_a_bearer_token() {
    let token = "metrics-scraper-token-2026";
    let app = crate::helpers::spawn_app_with(|o| o.metrics_token = Some(token.into())).await;
    for given in [None, Some("wrong-token-wrong-token"), Some("")] {
        let res = app.get("/metrics", given).await;
        assert_eq!(res.headers()["www-authenticate"], "Bearer realm=\"gemba\"");
        crate::helpers::assert_problem(res, StatusCode::UNAUTHORIZED).await;
    }
    let res = app.get("/metrics", Some(token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("gemba_http_requests_total")
    );
    // Health stays open to the load balancer.
    assert_eq!(
        app.get("/health/ready", None).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn docs_are_served_offline_with_the_spec() {
    let app = spawn_app().await;
    let res = app.get("/docs/", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger"), "{html}");
    // The UI's assets come from the binary, not a CDN.
    let res = app.get("/docs/swagger-ui-bundle.js", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().len() > 100_000);
    let res = app.get("/openapi.json", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let spec: Value = res.json().await.unwrap();
    assert!(spec["paths"]["/api/v1/users"]["post"].is_object());
}

#[tokio::test]
async fn request_id_is_honoured_or_generated() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "floor-scanner-42")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "floor-scanner-42");
    let res = app.get("/health/live", None).await;
    let id = res.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = crate::helpers::spawn_app_with(|o| {
        o.cors_origins = Some(vec!["https://console.factory.example".into()])
    })
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/users"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let res = preflight("https://console.factory.example").await.unwrap();
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://console.factory.example"
    );
    let res = preflight("https://evil.example").await.unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn ready_is_503_when_storage_is_unreachable() {
    // An S3 endpoint where nothing listens.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = crate::helpers::spawn_app_with(|o| {
        o.storage_url = Some("s3://nowhere".into());
        o.s3_endpoint = Some(format!("http://127.0.0.1:{port}"));
        o.s3_region = Some("garage".into());
        o.s3_access_key_id = Some("GKnone".into());
        o.s3_secret_access_key = Some("none".into());
    })
    .await;
    let res = app.get("/health/ready", None).await;
    crate::helpers::assert_problem(res, StatusCode::SERVICE_UNAVAILABLE).await;
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("gemba_storage_errors") && l.contains("operation=\"head\"")),
        "{metrics}"
    );
}
