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
        // Tests drive the scheduler themselves (services::generation::run_once).
        scheduler_interval_secs: Some(0),
        ..Default::default()
    };
    customize(&mut o);
    let settings = Settings::load(&o).unwrap();
    let app = Application::build(settings).await.expect("the app builds");
    let base = format!("http://{}", app.local_addr());
    let state = app.state.clone();
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp {
        base,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        state,
        _dir: dir,
    }
}

impl TestApp {
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

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/api/v1/auth/login",
            None,
            &json!({"email": email, "password": password}),
        )
        .await
    }

    /// Logs in and returns (access token, refresh token).
    pub async fn tokens(&self, email: &str) -> (String, String) {
        let res = self.login(email, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK, "login of {email}");
        let body: Value = res.json().await.unwrap();
        (
            body["access_token"].as_str().unwrap().to_owned(),
            body["refresh_token"].as_str().unwrap().to_owned(),
        )
    }

    /// Seeds a user of `role` and returns (id, access token).
    pub async fn user_with_token(&self, role: Role) -> (i64, String) {
        let email = format!("{}-{}@factory.example", role, uuid::Uuid::new_v4().simple());
        let id = self.seed_user(&email, role).await;
        (id, self.tokens(&email).await.0)
    }

    pub async fn admin_token(&self) -> String {
        self.user_with_token(Role::Admin).await.1
    }
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

impl TestApp {
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

    /// A user of `role` who is a member of `site_id`, with a token.
    pub async fn member_with_token(&self, role: Role, site_id: i64) -> (i64, String) {
        let email = format!("{}-{}@factory.example", role, uuid::Uuid::new_v4().simple());
        let id = self.seed_user(&email, role).await;
        self.seed_member(site_id, id).await;
        (id, self.tokens(&email).await.0)
    }

    /// SQL statements the app executes while `f` runs.
    pub async fn count_statements<F: std::future::Future<Output = Response>>(
        &self,
        f: F,
    ) -> (u64, Response) {
        let before = self.state.metrics.db_statements();
        let res = f.await;
        (self.state.metrics.db_statements() - before, res)
    }
}

impl TestApp {
    /// Creates a daily plan through the API as `token`, returning its body.
    pub async fn create_plan(&self, token: &str, body: &Value) -> Value {
        let res = self.post_json("/api/v1/plans", Some(token), body).await;
        assert_eq!(res.status(), StatusCode::CREATED, "create plan");
        res.json().await.unwrap()
    }
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

impl TestApp {
    /// A daily plan on fresh equipment of `site_id` (via the service), with
    /// the id of its first schedule.
    pub async fn seed_plan(&self, site_id: i64) -> (i64, i64) {
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
        (plan.id, page.items[0].id)
    }
}
