//! Whole gemba processes as an operator runs them: SIGTERM under load, and
//! several processes on one database and one storage, as an operator
//! scales out: report jobs are shared, each runs exactly once, and a job
//! whose process is killed (`kill -9`) completes after a restart.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value, json};

use common::process::{gemba, start_server_with, terminate};

const ADMIN: &str = "admin@gemba.example";
const PASSWORD: &str = "gemba-demo-2026";

/// One database and one storage, with the demo data loaded.
struct Shared {
    root: tempfile::TempDir,
    db_url: String,
    env: Vec<(String, String)>,
}

async fn shared() -> Shared {
    let root = tempfile::tempdir().unwrap();
    let db_url = common::fresh_database_url(root.path()).await;
    let mut env = vec![
        // Every instance signs and checks tokens with the same secret.
        (
            "GEMBA_JWT_SECRET".to_owned(),
            "instances-test-secret-instances-test".to_owned(),
        ),
        ("GEMBA_LOG".to_owned(), "info".to_owned()),
        ("GEMBA_JOB_POLL_MS".to_owned(), "100".to_owned()),
        ("GEMBA_SCHEDULER_INTERVAL_SECS".to_owned(), "0".to_owned()),
    ];
    if common::storage_on_s3() {
        let s3 = common::TestS3::from_env("instances").expect("S3 settings");
        env.extend(s3.env(&format!("instances-{}", uuid::Uuid::new_v4().simple())));
    } else {
        let objects = root.path().join("objects");
        env.push((
            "GEMBA_STORAGE_URL".to_owned(),
            format!("file://{}", objects.display()),
        ));
    }
    let out = gemba(root.path(), &db_url)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .arg("demo")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Shared { root, db_url, env }
}

/// An instance with its own data directory (its logs) and `extra` settings.
struct Instance {
    child: Child,
    base: String,
    dir: std::path::PathBuf,
}

fn start(shared: &Shared, name: &str, extra: &[(&str, &str)]) -> Instance {
    let dir = shared.root.path().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let mut env = shared.env.clone();
    env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let (child, base, _console) = start_server_with(&dir, &shared.db_url, &env);
    Instance { child, base, dir }
}

fn client() -> reqwest::Client {
    gemba::storage::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn login(c: &reqwest::Client, base: &str) -> String {
    login_pair(c, base).await.0
}

/// The admin's access and refresh tokens from `base`.
async fn login_pair(c: &reqwest::Client, base: &str) -> (String, String) {
    let res = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": ADMIN, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    let token = |name: &str| v[name].as_str().unwrap().to_owned();
    (token("access_token"), token("refresh_token"))
}

async fn site_id(c: &reqwest::Client, base: &str, token: &str, code: &str) -> i64 {
    let page: Value = c
        .get(format!("{base}/api/v1/sites"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == code)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn create_report(c: &reqwest::Client, base: &str, token: &str, body: &Value) -> i64 {
    let res = c
        .post(format!("{base}/api/v1/reports"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn report(c: &reqwest::Client, base: &str, token: &str, id: i64) -> Value {
    c.get(format!("{base}/api/v1/reports/{id}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// `report.id`s of the JSON log lines with `message` in an instance's log files.
fn logged(dir: &Path, message: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    for entry in std::fs::read_dir(dir.join("logs")).into_iter().flatten() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            if v["fields"]["message"] == message {
                ids.push(v["fields"]["report.id"].as_i64().unwrap());
            }
        }
    }
    ids
}

#[tokio::test]
async fn two_instances_run_each_of_50_report_jobs_exactly_once() {
    let shared = shared().await;
    let workers = [("GEMBA_JOB_WORKERS", "2")];
    let mut a = start(&shared, "a", &workers);
    let mut b = start(&shared, "b", &workers);
    let c = client();
    let token = login(&c, &a.base).await;
    let site = site_id(&c, &a.base, &token, "KR-ASAN").await;
    // Submitted to both instances in turn, mixed kinds and formats.
    let mut ids = Vec::new();
    for n in 0..50 {
        let base = if n % 2 == 0 { &a.base } else { &b.base };
        let body = json!({
            "kind": if n % 3 == 0 { "schedules" } else { "results" },
            "format": if n % 2 == 0 { "xlsx" } else { "csv" },
            "site_id": site, "locale": if n % 4 == 0 { "en" } else { "ko" },
            "from": "2025-01-01T00:00:00Z", "to": "2030-01-01T00:00:00Z"
        });
        ids.push(create_report(&c, base, &token, &body).await);
    }
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut reports = Vec::new();
    for id in &ids {
        loop {
            let r = report(&c, &b.base, &token, *id).await;
            if r["status"] == "succeeded" || r["status"] == "failed" {
                reports.push(r);
                break;
            }
            assert!(
                Instant::now() < deadline,
                "report {id} still {}",
                r["status"]
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // Every file exists, and either instance serves it.
    for (n, r) in reports.iter().enumerate() {
        assert_eq!(r["status"], "succeeded", "{r}");
        assert_eq!(r["attempts"], 1, "{r}");
        let base = if n % 2 == 0 { &b.base } else { &a.base };
        let res = c
            .get(format!("{base}/api/v1/reports/{}/content", r["id"]))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{r}");
        let bytes = res.bytes().await.unwrap();
        assert_eq!(Some(bytes.len() as u64), r["size_bytes"].as_u64());
        assert!(!bytes.is_empty());
    }
    terminate(&mut a.child);
    terminate(&mut b.child);
    // Each job started once, in one of the two processes, and both took part.
    let started_a = logged(&a.dir, "report job started");
    let started_b = logged(&b.dir, "report job started");
    let mut runs: HashMap<i64, usize> = HashMap::new();
    for id in started_a.iter().chain(&started_b) {
        *runs.entry(*id).or_default() += 1;
    }
    let twice: Vec<_> = runs.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "jobs run more than once: {twice:?}");
    assert_eq!(runs.len(), 50);
    assert!(
        !started_a.is_empty() && !started_b.is_empty(),
        "a: {}, b: {}",
        started_a.len(),
        started_b.len()
    );
    let written = logged(&a.dir, "report written").len() + logged(&b.dir, "report written").len();
    assert_eq!(written, 50);
    eprintln!(
        "instances: 50 jobs, instance a ran {}, instance b ran {}, none twice",
        started_a.len(),
        started_b.len()
    );
}

/// Adds `n` open schedules (one a minute from 2026-01-01) to a plan of
/// `site`, straight into the database: a large report in seconds.
async fn many_schedules(db_url: &str, site: i64, n: u32) {
    use sea_orm::{ConnectionTrait, Database};
    let db = Database::connect(db_url).await.unwrap();
    let plan = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT id, equipment_id FROM plans WHERE site_id = {site} ORDER BY id LIMIT 1"
            ),
        ))
        .await
        .unwrap()
        .unwrap();
    let plan_id: i64 = plan.try_get("", "id").unwrap();
    let equipment_id: i64 = plan.try_get("", "equipment_id").unwrap();
    let sql = if common::on_postgres() {
        format!(
            "INSERT INTO schedules (plan_id, plan_version, site_id, equipment_id, due_at, window_ends_at, status, created_at, updated_at) \
             SELECT {plan_id}, 1, {site}, {equipment_id}, timestamptz '2020-01-01 00:00:00+00' + g * interval '1 minute', \
             timestamptz '2020-01-01 04:00:00+00' + g * interval '1 minute', 'open', now(), now() \
             FROM generate_series(1, {n}) g"
        )
    } else {
        format!(
            "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {n}) \
             INSERT INTO schedules (plan_id, plan_version, site_id, equipment_id, due_at, window_ends_at, status, created_at, updated_at) \
             SELECT {plan_id}, 1, {site}, {equipment_id}, \
             strftime('%Y-%m-%dT%H:%M:%S+00:00', '2020-01-01 00:00:00', '+' || n || ' minutes'), \
             strftime('%Y-%m-%dT%H:%M:%S+00:00', '2020-01-01 04:00:00', '+' || n || ' minutes'), \
             'open', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00' FROM g"
        )
    };
    db.execute_unprepared(&sql).await.unwrap();
    db.close().await.unwrap();
}

#[tokio::test]
async fn a_job_killed_midway_completes_once_after_restart() {
    let shared = shared().await;
    let settings = [("GEMBA_JOB_WORKERS", "1"), ("GEMBA_JOB_LEASE_SECS", "2")];
    let mut a = start(&shared, "a", &settings);
    let c = client();
    let token = login(&c, &a.base).await;
    let site = site_id(&c, &a.base, &token, "KR-ULSAN").await;
    many_schedules(&shared.db_url, site, 150_000).await;
    let body = json!({
        "kind": "schedules", "format": "xlsx", "site_id": site,
        "from": "2019-12-01T00:00:00Z", "to": "2029-11-01T00:00:00Z"
    });
    let id = create_report(&c, &a.base, &token, &body).await;
    // Wait until rows are being written, then kill the process outright.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let r = report(&c, &a.base, &token, id).await;
        assert_ne!(
            r["status"], "succeeded",
            "the job ended before the kill: {r}"
        );
        if r["status"] == "running" && r["progress"]["rows_written"].as_i64() > Some(0) {
            eprintln!(
                "instances: killed with {} of {} rows written",
                r["progress"]["rows_written"], r["progress"]["rows_total"]
            );
            break;
        }
        assert!(Instant::now() < deadline, "never started: {r}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.child.kill().unwrap(); // SIGKILL
    a.child.wait().unwrap();

    // Restarted: the job is taken over once its lease runs out, and done.
    let mut b = start(&shared, "a-restarted", &settings);
    let deadline = Instant::now() + Duration::from_secs(300);
    let done = loop {
        let r = report(&c, &b.base, &token, id).await;
        if r["status"] == "succeeded" || r["status"] == "failed" {
            break r;
        }
        assert!(Instant::now() < deadline, "not finished: {r}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 2, "{done}");
    let total = done["progress"]["rows_total"].as_i64().unwrap();
    assert!(total > 150_000, "{done}");
    assert_eq!(done["progress"]["rows_written"].as_i64(), Some(total));
    let res = c
        .get(format!("{}/api/v1/reports/{id}/content", b.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    assert_eq!(Some(bytes.len() as u64), done["size_bytes"].as_u64());
    terminate(&mut b.child);
    // The second attempt wrote it, once.
    assert_eq!(logged(&b.dir, "report job started"), vec![id]);
    assert_eq!(logged(&b.dir, "report written"), vec![id]);
}

/// What one request under load got, and when it was sent and answered.
struct Outcome {
    sent: Instant,
    answered: Instant,
    result: Result<u16, String>,
    refused: bool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_answers_what_is_in_flight_refuses_the_rest_and_exits_0() {
    let shared = shared().await;
    let mut a = start(
        &shared,
        "a",
        &[
            ("GEMBA_DRAIN_TIMEOUT_SECS", "10"),
            ("GEMBA_JOB_WORKERS", "1"),
            ("GEMBA_SCHEDULER_INTERVAL_SECS", "1"),
        ],
    );
    let c = client();
    let token = login(&c, &a.base).await;
    let site = site_id(&c, &a.base, &token, "KR-ASAN").await;
    let addr = a.base.trim_start_matches("http://").to_owned();

    // Sixteen clients reading and writing as fast as they are answered.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = tokio::task::JoinSet::new();
    for w in 0..16 {
        let (base, token, stop) = (a.base.clone(), token.clone(), stop.clone());
        load.spawn(async move {
            let c = client();
            let mut out = Vec::new();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let sent = Instant::now();
                let req = if w % 4 == 0 {
                    let code = format!("L{w}-{n}");
                    c.post(format!("{base}/api/v1/equipment")).json(&json!({
                        "site_id": site, "code": code, "name": "설비", "line": "A", "kind": "press"
                    }))
                } else {
                    c.get(format!("{base}/api/v1/schedules?site_id={site}&limit=50"))
                };
                let res = req.bearer_auth(&token).send().await;
                let refused = res.as_ref().is_err_and(reqwest::Error::is_connect);
                let result = match res {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        // The whole body, or the answer was not complete.
                        r.bytes()
                            .await
                            .map(|_| status)
                            .map_err(|e| format!("{e:?}"))
                    }
                    Err(e) => Err(format!("{e:?}")),
                };
                out.push(Outcome {
                    sent,
                    answered: Instant::now(),
                    result,
                    refused,
                });
                if refused {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            out
        });
    }
    // One slow request: its body arrives over two seconds.
    let body = json!({"code": "KR-DRAIN", "name": "드레인 공장", "country_code": "KR", "timezone": "Asia/Seoul"})
        .to_string()
        .into_bytes();
    let chunks: Vec<Vec<u8>> = body
        .chunks(body.len() / 4 + 1)
        .map(<[u8]>::to_vec)
        .collect();
    let slow_body = futures_util::stream::iter(chunks).then(|chunk| async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        Ok::<_, std::io::Error>(chunk)
    });
    let slow = tokio::spawn({
        let (c, base, token) = (client(), a.base.clone(), token.clone());
        async move {
            c.post(format!("{base}/api/v1/sites"))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(reqwest::Body::wrap_stream(slow_body))
                .send()
                .await
        }
    });

    tokio::time::sleep(Duration::from_millis(800)).await;
    let signalled = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &a.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // New connections are refused once the signal is taken.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        tokio::net::TcpStream::connect(&addr).await.is_err(),
        "a new connection was accepted after SIGTERM"
    );
    let slow = slow.await.unwrap().expect("the slow request is answered");
    assert_eq!(slow.status(), 201, "the request in flight is completed");
    let exit = loop {
        if let Some(exit) = a.child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(10),
            "no exit within the drain timeout"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let exited_after = signalled.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let outcomes: Vec<Outcome> = load.join_all().await.into_iter().flatten().collect();
    assert!(exit.success(), "exit {exit:?}");

    let in_flight = outcomes
        .iter()
        .filter(|o| o.sent < signalled && o.answered >= signalled)
        .count();
    let answered = outcomes.iter().filter(|o| o.result.is_ok()).count();
    let refused = outcomes.iter().filter(|o| o.refused).count();
    let failures: Vec<_> = outcomes
        .iter()
        .filter(|o| !o.refused && !matches!(o.result, Ok(200 | 201)))
        .map(|o| &o.result)
        .collect();
    eprintln!(
        "instances: SIGTERM under load: {} requests, {answered} answered ({in_flight} in flight at the signal), \
         {refused} refused after it, {} failures; slow upload 201; exit 0 after {exited_after:?}",
        outcomes.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{failures:?}");
    assert!(
        outcomes
            .iter()
            .filter(|o| o.refused)
            .all(|o| o.sent >= signalled),
        "refused before the signal"
    );
    assert!(
        in_flight > 0,
        "the load had requests in flight at the signal"
    );
    let drained = std::fs::read_dir(a.dir.join("logs"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .any(|t| t.contains("drained: every in-flight request answered"));
    assert!(drained, "the log says it drained");
}

async fn sql_count(db_url: &str, sql: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Database};
    let db = Database::connect(db_url).await.unwrap();
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
        .unwrap();
    let n = row.try_get_by_index::<i64>(0).unwrap();
    db.close().await.unwrap();
    n
}

async fn status_of(req: reqwest::RequestBuilder) -> u16 {
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_sessions_at_once_and_schedule_each_occurrence_once() {
    let mut shared = shared().await;
    // No configured key: the instances find theirs in the database.
    shared.env.retain(|(k, _)| k != "GEMBA_JWT_SECRET");
    {
        use sea_orm::{ConnectionTrait, Database};
        let db = Database::connect(&shared.db_url).await.unwrap();
        db.execute_unprepared("DELETE FROM schedules WHERE status = 'open'")
            .await
            .unwrap();
        db.close().await.unwrap();
    }
    // Both start at once, and both schedulers regenerate the open schedules.
    let every = [("GEMBA_SCHEDULER_INTERVAL_SECS", "1")];
    let (mut a, mut b) = std::thread::scope(|s| {
        let a = s.spawn(|| start(&shared, "a", &every));
        let b = s.spawn(|| start(&shared, "b", &every));
        (a.join().unwrap(), b.join().unwrap())
    });
    let c = client();
    let refresh_on = |base: &str, token: &str| {
        c.post(format!("{base}/api/v1/auth/refresh"))
            .json(&json!({"refresh_token": token}))
    };

    // A token from one works on the other.
    let (access, refresh) = login_pair(&c, &a.base).await;
    let me = |base: &str, token: &str| c.get(format!("{base}/api/v1/users/me")).bearer_auth(token);
    assert_eq!(status_of(me(&b.base, &access)).await, 200);
    // A refresh on B rotates; reusing the spent token on A revokes the
    // family, and B refuses the new token at once.
    let res = refresh_on(&b.base, &refresh).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let rotated = res.json::<Value>().await.unwrap()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(status_of(refresh_on(&a.base, &refresh)).await, 401);
    assert_eq!(status_of(refresh_on(&b.base, &rotated)).await, 401);
    // A logout on B ends the session on A at once.
    let (_, refresh2) = login_pair(&c, &a.base).await;
    let res = c
        .post(format!("{}/api/v1/auth/logout", b.base))
        .json(&json!({"refresh_token": refresh2}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(status_of(refresh_on(&a.base, &refresh2)).await, 401);
    // A deactivation on A locks the user out of B at once.
    let res = c
        .post(format!("{}/api/v1/users", a.base))
        .bearer_auth(&access)
        .json(&json!({"email": "leaving@factory.example", "name": "퇴사자", "role": "inspector", "password": "a long inspector passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let leaving = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let res = c
        .post(format!("{}/api/v1/auth/login", b.base))
        .json(
            &json!({"email": "leaving@factory.example", "password": "a long inspector passphrase"}),
        )
        .send()
        .await
        .unwrap();
    let inspector: Value = res.json().await.unwrap();
    let inspector = inspector["access_token"].as_str().unwrap().to_owned();
    assert_eq!(status_of(me(&b.base, &inspector)).await, 200);
    let res = c
        .delete(format!("{}/api/v1/users/{leaving}", a.base))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(status_of(me(&b.base, &inspector)).await, 401);

    // Let both schedulers run a few passes side by side.
    tokio::time::sleep(Duration::from_secs(3)).await;
    terminate(&mut a.child);
    terminate(&mut b.child);
    let duplicates = sql_count(
        &shared.db_url,
        "SELECT COUNT(*) FROM (SELECT plan_id, due_at FROM schedules \
         GROUP BY plan_id, due_at HAVING COUNT(*) > 1) d",
    )
    .await;
    let open = sql_count(
        &shared.db_url,
        "SELECT COUNT(*) FROM schedules WHERE status = 'open'",
    )
    .await;
    let passes = |dir: &Path, message: &str| -> usize {
        std::fs::read_dir(dir.join("logs"))
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .map(|t| t.matches(message).count())
            .sum()
    };
    let (pa, pb) = (
        passes(&a.dir, "\"scheduler pass\""),
        passes(&b.dir, "\"scheduler pass\""),
    );
    let failed = passes(&a.dir, "scheduler pass failed") + passes(&b.dir, "scheduler pass failed");
    eprintln!(
        "instances: two schedulers, {pa} + {pb} passes, {open} open schedules regenerated, {duplicates} duplicates, {failed} failed passes"
    );
    assert!(open > 0, "the schedulers regenerated the open schedules");
    assert_eq!(duplicates, 0);
    assert_eq!(failed, 0);
    assert!(pa >= 2 && pb >= 2, "both schedulers ran: {pa}, {pb}");
}
