//! Request extractors for who is calling: the authenticated user with a
//! role policy checked, and the client address.

use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::{header, request::Parts};

use crate::domain::auth::CurrentUser;
use crate::domain::user::Role;
use crate::error::AppError;
use crate::services;
use crate::state::AppState;

/// Which roles may call a route.
pub trait Policy: Send + Sync + 'static {
    const ROLES: &'static [Role];
}

/// Any authenticated user.
pub struct AnyRole;
impl Policy for AnyRole {
    const ROLES: &'static [Role] = &Role::ALL;
}

/// Admins and managers.
pub struct ManagerOrAdmin;
impl Policy for ManagerOrAdmin {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Manager];
}

/// Admins only.
pub struct AdminOnly;
impl Policy for AdminOnly {
    const ROLES: &'static [Role] = &[Role::Admin];
}

/// The caller, authenticated by a bearer access token (401 otherwise) and
/// holding a role the policy allows (403 otherwise).
pub struct Authenticated<P: Policy = AnyRole> {
    pub user: CurrentUser,
    _policy: PhantomData<P>,
}

impl<P: Policy> FromRequestParts<AppState> for Authenticated<P> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or(AppError::Unauthorized(
                "this endpoint needs Authorization: Bearer <token>",
            ))?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then_some(token.trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or(AppError::Unauthorized(
                "expected Authorization: Bearer <token>",
            ))?;
        let request_id = parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let user = services::auth::authenticate(state, token, request_id).await?;
        if !P::ROLES.contains(&user.role) {
            return Err(AppError::Forbidden("your role may not do this"));
        }
        Ok(Self {
            user,
            _policy: PhantomData,
        })
    }
}

/// The client's address: the peer, or the first `X-Forwarded-For` hop when
/// `GEMBA_TRUST_FORWARDED_FOR` is set.
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if state.settings.trust_forwarded_for
            && let Some(ip) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .and_then(|v| v.trim().parse().ok())
        {
            return Ok(Self(Some(ip)));
        }
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// Everyone who inspects: inspectors, managers, admins (not viewers).
pub struct FloorStaff;
impl Policy for FloorStaff {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Manager, Role::Inspector];
}
