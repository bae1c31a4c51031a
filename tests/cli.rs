//! The binary as an operator runs it: `user create` with the password on
//! stdin, `serve` with logs on console and in files, SIGTERM shutdown,
//! `migrate` and `openapi`.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::process::{BIN, gemba, start_server, terminate};

const PASSWORD: &str = "Very-Secret-Pa55phrase";

#[tokio::test]
async fn operator_path_logs_everywhere_and_never_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let db_url = common::fresh_database_url(dir.path()).await;

    // The first admin, password on stdin.
    let mut create = gemba(dir.path(), &db_url)
        .args([
            "user",
            "create",
            "--email",
            "Boss@Factory.example",
            "--name",
            "공장장",
            "--role",
            "admin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(create.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let out = create.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("created admin user boss@factory.example")
    );

    let (mut child, addr, console) = start_server(dir.path(), &db_url);
    gemba::storage::install_crypto_provider();
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{addr}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "boss@factory.example", "password": PASSWORD}))
        .send()
        .await
        .expect("login request");
    assert_eq!(res.status(), 200);
    let tokens: serde_json::Value = res.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let res = client
        .post(format!("{addr}/api/v1/auth/refresh"))
        .json(&serde_json::json!({"refresh_token": refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = client
        .get(format!("{addr}/api/v1/users/me"))
        .bearer_auth(&access)
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = client
        .post(format!("{addr}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "boss@factory.example", "password": "wrong-password-typed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    terminate(&mut child);
    let console = console.join().unwrap();

    // Both sinks got the request lines.
    let log_dir = dir.path().join("logs");
    let mut files = String::new();
    for entry in std::fs::read_dir(&log_dir).unwrap() {
        files.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    assert!(console.contains("request answered"), "console: {console}");
    let line = files
        .lines()
        .find(|l| l.contains("trace-me-123") && l.contains("request answered"))
        .expect("a JSON line for the request");
    let json: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(json["span"]["route"], "/api/v1/users/me");
    assert_eq!(json["span"]["method"], "GET");
    assert_eq!(json["fields"]["status"], 200);
    assert!(json["fields"]["latency_ms"].is_number());

    for secret in [PASSWORD, "wrong-password-typed", &access, &refresh] {
        assert!(!files.contains(secret), "a secret reached the log file");
        assert!(!console.contains(secret), "a secret reached the console");
    }
    // The personal e-mail is not logged either.
    assert!(!files.contains("boss@factory.example"));
}

#[test]
fn openapi_command_prints_the_document() {
    let out = Command::new(BIN).arg("openapi").output().unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["info"]["title"], "gemba");
}

#[tokio::test]
async fn migrate_then_bad_config_names_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let db_url = common::fresh_database_url(dir.path()).await;
    let out = gemba(dir.path(), &db_url).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Twice is fine.
    let out = gemba(dir.path(), &db_url).arg("migrate").output().unwrap();
    assert!(out.status.success());

    let out = gemba(dir.path(), &db_url)
        .env("GEMBA_JWT_SECRET", "short")
        .arg("serve")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("GEMBA_JWT_SECRET"));
    let out = gemba(dir.path(), &db_url)
        .env("GEMBA_BIND", "not-an-address")
        .arg("serve")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bind"));
}

#[tokio::test]
async fn weak_password_from_the_cli_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let db_url = common::fresh_database_url(dir.path()).await;
    let mut create = gemba(dir.path(), &db_url)
        .args(["user", "create", "--email", "boss@factory.example"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(create.stdin.take().unwrap(), "password1").unwrap();
    let out = create.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("commonly used"));
}

#[tokio::test]
async fn demo_loads_a_living_sample_once() {
    let dir = tempfile::tempdir().unwrap();
    let db_url = common::fresh_database_url(dir.path()).await;
    let out = gemba(dir.path(), &db_url)
        .env("GEMBA_LOG", "warn")
        .arg("demo")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    // "demo loaded: 4 factories, 72 pieces of equipment, 54 plans, 90 days of history (N missed)"
    let numbers: Vec<u64> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|t| t.parse().ok())
        .collect();
    assert!(text.contains("demo loaded"), "{text}");
    assert_eq!(numbers[0], 4, "{text}");
    assert!(numbers[1] >= 50, "equipment: {text}");
    assert!(numbers[2] >= 30, "plans: {text}");
    assert!(numbers[4] > 0, "some inspections were missed: {text}");
    let again = gemba(dir.path(), &db_url)
        .env("GEMBA_LOG", "warn")
        .arg("demo")
        .output()
        .unwrap();
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("already loaded"));
}
