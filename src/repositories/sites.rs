//! Queries for sites and their members.

use super::page_by_id;
use chrono::{DateTime, Utc};
use sea_orm::Order;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};

use super::{set_some, stored_parsed};
use crate::domain::page::PageRequest;
use crate::domain::site::{Code, Name, NewSite, Site, SitePatch};
use crate::domain::user::User;
use crate::entities::site_members::{self, Entity as SiteMembers};
use crate::entities::sites::{self, Column, Entity as Sites};
use crate::entities::users;

impl TryFrom<sites::Model> for Site {
    type Error = DbErr;
    fn try_from(m: sites::Model) -> Result<Self, DbErr> {
        Ok(Site {
            id: m.id,
            code: Code::trusted(m.code),
            name: Name::trusted(m.name),
            country_code: stored_parsed("sites.country_code", m.country_code)?,
            timezone: stored_parsed("sites.timezone", m.timezone)?,
            created_at: m.created_at.with_timezone(&Utc),
            updated_at: m.updated_at.with_timezone(&Utc),
        })
    }
}

fn all(models: Vec<sites::Model>) -> Result<Vec<Site>, DbErr> {
    models.into_iter().map(Site::try_from).collect()
}

pub async fn insert(
    conn: &impl ConnectionTrait,
    f: NewSite,
    now: DateTime<Utc>,
) -> Result<Site, DbErr> {
    sites::ActiveModel {
        code: Set(f.code.into_string()),
        name: Set(f.name.into_string()),
        country_code: Set(f.country_code.as_str().to_owned()),
        timezone: Set(f.timezone.name().to_owned()),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(conn)
    .await?
    .try_into()
}

pub async fn find(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Site>, DbErr> {
    Sites::find_by_id(id)
        .one(conn)
        .await?
        .map(Site::try_from)
        .transpose()
}

/// One page ordered by id; `scope` restricts to these ids.
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: Option<&[i64]>,
    page: &PageRequest<i64>,
) -> Result<Vec<Site>, DbErr> {
    let mut q = Sites::find();
    if let Some(ids) = scope {
        q = q.filter(Column::Id.is_in(ids.iter().copied()));
    }
    all(page_by_id(q, Column::Id, Order::Asc, page)
        .all(conn)
        .await?)
}

pub async fn update(
    conn: &impl ConnectionTrait,
    id: i64,
    f: SitePatch,
    now: DateTime<Utc>,
) -> Result<Option<Site>, DbErr> {
    let Some(model) = Sites::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    let mut am: sites::ActiveModel = model.into();
    set_some!(am,
        code => f.code.map(Code::into_string),
        name => f.name.map(Name::into_string),
        country_code => f.country_code.map(|c| c.as_str().to_owned()),
        timezone => f.timezone.map(|t| t.name().to_owned()),
    );
    am.updated_at = Set(now.into());
    am.update(conn).await?.try_into().map(Some)
}

pub async fn delete(conn: &impl ConnectionTrait, id: i64) -> Result<u64, DbErr> {
    Ok(Sites::delete_by_id(id).exec(conn).await?.rows_affected)
}

/// The members of a site, in one joined query.
pub async fn members(conn: &impl ConnectionTrait, site_id: i64) -> Result<Vec<User>, DbErr> {
    users::Entity::find()
        .inner_join(SiteMembers)
        .filter(site_members::Column::SiteId.eq(site_id))
        .order_by_asc(users::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(User::try_from)
        .collect()
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
    all(Sites::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?)
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
