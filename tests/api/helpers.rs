use gemba::config::{Settings, SettingsOverrides};
use gemba::domain::field::{Checked, from_value};
use gemba::domain::user::Role;
use gemba::startup::Application;
use gemba::state::AppState;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

pub const PASSWORD: &str = "correct horse battery";
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret!";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    _dir: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(customize: impl FnOnce(&mut SettingsOverrides)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut o = SettingsOverrides {
        bind: Some("127.0.0.1:0".parse().unwrap()),
        data_dir: Some(dir.path().to_path_buf()),
        database_url: Some(crate::common::fresh_database_url(dir.path()).await),
        jwt_secret: Some(JWT_SECRET.into()),
        // Tests drive the scheduler themselves (services::generation::run_once)
        // and the jobs (jobs::run_one), unless a test starts workers.
        scheduler_interval_secs: Some(0),
        job_workers: Some(0),
        ..Default::default()
    };
    if crate::common::storage_on_s3() {
        crate::common::TestS3::from_env("GEMBA_TEST_STORAGE=s3")
            .expect("GEMBA_TEST_STORAGE=s3 needs GEMBA_TEST_S3_*")
            .apply(&mut o);
    }
    customize(&mut o);
    let settings = Settings::load(&o).unwrap();
    let app = Application::build(settings).await.expect("the app builds");
    let base = format!("http://{}", app.local_addr());
    let state = app.state.clone();
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp {
        base,
        client: {
            gemba::storage::install_crypto_provider();
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap()
        },
        state,
        _dir: dir,
    }
}

/// Someone who uses the API: their user id and an access token.
pub struct Actor {
    pub id: i64,
    pub token: String,
}

/// The tokens a login returns.
pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

/// A plan seeded through the service, with its first schedule.
pub struct SeededPlan {
    pub plan_id: i64,
    pub schedule_id: i64,
}

/// What a request cost in SQL statements, and its response.
pub struct Counted {
    pub statements: u64,
    pub response: Response,
}

/// The Unicode file name of an RFC 8187 `filename*=UTF-8''…` parameter.
pub fn utf8_file_name(disposition: &str) -> String {
    let encoded = disposition.split("filename*=UTF-8''").nth(1).unwrap();
    percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

/// The body of a response as JSON.
pub async fn json_body(res: Response) -> Value {
    res.json().await.expect("a JSON body")
}

impl TestApp {
    // --- plain HTTP, for tests of the HTTP surface itself ---

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let mut rb = self.client.request(method, self.url(path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        rb
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token).send().await.unwrap()
    }

    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Response {
        self.request(method, path, token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.send_json(Method::POST, path, token, body).await
    }

    async fn send(&self, method: Method, path: &str, token: &str) -> Response {
        self.request(method, path, Some(token))
            .send()
            .await
            .unwrap()
    }

    // --- the API, one helper per operation ---

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/api/v1/auth/login",
            None,
            &json!({"email": email, "password": password}),
        )
        .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.post_json(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": refresh_token}),
        )
        .await
    }

    pub async fn logout(&self, refresh_token: &str) -> Response {
        self.post_json(
            "/api/v1/auth/logout",
            None,
            &json!({"refresh_token": refresh_token}),
        )
        .await
    }

    pub async fn list_users(&self, token: &str, query: &str) -> Response {
        self.get(&format!("/api/v1/users?{query}"), Some(token))
            .await
    }

    pub async fn create_user(&self, token: &str, user: &Value) -> Response {
        self.post_json("/api/v1/users", Some(token), user).await
    }

    pub async fn get_user(&self, token: &str, id: i64) -> Response {
        self.get(&format!("/api/v1/users/{id}"), Some(token)).await
    }

    pub async fn update_user(&self, token: &str, id: i64, patch: &Value) -> Response {
        self.send_json(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(token),
            patch,
        )
        .await
    }

    pub async fn delete_user(&self, token: &str, id: i64) -> Response {
        self.send(Method::DELETE, &format!("/api/v1/users/{id}"), token)
            .await
    }

    pub async fn get_me(&self, token: &str) -> Response {
        self.get("/api/v1/users/me", Some(token)).await
    }

    pub async fn update_me(&self, token: &str, patch: &Value) -> Response {
        self.send_json(Method::PATCH, "/api/v1/users/me", Some(token), patch)
            .await
    }

    pub async fn change_password(&self, token: &str, change: &Value) -> Response {
        self.send_json(
            Method::PUT,
            "/api/v1/users/me/password",
            Some(token),
            change,
        )
        .await
    }

    pub async fn list_sites(&self, token: &str, query: &str) -> Response {
        self.get(&format!("/api/v1/sites?{query}"), Some(token))
            .await
    }

    pub async fn create_site(&self, token: &str, site: &Value) -> Response {
        self.post_json("/api/v1/sites", Some(token), site).await
    }

    pub async fn get_site(&self, token: &str, id: i64) -> Response {
        self.get(&format!("/api/v1/sites/{id}"), Some(token)).await
    }

    pub async fn update_site(&self, token: &str, id: i64, patch: &Value) -> Response {
        self.send_json(
            Method::PATCH,
            &format!("/api/v1/sites/{id}"),
            Some(token),
            patch,
        )
        .await
    }

    pub async fn delete_site(&self, token: &str, id: i64) -> Response {
        self.send(Method::DELETE, &format!("/api/v1/sites/{id}"), token)
            .await
    }

    pub async fn list_site_members(&self, token: &str, site: i64) -> Response {
        self.get(&format!("/api/v1/sites/{site}/members"), Some(token))
            .await
    }

    pub async fn add_site_member(&self, token: &str, site: i64, user: i64) -> Response {
        self.send(
            Method::PUT,
            &format!("/api/v1/sites/{site}/members/{user}"),
            token,
        )
        .await
    }

    pub async fn remove_site_member(&self, token: &str, site: i64, user: i64) -> Response {
        self.send(
            Method::DELETE,
            &format!("/api/v1/sites/{site}/members/{user}"),
            token,
        )
        .await
    }

    pub async fn list_equipment(&self, token: &str, query: &str) -> Response {
        self.get(&format!("/api/v1/equipment?{query}"), Some(token))
            .await
    }

    pub async fn create_equipment(&self, token: &str, equipment: &Value) -> Response {
        self.post_json("/api/v1/equipment", Some(token), equipment)
            .await
    }

    pub async fn get_equipment(&self, token: &str, id: i64) -> Response {
        self.get(&format!("/api/v1/equipment/{id}"), Some(token))
            .await
    }

    pub async fn update_equipment(&self, token: &str, id: i64, patch: &Value) -> Response {
        self.send_json(
            Method::PATCH,
            &format!("/api/v1/equipment/{id}"),
            Some(token),
            patch,
        )
        .await
    }

    pub async fn delete_equipment(&self, token: &str, id: i64) -> Response {
        self.send(Method::DELETE, &format!("/api/v1/equipment/{id}"), token)
            .await
    }

    pub async fn list_plans(&self, token: &str, query: &str) -> Response {
        self.get(&format!("/api/v1/plans?{query}"), Some(token))
            .await
    }

    pub async fn create_plan(&self, token: &str, plan: &Value) -> Response {
        self.post_json("/api/v1/plans", Some(token), plan).await
    }

    pub async fn get_plan(&self, token: &str, id: i64) -> Response {
        self.get(&format!("/api/v1/plans/{id}"), Some(token)).await
    }

    /// `PATCH /plans/{id}` with `If-Match: etag` (none when `None`).
    pub async fn update_plan(
        &self,
        token: &str,
        id: i64,
        etag: Option<&str>,
        patch: &Value,
    ) -> Response {
        let mut rb = self
            .request(Method::PATCH, &format!("/api/v1/plans/{id}"), Some(token))
            .json(patch);
        if let Some(etag) = etag {
            rb = rb.header("if-match", etag);
        }
        rb.send().await.unwrap()
    }

    pub async fn delete_plan(&self, token: &str, id: i64) -> Response {
        self.send(Method::DELETE, &format!("/api/v1/plans/{id}"), token)
            .await
    }

    pub async fn list_plan_occurrences(&self, token: &str, id: i64, query: &str) -> Response {
        self.get(
            &format!("/api/v1/plans/{id}/occurrences?{query}"),
            Some(token),
        )
        .await
    }

    pub async fn list_schedules(&self, token: &str, query: &str) -> Response {
        self.get(&format!("/api/v1/schedules?{query}"), Some(token))
            .await
    }

    pub async fn get_schedule(&self, token: &str, id: i64) -> Response {
        self.get(&format!("/api/v1/schedules/{id}"), Some(token))
            .await
    }

    pub async fn update_schedule(&self, token: &str, id: i64, patch: &Value) -> Response {
        self.send_json(
            Method::PATCH,
            &format!("/api/v1/schedules/{id}"),
            Some(token),
            patch,
        )
        .await
    }

    pub async fn start_schedule(&self, token: &str, id: i64) -> Response {
        self.send(
            Method::POST,
            &format!("/api/v1/schedules/{id}/start"),
            token,
        )
        .await
    }

    /// `PUT /schedules/{id}/result`, with `Idempotency-Key: key` when given.
    pub async fn submit_result(
        &self,
        token: &str,
        id: i64,
        key: Option<&str>,
        result: &Value,
    ) -> Response {
        let mut rb = self
            .request(
                Method::PUT,
                &format!("/api/v1/schedules/{id}/result"),
                Some(token),
            )
            .json(result);
        if let Some(key) = key {
            rb = rb.header("idempotency-key", key);
        }
        rb.send().await.unwrap()
    }

    pub async fn get_result(&self, token: &str, id: i64) -> Response {
        self.get(&format!("/api/v1/schedules/{id}/result"), Some(token))
            .await
    }

    pub async fn stats_summary(&self, token: &str, query: &str) -> Response {
        self.get(&format!("/api/v1/stats/summary?{query}"), Some(token))
            .await
    }

    pub async fn create_report(&self, token: &str, report: &Value) -> Response {
        self.send_json(Method::POST, "/api/v1/reports", Some(token), report)
            .await
    }

    pub async fn list_reports(&self, token: &str) -> Response {
        self.get("/api/v1/reports", Some(token)).await
    }

    pub async fn get_report(&self, token: &str, id: i64) -> Response {
        self.get(&format!("/api/v1/reports/{id}"), Some(token))
            .await
    }

    pub async fn get_report_content(&self, token: &str, id: i64) -> Response {
        self.get(&format!("/api/v1/reports/{id}/content"), Some(token))
            .await
    }

    /// Uploads `bytes` as the `file` part of a multipart form.
    pub async fn upload_attachment(
        &self,
        token: &str,
        schedule: i64,
        file_name: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Response {
        let part = reqwest::multipart::Part::bytes(bytes.to_vec())
            .file_name(file_name.to_owned())
            .mime_str(content_type)
            .unwrap();
        self.request(
            Method::POST,
            &format!("/api/v1/schedules/{schedule}/attachments"),
            Some(token),
        )
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
    }

    pub async fn list_attachments(&self, token: &str, schedule: i64) -> Response {
        self.get(
            &format!("/api/v1/schedules/{schedule}/attachments"),
            Some(token),
        )
        .await
    }

    pub async fn get_attachment(&self, token: &str, id: i64) -> Response {
        self.get(&format!("/api/v1/attachments/{id}"), Some(token))
            .await
    }

    pub async fn get_attachment_content(&self, token: &str, id: i64) -> Response {
        self.get(&format!("/api/v1/attachments/{id}/content"), Some(token))
            .await
    }

    pub async fn delete_attachment(&self, token: &str, id: i64) -> Response {
        self.request(
            Method::DELETE,
            &format!("/api/v1/attachments/{id}"),
            Some(token),
        )
        .send()
        .await
        .unwrap()
    }

    pub async fn list_audit_events(&self, token: &str, query: &str) -> Response {
        self.get(&format!("/api/v1/audit-events?{query}"), Some(token))
            .await
    }

    // --- fixtures ---

    /// Creates a user directly through the service (no HTTP), returning its id.
    pub async fn seed_user(&self, email: &str, role: Role) -> i64 {
        gemba::services::users::create_from_cli(
            &self.state,
            parse(json!({
                "email": email, "name": format!("{role} user"), "role": role, "password": PASSWORD
            })),
        )
        .await
        .expect("seed user")
        .id
    }

    /// Logs in with the test password.
    pub async fn tokens(&self, email: &str) -> Tokens {
        let res = self.login(email, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK, "login of {email}");
        let body = json_body(res).await;
        Tokens {
            access: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    /// A new user of `role`, logged in.
    pub async fn actor(&self, role: Role) -> Actor {
        let email = format!("{}-{}@factory.example", role, uuid::Uuid::new_v4().simple());
        let id = self.seed_user(&email, role).await;
        Actor {
            id,
            token: self.tokens(&email).await.access,
        }
    }

    pub async fn admin_token(&self) -> String {
        self.actor(Role::Admin).await.token
    }

    /// A new user of `role` who is a member of `site`, logged in.
    pub async fn member(&self, role: Role, site: i64) -> Actor {
        let actor = self.actor(role).await;
        self.seed_member(site, actor.id).await;
        actor
    }

    /// Creates a site directly through the service, returning its id.
    pub async fn seed_site(&self, code: &str, timezone: &str) -> i64 {
        gemba::services::sites::create(
            &self.state,
            &gemba::domain::auth::CurrentUser::system(),
            parse(json!({
                "code": code, "name": format!("{code} 공장"), "country_code": "KR", "timezone": timezone
            })),
        )
        .await
        .expect("seed site")
        .id
    }

    pub async fn seed_member(&self, site_id: i64, user_id: i64) {
        gemba::services::sites::set_member(
            &self.state,
            &gemba::domain::auth::CurrentUser::system(),
            site_id,
            user_id,
            true,
        )
        .await
        .expect("seed member");
    }

    /// Creates equipment directly through the service, returning its id.
    pub async fn seed_equipment(&self, site_id: i64, code: &str, line: &str) -> i64 {
        gemba::services::equipment::create(
            &self.state,
            &gemba::domain::auth::CurrentUser::system(),
            parse(json!({
                "site_id": site_id, "code": code, "name": format!("{code} 설비"),
                "line": line, "kind": "press"
            })),
        )
        .await
        .expect("seed equipment")
        .id
    }

    /// A daily plan on fresh equipment of `site_id` (via the service), with
    /// its first schedule.
    pub async fn seed_plan(&self, site_id: i64) -> SeededPlan {
        let code = format!("P{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let eq = self.seed_equipment(site_id, &code, "A").await;
        let start = (chrono::Utc::now().date_naive() + chrono::Duration::days(1)).to_string();
        let body = parse(daily_plan(eq, &start, "09:00"));
        let system = gemba::domain::auth::CurrentUser::system();
        let plan = gemba::services::plans::create(&self.state, &system, body)
            .await
            .expect("seed plan");
        let q = gemba::domain::field::from_query(&format!("plan_id={}&limit=1", plan.id))
            .expect("a schedule query");
        let page = gemba::services::schedules::list(&self.state, &system, q)
            .await
            .unwrap();
        SeededPlan {
            plan_id: plan.id,
            schedule_id: page.items[0].id,
        }
    }

    /// Attaches a small JPEG to `schedule` through the service (as the
    /// command line would), returning the attachment's id.
    pub async fn seed_attachment(&self, schedule: i64) -> i64 {
        let body = futures_util::stream::iter([Ok(bytes::Bytes::from(jpeg(
            &uuid::Uuid::new_v4().to_string(),
        )))]);
        let incoming = gemba::services::attachments::Incoming {
            file_name: Some("seed.jpg".to_owned()),
            declared_type: Some("image/jpeg".to_owned()),
            body,
        };
        let system = gemba::domain::auth::CurrentUser::system();
        match gemba::services::attachments::upload(&self.state, &system, schedule, incoming)
            .await
            .expect("seed attachment")
        {
            gemba::services::attachments::Uploaded::Created(a) => a.id,
            gemba::services::attachments::Uploaded::Existing(a) => a.id,
        }
    }

    /// Every object in the app's store (its local directory, or its
    /// prefix of the S3 bucket), sorted.
    pub async fn stored_objects(&self) -> Vec<String> {
        self.state.storage.keys().await.expect("listing the store")
    }

    /// Creates a plan through the API as `token` (asserting 201), returning its body.
    pub async fn created_plan(&self, token: &str, plan: &Value) -> Value {
        let res = self.create_plan(token, plan).await;
        assert_eq!(res.status(), StatusCode::CREATED, "create plan");
        json_body(res).await
    }

    /// SQL statements the app executes while `f` runs.
    pub async fn count_statements<F: std::future::Future<Output = Response>>(
        &self,
        f: F,
    ) -> Counted {
        let before = self.state.metrics.db_statements();
        let response = f.await;
        Counted {
            statements: self.state.metrics.db_statements() - before,
            response,
        }
    }
}

/// A JPEG (by its signature) whose bytes differ by `salt`.
pub fn jpeg(salt: &str) -> Vec<u8> {
    let mut b = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
    ];
    b.extend_from_slice(salt.as_bytes());
    b.extend(std::iter::repeat_n(0x55, 4096));
    b.extend_from_slice(&[0xFF, 0xD9]);
    b
}

/// A PNG (by its signature).
pub fn png() -> Vec<u8> {
    let mut b = vec![
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R',
    ];
    b.extend(std::iter::repeat_n(0x11, 2048));
    b
}

/// A request value, parsed as the same JSON body would be (panics if invalid).
pub fn parse<T: serde::de::DeserializeOwned + Checked>(v: Value) -> T {
    from_value(v).expect("a valid request value")
}

/// Asserts status and an RFC 9457 body; returns the body.
pub async fn assert_problem(res: Response, status: StatusCode) -> Value {
    assert_eq!(res.status(), status, "status of {}", res.url());
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert_eq!(ct, "application/problem+json", "content type for {status}");
    let request_id = res
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap().to_owned());
    let path = res.url().path().to_owned();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], status.as_u16());
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .starts_with("urn:gemba:problem:")
    );
    assert!(body["title"].is_string());
    assert!(body["detail"].is_string());
    assert_eq!(body["instance"], path);
    assert_eq!(body["request_id"].as_str(), request_id.as_deref());
    body
}

/// The `(field, code)` pairs of a 422 body.
pub fn field_codes(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .expect("errors array")
        .iter()
        .map(|e| {
            assert!(e["message"].is_string());
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Tomorrow's date at a site in `tz`: the first date whose inspections are
/// all still ahead, whatever the time of day the test runs.
pub fn local_tomorrow(tz: &str) -> String {
    let tz: chrono_tz::Tz = tz.parse().expect("a time zone");
    (chrono::Utc::now().with_timezone(&tz).date_naive() + chrono::Duration::days(1)).to_string()
}

/// A daily plan body for `equipment_id`.
pub fn daily_plan(equipment_id: i64, start: &str, due_time: &str) -> Value {
    json!({
        "equipment_id": equipment_id,
        "title": "프레스 일일 점검",
        "recurrence": {"frequency": "daily", "start_date": start},
        "due_time": due_time,
        "window_hours": 4,
        "items": [
            {"key": "oil_pressure", "label": "유압", "kind": "number", "unit": "MPa", "min": 10.0, "max": 15.0},
            {"key": "guard_closed", "label": "안전 가드 닫힘", "kind": "check"},
            {"key": "note", "label": "비고", "kind": "text", "required": false}
        ]
    })
}
