//! Managing users: who may create or change whom, uniqueness, deactivation
//! and password changes.

use chrono::Utc;

use crate::db::begin_write;
use crate::domain::audit::PasswordChange;
use crate::domain::auth::CurrentUser;
use crate::domain::page::{Page, PageRequest};
use crate::domain::user::{
    ChangePassword, MePatch, NewUser, User, UserFilter, UserPatch, UserQuery,
};
use crate::error::{AppError, AppResult, Conflicts, OrConflict};
use crate::repositories::{refresh_tokens, users};
use crate::services::audit::{self, Change};
use crate::state::AppState;

const CONFLICTS: Conflicts = Conflicts {
    unique: "a user with this e-mail address already exists",
    in_use: "the user is still referred to",
};

pub async fn create(state: &AppState, actor: &CurrentUser, new: NewUser) -> AppResult<User> {
    state
        .email_policy
        .check(&new.email)
        .map_err(|e| AppError::Validation(vec![e]))?;
    if !actor.role.may_manage(new.role) {
        return Err(AppError::Forbidden(
            "you may not create users with this role",
        ));
    }
    let hash = state.passwords.hash(new.password.secret()).await?;
    let txn = begin_write(&state.writer).await?;
    let user = users::insert(&txn, &new, hash, Utc::now())
        .await
        .or_conflict(&CONFLICTS)?;
    audit::record(&txn, actor, Change::Created(&user)).await?;
    txn.commit().await?;
    tracing::info!(user.id = user.id, actor.id = actor.id, role = %user.role, "user created");
    Ok(user)
}

/// Admins list every user; managers the members of their own sites.
pub async fn list(
    state: &AppState,
    actor: &CurrentUser,
    query: UserQuery,
) -> AppResult<Page<User>> {
    let page = PageRequest::new(query.limit, query.cursor.map(|c| c.0));
    let filter = UserFilter {
        role: query.role,
        active: query.active,
        sites: actor.site_scope().map(<[i64]>::to_vec),
    };
    let rows = users::list(&state.db, &filter, &page).await?;
    Ok(page.page(rows, |u| u.id))
}

/// The caller's own account.
pub async fn me(state: &AppState, actor: &CurrentUser) -> AppResult<User> {
    users::find(&state.db, actor.id)
        .await?
        .ok_or(AppError::NotFound)
}

/// A user the caller may see (404 for a manager outside their sites).
pub async fn get(state: &AppState, actor: &CurrentUser, id: i64) -> AppResult<User> {
    users::find_visible(&state.db, id, actor.site_scope())
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn update(
    state: &AppState,
    actor: &CurrentUser,
    id: i64,
    patch: UserPatch,
) -> AppResult<User> {
    if let Some(email) = &patch.email {
        state
            .email_policy
            .check(email)
            .map_err(|e| AppError::Validation(vec![e]))?;
    }
    apply_changes(state, actor, id, patch).await
}

/// Deactivates the user (users are never deleted: their history stays).
pub async fn deactivate(state: &AppState, actor: &CurrentUser, id: i64) -> AppResult<()> {
    let changes = UserPatch {
        is_active: Some(false),
        ..Default::default()
    };
    apply_changes(state, actor, id, changes).await.map(|_| ())
}

async fn apply_changes(
    state: &AppState,
    actor: &CurrentUser,
    id: i64,
    changes: UserPatch,
) -> AppResult<User> {
    let txn = begin_write(&state.writer).await?;
    let target = users::find_visible(&txn, id, actor.site_scope())
        .await?
        .ok_or(AppError::NotFound)?;
    if !actor.role.may_manage(target.role) {
        return Err(AppError::Forbidden(
            "you may not change users with this role",
        ));
    }
    if let Some(role) = changes.role
        && !actor.role.may_manage(role)
    {
        return Err(AppError::Forbidden("you may not give users this role"));
    }
    // Nobody locks themself out, and so one active admin always remains:
    // only an admin can remove an admin, and never themself.
    let demotes =
        changes.is_active == Some(false) || changes.role.is_some_and(|r| r != target.role);
    if target.id == actor.id && demotes {
        return Err(AppError::Conflict(
            "you cannot deactivate your own account or change your own role; another admin can"
                .into(),
        ));
    }
    let now = Utc::now();
    let user = users::update(&txn, id, &changes, now)
        .await
        .or_conflict(&CONFLICTS)?
        .ok_or(AppError::NotFound)?;
    if changes.is_active == Some(false) {
        refresh_tokens::revoke_all_for_user(&txn, id, now).await?;
    }
    audit::record(&txn, actor, Change::Updated(&target, &user)).await?;
    txn.commit().await?;
    tracing::info!(user.id = id, actor.id = actor.id, "user updated");
    Ok(user)
}

pub async fn update_me(state: &AppState, actor: &CurrentUser, patch: MePatch) -> AppResult<User> {
    let changes = UserPatch::from(patch);
    let txn = begin_write(&state.writer).await?;
    let before = users::find(&txn, actor.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let user = users::update(&txn, actor.id, &changes, Utc::now())
        .await?
        .ok_or(AppError::NotFound)?;
    audit::record(&txn, actor, Change::Updated(&before, &user)).await?;
    txn.commit().await?;
    Ok(user)
}

/// Changes the caller's password after checking the current one, and ends
/// every other session (all refresh tokens are revoked).
pub async fn change_password(
    state: &AppState,
    actor: &CurrentUser,
    input: ChangePassword,
) -> AppResult<()> {
    let creds = users::credentials_by_id(&state.db, actor.id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !state
        .passwords
        .verify(&input.current_password, Some(&creds.password_hash))
        .await?
    {
        return Err(AppError::validation(
            "current_password",
            "incorrect",
            "is not your current password",
        ));
    }
    let new = input.new_password;
    new.check_against("new_password", &creds.email)
        .map_err(|e| AppError::Validation(vec![e]))?;
    let hash = state.passwords.hash(new.secret()).await?;
    let now = Utc::now();
    let txn = begin_write(&state.writer).await?;
    users::set_password_hash(&txn, actor.id, hash, now).await?;
    refresh_tokens::revoke_all_for_user(&txn, actor.id, now).await?;
    let before = PasswordChange {
        user_id: actor.id,
        password: "(old)",
    };
    let after = PasswordChange {
        password: "(changed)",
        ..before
    };
    audit::record(&txn, actor, Change::Updated(&before, &after)).await?;
    txn.commit().await?;
    tracing::info!(user.id = actor.id, "password changed");
    Ok(())
}

/// Creates a user from the command line (no caller; any role).
pub async fn create_from_cli(state: &AppState, input: NewUser) -> AppResult<User> {
    create(state, &CurrentUser::system(), input).await
}
