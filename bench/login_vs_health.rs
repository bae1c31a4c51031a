//! Does password hashing block the executor? Starts the real `gemba serve`
//! binary (release profile under `cargo bench`), keeps 20 logins hashing at
//! once, and measures `GET /health/live` latency meanwhile, next to an idle
//! baseline. Prints a Markdown table.
//!
//! Run: `cargo bench --bench login_vs_health` (optionally
//! `BENCH_SECONDS=20 BENCH_LOGINS=20`).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_gemba");
const PASSWORD: &str = "bench password 1234";

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[idx].as_secs_f64() * 1000.0
}

fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn probe(client: &reqwest::Client, url: &str, n: usize, pause: Duration) -> Vec<Duration> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let res = client.get(url).send().await.expect("health request");
        assert!(res.status().is_success());
        out.push(t.elapsed());
        tokio::time::sleep(pause).await;
    }
    out.sort();
    out
}

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let logins: usize = std::env::var("BENCH_LOGINS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let cmd = |args: &[&str]| {
        let mut c = Command::new(BIN);
        c.args(args)
            .env("GEMBA_DATA_DIR", dir.path())
            .env("GEMBA_BIND", "127.0.0.1:0")
            .env("GEMBA_LOG", "warn")
            .env("GEMBA_LOGIN_MAX_FAILURES_PER_IP", "1000000");
        c
    };
    let mut create = cmd(&[
        "user",
        "create",
        "--email",
        "bench@factory.example",
        "--role",
        "admin",
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::null())
    .spawn()
    .unwrap();
    writeln!(create.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(create.wait().unwrap().success());

    let mut server = cmd(&["serve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(server.stdout.take().unwrap());
    let mut line = String::new();
    let base = loop {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "server exited");
        if let Some(a) = line.trim().strip_prefix("gemba listening on ") {
            break a.to_owned();
        }
    };
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let health = format!("{base}/health/live");
    gemba::storage::install_crypto_provider();
    let client = reqwest::Client::new();

    // Warm up, then the idle baseline.
    probe(&client, &health, 200, Duration::ZERO).await;
    let idle = probe(&client, &health, 2000, Duration::from_millis(1)).await;

    // 20 logins hashing at all times.
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for _ in 0..logins {
        let (client, stop, done) = (client.clone(), stop.clone(), done.clone());
        let url = format!("{base}/api/v1/auth/login");
        workers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let res = client
                    .post(&url)
                    .json(&serde_json::json!({"email": "bench@factory.example", "password": PASSWORD}))
                    .send()
                    .await
                    .expect("login request");
                assert_eq!(res.status(), 200);
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let before = done.load(Ordering::Relaxed);
    let mut loaded = Vec::new();
    while started.elapsed() < Duration::from_secs(seconds) {
        loaded.extend(probe(&client, &health, 50, Duration::from_millis(5)).await);
    }
    let logins_per_s =
        (done.load(Ordering::Relaxed) - before) as f64 / started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    loaded.sort();
    let rss = peak_rss_mib(server.id());
    Command::new("kill")
        .arg("-TERM")
        .arg(server.id().to_string())
        .status()
        .unwrap();
    server.wait().unwrap();

    println!("| GET /health/live | samples | p50 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|");
    for (name, v) in [
        ("idle", &idle),
        (&*format!("{logins} logins hashing"), &loaded),
    ] {
        println!(
            "| {name} | {} | {:.2} | {:.2} | {:.2} |",
            v.len(),
            percentile(v, 0.50),
            percentile(v, 0.99),
            v.last().unwrap().as_secs_f64() * 1000.0
        );
    }
    println!(
        "\nlogins completed: {logins_per_s:.1}/s with {logins} concurrent; server peak RSS {rss:.1} MiB"
    );
}
