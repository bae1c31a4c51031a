//! Queries for schedules.

use chrono::{DateTime, FixedOffset, SubsecRound, Utc};
use sea_orm::sea_query::{Expr, LockType, OnConflict, Query, ReturningClause};
use sea_orm::sqlx::types::Json;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, Iterable,
    JoinType, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, StatementBuilder,
};

use super::equipment as repo_equipment;
use super::plans;
use super::stats::{self, DayKey};
use super::{Cols, Conn, Shaped, Writes, read_rows, statement, stored};
use crate::domain::page::PageRequest;
use crate::domain::plan::ChecklistItem;
use crate::domain::schedule::{Include, Schedule, ScheduleStatus, Stamp};
use crate::domain::stats::{Tally, day_date, day_number};
use crate::entities::equipment::{self, Entity as EquipmentEntity};
use crate::entities::plan_versions;
use crate::entities::plans::{self as plan, Entity as Plans};
use crate::entities::schedules::{self, Column, Entity as Schedules};

fn utc(t: DateTime<FixedOffset>) -> DateTime<Utc> {
    t.with_timezone(&Utc)
}

fn fixed(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.into()
}

/// A schedule from the columns of `Schedules::find()` (or `all_columns()`),
/// in their order: the one decoder of a schedule's row.
fn read(c: &mut Cols<'_>) -> Result<Schedule, DbErr> {
    Ok(Schedule {
        id: c.next("id")?,
        plan_id: c.next("plan_id")?,
        plan_version: c.next("plan_version")?,
        site_id: c.next("site_id")?,
        equipment_id: c.next("equipment_id")?,
        assignee_id: c.next("assignee_id")?,
        due_at: utc(c.next("due_at")?),
        due_date: day_date(c.next("due_day")?),
        window_ends_at: utc(c.next("window_ends_at")?),
        status: stored("schedules.status", c.next::<&str>("status")?)?,
        started_at: c.next::<Option<_>>("started_at")?.map(utc),
        completed_at: c.next::<Option<_>>("completed_at")?.map(utc),
        created_at: utc(c.next("created_at")?),
        updated_at: utc(c.next("updated_at")?),
        plan: None,
        equipment: None,
    })
}

/// A schedule to generate.
#[derive(Debug, Clone)]
pub struct NewSchedule {
    pub plan_id: i64,
    pub plan_version: i32,
    pub site_id: i64,
    pub equipment_id: i64,
    pub assignee_id: Option<i64>,
    pub due_at: DateTime<Utc>,
    /// The local date of the occurrence (`domain::stats::day_number`).
    pub due_day: i64,
    pub window_ends_at: DateTime<Utc>,
}

/// Inserts the schedules that do not exist yet (unique per plan and due
/// instant), so running twice, or on two instances at once, adds nothing.
/// Like every change of schedules here, it keeps the statistics blocks:
/// call it in a transaction.
pub async fn insert_missing(
    conn: &impl ConnectionTrait,
    rows: &[NewSchedule],
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut inserted = 0;
    for chunk in rows.chunks(500) {
        let models = chunk.iter().map(|r| schedules::ActiveModel {
            plan_id: Set(r.plan_id),
            plan_version: Set(r.plan_version),
            site_id: Set(r.site_id),
            equipment_id: Set(r.equipment_id),
            assignee_id: Set(r.assignee_id),
            due_at: Set(fixed(r.due_at)),
            due_day: Set(r.due_day),
            window_ends_at: Set(fixed(r.window_ends_at)),
            status: Set(ScheduleStatus::Open.as_str().to_owned()),
            started_at: Set(None),
            completed_at: Set(None),
            created_at: Set(fixed(now)),
            updated_at: Set(fixed(now)),
            ..Default::default()
        });
        let mut q = Schedules::insert_many(models)
            .on_conflict(
                OnConflict::columns([Column::PlanId, Column::DueAt])
                    .do_nothing()
                    .to_owned(),
            )
            .into_query();
        q.returning(day_keys());
        let keys = changed_days(conn, &q).await?;
        inserted += keys.len() as u64;
        let opened = Tally::of_status(ScheduleStatus::Open, 1);
        stats::apply(conn, keys.into_iter().map(|k| (k, opened))).await?;
    }
    Ok(inserted)
}

/// Removes the plan's open schedules due after `now` (they get regenerated);
/// one that already has an attachment is evidence and stays.
pub async fn delete_future_open(
    conn: &impl ConnectionTrait,
    plan_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut q = Schedules::delete_many()
        .filter(Column::PlanId.eq(plan_id))
        .filter(Column::Status.eq(ScheduleStatus::Open.as_str()))
        .filter(Column::DueAt.gt(fixed(now)))
        .filter(
            Column::Id.not_in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(crate::entities::attachments::Column::ScheduleId)
                    .from(crate::entities::attachments::Entity)
                    .to_owned(),
            ),
        )
        .into_query();
    q.returning(day_keys());
    moved(conn, &q, Tally::of_status(ScheduleStatus::Open, -1)).await
}

pub async fn find(conn: &impl Conn, id: i64) -> Result<Option<Schedule>, DbErr> {
    static BY_ID: Shaped = Shaped::new();
    let stmt = BY_ID.statement(
        conn.get_database_backend(),
        || Schedules::find_by_id(id).limit(1),
        vec![id.into(), 1u64.into()],
    );
    Ok(read_rows(conn, stmt, read).await?.pop())
}

/// Reads the schedule and locks its row until the transaction ends (on
/// SQLite the write transaction already holds the database), so its status
/// cannot change under the caller.
pub async fn find_for_update(conn: &impl Conn, id: i64) -> Result<Option<Schedule>, DbErr> {
    let stmt = statement(conn, &Schedules::find_by_id(id).lock_exclusive());
    Ok(read_rows(conn, stmt, read).await?.pop())
}

/// `find_for_update` with the checklist of the plan version the schedule
/// was generated from, read in the same statement: a submit's first read
/// while it holds the write lock, so one statement fewer in the section
/// every SQLite writer waits for. The checklist is `None` when that
/// version does not exist.
pub async fn find_for_submit(
    conn: &impl Conn,
    id: i64,
) -> Result<Option<(Schedule, Option<Vec<ChecklistItem>>)>, DbErr> {
    let mut query = Schedules::find_by_id(id)
        .join(
            JoinType::LeftJoin,
            Schedules::belongs_to(plan_versions::Entity)
                .from((Column::PlanId, Column::PlanVersion))
                .to((
                    plan_versions::Column::PlanId,
                    plan_versions::Column::Version,
                ))
                .into(),
        )
        .column(plan_versions::Column::Items);
    // Only the schedule's row: PostgreSQL locks no row of the nullable
    // side of an outer join (nor should it lock the version).
    QueryTrait::query(&mut query).lock_with_tables(LockType::Update, [Schedules]);
    let stmt = statement(conn, &query);
    let found = read_rows(conn, stmt, |c| {
        let schedule = read(c)?;
        let items = c.next::<Option<Json<Vec<ChecklistItem>>>>("items")?;
        Ok((schedule, items.map(|i| i.0)))
    })
    .await?;
    Ok(found.into_iter().next())
}

/// Filters of a schedule list.
#[derive(Debug, Default)]
pub struct ScheduleFilter<'a> {
    pub site_id: Option<i64>,
    pub plan_id: Option<i64>,
    pub equipment_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub status: Option<ScheduleStatus>,
    pub due_from: Option<DateTime<Utc>>,
    pub due_to: Option<DateTime<Utc>>,
    pub scope: Option<&'a [i64]>,
}

/// One page in (due_at, id) order, after the page's keyset, each schedule
/// with its plan and its equipment when `include` names them: joined in
/// the same statement, so a page is one round trip to the database and one
/// pass over its rows, whatever it embeds (SQLite hands every row from its
/// connection's thread to the request's task, and each further statement
/// is one more round trip and one more release ping on PostgreSQL).
pub async fn list(
    conn: &impl Conn,
    f: &ScheduleFilter<'_>,
    page: &PageRequest<(DateTime<Utc>, i64)>,
    include: Include,
) -> Result<Vec<Schedule>, DbErr> {
    let mut cond = Condition::all();
    if let Some(ids) = f.scope {
        cond = cond.add(Column::SiteId.is_in(ids.iter().copied()));
    }
    if let Some(v) = f.site_id {
        cond = cond.add(Column::SiteId.eq(v));
    }
    if let Some(v) = f.plan_id {
        cond = cond.add(Column::PlanId.eq(v));
    }
    if let Some(v) = f.equipment_id {
        cond = cond.add(Column::EquipmentId.eq(v));
    }
    if let Some(v) = f.assignee_id {
        cond = cond.add(Column::AssigneeId.eq(v));
    }
    if let Some(v) = f.status {
        cond = cond.add(Column::Status.eq(v.as_str()));
    }
    if let Some(v) = f.due_from {
        cond = cond.add(Column::DueAt.gte(fixed(v)));
    }
    if let Some(v) = f.due_to {
        cond = cond.add(Column::DueAt.lt(fixed(v)));
    }
    if let Some((due, id)) = page.after {
        cond = cond.add(
            Condition::any().add(Column::DueAt.gt(fixed(due))).add(
                Condition::all()
                    .add(Column::DueAt.eq(fixed(due)))
                    .add(Column::Id.gt(id)),
            ),
        );
    }
    let mut query = Schedules::find()
        .filter(cond)
        .order_by_asc(Column::DueAt)
        .order_by_asc(Column::Id)
        .limit(page.fetch());
    if include.plan {
        query = joined(query, Plans, Column::PlanId, plan::Column::Id);
    }
    if include.equipment {
        query = joined(
            query,
            EquipmentEntity,
            Column::EquipmentId,
            equipment::Column::Id,
        );
    }
    let plan_columns = plan::Column::iter().count();
    let equipment_columns = equipment::Column::iter().count();
    read_rows(conn, statement(conn, &query), |c| {
        let mut s = read(c)?;
        if include.plan {
            s.plan = c.joined(plan_columns, plans::read)?;
        }
        if include.equipment {
            s.equipment = c.joined(equipment_columns, repo_equipment::read)?;
        }
        Ok(s)
    })
    .await
}

/// The select with the row of `other` whose `id` the schedule's `key`
/// names joined (`LEFT JOIN`), all its columns after the schedule's.
fn joined<E: EntityTrait>(
    query: Select<Schedules>,
    other: E,
    key: Column,
    id: E::Column,
) -> Select<Schedules> {
    query
        .join(
            JoinType::LeftJoin,
            Schedules::belongs_to(other).from(key).to(id).into(),
        )
        .columns(E::Column::iter())
}

/// Changes assignee and/or status of a schedule read with
/// `find_for_update` in the same transaction, with its `writes`, and
/// returns the schedule as they leave it. `recorded` is what a result
/// stored with the change adds to the statistics (one write for both).
/// The row is locked (or SQLite's one writer held) from the read to the
/// commit, so the schedule after is the one read with the change applied;
/// `now` is kept to the microsecond, as PostgreSQL stores it.
pub fn update(
    writes: &mut Writes,
    before: &Schedule,
    assignee_id: Option<Option<i64>>,
    status: Option<ScheduleStatus>,
    now: DateTime<Utc>,
    recorded: Tally,
) -> Schedule {
    let now = now.trunc_subsecs(6);
    let mut after = before.clone();
    after.updated_at = now;
    let mut delta = recorded;
    let mut am = schedules::ActiveModel {
        updated_at: Set(fixed(now)),
        ..Default::default()
    };
    if let Some(a) = assignee_id {
        am.assignee_id = Set(a);
        after.assignee_id = a;
    }
    if let Some(s) = status {
        am.status = Set(s.as_str().to_owned());
        after.status = s;
        match s.stamps() {
            Some(Stamp::Started) => {
                am.started_at = Set(Some(fixed(now)));
                after.started_at = Some(now);
            }
            Some(Stamp::Completed) => {
                am.completed_at = Set(Some(fixed(now)));
                after.completed_at = Some(now);
            }
            None => {}
        }
        if s != before.status {
            delta.add(&Tally::moved(before.status, s));
        }
    }
    if !delta.is_zero() {
        stats::add(writes, [(day_key(before), delta)]);
    }
    let q = Schedules::update_many()
        .set(am)
        .filter(Column::Id.eq(before.id))
        .into_query();
    writes.push(&q);
    after
}

/// Moves the schedule from its status as read to `to` only if it is still
/// in it; false if another request changed it first.
pub async fn transition(
    conn: &impl ConnectionTrait,
    s: &Schedule,
    to: ScheduleStatus,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let (id, from) = (s.id, s.status);
    let mut q = Schedules::update_many()
        .col_expr(Column::Status, Expr::value(to.as_str()))
        .col_expr(Column::UpdatedAt, Expr::value(fixed(now)));
    match to.stamps() {
        Some(Stamp::Started) => q = q.col_expr(Column::StartedAt, Expr::value(fixed(now))),
        Some(Stamp::Completed) => q = q.col_expr(Column::CompletedAt, Expr::value(fixed(now))),
        None => {}
    }
    let res = q
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(from.as_str()))
        .exec(conn)
        .await?;
    let moved = res.rows_affected == 1;
    if moved {
        stats::apply(conn, [(day_key(s), Tally::moved(from, to))]).await?;
    }
    Ok(moved)
}

/// Open schedules whose window has passed become `missed`.
pub async fn mark_missed(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let mut q = Schedules::update_many()
        .col_expr(Column::Status, Expr::value(ScheduleStatus::Missed.as_str()))
        .col_expr(Column::UpdatedAt, Expr::value(fixed(now)))
        .filter(Column::Status.eq(ScheduleStatus::Open.as_str()))
        .filter(Column::WindowEndsAt.lt(fixed(now)))
        .into_query();
    q.returning(day_keys());
    let delta = Tally::moved(ScheduleStatus::Open, ScheduleStatus::Missed);
    moved(conn, &q, delta).await
}

/// Cancels the plan's open schedules due after `now` (plan deactivated).
pub async fn cancel_future_open(
    conn: &impl ConnectionTrait,
    plan_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut q = Schedules::update_many()
        .col_expr(
            Column::Status,
            Expr::value(ScheduleStatus::Cancelled.as_str()),
        )
        .col_expr(Column::UpdatedAt, Expr::value(fixed(now)))
        .filter(Column::PlanId.eq(plan_id))
        .filter(Column::Status.eq(ScheduleStatus::Open.as_str()))
        .filter(Column::DueAt.gt(fixed(now)))
        .filter(
            Column::Id.not_in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(crate::entities::attachments::Column::ScheduleId)
                    .from(crate::entities::attachments::Entity)
                    .to_owned(),
            ),
        )
        .into_query();
    q.returning(day_keys());
    let delta = Tally::moved(ScheduleStatus::Open, ScheduleStatus::Cancelled);
    moved(conn, &q, delta).await
}

fn day_keys() -> ReturningClause {
    Query::returning().columns([Column::SiteId, Column::PlanId, Column::DueDay])
}

/// Runs a statement returning `day_keys()` of the rows it changed.
async fn changed_days(
    conn: &impl ConnectionTrait,
    q: &impl StatementBuilder,
) -> Result<Vec<DayKey>, DbErr> {
    conn.query_all(q)
        .await?
        .iter()
        .map(|r| {
            Ok(DayKey {
                site_id: r.try_get_by_index(0)?,
                plan_id: r.try_get_by_index(1)?,
                day: r.try_get_by_index(2)?,
            })
        })
        .collect()
}

/// Runs a statement returning `day_keys()`, and adds `delta` per row changed.
async fn moved(
    conn: &impl ConnectionTrait,
    q: &impl StatementBuilder,
    delta: Tally,
) -> Result<u64, DbErr> {
    let keys = changed_days(conn, q).await?;
    let n = keys.len() as u64;
    stats::apply(conn, keys.into_iter().map(|k| (k, delta))).await?;
    Ok(n)
}

/// The statistics key of a schedule.
pub fn day_key(s: &Schedule) -> DayKey {
    DayKey {
        site_id: s.site_id,
        plan_id: s.plan_id,
        day: day_number(s.due_date),
    }
}
