//! Queries for plans and their versions.

use super::page_by_id;
use chrono::{DateTime, Utc};
use sea_orm::Order;

use crate::domain::page::PageRequest;
use crate::domain::plan::{DueTime, NewPlan, PlanPatch, Title, WindowHours};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::{Cols, Conn, JsonColumn, json_err, read_rows, set_some, statement, to_json};
use crate::domain::plan::{ChecklistItem, Plan};
use crate::domain::recurrence::Recurrence;
use crate::entities::plan_versions;
use crate::entities::plans::{self, Column, Entity as Plans};
use sea_orm::prelude::DateTimeWithTimeZone;
use sea_orm::sqlx::types::Json;

/// A plans row as read: the JSON columns decoded straight into their types.
struct PlanRow {
    id: i64,
    site_id: i64,
    equipment_id: i64,
    title: String,
    recurrence: JsonColumn<Recurrence>,
    due_time: String,
    window_hours: i32,
    assignee_id: Option<i64>,
    is_active: bool,
    version: i32,
    items: JsonColumn<Vec<ChecklistItem>>,
    created_at: DateTimeWithTimeZone,
    updated_at: DateTimeWithTimeZone,
}

impl TryFrom<PlanRow> for Plan {
    type Error = DbErr;
    fn try_from(m: PlanRow) -> Result<Self, DbErr> {
        Ok(Plan {
            id: m.id,
            site_id: m.site_id,
            equipment_id: m.equipment_id,
            title: Title::trusted(m.title),
            recurrence: m.recurrence.0,
            due_time: DueTime(
                // stored as `%H:%M:%S` (`due_time` below), read directly
                crate::domain::time::parse_time(&m.due_time)
                    .map_err(|e| DbErr::Type(format!("plans.due_time: {e}")))?,
            ),
            window_hours: u32::try_from(m.window_hours)
                .map(WindowHours::trusted)
                .map_err(|e| DbErr::Type(format!("plans.window_hours: {e}")))?,
            assignee_id: m.assignee_id,
            is_active: m.is_active,
            version: m.version,
            items: m.items.0,
            created_at: m.created_at.with_timezone(&Utc),
            updated_at: m.updated_at.with_timezone(&Utc),
        })
    }
}

/// The row an update returns, whose JSON columns SeaORM has already parsed.
impl TryFrom<plans::Model> for Plan {
    type Error = DbErr;
    fn try_from(m: plans::Model) -> Result<Self, DbErr> {
        PlanRow {
            id: m.id,
            site_id: m.site_id,
            equipment_id: m.equipment_id,
            title: m.title,
            recurrence: JsonColumn(serde_json::from_value(m.recurrence).map_err(json_err)?),
            due_time: m.due_time,
            window_hours: m.window_hours,
            assignee_id: m.assignee_id,
            is_active: m.is_active,
            version: m.version,
            items: JsonColumn(serde_json::from_value(m.items).map_err(json_err)?),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
        .try_into()
    }
}

/// A plan from the columns of `Plans::find()`, in their order.
pub(super) fn read(c: &mut Cols<'_>) -> Result<Plan, DbErr> {
    PlanRow {
        id: c.next("id")?,
        site_id: c.next("site_id")?,
        equipment_id: c.next("equipment_id")?,
        title: c.next("title")?,
        recurrence: JsonColumn(c.next::<Json<_>>("recurrence")?.0),
        due_time: c.next("due_time")?,
        window_hours: c.next("window_hours")?,
        assignee_id: c.next("assignee_id")?,
        is_active: c.next("is_active")?,
        version: c.next("version")?,
        items: JsonColumn(c.next::<Json<_>>("items")?.0),
        created_at: c.next("created_at")?,
        updated_at: c.next("updated_at")?,
    }
    .try_into()
}

/// Decodes the rows a select of plans returns.
async fn plans_of(conn: &impl Conn, q: sea_orm::Select<Plans>) -> Result<Vec<Plan>, DbErr> {
    read_rows(conn, statement(conn, &q), read).await
}

async fn insert_version(conn: &impl Conn, plan: &Plan, now: DateTime<Utc>) -> Result<(), DbErr> {
    plan_versions::ActiveModel {
        plan_id: Set(plan.id),
        version: Set(plan.version),
        items: Set(to_json(&plan.items)?),
        created_at: Set(now.into()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

fn due_time(t: DueTime) -> String {
    t.0.format("%H:%M:%S").to_string()
}

/// Inserts a plan (version 1) of equipment at `site_id`.
pub async fn insert(
    conn: &impl Conn,
    site_id: i64,
    f: NewPlan,
    now: DateTime<Utc>,
) -> Result<Plan, DbErr> {
    let plan: Plan = plans::ActiveModel {
        site_id: Set(site_id),
        equipment_id: Set(f.equipment_id),
        title: Set(f.title.into_string()),
        recurrence: Set(to_json(&f.recurrence)?),
        due_time: Set(due_time(f.due_time)),
        window_hours: Set(f.window_hours.get() as i32),
        assignee_id: Set(f.assignee_id),
        is_active: Set(true),
        version: Set(1),
        items: Set(to_json(&f.items)?),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(conn)
    .await?
    .try_into()?;
    insert_version(conn, &plan, now).await?;
    Ok(plan)
}

pub async fn find(conn: &impl Conn, id: i64) -> Result<Option<Plan>, DbErr> {
    Ok(plans_of(conn, Plans::find_by_id(id)).await?.pop())
}

/// The plans with these ids, in one query.
pub async fn find_many(conn: &impl Conn, ids: &[i64]) -> Result<Vec<Plan>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    plans_of(
        conn,
        Plans::find().filter(Column::Id.is_in(ids.iter().copied())),
    )
    .await
}

/// Filters of a plan list.
#[derive(Debug, Default)]
pub struct PlanFilter<'a> {
    pub site_id: Option<i64>,
    pub equipment_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub active: Option<bool>,
    pub scope: Option<&'a [i64]>,
}

/// One page ordered by id.
pub async fn list(
    conn: &impl Conn,
    f: &PlanFilter<'_>,
    page: &PageRequest<i64>,
) -> Result<Vec<Plan>, DbErr> {
    let mut cond = Condition::all();
    if let Some(ids) = f.scope {
        cond = cond.add(Column::SiteId.is_in(ids.iter().copied()));
    }
    if let Some(v) = f.site_id {
        cond = cond.add(Column::SiteId.eq(v));
    }
    if let Some(v) = f.equipment_id {
        cond = cond.add(Column::EquipmentId.eq(v));
    }
    if let Some(v) = f.assignee_id {
        cond = cond.add(Column::AssigneeId.eq(v));
    }
    if let Some(v) = f.active {
        cond = cond.add(Column::IsActive.eq(v));
    }
    plans_of(
        conn,
        page_by_id(Plans::find().filter(cond), Column::Id, Order::Asc, page),
    )
    .await
}

/// Applies the changes as a new version (the checklist of every version is kept).
pub async fn update(
    conn: &impl Conn,
    current: &Plan,
    f: PlanPatch,
    now: DateTime<Utc>,
) -> Result<Plan, DbErr> {
    let mut am = plans::ActiveModel {
        id: Set(current.id),
        version: Set(current.version + 1),
        updated_at: Set(now.into()),
        ..Default::default()
    };
    set_some!(am,
        title => f.title.map(Title::into_string),
        recurrence => f.recurrence.as_ref().map(to_json).transpose()?,
        due_time => f.due_time.map(due_time),
        window_hours => f.window_hours.map(|w| w.get() as i32),
        assignee_id => f.assignee_id,
        is_active => f.is_active,
        items => f.items.as_ref().map(to_json).transpose()?,
    );
    let plan: Plan = am.update(conn).await?.try_into()?;
    insert_version(conn, &plan, now).await?;
    Ok(plan)
}

/// Active plans after `after_id`, a batch at a time (for the generator).
pub async fn active_batch(conn: &impl Conn, after_id: i64, batch: u64) -> Result<Vec<Plan>, DbErr> {
    plans_of(
        conn,
        Plans::find()
            .filter(Column::IsActive.eq(true))
            .filter(Column::Id.gt(after_id))
            .order_by_asc(Column::Id)
            .limit(batch),
    )
    .await
}

/// The checklist of one version of a plan.
pub async fn version_items(
    conn: &impl Conn,
    plan_id: i64,
    version: i32,
) -> Result<Option<Vec<ChecklistItem>>, DbErr> {
    let items: Option<JsonColumn<Vec<ChecklistItem>>> =
        plan_versions::Entity::find_by_id((plan_id, version))
            .select_only()
            .column(plan_versions::Column::Items)
            .into_tuple()
            .one(conn)
            .await?;
    Ok(items.map(|i| i.0))
}
