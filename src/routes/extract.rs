//! Request extractors: who is calling (the authenticated user with a role
//! policy checked, the client address), and the query, path, form and
//! header values, each answering in our problem format.

use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header, request::Parts};
use serde::de::DeserializeOwned;

use crate::domain::auth::CurrentUser;
use crate::domain::field::{Checked, Parse, from_query};
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
    const ROLES: &'static [Role] = Role::ALL;
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

/// A query string parsed into `T`: a value of the wrong type is 400, a
/// rejected value 422 (every one reported).
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned + Checked,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Query(from_query(parts.uri.query().unwrap_or_default())?))
    }
}

/// Path parameters that answer 400 problems.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|rej| AppError::BadRequest(rej.body_text()))
    }
}

/// A form body (the OAuth2 password flow) that answers 400/415 problems.
#[derive(Debug, Clone, Copy, Default)]
pub struct Form<T>(pub T);

impl<S, T> FromRequest<S> for Form<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Form::<T>::from_request(req, state)
            .await
            .map(|f| Form(f.0))
            .map_err(|rej| match rej.status() {
                StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType(
                    "expected Content-Type: application/x-www-form-urlencoded".into(),
                ),
                StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
                _ => AppError::BadRequest(rej.body_text()),
            })
    }
}

/// An optional request header parsed into a domain value (400 when present
/// and invalid).
pub fn optional_header<T: Parse<Raw = String>>(
    headers: &axum::http::HeaderMap,
    name: &str,
) -> Result<Option<T>, AppError> {
    let Some(value) = headers.get(name) else {
        return Ok(None);
    };
    let raw = value
        .to_str()
        .map_err(|_| AppError::BadRequest(format!("the {name} header must be visible ASCII")))?;
    T::parse(raw.to_owned())
        .map(Some)
        .map_err(|r| AppError::BadRequest(format!("the {name} header {}", r.message)))
}
