//! Logging in, refresh-token rotation with reuse detection, logging out, and
//! resolving the caller of a request.

use std::net::IpAddr;

use chrono::Utc;
use sea_orm::ConnectionTrait;

use crate::db::begin_write;
use crate::domain::auth::{CurrentUser, Secret, TokenPair};
use crate::domain::user::Role;
use crate::error::{AppError, AppResult};
use crate::repositories::{login_throttles, refresh_tokens, users};
use crate::security::{random_token, token_hash};
use crate::state::AppState;

const BAD_CREDENTIALS: &str = "wrong e-mail or password";
const BAD_REFRESH: &str = "the refresh token is invalid, expired or already used; log in again";

/// Checks e-mail and password and issues a token pair. Unknown e-mail,
/// wrong password and deactivated account all answer the same 401, in the
/// same time. Repeated failures per account and per client address are
/// answered 429 until the window passes.
pub async fn login(
    state: &AppState,
    email: &str,
    password: &Secret,
    client: Option<IpAddr>,
) -> AppResult<TokenPair> {
    let email = email.trim().to_lowercase();
    let s = &state.settings;
    let window = s.login_window.as_secs() as i64;
    let account_key = format!("account:{}", truncate(&email, 250));
    let ip_key = client.map(|ip| format!("ip:{ip}"));
    let now = Utc::now().timestamp();

    check_throttle(
        &state.db,
        &account_key,
        s.login_max_failures_per_account,
        window,
        now,
    )
    .await?;
    if let Some(ip_key) = &ip_key {
        check_throttle(&state.db, ip_key, s.login_max_failures_per_ip, window, now).await?;
    }

    let creds = users::credentials_by_email(&state.db, &email).await?;
    let password_ok = state
        .passwords
        .verify(password, creds.as_ref().map(|c| c.password_hash.as_str()))
        .await?;
    let user = match creds {
        Some(c) if password_ok && c.is_active => c,
        other => {
            let txn = begin_write(&state.writer).await?;
            login_throttles::record_failure(&txn, &account_key, now, window).await?;
            if let Some(ip_key) = &ip_key {
                login_throttles::record_failure(&txn, ip_key, now, window).await?;
            }
            txn.commit().await?;
            match other {
                Some(c) => tracing::warn!(user.id = c.id, active = c.is_active, "login failed"),
                None => tracing::warn!("login failed for an unknown account"),
            }
            return Err(AppError::Unauthorized(BAD_CREDENTIALS));
        }
    };

    let txn = begin_write(&state.writer).await?;
    login_throttles::clear(&txn, &account_key).await?;
    let pair = issue_pair(
        state,
        &txn,
        user.id,
        user.role,
        &uuid::Uuid::new_v4().to_string(),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(user.id = user.id, "login succeeded");
    Ok(pair)
}

async fn check_throttle(
    conn: &impl ConnectionTrait,
    key: &str,
    max: u32,
    window: i64,
    now: i64,
) -> AppResult<()> {
    if let Some((failures, start)) = login_throttles::get(conn, key).await? {
        let ends = start + window;
        if failures >= max && ends > now {
            tracing::warn!(
                throttle = key.split(':').next().unwrap_or(""),
                "login throttled"
            );
            return Err(AppError::TooManyRequests {
                retry_after_secs: (ends - now).max(1) as u64,
            });
        }
    }
    Ok(())
}

fn truncate(s: &str, max_chars: usize) -> &str {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

async fn issue_pair(
    state: &AppState,
    conn: &impl ConnectionTrait,
    user_id: i64,
    role: Role,
    family: &str,
) -> AppResult<TokenPair> {
    let now = Utc::now();
    let refresh = random_token();
    let ttl = chrono::Duration::from_std(state.tokens.refresh_ttl)
        .map_err(|e| AppError::Internal(e.into()))?;
    refresh_tokens::insert(conn, user_id, family, token_hash(&refresh), now + ttl, now).await?;
    Ok(TokenPair {
        access_token: state.tokens.issue_access(user_id, role)?,
        token_type: "Bearer",
        expires_in: state.tokens.access_ttl.as_secs(),
        refresh_token: refresh,
    })
}

/// Exchanges a live refresh token for a new pair (rotation). A token that
/// was already used is a sign of theft: its whole family is revoked.
pub async fn refresh(state: &AppState, token: &Secret) -> AppResult<TokenPair> {
    let hash = token_hash(token.expose());
    let now = Utc::now();
    let txn = begin_write(&state.writer).await?;
    let Some(row) = refresh_tokens::find_by_hash(&txn, &hash).await? else {
        return Err(AppError::Unauthorized(BAD_REFRESH));
    };
    if row.revoked_at.is_some() {
        return Err(AppError::Unauthorized(BAD_REFRESH));
    }
    if row.used_at.is_some() || !refresh_tokens::spend(&txn, row.id, now).await? {
        refresh_tokens::revoke_family(&txn, &row.family_id, now).await?;
        txn.commit().await?;
        tracing::warn!(
            user.id = row.user_id,
            "refresh token reused; its family is revoked"
        );
        return Err(AppError::Unauthorized(BAD_REFRESH));
    }
    if row.expires_at.with_timezone(&Utc) <= now {
        return Err(AppError::Unauthorized(BAD_REFRESH));
    }
    let user = users::credentials_by_id(&txn, row.user_id).await?;
    let Some(user) = user.filter(|u| u.is_active) else {
        refresh_tokens::revoke_family(&txn, &row.family_id, now).await?;
        txn.commit().await?;
        return Err(AppError::Unauthorized(BAD_REFRESH));
    };
    let pair = issue_pair(state, &txn, user.id, user.role, &row.family_id).await?;
    txn.commit().await?;
    Ok(pair)
}

/// Revokes the token's family (this device's session). Unknown tokens are
/// ignored, so logging out twice is harmless.
pub async fn logout(state: &AppState, token: &Secret) -> AppResult<()> {
    let hash = token_hash(token.expose());
    let txn = begin_write(&state.writer).await?;
    if let Some(row) = refresh_tokens::find_by_hash(&txn, &hash).await? {
        refresh_tokens::revoke_family(&txn, &row.family_id, Utc::now()).await?;
        tracing::info!(user.id = row.user_id, "logged out");
    }
    txn.commit().await?;
    Ok(())
}

/// The caller behind an access token: the user must still exist and be
/// active, and their current role (not the one in the token) applies. One
/// SQL statement: the user joined with their site memberships.
pub async fn authenticate(
    state: &AppState,
    bearer: &str,
    request_id: Option<String>,
) -> AppResult<CurrentUser> {
    let id = state
        .tokens
        .verify_access(bearer)
        .map_err(AppError::Unauthorized)?;
    match users::access(&state.db, id).await? {
        Some((role, true, site_ids)) => Ok(CurrentUser {
            id,
            role,
            site_ids,
            request_id,
        }),
        _ => Err(AppError::Unauthorized(
            "the account no longer exists or is deactivated",
        )),
    }
}
