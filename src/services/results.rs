//! Submitting results: checked against the plan version, judged, stored
//! with typed values, the schedule completed, all in one transaction; a
//! retried submit with the same `Idempotency-Key` gets the first answer.

use chrono::Utc;
use sea_orm::SqlErr;
use sha2::{Digest, Sha256};

use crate::db::begin_write;
use crate::domain::auth::CurrentUser;
use crate::domain::result::{
    IdempotencyKey, InspectionResult, RecordedResult, SubmitResult, judge, summarize,
};
use crate::domain::schedule::ScheduleStatus;
use crate::error::{AppError, AppResult, Conflicts, sql_err};
use crate::repositories::{Writes, results, schedules};
use crate::services::audit::{self, Change};
use crate::services::visible;
use crate::state::AppState;

/// Whether the answer is a replay of an earlier submit.
pub struct Submitted {
    pub result: InspectionResult,
    pub replayed: bool,
}

const CONFLICTS: Conflicts = Conflicts {
    unique: "another submission for this schedule is in progress",
    in_use: "the schedule no longer exists",
};

fn key_of(key: Option<&IdempotencyKey>) -> Option<&str> {
    key.map(IdempotencyKey::as_str)
}

fn request_hash(input: &SubmitResult) -> AppResult<String> {
    // `values` is a BTreeMap, so the serialization is canonical.
    let bytes = serde_json::to_vec(input).map_err(|e| AppError::Internal(e.into()))?;
    Ok(crate::security::hex(&Sha256::digest(&bytes)))
}

pub async fn submit(
    state: &AppState,
    actor: &CurrentUser,
    schedule_id: i64,
    idempotency_key: Option<&IdempotencyKey>,
    input: SubmitResult,
) -> AppResult<Submitted> {
    let hash = request_hash(&input)?;
    let txn = begin_write(&state.writer).await?;
    let (found, items) = match schedules::find_for_submit(&txn, schedule_id).await? {
        Some((schedule, items)) => (Some(schedule), items),
        None => (None, None),
    };
    let schedule = visible(actor, found)?;
    // A result completes its schedule in the same transaction, and nothing
    // moves a completed schedule back, so only a schedule past pending can
    // have one: a first submit skips the lookup (one statement less while
    // SQLite's one writer holds the lock). Should a result exist anyway,
    // its unique index refuses the insert below, answered the same way.
    if !schedule.status.is_pending() {
        if let Some(existing) = results::find_by_schedule(&txn, schedule_id).await? {
            return answer_existing(existing, idempotency_key, &hash);
        }
        return Err(AppError::Conflict(format!(
            "results can be recorded for open or started schedules; this one is {}",
            schedule.status
        )));
    }
    let items = items.ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!(
            "plan {} has no version {}",
            schedule.plan_id,
            schedule.plan_version
        ))
    })?;
    let values = judge(&items, &input).map_err(AppError::Validation)?;
    let (passed, failed_items, pass_rate) = summarize(&values);
    let now = Utc::now();
    let result = InspectionResult {
        schedule_id,
        plan_id: schedule.plan_id,
        plan_version: schedule.plan_version,
        values,
        notes: input.notes.filter(|n| !n.as_str().trim().is_empty()),
        passed,
        failed_items,
        pass_rate,
        submitted_by: actor.actor_id(),
        submitted_at: now,
    };
    // Everything the submit writes goes to the database in one run
    // (`Writes`): on SQLite one round trip while its one writer is held.
    let mut writes = Writes::new(&txn);
    let recorded = results::insert(
        &mut writes,
        &result,
        &schedule,
        key_of(idempotency_key),
        &hash,
    )?;
    let completed = Some(ScheduleStatus::Completed);
    let after = schedules::update(&mut writes, &schedule, None, completed, now, recorded);
    let recorded = RecordedResult {
        site_id: schedule.site_id,
        result: &result,
    };
    let events = vec![
        audit::event(actor, Change::Updated(&schedule, &after))?,
        audit::event(actor, Change::Created(&recorded))?,
    ];
    audit::record_with(&mut writes, events);
    if let Err(e) = writes.run(&txn).await {
        if !matches!(sql_err(&e), Some(SqlErr::UniqueConstraintViolation(_))) {
            return Err(CONFLICTS.map(e));
        }
        // A concurrent submit committed first (the schedule's row lock
        // makes that rare: PostgreSQL then reads the first's result
        // above, as SQLite's write lock does). Answer as for a submit
        // that came after it, so both databases agree.
        txn.rollback().await?;
        let existing = results::find_by_schedule(&state.db, schedule_id)
            .await?
            .ok_or_else(|| CONFLICTS.map(e))?;
        return answer_existing(existing, idempotency_key, &hash);
    }
    txn.commit().await?;
    Ok(Submitted {
        result,
        replayed: false,
    })
}

/// The answer to a submit for a schedule that already has a result: the
/// first answer again for a retry (same key, same body); 422 for a key
/// reused with another body; otherwise 409.
fn answer_existing(
    existing: results::StoredResult,
    key: Option<&IdempotencyKey>,
    hash: &str,
) -> AppResult<Submitted> {
    match (key_of(key), &existing.idempotency_key) {
        (Some(k), Some(stored)) if k == stored && existing.request_hash == hash => Ok(Submitted {
            result: existing.result,
            replayed: true,
        }),
        (Some(k), Some(stored)) if k == stored => Err(AppError::validation(
            "Idempotency-Key",
            "reused",
            "this key was used for a different submission",
        )),
        _ => Err(AppError::Conflict(
            "the schedule already has a result".into(),
        )),
    }
}

pub async fn get(
    state: &AppState,
    actor: &CurrentUser,
    schedule_id: i64,
) -> AppResult<InspectionResult> {
    visible(actor, schedules::find(&state.db, schedule_id).await?)?;
    results::find_by_schedule(&state.db, schedule_id)
        .await?
        .map(|r| r.result)
        .ok_or(AppError::NotFound)
}
