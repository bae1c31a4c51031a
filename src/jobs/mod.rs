//! Background jobs: workers that claim report jobs from the database (any
//! instance may run any job, each exactly once; a crashed worker's job is
//! taken over when its lease runs out) and a housekeeper that expires old
//! reports and clears abandoned uploads. Workers call services, never routes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::repositories::reports::{self as repo, Claim};
use crate::services::reports::{self, LostClaim};
use crate::state::AppState;

/// The running workers of this process.
pub struct Jobs {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl Jobs {
    /// Asks the workers to stop after their current job, and waits for them
    /// (a job cut short is taken over after its lease anyway).
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Starts `settings.jobs.workers` workers and the housekeeper.
pub fn spawn(state: AppState) -> Jobs {
    let (stop, stopped) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let instance: Arc<str> = uuid::Uuid::new_v4().simple().to_string()[..12].into();
    for n in 0..state.settings.jobs.workers {
        let worker = format!("{instance}-{n}");
        tasks.spawn(work(state.clone(), worker, stopped.clone()));
    }
    if state.settings.jobs.workers > 0 {
        tasks.spawn(housekeep(state, stopped));
    }
    Jobs { stop, tasks }
}

async fn sleep_or_stop(d: Duration, stopped: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        () = tokio::time::sleep(d) => *stopped.borrow(),
        _ = stopped.changed() => true,
    }
}

async fn work(state: AppState, worker: String, mut stopped: watch::Receiver<bool>) {
    let poll = state.settings.jobs.poll;
    loop {
        if *stopped.borrow() {
            return;
        }
        match run_one(&state, &worker).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => {
                tracing::error!(worker, error = format!("{e:#}"), "claiming a job failed");
            }
        }
        if sleep_or_stop(poll, &mut stopped).await {
            return;
        }
    }
}

/// Claims and runs one job; false when there was none.
pub async fn run_one(state: &AppState, worker: &str) -> anyhow::Result<bool> {
    let Some(claim) =
        repo::claim(&state.writer, worker, state.settings.jobs.lease, Utc::now()).await?
    else {
        return Ok(false);
    };
    let started = Instant::now();
    let kind = claim.report.kind.as_str();
    tracing::info!(
        report.id = claim.report.id,
        attempt = claim.attempt,
        worker,
        "report job started"
    );
    let outcome = reports::generate(state, &claim).await;
    let elapsed = started.elapsed();
    match outcome {
        Ok(()) => state.metrics.job_finished(kind, "succeeded", elapsed),
        Err(e) if e.is::<LostClaim>() => {
            tracing::warn!(
                report.id = claim.report.id,
                worker,
                "report job taken over by another worker"
            );
            state.metrics.job_finished(kind, "lost", elapsed);
        }
        Err(e) => record_failure(state, &claim, &e, elapsed).await?,
    }
    Ok(true)
}

async fn record_failure(
    state: &AppState,
    claim: &Claim,
    e: &anyhow::Error,
    elapsed: Duration,
) -> anyhow::Result<()> {
    let now = Utc::now();
    // Readable, without internals the web console should not show.
    let message = format!("attempt {} failed: {}", claim.attempt, e);
    let backoff = chrono::Duration::seconds(5 * i64::from(claim.attempt).pow(2));
    let retention = chrono::Duration::days(state.settings.jobs.report_retention_days.into());
    let status = repo::fail(
        &state.writer,
        claim,
        &message,
        backoff,
        now + retention,
        now,
    )
    .await?;
    let outcome = match status {
        Some(crate::domain::report::ReportStatus::Failed) => "failed",
        Some(_) => "retried",
        None => "lost",
    };
    tracing::error!(
        report.id = claim.report.id,
        attempt = claim.attempt,
        outcome,
        error = format!("{e:#}"),
        "report job failed"
    );
    state
        .metrics
        .job_finished(claim.report.kind.as_str(), outcome, elapsed);
    Ok(())
}

/// Once a minute: fail jobs abandoned on their last attempt, expire old
/// reports, and clear uploads that never finished.
async fn housekeep(state: AppState, mut stopped: watch::Receiver<bool>) {
    loop {
        if let Err(e) = housekeep_once(&state).await {
            tracing::error!(error = format!("{e:#}"), "housekeeping failed");
        }
        if sleep_or_stop(Duration::from_secs(60), &mut stopped).await {
            return;
        }
    }
}

pub async fn housekeep_once(state: &AppState) -> anyhow::Result<()> {
    let now = Utc::now();
    let abandoned = repo::fail_abandoned(&state.writer, now).await?;
    if abandoned > 0 {
        tracing::warn!(
            abandoned,
            "jobs failed after their last attempt was abandoned"
        );
    }
    reports::expire(state, now).await?;
    crate::services::attachments::housekeep(state).await?;
    Ok(())
}
