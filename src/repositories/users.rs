//! Queries for users.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::domain::user::{NewUser, Role, User, UserChanges, UserFilter};
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

impl From<users::Model> for User {
    fn from(m: users::Model) -> Self {
        User {
            id: m.id,
            email: m.email,
            name: m.name,
            role: parse_role(&m.role),
            is_active: m.is_active,
            created_at: m.created_at.with_timezone(&Utc),
            updated_at: m.updated_at.with_timezone(&Utc),
        }
    }
}

impl From<users::Model> for Credentials {
    fn from(m: users::Model) -> Self {
        Credentials {
            id: m.id,
            role: parse_role(&m.role),
            email: m.email,
            password_hash: m.password_hash,
            is_active: m.is_active,
        }
    }
}

/// Roles are written only by this module, so an unknown one is a corrupt
/// row; it gets the least privilege rather than a crash.
fn parse_role(s: &str) -> Role {
    s.parse().unwrap_or(Role::Viewer)
}

pub async fn insert(
    conn: &impl ConnectionTrait,
    user: &NewUser,
    password_hash: String,
    now: DateTime<Utc>,
) -> Result<User, DbErr> {
    let model = users::ActiveModel {
        email: Set(user.email.as_str().to_owned()),
        name: Set(user.name.clone()),
        role: Set(user.role.as_str().to_owned()),
        password_hash: Set(password_hash),
        is_active: Set(true),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(model.into())
}

pub async fn find(conn: &impl ConnectionTrait, id: i64) -> Result<Option<User>, DbErr> {
    Ok(Users::find_by_id(id).one(conn).await?.map(User::from))
}

pub async fn credentials_by_email(
    conn: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<Credentials>, DbErr> {
    Ok(Users::find()
        .filter(Column::Email.eq(email))
        .one(conn)
        .await?
        .map(Credentials::from))
}

pub async fn credentials_by_id(
    conn: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<Credentials>, DbErr> {
    Ok(Users::find_by_id(id)
        .one(conn)
        .await?
        .map(Credentials::from))
}

/// The user and the ids of their sites, in one joined query.
pub async fn with_sites(
    conn: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<(Credentials, Vec<i64>)>, DbErr> {
    let rows = Users::find_by_id(id)
        .find_with_related(crate::entities::site_members::Entity)
        .all(conn)
        .await?;
    Ok(rows.into_iter().next().map(|(user, members)| {
        let sites = members.into_iter().map(|m| m.site_id).collect();
        (Credentials::from(user), sites)
    }))
}

/// One page of users ordered by id, fetching `limit + 1` rows to know if more follow.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: &UserFilter,
    after_id: Option<i64>,
    limit: u64,
) -> Result<Vec<User>, DbErr> {
    let mut q = Users::find();
    if let Some(role) = filter.role {
        q = q.filter(Column::Role.eq(role.as_str()));
    }
    if let Some(roles) = &filter.roles_visible {
        q = q.filter(Column::Role.is_in(roles.iter().map(|r| r.as_str())));
    }
    if let Some(active) = filter.active {
        q = q.filter(Column::IsActive.eq(active));
    }
    if let Some(after) = after_id {
        q = q.filter(Column::Id.gt(after));
    }
    Ok(q.order_by_asc(Column::Id)
        .limit(limit + 1)
        .all(conn)
        .await?
        .into_iter()
        .map(User::from)
        .collect())
}

/// Applies the changes; `None` when the user does not exist.
pub async fn update(
    conn: &impl ConnectionTrait,
    id: i64,
    changes: &UserChanges,
    now: DateTime<Utc>,
) -> Result<Option<User>, DbErr> {
    let Some(model) = Users::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    let mut active: users::ActiveModel = model.into();
    if let Some(email) = &changes.email {
        active.email = Set(email.as_str().to_owned());
    }
    if let Some(name) = &changes.name {
        active.name = Set(name.clone());
    }
    if let Some(role) = changes.role {
        active.role = Set(role.as_str().to_owned());
    }
    if let Some(is_active) = changes.is_active {
        active.is_active = Set(is_active);
    }
    active.updated_at = Set(now.into());
    Ok(Some(active.update(conn).await?.into()))
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

/// Active admins other than `except`.
pub async fn count_other_active_admins(
    conn: &impl ConnectionTrait,
    except: i64,
) -> Result<u64, DbErr> {
    Users::find()
        .filter(Column::Role.eq(Role::Admin.as_str()))
        .filter(Column::IsActive.eq(true))
        .filter(Column::Id.ne(except))
        .count(conn)
        .await
}
