//! Whether the database can be reached, known once for the whole process.
//!
//! Without it, every request during an outage waits the pool's acquire
//! timeout before its 503: a phone retrying a submit hangs, a load balancer
//! is slow to notice. A watcher with a connection of its own probes the
//! database (every second; every 250 ms while it is away, so recovery is
//! seen at once). A request that meets a connection-level error asks for a
//! probe straight away. While the gate is closed, requests that need the
//! database answer 503 with `Retry-After` at once, and those already waiting
//! on it are answered too (their transactions roll back).

use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;
use tokio::sync::{Notify, watch};

/// How often the database is probed while it answers.
const PROBE_EVERY: Duration = Duration::from_secs(1);
/// How often it is probed while it is away.
const PROBE_AWAY_EVERY: Duration = Duration::from_millis(250);
/// A probe slower than this counts as a failure.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// Shared by the middleware, readiness, metrics and the watcher.
#[derive(Clone)]
pub struct DbGate {
    inner: Arc<Inner>,
}

struct Inner {
    /// `Some(since)` while the database is away.
    away: watch::Sender<Option<Instant>>,
    /// A request saw a connection-level error: probe now.
    suspect: Notify,
}

impl Default for DbGate {
    fn default() -> Self {
        Self {
            inner: Arc::new(Inner {
                away: watch::Sender::new(None),
                suspect: Notify::new(),
            }),
        }
    }
}

impl DbGate {
    /// True while the database is known to be unreachable.
    pub fn is_away(&self) -> bool {
        self.inner.away.borrow().is_some()
    }

    /// Resolves when the database is found unreachable (at once if it is).
    pub async fn closed(&self) {
        let mut rx = self.inner.away.subscribe();
        let _ = rx.wait_for(Option::is_some).await;
    }

    /// A request met a connection-level error: the watcher probes now
    /// rather than at its next tick.
    pub fn suspect(&self) {
        self.inner.suspect.notify_one();
    }

    fn close(&self, cause: &str) {
        let closed = self.inner.away.send_if_modified(|away| {
            if away.is_some() {
                return false;
            }
            *away = Some(Instant::now());
            true
        });
        if closed {
            tracing::error!(
                target: "gemba::database",
                cause,
                "database unreachable; answering 503 until it is back"
            );
        }
    }

    fn open(&self) {
        let mut since = None;
        self.inner.away.send_if_modified(|away| {
            since = away.take();
            since.is_some()
        });
        if let Some(since) = since {
            tracing::warn!(
                target: "gemba::database",
                away_ms = since.elapsed().as_millis() as u64,
                "database reachable again; serving"
            );
        }
    }

    /// Probes `probe` (a pool of one connection, apart from the requests'
    /// pool, so a busy pool is never mistaken for an outage) until `stop`.
    pub fn spawn_watcher(
        &self,
        probe: DatabaseConnection,
        mut stop: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let gate = self.clone();
        tokio::spawn(async move {
            loop {
                match tokio::time::timeout(PROBE_TIMEOUT, probe.ping()).await {
                    Ok(Ok(())) => gate.open(),
                    Ok(Err(e)) => gate.close(&format!("{e}")),
                    Err(_) => gate.close("no answer within 1 s"),
                }
                let wait = if gate.is_away() {
                    PROBE_AWAY_EVERY
                } else {
                    PROBE_EVERY
                };
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = gate.inner.suspect.notified() => {}
                    changed = stop.changed() => if changed.is_err() {
                        return;
                    },
                }
                if *stop.borrow() {
                    probe.close().await.ok();
                    return;
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn closing_wakes_the_waiters_and_opening_clears_it() {
        let gate = DbGate::default();
        assert!(!gate.is_away());
        let waiter = tokio::spawn({
            let gate = gate.clone();
            async move { gate.closed().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        gate.close("test");
        tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .expect("the waiter is woken")
            .unwrap();
        assert!(gate.is_away());
        gate.open();
        assert!(!gate.is_away());
    }
}
