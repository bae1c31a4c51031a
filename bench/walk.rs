//! A load driver for requests that must not repeat: `bench/http.sh` uses it
//! for the submit run, where every request records the result of another
//! open schedule (oha draws its URLs at random, so some would repeat and be
//! answered 409). It walks the URLs of a file in order with N connections
//! for a duration and prints oha's JSON fields that `http.sh` reads.
//!
//! Run: `cargo bench --bench walk -- FILE CONNECTIONS SECONDS METHOD BODY TOKEN`
//! (each line of FILE is a URL). With `WALK_SERIES=FILE` it also writes, for
//! each second of the run, the requests completed and their p50 and p99 in
//! ms: whether latency climbs within a run or comes in bursts.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// When a request started (from the run's start) and how long it took.
type Timed = (Duration, Duration);

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [file, conns, secs, method, body, token] = args.as_slice() else {
        eprintln!("usage: walk FILE CONNECTIONS SECONDS METHOD BODY TOKEN");
        std::process::exit(2);
    };
    let urls: Arc<Vec<String>> = Arc::new(
        std::fs::read_to_string(file)
            .expect("the URL file")
            .lines()
            .map(str::to_owned)
            .collect(),
    );
    let conns: usize = conns.parse().expect("connections");
    let secs: f64 = secs.parse().expect("seconds");
    let method: reqwest::Method = method.parse().expect("a method");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    gemba::storage::install_crypto_provider();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(conns)
        .build()
        .unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let until = start + Duration::from_secs_f64(secs);
    let results: Vec<(Vec<Timed>, BTreeMap<u16, u64>)> = rt.block_on(async {
        let tasks: Vec<_> = (0..conns)
            .map(|_| {
                let (urls, next, client) = (urls.clone(), next.clone(), client.clone());
                let (method, body, token) = (method.clone(), body.clone(), token.clone());
                tokio::spawn(async move {
                    let mut lat = Vec::new();
                    let mut codes = BTreeMap::new();
                    while Instant::now() < until {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(url) = urls.get(i) else { break };
                        let t0 = Instant::now();
                        let res = client
                            .request(method.clone(), url)
                            .header("authorization", format!("Bearer {token}"))
                            .header("content-type", "application/json")
                            .body(body.clone())
                            .send()
                            .await;
                        let code = match res {
                            Ok(r) => {
                                let code = r.status().as_u16();
                                let _ = r.bytes().await;
                                code
                            }
                            Err(_) => 0,
                        };
                        lat.push((t0.duration_since(start), t0.elapsed()));
                        *codes.entry(code).or_insert(0) += 1;
                    }
                    (lat, codes)
                })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    let total = start.elapsed().as_secs_f64();
    let timed: Vec<Timed> = results.iter().flat_map(|r| r.0.iter().copied()).collect();
    if let Ok(path) = std::env::var("WALK_SERIES") {
        let mut by_second: BTreeMap<u64, Vec<Duration>> = BTreeMap::new();
        for (at, l) in &timed {
            by_second.entry(at.as_secs()).or_default().push(*l);
        }
        let mut out = String::from("second requests p50_ms p99_ms\n");
        for (s, mut l) in by_second {
            l.sort_unstable();
            let ms = |p: f64| percentile(&l, p).as_secs_f64() * 1e3;
            out += &format!("{s} {} {:.1} {:.1}\n", l.len(), ms(0.5), ms(0.99));
        }
        std::fs::write(path, out).expect("the series file");
    }
    let mut lat: Vec<Duration> = timed.iter().map(|t| t.1).collect();
    lat.sort_unstable();
    let mut codes: BTreeMap<String, u64> = BTreeMap::new();
    for (_, c) in &results {
        for (k, v) in c {
            *codes.entry(k.to_string()).or_insert(0) += v;
        }
    }
    let pct = |p: f64| percentile(&lat, p).as_secs_f64();
    let doc = serde_json::json!({
        "summary": {"total": total, "requestsPerSec": lat.len() as f64 / total},
        "latencyPercentiles": {"p50": pct(0.5), "p99": pct(0.99)},
        "statusCodeDistribution": codes,
    });
    println!("{doc}");
}

/// The `p` quantile of `sorted` (nearest rank); zero when it is empty.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len().max(1)) - 1;
    sorted.get(i).copied().unwrap_or_default()
}
