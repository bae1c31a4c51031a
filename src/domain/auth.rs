//! Authentication values: the caller, tokens and login input.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::user::Role;

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: i64,
    pub role: Role,
    /// Sites the user is a member of (admins see every site regardless).
    pub site_ids: Vec<i64>,
    /// The request's `X-Request-Id`, recorded with the changes it makes.
    pub request_id: Option<String>,
}

impl CurrentUser {
    /// The command line: an admin without a user row.
    pub fn system() -> Self {
        Self {
            id: 0,
            role: Role::Admin,
            site_ids: Vec::new(),
            request_id: None,
        }
    }

    /// The user id to record as the actor of a change (none for the CLI).
    pub fn actor_id(&self) -> Option<i64> {
        (self.id != 0).then_some(self.id)
    }

    /// Whether objects of this site exist for the caller. Outside their
    /// sites, everything is 404.
    pub fn sees_site(&self, site_id: i64) -> bool {
        self.role == Role::Admin || self.site_ids.contains(&site_id)
    }

    /// The sites a list is restricted to: `None` for admins (all sites).
    pub fn site_scope(&self) -> Option<&[i64]> {
        (self.role != Role::Admin).then_some(self.site_ids.as_slice())
    }
}

/// A secret string (password, token) that never prints.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, format = Password)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// `POST /auth/login` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The e-mail address (any case).
    #[schema(example = "admin@factory.example", max_length = 254)]
    pub email: String,
    pub password: Secret,
}

impl super::field::Checked for LoginRequest {}

/// `POST /auth/token` form (OAuth2 resource owner password flow).
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenForm {
    /// Only the password grant.
    pub grant_type: Option<GrantType>,
    /// The e-mail address.
    pub username: String,
    pub password: Secret,
    pub scope: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
}

/// The OAuth2 grant `POST /auth/token` supports.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    Password,
}

/// `POST /auth/refresh` and `POST /auth/logout` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: Secret,
}

impl super::field::Checked for RefreshRequest {}

/// Tokens issued at login and refresh.
#[derive(Serialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Lifetime of the access token in seconds.
    pub expires_in: u64,
    /// Single-use token for `POST /auth/refresh`; rotated on each use.
    pub refresh_token: String,
}

impl std::fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenPair")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}
