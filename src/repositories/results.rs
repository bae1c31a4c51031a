//! Queries for results and their typed values.

use chrono::{DateTime, FixedOffset};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryTrait,
};

use super::{Writes, json_err, schedules, stats, to_json};
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

/// Stores the result and one typed row per value and adds the values to
/// the statistics, with the `writes` of the submit's transaction; returns
/// what the result adds to the schedule's tally (for `schedules::update`,
/// which records the status change with it). The value rows find their
/// result by its schedule (one result per schedule), so no id is read back
/// between the writes.
pub fn insert(
    writes: &mut Writes,
    r: &InspectionResult,
    schedule: &Schedule,
    idempotency_key: Option<&str>,
    request_hash: &str,
) -> Result<Tally, DbErr> {
    use result_values::Column as V;
    let (site_id, due_at) = (schedule.site_id, schedule.due_at);
    let due_at: DateTime<FixedOffset> = due_at.into();
    let due_day = day_number(schedule.due_date);
    let row = results::ActiveModel {
        schedule_id: Set(r.schedule_id),
        plan_id: Set(r.plan_id),
        plan_version: Set(r.plan_version),
        site_id: Set(site_id),
        due_at: Set(due_at),
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
    writes.push(&results::Entity::insert(row).into_query());
    if !r.values.is_empty() {
        let mut q = Query::insert();
        q.into_table(result_values::Entity).columns([
            V::ResultId,
            V::SiteId,
            V::PlanId,
            V::DueAt,
            V::DueDay,
            V::ItemKey,
            V::Kind,
            V::NumberValue,
            V::BoolValue,
            V::TextValue,
            V::Passed,
        ]);
        let result_id = Query::select()
            .column(results::Column::Id)
            .from(results::Entity)
            .and_where(results::Column::ScheduleId.eq(r.schedule_id))
            .to_owned();
        for v in &r.values {
            let (number, check, text) = match &v.value {
                ItemValue::Number(n) => (Some(n.get()), None, None),
                ItemValue::Check(b) => (None, Some(*b), None),
                ItemValue::Text(t) => (None, None, Some(t.clone())),
            };
            q.values_panic([
                Expr::from(result_id.clone()),
                site_id.into(),
                r.plan_id.into(),
                due_at.into(),
                due_day.into(),
                v.key.as_str().into(),
                v.kind.as_str().into(),
                number.into(),
                check.into(),
                text.into(),
                v.passed.into(),
            ]);
        }
        writes.push(&q);
    }
    let key = schedules::day_key(schedule);
    stats::add_values(
        writes,
        r.values.iter().filter_map(|v| match v.value {
            ItemValue::Number(n) => Some((key, v.key.as_str().to_owned(), n.get())),
            _ => None,
        }),
    );
    Ok(Tally {
        results: 1,
        passed: i64::from(r.passed),
        ..Default::default()
    })
}
