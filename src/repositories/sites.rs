//! Queries for sites and their members.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::domain::site::{Site, SiteFields};
use crate::domain::user::User;
use crate::entities::site_members::{self, Entity as SiteMembers};
use crate::entities::sites::{self, Column, Entity as Sites};
use crate::entities::users;

impl From<sites::Model> for Site {
    fn from(m: sites::Model) -> Self {
        Site {
            id: m.id,
            code: m.code,
            name: m.name,
            country_code: m.country_code,
            timezone: m.timezone,
            created_at: m.created_at.with_timezone(&Utc),
            updated_at: m.updated_at.with_timezone(&Utc),
        }
    }
}

/// Inserts a site; every field of `f` must be set.
pub async fn insert(
    conn: &impl ConnectionTrait,
    f: SiteFields,
    now: DateTime<Utc>,
) -> Result<Site, DbErr> {
    Ok(sites::ActiveModel {
        code: Set(f.code.unwrap_or_default()),
        name: Set(f.name.unwrap_or_default()),
        country_code: Set(f.country_code.unwrap_or_default()),
        timezone: Set(f.timezone.unwrap_or_default()),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(conn)
    .await?
    .into())
}

pub async fn find(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Site>, DbErr> {
    Ok(Sites::find_by_id(id).one(conn).await?.map(Site::from))
}

/// One page ordered by id (`limit + 1` rows); `scope` restricts to these ids.
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: Option<&[i64]>,
    after_id: Option<i64>,
    limit: u64,
) -> Result<Vec<Site>, DbErr> {
    let mut q = Sites::find();
    if let Some(ids) = scope {
        q = q.filter(Column::Id.is_in(ids.iter().copied()));
    }
    if let Some(after) = after_id {
        q = q.filter(Column::Id.gt(after));
    }
    Ok(q.order_by_asc(Column::Id)
        .limit(limit + 1)
        .all(conn)
        .await?
        .into_iter()
        .map(Site::from)
        .collect())
}

pub async fn update(
    conn: &impl ConnectionTrait,
    id: i64,
    f: SiteFields,
    now: DateTime<Utc>,
) -> Result<Option<Site>, DbErr> {
    let Some(model) = Sites::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    let mut am: sites::ActiveModel = model.into();
    if let Some(v) = f.code {
        am.code = Set(v);
    }
    if let Some(v) = f.name {
        am.name = Set(v);
    }
    if let Some(v) = f.country_code {
        am.country_code = Set(v);
    }
    if let Some(v) = f.timezone {
        am.timezone = Set(v);
    }
    am.updated_at = Set(now.into());
    Ok(Some(am.update(conn).await?.into()))
}

pub async fn delete(conn: &impl ConnectionTrait, id: i64) -> Result<u64, DbErr> {
    Ok(Sites::delete_by_id(id).exec(conn).await?.rows_affected)
}

/// The members of a site, in one joined query.
pub async fn members(conn: &impl ConnectionTrait, site_id: i64) -> Result<Vec<User>, DbErr> {
    Ok(users::Entity::find()
        .inner_join(SiteMembers)
        .filter(site_members::Column::SiteId.eq(site_id))
        .order_by_asc(users::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(User::from)
        .collect())
}

/// Adds a member; true when they were not one already.
pub async fn add_member(
    conn: &impl ConnectionTrait,
    site_id: i64,
    user_id: i64,
) -> Result<bool, DbErr> {
    let n = SiteMembers::insert(site_members::ActiveModel {
        user_id: Set(user_id),
        site_id: Set(site_id),
    })
    .on_conflict(
        OnConflict::columns([site_members::Column::UserId, site_members::Column::SiteId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(n > 0)
}

/// Removes a member; true when they were one.
pub async fn remove_member(
    conn: &impl ConnectionTrait,
    site_id: i64,
    user_id: i64,
) -> Result<bool, DbErr> {
    let res = SiteMembers::delete_many()
        .filter(site_members::Column::SiteId.eq(site_id))
        .filter(site_members::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    Ok(res.rows_affected > 0)
}

/// The sites with these ids, in one query.
pub async fn find_many(conn: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<Site>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(Sites::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(Site::from)
        .collect())
}

/// Whether the user is a member of the site.
pub async fn is_member(
    conn: &impl ConnectionTrait,
    site_id: i64,
    user_id: i64,
) -> Result<bool, DbErr> {
    Ok(SiteMembers::find_by_id((user_id, site_id))
        .one(conn)
        .await?
        .is_some())
}
