//! Queries for results and their typed values.

use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::{json_err, schedules, stats, to_json};
use crate::domain::result::{InspectionResult, ItemValue};
use crate::domain::schedule::Schedule;
use crate::domain::stats::{Tally, day_number};
use crate::entities::{result_values, results};

/// A stored result: what was answered, and the idempotency data.
#[derive(Debug, Clone)]
pub struct StoredResult {
    pub result: InspectionResult,
    pub idempotency_key: Option<String>,
    pub request_hash: String,
}

pub async fn find_by_schedule(
    conn: &impl ConnectionTrait,
    schedule_id: i64,
) -> Result<Option<StoredResult>, DbErr> {
    let Some(m) = results::Entity::find()
        .filter(results::Column::ScheduleId.eq(schedule_id))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(StoredResult {
        result: serde_json::from_value(m.response).map_err(json_err)?,
        idempotency_key: m.idempotency_key,
        request_hash: m.request_hash,
    }))
}

/// Stores the result and one typed row per value, adds the values to the
/// statistics, and returns what the result adds to the schedule's tally
/// (for `schedules::update`, which records the status change with it).
pub async fn insert(
    conn: &impl ConnectionTrait,
    r: &InspectionResult,
    schedule: &Schedule,
    idempotency_key: Option<&str>,
    request_hash: &str,
) -> Result<Tally, DbErr> {
    let (site_id, due_at) = (schedule.site_id, schedule.due_at);
    let due_day = day_number(schedule.due_date);
    // Only the new id is read back (`exec`: RETURNING "id"), not the row
    // with its stored answer.
    let row = results::ActiveModel {
        schedule_id: Set(r.schedule_id),
        plan_id: Set(r.plan_id),
        plan_version: Set(r.plan_version),
        site_id: Set(site_id),
        due_at: Set(due_at.into()),
        due_day: Set(due_day),
        submitted_by: Set(r.submitted_by),
        submitted_at: Set(r.submitted_at.into()),
        notes: Set(r.notes.as_ref().map(|n| n.as_str().to_owned())),
        passed: Set(r.passed),
        failed_items: Set(to_json(&r.failed_items)?),
        pass_rate: Set(r.pass_rate),
        response: Set(to_json(r)?),
        idempotency_key: Set(idempotency_key.map(str::to_owned)),
        request_hash: Set(request_hash.to_owned()),
        ..Default::default()
    };
    let id = results::Entity::insert(row)
        .exec(conn)
        .await?
        .last_insert_id;
    let values: Vec<result_values::ActiveModel> = r
        .values
        .iter()
        .map(|v| result_values::ActiveModel {
            result_id: Set(id),
            site_id: Set(site_id),
            plan_id: Set(r.plan_id),
            due_at: Set(due_at.into()),
            due_day: Set(due_day),
            item_key: Set(v.key.as_str().to_owned()),
            kind: Set(v.kind.as_str().to_owned()),
            number_value: Set(match v.value {
                ItemValue::Number(n) => Some(n.get()),
                _ => None,
            }),
            bool_value: Set(match v.value {
                ItemValue::Check(b) => Some(b),
                _ => None,
            }),
            text_value: Set(match &v.value {
                ItemValue::Text(t) => Some(t.clone()),
                _ => None,
            }),
            passed: Set(v.passed),
            ..Default::default()
        })
        .collect();
    if !values.is_empty() {
        result_values::Entity::insert_many(values)
            .exec_without_returning(conn)
            .await?;
    }
    let key = schedules::day_key(schedule);
    stats::add_values(
        conn,
        r.values.iter().filter_map(|v| match v.value {
            ItemValue::Number(n) => Some((key, v.key.as_str().to_owned(), n.get())),
            _ => None,
        }),
    )
    .await?;
    Ok(Tally {
        results: 1,
        passed: i64::from(r.passed),
        ..Default::default()
    })
}
