//! The bad-input table: every kind of malformed, missing, oversized or
//! forbidden input gets the right status and an `application/problem+json` body.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gemba::domain::user::Role;
use jsonwebtoken::{EncodingKey, Header, encode};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Actor, JWT_SECRET, assert_problem, field_codes, spawn_app_with};

fn token_with(secret: &[u8], alg: jsonwebtoken::Algorithm, claims: &Value) -> String {
    encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret)).unwrap()
}

fn claims(sub: i64, exp_offset: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"sub": sub.to_string(), "role": "admin", "iat": now, "exp": now + exp_offset, "typ": "access", "iss": "gemba"})
}

#[tokio::test]
async fn bad_input_table() {
    let app = spawn_app_with(|o| o.body_limit_bytes = Some(16 * 1024)).await;
    let Actor {
        id: admin_id,
        token: admin,
    } = app.actor(Role::Admin).await;
    app.seed_user("other@factory.example", Role::Viewer).await;
    let refresh = app.tokens("other@factory.example").await.refresh;
    let users = "/api/v1/users";
    let valid = json!({"email": "new@factory.example", "name": "New", "role": "viewer", "password": "a good long password"});

    struct Case {
        name: &'static str,
        method: Method,
        path: String,
        token: Option<String>,
        content_type: Option<&'static str>,
        body: Option<Vec<u8>>,
        status: StatusCode,
        field: Option<(&'static str, &'static str)>,
    }
    let case = |name,
                method,
                path: &str,
                token: Option<&str>,
                content_type,
                body: Option<Vec<u8>>,
                status,
                field| Case {
        name,
        method,
        path: path.to_owned(),
        token: token.map(str::to_owned),
        content_type,
        body,
        status,
        field,
    };
    let json_ct = Some("application/json");
    let a = Some(admin.as_str());
    let expired = token_with(
        JWT_SECRET.as_bytes(),
        jsonwebtoken::Algorithm::HS256,
        &claims(admin_id, -3600),
    );
    let forged = token_with(
        b"somebody-elses-secret-of-32-bytes!!",
        jsonwebtoken::Algorithm::HS256,
        &claims(admin_id, 600),
    );
    let hs512 = token_with(
        JWT_SECRET.as_bytes(),
        jsonwebtoken::Algorithm::HS512,
        &claims(admin_id, 600),
    );
    let alg_none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims(admin_id, 600).to_string())
    );
    let wrong_type = token_with(JWT_SECRET.as_bytes(), jsonwebtoken::Algorithm::HS256, &{
        let mut c = claims(admin_id, 600);
        c["typ"] = json!("refresh");
        c
    });
    let cases = vec![
        case("malformed JSON", Method::POST, users, a, json_ct, Some(b"{\"email\":".to_vec()), StatusCode::BAD_REQUEST, None),
        case("trailing garbage", Method::POST, users, a, json_ct, Some(b"{} {}".to_vec()), StatusCode::BAD_REQUEST, None),
        case("wrong type", Method::POST, users, a, json_ct, Some(json!({"email": 5, "name": "x", "role": "viewer", "password": "a good long password"}).to_string().into_bytes()), StatusCode::UNPROCESSABLE_ENTITY, Some(("email", "invalid_type"))),
        case("missing field", Method::POST, users, a, json_ct, Some(json!({"email": "x@factory.example", "role": "viewer", "password": "a good long password"}).to_string().into_bytes()), StatusCode::UNPROCESSABLE_ENTITY, Some(("name", "required"))),
        case("unknown field", Method::POST, users, a, json_ct, Some(json!({"email": "x@factory.example", "name": "x", "role": "viewer", "password": "a good long password", "is_admin": true}).to_string().into_bytes()), StatusCode::UNPROCESSABLE_ENTITY, Some(("is_admin", "unknown_field"))),
        case("not an object", Method::POST, users, a, json_ct, Some(b"[1,2]".to_vec()), StatusCode::UNPROCESSABLE_ENTITY, Some(("body", "invalid_type"))),
        case("oversized body", Method::POST, users, a, json_ct, Some(format!("{{\"name\":\"{}\"}}", "x".repeat(20 * 1024)).into_bytes()), StatusCode::PAYLOAD_TOO_LARGE, None),
        case("wrong content type", Method::POST, users, a, Some("text/plain"), Some(valid.to_string().into_bytes()), StatusCode::UNSUPPORTED_MEDIA_TYPE, None),
        case("no content type", Method::POST, users, a, None, Some(valid.to_string().into_bytes()), StatusCode::UNSUPPORTED_MEDIA_TYPE, None),
        case("form to a JSON endpoint", Method::POST, "/api/v1/auth/login", None, Some("application/x-www-form-urlencoded"), Some(b"email=a&password=b".to_vec()), StatusCode::UNSUPPORTED_MEDIA_TYPE, None),
        case("JSON to the form endpoint", Method::POST, "/api/v1/auth/token", None, json_ct, Some(b"{}".to_vec()), StatusCode::UNSUPPORTED_MEDIA_TYPE, None),
        case("unknown route", Method::GET, "/api/v1/nothing-here", a, None, None, StatusCode::NOT_FOUND, None),
        case("unknown user", Method::GET, "/api/v1/users/424242", a, None, None, StatusCode::NOT_FOUND, None),
        case("wrong method", Method::PUT, users, a, json_ct, Some(b"{}".to_vec()), StatusCode::METHOD_NOT_ALLOWED, None),
        case("bad path parameter", Method::GET, "/api/v1/users/abc", a, None, None, StatusCode::BAD_REQUEST, None),
        case("bad query parameter", Method::GET, "/api/v1/users?limit=lots", a, None, None, StatusCode::BAD_REQUEST, None),
        case("unknown query parameter", Method::GET, "/api/v1/users?rol=admin", a, None, None, StatusCode::BAD_REQUEST, None),
        case("limit out of range", Method::GET, "/api/v1/users?limit=1000", a, None, None, StatusCode::UNPROCESSABLE_ENTITY, Some(("limit", "range"))),
        case("no token", Method::GET, users, None, None, None, StatusCode::UNAUTHORIZED, None),
        case("not a bearer token", Method::GET, users, None, None, None, StatusCode::UNAUTHORIZED, None),
        case("garbage token", Method::GET, users, Some("garbage"), None, None, StatusCode::UNAUTHORIZED, None),
        case("expired token", Method::GET, users, Some(&expired), None, None, StatusCode::UNAUTHORIZED, None),
        case("forged token", Method::GET, users, Some(&forged), None, None, StatusCode::UNAUTHORIZED, None),
        case("alg none token", Method::GET, users, Some(&alg_none), None, None, StatusCode::UNAUTHORIZED, None),
        case("other algorithm", Method::GET, users, Some(&hs512), None, None, StatusCode::UNAUTHORIZED, None),
        case("non-access token type", Method::GET, users, Some(&wrong_type), None, None, StatusCode::UNAUTHORIZED, None),
        case("refresh token as access token", Method::GET, users, Some(&refresh), None, None, StatusCode::UNAUTHORIZED, None),
    ];
    for c in cases {
        let mut rb = app.client.request(c.method.clone(), app.url(&c.path));
        if c.name == "not a bearer token" {
            rb = rb.header(
                "authorization",
                format!("Basic {}", URL_SAFE_NO_PAD.encode("a:b")),
            );
        } else if let Some(t) = &c.token {
            rb = rb.bearer_auth(t);
        }
        if let Some(ct) = c.content_type {
            rb = rb.header("content-type", ct);
        }
        if let Some(body) = c.body {
            rb = rb.body(body);
        }
        let res = rb.send().await.unwrap();
        assert_eq!(res.status(), c.status, "case `{}`", c.name);
        if c.status == StatusCode::UNAUTHORIZED {
            assert!(
                res.headers().contains_key("www-authenticate"),
                "case `{}`",
                c.name
            );
        }
        if c.status == StatusCode::METHOD_NOT_ALLOWED {
            assert!(res.headers().contains_key("allow"), "case `{}`", c.name);
        }
        let body = assert_problem(res, c.status).await;
        if let Some((field, code)) = c.field {
            assert_eq!(
                field_codes(&body),
                [(field.to_owned(), code.to_owned())],
                "case `{}`",
                c.name
            );
        }
    }
    // None of the rejected creates left a row behind.
    let page: Value = app.list_users(&admin, "").await.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn chunked_oversized_body_is_413_too() {
    let app = spawn_app_with(|o| o.body_limit_bytes = Some(1024)).await;
    let admin = app.actor(Role::Admin).await.token;
    // A streamed body has no Content-Length; the limit still applies while reading.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..64).map(|_| Ok(vec![b' '; 256])).collect();
    let body = reqwest::Body::wrap_stream(futures_util_stream(chunks));
    let res = app
        .client
        .post(app.url("/api/v1/users"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::PAYLOAD_TOO_LARGE).await;
}

fn futures_util_stream(
    chunks: Vec<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_core::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + Sync + 'static {
    tokio_stream::iter(chunks)
}

#[tokio::test]
async fn server_errors_say_nothing_internal() {
    let app = spawn_app_with(|_| {}).await;
    let admin = app.actor(Role::Admin).await.token;
    // Break the schema under the running service: the users table disappears.
    use sea_orm::ConnectionTrait;
    app.state
        .db
        .execute_unprepared("DROP TABLE refresh_tokens")
        .await
        .unwrap();
    let res = app
        .login("nobody@factory.example", "whatever password")
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = app.get_me(&admin).await;
    assert_eq!(res.status(), StatusCode::OK);
    let email = "again@factory.example";
    app.seed_user(email, Role::Viewer).await;
    let res = app.login(email, crate::helpers::PASSWORD).await;
    let body = assert_problem(res, StatusCode::INTERNAL_SERVER_ERROR).await;
    let text = body.to_string().to_lowercase();
    for leak in [
        "refresh_tokens",
        "sql",
        "table",
        "database",
        "sqlx",
        "relation",
    ] {
        assert!(!text.contains(leak), "5xx body leaks `{leak}`: {text}");
    }
}
