//! Queries for users.

use super::page_by_id;
use chrono::{DateTime, Utc};
use sea_orm::Order;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QuerySelect,
};

use super::{Conn, Shaped, set_some, stored};
use crate::domain::page::PageRequest;
use crate::domain::user::{Email, NewUser, Role, User, UserFilter, UserName, UserPatch};
use crate::entities::users::{self, Column, Entity as Users};

/// What authentication needs to know about a user.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub password_hash: String,
    pub is_active: bool,
}

impl TryFrom<users::Model> for User {
    type Error = DbErr;
    fn try_from(m: users::Model) -> Result<Self, DbErr> {
        Ok(User {
            id: m.id,
            email: Email::trusted(m.email),
            name: UserName::trusted(m.name),
            role: stored("users.role", &m.role)?,
            is_active: m.is_active,
            created_at: m.created_at.with_timezone(&Utc),
            updated_at: m.updated_at.with_timezone(&Utc),
        })
    }
}

impl TryFrom<users::Model> for Credentials {
    type Error = DbErr;
    fn try_from(m: users::Model) -> Result<Self, DbErr> {
        Ok(Credentials {
            id: m.id,
            role: stored("users.role", &m.role)?,
            email: m.email,
            password_hash: m.password_hash,
            is_active: m.is_active,
        })
    }
}

pub async fn insert(
    conn: &impl ConnectionTrait,
    user: &NewUser,
    password_hash: String,
    now: DateTime<Utc>,
) -> Result<User, DbErr> {
    let model = users::ActiveModel {
        email: Set(user.email.as_str().to_owned()),
        name: Set(user.name.as_str().to_owned()),
        role: Set(user.role.as_str().to_owned()),
        password_hash: Set(password_hash),
        is_active: Set(true),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    model.try_into()
}

pub async fn find(conn: &impl ConnectionTrait, id: i64) -> Result<Option<User>, DbErr> {
    find_visible(conn, id, None).await
}

/// The user, if they are a member of one of `sites` (any user when `None`).
pub async fn find_visible(
    conn: &impl ConnectionTrait,
    id: i64,
    sites: Option<&[i64]>,
) -> Result<Option<User>, DbErr> {
    let mut q = Users::find_by_id(id);
    if let Some(sites) = sites {
        q = q.filter(member_of(sites));
    }
    q.one(conn).await?.map(User::try_from).transpose()
}

pub async fn credentials_by_email(
    conn: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<Credentials>, DbErr> {
    Users::find()
        .filter(Column::Email.eq(email))
        .one(conn)
        .await?
        .map(Credentials::try_from)
        .transpose()
}

pub async fn credentials_by_id(
    conn: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<Credentials>, DbErr> {
    Users::find_by_id(id)
        .one(conn)
        .await?
        .map(Credentials::try_from)
        .transpose()
}

/// What every authenticated request needs of its caller: role, whether
/// the account is active, and the ids of their sites. One joined query
/// reading only those columns.
pub async fn access(conn: &impl Conn, id: i64) -> Result<Option<(Role, bool, Vec<i64>)>, DbErr> {
    use crate::entities::site_members;
    static ACCESS: Shaped = Shaped::new();
    let query = || {
        Users::find_by_id(id)
            .select_only()
            .column(Column::Role)
            .column(Column::IsActive)
            .column(site_members::Column::SiteId)
            .left_join(site_members::Entity)
    };
    let stmt = ACCESS.statement(conn.get_database_backend(), query, vec![id.into()]);
    let rows = super::read_rows(conn, stmt, |c| {
        Ok((
            stored::<Role>("users.role", c.next::<&str>("role")?)?,
            c.next::<bool>("is_active")?,
            c.next::<Option<i64>>("site_id")?,
        ))
    })
    .await?;
    let Some(&(role, active, _)) = rows.first() else {
        return Ok(None);
    };
    let sites = rows.into_iter().filter_map(|r| r.2).collect();
    Ok(Some((role, active, sites)))
}

/// One page of users ordered by id.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: &UserFilter,
    page: &PageRequest<i64>,
) -> Result<Vec<User>, DbErr> {
    let mut q = Users::find();
    if let Some(role) = filter.role {
        q = q.filter(Column::Role.eq(role.as_str()));
    }
    if let Some(active) = filter.active {
        q = q.filter(Column::IsActive.eq(active));
    }
    if let Some(sites) = &filter.sites {
        q = q.filter(member_of(sites));
    }
    page_by_id(q, Column::Id, Order::Asc, page)
        .all(conn)
        .await?
        .into_iter()
        .map(User::try_from)
        .collect()
}

/// Applies the changes; `None` when the user does not exist.
pub async fn update(
    conn: &impl ConnectionTrait,
    id: i64,
    changes: &UserPatch,
    now: DateTime<Utc>,
) -> Result<Option<User>, DbErr> {
    let Some(model) = Users::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    let mut active: users::ActiveModel = model.into();
    set_some!(active,
        email => changes.email.as_ref().map(|e| e.as_str().to_owned()),
        name => changes.name.as_ref().map(|n| n.as_str().to_owned()),
        role => changes.role.map(|r| r.as_str().to_owned()),
        is_active => changes.is_active,
    );
    active.updated_at = Set(now.into());
    active.update(conn).await?.try_into().map(Some)
}

pub async fn set_password_hash(
    conn: &impl ConnectionTrait,
    id: i64,
    hash: String,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    users::ActiveModel {
        id: Set(id),
        password_hash: Set(hash),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .update(conn)
    .await?;
    Ok(())
}

/// (id, name) of these users, in one query.
pub async fn names(conn: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<(i64, String)>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .column(users::Column::Name)
        .filter(users::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(conn)
        .await
}

/// Users who are members of at least one of `sites`.
fn member_of(sites: &[i64]) -> sea_orm::sea_query::SimpleExpr {
    use crate::entities::site_members::{Column as M, Entity as Members};
    Column::Id.in_subquery(
        sea_orm::sea_query::Query::select()
            .column(M::UserId)
            .from(Members)
            .and_where(M::SiteId.is_in(sites.iter().copied()))
            .to_owned(),
    )
}
